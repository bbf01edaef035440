"""Staff helping candidates: search within scope, accounts created on
a candidate's behalf, a new activation link, deletion."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import PERSONAL
from tests.support.actors import staff

SCOL = staff("scol")
SCI = staff("manager", ["SCI"], id=2)
LLSH = staff("manager", ["LLSH"], id=3)


def applied(harness, candidate_id, centre):
    harness.call("lock_personal_information", {
        "event_id": f"evt-{candidate_id}-{centre}", "candidate_id": candidate_id,
        "centre": {"code": centre}})


def test_search_by_name_number_email_or_ine_across_the_campaign(harness):
    lea = harness.activated("lea@example.org")
    harness.fill(lea["actor"])
    harness.call("save_dossier_section", lea["actor"], "personal",
                 {**PERSONAL, "birth_name": "Lefèvre", "usage_name": "Martin"})
    paul = harness.register("paul@example.org", last_name="Durand", first_name="Paul")
    ids = lambda text: [c["id"] for c in harness.call("search_candidates", SCOL, text)]  # noqa: E731
    assert ids("lefevre") == [lea["candidate_id"]]            # birth name, accents ignored
    assert ids("MARTIN léa") == [lea["candidate_id"]]         # usage name and first name
    assert ids(lea["dossier_number"].lower()) == [lea["candidate_id"]]
    assert ids("PAUL@example.org") == [paul["candidate_id"]]
    assert ids("") == [] and ids("nobody") == []
    found, = harness.call("search_candidates", SCOL, "durand")
    assert found == {"id": paul["candidate_id"], "dossier_number": paul["dossier_number"],
                     "last_name": "Durand", "first_name": "Paul", "email": "paul@example.org",
                     "ine": None, "activated": False, "origin": "web"}


def test_a_manager_finds_only_candidates_of_their_centres(harness):
    lea = harness.activated("lea@example.org")
    applied(harness, lea["candidate_id"], "SCI")
    assert [c["id"] for c in harness.call("search_candidates", SCI, "martin")] == [lea["candidate_id"]]
    assert harness.call("search_candidates", LLSH, "martin") == []
    harness.refused(Forbidden, "forbidden", "search_candidates", lea["actor"], "martin")


def test_staff_create_an_account_on_a_candidates_behalf(harness):
    form = {"last_name": "Durand", "first_name": "Paul", "email": "paul@example.org",
            "email_confirm": "paul@example.org", "lang": "en"}
    done = harness.call("create_account_for", SCI, form)
    event, = harness.events("candidate_registered")  # the activation mail goes to the candidate
    assert event["candidate_id"] == done["candidate_id"] and event["lang"] == "en"
    row, = harness.sql("SELECT origin, created_by FROM candidates")
    assert row == ("staff", "manager")
    # the manager who created it keeps it in their scope
    assert [c["id"] for c in harness.call("search_candidates", SCI, "durand")] == [done["candidate_id"]]
    harness.refused(ValidationFailed, "invalid", "create_account_for", SCOL, form,
                    fields={"email": "email_taken"})
    harness.refused(Forbidden, "read_only", "create_account_for", staff("readonly"),
                    {**form, "email": "x@example.org", "email_confirm": "x@example.org"})


def test_staff_resend_the_activation_link(harness):
    pending = harness.register("pending@example.org")
    applied(harness, pending["candidate_id"], "SCI")
    harness.clock.advance(hours=60)  # even after expiry: staff are helping them
    assert harness.call("resend_activation", SCI, pending["candidate_id"]) == {"sent": True}
    event, = harness.events("activation_requested")
    harness.call("activate_account", ANONYMOUS, event["activation_token"], "Candidat-2027!", "Candidat-2027!")
    harness.refused(Conflict, "already_activated", "resend_activation", SCI, pending["candidate_id"])
    harness.refused(Forbidden, "out_of_scope", "resend_activation", LLSH, pending["candidate_id"])
    harness.refused(Forbidden, "forbidden", "resend_activation", pending["actor"],
                    pending["candidate_id"])


def test_a_manager_cannot_delete_a_candidate_who_also_applied_elsewhere(harness):
    lea = harness.activated("lea@example.org")
    applied(harness, lea["candidate_id"], "SCI")
    applied(harness, lea["candidate_id"], "LLSH")
    harness.refused(Forbidden, "out_of_scope", "delete_account", SCI, lea["candidate_id"])
    both = staff("manager", ["SCI", "LLSH"], id=4)
    assert harness.call("delete_account", both, lea["candidate_id"]) == {"deleted": True}


def test_committee_and_readonly_do_not_manage_accounts(harness):
    form = {"last_name": "Durand", "first_name": "Paul", "email": "paul@example.org",
            "email_confirm": "paul@example.org", "lang": "fr"}
    member = {**staff("committee"), "commissions": ["SCI-INFO"]}
    harness.refused(Forbidden, "forbidden", "create_account_for", member, form)
    harness.refused(Forbidden, "read_only", "create_account_for", staff("readonly", ["SCI"]), form)
    pending = harness.register("pending@example.org")
    harness.call("record_transmitted_commission", {
        "event_id": "evt-t", "candidate_id": pending["candidate_id"],
        "commission": {"code": "SCI-INFO"}})
    harness.refused(Forbidden, "forbidden", "resend_activation", member, pending["candidate_id"])


def test_staff_search_only_the_active_campaign(harness):
    old = harness.activated("old@example.org")
    harness.sql("UPDATE candidates SET campaign_code = '2026'")
    new = harness.activated("new@example.org")
    ids = [c["id"] for c in harness.call("search_candidates", SCOL, "martin")]
    assert ids == [new["candidate_id"]] and old["candidate_id"] not in ids
    # the catalog away: the search still answers, over every campaign
    harness.remote["catalog.get_active_campaign"] = NotFound("no_active_campaign", "none")
    assert len(harness.call("search_candidates", SCOL, "martin")) == 2


def test_staff_delete_an_account_within_scope_and_role(harness):
    lea = harness.activated("lea@example.org")
    applied(harness, lea["candidate_id"], "SCI")
    harness.refused(Forbidden, "out_of_scope", "delete_account", LLSH, lea["candidate_id"])
    harness.refused(Forbidden, "forbidden", "delete_account", staff("committee", ["SCI"]),
                    lea["candidate_id"])
    harness.refused(Forbidden, "read_only", "delete_account", staff("readonly"), lea["candidate_id"])
    # even with a transmitted application: staff decide
    harness.transmitted(lea["candidate_id"], 41)
    assert harness.call("delete_account", SCI, lea["candidate_id"]) == {"deleted": True}
    event, = harness.events("account_deleted")
    assert event["reason"] == "staff"
    assert harness.sql("SELECT count(*) FROM candidates") == [(0,)]


@pytest.mark.parametrize("role", ["admin", "scol"])
def test_central_roles_see_every_candidate(harness, role):
    lea = harness.activated("lea@example.org")
    assert [c["id"] for c in harness.call("search_candidates", staff(role), "léa")] == \
        [lea["candidate_id"]]


def test_a_committee_member_reads_the_candidates_who_transmitted_to_their_commissions(harness):
    lea = harness.activated("lea@example.org")
    created = {"candidate_id": lea["candidate_id"], "centre": {"code": "SCI"},
               "commission": {"code": "SCI-INFO"}}
    harness.call("lock_personal_information", {**created, "event_id": "evt-created"})
    member = {**staff("committee"), "commissions": ["SCI-INFO"]}
    other = {**staff("committee"), "commissions": ["SCI-MATH"]}
    # applied, not transmitted yet: not the committee's business
    harness.refused(Forbidden, "out_of_scope", "get_dossier", member, lea["candidate_id"])
    assert harness.call("search_candidates", member, "martin") == []
    harness.call("record_transmitted_commission", {**created, "event_id": "evt-transmitted"})
    assert harness.call("get_dossier", member, lea["candidate_id"])["candidate"]["email"] == \
        "lea@example.org"
    harness.refused(Forbidden, "out_of_scope", "get_dossier", other, lea["candidate_id"])
    assert [c["id"] for c in harness.call("search_candidates", member, "martin")] == \
        [lea["candidate_id"]]
    assert harness.call("search_candidates", other, "martin") == []
