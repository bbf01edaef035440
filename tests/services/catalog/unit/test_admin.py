"""Catalogue administration: campaigns, centres, formations and their
dates, bulk edits, with every role's scope."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.catalog.world import ADMIN, COMMITTEE, MANAGER_LLSH, MANAGER_SCI, READONLY, SCOL
from tests.support.actors import candidate

CAMPAIGN = {"code": "2028", "label": "Campagne 2028", "start": "2027-10-01", "end": "2028-09-30",
            "login_until": "2028-10-31"}
DATES = {"date_open": "2027-03-01", "date_close": "2027-04-30", "date_return": "2027-05-10",
         "date_jury": "2027-06-01", "date_publish": "2027-06-15", "date_confirm": "2027-06-30"}
FORMATION = {"code": "LPHYS3", "label": "Licence Physique 3e année", "level": "L- LICENCE",
             "treatment_type": "AC", "commission": "SCI-INFO", "capacity": "40", **DATES}


# -- campaigns ---------------------------------------------------------------------

def test_exactly_one_campaign_is_active(call, catalogue):
    call("save_campaign", ADMIN, CAMPAIGN)
    call("activate_campaign", ADMIN, "2028")
    active = [c["code"] for c in call("list_campaigns", ADMIN) if c["active"]]
    assert active == ["2028"]
    assert call("get_active_campaign", ANONYMOUS)["code"] == "2028"


def test_archiving_the_active_campaign_activates_the_next_and_tells(call, catalogue, catalog_db):
    call("save_campaign", ADMIN, CAMPAIGN)
    archived = call("archive_campaign", ADMIN, "2027")
    assert archived["archived_at"] == "2027-03-10" and not archived["active"]
    assert call("get_active_campaign", ANONYMOUS)["code"] == "2028"
    with catalog_db.connect() as conn:
        events = [row[0] for row in conn.exec_driver_sql(
            "SELECT payload FROM outbox_events ORDER BY created_at")]
    archived_event = next(e for e in events if e["event_type"] == "campaign_archived")
    assert (archived_event["code"], archived_event["next_active"]) == ("2027", "2028")
    call.refused(Conflict, "campaign_archived", "activate_campaign", ADMIN, "2027")
    call.refused(Conflict, "campaign_archived", "save_campaign", ADMIN, CAMPAIGN, code="2027")


def test_campaign_dates_and_codes_are_checked(call, catalogue):
    call.refused(ValidationFailed, "invalid", "save_campaign", ADMIN,
                 {**CAMPAIGN, "end": "2027-01-01"}, fields={"end": "date_order"})
    call.refused(ValidationFailed, "invalid", "save_campaign", ADMIN, {**CAMPAIGN, "code": "2027"},
                 fields={"code": "code_taken"})
    call.refused(ValidationFailed, "invalid", "save_campaign", ADMIN, {},
                 fields={f: "required" for f in ("code", "label", "start", "end", "login_until")})


# -- centres -------------------------------------------------------------------------

def test_centre_limits_and_default_dates(call, catalogue):
    saved = call("save_centre", SCOL, {"code": "DROIT", "label": "Faculté de droit",
                                       "email": "droit@univ-demo.fr", "max_applications": "3",
                                       "max_file_size": str(5 * 1024 * 1024), "online": "0",
                                       "default_date_open": "2027-03-01",
                                       "default_date_close": "2027-04-01"})
    assert (saved["max_applications"], saved["max_file_size"], saved["online"]) == \
        (3, 5 * 1024 * 1024, False)
    call.refused(ValidationFailed, "invalid", "save_centre", SCOL,
                 {"code": "X", "label": "X", "max_file_size": str(11 * 1024 * 1024)},
                 fields={"max_file_size": "too_large"})
    call.refused(ValidationFailed, "invalid", "save_centre", SCOL,
                 {"code": "X", "label": "X", "default_date_open": "2027-05-01",
                  "default_date_close": "2027-04-01"}, fields={"default_date_close": "date_order"})
    assert call("get_centre", SCOL, "DROIT")["default_date_close"] == "2027-04-01"


@pytest.mark.parametrize("typed, expected", [("1,5", 1572864), ("2", 2 * 1024 * 1024),
                                             ("", 2 * 1024 * 1024)])
def test_a_centre_size_typed_in_megabytes(call, catalogue, typed, expected):
    """As the page and the import files give it; the centre keeps bytes."""
    saved = call("save_centre", SCOL, {"code": "DROIT", "label": "Droit", "max_file_size_mb": typed})
    assert saved["max_file_size"] == expected


@pytest.mark.parametrize("typed, problem", [("deux", "invalid"), ("1e400", "invalid"),
                                            ("nan", "invalid"), ("-1", "invalid"),
                                            ("12", "too_large")])
def test_a_size_that_is_no_size_is_refused_by_its_name(call, catalogue, typed, problem):
    call.refused(ValidationFailed, "invalid", "save_centre", SCOL,
                 {"code": "DROIT", "label": "Droit", "max_file_size_mb": typed},
                 fields={"max_file_size_mb": problem})


# -- formations -------------------------------------------------------------------------

def test_a_formation_is_created_with_its_dates_in_order(call, catalogue):
    created = call("save_formation", MANAGER_SCI, FORMATION)
    assert created["centre"] == "SCI" and created["dates"]["date_close"] == "2027-04-30"
    assert call("get_formation", ANONYMOUS, "LPHYS3")["capacity"] == 40
    call.refused(ValidationFailed, "invalid", "save_formation", MANAGER_SCI,
                 {**FORMATION, "code": "LCHIM3", "date_jury": "2027-05-01"},
                 fields={"date_jury": "date_order"})
    call.refused(ValidationFailed, "invalid", "save_formation", MANAGER_SCI,
                 {**FORMATION, "code": "LCHIM3", "confirm_days": "10"},
                 fields={"confirm_days": "confirm_rule_conflict"})
    call.refused(ValidationFailed, "invalid", "save_formation", MANAGER_SCI,
                 {**FORMATION, "commission": "NOPE"}, fields={"commission": "unknown_commission"})


def test_missing_dates_come_from_the_centre_defaults(call, catalogue):
    call("save_centre", SCOL, {"code": "SCI", "label": "UFR Sciences", **{
        f"default_{k}": v for k, v in DATES.items()}}, code="SCI")
    created = call("save_formation", SCOL, {k: v for k, v in FORMATION.items() if k not in DATES})
    assert created["dates"]["date_publish"] == DATES["date_publish"]


def test_bulk_dates_and_enabled_flag_are_all_or_nothing(call, catalogue, rows):
    call("save_formation", SCOL, FORMATION)
    done = call("bulk_update_formations", SCOL, ["MINFO1", "lphys3"],
                {"date_close": "2027-04-20", "enabled": "0"})
    assert done == {"updated": 2}
    listed = {f["code"]: f for f in call("list_formations", SCOL)}
    assert listed["MINFO1"]["dates"]["date_close"] == "2027-04-20"
    assert not listed["LPHYS3"]["enabled"]
    error = call.refused(ValidationFailed, "invalid", "bulk_update_formations", SCOL,
                         ["MINFO1", "LPHYS3"], {"date_close": "2027-05-20"})
    assert set(error.fields) == {"LPHYS3.date_return"}  # after its return deadline: refused
    assert call("get_formation", ANONYMOUS, "MINFO1")["dates"]["date_close"] == "2027-04-20"  # unchanged
    call.refused(NotFound, "formation_not_found", "bulk_update_formations", SCOL, ["NOPE"],
                 {"enabled": "1"})


def test_a_formation_change_tells_its_new_dates(call, catalogue, catalog_db):
    """Applications keep a copy of the dates: the event carries them."""
    from sqlalchemy import text
    call("save_formation", SCOL, FORMATION)
    call("bulk_update_formations", SCOL, ["LPHYS3"], {"date_return": "2027-05-20"})
    with catalog_db.connect() as conn:
        events = [row[0] for row in conn.execute(text(
            "SELECT payload FROM outbox_events WHERE event_type = 'formation_updated' "
            "ORDER BY created_at"))]
    assert [(e["code"], e["campaign"], e["dates"]["date_return"]) for e in events] == [
        ("LPHYS3", "2027", "2027-05-10"), ("LPHYS3", "2027", "2027-05-20")]
    assert {k: v for k, v in events[1]["dates"].items() if k != "date_return"} == {
        **{k: v for k, v in DATES.items() if k != "date_return"}, "confirm_days": None}


# -- roles x RPCs ------------------------------------------------------------------

WRITES = [
    ("save_campaign", (CAMPAIGN,), {"admin"}),
    ("activate_campaign", ("2027",), {"admin"}),
    ("archive_campaign", ("2027",), {"admin"}),
    ("save_centre", ({"code": "NEW", "label": "Nouveau"},), {"admin", "scol"}),
    ("save_formation", (FORMATION,), {"admin", "scol", "manager_sci"}),
    ("save_formation", ({**FORMATION, "code": "MLEA1", "commission": "LLSH-LEA"},),
     {"admin", "scol", "manager_llsh"}),
    ("bulk_update_formations", (["MLEA1"], {"enabled": "0"}), {"admin", "scol", "manager_llsh"}),
    ("save_centre", ({"code": "SCI", "label": "UFR Sciences"}, "SCI"),
     {"admin", "scol", "manager_sci"}),
    ("assign_piece", ({"code": "CV", "label": "CV"}, ["MLEA1"]), {"admin", "scol", "manager_llsh"}),
    ("delete_formation", ("MLEA1",), {"admin", "scol", "manager_llsh"}),
]
ACTORS = {"admin": ADMIN, "scol": SCOL, "manager_sci": MANAGER_SCI,
          "manager_llsh": MANAGER_LLSH, "committee": COMMITTEE, "readonly": READONLY}


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("method, args, allowed", WRITES,
                         ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(WRITES)])
def test_each_role_changes_only_what_its_scope_allows(call, catalogue, who, method, args, allowed):
    actor = ACTORS[who]
    if who in allowed:
        call(method, actor, *args, **({"code": "MLEA1"} if args[0] is not CAMPAIGN and
                                      method == "save_formation" and args[0]["code"] == "MLEA1"
                                      else {}))
    else:
        with pytest.raises(Forbidden):
            call(method, actor, *args)


def test_reading_is_limited_to_the_scope(call, catalogue):
    assert [f["code"] for f in call("list_formations", MANAGER_SCI)] == ["MINFO1"]
    assert [f["code"] for f in call("list_formations", READONLY)] == ["MINFO1", "MLEA1"]
    assert [c["code"] for c in call("list_commissions", MANAGER_LLSH)] == ["LLSH-LEA"]
    call.refused(Forbidden, "out_of_scope", "get_centre", MANAGER_SCI, "LLSH")
    with pytest.raises(Forbidden):
        call("list_campaigns", candidate(3))


# (import and export: test_transfer.py)


# -- commissions and reference lists --------------------------------------------------

COMMISSION = {"code": "SCI-PHYS", "label": "Commission Physique", "centre": "SCI",
              "email": "phys@univ-demo.fr", "signatory": "Pr. Curie",
              "alerts": {"transmitted": "1", "withdrawn": "0"}}


def test_a_commission_has_a_signatory_and_alerts_but_no_members_of_its_own(call, catalogue,
                                                                          catalog_db):
    saved = call("save_commission", MANAGER_SCI, {
        **COMMISSION, "members": [{"login": "jury.phys", "president": True}]})
    assert saved["alerts"] == {"transmitted": True, "cancelled": False, "withdrawn": False,
                               "promoted": False, "digest": False}
    assert "members" not in saved  # accounts keeps them (set_commission_members)
    listed = {c["code"]: c for c in call("list_commissions", MANAGER_SCI)}
    assert listed["SCI-PHYS"]["signatory"] == "Pr. Curie" and "members" not in listed["SCI-PHYS"]
    with catalog_db.connect() as conn:
        columns = {r[0] for r in conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'commissions'")}
    assert "members" not in columns
    with pytest.raises(Forbidden):
        call("save_commission", MANAGER_LLSH, {**COMMISSION, "code": "Y"})


def test_a_commissions_alerts_and_digest_travel_with_its_formations(call, catalogue, catalog_db):
    """What applications copies (and its events carry to notifications): the
    commission's address and the alerts it asked for, one mail a day included."""
    info = {c["code"]: c for c in call("list_commissions", ADMIN)}["SCI-INFO"]
    call("save_commission", ADMIN, {
        "code": "SCI-INFO", "label": info["label"], "centre": "SCI",
        "email": "jury-info@univ-demo.fr",
        "alerts": {"transmitted": "1", "digest": "1", "unknown": "1"}}, code="SCI-INFO")
    commission = call("get_formation", ANONYMOUS, "MINFO1")["commission"]
    assert commission["email"] == "jury-info@univ-demo.fr"
    assert commission["alerts"] == {"transmitted": True, "cancelled": False, "withdrawn": False,
                                    "promoted": False, "digest": True}
    with catalog_db.connect() as conn:  # and in the event the applications' copies follow
        event, = [row[0] for row in conn.exec_driver_sql(
            "SELECT payload FROM outbox_events WHERE event_type = 'commission_updated'")]
    assert (event["code"], event["email"]) == ("SCI-INFO", "jury-info@univ-demo.fr")
    assert event["alerts"] == commission["alerts"]


def test_a_commission_with_formations_stays_in_its_centre(call, catalogue):
    """Its formations share the centre's scope: moving the commission alone would
    hand them to another centre's staff."""
    info = {c["code"]: c for c in call("list_commissions", ADMIN)}["SCI-INFO"]
    moved = {k: info.get(k) for k in ("label", "address", "email", "phone", "signatory")}
    call.refused(ValidationFailed, "invalid", "save_commission", ADMIN,
                 {**moved, "centre": "LLSH"}, code="SCI-INFO",
                 fields={"centre": "commission_has_formations"})
    call("save_commission", SCOL, COMMISSION)  # no formation yet: it may move
    assert call("save_commission", SCOL, {**COMMISSION, "centre": "LLSH"},
                code="SCI-PHYS")["centre"] == "LLSH"


def test_reference_lists_motives_tags_levels(call, catalogue):
    call("save_reference_item", SCOL, "motive", {"code": "CAPA", "label": "Capacité atteinte"})
    call("save_reference_item", SCOL, "tag", {"code": "PRIO", "label": "Prioritaire",
                                              "colour": "#c0392b"})
    call("save_reference_item", SCOL, "level", {"code": "M", "label": "M- MASTER", "order": "2"})
    call("save_reference_item", SCOL, "motive", {"code": "CAPA", "label": "Capacité d'accueil atteinte"})
    assert [m["label"] for m in call("list_reference", ANONYMOUS, "motive")] == ["Capacité d'accueil atteinte"]
    assert call("list_reference", ANONYMOUS, "tag")[0]["colour"] == "#c0392b"
    call.refused(ValidationFailed, "invalid", "save_reference_item", SCOL, "tag",
                 {"code": "X", "label": "X", "colour": "red"}, fields={"colour": "invalid"})
    with pytest.raises(Forbidden):
        call("save_reference_item", MANAGER_SCI, "motive", {"code": "Z", "label": "Z"})


# -- piece definitions --------------------------------------------------------------

def test_pieces_at_each_level_with_a_template_reach_the_formation(call, catalogue):
    call("save_piece", SCOL, {"code": "CNI", "label": "Pièce d'identité", "order": "1",
                              "shared": "1", "scope": "institution"})
    call("save_piece", MANAGER_SCI, {"code": "DOSSIER", "label": "Dossier complémentaire",
                                     "order": "5", "scope": "centre", "owner": "SCI",
                                     "treatment_type": "AC", "template_document_id": "doc-1",
                                     "template_filename": "dossier.pdf"})
    pieces = {p["code"]: p for p in call("get_formation", ANONYMOUS, "MINFO1")["pieces"]}
    assert set(pieces) == {"CNI", "DOSSIER"}
    assert pieces["DOSSIER"]["template_filename"] == "dossier.pdf"
    assert "DOSSIER" not in {p["code"] for p in call("get_formation", ANONYMOUS, "MLEA1")["pieces"]}
    with pytest.raises(Forbidden):
        call("save_piece", MANAGER_SCI, {"code": "X", "label": "X", "scope": "institution"})
    with pytest.raises(Forbidden):
        call("save_piece", MANAGER_SCI, {"code": "X", "label": "X", "scope": "centre",
                                         "owner": "LLSH"})
    call.refused(ValidationFailed, "invalid", "save_piece", SCOL,
                 {"code": "X", "label": "X", "scope": "formation", "owner": "NOPE",
                  "treatment_type": "ZZ"},
                 fields={"owner": "invalid_choice", "treatment_type": "invalid_choice"})
    assert {p["code"] for p in call("list_pieces", MANAGER_LLSH)} == {"CNI"}
    call("save_piece", SCOL, {"code": "AAA", "label": "Pièce de formation", "order": "1",
                              "scope": "formation", "owner": "MINFO1"})
    # listed as the candidate meets them: the institution's, the centres', the formations'
    assert [p["scope"] for p in call("list_pieces", SCOL)] == \
        ["institution", "centre", "formation"]


def test_a_piece_is_assigned_to_a_selection_of_formations(call, catalogue):
    done = call("assign_piece", SCOL, {"code": "LM", "label": "Lettre de motivation",
                                       "order": "3"}, ["MINFO1", "MLEA1"])
    assert done == {"assigned": 2}
    for code in ("MINFO1", "MLEA1"):
        assert "LM" in {p["code"] for p in call("get_formation", ANONYMOUS, code)["pieces"]}
    with pytest.raises(Forbidden):
        call("assign_piece", MANAGER_SCI, {"code": "CV", "label": "CV"}, ["MINFO1", "MLEA1"])
    assert "CV" not in {p["code"] for p in call("get_formation", ANONYMOUS, "MINFO1")["pieces"]}


def test_a_formation_with_applications_cannot_be_deleted(call, catalogue):
    call.refused(Conflict, "formation_has_applications", "delete_formation", SCOL, "MINFO1")
    assert call("delete_formation", SCOL, "MLEA1") == {"deleted": True}
    with pytest.raises(NotFound):
        call("get_formation", ANONYMOUS, "MLEA1")
    with pytest.raises(Forbidden):
        call("delete_formation", MANAGER_LLSH, "MINFO1")


# -- formation codes come back every campaign ------------------------------------------

def new_campaign(call):
    call("save_campaign", ADMIN, CAMPAIGN)
    call("activate_campaign", ADMIN, "2028")


def test_a_new_campaign_takes_the_same_formation_codes_and_edits_only_its_own(call, catalogue):
    new_campaign(call)
    created = call("save_formation", SCOL, {**FORMATION, "code": "MINFO1",
                                            "label": "Master Informatique 2028"})
    assert created["code"] == "MINFO1"
    assert call("get_formation", ANONYMOUS, "MINFO1")["campaign"]["code"] == "2028"
    assert [f["code"] for f in call("list_formations", SCOL)] == ["MINFO1"]
    call("save_formation", SCOL, {**FORMATION, "label": "Master Informatique (2028)"},
         code="MINFO1")
    call("bulk_update_formations", SCOL, ["MINFO1"], {"enabled": "0"})
    call("assign_piece", SCOL, {"code": "LM", "label": "Lettre de motivation"}, ["MINFO1"])
    now, before = call("get_formation", ANONYMOUS, "MINFO1"), call("get_formation", ANONYMOUS, "MINFO1", campaign="2027")
    assert (now["label"], now["enabled"], [p["code"] for p in now["pieces"]]) == \
        ("Master Informatique (2028)", False, ["LM"])
    assert (before["label"], before["enabled"], before["pieces"]) == \
        ("Master Informatique", True, [])  # last year's row is untouched
    assert [f["code"] for f in call("list_formations", SCOL, campaign="2027")] == \
        ["MINFO1", "MLEA1"]
    call.refused(ValidationFailed, "invalid", "save_formation", SCOL,
                 {**FORMATION, "code": "MINFO1"}, fields={"code": "code_taken"})
    call.refused(NotFound, "formation_not_found", "save_formation", SCOL, FORMATION,
                 code="MLEA1")  # MLEA1 is a 2027 formation only
    call("save_formation", SCOL, {**FORMATION, "code": "MLEA1", "commission": "LLSH-LEA"})
    assert call("delete_formation", SCOL, "MLEA1") == {"deleted": True}
    # 2027's MINFO1 has applications, 2028's none: that one may go
    assert call("delete_formation", SCOL, "MINFO1") == {"deleted": True}
    call.refused(Conflict, "formation_has_applications", "delete_formation", SCOL, "MINFO1",
                 campaign="2027")
    assert call("get_formation", ANONYMOUS, "MLEA1", campaign="2027")["label"] == "Master LEA"


def test_the_archived_campaigns_formations_and_pieces_are_frozen(call, catalogue):
    piece = call("save_piece", SCOL, {"code": "LM", "label": "Lettre", "scope": "formation",
                                      "owner": "MINFO1"})
    new_campaign(call)
    call("archive_campaign", ADMIN, "2027")
    for method, args in [
            ("save_formation", ({**FORMATION, "label": "X"}, "MINFO1")),
            ("save_formation", (FORMATION,)),
            ("bulk_update_formations", (["MINFO1"], {"enabled": "0"})),
            ("assign_piece", ({"code": "CV", "label": "CV"}, ["MINFO1"])),
            ("delete_formation", ("MLEA1",))]:
        call.refused(Conflict, "campaign_archived", method, SCOL, *args, campaign="2027")
    call.refused(Conflict, "campaign_archived", "save_piece", SCOL,
                 {"code": "LM", "label": "Lettre changée", "scope": "formation",
                  "owner": "MINFO1", "campaign": "2027"}, piece["id"])
    call.refused(Conflict, "campaign_archived", "delete_piece", SCOL, piece["id"])
    assert call("get_formation", ANONYMOUS, "MINFO1", campaign="2027")["label"] == "Master Informatique"
    call.refused(NotFound, "formation_not_found", "save_formation", SCOL, FORMATION,
                 code="MINFO1")  # the active campaign (2028) has no MINFO1


# -- formation values: URL and level ------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JavaScript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "//evil.example",
                                 "http://", "ftp://files.univ-demo.fr/x", "/formations/x",
                                 "https://univ-demo.fr/a b"])
def test_a_formation_url_is_a_web_address(call, catalogue, url):
    call.refused(ValidationFailed, "invalid", "save_formation", SCOL, {**FORMATION, "url": url},
                 fields={"url": "invalid_url"})


def test_web_addresses_are_kept(call, catalogue):
    saved = call("save_formation", SCOL, {**FORMATION, "url": "https://formations.univ-demo.fr/"
                                                              "lphys3?annee=2027#dates"})
    assert saved["url"] == "https://formations.univ-demo.fr/lphys3?annee=2027#dates"
    assert call("save_formation", SCOL, {**FORMATION, "url": "HTTP://univ-demo.fr"},
                code="LPHYS3")["url"] == "HTTP://univ-demo.fr"
    assert call("save_formation", SCOL, {**FORMATION, "url": ""}, code="LPHYS3")["url"] is None


def test_a_formation_level_comes_from_the_diploma_levels_once_there_are_some(call, catalogue):
    assert call("save_formation", SCOL, {**FORMATION, "level": "Z- n'importe quoi"})  # no list
    call("save_reference_item", SCOL, "level", {"code": "M", "label": "M- MASTER"})
    call("save_reference_item", SCOL, "level", {"code": "L", "label": "L- LICENCE"})
    call.refused(ValidationFailed, "invalid", "save_formation", SCOL,
                 {**FORMATION, "code": "LCHIM3", "level": "Licence"},
                 fields={"level": "invalid_choice"})
    assert call("save_formation", SCOL, {**FORMATION, "code": "LCHIM3", "level": "l"})["level"] \
        == "L- LICENCE"  # by its code, stored as its label
    call("save_reference_item", SCOL, "level", {"code": "M", "label": "M- MASTER", "active": "0"})
    call.refused(ValidationFailed, "invalid", "save_formation", SCOL,
                 {**FORMATION, "code": "MPHYS1", "level": "M- MASTER"},
                 fields={"level": "invalid_choice"})
    # A formation keeps a level that was deactivated since.
    kept = call("save_formation", SCOL, {**FORMATION, "level": "M- MASTER", "label": "Nouveau"},
                code="MINFO1")
    assert (kept["level"], kept["label"]) == ("M- MASTER", "Nouveau")


# -- who is asked before what exists --------------------------------------------------

CANDIDATE = candidate(3)


@pytest.mark.parametrize("actor", [CANDIDATE, READONLY, COMMITTEE], ids=["candidate", "readonly",
                                                                        "committee"])
@pytest.mark.parametrize("method, args", [
    ("bulk_update_formations", (["NOPE"], {"enabled": "0"})),
    ("assign_piece", ({"code": "CV", "label": "CV"}, ["NOPE"])),
    ("delete_formation", ("NOPE",)),
    ("save_formation", ({**FORMATION, "label": "X"}, "NOPE")),
    ("delete_piece", (987654,)),
    ("save_piece", ({"code": "CV", "label": "CV", "scope": "institution"}, 987654))])
def test_who_may_not_write_learns_nothing_about_what_exists(call, catalogue, actor, method,
                                                            args):
    with pytest.raises(Forbidden):
        call(method, actor, *args)


# -- centres, pieces and reference lists administration -----------------------------------

def test_centres_are_listed_and_changed_within_the_scope(call, catalogue):
    assert [c["code"] for c in call("list_centres", SCOL)] == ["LLSH", "SCI"]
    mine = call("list_centres", MANAGER_SCI)
    assert [c["code"] for c in mine] == ["SCI"] and "max_file_size" in mine[0]
    assert [c["code"] for c in call("list_centres", ANONYMOUS)] == ["LLSH", "SCI"]  # public summary
    changed = call("save_centre", MANAGER_SCI, {"code": "SCI", "label": "UFR Sciences",
                                                "max_applications": "4"}, code="SCI")
    assert changed["max_applications"] == 4
    call.refused(Forbidden, "out_of_scope", "save_centre", MANAGER_SCI,
                 {"code": "LLSH", "label": "X"}, code="LLSH")
    call.refused(Forbidden, "forbidden", "save_centre", MANAGER_SCI, {"code": "NEW", "label": "X"})
    public = call("list_centres", CANDIDATE)  # a candidate sees what a visitor sees
    assert [c["code"] for c in public] == ["LLSH", "SCI"] and "max_file_size" not in public[0]


def test_a_piece_definition_is_edited_reordered_and_deleted(call, catalogue):
    cni = call("save_piece", SCOL, {"code": "CNI", "label": "Pièce d'identité", "order": "1",
                                    "scope": "institution"})
    lm = call("save_piece", MANAGER_SCI, {"code": "LM", "label": "Lettre", "order": "2",
                                          "scope": "centre", "owner": "SCI"})
    call("save_piece", MANAGER_SCI, {"code": "LM", "label": "Lettre de motivation", "order": "0",
                                     "scope": "centre", "owner": "SCI"}, lm["id"])
    pieces = call("get_formation", ANONYMOUS, "MINFO1")["pieces"]
    assert [(p["code"], p["label"]) for p in pieces] == [("LM", "Lettre de motivation"),
                                                         ("CNI", "Pièce d'identité")]
    call.refused(Forbidden, "out_of_scope", "delete_piece", MANAGER_LLSH, lm["id"])
    call.refused(Forbidden, "forbidden", "delete_piece", MANAGER_SCI, cni["id"])
    assert call("delete_piece", MANAGER_SCI, lm["id"]) == {"deleted": True}
    assert [p["code"] for p in call("get_formation", ANONYMOUS, "MINFO1")["pieces"]] == ["CNI"]
    call.refused(NotFound, "piece_not_found", "delete_piece", SCOL, lm["id"])


def test_a_deactivated_reference_item_leaves_the_choices_and_stays_for_history(call, catalogue):
    call("save_reference_item", SCOL, "motive", {"code": "CAPA", "label": "Capacité atteinte"})
    call("save_reference_item", SCOL, "motive", {"code": "NIV", "label": "Niveau insuffisant"})
    call("save_reference_item", SCOL, "motive", {"code": "CAPA", "label": "Capacité atteinte",
                                                 "active": "0"})
    assert [m["code"] for m in call("list_reference", ANONYMOUS, "motive")] == ["NIV"]
    every = {m["code"]: m["active"] for m in call("list_reference", ANONYMOUS, "motive",
                                                  include_inactive=True)}
    assert every == {"CAPA": False, "NIV": True}


# -- labels cannot break or spoof a mail ---------------------------------------------------

INJECTION = "Commission Physique\r\nBcc: victime@example.org"
REVERSED = "Licence \u202efdp.exe"


@pytest.mark.parametrize("method, args, field", [
    ("save_campaign", ({**CAMPAIGN, "label": INJECTION},), "label"),
    ("save_centre", ({"code": "DROIT", "label": REVERSED},), "label"),
    ("save_commission", ({**COMMISSION, "label": INJECTION},), "label"),
    ("save_commission", ({**COMMISSION, "signatory": "Pr. Curie\nLe Président"},), "signatory"),
    ("save_commission", ({**COMMISSION, "phone": "01 02\t03"},), "phone"),
    ("save_formation", ({**FORMATION, "label": INJECTION},), "label"),
    ("save_formation", ({**FORMATION, "keywords": "physique\u2028chimie"},), "keywords"),
    ("save_piece", ({"code": "CV", "label": "CV\r\nSubject: urgent", "scope": "institution"},),
     "label"),
    ("save_reference_item", ("motive", {"code": "CAPA", "label": REVERSED}), "label"),
    ("save_reference_item", ("level", {"code": "M", "label": "M-\x85MASTER"}), "label"),
])
def test_a_one_line_field_refuses_line_breaks_and_controls(call, catalogue, method, args, field):
    call.refused(ValidationFailed, "invalid", method, ADMIN, *args,
                 fields={field: "control_character"})


def test_an_address_keeps_its_lines_but_no_other_control(call, catalogue):
    saved = call("save_commission", SCOL, {
        **COMMISSION, "address": "Bât. 4\r\n2 rue Houssinière\r\n44300 Nantes"})
    assert saved["address"] == "Bât. 4\n2 rue Houssinière\n44300 Nantes"
    call.refused(ValidationFailed, "invalid", "save_centre", SCOL,
                 {"code": "DROIT", "label": "Droit", "address": "1 rue\u202e des Lilas"},
                 fields={"address": "control_character"})


def test_an_imported_label_is_checked_the_same_way(call, catalogue):
    error = call.refused(ValidationFailed, "invalid", "import_catalogue", SCOL, "commissions",
                         [{"code": "SCI-PHYS", "label": INJECTION, "centre": "SCI", "_line": 2}])
    assert error.fields == {"2.label": "control_character"}
