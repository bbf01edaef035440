"""One change to one application, the same whether staff make it on the
application's page (its RPC in service.py) or on many at once (bulk.py).

Each operation takes `(unit, actor, application, **params)`: `unit` the
worker's unit of work (session + emit), the application already loaded for a
write by access.staff_application with the role the action needs. It checks
the rules, changes the application and emits its events; it commits nothing
(the caller does) and raises the usual errors. It returns False when the
application was already in the state asked (nothing written, no event), so a
repeated action is harmless and reported "unchanged".
"""
from services.common.errors import Conflict, NotFound

from . import access, domain, history, notes, schemas
from . import exceptions as codes
from .models import Decision


# The statuses staff set by hand (IN, CO): setting one twice changes nothing.
STAFF_TARGETS = frozenset(to for _, to in domain.STAFF_FILE_TRANSITIONS)


def _piece(application, code):
    piece = application.piece(code)
    if piece is None:
        raise NotFound(codes.PIECE_NOT_FOUND, "no such piece on this application")
    return piece


def set_file_status(unit, actor, application, *, status, now):
    status = schemas.file_status(status)
    if application.status == status and status in STAFF_TARGETS:
        return False
    refusal = domain.file_status_refusal(application.status, status, application.piece_statuses)
    if refusal:
        raise refusal
    history.change_status(unit, application, status, actor, now)
    return True


def set_piece_status(unit, actor, application, *, piece_code, status, comment=None, now):
    piece = _piece(application, piece_code)
    status, comment = schemas.piece_review(status, comment)
    if piece.status == status and piece.comment == comment:
        return False
    refusal = domain.piece_status_refusal(application.status, piece.status, status)
    if refusal:
        raise refusal
    piece.status, piece.comment, piece.updated_at = status, comment, now
    return True


def enter_decision(unit, actor, application, *, code, data=None, now):
    refusal = domain.decision_refusal(application.status, application.cancelled)
    if refusal:
        raise refusal
    fields = domain.decision_data(code, data)
    if schemas.same_decision(application.pending_decision, code, fields):
        return False  # already entered and waiting for validation (a second click, a retry)
    application.decisions.append(Decision(
        code=code, entered_by=access.actor_label(actor)[0], entered_at=now, **fields))
    return True


def validate_decision(unit, actor, application, *, now, refresh=None, repeat=False):
    """`refresh(application)`: brings its copy of the formation's dates up to
    date (the confirmation deadline is computed from them). `repeat`: an
    application whose last decision is validated already is unchanged rather
    than refused (bulk validation sent again)."""
    access.require_validator(actor, application)
    decision = application.pending_decision
    if decision is None:
        if repeat and application.last_validated is not None:
            return False
        raise Conflict(codes.NOTHING_TO_VALIDATE, "no decision waiting for validation")
    refusal = domain.decision_refusal(application.status, application.cancelled)
    if refusal:
        raise refusal
    if decision.code == domain.FA and refresh is not None:
        refresh(application)  # the confirmation date as it is now
    decision.validated_by, decision.validated_at = access.actor_label(actor)[0], now
    application.confirm_deadline = (
        domain.confirm_deadline(application.dates, now) if decision.code == domain.FA else None)
    unit.emit("decision_validated", schemas.event(
        application, code=decision.code, comment=decision.comment, reason=decision.reason,
        rank=decision.rank, convocation=decision.convocation,
        confirm_deadline=application.confirm_deadline))
    return True


# -- tags (tags already checked against the catalogue: notes.require_active) --------------

def add_tags(unit, actor, application, *, tags, now):
    access.require_not_archived(application)
    return bool(notes.add_tags(unit.session, application, actor, tags, now))


def remove_tags(unit, actor, application, *, tags, now):
    access.require_not_archived(application)
    return bool(notes.remove_tags(unit.session, application, tags))


def set_tags(unit, actor, application, *, tags, now):
    """Exactly these tags on the application."""
    there = [t.tag_code for t in notes.tags_of(unit.session, application.id)]
    removed = notes.remove_tags(unit.session, application, [t for t in there if t not in tags])
    added = notes.add_tags(unit.session, application, actor, tags, now)
    return bool(removed or added)
