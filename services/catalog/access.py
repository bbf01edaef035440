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


# -- what the asking actor may do (the views' can_*) -------------------------------------

def allowed(check, *args):
    """Whether `check(*args)` lets the actor through (a refusal is False)."""
    try:
        check(*args)
    except Forbidden:
        return False
    return True


def campaign_rights(actor, campaign):
    frozen = campaign.archived_at is not None
    admin = allowed(require_role, actor, ("admin",))
    return {"can_edit": admin and not frozen, "can_archive": admin and not frozen,
            "can_activate": admin and not frozen and not campaign.active}


def centre_rights(actor, centre):
    return {"can_edit": allowed(require_formation_scope, actor, centre.code)}


def commission_rights(actor, commission):
    """Members are kept by accounts, which applies the same rule to them."""
    writer = allowed(require_formation_scope, actor, commission.centre.code)
    return {"can_edit": writer, "can_manage_members": writer}


def formation_rights(actor, formation):
    writer = allowed(require_formation_scope, actor, formation.centre.code) \
        and formation.campaign.archived_at is None
    return {"can_edit": writer, "can_delete": writer}


def piece_rights(actor, row):
    writer = allowed(require_piece_scope, actor, row.scope, piece_centre(row)) and (
        row.formation is None or row.formation.campaign.archived_at is None)
    return {"can_edit": writer, "can_delete": writer}


def reference_rights(actor):
    return {"can_edit": allowed(require_role, actor, ("admin", "scol"))}


def catalogue_rights(actor):
    """What the actor may create or change beyond single objects: the pages'
    forms and the staff navigation."""
    lists = allowed(require_role, actor, ("admin", "scol"))
    writer = allowed(require_formation_writer, actor)
    return {"can_manage_campaigns": allowed(require_role, actor, ("admin",)),
            "can_create_centre": lists, "can_create_commission": writer,
            "can_create_formation": writer, "can_create_piece": writer,
            "can_edit_lists": lists, "can_import": writer}
