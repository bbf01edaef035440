"""The application's lifecycle through the RPCs, on the real database: treatment
types, refusal motives, the waiting list and its promotions, override dates,
enrolment codes, paper files, stale forms, and the scheduled jobs."""
import uuid
from datetime import timedelta

import pytest

from services.applications import jobs
from services.applications.models import Base
from services.common.errors import Conflict, ValidationFailed
from tests.support.actors import candidate

CAROL, DAN = candidate(56), candidate(78)


def admitted(h, actor, manager, code="MINFO1"):
    app_id = h.complete_file(actor, manager, code)["id"]
    h.call("enter_decision", manager, app_id, "FA", {})
    h.call("validate_decision", manager, app_id)
    return app_id


def waiting(h, actor, manager, rank, code="MINFO1"):
    app_id = h.complete_file(actor, manager, code)["id"]
    h.call("enter_decision", manager, app_id, "LC", {"rank": rank})
    h.call("validate_decision", manager, app_id)
    return app_id


def run_job(h, name):
    unit = h.unit_of_work(h.engine, Base.metadata)
    try:
        return getattr(jobs, name)(unit, h.clock())
    finally:
        unit.close()


def formation_updated(h, code="MINFO1", **changes):
    formation = h.catalog_data.formations[code]
    formation.update(changes)
    return {"event_id": str(uuid.uuid4()), "event_type": "formation_updated",
            "occurred_at": h.clock().isoformat(), "code": code,
            "campaign": formation["campaign"]["code"], "dates": dict(formation["dates"]),
            "treatment_type": formation["treatment_type"],
            "settings": {k: formation[k] for k in ("auto_promotion", "rank_display",
                                                   "reminder_days") if k in formation}}


# -- treatment types --------------------------------------------------------------------

def test_the_treatment_type_follows_the_formation_until_staff_validate_it(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.apply(actors.ada)["id"]
    assert h.call("get_application", manager, app_id)["treatment_type"] == "AC"
    h.call("on_formation_updated", formation_updated(h, treatment_type="AT"))
    view = h.call("get_application", manager, app_id)
    assert view["treatment_type"] == "AT" and view["can_validate_treatment"] is False
    h.refused(Conflict, "treatment_undecided", "validate_treatment", manager, app_id)
    h.clock.advance(minutes=1)
    h.call("on_formation_updated", formation_updated(h, treatment_type="AC"))
    view = h.call("validate_treatment", manager, app_id)
    assert (view["treatment_type"], view["treatment_validated_by"]) == ("AC", "Manager SCI")
    assert view["decisions"] == []  # AC: the committee decides
    event, = h.events("treatment_validated")
    assert (event["treatment_type"], event["application_id"]) == ("AC", app_id)
    h.clock.advance(minutes=1)
    h.call("on_formation_updated", formation_updated(h, treatment_type="AD"))
    assert h.call("get_application", manager, app_id)["treatment_type"] == "AC"  # validated
    h.refused(Conflict, "treatment_already_validated", "validate_treatment", manager, app_id)


def test_validating_an_ad_treatment_admits_the_candidate_at_once(harness, actors):
    h, manager = harness, actors.manager_sci
    h.catalog_data.formations["MINFO1"]["treatment_type"] = "AD"
    app_id = h.transmitted(actors.ada)["id"]  # RE: not complete, yet decided
    view = h.call("validate_treatment", manager, app_id)
    fa, = view["decisions"]
    assert (fa["code"], fa["automatic"], fa["validated_by"]) == ("FA", True, "système")
    assert [e["event_type"] for e in h.events()][-2:] == ["treatment_validated",
                                                           "decision_validated"]
    validated, = h.events("decision_validated")
    assert (validated["code"], validated["automatic"]) == ("FA", True)
    assert validated["confirm_deadline"] == view["confirm_deadline"] is not None
    mine = h.call("get_application", actors.ada, app_id)
    assert mine["decision"]["code"] == "FA" and mine["can_confirm"] is True
    # and further decisions on this file, though it is not complete
    h.call("enter_decision", manager, app_id, "LA", {})


# -- decisions: motives, convocations -------------------------------------------------------

def test_a_refusal_takes_a_motive_of_the_catalogue(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.complete_file(actors.ada, manager)["id"]
    error = h.refused(ValidationFailed, "invalid", "enter_decision", manager, app_id, "DE",
                      {"reason": "Parce que"})
    assert error.fields == {"reason": "invalid_choice"}
    view = h.call("enter_decision", manager, app_id, "DE",
                  {"reason": "NIVEAU", "comment": "Prérequis en algèbre"})
    assert (view["pending_decision"]["reason_code"], view["pending_decision"]["reason"]) == (
        "NIVEAU", "Niveau insuffisant")
    assert h.call("get_application", actors.ada, app_id)["decision"] is None  # not validated
    h.call("validate_decision", manager, app_id)
    mine = h.call("get_application", actors.ada, app_id)["decision"]
    assert (mine["code"], mine["reason"], mine["comment"]) == (
        "DE", "Niveau insuffisant", "Prérequis en algèbre")
    assert h.events("decision_validated")[-1]["reason_code"] == "NIVEAU"


def test_a_convocation_cannot_be_in_the_past(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.complete_file(actors.ada, manager)["id"]
    yesterday = (h.today - timedelta(days=1)).isoformat()
    error = h.refused(ValidationFailed, "invalid", "enter_decision", manager, app_id, "PR",
                      {"date": yesterday, "time": "10:00", "place": "Salle 3"})
    assert error.fields == {"date": "date_in_past"}


# -- waiting list and promotion ---------------------------------------------------------------

def test_ranks_are_recomputed_and_shown_as_the_formation_says(harness, actors):
    h, manager = harness, actors.manager_sci
    bob = waiting(h, actors.bob, manager, 5)
    ada = waiting(h, actors.ada, manager, 2)
    carol = waiting(h, CAROL, manager, 9)
    assert [h.call("get_application", manager, a)["rank_real"] for a in (ada, bob, carol)] == \
        [1, 2, 3]
    assert h.call("get_application", actors.bob, bob)["decision"]["rank"] == 2  # real
    h.call("on_formation_updated", formation_updated(h, rank_display="entered"))
    assert h.call("get_application", actors.bob, bob)["decision"]["rank"] == 5
    h.clock.advance(minutes=1)
    h.call("on_formation_updated", formation_updated(h, rank_display="none"))
    assert h.call("get_application", actors.bob, bob)["decision"]["rank"] is None
    # Ada leaves the list (refused): the others move up
    h.call("enter_decision", manager, ada, "DE", {"reason": "CAPACITE"})
    h.call("validate_decision", manager, ada)
    assert [h.call("get_application", manager, a)["rank_real"] for a in (ada, bob, carol)] == \
        [None, 1, 2]


def test_a_withdrawal_promotes_the_first_of_the_list_when_the_formation_says_so(harness, actors):
    h, manager = harness, actors.manager_sci
    h.catalog_data.formations["MINFO1"].update(auto_promotion=True)
    ada = admitted(h, actors.ada, manager)
    bob = waiting(h, actors.bob, manager, 2)
    carol = waiting(h, CAROL, manager, 1)
    h.clock.advance(days=1)
    h.call("withdraw", actors.ada, ada)
    promoted = h.call("get_application", CAROL, carol)
    assert promoted["decision"]["code"] == "FA" and promoted["can_confirm"] is True
    staff_view = h.call("get_application", manager, carol)
    assert staff_view["decisions"][-1]["automatic"] is True and staff_view["rank_real"] is None
    assert h.call("get_application", manager, bob)["rank_real"] == 1
    event = h.events("decision_validated")[-1]
    assert (event["application_id"], event["code"], event["promoted"]) == (carol, "FA", True)
    assert event["confirm_deadline"] == promoted["confirm_deadline"]
    withdrawn, = h.events("application_withdrawn")
    assert withdrawn["automatic"] is False


def test_without_automatic_promotion_a_withdrawal_promotes_nobody(harness, actors):
    h, manager = harness, actors.manager_sci
    ada = admitted(h, actors.ada, manager)
    bob = waiting(h, actors.bob, manager, 1)
    h.call("withdraw", actors.ada, ada)
    assert h.call("get_application", actors.bob, bob)["decision"]["code"] == "LC"
    assert not [e for e in h.events("decision_validated") if e.get("promoted")]


# -- override dates ---------------------------------------------------------------------------

def test_staff_override_the_deadlines_and_the_candidate_sees_them(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = admitted(h, actors.ada, manager)
    yesterday = (h.today - timedelta(days=1)).isoformat()
    error = h.refused(ValidationFailed, "date_in_past", "set_overrides", manager, app_id,
                      confirm_deadline=yesterday)
    assert error.fields == {"confirm_deadline": "date_in_past"}
    later = h.today + timedelta(days=200)
    view = h.call("set_overrides", manager, app_id, confirm_deadline=later.isoformat())
    assert view["confirm_deadline_override"] == later.isoformat()
    assert view["return_deadline_override"] is None  # not given: left as it was
    h.clock.advance(days=150)  # past the formation's date_confirm (120 days)
    mine = h.call("get_application", actors.ada, app_id)
    assert mine["confirm_deadline"] == later.isoformat() and mine["can_confirm"] is True
    h.call("confirm", actors.ada, app_id)
    # "" removes an override
    view = h.call("set_overrides", manager, app_id, confirm_deadline="")
    assert view["confirm_deadline_override"] is None


def test_a_return_deadline_override_lets_the_candidate_transmit_late(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.apply(actors.ada)["id"]
    h.complete(actors.ada, app_id)
    h.call("set_overrides", manager, app_id,
           return_deadline=(h.today + timedelta(days=100)).isoformat())
    h.clock.advance(days=90)  # past the formation's date_return (75 days)
    assert h.call("transmit", actors.ada, app_id)["status"] == "RE"


# -- enrolment code ----------------------------------------------------------------------------

def test_confirming_an_admission_makes_one_enrolment_code(harness, actors):
    h, manager = harness, actors.manager_sci
    ada = admitted(h, actors.ada, manager)
    bob = admitted(h, actors.bob, manager)
    # the prefix set after they applied: the one the catalog has at confirmation
    h.catalog_data.formations["MINFO1"]["centre"]["opi_prefix"] = "SCI"
    first = h.call("confirm", actors.ada, ada)["opi_code"]
    second = h.call("confirm", actors.bob, bob)["opi_code"]
    assert first.startswith("SCI") and len(first) >= 9 and first != second
    assert h.call("get_application", manager, ada)["opi_code"] == first
    assert [e["opi_code"] for e in h.events("application_confirmed")] == [first, second]
    h.refused(Conflict, "cannot_confirm", "confirm", actors.ada, ada)
    assert h.call("get_application", actors.ada, ada)["opi_code"] == first


# -- paper files, stale forms -----------------------------------------------------------------

def test_a_paper_file_is_received_only_for_a_centre_not_online(harness, actors):
    h, manager = harness, actors.manager_sci
    online = h.apply(actors.ada)["id"]
    h.refused(Conflict, "centre_online", "receive_paper_file", manager, online)
    paper = h.apply(actors.ada, "MMATH1")["id"]
    h.catalog_data.formations["MMATH1"]["centre"]["online"] = False  # as the catalog has it now
    view = h.call("receive_paper_file", manager, paper)
    assert view["status"] == "RE" and view["transmitted_at"] is not None
    changed, = h.events("status_changed")
    assert (changed["from_status"], changed["to_status"]) == ("AT", "RE")
    h.refused(Conflict, "invalid_transition", "receive_paper_file", manager, paper)


def test_a_form_read_before_another_change_is_refused(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.transmitted(actors.ada)["id"]
    read = h.call("get_application", manager, app_id)["version"]
    after = h.call("set_file_status", manager, app_id, "CO", expected_version=read)["version"]
    assert after > read
    h.refused(Conflict, "stale_application", "enter_decision", manager, app_id, "FA", {},
              expected_version=read)
    h.refused(Conflict, "stale_application", "set_overrides", manager, app_id,
              return_deadline=(h.today + timedelta(days=3)).isoformat(), expected_version=read)
    h.call("on_formation_updated", formation_updated(h, reminder_days=4))
    # the catalog's copy refreshed: no staff form is out of date for that
    assert h.call("get_application", manager, app_id)["version"] == after
    h.call("enter_decision", manager, app_id, "FA", {}, expected_version=after)


# -- scheduled jobs -------------------------------------------------------------------------

def test_reminders_go_once_per_deadline(harness, actors):
    h, manager = harness, actors.manager_sci
    pending = h.apply(actors.ada)["id"]  # return deadline in 75 days
    admitted_id = admitted(h, actors.bob, manager)  # confirm deadline in 120 days
    assert run_job(h, "send_reminders")["transmit"] == 0
    h.clock.advance(days=73)
    assert run_job(h, "send_reminders") == {"transmit": 1, "confirm": 0, "already_sent": 0}
    assert run_job(h, "send_reminders") == {"transmit": 0, "confirm": 0, "already_sent": 1}
    sent, = h.events("reminder_due")
    assert (sent["application_id"], sent["kind"], sent["deadline"]) == (
        pending, "transmit", (h.today + timedelta(days=75)).isoformat())
    h.clock.advance(days=45)  # 2 days before the confirmation deadline
    counts = run_job(h, "send_reminders")
    assert counts["confirm"] == 1
    assert h.events("reminder_due")[-1]["application_id"] == admitted_id


def test_unanswered_admissions_are_withdrawn_past_the_deadline_and_replaced(harness, actors):
    h, manager = harness, actors.manager_sci
    h.catalog_data.formations["MINFO1"].update(auto_promotion=True)
    ada = admitted(h, actors.ada, manager)
    bob = waiting(h, actors.bob, manager, 1)
    confirmed = admitted(h, CAROL, manager)
    h.call("confirm", CAROL, confirmed)
    h.clock.advance(days=120)  # the deadline day: still time
    assert run_job(h, "withdraw_expired") == {"withdrawn": 0, "promoted": 0, "skipped": 0}
    h.clock.advance(days=1)
    assert run_job(h, "withdraw_expired") == {"withdrawn": 1, "promoted": 1, "skipped": 0}
    withdrawn, = h.events("application_withdrawn")
    assert (withdrawn["application_id"], withdrawn["automatic"]) == (ada, True)
    assert h.call("get_application", actors.bob, bob)["decision"]["code"] == "FA"
    assert h.call("get_application", CAROL, confirmed)["withdrawn_at"] is None
    assert run_job(h, "withdraw_expired")["withdrawn"] == 0


def test_recomputing_ranks_repairs_them(harness, actors):
    h, manager = harness, actors.manager_sci
    first = waiting(h, actors.ada, manager, 1)
    second = waiting(h, actors.bob, manager, 2)
    h.sql("UPDATE applications SET rank_real = 7")
    assert run_job(h, "recompute_ranks") == {"formations": 1, "changed": 2}
    assert [h.call("get_application", manager, a)["rank_real"] for a in (first, second)] == \
        [1, 2]
    assert run_job(h, "recompute_ranks")["changed"] == 0


@pytest.mark.parametrize("name", sorted(job.name for job in jobs.JOBS))
def test_every_job_runs_on_an_empty_database(harness, name):
    assert all(v == 0 for v in run_job(harness, name).values())


def test_reminders_follow_the_deadlines_staff_set(harness, actors):
    h, manager = harness, actors.manager_sci
    moved = h.apply(actors.ada)["id"]
    h.call("set_overrides", manager, moved,
           return_deadline=(h.today + timedelta(days=10)).isoformat())
    admitted_id = admitted(h, actors.bob, manager)
    h.call("set_overrides", manager, admitted_id,
           confirm_deadline=(h.today + timedelta(days=9)).isoformat())
    h.clock.advance(days=8)
    assert run_job(h, "send_reminders") == {"transmit": 1, "confirm": 1, "already_sent": 0}
    assert {(e["application_id"], e["kind"]) for e in h.events("reminder_due")} == {
        (moved, "transmit"), (admitted_id, "confirm")}
