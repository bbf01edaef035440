"""The administrators' mail pages: failed mails resent one by one or all since
a day, templates edited with a preview, refusals shown with their line,
versions reverted, the shipped template restored; nobody else reaches them."""
import pytest

from services.common.errors import ValidationFailed
from gateway import create_app
from tests.support.gateway import TOK, as_staff, fake, login_candidate, page_text

FAILED = {"id": 41, "code": "ACCOUNT_CREATED", "subject": "Activez votre compte candidat",
          "to": "lea.martin@exemple", "status": "refused", "audience": "candidate",
          "candidate_id": 7, "centre": None, "error": "(550, b'5.1.1 no such user')",
          "attempts": 1, "created_at": "2026-12-01T10:00:00+00:00",
          "last_attempt_at": "2026-12-01T10:00:05+00:00", "next_attempt_at": None,
          "sent_at": None, "message_id": "<x@univ-demo.fr>", "body": "…"}
TEMPLATE = {"code": "STATUS_CO", "lang": "fr", "subject": "Dossier complet : {{ formation.label }}",
            "body": "Bonjour {{ name }},\n", "edited": True, "version": 2,
            "default_subject": "Dossier complet : {{ formation.label }}",
            "default_body": "Bonjour {{ name }},\n", "variables": ["name", "formation.label"],
            "versions": [
                {"version": 2, "action": "edit", "reverted_from": None, "subject": "V2",
                 "body": "B2", "author_id": 1, "author_name": "Alice Admin",
                 "created_at": "2026-12-01T10:00:00+00:00"},
                {"version": 1, "action": "edit", "reverted_from": None, "subject": "V1",
                 "body": "B1", "author_id": 9, "author_name": "Bob Admin",
                 "created_at": "2026-11-30T10:00:00+00:00"}]}


@pytest.fixture
def portal():
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})


def notifications(app, **answers):
    base = {"list_failed_mails": [FAILED], "resend_mails": {"resent": [41], "missing": []},
            "list_templates": [{"code": "STATUS_CO", "lang": "fr", "edited": True, "version": 2,
                                "author_name": "Alice Admin",
                                "updated_at": "2026-12-01T10:00:00+00:00"},
                               {"code": "STATUS_CO", "lang": "en", "edited": False,
                                "version": 0, "author_name": None, "updated_at": None}],
            "get_template": TEMPLATE,
            "save_template": {"version": 3}, "revert_template": {"version": 3},
            "reset_template": {"version": 3, "action": "reset"},
            "preview_template": {"subject": "Dossier complet : Master Informatique",
                                 "body": "Bonjour Madame Léa Martin,\n", "html": "<p>…</p>"}}
    base.update(answers)
    return fake(app, notifications=base)


def test_an_administrator_resends_a_failed_mail_or_all_since_a_day(portal):
    remote = notifications(portal)
    client = portal.test_client()
    as_staff(client, "admin")
    page = page_text(client.get("/gestion/admin/mails/en-echec"))
    assert "Mails en échec" in page and "lea.martin@exemple" in page
    assert "Refusé par le relais" in page and "no such user" in page
    assert client.post("/gestion/admin/mails/en-echec/renvoyer",
                       data={"csrf_token": TOK, "id": "41"}).status_code == 302
    method, (actor, ids, since) = remote.notifications.calls[-1][:2]
    assert (method, ids, since) == ("resend_mails", ["41"], None)
    assert "1 mail(s) renvoyé(s)" in page_text(client.get("/gestion/admin/mails/en-echec"))
    client.post("/gestion/admin/mails/en-echec/renvoyer",
                data={"csrf_token": TOK, "all": "1", "since": "2026-12-01"})
    method, (actor, ids, since) = remote.notifications.calls[-1][:2]
    assert (method, ids, since) == ("resend_mails", None, "2026-12-01")
    page_text(client.get("/gestion/admin/mails/en-echec?depuis=2026-12-01"))
    method, (actor, since) = remote.notifications.calls[-1][:2]
    assert (method, since) == ("list_failed_mails", "2026-12-01")


def test_the_template_editor_previews_saves_and_refuses_with_the_line(portal):
    refusal = ValidationFailed("unknown_variable", "body: line 2: event.rank",
                               {"body": "unknown_variable", "line": "2", "detail": "event.rank"})

    def save(actor, code, lang, subject, body, idempotency_key=None):
        if "event.rank" in body:
            raise refusal
        return {"version": 3}
    remote = notifications(portal, save_template=save)
    client = portal.test_client()
    as_staff(client, "admin")
    listing = page_text(client.get("/gestion/admin/mails/modeles"))
    assert "STATUS_CO" in listing and "Alice Admin" in listing and "Modèle d'origine" in listing
    page = page_text(client.get("/gestion/admin/mails/modeles/STATUS_CO/fr"))
    assert "{{ formation.label }}" in page and "Bob Admin" in page
    assert "Rétablir cette version" in page and "Rétablir le modèle d'origine" in page
    preview = client.post("/gestion/admin/mails/modeles/STATUS_CO/fr", data={
        "csrf_token": TOK, "action": "preview", "subject": "S", "body": "Bonjour {{ name }}"})
    assert preview.status_code == 200
    assert "Bonjour Madame Léa Martin" in page_text(preview)
    refused = client.post("/gestion/admin/mails/modeles/STATUS_CO/fr", data={
        "csrf_token": TOK, "action": "save", "subject": "S", "body": "A\n{{ event.rank }}"})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "Ligne 2" in text and "event.rank" in text
    assert "A\n{{ event.rank }}" in text  # what was typed is kept
    saved = client.post("/gestion/admin/mails/modeles/STATUS_CO/fr", data={
        "csrf_token": TOK, "action": "save", "subject": "S", "body": "Bonjour"})
    assert saved.status_code == 302
    client.post("/gestion/admin/mails/modeles/STATUS_CO/fr/versions/1/retablir",
                data={"csrf_token": TOK})
    assert remote.notifications.calls[-1][0] == "revert_template"
    client.post("/gestion/admin/mails/modeles/STATUS_CO/fr/origine", data={"csrf_token": TOK})
    assert remote.notifications.calls[-1][0] == "reset_template"


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_administrators_reach_the_mail_pages(portal, role):
    remote = notifications(portal)
    client = portal.test_client()
    as_staff(client, role, ["SCI"])
    for path in ("/gestion/admin/mails/en-echec", "/gestion/admin/mails/modeles",
                 "/gestion/admin/mails/modeles/STATUS_CO/fr"):
        assert client.get(path).status_code == 403
    assert client.post("/gestion/admin/mails/en-echec/renvoyer",
                       data={"csrf_token": TOK, "all": "1"}).status_code == 403
    assert not remote.notifications.calls


def test_anonymous_and_candidates_are_kept_out(portal):
    notifications(portal)
    client = portal.test_client()
    assert client.get("/gestion/admin/mails/en-echec").status_code == 302
    login_candidate(client)
    assert client.get("/gestion/admin/mails/modeles").status_code == 403


def test_a_refused_mail_shows_on_the_candidates_staff_page(app):
    from tests.support.gateway import staff_services
    remote = staff_services(app)
    remote.services["notifications"].answers["list_mails"] = [{**FAILED, "body": "Bonjour"}]
    client = app.test_client()
    as_staff(client)
    text = page_text(client.get("/gestion/candidats/7"))
    assert "Refusé définitivement par le relais (lea.martin@exemple)" in text
    assert "no such user" in text
