"""The statements of the documents service (its entrypoints stay thin), each
taking the worker's session."""
from sqlalchemy import case, func, select, text
from sqlalchemy.dialects.postgresql import insert

from . import domain
from .models import ApplicationCampaign, ArchivedCampaign, DeletedCandidate, Document, PieceFile

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
    """The candidate's stored files, oldest first: each piece as merged (its
    files are in it), letters."""
    return list(session.scalars(
        select(Document).where(Document.candidate_id == candidate_id,
                               Document.status == domain.STORED,
                               Document.kind != domain.PART)
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
    kept = Document.status.in_((domain.STORED, domain.SCANNING))
    counted = case((kept, Document.size),
                   else_=func.coalesce(Document.declared_size, Document.max_size))
    # A merged piece is a copy of its files, which count: it counts only when it
    # has none (made before files were merged).
    merged = select(PieceFile.bundle_id).where(PieceFile.bundle_id == Document.id).exists()
    query = select(func.coalesce(func.sum(counted), 0)).where(
        Document.candidate_id == candidate_id,
        (Document.kind == domain.PART) | ((Document.kind == domain.PIECE) & ~merged),
        kept
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
def parts(session, bundle_id):
    """The files a merged piece is made of, in the candidate's order."""
    return list(session.scalars(
        select(Document).join(PieceFile, PieceFile.part_id == Document.id)
        .where(PieceFile.bundle_id == bundle_id).order_by(PieceFile.position)))


def parts_of(session, bundle_ids):
    """{bundle id: [part, ...]} for several merged pieces."""
    rows = session.execute(
        select(PieceFile.bundle_id, Document).join(Document, PieceFile.part_id == Document.id)
        .where(PieceFile.bundle_id.in_(sorted(bundle_ids)))
        .order_by(PieceFile.bundle_id, PieceFile.position)).all()
    found = {}
    for bundle_id, part in rows:
        found.setdefault(bundle_id, []).append(part)
    return found


def still_used(session, part_id, except_bundle_id):
    """Whether another merged piece, not deleted, is made with this file."""
    return session.scalar(
        select(func.count()).select_from(PieceFile)
        .join(Document, PieceFile.bundle_id == Document.id)
        .where(PieceFile.part_id == part_id, PieceFile.bundle_id != except_bundle_id,
               Document.status != domain.DELETED)) > 0


def claim_waiting_scan(session):
    """The oldest file waiting for the scanner that no other worker holds, locked."""
    return session.scalars(
        select(Document).where(Document.status == domain.SCANNING)
        .order_by(Document.created_at).limit(1).with_for_update(skip_locked=True)).first()


def scanning_pieces(session, application_id):
    """The piece codes of an application with a file waiting for the virus scanner."""
    return sorted(session.scalars(
        select(Document.piece_code).where(Document.application_id == application_id,
                                          Document.status == domain.SCANNING).distinct()))


def same_bundle(session, part_ids):
    """A kept merged piece made of exactly these files in this order, or None."""
    candidates = session.scalars(
        select(Document).join(PieceFile, PieceFile.bundle_id == Document.id)
        .where(PieceFile.part_id == part_ids[-1], Document.status == domain.STORED)
        .order_by(Document.created_at.desc())).all()
    for bundle in candidates:
        if [p.id for p in parts(session, bundle.id)] == list(part_ids):
            return bundle
    return None
