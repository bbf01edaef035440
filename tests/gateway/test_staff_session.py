"""A staff session's actor (role, centres, commissions) is asked again of
accounts every STAFF_ACTOR_TTL seconds: a change applies within that time, a
disabled or removed user is logged out. Services faked (outside the gateway)."""
from datetime import timedelta

import pytest

from gateway import create_app, security, settings
from services.common.errors import Forbidden, NotFound
from tests.gateway.test_app import fake, page_text, token

JURY = {"kind": "staff", "id": 4, "login": "jury.info", "display_name": "Jury Info",
        "role": "committee", "centres": [], "commissions": ["SCI-INFO"], "presides": []}
START = 1_800_000_000


@pytest.fixture
def clock(monkeypatch):
    now = [START]
    monkeypatch.setattr(security, "now", lambda: now[0], raising=False)
    return now


@pytest.fixture
def app():
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development",
                       "STAFF_ACTOR_TTL": 300})


def services(app, refresh):
    return fake(app, accounts={"authenticate_staff": JURY, "refresh_staff_actor": refresh},
                applications={"list_applications": []}, catalog={"list_centres": []})


def logged_in(app):
    client = app.test_client()
    answer = client.post("/gestion/connexion", data={
        "csrf_token": token(client, "/gestion/connexion"), "login": "jury.info",
        "password": "x"})
    assert answer.status_code == 302
    return client


def actor_used(remote):
    """The actor of the last applications RPC: the scope the services applied."""
    return remote.applications.calls[-1][1][0]


def test_a_changed_scope_applies_once_the_ttl_is_over_with_one_call_per_ttl(app, clock):
    moved = {**JURY, "commissions": ["SCI-MATH"], "presides": ["SCI-MATH"]}
    remote = services(app, lambda who: moved)
    client = logged_in(app)
    clock[0] += 299
    client.get("/gestion/")
    assert actor_used(remote)["commissions"] == ["SCI-INFO"]  # fresh from the login
    assert [c for c in remote.accounts.calls if c[0] == "refresh_staff_actor"] == []
    clock[0] += 1
    client.get("/gestion/")
    assert actor_used(remote)["commissions"] == ["SCI-MATH"]
    for _ in range(3):
        clock[0] += 60
        client.get("/gestion/")
    refreshes = [c for c in remote.accounts.calls if c[0] == "refresh_staff_actor"]
    assert refreshes == [("refresh_staff_actor", (JURY,))]
    assert actor_used(remote) == moved
    clock[0] += 300
    client.get("/gestion/")
    assert len([c for c in remote.accounts.calls if c[0] == "refresh_staff_actor"]) == 2


@pytest.mark.parametrize("refused", [Forbidden("forbidden", "disabled"),
                                     NotFound("not_found", "gone")])
def test_a_disabled_or_removed_user_is_logged_out(app, clock, refused):
    remote = services(app, refused)
    client = logged_in(app)
    clock[0] += 301
    calls_before = len(remote.applications.calls)
    answer = client.get("/gestion/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/gestion/connexion")
    assert len(remote.applications.calls) == calls_before  # nothing read for them
    with client.session_transaction() as session:
        assert "actor" not in session
    assert "désactivé ou supprimé" in page_text(client.get("/gestion/connexion"))
    assert client.get("/gestion/").status_code == 302  # logged out for good


def test_a_session_older_than_the_check_is_checked_at_once(app, clock):
    remote = services(app, Forbidden("forbidden", "disabled"))
    client = app.test_client()
    with client.session_transaction() as session:  # a cookie from before the check existed
        session["actor"], session["csrf"] = JURY, "tok"
    assert client.get("/gestion/").status_code == 302
    assert remote.applications.calls == []


def test_sessions_last_session_hours_and_the_ttl_is_configurable(monkeypatch):
    loaded = settings.load()
    assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert loaded["STAFF_ACTOR_TTL"] == 300
    monkeypatch.setenv("SESSION_HOURS", "8")
    monkeypatch.setenv("STAFF_ACTOR_TTL", "60")
    loaded = settings.load()
    assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert loaded["STAFF_ACTOR_TTL"] == 60
