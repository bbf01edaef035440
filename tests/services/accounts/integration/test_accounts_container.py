"""The accounts service as it runs: a real nameko container on the real broker
and database. A candidate registers, gets the activation token through the
candidate_registered event (as the notifications service would), activates,
logs in, fills the dossier; an application_created event then locks the
personal information."""
import uuid

import eventlet
import pytest
from sqlalchemy import text

from services.common.actors import ANONYMOUS, service
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.services.accounts.harness import ADDRESS, BAC, PASSWORD, PERSONAL
from tests.services.accounts.integration.listener import WAIT_SECONDS, next_event
from tests.support.rpc import acting_rpc_proxy, signed_event_dispatcher


def wait_until(check):
    with eventlet.Timeout(WAIT_SECONDS, AssertionError("condition never met")):
        while not check():
            eventlet.sleep(0.1)


def test_register_activate_login_and_lock(running, rabbit_config):
    engine, received = running
    email = f"lea.{uuid.uuid4().hex[:8]}@example.org"
    with acting_rpc_proxy("accounts", rabbit_config) as accounts:
        # Register: the activation token leaves only in the event.
        assert accounts.register_candidate(ANONYMOUS, {"last_name": "Martin", "first_name": "Léa",
                                            "email": email, "email_confirm": email,
                                            "lang": "fr"}) == {"sent": True}
        registered = next_event(received, "candidate_registered", email)
        done = {"candidate_id": registered["candidate_id"],
                "dossier_number": registered["dossier_number"]}
        token = registered["activation_token"]

        # Typed errors cross the wire.
        with pytest.raises(ValidationFailed) as mismatch:
            accounts.register_candidate(ANONYMOUS, {"last_name": "Martin", "first_name": "Léa",
                                         "email": email, "email_confirm": "x" + email,
                                         "lang": "fr"})
        assert mismatch.value.fields == {"email_confirm": "email_mismatch"}
        with pytest.raises(ValidationFailed) as not_yet:
            accounts.authenticate_candidate(ANONYMOUS, email, PASSWORD)
        assert not_yet.value.code == "bad_credentials"

        # Activate, once.
        assert accounts.activate_account(ANONYMOUS, token, PASSWORD, PASSWORD) == done
        activated = next_event(received, "account_activated", email)
        assert activated["candidate_id"] == done["candidate_id"]
        with pytest.raises(NotFound) as used:
            accounts.activate_account(ANONYMOUS, token, PASSWORD, PASSWORD)
        assert used.value.code == "token_invalid"

        # Log in with the dossier number or the email.
        actor = accounts.authenticate_candidate(ANONYMOUS, done["dossier_number"].lower(), PASSWORD)
        assert actor["kind"] == "candidate" and actor["id"] == done["candidate_id"]
        assert accounts.authenticate_candidate(ANONYMOUS, email.upper(), PASSWORD)["id"] == actor["id"]
        with pytest.raises(ValidationFailed) as wrong:
            accounts.authenticate_candidate(ANONYMOUS, email, "Wrong-pass-123!")
        assert wrong.value.code == "bad_credentials"

        # Fill the dossier; then the first application locks personal information.
        for section, data in (("personal", PERSONAL), ("address", ADDRESS), ("bac", BAC)):
            view = accounts.save_dossier_section(actor, section, data)
        assert view["ready_to_apply"] and not view["personal_locked"]
        contact = accounts.check_ready_to_apply(service("applications"), done["candidate_id"])
        assert contact["civility"] == "MME" and contact["email"] == email

        dispatch = signed_event_dispatcher(rabbit_config)
        dispatch("applications", "application_created", {
            "event_id": str(uuid.uuid4()), "event_type": "application_created",
            "application_id": 1, "candidate_id": done["candidate_id"],
            "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"}})
        wait_until(lambda: accounts.get_dossier(actor)["personal_locked"])
        with pytest.raises(Conflict) as locked:
            accounts.save_dossier_section(actor, "personal", {**PERSONAL, "birth_name": "Durand"})
        assert locked.value.code == "personal_locked"
        assert accounts.get_dossier(actor)["personal"]["birth_name"] == "Martin"

    # Every event of the outbox went out, and none lingers (the registration one holds a token).
    with engine.connect() as conn:
        wait_until(lambda: conn.execute(text("SELECT count(*) FROM outbox_events")).scalar() == 0)
