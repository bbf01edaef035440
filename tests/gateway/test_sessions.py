"""The candidate's session, as an attacker holding a copy of the cookie would
try it: the cookie names nobody, a replay after logout or a password reset is
refused, and a stolen session alone cannot change the address nor delete the
account. Services faked (outside the gateway); the fake accounts keeps
sessions as the real one does (tests/support/gateway.py)."""
import pytest

from gateway import create_app
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.support.actors import ANONYMOUS
from tests.support.gateway import CANDIDATE, DOSSIER, SESSIONS, fake, page_text, token

STRONG = "Nouveau-Secret-2027?"


@pytest.fixture
def app():
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development",
                       "SESSION_CHECK_SECONDS": 5})


def services(app, **accounts):
    return fake(app, accounts={"authenticate_candidate": CANDIDATE, "get_dossier": DOSSIER,
                               **accounts},
                applications={"list_my_applications": []})


def logged_in(app):
    client = app.test_client()
    answer = client.post("/connexion", data={"csrf_token": token(client), "login": "a@b.fr",
                                             "password": "x"})
    assert answer.status_code == 302
    return client


def copy_of(app, client):
    """Another browser replaying the same cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def session_of(client):
    with client.session_transaction() as session:
        return session.get("sid")


def logged_out(answer):
    return answer.status_code == 302 and answer.headers["Location"].startswith("/?next=")


def test_the_cookie_names_nobody(app):
    services(app)
    client = logged_in(app)
    raw = client.get_cookie("session").value
    content = app.session_interface.get_signing_serializer(app).loads(raw)
    assert set(content) <= {"sid", "csrf_token", "lang", "_permanent", "_flashes"}
    assert SESSIONS[content["sid"]] == CANDIDATE  # an opaque id that accounts resolves
    for clear in ("Léa", "Martin", "a@b.fr", "22PB7Y36", "candidate"):
        assert clear not in str(content)
    # the page still greets the candidate: the name comes from accounts
    page = client.get("/candidatures")
    assert page.status_code == 200 and "Léa Martin (22PB7Y36)" in page_text(page)


def test_a_cookie_replayed_after_logout_is_refused_at_once(app, clock):
    remote = services(app)
    client = logged_in(app)
    thief = copy_of(app, client)
    assert thief.get("/candidatures").status_code == 200
    sid, csrf = session_of(client), token(client, "/candidatures")
    reads = len(remote.applications.calls)
    client.post("/deconnexion", data={"csrf_token": csrf})
    with client.session_transaction() as session:
        assert "sid" not in session
    assert sid not in SESSIONS  # ended at accounts, not only forgotten here
    assert logged_out(thief.get("/candidatures"))
    assert len(remote.applications.calls) == reads


def test_a_cookie_replayed_after_a_password_reset_is_refused_within_seconds(app, clock):
    def reset(actor, token, password, confirm):  # accounts ends every session of the account
        for sid in [s for s, who in SESSIONS.items() if who == CANDIDATE]:
            SESSIONS.pop(sid)
        return {"candidate_id": 7, "dossier_number": "22PB7Y36"}
    remote = services(app, check_reset_token={"valid": True}, reset_password=reset)
    client = logged_in(app)
    thief = copy_of(app, client)
    assert thief.get("/candidatures").status_code == 200
    owner = app.test_client()
    owner.post("/compte/reinitialiser/tok", data={
        "csrf_token": token(owner, "/compte/reinitialiser/tok"), "password": STRONG,
        "password_confirm": STRONG})
    clock[0] += 5
    answer = thief.get("/candidatures")
    assert logged_out(answer)
    assert "Votre session a pris fin" in page_text(thief.get(answer.headers["Location"]))
    assert logged_out(client.get("/candidatures"))
    assert len(remote.applications.calls) == 1


def test_a_stolen_session_cannot_change_the_address_without_the_password(app):
    asked = []

    def request_change(actor, email, confirm, password, session_id):
        asked.append((password, session_id))
        if password != "Le-bon-2027!":
            raise ValidationFailed("invalid", "password", {
                "current_password": "required" if not password else "wrong_password"})
        return {"sent": True}
    services(app, request_email_change=request_change)
    thief = copy_of(app, logged_in(app))
    form = {"csrf_token": token(thief, "/compte"), "email": "voleur@example.org",
            "email_confirm": "voleur@example.org"}
    page = thief.get("/compte").get_data(as_text=True)
    assert page.count('name="current_password"') == 2  # the address change and the deletion
    missing = thief.post("/compte/email", data=form)
    assert missing.status_code == 422 and "Ce champ est obligatoire." in page_text(missing)
    wrong = thief.post("/compte/email", data={**form, "current_password": "Devine-2027!"})
    assert wrong.status_code == 422
    assert "Ce n'est pas le mot de passe actuel de votre compte." in page_text(wrong)
    assert "voleur@example.org" in page_text(wrong)  # what was typed stays
    sid = session_of(thief)
    assert asked == [("", sid), ("Devine-2027!", sid)]
    done = thief.post("/compte/email", data={**form, "current_password": "Le-bon-2027!"})
    assert "Un lien de confirmation a été envoyé à voleur@example.org" in page_text(done)


def test_guessing_the_password_there_is_slowed_down(app):
    services(app, request_email_change=Conflict("login_throttled", "slow", {"retry_after": "8"}))
    client = logged_in(app)
    answer = client.post("/compte/email", data={
        "csrf_token": token(client, "/compte"), "email": "n@b.fr", "email_confirm": "n@b.fr",
        "current_password": "Devine-2027!"})
    assert answer.status_code == 429 and "Réessayez dans 8 secondes" in page_text(answer)


def test_a_stolen_session_cannot_delete_the_account_without_the_password(app):
    remote = services(app, delete_my_account=ValidationFailed(
        "invalid", "password", {"current_password": "required"}))
    thief = copy_of(app, logged_in(app))
    answer = thief.post("/compte/supprimer", data={"csrf_token": token(thief, "/compte"),
                                                   "confirm": "1"}, follow_redirects=True)
    assert "Saisissez votre mot de passe actuel pour confirmer." in page_text(answer)
    assert remote.accounts.calls[-2][1][1:] == ("", session_of(thief))
    assert thief.get("/compte").status_code == 200  # nothing ended


def test_deleting_with_the_password_ends_the_session(app):
    remote = services(app, delete_my_account={"deleted": True})
    client = logged_in(app)
    answer = client.post("/compte/supprimer", data={
        "csrf_token": token(client, "/compte"), "confirm": "1", "current_password": "P"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert remote.accounts.calls[-1][0] == "delete_my_account"
    assert session_of(client) is None


def test_an_internal_student_is_sent_to_cas_again_and_comes_back(app):
    app.config.update(CAS_URL="https://cas.example.org/cas", PUBLIC_URL="http://portal")
    services(app, get_dossier={**DOSSIER, "origin": "cas"},
             authenticate_cas=lambda actor, ticket, service: {**CANDIDATE, "origin": "cas"},
             request_email_change=Conflict("reauthentication_required", "cas",
                                           {"minutes": "10"}))
    client = app.test_client()
    client.get("/cas/retour?ticket=ST-1")
    page = client.get("/compte").get_data(as_text=True)
    assert 'name="current_password"' not in page  # no password here: a CAS login instead
    answer = client.post("/compte/email", data={
        "csrf_token": token(client, "/compte"), "email": "n@b.fr", "email_confirm": "n@b.fr"})
    assert answer.status_code == 403
    text = page_text(answer)
    assert "reconnectez-vous avec vos identifiants ENT, puis recommencez dans les 10 minutes" \
        in text
    assert 'href="/cas/connexion?next=/compte"' in text
    go = client.get("/cas/connexion?next=/compte")
    assert go.headers["Location"].startswith("https://cas.example.org/cas/login")
    back = client.get("/cas/retour?ticket=ST-2")
    assert back.headers["Location"] == "/compte"


REFUSAL = {"email": "lea@example.org", "new_email": "voleur@example.org", "confirmed": True,
           "password_needed": True}


def test_the_former_address_refuses_the_change_from_its_link(app):
    calls = []

    def refuse(actor, token, password, confirm):
        calls.append((actor, token, password, confirm))
        if password != confirm or len(password) < 10:
            raise ValidationFailed("invalid", "weak", {"password": "password_weak"})
        return {"email": "lea@example.org", "restored": True}
    fake(app, accounts={"check_email_refusal": REFUSAL, "refuse_email_change": refuse})
    visitor = app.test_client()
    shown = page_text(visitor.get("/compte/refuser-email/tok"))
    assert "remplacée par voleur@example.org" in shown and "lea@example.org est rétablie" in shown
    assert 'name="password"' in shown and calls == []  # opening the link changes nothing
    path = "/compte/refuser-email/tok"
    weak = visitor.post(path, data={"csrf_token": token(visitor, path), "password": "court",
                                    "password_confirm": "court"})
    assert weak.status_code == 422 and "au moins 10 caractères" in page_text(weak)
    done = visitor.post(path, data={"csrf_token": token(visitor, path), "password": STRONG,
                                    "password_confirm": STRONG})
    assert "l'adresse de votre compte est lea@example.org" in page_text(done)
    assert calls[-1] == (ANONYMOUS, "tok", STRONG, STRONG)
    fake(app, accounts={"check_email_refusal": NotFound("token_invalid", "used")})
    assert visitor.get(path).status_code == 410
    fake(app, accounts={"check_email_refusal": {**REFUSAL, "confirmed": False,
                                                "password_needed": False}})
    pending = page_text(visitor.get(path))
    assert "lea@example.org est conservée" in pending and 'name="password"' not in pending


def test_accounts_not_answering_is_a_french_page_not_a_login_nor_a_trace(app, clock):
    services(app)
    client = logged_in(app)
    clock[0] += 5
    fake(app, accounts={"check_session": ConnectionError("broker away")})
    answer = client.get("/candidatures")
    assert answer.status_code == 503 and "momentanément indisponible" in page_text(answer)
    assert "Traceback" not in page_text(answer)
    with client.session_transaction() as session:
        assert session.get("sid")  # still logged in once accounts is back
