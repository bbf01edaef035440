"""A staff user's sessions: check_session gives the actor as stored now (role,
centres, commissions), so a change applies within the gateway's few seconds
of cache; disabling the user or setting their password ends every session of
theirs at once, a copied cookie included."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import NotFound
from tests.support.actors import staff

ADMIN = staff("admin", id=999)
GOOD = "Jury-2027-pass!"
JURY = {"login": "jury.info", "display_name": "Jury Info", "email": "jury@univ-demo.fr",
        "role": "committee", "commissions": ["SCI-INFO", "SCI-MATH"], "presides": ["SCI-INFO"],
        "password": GOOD}


@pytest.fixture
def logged_in(harness):
    harness.remote["catalog.list_centres"] = [{"code": "SCI"}, {"code": "LLSH"}]
    harness.remote["catalog.list_commissions"] = [{"code": "SCI-INFO"}, {"code": "SCI-MATH"}]
    harness.call("create_staff", ADMIN, JURY)
    return harness.call("authenticate_staff", ANONYMOUS, "jury.info", GOOD)


def who(harness, session_id):
    return harness.call("check_session", ANONYMOUS, session_id)["actor"]


def update(harness, user_id, **changes):
    harness.call("update_staff", ADMIN, user_id, {**JURY, "password": "", **changes})


def test_the_session_carries_the_current_role_and_scope(harness, logged_in):
    session_id = logged_in.pop("session_id")
    assert who(harness, session_id) == logged_in
    update(harness, logged_in["id"], commissions=["SCI-MATH"], presides=["SCI-MATH"])
    now = who(harness, session_id)
    assert (now["commissions"], now["presides"]) == (["SCI-MATH"], ["SCI-MATH"])
    update(harness, logged_in["id"], role="manager", centres=["SCI"])
    assert who(harness, session_id)["role"] == "manager"  # a change keeps the session


def test_disabling_a_user_ends_every_session_of_theirs_at_once(harness, logged_in):
    other = harness.call("authenticate_staff", ANONYMOUS, "jury.info", GOOD)["session_id"]
    update(harness, logged_in["id"], active=False)
    for session_id in (logged_in["session_id"], other):
        harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS, session_id)
    update(harness, logged_in["id"], active=True)  # enabled again: a new login is needed
    harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS, other)
    assert who(harness, harness.call("authenticate_staff", ANONYMOUS, "jury.info", GOOD)["session_id"])


def test_a_password_set_by_an_administrator_ends_the_sessions(harness, logged_in):
    update(harness, logged_in["id"], password="Autre-Jury-2027!")
    harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS,
                    logged_in["session_id"])


def test_a_removed_user_has_no_session_left(harness, logged_in):
    harness.sql("DELETE FROM staff_users")
    harness.refused(NotFound, "session_ended", "check_session", ANONYMOUS,
                    logged_in["session_id"])
