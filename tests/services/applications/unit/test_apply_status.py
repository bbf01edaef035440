"""apply_status: whether "Candidater" is offered on each formation of the offer
tree, and why not, in one call for the whole page (the tree may hold 2,000
formations: catalog is asked once per centre the candidate applied to, never
per formation)."""
from datetime import timedelta

import pytest

from services.common.errors import Conflict, Forbidden, ValidationFailed


def leaf(formation):
    """A formation as the gateway reads it from catalog.get_offer."""
    return {"code": formation["code"], "centre": formation["centre"]["code"],
            "date_open": formation["dates"]["date_open"],
            "date_close": formation["dates"]["date_close"]}


@pytest.fixture
def offer(harness, doubles):
    formations = harness.catalog_data.formations
    formations["SCI3"] = doubles.make_formation("SCI3", "Licence Sciences", doubles.SCI,
                                                "SCI-INFO", harness.today)
    formations["CLOSED"] = doubles.make_formation(
        "CLOSED", "DU fermé", doubles.LLSH, "LLSH-LEA", harness.today,
        date_close=harness.today - timedelta(days=1))
    return lambda: [leaf(f) for f in formations.values()]


def set_centre_max(harness, centre, value):
    for formation in harness.catalog_data.formations.values():
        if formation["centre"]["code"] == centre:
            formation["centre"]["max_applications"] = value


def test_each_formation_says_whether_the_candidate_can_apply_and_why_not(harness, actors, offer):
    set_centre_max(harness, "SCI", 2)
    harness.apply(actors.ada, "MINFO1")
    harness.apply(actors.ada, "MMATH1")
    harness.catalog.get_formation.reset_mock()
    before = harness.state()
    status = harness.call("apply_status", actors.ada, offer())
    assert harness.state() == before  # nothing written
    assert status["MINFO1"] == {"allowed": False, "reason": "already_applied", "fields": {}}
    assert status["SCI3"] == {"allowed": False, "reason": "too_many_applications",
                              "fields": {"scope": "centre", "limit": "2", "centre": "SCI",
                                         "centre_label": "UFR Sciences et Techniques"}}
    assert status["MLEA1"] == {"allowed": True, "reason": None, "fields": {}}
    assert status["CLOSED"]["reason"] == "applications_closed"
    # catalog asked once for the centres' maxima, whatever the size of the tree
    assert harness.catalog.get_formation.call_count == 0
    assert harness.catalog.centre_limits.call_count == 1
    # The same answers as the formation page's can_apply.
    for code in ("MINFO1", "SCI3", "MLEA1", "CLOSED"):
        assert harness.call("can_apply", actors.ada, code) == status[code], code


def test_one_catalog_call_for_the_limits_whatever_the_number_of_centres(harness, actors,
                                                                       doubles, offer):
    formations = harness.catalog_data.formations
    for n in range(6):
        centre = {**doubles.SCI, "code": f"C{n}", "label": f"Centre {n}", "max_applications": 1}
        formations[f"C{n}F"] = doubles.make_formation(f"C{n}F", f"Formation {n}", centre,
                                                      "SCI-INFO", harness.today)
        formations[f"C{n}G"] = doubles.make_formation(f"C{n}G", f"Autre {n}", centre,
                                                      "SCI-INFO", harness.today)
        harness.apply(actors.ada, f"C{n}F")
    harness.catalog.reset_mock()
    status = harness.call("apply_status", actors.ada, offer())
    asked = [name for name, _, _ in harness.catalog.mock_calls]
    assert sorted(asked) == ["centre_limits", "get_active_campaign"]
    for n in range(6):
        assert status[f"C{n}G"]["fields"] == {"scope": "centre", "limit": "1",
                                              "centre": f"C{n}", "centre_label": f"Centre {n}"}
    assert status["MLEA1"]["allowed"] is True


def test_no_application_no_limit_to_ask(harness, actors, offer):
    harness.catalog.reset_mock()
    assert harness.call("apply_status", actors.ada, offer())["MINFO1"]["allowed"] is True
    assert harness.catalog.centre_limits.call_count == 0


def test_the_centre_maximum_is_read_fresh_from_the_catalogue(harness, actors, offer):
    """SCI set its maximum to 1 after Ada applied: the snapshot said none."""
    harness.apply(actors.ada, "MINFO1")
    set_centre_max(harness, "SCI", 1)
    status = harness.call("apply_status", actors.ada, offer())
    assert status["SCI3"]["fields"] == {"scope": "centre", "limit": "1", "centre": "SCI",
                                        "centre_label": "UFR Sciences et Techniques"}
    assert status["MLEA1"]["allowed"] is True


def test_the_global_maximum_and_cancelled_applications(harness, actors, doubles, offer):
    formations = harness.catalog_data.formations
    ids = []
    for n in range(20):
        formations[f"F{n:02d}"] = doubles.make_formation(
            f"F{n:02d}", f"Formation {n}", doubles.SCI, "SCI-INFO", harness.today)
        ids.append(harness.apply(actors.ada, f"F{n:02d}")["id"])
    status = harness.call("apply_status", actors.ada, offer())
    assert status["MLEA1"] == {"allowed": False, "reason": "too_many_applications",
                               "fields": {"scope": "global", "limit": "20"}}
    harness.call("cancel", actors.ada, ids[0])
    status = harness.call("apply_status", actors.ada, offer())
    assert status["MLEA1"]["allowed"] is True and status["F00"]["allowed"] is True
    assert status["F01"]["reason"] == "already_applied"
    # Bob is not affected by Ada's applications.
    assert harness.call("apply_status", actors.bob, offer())["F01"]["allowed"] is True


def test_an_incomplete_dossier_stops_every_formation(harness, actors, offer):
    harness.accounts.check_ready_to_apply.side_effect = Conflict(
        "dossier_incomplete", "complete your dossier", {"bac": "incomplete"})
    status = harness.call("apply_status", actors.ada, offer())
    assert {s["reason"] for s in status.values()} == {"dossier_incomplete"}


def test_no_active_campaign_closes_everything(harness, actors, offer):
    harness.catalog_data.active_campaign = None
    status = harness.call("apply_status", actors.ada, offer())
    assert {s["reason"] for s in status.values()} == {"campaign_not_open"}


def test_only_a_candidate_asks_and_the_list_is_checked(harness, actors, offer):
    harness.refused(Forbidden, "forbidden", "apply_status", actors.manager_sci, offer())
    for bad in ("MINFO1", [{"centre": "SCI"}], [{"code": 3}], None):
        error = harness.refused(ValidationFailed, "invalid", "apply_status", actors.ada, bad)
        assert error.fields == {"formations": "invalid"}
    assert harness.call("apply_status", actors.ada, []) == {}
