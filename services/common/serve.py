"""Run one service: migrate its database, then serve RPC and events until
SIGTERM/SIGINT.   python -m services.common.serve accounts

Stopping is graceful: the first SIGTERM/SIGINT stops consuming, lets the
workers in flight finish (their callers get their answers) for at most
SHUTDOWN_GRACE_SECONDS, then kills what is left and exits 1; the broker gives
the unacknowledged messages of killed workers to another instance. A second
signal stops at once. Exit 0 when every worker finished.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything opens a socket)

import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from nameko.messaging import QueueConsumer  # noqa: E402
from nameko.rpc import ReplyListener  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from . import logs, production  # noqa: E402
from .config import SERVICES, env, nameko_config, shutdown_grace_seconds  # noqa: E402
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
    serve(service_class(name), logging.getLogger(name))


def serve(cls, log):
    """Runs the nameko service class until a signal, then stops it gracefully."""
    runner = ServiceRunner(nameko_config())
    runner.add_service(cls)
    signals = []

    def stop(signum, frame):
        signals.append(signum)  # the main loop acts: nothing blocking in a handler

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    log.info("%s service ready", cls.name)
    while not signals:
        eventlet.sleep(0.2)
    raise SystemExit(shut_down(runner, signals, shutdown_grace_seconds(), log))


def shut_down(runner, signals, grace, log):
    """0 when the workers in flight finished within `grace` seconds; else they
    are killed (on the grace's end, or at once on a second signal) and 1."""
    log.info("stopping: no new message, in-flight work has %.0f s to finish", grace)
    deadline = time.monotonic() + grace

    def waiting():
        return len(signals) < 2 and time.monotonic() < deadline

    # nameko's own stop closes the broker connection once its consumers are
    # cancelled, before the workers in flight acknowledge their messages: those
    # would be redelivered and run twice. So consumers are cancelled here with
    # the connection kept open, and nameko stops once the workers are done.
    paused = [pause(consumer) for consumer in queue_consumers(runner)]
    while waiting() and not all(event.ready() for event in paused):
        eventlet.sleep(0.05)
    while waiting() and any(c._worker_threads for c in runner.containers):
        eventlet.sleep(0.1)
    stopping = eventlet.spawn(runner.stop)
    while waiting() and not stopping.dead:
        eventlet.sleep(0.1)
    if stopping.dead:
        log.info("stopped")
        return 0
    log.warning("stopping now: killing the workers still running (%s); the broker "
                "redelivers their messages", "second signal" if len(signals) > 1 else "grace over")
    with eventlet.Timeout(5, False):
        runner.kill()
    logging.shutdown()
    # The process ends with its broker connections: unacknowledged messages are requeued.
    os._exit(1)


def queue_consumers(runner):
    """The nameko QueueConsumers feeding the runner's RPC and event entrypoints."""
    found = []
    for container in runner.containers:
        for extension in container.extensions:
            if isinstance(extension, QueueConsumer) and extension not in found:
                found.append(extension)
    return found


def pause(queue_consumer):
    """Cancels the consumer's subscriptions to RPC and event queues (the broker
    delivers no more requests or events; those in flight stay unacknowledged, on an open connection,
    until their workers end). An event, set once done."""
    done = eventlet.event.Event()
    original = queue_consumer.on_iteration

    def on_iteration():  # runs in the consumer's own thread, where kombu allows a cancel
        if not done.ready():
            for provider, consumer in list(queue_consumer._consumers.items()):
                # replies to the workers' own calls to other services still come
                if not isinstance(provider, ReplyListener):
                    consumer.cancel()
            done.send(True)
        original()
    queue_consumer.on_iteration = on_iteration
    return done


if __name__ == "__main__":
    main(sys.argv[1:])
