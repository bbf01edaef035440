"""The lifecycle's pure rules: waiting-list ranks, the promotion's choice,
deadlines with overrides, reminders, treatment types, the OPI code, paper
files, stale versions."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.applications import domain
from services.common.errors import Conflict, ValidationFailed

T0 = datetime(2027, 5, 1, 8, 0, tzinfo=timezone.utc)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def test_ranks_follow_the_entered_rank_then_validation_then_id():
    entries = [(7, 3, at(0)), (3, 1, at(5)), (9, 1, at(1)), (4, 2, at(2)), (8, 2, at(2))]
    assert domain.waiting_ranks(entries) == {9: 1, 3: 2, 4: 3, 8: 4, 7: 5}
    assert domain.waiting_ranks([]) == {}


def test_the_first_of_the_list_is_promoted_and_nobody_from_an_empty_one():
    assert domain.promotion_choice(domain.waiting_ranks([(5, 4, at(0)), (6, 2, at(9))])) == 6
    assert domain.promotion_choice({}) is None


def test_only_an_admitted_withdrawal_in_a_promoting_formation_frees_a_place():
    on, off = {"auto_promotion": True}, {"auto_promotion": False}
    assert domain.promotes("FA", on) is True
    assert domain.promotes("FA", off) is False
    assert domain.promotes("LC", on) is False


@pytest.mark.parametrize("display,expected", [("none", None), ("entered", 7), ("real", 2)])
def test_the_rank_a_candidate_sees_follows_the_formation(display, expected):
    assert domain.displayed_rank(display, 7, 2) == expected


def test_review_settings_default_when_the_snapshot_has_none():
    assert domain.review_settings({}) == {"auto_promotion": False, "rank_display": "real",
                                          "reminder_days": 2}
    assert domain.review_settings({"auto_promotion": True, "rank_display": "odd",
                                   "reminder_days": 5}) == {
        "auto_promotion": True, "rank_display": "real", "reminder_days": 5}


def test_an_override_wins_over_the_deadline_and_is_never_in_the_past():
    today = date(2027, 5, 1)
    assert domain.applying_deadline(None, date(2027, 6, 1)) == date(2027, 6, 1)
    assert domain.applying_deadline("2027-06-20", date(2027, 6, 1)) == date(2027, 6, 20)
    assert domain.override_day("2027-05-01", today, "confirm_deadline") == today
    assert domain.override_day("", today, "confirm_deadline") is None
    with pytest.raises(ValidationFailed) as error:
        domain.override_day("2027-04-30", today, "confirm_deadline")
    assert (error.value.code, error.value.fields) == (
        "date_in_past", {"confirm_deadline": "date_in_past"})
    with pytest.raises(ValidationFailed) as error:
        domain.override_day("1er mai", today, "return_deadline")
    assert error.value.fields == {"return_deadline": "invalid_date"}


def test_a_reminder_is_due_from_n_days_before_the_deadline_until_it():
    deadline = date(2027, 6, 10)
    assert not domain.reminder_due(deadline, 2, date(2027, 6, 7))
    assert domain.reminder_due(deadline, 2, date(2027, 6, 8))
    assert domain.reminder_due(deadline, 2, deadline)
    assert not domain.reminder_due(deadline, 2, date(2027, 6, 11))
    assert not domain.reminder_due(None, 2, deadline)


def test_treatment_types_validate_once_and_never_at():
    assert domain.treatment_refusal("AC", None, False) is None
    assert domain.treatment_refusal("AD", None, False) is None
    assert domain.treatment_refusal("AT", None, False).code == "treatment_undecided"
    assert domain.treatment_refusal("AC", T0, False).code == "treatment_already_validated"
    assert domain.treatment_refusal("AC", None, True).code == "application_cancelled"
    assert domain.follows_formation_treatment(None, False)
    assert not domain.follows_formation_treatment(T0, False)


def test_an_ad_formation_takes_decisions_on_any_file_once_its_type_is_validated():
    assert domain.decision_refusal("RE", False, "AD", True) is None
    assert domain.decision_refusal("AT", False, "AD", True) is None
    assert domain.decision_refusal("RE", False, "AD", False).code == "decision_not_allowed"
    assert domain.decision_refusal("RE", False, "AC", True).code == "decision_not_allowed"
    assert domain.decision_refusal("CO", True, "AD", True).code == "decision_not_allowed"


def test_a_convocation_in_the_past_is_refused():
    data = {"date": "2027-04-30", "time": "9h", "place": "Amphi A"}
    with pytest.raises(ValidationFailed) as error:
        domain.decision_data("PR", {**data, "time": "09:00"}, today=date(2027, 5, 1))
    assert error.value.fields == {"date": "date_in_past"}
    assert domain.decision_data("PR", {**data, "date": "2027-05-01", "time": "09:00"},
                                today=date(2027, 5, 1))["convocation"]["date"] == "2027-05-01"


def test_the_opi_code_is_the_prefix_and_a_zero_padded_number():
    assert domain.opi_code("SCI", 123) == "SCI000123"
    assert domain.opi_code("", 7) == "000007"
    assert domain.opi_code("ab", 1234567) == "AB1234567"


def test_paper_files_are_received_only_in_a_centre_not_online():
    assert domain.paper_file_refusal("AT", False, False) is None
    assert domain.paper_file_refusal("AT", False, True).code == "centre_online"
    assert domain.paper_file_refusal("AT", False, None).code == "centre_online"
    assert domain.paper_file_refusal("RE", False, False).code == "invalid_transition"


def test_a_stale_version_is_refused():
    assert domain.version_refusal(None, 4) is None
    assert domain.version_refusal("4", 4) is None
    assert isinstance(domain.version_refusal(3, 4), Conflict)
    assert domain.version_refusal(3, 4).code == "stale_application"
    with pytest.raises(ValidationFailed):
        domain.version_refusal("x", 4)


def test_a_promoted_candidate_gets_at_least_a_week_to_answer():
    promoted_at = datetime(2027, 7, 1, 10, 0, tzinfo=timezone.utc)
    assert domain.promotion_deadline({"date_confirm": "2027-06-30"}, promoted_at) == \
        date(2027, 7, 8)
    assert domain.promotion_deadline({"date_confirm": "2027-08-01"}, promoted_at) == \
        date(2027, 8, 1)
    assert domain.promotion_deadline({"confirm_days": 10}, promoted_at) == date(2027, 7, 11)
