"""Staff users, roles and scopes administered by an admin."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import ADMIN, NEW_MANAGER, STAFF_PASSWORD
from tests.support.actors import candidate, staff


def test_an_admin_creates_a_manager_who_logs_in_with_their_scope(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    assert (created["role"], created["centres"], created["active"]) == ("manager", ["SCI"], True)
    who = admin_harness.call("authenticate_staff", ANONYMOUS, "gestion.droit", STAFF_PASSWORD)
    assert (who["role"], who["centres"]) == ("manager", ["SCI"])
    assert [u["login"] for u in admin_harness.call("list_staff", ADMIN)] == ["gestion.droit"]


def test_committee_members_have_commissions_and_may_preside(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, {
        "login": "jury.info", "display_name": "Jury Info", "role": "committee",
        "commissions": "sci-info, sci-math", "presides": ["SCI-INFO"], "password": STAFF_PASSWORD})
    assert created["commissions"] == ["SCI-INFO", "SCI-MATH"] and created["presides"] == ["SCI-INFO"]
    who = admin_harness.call("authenticate_staff", ANONYMOUS, "jury.info", STAFF_PASSWORD)
    assert who["commissions"] == ["SCI-INFO", "SCI-MATH"] and who["presides"] == ["SCI-INFO"]


@pytest.mark.parametrize("change, fields", [
    ({"role": "boss"}, {"role": "invalid_choice"}),
    ({"centres": []}, {"centres": "required"}),
    ({"centres": ["DROIT"]}, {"centres": "unknown_centre"}),
    ({"password": "short"}, {"password": "password_weak"}),
    ({"password": "Gestion.Droit1"}, {"password": "password_personal"}),
    ({"password": "Password2027!"}, {"password": "password_common"}),
    ({"login": "Bad Login!"}, {"login": "invalid"}),
    ({"email": "nope"}, {"email": "invalid_email"}),
    ({"role": "committee", "commissions": ["A"], "presides": ["B"]}, {"presides": "invalid_choice"}),
])
def test_bad_staff_data_is_refused_with_its_field(admin_harness, change, fields):
    admin_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN, {**NEW_MANAGER, **change},
                          fields=fields)


def test_a_new_staff_password_easy_to_guess_is_refused(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    admin_harness.refused(ValidationFailed, "invalid", "update_staff", ADMIN, created["id"],
                          {**NEW_MANAGER, "password": "Gestion.droit-1"},
                          fields={"password": "password_personal"})
    admin_harness.call("update_staff", ADMIN, created["id"], {**NEW_MANAGER, "password": ""})
    assert admin_harness.call("authenticate_staff", ANONYMOUS, "gestion.droit", STAFF_PASSWORD)  # unchanged


def test_logins_are_unique(admin_harness):
    admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    admin_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN,
                          {**NEW_MANAGER, "login": "Gestion.Droit"}, fields={"login": "login_taken"})


def test_a_disabled_user_cannot_log_in_and_a_role_change_applies_at_next_login(admin_harness):
    user = admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    admin_harness.call("update_staff", ADMIN, user["id"], {**NEW_MANAGER, "role": "readonly",
                                                           "password": None})
    assert admin_harness.call("authenticate_staff", ANONYMOUS, "gestion.droit", STAFF_PASSWORD)["role"] == "readonly"
    admin_harness.call("update_staff", ADMIN, user["id"], {**NEW_MANAGER, "active": "0", "password": ""})
    with pytest.raises(ValidationFailed):
        admin_harness.call("authenticate_staff", ANONYMOUS, "gestion.droit", STAFF_PASSWORD)


def test_an_admin_cannot_lock_themself_out(admin_harness):
    me = admin_harness.call("create_staff", ADMIN, {**NEW_MANAGER, "login": "root2", "role": "admin"})
    actor = staff("admin", id=me["id"])
    admin_harness.refused(Conflict, "cannot_demote_self", "update_staff", actor, me["id"],
                          {**NEW_MANAGER, "role": "scol", "password": ""})


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_admins_administer_staff(admin_harness, role):
    actor = staff(role, ["SCI"])
    expected = "read_only" if role == "readonly" else "forbidden"
    admin_harness.refused(Forbidden, expected, "list_staff", actor)
    admin_harness.refused(Forbidden, expected, "create_staff", actor, NEW_MANAGER)
    admin_harness.refused(Forbidden, expected, "update_staff", actor, 1, NEW_MANAGER)


# -- commission members: accounts is the one source of truth ------------------------------

COMMISSIONS = [{"code": "SCI-INFO", "centre": "SCI"}, {"code": "SCI-MATH", "centre": "SCI"},
               {"code": "LLSH-LEA", "centre": "LLSH"}]


def jury(login, commissions=("SCI-MATH",), presides=()):
    return {"login": login, "display_name": login.title(), "role": "committee",
            "commissions": list(commissions), "presides": list(presides), "password": STAFF_PASSWORD}


@pytest.fixture
def members_harness(admin_harness):
    admin_harness.remote["catalog.list_commissions"] = COMMISSIONS
    for user in (jury("jury.a"), jury("jury.b", ["SCI-INFO", "SCI-MATH"], ["SCI-INFO"]),
                 jury("jury.c"), NEW_MANAGER):
        admin_harness.call("create_staff", ADMIN, user)
    return admin_harness


def test_a_commission_has_one_president_from_the_staff_form_too(members_harness):
    """jury.b presides SCI-INFO: nobody else may, created or changed."""
    h = members_harness
    with pytest.raises(ValidationFailed) as refused:
        h.call("create_staff", ADMIN, jury("jury.d", ["SCI-INFO"], ["SCI-INFO"]))
    assert refused.value.fields == {"presides": "one_president"}
    jury_a = next(u for u in h.call("list_staff", ADMIN) if u["login"] == "jury.a")
    with pytest.raises(ValidationFailed) as refused:
        h.call("update_staff", ADMIN, jury_a["id"], {
            **jury("jury.a", ["SCI-INFO"], ["SCI-INFO"]), "password": ""})
    assert refused.value.fields == {"presides": "one_president"}
    assert scope_of(h, "jury.a") == (["SCI-MATH"], [])  # nothing changed
    jury_b = next(u for u in h.call("list_staff", ADMIN) if u["login"] == "jury.b")
    h.call("update_staff", ADMIN, jury_b["id"], {  # the president themself: still fine
        **jury("jury.b", ["SCI-INFO"], ["SCI-INFO"]), "password": ""})
    assert scope_of(h, "jury.b") == (["SCI-INFO"], ["SCI-INFO"])


def scope_of(harness, login):
    who = harness.call("authenticate_staff", ANONYMOUS, login, STAFF_PASSWORD)
    return who["commissions"], who["presides"]


def test_the_members_set_on_a_commission_are_the_staff_scope_at_next_login(members_harness):
    h = members_harness
    assert [(m["login"], m["president"]) for m in
            h.call("list_commission_members", ADMIN, "SCI-INFO")] == [("jury.b", True)]
    members = h.call("set_commission_members", staff("manager", ["SCI"]), "sci-info",
                     [{"login": "Jury.A", "president": True}, {"login": "jury.c"}])
    assert [(m["login"], m["president"]) for m in members] == [("jury.a", True),
                                                               ("jury.c", False)]
    assert scope_of(h, "jury.a") == (["SCI-INFO", "SCI-MATH"], ["SCI-INFO"])
    assert scope_of(h, "jury.b") == (["SCI-MATH"], [])  # no longer on SCI-INFO
    assert scope_of(h, "jury.c") == (["SCI-INFO", "SCI-MATH"], [])
    listed = {u["login"]: u for u in h.call("list_staff", ADMIN)}
    assert listed["jury.a"]["presides"] == ["SCI-INFO"]
    assert h.call("list_commission_members", staff("readonly", ["SCI"]), "SCI-INFO") == members


@pytest.mark.parametrize("members, fields", [
    ([{"login": "jury.a"}, {"login": "jury.c"}], {"members": "president_required"}),
    ([{"login": "jury.a", "president": True}, {"login": "jury.c", "president": "1"}],
     {"members": "one_president"}),
    ([{"login": "jury.a", "president": True}, {"login": "nobody"}], {"members": "unknown_login"}),
    ([{"login": "gestion.droit", "president": True}], {"members": "not_committee"}),
    ([{"login": "Bad Login!", "president": True}], {"members": "invalid"}),
    ("jury.a", {"members": "invalid"}),
])
def test_a_wrong_members_list_changes_nobody(members_harness, members, fields):
    members_harness.refused(ValidationFailed, "invalid", "set_commission_members", ADMIN,
                            "SCI-INFO", members, fields=fields)


def test_only_admin_scol_and_the_centres_managers_set_members(members_harness):
    h = members_harness
    members = [{"login": "jury.a", "president": True}]
    for actor, error, code in [(staff("manager", ["LLSH"]), Forbidden, "out_of_scope"),
                               (staff("committee"), Forbidden, "forbidden"),
                               (staff("readonly", ["SCI"]), Forbidden, "read_only"),
                               (candidate(4), Forbidden, "forbidden")]:
        h.remote["catalog.list_commissions"] = [c for c in COMMISSIONS
                                                if c["centre"] in (actor.get("centres") or ())]
        h.refused(error, code, "set_commission_members", actor, "SCI-INFO", members)
    h.remote["catalog.list_commissions"] = COMMISSIONS
    h.refused(NotFound, "commission_not_found", "set_commission_members", staff("scol"),
              "NOPE", members)
    assert h.call("set_commission_members", staff("scol"), "SCI-INFO", members)[0]["login"] == \
        "jury.a"
    h.remote["catalog.list_commissions"] = COMMISSIONS[2:]
    h.refused(Forbidden, "out_of_scope", "list_commission_members", staff("manager", ["LLSH"]),
              "SCI-INFO")


def test_a_committee_member_is_given_catalogue_commissions_only(members_harness):
    members_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN,
                            jury("jury.z", ["SCI-INFO", "DROIT-X"]),
                            fields={"commissions": "unknown_commission"})


def test_the_edit_page_reads_one_staff_user_by_id_or_login(admin_harness):
    created = admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    assert admin_harness.call("get_staff", ADMIN, created["id"]) == created
    assert admin_harness.call("get_staff", ADMIN, str(created["id"])) == created
    assert admin_harness.call("get_staff", ADMIN, "Gestion.Droit") == created
    for unknown in (12345, "nobody", "", None, True):
        admin_harness.refused(NotFound, "not_found", "get_staff", ADMIN, unknown)
    admin_harness.refused(Forbidden, "forbidden", "get_staff", staff("scol"), created["id"])


@pytest.mark.parametrize("role, can", [
    ("admin", {"can_manage_candidate_accounts", "can_manage_staff", "can_replay_dead_letters",
               "can_run_jobs", "can_manage_commission_members", "can_see_all_centres"}),
    ("scol", {"can_manage_candidate_accounts", "can_manage_commission_members",
              "can_see_all_centres"}),
    ("manager", {"can_manage_candidate_accounts", "can_manage_commission_members"}),
    ("committee", set()),
    ("readonly", set()),
])
def test_the_staff_actor_says_what_its_role_may_do(admin_harness, role, can):
    """The gateway shows buttons from these; accounts computes them from the role."""
    admin_harness.remote["catalog.list_commissions"] = [{"code": "SCI-INFO"}]
    extra = {"commissions": ["SCI-INFO"]} if role == "committee" else {}
    created = admin_harness.call("create_staff", ADMIN, {**NEW_MANAGER, "role": role, **extra})
    who = admin_harness.call("authenticate_staff", ANONYMOUS, "gestion.droit", STAFF_PASSWORD)
    flags = {key for key, value in who.items() if key.startswith("can_") and value}
    assert flags == can
    session = admin_harness.call("check_session", ANONYMOUS, who["session_id"])["actor"]
    assert {key for key, value in session.items() if key.startswith("can_") and value} == can
    listed = admin_harness.call("get_staff", ADMIN, created["id"])
    assert {key for key, value in listed.items() if key.startswith("can_") and value} == can
