"""The can_* each catalogue view carries: computed by catalog for the asking
actor with the rules its writes apply, so a page shows a button exactly when
the catalog would accept the action."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Forbidden
from tests.services.catalog.world import ADMIN, COMMITTEE, MANAGER_LLSH, MANAGER_SCI, READONLY, SCOL

NO_RIGHTS = {"can_manage_campaigns": False, "can_create_centre": False,
             "can_create_commission": False, "can_create_formation": False,
             "can_create_piece": False, "can_edit_lists": False, "can_import": False}


def by_code(items):
    return {item["code"]: item for item in items}


def test_a_manager_may_change_only_their_centres_objects(call, catalogue, rows):
    rows.piece("DOC-LLSH", 2, catalogue.llsh)
    centres = by_code(call("list_centres", MANAGER_SCI))
    assert centres["SCI"]["can_edit"] is True and set(centres) == {"SCI"}
    formations = by_code(call("list_formations", MANAGER_SCI))
    assert formations["MINFO1"]["can_edit"] and formations["MINFO1"]["can_delete"]
    assert call("get_formation", MANAGER_SCI, "MINFO1")["can_edit"] is True
    assert call("get_formation", READONLY, "MINFO1")["can_edit"] is False
    with pytest.raises(Forbidden):  # its edit page is not theirs
        call("get_formation", MANAGER_LLSH, "MINFO1")
    assert "can_edit" not in call("get_formation", ANONYMOUS, "MINFO1")  # the public view
    commissions = by_code(call("list_commissions", MANAGER_SCI))
    assert all(c["can_edit"] and c["can_manage_members"] for c in commissions.values())
    pieces = by_code(call("list_pieces", MANAGER_LLSH))
    assert pieces["DOC-LLSH"]["can_edit"] is True
    assert [p["can_edit"] for p in pieces.values() if p["scope"] == "institution"] == \
        [False] * sum(p["scope"] == "institution" for p in pieces.values())
    assert all(not c["can_edit"] for c in call("list_campaigns", MANAGER_SCI))
    assert all(not i["can_edit"] for i in call("list_reference", MANAGER_SCI, "motive"))
    assert call("catalogue_rights", MANAGER_SCI) == {
        **NO_RIGHTS, "can_create_commission": True, "can_create_formation": True,
        "can_create_piece": True, "can_import": True}


@pytest.mark.parametrize("who", [READONLY, COMMITTEE], ids=["readonly", "committee"])
def test_readers_may_change_nothing(call, catalogue, who):
    views = (call("list_centres", who) + call("list_formations", who)
             + call("list_commissions", who) + call("list_pieces", who)
             + call("list_campaigns", who))
    assert views and not any(value for view in views for key, value in view.items()
                             if key.startswith("can_"))
    assert call("catalogue_rights", who) == NO_RIGHTS
    assert call("catalogue_rights", ANONYMOUS) == NO_RIGHTS


def test_administrators_and_scol(call, catalogue):
    campaign = call("get_campaign", ADMIN, "2027")
    assert (campaign["can_edit"], campaign["can_archive"], campaign["can_activate"]) == \
        (True, True, False)  # the active campaign is active already
    assert call("get_campaign", SCOL, "2027")["can_edit"] is False
    assert call("catalogue_rights", ADMIN) == {key: True for key in NO_RIGHTS}
    assert call("catalogue_rights", SCOL) == {**{key: True for key in NO_RIGHTS},
                                              "can_manage_campaigns": False}
    assert all(p["can_edit"] for p in call("list_pieces", SCOL))


def test_an_archived_campaign_offers_nothing_to_change(call, catalogue):
    call("save_campaign", ADMIN, {"code": "2028", "label": "Campagne 2028", "start": "2027-10-01",
                                  "end": "2028-09-30", "login_until": "2028-10-31"})
    call("archive_campaign", ADMIN, "2027")
    archived = call("get_campaign", ADMIN, "2027")
    assert not (archived["can_edit"] or archived["can_archive"] or archived["can_activate"])
    assert call("get_formation", ADMIN, "MINFO1", campaign="2027")["can_edit"] is False


def test_a_piece_is_read_one_at_a_time_within_the_scope(call, catalogue, rows):
    doc = rows.piece("DOC-LLSH", 2, catalogue.llsh)
    assert call("get_piece", MANAGER_LLSH, doc.id)["code"] == "DOC-LLSH"
    with pytest.raises(Forbidden):
        call("get_piece", MANAGER_SCI, doc.id)
