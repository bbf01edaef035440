"""Gateway settings from the environment (same names everywhere)."""
import logging
import os
from datetime import timedelta

from services.common import production
from services.common.config import (actor_signing_key, app_env, circuit_failures,
                                    circuit_reset_seconds, concurrency_wait_seconds, env,
                                    nameko_config, rpc_concurrency, rpc_timeout)


def trusted_proxies():
    count = env("TRUSTED_PROXIES")
    if count is None:
        return 1 if env("TRUSTED_PROXY", "0") == "1" else 0
    if not count.strip().isdigit():
        raise ValueError(f"TRUSTED_PROXIES must be a number of proxies, not {count!r}")
    return int(count)


def load():
    return {
        # Required in production; in development create_app draws one when unset.
        "SECRET_KEY": env("SECRET_KEY"),
        "ACTOR_SIGNING_KEY": actor_signing_key(),
        "APP_ENV": app_env(),
        "MAIL_SINK_DIR": env("MAIL_SINK_DIR", os.path.join("var", "mails")),
        "INSTITUTION_NAME": env("INSTITUTION_NAME", "Université de démonstration"),
        "INSTITUTION_CONTACT_EMAIL": env("INSTITUTION_CONTACT_EMAIL", "candidatures@univ-demo.fr"),
        "INSTITUTION_CONTACT_PHONE": env("INSTITUTION_CONTACT_PHONE", "01 23 45 67 89"),
        "RPC_POOL_SIZE": int(env("RPC_POOL_SIZE", "8")),
        "RPC_TIMEOUT": rpc_timeout(),
        # Per target service, in each gateway process: after CIRCUIT_FAILURES
        # consecutive failures its pages answer 503 at once for
        # CIRCUIT_RESET_SECONDS, then one request probes it; at most
        # RPC_CONCURRENCY requests wait on it at once (the next one gets a 503
        # after CONCURRENCY_WAIT_SECONDS), below gunicorn's threads per worker.
        "CIRCUIT_FAILURES": circuit_failures(),
        "CIRCUIT_RESET_SECONDS": circuit_reset_seconds(),
        "RPC_CONCURRENCY": rpc_concurrency(),
        "CONCURRENCY_WAIT_SECONDS": concurrency_wait_seconds(),
        "MAX_CONTENT_LENGTH": int(env("MAX_UPLOAD_BYTES", str(12 * 1024 * 1024))),
        "NAMEKO": nameko_config(),
        # The university's CAS server (protocol 3); empty: no single sign-on.
        "CAS_URL": (env("CAS_URL", "") or "").rstrip("/"),
        "PUBLIC_URL": (env("PUBLIC_URL", "") or "").rstrip("/"),
        # How many reverse proxies stand in front of the gateway: the client's
        # address is the X-Forwarded-For entry the outermost one appended
        # (werkzeug's ProxyFix), never one a client wrote. 0: none.
        # TRUSTED_PROXY=1, the older flag, means one.
        "TRUSTED_PROXIES": trusted_proxies(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sent over HTTPS only, but for the local runner and tests (plain HTTP):
        # unset, it follows APP_ENV (create_app).
        "SESSION_COOKIE_SECURE": (None if env("SESSION_COOKIE_SECURE") is None
                                  else env("SESSION_COOKIE_SECURE") == "1"),
        # A session lasts SESSION_HOURS (accounts ends it sooner: logout, new
        # password...); who it belongs to is asked of accounts again after
        # SESSION_CHECK_SECONDS.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(env("SESSION_HOURS", "12"))),
        "SESSION_CHECK_SECONDS": float(env("SESSION_CHECK_SECONDS", "5")),
        # The staff list marks an application "Réceptionné" for more than this many days.
        "STAFF_RE_ALERT_DAYS": int(env("STAFF_RE_ALERT_DAYS", "7")),
        # The read cache of rarely-changing answers (gateway/cache.py): on unless
        # READ_CACHE=0; entries live READ_CACHE_TTL_SECONDS at most, events drop them sooner.
        "READ_CACHE": env("READ_CACHE", "1") != "0",
        "READ_CACHE_TTL_SECONDS": float(env("READ_CACHE_TTL_SECONDS", "300")),
        "READ_CACHE_MAX_ENTRIES": int(env("READ_CACHE_MAX_ENTRIES", "2000")),
        "READ_CACHE_HEARTBEAT_SECONDS": int(env("READ_CACHE_HEARTBEAT_SECONDS", "10")),
    }


def check_secrets(config, log=None):
    """Refuses a production gateway whose secrets anyone could know: one log line,
    then production.InsecureConfiguration."""
    production.check("gateway", {
        "APP_ENV": config["APP_ENV"], "SECRET_KEY": config.get("SECRET_KEY"),
        "ACTOR_SIGNING_KEY": config.get("ACTOR_SIGNING_KEY"),
        "AMQP_URI": config["NAMEKO"]["AMQP_URI"]}, log=log or logging.getLogger("gateway"))
