"""A manager processes a whole commission through the staff portal, over HTTP
with every service running: five candidates apply to one formation (automatic
promotion on, a capacity of two) and transmit; the manager reviews the pieces,
completes the files and enters the decisions in bulk from the list (2 FA, 3 LC
ranked); the commission's president validates them in bulk; the two admitted
withdraw, the waiting list promotes its first two and the last one's real rank
is recomputed; one promoted confirms and gets an OPI code; the CSV export of
the list matches the screen; the mails reach the platform's sink.

The commission, its formation and its staff are created here (codes of their
own), so that the demo formations and users other tests rely on stay as they are."""
import csv
import html
import io
import re

import pytest

from deploy.local.mailbox import read_mails
from tests.support import waiting
from tests.support.e2e import (PASSWORD, PDF, STAFF_PASSWORD, fill_dossier, piece_codes,
                               register_and_activate, staff_login, text, upload)

pytestmark = pytest.mark.e2e

COMMISSION, FORMATION = "SCI-REVUE", "MREVUE1"
COMMISSION_EMAIL = "commission-revue@univ-demo.fr"
MANAGER, PRESIDENT = "gestion.revue", "pres.revue"
# the list's columns the manager chooses: every one the comparison with the export needs
COLUMNS = ("number", "candidate", "email", "formation_code", "status", "decision", "pending",
           "rank", "confirmed", "withdrawn")
NAMES = [("Arnaud", "Alice"), ("Bernard", "Bruno"), ("Chevalier", "Chloé"),
         ("Dupont", "David"), ("Fontaine", "Fanny")]


# -- helpers --------------------------------------------------------------------------------

def mails_of(platform, to, code, count=1, timeout=30):
    """The sink's mails `code` to `to`, once there are `count` of them."""
    def found():
        mails = [m for m in read_mails(platform.mail_dir)
                 if to.lower() in m["to"].lower() and m["code"] == code]
        return mails if len(mails) >= count else None
    mails = waiting.eventually(found, timeout=timeout, step=0.2)
    assert mails, (f"no {count} {code} mail(s) to {to}; sink has "
                   f"{[(m['to'], m['code']) for m in read_mails(platform.mail_dir)]}")
    return mails


def cells(row_html):
    """The text of each cell of a table row, as a reader sees it."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)]


def screen_rows(page):
    """{application id: the cells of the chosen columns} of the list's table."""
    table = re.search(r'<table id="applications">(.*?)</table>', page.text, re.S).group(1)
    rows = {}
    for row in re.split(r"<tr[ >]", table)[2:]:  # [0] before, [1] the header
        application_id = int(re.search(r'name="ids" value="(\d+)"', row).group(1))
        rows[application_id] = cells(row)[1:-1]  # without the checkbox and "Ouvrir"
    return rows


def export_rows(answer):
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    lines = [[" ".join(cell.split()) for cell in line] for line in
             csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";")]
    return lines[0], lines[1:]


def bulk(staff, action, ids=None, scope="selected", **fields):
    """POST /gestion/lot from the list of the formation, as its form sends it."""
    staff.get("/gestion/", params={"formation": FORMATION})  # the form's token
    form = {"action": action, "scope": scope, "filter.formation": FORMATION, **fields}
    if ids is not None:
        form["ids"] = [str(i) for i in ids]
    answer = staff.post("/gestion/lot", form)
    assert answer.status_code == 200, text(answer)
    return answer


def summary(answer):
    return " ".join(re.search(r'<p id="bulk-summary">(.*?)</p>', text(answer), re.S)
                    .group(1).split())


def decision_shown(page):
    found = re.search(r'<p id="decision"><strong>([^<]+)</strong>', text(page))
    return found.group(1) if found else None


def rank_shown(page):
    found = re.search(r"rang sur la liste complémentaire : (\d+)", text(page))
    return int(found.group(1)) if found else None


# -- the commission, its formation and its staff --------------------------------------------

def set_up_commission(browser):
    admin = staff_login(browser, "admin")
    admin.get("/gestion/catalogue/commissions")
    created = admin.post("/gestion/catalogue/commissions", {
        "code": COMMISSION, "label": "Commission pédagogique de revue", "centre": "SCI",
        "email": COMMISSION_EMAIL})
    assert created.url.endswith(f"/commissions/{COMMISSION}"), text(created)
    # its alerts: the commission hears of each withdrawal and promotion
    alerts = admin.post(f"/gestion/catalogue/commissions/{COMMISSION}", {
        "label": "Commission pédagogique de revue", "centre": "SCI", "email": COMMISSION_EMAIL,
        "alert_withdrawn": "1", "alert_promoted": "1"})
    assert "Catalogue enregistré" in text(alerts), text(alerts)
    admin.get("/gestion/catalogue/formations/nouvelle")
    formation = admin.post("/gestion/catalogue/formations/nouvelle", {
        "code": FORMATION, "label": "Master Revue des commissions", "level": "M- MASTER",
        "capacity": "2", "treatment_type": "AC", "commission": COMMISSION, "enabled": "1",
        "auto_promotion": "1", "rank_display": "real"})
    assert formation.url.endswith(f"/formations/{FORMATION}"), text(formation)
    assert 'name="auto_promotion" value="1" checked' in formation.text
    admin.get("/gestion/admin/utilisateurs/nouveau")
    for form in ({"login": MANAGER, "display_name": "Gestionnaire revue", "role": "manager",
                  "centres": "SCI"},
                 {"login": PRESIDENT, "display_name": "Présidente revue", "role": "committee",
                  "commissions": COMMISSION, "presides": COMMISSION}):
        done = admin.post("/gestion/admin/utilisateurs/nouveau",
                          {**form, "password": STAFF_PASSWORD, "active": "1"})
        assert done.status_code == 200 and form["login"] in text(done), text(done)


def apply_and_transmit(browser, mailbox, last_name, first_name):
    user, email, number, _ = register_and_activate(browser, mailbox, last_name, first_name)
    user.post("/connexion", {"login": email, "password": PASSWORD})
    fill_dossier(user)
    created = user.post("/candidatures", {"formation_code": FORMATION})
    app_id = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    codes = piece_codes(text(created))
    for code in codes:
        upload(user, app_id, code, f"{code.lower()}.pdf", PDF, "application/pdf")
    sent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Réceptionné" in text(sent), text(sent)
    return {"user": user, "email": email, "number": number, "id": app_id, "codes": codes}


# -- the test -------------------------------------------------------------------------------

def test_a_manager_processes_a_whole_commission(platform, browser, mailbox):
    set_up_commission(browser)
    people = [apply_and_transmit(browser, mailbox, *name) for name in NAMES]
    admitted, listed = people[:2], people[2:]
    ids = [p["id"] for p in people]
    manager = staff_login(browser, MANAGER)
    manager.get("/gestion/")
    manager.post("/gestion/colonnes", {"columns": list(COLUMNS), "next": "/gestion/"})

    listing = manager.get("/gestion/", params={"formation": FORMATION})
    assert sorted(screen_rows(listing)) == sorted(ids)

    # -- review in bulk: every piece valid, every file complete --------------------------
    for code in people[0]["codes"]:
        done = bulk(manager, "piece_status", ids, piece_code=code, piece_status="VA")
        assert summary(done).startswith("5 candidature(s) : 5 modifiée(s)"), summary(done)
    complete = bulk(manager, "file_status", scope="filter", status="CO")  # the whole filter
    assert summary(complete).startswith("5 candidature(s) : 5 modifiée(s)"), summary(complete)
    for person in people:
        mails_of(platform, person["email"], "STATUS_CO")

    # -- decisions entered in bulk: two favourable, three on the waiting list, ranked -----
    entered = bulk(manager, "enter_decision", [p["id"] for p in admitted],
                   decision_code="FA", comment="Très bon dossier")
    assert summary(entered).startswith("2 candidature(s) : 2 modifiée(s)"), summary(entered)
    for rank, person in enumerate(listed, start=1):
        entered = bulk(manager, "enter_decision", [person["id"]], decision_code="LC",
                       rank=str(rank))
        assert summary(entered).startswith("1 candidature(s) : 1 modifiée(s)"), summary(entered)
    waiting_page = people[0]["user"].get(f"/candidatures/{people[0]['id']}")
    assert "Pas encore de décision" in text(waiting_page)  # entered, not validated yet
    pending = screen_rows(manager.get("/gestion/", params={"formation": FORMATION}))
    assert [pending[i][COLUMNS.index("pending")] for i in ids] == \
        ["Favorable"] * 2 + ["Liste complémentaire"] * 3

    # -- the commission's president validates them in bulk --------------------------------
    president = staff_login(browser, PRESIDENT)
    validated = bulk(president, "validate_decision", scope="filter")
    assert summary(validated).startswith("5 candidature(s) : 5 modifiée(s)"), summary(validated)
    again = bulk(president, "validate_decision", scope="filter")  # sent twice: nothing moves
    assert "5 déjà dans cet état" in summary(again), summary(again)
    for person in admitted:
        assert decision_shown(person["user"].get(f"/candidatures/{person['id']}")) == "Favorable"
        mails_of(platform, person["email"], "DECISION_FA")
    for rank, person in enumerate(listed, start=1):
        page = person["user"].get(f"/candidatures/{person['id']}")
        assert decision_shown(page) == "Liste complémentaire" and rank_shown(page) == rank
        mail = mails_of(platform, person["email"], "DECISION_LC")[0]
        assert f"au rang {rank}" in mail["body"]

    # -- the two admitted withdraw: the first two of the list are promoted ----------------
    first = admitted[0]
    page = first["user"].get(f"/candidatures/{first['id']}")
    withdraw_path = f"/candidatures/{first['id']}/desister"
    assert f'action="{withdraw_path}"' in page.text  # the button the candidate clicks
    gone = first["user"].post(withdraw_path)
    assert "Vous vous êtes désisté" in text(gone)
    promoted, still = listed[0], listed[1:]
    assert decision_shown(promoted["user"].get(f"/candidatures/{promoted['id']}")) == "Favorable"
    assert [rank_shown(p["user"].get(f"/candidatures/{p['id']}")) for p in still] == [1, 2]

    second = admitted[1]
    gone = second["user"].post(f"/candidatures/{second['id']}/desister")
    assert "Vous vous êtes désisté" in text(gone)
    second_promoted, last = listed[1], listed[2]
    page = second_promoted["user"].get(f"/candidatures/{second_promoted['id']}")
    assert decision_shown(page) == "Favorable" and "Confirmation candidature" in text(page)
    page = last["user"].get(f"/candidatures/{last['id']}")
    assert decision_shown(page) == "Liste complémentaire" and rank_shown(page) == 1  # entered 3
    staff_page = text(manager.get(f"/gestion/candidatures/{last['id']}"))
    assert "Rang réel sur la liste complémentaire : 1" in staff_page

    for person in admitted:
        mails_of(platform, person["email"], "APPLICATION_WITHDRAWN")
    for person in (promoted, second_promoted):
        mail = mails_of(platform, person["email"], "DECISION_FA")[0]
        assert "Une place s'est libérée" in mail["body"]
    alerts = mails_of(platform, COMMISSION_EMAIL, "COMMISSION_PROMOTED", count=2)
    assert {m["subject"] for m in alerts} == {
        f"Promotion depuis la liste complémentaire : Master Revue des commissions ({p['number']})"
        for p in (promoted, second_promoted)}
    mails_of(platform, COMMISSION_EMAIL, "COMMISSION_WITHDRAWN", count=2)

    # -- a promoted candidate confirms: the OPI code, for them and for staff ---------------
    confirmed = promoted["user"].post(f"/candidatures/{promoted['id']}/confirmer")
    assert "Vous avez confirmé" in text(confirmed)
    opi = re.search(r"Votre code d'inscription \(OPI\) : ([A-Z0-9-]+)", text(confirmed)).group(1)
    detail = text(manager.get(f"/gestion/candidatures/{promoted['id']}"))
    assert re.search(r'id="opi-code">Code OPI : <strong>([^<]+)</strong>', detail).group(1) == opi
    mails_of(platform, promoted["email"], "APPLICATION_CONFIRMED")

    # -- the list on screen and its CSV export: the same rows, the same decisions -----------
    view = {"formation": FORMATION, "sort": "candidate"}
    shown = screen_rows(manager.get("/gestion/", params=view))
    header, exported = export_rows(manager.get("/gestion/candidatures.csv", params=view))
    assert len(header) == len(COLUMNS)
    assert exported == [shown[i] for i in ids]  # sorted by name: Arnaud ... Fontaine
    at = {name: COLUMNS.index(name) for name in COLUMNS}
    assert [row[at["number"]] for row in exported] == [p["number"] for p in people]
    assert [row[at["decision"]] for row in exported] == ["Favorable"] * 4 + ["Liste complémentaire"]
    assert [bool(row[at["withdrawn"]]) for row in exported] == [True, True, False, False, False]
    assert [bool(row[at["confirmed"]]) for row in exported] == [False, False, True, False, False]
    assert [row[at["status"]] for row in exported] == ["Complet"] * 5
    # one decision as filter: the waiting list alone, on screen and in the file
    view = {"formation": FORMATION, "decision": "LC"}
    shown = screen_rows(manager.get("/gestion/", params=view))
    _, exported = export_rows(manager.get("/gestion/candidatures.csv", params=view))
    assert list(shown) == [last["id"]] and exported == list(shown.values())
