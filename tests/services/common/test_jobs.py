"""Scheduled jobs (services/common/jobs.py) on a real database: when a job is
due, one run of it at a time whatever starts it, every run recorded (done,
failed with its error, skipped), and the administrators' list_jobs/run_job.

The probe is a service with jobs of its own on the documents test database
(which has the job tables, as every service with jobs has)."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import insert, text

from services.common import jobs
from services.common.clock import FixedClock
from services.common.db import Database
from services.common.errors import Forbidden, NotFound
from services.common.service_base import ServiceBase
from services.documents.models import Base
from tests.support.actors import SYSTEM, candidate, staff

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)
WORK = []                       # what the jobs did, in order
GATE = {"started": None, "go_on": None}


def count_work(unit, now):
    WORK.append(now)
    unit.session.execute(text("INSERT INTO deleted_candidates VALUES (:id, :at)"),
                         {"id": len(WORK), "at": now})
    return {"done": 1}


def fail_half_way(unit, now):
    unit.session.execute(text("INSERT INTO deleted_candidates VALUES (99, :at)"), {"at": now})
    raise RuntimeError("the disk is full")


def slow_work(unit, now):
    GATE["started"].set()
    GATE["go_on"].wait(timeout=30)
    return count_work(unit, now)


JOBS = jobs.Jobs()
JOBS.add("tidy", count_work, jobs.every(minutes=15), "tidies")
JOBS.add("nightly", count_work, jobs.daily(3, 0), "at night")
JOBS.add("broken", fail_half_way, jobs.every(hours=1))
JOBS.add("slow", slow_work, jobs.every(hours=1))


class Probe(ServiceBase):
    name = "documents"
    db = Database(Base.metadata)
    scheduled_jobs = JOBS


@pytest.fixture
def probe(service_db, unit_of_work):
    engine = service_db("documents")
    WORK.clear()
    clock = FixedClock(NOW)

    class Harness:
        def __init__(self):
            self.clock = clock

        def call(self, method, *args, **kwargs):
            unit = unit_of_work(engine, Base.metadata)
            worker = worker_factory(Probe, db=unit)
            worker.clock = clock
            try:
                return getattr(worker, method)(*args, **kwargs)
            finally:
                unit.close()

        def runs(self, job=None):
            with engine.connect() as conn:
                return conn.execute(text(
                    "SELECT * FROM job_runs WHERE job = coalesce(:job, job) ORDER BY id"),
                    {"job": job}).all()

        def rows(self, sql):
            with engine.connect() as conn:
                return conn.execute(text(sql)).all()
    harness = Harness()
    harness.engine = engine
    return harness


def tick(probe):
    return probe.call("run_due_jobs")


def by_job(records):
    return sorted((r["job"], r["status"]) for r in records)


# -- schedules -----------------------------------------------------------------------

def test_an_interval_runs_at_once_then_every_interval():
    schedule = jobs.every(minutes=15)
    assert schedule.first(NOW) == NOW
    assert schedule.following(NOW) == NOW + timedelta(minutes=15)


def test_a_daily_time_is_paris_time_in_winter_and_in_summer():
    at_3 = jobs.daily(3, 0)
    winter = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)
    assert at_3.following(winter) == datetime(2027, 1, 11, 2, 0, tzinfo=timezone.utc)
    summer = datetime(2027, 7, 10, 0, 30, tzinfo=timezone.utc)  # 02:30 in Paris
    assert at_3.following(summer) == datetime(2027, 7, 10, 1, 0, tzinfo=timezone.utc)
    # the night the clocks go forward (28 March 2027): 03:00 is 01:00 UTC
    assert at_3.following(datetime(2027, 3, 27, 12, 0, tzinfo=timezone.utc)) == datetime(
        2027, 3, 28, 1, 0, tzinfo=timezone.utc)
    # never run: the next 03:00, not at once
    assert at_3.first(winter) == at_3.following(winter)


def test_a_schedule_can_be_changed_by_the_environment(monkeypatch):
    monkeypatch.setenv("JOB_TIDY_SCHEDULE", "daily 04:45")
    assert jobs.job_schedule("tidy", jobs.every(hours=1)) == jobs.daily(4, 45)
    monkeypatch.setenv("JOB_TIDY_SCHEDULE", "every 2h")
    assert jobs.job_schedule("tidy", jobs.daily(1)) == jobs.every(hours=2)
    monkeypatch.setenv("JOB_TIDY_SCHEDULE", "sometimes")
    with pytest.raises(ValueError):
        jobs.job_schedule("tidy", jobs.daily(1))


# -- due runs ------------------------------------------------------------------------

def test_the_timer_runs_what_is_due_once_however_many_instances_tick(probe):
    GATE["started"], GATE["go_on"] = threading.Event(), threading.Event()
    GATE["go_on"].set()
    first = tick(probe)
    # interval jobs run at the first tick; the daily one waits for its hour
    assert by_job(first) == [("broken", "failed"), ("slow", "done"), ("tidy", "done")]
    assert all(r["trigger"] == "schedule" and r["triggered_by"] is None for r in first)
    assert tick(probe) == []                       # a second instance, or a restart
    probe.clock.advance(minutes=14)
    assert tick(probe) == []
    probe.clock.advance(minutes=1)
    assert by_job(tick(probe)) == [("tidy", "done")]
    probe.clock.now = datetime(2027, 3, 11, 2, 0, tzinfo=timezone.utc)   # 03:00 in Paris
    assert ("nightly", "done") in by_job(tick(probe))
    assert [r.status for r in probe.runs("nightly")] == ["done"]
    assert len(probe.runs("tidy")) == 3


def test_jobs_off_or_absent_start_no_timer(monkeypatch):
    class Container:
        service_cls = Probe
    timer = jobs.JobTimer()
    timer.container = Container()
    monkeypatch.setenv("JOBS_ENABLED", "0")
    timer.start()
    assert timer.gt is None
    timer.stop()  # nothing to stop, no error

    class Bare(ServiceBase):
        name = "bare"
    Container.service_cls = Bare
    monkeypatch.setenv("JOBS_ENABLED", "1")
    timer.start()
    assert timer.gt is None


# -- one run at a time ------------------------------------------------------------------

def test_two_runs_at_once_do_the_work_once(probe):
    """Two threads, each its own database connections, run the same job at the
    same moment: the second finds it held and is recorded skipped."""
    GATE["started"], GATE["go_on"] = threading.Event(), threading.Event()
    admin = staff("admin", id=4, login="root")
    results = {}
    first = threading.Thread(target=lambda: results.update(
        first=probe.call("run_job", admin, "slow")))
    first.start()
    assert GATE["started"].wait(timeout=30)
    second = probe.call("run_job", admin, "slow")    # while the first works
    # the schedule too finds it held, and records nothing
    assert [r for r in tick(probe) if r["job"] == "slow"] == []
    GATE["go_on"].set()
    first.join(timeout=30)
    assert results["first"]["status"] == "done" and results["first"]["counts"] == {"done": 1}
    assert second["status"] == "skipped" and second["triggered_by"] == "staff:4 (root)"
    assert "in progress" in second["error"]
    assert len(WORK) == 2  # slow once, and tidy, which the tick ran meanwhile
    assert sorted(r.status for r in probe.runs("slow")) == ["done", "skipped"]


def test_a_failed_run_is_recorded_with_its_error_and_keeps_nothing(probe):
    record = probe.call("run_job", staff("admin"), "broken")
    assert record["status"] == "failed" and record["error"] == "RuntimeError: the disk is full"
    assert record["ended_at"] and record["duration_ms"] >= 0 and record["service"] == "documents"
    assert probe.rows("SELECT * FROM deleted_candidates") == []   # its work rolled back
    run, = probe.runs("broken")
    assert (run.status, run.trigger, run.error) == ("failed", "manual",
                                                    "RuntimeError: the disk is full")


def test_a_run_cut_short_by_a_dead_process_is_marked_failed_by_the_next(probe):
    with probe.engine.begin() as conn:
        conn.execute(insert(Base.metadata.tables["job_runs"]).values(
            job="tidy", trigger="schedule", status="running", started_at=NOW))
    probe.call("run_job", staff("admin"), "tidy")
    assert [(r.status, r.error) for r in probe.runs("tidy")] == [
        ("failed", "interrupted (the process stopped)"), ("done", None)]


# -- by hand ---------------------------------------------------------------------------

def test_an_administrator_lists_the_jobs_and_runs_one_now(probe):
    admin = staff("admin")
    record = probe.call("run_job", admin, "tidy", idempotency_key="k-1")
    assert {k: record[k] for k in ("job", "status", "trigger", "counts", "service")} == {
        "job": "tidy", "status": "done", "trigger": "manual", "counts": {"done": 1},
        "service": "documents"}
    # the same click again: its first answer, no second run
    assert probe.call("run_job", admin, "tidy", idempotency_key="k-1") == record
    assert len(WORK) == 1
    listed = {job["name"]: job for job in probe.call("list_jobs", admin)}
    assert set(listed) == {"tidy", "nightly", "broken", "slow"}
    assert listed["tidy"]["schedule"] == {"every_seconds": 900}
    assert listed["nightly"]["schedule"] == {"daily_at": "03:00", "timezone": "Europe/Paris"}
    assert listed["nightly"]["next_run_at"] == "2027-03-11T02:00:00+00:00"
    assert [r["status"] for r in listed["tidy"]["runs"]] == ["done"]
    assert listed["tidy"]["runs"][0]["triggered_by"] == "staff:1 (admin)"
    assert listed["nightly"]["runs"] == []


@pytest.mark.parametrize("actor", [staff("scol"), staff("readonly"), candidate(7), SYSTEM])
def test_only_administrators_list_and_run_jobs(probe, actor):
    for method, args in (("list_jobs", ()), ("run_job", ("tidy",))):
        with pytest.raises(Forbidden):
            probe.call(method, actor, *args)
    assert WORK == [] and probe.runs() == []


def test_an_unknown_job_is_not_found(probe):
    for name in ("nope", None, ["tidy"]):
        with pytest.raises(NotFound) as info:
            probe.call("run_job", staff("admin"), name)
        assert info.value.code == "job_not_found"


def test_a_service_without_jobs_lists_none():
    class Bare(ServiceBase):
        name = "notifications"
    worker = worker_factory(Bare)
    assert worker.list_jobs(staff("admin")) == []
    assert worker.run_due_jobs() == []


def test_a_running_service_runs_its_due_jobs_on_its_timer(probe, rabbit_config,
                                                         container_factory, monkeypatch):
    """The timer entrypoint in a real container: the jobs due at its first tick run."""
    from tests.support.waiting import eventually
    GATE["started"], GATE["go_on"] = threading.Event(), threading.Event()
    GATE["go_on"].set()
    monkeypatch.setenv("JOBS_ENABLED", "1")
    container = container_factory(Probe, rabbit_config)
    container.start()
    done = eventually(lambda: {r.job for r in probe.runs() if r.status != "running"}
                      >= {"tidy", "broken", "slow"})
    container.stop()
    assert done
    assert {(r.job, r.status, r.trigger) for r in probe.runs()} == {
        ("tidy", "done", "schedule"), ("broken", "failed", "schedule"),
        ("slow", "done", "schedule")}
