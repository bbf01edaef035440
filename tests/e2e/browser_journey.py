"""A candidate's steps in a real browser: Debian's Chromium driven by Playwright,
against a running platform. Screenshots go to the folder given, for a person
to look at.

    python -m tests.e2e.browser_journey <portal url> <mail folder> <screenshot folder>

Run as its own process by tests/e2e/test_browser.py: Playwright's sync API does
not exit cleanly inside the eventlet-patched test process.
"""
import io
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from deploy.local.mailbox import read_mails
from tests.services.documents.samples import PDF, PNG, phone_photo

CHROMIUM = "/usr/bin/chromium"
# What the progress bars of upload forms showed, kept across the page change that
# follows an upload (the script's work is over by the time the next page is read).
PROGRESS_WATCH = """
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    var bar = change.target;
    if (bar.classList && bar.classList.contains("upload-progress") && !bar.hidden) {
      var seen = JSON.parse(sessionStorage.getItem("progress") || "[]");
      seen.push(Number(bar.value));
      sessionStorage.setItem("progress", JSON.stringify(seen));
    }
  });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["hidden", "value"]});
"""
PASSWORD = "Navigateur-2027!"


def wait_for_mail(folder, to, code, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for mail in read_mails(folder):
            if to in mail["to"] and mail["code"] == code:
                return mail
        time.sleep(0.2)
    raise AssertionError(f"no {code} mail to {to}")


def watch_content_policy(page):
    """What the browser says about the Content-Security-Policy of the pages
    visited: a page served without one, and every script, handler or style
    the policy refused (the console reports each)."""
    problems = []

    def response(answer):
        if (answer.request.resource_type == "document"
                and answer.headers.get("content-type", "").startswith("text/html")
                and "script-src 'self'" not in answer.headers.get("content-security-policy", "")):
            problems.append(f"{answer.url}: no Content-Security-Policy")

    def console(message):
        if "Content Security Policy" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("response", response)
    page.on("console", console)
    return problems


def journey(page, mail_folder, shots):
    def shot(name):
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    email = f"navigateur.{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/")
    expect(page.get_by_text("candidatures@univ-demo.fr").first).to_be_visible()
    shot("01-home")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Nom *", exact=True).fill("Bernard")
    page.get_by_label("Prénom *", exact=True).fill("Chloé")
    page.get_by_label("Adresse mail *", exact=True).fill(email)
    page.get_by_label("Confirmation Adresse Mail *", exact=True).fill(email)
    page.get_by_role("button", name="Créer un compte").click()
    expect(page.get_by_text("Demande enregistrée")).to_be_visible()

    link = next(found for found in wait_for_mail(mail_folder, email, "ACCOUNT_CREATED")["links"]
                if "/compte/activer/" in found)
    page.goto(link[link.index("/compte/activer/"):])
    page.get_by_label("Mot de passe *", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe *", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text(re.compile("Votre numéro de dossier est"))).to_be_visible()

    page.get_by_label("Utilisateur *", exact=True).fill(email)
    page.get_by_label("Mot de passe *", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile("/candidatures$"))

    page.get_by_role("link", name="Mon dossier").click()
    page.get_by_role("link", name="Saisir/Modifier informations").click()
    page.get_by_label("Civilité *", exact=True).select_option("MME")
    page.get_by_label("Nom de naissance *", exact=True).fill("Bernard")
    page.get_by_label("Prénom *", exact=True).fill("Chloé")
    page.get_by_label("Date de naissance *", exact=True).fill("2002-03-09")
    page.get_by_label("Nationalité *", exact=True).select_option("FR")
    page.get_by_label("Pays de naissance *", exact=True).select_option("FR")
    page.get_by_label("Département de naissance", exact=True).select_option("44")
    page.get_by_label("Commune de naissance", exact=True).fill("Nantes")
    page.get_by_label("Langue préférée *", exact=True).select_option("fr")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Adresse *", exact=True).fill("3 quai de la Fosse")
    page.get_by_label("Pays *", exact=True).select_option("FR")
    page.get_by_label("Code postal", exact=True).fill("44000")
    page.get_by_label("Commune", exact=True).fill("Nantes")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Baccalauréat *", exact=True).select_option("yes")
    page.get_by_label("Année d'obtention", exact=True).fill("2020")
    page.get_by_label("Pays", exact=True).select_option("FR")
    page.get_by_label("Département", exact=True).select_option("44")
    page.get_by_label("Série", exact=True).select_option(index=1)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("link", name="Nouvelle candidature")).to_be_visible()
    shot("02-dossier")

    # a list section: "Cursus externe", one entry added
    page.locator("#section-external").get_by_role("link", name="Saisir/Modifier informations").click()
    page.get_by_label("Année *", exact=True).fill("2023")
    page.get_by_label("Pays *", exact=True).select_option("FR")
    page.get_by_label("Type de diplôme *", exact=True).fill("Licence")
    page.get_by_label("Intitulé *", exact=True).fill("Licence de mathématiques")
    page.get_by_label("Obtenu *", exact=True).select_option("O")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("table.entries")).to_contain_text("Licence de mathématiques")
    shot("02b-cursus-externe")
    page.get_by_role("link", name="Mon dossier", exact=True).click()

    page.get_by_role("link", name="Nouvelle candidature").click()
    page.get_by_label("Filtre", exact=True).fill("informatique")
    page.get_by_role("button", name="Filtre").click()
    expect(page.get_by_text("Master Informatique 1re année")).to_be_visible()
    expect(page.get_by_text("Master Langues étrangères appliquées")).to_have_count(0)
    shot("03-offer")
    page.locator(".formation", has_text="MINFO1").get_by_role("button", name="Candidater").click()
    expect(page.get_by_role("button", name="Transmettre ma candidature")).to_be_disabled()
    expect(page.get_by_text("Avant de transmettre, il manque")).to_be_visible()

    # Three files for one piece at once (a PDF, a phone photo, a scan): one progress
    # bar while they go, then one PDF of three pages in the order chosen.
    folder = Path(tempfile.mkdtemp())
    files = [folder / "carte-recto.pdf", folder / "carte-verso.jpg", folder / "scan.png"]
    for path, content in zip(files, (PDF, phone_photo(size=(2400, 1800)), PNG)):
        path.write_bytes(content)
    row = page.locator("#piece-CNI")
    row.locator("input[type=file]").set_input_files([str(f) for f in files])
    row.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("3 fichiers déposés et réunis en un seul PDF.")).to_be_visible()
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen and max(seen) == 100, f"progress bar values seen: {seen}"
    expect(page.locator("#piece-CNI .badge")).to_have_text("Transmise")
    expect(page.locator("#piece-CNI .piece-files li")).to_have_count(3)
    expect(page.locator("#piece-CNI .piece-files li").first).to_contain_text("carte-recto.pdf")
    expect(page.locator("#piece-CNI .piece-files li").nth(1)).to_contain_text("carte-verso.pdf")
    merged = page.request.get(page.locator("#piece-CNI").get_by_role("link", name="Voir")
                              .get_attribute("href"))
    assert merged.ok and merged.body().startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(merged.body())).pages) == 3
    expect(page.locator(".checklist")).not_to_contain_text("Pièce d'identité")
    shot("04-application")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Send my application")).to_be_visible()


def main(url, mail_folder, shots, chromium=CHROMIUM, steps=journey):
    shots = Path(shots)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(base_url=url, viewport={"width": 1200, "height": 900},
                                          locale="fr-FR")
            context.add_init_script(PROGRESS_WATCH)
            page = context.new_page()
            policy_problems = watch_content_policy(page)
            try:
                steps(page, mail_folder, shots)
            except Exception:
                page.screenshot(path=str(shots / f"failure-{steps.__name__}.png"), full_page=True)
                raise
            assert not policy_problems, "\n".join(policy_problems)
        finally:
            browser.close()
    print(f"browser {steps.__name__} done; screenshots in", shots)


if __name__ == "__main__":
    main(*sys.argv[1:])
