"""Candidate-facing pages with the services faked (outside the
gateway's boundary): flows from an email address or a mailed link, CAS, the
account page, the dossier's seven sections."""
import json
from urllib.parse import parse_qs, urlparse

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, NotFound, ValidationFailed
from gateway import create_app
from tests.support.gateway import (CANDIDATE, CSRF, DOSSIER, REFERENCE, SESSIONS, TOK, fake,
                                   login_candidate, page_text, signed, token)


def test_lost_activation_and_forgotten_credentials_answer_neutrally(app):
    for path, method in (("/compte/activation-perdue", "request_activation_link"),
                         ("/compte/identifiants-oublies", "request_credentials")):
        remote = fake(app, accounts={method: {"sent": True}})
        client = app.test_client()
        answer = client.post(path, data={"csrf_token": token(client, path), "email": "x@y.fr"})
        assert answer.status_code == 200 and "Si un compte" in page_text(answer)
        assert remote.accounts.calls == [(method, (ANONYMOUS, "x@y.fr"))]
        fake(app, accounts={method: ValidationFailed("invalid", "bad", {"email": "invalid_email"})})
        bad = client.post(path, data={"csrf_token": token(client, path), "email": "nope"})
        assert bad.status_code == 422 and "Si un compte" not in page_text(bad)


def test_reset_link_form_success_and_dead_link(app):
    fake(app, accounts={"check_reset_token": {"valid": True},
                        "reset_password": {"candidate_id": 7, "dossier_number": "22PB7Y36"}})
    client = app.test_client()
    form = client.get("/compte/reinitialiser/tok")
    assert 'name="password"' in form.get_data(as_text=True)
    done = client.post("/compte/reinitialiser/tok", data={
        "csrf_token": token(client, "/compte/reinitialiser/tok"), "password": "P", "password_confirm": "P"})
    assert "22PB7Y36" in page_text(done)
    fake(app, accounts={"check_reset_token": NotFound("token_invalid", "used")})
    dead = client.get("/compte/reinitialiser/tok")
    assert dead.status_code == 410 and "déjà été utilisé" in page_text(dead)


def test_opening_the_email_link_changes_nothing_until_confirmed(app):
    remote = fake(app, accounts={"check_email_token": {"new_email": "new@b.fr"},
                                 "confirm_email_change": {"email": "new@b.fr"}})
    client = app.test_client()
    shown = client.get("/compte/email/tok")
    assert "new@b.fr" in page_text(shown)
    assert [c[0] for c in remote.accounts.calls] == ["check_email_token"]
    client.post("/compte/email/tok", data={"csrf_token": token(client, "/compte/email/tok")})
    assert remote.accounts.calls[-1] == ("confirm_email_change", (ANONYMOUS, "tok", None))  # no session


def test_throttled_login_says_how_long_to_wait(app):
    fake(app, accounts={"authenticate_candidate": Conflict(
        "login_throttled", "slow", {"retry_after": "4"})})
    client = app.test_client()
    answer = client.post("/connexion", data={"csrf_token": token(client), "login": "a@b.fr",
                                             "password": "x"})
    assert answer.status_code == 429 and "Réessayez dans 4 secondes" in page_text(answer)


def test_cas_login_redirects_to_cas_and_the_ticket_comes_back(app):
    app.config.update(CAS_URL="https://cas.example.org/cas", PUBLIC_URL="http://portal")
    remote = fake(app, accounts={"authenticate_cas": lambda actor, ticket, service: {
        **CANDIDATE, "origin": "cas"}})
    client = app.test_client()
    assert "Connexion avec mes identifiants ENT" in page_text(client.get("/"))
    go = client.get("/cas/connexion")
    target = urlparse(go.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "cas.example.org", "/cas/login")
    service = parse_qs(target.query)["service"][0]
    assert service == "http://portal/cas/retour"
    back = client.get("/cas/retour?ticket=ST-1-abc")
    assert back.status_code == 302 and back.headers["Location"].endswith("/candidatures")
    assert remote.accounts.calls == [("authenticate_cas", (ANONYMOUS, "ST-1-abc", service))]
    with client.session_transaction() as session:
        assert SESSIONS[session["sid"]]["origin"] == "cas"
    out = client.post("/deconnexion", data={"csrf_token": session_token(client)})
    assert out.headers["Location"].startswith("https://cas.example.org/cas/logout")


def session_token(client):
    with client.session_transaction() as session:
        return signed(session["csrf_token"])


def test_cas_errors_come_back_home_with_a_message(app):
    app.config.update(CAS_URL="https://cas.example.org/cas")
    fake(app, accounts={"authenticate_cas": NotFound("student_not_found", "no")})
    client = app.test_client()
    answer = client.get("/cas/retour?ticket=ST-2", follow_redirects=True)
    assert "dossier étudiant n'a pas été trouvé" in page_text(answer)
    app.config.update(CAS_URL="")
    assert "n'est pas disponible" in page_text(client.get("/"))


def test_account_page_email_change_data_and_deletion(app):
    remote = fake(app, accounts={
        "get_dossier": DOSSIER, "request_email_change": {"sent": True},
        "export_my_data": {"account": {"dossier_number": "22PB7Y36"}, "dossier": {}, "changes": []},
        "delete_my_account": {"deleted": True}},
        applications={"export_my_data": [{"id": 3}]},
        notifications={"list_mails": [{"code": "ACCOUNT_CREATED"}]},
        documents={"list_my_documents": [{"document_id": "d1"}]})
    client = app.test_client()
    login_candidate(client)
    assert "Télécharger mes données" in page_text(client.get("/compte"))
    sent = client.post("/compte/email", data={"csrf_token": TOK, "email": "n@b.fr",
                                              "email_confirm": "n@b.fr"})
    assert "n@b.fr" in page_text(sent)
    download = client.get("/compte/mes-donnees")
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert set(data) >= {"account", "dossier", "applications", "mails", "files"}
    unconfirmed = client.post("/compte/supprimer", data={"csrf_token": TOK})
    assert unconfirmed.status_code == 302
    assert "delete_my_account" not in [c[0] for c in remote.accounts.calls]
    client.post("/compte/supprimer", data={"csrf_token": TOK, "confirm": "1",
                                           "current_password": "P"})
    assert remote.accounts.calls[-1][0] == "delete_my_account"
    with client.session_transaction() as session:
        assert "sid" not in session


def test_account_with_a_transmitted_application_is_not_deleted(app):
    fake(app, accounts={"get_dossier": DOSSIER, "delete_my_account": Conflict(
        "account_has_transmitted", "no")})
    client = app.test_client()
    login_candidate(client)
    answer = client.post("/compte/supprimer", data={"csrf_token": TOK, "confirm": "1"},
                         follow_redirects=True)
    assert "doit être demandée à la scolarité" in page_text(answer)


def test_the_dossier_shows_seven_sections_and_keeps_read_only_fields_out(app):
    remote = fake(app, accounts={"get_dossier": DOSSIER, "reference_data": REFERENCE,
                                 "save_dossier_section": DOSSIER})
    client = app.test_client()
    login_candidate(client)
    overview = page_text(client.get("/dossier"))
    for label in ("Informations perso.", "Adresse", "Baccalauréat", "Cursus interne",
                  "Cursus externe", "Stages", "Expériences pro.", "Saisir/Modifier informations"):
        assert label in overview
    form = client.get("/dossier/personal").get_data(as_text=True)
    assert 'id="birth_name" name="birth_name" type="text" value="Martin" required disabled' in form
    client.post("/dossier/personal", data={"csrf_token": TOK, "birth_name": "Autre",
                                           "first_name": "X", "civility": "M"})
    _, (_, section, posted) = remote.accounts.calls[-1]
    assert section == "personal" and "birth_name" not in posted and posted["civility"] == "M"
    assert "Licence Informatique" in page_text(client.get("/dossier/cursus-interne"))


def test_list_sections_add_edit_and_delete_entries(app):
    remote = fake(app, accounts={"get_dossier": DOSSIER, "reference_data": REFERENCE,
                                 "add_dossier_entry": DOSSIER, "update_dossier_entry": DOSSIER,
                                 "delete_dossier_entry": DOSSIER})
    client = app.test_client()
    login_candidate(client)
    listed = page_text(client.get("/dossier/cursus-externe"))
    assert "Licence de physique" in listed and "Oui" in listed
    client.post("/dossier/cursus-externe", data={"csrf_token": TOK, "year": "2023",
                                                 "label": "Master"})
    method, (_, section, data) = remote.accounts.calls[-1]
    assert (method, section, data["label"]) == ("add_dossier_entry", "external", "Master")
    client.post("/dossier/cursus-externe/e1", data={"csrf_token": TOK, "label": "Licence"})
    assert remote.accounts.calls[-1][0] == "update_dossier_entry"
    assert remote.accounts.calls[-1][1][2] == "e1"
    client.post("/dossier/cursus-externe/e1/supprimer", data={"csrf_token": TOK})
    assert remote.accounts.calls[-1] == ("delete_dossier_entry", (CANDIDATE, "external", "e1"))
    assert client.get("/dossier/cursus-externe/zzz").status_code == 404
    fake(app, accounts={"get_dossier": DOSSIER, "reference_data": REFERENCE,
                        "add_dossier_entry": Conflict("section_locked", "no")})
    locked = client.post("/dossier/stages", data={"csrf_token": TOK, "year": "2023"})
    assert locked.status_code == 409


def test_a_section_not_open_yet_sends_back_to_the_dossier_with_a_message(app):
    closed = {**DOSSIER, "complete": {"personal": True, "address": False, "bac": False},
              "open": {**DOSSIER["open"], "bac": False, "internal": False, "external": False,
                       "internships": False, "experience": False}}
    remote = fake(app, accounts={"get_dossier": closed, "reference_data": REFERENCE})
    client = app.test_client()
    login_candidate(client)
    for slug in ("bac", "cursus-interne", "cursus-externe", "stages", "experiences"):
        answer = client.get(f"/dossier/{slug}")
        assert answer.status_code == 302 and answer.headers["Location"] == "/dossier", slug
    shown = page_text(client.get("/dossier/bac", follow_redirects=True))
    assert "Cette rubrique n'est pas encore accessible" in shown
    assert 'name="series"' not in shown
    assert [c[0] for c in remote.accounts.calls if c[0] != "get_dossier"] == []
    assert client.get("/dossier/address").status_code == 200  # the open ones still open


def test_confirming_an_email_link_names_the_session_to_keep_and_asks_who_is_there_again(app):
    order = []

    def confirm(actor, token, session_id):
        order.append("confirm")
        SESSIONS[session_id] = {**CANDIDATE, "email": "mine@b.fr"}
        return {"email": "mine@b.fr", "candidate_id": 7}

    def check(actor, session_id):
        order.append("check")
        return {"actor": SESSIONS[session_id]}
    remote = fake(app, accounts={"confirm_email_change": confirm, "check_session": check,
                                 "check_email_token": {"new_email": "other@b.fr"}})
    client = app.test_client()
    login_candidate(client)
    with client.session_transaction() as session:
        mine = session["sid"]
    client.get("/")  # known before the change
    order.clear()
    done = client.post("/compte/email/tok", data={"csrf_token": TOK})
    assert "mine@b.fr" in page_text(done)
    assert ("confirm_email_change", (CANDIDATE, "tok", mine)) in remote.accounts.calls
    # who is there is asked after the change (the page shows the new address), then
    # kept a few seconds
    assert order == ["confirm", "check"]
    client.get("/compte/email/tok")
    assert order == ["confirm", "check"]


def test_a_closed_campaign_says_so_at_login(app):
    fake(app, accounts={"authenticate_candidate": Conflict(
        "campaign_closed", "closed", {"login_until": "2027-06-30"})})
    client = app.test_client()
    answer = client.post("/connexion", data={"csrf_token": token(client), "login": "a@b.fr",
                                             "password": "x"})
    assert answer.status_code == 403
    assert "La campagne de candidatures est close" in page_text(answer)
    assert "30/06/2027" in page_text(answer)
    app.config.update(CAS_URL="https://cas.example.org/cas")
    fake(app, accounts={"authenticate_cas": Conflict(
        "campaign_closed", "closed", {"login_until": "2027-06-30"})})
    back = client.get("/cas/retour?ticket=ST-3", follow_redirects=True)
    assert "n'est plus possible après le 30/06/2027" in page_text(back)


# -- the client address accounts throttles on ----------------------------------------------

def address_seen(remote_addr, forwarded=None, proxies=0):
    """The client_address accounts receives for a login sent from `remote_addr`."""
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "TRUSTED_PROXIES": proxies})
    remote = fake(app, accounts={"authenticate_candidate": ValidationFailed("bad_credentials")})
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = {"REMOTE_ADDR": remote_addr}
    form = client.get("/", headers=headers, environ_base=environ).get_data(as_text=True)
    csrf = CSRF.search(form).group(1)
    client.post("/connexion", data={"csrf_token": csrf, "login": "a@b.fr", "password": "x"},
                headers=headers, environ_base=environ)
    (method, (_, login, password, address)), = remote.accounts.calls
    return address


def test_a_client_cannot_choose_the_address_it_is_throttled_on():
    # no proxy configured: the header is the client's own writing, ignored
    assert address_seen("203.0.113.7", "6.6.6.6") == "203.0.113.7"
    # behind one proxy: the entry that proxy appended, not the left-most one
    assert address_seen("10.0.0.2", "6.6.6.6, 203.0.113.7", proxies=1) == "203.0.113.7"
    assert address_seen("10.0.0.2", "203.0.113.7", proxies=1) == "203.0.113.7"
    # behind two: the entry the outer proxy appended
    assert address_seen("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.9", proxies=2) == \
        "203.0.113.7"


def test_the_older_trusted_proxy_flag_means_one_proxy(monkeypatch):
    from gateway import settings
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("TRUSTED_PROXY", "1")
    assert settings.load()["TRUSTED_PROXIES"] == 1
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert settings.load()["TRUSTED_PROXIES"] == 2


def test_registration_sends_the_client_address_and_says_when_to_come_back(app):
    remote = fake(app, accounts={"register_candidate": {"sent": True}})
    client = app.test_client()
    form = {"last_name": "Martin", "first_name": "Léa", "email": "lea@example.org",
            "email_confirm": "lea@example.org"}
    environ = {"REMOTE_ADDR": "203.0.113.7"}
    csrf = CSRF.search(client.get("/compte/creer", environ_base=environ).get_data(
        as_text=True)).group(1)
    done = client.post("/compte/creer", data={**form, "csrf_token": csrf}, environ_base=environ)
    assert done.status_code == 200 and "Demande enregistrée" in page_text(done)
    assert remote.accounts.calls == [("register_candidate", (ANONYMOUS, {**form, "lang": "fr"},
                                                             "203.0.113.7"))]
    fake(app, accounts={"register_candidate": Conflict(
        "registration_throttled", "slow", {"retry_after": "1790"})})
    slowed = client.post("/compte/creer", data={**form, "csrf_token": csrf},
                         environ_base=environ)
    assert slowed.status_code == 429 and "Réessayez dans 30 minutes" in page_text(slowed)
    assert 'value="Martin"' in page_text(slowed)
