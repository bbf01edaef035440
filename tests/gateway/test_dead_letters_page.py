"""The administrators' page of dead letters: each service's, listed through
its RPC, replayed one by one or all at once; nobody else reaches it."""
import re

import pytest

from services.common.config import SERVICES
from services.common.errors import Unavailable
from gateway import create_app
from tests.support.gateway import TOK, as_staff, fake, login_candidate, page_text

LETTER = {"id": "5b0c", "service": "notifications",
          "queue": "evt-accounts-candidate_registered--notifications.on_candidate_registered",
          "handler": "notifications.on_candidate_registered", "exchange": "accounts.events",
          "routing_key": "candidate_registered", "event_type": "candidate_registered",
          "event_id": "8d2f-event", "attempts": 5, "reason": "failed",
          "error": "OperationalError: connection refused", "failed_at": "2026-12-01T10:00:00+00:00"}


@pytest.fixture
def portal():
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})


def services(app, notifications=None, **others):
    answers = {name: {"list_dead_letters": [], "replay_dead_letters": {"replayed": [],
                                                                       "missing": []}}
               for name in SERVICES}
    answers["notifications"].update(notifications or {"list_dead_letters": [LETTER]})
    for name, extra in others.items():
        answers[name].update(extra)
    return fake(app, **answers)


def test_an_administrator_sees_each_services_dead_letters(portal):
    services(portal, documents={"list_dead_letters": Unavailable("service_unavailable", "x")})
    client = portal.test_client()
    as_staff(client, "admin")
    page = page_text(client.get("/gestion/admin/lettres-mortes"))
    assert "Messages en échec" in page
    assert "notifications.on_candidate_registered" in page and "8d2f-event" in page
    assert "OperationalError: connection refused" in page and "Rejouer" in page
    assert "Tout rejouer (1)" in page
    assert page.count("Aucun message en échec.") == 3  # accounts, catalog, applications
    assert "Service momentanément indisponible" in page  # documents, while the others show
    assert 'name="idempotency_key"' in page
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = page_text(client.get("/gestion/admin/lettres-mortes"))
    assert "Failed messages" in english and "Replay all (1)" in english


def test_replaying_one_or_all_goes_to_the_service(portal):
    remote = services(portal, notifications={
        "list_dead_letters": [LETTER],
        "replay_dead_letters": lambda actor, ids, **kw: {"replayed": ids or ["5b0c"],
                                                         "missing": []}})
    client = portal.test_client()
    as_staff(client, "admin")
    key = re.search(r'name="idempotency_key" value="([^"]+)"',
                    client.get("/gestion/admin/lettres-mortes").get_data(as_text=True)).group(1)
    one = client.post("/gestion/admin/lettres-mortes/notifications/rejouer",
                      data={"csrf_token": TOK, "id": "5b0c", "idempotency_key": key})
    assert one.status_code == 302
    method, (actor, ids) = remote.notifications.calls[-1]
    assert (method, actor["role"], ids) == ("replay_dead_letters", "admin", ["5b0c"])
    assert "1 message(s) rejoué(s) pour notifications." in page_text(
        client.get("/gestion/admin/lettres-mortes"))
    client.post("/gestion/admin/lettres-mortes/notifications/rejouer",
                data={"csrf_token": TOK, "all": "1", "idempotency_key": key})
    method, (actor, ids) = remote.notifications.calls[-1]
    assert (method, ids) == ("replay_dead_letters", None)
    assert client.post("/gestion/admin/lettres-mortes/nowhere/rejouer",
                       data={"csrf_token": TOK, "all": "1"}).status_code == 404


def test_a_replay_without_csrf_is_refused(portal):
    remote = services(portal)
    client = portal.test_client()
    as_staff(client, "admin")
    answer = client.post("/gestion/admin/lettres-mortes/notifications/rejouer", data={"all": "1"})
    assert answer.status_code == 400
    assert not [c for c in remote.notifications.calls if c[0] == "replay_dead_letters"]


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_administrators_reach_dead_letters(portal, role):
    remote = services(portal)
    client = portal.test_client()
    as_staff(client, role, ["SCI"])
    assert client.get("/gestion/admin/lettres-mortes").status_code == 403
    assert client.post("/gestion/admin/lettres-mortes/notifications/rejouer",
                       data={"csrf_token": TOK, "all": "1"}).status_code == 403
    assert not remote.notifications.calls
    assert "Messages en échec" not in page_text(client.get("/gestion/candidats"))


def test_anonymous_and_candidates_are_kept_out(portal):
    services(portal)
    client = portal.test_client()
    assert client.get("/gestion/admin/lettres-mortes").status_code == 302
    login_candidate(client)
    assert client.get("/gestion/admin/lettres-mortes").status_code == 403
