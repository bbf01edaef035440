"""The rules of an application as pure functions."""
from datetime import date, datetime, timezone

import pytest

from services.applications import domain
from services.common.errors import ValidationFailed

ALL_FILE = domain.FILE_STATUSES
ALL_PIECE = domain.PIECE_STATUSES


# -- 5.1 file status transitions ---------------------------------------------------

@pytest.mark.parametrize("from_status", ALL_FILE)
@pytest.mark.parametrize("to_status", ALL_FILE)
def test_file_transitions_table(from_status, to_status):
    allowed = {("AT", "RE"), ("RE", "IN"), ("RE", "CO"), ("IN", "RE"), ("IN", "CO"), ("CO", "IN")}
    expected = (from_status, to_status) in allowed
    assert domain.transition_allowed(from_status, to_status) == expected


@pytest.mark.parametrize("from_status", ALL_FILE)
@pytest.mark.parametrize("to_status", ALL_FILE)
def test_staff_moves_are_the_transitions_but_transmission(from_status, to_status):
    staff = {("RE", "IN"), ("RE", "CO"), ("IN", "CO"), ("CO", "IN")}
    refusal = domain.file_status_refusal(from_status, to_status, {})
    if (from_status, to_status) in staff:
        assert refusal is None
    else:
        assert refusal.code == "invalid_transition"


@pytest.mark.parametrize("from_status", ["RE", "IN"])
def test_a_file_with_a_refused_piece_cannot_be_complete(from_status):
    refusal = domain.file_status_refusal(from_status, "CO", {"CNI": "VA", "CV": "RE"})
    assert refusal.code == "pieces_refused" and refusal.fields == {"CV": "RE"}
    assert domain.file_status_refusal(from_status, "IN" if from_status == "RE" else "CO",
                                      {"CNI": "VA", "CV": "TR"}) is None


# -- 5.2 transmit ----------------------------------------------------------------------

def test_missing_pieces_are_those_neither_transmitted_validated_nor_not_concerned():
    statuses = {"CNI": "VA", "CV": "TR", "LM": "AT", "RELEVES": "RE", "CERTLANG": "NC"}
    assert domain.missing_pieces(statuses) == {"LM": "AT", "RELEVES": "RE"}
    assert domain.missing_pieces({"CNI": "TR", "CERTLANG": "NC"}) == {}
    assert domain.missing_pieces({}) == {}


TODAY = date(2027, 3, 10)


@pytest.mark.parametrize("status", ["AT", "IN"])
def test_transmit_allowed_from_at_and_in_with_every_piece_done(status):
    assert domain.transmit_refusal(status, False, TODAY, TODAY, {"CV": "TR", "X": "NC"}) is None


@pytest.mark.parametrize("status", ["RE", "CO"])
def test_transmit_twice_is_refused(status):
    assert domain.transmit_refusal(status, False, None, TODAY, {}).code == "already_transmitted"


def test_transmit_after_the_return_deadline_is_refused_the_day_itself_is_not():
    assert domain.transmit_refusal("AT", False, date(2027, 3, 9), TODAY, {}).code == \
        "return_deadline_passed"
    assert domain.transmit_refusal("AT", False, TODAY, TODAY, {}) is None
    assert domain.transmit_refusal("AT", False, None, TODAY, {}) is None


def test_transmit_lists_what_is_missing():
    refusal = domain.transmit_refusal("AT", False, None, TODAY, {"CV": "AT", "LM": "TR"})
    assert refusal.code == "pieces_missing" and refusal.fields == {"CV": "AT"}


def test_nothing_is_transmitted_on_a_cancelled_application():
    assert domain.transmit_refusal("AT", True, None, TODAY, {}).code == "application_cancelled"


def test_return_deadline_override_wins_over_the_formation_date():
    dates = {"date_return": "2027-05-15"}
    assert domain.return_deadline(None, dates) == date(2027, 5, 15)
    assert domain.return_deadline(date(2027, 6, 1), dates) == date(2027, 6, 1)
    assert domain.return_deadline("2027-06-02", dates) == date(2027, 6, 2)
    assert domain.return_deadline(None, {}) is None


# -- 5.4 pieces -----------------------------------------------------------------------

@pytest.mark.parametrize("file_status", ALL_FILE)
@pytest.mark.parametrize("piece_status", ALL_PIECE)
def test_which_pieces_a_candidate_may_change(file_status, piece_status):
    expected = ((file_status == "AT" and piece_status != "VA")
                or (file_status == "IN" and piece_status in ("RE", "AT")))
    assert domain.can_change_piece(file_status, piece_status) == expected
    assert domain.can_change_piece(file_status, piece_status, cancelled=True) is False


@pytest.mark.parametrize("piece_status,new_status,ok", [
    ("TR", "VA", True), ("TR", "RE", True), ("VA", "RE", True), ("VA", "VA", True),
    ("RE", "VA", True), ("RE", "RE", True), ("AT", "RE", True), ("NC", "RE", True),
    ("AT", "VA", False), ("NC", "VA", False), ("TR", "TR", False), ("RE", "AT", False)])
def test_staff_piece_review(piece_status, new_status, ok):
    refusal = domain.piece_status_refusal("RE", piece_status, new_status)
    assert (refusal is None) == ok
    if not ok:
        assert refusal.code == "invalid_transition"


@pytest.mark.parametrize("file_status", ["AT", "CO"])
def test_pieces_are_reviewed_only_on_received_or_incomplete_files(file_status):
    assert domain.piece_status_refusal(file_status, "TR", "VA").code == "invalid_transition"


# -- applying -------------------------------------------------------------------------

DATES = {"date_open": "2027-02-01", "date_close": "2027-04-30"}


@pytest.mark.parametrize("today,open_", [
    (date(2027, 1, 31), False), (date(2027, 2, 1), True), (date(2027, 3, 10), True),
    (date(2027, 4, 30), True), (date(2027, 5, 1), False)])
def test_application_window_includes_both_days(today, open_):
    assert domain.window_open(DATES, today) is open_


def test_a_disabled_formation_or_one_without_dates_is_closed():
    assert domain.window_open(DATES, TODAY, enabled=False) is False
    assert domain.window_open({"date_open": "2027-02-01"}, TODAY) is False
    assert domain.window_open({}, TODAY) is False


def test_paris_day_is_the_day_that_counts():
    # 23:30 UTC on 30 April is already 1 May in Paris: the window has closed.
    late = datetime(2027, 4, 30, 23, 30, tzinfo=timezone.utc)
    assert domain.paris_today(late) == date(2027, 5, 1)
    assert domain.window_open(DATES, domain.paris_today(late)) is False
    evening = datetime(2027, 4, 30, 21, 30, tzinfo=timezone.utc)
    assert domain.paris_today(evening) == date(2027, 4, 30)


SCI_NO_MAX = {"code": "SCI", "label": "UFR Sciences", "max_applications": None}
SCI_MAX_3 = {"code": "SCI", "label": "UFR Sciences", "max_applications": 3}


def test_global_maximum_of_twenty_when_the_centre_sets_none():
    assert domain.limit_refusal(0, 19, SCI_NO_MAX) is None
    refusal = domain.limit_refusal(0, 20, SCI_NO_MAX)
    assert refusal.code == "too_many_applications"
    assert refusal.fields == {"scope": "global", "limit": "20"}


def test_centre_maximum_counts_applications_in_that_centre():
    assert domain.limit_refusal(2, 15, SCI_MAX_3) is None
    refusal = domain.limit_refusal(3, 3, SCI_MAX_3)
    assert refusal.code == "too_many_applications"
    assert refusal.fields == {"scope": "centre", "limit": "3", "centre": "SCI",
                              "centre_label": "UFR Sciences"}


def test_the_global_maximum_still_applies_when_the_centre_sets_its_own():
    """Both limits apply: 2 of the centre's 3, but 20 in all."""
    refusal = domain.limit_refusal(2, 20, SCI_MAX_3)
    assert refusal.fields == {"scope": "global", "limit": "20"}
    # A centre maximum above 20 does not lift the institution's.
    assert domain.limit_refusal(20, 20, {**SCI_MAX_3, "max_applications": 25}).fields == \
        {"scope": "global", "limit": "20"}


def test_what_stops_an_application_first():
    open_ = {"window_open": True, "campaign_open": True, "already_applied": False,
             "active_in_centre": 0, "active_total": 0, "centre": SCI_MAX_3}
    assert domain.apply_refusal(**open_) is None
    for change, code in [({"campaign_open": False, "window_open": False}, "campaign_not_open"),
                         ({"window_open": False, "already_applied": True}, "applications_closed"),
                         ({"already_applied": True, "active_in_centre": 3}, "already_applied"),
                         ({"active_in_centre": 3, "active_total": 20}, "too_many_applications")]:
        assert domain.apply_refusal(**{**open_, **change}).code == code, change


# -- 5.3 cancel -----------------------------------------------------------------------

def test_cancel_only_before_transmission_and_without_decision():
    assert domain.cancel_refusal("AT", False, False) is None
    for status in ("RE", "IN", "CO"):
        assert domain.cancel_refusal(status, False, False).code == "cannot_cancel"
    assert domain.cancel_refusal("AT", False, True).code == "cannot_cancel"
    assert domain.cancel_refusal("AT", True, False).code == "cannot_cancel"


# -- 5.5 decisions --------------------------------------------------------------------

def test_favourable_needs_nothing_and_keeps_a_comment():
    assert domain.decision_data("FA", {"comment": " Bravo "}) == {
        "comment": "Bravo", "reason": None, "rank": None, "convocation": None}
    assert domain.decision_data("LA", None)["comment"] is None


def invalid(code, data):
    with pytest.raises(ValidationFailed) as info:
        domain.decision_data(code, data)
    return info.value.fields


def test_unknown_decision_code():
    assert invalid("XX", {}) == {"code": "invalid_choice"}


def test_unfavourable_needs_a_reason():
    assert invalid("DE", {"comment": "non"}) == {"reason": "required"}
    assert invalid("DE", {"reason": "   "}) == {"reason": "required"}
    assert domain.decision_data("DE", {"reason": "Dossier insuffisant"})["reason"] == \
        "Dossier insuffisant"


@pytest.mark.parametrize("rank,error", [(None, "required"), ("", "required"), ("0", "rank_invalid"),
                                        (-1, "rank_invalid"), ("deux", "rank_invalid"),
                                        (True, "rank_invalid")])
def test_waiting_list_needs_a_positive_rank(rank, error):
    assert invalid("LC", {"rank": rank}) == {"rank": error}


def test_waiting_list_rank_is_stored_as_an_integer_and_other_fields_are_dropped():
    data = domain.decision_data("LC", {"rank": "3", "reason": "ignored", "place": "ignored"})
    assert data == {"comment": None, "reason": None, "rank": 3, "convocation": None}


def test_preselection_needs_date_time_and_place():
    assert invalid("PR", {}) == {"date": "required", "time": "required", "place": "required"}
    assert invalid("PR", {"date": "2027-13-01", "time": "25:00", "place": "Amphi A"}) == {
        "date": "invalid_date", "time": "invalid"}
    data = domain.decision_data("PR", {"date": "2027-05-20", "time": "14h30", "place": "Amphi A"})
    assert data["convocation"] == {"date": "2027-05-20", "time": "14:30", "place": "Amphi A"}


def test_overlong_comment_is_refused():
    assert invalid("FA", {"comment": "x" * 2001}) == {"comment": "too_long"}


def test_decisions_only_on_complete_files():
    assert domain.decision_refusal("CO", False) is None
    for status in ("AT", "RE", "IN"):
        assert domain.decision_refusal(status, False).code == "decision_not_allowed"


# -- 5.6 confirmation -----------------------------------------------------------------

VALIDATED = datetime(2027, 6, 10, 22, 30, tzinfo=timezone.utc)  # 11 June in Paris


def test_confirm_deadline_is_the_formation_date_when_set():
    assert domain.confirm_deadline({"date_confirm": "2027-06-30", "confirm_days": 8},
                                   VALIDATED) == date(2027, 6, 30)


def test_confirm_deadline_is_n_paris_days_after_validation_otherwise():
    assert domain.confirm_deadline({"date_confirm": None, "confirm_days": 8},
                                   VALIDATED) == date(2027, 6, 19)
    assert domain.confirm_deadline({}, VALIDATED) is None


def test_confirm_needs_a_validated_favourable_decision_not_yet_answered():
    deadline = date(2027, 6, 30)
    assert domain.confirm_refusal("FA", None, None, False, deadline, deadline) is None
    for code in (None, "DE", "LC", "LA", "PR"):
        assert domain.confirm_refusal(code, None, None, False, deadline, TODAY).code == \
            "cannot_confirm"
    assert domain.confirm_refusal("FA", VALIDATED, None, False, deadline, TODAY).code == \
        "cannot_confirm"
    assert domain.confirm_refusal("FA", None, VALIDATED, False, deadline, TODAY).code == \
        "cannot_confirm"


def test_confirm_after_the_deadline_is_refused():
    assert domain.confirm_refusal("FA", None, None, False, date(2027, 6, 30),
                                  date(2027, 7, 1)).code == "confirm_deadline_passed"


def test_withdraw_after_a_favourable_decision_confirmed_or_not_once():
    assert domain.withdraw_refusal("FA", None, False) is None
    assert domain.withdraw_refusal("DE", None, False).code == "cannot_withdraw"
    assert domain.withdraw_refusal(None, None, False).code == "cannot_withdraw"
    assert domain.withdraw_refusal("FA", VALIDATED, False).code == "cannot_withdraw"
