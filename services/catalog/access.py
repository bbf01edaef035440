"""Who may write what in the catalogue: each role's scope, checked before
anything is looked up or written.

- campaigns: administrators;
- centres: administrators and the central office (scol) create them; a manager
  changes their own centre's settings too;
- formations, commissions, centre and formation pieces: administrators, scol,
  and a manager for their centres' ones (commission members: accounts);
- reference lists and institution pieces: administrators and scol;
- every staff member reads, a manager or readonly user with centres only theirs.

The `can_*` capabilities the views carry are the same checks asked without
raising, so a page shows a button exactly when the service would accept it."""
from services.common import actors
from services.common.errors import Forbidden

from . import domain

WRITERS = ("admin", "scol", "manager")


def require_role(actor, roles):
    actors.require_staff(actor, write=True)
    if actor.get("role") not in roles:
        raise Forbidden("forbidden", "your role cannot change this")


def require_formation_writer(actor):
    """Before looking anything up: only admin, scol and managers change
    formations (a candidate or readonly user learns nothing about which exist)."""
    actors.require_staff(actor, write=True)
    if actor.get("role") not in WRITERS:
        raise Forbidden("forbidden", "your role cannot change formations")


def require_formation_scope(actor, centre_code):
    actors.require_centre(actor, centre_code, write=True)
    if actor.get("role") not in WRITERS:
        raise Forbidden("forbidden", "your role cannot change formations")


def require_piece_scope(actor, scope, centre_code):
    """Institution pieces: admin and scol; a centre's or formation's: its managers too."""
    if scope == domain.INSTITUTION:
        require_role(actor, ("admin", "scol"))
    else:
        require_formation_scope(actor, centre_code)


def piece_centre(row):
    """The centre whose managers may change the definition (None: institution)."""
    return (row.centre.code if row.centre else
            row.formation.centre.code if row.formation else None)
