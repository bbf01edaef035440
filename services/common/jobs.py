"""Scheduled jobs, the one way every service runs work on a schedule.

A job is a name, a function `(unit, now) -> dict of counts` and a schedule
(`every(minutes=15)`, or `daily(3, 0)` in Europe/Paris). A service lists its
jobs in a `Jobs` registry (`services/<svc>/jobs.py`) and names it on its class
(`scheduled_jobs = jobs.JOBS`); ServiceBase then gives it:

- a timer (`JOBS_TICK_SECONDS`, 60) that runs the jobs that are due, as the
  `system` actor, in-process. Each job's next run is a row of `job_schedule`
  that a run claims by moving it forward (`UPDATE ... WHERE next_run_at <= now`),
  so several instances, or a restart, never multiply a scheduled run;
  `JOBS_ENABLED=0` turns the timer off (the tests do, unless they want it);
- `list_jobs(actor)` and `run_job(actor, name, idempotency_key=None)`
  (administrators): run now, answer the run's record.

Two runs of one job (two instances, the schedule and a click) do the work
once: a run holds the job's `job_schedule` row (`FOR UPDATE SKIP LOCKED`, on a
connection of its own) while it works; a run that finds it held is recorded
`skipped` and does nothing. Every run is a row of `job_runs`: start, end,
duration, counts, status (`running`, `done`, `failed` with the error,
`skipped`), trigger (`schedule` / `manual`) and who. A run left `running` by a
process that died is marked failed by the next run of that job.

The job's work is a transaction of its own (a fresh UnitOfWork on the
service's engine, its events through the outbox); the function may commit in
batches; what it leaves uncommitted is committed when it returns.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from time import monotonic

from nameko.timer import Timer
from sqlalchemy import (JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        delete, select, update)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .clock import PARIS
from .config import env
from .db import UnitOfWork, json_safe

log = logging.getLogger(__name__)

RUNS, SCHEDULE = "job_runs", "job_schedule"
RUNNING, DONE, FAILED, SKIPPED = "running", "done", "failed", "skipped"
SCHEDULED, MANUAL = "schedule", "manual"
RECENT_RUNS = 5          # runs list_jobs shows per job
MAX_ERROR = 2000         # characters of an error kept


def job_tables(metadata: MetaData):
    """Add `job_runs` and `job_schedule` to a service's metadata (and write its migration)."""
    runs = Table(
        RUNS, metadata,
        Column("id", Integer, primary_key=True),
        Column("job", String(100), nullable=False),
        Column("trigger", String(20), nullable=False),       # schedule, manual
        Column("triggered_by", String(200), nullable=True),  # who, for a manual run
        Column("status", String(20), nullable=False),        # running, done, failed, skipped
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("ended_at", DateTime(timezone=True), nullable=True),
        Column("duration_ms", Integer, nullable=True),
        Column("counts", JSON, nullable=True),
        Column("error", Text, nullable=True),
        Index("ix_job_runs_job_started", "job", "started_at"),
    )
    schedule = Table(
        SCHEDULE, metadata,
        Column("job", String(100), primary_key=True),
        Column("next_run_at", DateTime(timezone=True), nullable=False),
    )
    return runs, schedule


# -- schedules ------------------------------------------------------------------------

@dataclass(frozen=True)
class Every:
    """Every `seconds`; the first run at the first tick."""
    seconds: int

    def first(self, now):
        return now

    def following(self, now):
        return now + timedelta(seconds=self.seconds)

    def describe(self):
        return {"every_seconds": self.seconds}


@dataclass(frozen=True)
class Daily:
    """Once a day at `at`, Paris time (summer and winter time alike)."""
    at: time

    def first(self, now):
        return self.following(now - timedelta(microseconds=1))

    def following(self, now):
        """The first `at` (Paris) strictly after `now`."""
        day = now.astimezone(PARIS).date()
        for offset in range(3):
            moment = datetime.combine(day + timedelta(days=offset), self.at, tzinfo=PARIS)
            if moment > now:
                return moment
        raise AssertionError("unreachable")

    def describe(self):
        return {"daily_at": self.at.strftime("%H:%M"), "timezone": "Europe/Paris"}


def every(hours=0, minutes=0, seconds=0):
    total = int(hours * 3600 + minutes * 60 + seconds)
    if total <= 0:
        raise ValueError("a job's interval is a positive duration")
    return Every(total)


def daily(hour, minute=0):
    return Daily(time(hour, minute))


def job_schedule(name, default):
    """A job's schedule from the environment, `JOB_<NAME>_SCHEDULE`: `daily 03:30`
    or `every 15m` / `every 2h`; `default` otherwise."""
    raw = (env(f"JOB_{name.upper()}_SCHEDULE", "") or "").strip().lower()
    if not raw:
        return default
    kind, _, value = raw.partition(" ")
    value = value.strip()
    if kind == "daily":
        hour, _, minute = value.partition(":")
        return daily(int(hour), int(minute or 0))
    if kind == "every" and value[-1:] in ("s", "m", "h"):
        number = float(value[:-1])
        return every(**{{"s": "seconds", "m": "minutes", "h": "hours"}[value[-1]]: number})
    raise ValueError(f"JOB_{name.upper()}_SCHEDULE: 'daily HH:MM' or 'every N[smh]'")


# -- the registry ---------------------------------------------------------------------

@dataclass
class Job:
    name: str
    function: object
    schedule: object
    description: str = ""


@dataclass
class Jobs:
    """A service's jobs by name."""
    jobs: dict = field(default_factory=dict)

    def add(self, name, function, schedule, description=""):
        if name in self.jobs:
            raise ValueError(f"job {name!r} registered twice")
        self.jobs[name] = Job(name, function, job_schedule(name, schedule), description)
        return function

    def job(self, name, schedule, description=""):
        """Decorator form of `add`."""
        return lambda function: self.add(name, function, schedule, description)

    def get(self, name):
        return self.jobs.get(name) if isinstance(name, str) else None

    def __iter__(self):
        return iter(self.jobs.values())

    def __len__(self):
        return len(self.jobs)


NO_JOBS = Jobs()


def enabled():
    return env("JOBS_ENABLED", "1") not in ("0", "false", "no", "off")


def tick_seconds():
    return float(env("JOBS_TICK_SECONDS", "60"))


def keep_days():
    return float(env("JOB_RUNS_KEEP_DAYS", "90"))


# -- running --------------------------------------------------------------------------

def _tables(db):
    return db.metadata.tables[RUNS], db.metadata.tables[SCHEDULE]


def _engine(db):
    return db.session.get_bind()


def _utc(moment):
    return moment.astimezone(timezone.utc) if moment is not None else None


def run_record(row, service=None):
    record = {"id": row.id, "job": row.job, "trigger": row.trigger,
              "triggered_by": row.triggered_by, "status": row.status,
              "started_at": _utc(row.started_at), "ended_at": _utc(row.ended_at),
              "duration_ms": row.duration_ms, "counts": row.counts or {}, "error": row.error}
    if service:
        record["service"] = service
    return json_safe(record)


def _write(engine, statement):
    """A run's record is committed at once, apart from the job's work: the
    page shows a run in progress, and a failed job's record survives its rollback."""
    with engine.begin() as conn:
        result = conn.execute(statement)
        return result.first() if result.returns_rows else None


def _ensure_scheduled(engine, schedule_table, job, now):
    """The job's schedule row, made at its first sight. Read first: an insert
    meeting the row while a run holds it would wait for that run to end."""
    with engine.connect() as conn:
        if conn.execute(select(schedule_table.c.job)
                        .where(schedule_table.c.job == job.name)).first() is not None:
            return
    _write(engine, insert(schedule_table).values(job=job.name,
                                                 next_run_at=job.schedule.first(now))
           .on_conflict_do_nothing())


def who(actor):
    actor = actor or {}
    if actor.get("kind") == "staff":
        return f"staff:{actor.get('id')}" + (f" ({actor['login']})" if actor.get("login") else "")
    return str(actor.get("kind") or "system")


def run(db, job, now, trigger=MANUAL, actor=None):
    """Runs `job` now unless another run holds it. -> its run record (dict), or
    None for a scheduled run whose slot another instance already took."""
    engine = _engine(db)
    runs, schedule = _tables(db)
    _ensure_scheduled(engine, schedule, job, now)
    with engine.connect() as holder:
        held = holder.execute(select(schedule.c.next_run_at).where(schedule.c.job == job.name)
                              .with_for_update(skip_locked=True)).first()
        if held is None:  # another run is at work
            if trigger == SCHEDULED:
                return None
            row = _write(engine, insert(runs).values(
                job=job.name, trigger=trigger, triggered_by=who(actor), status=SKIPPED,
                started_at=now, ended_at=now, duration_ms=0, counts={},
                error="another run of this job was in progress").returning(*runs.c))
            log.info("job %s skipped: another run is in progress", job.name)
            return run_record(row)
        if trigger == SCHEDULED:
            if held.next_run_at > now:  # another instance ran it meanwhile
                holder.rollback()
                return None
            holder.execute(update(schedule).where(schedule.c.job == job.name)
                           .values(next_run_at=job.schedule.following(now)))
        # we hold the job: a run still `running` was cut short by a process that died
        _write(engine, update(runs).where(runs.c.job == job.name, runs.c.status == RUNNING)
               .values(status=FAILED, error="interrupted (the process stopped)"))
        _write(engine, delete(runs).where(runs.c.job == job.name,
                                          runs.c.started_at < now - timedelta(days=keep_days())))
        row = _write(engine, insert(runs).values(
            job=job.name, trigger=trigger, triggered_by=None if trigger == SCHEDULED else who(actor),
            status=RUNNING, started_at=now).returning(runs.c.id))
        record = _work(db, job, now, row.id, engine, runs)
        holder.commit()  # the schedule's move, and the job let go
    return record


def _work(db, job, now, run_id, engine, runs):
    unit = UnitOfWork(Session(bind=engine, expire_on_commit=False), db.metadata,
                      on_commit=db.on_commit)
    started = monotonic()
    try:
        counts = json_safe(job.function(unit, now) or {})
        unit.commit()
    except Exception as exc:
        unit.rollback()
        values = {"status": FAILED, "error": f"{type(exc).__name__}: {exc}"[:MAX_ERROR]}
        log.exception("job %s failed", job.name)
    else:
        values = {"status": DONE, "counts": counts}
        log.info("job %s done: %s", job.name, counts)
    finally:
        unit.close()
    elapsed = monotonic() - started
    row = _write(engine, update(runs).where(runs.c.id == run_id).values(
        ended_at=now + timedelta(seconds=elapsed), duration_ms=int(elapsed * 1000), **values)
        .returning(*runs.c))
    return run_record(row)


def run_due(db, jobs, now):
    """Runs every job whose next run has come (the timer). -> their records."""
    records = []
    if not len(jobs):
        return records
    engine = _engine(db)
    _, schedule = _tables(db)
    for job in jobs:
        _ensure_scheduled(engine, schedule, job, now)
    with engine.connect() as conn:
        due = {row.job for row in conn.execute(
            select(schedule.c.job).where(schedule.c.next_run_at <= now))}
    for job in jobs:
        if job.name in due:
            record = run(db, job, now, SCHEDULED)
            if record is not None:
                records.append(record)
    return records


def describe(db, jobs, now, service=None):
    """Every job with its schedule, next run and last runs (newest first)."""
    if not len(jobs):
        return []
    runs, schedule = _tables(db)
    session = db.session
    next_runs = dict(session.execute(select(schedule.c.job, schedule.c.next_run_at)).all())
    listed = []
    for job in jobs:
        recent = session.execute(select(runs).where(runs.c.job == job.name)
                                 .order_by(runs.c.started_at.desc(), runs.c.id.desc())
                                 .limit(RECENT_RUNS)).all()
        listed.append(json_safe({
            "service": service, "name": job.name, "description": job.description,
            "schedule": job.schedule.describe(),
            "next_run_at": _utc(next_runs.get(job.name) or job.schedule.first(now)),
            "runs": [run_record(row) for row in recent]}))
    db.rollback()  # only read: no transaction left open on the worker's connection
    return listed


class JobTimer(Timer):
    """Every JOBS_TICK_SECONDS, one worker runs the jobs that are due. Not started
    when JOBS_ENABLED=0 or when the service has no jobs."""

    def __init__(self, **kwargs):
        super().__init__(interval=None, eager=True, **kwargs)

    def start(self):
        jobs = getattr(self.container.service_cls, "scheduled_jobs", NO_JOBS)
        if not enabled() or not len(jobs):
            return
        self.interval = tick_seconds()  # read when the service starts, not when imported
        super().start()

    def stop(self):
        if self.gt is not None:
            super().stop()

    def kill(self):
        if self.gt is not None:
            super().kill()


job_timer = JobTimer.decorator
