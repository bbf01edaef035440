"""Administration over HTTP with every service running (issue 4): an admin
creates a manager, who changes only their centre's formations; a formation
closed in bulk leaves the candidates' offer."""
import re

import pytest

from tests.e2e.test_candidate_journey import (PASSWORD as CANDIDATE_PASSWORD,
                                              register_and_activate, staff_login, text)

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
    assert "DULEA" not in text(candidate.get("/offre"))  # closed: gone from the offer
