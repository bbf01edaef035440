"""Staff pages of the documents made from applications: the commissions'
letter wordings (saved, reset), the dossiers archive (asked with the list's
filters or a selection, its progress, its download). Services are faked."""
from services.common.errors import Conflict, ValidationFailed
from tests.support.gateway import TOK, as_staff, fake, login_candidate, page_text

TEMPLATE = {"commission_code": "SCI-INFO", "kind": "refusal", "body": "{{ salutation }},",
            "default": "{{ salutation }},", "custom": False, "attach": True,
            "updated_by": None, "variables": {"salutation": "Madame, Monsieur"},
            "commission": {"code": "SCI-INFO", "label": "Commission Informatique"}}


def test_an_administrator_edits_the_refusal_wording_of_a_commission(app):
    saved = {}

    def save(actor, formation, kind, body, attach, idempotency_key=None):
        saved.update(formation=formation, kind=kind, body=body, attach=attach)
        return TEMPLATE
    remote = fake(app, applications={"get_letter_template": TEMPLATE,
                                     "save_letter_template": save})
    remote.services["applications"].answers["save_letter_template"] = \
        lambda actor, *args, **kwargs: save(actor, *args, **kwargs)
    client = app.test_client()
    as_staff(client, "admin")
    page = client.get("/gestion/formations/MINFO1/lettres/refusal")
    assert page.status_code == 200
    assert "Commission Informatique" in page_text(page) and "{{ salutation }}" in page_text(page)

    answer = client.post("/gestion/formations/MINFO1/lettres/refusal",
                         data={"csrf_token": TOK, "body": "Refus : {{ reason }}", "attach": "1"})
    assert answer.status_code == 302
    assert saved == {"formation": "MINFO1", "kind": "refusal", "body": "Refus : {{ reason }}",
                     "attach": True}


def test_a_wording_that_does_not_render_is_refused_with_the_text_kept(app):
    remote = fake(app, applications={"get_letter_template": TEMPLATE,
                                     "save_letter_template": ValidationFailed(
                                         "template_invalid", "bad", {"body": "template_invalid"})})
    assert remote
    client = app.test_client()
    as_staff(client, "admin")
    answer = client.post("/gestion/formations/MINFO1/lettres/refusal",
                         data={"csrf_token": TOK, "body": "{% if %}"})
    assert answer.status_code == 400 and "{% if %}" in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)


def test_the_archive_of_the_filtered_list_shows_its_progress_then_its_link(app):
    asked = []
    remote = fake(app, applications={"start_dossier_archive": lambda actor, *a, **k: asked.append(a) or {"archive_id": "a1"}},
                  documents={"get_archive": {"archive_id": "a1", "status": "running",
                                             "format": "zip", "total": 200, "done": 40}})
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    answer = client.post("/gestion/dossiers/archive",
                         data={"csrf_token": TOK, "centre": "SCI", "status": "CO", "format": "zip"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/gestion/dossiers/archive/a1")
    assert asked == [(None, {"centre": "SCI", "status": "CO"}, "zip")]
    progress = page_text(client.get("/gestion/dossiers/archive/a1"))
    assert "40 dossier(s) sur 200" in progress

    remote.services["documents"].answers["get_archive"] = {
        "archive_id": "a1", "status": "expired", "format": "zip", "total": 200, "done": 200}
    assert "expiré" in page_text(client.get("/gestion/dossiers/archive/a1"))
    assert client.get("/gestion/dossiers/archive/a1/telecharger").status_code == 302

    client.post("/gestion/dossiers/archive",
                data={"csrf_token": TOK, "application_id": ["3", "5"], "format": "pdf"})
    assert asked[-1] == ([3, 5], None, "pdf")


def test_the_staff_page_offers_the_preview_while_a_letter_decision_waits(app):
    from tests.support.gateway import APPLICATION, DOSSIER, REFERENCE
    candidate = {"id": 7, "dossier_number": "22PB7Y36", "first_name": "Léa",
                 "last_name": "Martin", "email": "lea@example.org"}
    remote = fake(app, applications={"get_application": {
        **APPLICATION, "candidate": candidate, "can_validate": True,
        "pending_decision": {"code": "DE", "reason": "Capacité atteinte"}}},
        accounts={"get_dossier": DOSSIER, "reference_data": REFERENCE},
        notifications={"list_mails": []})
    client = app.test_client()
    as_staff(client)
    page = client.get("/gestion/candidatures/5").get_data(as_text=True)
    assert "Prévisualiser la lettre" in page and "/gestion/candidatures/5/lettre/apercu" in page
    assert "/gestion/formations/MINFO1/lettres/refusal" in page
    assert "/gestion/candidatures/5/dossier.pdf" in page

    remote.services["applications"].answers["get_application"] = {
        **APPLICATION, "candidate": candidate, "can_validate": False,
        "pending_decision": {"code": "LA"}}
    page = client.get("/gestion/candidatures/5").get_data(as_text=True)
    assert "Prévisualiser la lettre" not in page and "/dossier.pdf" in page


class Upstream:
    """The presigned link's answer, as requests gives it."""
    status_code = 200

    def iter_content(self, size):
        yield b"%PDF-1.7 letter"


def test_the_candidates_admission_letter_is_the_commissions_letter(app, monkeypatch):
    """The candidate downloads the letter in the commission's wording (with its
    signatory and their postal address), not a generic one."""
    remote = fake(app, applications={"get_letter": {
        "url": "http://s3.test/letter", "filename": "lettre-admission.pdf",
        "content_type": "application/pdf", "size": 15, "attach": True, "kind": "admission"}})
    monkeypatch.setattr("gateway.views.candidate.requests.get",
                        lambda url, **kwargs: Upstream())
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/candidatures/5/lettre-admission")
    assert answer.status_code == 200 and answer.data == b"%PDF-1.7 letter"
    assert "lettre-admission.pdf" in answer.headers["Content-Disposition"]
    method, (_, application_id, kind) = remote.applications.calls[-1]
    assert (method, application_id, kind) == ("get_letter", 5, "admission")

    remote.applications.answers["get_letter"] = Conflict("no_letter", "not now")
    refused = client.get("/candidatures/5/lettre-admission")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/candidatures/5")


def test_a_mail_that_carried_the_letter_says_so(app):
    fake(app, notifications={"list_mails": [
        {"id": 1, "code": "DECISION_DE", "subject": "Décision", "body": "Bonjour",
         "created_at": "2027-03-10T09:00:00+00:00", "attachment": "lettre-refusal-22PB7Y36.pdf"},
        {"id": 2, "code": "STATUS_RE", "subject": "Reçue", "body": "Bonjour",
         "created_at": "2027-03-09T09:00:00+00:00", "attachment": None}]})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/mails"))
    assert page.count("Pièce jointe") == 1 and "lettre-refusal-22PB7Y36.pdf" in page
