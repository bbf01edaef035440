"""gunicorn settings shared by `make run`, the Docker image and the bench:
`gunicorn -c python:gateway.gunicorn_conf ... "gateway:create_app()"`."""
from services.common.config import rpc_timeout, shutdown_grace_seconds

worker_class = "gthread"
# Above RPC_CONCURRENCY (4): a dead service holds that many threads at most, the
# others serve the other pages and /healthz; and not above RPC_POOL_SIZE (8), so
# a thread never waits for an RPC client.
# On SIGTERM a worker accepts nothing new and finishes its requests: one waits
# RPC_TIMEOUT at most for a service (which itself finishes its own in-flight
# work within SHUTDOWN_GRACE_SECONDS), so every request in flight gets its page
# (or its 503) before the worker is killed.
graceful_timeout = int(max(rpc_timeout(), shutdown_grace_seconds())) + 5
threads = 8
accesslog = "-"
# gunicorn's default line, then the request id the gateway gave the request (its X-Request-ID
# response header): the same id is in the log lines of every service the request reached
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
logger_class = "gateway.access_log.MaskingLogger"


def on_starting(server):
    # Refused once by the master, before any worker boots (create_app checks too).
    from gateway import settings
    from services.common.production import InsecureConfiguration
    try:
        settings.check_secrets(settings.load(), log=server.log)
    except InsecureConfiguration:
        raise SystemExit(2) from None


def post_fork(server, worker):
    # The application's log lines as the services write theirs: one JSON object
    # per line with the request id (gunicorn's own and access lines keep their format).
    from services.common import logs
    logs.setup("gateway")


def worker_exit(server, worker):
    # Its RPC clients leave the broker now, without waiting for any service.
    app = getattr(worker, "wsgi", None)
    pool = getattr(app, "extensions", {}).get("rpc_pool")
    if pool is not None:
        pool.close()
    from gateway.cache import CachedRemote
    remote = getattr(app, "extensions", {}).get("remote")
    if isinstance(remote, CachedRemote):  # its listener leaves the broker too
        remote.close()
