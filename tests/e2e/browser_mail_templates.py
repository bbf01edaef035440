"""The mail template editor in a real browser (Debian's Chromium, Playwright),
against a running platform: an administrator types a template with an
unknown variable and is told its line, previews a correct one with the sample
application, saves it, sees its version, then restores the shipped template.

    python -m tests.e2e.browser_mail_templates <portal url> <mail folder> <screenshot folder>

Run as its own process by tests/e2e/test_browser.py.
"""
import re
import sys

from playwright.sync_api import expect

from tests.e2e.browser_journey import CHROMIUM, main
from tests.support.e2e import STAFF_PASSWORD

EDITOR = "/gestion/admin/mails/modeles/APPLICATION_CANCELLED/fr"


def template_editor(page, mail_folder, shots):
    def shot(name):
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    page.goto("/gestion/connexion")
    page.get_by_label("Utilisateur *", exact=True).fill("admin")
    page.get_by_label("Mot de passe *", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Modèles de mails").click()
    expect(page.locator("#mail-templates")).to_contain_text("APPLICATION_CANCELLED")
    page.goto(EDITOR)
    expect(page.locator("#template-variables")).to_contain_text("{{ formation.label }}")

    page.locator("#body").fill("Bonjour {{ name }},\n{{ event.inconnue }}")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#template-problem")).to_contain_text("Ligne 2")
    expect(page.locator("#template-problem")).to_contain_text("event.inconnue")
    shot("20-template-refused")

    page.locator("#subject").fill("Annulée : {{ formation.label }}")
    page.locator("#body").fill("Bonjour {{ name }},\n\nVotre candidature « {{ formation.label }} » "
                               "est annulée (modèle de test).")
    page.get_by_role("button", name="Aperçu").click()
    expect(page.locator("#preview-subject")).to_have_text(
        "Annulée : Master Informatique 1re année")
    expect(page.locator("#preview-body")).to_contain_text("Bonjour Madame Léa Martin,")
    expect(page.locator("#preview-body")).to_contain_text("Merci de ne pas répondre")
    shot("21-template-preview")

    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text(re.compile(r"Modèle enregistré \(version \d+\)"))).to_be_visible()
    expect(page.locator("#template-versions")).to_contain_text("Administrateur")
    expect(page.locator("#subject")).to_have_value("Annulée : {{ formation.label }}")
    shot("22-template-saved")

    # the platform is shared with other tests: the shipped template again
    page.get_by_role("button", name="Rétablir le modèle d'origine").click()
    expect(page.get_by_text("Modèle d'origine rétabli.")).to_be_visible()
    expect(page.locator("#subject")).to_have_value("Candidature annulée : {{ formation.label }}")


if __name__ == "__main__":
    main(*sys.argv[1:4], *(sys.argv[4:5] or [CHROMIUM]), steps=template_editor)
