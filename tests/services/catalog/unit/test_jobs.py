"""The catalog's scheduled job: the active campaign past its end date is
archived and the next one activated, as an administrator's archiving does."""
from datetime import UTC, datetime

from sqlalchemy import text

from services.catalog import jobs
from services.catalog.models import Base
from services.common.actors import ANONYMOUS
from tests.services.catalog.world import ADMIN

# 2027's campaign ends on 30 September 2027 (tests/services/catalog/conftest.py)
LAST_DAY = datetime(2027, 9, 30, 21, 59, tzinfo=UTC)    # 23:59 in Paris
NEXT_DAY = datetime(2027, 9, 30, 22, 1, tzinfo=UTC)     # 00:01 in Paris
NEXT = {"code": "2028", "label": "Campagne 2028", "start": "2027-10-01", "end": "2028-09-30",
        "login_until": "2028-10-31"}


def run(catalog_db, unit_of_work, now):
    unit = unit_of_work(catalog_db, Base.metadata)
    try:
        counts = jobs.archive_ended_campaigns(unit, now)
        unit.commit()
        return counts
    finally:
        unit.close()


def events(catalog_db):
    with catalog_db.connect() as conn:
        return [(row[0]["event_type"], row[0].get("code"), row[0].get("next_active"))
                for row in conn.execute(text("SELECT payload FROM outbox_events ORDER BY created_at"))]


def test_an_ended_campaign_is_archived_and_the_next_one_activated(call, catalogue, catalog_db,
                                                                   unit_of_work):
    call("save_campaign", ADMIN, NEXT)
    assert run(catalog_db, unit_of_work, LAST_DAY) == {"archived": 0, "activated": 0}
    assert call("get_active_campaign", ANONYMOUS)["code"] == "2027"
    assert run(catalog_db, unit_of_work, NEXT_DAY) == {"archived": 1, "activated": 1}
    assert call("get_active_campaign", ANONYMOUS)["code"] == "2028"
    archived = call("get_campaign", ADMIN, "2027")
    assert archived["archived_at"] == "2027-10-01" and not archived["active"]
    assert [e for e in events(catalog_db) if e[0] != "campaign_updated"] == [
        ("campaign_archived", "2027", "2028"), ("campaign_activated", "2028", None)]
    # idempotent: the next run finds nothing to do, and tells nobody again
    assert run(catalog_db, unit_of_work, NEXT_DAY) == {"archived": 0, "activated": 0}
    assert len(events(catalog_db)) == 3


def test_without_a_next_campaign_the_ended_one_is_archived_alone(call, catalogue, catalog_db,
                                                                  unit_of_work):
    assert run(catalog_db, unit_of_work, NEXT_DAY) == {"archived": 1, "activated": 0}
    assert [c["active"] for c in call("list_campaigns", ADMIN)] == [False]
    assert events(catalog_db) == [("campaign_archived", "2027", None)]


def test_an_administrator_runs_it_by_hand(call, catalogue):
    listed, = call("list_jobs", ADMIN)
    assert (listed["name"], listed["schedule"]) == (
        "archive_ended_campaigns", {"daily_at": "00:15", "timezone": "Europe/Paris"})
    record = call("run_job", ADMIN, "archive_ended_campaigns")
    # the fixture's clock (10 March 2027) is within the campaign
    assert (record["status"], record["counts"]) == ("done", {"archived": 0, "activated": 0})
    assert call("get_campaign", ADMIN, "2027")["archived_at"] is None
