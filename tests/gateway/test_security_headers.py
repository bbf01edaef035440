"""Security headers of the gateway's pages, and templates that a strict
Content-Security-Policy does not break (no inline script, handler or style)."""
import re
from html.parser import HTMLParser
from pathlib import Path

from flask import render_template_string

from gateway import create_app
from services.common.errors import NotFound
from tests.support.gateway import APPLICATION, CENTRE, as_staff, fake, login_candidate

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "templates"

DECIDED = {**APPLICATION, "status": "CO", "can_cancel": False, "missing": [],
           "decision": {"code": "FA", "comment": None}, "can_confirm": False,
           "can_withdraw": True, "confirmed_at": "2027-06-20T10:00:00+00:00"}


def policy(answer):
    """{directive: [sources]} of the answer's Content-Security-Policy."""
    header = answer.headers.get("Content-Security-Policy")
    assert header, f"{answer.request.path}: no Content-Security-Policy"
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def services(app):
    fake(app, applications={"get_application": APPLICATION, "list_applications": {
        "items": [], "total": 0, "page": 1, "per_page": 50}},
         notifications={"list_mails": []}, catalog={"get_centre": CENTRE},
         accounts={"get_dossier": NotFound("not_found", "x")})


def sample_pages(app):
    """(who, path, expected status) of public, candidate, staff and error pages."""
    services(app)
    anonymous, candidate, staff = app.test_client(), app.test_client(), app.test_client()
    login_candidate(candidate)
    as_staff(staff, "admin")
    return [
        ("public", anonymous.get("/"), 200),
        ("public", anonymous.get("/compte/creer"), 200),
        ("public", anonymous.get("/gestion/connexion"), 200),
        ("public", anonymous.get("/nulle-part"), 404),
        ("public", anonymous.post("/connexion", data={}), 400),  # no CSRF token
        ("candidate", candidate.get("/candidatures/5"), 200),
        ("candidate", candidate.get("/mails"), 200),
        ("candidate", candidate.get("/gestion/"), 403),
        ("staff", staff.get("/gestion/catalogue/centres/SCI"), 200),
        ("staff", staff.get("/gestion/nulle-part"), 404),
    ]


def test_every_html_page_carries_a_strict_content_security_policy(app):
    app.config["CAS_URL"] = ""  # the CAS server's origin is added to form-action (below)
    for who, answer, status in sample_pages(app):
        path = answer.request.path
        assert answer.status_code == status, path
        assert answer.mimetype == "text/html", path
        csp = policy(answer)
        assert csp["script-src"] == ["'self'"], path
        assert csp["style-src"] == ["'self'"], path
        assert csp["default-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"], path
        assert csp["base-uri"] == ["'self'"], path
        assert csp["form-action"] == ["'self'"], path
        assert csp["frame-ancestors"] == ["'self'"], path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


def test_the_logout_form_may_go_on_to_the_cas_server(app):
    # a CAS user's logout redirects to the CAS server: browsers apply
    # form-action to the redirect of a submitted form too
    app.config["CAS_URL"] = "https://cas.univ-demo.fr/cas"
    answer = app.test_client().get("/")
    assert policy(answer)["form-action"] == ["'self'", "https://cas.univ-demo.fr"]


def test_a_service_down_page_carries_the_policy_too(app):
    fake(app, notifications={"list_mails": ConnectionError("broker away")})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/mails")
    assert answer.status_code == 503
    assert policy(answer)["script-src"] == ["'self'"]


def test_pages_of_someone_logged_in_are_never_stored(app):
    for who, answer, _ in sample_pages(app):
        cache = answer.headers.get("Cache-Control", "")
        if who == "public":
            assert "no-store" not in cache, answer.request.path
        else:
            assert "no-store" in cache, answer.request.path


def test_static_files_stay_cacheable_when_logged_in(app):
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/static/style.css")
    assert answer.status_code == 200
    assert "no-store" not in answer.headers.get("Cache-Control", "")
    assert "Content-Security-Policy" not in answer.headers  # a policy is for HTML pages


def test_hsts_only_over_https(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://candidatures.univ-demo.fr")
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains",
                        secure.headers["Strict-Transport-Security"])
    assert int(secure.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_hsts_behind_a_trusted_proxy_that_terminates_tls():
    proxied = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development",
                          "TRUSTED_PROXIES": 1}).test_client()
    fake(proxied.application)
    tls = proxied.get("/", headers={"X-Forwarded-For": "203.0.113.7",
                                    "X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in tls.headers
    plain = proxied.get("/", headers={"X-Forwarded-For": "203.0.113.7",
                                      "X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on… event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"<style", re.I), "<style> block"),
]


def test_no_template_has_inline_script_handler_or_style():
    found = []
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 40
    for template in templates:
        source = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)


class Elements(HTMLParser):
    """The start tags of a page: (tag, {attribute: value})."""

    def __init__(self, page):
        super().__init__()
        self.tags = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_pages_load_the_static_script_deferred(app):
    services(app)
    client = app.test_client()
    login_candidate(client)
    tags = Elements(client.get("/candidatures/5").get_data(as_text=True)).tags
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts and all(a["src"].startswith("/static/") and "defer" in a for a in scripts)
    for script in scripts:
        served = client.get(script["src"])
        assert served.status_code == 200 and "javascript" in served.mimetype


def test_cancel_and_withdraw_ask_for_confirmation_with_the_text_intact(app):
    services(app)
    client = app.test_client()
    login_candidate(client)
    tags = Elements(client.get("/candidatures/5").get_data(as_text=True)).tags
    confirms = {a["action"]: a["data-confirm"] for t, a in tags if "data-confirm" in a}
    # the apostrophe reaches the dialog as typed: it once broke the inline script
    assert confirms == {"/candidatures/5/annuler": "L'annulation est définitive. Confirmez-vous ?"}
    fake(app, applications={"get_application": DECIDED})
    tags = Elements(client.get("/candidatures/5").get_data(as_text=True)).tags
    confirms = {a["action"]: a["data-confirm"] for t, a in tags if "data-confirm" in a}
    assert confirms == {"/candidatures/5/desister":
                        "Le désistement est définitif. Confirmez-vous ?"}


def test_none_renders_as_nothing(app):
    with app.test_request_context("/"):
        assert render_template_string('<input value="{{ v }}">{{ v }}', v=None) == '<input value="">'
        assert render_template_string("{{ n }}", n=0) == "0"  # only None is nothing


def test_centre_form_leaves_unset_fields_empty(app):
    centre = {**CENTRE, "address": None, "email": None, "max_applications": None,
              "default_date_open": None, "default_date_confirm": None,
              "default_confirm_days": None}
    fake(app, catalog={"get_centre": centre})
    client = app.test_client()
    as_staff(client, "admin")
    answer = client.get("/gestion/catalogue/centres/SCI")
    assert answer.status_code == 200
    fields = {a.get("name"): a.get("value") for t, a in Elements(answer.get_data(as_text=True)).tags
              if t == "input"}
    for name in ("email", "max_applications", "default_date_open", "default_date_confirm",
                 "default_confirm_days"):
        assert fields[name] == "", name
    assert fields["label"] == "UFR Sciences" and fields["max_file_size_mb"] == "2"
    assert "None" not in answer.get_data(as_text=True)
