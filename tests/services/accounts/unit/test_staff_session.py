"""refresh_staff_actor: the gateway asks again, every few minutes, who a
logged-in staff user is now (role, centres, commissions), so a change or a
disabled account does not wait for the next login."""
import pytest

from services.common.errors import Forbidden, NotFound
from services.common.actors import ANONYMOUS
from tests.services.accounts.harness import staff

ADMIN = staff("admin", staff_id=999)
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


def test_the_refreshed_actor_carries_the_current_role_and_scope(harness, logged_in):
    assert harness.call("refresh_staff_actor", logged_in) == logged_in
    harness.call("update_staff", ADMIN, logged_in["id"], {
        **JURY, "commissions": ["SCI-MATH"], "presides": ["SCI-MATH"], "password": ""})
    now = harness.call("refresh_staff_actor", logged_in)
    assert (now["commissions"], now["presides"]) == (["SCI-MATH"], ["SCI-MATH"])
    harness.call("update_staff", ADMIN, logged_in["id"], {
        **JURY, "role": "manager", "centres": ["SCI"], "password": ""})
    assert harness.call("refresh_staff_actor", logged_in)["role"] == "manager"


def test_a_disabled_or_removed_user_is_refused(harness, logged_in):
    harness.call("update_staff", ADMIN, logged_in["id"], {**JURY, "active": False,
                                                          "password": ""})
    harness.refused(Forbidden, "forbidden", "refresh_staff_actor", logged_in)
    harness.sql("DELETE FROM staff_users")
    harness.refused(NotFound, "not_found", "refresh_staff_actor", logged_in)


def test_only_a_staff_actor_is_refreshed(harness, logged_in):
    harness.refused(Forbidden, "forbidden", "refresh_staff_actor", {"kind": "candidate", "id": 1})
    # an actor naming another user's id is not that user
    harness.refused(NotFound, "not_found", "refresh_staff_actor",
                    {**logged_in, "login": "someone.else"})
