"""The statements of the applications service (its entrypoints stay thin): reads
and bulk writes, each taking the worker's session."""
from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from services.common import actors

from . import models
from .models import Application, ApplicationPiece, ApplicationTag, Decision, json_text


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


def candidate_applications(session, candidate_id, full=False):
    """The candidate's applications, newest first, with what their summaries
    (full: their whole views) read loaded in one statement per relation,
    however many applications there are."""
    relations = (Application.decisions, Application.pieces, Application.history) if full \
        else (Application.decisions,)
    return list(session.scalars(
        select(Application).where(Application.candidate_id == candidate_id)
        .options(*(selectinload(relation) for relation in relations))
        .order_by(Application.created_at.desc(), Application.id.desc())))


# -- the staff list ------------------------------------------------------------------

# Each sort of the list: its key's expressions (the same as the indexes' of
# models.py and migration 0005, so that they serve it).
STAFF_SORTS = {"candidate": models.CANDIDATE_NAME, "formation": models.FORMATION_LABEL,
               "status": (Application.status,), "transmitted": (Application.transmitted_at,)}
DEFAULT_SORT = "-transmitted"  # the latest transmissions first, untransmitted ones last


def _order(sort):
    """ORDER BY of a sort key ("candidate", "-transmitted"...): missing values
    last either way, then the id in the same direction, so that rows of equal
    keys keep one order from page to page. The id is never missing: no NULLS
    clause on it, or its index order would not match."""
    descending = sort.startswith("-")
    keys = [e.desc().nulls_last() if descending else e.asc()  # ASC puts NULLs last
            for e in STAFF_SORTS[sort.lstrip("-")]]
    return [*keys, Application.id.desc() if descending else Application.id.asc()]


def _staff_scope(query, actor, filters):
    """The filters and the actor's scope as WHERE clauses; filters already
    validated (schemas.list_filters), the filtered centre already checked."""
    if actor.get("role") == "committee":  # their commissions' transmitted files only
        query = query.where(models.COMMISSION_CODE.in_(sorted(actor.get("commissions") or ())),
                            Application.transmitted_at.is_not(None))
    elif actors.staff_centres(actor) is not None:
        query = query.where(Application.centre_code.in_(sorted(actors.staff_centres(actor))))
    if filters.get("centre"):
        query = query.where(Application.centre_code == filters["centre"])
    if filters.get("candidate"):
        query = query.where(Application.candidate_id == int(filters["candidate"]))
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
            *(json_text(Application.candidate, key).icontains(q, autoescape=True)
              for key in ("last_name", "first_name", "dossier_number", "email")),
            Application.formation_code.icontains(q, autoescape=True),
            json_text(Application.formation, "label").icontains(q, autoescape=True)))
    if filters.get("tag"):
        query = query.where(_tagged(filters["tag"]))
    return query


def _tagged(tag_code):
    """The application carries this tag (index ix_application_tags_tag_application)."""
    return exists().where(ApplicationTag.tag_code == tag_code,
                          ApplicationTag.application_id == Application.id)


def _last_decision(validated):
    """Correlated subquery: the code of the application's last validated
    decision, or (validated False) of its last entered one if that one waits
    for validation (Application.last_validated, Application.pending_decision)."""
    query = select(Decision.code if validated else case((Decision.validated_at.is_(None),
                                                          Decision.code))) \
        .where(Decision.application_id == Application.id)
    if validated:
        query = query.where(Decision.validated_at.is_not(None)).order_by(
            Decision.validated_at.desc(), Decision.id.desc())
    else:
        query = query.order_by(Decision.id.desc())
    return query.limit(1).correlate(Application).scalar_subquery()


LIST_COLUMNS = (
    Application.id, Application.status, Application.cancelled_at.is_not(None),
    Application.archived_at.is_not(None), Application.transmitted_at,
    Application.formation_code, json_text(Application.formation, "label"),
    Application.centre_code, Application.candidate_id,
    *(json_text(Application.candidate, key)
      for key in ("dossier_number", "first_name", "last_name", "email")),
    _last_decision(validated=True), _last_decision(validated=False))


def staff_list(session, actor, filters, page, per_page, sort):
    """One page of the staff list: (total, page, rows of LIST_COLUMNS), page
    brought within the pages there are. Offset pagination: the page shows
    "page x of y" and jumps to any page, sorts on several columns (some
    missing), and a centre's list is a few thousand rows, so OFFSET skips
    at most that many index entries."""
    where = _staff_scope(select(func.count()).select_from(Application), actor, filters)
    total = session.scalar(where)
    page = max(1, min(page, -(-total // per_page)))
    rows = session.execute(
        _staff_scope(select(*LIST_COLUMNS), actor, filters)
        .order_by(*_order(sort or DEFAULT_SORT))
        .offset((page - 1) * per_page).limit(per_page)).all()
    return total, page, rows


def staff_ids(session, actor, filters, limit):
    """The ids of the applications the staff list shows with these filters
    (the same WHERE as staff_list), by id, at most `limit`."""
    return list(session.scalars(_staff_scope(select(Application.id), actor, filters)
                                .order_by(Application.id).limit(limit)))
