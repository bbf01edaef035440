"""The whole journey of the candidate guides, over HTTP, with real services,
broker, databases, S3 endpoint and SMTP sink."""
import re

import pytest

from tests.support.e2e import (JPEG, PASSWORD, PDF, PNG, fill_dossier, piece_codes,
                               register_and_activate, staff_login, text, upload)

pytestmark = pytest.mark.e2e


def test_whole_candidate_journey(browser, mailbox):
    # -- account --------------------------------------------------------------
    visitor = browser()
    home = visitor.get("/")
    assert "Créer un compte" in text(home) and "candidatures@univ-demo.fr" in text(home)
    visitor.get("/compte/creer")
    mismatch = visitor.post("/compte/creer", {"last_name": "Martin", "first_name": "Léa",
                                              "email": "lea@example.org", "email_confirm": "leo@example.org"})
    assert mismatch.status_code == 422 and "ne correspondent pas" in text(mismatch)

    user, email, dossier_number, activation = register_and_activate(browser, mailbox)
    reused = user.get(activation)
    assert "n'est pas valide ou a déjà été utilisé" in text(reused)  # single-use link

    wrong = user.post("/connexion", {"login": email, "password": "Wrong-pass-123!"})
    assert wrong.status_code == 401 and "incorrect" in text(wrong)
    logged = user.post("/connexion", {"login": dossier_number, "password": PASSWORD})
    assert logged.url.endswith("/candidatures") and dossier_number in text(logged)

    # -- dossier, then the offer -------------------------------------------------
    too_early = user.post("/candidatures", {"formation_code": "MINFO1"})
    assert "Complétez les rubriques" in text(too_early)
    bad_date = user.post("/dossier/personal", {"civility": "MME", "birth_name": "Martin",
                                               "first_name": "Léa", "birth_date": "1890-01-01",
                                               "nationality": "FR", "birth_country": "FR",
                                               "birth_department": "69", "birth_commune": "Lyon",
                                               "preferred_language": "fr"})
    assert bad_date.status_code == 422 and "entre 10 et 100 ans" in text(bad_date)
    out_of_order = user.get("/dossier/bac")  # sections open in order, by URL too
    assert out_of_order.url.endswith("/dossier") and "pas encore accessible" in text(out_of_order)
    fill_dossier(user)

    offer = user.get("/offre")
    assert "MINFO1" in text(offer) and "MLEA1" in text(offer)
    filtered = user.get("/offre", params={"filtre": "informatique"})
    assert "MINFO1" in text(filtered) and "MLEA1" not in text(filtered)

    created = user.post("/candidatures", {"formation_code": "MINFO1"})
    app_id = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    mailbox(email, "APPLICATION_CREATED")
    codes = piece_codes(text(created))
    assert 3 <= len(codes) <= 5 and "CERTLANG" in codes
    twice = user.post("/candidatures", {"formation_code": "MINFO1"})
    assert "déjà une candidature" in text(twice)

    # -- pieces ----------------------------------------------------------------
    fake = upload(user, app_id, "CNI", "carte.pdf", b"just some text, not a PDF", "application/pdf")
    assert "PDF, un JPEG, un PNG" in text(fake)
    huge = upload(user, app_id, "CNI", "carte.pdf", PDF + b"0" * (2 * 1024 * 1024 + 1), "application/pdf")
    assert "taille maximale" in text(huge)
    early = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Il manque des pièces" in text(early)
    files = {"CNI": ("carte.pdf", PDF, "application/pdf"), "CV": ("cv.jpg", JPEG, "image/jpeg"),
             "LM": ("lettre.png", PNG, "image/png")}
    for code in codes:
        if code == "CERTLANG":
            page = user.post(f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne", {"value": "1"})
        else:
            name, content, mime = files.get(code, ("releves.pdf", PDF, "application/pdf"))
            page = upload(user, app_id, code, name, content, mime)
        assert "Fichier déposé" in text(page) or "Informations enregistrées" in text(page), code
    assert "Non concerné" in text(page)
    ready = user.get(f"/candidatures/{app_id}")
    assert "Toutes les pièces sont prêtes" in text(ready)
    # the photo became a page of the piece's PDF
    assert user.get(f"/candidatures/{app_id}/pieces/CV").content.startswith(b"%PDF-")

    confirm_page = user.get(f"/candidatures/{app_id}/transmettre")
    assert "Aucune modification ne sera possible" in text(confirm_page)
    sent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Votre candidature est transmise" in text(sent) and "Réceptionné" in text(sent)
    again = user.post(f"/candidatures/{app_id}/transmettre")
    assert "déjà été transmise" in text(again)
    mailbox(email, "STATUS_RE")

    # -- nobody else sees it ---------------------------------------------------------
    other, other_email, _, _ = register_and_activate(browser, mailbox, "Durand", "Paul")
    other.post("/connexion", {"login": other_email, "password": PASSWORD})
    assert other.get(f"/candidatures/{app_id}").status_code == 404
    assert other.post(f"/candidatures/{app_id}/annuler").status_code == 404
    assert user.get(f"/candidatures/{app_id}").status_code == 200
    outsider = staff_login(browser, "gestion.llsh")
    assert outsider.get(f"/gestion/candidatures/{app_id}").status_code == 403
    assert "MINFO1" not in outsider.get("/gestion/").text

    # -- staff review: refuse a piece, file incomplete ------------------------------------
    staff = staff_login(browser, "gestion.sci")
    listing = staff.get("/gestion/", params={"centre": "SCI"})
    assert dossier_number in text(listing)
    detail = staff.get(f"/gestion/candidatures/{app_id}")
    assert email in text(detail)
    assert staff.get(f"/gestion/candidatures/{app_id}/pieces/CNI").content.startswith(b"%PDF-")
    no_comment = staff.post(f"/gestion/candidatures/{app_id}/pieces/CV/statut", {"status": "RE"})
    assert "obligatoire" in text(no_comment)
    staff.post(f"/gestion/candidatures/{app_id}/pieces/CV/statut", {"status": "RE", "comment": "Illisible"})
    incomplete = staff.post(f"/gestion/candidatures/{app_id}/statut", {"status": "IN"})
    assert "Incomplet" in text(incomplete)
    mail = mailbox(email, "STATUS_IN")
    assert "Illisible" in mail["body"]

    # -- the candidate replaces the refused piece and transmits again -------------------------
    page = user.get(f"/candidatures/{app_id}")
    assert "Illisible" in text(page) and "Refusée" in text(page)
    user.post(f"/candidatures/{app_id}/pieces/CV/supprimer")
    replaced = upload(user, app_id, "CV", "cv-lisible.png", PNG, "image/png")
    assert "Fichier déposé" in text(replaced)
    resent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Réceptionné" in text(resent)
    mailbox(email, "STATUS_RE", count=2)

    # -- complete, favourable decision, validated ---------------------------------------
    for code in codes:
        if code != "CERTLANG":
            staff.post(f"/gestion/candidatures/{app_id}/pieces/{code}/statut", {"status": "VA"})
    complete = staff.post(f"/gestion/candidatures/{app_id}/statut", {"status": "CO"})
    assert "Complet" in text(complete)
    mailbox(email, "STATUS_CO")
    staff.post(f"/gestion/candidatures/{app_id}/avis", {"code": "FA", "comment": "Très bon dossier"})
    not_yet = user.get(f"/candidatures/{app_id}")
    assert "Pas encore de décision" in text(not_yet)  # entered, not validated: not shown
    pending = text(staff.get(f"/gestion/candidatures/{app_id}"))
    assert f"/gestion/candidatures/{app_id}/avis/valider" in pending  # a manager may validate
    staff.post(f"/gestion/candidatures/{app_id}/avis/valider")
    mailbox(email, "DECISION_FA")

    # -- confirmation and admission letter -----------------------------------------------------
    decided = user.get(f"/candidatures/{app_id}")
    assert "Favorable" in text(decided) and "Confirmation candidature" in text(decided)
    confirmed = user.post(f"/candidatures/{app_id}/confirmer")
    assert "Vous avez confirmé" in text(confirmed)
    mailbox(email, "APPLICATION_CONFIRMED")
    letter = user.get(f"/candidatures/{app_id}/lettre-admission")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    assert "attachment" in letter.headers["Content-Disposition"]
