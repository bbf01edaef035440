"""The gateway's read cache with every service running: a change staff make
to a formation, a piece, a centre or the campaign is on the candidates' pages
as soon as the catalog's event has come (the relay's delay, waited for here),
and on the next page of the staff member who made it without any wait."""
import html
import re
import uuid
from datetime import date, timedelta

import pytest

from tests.support.e2e import (
    PASSWORD,
    eventually,
    fill_dossier,
    register_and_activate,
    staff_login,
    text,
)

pytestmark = pytest.mark.e2e

def form_values(page):
    """The values a browser would post from the page's (one) form."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.DOTALL):
        values[name] = html.unescape(body)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    values.pop("csrf_token", None)
    return values


@pytest.fixture
def candidate(browser, mailbox):
    user, email, _, _ = register_and_activate(browser, mailbox)
    user.post("/connexion", {"login": email, "password": PASSWORD})
    return user


def closing_day(page):
    day = re.search(r"<dt>Fermeture</dt><dd>(\d\d)/(\d\d)/(\d{4})</dd>", page)
    return date(int(day.group(3)), int(day.group(2)), int(day.group(1)))


def test_a_formation_closed_earlier_shows_its_new_date_then_leaves_the_offer(browser, candidate):
    before = text(candidate.get("/offre/MMATH1"))
    assert "Master Mathématiques" in before
    earlier = closing_day(before) - timedelta(days=1)
    candidate.get("/offre", params={"filtre": "mathématiques"})  # cached too
    manager = staff_login(browser, "gestion.sci")
    done = manager.post("/gestion/catalogue/formations/lot", {
        "formation": "MMATH1", "date_close": earlier.isoformat()})
    assert "1 formation(s) modifiée(s)" in text(done), text(done)
    assert eventually(lambda: closing_day(text(candidate.get("/offre/MMATH1"))) == earlier)
    disabled = manager.post("/gestion/catalogue/formations/lot", {"formation": "MMATH1",
                                                                 "enabled": "0"})
    assert "1 formation(s) modifiée(s)" in text(disabled)
    try:
        assert eventually(lambda: "MMATH1" not in text(
            candidate.get("/offre", params={"filtre": "mathématiques"})))
    finally:
        manager.post("/gestion/catalogue/formations/lot", {"formation": "MMATH1", "enabled": "1"})
    assert eventually(lambda: "MMATH1" in text(
        candidate.get("/offre", params={"filtre": "mathématiques"})))


def test_a_piece_given_to_a_formation_is_asked_on_its_page(browser, candidate):
    label = f"Attestation {uuid.uuid4().hex[:6]}"
    assert label not in text(candidate.get("/offre/MMATH1"))
    manager = staff_login(browser, "gestion.sci")
    saved = manager.post("/gestion/catalogue/pieces", {
        "code": f"AT{uuid.uuid4().hex[:4].upper()}", "label": label, "order": "9",
        "scope": "formation", "owner": "", "treatment_type": "", "formations": "MMATH1"})
    assert saved.status_code == 200 and "Catalogue enregistré" in text(saved), text(saved)
    assert eventually(lambda: label in text(candidate.get("/offre/MMATH1")))


def test_a_centre_contact_changed_is_on_the_formation_page_and_its_editor_sees_it_at_once(
        browser, candidate):
    manager = staff_login(browser, "gestion.sci")
    assert "scolarite-sciences@univ-demo.fr" in text(candidate.get("/offre/LINFO3"))
    centres = text(manager.get("/gestion/catalogue/centres"))  # cached for this manager
    label = f"UFR Sciences {uuid.uuid4().hex[:6]}"
    assert label not in centres
    form = form_values(text(manager.get("/gestion/catalogue/centres/SCI")))
    saved = manager.post("/gestion/catalogue/centres/SCI", {
        **form, "label": label, "email": "contact-sciences@univ-demo.fr"})
    try:
        assert saved.status_code == 200 and "Catalogue enregistré" in text(saved), text(saved)
        # the page the save leads to already lists it: no waiting for the event
        assert label in text(saved) and label in text(manager.get("/gestion/catalogue/centres"))
        assert eventually(lambda: "contact-sciences@univ-demo.fr" in text(
            candidate.get("/offre/LINFO3")))
    finally:
        manager.post("/gestion/catalogue/centres/SCI", form)


def test_a_formation_closed_today_stops_offering_candidater(browser, mailbox):
    """applications' own copy of the formation (can_apply) follows the catalog too."""
    user, email, _, _ = register_and_activate(browser, mailbox)
    user.post("/connexion", {"login": email, "password": PASSWORD})
    fill_dossier(user)
    page = text(user.get("/offre/MMATH1"))
    assert ">Candidater<" in page
    manager = staff_login(browser, "gestion.sci")
    closing = closing_day(page)
    yesterday = date.today() - timedelta(days=1)
    done = manager.post("/gestion/catalogue/formations/lot", {
        "formation": "MMATH1", "date_close": yesterday.isoformat()})
    try:
        assert "1 formation(s) modifiée(s)" in text(done), text(done)
        assert eventually(lambda: "ne sont pas ouvertes" in text(user.get("/offre/MMATH1")))
    finally:
        manager.post("/gestion/catalogue/formations/lot", {
            "formation": "MMATH1", "date_close": closing.isoformat()})
    assert eventually(lambda: ">Candidater<" in text(user.get("/offre/MMATH1")))


def test_another_active_campaign_empties_the_offer_until_2027_is_back(browser, candidate):
    assert "MLEA1" in text(candidate.get("/offre"))
    admin = staff_login(browser, "admin")
    code = f"C{uuid.uuid4().hex[:6].upper()}"
    created = admin.post("/gestion/catalogue/campagnes", {
        "code": code, "label": "Campagne du cache", "start": "2026-01-01", "end": "2035-12-31",
        "login_until": "2035-12-31"})
    assert created.status_code == 200 and code in text(created), text(created)
    try:
        admin.post(f"/gestion/catalogue/campagnes/{code}/activer")
        assert eventually(lambda: "MLEA1" not in text(candidate.get("/offre")))
    finally:
        admin.post("/gestion/catalogue/campagnes/2027/activer")
    assert eventually(lambda: "MLEA1" in text(candidate.get("/offre")))
