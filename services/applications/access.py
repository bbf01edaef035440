"""Who may see or change an application, checked before anything is read:
a candidate only their own (NotFound otherwise, so nothing leaks), staff only
within their centres (Forbidden out_of_scope), readonly staff never writes.

Loading for a write also takes the locks that keep concurrent requests from
overwriting each other: the candidate's advisory lock (their applications
share pieces and a maximum count), then the application row.
"""
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload, selectinload

from services.common import actors
from services.common.errors import Conflict, Forbidden, NotFound

from . import domain
from . import exceptions as codes
from .models import Application

CANDIDATE_LOCK_SPACE = 7301  # first key of pg_advisory_xact_lock(space, candidate_id)


def actor_label(actor):
    """(label shown in the history, kind of actor)."""
    kind = (actor or {}).get("kind")
    if kind == "candidate":
        return "candidat", "candidate"
    if kind == "staff":
        label = actor.get("display_name") or actor.get("login") or f"staff {actor.get('id')}"
        return label, "staff"
    return "système", "system"


def lock_candidate(session, candidate_id):
    """Serialises one candidate's writes until the transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"),
                    {"space": CANDIDATE_LOCK_SPACE, "id": int(candidate_id)})


# A whole application to read (its view): the pieces joined to its row, the
# history and decisions one statement each, 3 statements in all (lazy loads
# sent one per relation as the view touched them).
WHOLE = (joinedload(Application.pieces), selectinload(Application.history),
         selectinload(Application.decisions))


def _load(session, application_id, for_update, options=()):
    try:
        application_id = int(application_id)
    except (TypeError, ValueError):
        raise NotFound(codes.NOT_FOUND, "no such application") from None
    if not 0 < application_id < 2 ** 31:  # beyond the column's range: PostgreSQL would refuse it
        raise NotFound(codes.NOT_FOUND, "no such application")
    query = select(Application).where(Application.id == application_id).options(*options)
    if for_update:
        query = query.with_for_update()
    application = session.scalars(query).unique().one_or_none()
    if application is None:
        raise NotFound(codes.NOT_FOUND, "no such application")
    return application


def candidate_application(session, actor, application_id, write=False, options=()):
    candidate_id = actors.candidate_id(actor)
    if write:
        lock_candidate(session, candidate_id)
    application = _load(session, application_id, for_update=write, options=options)
    if application.candidate_id != candidate_id:
        raise NotFound(codes.NOT_FOUND, "no such application")
    if write:
        require_not_archived(application)
    return application


def require_not_archived(application):
    """An archived campaign's applications are read-only for everyone."""
    if application.archived_at is not None:
        raise Conflict(codes.CAMPAIGN_ARCHIVED, "the campaign of this application is archived")


def staff_application(session, actor, application_id, write=False, roles=None, options=()):
    """`roles`: the group of services.common.actors the action needs (REVIEWERS,
    DECIDERS), if any."""
    actors.require_staff(actor, write=write)
    if roles and not actors.has_role(actor, roles):
        raise Forbidden("forbidden", f"role {actor['role']} cannot do this")
    application = _load(session, application_id, for_update=write, options=options)
    if actors.is_committee_member(actor):
        require_commission(actor, application)
    else:
        actors.require_centre(actor, application.centre_code, write=write)
    if write:
        require_not_archived(application)
    return application


def commission_of(application):
    return ((application.formation or {}).get("commission") or {}).get("code")


def require_commission(actor, application):
    """A committee member reads the transmitted applications of their
    commissions only."""
    if commission_of(application) not in set(actor.get("commissions") or ()) \
            or application.transmitted_at is None:
        raise Forbidden("out_of_scope", "outside your commissions")


def require_validator(actor, application):
    """A decision is validated by a manager (or scol, admin) or
    by the president of the application's commission; other members may not."""
    if actors.is_committee_member(actor) and \
            commission_of(application) not in set(actor.get("presides") or ()):
        raise Forbidden("forbidden", "only the president of the commission validates")


def may_validate(actor, application):
    """Whether the staff page offers "Valider" to this actor."""
    if not actors.has_role(actor, actors.DECIDERS) or application.archived_at is not None:
        return False
    try:
        require_validator(actor, application)
    except Forbidden:
        return False
    return True


def readable_application(session, actor, application_id, options=()):
    """(application, seen by staff?) for a candidate or a staff member;
    options: what to load with it (WHOLE for its view)."""
    if (actor or {}).get("kind") == "candidate":
        return candidate_application(session, actor, application_id, options=options), False
    return staff_application(session, actor, application_id, options=options), True


def staff_rights(actor, application):
    """What the staff page offers this actor on this application (can_*)."""
    reviewer = application.archived_at is None and actors.has_role(actor, actors.REVIEWERS)
    online = ((application.formation or {}).get("centre") or {}).get("online")
    return {
        "can_validate": may_validate(actor, application),
        "can_validate_treatment": reviewer and domain.treatment_refusal(
            application.treatment_type, application.treatment_validated_at,
            application.cancelled) is None,
        "can_set_overrides": reviewer and not application.cancelled,
        "can_receive_paper_file": reviewer and domain.paper_file_refusal(
            application.status, application.cancelled, online) is None,
    }
