"""Administration of staff users, with the accounts service faked."""
import pytest

from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.support.actors import staff
from tests.support.gateway import (REFERENCE, TOK, as_staff, fake, login_as, login_candidate,
                                   page_text)

USER = {"id": 4, "login": "gestion.sci", "display_name": "Gestion Sciences", "email": None,
        "role": "manager", "centres": ["SCI"], "commissions": [], "presides": [], "active": True}


def get_staff(actor, login_or_id):
    if login_or_id in (USER["id"], USER["login"]):
        return USER
    raise NotFound("not_found", "no such staff user")


def services(app, **answers):
    return fake(app, accounts={"list_staff": [USER], "get_staff": get_staff,
                               "create_staff": USER, "update_staff": USER,
                               "reference_data": REFERENCE, **answers})


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_administrators_reach_administration(app, role):
    services(app)
    client = app.test_client()
    as_staff(client, role, ["SCI"])
    assert client.get("/gestion/admin/utilisateurs").status_code == 403
    assert client.post("/gestion/admin/utilisateurs/nouveau",
                       data={"csrf_token": TOK}).status_code == 403
    assert "Administration" not in page_text(client.get("/gestion/candidats"))


def test_anonymous_and_candidates_are_kept_out(app):
    services(app)
    client = app.test_client()
    assert client.get("/gestion/admin/utilisateurs").status_code == 302
    login_candidate(client)
    assert client.get("/gestion/admin/utilisateurs").status_code == 403


def test_an_admin_lists_creates_and_edits_staff(app):
    remote = services(app)
    client = app.test_client()
    as_staff(client, "admin")
    listing = page_text(client.get("/gestion/admin/utilisateurs"))
    assert "gestion.sci" in listing and "Gestionnaire de centre" in listing
    created = client.post("/gestion/admin/utilisateurs/nouveau", data={
        "csrf_token": TOK, "login": "jury", "display_name": "Jury", "role": "committee",
        "commissions": "SCI-INFO", "presides": "SCI-INFO", "password": "Jury-2027-pass!",
        "active": "1"})
    assert created.status_code == 302
    method, (_, data) = remote.accounts.calls[-1]
    assert method == "create_staff" and data["commissions"] == "SCI-INFO" and data["active"] == "1"
    edit = page_text(client.get("/gestion/admin/utilisateurs/4"))
    assert 'value="SCI"' in edit
    client.post("/gestion/admin/utilisateurs/4", data={"csrf_token": TOK, "display_name": "X",
                                                       "role": "readonly"})
    method, (_, staff_id, data) = remote.accounts.calls[-1]
    assert (method, staff_id, data["login"], data["active"]) == ("update_staff", 4, "gestion.sci", "0")
    assert client.get("/gestion/admin/utilisateurs/99").status_code == 404


def test_refusals_are_shown_on_the_form(app):
    services(app, create_staff=ValidationFailed("invalid", "x", {"centres": "unknown_centre"}),
             update_staff=Conflict("cannot_demote_self", "x"))
    client = app.test_client()
    as_staff(client, "admin")
    bad = client.post("/gestion/admin/utilisateurs/nouveau", data={"csrf_token": TOK})
    assert bad.status_code == 422 and "Centre de candidature inconnu" in page_text(bad)
    own = client.post("/gestion/admin/utilisateurs/4", data={"csrf_token": TOK})
    assert own.status_code == 409 and "vos propres droits" in page_text(own)


def test_the_role_list_of_the_staff_form_comes_from_accounts(app):
    services(app, reference_data={**REFERENCE, "staff_roles": ["admin", "auditor"]})
    client = app.test_client()
    as_staff(client, "admin")
    form = client.get("/gestion/admin/utilisateurs/nouveau").get_data(as_text=True)
    assert '<option value="auditor"' in form and '<option value="scol"' not in form


def test_the_edit_page_reads_only_the_user_it_edits(app):
    remote = services(app)
    client = app.test_client()
    as_staff(client, "admin")
    assert 'value="SCI"' in page_text(client.get("/gestion/admin/utilisateurs/4"))
    assert [call[0] for call in remote.accounts.calls if call[0].endswith("staff")] == \
        ["get_staff"]


def test_links_and_buttons_follow_the_capabilities_accounts_gives(app):
    """A role accounts gives the staff capability to sees administration; the
    gateway keeps no list of roles of its own."""
    services(app)
    client = app.test_client()
    login_as(client, staff("readonly", id=3, login="x", can_manage_staff=True))
    assert client.get("/gestion/admin/utilisateurs").status_code == 200
    assert "Administration" in page_text(client.get("/gestion/candidats"))
    assert client.get("/gestion/admin/lettres-mortes").status_code == 403
