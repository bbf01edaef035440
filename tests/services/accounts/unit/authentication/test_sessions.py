"""Login sessions kept server side, and what a stolen session can no longer
do. Every login opens a session whose id only the gateway's cookie holds;
check_session answers for it until it ends: at logout, at a password reset,
when the address changes, when the account goes. Changing the address or
deleting the account takes the current password (or a fresh CAS login); the
former address is told of a change and can refuse it; the owner is told of a
new password."""
import logging

import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import PASSWORD
from tests.support.actors import candidate
from tests.support.cas import SERVICE, browser_login

NEW_PASSWORD = "Nouveau-Secret-2027?"
THIEF = "voleur@example.org"


def login(harness, account, password=PASSWORD):
    return harness.call("authenticate_candidate", ANONYMOUS, account["email"], password)["session_id"]


def alive(harness, session_id):
    try:
        return harness.call("check_session", ANONYMOUS, session_id)["actor"]
    except NotFound as error:
        assert error.code == "session_ended"
        return None


def confirm_last_change(harness):
    token = harness.events("email_change_requested")[-1]["email_token"]
    harness.call("confirm_email_change", ANONYMOUS, token)


@pytest.fixture
def lea(harness):
    return harness.activated("lea@example.org")


# -- sessions -----------------------------------------------------------------------------

def test_a_login_opens_a_session_that_gives_the_current_actor(harness, lea, caplog):
    caplog.set_level(logging.DEBUG)
    session_id = login(harness, lea)
    answer = harness.call("check_session", ANONYMOUS, session_id)
    assert answer["actor"] == {"kind": "candidate", "id": lea["candidate_id"],
                               "dossier_number": lea["dossier_number"],
                               "email": "lea@example.org", "first_name": "Léa",
                               "last_name": "Martin", "lang": "fr"}
    assert answer["expires_at"].startswith("2027-03-10T21:00")  # SESSION_HOURS (12) later
    harness.fill(lea["actor"], "personal")
    assert alive(harness, session_id)["lang"] == "fr"
    # only its hash is stored, and it is never logged
    assert harness.sql("SELECT count(*) FROM login_sessions WHERE token_hash = :t",
                       t=session_id) == [(0,)]
    assert session_id not in " ".join(f"{r.getMessage()} {r.args}" for r in caplog.records)


def test_a_session_ends_after_session_hours(harness, lea, monkeypatch):
    monkeypatch.setenv("SESSION_HOURS", "2")
    session_id = login(harness, lea)
    harness.clock.advance(hours=1, minutes=59)
    assert alive(harness, session_id)
    harness.clock.advance(minutes=1)
    assert alive(harness, session_id) is None


def test_a_replayed_session_id_is_refused_after_logout(harness, lea):
    copied = login(harness, lea)
    elsewhere = login(harness, lea)
    assert harness.call("end_session", lea["actor"], copied) == {"ended": True}
    harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS, copied)
    assert alive(harness, elsewhere)  # logging out ends that session only
    assert harness.call("end_session", lea["actor"], copied) == {"ended": True}  # twice: fine


def test_only_its_user_ends_a_session_and_only_the_gateway_checks_one(harness, lea):
    session_id = login(harness, lea)
    paul = harness.activated("paul@example.org")
    harness.refused(NotFound, "not_found", "end_session", paul["actor"], session_id)
    harness.refused(NotFound, "not_found", "end_session", lea["actor"], "made-up")
    harness.refused(Forbidden, "forbidden", "end_session", ANONYMOUS, session_id)
    harness.refused(Forbidden, "forbidden", "check_session", lea["actor"], session_id)
    for nothing in (None, "", 12, "made-up"):
        harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS, nothing)
    assert alive(harness, session_id)


def test_a_password_reset_ends_every_session_and_tells_the_owner(harness, lea):
    sessions = [login(harness, lea), login(harness, lea)]
    harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD, sessions[0])
    thief_link = harness.events("email_change_requested")[-1]["email_token"]
    harness.call("request_credentials", ANONYMOUS, "lea@example.org")
    token = harness.events("credentials_requested")[-1]["reset_token"]
    harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)
    assert [alive(harness, s) for s in sessions] == [None, None]
    event, = harness.events("password_changed")
    assert (event["email"], event["reason"]) == ("lea@example.org", "reset")
    # the address change asked under the old password can no longer be confirmed
    harness.refused(NotFound, "token_invalid", "confirm_email_change", ANONYMOUS, thief_link)
    assert harness.call("get_dossier", lea["actor"])["pending_email"] is None
    assert alive(harness, login(harness, lea, NEW_PASSWORD))


def test_a_confirmed_email_change_ends_the_other_sessions(harness, lea):
    mine, other = login(harness, lea), login(harness, lea)
    harness.call("request_email_change", lea["actor"], "lea.new@example.org",
                 "lea.new@example.org", PASSWORD, mine)
    token = harness.events("email_change_requested")[-1]["email_token"]
    harness.call("confirm_email_change", ANONYMOUS, token, mine)
    assert alive(harness, other) is None
    assert alive(harness, mine)["email"] == "lea.new@example.org"


def test_an_email_change_confirmed_elsewhere_ends_every_session(harness, lea):
    mine = login(harness, lea)
    harness.call("request_email_change", lea["actor"], "lea.new@example.org",
                 "lea.new@example.org", PASSWORD, mine)
    token = harness.events("email_change_requested")[-1]["email_token"]
    paul_session = login(harness, harness.activated("paul@example.org"))
    harness.call("confirm_email_change", ANONYMOUS, token, paul_session)  # opened in Paul's browser
    assert alive(harness, mine) is None
    assert alive(harness, paul_session)["email"] == "paul@example.org"


def test_a_deleted_account_has_no_session_left(harness, lea):
    sessions = [login(harness, lea), login(harness, lea)]
    harness.call("delete_my_account", lea["actor"], PASSWORD, sessions[0])
    assert [alive(harness, s) for s in sessions] == [None, None]
    assert harness.sql("SELECT count(*) FROM login_sessions") == [(0,)]


def test_the_purge_forgets_sessions_ended_or_expired_for_a_day(harness, lea):
    ended, live = login(harness, lea), login(harness, lea)
    harness.call("end_session", lea["actor"], ended)
    harness.clock.advance(hours=23)
    harness.purge()
    assert harness.sql("SELECT count(*) FROM login_sessions") == [(2,)]
    harness.clock.advance(hours=14)  # ended a day ago; the other expired 25 hours ago
    harness.purge()
    assert harness.sql("SELECT count(*) FROM login_sessions") == [(0,)]
    assert live


# -- a stolen session cannot take the account over ----------------------------------------

def test_a_stolen_session_cannot_change_the_address_without_the_password(harness, lea):
    stolen = login(harness, lea)
    harness.refused(ValidationFailed, "invalid", "request_email_change", lea["actor"], THIEF,
                    THIEF, None, stolen, fields={"current_password": "required"})
    with pytest.raises(ValidationFailed) as wrong:
        harness.call("request_email_change", lea["actor"], THIEF, THIEF, "Devine-2027!", stolen)
    assert wrong.value.fields == {"current_password": "wrong_password"}
    assert harness.call("get_dossier", lea["actor"])["pending_email"] is None
    assert harness.events("email_change_requested") == []
    assert harness.events("email_change_announced") == []


def test_a_stolen_session_cannot_delete_the_account_without_the_password(harness, lea):
    stolen = login(harness, lea)
    harness.refused(ValidationFailed, "invalid", "delete_my_account", lea["actor"], None, stolen,
                    fields={"current_password": "required"})
    with pytest.raises(ValidationFailed):
        harness.call("delete_my_account", lea["actor"], "Devine-2027!", stolen)
    assert harness.sql("SELECT count(*) FROM candidates") == [(1,)]
    assert alive(harness, stolen)


def test_guessing_the_password_is_slowed_down_like_logins(harness, lea):
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            harness.call("delete_my_account", lea["actor"], "Devine-2027!")
    error = harness.refused(Conflict, "login_throttled", "request_email_change", lea["actor"],
                            THIEF, THIEF, PASSWORD)
    assert error.fields == {"retry_after": "1"}
    harness.clock.advance(seconds=1)
    assert harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD)


def test_the_former_address_is_told_and_refusing_cancels_the_pending_change(harness, lea):
    sessions = [login(harness, lea), login(harness, lea)]
    harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD, sessions[0])
    notice, = harness.events("email_change_announced")
    assert (notice["notice_to"], notice["new_email"]) == ("lea@example.org", THIEF)
    assert notice["cas"] is False
    thief_link = harness.events("email_change_requested")[-1]["email_token"]
    refusal = notice["undo_token"]
    assert harness.call("check_email_refusal", ANONYMOUS, refusal) == {
        "email": "lea@example.org", "new_email": THIEF, "confirmed": False,
        "password_needed": True}
    harness.refused(ValidationFailed, "invalid", "refuse_email_change", ANONYMOUS, refusal,
                    "weak", "weak", fields={"password": "password_weak"})
    assert harness.call("refuse_email_change", ANONYMOUS, refusal, NEW_PASSWORD,
                        NEW_PASSWORD) == {"email": "lea@example.org", "restored": False}
    harness.refused(NotFound, "token_invalid", "confirm_email_change", ANONYMOUS, thief_link)
    assert [alive(harness, s) for s in sessions] == [None, None]
    with pytest.raises(ValidationFailed):  # whoever knew the old password is out
        login(harness, lea)
    assert alive(harness, login(harness, lea, NEW_PASSWORD))["email"] == "lea@example.org"
    changed, = harness.events("password_changed")
    assert changed["reason"] == "email_change_refused"
    harness.refused(NotFound, "token_invalid", "refuse_email_change", ANONYMOUS, refusal,
                    NEW_PASSWORD, NEW_PASSWORD)  # single use


def test_refusing_after_confirmation_restores_the_former_address(harness, lea):
    harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD)
    refusal = harness.events("email_change_announced")[-1]["undo_token"]
    confirm_last_change(harness)
    thief_session = harness.call("authenticate_candidate", ANONYMOUS, THIEF, PASSWORD)["session_id"]
    # a second change cannot hide the first: told to the first address again
    harness.call("request_email_change", lea["actor"], "autre@example.org", "autre@example.org",
                 PASSWORD)
    second = harness.events("email_change_announced")[-1]
    assert (second["notice_to"], second["email"]) == ("lea@example.org", THIEF)
    harness.refused(NotFound, "token_invalid", "check_email_refusal", ANONYMOUS, refusal)
    refusal = second["undo_token"]
    assert harness.call("check_email_refusal", ANONYMOUS, refusal)["confirmed"] is True
    assert harness.call("refuse_email_change", ANONYMOUS, refusal, NEW_PASSWORD,
                        NEW_PASSWORD) == {"email": "lea@example.org", "restored": True}
    # both addresses hear of the new password: the one restored and the one replaced
    told = [e["email"] for e in harness.events("password_changed")
            if e["reason"] == "email_change_refused"]
    assert sorted(told) == sorted(["lea@example.org", THIEF])
    assert alive(harness, thief_session) is None
    assert harness.events("candidate_updated")[-1]["email"] == "lea@example.org"
    assert harness.call("get_dossier", lea["actor"])["pending_email"] is None
    assert alive(harness, login(harness, lea, NEW_PASSWORD))


def test_a_registration_cannot_block_the_former_address(harness, lea):
    harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD)
    refusal = harness.events("email_change_announced")[-1]["undo_token"]
    confirm_last_change(harness)
    harness.register("lea@example.org")  # its activation link goes to Léa's mailbox
    harness.call("refuse_email_change", ANONYMOUS, refusal, NEW_PASSWORD, NEW_PASSWORD)
    assert harness.sql("SELECT email FROM candidates") == [("lea@example.org",)]
    other = harness.activated("lea.bis@example.org")
    harness.call("request_email_change", other["actor"], THIEF + ".fr", THIEF + ".fr", PASSWORD)
    refusal = harness.events("email_change_announced")[-1]["undo_token"]
    confirm_last_change(harness)
    harness.activated("lea.bis@example.org")  # its owner made a new account meanwhile
    harness.refused(Conflict, "old_email_taken", "refuse_email_change", ANONYMOUS, refusal,
                    NEW_PASSWORD, NEW_PASSWORD)


def test_the_refusal_link_expires(harness, lea, monkeypatch):
    harness.call("request_email_change", lea["actor"], THIEF, THIEF, PASSWORD)
    refusal = harness.events("email_change_announced")[-1]["undo_token"]
    harness.clock.advance(hours=168)
    harness.refused(Conflict, "token_expired", "check_email_refusal", ANONYMOUS, refusal)


def test_at_most_three_notices_an_hour_and_the_last_link_mailed_keeps_working(harness, lea):
    for n in range(5):
        harness.call("request_email_change", lea["actor"], f"n{n}@example.org",
                     f"n{n}@example.org", PASSWORD)
    notices = harness.events("email_change_announced")
    assert len(notices) == 3
    assert harness.call("check_email_refusal", ANONYMOUS, notices[-1]["undo_token"])


# -- internal students: a fresh CAS login instead of a password ------------------------------

def test_an_internal_student_needs_a_fresh_cas_login(cas_harness):
    h = cas_harness
    student = h.call("authenticate_cas", ANONYMOUS, browser_login(h.cas, "etu.durand"), SERVICE)
    actor, session_id = candidate(student["id"]), student["session_id"]
    assert alive(h, session_id)["origin"] == "cas"
    h.clock.advance(minutes=11)
    error = h.refused(Conflict, "reauthentication_required", "request_email_change", actor,
                      THIEF, THIEF, None, session_id)
    assert error.fields == {"minutes": "10"}
    h.refused(Conflict, "reauthentication_required", "delete_my_account", actor, None, None)
    fresh = h.call("authenticate_cas", ANONYMOUS, browser_login(h.cas, "etu.durand"), SERVICE)["session_id"]
    h.refused(Conflict, "reauthentication_required", "request_email_change", actor,
              THIEF, THIEF, None, session_id)  # the old session is not the fresh one
    assert h.call("request_email_change", actor, THIEF, THIEF, None, fresh) == {"sent": True}
    notice = h.events("email_change_announced")[-1]
    assert notice["cas"] is True
    refusal = h.call("check_email_refusal", ANONYMOUS, notice["undo_token"])
    assert refusal["password_needed"] is False
    h.call("refuse_email_change", ANONYMOUS, notice["undo_token"])
    assert alive(h, fresh) is None
