"""The staff list in a real browser (Debian's Chromium, Playwright), against a
running platform: a manager filters it, sorts it by a column, opens an
application and goes to the next one of the same view. Three candidates
transmit an application to MINFO1 over HTTP first (as in
test_candidate_journey.py); the list is used in the browser.

    python -m tests.e2e.browser_staff_list <portal url> <mail folder> <screenshot folder> [chromium]

Run as its own process by tests/e2e/test_browser.py.
"""
import re
import sys
import uuid

from playwright.sync_api import expect

from tests.e2e.browser_confirmations import mailbox_of
from tests.e2e.browser_journey import CHROMIUM, main
from tests.support.e2e import (Browser, PASSWORD, PDF, STAFF_PASSWORD, fill_dossier,
                               piece_codes, register_and_activate, text, upload)


def transmitted(base, mail_folder, last_name):
    """A candidate named `last_name` who transmitted an application to MINFO1."""
    user, email, _, _ = register_and_activate(lambda: Browser(base), mailbox_of(mail_folder),
                                              last_name, "Zoé")
    user.post("/connexion", {"login": email, "password": PASSWORD})
    fill_dossier(user)  # the dossier's names are Martin Léa; the account's are ours
    created = user.post("/candidatures", {"formation_code": "MINFO1"})
    app_id = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    for code in piece_codes(text(created)):
        if code == "CERTLANG":
            user.post(f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne", {"value": "1"})
        else:
            upload(user, app_id, code, f"{code}.pdf", PDF, "application/pdf")
    sent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Votre candidature est transmise" in text(sent), text(sent)[-2000:]
    return app_id


def staff_list_steps(tag):
    def staff_list(page, mail_folder, shots):
        def shot(name):
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        page.goto("/gestion/connexion")
        page.get_by_label("Utilisateur").fill("gestion.sci")
        page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Connexion").click()
        expect(page.locator("h1")).to_have_text("Candidatures")

        # filter: received files of the three candidates, whose names hold the tag
        filters = page.locator("#filters")
        filters.get_by_label("Statut du dossier").select_option("RE")
        filters.get_by_label("Nom", exact=True).fill(tag)
        filters.get_by_role("button", name="Filtre").click()
        expect(page.locator("#total")).to_contain_text("3 candidature(s)")
        assert "status=RE" in page.url and f"name={tag}" in page.url  # a bookmark

        # sort by candidate, then the other way
        page.locator("#applications").get_by_role("link", name="Candidat", exact=True).click()
        rows = page.locator("#applications tr")
        expect(rows.nth(1)).to_contain_text(f"{tag}a")
        page.locator("#applications").get_by_role("link", name="Candidat", exact=True).click()
        expect(rows.nth(1)).to_contain_text(f"{tag}c")
        assert "sort=-candidate" in page.url
        shot("10-staff-list")

        # open the first, then the next one of the same view
        rows.nth(1).get_by_role("link", name="Ouvrir").click()
        expect(page.locator("h1")).to_contain_text(f"{tag}c")
        expect(page.locator("#summary")).to_contain_text("Réceptionné")
        expect(page.locator("#candidate-email")).to_have_attribute("href", re.compile("^mailto:"))
        expect(page.locator("#dossier-personal")).to_contain_text("Madame")
        page.get_by_role("link", name="Candidature suivante").click()
        expect(page.locator("h1")).to_contain_text(f"{tag}b")
        page.get_by_role("link", name="Candidature suivante").click()
        expect(page.locator("h1")).to_contain_text(f"{tag}a")
        expect(page.get_by_role("link", name="Candidature suivante")).to_have_count(0)
        shot("11-staff-detail")
        page.get_by_role("link", name="← Candidatures").click()
        expect(page.locator("#total")).to_contain_text("3 candidature(s)")
        assert "sort=-candidate" in page.url
    return staff_list


if __name__ == "__main__":
    url, mail_folder, shots = sys.argv[1:4]
    chromium = sys.argv[4] if len(sys.argv) > 4 else CHROMIUM
    tag = "Zz" + uuid.uuid4().hex[:6]
    for suffix in ("b", "a", "c"):
        transmitted(url, mail_folder, f"{tag}{suffix}")
    main(url, mail_folder, shots, chromium, steps=staff_list_steps(tag))
