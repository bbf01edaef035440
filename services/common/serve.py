"""Run one service: migrate its database, then serve RPC and events until
SIGTERM/SIGINT.   python -m services.common.serve accounts
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything opens a socket)

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from . import logs, production  # noqa: E402
from .config import SERVICES, env, nameko_config  # noqa: E402
from .migrations import upgrade  # noqa: E402


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == name:
            return value
    raise SystemExit(f"no nameko service named {name!r} in services.{name}.service")


def main(argv):
    name = argv[0]
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    logs.setup(name, level=env("LOG_LEVEL", "INFO"))
    # Typed errors are answers, not incidents: nameko logs them with a traceback.
    logging.getLogger("nameko.containers").addFilter(
        lambda record: not str(record.msg).startswith("(expected)"))
    try:  # before touching the database or the broker
        production.check(name, log=logging.getLogger(name))
    except production.InsecureConfiguration:
        raise SystemExit(2) from None
    if "--no-migrate" not in argv:
        upgrade(name)
    runner = ServiceRunner(nameko_config())
    runner.add_service(service_class(name))
    stopping = eventlet.event.Event()

    def stop(signum, frame):
        if not stopping.ready():
            stopping.send(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    logging.getLogger(name).info("%s service ready", name)
    stopping.wait()
    runner.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
