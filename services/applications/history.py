"""Every file status change goes through here: stored with who and when, and
published as `status_changed` in the same transaction (notifications mails it)."""
from . import schemas
from .access import actor_label
from .models import StatusChange


def record(application, from_status, to_status, actor, now, comment=None):
    by, kind = actor_label(actor)
    application.history.append(StatusChange(from_status=from_status, to_status=to_status,
                                            by=by, by_kind=kind, at=now, comment=comment))


def change_status(unit, application, to_status, actor, now, comment=None):
    """unit: the worker's UnitOfWork (session + outbox)."""
    from_status = application.status
    application.status = to_status
    record(application, from_status, to_status, actor, now, comment)
    unit.emit("status_changed", schemas.event(
        application, from_status=from_status, to_status=to_status,
        refused_pieces=schemas.refused_pieces(application)))
