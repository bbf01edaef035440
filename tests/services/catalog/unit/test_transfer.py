"""Import and export of the catalogue: centres, commissions,
formations and pieces; every line checked first with its line number, nothing
changed on any error, the scope of every role."""
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import text

from services.catalog.models import Base, PieceDefinition
from services.catalog.service import CatalogService
from services.catalog.transfer import COLUMNS, KINDS
from services.common.actors import ANONYMOUS
from services.common.clock import FixedClock
from services.common.errors import Forbidden, ValidationFailed
from tests.support.actors import candidate, staff

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)
MB = 1024 * 1024


ADMIN, SCOL = staff("admin"), staff("scol")
MANAGER_SCI, MANAGER_LLSH = staff("manager", ["SCI"]), staff("manager", ["LLSH"])
COMMITTEE, READONLY = staff("committee", ["SCI"]), staff("readonly", ["LLSH"])
DATES = {"date_open": "2027-03-01", "date_close": "2027-04-30", "date_return": "2027-05-10",
         "date_jury": "2027-06-01", "date_publish": "2027-06-15", "date_confirm": "2027-06-30",
         "confirm_days": ""}
FORMATION = {"code": "LPHYS3", "label": "Licence Physique 3e année", "level": "L- LICENCE",
             "keywords": "", "url": "", "capacity": "40", "enabled": "1",
             "treatment_type": "AC", "commission": "SCI-INFO", **DATES}


def numbered(rows, first=2):
    """Rows as the gateway sends them: each with its line of the file."""
    return [{**row, "_line": first + n} for n, row in enumerate(rows)]


@pytest.fixture
def call(catalog_db, unit_of_work, snapshot):
    commits = []

    def run(method, *args, **kwargs):
        unit = unit_of_work(catalog_db, Base.metadata)
        commit = unit.commit
        unit.commit = lambda: (commits.append(method), commit())[1]
        worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOW))
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()

    def refused(error, expected, method, *args, **kwargs):
        before = snapshot()
        with pytest.raises(error) as info:
            run(method, *args, **kwargs)
        assert info.value.code == expected, info.value
        assert snapshot() == before
        return info.value
    run.refused, run.commits = refused, commits
    return run


@pytest.fixture
def catalogue(rows):
    class C:
        pass
    c = C()
    c.campaign = rows.campaign()
    c.sci = rows.centre("SCI", max_file_size=3 * MB, max_applications=4)
    c.llsh = rows.centre("LLSH", "UFR LLSH")
    c.info = rows.commission("SCI-INFO", c.sci, phone="+33 2 40 00 00 00")
    c.lea = rows.commission("LLSH-LEA", c.llsh, alerts={"transmitted": True},
                            signature_document_id="sig-1")
    c.minfo = rows.formation("MINFO1", "Master Informatique", c.info, c.campaign)
    c.mlea = rows.formation("MLEA1", "Master LEA", c.lea, c.campaign, enabled=False)
    rows.piece("CNI", 1, shared=True, label="Pièce d'identité")
    rows.piece("RELEVES", 2, owner=c.sci)
    rows._add(PieceDefinition(code="LM", label="Lettre de motivation", order=3,
                              scope="formation", formation_id=c.minfo.id,
                              template_document_id="tpl-1", template_filename="lm.pdf"))
    rows.piece("CERTLANG", 4, owner=c.mlea, conditional=True, treatment_type="AC")
    return c


def export(call, kind, actor=SCOL):
    return call("export_catalogue", actor, kind)


def by_code(data):
    return {row["code"]: row for row in data["rows"]}


# -- export, and an export imports back unchanged ---------------------------------------

def test_every_kind_exports_its_documented_columns(call, catalogue):
    centres = export(call, "centres")
    assert centres["columns"] == list(COLUMNS["centres"])
    sci = by_code(centres)["SCI"]
    assert (sci["max_file_size_mb"], sci["max_applications"], sci["online"]) == ("3", "4", "1")
    assert sci["address"] == "Scolarité SCI\n1 rue des Facultés\n44300 Nantes"
    assert by_code(export(call, "commissions"))["LLSH-LEA"]["centre"] == "LLSH"
    formations = by_code(export(call, "formations"))
    assert formations["MLEA1"]["enabled"] == "0" and formations["MINFO1"]["commission"] == "SCI-INFO"
    assert formations["MINFO1"]["date_open"].count("-") == 2
    pieces = {(r["scope"], r["owner"], r["code"]): r for r in export(call, "pieces")["rows"]}
    assert set(pieces) == {("institution", "", "CNI"), ("centre", "SCI", "RELEVES"),
                           ("formation", "MINFO1", "LM"), ("formation", "MLEA1", "CERTLANG")}
    assert pieces[("formation", "MLEA1", "CERTLANG")]["conditional"] == "1"
    assert "template_document_id" not in pieces[("formation", "MINFO1", "LM")]
    assert call("catalogue_columns", ANONYMOUS)["pieces"]["required"] == ["code", "label", "scope"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_exported_file_imports_back_unchanged(call, catalogue, snapshot, kind):
    rows = numbered(export(call, kind)["rows"])
    before = snapshot()
    done = call("import_catalogue", SCOL, kind, rows)
    assert (done["created"], done["updated"], done["unchanged"]) == (0, 0, len(rows))
    assert snapshot() == before


def test_readers_export_their_centres_only(call, catalogue):
    assert list(by_code(export(call, "formations", READONLY))) == ["MLEA1"]
    assert list(by_code(export(call, "centres", READONLY))) == ["LLSH"]
    assert list(by_code(export(call, "commissions", MANAGER_SCI))) == ["SCI-INFO"]
    pieces = {r["code"] for r in export(call, "pieces", MANAGER_LLSH)["rows"]}
    assert pieces == {"CNI", "CERTLANG"}  # the institution's and their formation's
    with pytest.raises(Forbidden):
        call("export_catalogue", candidate(3), "formations")
    call.refused(ValidationFailed, "invalid", "export_catalogue", SCOL, "motives")


# -- a few hundred lines ---------------------------------------------------------------

def test_five_hundred_formations_are_checked_then_written_in_one_commit(call, catalogue,
                                                                        snapshot):
    rows = numbered([{**FORMATION, "code": f"F{n:03d}", "label": f"Formation {n}",
                      "commission": ("SCI-INFO", "LLSH-LEA")[n % 2]} for n in range(500)])
    rows.append({**by_code(export(call, "formations"))["MINFO1"],
                 "label": "Master Informatique (nouveau libellé)", "_line": 502})
    before = snapshot()
    checked = call("import_catalogue", SCOL, "formations", rows, dry_run=True)
    assert (checked["created"], checked["updated"], checked["dry_run"]) == (500, 1, True)
    assert {"line": 502, "action": "updated", "code": "MINFO1"} in checked["changes"]
    assert snapshot() == before and call.commits == []
    done = call("import_catalogue", SCOL, "formations", rows)
    assert (done["created"], done["updated"], done["unchanged"]) == (500, 1, 0)
    assert call.commits == ["import_catalogue"]  # one transaction, not one per line
    assert call("get_formation", ANONYMOUS, "MINFO1")["label"] == "Master Informatique (nouveau libellé)"
    assert call("get_formation", ANONYMOUS, "F001")["centre"]["code"] == "LLSH"
    assert len(export(call, "formations")["rows"]) == 502
    events = snapshot()["outbox_events"]
    assert sum(1 for e in events if "formation_updated" in e) == 501
    told = [p for e in events if "formation_updated" in e for p in e if isinstance(p, dict)]
    assert len(told) == 501 and all(p["campaign"] == "2027" and "date_return" in p["dates"]
                                     for p in told)


# -- errors: every line, with its number; nothing changes -----------------------------

def test_a_formation_file_with_bad_lines_names_every_line_and_changes_nothing(call, catalogue):
    # line 4 of the file was blank: the reader skipped it, the numbers stay the file's
    rows = [{**FORMATION, "code": "OK1", "_line": 2},
            {**FORMATION, "code": "BAD2", "date_jury": "2027-05-01", "_line": 3},
            {**FORMATION, "code": "BAD3", "commission": "NOPE", "_line": 5},
            {**FORMATION, "code": "ok1", "_line": 6},
            {**FORMATION, "code": "BAD5", "enabled": "peut-être", "capacity": "-3",
             "_line": 7},
            {**FORMATION, "code": "BAD6", "treatment_type": "ZZ", "date_confirm": "",
             "confirm_days": "", "_line": 8}]
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "formations",
                         rows, dry_run=True)
    assert error.fields == {"3.date_jury": "date_order", "5.commission": "unknown_commission",
                            "6.code": "duplicate_line", "7.enabled": "invalid_flag",
                            "7.capacity": "invalid",
                            "8.treatment_type": "invalid_choice",
                            "8.date_confirm": "confirm_rule_required"}
    call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "formations", rows)
    assert call.commits == []


def test_centre_commission_and_piece_lines_use_the_single_save_rules(call, catalogue):
    centres = numbered([
        {"code": "DROIT", "label": "Faculté de droit", "max_file_size_mb": "12"},
        {"code": "ECO", "label": "", "email": "pas-un-mail", "max_file_size_mb": "deux"},
        {"code": "MED", "label": "Médecine", "default_date_open": "2027-05-01",
         "default_date_close": "2027-04-01"}])
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", ADMIN, "centres",
                         centres)
    assert error.fields == {"2.max_file_size_mb": "too_large", "3.label": "required",
                            "3.email": "invalid", "3.max_file_size_mb": "invalid",
                            "4.default_date_close": "date_order"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "commissions",
                         numbered([{"code": "X-1", "label": "X", "centre": "NOPE"}]))
    assert error.fields == {"2.centre": "centre_not_found"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "commissions",
                         numbered([{"code": "SCI-INFO", "label": "Informatique", "centre": "LLSH"}]))
    assert error.fields == {"2.centre": "commission_has_formations"}
    pieces = numbered([
        {"code": "P1", "label": "Un", "scope": "centre", "owner": "NOPE"},
        {"code": "P2", "label": "Deux", "scope": "partout"},
        {"code": "P3", "label": "Trois", "scope": "institution", "treatment_type": "XX",
         "order": "premier"}])
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "pieces", pieces)
    assert error.fields == {"2.owner": "invalid_choice", "3.scope": "invalid_choice",
                            "4.treatment_type": "invalid_choice", "4.order": "invalid"}


def test_a_wrong_header_is_an_error_of_line_one(call, catalogue):
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "formations",
                         numbered([{"code": "A", "label": "A", "libellé": "x", "level": "M"}]))
    assert error.fields == {"1.libellé": "unknown_column", "1.treatment_type": "missing_column",
                            "1.commission": "missing_column"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "centres",
                         [{"code": "", "label": ""}])
    assert error.fields == {"file": "empty_file"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "centres",
                         [{"code": f"C{n}", "label": "C"} for n in range(5001)])
    assert error.fields == {"file": "too_many_lines"}


# -- updates keep what the file does not say ---------------------------------------------

def test_an_update_keeps_the_columns_the_file_leaves_out(call, catalogue):
    done = call("import_catalogue", SCOL, "formations", numbered([
        {"code": "MLEA1", "label": "Master LEA (parcours Asie)", "level": "M- MASTER",
         "treatment_type": "AD", "commission": "LLSH-LEA", "enabled": ""}]))
    assert (done["updated"], done["created"]) == (1, 0)
    mlea = by_code(export(call, "formations"))["MLEA1"]
    before = by_code(export(call, "formations"))["MINFO1"]
    assert (mlea["label"], mlea["treatment_type"], mlea["enabled"]) == (
        "Master LEA (parcours Asie)", "AD", "0")  # an empty yes/no cell keeps the value
    assert mlea["date_open"] == before["date_open"]
    call("import_catalogue", ADMIN, "centres", numbered([
        {"code": "LLSH", "label": "UFR LLSH", "max_file_size_mb": "2,5"}]))
    llsh = by_code(export(call, "centres"))["LLSH"]
    assert llsh["max_file_size_mb"] == "2.5" and llsh["address"].startswith("Scolarité LLSH")
    call("import_catalogue", SCOL, "commissions", numbered([
        {"code": "LLSH-LEA", "label": "Jury LEA", "centre": "LLSH", "phone": "02 40 11 22 33"}]))
    lea = next(c for c in call("list_commissions", SCOL) if c["code"] == "LLSH-LEA")
    assert (lea["label"], lea["phone"], lea["signature_document_id"]) == (
        "Jury LEA", "02 40 11 22 33", "sig-1")
    assert lea["alerts"]["transmitted"] is True


def test_pieces_are_matched_by_scope_owner_and_code_and_keep_their_template(call, catalogue):
    done = call("import_catalogue", SCOL, "pieces", numbered([
        {"code": "LM", "label": "Lettre de motivation (2 pages)", "scope": "formation",
         "owner": "minfo1"},
        {"code": "LM", "label": "Lettre de motivation", "scope": "formation", "owner": "MLEA1",
         "shared": "non"},
        {"code": "RELEVES", "label": "Relevés", "scope": "centre", "owner": "LLSH",
         "order": "2", "treatment_type": "AC"}]))
    assert (done["created"], done["updated"]) == (2, 1)
    pieces = {(p["scope"], p["owner"], p["code"]): p for p in call("list_pieces", SCOL)}
    kept = pieces[("formation", "MINFO1", "LM")]
    assert kept["label"] == "Lettre de motivation (2 pages)"
    assert (kept["template_filename"], kept["order"]) == ("lm.pdf", 3)
    assert pieces[("formation", "MLEA1", "LM")]["template_filename"] is None
    assert pieces[("centre", "LLSH", "RELEVES")]["treatment_type"] == "AC"
    assert pieces[("centre", "SCI", "RELEVES")]["label"] == "Pièce RELEVES"


# -- roles and scopes -----------------------------------------------------------------

def test_a_manager_imports_only_into_their_centres(call, catalogue):
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", MANAGER_LLSH,
                         "formations", numbered([{**FORMATION, "code": "LLEA3", "commission": "LLSH-LEA"},
                                                 FORMATION]))
    assert error.fields == {"3.commission": "not_in_your_centres"}
    moved = {**by_code(export(call, "formations"))["MINFO1"], "commission": "LLSH-LEA"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", MANAGER_LLSH,
                         "formations", numbered([moved]))  # not theirs to take
    assert error.fields == {"2.commission": "not_in_your_centres"}
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", MANAGER_LLSH,
                         "commissions", numbered([{"code": "SCI-INFO", "label": "Info",
                                                   "centre": "SCI"}]))
    assert error.fields == {"2.centre": "not_in_your_centres"}
    assert call("import_catalogue", MANAGER_LLSH, "formations",
                numbered([{**FORMATION, "commission": "LLSH-LEA"}]))["created"] == 1


def test_a_manager_reimports_pieces_with_the_institution_ones_left_as_they_are(call,
                                                                               catalogue):
    rows = numbered(export(call, "pieces", MANAGER_LLSH)["rows"])
    assert call("import_catalogue", MANAGER_LLSH, "pieces", rows)["unchanged"] == 2
    changed = [{**row, "label": row["label"] + " !"} for row in rows]
    cni = next(r["_line"] for r in changed if r["code"] == "CNI")
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", MANAGER_LLSH,
                         "pieces", changed)
    assert error.fields == {f"{cni}.scope": "forbidden"}  # the institution's: admin, scol


def test_a_manager_changes_their_own_centre_but_creates_none(call, catalogue):
    mine = by_code(export(call, "centres", MANAGER_SCI))
    assert list(mine) == ["SCI"]
    done = call("import_catalogue", MANAGER_SCI, "centres",
                numbered([{**mine["SCI"], "max_file_size_mb": "5"}]))
    assert done["updated"] == 1
    assert by_code(export(call, "centres"))["SCI"]["max_file_size_mb"] == "5"
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", MANAGER_SCI, "centres",
                         numbered([{"code": "LLSH", "label": "UFR LLSH (par SCI)"},
                                   {"code": "DROIT", "label": "Faculté de droit"}]))
    assert error.fields == {"2.code": "not_in_your_centres", "3.code": "forbidden"}


@pytest.mark.parametrize("actor, kind", [(COMMITTEE, "centres"), (COMMITTEE, "formations"),
                                         (READONLY, "formations"), (READONLY, "pieces"),
                                         (candidate(3), "formations")])
def test_who_may_not_import_gets_forbidden_and_nothing_changes(call, catalogue, actor, kind):
    with pytest.raises(Forbidden):
        call("import_catalogue", actor, kind, numbered(export(call, kind)["rows"]))


def test_no_line_is_written_when_the_active_campaign_is_missing(call, catalogue, catalog_db):
    with catalog_db.begin() as conn:
        conn.execute(text("UPDATE campaigns SET active = false"))
    call.refused(Exception, "no_active_campaign", "import_catalogue", SCOL, "formations",
                 numbered([FORMATION]))
