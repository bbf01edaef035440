"""Staff users, roles and scopes administered by an admin (issue 4)."""
import pytest

from services.common.errors import Conflict, Forbidden, ValidationFailed
from tests.services.accounts.harness import staff

ADMIN = staff("admin", staff_id=999)
GOOD = "Gestion-2027-pass!"
MANAGER = {"login": "gestion.droit", "display_name": "Gestion Droit", "email": "droit@univ-demo.fr",
           "role": "manager", "centres": ["SCI"], "password": GOOD}


@pytest.fixture
def admin_harness(harness):
    harness.remote["catalog.list_centres"] = [{"code": "SCI"}, {"code": "LLSH"}]
    return harness


def test_an_admin_creates_a_manager_who_logs_in_with_their_scope(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, MANAGER)
    assert (created["role"], created["centres"], created["active"]) == ("manager", ["SCI"], True)
    who = admin_harness.call("authenticate_staff", "gestion.droit", GOOD)
    assert (who["role"], who["centres"]) == ("manager", ["SCI"])
    assert [u["login"] for u in admin_harness.call("list_staff", ADMIN)] == ["gestion.droit"]


def test_committee_members_have_commissions_and_may_preside(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, {
        "login": "jury.info", "display_name": "Jury Info", "role": "committee",
        "commissions": "sci-info, sci-math", "presides": ["SCI-INFO"], "password": GOOD})
    assert created["commissions"] == ["SCI-INFO", "SCI-MATH"] and created["presides"] == ["SCI-INFO"]
    who = admin_harness.call("authenticate_staff", "jury.info", GOOD)
    assert who["commissions"] == ["SCI-INFO", "SCI-MATH"] and who["presides"] == ["SCI-INFO"]


@pytest.mark.parametrize("change, fields", [
    ({"role": "boss"}, {"role": "invalid_choice"}),
    ({"centres": []}, {"centres": "required"}),
    ({"centres": ["DROIT"]}, {"centres": "unknown_centre"}),
    ({"password": "short"}, {"password": "password_weak"}),
    ({"login": "Bad Login!"}, {"login": "invalid"}),
    ({"email": "nope"}, {"email": "invalid_email"}),
    ({"role": "committee", "commissions": ["A"], "presides": ["B"]}, {"presides": "invalid_choice"}),
])
def test_bad_staff_data_is_refused_with_its_field(admin_harness, change, fields):
    admin_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN, {**MANAGER, **change},
                          fields=fields)


def test_logins_are_unique(admin_harness):
    admin_harness.call("create_staff", ADMIN, MANAGER)
    admin_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN,
                          {**MANAGER, "login": "Gestion.Droit"}, fields={"login": "login_taken"})


def test_a_disabled_user_cannot_log_in_and_a_role_change_applies_at_next_login(admin_harness):
    user = admin_harness.call("create_staff", ADMIN, MANAGER)
    admin_harness.call("update_staff", ADMIN, user["id"], {**MANAGER, "role": "readonly",
                                                           "password": None})
    assert admin_harness.call("authenticate_staff", "gestion.droit", GOOD)["role"] == "readonly"
    admin_harness.call("update_staff", ADMIN, user["id"], {**MANAGER, "active": "0", "password": ""})
    with pytest.raises(ValidationFailed):
        admin_harness.call("authenticate_staff", "gestion.droit", GOOD)


def test_an_admin_cannot_lock_themself_out(admin_harness):
    me = admin_harness.call("create_staff", ADMIN, {**MANAGER, "login": "root2", "role": "admin"})
    actor = staff("admin", staff_id=me["id"])
    admin_harness.refused(Conflict, "cannot_demote_self", "update_staff", actor, me["id"],
                          {**MANAGER, "role": "scol", "password": ""})


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_admins_administer_staff(admin_harness, role):
    actor = staff(role, ["SCI"])
    expected = "read_only" if role == "readonly" else "forbidden"
    admin_harness.refused(Forbidden, expected, "list_staff", actor)
    admin_harness.refused(Forbidden, expected, "create_staff", actor, MANAGER)
    admin_harness.refused(Forbidden, expected, "update_staff", actor, 1, MANAGER)
