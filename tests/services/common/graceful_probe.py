"""A small service run by services.common.serve for the graceful-stop tests:
`work` (but a ready-check) notes that it started (WORK_TRACE file), takes WORK_SECONDS, answers.
    python -m tests.services.common.graceful_probe
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import logging  # noqa: E402
import os  # noqa: E402

from services.common.rpc import rpc  # noqa: E402
from services.common.serve import serve  # noqa: E402


class GracefulProbe:
    name = "graceful_probe"

    @rpc
    def work(self, actor, token):
        if token == "ready-check":
            return {"token": token, "pid": os.getpid()}
        with open(os.environ["WORK_TRACE"], "a") as trace:
            trace.write(f"{token} {os.getpid()}\n")
        eventlet.sleep(float(os.environ.get("WORK_SECONDS", "0")))
        return {"token": token, "pid": os.getpid()}


if __name__ == "__main__":
    logging.basicConfig(level="INFO")
    serve(GracefulProbe, logging.getLogger("graceful_probe"))
