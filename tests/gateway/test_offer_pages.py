"""The candidate's offer pages ("Nouvelle candidature") with the services faked:
"Candidater" only where the candidate can apply, else why not, computed by one
applications call per page; the full reason on the formation page and after a
refused application; candidate actions on an archived campaign."""
import re

import pytest

from services.common.errors import Conflict
from tests.support.gateway import TOK, fake, login_candidate, page_text

SCI = {"code": "SCI", "label": "UFR Sciences et Techniques"}
LLSH = {"code": "LLSH", "label": "UFR Lettres"}


def leaf(code, label):
    return {"code": code, "label": label, "level": "M- MASTER", "treatment_type": "AC",
            "date_open": "2027-02-01", "date_close": "2027-05-31", "open_now": True}


TREE = [
    {**SCI, "levels": [{"level": "M- MASTER", "formations": [
        leaf("MINFO1", "Master Informatique"), leaf("MMATH1", "Master Mathématiques"),
        leaf("MPHYS1", "Master Physique")]}]},
    {**LLSH, "levels": [{"level": "M- MASTER", "formations": [
        leaf("MLEA1", "Master LEA"), leaf("DULEA", "DU Langues"),
        {**leaf("MHIST1", "Master Histoire"), "open_now": False}]}]},
]
ALLOWED = {"allowed": True, "reason": None, "fields": {}}


def refused(reason, **fields):
    return {"allowed": False, "reason": reason, "fields": fields}


STATUS = {
    "MINFO1": refused("already_applied"),
    "MMATH1": refused("too_many_applications", scope="centre", limit="3", centre="SCI",
                      centre_label="UFR Sciences et Techniques"),
    "MPHYS1": refused("too_many_applications", scope="global", limit="20"),
    "MLEA1": ALLOWED,
    "DULEA": refused("campaign_not_open"),
    "MHIST1": refused("applications_closed"),
}


def block(page, code):
    """The tree's entry of one formation."""
    match = re.search(r'<div class="formation">((?:(?!<div class="formation">).)*?\(' + code
                      + r' .*?)</div>', page, re.S)
    assert match, code
    return match.group(1)


def test_the_tree_offers_candidater_only_where_the_candidate_can_apply(app):
    remote = fake(app, catalog={"get_offer": TREE}, applications={"apply_status": STATUS})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre"))
    assert ">Candidater<" in block(page, "MLEA1")
    expected = {"MINFO1": "Déjà candidat(e)", "MMATH1": "Maximum du centre atteint (3)",
                "MPHYS1": "Maximum de 20 candidatures atteint",
                "DULEA": "Campagne non ouverte", "MHIST1": "Candidatures fermées"}
    for code, reason in expected.items():
        entry = block(page, code)
        assert reason in entry and ">Candidater<" not in entry, code
    assert page.count(">Ouvrir<") == 6  # every formation still opens
    assert "dossier-incomplete" not in page
    # One call for the page, with every leaf and its centre; never can_apply.
    (method, (actor, leaves)), = remote.applications.calls
    assert method == "apply_status" and actor["id"] == 7
    assert {(leaf["code"], leaf["centre"]) for leaf in leaves} == {
        ("MINFO1", "SCI"), ("MMATH1", "SCI"), ("MPHYS1", "SCI"), ("MLEA1", "LLSH"),
        ("DULEA", "LLSH"), ("MHIST1", "LLSH")}
    assert leaves[0]["date_open"] == "2027-02-01" and leaves[0]["date_close"] == "2027-05-31"


def test_an_incomplete_dossier_is_said_once_with_a_link_to_it(app):
    codes = ["MINFO1", "MMATH1", "MPHYS1", "MLEA1", "DULEA", "MHIST1"]
    fake(app, catalog={"get_offer": TREE}, applications={"apply_status": {
        code: refused("dossier_incomplete", bac="incomplete") for code in codes}})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre"))
    assert ">Candidater<" not in page and page.count("Dossier incomplet") == 6
    assert 'id="dossier-incomplete"' in page and 'href="/dossier"' in page


def test_a_tree_of_two_thousand_formations_costs_one_applications_call(app):
    big = [{"code": f"C{c:02d}", "label": f"Centre {c}", "levels": [
        {"level": "M- MASTER", "formations": [leaf(f"F{c:02d}{n:03d}", f"Formation {n}")
                                              for n in range(100)]}]} for c in range(20)]
    remote = fake(app, catalog={"get_offer": big},
                  applications={"apply_status": lambda actor, leaves: {
                      leaf["code"]: ALLOWED for leaf in leaves}})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre"))
    assert page.count(">Candidater<") == 2000
    assert [call[0] for call in remote.applications.calls] == ["apply_status"]


def test_an_empty_tree_asks_nothing_of_applications(app):
    remote = fake(app, catalog={"get_offer": []}, applications={})
    client = app.test_client()
    login_candidate(client)
    assert "Aucune formation" in page_text(client.get("/offre", query_string={"filtre": "zz"}))
    assert remote.applications.calls == []


FORMATION = {"code": "MMATH1", "label": "Master Mathématiques", "level": "M- MASTER",
             "treatment_type": "AC", "url": None,
             "dates": {"date_open": "2027-02-01", "date_close": "2027-05-31",
                       "date_return": "2027-06-10", "date_publish": "2027-06-30",
                       "date_confirm": "2027-07-10", "confirm_days": None},
             "centre": {"code": "SCI", "label": "UFR Sciences et Techniques",
                        "email": "scol@u.fr"},
             "pieces": []}


@pytest.mark.parametrize("lang,status,expected", [
    ("fr", STATUS["MMATH1"], "Vous avez atteint le nombre maximal de candidatures (3) pour le "
                             "centre UFR Sciences et Techniques."),
    ("fr", STATUS["MPHYS1"], "Vous avez atteint le nombre maximal de candidatures (20) tous "
                             "centres confondus."),
    ("en", STATUS["MMATH1"], "You reached the maximum number of applications (3) for the "
                             "centre UFR Sciences et Techniques."),
    ("fr", STATUS["DULEA"], "n'appartient pas à la campagne de candidatures en cours"),
])
def test_the_formation_page_explains_in_full(app, lang, status, expected):
    fake(app, catalog={"get_formation": FORMATION}, applications={"can_apply": status})
    client = app.test_client()
    login_candidate(client)
    with client.session_transaction() as session:
        session["lang"] = lang
    page = page_text(client.get("/offre/MMATH1"))
    why = re.search(r'id="why-not">(.*?)</p>', page, re.S).group(1)
    assert expected in why and "Candidater" not in page and "Apply<" not in page


def test_the_formation_page_of_an_incomplete_dossier_links_to_it(app):
    fake(app, catalog={"get_formation": FORMATION},
         applications={"can_apply": refused("dossier_incomplete", bac="incomplete")})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/offre/MMATH1"))
    assert "Complétez les rubriques" in page and 'href="/dossier"' in page


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


@pytest.mark.parametrize("error,expected", [
    (Conflict("too_many_applications", "max", {"scope": "centre", "limit": "3",
                                                "centre": "SCI",
                                                "centre_label": "UFR Sciences et Techniques"}),
     "nombre maximal de candidatures (3) pour le centre UFR Sciences et Techniques"),
    (Conflict("too_many_applications", "max", {"scope": "global", "limit": "20"}),
     "nombre maximal de candidatures (20) tous centres confondus"),
    (Conflict("campaign_not_open", "no"), "campagne de candidatures en cours"),
])
def test_a_refused_application_says_which_limit(app, error, expected):
    fake(app, applications={"create_application": error})
    client = app.test_client()
    login_candidate(client)
    answer = client.post("/candidatures", data={"csrf_token": TOK, "formation_code": "MMATH1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/offre")
    message, = flashes(client)
    assert expected in message


ARCHIVED = Conflict("campaign_archived", "archived")


@pytest.mark.parametrize("path,answers", [
    ("/candidatures/5/pieces/CV/fichier", {"start_piece_upload": ARCHIVED}),
    ("/candidatures/5/pieces/CV/supprimer", {"delete_piece_file": ARCHIVED}),
    ("/candidatures/5/pieces/CERTLANG/non-concerne", {"set_not_concerned": ARCHIVED}),
    ("/candidatures/5/transmettre", {"transmit": ARCHIVED}),
    ("/candidatures/5/annuler", {"cancel": ARCHIVED}),
    ("/candidatures/5/confirmer", {"confirm": ARCHIVED}),
    ("/candidatures/5/desister", {"withdraw": ARCHIVED}),
])
def test_candidate_actions_on_an_archived_campaign_say_so(app, path, answers):
    import io
    fake(app, applications=answers)
    client = app.test_client()
    login_candidate(client)
    data = {"csrf_token": TOK, "value": "1", "file": (io.BytesIO(b"%PDF-1.4"), "cv.pdf")}
    answer = client.post(path, data=data, content_type="multipart/form-data")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/candidatures/5")
    assert flashes(client) == ["La campagne de cette candidature est archivée : elle ne peut "
                               "plus être modifiée."]


def test_the_applications_list_marks_an_archived_campaigns_applications(app):
    def item(app_id, archived):
        return {"id": app_id, "status": "AT", "cancelled": False, "archived": archived,
                "formation": {"code": f"F{app_id}", "label": f"Formation {app_id}"},
                "decision": None}
    fake(app, applications={"list_my_applications": [item(1, True), item(2, False)]})
    client = app.test_client()
    login_candidate(client)
    page = page_text(client.get("/candidatures"))
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", page, re.S)
    assert "Campagne archivée" in rows[0] and "Campagne archivée" not in rows[1]
