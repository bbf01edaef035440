"""The statements of the applications service (its entrypoints stay thin): reads
and bulk writes, each taking the worker's session."""
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from .models import Application, ApplicationPiece


def _of_campaign(campaign_code):
    return Application.campaign_code == str(campaign_code or "")


def active_counts(session, candidate_id, centre_code, campaign_code):
    """(active applications in this centre, active applications in all centres),
    of the campaign given only: cancelled ones and other campaigns' do not count."""
    rows = session.execute(
        select(Application.centre_code, func.count())
        .where(Application.candidate_id == candidate_id, Application.cancelled_at.is_(None),
               _of_campaign(campaign_code))
        .group_by(Application.centre_code)).all()
    return (sum(n for centre, n in rows if centre == centre_code), sum(n for _, n in rows))


def active_applications(session, candidate_id, campaign_code):
    """[(formation code, centre code, centre as taken at creation)] of the
    candidate's active applications of that campaign, newest first."""
    return session.execute(
        select(Application.formation_code, Application.centre_code,
               Application.formation["centre"])
        .where(Application.candidate_id == candidate_id, Application.cancelled_at.is_(None),
               _of_campaign(campaign_code))
        .order_by(Application.created_at.desc(), Application.id.desc())).all()


def has_active_application(session, candidate_id, formation_code, campaign_code):
    return session.scalar(
        select(func.count()).select_from(Application)
        .where(Application.candidate_id == candidate_id,
               Application.formation_code == formation_code,
               Application.cancelled_at.is_(None), _of_campaign(campaign_code))) > 0


def formation_applications(session, formation_code, campaign_code, write=False):
    """The applications to a formation of a campaign, by id (locked for a write)."""
    query = (select(Application).where(Application.formation_code == formation_code,
                                       Application.campaign_code == campaign_code)
             .order_by(Application.id))
    return list(session.scalars(query.with_for_update() if write else query))


def archive_campaign(session, campaign_code, now):
    """The campaign's applications become read-only (those not archived yet)."""
    session.execute(update(Application)
                    .where(Application.campaign_code == campaign_code,
                           Application.archived_at.is_(None))
                    .values(archived_at=now))


def delete_candidate_applications(session, candidate_id):
    """Every application of the candidate, with its pieces, history and decisions
    (the foreign keys cascade)."""
    session.execute(delete(Application).where(Application.candidate_id == candidate_id))


def shared_pieces(session, candidate_id, code, except_application_id=None):
    """The same shared piece on the candidate's other active applications, locked."""
    query = (select(ApplicationPiece).join(Application)
             .where(Application.candidate_id == candidate_id,
                    Application.cancelled_at.is_(None),
                    ApplicationPiece.code == code,
                    ApplicationPiece.shared.is_(True))
             .order_by(ApplicationPiece.updated_at.desc(), ApplicationPiece.id.desc())
             .with_for_update(of=ApplicationPiece))
    if except_application_id is not None:
        query = query.where(Application.id != except_application_id)
    return list(session.scalars(query))


def unreferenced(session, document_ids):
    """Those documents no piece points to any more (after a flush)."""
    wanted = {d for d in document_ids if d}
    if not wanted:
        return []
    used = set(session.scalars(select(ApplicationPiece.document_id)
                               .where(ApplicationPiece.document_id.in_(wanted))))
    return sorted(wanted - used)


def candidate_applications(session, candidate_id):
    return list(session.scalars(
        select(Application).where(Application.candidate_id == candidate_id)
        .options(selectinload(Application.decisions))
        .order_by(Application.created_at.desc(), Application.id.desc())))


def staff_applications(session, centres, filters):
    """centres None = every centre; filters already validated (schemas.list_filters)."""
    query = select(Application).options(selectinload(Application.decisions))
    if centres is not None:
        query = query.where(Application.centre_code.in_(sorted(centres)))
    if filters.get("centre"):
        query = query.where(Application.centre_code == filters["centre"])
    status = filters.get("status")
    if status == "cancelled":
        query = query.where(Application.cancelled_at.is_not(None))
    else:
        query = query.where(Application.cancelled_at.is_(None))
        if status:
            query = query.where(Application.status == status)
    if filters.get("q"):
        q = filters["q"]
        query = query.where(or_(
            Application.candidate["last_name"].as_string().icontains(q, autoescape=True),
            Application.candidate["first_name"].as_string().icontains(q, autoescape=True),
            Application.candidate["dossier_number"].as_string().icontains(q, autoescape=True),
            Application.candidate["email"].as_string().icontains(q, autoescape=True),
            Application.formation_code.icontains(q, autoescape=True),
            Application.formation["label"].as_string().icontains(q, autoescape=True)))
    return list(session.scalars(query.order_by(Application.id)))
