"""Whose dossier an actor may read or change (services/README.md, rules)."""
from services.common import actors
from services.common.errors import Forbidden, NotFound

from .. import exceptions as codes
from . import queries


def dossier_owner(actor, candidate_id=None, write=False, session=None, staff_only=False):
    """-> (candidate id, acting as that candidate?).

    A candidate only reaches their own dossier: another id answers NotFound,
    so nobody learns which ids exist. Staff name the candidate (writing needs
    a role that may write, committee members only read); the system (jobs, seeding) too. Staff limited to
    some centres reach only candidates who applied to one of them.
    """
    kind = (actor or {}).get("kind")
    if staff_only and kind != "staff":
        raise Forbidden("forbidden", "staff only")
    if kind == "candidate":
        own = actors.candidate_id(actor)
        if candidate_id is not None and str(candidate_id) != str(own):
            raise NotFound(codes.NOT_FOUND, "no such candidate")
        return own, True
    if kind == "staff":
        actors.require_staff(actor, write=write)
        if write:
            # A committee reads the transmitted files and decides; it does not
            # correct dossiers.
            actors.require_role(actor, actors.ACCOUNT_MANAGERS,
                                "committee members do not change dossiers")
    elif not actors.is_system(actor):
        raise Forbidden("forbidden", "a candidate, staff or the system is required")
    if candidate_id is None or not str(candidate_id).isdigit():
        raise NotFound(codes.NOT_FOUND, "no such candidate")
    if kind == "staff" and actors.is_committee_member(actor):
        commissions = set(actor.get("commissions") or ())
        if not commissions & queries.commissions_of(session, int(candidate_id)):
            raise Forbidden(codes.OUT_OF_SCOPE, "candidate outside your commissions")
    elif kind == "staff":
        centres = actors.staff_centres(actor)
        if centres is not None and not (centres & queries.centres_of(session, int(candidate_id))):
            raise Forbidden(codes.OUT_OF_SCOPE, "candidate outside your centres")
    return int(candidate_id), False
