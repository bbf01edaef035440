"""The staff list in a real browser (Debian's Chromium, Playwright), against a
running platform: a manager filters it (status and mail), sorts it by a
column both ways, opens an application and walks to the next and previous
ones of the same view, then back to it. Three candidates transmit an
application to MINFO1 over HTTP first (as in test_candidate_journey.py);
the list is used in the browser.

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


def transmitted(base, mail_folder, first_name):
    """A candidate whose mail begins with `first_name` (the dossier renames them all
    Martin Léa) who transmitted an application to MINFO1: -> their dossier number."""
    user, email, number, _ = register_and_activate(lambda: Browser(base),
                                                   mailbox_of(mail_folder), "Martin", first_name)
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
    return number


def staff_list_steps(tag, numbers):
    """numbers: the three candidates' dossier numbers, in their order."""
    def staff_list(page, mail_folder, shots):
        def shot(name):
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        page.goto("/gestion/connexion")
        page.get_by_label("Utilisateur").fill("gestion.sci")
        page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Connexion").click()
        expect(page.locator("h1")).to_have_text("Candidatures")

        # filter: received files of the three candidates, whose mails hold the tag
        filters = page.locator("#filters")
        filters.get_by_label("Statut du dossier").select_option("RE")
        filters.get_by_label("Adresse mail").fill(tag)
        filters.get_by_role("button", name="Filtre").click()
        expect(page.locator("#total")).to_contain_text("3 candidature(s)")
        assert "status=RE" in page.url and f"email={tag}" in page.url  # a bookmark

        # sort by dossier number, then the other way
        header = page.locator("#applications").get_by_role("link", name="N° de dossier")
        header.click()
        rows = page.locator("#applications tr")
        expect(rows.nth(1)).to_contain_text(numbers[0])
        page.locator("#applications").get_by_role("link", name="N° de dossier").click()
        for row, number in enumerate(reversed(numbers), start=1):
            expect(rows.nth(row)).to_contain_text(number)
        assert "sort=-number" in page.url
        shot("10-staff-list")

        # open the first, then the next ones of the same view
        rows.nth(1).get_by_role("link", name="Ouvrir").click()
        summary = page.locator("#summary")
        expect(summary).to_contain_text(numbers[2])
        expect(summary).to_contain_text("Réceptionné")
        expect(page.locator("#candidate-email")).to_have_attribute("href", re.compile("^mailto:"))
        expect(page.locator("#dossier-personal")).to_contain_text("Madame")
        page.get_by_role("link", name="Candidature suivante").click()
        expect(summary).to_contain_text(numbers[1])
        page.get_by_role("link", name="Candidature suivante").click()
        expect(summary).to_contain_text(numbers[0])
        expect(page.get_by_role("link", name="Candidature suivante")).to_have_count(0)
        page.get_by_role("link", name="Candidature précédente").click()
        expect(summary).to_contain_text(numbers[1])
        shot("11-staff-detail")
        page.get_by_role("link", name="← Candidatures").click()
        expect(page.locator("#total")).to_contain_text("3 candidature(s)")
        assert "sort=-number" in page.url
    return staff_list


if __name__ == "__main__":
    url, mail_folder, shots = sys.argv[1:4]
    chromium = sys.argv[4] if len(sys.argv) > 4 else CHROMIUM
    tag = "zz" + uuid.uuid4().hex[:6]
    numbers = sorted(transmitted(url, mail_folder, f"{tag}{n}") for n in range(3))
    main(url, mail_folder, shots, chromium, steps=staff_list_steps(tag, numbers))
