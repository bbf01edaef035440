"""Administration over HTTP with every service running: an admin
creates a manager, who changes only their centre's formations; a formation
closed in bulk leaves the candidates' offer."""
import re
import uuid

import pytest

from tests.support.e2e import PASSWORD as CANDIDATE_PASSWORD
from tests.support.e2e import PDF, PNG, eventually, register_and_activate, staff_login, text


pytestmark = pytest.mark.e2e
PASSWORD = "Gestion-2027-pass!"


def test_an_admin_creates_a_manager_who_edits_only_their_formations(browser, mailbox):
    admin = staff_login(browser, "admin")
    admin.get("/gestion/admin/utilisateurs/nouveau")
    created = admin.post("/gestion/admin/utilisateurs/nouveau", {
        "login": "gestion.lea", "display_name": "Gestion LEA", "role": "manager",
        "centres": "LLSH", "password": PASSWORD, "active": "1"})
    assert created.status_code == 200 and "gestion.lea" in text(created)

    manager = browser()
    manager.get("/gestion/connexion")
    manager.post("/gestion/connexion", {"login": "gestion.lea", "password": PASSWORD})
    listing = text(manager.get("/gestion/catalogue/formations"))
    assert "DULEA" in listing and "MINFO1" not in listing  # their centre only
    refused = manager.post("/gestion/catalogue/formations/lot", {"formation": "MINFO1",
                                                                "enabled": "0"})
    assert refused.status_code == 403
    assert manager.get("/gestion/admin/utilisateurs").status_code == 403

    candidate, email, _, _ = register_and_activate(browser, mailbox)
    candidate.post("/connexion", {"login": email, "password": CANDIDATE_PASSWORD})
    assert "DULEA" in text(candidate.get("/offre"))
    closed = manager.post("/gestion/catalogue/formations/lot", {"formation": "DULEA",
                                                               "enabled": "0"})
    assert "1 formation(s) modifiée(s)" in text(closed)
    bad = manager.post("/gestion/catalogue/formations/lot", {"formation": "DULEA",
                                                            "date_close": "2000-01-01"})
    assert "Rien n'a été modifié" in text(bad)
    assert re.search(r"<td>DULEA</td>.*?<td>non</td>", text(bad), re.S)
    # closed: gone from the offer once the catalog's event reached the gateway's cache
    assert eventually(lambda: "DULEA" not in text(candidate.get("/offre")))


def test_a_manager_sets_the_commission_members_who_get_it_as_their_scope(browser):
    admin = staff_login(browser, "admin")
    suffix = uuid.uuid4().hex[:6]
    first, second = f"jury.a{suffix}", f"jury.b{suffix}"
    for login in (first, second):
        created = admin.post("/gestion/admin/utilisateurs/nouveau", {
            "login": login, "display_name": login, "role": "committee",
            "commissions": "LLSH-LEA", "password": PASSWORD, "active": "1"})
        assert created.status_code == 200 and login in text(created)
    unknown = admin.post("/gestion/admin/utilisateurs/nouveau", {
        "login": f"jury.c{suffix}", "display_name": "C", "role": "committee",
        "commissions": "NOPE-X", "password": PASSWORD, "active": "1"})
    assert unknown.status_code == 422 and "Commission inconnue" in text(unknown)

    manager = staff_login(browser, "gestion.llsh")
    page = text(manager.get("/gestion/catalogue/commissions/LLSH-LEA"))
    assert first in page and second in page  # the members come from accounts
    saved = manager.post("/gestion/catalogue/commissions/LLSH-LEA/membres",
                         {"members": f"*{second}"})
    assert "Membres de la commission enregistrés" in text(saved)
    refused = manager.post("/gestion/catalogue/commissions/LLSH-LEA/membres",
                           {"members": f"*{second}, nobody{suffix}"})
    assert refused.status_code == 422 and "Aucun utilisateur" in text(refused)
    users = text(admin.get("/gestion/admin/utilisateurs"))
    row = re.search(rf"<td>{second}</td>.*?</tr>", users, re.S).group(0)
    assert "LLSH-LEA" in row and "Préside" in row
    row = re.search(rf"<td>{first}</td>.*?</tr>", users, re.S).group(0)
    assert "LLSH-LEA" not in row  # no longer on the commission
    assert staff_login(browser, "gestion.sci").get(
        "/gestion/catalogue/commissions/LLSH-LEA").status_code == 404  # not their centre

    pdf = manager.post("/gestion/catalogue/commissions/LLSH-LEA",
                       {"label": "Commission LEA", "centre": "LLSH"},
                       files={"signature": ("signature.pdf", PDF, "application/pdf")})
    assert pdf.status_code == 422 and "PNG ou JPEG" in text(pdf)
    png = manager.post("/gestion/catalogue/commissions/LLSH-LEA",
                       {"label": "Commission LEA", "centre": "LLSH"},
                       files={"signature": ("signature.png", PNG, "image/png")})
    assert png.status_code == 200 and "Catalogue enregistré" in text(png)
    assert "Une signature est enregistrée" in text(png)


def document_states(document_ids):
    """{id: status} of files in the platform's documents database (deleted: the
    object is gone from storage, removed before the record says so)."""
    import os

    from sqlalchemy import create_engine, text as sql
    prefix = os.environ.get("E2E_PREFIX", "ecandidat_e2e")
    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    engine = create_engine(f"{base}/{prefix}_documents")
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sql("SELECT id, status FROM documents WHERE id = ANY(:ids)"),
                                     {"ids": list(document_ids)}).all())
    finally:
        engine.dispose()


def stored_templates():
    """The ids of the piece templates documents keeps (a template has no candidate)."""
    import os

    from sqlalchemy import create_engine, text as sql
    prefix = os.environ.get("E2E_PREFIX", "ecandidat_e2e")
    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    engine = create_engine(f"{base}/{prefix}_documents")
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(sql(
                "SELECT id FROM documents WHERE candidate_id IS NULL AND status = 'stored' "
                "AND content_type = 'application/pdf'"))}
    finally:
        engine.dispose()


def test_a_fake_image_is_refused_and_a_replaced_template_is_deleted(browser):
    manager = staff_login(browser, "gestion.llsh")
    page = "/gestion/catalogue/commissions/LLSH-LEA"
    before = text(manager.get(page))
    fake = manager.post(page, {"label": "Commission LEA", "centre": "LLSH"},
                        files={"signature": ("signature.png", PDF, "image/png")})
    assert fake.status_code == 422 and "La signature doit être une image PNG ou JPEG" in text(fake)
    assert ("Une signature est enregistrée" in text(manager.get(page))) == \
        ("Une signature est enregistrée" in before)  # nothing changed
    image = manager.post(page, {"label": "Commission LEA", "centre": "LLSH"},
                         files={"signature": ("signature.png", PNG, "image/png")})
    assert image.status_code == 200 and "Une signature est enregistrée" in text(image)

    code = f"T{uuid.uuid4().hex[:6].upper()}"
    templates = stored_templates()
    created = manager.post("/gestion/catalogue/pieces", {
        "code": code, "label": "Dossier LEA", "scope": "centre", "owner": "LLSH", "order": "9"},
        files={"template": ("dossier.pdf", PDF, "application/pdf")})
    assert created.status_code == 200 and "dossier.pdf" in text(created)
    (first,) = stored_templates() - templates
    piece = re.search(rf"<td>{code}</td>.*?/gestion/catalogue/pieces/(\d+)", text(created),
                      re.S).group(1)
    fields = {"code": code, "label": "Dossier LEA", "scope": "centre", "owner": "LLSH",
              "order": "9"}
    refused = manager.post(f"/gestion/catalogue/pieces/{piece}", fields,
                           files={"template": ("dossier.pdf", PNG, "application/pdf")})
    assert refused.status_code == 422 and "Le modèle doit être un PDF" in text(refused)
    assert document_states([first]) == {first: "stored"}  # the old one stays
    replaced = manager.post(f"/gestion/catalogue/pieces/{piece}", fields,
                            files={"template": ("dossier-2027.pdf", PDF, "application/pdf")})
    assert replaced.status_code == 200 and "dossier-2027.pdf" in text(replaced)
    (second,) = stored_templates() - templates
    assert second != first and document_states([first]) == {first: "deleted"}
