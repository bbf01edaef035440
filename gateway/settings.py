"""Gateway settings from the environment (same names everywhere)."""
import os
import secrets
from datetime import timedelta

from services.common.config import env, nameko_config


def load():
    return {
        "SECRET_KEY": env("SECRET_KEY") or secrets.token_hex(32),
        "APP_ENV": env("APP_ENV", "production"),
        "MAIL_SINK_DIR": env("MAIL_SINK_DIR", os.path.join("var", "mails")),
        "INSTITUTION_NAME": env("INSTITUTION_NAME", "Université de démonstration"),
        "INSTITUTION_CONTACT_EMAIL": env("INSTITUTION_CONTACT_EMAIL", "candidatures@univ-demo.fr"),
        "INSTITUTION_CONTACT_PHONE": env("INSTITUTION_CONTACT_PHONE", "01 23 45 67 89"),
        "RPC_POOL_SIZE": int(env("RPC_POOL_SIZE", "8")),
        "RPC_TIMEOUT": int(env("RPC_TIMEOUT", "30")),
        "MAX_CONTENT_LENGTH": int(env("MAX_UPLOAD_BYTES", str(12 * 1024 * 1024))),
        "NAMEKO": nameko_config(),
        # The university's CAS server (protocol 3); empty: no single sign-on.
        "CAS_URL": (env("CAS_URL", "") or "").rstrip("/"),
        "PUBLIC_URL": (env("PUBLIC_URL", "") or "").rstrip("/"),
        # Behind a reverse proxy, the client's address comes from X-Forwarded-For.
        "TRUSTED_PROXY": env("TRUSTED_PROXY", "0") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sent over HTTPS only, but for the local runner and tests (plain HTTP):
        # unset, it follows APP_ENV (create_app).
        "SESSION_COOKIE_SECURE": (None if env("SESSION_COOKIE_SECURE") is None
                                  else env("SESSION_COOKIE_SECURE") == "1"),
        # A session lasts SESSION_HOURS (accounts ends it sooner: logout, new
        # password...); who it belongs to is asked of accounts again after
        # SESSION_CHECK_SECONDS.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env("SESSION_HOURS", "12"))),
        "SESSION_CHECK_SECONDS": float(env("SESSION_CHECK_SECONDS", "5")),
    }
