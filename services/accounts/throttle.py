"""Slowing down repeated failed logins (DOMAIN.md 2, issue 3).

Counters are kept per account and client address together (or, for a login
that matches no account, per login text and address, so the answer never tells
which accounts exist) and per client address alone (addresses stored hashed).
After `threshold` consecutive failures the next attempt must wait
2^(failures - threshold) seconds after the last failure, at most `cap`. The
account's counter is the one of the address trying: an attacker hammering an
account from their address slows only themself down, the candidate logging in
from elsewhere is not kept out. A success clears the counters of the account
at that address and of the address.

The same table also bounds the mails a neutral flow sends to one address
(`mail_allowed`): at most MAIL_LIMIT mails of a flow per recipient per
MAIL_WINDOW, so nobody can flood an inbox with activation, credentials or
email-change links.
"""
import hashlib
import math
from datetime import timedelta

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


def account_prefix(kind, account_id):
    """What every counter of this account starts with, whatever the address."""
    return f"{kind}:{account_id}:"


def account_key(kind, account_id, address=""):
    """The account's counter for attempts from `address`."""
    return account_prefix(kind, account_id) + _digest(address)


def login_key(kind, login, address=""):
    """For a login that matches no account: throttled the same way, so probing
    does not reveal which logins exist."""
    return f"{kind}-login:{_digest(login.strip().lower() + chr(10) + address)}"


def address_key(address):
    return f"address:{_digest(address)}"


def keys_for(kind, account, login, address):
    """[(key, policy)] that apply to this attempt."""
    address = address.strip() if isinstance(address, str) else ""
    keys = [(account_key(kind, account.id, address) if account is not None
             else login_key(kind, login, address), ACCOUNT)]
    if address:
        keys.append((address_key(address), ADDRESS))
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


def clear_account(session, kind, account_id):
    """Every counter of the account, from every address (a new password)."""
    session.execute(delete(LoginFailure).where(
        LoginFailure.key.startswith(account_prefix(kind, account_id), autoescape=True)))


# -- mails of the neutral flows ----------------------------------------------------------

MAIL_LIMIT = 3
MAIL_WINDOW = timedelta(hours=1)


def mail_key(flow, email):
    return f"mail-{flow}:{_digest(email.strip().lower())}"


def mail_allowed(session, flow, email, now):
    """Whether one more mail of `flow` may go to `email` now; counts it if so.
    The window starts with the first mail sent to the address (the row's
    `last_failure_at` holds that start, `failures` the mails sent since)."""
    key = mail_key(flow, email)
    row = session.scalars(select(LoginFailure).where(LoginFailure.key == key)
                          .with_for_update()).first()
    if row is None:
        statement = insert(LoginFailure).values(key=key, failures=1, last_failure_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["key"], set_={"failures": LoginFailure.failures + 1}))
        return True
    if now - row.last_failure_at >= MAIL_WINDOW:
        row.failures, row.last_failure_at = 1, now
        return True
    if row.failures >= MAIL_LIMIT:
        return False
    row.failures += 1
    return True


def forget_old_mail_counts(session, now):
    """The purge job drops the counts whose window is over."""
    session.execute(delete(LoginFailure).where(LoginFailure.key.startswith("mail-"),
                                               LoginFailure.last_failure_at <= now - MAIL_WINDOW))
