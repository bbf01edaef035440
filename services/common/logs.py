"""Logs of the platform's processes: one JSON object per line, following a click.

- `setup(service)` (services/common/serve.py): every record of a service is
  written to stderr as one JSON object: time, level, service, logger, message,
  the request id of the click that caused it and the kind of actor, plus the
  exception if any. Secrets never reach it: links (which carry activation or
  reset tokens), `password=`/`token=`-like values and long opaque strings are
  masked in the message and the traceback.
- Request id: the gateway gives each HTTP request one (or keeps a well-formed
  X-Request-ID it received) and sends it with every RPC in nameko's context
  data (`request_id`), which nameko passes on to the RPCs a service makes in
  turn; the outbox keeps it with the event row and the relay sends it as the
  event's header, so handlers log it too. `LogContext` (a dependency of every
  service, services/common/service_base.py) makes it, and the actor's kind,
  the current worker's for the log lines.
- `quiet_console()`: what a newcomer running the platform need not read
  (eventlet's deprecation banner, py-amqp's notice of an acknowledgement
  arriving on a closing channel).

Nothing here imports eventlet or nameko at module level: `quiet_console` must
run before eventlet is first imported.
"""
import functools
import json
import logging
import re
import sys
import time
import uuid
import warnings
import weakref
from datetime import datetime, timezone

from greenlet import getcurrent

REQUEST_ID = "request_id"           # key in nameko's context data and the outbox row
REQUEST_ID_HEADER = "X-Request-ID"  # HTTP, in and out of the gateway
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
MASK = "[masqué]"

log = logging.getLogger(__name__)

LINK = re.compile(r"\b(https?://[^/?#\s\"'<>]+)[^\s\"'<>]*", re.IGNORECASE)
USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@/\s]+@", re.IGNORECASE)
SECRET_VALUE = re.compile(
    r"\b((?:password|passwd|mot_de_passe|secret|token|ticket|signature|api_key|authorization)"
    r"\w*['\"]?\s*[=:]\s*['\"]?)[^\s'\",&)}\]]+", re.IGNORECASE)
OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=.]{32,}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def new_request_id():
    return uuid.uuid4().hex


def well_formed(value):
    """An incoming X-Request-ID is kept only if it cannot forge a log line."""
    return bool(value) and WELL_FORMED.fullmatch(value) is not None


def _opaque(match):
    text = match.group(0)
    if UUID.fullmatch(text) or not (re.search(r"\d", text) and re.search(r"[A-Za-z]", text)):
        return text  # an event id, a path, a word: not a secret
    return MASK


def redact(text):
    """`text` without links' paths, secret-looking values and tokens."""
    if not text:
        return text
    text = USERINFO.sub(r"\g<1>" + MASK + "@", text)  # postgresql://user:password@host
    text = LINK.sub(lambda m: m.group(1) + ("/" + MASK if len(m.group(0)) > len(m.group(1)) else ""),
                    text)
    text = SECRET_VALUE.sub(r"\g<1>" + MASK, text)
    return OPAQUE.sub(_opaque, text)


# -- the current worker's context --
# Keyed by greenlet, not a threading.local: this module is imported before
# eventlet's monkey patch, and each green thread (each OS thread too) is its own greenlet.

_contexts = weakref.WeakKeyDictionary()


def current():
    """(request id, actor kind) of the running worker, or (None, None)."""
    return _contexts.get(getcurrent(), (None, None))


def current_request_id():
    return current()[0]


def bind(request_id=None, actor=None):
    if request_id is None and actor is None:
        _contexts.pop(getcurrent(), None)
    else:
        _contexts[getcurrent()] = (request_id, actor)


def _actor_kind(worker_ctx):
    from nameko.rpc import Rpc
    if isinstance(worker_ctx.entrypoint, Rpc) and worker_ctx.args:
        actor = worker_ctx.args[0]
        if isinstance(actor, dict):
            return actor.get("kind")
    return None


def _describe(worker_ctx):
    from nameko.events import EventHandler
    entrypoint = worker_ctx.entrypoint
    method = f"{worker_ctx.service_name}.{entrypoint.method_name}"
    if isinstance(entrypoint, EventHandler):
        return f"event {entrypoint.source_service}.{entrypoint.event_type} -> {method}"
    return f"rpc {method}"


@functools.cache
def _log_context_class():
    from nameko.extensions import DependencyProvider

    class LogContext(DependencyProvider):
        """Binds the worker's request id and actor kind for its log lines, and
        logs one line per RPC or event handled (what, outcome, how long): the
        trail of a click through the services."""

        def setup(self):
            self.started = {}

        def worker_setup(self, worker_ctx):
            request_id = worker_ctx.data.get(REQUEST_ID)
            bind(request_id if isinstance(request_id, str) else None, _actor_kind(worker_ctx))
            self.started[worker_ctx] = time.monotonic()

        def worker_result(self, worker_ctx, result=None, exc_info=None):
            began = self.started.pop(worker_ctx, None)
            elapsed = 0 if began is None else (time.monotonic() - began) * 1000
            # the error's class only: its message may quote what the user typed
            outcome = "ok" if exc_info is None else exc_info[0].__name__
            log.info("%s %s in %.0f ms", _describe(worker_ctx), outcome, elapsed)

        def worker_teardown(self, worker_ctx):
            self.started.pop(worker_ctx, None)
            bind()

    return LogContext


def LogContext():
    return _log_context_class()()


class JsonFormatter(logging.Formatter):
    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": current()[0],
            "actor": current()[1],
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup(service, level="INFO", stream=None):
    """Every record of this process as a JSON line on `stream` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # a warning becomes a JSON line too
    return handler


class _ClosingChannelNotice(logging.Filter):
    def filter(self, record):
        return not str(record.msg).startswith("Received method %s during closing channel")


def quiet_console():
    # The platform runs on nameko, hence on eventlet: its banner says nothing
    # to someone running or operating the platform.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    # A publisher confirmation arriving after a client closed its channel:
    # harmless, and printed for every short-lived RPC client (health checks, seeds).
    amqp = logging.getLogger("amqp")
    if not any(isinstance(f, _ClosingChannelNotice) for f in amqp.filters):
        amqp.addFilter(_ClosingChannelNotice())
