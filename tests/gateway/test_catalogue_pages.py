"""Catalogue administration pages with the catalog service faked."""
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.support.gateway import CENTRE, TOK, as_staff, fake, login_candidate, page_text

CAMPAIGN = {"code": "2027", "label": "Campagne 2027", "start": "2026-10-01", "end": "2027-09-30",
            "login_until": "2027-10-31", "active": True, "archived_at": None,
            "can_edit": True, "can_archive": True, "can_activate": False}
FORMATION = {"code": "MINFO1", "label": "Master Informatique", "level": "M- MASTER",
             "keywords": None, "url": None, "capacity": 30, "enabled": True,
             "treatment_type": "AC", "centre": "SCI", "commission": "SCI-INFO",
             "dates": {"date_open": "2027-03-01", "date_close": "2027-04-30"},
             "can_edit": True, "can_delete": True}


def one_of(items, key="code"):
    """A get_* RPC over the faked list: NotFound for anything else."""
    def get(actor, value):
        for item in items:
            if item[key] == value:
                return item
        raise NotFound("not_found", "x")
    return get


def formation_view(formation):
    """get_formation's shape: the centre and commission as objects."""
    return {**formation, "centre": {"code": formation["centre"]},
            "commission": {"code": formation["commission"]}}


def catalog(app, **answers):
    return fake(app, catalog={
        "get_campaign": one_of([CAMPAIGN]),
        "get_formation": one_of([formation_view(FORMATION)]),
        "list_campaigns": [CAMPAIGN], "save_campaign": CAMPAIGN, "archive_campaign": CAMPAIGN,
        "activate_campaign": CAMPAIGN, "list_formations": [FORMATION],
        "list_centres": [{"code": "SCI", "label": "UFR Sciences", "email": "s@u.fr"}],
        "list_commissions": [{"code": "SCI-INFO", "label": "Commission Info", "centre": "SCI"}],
        "save_formation": FORMATION, "bulk_update_formations": {"updated": 1},
        "get_centre": CENTRE, "save_centre": CENTRE, "list_reference": [], **answers})


def test_campaigns_page_and_actions(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "admin")
    page = page_text(client.get("/gestion/catalogue/campagnes"))
    assert "Campagne 2027" in page and "Archiver" in page
    client.post("/gestion/catalogue/campagnes/2027/archiver", data={"csrf_token": TOK})
    assert remote.catalog.calls[-1][0] == "archive_campaign"
    catalog(app, save_campaign=ValidationFailed("invalid", "x", {"end": "date_order"}))
    bad = client.post("/gestion/catalogue/campagnes", data={"csrf_token": TOK, "code": "2028"})
    assert bad.status_code == 422 and "suivre la précédente" in page_text(bad)
    catalog(app, activate_campaign=Conflict("campaign_archived", "x"))
    refused = client.post("/gestion/catalogue/campagnes/2026/activer", data={"csrf_token": TOK},
                          follow_redirects=True)
    assert "archivée" in page_text(refused)


def test_formations_bulk_edit_sends_the_selection(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    assert "MINFO1" in page_text(client.get("/gestion/catalogue/formations"))
    client.post("/gestion/catalogue/formations/lot", data={
        "csrf_token": TOK, "formation": ["MINFO1"], "date_close": "2027-04-20", "enabled": "0"})
    method, (_, codes, changes) = remote.catalog.calls[-1]
    assert (method, codes, changes["date_close"], changes["enabled"]) == (
        "bulk_update_formations", ["MINFO1"], "2027-04-20", "0")
    catalog(app, bulk_update_formations=ValidationFailed(
        "invalid", "x", {"MINFO1.date_return": "date_order"}))
    refused = client.post("/gestion/catalogue/formations/lot", data={
        "csrf_token": TOK, "formation": ["MINFO1"], "date_close": "2027-05-20"},
        follow_redirects=True)
    assert "Rien n'a été modifié" in page_text(refused) and "MINFO1.date_return" in page_text(refused)


def test_formation_form_and_centre_size_in_megabytes(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "scol")
    form = page_text(client.get("/gestion/catalogue/formations/MINFO1"))
    assert "Master Informatique" in form and "SCI-INFO – Commission Info" in form
    client.post("/gestion/catalogue/formations/MINFO1", data={"csrf_token": TOK, "label": "X",
                                                             "enabled": "1"})
    assert remote.catalog.calls[-1][0] == "save_formation"
    assert 'value="2"' in client.get("/gestion/catalogue/centres/SCI").get_data(as_text=True)
    client.post("/gestion/catalogue/centres/SCI", data={"csrf_token": TOK, "label": "UFR",
                                                       "max_file_size_mb": "5"})
    method, (_, data) = remote.catalog.calls[-1][0], remote.catalog.calls[-1][1][:2]
    # the page asks megabytes; the catalog converts them (and names its errors so)
    assert method == "save_centre" and data["max_file_size_mb"] == "5"
    catalog(app, save_centre=ValidationFailed("invalid", "x", {"max_file_size_mb": "too_large"}))
    big = client.post("/gestion/catalogue/centres/SCI", data={"csrf_token": TOK, "label": "U",
                                                             "max_file_size_mb": "20"})
    assert big.status_code == 422
    assert 'value="20"' in page_text(big) and 'aria-invalid="true"' in page_text(big)


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


PIECE = {"id": 1, "code": "CNI", "label": "Pièce d'identité", "scope": "institution",
         "owner": None, "order": 1, "treatment_type": None, "conditional": False,
         "shared": True, "template_filename": None, "template_document_id": None,
         "can_edit": True, "can_delete": True}
COMMISSION = {"code": "SCI-INFO", "label": "Commission Info", "centre": "SCI",
              "signatory": "Pr. Martin", "signature_document_id": "doc-old",
              "alerts": {"transmitted": True}, "can_edit": True, "can_manage_members": True}
MEMBERS = [{"login": "jury.a", "display_name": "Jury A", "email": None, "president": True,
            "active": True}]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n"


def commission_services(app, accounts=None, documents=None, **answers):
    remote = catalog(app, **{"list_commissions": [COMMISSION], "save_commission": {},
                             "get_commission": one_of([COMMISSION]), **answers})
    remote.services["accounts"] = type(remote.catalog)({
        "list_commission_members": MEMBERS, "set_commission_members": MEMBERS,
        **(accounts or {})})
    remote.services["documents"] = type(remote.catalog)({
        "create_upload": {"document_id": "doc-new", "put_url": "http://minio/put"},
        "confirm_upload": {"document_id": "doc-new", "filename": "signature.png",
                           "content_type": "image/png", "size": len(PNG)},
        "delete_document": {"deleted": True}, **(documents or {})})
    return remote


def test_pieces_and_reference_lists_pages(app):
    remote = catalog(app, list_pieces=[PIECE], save_piece={}, assign_piece={"assigned": 2},
                     delete_piece={"deleted": True},
                     list_reference=[{"code": "PRIO", "label": "Prioritaire", "colour": "#c0392b",
                                      "order": 0, "active": True, "can_edit": True},
                                     {"code": "OLD", "label": "Ancien tag", "colour": "#000000",
                                      "order": 1, "active": False, "can_edit": True}],
                     save_reference_item={})
    client = app.test_client()
    as_staff(client, "scol")
    assert "Pièce d'identité" in page_text(client.get("/gestion/catalogue/pieces"))
    client.post("/gestion/catalogue/pieces", data={"csrf_token": TOK, "code": "LM",
                                                   "label": "Lettre", "scope": "formation",
                                                   "formations": "MINFO1, MLEA1", "shared": "1"})
    method, (_, data, codes) = remote.catalog.calls[-1]
    assert method == "assign_piece" and codes == ["MINFO1", "MLEA1"] and data["shared"] == "1"
    page = page_text(client.get("/gestion/catalogue/listes/tag"))
    assert "Prioritaire" in page and "Désactivé" in page and "Réactiver" in page
    assert remote.catalog.calls[-1][1][1:] == ("tag",)
    client.post("/gestion/catalogue/listes/motive", data={"csrf_token": TOK, "code": "CAPA",
                                                         "label": "Capacité atteinte"})
    assert remote.catalog.calls[-1][0] == "save_reference_item"
    assert remote.catalog.calls[-1][1][1] == "motive"
    assert client.get("/gestion/catalogue/listes/other").status_code == 404


def test_a_reference_item_is_deactivated_and_kept(app):
    remote = catalog(app, list_reference=[{"code": "CAPA", "label": "Capacité atteinte",
                                           "colour": None, "order": 2, "active": True}],
                     save_reference_item={})
    client = app.test_client()
    as_staff(client, "scol")
    client.post("/gestion/catalogue/listes/motive/CAPA/desactiver", data={"csrf_token": TOK})
    method, (_, kind, data) = remote.catalog.calls[-1]
    assert (method, kind, data["code"], data["label"], data["active"]) == \
        ("save_reference_item", "motive", "CAPA", "Capacité atteinte", "0")
    assert client.post("/gestion/catalogue/listes/motive/NOPE/desactiver",
                       data={"csrf_token": TOK}).status_code == 404


def test_a_piece_definition_is_edited_and_deleted(app):
    remote = catalog(app, list_pieces=[PIECE], get_piece=one_of([PIECE], "id"), save_piece={},
                     delete_piece={"deleted": True})
    client = app.test_client()
    as_staff(client, "scol")
    page = page_text(client.get("/gestion/catalogue/pieces"))
    assert "/gestion/catalogue/pieces/1" in page
    form = page_text(client.get("/gestion/catalogue/pieces/1"))
    assert 'value="Pièce d\'identité"' in form and "gardent la leur" in form
    client.post("/gestion/catalogue/pieces/1", data={
        "csrf_token": TOK, "code": "CNI", "scope": "institution", "label": "Pièce d'identité",
        "order": "5", "shared": "1"})
    method, (_, data, piece_id) = remote.catalog.calls[-1]
    assert (method, piece_id, data["order"], data["shared"], data["conditional"]) == \
        ("save_piece", 1, "5", "1", "0")
    client.post("/gestion/catalogue/pieces/1/supprimer", data={"csrf_token": TOK})
    assert remote.catalog.calls[-1][0] == "delete_piece" and remote.catalog.calls[-1][1][1] == 1
    catalog(app, list_pieces=[PIECE], get_piece=one_of([PIECE], "id"),
            save_piece=Conflict("campaign_archived", "x"))
    refused = client.post("/gestion/catalogue/pieces/1", data={
        "csrf_token": TOK, "code": "CNI", "scope": "institution", "label": "X"})
    assert refused.status_code == 409 and "archivée" in page_text(refused)
    assert client.get("/gestion/catalogue/pieces/2").status_code == 404


def test_a_campaign_is_edited(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "admin")
    assert "/gestion/catalogue/campagnes/2027" in page_text(client.get("/gestion/catalogue/campagnes"))
    assert 'value="Campagne 2027"' in page_text(client.get("/gestion/catalogue/campagnes/2027"))
    client.post("/gestion/catalogue/campagnes/2027", data={
        "csrf_token": TOK, "label": "Campagne 2027 (prolongée)", "start": "2026-10-01",
        "end": "2027-10-15", "login_until": "2027-11-30"})
    method, (_, data, code) = remote.catalog.calls[-1]
    assert (method, code, data["end"], data["label"]) == \
        ("save_campaign", "2027", "2027-10-15", "Campagne 2027 (prolongée)")
    catalog(app, save_campaign=ValidationFailed("invalid", "x", {"end": "date_order"}))
    bad = client.post("/gestion/catalogue/campagnes/2027", data={"csrf_token": TOK})
    assert bad.status_code == 422 and "suivre la précédente" in page_text(bad)
    assert client.get("/gestion/catalogue/campagnes/1999").status_code == 404


def test_centres_are_listed_in_scope_and_created(app):
    remote = catalog(app, list_centres=[CENTRE])
    client = app.test_client()
    as_staff(client, "scol")
    page = page_text(client.get("/gestion/catalogue/centres"))
    assert "UFR Sciences" in page and "Nouveau centre" in page
    assert remote.catalog.calls[-1][1][0]["role"] == "scol"  # asked with the actor: in scope
    answer = client.post("/gestion/catalogue/centres", data={
        "csrf_token": TOK, "code": "DROIT", "label": "Faculté de droit",
        "max_file_size_mb": "3", "online": "1"})
    method, (_, data) = remote.catalog.calls[-1][0], remote.catalog.calls[-1][1][:2]
    assert method == "save_centre" and len(remote.catalog.calls[-1][1]) == 2  # a creation
    assert (data["code"], data["max_file_size_mb"], data["online"]) == ("DROIT", "3", "1")
    assert answer.headers["Location"].endswith("/gestion/catalogue/centres/SCI")
    catalog(app, list_centres=[CENTRE],
            save_centre=ValidationFailed("invalid", "x", {"max_file_size_mb": "too_large"}))
    assert client.post("/gestion/catalogue/centres", data={
        "csrf_token": TOK, "code": "X", "label": "X", "max_file_size_mb": "20"}).status_code == 422
    catalog(app, list_centres=[CENTRE])
    as_staff(client, "manager", ["SCI"])
    page = page_text(client.get("/gestion/catalogue/centres"))
    assert "UFR Sciences" in page and "Nouveau centre" not in page


def test_commissions_are_listed_and_created(app):
    remote = commission_services(app, save_commission={"code": "SCI-PHYS"})
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    page = page_text(client.get("/gestion/catalogue/commissions"))
    assert "Commission Info" in page and "Nouvelle commission" in page
    answer = client.post("/gestion/catalogue/commissions", data={
        "csrf_token": TOK, "code": "SCI-PHYS", "label": "Commission Physique", "centre": "SCI"})
    method, (_, data) = remote.catalog.calls[-1]
    assert (method, data["code"], data["centre"]) == ("save_commission", "SCI-PHYS", "SCI")
    assert answer.headers["Location"].endswith("/gestion/catalogue/commissions/SCI-PHYS")


def test_the_commission_members_come_from_accounts_and_are_set_there(app):
    remote = commission_services(app)
    client = app.test_client()
    as_staff(client, "scol")
    page = page_text(client.get("/gestion/catalogue/commissions/SCI-INFO"))
    assert "Jury A" in page and "Président(e)" in page and 'value="*jury.a"' in page
    assert "regrouper ces alertes en un mail par jour" in page
    assert remote.accounts.calls[-1][1][1] == "SCI-INFO"
    client.post("/gestion/catalogue/commissions/SCI-INFO", data={
        "csrf_token": TOK, "label": "Commission Info", "centre": "SCI", "alert_withdrawn": "1",
        "alert_digest": "1"})
    method, (_, data) = remote.catalog.calls[-1][0], remote.catalog.calls[-1][1][:2]
    assert method == "save_commission" and "members" not in data
    assert data["alerts"]["withdrawn"] == "1" and data["alerts"]["transmitted"] == "0"
    assert data["alerts"]["digest"] == "1"  # one mail a day instead of one each
    client.post("/gestion/catalogue/commissions/SCI-INFO/membres", data={
        "csrf_token": TOK, "members": "jury.a, *jury.b"})
    method, (_, code, members) = remote.accounts.calls[-1]
    assert (method, code) == ("set_commission_members", "SCI-INFO")
    assert members == [{"login": "jury.a", "president": False},
                       {"login": "jury.b", "president": True}]
    commission_services(app, accounts={"set_commission_members": ValidationFailed(
        "invalid", "x", {"members": "unknown_login"})})
    refused = client.post("/gestion/catalogue/commissions/SCI-INFO/membres", data={
        "csrf_token": TOK, "members": "*nobody"})
    assert refused.status_code == 422 and "Aucun utilisateur n'a cet identifiant" in \
        page_text(refused) and 'value="*nobody"' in page_text(refused)


def post_signature(client, content, **fields):
    import io
    return client.post("/gestion/catalogue/commissions/SCI-INFO", data={
        "csrf_token": TOK, "label": "Commission Info", "centre": "SCI", **fields,
        "signature": (io.BytesIO(content), "signature.png")}, content_type="multipart/form-data")


def test_a_signature_goes_to_storage_and_the_catalog_decides_on_it(app, monkeypatch):
    """The gateway streams the bytes to the URL the catalog obtained and hands the
    catalog the document: the catalog has documents check it and keeps it or not."""
    import gateway.views.catalogue as views
    puts = []
    monkeypatch.setattr(views.requests, "put", lambda url, **kw: puts.append(
        (url, kw["data"].read())) or type("Answer", (), {"raise_for_status": lambda self: None})())
    ticket = {"document_id": "doc-new", "put_url": "http://s3/put"}
    remote = commission_services(app, start_upload=ticket, save_commission=ValidationFailed(
        "invalid", "x", {"signature": "signature_not_image"}))
    client = app.test_client()
    as_staff(client, "scol")
    refused = post_signature(client, PDF)
    assert refused.status_code == 422 and "PNG ou JPEG" in page_text(refused)
    assert puts == [("http://s3/put", PDF)]
    calls = {method: args for method, args in remote.catalog.calls}
    assert calls["start_upload"][1:] == ("signature", "signature.png", len(PDF))
    assert calls["save_commission"][1]["label"] == "Commission Info"
    assert remote.documents.calls == []  # the catalog's job

    remote = commission_services(app, start_upload=ticket)
    assert post_signature(client, PNG).status_code == 302
    assert remote.catalog.calls[-1][0] == "save_commission"
    assert "signature_document_id" not in remote.catalog.calls[-1][1][1]  # the catalog keeps it


def test_a_form_without_a_file_uploads_nothing(app):
    remote = commission_services(app)
    client = app.test_client()
    as_staff(client, "scol")
    assert client.post("/gestion/catalogue/commissions/SCI-INFO", data={
        "csrf_token": TOK, "label": "Commission Info", "centre": "SCI"}).status_code == 302
    assert [c[0] for c in remote.catalog.calls if c[0] == "start_upload"] == []


def test_the_staff_navigation_reaches_every_catalogue_page(app):
    catalog(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    page = page_text(client.get("/gestion/catalogue/formations"))
    for path in ("/gestion/catalogue/centres", "/gestion/catalogue/commissions",
                 "/gestion/catalogue/pieces", "/gestion/catalogue/listes/motive"):
        assert f'href="{path}"' in page, path


def test_deleting_a_formation_with_applications_says_why_not(app):
    catalog(app, delete_formation=Conflict("formation_has_applications", "x"))
    client = app.test_client()
    as_staff(client, "scol")
    answer = client.post("/gestion/catalogue/formations/MINFO1/supprimer",
                         data={"csrf_token": TOK}, follow_redirects=True)
    assert "a des candidatures" in page_text(answer)


def test_the_formation_form_proposes_the_active_diploma_levels(app):
    catalog(app, list_reference=[{"code": "M", "label": "M- MASTER", "active": True}],
            save_formation=ValidationFailed("invalid", "x", {"url": "invalid_url",
                                                             "level": "invalid_choice"}))
    client = app.test_client()
    as_staff(client, "scol")
    page = page_text(client.get("/gestion/catalogue/formations/MINFO1"))
    assert 'list="levels"' in page and '<option value="M- MASTER">' in page
    refused = client.post("/gestion/catalogue/formations/MINFO1", data={
        "csrf_token": TOK, "label": "X", "url": "javascript:alert(1)", "level": "Master"})
    assert refused.status_code == 422 and "http:// ou https://" in page_text(refused)


# -- buttons and links from the catalog's can_* ---------------------------------------------

def rights(view, allowed):
    """A view as the catalog answers it for someone who may (or may not) change it."""
    return {**view, **{key: allowed for key in view if key.startswith("can_")}}


def row_of(page, code):
    """The table row (its HTML) that starts with that code."""
    start = page.index(f"<td>{code}</td>")
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def test_a_manager_sees_edit_links_only_for_their_centres_objects(app):
    mlea = rights({**FORMATION, "code": "MLEA1", "centre": "LLSH", "commission": "LLSH-LEA"},
                  False)
    llsh_piece = rights({**PIECE, "id": 2, "code": "DOC-LLSH", "scope": "centre",
                         "owner": "LLSH"}, False)
    institution = rights(PIECE, False)
    sci_piece = {**PIECE, "id": 3, "code": "DOC-SCI", "scope": "centre", "owner": "SCI"}
    catalog(app, list_formations=[FORMATION, mlea],
            list_pieces=[institution, sci_piece, llsh_piece],
            list_commissions=[COMMISSION, rights({**COMMISSION, "code": "LLSH-LEA",
                                                  "centre": "LLSH"}, False)],
            list_centres=[CENTRE, rights({**CENTRE, "code": "LLSH"}, False)])
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    formations = page_text(client.get("/gestion/catalogue/formations"))
    assert "Modifier" in row_of(formations, "MINFO1") and "Modifier" not in row_of(formations,
                                                                                   "MLEA1")
    pieces = page_text(client.get("/gestion/catalogue/pieces"))
    assert "/gestion/catalogue/pieces/3" in pieces
    assert "/gestion/catalogue/pieces/1" not in pieces and "/gestion/catalogue/pieces/2" not in pieces
    commissions = page_text(client.get("/gestion/catalogue/commissions"))
    assert "Modifier" in row_of(commissions, "SCI-INFO")
    assert "Modifier" not in row_of(commissions, "LLSH-LEA") and "Voir" in row_of(commissions,
                                                                                  "LLSH-LEA")
    centres = page_text(client.get("/gestion/catalogue/centres"))
    assert "/gestion/catalogue/centres/SCI" in centres
    assert "/gestion/catalogue/centres/LLSH" not in centres
    assert "Nouveau centre" not in centres  # creating centres: admin and scol
    assert 'href="/gestion/catalogue/campagnes"' not in centres


def test_a_readonly_user_sees_no_button_to_change_anything(app):
    catalog(app, list_formations=[rights(FORMATION, False)],
            list_pieces=[rights(PIECE, False)],
            list_commissions=[rights(COMMISSION, False)],
            get_commission=one_of([rights(COMMISSION, False)]),
            list_campaigns=[rights(CAMPAIGN, False)],
            list_centres=[rights(CENTRE, False)],
            list_reference=[{"code": "CAPA", "label": "Capacité atteinte", "colour": None,
                             "order": 0, "active": True, "can_edit": False}],
            catalogue_columns={k: {"columns": ["code"], "required": ["code"]}
                               for k in ("centres", "commissions", "formations", "pieces")},
            catalogue_rights={})
    remote_accounts = {"list_commission_members": MEMBERS}
    app.extensions["remote"].services["accounts"].answers.update(remote_accounts)
    client = app.test_client()
    as_staff(client, "readonly", ["SCI"])
    pages = {path: page_text(client.get(f"/gestion/catalogue/{path}"))
             for path in ("formations", "pieces", "commissions", "centres", "campagnes",
                          "listes/motive", "import-export", "commissions/SCI-INFO")}
    for path, page in pages.items():
        assert "Modifier" not in page, path
        assert 'type="submit">Enregistrer' not in page, path
    assert "Nouvelle formation" not in pages["formations"]
    assert "Nouvelle pièce" not in pages["pieces"] and "Désactiver" not in pages["listes/motive"]
    assert "Archiver" not in pages["campagnes"] and "Importer</button>" not in pages["import-export"]
    assert "Enregistrer les membres" not in pages["commissions/SCI-INFO"]


def test_catalogue_dates_are_typed_day_first_whatever_the_browser(app):
    """A browser's date picker shows mm/dd/yyyy in an American browser: the
    catalogue's date fields are text fields typed 22/11/2026 in both languages."""
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "admin")
    page = client.get("/gestion/catalogue/campagnes/2027").get_data(as_text=True)
    assert 'type="date"' not in page
    assert 'value="01/10/2026"' in page and 'placeholder="jj/mm/aaaa"' in page
    client.post("/gestion/catalogue/campagnes", data={
        "csrf_token": TOK, "code": "2028", "label": "Campagne 2028",
        "start": "1/10/2027", "end": "30.09.2028", "login_until": "2028-10-31"})
    sent = [args for method, args in remote.catalog.calls if method == "save_campaign"][-1][1]
    assert (sent["start"], sent["end"], sent["login_until"]) == ("2027-10-01", "2028-09-30", "2028-10-31")


def test_a_date_that_cannot_be_read_is_refused_on_its_field_and_shown_as_typed(app):
    remote = catalog(app, save_campaign=ValidationFailed("invalid", "x", {"end": "invalid_date"}))
    client = app.test_client()
    as_staff(client, "admin")
    refused = client.post("/gestion/catalogue/campagnes", data={
        "csrf_token": TOK, "code": "2028", "label": "Campagne 2028",
        "start": "01/10/2027", "end": "31/02/2028", "login_until": ""})
    saved = [args for method, args in remote.catalog.calls if method == "save_campaign"]
    assert saved[-1][1]["end"] == "31/02/2028"
    assert refused.status_code == 422
    assert 'value="31/02/2028"' in refused.get_data(as_text=True)
    assert 'value="01/10/2027"' in refused.get_data(as_text=True)


def test_bulk_formation_dates_are_typed_day_first(app):
    remote = catalog(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    page = client.get("/gestion/catalogue/formations").get_data(as_text=True)
    assert 'type="date"' not in page
    client.post("/gestion/catalogue/formations/lot", data={
        "csrf_token": TOK, "formation": ["MINFO1"], "date_close": "20/04/2027"})
    assert remote.catalog.calls[-1][1][2]["date_close"] == "2027-04-20"
