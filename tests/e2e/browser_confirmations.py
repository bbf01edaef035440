"""The confirmation dialogs of "Annuler la candidature" and "Désistement
candidature" in a real browser (Debian's Chromium, Playwright), against a
running platform: dismissing one changes nothing, accepting it acts. The way to
a validated favourable decision (pieces, transmission, staff review) goes over
HTTP, as in test_candidate_journey.py; the dialogs are clicked in the browser.

    python -m tests.e2e.browser_confirmations <portal url> <mail folder> <screenshot folder>

Run as its own process by tests/e2e/test_browser.py.
"""
import re
import sys
import time

from playwright.sync_api import expect

from deploy.local.mailbox import read_mails
from tests.e2e.browser_journey import CHROMIUM, main
from tests.support.e2e import (Browser, PASSWORD, PDF, fill_dossier, piece_codes,
                               register_and_activate, staff_login, text, upload)

CANCEL_QUESTION = "L'annulation est définitive. Confirmez-vous ?"
WITHDRAW_QUESTION = "Le désistement est définitif. Confirmez-vous ?"


def mailbox_of(folder):
    def wait_for(to, code, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for mail in read_mails(folder):
                if to.lower() in mail["to"].lower() and mail["code"] == code:
                    return mail
            time.sleep(0.2)
        raise AssertionError(f"no {code} mail to {to}")
    return wait_for


def admitted_candidate(base, mail_folder):
    """A candidate whose MINFO1 application has a validated favourable decision:
    (email, application id)."""
    mailbox = mailbox_of(mail_folder)
    user, email, _, _ = register_and_activate(lambda: Browser(base), mailbox,
                                              "Petit", "Zoé")
    user.post("/connexion", {"login": email, "password": PASSWORD})
    fill_dossier(user)
    created = user.post("/candidatures", {"formation_code": "MINFO1"})
    app_id = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    codes = piece_codes(text(created))
    for code in codes:
        if code == "CERTLANG":
            user.post(f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne", {"value": "1"})
        else:
            upload(user, app_id, code, f"{code}.pdf", PDF, "application/pdf")
    sent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Votre candidature est transmise" in text(sent), text(sent)[-2000:]
    staff = staff_login(lambda: Browser(base), "gestion.sci")
    for code in codes:
        if code != "CERTLANG":
            staff.post(f"/gestion/candidatures/{app_id}/pieces/{code}/statut", {"status": "VA"})
    staff.post(f"/gestion/candidatures/{app_id}/statut", {"status": "CO"})
    staff.post(f"/gestion/candidatures/{app_id}/avis", {"code": "FA", "comment": ""})
    staff.post(f"/gestion/candidatures/{app_id}/avis/valider")
    mailbox(email, "DECISION_FA")
    return email, app_id


def click_and_answer(page, button, accept):
    """Click, answer the dialog that opens; [(type, message)] of the dialogs seen
    (none: the click acted without asking)."""
    seen = []

    def answer(dialog):
        seen.append((dialog.type, dialog.message))
        dialog.accept() if accept else dialog.dismiss()
    page.on("dialog", answer)
    try:
        button.click()
        page.wait_for_load_state()
        deadline = time.time() + 3
        while not seen and time.time() < deadline:
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("dialog", answer)
    return seen


def confirmations(page, mail_folder, shots):
    page.goto("/")
    base = re.match(r"https?://[^/]+", page.url).group(0)
    email, app_id = admitted_candidate(base, mail_folder)

    page.get_by_label("Utilisateur *", exact=True).fill(email)
    page.get_by_label("Mot de passe *", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile("/candidatures$"))

    # -- Désistement candidature, after confirming ----------------------------------------
    page.goto(f"/candidatures/{app_id}")
    page.get_by_role("button", name="Confirmation candidature").click()
    expect(page.get_by_text(re.compile("Vous avez confirmé votre candidature le"))).to_be_visible()
    withdraw = page.get_by_role("button", name="Désistement candidature")

    seen = click_and_answer(page, withdraw, accept=False)
    assert seen == [("confirm", WITHDRAW_QUESTION)], seen
    page.reload()  # what the server holds: still confirmed, not withdrawn
    expect(page.get_by_text(re.compile("Vous avez confirmé votre candidature le"))).to_be_visible()
    expect(page.get_by_text(re.compile("Vous vous êtes désisté"))).to_have_count(0)
    expect(withdraw).to_be_visible()

    seen = click_and_answer(page, withdraw, accept=True)
    assert seen == [("confirm", WITHDRAW_QUESTION)], seen
    expect(page.get_by_text(re.compile("Vous vous êtes désisté le"))).to_be_visible()
    expect(withdraw).to_have_count(0)
    page.screenshot(path=str(shots / "05-withdrawn.png"), full_page=True)

    # -- Annuler la candidature, on a new application --------------------------------------
    page.goto("/candidatures")
    page.get_by_role("link", name="Nouvelle candidature").click()
    page.locator(".formation", has_text="MLEA1").get_by_role("button", name="Candidater").click()
    expect(page).to_have_url(re.compile(r"/candidatures/\d+$"))
    new_app = page.url
    cancel = page.get_by_role("button", name="Annuler la candidature")

    seen = click_and_answer(page, cancel, accept=False)
    assert seen == [("confirm", CANCEL_QUESTION)], seen
    page.goto("/candidatures")
    row = page.locator("tr", has_text="MLEA1")
    expect(row).to_contain_text("En attente")
    expect(row).not_to_contain_text("annulée")
    page.goto(new_app)

    seen = click_and_answer(page, cancel, accept=True)
    assert seen == [("confirm", CANCEL_QUESTION)], seen
    expect(page.get_by_text("Votre candidature est annulée.").first).to_be_visible()
    expect(page).to_have_url(re.compile("/candidatures$"))
    expect(page.locator("tr", has_text="MLEA1")).to_contain_text("annulée")
    page.screenshot(path=str(shots / "06-cancelled.png"), full_page=True)


if __name__ == "__main__":
    url, mail_folder, shots, *rest = sys.argv[1:]
    main(url, mail_folder, shots, *(rest or [CHROMIUM]), steps=confirmations)
