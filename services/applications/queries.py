"""The statements of the applications service (its entrypoints stay thin): reads
and bulk writes, each taking the worker's session."""
from datetime import datetime, time, timedelta

from sqlalchemy import Integer, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from services.common import actors, text
from services.common.clock import PARIS

from . import domain, models
from .models import Application, ApplicationPiece, Decision, json_text


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

def _decision_of(column, validated):
    """Correlated subquery: `column` of the application's last decision,
    validated=True: of its last validated one (Application.last_validated);
    None: of its last entered one, validated or not."""
    query = select(column).where(Decision.application_id == Application.id)
    if validated:
        query = query.where(Decision.validated_at.is_not(None)).order_by(
            Decision.validated_at.desc(), Decision.id.desc())
    else:
        query = query.order_by(Decision.id.desc())
    return query.limit(1).correlate(Application).scalar_subquery()


# What the list shows and filters on of the decisions: the last validated
# decision (what the candidate is told), the last entered one and whether it
# waits for validation (Application.pending_decision).
DECISION_CODE = _decision_of(Decision.code, validated=True)
DECIDED_AT = _decision_of(Decision.validated_at, validated=True)
DECISION_RANK = _decision_of(Decision.rank, validated=True)
LAST_ENTERED_CODE = _decision_of(Decision.code, validated=None)
PENDING_CODE = _decision_of(case((Decision.validated_at.is_(None), Decision.code)),
                            validated=None)

# Every column of the list a user may sort by: key -> the expressions of its
# order (those of the indexes of models.py where one serves it). The lifecycle
# columns, once on applications, are one line each here:
#   "treatment_type": (Application.treatment_type,), "rank": (Application.rank_real,),
#   "opi": (Application.opi_code,)
STAFF_SORTS = {
    "id": (Application.id,),
    "number": (json_text(Application.candidate, "dossier_number"),),
    "candidate": models.CANDIDATE_NAME,
    "email": (func.lower(json_text(Application.candidate, "email")),),
    "formation": models.FORMATION_LABEL,
    "formation_code": (Application.formation_code,),
    "centre": (Application.centre_code,),
    "commission": (models.COMMISSION_CODE,),
    "treatment_type": (models.TREATMENT_TYPE,),
    "status": (Application.status,),
    "created": (Application.created_at,),
    "transmitted": (Application.transmitted_at,),
    "decision": (DECISION_CODE,),
    "pending": (PENDING_CODE,),
    "decided": (DECIDED_AT,),
    "rank": (DECISION_RANK,),
    "confirmed": (Application.confirmed_at,),
    "withdrawn": (Application.withdrawn_at,),
}
DEFAULT_SORT = "-transmitted"  # the latest transmissions first, untransmitted ones last


def _order(sort):
    """ORDER BY of a sort key ("candidate", "-transmitted"...): missing values
    last either way, then the id in the same direction, so that rows of equal
    keys keep one order from page to page. The id is never missing: no NULLS
    clause on it, or its index order would not match."""
    descending = sort.startswith("-")
    keys = [e.desc().nulls_last() if descending else e.asc()  # ASC puts NULLs last
            for e in STAFF_SORTS[sort.lstrip("-")] if e is not Application.id]
    return [*keys, Application.id.desc() if descending else Application.id.asc()]


def _paris_start(day):
    """The first instant of a Paris calendar day (days are typed as the user sees them)."""
    return datetime.combine(day, time(), tzinfo=PARIS)


def _between(column, start, end):
    clauses = []
    if start is not None:
        clauses.append(column >= _paris_start(start))
    if end is not None:  # the whole last day included
        clauses.append(column < _paris_start(end + timedelta(days=1)))
    return and_(*clauses)


def _contains(column, typed):
    return text.sql_fold(column).contains(text.sql_folded_text(typed), autoescape=True)


def _search(q):
    return or_(
        *(json_text(Application.candidate, key).icontains(q, autoescape=True)
          for key in ("last_name", "first_name", "dossier_number", "email")),
        Application.formation_code.icontains(q, autoescape=True),
        json_text(Application.formation, "label").icontains(q, autoescape=True))


_ANSWERS = {
    "confirmed": and_(Application.confirmed_at.is_not(None), Application.withdrawn_at.is_(None)),
    "withdrawn": Application.withdrawn_at.is_not(None),
    "none": and_(Application.confirmed_at.is_(None), Application.withdrawn_at.is_(None)),
}

# Every filter of the list but status and the date ranges: name -> its WHERE
# clause for a value (already checked by schemas.list_filters). The tag
# filter (application_tags) is the bulk actions' and goes here, one line:
#   "tag": lambda v: <EXISTS application_tags of that code>,
FILTER_CLAUSES = {
    "centre": lambda v: Application.centre_code == v,
    "commission": lambda v: models.COMMISSION_CODE == v,
    "formation": lambda v: Application.formation_code == v,
    "candidate": lambda v: Application.candidate_id == int(v),
    "treatment_type": lambda v: models.TREATMENT_TYPE == v,
    "decision": lambda v: (LAST_ENTERED_CODE.is_(None) if v == "none"
                           else LAST_ENTERED_CODE == v),
    "validated": lambda v: (and_(LAST_ENTERED_CODE.is_not(None), PENDING_CODE.is_(None))
                            if v == "yes" else PENDING_CODE.is_not(None)),
    "answer": lambda v: _ANSWERS[v],
    "q": _search,
    "name": lambda v: or_(_contains(json_text(Application.candidate, "last_name"), v),
                          _contains(json_text(Application.candidate, "first_name"), v)),
    "number": lambda v: json_text(Application.candidate, "dossier_number").icontains(
        v, autoescape=True),
    "email": lambda v: json_text(Application.candidate, "email").icontains(v, autoescape=True),
}
# The date filters: name -> the column its from/to days bound.
DATE_FILTERS = {"created": Application.created_at, "transmitted": Application.transmitted_at,
                "decided": DECIDED_AT}


def _scope(query, actor):
    """The actor's scope as WHERE clauses."""
    if actor.get("role") == "committee":  # their commissions' transmitted files only
        return query.where(models.COMMISSION_CODE.in_(sorted(actor.get("commissions") or ())),
                           Application.transmitted_at.is_not(None))
    if actors.staff_centres(actor) is not None:
        return query.where(Application.centre_code.in_(sorted(actors.staff_centres(actor))))
    return query


def _staff_scope(query, actor, filters):
    """The filters and the actor's scope as WHERE clauses; filters already
    validated (schemas.list_filters), the filtered centre already checked."""
    query = _scope(query, actor)
    status = filters.get("status")
    if status == "cancelled":
        query = query.where(Application.cancelled_at.is_not(None))
    else:
        query = query.where(Application.cancelled_at.is_(None))
        if status:
            query = query.where(Application.status == status)
    for name, clause in FILTER_CLAUSES.items():
        if filters.get(name):
            query = query.where(clause(filters[name]))
    for name, column in DATE_FILTERS.items():
        start, end = filters.get(f"{name}_from"), filters.get(f"{name}_to")
        if start or end:
            query = query.where(_between(column, start, end))
    return query


# The columns of a list row (schemas.staff_list_item): name -> expression.
LIST_COLUMNS = {
    "id": Application.id, "status": Application.status,
    "cancelled": Application.cancelled_at.is_not(None),
    "archived": Application.archived_at.is_not(None),
    "created_at": Application.created_at, "transmitted_at": Application.transmitted_at,
    "confirmed_at": Application.confirmed_at, "withdrawn_at": Application.withdrawn_at,
    "formation_code": Application.formation_code,
    "formation_label": json_text(Application.formation, "label"),
    "treatment_type": models.TREATMENT_TYPE,
    "centre_code": Application.centre_code,
    "centre_label": json_text(Application.formation, "centre", "label"),
    "commission_code": models.COMMISSION_CODE,
    "commission_label": json_text(Application.formation, "commission", "label"),
    "candidate_id": Application.candidate_id,
    **{key: json_text(Application.candidate, key)
       for key in ("dossier_number", "first_name", "last_name", "email")},
    "decision": DECISION_CODE, "decided_at": DECIDED_AT, "rank": DECISION_RANK,
    "pending": PENDING_CODE,
}


def staff_list(session, actor, filters, page, per_page, sort):
    """One page of the staff list: (total, page, rows of LIST_COLUMNS), page
    brought within the pages there are. Offset pagination: the page shows
    "page x of y" and jumps to any page, sorts on several columns (some
    missing), and a centre's list is a few thousand rows, so OFFSET skips
    at most that many index entries. The page's ids first, then their
    columns: PostgreSQL computes a row's output (its decisions) before
    OFFSET skips it, so the skipped rows cost their sort key only."""
    where = _staff_scope(select(func.count()).select_from(Application), actor, filters)
    total = session.scalar(where)
    page = max(1, min(page, -(-total // per_page)))
    ids = list(session.scalars(
        _staff_scope(select(Application.id), actor, filters)
        .order_by(*_order(sort or DEFAULT_SORT))
        .offset((page - 1) * per_page).limit(per_page)))
    if not ids:
        return total, page, []
    rows = {row.id: row for row in session.execute(
        select(*(c.label(n) for n, c in LIST_COLUMNS.items())).where(Application.id.in_(ids)))}
    return total, page, [rows[i] for i in ids if i in rows]


# -- the dashboard -------------------------------------------------------------------

def staff_stats(session, actor, centre=None, formation=None):
    """Per (campaign, centre, formation) in the actor's scope: counts by file status and
    by validated decision, decisions waiting for validation, confirmed,
    withdrawn, cancelled, and the capacity the formation had when applied to.
    One GROUP BY over a subquery that reads each application's decisions once."""
    per_application = _scope(select(
        Application.campaign_code.label("campaign"),
        Application.centre_code.label("centre"),
        json_text(Application.formation, "centre", "label").label("centre_label"),
        Application.formation_code.label("formation"),
        json_text(Application.formation, "label").label("label"),
        json_text(Application.formation, "capacity").label("capacity"),
        Application.status.label("status"),
        Application.cancelled_at.is_not(None).label("cancelled"),
        Application.confirmed_at.is_not(None).label("confirmed"),
        Application.withdrawn_at.is_not(None).label("withdrawn"),
        DECISION_CODE.label("decision"), PENDING_CODE.label("pending")), actor)
    if centre:
        per_application = per_application.where(Application.centre_code == centre)
    if formation:
        per_application = per_application.where(Application.formation_code == formation)
    a = per_application.subquery()
    active = ~a.c.cancelled

    def count(*where):
        return func.count().filter(and_(*where))

    counts = {
        "total": count(active), "cancelled": count(a.c.cancelled),
        **{f"status_{s}": count(active, a.c.status == s) for s in domain.FILE_STATUSES},
        **{f"decision_{d}": count(active, a.c.decision == d) for d in domain.DECISION_CODES},
        "validated": count(active, a.c.decision.is_not(None)),
        "pending": count(active, a.c.pending.is_not(None)),
        "confirmed": count(active, a.c.confirmed, ~a.c.withdrawn),
        "withdrawn": count(active, a.c.withdrawn),
    }
    # a formation code comes back every campaign: each campaign's apart, the latest first
    query = (select(a.c.campaign, a.c.centre, func.max(a.c.centre_label), a.c.formation,
                    func.max(a.c.label), func.max(func.nullif(a.c.capacity, "").cast(Integer)),
                    *(c.label(n) for n, c in counts.items()))
             .group_by(a.c.campaign, a.c.centre, a.c.formation)
             .order_by(a.c.campaign.desc(), a.c.centre, a.c.formation))
    return list(counts), session.execute(query).all()
