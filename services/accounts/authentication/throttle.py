"""Slowing down repeated failed logins.

Two counters apply to every attempt: one per account (or, for a login that
matches no account, per login text, so the answer never tells which accounts
exist), whatever the client address, and one per client address whatever the
account (addresses stored hashed). After `threshold` consecutive failures the
next attempt must wait 2^(failures - threshold) seconds after the last failure,
at most `cap`; an attempt made too early is refused without checking the
password and is not counted, so hammering during the wait does not lengthen it.

The account's counter does not depend on the address: spreading guesses over
many addresses slows the account down just the same. Its owner is never kept
out by someone else's guesses: from an address the account logged in from
within KNOWN_FOR, attempts count on a counter of that account and address
only (so only the owner's own failures there slow them down); elsewhere, the
wait is capped, a success clears it, and so does a new password
(`clear_account`, reached through "J'ai oublié mes identifiants", or an
administrator's for staff). Counters idle for FORGET_AFTER are dropped by the
purge job, known addresses after KNOWN_FOR.

The same table also bounds the mails a neutral flow sends to one address
(`mail_allowed`): at most MAIL_LIMIT mails of a flow per recipient per
MAIL_WINDOW, so nobody can flood an inbox with activation, credentials or
email-change links; and the registrations from one client address
(`registration_wait`).
"""
import hashlib
import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from services.common.config import env

from ..models import LoginFailure

ACCOUNT = (5, 900)    # (threshold, cap in seconds): 15 min at most between guesses
ADDRESS = (20, 900)
FORGET_AFTER = timedelta(days=1)
KNOWN_FOR = timedelta(days=90)
LOCK_CLASS = 7301  # first key of the advisory locks taken on accounts' counters


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
    """What the account's counters start with (rows of earlier versions, kept
    per address, too)."""
    return f"{kind}:{account_id}:"


def account_key(kind, account_id):
    """The account's counter, whatever the address trying."""
    return account_prefix(kind, account_id) + "any"


def known_key(kind, account_id, address):
    """Marks an address the account logged in from."""
    return account_prefix(kind, account_id) + "known:" + _digest(address)


def from_key(kind, account_id, address):
    """The account's counter for attempts from one of its known addresses."""
    return account_prefix(kind, account_id) + "from:" + _digest(address)


def login_key(kind, login):
    """For a login that matches no account: throttled the same way, so probing
    does not reveal which logins exist."""
    return f"{kind}-login:{_digest(login.strip().lower())}"


def address_key(address):
    return f"address:{_digest(address)}"


def _address(address):
    return address.strip() if isinstance(address, str) else ""


def keys_for(kind, account, login, address, known=False):
    """[(key, policy)] that apply to this attempt; `known`: the account logged
    in from this address before (is_known)."""
    address = _address(address)
    if account is None:
        first = login_key(kind, login)
    elif known and address:
        first = from_key(kind, account.id, address)
    else:
        first = account_key(kind, account.id)
    keys = [(first, ACCOUNT)]
    if address:
        keys.append((address_key(address), ADDRESS))
    return keys


def is_known(session, kind, account, address):
    address = _address(address)
    if account is None or not address:
        return False
    return session.get(LoginFailure, known_key(kind, account.id, address)) is not None


def remember_address(session, kind, account, address, now):
    """After a success: this address is the account's for KNOWN_FOR."""
    address = _address(address)
    if account is None or not address:
        return
    statement = insert(LoginFailure).values(key=known_key(kind, account.id, address),
                                            failures=0, last_failure_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                    set_={"last_failure_at": now}))


def take_turn(session, keys):
    """Attempts on one account (or login text) are checked one at a time, until
    the transaction ends: guesses sent all at once from many addresses would
    otherwise all be checked before the first failure is counted."""
    session.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, func.hashtext(keys[0][0]))))


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
    """Every counter of the account (a new password)."""
    session.execute(delete(LoginFailure).where(
        LoginFailure.key.startswith(account_prefix(kind, account_id), autoescape=True)))


# -- mails of the neutral flows, registrations ------------------------------------------

MAIL_LIMIT = 3
MAIL_WINDOW = timedelta(hours=1)
REGISTRATION_WINDOW = timedelta(hours=1)


def registration_limit():
    """REGISTRATIONS_PER_HOUR: accounts one client address may ask for per hour
    (a campus or a lycée behind one address registers many students)."""
    return int(env("REGISTRATIONS_PER_HOUR", "20"))


def mail_key(flow, email):
    return f"mail-{flow}:{_digest(email.strip().lower())}"


def registration_key(address):
    return f"register:{_digest(address)}"


def _take(session, key, limit, window, now):
    """Counts one more use of `key` if fewer than `limit` were counted in the
    window; -> 0 when counted, else the whole seconds until the window ends.
    The window starts with the first use (the row's `last_failure_at` holds
    that start, `failures` the uses since)."""
    row = session.scalars(select(LoginFailure).where(LoginFailure.key == key)
                          .with_for_update()).first()
    if row is None:
        statement = insert(LoginFailure).values(key=key, failures=1, last_failure_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["key"], set_={"failures": LoginFailure.failures + 1}))
        return 0
    if now - row.last_failure_at >= window:
        row.failures, row.last_failure_at = 1, now
        return 0
    if row.failures >= limit:
        return max(1, math.ceil((row.last_failure_at + window - now).total_seconds()))
    row.failures += 1
    return 0


def mail_allowed(session, flow, email, now):
    """Whether one more mail of `flow` may go to `email` now; counts it if so."""
    return _take(session, mail_key(flow, email), MAIL_LIMIT, MAIL_WINDOW, now) == 0


def registration_wait(session, address, now):
    """0 when one more registration from `address` may go ahead (counted), else
    the seconds to wait. Without an address (a caller that gives none) nothing
    is counted."""
    address = address.strip() if isinstance(address, str) else ""
    if not address:
        return 0
    return _take(session, registration_key(address), registration_limit(),
                 REGISTRATION_WINDOW, now)


def forget_old_counts(session, now):
    """The purge job drops the mail and registration counts whose window is
    over, login failures idle for FORGET_AFTER and addresses an account has
    not logged in from for KNOWN_FOR."""
    known = LoginFailure.key.contains(":known:")
    session.execute(delete(LoginFailure).where(
        (LoginFailure.key.startswith("mail-") & (LoginFailure.last_failure_at <= now - MAIL_WINDOW))
        | (LoginFailure.key.startswith("register:")
           & (LoginFailure.last_failure_at <= now - REGISTRATION_WINDOW))
        | (~known & (LoginFailure.last_failure_at <= now - FORGET_AFTER))
        | (known & (LoginFailure.last_failure_at <= now - KNOWN_FOR))))
