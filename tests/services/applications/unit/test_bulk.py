"""Bulk actions (bulk_apply): one change on many applications, each checked and
committed on its own, refusals reported per application with their reason,
repeats harmless (unchanged, no second event), the staff list's filter as the
selection; against the real database."""
import eventlet
import pytest

from services.applications import bulk
from services.common import idempotency
from services.common.db import cooperative_waits
from services.common.errors import Conflict, Forbidden, Unavailable, ValidationFailed


def transmitted(h, actors, n, code="MINFO1"):
    """n applications transmitted to `code`, by n candidates."""
    from tests.support.actors import candidate
    return [h.transmitted(candidate(100 + i), code)["id"] for i in range(n)]


def status_events(h):
    return [(e["application_id"], e["to_status"]) for e in h.events("status_changed")
            if e["from_status"] != "AT"]  # not the transmissions


def test_file_status_on_ids_reports_each_application(harness, actors):
    h, manager = harness, actors.manager_sci
    sci = transmitted(h, actors, 2)
    llsh = h.transmitted(actors.ada, "MLEA1")["id"]
    draft = h.apply(actors.bob, "MMATH1")["id"]  # AT: not transmitted
    answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"},
                    application_ids=[sci[0], 999999, llsh, draft, str(sci[1]), "x", 2 ** 40])
    assert answer == {"done": sci, "unchanged": [],
                      "refused": [{"id": 999999, "code": "not_found"},
                                  {"id": llsh, "code": "out_of_scope"},
                                  {"id": draft, "code": "invalid_transition"},
                                  {"id": "x", "code": "not_found"},
                                  {"id": str(2 ** 40), "code": "not_found"}],
                      "remaining": [], "total": 7}
    # the refusals in between rolled back nothing of the others
    assert [h.call("get_application", manager, i)["status"] for i in sci] == ["CO", "CO"]
    assert h.call("get_application", actors.manager_llsh, llsh)["status"] == "RE"
    assert status_events(h) == [(sci[0], "CO"), (sci[1], "CO")]


def test_repeating_changes_nothing_and_emits_nothing(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 2)
    h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids)
    before = h.state()
    again = h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids)
    assert again == {"done": [], "unchanged": ids, "refused": [], "remaining": [], "total": 2}
    assert h.state() == before


def test_the_same_key_answers_the_stored_result(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 2)
    first = h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids,
                   idempotency_key="k-1")
    before = h.state()
    assert h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids,
                  idempotency_key="k-1") == first == {"done": ids, "unchanged": [],
                                                      "refused": [], "remaining": [], "total": 2}
    assert h.state() == before
    with pytest.raises(Conflict) as info:
        h.call("bulk_apply", manager, "file_status", {"status": "IN"}, application_ids=ids,
               idempotency_key="k-1")
    assert info.value.code == "idempotency_key_reused"
    # a refused request keeps no key: sent again once fixed, it runs
    with pytest.raises(ValidationFailed):
        h.call("bulk_apply", manager, "file_status", {"status": "XX"}, application_ids=ids,
               idempotency_key="k-2")
    assert h.call("bulk_apply", manager, "file_status", {"status": "IN"}, application_ids=ids,
                  idempotency_key="k-2")["done"] == ids


def test_piece_status_and_decisions_in_bulk(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 3)
    answer = h.call("bulk_apply", manager, "piece_status",
                    {"piece_code": "CV", "status": "RE", "comment": "Illisible"},
                    application_ids=ids[:1])
    assert answer["done"] == ids[:1]
    pieces = h.call("get_application", manager, ids[0])["pieces"]
    assert {p["code"]: (p["status"], p["comment"]) for p in pieces}["CV"] == ("RE", "Illisible")
    # CO refused where a piece is refused, done elsewhere
    answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids)
    assert answer["done"] == ids[1:] and answer["refused"] == [{"id": ids[0],
                                                               "code": "pieces_refused"}]
    answer = h.call("bulk_apply", manager, "enter_decision", {"code": "FA", "data": {}},
                    application_ids=ids)
    assert answer["done"] == ids[1:]
    assert answer["refused"] == [{"id": ids[0], "code": "decision_not_allowed"}]
    assert h.call("bulk_apply", manager, "enter_decision", {"code": "FA"},
                  application_ids=ids[1:])["unchanged"] == ids[1:]

    asked = h.catalog.get_formation.call_count
    answer = h.call("bulk_apply", manager, "validate_decision", {}, application_ids=ids)
    assert answer["done"] == ids[1:]
    # the formation's dates asked once for the two applications of MINFO1
    assert h.catalog.get_formation.call_count == asked + 1
    assert answer["refused"] == [{"id": ids[0], "code": "nothing_to_validate"}]
    validated = h.events("decision_validated")
    assert sorted(e["application_id"] for e in validated) == ids[1:]
    assert all(e["code"] == "FA" and e["confirm_deadline"] for e in validated)
    # validating again: unchanged, no second event
    again = h.call("bulk_apply", manager, "validate_decision", {}, application_ids=ids[1:])
    assert again["unchanged"] == ids[1:] and len(h.events("decision_validated")) == 2


def test_a_committee_member_enters_but_only_the_president_validates(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 1)
    h.call("set_file_status", manager, ids[0], "CO")
    member = actors.committee_sci
    assert h.call("bulk_apply", member, "enter_decision", {"code": "DE",
                  "data": {"reason": "Dossier incomplet"}}, application_ids=ids)["done"] == ids
    assert h.call("bulk_apply", member, "validate_decision", {}, application_ids=ids)[
        "refused"] == [{"id": ids[0], "code": "forbidden"}]
    president = {**member, "presides": ["SCI-INFO"]}
    assert h.call("bulk_apply", president, "validate_decision", {},
                  application_ids=ids)["done"] == ids


@pytest.mark.parametrize("who, code", [
    ("readonly_sci", "read_only"),
    ("committee_sci", "forbidden"),   # reviewing is not theirs
    ("ada", "forbidden"),
])
def test_an_actor_whose_role_cannot_do_it_is_refused_before_anything(harness, actors, who,
                                                                     code):
    h = harness
    ids = transmitted(h, actors, 1)
    h.refused(Forbidden, code, "bulk_apply", getattr(actors, who), "file_status",
              {"status": "CO"}, application_ids=ids)


@pytest.mark.parametrize("action, params, application_ids, filters, code", [
    ("launch", {}, [1], None, "bulk_unknown_action"),
    ("file_status", {"status": "XX"}, [1], None, "invalid"),
    ("file_status", {"status": "CO"}, None, None, "invalid"),       # neither ids nor filters
    ("file_status", {"status": "CO"}, [1], {}, "invalid"),          # both
    ("piece_status", {"piece_code": "CV", "status": "RE"}, [1], None, "invalid"),  # no comment
    ("enter_decision", {"code": "LC", "data": {"rank": "zero"}}, [1], None, "invalid"),
    ("add_tags", {"tags": ["NOPE"]}, [1], None, "invalid"),
    ("add_tags", {"tags": ["OLD"]}, [1], None, "invalid"),          # deactivated
    ("file_status", {"status": "CO"}, None, {"status": "ZZ"}, "invalid"),
])
def test_bad_requests_are_refused_whole(harness, actors, action, params, application_ids,
                                        filters, code):
    h = harness
    transmitted(h, actors, 1)
    h.refused(ValidationFailed, code, "bulk_apply", actors.manager_sci, action, params,
              application_ids=application_ids, filters=filters)


def test_filters_select_what_the_staff_list_shows(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 3)
    h.transmitted(actors.ada, "MLEA1")  # LLSH: not in the manager's scope
    h.apply(actors.bob, "MMATH1")       # AT: not matched by status RE
    listed = h.call("list_applications", manager, {"status": "RE"})
    assert sorted(a["id"] for a in listed["items"]) == ids
    answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"},
                    filters={"status": "RE"})
    assert answer == {"done": ids, "unchanged": [], "refused": [], "remaining": [], "total": 3}
    assert h.call("list_applications", manager, {"status": "RE"})["total"] == 0
    with pytest.raises(Forbidden):  # another centre's filter, as the list refuses it
        h.call("bulk_apply", manager, "file_status", {"status": "CO"}, filters={"centre": "LLSH"})


def test_filters_beyond_the_cap_are_refused_with_nothing_changed(harness, actors, monkeypatch):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 3)
    monkeypatch.setattr(bulk, "MAX_APPLICATIONS", 2)
    error = h.refused(ValidationFailed, "bulk_too_many", "bulk_apply", manager, "file_status",
                      {"status": "CO"}, filters={"status": "RE"})
    assert error.fields["limit"] == "2"
    h.refused(ValidationFailed, "bulk_too_many", "bulk_apply", manager, "file_status",
              {"status": "CO"}, application_ids=ids)
    assert h.call("bulk_apply", manager, "file_status", {"status": "CO"},
                  filters={"status": "RE", "q": h.call("get_application", manager, ids[0])
                           ["candidate"]["dossier_number"]})["done"] == ids[:1]


def test_tags_in_bulk_and_the_list_filtered_by_tag(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 3)
    answer = h.call("bulk_apply", manager, "add_tags", {"tags": ["PRIO", "BOURSE"]},
                    application_ids=ids[:2])
    assert answer["done"] == ids[:2]
    assert h.call("bulk_apply", manager, "add_tags", {"tags": ["PRIO"]},
                  application_ids=ids)["unchanged"] == ids[:2]
    listed = h.call("list_applications", manager, {"tag": "BOURSE"})
    assert sorted(a["id"] for a in listed["items"]) == ids[:2]
    answer = h.call("bulk_apply", manager, "remove_tags", {"tags": ["BOURSE"]},
                    filters={"tag": "BOURSE"})
    assert answer["done"] == ids[:2]
    assert h.call("list_applications", manager, {"tag": "BOURSE"})["total"] == 0
    assert h.call("list_applications", manager, {"tag": "PRIO"})["total"] == 3


@pytest.mark.parametrize("key", [None, "same-key"])
def test_the_same_request_twice_at_once_changes_and_emits_once(harness, actors, key):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 6)
    cooperative_waits()  # one worker waiting on a row lock lets the other run

    def send():
        return h.call("bulk_apply", manager, "file_status", {"status": "CO"},
                      application_ids=ids, idempotency_key=key)
    def answer_of(thread):
        try:
            return thread.wait()
        except Conflict as error:  # the same key while the first works
            return error.code
    first, second = eventlet.spawn(send), eventlet.spawn(send)
    answers = [answer_of(first), answer_of(second)]
    assert sorted(status_events(h)) == [(i, "CO") for i in ids]
    if key is None:
        done = answers[0]["done"] + answers[1]["done"]
        assert sorted(done) == ids
        assert sorted(done + answers[0]["unchanged"] + answers[1]["unchanged"]) == sorted(ids * 2)
    else:
        whole = {"done": ids, "unchanged": [], "refused": [], "remaining": [], "total": 6}
        assert answers in ([whole, whole], [whole, "bulk_in_progress"],
                           ["bulk_in_progress", whole])
        assert send() == whole  # and once done, the key answers it


def test_a_key_claimed_by_a_worker_that_died_is_taken_over(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 2)
    fingerprint = idempotency.fingerprint({"action": "file_status", "params": {"status": "CO"},
                                           "application_ids": ids, "filters": None})
    h.sql("INSERT INTO idempotency_keys VALUES ('applications.bulk_apply', 'staff:3', 'k', "
          ":print, NULL, now())", print=fingerprint)
    with pytest.raises(Conflict) as info:  # claimed a moment ago: being applied
        h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids,
               idempotency_key="k")
    assert info.value.code == "bulk_in_progress"
    h.sql("UPDATE idempotency_keys SET created_at = now() - interval '10 minutes'")
    answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids,
                    idempotency_key="k")
    assert answer["done"] == ids
    assert h.sql("SELECT result IS NOT NULL FROM idempotency_keys") == [(True,)]


def test_past_its_time_budget_a_request_leaves_the_rest_for_the_next(harness, actors,
                                                                    monkeypatch):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 3)
    monkeypatch.setattr(bulk, "TIME_BUDGET_SECONDS", 0)  # one application per request
    answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"}, application_ids=ids)
    assert answer == {"done": ids[:1], "unchanged": [], "refused": [], "remaining": ids[1:],
                      "total": 3}
    assert [h.call("get_application", manager, i)["status"] for i in ids] == ["CO", "RE", "RE"]
    while answer["remaining"]:  # what the result page's "Continuer" sends
        answer = h.call("bulk_apply", manager, "file_status", {"status": "CO"},
                        application_ids=answer["remaining"])
    assert [h.call("get_application", manager, i)["status"] for i in ids] == ["CO"] * 3
    assert sorted(status_events(h)) == [(i, "CO") for i in ids]


def test_a_service_that_does_not_answer_refuses_only_what_needs_it(harness, actors):
    h, manager = harness, actors.manager_sci
    ids = transmitted(h, actors, 2)
    for application_id, code in zip(ids, ("FA", "DE")):
        h.call("set_file_status", manager, application_id, "CO")
        h.call("enter_decision", manager, application_id, code,
               {"reason": "Capacité atteinte"} if code == "DE" else {})
    h.catalog.get_formation.side_effect = Unavailable("service_unavailable", "catalog",
                                                      {"service": "catalog"})
    answer = h.call("bulk_apply", manager, "validate_decision", {}, application_ids=ids)
    assert answer["refused"] == [{"id": ids[0], "code": "service_unavailable"}]
    assert answer["done"] == ids[1:]  # a DE needs no date: validated all the same
    assert [e["application_id"] for e in h.events("decision_validated")] == ids[1:]
