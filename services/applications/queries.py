"""The statements of the applications service (its entrypoints stay thin): reads
and bulk writes, each taking the worker's session."""
from datetime import datetime, time, timedelta

from sqlalchemy import Date, Integer, and_, case, delete, exists, func, or_, select, true, update
from sqlalchemy import cast as sa_cast
from sqlalchemy import text as sa_text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import selectinload

from services.common import actors, text
from services.common.clock import PARIS

from . import domain, models
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


def commission_applications(session, commission_code):
    """The live applications (not cancelled nor archived) whose formation's
    commission is this one, locked for a write, by id."""
    query = (select(Application)
             .where(models.COMMISSION_CODE == commission_code,
                    Application.cancelled_at.is_(None), Application.archived_at.is_(None))
             .order_by(Application.id).with_for_update())
    return list(session.scalars(query))


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

def _tagged(tag_code):
    """The application carries this tag (index ix_application_tags_tag_application)."""
    return exists().where(ApplicationTag.tag_code == tag_code,
                          ApplicationTag.application_id == Application.id)


# Every filter of the list but status and the date ranges: name -> its WHERE
# clause for a value (already checked by schemas.list_filters).
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
    "tag": _tagged,
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


# -- the lifecycle: waiting lists, promotions, scheduled work -----------------------

FORMATION_LOCK_SPACE = 7302  # first key of pg_advisory_xact_lock(space, hashtext(formation))


def lock_formation(session, formation_code, campaign_code):
    """Serialises the changes of one formation's waiting list until the
    transaction ends: two withdrawals at once promote two different candidates.
    Taken before any application row of the formation is locked."""
    session.execute(sa_text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                    {"space": FORMATION_LOCK_SPACE,
                     "key": f"{campaign_code or ''}/{formation_code}"})


def formation_key(session, application_id):
    """(formation code, campaign code) of an application, read without a lock
    (they never change), or None."""
    try:
        application_id = int(application_id)
    except (TypeError, ValueError):
        return None
    row = session.execute(select(Application.formation_code, Application.campaign_code)
                          .where(Application.id == application_id)).first()
    return tuple(row) if row else None


def _last_validated_lateral():
    return (select(Decision.code, Decision.rank, Decision.validated_at)
            .where(Decision.application_id == Application.id,
                   Decision.validated_at.is_not(None))
            .order_by(Decision.validated_at.desc(), Decision.id.desc())
            .limit(1).lateral("last_validated"))


def waiting_list(session, formation_code, campaign_code):
    """[(id, entered rank, validated at)] of the formation's validated LC
    applications not withdrawn nor cancelled (read as committed now: call it
    under lock_formation)."""
    last = _last_validated_lateral()
    return [tuple(row) for row in session.execute(
        select(Application.id, last.c.rank, last.c.validated_at)
        .join(last, true())
        .where(Application.formation_code == formation_code,
               Application.campaign_code == (campaign_code or ""),
               Application.cancelled_at.is_(None), Application.withdrawn_at.is_(None),
               last.c.code == "LC"))]


def store_ranks(session, formation_code, campaign_code, ranks):
    """rank_real as computed (None for the formation's applications off the
    list), written in one statement for the rows whose rank changes (a
    promotion moves every rank of the list). -> rows changed."""
    current = dict(session.execute(
        select(Application.id, Application.rank_real)
        .where(Application.formation_code == formation_code,
               Application.campaign_code == (campaign_code or ""),
               or_(Application.rank_real.is_not(None), Application.id.in_(list(ranks))))).all())
    changed = sorted(app_id for app_id, rank in current.items() if rank != ranks.get(app_id))
    if not changed:
        return 0
    session.execute(sa_text(
        "UPDATE applications AS a SET rank_real = v.rank, version = a.version + 1 "
        "FROM (SELECT unnest(CAST(:ids AS integer[])) AS id, "
        "unnest(CAST(:ranks AS integer[])) AS rank) AS v WHERE a.id = v.id"),
        {"ids": changed, "ranks": [ranks.get(app_id) for app_id in changed]})
    for app_id in changed:  # what this session holds of them is read again
        loaded = session.identity_map.get(session.identity_key(Application, app_id))
        if loaded is not None:
            session.expire(loaded, ["rank_real", "version"])
    return len(changed)


def application_for_update(session, application_id, skip_locked=False):
    """One application, locked, its relations fresh (another transaction may
    have changed it since this session read it)."""
    query = (select(Application).where(Application.id == application_id)
             .options(selectinload(Application.decisions), selectinload(Application.history))
             .with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True))
    return session.scalars(query).one_or_none()


def formations_with_waiting_lists(session):
    """(formation code, campaign code) of every formation with a waiting list,
    or with ranks left from one."""
    last = _last_validated_lateral()
    listed = (select(Application.formation_code, Application.campaign_code).join(last, true())
              .where(last.c.code == "LC", Application.archived_at.is_(None)))
    ranked = (select(Application.formation_code, Application.campaign_code)
              .where(Application.rank_real.is_not(None)))
    return sorted({(f, c) for f, c in session.execute(listed.union(ranked))})


def answer_awaited(session):
    """Applications whose last validated decision is FA, not answered, active:
    [(id, formation code, campaign code)] (the confirmation reminders and the
    automatic withdrawals are decided from them)."""
    last = _last_validated_lateral()
    return [tuple(r) for r in session.execute(
        select(Application.id, Application.formation_code, Application.campaign_code)
        .join(last, true())
        .where(last.c.code == "FA", Application.confirmed_at.is_(None),
               Application.withdrawn_at.is_(None), Application.cancelled_at.is_(None),
               Application.archived_at.is_(None))
        .order_by(Application.id))]


def to_transmit(session, today, within_days):
    """Active applications the candidate has still to transmit (AT, IN) whose
    return deadline (the override, else the formation's) is from today to
    `within_days` days on: the others cannot be due a reminder."""
    deadline = func.coalesce(Application.return_deadline_override, sa_cast(
        func.nullif(json_text(Application.formation, "dates", "date_return"), ""), Date))
    return list(session.scalars(
        select(Application).where(Application.status.in_(("AT", "IN")),
                                  Application.cancelled_at.is_(None),
                                  Application.archived_at.is_(None),
                                  deadline >= today,
                                  deadline <= today + timedelta(days=within_days))
        .order_by(Application.id)))


def applications_by_id(session, ids):
    if not ids:
        return []
    return list(session.scalars(select(Application).where(Application.id.in_(list(ids)))
                                .options(selectinload(Application.decisions))
                                .order_by(Application.id)))


def claim_reminder(session, application_id, kind, deadline, now):
    """Records the reminder unless it was sent: True only for the one caller
    that records it (a concurrent one waits, then finds it there)."""
    inserted = session.execute(
        pg_insert(models.ReminderSent).values(application_id=application_id, kind=kind,
                                              deadline=deadline, sent_at=now)
        .on_conflict_do_nothing().returning(models.ReminderSent.application_id)).first()
    return inserted is not None


def next_opi_number(session):
    return session.scalar(select(models.OPI_SEQUENCE.next_value()))


def staff_ids(session, actor, filters, limit):
    """The ids of the applications the staff list shows with these filters
    (the same WHERE as staff_list), by id, at most `limit`."""
    return list(session.scalars(_staff_scope(select(Application.id), actor, filters)
                                .order_by(Application.id).limit(limit)))


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
