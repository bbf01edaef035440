"""The staff portal's list over a varied campaign: a sort on every column,
ascending and descending, missing values last and ties by id; every filter
(treatment type, decision, validated or not, answer, dates as Paris days,
name, number, mail); the dashboard's figures per formation, in the actor's scope."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.applications import schemas
from services.common.errors import Forbidden, ValidationFailed

PARIS = ZoneInfo("Europe/Paris")
N = 90


def varied(h, application_id, n=N, first=5000):
    """n applications by other candidates, built from one, that differ in
    every column the list shows; some cancelled; decisions entered on a third
    of them, half validated, some with a later one waiting for validation."""
    h.sql("""
        INSERT INTO applications (candidate_id, formation_code, centre_code, campaign_code,
            formation, candidate, status, created_at, transmitted_at, confirmed_at,
            withdrawn_at, cancelled_at)
        SELECT :first + i, formation_code, centre_code, campaign_code,
            formation || jsonb_build_object(
                'treatment_type', (ARRAY['AC', 'AD', 'AT'])[1 + i % 3],
                'label', 'Formation ' || chr(65 + (i * 7) % 5)),
            candidate || jsonb_build_object(
                'last_name', 'Nom' || lpad(((i * 37) % 40)::text, 2, '0'),
                'first_name', CASE WHEN i % 9 = 0 THEN 'Élodie' ELSE 'Jean' END,
                'dossier_number', 'X' || (:first + (i * 31) % :n),
                'email', 'c' || lpad(((i * 11) % 50)::text, 2, '0') || '@example.org'),
            (ARRAY['AT', 'RE', 'IN', 'CO'])[1 + i % 4],
            created_at - ((i * 13) % 60) * interval '3 hours',
            CASE WHEN i % 5 <> 0 THEN transmitted_at + ((i * 53) % :n) * interval '1 minute' END,
            CASE WHEN i % 7 = 0 THEN created_at + i * interval '1 minute' END,
            CASE WHEN i % 11 = 0 THEN created_at + i * interval '2 minutes' END,
            CASE WHEN i % 13 = 0 THEN created_at END
        FROM applications, generate_series(1, :n) AS i WHERE id = :id""",
          first=first, n=n, id=application_id)
    h.sql("""
        INSERT INTO decisions (application_id, code, rank, entered_by, entered_at,
                               validated_by, validated_at)
        SELECT id, (ARRAY['FA', 'DE', 'LC', 'LA', 'PR'])[1 + id % 5],
               CASE WHEN id % 5 = 2 THEN id % 9 END, 'Gestion', :now,
               CASE WHEN id % 2 = 0 THEN 'Président' END,
               CASE WHEN id % 2 = 0 THEN CAST(:now AS timestamptz) - (id % 17) * interval '5 hours' END
        FROM applications WHERE id % 3 = 0""", now=h.clock.now)
    h.sql("""
        INSERT INTO decisions (application_id, code, entered_by, entered_at)
        SELECT id, 'FA', 'Gestion', :now FROM applications WHERE id % 12 = 0""",
          now=h.clock.now)


@pytest.fixture
def campaign(harness, actors):
    h = harness
    varied(h, h.transmitted(actors.ada)["id"])
    h.apply(actors.bob, "MLEA1")  # another centre's
    return h


def every(h, actor, filters=None, **options):
    answer = h.call("list_applications", actor, filters or {}, per_page=200, **options)
    assert answer["total"] == len(answer["items"])
    return answer["items"]


def last_entered(a):
    return (a["pending_decision"] or a["decision"] or {}).get("code")


KEYS = {
    "id": lambda a: a["id"],
    "number": lambda a: a["candidate"]["dossier_number"],
    "candidate": lambda a: (a["candidate"]["last_name"].lower(),
                            a["candidate"]["first_name"].lower()),
    "email": lambda a: a["candidate"]["email"].lower(),
    "formation": lambda a: a["formation"]["label"].lower(),
    "formation_code": lambda a: a["formation"]["code"],
    "centre": lambda a: a["centre"]["code"],
    "commission": lambda a: a["commission"]["code"],
    "treatment_type": lambda a: a["formation"]["treatment_type"],
    "status": lambda a: a["status"],
    "created": lambda a: a["created_at"],
    "transmitted": lambda a: a["transmitted_at"],
    "decision": lambda a: (a["decision"] or {}).get("code"),
    "pending": lambda a: (a["pending_decision"] or {}).get("code"),
    "decided": lambda a: a["decided_at"],
    "rank": lambda a: (a["decision"] or {}).get("rank"),
    "confirmed": lambda a: a["confirmed_at"],
    "withdrawn": lambda a: a["withdrawn_at"],
}


def test_every_sortable_column_has_its_key():
    assert set(KEYS) == set(schemas.STAFF_SORTS)


def expected_order(items, key, descending):
    """Missing values last either way; equal keys by id in the same direction."""
    present = [a for a in items if key(a) is not None]
    missing = [a for a in items if key(a) is None]
    present.sort(key=lambda a: (key(a), a["id"]), reverse=descending)
    missing.sort(key=lambda a: a["id"], reverse=descending)
    return [a["id"] for a in present + missing]


@pytest.mark.parametrize("column", sorted(KEYS))
def test_each_column_sorts_both_ways_in_a_stable_order_across_pages(campaign, actors,
                                                                     column):
    h = campaign
    items = every(h, actors.scol)
    for descending in (False, True):
        sort = ("-" if descending else "") + column
        paged = []
        for page in (1, 2, 3, 4):
            paged += h.call("list_applications", actors.scol, {}, page=page, per_page=25,
                            sort=sort)["items"]
        assert [a["id"] for a in paged] == expected_order(items, KEYS[column], descending)


def test_the_filters_select_what_they_name(campaign, actors):
    h = campaign
    items = every(h, actors.manager_sci)
    assert len(items) > 60

    def ids(filters):
        return sorted(a["id"] for a in every(h, actors.manager_sci, filters))

    def where(test):
        return sorted(a["id"] for a in items if test(a))

    assert ids({"treatment_type": "AD"}) == where(lambda a: a["formation"]["treatment_type"] == "AD")
    for code in ("FA", "LC"):
        assert ids({"decision": code}) == where(lambda a: last_entered(a) == code) != []
    assert ids({"decision": "none"}) == where(lambda a: last_entered(a) is None)
    assert ids({"validated": "yes"}) == where(
        lambda a: a["decision"] and not a["pending_decision"]) != []
    assert ids({"validated": "no"}) == where(lambda a: a["pending_decision"]) != []
    assert ids({"decision": "FA", "validated": "no"}) == where(
        lambda a: (a["pending_decision"] or {}).get("code") == "FA")
    assert ids({"answer": "confirmed"}) == where(
        lambda a: a["confirmed_at"] and not a["withdrawn_at"]) != []
    assert ids({"answer": "withdrawn"}) == where(lambda a: a["withdrawn_at"]) != []
    assert ids({"answer": "none"}) == where(
        lambda a: not a["confirmed_at"] and not a["withdrawn_at"])
    assert ids({"status": "CO", "treatment_type": "AC"}) == where(
        lambda a: a["status"] == "CO" and a["formation"]["treatment_type"] == "AC")
    # names whatever the accents and case; numbers and mails in part
    assert ids({"name": "elodie"}) == where(lambda a: a["candidate"]["first_name"] == "Élodie") != []
    assert ids({"name": "NOM07"}) == where(lambda a: a["candidate"]["last_name"] == "Nom07")
    assert ids({"number": "x5001"}) == where(lambda a: "X5001" in a["candidate"]["dossier_number"])
    assert ids({"email": "c22@"}) == where(lambda a: a["candidate"]["email"].startswith("c22@")) != []
    assert ids({"commission": "SCI-INFO"}) == where(lambda a: a["commission"]["code"] == "SCI-INFO")
    assert ids({"formation": "MMATH1"}) == []
    cancelled = every(h, actors.manager_sci, {"status": "cancelled"})
    assert cancelled and all(a["cancelled"] for a in cancelled)
    assert not set(a["id"] for a in cancelled) & set(a["id"] for a in items)


def paris_day(iso_time):
    return datetime.fromisoformat(iso_time).astimezone(PARIS).date()


def test_date_filters_take_whole_paris_days(campaign, actors):
    h = campaign
    items = every(h, actors.scol)
    days = sorted({paris_day(a["created_at"]) for a in items})
    assert len(days) >= 4
    first, last = days[1], days[-2]
    found = every(h, actors.scol, {"created_from": first.isoformat(),
                                   "created_to": last.isoformat()})
    assert sorted(a["id"] for a in found) == sorted(
        a["id"] for a in items if first <= paris_day(a["created_at"]) <= last)
    # an application made at 23:30 in Paris belongs to that day, not the next (UTC) one
    late = datetime.combine(last, time(23, 30), tzinfo=PARIS)
    h.sql("UPDATE applications SET created_at = :at WHERE id = :id", at=late, id=items[0]["id"])
    assert items[0]["id"] in [a["id"] for a in every(h, actors.scol, {
        "created_from": last.isoformat(), "created_to": last.isoformat()})]
    assert items[0]["id"] not in [a["id"] for a in every(h, actors.scol, {
        "created_from": (last + timedelta(days=1)).isoformat()})]
    decided = every(h, actors.scol, {"decided_to": h.today.isoformat(),
                                     "decided_from": (h.today - timedelta(days=1)).isoformat()})
    assert sorted(a["id"] for a in decided) == sorted(
        a["id"] for a in items if a["decided_at"]
        and h.today - timedelta(days=1) <= paris_day(a["decided_at"]) <= h.today) != []
    transmitted = every(h, actors.scol, {"transmitted_from": h.today.isoformat()})
    assert len(transmitted) == len([a for a in items if a["transmitted_at"]])


@pytest.mark.parametrize("filters, field", [
    ({"treatment_type": "XX"}, "treatment_type"), ({"decision": "OK"}, "decision"),
    ({"validated": "maybe"}, "validated"), ({"answer": "later"}, "answer"),
    ({"created_from": "10/03/2027"}, "created_from"), ({"decided_to": "2027-02-30"}, "decided_to"),
    ({"name": "x" * 101}, "name")])
def test_a_filter_value_the_list_does_not_have_is_refused(harness, actors, filters, field):
    error = harness.refused(ValidationFailed, "invalid", "list_applications", actors.admin, filters)
    assert error.fields == {field: error.fields[field]} and field in error.fields


def test_the_dashboard_counts_per_formation_in_the_actors_scope(campaign, actors):
    h = campaign
    stats = h.call("application_stats", actors.manager_sci)
    items = every(h, actors.manager_sci)
    cancelled = every(h, actors.manager_sci, {"status": "cancelled"})
    row, = stats["rows"]  # the SCI centre has applications to MINFO1 only
    assert row["centre"] == {"code": "SCI", "label": "UFR Sciences et Techniques"}
    assert row["campaign"] == "2027"
    assert row["formation"]["code"] == "MINFO1" and row["capacity"] == 30
    assert row["total"] == len(items) and row["cancelled"] == len(cancelled)
    assert row["status"] == {s: len([a for a in items if a["status"] == s])
                             for s in ("AT", "RE", "IN", "CO")}
    assert row["decision"] == {d: len([a for a in items if (a["decision"] or {}).get("code") == d])
                               for d in ("FA", "DE", "LC", "LA", "PR")}
    assert row["validated"] == len([a for a in items if a["decision"]])
    assert row["pending"] == len([a for a in items if a["pending_decision"]])
    assert row["confirmed"] == len([a for a in items if a["confirmed_at"] and not a["withdrawn_at"]])
    assert row["withdrawn"] == len([a for a in items if a["withdrawn_at"]])
    assert stats["totals"]["total"] == row["total"] and stats["totals"]["capacity"] == 30
    # the whole institution for the central office; one formation on demand
    everything = h.call("application_stats", actors.scol)
    assert [r["formation"]["code"] for r in everything["rows"]] == ["MLEA1", "MINFO1"]
    assert everything["totals"]["total"] == row["total"] + 1
    assert [r["formation"]["code"] for r in h.call(
        "application_stats", actors.scol, formation="MLEA1")["rows"]] == ["MLEA1"]
    # a committee member: their commission's transmitted files only
    committee = h.call("application_stats", actors.committee_sci)["totals"]
    assert committee["total"] == len([a for a in items if a["transmitted_at"]])
    h.refused(Forbidden, "out_of_scope", "application_stats", actors.manager_sci, centre="LLSH")
    assert h.call("application_stats", actors.manager_llsh, formation="MINFO1")["rows"] == []
