"""Slowing down repeated failed logins (DOMAIN.md 2, issue 3).

Counters are kept per account (or, for a login that matches no account, per
login text, so the answer never tells which accounts exist) and per client
address (stored hashed). After `threshold` consecutive failures the next attempt
must wait 2^(failures - threshold) seconds after the last failure, at most `cap`:
an attacker can slow a candidate down, never lock them out. A success clears
the counters of the account and of the address.
"""
import hashlib
import math

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from .models import LoginFailure

ACCOUNT = (5, 60)     # (threshold, cap in seconds)
ADDRESS = (20, 900)


def wait_seconds(failures, policy):
    """How long after the last failure the next attempt must wait."""
    threshold, cap = policy
    if failures < threshold:
        return 0
    return min(cap, 2 ** (failures - threshold))


def remaining(failures, last_failure_at, now, policy):
    """Whole seconds still to wait at `now` (0: the attempt may go ahead)."""
    left = wait_seconds(failures, policy) - (now - last_failure_at).total_seconds()
    return max(0, math.ceil(left))


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def account_key(kind, account_id):
    return f"{kind}:{account_id}"


def login_key(kind, login):
    """For a login that matches no account: throttled the same way, so probing
    does not reveal which logins exist."""
    return f"{kind}-login:{_digest(login.strip().lower())}"


def address_key(address):
    return f"address:{_digest(address)}"


def keys_for(kind, account, login, address):
    """[(key, policy)] that apply to this attempt."""
    keys = [(account_key(kind, account.id) if account is not None else login_key(kind, login),
             ACCOUNT)]
    if isinstance(address, str) and address.strip():
        keys.append((address_key(address.strip()), ADDRESS))
    return keys


def retry_after(session, keys, now):
    """Seconds to wait before this attempt may be checked, 0 if none."""
    rows = {row.key: row for row in session.scalars(
        select(LoginFailure).where(LoginFailure.key.in_([key for key, _ in keys])))}
    waits = [remaining(rows[key].failures, rows[key].last_failure_at, now, policy)
             for key, policy in keys if key in rows]
    return max(waits, default=0)


def record_failure(session, keys, now):
    for key, _ in keys:
        statement = insert(LoginFailure).values(key=key, failures=1, last_failure_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"failures": LoginFailure.failures + 1, "last_failure_at": now}))


def clear(session, keys):
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_([key for key, _ in keys])))
