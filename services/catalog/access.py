"""Who may write what in the catalogue: each role's scope, checked before
anything is looked up or written (the groups are services.common.actors').

- campaigns: ADMINISTRATORS;
- centres: the CENTRAL_OFFICE (admin, scol) creates them; a manager changes
  their own centre's settings too;
- formations, commissions, centre and formation pieces: CATALOGUE_EDITORS,
  a manager for their centres' ones (commission members: accounts);
- reference lists and institution pieces: the CENTRAL_OFFICE;
- every staff member reads, a manager or readonly user with centres only theirs.

The `can_*` capabilities the views carry are the same checks asked without
raising, so a page shows a button exactly when the service would accept it."""
from services.common import actors
from services.common.errors import Forbidden

from . import domain


def require_role(actor, group):
    """`group`: one of services.common.actors' (ADMINISTRATORS, CENTRAL_OFFICE...)."""
    actors.require_role(actor, group, "your role cannot change this")


def require_formation_writer(actor):
    """Before looking anything up: only catalogue editors change formations (a
    candidate or readonly user learns nothing about which exist)."""
    actors.require_role(actor, actors.CATALOGUE_EDITORS, "your role cannot change formations")


def require_formation_scope(actor, centre_code):
    actors.require_centre(actor, centre_code, write=True)
    actors.require_role(actor, actors.CATALOGUE_EDITORS, "your role cannot change formations")


def require_piece_scope(actor, scope, centre_code):
    """Institution pieces: admin and scol; a centre's or formation's: its managers too."""
    if scope == domain.INSTITUTION:
        require_role(actor, actors.CENTRAL_OFFICE)
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
    admin = actors.has_role(actor, actors.ADMINISTRATORS)
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
    return {"can_edit": actors.has_role(actor, actors.CENTRAL_OFFICE)}


def catalogue_rights(actor):
    """What the actor may create or change beyond single objects: the pages'
    forms and the staff navigation."""
    lists = actors.has_role(actor, actors.CENTRAL_OFFICE)
    writer = actors.has_role(actor, actors.CATALOGUE_EDITORS)
    return {"can_manage_campaigns": actors.has_role(actor, actors.ADMINISTRATORS),
            "can_create_centre": lists, "can_create_commission": writer,
            "can_create_formation": writer, "can_create_piece": writer,
            "can_edit_lists": lists, "can_import": writer}
