"""Staff candidate pages with the services faked: who sees which buttons,
what each form asks of the accounts service, refusals as pages."""
import pytest

from services.common.errors import Forbidden, ValidationFailed
from tests.support.gateway import TOK, as_staff, login_candidate, page_text, staff_services


def test_search_lists_candidates_with_a_clickable_address(app):
    remote = staff_services(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    page = client.get("/gestion/candidats?q=martin").get_data(as_text=True)
    assert 'href="mailto:lea@example.org"' in page and "/gestion/candidats/7" in page
    assert remote.accounts.calls[0][0] == "search_candidates"
    assert remote.accounts.calls[0][1][1] == "martin"


def test_the_candidate_page_shows_everything_and_the_history(app):
    staff_services(app)
    client = app.test_client()
    as_staff(client)
    page = page_text(client.get("/gestion/candidats/7"))
    for expected in ("Licence Informatique", "Licence de physique", "Master Info",
                     "Candidature reçue", "Claire Scol", "Martin-Petit", "Supprimer le compte",
                     "Renvoyer le lien d'activation"):
        assert expected in page, expected


@pytest.mark.parametrize("role", ["readonly", "committee"])
def test_readers_see_no_action(app, role):
    """Readonly staff and committee members read dossiers; they neither correct
    them nor create, resend or delete accounts."""
    staff_services(app)
    client = app.test_client()
    as_staff(client, role)
    page = page_text(client.get("/gestion/candidats/7"))
    assert "Supprimer le compte" not in page and "Renvoyer le lien" not in page
    assert "Saisir/Modifier informations" not in page
    search = page_text(client.get("/gestion/candidats?q=Martin"))
    assert "/gestion/candidats/nouveau" not in search
    assert client.get("/gestion/candidats/nouveau").status_code == 403
    as_staff(client, "manager", ["SCI"])
    assert "/gestion/candidats/nouveau" in page_text(client.get("/gestion/candidats?q=Martin"))


def test_a_correction_goes_to_the_service_with_the_candidate(app):
    remote = staff_services(app)
    client = app.test_client()
    as_staff(client)
    form = page_text(client.get("/gestion/candidats/7/dossier/personal"))
    assert "disabled" not in form  # staff correct read-only fields too
    done = client.post("/gestion/candidats/7/dossier/personal",
                       data={"csrf_token": TOK, "birth_name": "Martin-Petit"})
    assert done.status_code == 302
    method, args = remote.accounts.calls[-1]
    assert method == "save_dossier_section" and args[1] == "personal"
    assert args[2]["birth_name"] == "Martin-Petit"
    staff_services(app, save_dossier_section=ValidationFailed("invalid", "x", {"ine": "invalid_ine"}))
    bad = client.post("/gestion/candidats/7/dossier/personal", data={"csrf_token": TOK})
    assert bad.status_code == 422 and "INE invalide" in page_text(bad)


def test_create_resend_and_delete(app):
    remote = staff_services(app)
    client = app.test_client()
    as_staff(client)
    created = client.post("/gestion/candidats/nouveau", data={
        "csrf_token": TOK, "last_name": "Durand", "first_name": "Paul", "email": "p@x.fr",
        "email_confirm": "p@x.fr", "lang": "fr"})
    assert created.headers["Location"].endswith("/gestion/candidats/8")
    client.post("/gestion/candidats/7/activation", data={"csrf_token": TOK})
    assert remote.accounts.calls[-1] == ("resend_activation", (remote.accounts.calls[-1][1][0], 7))
    client.post("/gestion/candidats/7/supprimer", data={"csrf_token": TOK})
    assert "delete_account" not in [c[0] for c in remote.accounts.calls]  # not confirmed
    client.post("/gestion/candidats/7/supprimer", data={"csrf_token": TOK, "confirm": "1"})
    assert remote.accounts.calls[-1][0] == "delete_account"
    staff_services(app, create_account_for=ValidationFailed("invalid", "x", {"email": "email_taken"}))
    taken = client.post("/gestion/candidats/nouveau", data={"csrf_token": TOK, "email": "p@x.fr"})
    assert taken.status_code == 422 and "existe déjà" in page_text(taken)


@pytest.mark.parametrize("path", ["/gestion/candidats", "/gestion/candidats/7",
                                  "/gestion/candidats/nouveau"])
def test_only_staff_reach_the_pages(app, path):
    staff_services(app)
    client = app.test_client()
    assert client.get(path).headers["Location"].startswith("/gestion/connexion")
    login_candidate(client)
    assert client.get(path).status_code == 403


def test_out_of_scope_is_a_403_page(app):
    staff_services(app, get_dossier=Forbidden("out_of_scope", "no"))
    client = app.test_client()
    as_staff(client, "manager", ["LLSH"])
    assert client.get("/gestion/candidats/7").status_code == 403
