"""The catalogue import and export page (/gestion/catalogue/import-export),
with the catalog service faked: the files read and written, the line numbers
sent, every error shown, formulas neutralised."""
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from gateway.tabular import UnreadableFile, read, write
from services.accounts.staff.capabilities import capabilities
from services.catalog import transfer
from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.support.actors import staff
from tests.support.gateway import FR, TOK, as_staff, fake, login_candidate, page_text, words_in

PAGE = "/gestion/catalogue/import-export"
COLUMNS = {kind: transfer.columns_of(kind) for kind in transfer.KINDS}
DONE = {"kind": "formations", "lines": 3, "created": 2, "updated": 1, "unchanged": 0,
        "dry_run": True, "changes": [{"line": 2, "action": "created", "code": "F001"},
                                     {"line": 3, "action": "created", "code": "F002"},
                                     {"line": 5, "action": "updated", "code": "MINFO1"}]}
TRICKY = [{"code": "SCI", "label": "=HYPERLINK(\"http://evil.example\",\"clic\")",
           "address": "Scolarité\n1 rue des Facultés", "email": "@SUM(A1:A2)",
           "phone": "+33 2 40 00 00 00", "signatory": "-2+3", "centre": "SCI"}]


def service(app, **answers):
    return fake(app, catalog={"catalogue_columns": COLUMNS, "import_catalogue": DONE,
                              "export_catalogue": {"kind": "commissions",
                                                   "columns": COLUMNS["commissions"]["columns"],
                                                   "rows": TRICKY}, **answers})


def post_file(client, kind, name, data, dry_run=True):
    form = {"csrf_token": TOK, "file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "1"
    return client.post(f"{PAGE}/{kind}", data=form, content_type="multipart/form-data")


def imports_sent(remote):
    return [args for method, args in remote.catalog.calls if method == "import_catalogue"]


# -- the page ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_documents_every_column_of_every_kind(app, lang):
    words = words_in(lang)
    service(app)
    client = app.test_client()
    as_staff(client, "scol")
    with client.session_transaction() as session:
        session["lang"] = lang
    page = page_text(client.get(PAGE))
    for kind, described in COLUMNS.items():
        assert f"{PAGE}/{kind}.csv" in page and f"{PAGE}/{kind}.xlsx" in page
        for column in described["columns"]:
            assert f"<code>{column}</code>" in page, column
            assert words[f"transfer_col.{kind}.{column}"] in page, (kind, column)
    assert page.count('name="dry_run"') == 4  # one import form per kind, "check only" offered


def test_each_role_sees_the_imports_it_may_make_and_every_staff_the_exports(app):
    service(app)
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    page = page_text(client.get(PAGE))
    assert page.count('type="file"') == 4  # their centre, commissions, formations, pieces
    as_staff(client, "committee")
    assert 'type="file"' not in page_text(client.get(PAGE))
    as_staff(client, "readonly", ["SCI"])
    page = page_text(client.get(PAGE))
    assert 'type="file"' not in page and f"{PAGE}/pieces.xlsx" in page
    assert "Import / export" in page_text(client.get(PAGE))  # the staff navigation link
    login_candidate(client)
    assert client.get(PAGE).status_code == 403
    assert app.test_client().get(PAGE).status_code == 302  # to the staff login


def test_the_formations_page_links_to_the_import_export_page(app):
    fake(app, catalog={"list_formations": [], "list_centres": [], "list_commissions": []})
    client = app.test_client()
    as_staff(client, "scol")
    assert f'href="{PAGE}"' in page_text(client.get("/gestion/catalogue/formations"))


# -- export -------------------------------------------------------------------------------

def test_a_csv_export_neutralises_formulas_and_reads_back_the_same(app):
    remote = service(app)
    client = app.test_client()
    as_staff(client, "readonly", ["SCI"])
    answer = client.get(f"{PAGE}/commissions.csv")
    assert answer.status_code == 200
    assert 'filename="commissions.csv"' in answer.headers["Content-Disposition"]
    assert remote.catalog.calls[-1] == ("export_catalogue", (
        staff("readonly", ["SCI"], id=3, **capabilities("readonly")), "commissions"))
    body = answer.data.decode("utf-8-sig")
    for cell in ('"\'=HYPERLINK(', ";'@SUM(A1:A2);", ";'+33 2 40 00 00 00;", ";'-2+3"):
        assert cell in body, cell
    assert [{k: v for k, v in row.items() if k != "_line"} for row in
            read("commissions.csv", answer.data)] == [{c: TRICKY[0].get(c, "") for c in
                                                       COLUMNS["commissions"]["columns"]}]


def test_an_xlsx_export_writes_text_never_formulas_and_reads_back_the_same(app):
    service(app)
    client = app.test_client()
    as_staff(client, "scol")
    answer = client.get(f"{PAGE}/commissions.xlsx")
    sheet = load_workbook(io.BytesIO(answer.data)).active  # formulas as they are stored
    label = sheet["B2"]
    assert (label.value, label.data_type) == (TRICKY[0]["label"], "s")
    xml = zipfile.ZipFile(io.BytesIO(answer.data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    row = read("commissions.xlsx", answer.data)[0]
    assert row["label"] == TRICKY[0]["label"] and row["address"] == TRICKY[0]["address"]
    assert row["_line"] == 2
    assert client.get(f"{PAGE}/commissions.pdf").status_code == 404
    assert client.get(f"{PAGE}/motives.csv").status_code == 404


def test_a_refused_export_is_a_403(app):
    service(app, export_catalogue=Forbidden("forbidden", "x"))
    client = app.test_client()
    as_staff(client, "committee")
    assert client.get(f"{PAGE}/formations.csv").status_code == 403


# -- import -----------------------------------------------------------------------------

def test_a_csv_import_sends_each_row_with_its_real_line_number(app):
    remote = service(app)
    client = app.test_client()
    as_staff(client, "scol")
    data = ('Code;Label;Address\r\nA1;Un;"deux\r\nlignes"\r\n\r\n;;\r\nA2;Deux;\r\n'
            "A3;Trois;ici\r\n").encode()
    answer = post_file(client, "centres", "centres.csv", data)
    assert answer.status_code == 200
    (_, kind, rows, dry_run), = imports_sent(remote)
    assert (kind, dry_run) == ("centres", True)
    assert [(r["code"], r["_line"]) for r in rows] == [("A1", 2), ("A2", 5), ("A3", 6)]
    assert rows[0]["address"] == "deux\nlignes"  # one line of the sheet, one line break
    post_file(client, "centres", "centres.csv", data, dry_run=False)
    assert imports_sent(remote)[-1][3] is False


def test_an_xlsx_import_skips_blank_rows_without_shifting_the_numbers(app):
    remote = service(app)
    client = app.test_client()
    as_staff(client, "scol")
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "label", "capacity", "date_open"])
    sheet.append(["F001", "Un", 30, None])
    sheet.append([None, None, None, None])
    sheet.append(["F002", "Deux", 12.0, __import__("datetime").date(2027, 3, 1)])
    out = io.BytesIO()
    book.save(out)
    post_file(client, "formations", "formations.xlsx", out.getvalue())
    (_, _, rows, _), = imports_sent(remote)
    assert rows == [{"code": "F001", "label": "Un", "capacity": "30", "date_open": "", "_line": 2},
                    {"code": "F002", "label": "Deux", "capacity": "12",
                     "date_open": "2027-03-01", "_line": 4}]


def test_a_refused_import_lists_every_line_in_order_and_says_nothing_changed(app):
    service(app, import_catalogue=ValidationFailed("invalid", "x", {
        "12.date_jury": "date_order", "3.commission": "unknown_commission",
        "3.enabled": "invalid_flag", "40.commission": "not_in_your_centres"}))
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    answer = post_file(client, "formations", "formations.csv", b"code;label\nA;B\n")
    page = page_text(answer)
    assert answer.status_code == 422
    assert "Import refusé, rien n'a changé : 4 erreur(s)." in page
    lines = [int(n) for n in __import__("re").findall(r"<tr><td>(\d+)</td>", page)]
    assert lines == [3, 3, 12, 40]
    for message in ("Commission inconnue", FR["err.invalid_flag"], FR["err.not_in_your_centres"],
                    FR["err.date_order"]):
        assert message in page, message
    service(app, import_catalogue=ValidationFailed("invalid", "x", {
        "1.libelle": "unknown_column", "1.commission": "missing_column"}))
    page = page_text(post_file(client, "formations", "f.csv", b"code;libelle\nA;B\n"))
    assert "<td>1</td><td>libelle</td><td>Colonne inconnue" in page
    assert "<td>1</td><td>commission</td><td>Colonne obligatoire absente" in page
    service(app, import_catalogue=ValidationFailed("invalid", "x", {"file": "empty_file"}))
    assert FR["err.empty_file"] in page_text(post_file(client, "formations", "f.csv", b"code\n"))
    service(app, import_catalogue=NotFound("no_active_campaign", "x"))
    closed = post_file(client, "formations", "f.csv", b"code\nA\n")
    assert closed.status_code == 409 and FR["err.no_active_campaign"] in page_text(closed)


@pytest.mark.parametrize("name, data, message", [
    ("formations.pdf", b"%PDF-1.4", "catalogue.unreadable.format"),
    ("formations.csv", "code;label\nA;Côte\n".encode("latin-1"), "catalogue.unreadable.encoding"),
    ("formations.xlsx", b"PK\x03\x04 not really a workbook", "catalogue.unreadable.format"),
    ("formations.csv", b"\n\n", "catalogue.unreadable.empty"),
    ("formations.csv", b"code;label;code\nA;B;C\n", "catalogue.unreadable.duplicate_column"),
    ("formations.csv", b"", "Choisissez un fichier."),
])
def test_an_unreadable_file_gets_a_clear_message_and_reaches_no_service(app, name, data,
                                                                        message):
    remote = service(app)
    client = app.test_client()
    as_staff(client, "scol")
    answer = post_file(client, "formations", name if data else "", data)
    assert answer.status_code == 422
    assert FR.get(message, message) in page_text(answer)
    assert imports_sent(remote) == []


def test_a_successful_import_reports_what_was_or_would_be_done(app):
    service(app)
    client = app.test_client()
    as_staff(client, "scol")
    page = page_text(post_file(client, "formations", "f.csv", b"code;label\nA;B\n"))
    assert "Fichier vérifié, rien n'a été enregistré : 2 ligne(s) à créer, 1 à modifier" in page
    assert "<td>5</td><td>MINFO1</td><td>modification</td>" in page
    service(app, import_catalogue={**DONE, "dry_run": False})
    page = page_text(post_file(client, "formations", "f.csv", b"code;label\nA;B\n", False))
    assert "Import terminé : 2 ligne(s) créée(s), 1 modifiée(s), 0 inchangée(s)." in page
    assert client.post(f"{PAGE}/motives", data={"csrf_token": TOK}).status_code == 404


def test_the_reader_refuses_too_many_rows():
    body = "code\n" + "".join(f"C{n}\n" for n in range(5001))
    with pytest.raises(UnreadableFile) as info:
        read("big.csv", body.encode())
    assert str(info.value) == "too_many_rows"
    content, kind = write(["code"], [{"code": "A"}], "csv")
    assert kind.startswith("text/csv") and content.startswith("\ufeff".encode())
