"""What one staff command (or a scheduled job) does to one application, the
same whether staff make it on the application's page (its RPC in service.py),
on many at once (bulk.py) or a job does it (jobs.py): plain functions
`(unit, actor, application, **params)`, `unit` the worker's UnitOfWork
(session + emit), the application loaded for a write; `now` (keyword, default
the current time) is the time of the change. They check the rules, change,
emit, and commit nothing: the caller commits (an RPC once, a bulk action per
application, a job per application). They raise the service's usual errors.
They return False when the application was already in the state asked
(nothing written, no event), so a repeated action is harmless and a bulk
action reports it "unchanged".

Locks: a change that can move a formation's waiting list (a decision
validated, a withdrawal and its promotion) holds `queries.lock_formation`;
callers take it before they lock the application's row (the RPCs do), so that
two transactions never wait on each other in the opposite order.
"""
from services.common.clock import utcnow
from services.common.errors import Conflict, NotFound, ValidationFailed

from . import access, domain, history, notes, queries, schemas
from . import exceptions as codes
from .access import actor_label
from .models import Decision

# The statuses staff set by hand (IN, CO): setting one twice changes nothing.
STAFF_TARGETS = frozenset(to for _, to in domain.STAFF_FILE_TRANSITIONS)

SYSTEM = {"kind": "system"}
KEEP = object()  # set_overrides: this date is left as it is


def check_version(application, expected_version):
    refusal = domain.version_refusal(expected_version, application.version)
    if refusal:
        raise refusal


def _raise(refusal):
    if refusal:
        raise refusal


def _lock_list(unit, application):
    queries.lock_formation(unit.session, application.formation_code, application.campaign_code)


def _validated_event(unit, application, decision, **extra):
    unit.emit("decision_validated", schemas.event(
        application, code=decision.code, comment=decision.comment, reason=decision.reason,
        reason_code=decision.reason_code, rank=decision.rank, convocation=decision.convocation,
        confirm_deadline=application.confirm_deadline_applying,
        automatic=bool(decision.automatic), **extra))


def _automatic_fa(application, now, promoted=False):
    """A favourable decision entered and validated by the system."""
    decision = Decision(code=domain.FA, entered_by="système", entered_at=now,
                        validated_by="système", validated_at=now, automatic=True)
    application.decisions.append(decision)
    application.confirm_deadline = (domain.promotion_deadline if promoted else
                                    domain.confirm_deadline)(application.dates, now)
    application.confirm_deadline_override = None  # a new deadline for a new decision
    return decision


# -- treatment type -------------------------------------------------------------------

def validate_treatment(unit, actor, application, *, now=None, repeat=False):
    """Staff validate the treatment type; on AD the favourable decision comes
    with it, validated (automatic)."""
    now = now or utcnow()
    if repeat and application.treatment_validated_at is not None and not application.cancelled:
        return False
    _raise(domain.treatment_refusal(application.treatment_type,
                                    application.treatment_validated_at, application.cancelled))
    application.treatment_validated_at = now
    application.treatment_validated_by = actor_label(actor)[0]
    unit.emit("treatment_validated", schemas.event(
        application, treatment_type=application.treatment_type))
    if application.treatment_type == domain.AD:
        was_listed = application.decision_code == domain.LC
        decision = _automatic_fa(application, now)
        _validated_event(unit, application, decision)
        if was_listed:
            _lock_list(unit, application)
            unit.session.flush()
            recompute_ranks(unit, application.formation_code, application.campaign_code)
    return True


# -- file and piece statuses -------------------------------------------------------------

def _piece(application, code):
    piece = application.piece(code)
    if piece is None:
        raise NotFound(codes.PIECE_NOT_FOUND, "no such piece on this application")
    return piece


def set_file_status(unit, actor, application, *, status, now=None):
    now = now or utcnow()
    status = schemas.file_status(status)
    if application.status == status and status in STAFF_TARGETS:
        return False
    _raise(domain.file_status_refusal(application.status, status, application.piece_statuses))
    history.change_status(unit, application, status, actor, now)
    return True


def set_piece_status(unit, actor, application, *, piece_code, status, comment=None, now=None):
    now = now or utcnow()
    piece = _piece(application, piece_code)
    status, comment = schemas.piece_review(status, comment)
    if piece.status == status and piece.comment == comment:
        return False
    _raise(domain.piece_status_refusal(application.status, piece.status, status))
    piece.status, piece.comment, piece.updated_at = status, comment, now
    piece.reviewed_by, piece.reviewed_at = actor_label(actor)[0], now
    return True


# -- decisions ------------------------------------------------------------------------

def _decision_refusal(application):
    return domain.decision_refusal(application.status, application.cancelled,
                                   application.treatment_type,
                                   application.treatment_validated_at is not None)


def resolve_motive(fields, motives):
    """A DE's reason is a motive of the catalogue's list (by code, or its label
    as typed): stored as its code and label. motives: [{code, label}]."""
    wanted = (fields.get("reason") or "").strip()
    for motive in motives or []:
        if wanted and wanted in (motive.get("code"), motive.get("label")):
            return {**fields, "reason": motive.get("label"), "reason_code": motive.get("code")}
    raise ValidationFailed(codes.INVALID, "not a motive of the list",
                           {"reason": "invalid_choice"})


def enter_decision(unit, actor, application, *, code, data=None, motives=None, now=None):
    """Entered, not validated (the candidate sees nothing yet). The same
    decision already waiting is returned as it is. motives: the catalogue's
    motive list, needed for DE."""
    now = now or utcnow()
    _raise(_decision_refusal(application))
    fields = domain.decision_data(code, data, today=domain.paris_today(now))
    fields["reason_code"] = None
    if code == domain.DE:
        fields = resolve_motive(fields, motives)
    if schemas.same_decision(application.pending_decision, code, fields):
        return False  # already entered and waiting for validation (a second click, a retry)
    decision = Decision(code=code, entered_by=actor_label(actor)[0], entered_at=now, **fields)
    application.decisions.append(decision)
    return decision


def validate_decision(unit, actor, application, *, refresh_dates=None, now=None,
                      repeat=False):
    """The last entered decision validated; FA sets the confirmation deadline
    (refresh_dates(application): the formation's dates as they are now).
    `repeat`: an application whose last decision is validated already is
    unchanged rather than refused (a bulk validation sent again). The caller
    holds the formation's lock (the waiting list may move)."""
    now = now or utcnow()
    access.require_validator(actor, application)
    decision = application.pending_decision
    if decision is None:
        if repeat and application.last_validated is not None:
            return False
        raise Conflict(codes.NOTHING_TO_VALIDATE, "no decision waiting for validation")
    _raise(_decision_refusal(application))
    listed_before = application.decision_code == domain.LC
    if decision.code == domain.FA and refresh_dates is not None:
        refresh_dates(application)
    decision.validated_by, decision.validated_at = actor_label(actor)[0], now
    application.confirm_deadline = (domain.confirm_deadline(application.dates, now)
                                    if decision.code == domain.FA else None)
    if decision.code == domain.FA:
        application.confirm_deadline_override = None
    _validated_event(unit, application, decision)
    if listed_before or decision.code == domain.LC:
        _lock_list(unit, application)
        unit.session.flush()
        recompute_ranks(unit, application.formation_code, application.campaign_code)
    return decision


# -- overrides, paper files -----------------------------------------------------------

def set_overrides(unit, actor, application, *, return_deadline=KEEP, confirm_deadline=KEEP,
                  now=None):
    """Per-application deadlines: a day from today on, or "" / None to remove
    the override (KEEP: left as it is). The confirmation one applies to an
    admitted candidate who has not answered yet."""
    now = now or utcnow()
    if application.cancelled:
        raise Conflict(codes.APPLICATION_CANCELLED, "application cancelled")
    today = domain.paris_today(now)
    changes = {}
    if return_deadline is not KEEP:
        changes["return_deadline_override"] = domain.override_day(return_deadline, today,
                                                                  "return_deadline")
    if confirm_deadline is not KEEP:
        changes["confirm_deadline_override"] = domain.override_day(confirm_deadline, today,
                                                                   "confirm_deadline")
    changed = False
    for name, value in changes.items():
        if getattr(application, name) != value:
            setattr(application, name, value)
            changed = True
    return changed


def _centre(application, centre):
    """The centre given (as the catalog has it now), else the snapshot's."""
    return centre or (application.formation or {}).get("centre") or {}


def receive_paper_file(unit, actor, application, *, centre=None, now=None):
    """A paper file arrived (a centre not online): AT -> RE, as a transmission."""
    now = now or utcnow()
    online = _centre(application, centre).get("online")
    _raise(domain.paper_file_refusal(application.status, application.cancelled, online))
    application.transmitted_at = now
    history.change_status(unit, application, domain.RE, actor, now, comment="dossier papier")
    unit.emit("application_transmitted", schemas.event(application, paper=True))
    return True


# -- answers to an admission -----------------------------------------------------------

def confirm(unit, actor, application, *, centre=None, now=None):
    """The admitted candidate confirms; the enrolment code is made once, with
    the centre's prefix (centre: as the catalog has it now, else the snapshot's)."""
    now = now or utcnow()
    _raise(domain.confirm_refusal(
        application.decision_code, application.confirmed_at, application.withdrawn_at,
        application.cancelled, application.confirm_deadline_applying, domain.paris_today(now)))
    application.confirmed_at = now
    if not application.opi_code:
        prefix = _centre(application, centre).get("opi_prefix") or ""
        application.opi_code = domain.opi_code(prefix, queries.next_opi_number(unit.session))
    unit.emit("application_confirmed", schemas.event(application, opi_code=application.opi_code))


def withdraw(unit, actor, application, *, automatic=False, now=None):
    """The admitted candidate withdraws (or the job withdraws them past the
    deadline); their place goes to the first on the waiting list when the
    formation promotes automatically. -> the promoted application id or None.
    The caller holds the formation's lock (taken before the row's)."""
    now = now or utcnow()
    _raise(domain.withdraw_refusal(application.decision_code, application.withdrawn_at,
                                   application.cancelled))
    application.withdrawn_at = now
    unit.emit("application_withdrawn", schemas.event(application, automatic=automatic))
    if not domain.promotes(application.decision_code, application.settings):
        return None
    _lock_list(unit, application)
    unit.session.flush()
    return promote(unit, application.formation_code, application.campaign_code, now)


def promote(unit, formation_code, campaign_code, now):
    """The first of the waiting list gets a validated FA (automatic) and a new
    confirmation deadline; the ranks are recomputed. Under the formation's lock:
    the list read is the committed one, so two withdrawals promote two people."""
    ranks = domain.waiting_ranks(queries.waiting_list(unit.session, formation_code,
                                                      campaign_code))
    chosen = domain.promotion_choice(ranks)
    if chosen is None:
        return None
    application = queries.application_for_update(unit.session, chosen)
    decision = _automatic_fa(application, now, promoted=True)
    _validated_event(unit, application, decision, promoted=True)
    unit.session.flush()
    recompute_ranks(unit, formation_code, campaign_code)
    return application.id


def recompute_ranks(unit, formation_code, campaign_code):
    """rank_real 1..n over the formation's waiting list (caller holds its lock).
    -> applications whose rank changed."""
    ranks = domain.waiting_ranks(queries.waiting_list(unit.session, formation_code,
                                                      campaign_code))
    return queries.store_ranks(unit.session, formation_code, campaign_code, ranks)


# -- tags (tags already checked against the catalogue: notes.require_active) --------------

def add_tags(unit, actor, application, *, tags, now=None):
    access.require_not_archived(application)
    return bool(notes.add_tags(unit.session, application, actor, tags, now or utcnow()))


def remove_tags(unit, actor, application, *, tags, now=None):
    access.require_not_archived(application)
    return bool(notes.remove_tags(unit.session, application, tags))


def set_tags(unit, actor, application, *, tags, now=None):
    """Exactly these tags on the application."""
    there = [t.tag_code for t in notes.tags_of(unit.session, application.id)]
    removed = notes.remove_tags(unit.session, application, [t for t in there if t not in tags])
    added = notes.add_tags(unit.session, application, actor, tags, now or utcnow())
    return bool(removed or added)
