"""Decisions (entered, validated, history), confirmation, withdrawal, letter."""
from datetime import timedelta

import pytest

from services.common.errors import Conflict, ValidationFailed


@pytest.mark.parametrize("steps", [(), ("RE",), ("RE", "IN")])
def test_a_decision_on_a_file_that_is_not_complete_is_refused(harness, actors, steps):
    h, manager = harness, actors.manager_sci
    app_id = h.apply(actors.ada)["id"]
    h.complete(actors.ada, app_id)
    for status in steps:
        if status == "RE":
            h.call("transmit", actors.ada, app_id)
        else:
            h.call("set_file_status", manager, app_id, status)
    h.refused(Conflict, "decision_not_allowed", "enter_decision", manager, app_id, "FA", {})


@pytest.mark.parametrize("code,data,fields", [
    ("DE", {"comment": "Non"}, {"reason": "required"}),
    ("LC", {}, {"rank": "required"}),
    ("LC", {"rank": "0"}, {"rank": "rank_invalid"}),
    ("PR", {"date": "2027-05-20", "time": "14:00"}, {"place": "required"}),
    ("PR", {"date": "20/05/2027", "time": "14:00", "place": "Amphi"}, {"date": "invalid_date"}),
    ("ZZ", {}, {"code": "invalid_choice"}),
])
def test_decision_data_is_checked_per_code(harness, actors, code, data, fields):
    h = harness
    app_id = h.complete_file(actors.ada, actors.manager_sci)["id"]
    error = h.refused(ValidationFailed, "invalid", "enter_decision", actors.manager_sci, app_id,
                      code, data)
    assert error.fields == fields


def test_nothing_to_validate(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.complete_file(actors.ada, manager)["id"]
    h.refused(Conflict, "nothing_to_validate", "validate_decision", manager, app_id)
    h.call("enter_decision", manager, app_id, "LA", {})
    h.call("validate_decision", manager, app_id)
    h.refused(Conflict, "nothing_to_validate", "validate_decision", manager, app_id)


def test_every_decision_is_kept_and_the_candidate_sees_only_the_last_validated(harness, actors):
    h, manager, ada = harness, actors.manager_sci, actors.ada
    app_id = h.complete_file(ada, manager)["id"]
    h.call("enter_decision", manager, app_id, "LC", {"rank": "4", "comment": "Liste"})
    h.call("validate_decision", manager, app_id)
    lc, = h.events("decision_validated")
    assert (lc["code"], lc["rank"], lc["confirm_deadline"]) == ("LC", 4, None)
    h.clock.advance(days=1)
    h.call("enter_decision", manager, app_id, "DE", {"reason": "Capacité atteinte"})
    mine = h.call("get_application", ada, app_id)
    # the real rank (first of the list) by default, not the one entered
    assert mine["decision"]["code"] == "LC" and mine["decision"]["rank"] == 1
    assert "decisions" not in mine and "pending_decision" not in mine
    listed, = h.call("list_my_applications", ada)
    assert listed["decision"]["code"] == "LC" and "pending_decision" not in listed
    listed, = h.call("list_applications", manager, {})["items"]
    assert (listed["decision"]["code"], listed["pending_decision"]["code"]) == ("LC", "DE")
    view = h.call("validate_decision", manager, app_id)
    assert [(d["code"], d["validated_by"]) for d in view["decisions"]] == [
        ("LC", "Manager SCI"), ("DE", "Manager SCI")]
    mine = h.call("get_application", ada, app_id)
    assert mine["decision"] == {"code": "DE", "comment": None, "reason": "Capacité atteinte",
                                "rank": None, "convocation": None,
                                "validated_at": h.clock.now.isoformat()}
    assert mine["can_confirm"] is False and mine["can_withdraw"] is False
    h.refused(Conflict, "cannot_confirm", "confirm", ada, app_id)
    h.refused(Conflict, "cannot_withdraw", "withdraw", ada, app_id)
    h.refused(Conflict, "not_confirmed", "get_admission_letter", ada, app_id)
    assert [e["code"] for e in h.events("decision_validated")] == ["LC", "DE"]


def test_a_convocation_is_published_with_a_preselection(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.complete_file(actors.ada, manager)["id"]
    h.call("enter_decision", manager, app_id, "PR",
           {"date": "2027-05-20", "time": "9h15", "place": "Salle B12"})
    h.call("validate_decision", manager, app_id)
    event, = h.events("decision_validated")
    assert event["convocation"] == {"date": "2027-05-20", "time": "09:15", "place": "Salle B12"}


def favourable(h, actors):
    app_id = h.complete_file(actors.ada, actors.manager_sci)["id"]
    h.call("enter_decision", actors.manager_sci, app_id, "FA", {})
    h.call("validate_decision", actors.manager_sci, app_id)
    return app_id


def test_confirm_after_the_deadline_is_refused(harness, actors):
    h = harness
    app_id = favourable(h, actors)
    deadline = h.call("get_application", actors.ada, app_id)["confirm_deadline"]
    h.clock.now = h.clock.now.replace(year=2027, month=7, day=8, hour=21)  # 23:00 in Paris
    assert deadline == "2027-07-08"
    assert h.call("get_application", actors.ada, app_id)["can_confirm"] is True
    h.clock.advance(hours=2)                                               # 01:00 on 9 July
    assert h.call("get_application", actors.ada, app_id)["can_confirm"] is False
    h.refused(Conflict, "confirm_deadline_passed", "confirm", actors.ada, app_id)
    h.refused(Conflict, "not_confirmed", "get_admission_letter", actors.ada, app_id)


def test_confirm_deadline_counts_days_from_validation_when_the_formation_says_so(harness, actors):
    h = harness
    dates = h.catalog_data.formations["MINFO1"]["dates"]
    dates["date_confirm"], dates["confirm_days"] = None, 8
    app_id = favourable(h, actors)
    expected = (h.today + timedelta(days=8)).isoformat()
    assert h.call("get_application", actors.ada, app_id)["confirm_deadline"] == expected
    assert h.events("decision_validated")[0]["confirm_deadline"] == expected


def test_confirm_twice_then_withdraw_once(harness, actors):
    h, ada = harness, actors.ada
    app_id = favourable(h, actors)
    h.refused(Conflict, "not_confirmed", "get_admission_letter", ada, app_id)
    h.call("confirm", ada, app_id)
    h.refused(Conflict, "cannot_confirm", "confirm", ada, app_id)
    staff_link = h.call("get_admission_letter", actors.manager_sci, app_id)
    assert staff_link["filename"] == "lettre-admission.pdf"
    view = h.call("withdraw", ada, app_id)
    assert view["withdrawn_at"] == h.clock.now.isoformat() and view["can_withdraw"] is False
    withdrawn, = h.events("application_withdrawn")
    assert withdrawn["automatic"] is False and withdrawn["application_id"] == app_id
    h.refused(Conflict, "cannot_withdraw", "withdraw", ada, app_id)
    h.refused(Conflict, "cannot_confirm", "confirm", ada, app_id)
    h.refused(Conflict, "not_confirmed", "get_admission_letter", ada, app_id)


def test_withdraw_without_confirming(harness, actors):
    h = harness
    app_id = favourable(h, actors)
    view = h.call("withdraw", actors.ada, app_id)
    assert view["confirmed_at"] is None and view["can_confirm"] is False
    assert h.events("application_confirmed") == []
