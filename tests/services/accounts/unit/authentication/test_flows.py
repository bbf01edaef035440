"""Account flows: a new activation link, forgotten
credentials and reset, email change, throttled logins, data export, deletion
and the purge of accounts never activated."""
import functools
from datetime import datetime

import eventlet
import pytest

from services.accounts import domain
from services.accounts.authentication import throttle
from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import PASSWORD
from tests.support.actors import staff

NEW_PASSWORD = "Nouveau-Secret-2027?"


def test_dossier_numbers_carry_the_configured_campaign_prefix(harness, monkeypatch):
    monkeypatch.setenv("DOSSIER_NUMBER_PREFIX", "27")
    number = harness.register()["dossier_number"]
    assert len(number) == 8 and number.startswith("27") and domain.is_dossier_number(number)
    monkeypatch.setenv("DOSSIER_NUMBER_PREFIX", "2027")
    with pytest.raises(ValueError):
        domain.dossier_number_prefix()


def test_the_account_remembers_the_active_campaign(harness):
    account = harness.register()
    assert harness.sql("SELECT campaign_code FROM candidates WHERE id = :i",
                       i=account["candidate_id"]) == [("2027",)]
    harness.remote["catalog.get_active_campaign"] = NotFound("no_active_campaign", "none")
    other = harness.register()
    assert harness.sql("SELECT campaign_code FROM candidates WHERE id = :i",
                       i=other["candidate_id"]) == [(None,)]


# -- "J'ai perdu mon code d'activation" ------------------------------------------------

def test_a_lost_activation_link_is_replaced_and_the_old_one_stops_working(harness):
    account = harness.register("lea@example.org")
    harness.clock.advance(hours=30)
    assert harness.call("request_activation_link", ANONYMOUS, "LEA@example.org") == {"sent": True}
    event, = harness.events("activation_requested")
    assert event["candidate_id"] == account["candidate_id"]
    assert event["activation_token"] != account["token"]
    with pytest.raises(NotFound):
        harness.call("check_activation_token", ANONYMOUS, account["token"])
    harness.clock.advance(hours=40)  # a fresh 48 hours from the new link
    harness.call("activate_account", ANONYMOUS, event["activation_token"], PASSWORD, PASSWORD)


def test_activation_link_answers_the_same_whatever_the_address(harness):
    activated = harness.activated("done@example.org")
    expired = harness.register("late@example.org")
    harness.clock.advance(hours=49)
    for email in ("nobody@example.org", "done@example.org", "late@example.org"):
        assert harness.call("request_activation_link", ANONYMOUS, email) == {"sent": True}
    assert harness.events("activation_requested") == []  # nothing to send to any of them
    assert activated and expired
    harness.refused(ValidationFailed, "invalid", "request_activation_link", ANONYMOUS, "not-an-email",
                    fields={"email": "invalid_email"})


# -- "J'ai oublié mes identifiants" ------------------------------------------------------

def test_forgotten_credentials_give_the_number_and_a_two_hour_single_use_link(harness):
    account = harness.activated("lea@example.org")
    assert harness.call("request_credentials", ANONYMOUS, "lea@example.org") == {"sent": True}
    event, = harness.events("credentials_requested")
    assert event["dossier_number"] == account["dossier_number"] and event["cas"] is False
    token = event["reset_token"]
    expires = datetime.fromisoformat(event["reset_expires_at"])
    assert (expires - harness.clock()).total_seconds() == 2 * 3600
    assert harness.call("check_reset_token", ANONYMOUS, token) == {"valid": True}
    harness.refused(ValidationFailed, "invalid", "reset_password", ANONYMOUS, token, "weak", "weak",
                    fields={"password": "password_weak"})
    harness.refused(ValidationFailed, "invalid", "reset_password", ANONYMOUS, token, NEW_PASSWORD, "other",
                    fields={"password_confirm": "password_mismatch"})
    done = harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)
    assert done["dossier_number"] == account["dossier_number"]
    harness.refused(NotFound, "token_invalid", "reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)
    with pytest.raises(ValidationFailed):
        harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", NEW_PASSWORD)["id"] == \
        account["candidate_id"]


def test_a_new_password_easy_to_guess_is_refused_with_the_reason(harness):
    account = harness.activated("lea.martin@example.org")
    harness.call("request_credentials", ANONYMOUS, "lea.martin@example.org")
    token = harness.events("credentials_requested")[-1]["reset_token"]
    number = account["dossier_number"]
    for password, reason in [(f"{number}-aB9!", "password_personal"),
                             ("Motdepasse1!", "password_common"),
                             ("Aa1!Aa1!Aa1!", "password_pattern"),
                             ("Zxcvbnm,./1A", "password_pattern")]:
        harness.refused(ValidationFailed, "invalid", "reset_password", ANONYMOUS, token, password, password,
                        fields={"password": reason})
    assert harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)


def test_a_reset_link_expires_after_two_hours(harness):
    harness.activated("lea@example.org")
    harness.call("request_credentials", ANONYMOUS, "lea@example.org")
    token = harness.events("credentials_requested")[-1]["reset_token"]
    harness.clock.advance(hours=2)
    harness.refused(Conflict, "token_expired", "reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)


def test_credentials_for_unknown_or_unactivated_addresses_answer_the_same(harness):
    pending = harness.register("pending@example.org")
    assert harness.call("request_credentials", ANONYMOUS, "nobody@example.org") == {"sent": True}
    assert harness.events("credentials_requested") == []
    assert harness.call("request_credentials", ANONYMOUS, "pending@example.org") == {"sent": True}
    # not activated yet: what they need is a new activation link
    event, = harness.events("activation_requested")
    assert event["candidate_id"] == pending["candidate_id"]


# -- email change ---------------------------------------------------------------------------

def test_email_change_is_confirmed_from_the_new_address(harness):
    account = harness.activated("lea@example.org")
    actor = account["actor"]
    assert harness.call("request_email_change", actor, "lea.new@example.org",
                        "lea.new@example.org", PASSWORD) == {"sent": True}
    event, = harness.events("email_change_requested")
    assert event["email"] == "lea@example.org" and event["new_email"] == "lea.new@example.org"
    token = event["email_token"]
    # until confirmed, the old address stays in force
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)
    assert harness.call("check_email_token", ANONYMOUS, token) == {"new_email": "lea.new@example.org"}
    assert harness.call("confirm_email_change", ANONYMOUS, token) == {
        "email": "lea.new@example.org", "candidate_id": account["candidate_id"]}
    updated = harness.events("candidate_updated")[-1]
    assert updated["email"] == "lea.new@example.org"
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea.new@example.org", PASSWORD)
    with pytest.raises(ValidationFailed):
        harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)
    harness.refused(NotFound, "token_invalid", "confirm_email_change", ANONYMOUS, token)


def test_email_change_refuses_bad_addresses(harness):
    actor = harness.activated("lea@example.org")["actor"]
    harness.activated("paul@example.org")
    cases = [("bad", "bad", {"email": "invalid_email"}),
             ("a@example.org", "b@example.org", {"email_confirm": "email_mismatch"}),
             ("LEA@example.org", "lea@example.org", {"email": "same_email"})]
    for email, confirm, fields in cases:
        harness.refused(ValidationFailed, "invalid", "request_email_change", actor, email, confirm,
                        PASSWORD, fields=fields)


def visible(view):
    """What the account page shows of a dossier, the candidate's own identity aside."""
    return {key: value for key, value in view.items() if key != "candidate"}


def test_an_address_with_an_account_gets_the_same_answer_the_same_page_and_no_link(harness):
    lea = harness.activated("lea@example.org")["actor"]
    paul = harness.activated("paul@example.org")["actor"]
    harness.activated("taken@example.org")
    free = harness.call("request_email_change", lea, "free@example.org", "free@example.org",
                        PASSWORD)
    taken = harness.call("request_email_change", paul, "Taken@example.org", "taken@example.org",
                         PASSWORD)
    assert free == taken == {"sent": True}
    lea_view, paul_view = (harness.call("get_dossier", actor) for actor in (lea, paul))
    # the account page says "awaiting confirmation" in both cases
    assert lea_view["pending_email"] == "free@example.org"
    assert paul_view["pending_email"] == "Taken@example.org"
    assert ({**visible(lea_view), "pending_email": None}
            == {**visible(paul_view), "pending_email": None})
    assert harness.sql("SELECT count(*) FROM candidates WHERE email_token_hash IS NOT NULL"
                       " AND email_token_expires_at IS NOT NULL") == [(2,)]
    # only the free address gets the link; the taken one's account stays as it was
    event, = harness.events("email_change_requested")
    assert event["new_email"] == "free@example.org"
    assert harness.call("authenticate_candidate", ANONYMOUS, "taken@example.org", PASSWORD)
    assert harness.call("authenticate_candidate", ANONYMOUS, "paul@example.org", PASSWORD)


def test_an_address_taken_meanwhile_is_refused_at_confirmation(harness):
    actor = harness.activated("lea@example.org")["actor"]
    harness.call("request_email_change", actor, "shared@example.org", "shared@example.org",
                 PASSWORD)
    token = harness.events("email_change_requested")[-1]["email_token"]
    harness.register("shared@example.org")
    harness.refused(ValidationFailed, "invalid", "confirm_email_change", ANONYMOUS, token,
                    fields={"email": "email_taken"})


def test_email_link_expires(harness):
    actor = harness.activated("lea@example.org")["actor"]
    harness.call("request_email_change", actor, "new@example.org", "new@example.org", PASSWORD)
    token = harness.events("email_change_requested")[-1]["email_token"]
    harness.clock.advance(hours=24)
    harness.refused(Conflict, "token_expired", "confirm_email_change", ANONYMOUS, token)


# -- throttled logins -------------------------------------------------------------------

def test_the_wait_grows_after_the_threshold_and_is_capped():
    assert [throttle.wait_seconds(n, throttle.ACCOUNT) for n in (0, 4, 5, 6, 7, 11, 30)] == \
        [0, 0, 1, 2, 4, 64, 900]
    assert throttle.wait_seconds(19, throttle.ADDRESS) == 0
    assert throttle.wait_seconds(40, throttle.ADDRESS) == 900


def test_failed_logins_are_slowed_down_per_account_then_cleared_by_success(harness):
    account = harness.activated("lea@example.org")
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", "Wrong-pass-1!")
    error = harness.refused(Conflict, "login_throttled", "authenticate_candidate", ANONYMOUS,
                            account["dossier_number"], PASSWORD)
    assert error.fields == {"retry_after": "1"}
    harness.clock.advance(seconds=1)
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)["id"]
    assert harness.sql("SELECT count(*) FROM login_failures") == [(0,)]


def test_unknown_logins_are_throttled_like_real_ones(harness):
    for n in range(5):
        with pytest.raises(ValidationFailed):
            harness.call("authenticate_candidate", ANONYMOUS, "ghost@example.org", "Wrong-pass-1!",
                         client_address=f"198.51.100.{n}")
    harness.refused(Conflict, "login_throttled", "authenticate_candidate", ANONYMOUS,
                    "ghost@example.org", "Wrong-pass-1!", client_address="198.51.100.99")


def test_one_address_trying_many_accounts_is_slowed_down(harness):
    harness.activated("lea@example.org")
    for n in range(20):
        with pytest.raises(ValidationFailed):
            harness.call("authenticate_candidate", ANONYMOUS, f"user{n}@example.org", "x",
                         client_address="203.0.113.9")
    harness.refused(Conflict, "login_throttled", "authenticate_candidate", ANONYMOUS, "lea@example.org",
                    PASSWORD, client_address="203.0.113.9")
    # another address is not slowed down by it
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD,
                        client_address="198.51.100.1")
    keys = [row[0] for row in harness.sql("SELECT key FROM login_failures")]
    assert all("203.0.113.9" not in key for key in keys)  # addresses are stored hashed


def guess(harness, login, address, password="Wrong-pass-1!", method="authenticate_candidate"):
    """One login attempt: "refused" (password checked and wrong) or the seconds
    the throttle asks to wait."""
    try:
        harness.call(method, ANONYMOUS, login, password, client_address=address)
    except ValidationFailed:
        return "refused"
    except Conflict as exc:
        assert exc.code == "login_throttled"
        return int(exc.fields["retry_after"])
    return "in"


def test_guesses_spread_over_many_addresses_slow_the_account_down(harness):
    harness.activated("lea@example.org")
    answers = [guess(harness, "lea@example.org", f"198.51.100.{n}") for n in range(50)]
    # five guesses are checked, then the account waits, whatever the address
    assert answers[:5] == ["refused"] * 5 and all(a == 1 for a in answers[5:])
    assert guess(harness, "lea@example.org", "203.0.113.77", PASSWORD) == 1
    # every guess let through makes the next wait longer, up to 15 minutes
    waits = []
    for n in range(12):
        harness.clock.advance(seconds=waits[-1] if waits else 1)
        assert guess(harness, "lea@example.org", f"192.0.2.{n}") == "refused"
        waits.append(guess(harness, "lea@example.org", f"192.0.2.{100 + n}"))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_guesses_sent_all_at_once_are_checked_one_at_a_time(harness):
    harness.activated("lea@example.org")
    pool = eventlet.GreenPool(12)
    answers = list(pool.imap(lambda n: guess(harness, "lea@example.org", f"198.51.100.{n}"),
                             range(12)))
    assert answers.count("refused") == 5 and answers.count(1) == 7


def test_the_owner_is_not_locked_out_for_good(harness):
    account = harness.activated("lea@example.org")
    for n in range(30):
        guess(harness, "lea@example.org", f"198.51.100.{n}")
        harness.clock.advance(seconds=30)
    wait = guess(harness, account["dossier_number"], "203.0.113.5", PASSWORD)
    assert isinstance(wait, int) and 0 < wait <= 900
    harness.clock.advance(seconds=wait)  # the wait is over: the owner gets in
    assert guess(harness, account["dossier_number"], "203.0.113.5", PASSWORD) == "in"
    assert harness.sql("SELECT count(*) FROM login_failures WHERE key LIKE 'candidate:%' "
                       "AND key NOT LIKE '%:known:%'") == [(0,)]


def keep_locked(harness, login, rounds, first=0, attempt=None):
    """An attacker keeping an account locked: a guess from a new address as
    soon as each wait is over (about 15 minutes a guess at worst)."""
    attempt = attempt or guess
    for n in range(first, first + rounds):
        answer = attempt(harness, login, f"198.51.100.{n % 250}")
        if isinstance(answer, int):
            harness.clock.advance(seconds=answer)
            attempt(harness, login, f"198.51.101.{n % 250}")


def test_guesses_from_elsewhere_never_keep_the_owner_out_where_they_log_in(harness):
    harness.activated("lea@example.org")
    assert guess(harness, "lea@example.org", "203.0.113.5", PASSWORD) == "in"  # home
    keep_locked(harness, "lea@example.org", 40)
    # from anywhere else the account waits, as an attacker does ...
    assert isinstance(guess(harness, "lea@example.org", "192.0.2.44", PASSWORD), int)
    # ... but at home only the owner's own failures there count
    assert guess(harness, "lea@example.org", "203.0.113.5", PASSWORD) == "in"
    for _ in range(5):
        assert guess(harness, "lea@example.org", "203.0.113.5") == "refused"
    assert guess(harness, "lea@example.org", "203.0.113.5", PASSWORD) == 1
    # the attacker is still slowed down: their counter was not cleared by the owner
    assert isinstance(guess(harness, "lea@example.org", "192.0.2.45"), int)


def test_an_address_is_known_for_ninety_days(harness):
    harness.activated("lea@example.org")
    assert guess(harness, "lea@example.org", "203.0.113.5", PASSWORD) == "in"
    harness.clock.advance(days=89)
    harness.purge()
    keep_locked(harness, "lea@example.org", 12)
    assert guess(harness, "lea@example.org", "203.0.113.5", PASSWORD) == "in"
    harness.clock.advance(days=91)
    harness.purge()
    keep_locked(harness, "lea@example.org", 12, first=100)
    assert isinstance(guess(harness, "lea@example.org", "203.0.113.5", PASSWORD), int)


def test_a_new_password_lets_the_owner_in_at_once(harness):
    harness.activated("lea@example.org")
    for n in range(8):
        harness.clock.advance(seconds=60)
        guess(harness, "lea@example.org", f"198.51.100.{n}")
    assert isinstance(guess(harness, "lea@example.org", "203.0.113.5", PASSWORD), int)
    harness.call("request_credentials", ANONYMOUS, "lea@example.org")
    token = harness.events("credentials_requested")[-1]["reset_token"]
    harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD)
    assert guess(harness, "lea@example.org", "203.0.113.5", NEW_PASSWORD) == "in"


def test_an_administrators_new_password_lets_a_locked_out_staff_member_in(harness):
    admin = staff("admin", id=999, login="root")
    harness.remote["catalog.list_centres"] = []
    harness.remote["catalog.list_commissions"] = []
    user = harness.call("create_staff", admin, {
        "login": "scol.lea", "display_name": "Léa Scol", "role": "scol",
        "password": "Ancien-Secret-2027?"})
    keep_locked(harness, "scol.lea", 40, attempt=staff_guess)
    assert isinstance(staff_guess(harness, "scol.lea", "192.0.2.1", "Ancien-Secret-2027?"), int)
    harness.call("update_staff", admin, user["id"], {
        "display_name": "Léa Scol", "role": "scol", "password": "Nouveau-Secret-2027?"})
    assert staff_guess(harness, "scol.lea", "192.0.2.1", "Nouveau-Secret-2027?") == "in"


staff_guess = functools.partial(guess, method="authenticate_staff")


def test_staff_logins_are_throttled_too(harness):
    harness.sql("INSERT INTO staff_users (login, password_hash, display_name, role, centres, "
                "created_at) VALUES ('scol', 'x', 'Scol', 'scol', '[]', now())")
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            harness.call("authenticate_staff", ANONYMOUS, "scol", "wrong")
    harness.refused(Conflict, "login_throttled", "authenticate_staff", ANONYMOUS, "scol", "wrong")


# -- data, deletion, purge ---------------------------------------------------------------

def test_export_holds_the_account_and_dossier_and_no_secret(harness):
    account = harness.activated("lea@example.org")
    harness.fill(account["actor"])
    data = harness.call("export_my_data", account["actor"])
    assert data["account"]["dossier_number"] == account["dossier_number"]
    assert data["dossier"]["personal"]["birth_name"] == "Martin"
    flat = repr(data).lower()
    assert "hash" not in flat and "token" not in flat and "argon2" not in flat


def test_a_candidate_deletes_their_account_and_everything_goes(harness):
    account = harness.activated("lea@example.org")
    harness.fill(account["actor"])
    assert harness.call("delete_my_account", account["actor"], PASSWORD) == {"deleted": True}
    event, = harness.events("account_deleted")
    assert event["reason"] == "candidate" and event["email"] == "lea@example.org"
    assert event["civility"] == "MME"
    assert harness.sql("SELECT count(*) FROM candidates") == [(0,)]
    assert harness.sql("SELECT count(*) FROM dossiers") == [(0,)]
    # the number stays issued: never given to anyone else
    assert harness.sql("SELECT number FROM issued_dossier_numbers") == [(account["dossier_number"],)]
    with pytest.raises(ValidationFailed):
        harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)


def test_a_candidate_with_a_transmitted_application_cannot_delete_the_account(harness):
    account = harness.activated("lea@example.org")
    other = harness.activated("paul@example.org")
    harness.transmitted(account["candidate_id"], 41)
    harness.transmitted(account["candidate_id"], 41)  # a duplicate event changes nothing
    harness.transmitted(other["candidate_id"], 42)
    harness.refused(Conflict, "account_has_transmitted", "delete_my_account", account["actor"],
                    PASSWORD)
    # accounts knows it from applications' events: it asks nobody at deletion time
    assert harness.sql("SELECT application_id, candidate_id FROM transmitted_applications "
                       "ORDER BY 1") == [(41, account["candidate_id"]), (42, other["candidate_id"])]


def test_a_cancelled_application_no_longer_keeps_the_account(harness):
    account = harness.activated("lea@example.org")
    harness.transmitted(account["candidate_id"], 41)
    harness.cancelled(account["candidate_id"], 41)
    assert harness.call("delete_my_account", account["actor"], PASSWORD) == {"deleted": True}


def test_the_purge_destroys_accounts_never_activated_in_time(harness):
    late = harness.register("late@example.org")
    fresh_activated = harness.activated("ok@example.org")
    harness.clock.advance(hours=47)
    recent = harness.register("recent@example.org")
    assert harness.purge() == {"purged": 0}
    harness.clock.advance(hours=1)
    assert harness.purge() == {"purged": 1}
    event, = harness.events("account_deleted")
    assert event["candidate_id"] == late["candidate_id"] and event["reason"] == "unactivated"
    remaining = {row[0] for row in harness.sql("SELECT id FROM candidates")}
    assert remaining == {fresh_activated["candidate_id"], recent["candidate_id"]}
    assert harness.purge() == {"purged": 0}  # idempotent
    harness.refused(Forbidden, "forbidden", "run_job", staff("scol"), "purge_unactivated")


def test_the_scheduled_purge_runs_the_purge(harness):
    late = harness.register("late@example.org")
    harness.clock.advance(hours=48)
    harness.call("run_due_jobs")
    event, = harness.events("account_deleted")
    assert event["candidate_id"] == late["candidate_id"] and event["reason"] == "unactivated"
    assert harness.sql("SELECT count(*) FROM candidates") == [(0,)]


# -- no inbox flooding -----------------------------------------------------------------------

def test_at_most_three_activation_links_an_hour_to_one_address(harness):
    harness.register("lea@example.org")
    for _ in range(5):
        assert harness.call("request_activation_link", ANONYMOUS, "lea@example.org") == {"sent": True}
    assert len(harness.events("activation_requested")) == 3
    harness.clock.advance(hours=1)
    assert harness.call("request_activation_link", ANONYMOUS, "lea@example.org") == {"sent": True}
    assert len(harness.events("activation_requested")) == 4
    keys = [row[0] for row in harness.sql("SELECT key FROM login_failures")]
    assert keys and all("lea@" not in key for key in keys)  # addresses are stored hashed


def test_at_most_three_credential_mails_an_hour_to_one_address(harness):
    harness.activated("lea@example.org")
    for _ in range(4):
        assert harness.call("request_credentials", ANONYMOUS, "LEA@example.org") == {"sent": True}
    assert len(harness.events("credentials_requested")) == 3
    # another flow, another address: counted apart
    harness.register("paul@example.org")
    harness.call("request_activation_link", ANONYMOUS, "paul@example.org")
    assert len(harness.events("activation_requested")) == 1


def test_at_most_three_email_change_links_an_hour_to_one_address(harness):
    lea = harness.activated("lea@example.org")["actor"]
    paul = harness.activated("paul@example.org")["actor"]
    for actor in (lea, lea, paul, paul):
        assert harness.call("request_email_change", actor, "victim@example.org",
                            "victim@example.org", PASSWORD) == {"sent": True}
    assert len(harness.events("email_change_requested")) == 3
    harness.clock.advance(minutes=61)
    harness.purge()  # forgets the hour gone by
    assert harness.sql("SELECT count(*) FROM login_failures") == [(0,)]
    harness.call("request_email_change", paul, "victim@example.org", "victim@example.org", PASSWORD)
    assert len(harness.events("email_change_requested")) == 4


def test_an_email_change_beyond_the_mail_limit_shows_the_same_pending_address(harness):
    lea = harness.activated("lea@example.org")["actor"]
    paul = harness.activated("paul@example.org")["actor"]
    for actor in (lea, lea, lea):
        harness.call("request_email_change", actor, "victim@example.org", "victim@example.org",
                     PASSWORD)
    assert harness.call("request_email_change", paul, "victim@example.org",
                        "victim@example.org", PASSWORD) == {"sent": True}
    assert harness.call("get_dossier", paul)["pending_email"] == "victim@example.org"
    assert len(harness.events("email_change_requested")) == 3  # nothing sent for paul
    assert not [e for e in harness.events("email_change_requested")
                if e["candidate_id"] == paul["id"]]


# -- the campaign's last login day -----------------------------------------------------

def test_candidates_cannot_log_in_after_the_campaigns_last_login_day(harness):
    from sqlalchemy.orm import Session

    from services.accounts import seed
    with Session(harness.engine) as session:
        seed.seed(session, harness.clock())
    account = harness.activated("lea@example.org")
    harness.remote["catalog.get_active_campaign"] = {"code": "2027", "login_until": "2027-03-10"}
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)  # that day still
    harness.clock.now = datetime.fromisoformat("2027-03-10T23:30:00+00:00")  # 00:30 in Paris
    error = harness.refused(Conflict, "campaign_closed", "authenticate_candidate", ANONYMOUS,
                            account["dossier_number"], PASSWORD)
    assert error.fields == {"login_until": "2027-03-10"}
    # a wrong password still says only that
    with pytest.raises(ValidationFailed):
        harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", "Wrong-pass-1!")
    # staff are not concerned
    assert harness.call("authenticate_staff", ANONYMOUS, "scol", seed.DEMO_PASSWORD)["role"] == "scol"


def test_a_catalog_that_does_not_answer_does_not_keep_candidates_out(harness, monkeypatch):
    from services.common import rpc
    harness.activated("lea@example.org")
    monkeypatch.setattr(rpc, "OPTIONAL_ANSWER_SECONDS", 0.2)
    harness.remote["catalog.get_active_campaign"] = lambda: eventlet.sleep(2)
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)["id"]


def test_a_catalog_whose_circuit_is_open_does_not_keep_candidates_out(harness):
    """An open circuit answers at once that the catalog is unavailable: the
    login goes on as when the catalog is slow."""
    from services.common.breaker import unavailable
    harness.activated("lea@example.org")
    harness.remote["catalog.get_active_campaign"] = unavailable("catalog", "catalog: circuit open")
    assert harness.call("authenticate_candidate", ANONYMOUS, "lea@example.org", PASSWORD)["id"]
