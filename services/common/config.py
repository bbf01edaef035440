"""Configuration from environment variables, with defaults for one machine.

The same names are used by the local runner, the tests and docker-compose.yml.
"""
import os

SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def app_env():
    """`development` on a workstation (the local runner, the tests); anything else,
    unset included, is production: secrets are checked before starting."""
    return env("APP_ENV", "production")


def actor_signing_key():
    """The key the gateway and the services share to sign the actor of every RPC."""
    return env("ACTOR_SIGNING_KEY")


def amqp_uri():
    return env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def database_url(service):
    """`<SERVICE>_DATABASE_URL`, else a database named after the service on the
    local PostgreSQL (`ecandidat_<service>`; DATABASE_PREFIX changes the prefix)."""
    url = env(f"{service.upper()}_DATABASE_URL")
    if url:
        return url
    base = env("DATABASE_BASE_URL", "postgresql+psycopg://root@127.0.0.1:5432")
    prefix = env("DATABASE_PREFIX", "ecandidat")
    return f"{base}/{prefix}_{service}"


def rpc_timeout():
    """Seconds the gateway waits for a service's answer (RPC_TIMEOUT)."""
    return float(env("RPC_TIMEOUT", "30"))


def service_rpc_timeout():
    """Seconds a service waits for another's (SERVICE_RPC_TIMEOUT): well under
    the gateway's, so the gateway hears that a service it asked is stuck on
    another before it gives up itself."""
    return float(env("SERVICE_RPC_TIMEOUT", "5"))


def circuit_failures():
    """Consecutive failures (no answer in time, broker trouble) after which a
    caller stops calling a service for CIRCUIT_RESET_SECONDS (CIRCUIT_FAILURES)."""
    return int(env("CIRCUIT_FAILURES", "3"))


def circuit_reset_seconds():
    """Seconds an open circuit refuses calls before one probe is let through
    (CIRCUIT_RESET_SECONDS)."""
    return float(env("CIRCUIT_RESET_SECONDS", "10"))


def rpc_concurrency():
    """Calls one gateway process may have waiting on one service at once
    (RPC_CONCURRENCY): below the gateway's threads per process (8,
    gateway/gunicorn_conf.py) and its RPC_POOL_SIZE, so a dead service never
    holds every thread nor every RPC client."""
    return int(env("RPC_CONCURRENCY", "4"))


def service_rpc_concurrency():
    """Calls one service instance may have waiting on another at once
    (SERVICE_RPC_CONCURRENCY): half its MAX_WORKERS by default, so its
    other RPCs keep workers while the one it calls is dead."""
    return int(env("SERVICE_RPC_CONCURRENCY", str(max(1, int(env("MAX_WORKERS", "10")) // 2))))


def concurrency_wait_seconds():
    """How long a call waits for a free slot before it is answered Unavailable
    (CONCURRENCY_WAIT_SECONDS): long enough for a burst to a healthy service
    (its calls take milliseconds) to queue rather than fail, short enough that
    a page needing a dead service answers within a second or two."""
    return float(env("CONCURRENCY_WAIT_SECONDS", "1"))


def shutdown_grace_seconds():
    """Seconds a stopping service gives its in-flight workers (SHUTDOWN_GRACE_SECONDS):
    on SIGTERM it takes no new message, lets running workers finish for that long,
    then kills the rest, whose messages the broker gives to another instance."""
    return float(env("SHUTDOWN_GRACE_SECONDS", "20"))


def pool_budget():
    """(pool_size, max_overflow) of a service's database connections. A worker
    holds one connection at most, the outbox relay one more: MAX_WORKERS + 1
    is all an instance can use, so that is the ceiling by default
    (DATABASE_POOL_SIZE kept open, 5; the rest opened under load). Budget:
    the instances of all services × (MAX_WORKERS + 1) must stay under
    PostgreSQL's max_connections (100 by default), or PgBouncer in front."""
    ceiling = int(env("MAX_WORKERS", "10")) + 1
    pool_size = int(env("DATABASE_POOL_SIZE", str(min(5, ceiling))))
    overflow = int(env("DATABASE_MAX_OVERFLOW", str(max(0, ceiling - pool_size))))
    return pool_size, overflow


def event_retry_delays():
    """Seconds the broker holds a failed event before each new attempt
    (EVENT_RETRY_DELAYS, comma-separated): after the last one fails the event
    goes to the service's dead-letter queue. Default 2, 10, 60 and 300 s:
    five attempts over about six minutes, long enough for a database restart."""
    raw = env("EVENT_RETRY_DELAYS", "2,10,60,300")
    delays = [float(d) for d in raw.split(",") if d.strip()]
    if any(d <= 0 for d in delays):
        raise ValueError("EVENT_RETRY_DELAYS: positive numbers of seconds, comma-separated")
    return delays


def public_url():
    """Where candidates reach the gateway; used in links sent by mail."""
    return env("PUBLIC_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")


def nameko_config():
    return {
        "AMQP_URI": amqp_uri(),
        "serializer": "json",
        "max_workers": int(env("MAX_WORKERS", "10")),
        "parent_calls_tracked": 10,
    }
