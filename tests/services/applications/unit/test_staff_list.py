"""The staff list in pages: the total, sorts on the list's columns with a
stable order across pages, filters and scope applied before paging, bad
paging refused; and the reads that load an application's relations do it in
a fixed number of statements, however many applications or rows there are."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from services.common.errors import Forbidden, ValidationFailed

COPIES = 120


def copies(h, application_id, n=COPIES, first_candidate=1000):
    """n copies of an application by other candidates, behind the service's
    back: last names Nom00..Nom39 (each three times, in no order of id),
    transmitted a minute apart in no order of id either."""
    h.sql("""
        INSERT INTO applications (candidate_id, formation_code, centre_code, campaign_code,
                                  formation, candidate, status, created_at, transmitted_at)
        SELECT :first + i, formation_code, centre_code, campaign_code, formation,
               candidate || jsonb_build_object(
                   'last_name', 'Nom' || lpad(((i * 37) % 40)::text, 2, '0'),
                   'dossier_number', 'X' || (:first + i)),
               status, created_at, transmitted_at + ((i * 53) % :n) * interval '1 minute'
        FROM applications, generate_series(1, :n) AS i WHERE id = :id""",
          first=first_candidate, n=n, id=application_id)


def pages(h, actor, filters=None, per_page=50, **options):
    """Every page of the list, in order: (answers, the items end to end)."""
    answers, items, page = [], [], 1
    while True:
        answer = h.call("list_applications", actor, filters or {}, page=page,
                        per_page=per_page, **options)
        answers.append(answer)
        items += answer["items"]
        if page * per_page >= answer["total"]:
            return answers, items
        page += 1


def test_the_list_comes_in_pages_with_the_total(harness, actors):
    h = harness
    copies(h, h.transmitted(actors.ada)["id"])
    answers, items = pages(h, actors.manager_sci)
    assert [(a["page"], a["per_page"], a["total"], len(a["items"])) for a in answers] == [
        (1, 50, 121, 50), (2, 50, 121, 50), (3, 50, 121, 21)]
    assert len({a["id"] for a in items}) == 121  # each once
    # a page past the last answers the last; the page size is the caller's
    last = h.call("list_applications", actors.manager_sci, {}, page=99, per_page=50)
    assert (last["page"], [a["id"] for a in last["items"]]) == (3, [a["id"] for a in items[100:]])
    assert len(h.call("list_applications", actors.manager_sci, {}, per_page=7)["items"]) == 7
    empty = h.call("list_applications", actors.manager_llsh, {}, page=2)
    assert (empty["items"], empty["total"], empty["page"]) == ([], 0, 1)


def test_an_item_carries_what_the_list_shows(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    item, = h.call("list_applications", actors.manager_sci, {})["items"]
    assert item == {
        "id": app_id, "status": "RE", "cancelled": False, "archived": False,
        "created_at": h.clock.now.isoformat(), "transmitted_at": h.clock.now.isoformat(),
        "confirmed_at": None, "withdrawn_at": None, "decided_at": None,
        "formation": {"code": "MINFO1", "label": "Master Informatique 1re année",
                      "treatment_type": "AC"},
        "centre": {"code": "SCI", "label": "UFR Sciences et Techniques"},
        "commission": {"code": "SCI-INFO", "label": "Commission Informatique"},
        "candidate": {"id": 12, "dossier_number": "27AB0012", "first_name": "Ada",
                      "last_name": "Lovelace12", "email": "candidate12@example.org"},
        "decision": None, "pending_decision": None}


def key_of(sort):
    return {"candidate": lambda a: (a["candidate"]["last_name"].lower(),
                                    a["candidate"]["first_name"].lower()),
            "transmitted": lambda a: a["transmitted_at"]}[sort]


@pytest.mark.parametrize("sort", ["candidate", "-candidate", "transmitted", "-transmitted"])
def test_sorted_by_a_column_in_a_stable_order_across_pages(harness, actors, sort):
    h = harness
    copies(h, h.transmitted(actors.ada)["id"])
    _, items = pages(h, actors.manager_sci, sort=sort, per_page=20)
    key, descending = key_of(sort.lstrip("-")), sort.startswith("-")
    # equal keys (three candidates of each name) in the order of their ids
    expected = sorted(items, key=lambda a: (key(a), a["id"]), reverse=descending)
    assert [a["id"] for a in items] == [a["id"] for a in expected]
    _, again = pages(h, actors.manager_sci, sort=sort, per_page=50)
    assert [a["id"] for a in again] == [a["id"] for a in items]


def test_by_default_the_latest_transmissions_first_then_those_not_transmitted(harness, actors):
    h = harness
    first = h.transmitted(actors.ada)["id"]
    h.clock.advance(days=1)
    draft = h.apply(actors.bob, "MMATH1")["id"]
    second = h.transmitted(actors.bob)["id"]
    assert [a["id"] for a in h.call("list_applications", actors.manager_sci, {})["items"]] == [
        second, first, draft]
    by_formation = h.call("list_applications", actors.manager_sci, {}, sort="formation")
    assert [a["formation"]["code"] for a in by_formation["items"]] == [
        "MINFO1", "MINFO1", "MMATH1"]
    by_status = h.call("list_applications", actors.manager_sci, {}, sort="-status")
    assert [a["status"] for a in by_status["items"]] == ["RE", "RE", "AT"]


def test_filters_and_scope_apply_before_the_pages(harness, actors):
    h = harness
    copies(h, h.transmitted(actors.ada)["id"])
    copies(h, h.apply(actors.ada, "MLEA1")["id"], n=30, first_candidate=2000)
    copies(h, h.apply(actors.bob, "MMATH1")["id"], n=10, first_candidate=3000)

    def total(actor, filters):
        return h.call("list_applications", actor, filters, per_page=5)["total"]

    assert total(actors.scol, {}) == 121 + 31 + 11
    assert total(actors.manager_sci, {}) == 121 + 11
    assert total(actors.manager_llsh, {}) == 31
    assert total(actors.manager_sci, {"status": "RE"}) == 121
    assert total(actors.scol, {"q": "nom07"}) == 3 + 1 + 0  # Nom07: 3 of the 120, 1 of the 30
    assert total(actors.scol, {"candidate": 12}) == 2
    assert total(actors.manager_llsh, {"candidate": 12}) == 1
    # a committee member: the transmitted applications of their commission only
    assert total(actors.committee_sci, {}) == 121
    assert total(actors.committee_math, {}) == 0
    _, items = pages(h, actors.committee_sci, {"q": "nom1"}, per_page=4, sort="candidate")
    assert len(items) == 30 and {a["formation"]["code"] for a in items} == {"MINFO1"}
    h.refused(Forbidden, "out_of_scope", "list_applications", actors.manager_sci,
              {"centre": "LLSH"}, page=2)


@pytest.mark.parametrize("options, field", [
    ({"page": 0}, "page"), ({"page": "deux"}, "page"), ({"page": True}, "page"),
    ({"per_page": 0}, "per_page"), ({"per_page": 201}, "per_page"),
    ({"sort": "password"}, "sort"), ({"sort": "--candidate"}, "sort"), ({"sort": 3}, "sort"),
    ({"filters": {"candidate": "x"}}, "candidate"),
    ({"filters": {"candidate": 2 ** 31}}, "candidate")])
def test_a_page_size_or_sort_the_list_does_not_have_is_refused(harness, actors, options,
                                                                 field):
    options = {"filters": {}, **options}
    error = harness.refused(ValidationFailed, "invalid", "list_applications", actors.admin,
                            options.pop("filters"), **options)
    assert list(error.fields) == [field]


# -- statements per read ------------------------------------------------------------

@contextmanager
def statements(h):
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(h.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(h.engine, "before_cursor_execute", count)


def sent_by(h, method, *args, **kwargs):
    with statements(h) as sent:
        h.call(method, *args, **kwargs)
    return len(sent)


def test_the_staff_list_reads_a_page_in_the_same_statements_whatever_its_size(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    h.call("set_file_status", actors.manager_sci, app_id, "CO")
    h.call("enter_decision", actors.manager_sci, app_id, "FA", {})
    one = sent_by(h, "list_applications", actors.manager_sci, {})
    copies(h, app_id)
    assert sent_by(h, "list_applications", actors.manager_sci, {}, per_page=200) == one <= 3


def test_the_candidates_list_and_export_do_not_grow_with_their_applications(harness, actors):
    h = harness
    ada = actors.ada
    first = h.transmitted(ada)["id"]
    listed, exported = sent_by(h, "list_my_applications", ada), sent_by(h, "export_my_data", ada)
    h.call("set_file_status", actors.manager_sci, first, "CO")
    h.call("enter_decision", actors.manager_sci, first, "FA", {})
    h.call("validate_decision", actors.manager_sci, first)
    h.transmitted(ada, "MMATH1")
    h.apply(ada, "MLEA1")
    assert len(h.call("export_my_data", ada)) == 3
    assert sent_by(h, "list_my_applications", ada) == listed
    assert sent_by(h, "export_my_data", ada) == exported <= 5


def test_one_application_is_read_in_the_same_statements_whatever_it_holds(harness, actors):
    h = harness
    fresh = h.apply(actors.ada)["id"]
    staff_read = sent_by(h, "get_application", actors.manager_sci, fresh)
    own_read = sent_by(h, "get_application", actors.ada, fresh)
    busy = h.complete_file(actors.bob, actors.manager_sci)["id"]  # pieces, history
    h.call("set_file_status", actors.manager_sci, busy, "IN")
    h.call("set_file_status", actors.manager_sci, busy, "CO")
    for code in ("LC", "FA"):
        h.call("enter_decision", actors.manager_sci, busy, code, {"rank": "2"} if code == "LC"
               else {})
        h.call("validate_decision", actors.manager_sci, busy)
    view = h.call("get_application", actors.manager_sci, busy)
    assert len(view["history"]) == 5 and len(view["decisions"]) == 2
    assert sent_by(h, "get_application", actors.manager_sci, busy) == staff_read <= 3
    assert sent_by(h, "get_application", actors.bob, busy) == own_read <= 3
