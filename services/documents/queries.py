"""The statements of the documents service (its entrypoints stay thin), each
taking the worker's session."""
from sqlalchemy import case, func, select, text
from sqlalchemy.dialects.postgresql import insert

from . import domain
from .models import ApplicationCampaign, ArchivedCampaign, DeletedCandidate, Document

CANDIDATE_LOCK_SPACE = 7401  # first key of pg_advisory_xact_lock(space, candidate_id)


def lock_candidate(session, candidate_id):
    """One candidate's uploads are counted and changed one at a time (until the
    transaction ends)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"),
                    {"space": CANDIDATE_LOCK_SPACE, "id": int(candidate_id)})


def application_documents(session, application_id):
    """Every document of an application, locked."""
    return list(session.scalars(
        select(Document).where(Document.application_id == application_id).with_for_update()))


def candidate_documents(session, candidate_id):
    """Every document a candidate owns, whatever its status, locked."""
    return list(session.scalars(
        select(Document).where(Document.candidate_id == candidate_id).with_for_update()))


def stored_documents(session, candidate_id):
    """The candidate's stored files, oldest first."""
    return list(session.scalars(
        select(Document).where(Document.candidate_id == candidate_id,
                               Document.status == domain.STORED)
        .order_by(Document.created_at, Document.id)))


def pending_uploads(session, candidate_id):
    """The candidate's unfinished uploads."""
    return list(session.scalars(
        select(Document).where(Document.candidate_id == candidate_id,
                               Document.status == domain.PENDING)))


def admission_letter(session, application_id):
    """The application's kept admission letter, or None."""
    return session.scalars(
        select(Document).where(Document.application_id == application_id,
                               Document.kind == domain.ADMISSION_LETTER,
                               Document.status == domain.STORED)).first()


def used_bytes(session, candidate_id, now, except_ids=()):
    """Bytes the candidate's pieces take: stored files, and unfinished uploads
    still able to receive bytes (at their declared size)."""
    counted = case((Document.status == domain.STORED, Document.size),
                   else_=func.coalesce(Document.declared_size, Document.max_size))
    query = select(func.coalesce(func.sum(counted), 0)).where(
        Document.candidate_id == candidate_id, Document.kind == domain.PIECE,
        (Document.status == domain.STORED)
        | ((Document.status == domain.PENDING)
           & (Document.created_at >= now - domain.PENDING_LIFETIME)))
    if except_ids:
        query = query.where(Document.id.not_in(sorted(except_ids)))
    return int(session.scalar(query))


def remember_application(session, application_id, campaign_code, candidate_id):
    session.execute(insert(ApplicationCampaign).values(
        application_id=application_id, campaign_code=campaign_code[:20],
        candidate_id=int(candidate_id) if candidate_id is not None else None)
        .on_conflict_do_nothing())


def remember_archived_campaign(session, code, day):
    session.execute(insert(ArchivedCampaign).values(code=code[:20], archived_on=day)
                    .on_conflict_do_nothing())


def remember_deleted_candidate(session, candidate_id, now):
    session.execute(insert(DeletedCandidate).values(candidate_id=candidate_id, deleted_at=now)
                    .on_conflict_do_nothing())
