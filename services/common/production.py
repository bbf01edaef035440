"""Refuse to start with secrets anyone can know.

In production (APP_ENV other than `development`, the default) the gateway and
every service check, before they start anything, the secrets they use:

- SECRET_KEY (gateway: signs session cookies) and ACTOR_SIGNING_KEY (gateway
  and services: signs the actor every RPC carries): set, not a known
  placeholder, at least 32 characters, and not equal to each other;
- the AMQP_URI password: set, not guest/guest nor another known default;
- the service's database password (`<SERVICE>_DATABASE_URL`, else
  DATABASE_BASE_URL): set and not a known default;
- MINIO_ACCESS_KEY and MINIO_SECRET_KEY (documents, the only one holding them):
  set and not a known default.
Passwords must have at least 16 characters.

In development (the local runner, the tests) only ACTOR_SIGNING_KEY is
required: the gateway and the services must share it to understand each other.

One log line names every variable at fault (never its value), then
InsecureConfiguration is raised.
"""
import logging
import os
import re
from urllib.parse import unquote, urlsplit

from .config import SERVICES, app_env

KEY_LENGTH = 32
PASSWORD_LENGTH = 16

# Values shipped in earlier compose files, examples, local tools and tests.
KNOWN_DEFAULTS = {
    "admin", "bench", "change-me", "change-me-in-production", "changeme", "default", "dev",
    "development", "ecandidat", "ecandidat-secret", "guest", "local", "localsecret",
    "minioadmin", "password", "postgres", "root", "secret", "test", "testsecret",
}
PLACEHOLDER = re.compile(r"change[-_ ]?me|replace[-_ ]?me|placeholder|^your[-_ ]|^<.*>$", re.I)


class InsecureConfiguration(RuntimeError):
    pass


def is_development(values=None):
    return (app_env() if values is None else values.get("APP_ENV") or "production") == "development"


def _known(value):
    return value.strip().lower() in KNOWN_DEFAULTS or bool(PLACEHOLDER.search(value))


def _key(values, name):
    value = values.get(name) or ""
    if not value:
        return f"{name} is missing"
    if _known(value):
        return f"{name} is a known default or placeholder"
    if len(value) < KEY_LENGTH:
        return f"{name} is shorter than {KEY_LENGTH} characters"
    return None


def _password(name, value, missing):
    if not value:
        return missing
    if _known(value):
        return f"{name} holds a known default password"
    if len(value) < PASSWORD_LENGTH:
        return f"{name}'s password is shorter than {PASSWORD_LENGTH} characters"
    return None


def _amqp(values):
    uri = values.get("AMQP_URI") or ""
    if not uri:
        return "AMQP_URI is missing (the default connects as guest/guest)"
    parts = urlsplit(uri)
    if unquote(parts.username or "") == "guest":
        return "AMQP_URI uses RabbitMQ's guest account"
    return _password("AMQP_URI", unquote(parts.password or ""), "AMQP_URI has no password")


def _database(values, service):
    name = f"{service.upper()}_DATABASE_URL"
    if not values.get(name):
        name = "DATABASE_BASE_URL" if values.get("DATABASE_BASE_URL") else name
    url = values.get(name)
    if not url:
        return f"{name} (or DATABASE_BASE_URL) is missing"
    from sqlalchemy.engine import make_url
    try:
        password = make_url(url).password
    except Exception:
        return f"{name} is not a database URL"
    return _password(name, password or "", f"{name} has no password")


def _minio(values):
    found = []
    access = values.get("MINIO_ACCESS_KEY") or ""
    if not access:
        found.append("MINIO_ACCESS_KEY is missing")
    elif _known(access):
        found.append("MINIO_ACCESS_KEY is a known default")
    found.append(_password("MINIO_SECRET_KEY", values.get("MINIO_SECRET_KEY") or "",
                           "MINIO_SECRET_KEY is missing"))
    return found


def problems(component, values=None):
    """What is wrong with `component`'s secrets ("gateway" or a service name),
    read from `values` (the environment by default). Empty: fine."""
    if component != "gateway" and component not in SERVICES:
        raise ValueError(f"unknown component {component!r}")
    development = is_development(values)
    values = os.environ if values is None else values
    if development:
        return [] if values.get("ACTOR_SIGNING_KEY") else ["ACTOR_SIGNING_KEY is missing"]
    found = [_key(values, "ACTOR_SIGNING_KEY"), _amqp(values)]
    if component == "gateway":
        found.append(_key(values, "SECRET_KEY"))
        if values.get("SECRET_KEY") and values.get("SECRET_KEY") == values.get("ACTOR_SIGNING_KEY"):
            found.append("ACTOR_SIGNING_KEY must differ from SECRET_KEY")
    else:
        found.append(_database(values, component))
        if component == "documents":
            found.extend(_minio(values))
    return [problem for problem in found if problem]


def check(component, values=None, log=None):
    """Raises InsecureConfiguration, after one log line, when `problems` finds any."""
    found = problems(component, values)
    if not found:
        return
    if is_development(values):
        message = (f"{component} refuses to start: " + "; ".join(found) + " (the gateway and "
                   "the services must share it; `make run` generates one in var/)")
    else:
        message = (f"{component} refuses to start in production (APP_ENV is not development): "
                   + "; ".join(found) + ". Set them (see .env.example and deploy/README.md).")
    (log or logging.getLogger(__name__)).critical(message)
    raise InsecureConfiguration(message)
