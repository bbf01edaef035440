"""A staff session is a session id in the cookie; who it belongs to (role,
centres, commissions) is asked of accounts, the answer kept at most
SESSION_CHECK_SECONDS: a changed scope applies within seconds, and a disabled
user's session (a copied cookie too) is refused within seconds. Services
faked (outside the gateway)."""
from datetime import timedelta

import pytest

from gateway import create_app, settings
from tests.support.actors import staff
from tests.support.gateway import PRODUCTION_SECRETS, SESSIONS, fake, gateway_app, page_text, token

JURY = staff("committee", id=4, login="jury.info", display_name="Jury Info",
             commissions=["SCI-INFO"], presides=[])


@pytest.fixture
def app():
    return gateway_app(SESSION_CHECK_SECONDS=5)


def services(app):
    checks = []

    def check(actor, session_id):
        checks.append(session_id)
        if session_id not in SESSIONS:
            from services.common.errors import NotFound
            raise NotFound("session_ended", "ended")
        return {"actor": SESSIONS[session_id]}
    remote = fake(app, accounts={"authenticate_staff": JURY, "check_session": check},
                  applications={"list_applications": {"items": [], "total": 0, "page": 1,
                                                         "per_page": 50}},
                  catalog={"list_centres": []})
    remote.checks = checks
    return remote


def logged_in(app):
    client = app.test_client()
    answer = client.post("/gestion/connexion", data={
        "csrf_token": token(client, "/gestion/connexion"), "login": "jury.info",
        "password": "x"})
    assert answer.status_code == 302
    return client


def session_of(client):
    with client.session_transaction() as session:
        return session["sid"]


def actor_used(remote):
    """The actor of the last applications RPC: the scope the services applied."""
    return remote.applications.calls[-1][1][0]


def test_a_changed_scope_applies_within_seconds_with_one_check_at_most(app, clock):
    remote = services(app)
    client = logged_in(app)
    client.get("/gestion/")
    assert remote.checks == []  # the login's own answer, fresh
    SESSIONS[session_of(client)] = {**JURY, "commissions": ["SCI-MATH"],
                                    "presides": ["SCI-MATH"]}
    clock[0] += 4.9
    client.get("/gestion/")
    assert actor_used(remote)["commissions"] == ["SCI-INFO"]
    clock[0] += 0.1
    client.get("/gestion/")
    assert actor_used(remote)["commissions"] == ["SCI-MATH"]
    assert len(remote.checks) == 1
    for _ in range(3):
        clock[0] += 1
        client.get("/gestion/")
    assert len(remote.checks) == 1  # none while the answer is kept
    clock[0] += 5
    client.get("/gestion/")
    assert len(remote.checks) == 2


def test_a_disabled_users_copied_cookie_is_refused_within_seconds(app, clock):
    remote = services(app)
    client = logged_in(app)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/gestion/").status_code == 200
    SESSIONS.pop(session_of(client))  # accounts ended every session of the disabled user
    clock[0] += 5
    calls_before = len(remote.applications.calls)
    for browser in (copy, client):
        answer = browser.get("/gestion/")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/gestion/connexion")
    assert len(remote.applications.calls) == calls_before  # nothing read for them
    assert "Votre session a pris fin" in page_text(client.get("/gestion/connexion"))
    with client.session_transaction() as session:
        assert "sid" not in session  # logged out for good: no check any more
    checks = len(remote.checks)
    assert client.get("/gestion/").status_code == 302
    assert len(remote.checks) == checks


def test_staff_logout_ends_the_session_at_accounts(app, clock):
    services(app)
    client = logged_in(app)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    client.post("/gestion/deconnexion", data={"csrf_token": token(client, "/gestion/")})
    answer = copy.get("/gestion/")  # at once: not even a few seconds
    assert answer.status_code == 302 and "/gestion/connexion" in answer.headers["Location"]


def test_a_cookie_from_before_sessions_is_not_trusted(app, clock):
    remote = services(app)
    client = app.test_client()
    with client.session_transaction() as session:  # the identity in clear, as it used to be
        session["actor"], session["csrf"] = JURY, "tok"
    assert client.get("/gestion/").status_code == 302
    assert remote.applications.calls == []
    with client.session_transaction() as session:
        assert "actor" not in session


def test_session_settings_and_a_secure_cookie_outside_development(monkeypatch):
    loaded = settings.load()
    assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert loaded["SESSION_CHECK_SECONDS"] == 5
    monkeypatch.setenv("SESSION_HOURS", "8")
    monkeypatch.setenv("SESSION_CHECK_SECONDS", "2")
    loaded = settings.load()
    assert loaded["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert loaded["SESSION_CHECK_SECONDS"] == 2
    monkeypatch.delenv("APP_ENV", raising=False)
    # production by default
    assert create_app(PRODUCTION_SECRETS).config["SESSION_COOKIE_SECURE"] is True
    assert create_app({"APP_ENV": "development"}).config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("APP_ENV", "development")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert create_app().config["SESSION_COOKIE_SECURE"] is True
