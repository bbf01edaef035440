"""The statements of the notifications service (its entrypoints stay thin),
each taking the worker's session. The delivery loop's claims lock with SKIP
LOCKED so that any number of instances share the mails, each taking a
different one."""
from sqlalchemy import delete, select

from .models import Mail, Recipient


def forget_candidate(session, candidate_id):
    """The candidate's contact and every mail kept for them."""
    session.execute(delete(Mail).where(Mail.candidate_id == candidate_id))
    session.execute(delete(Recipient).where(Recipient.candidate_id == candidate_id))


def mails(session, candidate_id, centres=None, commissions=None):
    """A candidate's mails, newest first; `centres` or `commissions` (when not
    None) keep only those about an application of one of them."""
    query = select(Mail).where(Mail.candidate_id == candidate_id)
    if commissions is not None:
        query = query.where(Mail.commission_code.in_(list(commissions)))
    if centres is not None:
        query = query.where(Mail.centre_code.in_(list(centres)))
    return session.scalars(query.order_by(Mail.created_at.desc(), Mail.id.desc())).all()


def interrupted_mails(session, started_before, limit=100):
    """Mails whose attempt began before `started_before` and is still `sending`
    with no instance holding its row, locked."""
    return session.scalars(
        select(Mail).where(Mail.status == "sending", Mail.last_attempt_at < started_before)
        .with_for_update(skip_locked=True).limit(limit)
        .execution_options(populate_existing=True)).all()


def next_due_mail(session, now):
    """The queued mail due first that no other instance holds, locked; or None."""
    return session.scalars(
        select(Mail).where(Mail.status == "queued", Mail.next_attempt_at <= now)
        .order_by(Mail.next_attempt_at, Mail.id).limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()


def attempt_in_progress(session, mail_id, message_id):
    """The mail while this attempt (its Message-ID) is still the one being sent,
    locked; None when it was held as unconfirmed meanwhile or deleted."""
    return session.scalars(
        select(Mail).where(Mail.id == mail_id, Mail.status == "sending",
                           Mail.message_id == message_id)
        .with_for_update().execution_options(populate_existing=True)).first()
