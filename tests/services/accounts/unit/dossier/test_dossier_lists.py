"""The complete dossier: real communes and postal codes, INE rules,
the list sections, read-only fields and the record of staff changes."""
import pytest

from services.accounts import domain
from services.accounts.dossier import reference
from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import ADDRESS, EXTERNAL, PERSONAL
from tests.support.actors import staff

VALID_BEA = "1234567890" + domain.bea_key("1234567890")


def test_reference_data_comes_from_the_official_lists():
    assert reference.commune_for_postal_code("69003", "LYON") == "Lyon"
    assert reference.commune_for_postal_code("42000", "saint etienne") == "Saint-Étienne"
    assert reference.commune_for_postal_code("69003", "Marseille") is None
    assert reference.postal_code_exists("75001") and not reference.postal_code_exists("00000")
    assert {"2A", "2B", "971", "976"} <= reference.departments() and "20" not in reference.departments()
    data = reference.reference_data()
    assert ["69", "69 – Rhône"] in data["departments"]
    assert data["nationalities"][0][0] == "FR"


@pytest.mark.parametrize("ine, valid", [
    (VALID_BEA, True),
    ("1234567890" + ("A" if domain.bea_key("1234567890") != "A" else "B"), False),  # wrong key
    ("123456789FF", True),           # RNIE format
    ("1234A12345F", True),           # apprentice format
    ("0000000000" + domain.bea_key("0000000000"), False),  # a repeated digit is no number
    ("12345", False), ("ABCDEFGHIJK", False), ("1234567890AB", False),
])
def test_ine_format_and_check_character(ine, valid):
    assert domain.is_valid_ine(ine) is valid


def test_university_ine_key_is_the_last_digit_of_the_base36_sum():
    body = "0A1B2C3D4E"
    total = 6 * sum(int(c, 36) for c in body[:9]) + int(body[9], 36)
    assert domain.is_valid_ine(body + str(total)[-1])
    assert not domain.is_valid_ine(body + str((total + 1) % 10))


def test_postal_code_and_commune_must_agree(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor, "personal")
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, "address",
                    {**ADDRESS, "commune": "Marseille"}, fields={"commune": "commune_mismatch"})
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, "address",
                    {**ADDRESS, "postal_code": "00000"}, fields={"postal_code": "unknown_postal_code"})
    view = harness.call("save_dossier_section", actor, "address", {**ADDRESS, "commune": "lyon"})
    assert view["address"]["commune"] == "Lyon"  # the official spelling is kept


def test_birth_commune_must_be_in_the_birth_department(harness):
    actor = harness.activated()["actor"]
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, "personal",
                    {**PERSONAL, "birth_department": "13"}, fields={"birth_commune": "commune_mismatch"})
    view = harness.call("save_dossier_section", actor, "personal",
                        {**PERSONAL, "birth_department": "42", "birth_commune": "saint-etienne"})
    assert view["personal"]["birth_commune"] == "Saint-Étienne"


def test_ine_is_checked_and_unique_within_the_campaign(harness):
    lea = harness.activated()["actor"]
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", lea, "personal",
                    {**PERSONAL, "ine": "1234567890Z" if VALID_BEA[-1] != "Z" else "1234567890Y"},
                    fields={"ine": "invalid_ine"})
    harness.call("save_dossier_section", lea, "personal", {**PERSONAL, "ine": VALID_BEA.lower()})
    paul = harness.activated()["actor"]
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", paul, "personal",
                    {**PERSONAL, "ine": VALID_BEA}, fields={"ine": "ine_taken"})
    # another campaign's dossier may hold it
    harness.remote["catalog.get_active_campaign"] = {"code": "2028", "label": "2028"}
    next_year = harness.activated()["actor"]
    harness.call("save_dossier_section", next_year, "personal", {**PERSONAL, "ine": VALID_BEA})
    found, = harness.call("search_candidates", staff("scol"), VALID_BEA.lower())[:1]
    assert found["ine"] == VALID_BEA


def test_an_account_made_while_the_catalog_was_away_gets_its_campaign_at_the_first_save(harness):
    harness.remote["catalog.get_active_campaign"] = NotFound("no_active_campaign", "away")
    late = harness.activated()
    harness.remote["catalog.get_active_campaign"] = {"code": "2027", "label": "Campagne 2027"}
    lea = harness.activated()["actor"]
    harness.call("save_dossier_section", lea, "personal", {**PERSONAL, "ine": VALID_BEA})
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", late["actor"], "personal",
                    {**PERSONAL, "ine": VALID_BEA}, fields={"ine": "ine_taken"})
    harness.call("save_dossier_section", late["actor"], "personal", PERSONAL)
    assert harness.sql("SELECT campaign_code FROM candidates WHERE id = :i",
                       i=late["candidate_id"]) == [("2027",)]


def test_an_ine_taken_in_the_campaign_joined_late_is_dropped_not_a_crash(harness):
    # Léa fills her identity, INE included, while the catalog is away (no campaign)
    harness.remote["catalog.get_active_campaign"] = NotFound("no_active_campaign", "away")
    late = harness.activated()
    harness.call("save_dossier_section", late["actor"], "personal", {**PERSONAL, "ine": VALID_BEA})
    # meanwhile a dossier of campaign 2027 claims the same INE
    harness.remote["catalog.get_active_campaign"] = {"code": "2027", "label": "Campagne 2027"}
    paul = harness.activated()["actor"]
    harness.call("save_dossier_section", paul, "personal", {**PERSONAL, "ine": VALID_BEA})
    # her personal save claiming it again is refused, nothing written
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", late["actor"], "personal",
                    {**PERSONAL, "ine": VALID_BEA}, fields={"ine": "ine_taken"})
    # another section is saved, the campaign set, the INE no longer claimed by her dossier
    view = harness.call("save_dossier_section", late["actor"], "address", ADDRESS)
    assert view["complete"]["address"] and "ine" not in view["personal"]
    assert harness.sql("SELECT campaign_code, ine FROM candidates WHERE id = :i",
                       i=late["candidate_id"]) == [("2027", None)]
    found = harness.call("search_candidates", staff("scol"), VALID_BEA)
    assert [c["id"] for c in found] == [paul["id"]]


def test_list_sections_open_after_the_mandatory_ones(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor, "personal", "address")
    harness.refused(Conflict, "section_locked", "add_dossier_entry", actor, "external", EXTERNAL)
    view = harness.fill(actor, "bac")
    assert view["open"] == {s: True for s in domain.DOSSIER_ORDER}


def test_entries_are_added_edited_and_deleted(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor)
    view = harness.call("add_dossier_entry", actor, "external", EXTERNAL)
    entry, = view["external"]
    assert entry["label"] == "Licence de physique" and len(entry["id"]) == 12
    view = harness.call("update_dossier_entry", actor, "external", entry["id"],
                        {**EXTERNAL, "obtained": "e"})
    assert view["external"] == [{**entry, "obtained": "E"}]
    harness.call("add_dossier_entry", actor, "internships", {
        "year": "2021", "duration": "2 mois", "organisation": "CNRS", "description": "Optique",
        "hours_per_week": "35"})
    harness.call("add_dossier_entry", actor, "experience", {
        "year": "2020", "duration": "6 mois", "job_title": "Serveuse", "employer": "Café"})
    view = harness.call("delete_dossier_entry", actor, "external", entry["id"])
    assert view["external"] == [] and len(view["internships"]) == len(view["experience"]) == 1
    harness.refused(NotFound, "entry_not_found", "delete_dossier_entry", actor, "external", entry["id"])


def test_bad_entries_are_refused_with_every_field(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor)
    harness.refused(ValidationFailed, "invalid", "add_dossier_entry", actor, "external",
                    {"year": "22", "country": "XX", "obtained": "Z"},
                    fields={"year": "invalid_year", "country": "invalid_choice",
                            "obtained": "invalid_choice", "diploma_type": "required",
                            "label": "required"})
    harness.refused(ValidationFailed, "invalid", "add_dossier_entry", actor, "internships",
                    {"year": "2021", "duration": "1 an", "organisation": "X",
                     "description": "x" * 501, "hours_per_week": "200"},
                    fields={"description": "too_long", "hours_per_week": "invalid_number"})
    harness.refused(ValidationFailed, "invalid", "add_dossier_entry", actor, "internal", {},
                    fields={"section": "invalid_choice"})  # read-only: not a list they edit


def test_staff_corrections_are_recorded_who_when_before_after(harness):
    account = harness.activated()
    harness.fill(account["actor"])
    manager = staff("scol", id=9)
    manager["display_name"] = "Claire Scol"
    harness.call("save_dossier_section", manager, "personal",
                 {**PERSONAL, "birth_name": "Martin-Petit"}, candidate_id=account["candidate_id"])
    harness.call("add_dossier_entry", manager, "external", EXTERNAL,
                 candidate_id=account["candidate_id"])
    changes = harness.call("list_dossier_changes", manager, account["candidate_id"])
    assert [c["section"] for c in changes] == ["external", "personal"]
    personal = changes[1]
    assert (personal["before"], personal["after"]) == ({"birth_name": "Martin"},
                                                       {"birth_name": "Martin-Petit"})
    assert personal["by_name"] == "Claire Scol" and personal["at"].startswith("2027-03-10")
    # the candidate's own saves are not "changes by staff"
    harness.call("save_dossier_section", account["actor"], "address", {**ADDRESS, "line2": "Bât. B"})
    assert len(harness.call("list_dossier_changes", manager, account["candidate_id"])) == 2
    harness.refused(Forbidden, "forbidden", "list_dossier_changes", account["actor"],
                    account["candidate_id"])


def test_a_locked_field_posted_anyway_changes_nothing(harness):
    account = harness.activated()
    harness.fill(account["actor"])
    # an internal student, whose extract gives the names only
    harness.sql("INSERT INTO student_records (student_number, birth_name, first_name, bac, "
                "cursus, imported_at) VALUES ('21900009', 'Martin', 'Léa', '{}', '[]', now())")
    harness.sql("UPDATE candidates SET origin = 'cas', student_number = '21900009'")
    view = harness.call("get_dossier", account["actor"])
    assert sorted(view["readonly"]["personal"]) == ["birth_name", "first_name"]
    assert view["readonly"]["bac"] is True
    error = harness.refused(Conflict, "field_locked", "save_dossier_section", account["actor"],
                            "personal", {**PERSONAL, "birth_name": "Autre", "mobile": "0600000000"})
    assert error.fields == {"birth_name": "field_locked"}
    # left out (as the portal does for disabled fields): the stored values stay
    partial = {k: v for k, v in PERSONAL.items() if k not in ("birth_name", "first_name")}
    view = harness.call("save_dossier_section", account["actor"], "personal",
                        {**partial, "mobile": "07 00 00 00 00"})
    assert view["personal"]["birth_name"] == "Martin" and view["personal"]["mobile"] == "07 00 00 00 00"
    # staff may correct it
    view = harness.call("save_dossier_section", staff("scol"), "personal",
                        {**PERSONAL, "birth_name": "Autre"}, candidate_id=account["candidate_id"])
    assert view["personal"]["birth_name"] == "Autre"


def test_communes_of_a_postal_code(harness):
    assert harness.call("communes", ANONYMOUS, postal_code="69003") == [["69123", "Lyon", "69003"]]
    assert ["42218", "Saint-Étienne", "42000"] in harness.call("communes", ANONYMOUS, department="42")
