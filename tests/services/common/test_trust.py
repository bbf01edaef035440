"""The signed assertions services/common/trust.py makes and checks, and the
entrypoint that refuses a service whose RPC does not take the actor first."""
import pytest
from kombu.utils import json as kombu_json
from nameko.containers import ServiceContainer

from services.common import trust
from services.common.errors import Forbidden
from services.common.rpc import rpc
from tests.support.actors import SYSTEM, staff

ADMIN = staff("admin")


def test_a_signed_actor_comes_back_for_its_method_only():
    token = trust.sign_actor(ADMIN, "accounts.list_staff")
    assert trust.verify_actor(token, "accounts.list_staff") == ADMIN
    with pytest.raises(Forbidden) as replayed:
        trust.verify_actor(token, "accounts.delete_account")
    assert replayed.value.code == "untrusted_actor"


def test_a_signed_actor_comes_back_for_its_arguments_only():
    """Someone who reads a call off the broker cannot reuse its actor with
    other arguments within its minutes."""
    token = trust.sign_actor(ADMIN, "applications.enter_decision", (12, "DE"), {"data": None})
    # as the service receives them: through the wire's JSON
    assert trust.verify_actor(token, "applications.enter_decision", [12, "DE"],
                              {"data": None}) == ADMIN
    for args, kwargs in (([12, "FA"], {"data": None}), ([13, "DE"], {"data": None}),
                         ([12, "DE"], {}), ([12, "DE"], {"data": {"rank": 1}})):
        with pytest.raises(Forbidden):
            trust.verify_actor(token, "applications.enter_decision", args, kwargs)


def test_arguments_compare_as_they_travel():
    """Tuples arrive as lists, keys in any order: the same call all the same."""
    token = trust.sign_actor(ADMIN, "catalog.bulk_update_formations",
                             (("MINFO1", "MLEA1"), {"enabled": False, "date_close": "2027-05-01"}))
    sent = kombu_json.loads(kombu_json.dumps(
        [["MINFO1", "MLEA1"], {"date_close": "2027-05-01", "enabled": False}]))
    assert trust.verify_actor(token, "catalog.bulk_update_formations", sent) == ADMIN


@pytest.mark.parametrize("token", [ADMIN, None, "", "not.a.token", 42])
def test_anything_but_a_token_is_refused(token):
    with pytest.raises(Forbidden) as refused:
        trust.verify_actor(token, "accounts.list_staff")
    assert refused.value.code == "untrusted_actor"


def test_a_token_expires(monkeypatch):
    token = trust.sign_actor(ADMIN, "accounts.list_staff")
    monkeypatch.setenv("ACTOR_TTL_SECONDS", "-1")  # as if its minutes had passed
    with pytest.raises(Forbidden):
        trust.verify_actor(token, "accounts.list_staff")


def test_a_token_of_another_key_is_refused(monkeypatch):
    token = trust.sign_actor(ADMIN, "accounts.list_staff")
    monkeypatch.setenv("ACTOR_SIGNING_KEY", "another key, just as long as the real one")
    with pytest.raises(Forbidden):
        trust.verify_actor(token, "accounts.list_staff")


def test_the_system_actor_never_travels():
    token = trust.sign_actor(SYSTEM, "accounts.purge_unactivated")
    with pytest.raises(Forbidden):
        trust.verify_actor(token, "accounts.purge_unactivated")


def test_only_a_mapping_is_signed():
    with pytest.raises(TypeError):
        trust.sign_actor("admin", "accounts.list_staff")


def test_without_the_key_nothing_is_signed_and_the_message_says_why(monkeypatch):
    monkeypatch.delenv("ACTOR_SIGNING_KEY")
    with pytest.raises(trust.SigningKeyMissing, match="ACTOR_SIGNING_KEY"):
        trust.sign_actor(ADMIN, "accounts.list_staff")


def test_an_event_keeps_its_signature_only_while_unchanged():
    event = trust.sign_event("accounts", "candidate_updated",
                             {"event_id": "e1", "candidate_id": 7, "email": "lea@example.org"})
    assert trust.event_is_signed(event, "accounts", "candidate_updated")
    assert not trust.event_is_signed({**event, "candidate_id": 8}, "accounts",
                                     "candidate_updated")
    assert not trust.event_is_signed({k: v for k, v in event.items() if k != "signature"},
                                     "accounts", "candidate_updated")
    assert not trust.event_is_signed(["not", "an", "object"], "accounts", "candidate_updated")


def test_a_genuine_event_republished_as_another_does_not_verify():
    event = trust.sign_event("accounts", "candidate_updated", {"event_id": "e1",
                                                                "candidate_id": 7})
    assert not trust.event_is_signed(event, "accounts", "account_deleted")
    assert not trust.event_is_signed(event, "applications", "candidate_updated")


def test_a_service_whose_rpc_does_not_take_the_actor_first_does_not_start(rabbit_config):
    class Careless:
        name = "careless"

        @rpc
        def list_everything(self, filters=None):
            return []

    container = ServiceContainer(Careless, rabbit_config)
    with pytest.raises(TypeError, match="careless.list_everything"):
        container.start()
    container.kill()
