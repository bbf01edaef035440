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

# -- staff roles, and the groups of them a check names ---------------------------
# A service checks a group by what it may do (`require_role(actor,
# CATALOGUE_EDITORS)`), never a tuple of its own: a role changing its rights
# changes here, for every service and for the pages' can_* alike.

ADMIN, SCOL, MANAGER, COMMITTEE, READONLY = "admin", "scol", "manager", "committee", "readonly"
STAFF_ROLES = (ADMIN, SCOL, MANAGER, COMMITTEE, READONLY)
# Change anything at all: every role but readonly.
WRITERS = (ADMIN, SCOL, MANAGER, COMMITTEE)
# The platform itself: campaigns, staff users and their roles, the messages the
# services gave up on, the purge of accounts never activated.
ADMINISTRATORS = (ADMIN,)
# The central office: sees every centre (the others only those they are given)
# and alone changes what the whole institution shares: creating centres, the
# reference lists, the institution's pieces.
CENTRAL_OFFICE = (ADMIN, SCOL)
# The catalogue of their centres (every centre for the central office):
# centres' settings, formations, commissions and who sits on them, centre and
# formation pieces, the catalogue's files (templates, signatures), imports.
CATALOGUE_EDITORS = (ADMIN, SCOL, MANAGER)
# Candidates' accounts: one created on a candidate's behalf, a new activation
# link, deletion, a dossier corrected.
ACCOUNT_MANAGERS = (ADMIN, SCOL, MANAGER)
# An application's review: its pieces' and its file's statuses.
REVIEWERS = (ADMIN, SCOL, MANAGER)
# Validating a decision; a committee member only as president of the
# application's commission (applications' require_validator).
DECIDERS = (ADMIN, SCOL, MANAGER, COMMITTEE)


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
    if write and actor["role"] not in WRITERS:
        raise Forbidden("read_only", "this role cannot change anything")
    return actor


def has_role(actor, group):
    """Whether `actor` is staff with a role of `group` (ADMINISTRATORS...)."""
    return is_staff(actor) and actor["role"] in group


def require_role(actor, group, message="your role cannot do this"):
    """The staff actor when its role is one of `group`. Forbidden otherwise:
    `read_only` for a readonly user (no group lets them change anything),
    `forbidden` for anyone else."""
    require_staff(actor, write=True)
    if actor["role"] not in group:
        raise Forbidden("forbidden", message)
    return actor


def require_admin(actor):
    """Staff with the administrator role (operations on the platform itself)."""
    return require_role(actor, ADMINISTRATORS, "administrators only")


def is_committee_member(actor):
    """Staff whose scope is commissions (their transmitted applications), not centres."""
    return is_staff(actor) and actor["role"] == COMMITTEE


def staff_centres(actor):
    """The centre codes a staff member sees, or None for every centre."""
    require_staff(actor)
    if actor["role"] in CENTRAL_OFFICE:
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
