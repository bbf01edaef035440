"""The staff portal beyond paging (tests/gateway/test_staff_list.py): every
filter in the address, the columns a user chose, the alert on files received
long ago, the detail page in words (never a code), previous / next within
the list's view, the CSV and XLSX exports (every row, read in chunks,
formula-safe) and the dashboard's figures. The services are faked."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests.support.actors import staff as make_staff
from tests.support.gateway import (DOSSIER, REFERENCE, TOK, fake, login_as, page_text)

NOW = datetime.now(timezone.utc)


def item(n, **changes):
    row = {"id": n, "status": "RE", "cancelled": False, "archived": False,
           "created_at": "2027-01-05T10:00:00+00:00",
           "transmitted_at": (NOW - timedelta(days=1)).isoformat(),
           "confirmed_at": None, "withdrawn_at": None, "decided_at": None,
           "formation": {"code": "MINFO1", "label": "Master Info", "treatment_type": "AC"},
           "centre": {"code": "SCI", "label": "UFR Sciences"},
           "commission": {"code": "SCI-INFO", "label": "Commission Info"},
           "candidate": {"id": n, "dossier_number": f"27AB{n:04d}", "first_name": "Léa",
                         "last_name": f"Martin{n}", "email": f"c{n}@example.org"},
           "decision": None, "pending_decision": None}
    row.update(changes)
    return row


class Applications:
    """list_applications over `rows` as the service pages them; the other
    RPCs of the pages below."""

    def __init__(self, rows):
        self.rows, self.asked = rows, []

    def list_applications(self, actor, filters, page=1, per_page=50, sort=None):
        self.asked.append({"filters": dict(filters), "page": page, "per_page": per_page,
                           "sort": sort})
        total = len(self.rows)
        page = max(1, min(page, -(-total // per_page)))
        return {"items": self.rows[(page - 1) * per_page:page * per_page], "total": total,
                "page": page, "per_page": per_page}

    def get_application(self, actor, application_id):
        return APPLICATION | {"id": application_id}

    def application_stats(self, actor, centre=None, formation=None):
        self.asked.append({"stats": (centre, formation)})
        return STATS


APPLICATION = {
    "id": 5, "status": "RE", "cancelled": False, "archived": False,
    "created_at": "2027-03-01T09:00:00+00:00", "transmitted_at": "2027-03-02T09:00:00+00:00",
    "return_deadline": "2027-05-01", "confirm_deadline": None, "confirmed_at": None,
    "withdrawn_at": None, "can_validate": True,
    "candidate": {"id": 7, "dossier_number": "22PB7Y36", "email": "lea@example.org",
                  "first_name": "Léa", "last_name": "Martin", "civility": "MME"},
    "formation": {"code": "MINFO1", "label": "Master Informatique", "treatment_type": "AC",
                  "centre": {"code": "SCI", "label": "UFR Sciences"},
                  "commission": {"code": "SCI-INFO", "label": "Commission Info"}},
    "pieces": [{"code": "CV", "label": "Curriculum vitae", "status": "VA", "comment": None,
                "has_file": True, "filename": "cv.pdf", "reviewed_by": "Claire Gestion",
                "reviewed_at": "2027-03-03T09:00:00+00:00"},
               {"code": "LM", "label": "Lettre de motivation", "status": "TR", "comment": None,
                "has_file": True, "filename": "lm.pdf"}],
    "decision": {"code": "LC", "rank": 3}, "pending_decision": None,
    "decisions": [{"id": 1, "code": "LC", "rank": 3, "comment": None, "reason": None,
                   "convocation": None, "entered_by": "Jury Info",
                   "entered_at": "2027-03-04T09:00:00+00:00", "validated_by": "Président Info",
                   "validated_at": "2027-03-05T09:00:00+00:00"}],
    "history": [{"from_status": None, "to_status": "AT", "by": "candidat",
                 "at": "2027-03-01T09:00:00+00:00"},
                {"from_status": "AT", "to_status": "RE", "by": "candidat",
                 "at": "2027-03-02T09:00:00+00:00"}]}
STATS_ROW = {"campaign": "2027", "centre": {"code": "SCI", "label": "UFR Sciences"},
             "formation": {"code": "MINFO1", "label": "Master Info"}, "capacity": 30,
             "total": 42, "cancelled": 2, "status": {"AT": 10, "RE": 12, "IN": 5, "CO": 15},
             "decision": {"FA": 9, "DE": 3, "LC": 2, "LA": 0, "PR": 1}, "validated": 15,
             "pending": 4, "confirmed": 7, "withdrawn": 1}
STATS = {"rows": [STATS_ROW], "totals": {k: v for k, v in STATS_ROW.items()
                                         if k not in ("campaign", "centre", "formation")}}


def portal(app, rows, preferences=None, dossier=None, mails=None):
    remote = fake(app, catalog={"list_centres": [{"code": "SCI", "label": "UFR Sciences"}]},
                  accounts={"get_dossier": dossier or DOSSIER, "save_preferences": {},
                            "reference_data": REFERENCE},
                  notifications={"list_mails": mails or []})
    remote.services["applications"] = Applications(rows)
    client = app.test_client()
    login_as(client, make_staff("manager", ["SCI"], id=3,
                                **({"preferences": preferences} if preferences else {})))
    return client, remote


def get(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return page_text(answer)


def headers(page):
    table = page.split('id="applications"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>|[▲▼]", "", h).strip() for h in re.findall(r"<th>(.*?)</th>", table)]


def test_every_filter_of_the_address_goes_to_the_service_and_stays_in_the_form(app):
    client, remote = portal(app, [item(1)])
    query = ("centre=SCI&commission=SCI-INFO&formation=MINFO1&status=CO&treatment_type=AD"
             "&decision=LC&validated=no&answer=none&name=martin&number=27AB&email=example"
             "&created_from=01/03/2027&created_to=2027-03-31&transmitted_from=&decided_to=15/04/2027"
             "&tag=x&sort=-decided")
    page = get(client, "/gestion/?" + query)
    asked = remote.services["applications"].asked[-1]
    assert asked["filters"] == {
        "centre": "SCI", "commission": "SCI-INFO", "formation": "MINFO1", "status": "CO",
        "treatment_type": "AD", "decision": "LC", "validated": "no", "answer": "none",
        "name": "martin", "number": "27AB", "email": "example", "created_from": "2027-03-01",
        "created_to": "2027-03-31", "decided_to": "2027-04-15", "tag": "x"}
    assert asked["sort"] == "-decided"
    # the form shows the view it lists (a bookmark gives it back)
    assert '<option value="AD" selected>Accès direct</option>' in page
    assert '<option value="no" selected>Avis à valider</option>' in page
    assert 'name="created_from" value="2027-03-01"' in page
    assert 'name="name" value="martin"' in page


def test_a_filter_the_service_refuses_is_named_and_the_rest_still_applies(app):
    from services.common.errors import ValidationFailed
    client, remote = portal(app, [item(1)])
    service = remote.services["applications"]
    plain = service.list_applications

    def refusing(actor, filters, **options):
        if "created_from" in filters:
            raise ValidationFailed("invalid", "invalid filters", {"created_from": "invalid_date"})
        return plain(actor, filters, **options)
    service.list_applications = refusing
    page = get(client, "/gestion/?created_from=31/02/2027&status=RE")
    assert "Filtre ignoré, valeur incorrecte : Créée du" in page
    assert service.asked[-1]["filters"] == {"status": "RE"} and "Martin1" in page


def test_the_columns_a_user_chose_are_shown_and_every_one_sorts(app):
    client, _ = portal(app, [item(1, decision={"code": "FA", "rank": None})],
                       preferences={"staff_list.columns": ["email", "status", "decision",
                                                           "treatment_type", "unknown"]})
    page = get(client, "/gestion/")
    # (the first column holds the bulk actions' "select all" box)
    assert headers(page) == ["", "Adresse mail", "Type de traitement", "Statut du dossier",
                             "Décision", "Ouvrir"]
    row = page.split('id="applications"')[1].split("</tr>")[1]
    assert '<a href="mailto:c1@example.org">c1@example.org</a>' in row
    assert "Accès contrôlé" in row and "Favorable" in row and ">AC<" not in row
    sorts = re.findall(r'href="/gestion/\?sort=([\w-]+)" class="sort"', page)
    assert sorts == ["email", "treatment_type", "status", "decision"]


def test_saving_columns_keeps_them_with_the_users_preferences(app):
    client, remote = portal(app, [item(1)])
    answer = client.post("/gestion/colonnes", data={
        "csrf_token": TOK, "columns": ["status", "number", "bogus"],
        "next": "/gestion/?status=RE&sort=candidate"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/gestion/?status=RE&sort=candidate")
    method, args = remote.services["accounts"].calls[-1]
    assert method == "save_preferences" and args[1:] == ("staff_list.columns",
                                                         ["number", "status"])
    client.post("/gestion/colonnes", data={"csrf_token": TOK, "reset": "1",
                                           "next": "https://evil.example/"})
    assert remote.services["accounts"].calls[-1][1][1:] == ("staff_list.columns", None)


def test_a_file_received_more_than_seven_days_ago_is_marked_in_colour_and_in_words(app):
    old = item(1, transmitted_at=(NOW - timedelta(days=8)).isoformat())
    recent = item(2, transmitted_at=(NOW - timedelta(days=6)).isoformat())
    complete = item(3, status="CO", transmitted_at=(NOW - timedelta(days=30)).isoformat())
    client, _ = portal(app, [old, recent, complete])
    page = get(client, "/gestion/")
    rows = page.split('id="applications"')[1].split("</tr>")[1:4]
    assert ['class="overdue"' in r for r in rows] == [True, False, False]
    assert "Réceptionné depuis plus de 7 jours" in rows[0]
    assert page.count("Réceptionné depuis plus de") == 1
    app.config["STAFF_RE_ALERT_DAYS"] = 5
    assert get(client, "/gestion/").count("Réceptionné depuis plus de 5 jours") == 2


def test_the_detail_page_speaks_in_words_never_in_codes(app):
    reference = {**REFERENCE, "bac_series": [["GEN", "Bac général"]]}
    dossier = {**DOSSIER, "bac": {"has_bac": "yes", "year": "2020", "country": "FR",
                                  "series": "GEN"},
               "personal": {**DOSSIER["personal"], "nationality": "FR",
                            "birth_date": "2001-05-04"}}
    client, remote = portal(app, [item(5)], dossier=dossier, mails=[
        {"created_at": "2027-03-02T09:00:00+00:00", "code": "STATUS_RE",
         "subject": "Candidature reçue", "status": "sent", "body": "Bonjour"}])
    remote.services["accounts"].answers["reference_data"] = reference
    page = get(client, "/gestion/candidatures/5")
    for word in ("Madame", "Bac général", "France", "04/05/2001", "Accès contrôlé",
                 "Liste complémentaire", "Validée", "Transmise", "Réceptionné",
                 "Statut du dossier : En attente → Réceptionné", "Candidature créée (En attente)",
                 "Pièce « Curriculum vitae » : Validée", "Claire Gestion",
                 "Avis validé : Liste complémentaire", "Président Info", "Candidature reçue"):
        assert word in page, word
    text = re.sub(r"<[^>]+>", " ", page)
    for code in (": MME", "GEN", "civility", "series", "AT → RE", "STATUS_RE", " LC "):
        assert code not in text, code
    assert '<a href="mailto:lea@example.org" id="candidate-email">lea@example.org</a>' in page
    assert 'href="/gestion/candidatures/5/pieces/CV"' in page
    assert page.count("<label>Statut de la pièce") == 2


def test_previous_and_next_follow_the_lists_view_across_its_pages(app):
    client, remote = portal(app, [item(n) for n in range(1, 121)])
    page = get(client, "/gestion/?status=RE&sort=candidate&page=2")
    opened = re.findall(r'href="(/gestion/candidatures/51[^"]*)"', page)[0]
    assert parse_qs(urlsplit(opened).query) == {"status": ["RE"], "sort": ["candidate"],
                                                "page": ["2"]}

    def neighbours(path):
        detail = get(client, path)
        found = {}
        for rel in ("prev", "next"):
            link = re.search(rf'<a href="([^"]+)" rel="{rel}"', detail)
            found[rel] = link and link.group(1)
        return found, detail

    found, detail = neighbours(opened)
    assert found["prev"] == "/gestion/candidatures/50?status=RE&sort=candidate&page=1"
    assert found["next"] == "/gestion/candidatures/52?status=RE&sort=candidate&page=2"
    assert 'href="/gestion/?status=RE&sort=candidate&page=2">← Candidatures' in detail
    last, _ = neighbours("/gestion/candidatures/100?status=RE&sort=candidate&page=2")
    assert last["next"] == "/gestion/candidatures/101?status=RE&sort=candidate&page=3"
    first, _ = neighbours("/gestion/candidatures/1?status=RE&sort=candidate&page=1")
    assert first["prev"] is None and first["next"].startswith("/gestion/candidatures/2?")
    end, _ = neighbours("/gestion/candidatures/120?status=RE&sort=candidate&page=3")
    assert end["next"] is None
    # an application no longer in the view: no neighbours, the way back stays
    gone, detail = neighbours("/gestion/candidatures/999?status=RE&page=1")
    assert gone == {"prev": None, "next": None} and "← Candidatures" in detail
    # opened from elsewhere (the candidate's page): no list is read
    asked = len(remote.services["applications"].asked)
    alone, _ = neighbours("/gestion/candidatures/5")
    assert alone == {"prev": None, "next": None}
    assert len(remote.services["applications"].asked) == asked


def rows_of_csv(answer):
    body = answer.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_export_has_every_row_of_the_view_read_in_chunks_and_no_formula(app):
    rows = [item(n) for n in range(1, 451)]
    rows[0] = item(1, candidate={**rows[0]["candidate"], "last_name": "=HYPERLINK(\"x\")",
                                 "first_name": "@SUM(A1)"})
    rows[1] = item(2, formation={**rows[1]["formation"], "label": "-2+3"})
    client, remote = portal(app, rows, preferences={"staff_list.columns": [
        "number", "candidate", "formation", "status", "treatment_type"]})
    answer = client.get("/gestion/candidatures.csv?status=RE&sort=candidate")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    lines = rows_of_csv(answer)
    assert lines[0] == ["N° de dossier", "Candidat", "Formation", "Type de traitement",
                        "Statut du dossier"]
    assert len(lines) == 451
    assert lines[1] == ["27AB0001", "'=HYPERLINK(\"x\") @SUM(A1)", "Master Info",
                        "Accès contrôlé", "Réceptionné"]
    assert lines[2][2] == "'-2+3"
    asked = [a for a in remote.services["applications"].asked]
    assert [(a["page"], a["per_page"]) for a in asked] == [(1, 200), (2, 200), (3, 200)]
    assert all(a["filters"] == {"status": "RE"} and a["sort"] == "candidate" for a in asked)


def test_the_xlsx_export_has_the_same_cells_as_text(app):
    rows = [item(n) for n in range(1, 251)]
    rows[0] = item(1, candidate={**rows[0]["candidate"], "last_name": "=1+1"})
    client, _ = portal(app, rows)
    answer = client.get("/gestion/candidatures.xlsx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("N° de dossier", "Candidat", "Formation", "Statut du dossier",
                         "Transmise le", "Décision")
    assert len(values) == 251 and values[250][0] == "27AB0250"
    formula = sheet.cell(row=2, column=2)
    assert formula.value == "=1+1 Léa" and formula.data_type == "s"


def test_the_dashboard_shows_the_figures_as_charts_and_as_a_table_and_exports_them(app):
    client, remote = portal(app, [])
    page = get(client, "/gestion/tableau-de-bord?centre=SCI&formation=MINFO1")
    assert remote.services["applications"].asked[-1] == {"stats": ("SCI", "MINFO1")}
    assert page.count("<svg") == 4 and "<script" not in page.split("<main")[-1]
    assert 'role="img"' in page and "Dossiers par statut" in page
    row = page.split('id="row-MINFO1"')[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row)[1:]
    assert cells == ["30", "42", "10", "12", "5", "15", "9", "3", "2", "0", "1", "15", "4",
                     "7", "1", "2"]
    assert "<title>Réceptionné : 12</title>" in page
    answer = client.get("/gestion/tableau-de-bord.csv?centre=SCI")
    lines = rows_of_csv(answer)
    assert lines[0][:6] == ["Campagne", "Centre", "Code formation", "Formation",
                            "Capacité d'accueil", "Candidatures"]
    assert lines[1] == ["2027", "SCI", "MINFO1", "Master Info", "30", "42", "10", "12", "5",
                        "15", "9", "3", "2", "0", "1", "15", "4", "7", "1", "2"]
    assert lines[2][0] == "Total" and lines[2][5] == "42"


@pytest.mark.parametrize("path", ["/gestion/candidatures.csv", "/gestion/candidatures.xlsx",
                                  "/gestion/tableau-de-bord", "/gestion/tableau-de-bord.csv"])
def test_the_exports_and_the_dashboard_are_for_staff_only(app, path):
    fake(app)
    client = app.test_client()
    answer = client.get(path)
    assert answer.status_code == 302 and "/gestion/connexion" in answer.headers["Location"]
