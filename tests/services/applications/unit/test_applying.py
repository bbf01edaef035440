"""create_application, list_my_applications, cancel: each refusal leaves the
database as it was."""
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, NotFound


def test_snapshots_of_candidate_and_formation_are_stored(harness, actors):
    view = harness.apply(actors.ada, "MINFO1")
    candidate, formation = harness.sql(
        "SELECT candidate, formation FROM applications WHERE id = :i", i=view["id"])[0]
    assert candidate == {"candidate_id": 12, "dossier_number": "27AB0012",
                         "email": "candidate12@example.org", "civility": "MME",
                         "first_name": "Ada", "last_name": "Lovelace12", "lang": "fr"}
    assert formation == harness.catalog_data.get_formation("MINFO1")
    # A later change in the catalogue does not change the application.
    harness.catalog_data.formations["MINFO1"]["label"] = "Renamed"
    assert harness.call("get_application", actors.ada, view["id"])["formation"]["label"] == \
        "Master Informatique 1re année"


def test_apply_before_opening_or_after_closing_is_refused(harness, actors):
    dates = harness.catalog_data.formations["MINFO1"]["dates"]
    dates["date_open"] = (harness.today + timedelta(days=1)).isoformat()
    harness.refused(Conflict, "applications_closed", "create_application", actors.ada, "MINFO1")
    dates["date_open"] = (harness.today - timedelta(days=20)).isoformat()
    dates["date_close"] = (harness.today - timedelta(days=1)).isoformat()
    harness.refused(Conflict, "applications_closed", "create_application", actors.ada, "MINFO1")


def test_the_closing_day_ends_at_midnight_in_paris(harness, actors):
    dates = harness.catalog_data.formations["MINFO1"]["dates"]
    dates["date_close"] = harness.today.isoformat()
    harness.clock.now = harness.clock.now.replace(hour=21, minute=59)  # 22:59 in Paris
    assert harness.apply(actors.ada, "MINFO1")["status"] == "AT"
    harness.clock.now = harness.clock.now.replace(hour=23, minute=1)   # 00:01 the next day
    harness.refused(Conflict, "applications_closed", "create_application", actors.bob, "MINFO1")


def test_apply_to_a_disabled_formation_is_refused(harness, actors):
    harness.catalog_data.formations["MINFO1"]["enabled"] = False
    harness.refused(Conflict, "applications_closed", "create_application", actors.ada, "MINFO1")


def test_apply_twice_is_refused_but_allowed_again_after_cancelling(harness, actors):
    first = harness.apply(actors.ada, "MINFO1")
    harness.refused(Conflict, "already_applied", "create_application", actors.ada, "MINFO1")
    harness.call("cancel", actors.ada, first["id"])
    second = harness.apply(actors.ada, "MINFO1")
    assert second["id"] != first["id"] and second["status"] == "AT"
    # Another candidate is not affected by Ada's application.
    assert harness.apply(actors.bob, "MINFO1")["status"] == "AT"


def test_centre_maximum_is_enforced_and_cancelled_applications_do_not_count(harness, actors):
    for formation in harness.catalog_data.formations.values():
        if formation["centre"]["code"] == "SCI":
            formation["centre"]["max_applications"] = 1
    first = harness.apply(actors.ada, "MINFO1")
    harness.refused(Conflict, "too_many_applications", "create_application", actors.ada, "MMATH1")
    assert harness.apply(actors.ada, "MLEA1")["status"] == "AT"  # another centre
    harness.call("cancel", actors.ada, first["id"])
    assert harness.apply(actors.ada, "MMATH1")["status"] == "AT"


def test_global_maximum_of_twenty(harness, actors, doubles):
    formations = harness.catalog_data.formations
    for n in range(21):
        formations[f"F{n:02d}"] = doubles.make_formation(
            f"F{n:02d}", f"Formation {n}", doubles.SCI, "SCI-INFO", harness.today)
    ids = [harness.apply(actors.ada, f"F{n:02d}")["id"] for n in range(20)]
    harness.refused(Conflict, "too_many_applications", "create_application", actors.ada, "F20")
    harness.call("cancel", actors.ada, ids[0])
    assert harness.apply(actors.ada, "F20")["status"] == "AT"


def test_incomplete_dossier_and_unknown_formation_errors_reach_the_caller(harness, actors):
    harness.accounts.check_ready_to_apply.side_effect = Conflict(
        "dossier_incomplete", "complete your dossier", {"bac": "incomplete"})
    error = harness.refused(Conflict, "dossier_incomplete", "create_application", actors.ada,
                            "MINFO1")
    assert error.fields == {"bac": "incomplete"}
    harness.accounts.check_ready_to_apply.side_effect = None
    harness.accounts.check_ready_to_apply.return_value = {
        "candidate_id": 12, "dossier_number": "27AB0012", "email": "a@example.org",
        "civility": "MME", "first_name": "Ada", "last_name": "Lovelace", "lang": "fr"}
    harness.refused(NotFound, "formation_not_found", "create_application", actors.ada, "NOPE")


def test_only_a_candidate_applies(harness, actors):
    harness.refused(Forbidden, "forbidden", "create_application", actors.admin, "MINFO1")
    harness.accounts.check_ready_to_apply.assert_not_called()


def test_a_shared_piece_already_sent_comes_with_a_new_application(harness, actors):
    first = harness.apply(actors.ada, "MINFO1")["id"]
    harness.upload(actors.ada, first, "CNI", "carte.pdf")
    second = harness.apply(actors.ada, "MMATH1")
    cni = next(p for p in second["pieces"] if p["code"] == "CNI")
    cv = next(p for p in second["pieces"] if p["code"] == "CV")
    assert (cni["status"], cni["filename"], cni["has_file"]) == ("TR", "carte.pdf", True)
    assert (cv["status"], cv["has_file"]) == ("AT", False)


def test_list_my_applications_shows_only_mine_newest_first(harness, actors):
    harness.apply(actors.ada, "MINFO1")
    harness.clock.advance(minutes=5)
    harness.apply(actors.ada, "MLEA1")
    harness.apply(actors.bob, "MMATH1")
    mine = harness.call("list_my_applications", actors.ada)
    assert [a["formation"]["code"] for a in mine] == ["MLEA1", "MINFO1"]
    assert mine[0]["centre"] == {"code": "LLSH",
                                 "label": "UFR Lettres, Langues et Sciences Humaines"}
    assert mine[0]["status"] == "AT" and mine[0]["decision"] is None and not mine[0]["cancelled"]
    assert "pending_decision" not in mine[0]
    harness.refused(Forbidden, "forbidden", "list_my_applications", actors.manager_sci)


# -- cancel ---------------------------------------------------------------------------

def test_cancel_deletes_the_files_of_that_application_but_not_shared_ones_in_use(harness, actors):
    h = harness
    first = h.apply(actors.ada, "MINFO1")["id"]
    h.upload(actors.ada, first, "CNI")                      # doc-1, shared
    second = h.apply(actors.ada, "MMATH1")["id"]           # gets doc-1 too
    h.upload(actors.ada, first, "CV")                       # doc-2, this application only
    view = h.call("cancel", actors.ada, first)
    assert view["cancelled"] is True and view["cancelled_at"] == h.clock.now.isoformat()
    assert view["can_cancel"] is False and view["can_transmit"] is False
    assert h.documents_data.deleted == ["doc-2"]
    cancelled, = h.events("application_cancelled")
    assert cancelled["application_id"] == first and cancelled["formation"]["code"] == "MINFO1"
    other = h.call("get_application", actors.ada, second)
    assert next(p for p in other["pieces"] if p["code"] == "CNI")["has_file"] is True


def test_cancel_is_refused_after_transmission_and_twice(harness, actors):
    h = harness
    transmitted = h.transmitted(actors.ada, "MINFO1")["id"]
    h.refused(Conflict, "cannot_cancel", "cancel", actors.ada, transmitted)
    other = h.apply(actors.ada, "MMATH1")["id"]
    h.call("cancel", actors.ada, other)
    h.refused(Conflict, "cannot_cancel", "cancel", actors.ada, other)


def test_a_cancelled_application_cannot_change(harness, actors):
    h = harness
    app_id = h.apply(actors.ada, "MINFO1")["id"]
    h.call("cancel", actors.ada, app_id)
    h.refused(Conflict, "application_cancelled", "start_piece_upload", actors.ada, app_id, "CV",
              "cv.pdf", 10)
    h.refused(Conflict, "application_cancelled", "transmit", actors.ada, app_id)
    h.refused(Conflict, "application_cancelled", "set_not_concerned", actors.ada, app_id,
              "CERTLANG", True)


def test_the_database_itself_keeps_one_active_application_per_formation(harness, actors):
    """The partial unique index backs the check when two requests race."""
    app_id = harness.apply(actors.ada, "MINFO1")["id"]
    copy_row = ("INSERT INTO applications (candidate_id, formation_code, centre_code, "
                "campaign_code, formation, candidate, status, created_at, cancelled_at) "
                "SELECT candidate_id, formation_code, centre_code, :campaign, formation, "
                "candidate, 'AT', created_at, :cancelled FROM applications WHERE id = :i")
    with pytest.raises(IntegrityError):
        harness.sql(copy_row, i=app_id, campaign="2027", cancelled=None)
    harness.sql(copy_row, i=app_id, campaign="2027", cancelled=harness.clock.now)  # cancelled
    harness.sql(copy_row, i=app_id, campaign="2028", cancelled=None)  # the code next campaign
    assert len(harness.sql("SELECT id FROM applications")) == 3


def test_the_same_formation_code_in_the_next_campaign_can_be_applied_to(harness, actors):
    """A formation code comes back every campaign: last year's application to
    MINFO1 is neither "already applied" nor in the way of the database."""
    harness.apply(actors.ada, "MINFO1")
    harness.catalog_data.active_campaign["code"] = "2028"
    harness.catalog_data.formations["MINFO1"]["campaign"]["code"] = "2028"
    assert harness.call("can_apply", actors.ada, "MINFO1")["allowed"] is True
    again = harness.apply(actors.ada, "MINFO1")
    assert again["status"] == "AT"
    # catalog counts each campaign's applications from these events
    assert [(e["campaign"], e["formation"]["code"]) for e in harness.events("application_created")
            ] == [("2027", "MINFO1"), ("2028", "MINFO1")]


# -- the campaign and the limits -------------------------------------------

@pytest.mark.parametrize("campaign", ["2028", "2026"], ids=["prepared", "archived"])
def test_a_formation_of_a_campaign_that_is_not_the_active_one_cannot_be_applied_to(
        harness, actors, campaign):
    """Its dates may well be open: its campaign is not the active one (2027)."""
    harness.catalog_data.formations["MINFO1"]["campaign"]["code"] = campaign
    harness.refused(Conflict, "campaign_not_open", "create_application", actors.ada, "MINFO1")
    assert harness.call("can_apply", actors.ada, "MINFO1")["reason"] == "campaign_not_open"
    harness.catalog_data.active_campaign = None
    harness.refused(Conflict, "campaign_not_open", "create_application", actors.ada, "MMATH1")


def test_the_centre_maximum_says_which_limit_and_its_number(harness, actors):
    for formation in harness.catalog_data.formations.values():
        if formation["centre"]["code"] == "SCI":
            formation["centre"]["max_applications"] = 1
    harness.apply(actors.ada, "MINFO1")
    error = harness.refused(Conflict, "too_many_applications", "create_application", actors.ada,
                            "MMATH1")
    assert error.fields == {"scope": "centre", "limit": "1", "centre": "SCI",
                            "centre_label": "UFR Sciences et Techniques"}


def test_the_global_maximum_applies_too_when_a_centre_sets_its_own(harness, actors, doubles):
    """LLSH allows 5; 18 applications in SCI and 2 in LLSH make the 20 of the
    institution: a third one in LLSH is refused all the same."""
    formations = harness.catalog_data.formations
    llsh = {**doubles.LLSH, "max_applications": 5}
    for n in range(18):
        formations[f"S{n:02d}"] = doubles.make_formation(
            f"S{n:02d}", f"Formation S{n}", doubles.SCI, "SCI-INFO", harness.today)
    for n in range(3):
        formations[f"L{n:02d}"] = doubles.make_formation(
            f"L{n:02d}", f"Formation L{n}", llsh, "LLSH-LEA", harness.today)
    for code in [f"S{n:02d}" for n in range(18)] + ["L00", "L01"]:
        harness.apply(actors.ada, code)
    error = harness.refused(Conflict, "too_many_applications", "create_application", actors.ada,
                            "L02")
    assert error.fields == {"scope": "global", "limit": "20"}


def test_applications_of_another_campaign_do_not_count(harness, actors, doubles):
    """Last year's 20 applications in SCI leave this year's counts at 0."""
    formations, catalog = harness.catalog_data.formations, harness.catalog_data
    this_year = catalog.active_campaign
    catalog.active_campaign = {**this_year, "code": "2026", "label": "Campagne 2026"}
    for n in range(20):
        code = f"OLD{n:02d}"
        formations[code] = doubles.make_formation(code, f"Ancienne {n}", doubles.SCI,
                                                  "SCI-INFO", harness.today)
        formations[code]["campaign"] = {"code": "2026", "label": "Campagne 2026"}
        harness.apply(actors.ada, code)
    catalog.active_campaign = this_year
    for code in ("MINFO1", "MMATH1"):
        formations[code]["centre"]["max_applications"] = 2
    assert harness.apply(actors.ada, "MINFO1")["status"] == "AT"
    assert harness.apply(actors.ada, "MMATH1")["status"] == "AT"
