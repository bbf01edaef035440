"""Catalogue import over HTTP with every service running: a
university loads a few hundred formations from an XLSX through the import
page; a file with errors on some lines is refused, every line named, and
nothing changes; a manager cannot import into another centre."""
import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from tests.support.e2e import staff_login, text


pytestmark = pytest.mark.e2e
PAGE = "/gestion/catalogue/import-export"
COUNT = 300


def xlsx(columns, rows, blank_before=()):
    """A workbook as a spreadsheet user makes it; a blank row before the given
    indexes of rows (the line numbers of the rows after it move down)."""
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for index, row in enumerate(rows):
        if index in blank_before:
            sheet.append([None] * len(columns))
        sheet.append([row.get(c, "") for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def exported(user, kind="formations"):
    answer = user.get(f"{PAGE}/{kind}.xlsx")
    assert answer.status_code == 200
    lines = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    columns = list(lines[0])
    return columns, [{c: ("" if v is None else str(v)) for c, v in zip(columns, line)}
                     for line in lines[1:]]


def upload(user, kind, content, dry_run):
    data = {"dry_run": "1"} if dry_run else {}
    return user.post(f"{PAGE}/{kind}", data, files={
        "file": (f"{kind}.xlsx", content,
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})


def error_lines(page):
    return sorted({int(n) for n in re.findall(r"<tr><td>(\d+)</td>", page)})


def test_a_university_loads_its_formations_and_a_wrong_file_changes_nothing(browser):
    admin = staff_login(browser, "admin")
    page = text(admin.get(PAGE))
    assert "Import et export du catalogue" in page and "max_file_size_mb" in page
    columns, current = exported(admin)
    model = next(row for row in current if row["code"] == "MINFO1")  # dates, level as seeded
    rows = [{**model, "code": f"E2E{n:03d}", "label": f"Formation importée {n}",
             "commission": ("SCI-INFO", "LLSH-LEA")[n % 2], "url": ""}
            for n in range(1, COUNT + 1)]
    content = xlsx(columns, rows)

    checked = text(upload(admin, "formations", content, dry_run=True))
    assert f"{COUNT} ligne(s) à créer" in checked and "rien n'a été enregistré" in checked
    assert "E2E001" not in text(admin.get("/gestion/catalogue/formations"))

    done = upload(admin, "formations", content, dry_run=False)
    assert done.status_code == 200
    assert f"Import terminé : {COUNT} ligne(s) créée(s), 0 modifiée(s)" in text(done)
    listing = text(admin.get("/gestion/catalogue/formations"))
    assert "E2E001" in listing and f"E2E{COUNT:03d}" in listing
    _, after = exported(admin)
    assert len(after) == len(current) + COUNT

    # the same file with new labels, and mistakes on a few lines; a blank row too
    wrong = [{**row, "label": row["label"] + " (révisé)"} for row in rows]
    wrong[4]["date_jury"] = "2000-01-01"          # before the return deadline
    wrong[99]["commission"] = "NOPE"              # no such commission
    wrong[200]["enabled"] = "peut-être"           # not a yes/no
    wrong.append(dict(wrong[0]))                  # the same code twice
    refused = upload(admin, "formations", xlsx(columns, wrong, blank_before={50}),
                     dry_run=False)
    page = text(refused)
    assert refused.status_code == 422
    assert "Import refusé, rien n'a changé : 4 erreur(s)." in page
    # header = 1, rows from 2; the blank row before index 50 moves later rows one down
    assert error_lines(page) == [6, 102, 203, COUNT + 3]
    for message in ("Commission inconnue", "1 ou 0", "déjà plus haut"):
        assert message in page, message
    _, unchanged = exported(admin)
    assert not any(row["label"].endswith("(révisé)") for row in unchanged)
    assert sorted(unchanged, key=lambda r: r["code"]) == sorted(after, key=lambda r: r["code"])

    # an unreadable file and a wrong header: a clear message, nothing else
    assert "CSV ou un XLSX" in text(admin.post(f"{PAGE}/formations", {}, files={
        "file": ("formations.pdf", b"%PDF-1.4", "application/pdf")}))
    header = text(upload(admin, "formations", xlsx(["code", "libellé"], [{"code": "X"}]),
                         dry_run=True))
    assert "Colonne inconnue" in header and "Colonne obligatoire absente" in header


def test_a_manager_imports_only_their_centres_lines(browser):
    manager = staff_login(browser, "gestion.llsh")
    columns, mine = exported(manager)
    assert mine and all(row["code"] not in ("MINFO1", "LINFO3") for row in mine)
    admin = staff_login(browser, "admin")
    _, every = exported(admin)
    sci = next(row for row in every if row["code"] == "MINFO1")
    lines = [{**mine[0], "label": mine[0]["label"] + " (2e version)"},
             {**sci, "code": "MSCI-LLSH", "label": "Glissée dans SCI"}]
    refused = upload(manager, "formations", xlsx(columns, lines), dry_run=False)
    assert refused.status_code == 422
    assert "hors de vos centres" in text(refused) and error_lines(text(refused)) == [3]
    _, still = exported(manager)
    assert still == mine
