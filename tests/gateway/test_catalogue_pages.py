"""Catalogue administration pages with the catalog service faked."""
from services.common.errors import Conflict, Forbidden, ValidationFailed
from tests.gateway.test_app import app, fake, login_candidate, page_text  # noqa: F401
from tests.gateway.test_staff_candidates import as_staff

CAMPAIGN = {"code": "2027", "label": "Campagne 2027", "start": "2026-10-01", "end": "2027-09-30",
            "login_until": "2027-10-31", "active": True, "archived_at": None}
FORMATION = {"code": "MINFO1", "label": "Master Informatique", "level": "M- MASTER",
             "keywords": None, "url": None, "capacity": 30, "enabled": True,
             "treatment_type": "AC", "centre": "SCI", "commission": "SCI-INFO",
             "dates": {"date_open": "2027-03-01", "date_close": "2027-04-30"}}
CENTRE = {"code": "SCI", "label": "UFR Sciences", "email": "s@u.fr", "address": None,
          "max_file_size": 2 * 1024 * 1024, "max_applications": None, "online": True}


def catalog(app, **answers):
    return fake(app, catalog={
        "list_campaigns": [CAMPAIGN], "save_campaign": CAMPAIGN, "archive_campaign": CAMPAIGN,
        "activate_campaign": CAMPAIGN, "list_formations": [FORMATION],
        "list_centres": [{"code": "SCI", "label": "UFR Sciences", "email": "s@u.fr"}],
        "list_commissions": [{"code": "SCI-INFO", "label": "Commission Info", "centre": "SCI"}],
        "save_formation": FORMATION, "bulk_update_formations": {"updated": 1},
        "get_centre": CENTRE, "save_centre": CENTRE, **answers})


def test_campaigns_page_and_actions(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "admin")
    page = page_text(client.get("/gestion/catalogue/campagnes"))
    assert "Campagne 2027" in page and "Archiver" in page
    client.post("/gestion/catalogue/campagnes/2027/archiver", data={"csrf_token": "tok"})
    assert remote.catalog.calls[-1][0] == "archive_campaign"
    catalog(app, save_campaign=ValidationFailed("invalid", "x", {"end": "date_order"}))
    bad = client.post("/gestion/catalogue/campagnes", data={"csrf_token": "tok", "code": "2028"})
    assert bad.status_code == 422 and "suivre la précédente" in page_text(bad)
    catalog(app, activate_campaign=Conflict("campaign_archived", "x"))
    refused = client.post("/gestion/catalogue/campagnes/2026/activer", data={"csrf_token": "tok"},
                          follow_redirects=True)
    assert "archivée" in page_text(refused)


def test_formations_bulk_edit_sends_the_selection(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    assert "MINFO1" in page_text(client.get("/gestion/catalogue/formations"))
    client.post("/gestion/catalogue/formations/lot", data={
        "csrf_token": "tok", "formation": ["MINFO1"], "date_close": "2027-04-20", "enabled": "0"})
    method, (_, codes, changes) = remote.catalog.calls[-1]
    assert (method, codes, changes["date_close"], changes["enabled"]) == (
        "bulk_update_formations", ["MINFO1"], "2027-04-20", "0")
    catalog(app, bulk_update_formations=ValidationFailed(
        "invalid", "x", {"MINFO1.date_return": "date_order"}))
    refused = client.post("/gestion/catalogue/formations/lot", data={
        "csrf_token": "tok", "formation": ["MINFO1"], "date_close": "2027-05-20"},
        follow_redirects=True)
    assert "Rien n'a été modifié" in page_text(refused) and "MINFO1.date_return" in page_text(refused)


def test_formation_form_and_centre_size_in_megabytes(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "scol")
    form = page_text(client.get("/gestion/catalogue/formations/MINFO1"))
    assert "Master Informatique" in form and "SCI-INFO – Commission Info" in form
    client.post("/gestion/catalogue/formations/MINFO1", data={"csrf_token": "tok", "label": "X",
                                                             "enabled": "1"})
    assert remote.catalog.calls[-1][0] == "save_formation"
    assert 'value="2"' in client.get("/gestion/catalogue/centres/SCI").get_data(as_text=True)
    client.post("/gestion/catalogue/centres/SCI", data={"csrf_token": "tok", "label": "UFR",
                                                       "max_file_size_mb": "5"})
    method, (_, data) = remote.catalog.calls[-1][0], remote.catalog.calls[-1][1][:2]
    assert method == "save_centre" and data["max_file_size"] == str(5 * 1024 * 1024)
    catalog(app, save_centre=ValidationFailed("invalid", "x", {"max_file_size": "too_large"}))
    big = client.post("/gestion/catalogue/centres/SCI", data={"csrf_token": "tok", "label": "U",
                                                             "max_file_size_mb": "20"})
    assert big.status_code == 422


def test_refused_scope_is_a_403_and_candidates_are_kept_out(app):
    catalog(app, get_centre=Forbidden("out_of_scope", "x"))
    client = app.test_client()
    as_staff(client, "manager", ["LLSH"])
    assert client.get("/gestion/catalogue/centres/SCI").status_code == 403
    login_candidate(client)
    assert client.get("/gestion/catalogue/formations").status_code == 403


FULL_FORMATION = {"code": "MINFO1", "label": "Master Informatique", "level": "M- MASTER",
                  "treatment_type": "AC", "url": None,
                  "dates": {"date_open": "2027-03-01", "date_close": "2027-04-30",
                            "date_return": "2027-05-10", "date_publish": "2027-06-15",
                            "date_confirm": None, "confirm_days": 8},
                  "centre": {"code": "SCI", "label": "UFR Sciences", "email": "scol@u.fr"},
                  "pieces": [{"code": "CV", "label": "Curriculum vitae", "conditional": False}]}


def test_a_formation_page_shows_what_a_candidate_needs_and_why_they_cannot_apply(app):
    remote = fake(app, catalog={"get_formation": FULL_FORMATION},
                  applications={"can_apply": {"allowed": False, "reason": "too_many_applications"}})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre/MINFO1"))
    for expected in ("Curriculum vitae", "scol@u.fr", "8 jours après la décision favorable",
                     "nombre maximum de candidatures"):
        assert expected in page, expected
    assert "Candidater" not in page
    assert remote.applications.calls[-1][1][1] == "MINFO1"
    fake(app, catalog={"get_formation": FULL_FORMATION},
         applications={"can_apply": {"allowed": True, "reason": None}})
    assert "Candidater" in page_text(client.get("/offre/MINFO1"))


def test_the_offer_offers_apply_only_inside_the_window(app):
    tree = [{"code": "SCI", "label": "UFR Sciences", "levels": [{"level": "M- MASTER", "formations": [
        {**FULL_FORMATION, "date_open": "2027-03-01", "date_close": "2027-04-30", "open_now": False}]}]}]
    fake(app, catalog={"get_offer": tree}, applications={"apply_status": {"MINFO1": {
        "allowed": False, "reason": "applications_closed", "fields": {}}}})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre"))
    assert "Candidatures fermées" in page and ">Candidater<" not in page


# (import and export: test_catalogue_transfer.py)


def test_pieces_commissions_and_reference_lists_pages(app):
    remote = catalog(app, list_pieces=[{"id": 1, "code": "CNI", "label": "Pièce d'identité",
                                        "scope": "institution", "owner": None, "order": 1,
                                        "treatment_type": None, "conditional": False,
                                        "shared": True, "template_filename": None}],
                     save_piece={}, assign_piece={"assigned": 2},
                     list_commissions=[{"code": "SCI-INFO", "label": "Commission Info",
                                        "centre": "SCI", "members": [{"login": "jury.a",
                                                                      "president": True}],
                                        "alerts": {"transmitted": True}}],
                     save_commission={}, list_reference=[{"code": "PRIO", "label": "Prioritaire",
                                                          "colour": "#c0392b", "order": 0}],
                     save_reference_item={})
    client = app.test_client()
    as_staff(client, "scol")
    assert "Pièce d'identité" in page_text(client.get("/gestion/catalogue/pieces"))
    client.post("/gestion/catalogue/pieces", data={"csrf_token": "tok", "code": "LM",
                                                   "label": "Lettre", "scope": "formation",
                                                   "formations": "MINFO1, MLEA1", "shared": "1"})
    method, (_, data, codes) = remote.catalog.calls[-1]
    assert method == "assign_piece" and codes == ["MINFO1", "MLEA1"] and data["shared"] == "1"
    page = page_text(client.get("/gestion/catalogue/commissions/SCI-INFO"))
    assert 'value="*jury.a"' in page
    client.post("/gestion/catalogue/commissions/SCI-INFO", data={
        "csrf_token": "tok", "label": "Commission Info", "members": "*jury.a, jury.b",
        "alert_withdrawn": "1"})
    method, (_, data) = remote.catalog.calls[-1][0], remote.catalog.calls[-1][1][:2]
    assert method == "save_commission"
    assert data["members"] == [{"login": "jury.a", "president": True},
                               {"login": "jury.b", "president": False}]
    assert data["alerts"]["withdrawn"] == "1" and data["alerts"]["transmitted"] == "0"
    assert "Prioritaire" in page_text(client.get("/gestion/catalogue/listes/tag"))
    client.post("/gestion/catalogue/listes/motive", data={"csrf_token": "tok", "code": "CAPA",
                                                         "label": "Capacité atteinte"})
    assert remote.catalog.calls[-1][0] == "save_reference_item"
    assert remote.catalog.calls[-1][1][1] == "motive"
    assert client.get("/gestion/catalogue/listes/other").status_code == 404


def test_deleting_a_formation_with_applications_says_why_not(app):
    catalog(app, delete_formation=Conflict("formation_has_applications", "x"))
    client = app.test_client()
    as_staff(client, "scol")
    answer = client.post("/gestion/catalogue/formations/MINFO1/supprimer",
                         data={"csrf_token": "tok"}, follow_redirects=True)
    assert "a des candidatures" in page_text(answer)
