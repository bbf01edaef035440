"""Login sessions, server side. The gateway's cookie carries only an opaque
session id (256 random bits); this table keeps its SHA-256 and whose session
it is. The gateway checks it on every authenticated request (check_session,
its positive answer cached a few seconds), so:

- logging out ends that session at once;
- a new password, a confirmed or refused email change, a deleted account, a
  disabled staff user or a staff password changed by an administrator end
  every session of that user.

A session also remembers how and when the user last proved who they are: a
CAS login counts as proof for a few minutes (REAUTH_MINUTES), which is what an
internal student (no password here) shows to change their address or delete
their account.
"""
import secrets
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from services.common.config import env

from .. import domain
from ..models import LoginSession

METHODS = ("password", "cas")
KEEP_ENDED = timedelta(days=1)  # ended and expired rows are purged after that


def lifetime():
    """SESSION_HOURS (12): the same variable sets the gateway's cookie lifetime."""
    return timedelta(hours=float(env("SESSION_HOURS", "12")))


def reauth_window():
    return timedelta(minutes=float(env("REAUTH_MINUTES", "10")))


def start(session, now, method, candidate_id=None, staff_id=None):
    """A new session of the candidate or staff user; -> its id, which only the
    gateway's cookie will hold."""
    raw = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=domain.token_hash(raw), candidate_id=candidate_id,
                             staff_id=staff_id, method=method, created_at=now,
                             authenticated_at=now, expires_at=now + lifetime()))
    session.flush()
    return raw


def find(session, raw, lock=False):
    """The session of this id, live or not, or None."""
    if not isinstance(raw, str) or not raw:
        return None
    query = select(LoginSession).where(LoginSession.token_hash == domain.token_hash(raw))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def live(session, raw, now):
    """The session this id opens, if it is neither ended nor expired."""
    row = find(session, raw)
    return row if row is not None and row.ended_at is None and row.expires_at > now else None


def end(row, now, reason):
    row.ended_at, row.end_reason = now, reason


def end_all(session, now, reason, candidate_id=None, staff_id=None, keep=None):
    """Ends every live session of the candidate (or staff user), but `keep`
    (a session id) when given; -> how many were ended."""
    owner = (LoginSession.candidate_id == candidate_id if candidate_id is not None
             else LoginSession.staff_id == staff_id)
    statement = update(LoginSession).where(owner, LoginSession.ended_at.is_(None))
    if keep:
        statement = statement.where(LoginSession.token_hash != domain.token_hash(keep))
    result = session.execute(statement.values(ended_at=now, end_reason=reason)
                             .execution_options(synchronize_session=False))
    return result.rowcount


def is_fresh_cas_login(row, candidate_id, now):
    """This session is the candidate's, opened by CAS a few minutes ago at most."""
    return (row is not None and row.candidate_id == candidate_id and row.method == "cas"
            and now - row.authenticated_at <= reauth_window())


def forget_old(session, now):
    """The purge job drops sessions ended or expired for a day."""
    limit = now - KEEP_ENDED
    session.execute(delete(LoginSession).where(or_(LoginSession.ended_at <= limit,
                                                   LoginSession.expires_at <= limit)))
