"""Creating, activating and logging into accounts, through the service's RPCs
with the real database."""
import logging
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from services.accounts import domain, seed
from services.accounts.authentication import passwords
from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, NotFound, ValidationFailed

from tests.services.accounts.harness import NOW, PASSWORD


def test_register_creates_an_inactive_account_and_announces_it(harness):
    assert harness.call("register_candidate", ANONYMOUS, {
        "last_name": "Martin", "first_name": "Léa", "email": " Lea.Martin@Example.org ",
        "email_confirm": "lea.martin@example.org", "lang": "en"}) == {"sent": True}

    event, = harness.events("candidate_registered")
    done = {"candidate_id": event["candidate_id"], "dossier_number": event["dossier_number"]}
    assert domain.is_dossier_number(done["dossier_number"])
    token = event["activation_token"]
    assert {k: event[k] for k in ("candidate_id", "dossier_number", "email", "first_name",
                                  "last_name", "lang", "activation_expires_at")} == {
        "candidate_id": done["candidate_id"], "dossier_number": done["dossier_number"],
        "email": "Lea.Martin@Example.org", "first_name": "Léa", "last_name": "Martin",
        "lang": "en", "activation_expires_at": (NOW + timedelta(hours=48)).isoformat()}
    row, = harness.sql("SELECT password_hash, activation_token_hash, activated_at, "
                       "personal_locked FROM candidates")
    # Only the hash of the token is kept; no password before activation.
    assert row == (None, domain.token_hash(token), None, False)
    assert harness.sql("SELECT number FROM issued_dossier_numbers") == [(done["dossier_number"],)]


def test_activation_hours_come_from_the_environment(harness, monkeypatch):
    monkeypatch.setenv("ACTIVATION_HOURS", "2")
    harness.register()
    event, = harness.events("candidate_registered")
    assert event["activation_expires_at"] == (NOW + timedelta(hours=2)).isoformat()


FORM = {"last_name": "Martin", "first_name": "Léa", "email": "lea@example.org",
        "email_confirm": "lea@example.org", "lang": "fr"}


@pytest.mark.parametrize("change, fields", [
    ({"last_name": ""}, {"last_name": "required"}),
    ({"first_name": "  "}, {"first_name": "required"}),
    ({"email": "", "email_confirm": ""}, {"email": "required", "email_confirm": "required"}),
    ({"email_confirm": ""}, {"email_confirm": "required"}),
    ({"email": "lea@example", "email_confirm": "lea@example"}, {"email": "invalid_email"}),
    ({"email_confirm": "leo@example.org"}, {"email_confirm": "email_mismatch"}),
    ({"last_name": "M" * 101}, {"last_name": "too_long"}),
    ({"lang": "de"}, {"lang": "invalid_choice"}),
])
def test_registration_refused(harness, change, fields):
    harness.refused(ValidationFailed, "invalid", "register_candidate", ANONYMOUS, {**FORM, **change},
                    fields=fields)


def test_registration_of_nothing(harness):
    harness.refused(ValidationFailed, "invalid", "register_candidate", ANONYMOUS, None, fields={
        "last_name": "required", "first_name": "required", "email": "required",
        "email_confirm": "required"})


def registration_answer(harness, form):
    """What registering tells the visitor, and what changed behind: the
    accounts and the events (mails) it made."""
    before = {row[0] for row in harness.sql("SELECT id FROM candidates")}
    events = len(harness.events())
    answer = harness.call("register_candidate", ANONYMOUS, form, client_address="203.0.113.5")
    after = {row[0] for row in harness.sql("SELECT id FROM candidates")}
    return answer, after - before, [e["event_type"] for e in harness.events()[events:]]


def test_registering_an_address_with_an_account_answers_as_for_a_new_one(harness):
    owner = harness.activated("lea@example.org")
    free = registration_answer(harness, {**FORM, "email": "paul@example.org",
                                         "email_confirm": "paul@example.org"})
    taken = registration_answer(harness, {**FORM, "email": "LEA@Example.org",
                                          "email_confirm": "lea@example.org"})
    assert free[0] == taken[0] == {"sent": True}
    assert len(free[1]) == 1 and free[2] == ["candidate_registered"]
    # one email, one candidate: nothing created, the owner is told by mail instead
    assert taken[1] == set() and taken[2] == ["account_already_exists"]
    event = harness.events("account_already_exists")[-1]
    assert {k: event[k] for k in ("candidate_id", "dossier_number", "email", "activated",
                                  "cas")} == {
        "candidate_id": owner["candidate_id"], "dossier_number": owner["dossier_number"],
        "email": "lea@example.org", "activated": True, "cas": False}
    assert "activation_token" not in event and "reset_token" not in event


def test_the_owner_gets_at_most_three_such_mails_an_hour(harness):
    harness.activated("lea@example.org")
    for _ in range(5):
        assert harness.call("register_candidate", ANONYMOUS, FORM) == {"sent": True}
    assert len(harness.events("account_already_exists")) == 3
    harness.clock.advance(hours=1)
    harness.call("register_candidate", ANONYMOUS, FORM)
    assert len(harness.events("account_already_exists")) == 4


def test_registrations_from_one_address_are_limited(harness, monkeypatch):
    monkeypatch.setenv("REGISTRATIONS_PER_HOUR", "3")
    harness.activated("taken@example.org")
    for email in ("a@example.org", "taken@example.org", "b@example.org"):
        harness.call("register_candidate", ANONYMOUS, {**FORM, "email": email, "email_confirm": email},
                     client_address="203.0.113.5")
    # the fourth is refused, free address or not: it tells nothing either
    for email in ("c@example.org", "taken@example.org"):
        error = harness.refused(Conflict, "registration_throttled", "register_candidate", ANONYMOUS,
                                {**FORM, "email": email, "email_confirm": email},
                                client_address="203.0.113.5")
        assert error.fields == {"retry_after": "3600"}
    # another address is not concerned; an hour later this one may again
    harness.call("register_candidate", ANONYMOUS, {**FORM, "email": "c@example.org",
                                        "email_confirm": "c@example.org"},
                 client_address="198.51.100.7")
    harness.clock.advance(hours=1)
    harness.call("register_candidate", ANONYMOUS, {**FORM, "email": "d@example.org",
                                        "email_confirm": "d@example.org"},
                 client_address="203.0.113.5")
    keys = [row[0] for row in harness.sql("SELECT key FROM login_failures")]
    assert all("203.0.113.5" not in key for key in keys)  # addresses are stored hashed


def test_an_account_not_activated_in_time_frees_its_email(harness):
    old = harness.register("lea@example.org")
    harness.clock.advance(hours=47)
    assert harness.call("register_candidate", ANONYMOUS, FORM) == {"sent": True}
    assert harness.sql("SELECT id FROM candidates") == [(old["candidate_id"],)]
    assert harness.events("account_already_exists")[-1]["activated"] is False
    harness.clock.advance(hours=1)
    new = harness.register("lea@example.org")
    assert new["dossier_number"] != old["dossier_number"]
    assert harness.sql("SELECT id FROM candidates") == [(new["candidate_id"],)]
    # The dead account's number stays issued: never given to anyone else.
    assert {r[0] for r in harness.sql("SELECT number FROM issued_dossier_numbers")} == \
        {old["dossier_number"], new["dossier_number"]}
    harness.refused(NotFound, "token_invalid", "activate_account", ANONYMOUS, old["token"], PASSWORD,
                    PASSWORD)


def test_a_dossier_number_is_never_issued_twice(harness, monkeypatch):
    draws = iter(["AAAA2222", "AAAA2222", "AAAA2222", "BBBB3333"])
    monkeypatch.setattr(domain, "new_dossier_number", lambda prefix="": next(draws))
    first = harness.register()
    second = harness.register()
    assert (first["dossier_number"], second["dossier_number"]) == ("AAAA2222", "BBBB3333")


# -- activation ---------------------------------------------------------------------

def test_activation_sets_the_password_once(harness):
    account = harness.register("lea@example.org")
    done = harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD)
    assert done == {"candidate_id": account["candidate_id"],
                    "dossier_number": account["dossier_number"]}
    event, = harness.events("account_activated")
    assert {k: event[k] for k in ("candidate_id", "dossier_number", "email", "first_name",
                                  "last_name", "lang")} == {
        "candidate_id": account["candidate_id"], "dossier_number": account["dossier_number"],
        "email": "lea@example.org", "first_name": "Léa", "last_name": "Martin", "lang": "fr"}
    row, = harness.sql("SELECT password_hash, activation_token_hash, activated_at FROM candidates")
    assert row[0].startswith("$argon2id$") and PASSWORD not in row[0]
    assert row[1] is None and row[2] == NOW
    # Single use: the link is dead now.
    harness.refused(NotFound, "token_invalid", "activate_account", ANONYMOUS, account["token"],
                    "Autre-2027-pass!", "Autre-2027-pass!")


@pytest.mark.parametrize("token", ["not-a-token", "", None])
def test_unknown_activation_link(harness, token):
    harness.register()
    harness.refused(NotFound, "token_invalid", "activate_account", ANONYMOUS, token, PASSWORD, PASSWORD)


def test_activation_link_expires_after_48_hours(harness):
    account = harness.register()
    harness.clock.advance(hours=48)
    harness.refused(Conflict, "token_expired", "activate_account", ANONYMOUS, account["token"],
                    PASSWORD, PASSWORD)


def test_activation_just_in_time(harness):
    account = harness.register()
    harness.clock.advance(hours=47, minutes=59)
    assert harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD)


@pytest.mark.parametrize("password, confirm, fields", [
    ("Court-1!", "Court-1!", {"password": "password_weak"}),
    ("candidat-2027!", "candidat-2027!", {"password": "password_weak"}),
    ("Candidat2027", "Candidat2027", {"password": "password_weak"}),
    ("", "", {"password": "required"}),
    (None, None, {"password": "required"}),
    (PASSWORD, "Candidat-2028!", {"password_confirm": "password_mismatch"}),
    (PASSWORD, "", {"password_confirm": "password_mismatch"}),
    # the rule is met but the password is easy to guess: the field says why
    ("Password123!", "Password123!", {"password": "password_common"}),
    ("Azertyuiop1!", "Azertyuiop1!", {"password": "password_common"}),
    ("Martin2027!", "Martin2027!", {"password": "password_personal"}),
    ("Leamartin1!", "Leamartin1!", {"password": "password_personal"}),
    ("01/01/1990Ab!", "01/01/1990Ab!", {"password": "password_date"}),
    ("Candidature1!", "Candidature1!", {"password": "password_words"}),
    ("Martin2027!", "Martin", {"password": "password_personal",
                               "password_confirm": "password_mismatch"}),
])
def test_activation_refuses_bad_passwords(harness, password, confirm, fields):
    account = harness.register()
    harness.refused(ValidationFailed, "invalid", "activate_account", ANONYMOUS, account["token"],
                    password, confirm, fields=fields)
    # The link still works for a good password.
    assert harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD)


def test_tokens_and_passwords_never_reach_the_logs(harness, caplog):
    caplog.set_level(logging.DEBUG)
    account = harness.register()
    harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD)
    harness.call("authenticate_candidate", ANONYMOUS, account["email"], PASSWORD)
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert account["token"] not in logged and PASSWORD not in logged


# -- logins -------------------------------------------------------------------------

def test_candidate_logs_in_with_dossier_number_or_email_in_any_case(harness):
    account = harness.activated("Lea@Example.org")
    expected = {"kind": "candidate", "id": account["candidate_id"],
                "dossier_number": account["dossier_number"], "email": "Lea@Example.org",
                "first_name": "Léa", "last_name": "Martin", "lang": "fr"}
    sessions = set()

    def logged_in(login):  # each login opens a session of its own
        who = harness.call("authenticate_candidate", ANONYMOUS, login, PASSWORD)
        sessions.add(who.pop("session_id"))
        return who
    assert logged_in(account["dossier_number"]) == expected
    assert logged_in(account["dossier_number"].lower()) == expected
    assert logged_in(" LEA@EXAMPLE.ORG ") == expected
    assert len(sessions) == 3


def test_every_failed_login_looks_the_same(harness):
    account = harness.activated("lea@example.org")
    waiting = harness.register("paul@example.org")  # registered, never activated
    for login, password in [(account["email"], "Wrong-pass-123!"),
                            (account["dossier_number"], PASSWORD.lower()),
                            ("nobody@example.org", PASSWORD),
                            ("ZZZZ9999", PASSWORD),
                            (waiting["email"], PASSWORD),
                            (waiting["dossier_number"], ""),
                            ("", PASSWORD),
                            (None, None)]:
        error = harness.refused(ValidationFailed, "bad_credentials", "authenticate_candidate", ANONYMOUS,
                                login, password)
        assert error.fields == {}


@pytest.fixture
def staff_users(harness):
    with Session(harness.engine) as session:
        seed.seed(session, NOW)


def test_staff_log_in(harness, staff_users):
    manager = harness.call("authenticate_staff", ANONYMOUS, "gestion.sci", seed.DEMO_PASSWORD)
    assert manager == {"kind": "staff", "id": manager["id"], "login": "gestion.sci",
                       "display_name": "Gestionnaire UFR Sciences et Techniques",
                       "role": "manager", "centres": ["SCI"], "commissions": [],
                       "presides": [], "session_id": manager["session_id"],
                       "preferences": {},  # their own choices in the portal (list columns)
                       # what the role lets them do, for the gateway's buttons
                       "can_manage_candidate_accounts": True, "can_manage_staff": False,
                       "can_replay_dead_letters": False, "can_run_jobs": False,
                       "can_manage_commission_members": True,
                       "can_see_all_centres": False}
    admin = harness.call("authenticate_staff", ANONYMOUS, " Admin ", seed.DEMO_PASSWORD)
    assert (admin["role"], admin["centres"]) == ("admin", [])


def test_staff_login_refused(harness, staff_users):
    for login, password in [("admin", "Demo-2027-pass"), ("admin", ""),
                            ("nobody", "Demo-2027-pass!"), ("", ""), (None, None)]:
        error = harness.refused(ValidationFailed, "bad_credentials", "authenticate_staff", ANONYMOUS,
                                login, password)
        assert error.fields == {}


@pytest.mark.parametrize("old", [PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
                                 PasswordHasher()],  # argon2-cffi's defaults, used until now
                         ids=["weaker", "argon2-cffi-defaults"])
def test_an_old_hash_is_upgraded_at_login(harness, old):
    weak = old.hash(PASSWORD)
    harness.sql("INSERT INTO staff_users (login, password_hash, display_name, role, centres, "
                "created_at) VALUES ('old', :h, 'Old', 'readonly', '[]', now())", h=weak)
    harness.call("authenticate_staff", ANONYMOUS, "old", PASSWORD)
    (stored,), = harness.sql("SELECT password_hash FROM staff_users WHERE login = 'old'")
    today = f"$argon2id$v=19$m={passwords.MEMORY_KIB},t={passwords.TIME_COST},p={passwords.PARALLELISM}$"
    assert stored != weak and stored.startswith(today)
    assert harness.call("authenticate_staff", ANONYMOUS, "old", PASSWORD)["login"] == "old"


# -- demo data ------------------------------------------------------------------------

def test_seed_creates_the_demo_staff_once_and_keeps_passwords(harness):
    with Session(harness.engine) as session:
        assert seed.seed(session, NOW) == [("admin", True), ("scol", True),
                                           ("gestion.sci", True), ("gestion.llsh", True)]
    changed = PasswordHasher().hash("Changed-2027-pass!")
    harness.sql("UPDATE staff_users SET password_hash = :h WHERE login = 'scol'", h=changed)
    with Session(harness.engine) as session:
        assert all(not created for _, created in seed.seed(session, NOW))
    rows = harness.sql("SELECT login, role, centres FROM staff_users ORDER BY id")
    assert rows == [("admin", "admin", []), ("scol", "scol", []),
                    ("gestion.sci", "manager", ["SCI"]), ("gestion.llsh", "manager", ["LLSH"])]
    assert harness.call("authenticate_staff", ANONYMOUS, "scol", "Changed-2027-pass!")["role"] == "scol"
    harness.refused(ValidationFailed, "bad_credentials", "authenticate_staff", ANONYMOUS, "scol",
                    seed.DEMO_PASSWORD)


def test_an_activation_link_can_be_checked_before_choosing_a_password(harness):
    account = harness.register()
    assert harness.call("check_activation_token", ANONYMOUS, account["token"]) == {"valid": True}
    harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD)
    harness.refused(NotFound, "token_invalid", "check_activation_token", ANONYMOUS, account["token"])
    late = harness.register("late@example.org")
    harness.clock.advance(hours=48)
    harness.refused(Conflict, "token_expired", "check_activation_token", ANONYMOUS, late["token"])
