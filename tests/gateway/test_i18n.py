"""Every word of the portal exists in French and English: the English catalogue
translates every French text the templates and views mark, with the same
placeholders, its compiled form is current, every error code a service can
raise has its sentence, and pages follow the language chosen or the browser's."""
import importlib
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from gateway.labels import LABELS
from tests.support.gateway import (APPLICATION, CSRF, FR, as_staff, fake, login_candidate,
                                   page_text, staff_services, words_in)

SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")
ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway"
CATALOGUE = GATEWAY / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def english_catalogue():
    with (CATALOGUE / "messages.po").open("rb") as f:
        return read_po(f, locale="en")


def messages(catalog):
    return {(m.context, m.id): m for m in catalog if m.id}


def test_every_french_text_is_translated_without_fuzzy_entries():
    catalog = english_catalogue()
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert len(catalog) > 600
    assert untranslated == [] and fuzzy == []


def test_placeholders_match_between_languages():
    for message in english_catalogue():
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)), message.id


def test_the_catalogue_holds_every_text_the_templates_and_views_mark():
    """`make translations` was run after the last text was marked or changed."""
    keywords = {"_": None, "gettext": None, "pgettext": ((1, "c"), 2),
                "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    marked = set()
    for _, _, message, _, context in extract_from_dir(str(GATEWAY), method_map,
                                                      keywords=keywords):
        marked.add((context, message))
    assert len(marked) > 600
    assert sorted(marked - set(messages(english_catalogue())), key=str) == []


def test_the_compiled_catalogue_is_the_current_one():
    """The .mo files are committed (any checkout, worktree or image serves
    English without a build step): they must say what the .po says."""
    with (CATALOGUE / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    source = english_catalogue()
    current = {key: m.string for key, m in messages(source).items()}
    assert {key: m.string for key, m in messages(compiled).items()} == current, \
        "run `make translations` and commit gateway/translations"


def test_no_template_or_view_calls_the_former_key_lookup():
    former = re.compile(r"(?<![\w.])t\(")
    offenders = [str(path.relative_to(ROOT)) for path in
                 list((GATEWAY / "templates").rglob("*.html")) + list(GATEWAY.rglob("*.py"))
                 if former.search(path.read_text())]
    assert offenders == []


def test_every_code_a_template_or_view_names_has_its_text():
    named = set()
    for path in list((GATEWAY / "templates").rglob("*.html")) + list(GATEWAY.rglob("*.py")):
        named |= set(re.findall(r"""\blabel\(\s*["']([a-z_]+\.[A-Za-z_.]+)["']\s*[,)]""",
                                path.read_text()))
    assert sorted(named - set(LABELS)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_code_is_translated(service):
    codes = {value for name, value in vars(importlib.import_module(f"services.{service}.exceptions")).items()
             if name.isupper() and isinstance(value, str)}
    assert sorted(code for code in codes if f"err.{code}" not in LABELS) == []


def test_an_error_code_reads_in_each_language():
    english = words_in("en")
    assert FR["err.email_mismatch"] == "Les deux adresses mail ne correspondent pas."
    assert english["err.email_mismatch"] == "The two email addresses differ."
    assert english["status.AT"] != FR["status.AT"]


# -- pages ---------------------------------------------------------------------

PAGES = [  # path, French, English
    ("/", "Candidater à une formation", "Apply to a programme"),
    ("/compte/creer", "Confirmation Adresse Mail", "Confirm email address"),
    ("/gestion/connexion", "Gestion des candidatures", "Application management"),
]


@pytest.mark.parametrize("path, french, english", PAGES)
def test_pages_are_french_then_english_once_chosen(app, path, french, english):
    client = app.test_client()
    page = page_text(client.get(path))
    assert french in page and english not in page and '<html lang="fr">' in page
    client.get("/langue/en")
    page = page_text(client.get(path))
    assert english in page and french not in page and '<html lang="en">' in page
    client.get("/langue/fr")
    assert french in page_text(client.get(path))


def test_a_browser_preferring_english_gets_english_until_french_is_chosen(app):
    client = app.test_client()
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    assert "Apply to a programme" in page_text(client.get("/", headers=english))
    assert "Candidater à une formation" in page_text(
        client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}))  # neither: French
    client.get("/langue/fr")
    assert "Candidater à une formation" in page_text(client.get("/", headers=english))


def test_a_candidate_page_follows_the_language(app):
    fake(app, applications={"list_my_applications": [
        {"id": 5, "status": "AT", "formation": {"code": "MMATH1", "label": "Master Maths"},
         "decision": {"code": "FA"}}]})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/candidatures")
    assert answer.status_code == 200
    french = page_text(answer)
    client.get("/langue/en")
    english = page_text(client.get("/candidatures"))
    assert "En attente" in french and "Favorable" in french and "Nouvelle candidature" in french
    assert "Waiting" in english and "New application" in english and "En attente" not in english


@pytest.mark.parametrize("lang, date, when, size", [
    ("fr", "22/11/2026", "22/11/2026 10:05", "1,5 Mo"),
    ("en", "22 Nov 2026", "22 Nov 2026 10:05", "1.5 MB"),
])
def test_dates_times_and_sizes_read_in_the_pages_language(app, lang, date, when, size):
    template = "{{ d|date }}|{{ t|datetime }}|{{ n|filesize }}"
    with app.test_request_context(), force_locale(lang):
        shown = render_template_string(template, d="2026-11-22", t="2026-11-22T09:05:00+00:00",
                                       n=1572864)
    assert shown == f"{date}|{when}|{size}"  # Paris time


def test_a_post_without_token_is_refused_in_the_pages_language(app):
    client = app.test_client()
    client.get("/langue/en")
    answer = client.post("/connexion", data={"login": "a@b.fr", "password": "x"})
    assert answer.status_code == 400
    page = page_text(answer)
    assert "Your session expired" in page and "Traceback" not in page
    assert CSRF.search(client.get("/").get_data(as_text=True))  # the page's forms carry one


# -- typing a date -------------------------------------------------------------

def test_the_convocation_date_is_typed_day_first_in_both_languages(app):
    """A text field with the format in the page's words, not the browser's date
    picker (mm/dd/yyyy in an English browser); ISO from a script still works."""
    remote = staff_services(app)
    remote.services["applications"].answers.update({
        "enter_decision": {},
        "get_application": {**APPLICATION, "candidate": {
            "id": 7, "dossier_number": "22PB7Y36", "first_name": "Léa", "last_name": "Martin",
            "email": "lea@example.org"}, "can_validate": False}})
    client = app.test_client()
    as_staff(client)
    french = client.get("/gestion/candidatures/5").get_data(as_text=True)
    assert re.search(r'<input type="text" name="date"[^>]*placeholder="jj/mm/aaaa"', french)
    client.get("/langue/en")
    english = page_text(client.get("/gestion/candidatures/5"))
    assert 'placeholder="dd/mm/yyyy"' in english and "Interview date" in english
    for typed in ("05/03/2027", "5/3/2027", "2027-03-05"):
        client.post("/gestion/candidatures/5/avis", data={
            "csrf_token": CSRF.search(french).group(1), "code": "FA", "date": typed})
    sent = [args[3] for method, args in remote.applications.calls if method == "enter_decision"]
    assert sent == [{"date": "2027-03-05"}] * 3
    refused = client.post("/gestion/candidatures/5/avis", data={
        "csrf_token": CSRF.search(french).group(1), "code": "FA", "date": "31/02/2027"},
        follow_redirects=True)
    assert "Invalid date" in page_text(refused)
    assert len([m for m, _ in remote.applications.calls if m == "enter_decision"]) == 3
