"""The statements of the notifications service (its entrypoints stay thin),
each taking the worker's session. The delivery loop's claims lock with SKIP
LOCKED so that any number of instances share the mails, each taking a
different one."""
from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.orm import aliased

from .models import Mail, Recipient, TemplateVersion

FAILED = ("failed", "refused", "unconfirmed")


def forget_candidate(session, candidate_id):
    """The candidate's contact and every mail kept for them."""
    session.execute(delete(Mail).where(Mail.candidate_id == candidate_id))
    session.execute(delete(Recipient).where(Recipient.candidate_id == candidate_id))


def mails(session, candidate_id, centres=None, commissions=None, audience=None):
    """A candidate's mails, newest first; `centres` or `commissions` (when not
    None) keep only those about an application of one of them; centre staff
    also read the candidate's account mails if they have such an application
    (a mail of it says so); `audience` keeps only those written to the candidate."""
    query = select(Mail).where(Mail.candidate_id == candidate_id)
    if audience is not None:
        query = query.where(Mail.audience == audience)
    if commissions is not None:
        query = query.where(Mail.commission_code.in_(list(commissions)))
    if centres is not None:
        centres = list(centres)
        other = aliased(Mail)
        has_application = exists().where(other.candidate_id == candidate_id,
                                         other.centre_code.in_(centres))
        query = query.where(or_(Mail.centre_code.in_(centres),
                                and_(Mail.centre_code.is_(None), has_application)))
    return session.scalars(query.order_by(Mail.created_at.desc(), Mail.id.desc())).all()


def failed_mails(session, since=None, ids=None, limit=500, lock=False):
    """Mails given up on (failed, refused, unconfirmed), latest attempt first;
    `since`: whose last attempt is at or after it; `ids`: those only."""
    query = select(Mail).where(Mail.status.in_(FAILED))
    if since is not None:
        query = query.where(Mail.last_attempt_at >= since)
    if ids is not None:
        query = query.where(Mail.id.in_(list(ids)))
    query = query.order_by(Mail.last_attempt_at.desc().nulls_last(), Mail.id.desc()).limit(limit)
    if lock:
        query = query.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    return session.scalars(query).all()


def template_in_force(session, code, lang):
    """The latest saved version of (code, lang), or None (the shipped file)."""
    return session.scalars(
        select(TemplateVersion).where(TemplateVersion.code == code, TemplateVersion.lang == lang)
        .order_by(TemplateVersion.version.desc()).limit(1)).first()


def template_versions(session, code, lang):
    return session.scalars(
        select(TemplateVersion).where(TemplateVersion.code == code, TemplateVersion.lang == lang)
        .order_by(TemplateVersion.version.desc())).all()


def template_version(session, code, lang, version):
    return session.scalars(
        select(TemplateVersion).where(TemplateVersion.code == code, TemplateVersion.lang == lang,
                                      TemplateVersion.version == version)).first()


def edited_templates(session):
    """{(code, lang): latest version row} of the templates ever saved."""
    rows = session.scalars(select(TemplateVersion).order_by(
        TemplateVersion.code, TemplateVersion.lang, TemplateVersion.version)).all()
    return {(row.code, row.lang): row for row in rows}


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


def commissions_with_held_alerts(session, before):
    return session.scalars(
        select(Mail.commission_code).where(Mail.status == "held", Mail.created_at < before)
        .distinct()).all()


def held_alerts(session, commission_code, before):
    """A commission's alerts waiting for its digest, locked (another instance
    making the same digest waits, then finds them digested)."""
    return session.scalars(
        select(Mail).where(Mail.status == "held", Mail.commission_code == commission_code,
                           Mail.created_at < before)
        .order_by(Mail.created_at, Mail.id).with_for_update()
        .execution_options(populate_existing=True)).all()
