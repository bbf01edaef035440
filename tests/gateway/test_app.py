"""The gateway's own behaviour, with the services (outside its boundary) faked."""
import re

import pytest

from gateway import create_app
from services.common.errors import Conflict, NotFound, Unavailable, ValidationFailed
from tests.support.actors import staff
from tests.support.gateway import (CANDIDATE, PRODUCTION_SECRETS, TOK, fake, login_as,
                                   login_candidate, page_text, token)


def test_every_form_route_refuses_a_post_without_csrf(app):
    client = app.test_client()
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) > 10
    for rule in posts:
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        answer = client.post(path, data={})
        assert answer.status_code == 400, path
        assert "session a expiré" in page_text(answer)


def test_a_token_of_another_session_or_altered_is_refused_with_a_page(app):
    fake(app, accounts={"authenticate_candidate": ValidationFailed("bad_credentials")})
    mine, other = app.test_client(), app.test_client()
    sent = token(mine)
    for client, value in ((other, sent), (mine, sent[:-3] + "abc"), (mine, "tok")):
        answer = client.post("/connexion", data={"csrf_token": value, "login": "a@b.fr",
                                                  "password": "x"})
        assert answer.status_code == 400
        assert "session a expiré" in page_text(answer) and "Traceback" not in page_text(answer)
    assert mine.post("/connexion", data={"csrf_token": sent, "login": "a@b.fr",
                                         "password": "x"}).status_code == 401
    assert mine.post("/connexion", data={"login": "a@b.fr", "password": "x"},
                     headers={"X-CSRF-Token": sent}).status_code == 401  # a script's header


def test_registration_errors_come_back_in_french_and_keep_the_input(app):
    fake(app, accounts={"register_candidate": ValidationFailed(
        "invalid", "bad", {"email_confirm": "email_mismatch", "last_name": "too_long"})})
    client = app.test_client()
    answer = client.post("/compte/creer", data={
        "csrf_token": token(client, "/compte/creer"), "last_name": "Martin", "first_name": "Léa",
        "email": "lea@example.org", "email_confirm": "leo@example.org"})
    page = page_text(answer)
    assert answer.status_code == 422
    assert "Les deux adresses mail ne correspondent pas." in page
    assert "Valeur trop longue." in page
    assert 'value="Martin"' in page  # nothing typed is lost


def test_english_is_available_and_brings_you_back(app):
    client = app.test_client()
    answer = client.get("/langue/en", headers={"Referer": "http://localhost/compte/creer"})
    assert answer.headers["Location"] == "http://localhost/compte/creer"
    assert "Create an account" in page_text(client.get("/"))
    elsewhere = client.get("/langue/fr", headers={"Referer": "http://evil.example/"})
    assert elsewhere.headers["Location"] == "/"


def test_candidate_pages_need_a_login(app):
    client = app.test_client()
    answer = client.get("/candidatures/3")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/?next=")


def test_someone_elses_application_is_a_404_page(app):
    fake(app, applications={"get_application": NotFound("not_found", "no")})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/candidatures/99")
    assert answer.status_code == 404
    assert "Cette page n'existe pas" in page_text(answer)


def test_a_refused_command_is_a_message_on_the_page(app):
    fake(app, applications={"transmit": Conflict("already_transmitted", "twice")})
    client = app.test_client()
    login_candidate(client)
    answer = client.post("/candidatures/5/transmettre", data={"csrf_token": TOK},
                         follow_redirects=False)
    assert answer.status_code == 302
    with client.session_transaction() as session:
        assert ("error", "Votre candidature a déjà été transmise.") in session["_flashes"]


def test_candidates_cannot_open_staff_pages(app):
    fake(app)
    client = app.test_client()
    login_candidate(client)
    assert client.get("/gestion/").status_code == 403


def test_staff_out_of_scope_gets_403(app):
    from services.common.errors import Forbidden
    fake(app, applications={"get_application": Forbidden("out_of_scope", "no")},
         accounts={})
    client = app.test_client()
    login_as(client, staff("manager", ["LLSH"]))
    answer = client.get("/gestion/candidatures/4")
    assert answer.status_code == 403
    assert "n'appartient pas à vos centres" in page_text(answer)


def test_dev_mails_page_exists_only_in_development(tmp_path):
    (tmp_path / "1-a.eml").write_bytes(
        b"To: lea@example.org\r\nSubject: Bienvenue\r\nX-Mail-Code: ACCOUNT_CREATED\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nActivez: http://x/compte/activer/abc\r\n")
    dev = create_app({"APP_ENV": "development", "MAIL_SINK_DIR": str(tmp_path)}).test_client()
    page = page_text(dev.get("/dev/mails"))
    assert "Bienvenue" in page and 'href="http://x/compte/activer/abc"' in page
    prod = create_app({"APP_ENV": "production", "MAIL_SINK_DIR": str(tmp_path),
                       **PRODUCTION_SECRETS}).test_client()
    assert prod.get("/dev/mails").status_code == 404


def test_service_down_is_a_503_page_not_a_trace(app):
    fake(app, catalog={"get_offer": ConnectionError("broker away")})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/offre")
    assert answer.status_code == 503
    assert "momentanément indisponible" in page_text(answer)
    assert "Traceback" not in page_text(answer)


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "https://evil.example/",
                                    "/\\/evil.example", "javascript:alert(1)", "\\\\evil.example",
                                    "/%0a/evil.example\n", "evil.example"])
def test_login_never_redirects_off_the_site(app, target):
    fake(app, accounts={"authenticate_candidate": CANDIDATE})
    client = app.test_client()
    answer = client.post("/connexion", data={"csrf_token": token(client), "login": "a@b.fr",
                                             "password": "x", "next": target})
    assert answer.status_code == 302 and answer.headers["Location"] == "/candidatures"


def test_login_goes_back_to_the_page_asked_for(app):
    fake(app, accounts={"authenticate_candidate": CANDIDATE})
    client = app.test_client()
    answer = client.post("/connexion", data={"csrf_token": token(client), "login": "a@b.fr",
                                             "password": "x", "next": "/candidatures/3?onglet=1"})
    assert answer.headers["Location"] == "/candidatures/3?onglet=1"


def test_a_service_unavailable_is_a_503_page_with_retry_after(app):
    fake(app, catalog={"get_offer": Unavailable("service_unavailable", "documents is down")})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/offre")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert "momentanément indisponible" in page_text(answer)
