"""The candidate's dossier through the service's RPCs with the real database:
sections filled in order, field rules, who may read and write, the lock after
the first application, readiness to apply."""
import uuid

import pytest

from services.common.actors import ANONYMOUS, service
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import ADDRESS, BAC, NOW, PERSONAL
from tests.support.actors import staff

MANAGER = staff("manager", ["SCI"], id=3)
READONLY = staff("readonly", ["SCI"], id=6)


def application_created(candidate_id, event_id=None):
    """The payload applications publishes, as far as accounts reads it."""
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": "application_created",
            "occurred_at": NOW.isoformat(), "application_id": 7, "candidate_id": candidate_id,
            "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
            "centre": {"code": "SCI", "label": "UFR Sciences et Techniques"},
            "return_deadline": "2027-05-24"}


def test_a_new_dossier_is_empty(harness):
    account = harness.register("lea@example.org")
    view = harness.call("get_dossier", account["actor"])
    assert view == {
        "candidate": {"id": account["candidate_id"], "dossier_number": account["dossier_number"],
                      "email": "lea@example.org", "last_name": "Martin", "first_name": "Léa",
                      "lang": "fr"},
        "personal": {}, "address": {}, "bac": {},
        "internal": [], "external": [], "internships": [], "experience": [],
        "complete": {"personal": False, "address": False, "bac": False},
        "open": {"personal": True, "address": False, "bac": False, "internal": False,
                 "external": False, "internships": False, "experience": False},
        "readonly": {"personal": [], "bac": False, "internal": True},
        "origin": "web", "pending_email": None,
        "personal_locked": False, "ready_to_apply": False}


def test_filling_the_dossier_in_order(harness):
    actor = harness.register()["actor"]
    view = harness.call("save_dossier_section", actor, "personal", PERSONAL)
    # Stored as validated: empty fields left out.
    assert view["personal"] == {"civility": "MME", "birth_name": "Martin", "first_name": "Léa",
                                "birth_date": "2001-05-14", "nationality": "FR",
                                "birth_country": "FR", "birth_department": "69",
                                "birth_commune": "Lyon", "mobile": "06 12 34 56 78",
                                "preferred_language": "fr"}
    assert view["complete"] == {"personal": True, "address": False, "bac": False}
    view = harness.call("save_dossier_section", actor, "address", ADDRESS)
    assert view["address"] == {"line1": "12 rue des Lilas", "country": "FR",
                               "postal_code": "69003", "commune": "Lyon"}
    assert not view["ready_to_apply"]
    view = harness.call("save_dossier_section", actor, "bac", BAC)
    assert view["complete"] == {"personal": True, "address": True, "bac": True}
    assert view["ready_to_apply"] is True
    assert harness.call("get_dossier", actor) == view


def test_a_section_waits_for_the_previous_ones(harness):
    actor = harness.register()["actor"]
    harness.refused(Conflict, "section_locked", "save_dossier_section", actor, "address", ADDRESS)
    harness.refused(Conflict, "section_locked", "save_dossier_section", actor, "bac", BAC)
    harness.fill(actor, "personal")
    harness.refused(Conflict, "section_locked", "save_dossier_section", actor, "bac", BAC)
    harness.fill(actor, "address")
    assert harness.fill(actor, "bac")["ready_to_apply"]


@pytest.mark.parametrize("section, change, fields", [
    ("personal", {"civility": ""}, {"civility": "required"}),
    ("personal", {"birth_date": "1920-01-01"}, {"birth_date": "birth_date_out_of_range"}),
    ("personal", {"birth_date": "2018-01-01"}, {"birth_date": "birth_date_out_of_range"}),
    ("personal", {"birth_date": "14/05/2001"}, {"birth_date": "invalid_date"}),
    ("personal", {"nationality": "ZZ"}, {"nationality": "invalid_choice"}),
    ("personal", {"birth_department": "", "birth_commune": ""},
     {"birth_department": "required", "birth_commune": "required"}),
    ("personal", {"birth_country": "MA"}, {"birth_town": "required"}),
    ("personal", {"ine": "ABC"}, {"ine": "invalid_ine"}),
    ("personal", {"preferred_language": ""}, {"preferred_language": "required"}),
    ("address", {"postal_code": "690"}, {"postal_code": "invalid_postal_code"}),
    ("address", {"commune": ""}, {"commune": "required"}),
    ("address", {"country": "IT"}, {"city": "required"}),
    ("address", {"line1": ""}, {"line1": "required"}),
    ("bac", {"series": "BTS"}, {"series": "invalid_choice"}),
    ("bac", {"year": "2031"}, {"year": "invalid_year"}),
    ("bac", {"department": ""}, {"department": "required"}),
    ("bac", {"has_bac": ""}, {"has_bac": "required"}),
])
def test_bad_input_saves_nothing(harness, section, change, fields):
    actor = harness.register()["actor"]
    earlier = {"personal": (), "address": ("personal",), "bac": ("personal", "address")}
    for previous in earlier[section]:
        harness.fill(actor, previous)
    data = {**{"personal": PERSONAL, "address": ADDRESS, "bac": BAC}[section], **change}
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, section, data,
                    fields=fields)


def test_a_wrong_save_keeps_the_previous_values(harness):
    actor = harness.register()["actor"]
    saved = harness.fill(actor, "personal")["personal"]
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, "personal",
                    {**PERSONAL, "birth_name": ""}, fields={"birth_name": "required"})
    assert harness.call("get_dossier", actor)["personal"] == saved


def test_born_abroad_without_bac(harness):
    actor = harness.register()["actor"]
    view = harness.call("save_dossier_section", actor, "personal", {
        **PERSONAL, "birth_country": "SN", "nationality": "SN", "birth_town": "Dakar"})
    assert view["personal"]["birth_town"] == "Dakar"
    assert "birth_department" not in view["personal"]
    view = harness.call("save_dossier_section", actor, "address", {
        "line1": "Avenue Cheikh Anta Diop", "country": "SN", "city": "Dakar"})
    view = harness.call("save_dossier_section", actor, "bac", {**BAC, "has_bac": "no"})
    assert view["bac"] == {"has_bac": "no"} and view["ready_to_apply"]


def test_unknown_section(harness):
    actor = harness.register()["actor"]
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, "cursus", {},
                    fields={"section": "invalid_choice"})


def test_personal_save_updates_the_contact_and_tells_others(harness):
    account = harness.register("lea@example.org")
    harness.call("save_dossier_section", account["actor"], "personal",
                 {**PERSONAL, "usage_name": "Dupont", "preferred_language": "en"})
    event, = harness.events("candidate_updated")
    assert {k: event[k] for k in ("candidate_id", "dossier_number", "email", "first_name",
                                  "last_name", "civility", "lang")} == {
        "candidate_id": account["candidate_id"], "dossier_number": account["dossier_number"],
        "email": "lea@example.org", "first_name": "Léa", "last_name": "Dupont",
        "civility": "MME", "lang": "en"}
    assert harness.call("get_dossier", account["actor"])["candidate"]["last_name"] == "Dupont"
    harness.fill(account["actor"], "address")
    assert len(harness.events("candidate_updated")) == 1  # only personal saves announce


# -- who may read and write ---------------------------------------------------------

def test_a_candidate_sees_only_their_own_dossier(harness):
    lea = harness.register()
    paul = harness.register()
    harness.refused(NotFound, "not_found", "get_dossier", lea["actor"], paul["candidate_id"])
    harness.refused(NotFound, "not_found", "save_dossier_section", lea["actor"], "personal",
                    PERSONAL, candidate_id=paul["candidate_id"])
    own = harness.call("get_dossier", lea["actor"], lea["candidate_id"])
    assert own["candidate"]["id"] == lea["candidate_id"]


def test_staff_read_and_correct_a_dossier(harness):
    account = harness.register()
    harness.call("lock_personal_information", application_created(account["candidate_id"]))
    view = harness.call("get_dossier", READONLY, account["candidate_id"])
    assert view["candidate"]["dossier_number"] == account["dossier_number"]
    harness.refused(Forbidden, "read_only", "save_dossier_section", READONLY, "personal",
                    PERSONAL, candidate_id=account["candidate_id"])
    view = harness.fill(MANAGER, "personal", candidate_id=account["candidate_id"])
    assert view["complete"]["personal"]
    harness.refused(NotFound, "not_found", "get_dossier", MANAGER)  # which candidate?
    harness.refused(NotFound, "not_found", "get_dossier", staff("scol"), 999)
    harness.refused(Forbidden, "out_of_scope", "get_dossier", MANAGER, 999)  # none of theirs


def test_staff_of_other_centres_do_not_see_the_dossier(harness):
    account = harness.register()
    llsh = staff("manager", ["LLSH"], id=4)
    # No application yet: only staff of every centre see it.
    harness.refused(Forbidden, "out_of_scope", "get_dossier", MANAGER, account["candidate_id"])
    assert harness.call("get_dossier", staff("scol"), account["candidate_id"])
    harness.call("lock_personal_information", application_created(account["candidate_id"]))
    assert harness.call("get_dossier", MANAGER, account["candidate_id"])  # applied in SCI
    harness.refused(Forbidden, "out_of_scope", "get_dossier", llsh, account["candidate_id"])
    harness.refused(Forbidden, "out_of_scope", "save_dossier_section", llsh, "address", ADDRESS,
                    candidate_id=account["candidate_id"])


@pytest.mark.parametrize("actor", [None, {}, ANONYMOUS, {"kind": "candidate"},
                                   {"kind": "staff", "id": 1, "role": "janitor"}])
def test_strangers_are_refused(harness, actor):
    account = harness.register()
    with pytest.raises(Forbidden):
        harness.call("get_dossier", actor, account["candidate_id"])
    harness.refused(Forbidden, "forbidden", "save_dossier_section", actor, "personal", PERSONAL,
                    candidate_id=account["candidate_id"])


# -- locked after the first application ------------------------------------------------

def test_first_application_locks_personal_information(harness):
    actor = harness.register()["actor"]
    harness.fill(actor)
    harness.call("lock_personal_information", application_created(actor["id"]))
    view = harness.call("get_dossier", actor)
    assert view["personal_locked"] is True and view["ready_to_apply"] is True
    harness.refused(Conflict, "personal_locked", "save_dossier_section", actor, "personal",
                    {**PERSONAL, "birth_name": "Durand"})
    # The address and the bac stay editable.
    view = harness.call("save_dossier_section", actor, "address",
                        {**ADDRESS, "line1": "3 place Bellecour", "postal_code": "69002"})
    assert view["address"]["line1"] == "3 place Bellecour"
    # Staff can still correct personal information.
    view = harness.call("save_dossier_section", MANAGER, "personal",
                        {**PERSONAL, "birth_name": "Durand"}, candidate_id=actor["id"])
    assert view["personal"]["birth_name"] == "Durand" and view["personal_locked"]


def test_the_lock_event_is_applied_once(harness):
    actor = harness.register()["actor"]
    event = application_created(actor["id"])
    harness.call("lock_personal_information", event)
    harness.call("lock_personal_information", event)
    assert harness.sql("SELECT event_id, handler FROM processed_events") == [
        (event["event_id"], "AccountsService.lock_personal_information")]


def test_the_lock_event_for_an_unknown_candidate_is_dropped(harness):
    harness.call("lock_personal_information", application_created(404))
    harness.call("lock_personal_information", {"event_id": str(uuid.uuid4())})
    assert len(harness.sql("SELECT * FROM processed_events")) == 2


# -- ready to apply ---------------------------------------------------------------------

def test_ready_to_apply_gives_the_contact(harness):
    account = harness.register("lea@example.org")
    harness.fill(account["actor"])
    assert harness.call("check_ready_to_apply", service("applications"), account["candidate_id"]) == {
        "candidate_id": account["candidate_id"], "dossier_number": account["dossier_number"],
        "email": "lea@example.org", "civility": "MME", "first_name": "Léa",
        "last_name": "Martin", "lang": "fr"}


def test_not_ready_says_which_sections_are_missing(harness):
    account = harness.register()
    harness.refused(Conflict, "dossier_incomplete", "check_ready_to_apply", service("applications"),
                    account["candidate_id"], fields={"personal": "incomplete",
                                                     "address": "incomplete",
                                                     "bac": "incomplete"})
    harness.fill(account["actor"], "personal", "address")
    harness.refused(Conflict, "dossier_incomplete", "check_ready_to_apply", service("applications"),
                    account["candidate_id"], fields={"bac": "incomplete"})
    harness.refused(NotFound, "not_found", "check_ready_to_apply", service("applications"), 999)


# -- reference data ---------------------------------------------------------------------

def test_reference_data(harness):
    data = harness.call("reference_data", ANONYMOUS)
    assert data["countries"][0] == ["FR", "France"]
    assert ["DE", "Allemagne"] in data["countries"] and len(data["countries"]) == 249
    assert data["bac_series"][0] == ["GEN", "Baccalauréat général"]
    assert "STMG" in {code for code, _ in data["bac_series"]}
    assert [code for code, _ in data["mentions"]] == ["SANS", "AB", "B", "TB", "TBF"]
    assert data["civilities"] == [["M", "Monsieur"], ["MME", "Madame"]]


def test_reference_data_publishes_the_dossier_form_and_the_staff_roles(harness):
    data = harness.call("reference_data", ANONYMOUS)
    assert data["staff_roles"] == ["admin", "scol", "manager", "committee", "readonly"]
    form = data["form"]
    assert list(form) == ["personal", "address", "bac", "external", "internships", "experience"]
    personal = {f["name"]: f for f in form["personal"]["fields"]}
    assert personal["civility"] == {"name": "civility", "type": "select", "required": True,
                                    "max_length": 100, "choices": "civilities",
                                    "label": "Civilité"}
    assert personal["birth_date"]["type"] == "date" and not personal["usage_name"]["required"]
    assert personal["phone"]["max_length"] == 20
    for section in form.values():  # every list a field offers is in the reference data
        for field in section["fields"]:
            assert field["choices"] is None or data[field["choices"]], field
    internships = [f["name"] for f in form["internships"]["fields"]]
    assert internships == ["year", "duration", "organisation", "description", "hours_per_week"]
    assert form["internships"]["list"] and not form["bac"]["list"]
