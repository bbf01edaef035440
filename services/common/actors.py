"""Who is asking. The first argument of every RPC is the `actor`: the gateway
signs it after authenticating the user, a service signs its own identity when
it calls another (services/common/rpc.py verifies the signature before the
method runs). Services check the mapping here before touching data.

    {"kind": "candidate", "id": 12}
    {"kind": "staff", "id": 3, "role": "manager", "centres": ["DROIT"]}
    {"kind": "anonymous"}                   # a visitor the gateway has not authenticated
    {"kind": "service", "name": "applications"}   # one service calling another
    {"kind": "system"}                      # scheduled jobs, in-process only
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


def require_admin(actor):
    """Staff with the administrator role (operations on the platform itself)."""
    require_staff(actor, write=True)
    if actor.get("role") != "admin":
        raise Forbidden("forbidden", "administrators only")
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
ANONYMOUS = {"kind": "anonymous"}


def service(name):
    """A service's own identity, for the calls it makes to others."""
    return {"kind": "service", "name": name}


def is_service(actor, *names):
    return (bool(actor) and actor.get("kind") == "service"
            and (not names or actor.get("name") in names))


def require_service(actor, *names):
    """RPCs meant for other services only (`names`: which ones, default any)."""
    if not is_service(actor, *names):
        raise Forbidden("forbidden", "for the platform's services only")
    return actor


KINDS = ("anonymous", "candidate", "staff", "service", "system")


def require_kind(actor, *kinds):
    """The actor when it is one of `kinds` (any known kind when none given),
    else Forbidden."""
    if not isinstance(actor, dict) or actor.get("kind") not in (kinds or KINDS):
        raise Forbidden("forbidden", "not for this kind of actor")
    return actor
