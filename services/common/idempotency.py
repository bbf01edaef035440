"""Idempotent commands: a repeated click, a retry after an error page or a
request the broker delivers twice applies its change once.

The gateway puts a fresh random `idempotency_key` in every state-changing form
and passes it to the command. A command decorated with `@idempotent` (under
`@rpc`, with an `idempotency_key=None` keyword parameter) then runs at most
once per (service.method, actor, key):

- the key is claimed first, by an INSERT into the service's `idempotency_keys`
  table, in the same transaction as the command's changes and its stored
  answer (the command's own `self.db.commit()` calls are held until then); a
  concurrent duplicate blocks on that row until the first commits, then
  answers what the first answered;
- a repeat with the same key answers the stored result and changes nothing;
- the same key with other arguments is refused (Conflict `idempotency_key_reused`);
- a command that raises keeps no key: a retry runs it again (and usually
  meets the same refusal, or succeeds once the cause is gone);
- keys belong to the actor who sent them (a candidate's or staff member's id):
  nobody reads another's answer by guessing a key;
- keys are kept IDEMPOTENCY_KEY_HOURS (24 by default), then purged a few at
  a time by each new claim.

Without a key (internal callers, API clients, old forms) the command runs as
it always did. Arguments named in `secret=` (passwords) never reach the
table, not even hashed: they are left out of the arguments' fingerprint.
"""
import functools
import hashlib
import inspect
import json
from datetime import timedelta

from nameko.exceptions import IncorrectSignature
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from .clock import utcnow
from .config import env
from .db import json_safe
from .errors import Conflict, ValidationFailed

TABLE = "idempotency_keys"
KEY_REUSED = "idempotency_key_reused"
KEY_INVALID = "idempotency_key_invalid"
MAX_KEY_LENGTH = 100
PURGE_BATCH = 50  # expired keys a claim deletes: more than one, so the table shrinks


def idempotency_table(metadata: MetaData):
    """Add the `idempotency_keys` table to a service's metadata (and write its migration)."""
    return Table(
        TABLE, metadata,
        Column("method", String(100), primary_key=True),    # service.method
        Column("actor", String(100), primary_key=True),     # actor_identity()
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("fingerprint", String(64), nullable=False),  # of the other arguments
        Column("result", JSON, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    )


def key_lifetime():
    return timedelta(hours=float(env("IDEMPOTENCY_KEY_HOURS", "24")))


def actor_identity(actor):
    """Who owns a key: `candidate:12`, `staff:3`, `service:catalog`, `anonymous`.
    An anonymous visitor's keys are shared by all visitors, but a key is a
    fresh random value given to one browser only."""
    actor = actor if isinstance(actor, dict) else {}
    kind = str(actor.get("kind") or "anonymous")
    if kind in ("candidate", "staff"):
        return f"{kind}:{actor.get('id')}"
    if kind == "service":
        return f"service:{actor.get('name')}"
    return kind


def fingerprint(arguments):
    text = json.dumps(json_safe(arguments), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key):
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(KEY_INVALID, "idempotency_key: 1 to 100 characters",
                               fields={"idempotency_key": KEY_INVALID})
    return key


def idempotent(method=None, *, secret=()):
    """Decorate an RPC command (under `@rpc`) that takes `idempotency_key=None`."""
    if method is None:
        return functools.partial(idempotent, secret=secret)
    signature = inspect.signature(method)
    if "idempotency_key" not in signature.parameters:
        raise TypeError(f"{method.__name__}: an idempotent command takes idempotency_key=None")
    left_out = {"self", "actor", "idempotency_key", *secret}

    @functools.wraps(method)
    def wrapper(self, actor, *args, **kwargs):
        try:
            bound = signature.bind(self, actor, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None
        bound.apply_defaults()
        key = bound.arguments.get("idempotency_key")
        if key is None:
            return method(self, actor, *args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k not in left_out}
        return run_once(self.db, f"{type(self).name}.{method.__name__}", actor_identity(actor),
                        check_key(key), fingerprint(arguments),
                        lambda: method(self, actor, *args, **kwargs))
    wrapper.idempotent = True
    return wrapper


def run_once(db, method, actor, key, print_, command):
    """`command()` once for (method, actor, key) in `db` (a UnitOfWork); its
    answer, stored as JSON, is what every call with that key gets."""
    table = db.metadata.tables[TABLE]
    session = db.session
    now = utcnow()
    this = (table.c.method == method, table.c.actor == actor, table.c.key == key)
    purge(session, table, now)
    claimed = session.execute(
        insert(table).values(method=method, actor=actor, key=key, fingerprint=print_,
                             result=None, created_at=now)
        .on_conflict_do_nothing().returning(table.c.key)).first()
    if claimed is None:  # a repeat: the first is committed (its INSERT held us until then)
        first = session.execute(select(table.c.fingerprint, table.c.result).where(*this)).first()
        db.rollback()
        if first is None:  # purged in between (expired): a rare, late repeat
            raise Conflict(KEY_REUSED, "this key has expired; send a new one")
        if first.fingerprint != print_:
            raise Conflict(KEY_REUSED, "this idempotency key was used with other arguments")
        return first.result
    db.hold()
    try:
        result = json_safe(command())
    except BaseException:
        if db.hold_lost():
            raise
        db.release_after_error(lambda: session.execute(delete(table).where(*this)))
        raise
    if db.hold_lost():
        # The command rolled its own transaction back (and the claim with it),
        # then committed without it: store the answer on its own now.
        session.execute(insert(table).values(
            method=method, actor=actor, key=key, fingerprint=print_, result=result,
            created_at=now).on_conflict_do_nothing())
        db.commit()
        return result
    session.execute(table.update().where(*this).values(result=result))
    db.release()
    return result


def purge(session, table, now):
    """Delete a few expired keys (never waiting on a row another worker holds)."""
    expired = (select(table.c.method, table.c.actor, table.c.key)
               .where(table.c.created_at < now - key_lifetime())
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    session.execute(delete(table).where(
        tuple_(table.c.method, table.c.actor, table.c.key).in_(expired)))
