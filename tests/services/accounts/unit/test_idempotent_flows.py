"""Account commands sent twice with the same idempotency key (a retried form,
a request delivered again after a lost connection) answer what the first
answered: an activation that just succeeded is not told "lien déjà utilisé"."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.services.accounts.harness import EXTERNAL, PASSWORD

NEW_PASSWORD = "Nouveau-2027-pass!"


def test_an_activation_run_again_answers_its_success(harness):
    account = harness.register()
    done = harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD,
                        idempotency_key="form-1")
    again = harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD,
                         idempotency_key="form-1")
    assert again == done == {"candidate_id": account["candidate_id"],
                             "dossier_number": account["dossier_number"]}
    assert len(harness.events("account_activated")) == 1
    # A later, different use of the used link is told it was used.
    with pytest.raises(NotFound) as used:
        harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD,
                     idempotency_key="form-2")
    assert used.value.code == "token_invalid"


def test_a_refused_activation_keeps_no_key_and_no_password(harness):
    account = harness.register()
    harness.refused(ValidationFailed, "invalid", "activate_account", ANONYMOUS, account["token"],
                    "weak", "weak", idempotency_key="form-1")
    done = harness.call("activate_account", ANONYMOUS, account["token"], PASSWORD, PASSWORD,
                        idempotency_key="form-1")
    assert done["candidate_id"] == account["candidate_id"]
    kept, = harness.sql("SELECT method, actor, key, fingerprint, result FROM idempotency_keys")
    assert kept[:3] == ("accounts.activate_account", "anonymous", "form-1")
    assert PASSWORD not in str(kept)  # never kept, not even in the clear answer


def test_a_password_reset_run_again_answers_its_success(harness):
    harness.activated("lea@example.org")
    harness.call("request_credentials", ANONYMOUS, "lea@example.org")
    token = harness.events("credentials_requested")[-1]["reset_token"]
    done = harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD,
                        idempotency_key="reset-1")
    assert harness.call("reset_password", ANONYMOUS, token, NEW_PASSWORD, NEW_PASSWORD,
                        idempotency_key="reset-1") == done
    assert len(harness.events("password_changed")) == 1


def test_an_entry_added_twice_with_one_form_is_one_entry(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor)
    first = harness.call("add_dossier_entry", actor, "external", EXTERNAL,
                         idempotency_key="entry-1")
    assert harness.call("add_dossier_entry", actor, "external", EXTERNAL,
                        idempotency_key="entry-1") == first
    assert len(first["external"]) == 1
    with pytest.raises(Conflict) as reused:
        harness.call("add_dossier_entry", actor, "external", {**EXTERNAL, "year": "2023"},
                     idempotency_key="entry-1")
    assert reused.value.code == "idempotency_key_reused"
    assert len(harness.call("get_dossier", actor)["external"]) == 1


def test_an_email_change_asked_twice_with_one_form_sends_one_link_that_works(harness):
    actor = harness.activated("lea@example.org")["actor"]
    for _ in range(2):
        assert harness.call("request_email_change", actor, "lea.new@example.org",
                            "lea.new@example.org", PASSWORD,
                            idempotency_key="change-1") == {"sent": True}
    event, = harness.events("email_change_requested")
    confirm = {"email": "lea.new@example.org", "candidate_id": actor["id"]}
    assert harness.call("confirm_email_change", ANONYMOUS, event["email_token"],
                        idempotency_key="confirm-1") == confirm
    # the confirmation sent again shows its success; another use is told the link was used
    assert harness.call("confirm_email_change", ANONYMOUS, event["email_token"],
                        idempotency_key="confirm-1") == confirm
    with pytest.raises(NotFound):
        harness.call("confirm_email_change", ANONYMOUS, event["email_token"],
                     idempotency_key="confirm-2")


def test_a_wrong_current_password_is_counted_each_time_even_with_one_form(harness):
    actor = harness.activated("lea@example.org")["actor"]
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            harness.call("request_email_change", actor, "lea.new@example.org",
                         "lea.new@example.org", "wrong", idempotency_key="change-1")
    assert harness.sql("SELECT max(failures) FROM login_failures") == [(2,)]
    assert harness.sql("SELECT key FROM idempotency_keys") == []
    assert harness.call("request_email_change", actor, "lea.new@example.org",
                        "lea.new@example.org", PASSWORD,
                        idempotency_key="change-1") == {"sent": True}
