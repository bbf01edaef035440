"""Database sessions and the transactional outbox, the one way every service
talks to its own PostgreSQL database.

A worker gets a `UnitOfWork`: a SQLAlchemy session plus `emit()`, which writes
an event into the service's `outbox_events` table in the same transaction as
the state change. `commit()` commits both and wakes the `OutboxRelay`, which
publishes pending rows to RabbitMQ (nameko's `<service>.events` exchange) and
deletes them (payloads may carry secrets such as an activation token, which must
not linger); a crash in between only re-publishes, and subscribers
apply each event once (`handle_once`). The relay also polls, so rows left by a
crashed instance are published by any live one (`FOR UPDATE SKIP LOCKED`).
"""
import functools
import logging
import selectors
import uuid
from time import monotonic
from datetime import date, datetime
from decimal import Decimal

import eventlet
import psycopg.waiting
from eventlet.patcher import is_monkey_patched
from eventlet.queue import Empty, LightQueue
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from sqlalchemy import (JSON, Column, DateTime, MetaData, String, Table, create_engine,
                        delete, insert, select)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .clock import utcnow
from .config import amqp_uri, database_url, pool_budget
from .logs import REQUEST_ID, current_request_id
from .trust import sign_event

log = logging.getLogger(__name__)

RELAY_POLL_SECONDS = 2.0
RELAY_BATCH = 200
RELAY_REPORT_SECONDS = 60


def messaging_tables(metadata: MetaData):
    """Add the outbox and processed-events tables to a service's metadata."""
    outbox = Table(
        "outbox_events", metadata,
        Column("id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    )
    processed = Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed


def json_safe(value):
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def event_exchange(service_name):
    # Same exchange nameko's EventDispatcher uses, so @event_handler works as is.
    return Exchange(f"{service_name}.events", type="topic", durable=True, delivery_mode=2)


class UnitOfWork:
    """One worker's transaction: `session`, `emit()`, `commit()`."""

    def __init__(self, session, metadata, on_commit=None):
        self.session = session
        self.metadata = metadata
        self.outbox = metadata.tables["outbox_events"]
        self.processed = metadata.tables["processed_events"]
        self.on_commit = on_commit
        self.emitted = []
        self.after_commit_calls = []
        # An idempotent command (services/common/idempotency.py) holds its
        # commits: its key and its changes are committed together, once.
        self.holding = self.lost_hold = False
        self.held_calls = []
        self.savepoint = None

    def emit(self, event_type, payload):
        event = json_safe(dict(payload))
        event.update(event_id=str(uuid.uuid4()), event_type=event_type,
                     occurred_at=utcnow().isoformat())
        # the request id rides with the row (not in the event) to the relay, which sends it as a header
        row = {**event, REQUEST_ID: current_request_id()} if current_request_id() else event
        self.session.execute(insert(self.outbox).values(
            id=event["event_id"], event_type=event_type, payload=row,
            created_at=utcnow()))
        self.emitted.append(event)
        return event

    def after_commit(self, call):
        """Run `call()` once the changes made so far are committed (not if they
        are rolled back): deleting files no row points to any more, for instance."""
        self.after_commit_calls.append(call)

    def commit(self):
        if self.holding:
            # Flushed now, committed by release(); the savepoint lets a command
            # that commits then raises keep what it committed, as it would unheld.
            self.session.flush()
            self.savepoint = self.session.begin_nested()
            self.held_calls += self.after_commit_calls
            self.after_commit_calls = []
            return
        self.session.commit()
        if self.emitted and self.on_commit:
            self.on_commit()
        self.emitted = []
        calls = self.held_calls + self.after_commit_calls
        self.held_calls, self.after_commit_calls, self.savepoint = [], [], None
        for call in calls:
            call()

    def rollback(self):
        # Held or not, everything goes: a held command's key too (hold_lost()).
        self.session.rollback()
        self.emitted = []
        self.after_commit_calls, self.held_calls, self.savepoint = [], [], None
        if self.holding:
            self.holding, self.lost_hold = False, True

    def hold(self):
        """Until release(): commit() only flushes (and marks a savepoint)."""
        self.holding, self.lost_hold = True, False

    def hold_lost(self):
        """Whether the held transaction was rolled back by the command itself."""
        return self.lost_hold

    def release(self):
        """Commit everything held, then run what waited for the commit."""
        self.holding = False
        self.commit()

    def release_after_error(self, forget):
        """The held command raised: what it changed since its last commit() goes,
        what it committed before (if anything) is committed now, after `forget()`
        (which removes its key); with no commit() before, nothing is kept."""
        self.holding = False
        if self.savepoint is None:
            self.rollback()
            return
        if self.savepoint.is_active:
            self.savepoint.rollback()
        self.after_commit_calls = []
        forget()
        self.commit()

    def already_processed(self, event_id, handler):
        return self.session.execute(
            select(self.processed.c.event_id).where(
                self.processed.c.event_id == event_id,
                self.processed.c.handler == handler)).first() is not None

    def mark_processed(self, event_id, handler):
        self.session.execute(insert(self.processed).values(
            event_id=event_id, handler=handler, processed_at=utcnow()))

    def close(self):
        self.session.close()


UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def is_unique_violation(error):
    """Whether an IntegrityError is a unique index or constraint refusing a row."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == UNIQUE_VIOLATION


def flush_unique(db, error=None):
    """Flush the unit of work `db`, where a unique index decides between
    concurrent writers (two requests creating the same code, email or login at
    once: the second one's INSERT waits for the first and is refused when it
    commits). True when flushed. A unique violation rolls the whole transaction
    back, as `db.rollback()` does (a failed statement outside a savepoint leaves
    PostgreSQL nothing else to do); then `error` (a DomainError) is raised, or,
    without one, False is returned and the caller goes on in a new transaction
    (to read the winner's row, say). Any other IntegrityError is raised as is,
    after the rollback."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.rollback()
        if not is_unique_violation(exc):
            raise
        if error is not None:
            raise error from None
        return False
    return True


def handle_once(handler):
    """Apply an event at most once per handler: the handler's changes and the
    record of the event id are committed together. Put it under
    @event_handler(...) (services/common/events.py): when it raises, nothing
    is kept and the broker brings the event back later, or dead-letters it."""
    @functools.wraps(handler)
    def wrapper(self, payload):
        name = f"{type(self).__name__}.{handler.__name__}"
        event_id = payload.get("event_id")
        if event_id and self.db.already_processed(event_id, name):
            return None
        try:
            result = handler(self, payload)
        except Exception:
            # Nothing of it is kept; the entrypoint has the broker retry it later.
            self.db.rollback()
            raise
        if event_id:
            self.db.mark_processed(event_id, name)
        try:
            self.db.commit()
        except IntegrityError:  # another instance applied it concurrently
            self.db.rollback()
        return result
    return wrapper


def cooperative_waits():
    """psycopg's C implementation waits for the server in C (poll), which eventlet
    cannot see: one slow query would freeze every worker of the instance. Under
    eventlet, wait through select.select instead, which eventlet has made green."""
    if is_monkey_patched("select"):
        psycopg.waiting.wait = psycopg.waiting.wait_select
        # Opening a connection waits through a selector, bound when psycopg was imported.
        psycopg.waiting.DefaultSelector = selectors.DefaultSelector


def make_engine(service):
    """The service's engine; its connections are budgeted (pool_budget)."""
    cooperative_waits()
    pool_size, max_overflow = pool_budget()
    return create_engine(database_url(service), pool_size=pool_size, max_overflow=max_overflow,
                         pool_pre_ping=True)


class OutboxRelay:
    def __init__(self, service_name, sessions, outbox, uri):
        self.service_name = service_name
        self.sessions = sessions
        self.outbox = outbox
        self.exchange = event_exchange(service_name)
        self.publisher = Publisher(uri, serializer="json", declare=[self.exchange])
        self.wakeups = LightQueue()
        self.running = False
        self.failing = self.last_report = None  # when the current outage began, last said

    def wake(self):
        self.wakeups.put(None)

    def run(self):
        self.running = True
        while self.running:
            try:
                self.wakeups.get(timeout=RELAY_POLL_SECONDS)
                while not self.wakeups.empty():
                    self.wakeups.get_nowait()
            except Empty:
                pass
            if not self.running:
                break
            try:
                self.flush()
            except Exception as exc:  # broker or database away: retry on next tick
                self._failed(exc)
                eventlet.sleep(1)
            else:
                if self.failing:
                    log.info("outbox relay of %s publishes again", self.service_name)
                self.failing = None

    def _failed(self, exc):
        """One traceback when an outage starts, then one short line a minute:
        an outage of the database or the broker must not flood the logs."""
        now = monotonic()
        if self.failing is None:
            log.exception("outbox relay of %s failed; will retry", self.service_name)
            self.failing = self.last_report = now
        elif now - self.last_report >= RELAY_REPORT_SECONDS:
            log.warning("outbox relay of %s still failing for %.0f s: %s", self.service_name,
                        now - self.failing, str(exc).splitlines()[0][:200] if str(exc) else
                        type(exc).__name__)
            self.last_report = now

    def stop(self):
        self.running = False
        self.wake()

    def flush(self):
        """Publish every pending event; returns how many."""
        total = 0
        while True:
            with self.sessions() as session:
                rows = session.execute(
                    select(self.outbox.c.id, self.outbox.c.event_type, self.outbox.c.payload)
                    .where(self.outbox.c.published_at.is_(None))
                    .order_by(self.outbox.c.created_at)
                    .limit(RELAY_BATCH)
                    .with_for_update(skip_locked=True)).all()
                for row in rows:
                    payload = dict(row.payload)
                    request_id = payload.pop(REQUEST_ID, None)
                    headers = {f"nameko.{REQUEST_ID}": request_id} if request_id else {}
                    self.publisher.publish(sign_event(self.service_name, row.event_type,
                                                      payload), exchange=self.exchange,
                                           routing_key=row.event_type, headers=headers)
                    session.execute(delete(self.outbox).where(self.outbox.c.id == row.id))
                session.commit()
            total += len(rows)
            if len(rows) < RELAY_BATCH:
                return total


class Database(DependencyProvider):
    """Injects a `UnitOfWork` per worker and runs the service's outbox relay."""

    def __init__(self, metadata):
        self.metadata = metadata
        self.units = {}

    def setup(self):
        self.engine = make_engine(self.container.service_name)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(self.container.service_name, self.sessions,
                                 self.metadata.tables["outbox_events"],
                                 self.container.config.get("AMQP_URI") or amqp_uri())

    def start(self):
        self.container.spawn_managed_thread(self.relay.run)

    def stop(self):
        self.relay.stop()
        self.engine.dispose()

    def kill(self):
        self.relay.running = False
        # Workers killed mid-transaction never reach worker_teardown: their
        # connections would stay open, idle in transaction and holding their
        # locks, for as long as the process lives (a test process goes on).
        for unit in list(self.units.values()):
            try:
                unit.close()
            except Exception:  # its connection is discarded below all the same
                log.warning("could not close a killed worker's session", exc_info=True)
        self.units.clear()
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        unit = UnitOfWork(self.sessions(), self.metadata, on_commit=self.relay.wake)
        self.units[worker_ctx] = unit
        return unit

    def worker_teardown(self, worker_ctx):
        unit = self.units.pop(worker_ctx, None)
        if unit is not None:
            unit.close()
