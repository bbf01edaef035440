"""Small services run by services.common.serve for the graceful-stop tests:
`work` (but a ready-check) notes that it started (WORK_TRACE file), takes
WORK_SECONDS, then (a token starting with "relay") asks graceful_echo, and answers.
    python -m tests.services.common.graceful_probe [echo]
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import logging  # noqa: E402
import os  # noqa: E402

import sys  # noqa: E402

from services.common.rpc import ServiceRpc, rpc  # noqa: E402
from services.common.serve import serve  # noqa: E402


class GracefulEcho:
    name = "graceful_echo"

    @rpc
    def echo(self, actor, value):
        return value


class GracefulProbe:
    name = "graceful_probe"
    other = ServiceRpc("graceful_echo")

    @rpc
    def work(self, actor, token):
        if token == "ready-check":
            return {"token": token, "pid": os.getpid()}
        with open(os.environ["WORK_TRACE"], "a") as trace:
            trace.write(f"{token} {os.getpid()}\n")
        eventlet.sleep(float(os.environ.get("WORK_SECONDS", "0")))
        if token.startswith("relay"):
            token = self.other.echo(token)  # a reply it still needs while stopping
        return {"token": token, "pid": os.getpid()}


if __name__ == "__main__":
    logging.basicConfig(level="INFO")
    cls = GracefulEcho if sys.argv[1:] == ["echo"] else GracefulProbe
    serve(cls, logging.getLogger(cls.name))
