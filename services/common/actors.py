"""Who is asking. The gateway authenticates the user and passes an `actor`
mapping as the first argument of every RPC acting for someone; services check
it here before touching data.

    {"kind": "candidate", "id": 12}
    {"kind": "staff", "id": 3, "role": "manager", "centres": ["DROIT"]}
    {"kind": "system"}                      # scheduled jobs, seeding
"""
from .errors import Forbidden

STAFF_ROLES = ("admin", "scol", "manager", "committee", "readonly")
ALL_CENTRES_ROLES = ("admin", "scol")
WRITE_ROLES = ("admin", "scol", "manager", "committee")


def candidate_id(actor):
    """The candidate's id, or Forbidden for anyone else."""
    if not actor or actor.get("kind") != "candidate" or not actor.get("id"):
        raise Forbidden("forbidden", "a candidate is required")
    return int(actor["id"])


def is_staff(actor):
    return bool(actor) and actor.get("kind") == "staff" and actor.get("role") in STAFF_ROLES


def require_staff(actor, write=False):
    if not is_staff(actor):
        raise Forbidden("forbidden", "staff only")
    if write and actor["role"] not in WRITE_ROLES:
        raise Forbidden("read_only", "this role cannot change anything")
    return actor


def staff_centres(actor):
    """The centre codes a staff member sees, or None for every centre."""
    require_staff(actor)
    if actor["role"] in ALL_CENTRES_ROLES:
        return None
    return set(actor.get("centres") or ())


def require_centre(actor, centre_code, write=False):
    require_staff(actor, write=write)
    centres = staff_centres(actor)
    if centres is not None and centre_code not in centres:
        raise Forbidden("out_of_scope", "outside your centres")
    return actor


def is_system(actor):
    return bool(actor) and actor.get("kind") == "system"


SYSTEM = {"kind": "system"}
# A visitor the gateway has not authenticated (a link from a mail, the session
# check before the gateway knows who is there).
ANONYMOUS = {"kind": "anonymous"}
KINDS = ("anonymous", "candidate", "staff", "service", "system")


def require_kind(actor, *kinds):
    """The actor when it is one of `kinds` (any known kind when none given),
    else Forbidden."""
    if not isinstance(actor, dict) or actor.get("kind") not in (kinds or KINDS):
        raise Forbidden("forbidden", "not for this kind of actor")
    return actor
