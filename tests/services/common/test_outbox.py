"""The transactional outbox and once-only handling (services/common/db.py),
against the real PostgreSQL and RabbitMQ."""
import uuid

import pytest
from kombu import Connection, Queue
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.common.config import database_url
from services.common.db import (OutboxRelay, UnitOfWork, event_exchange, handle_once,
                                messaging_tables)
from services.common.migrations import ensure_database

metadata = MetaData()
outbox, processed = messaging_tables(metadata)
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))


@pytest.fixture(scope="module")
def engine():
    url = database_url("common_outbox")
    ensure_database(url)
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def unit(engine):
    with engine.begin() as conn:
        for table in (outbox, processed, things):
            conn.execute(table.delete())
    unit = UnitOfWork(Session(engine), metadata)
    yield unit
    unit.close()


@pytest.fixture
def listener(rabbit_config):
    """A queue bound to the test service's event exchange."""
    exchange = event_exchange("outbox_test")
    queue = Queue(f"outbox-test-{uuid.uuid4().hex}", exchange=exchange, routing_key="#",
                  auto_delete=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        bound = queue(conn.default_channel)
        bound.declare()

        def received():
            messages = []
            while True:
                message = bound.get(no_ack=True)
                if message is None:
                    return messages
                messages.append(message.payload)
        yield received


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def relay(engine, rabbit_config):
    return OutboxRelay("outbox_test", sessionmaker(bind=engine), outbox, rabbit_config["AMQP_URI"])


def test_state_and_event_commit_together_and_are_published_once(engine, unit, listener, rabbit_config):
    unit.session.execute(things.insert().values(name="a"))
    event = unit.emit("thing_added", {"name": "a"})
    unit.commit()
    assert count(engine, outbox) == 1  # waiting for the relay (e.g. the service crashed here)
    assert relay(engine, rabbit_config).flush() == 1
    assert count(engine, outbox) == 0
    assert relay(engine, rabbit_config).flush() == 0
    received, = listener()
    assert received["event_id"] == event["event_id"] and received["name"] == "a"
    assert received["event_type"] == "thing_added"


def test_a_rolled_back_change_publishes_nothing(engine, unit, listener, rabbit_config):
    unit.session.execute(things.insert().values(name="b"))
    unit.emit("thing_added", {"name": "b"})
    unit.rollback()
    assert relay(engine, rabbit_config).flush() == 0
    assert count(engine, things) == 0 and listener() == []


def test_with_the_broker_away_events_wait_in_the_outbox(engine, unit, rabbit_config, listener):
    unit.emit("thing_added", {"name": "c"})
    unit.commit()
    away = OutboxRelay("outbox_test", sessionmaker(bind=engine), outbox,
                       "amqp://guest:guest@127.0.0.1:1/")
    away.publisher.retry = False
    with pytest.raises(Exception):
        away.flush()
    assert count(engine, outbox) == 1  # nothing lost
    assert relay(engine, rabbit_config).flush() == 1
    assert [m["name"] for m in listener()] == ["c"]


def test_an_outage_is_logged_once_then_once_a_minute_not_per_attempt(
        engine, unit, rabbit_config, listener, caplog, monkeypatch):
    """The relay retries every second or so: a long outage of the broker must
    not write a traceback per attempt."""
    from services.common import db
    unit.emit("thing_added", {"name": "d"})
    unit.commit()
    away = OutboxRelay("outbox_test", sessionmaker(bind=engine), outbox,
                       "amqp://guest:guest@127.0.0.1:1/")
    away.publisher.retry = False
    clock = [1000.0]
    monkeypatch.setattr(db, "monotonic", lambda: clock[0])
    caplog.set_level("INFO", logger="services.common.db")
    with pytest.raises(Exception) as failure:
        away.flush()
    for _ in range(121):  # two minutes of attempts, one a second, each failing so
        away._failed(failure.value)
        clock[0] += 1
    lines = [r for r in caplog.records if "outbox relay" in r.getMessage()]
    assert sum(1 for r in lines if r.exc_info) == 1
    assert [r.levelname for r in lines] == ["ERROR", "WARNING", "WARNING"]
    assert "still failing for 60 s" in lines[1].getMessage()
    assert "still failing for 120 s" in lines[2].getMessage()
    assert count(engine, outbox) == 1  # nothing lost: the next relay publishes it
    assert relay(engine, rabbit_config).flush() == 1


class Handler:
    """Stands for a service with `self.db`."""

    def __init__(self, unit):
        self.db = unit

    @handle_once
    def on_thing(self, payload):
        self.db.session.execute(things.insert().values(name=payload["name"]))


def test_an_event_delivered_twice_is_applied_once(engine, unit):
    event = {"event_id": str(uuid.uuid4()), "name": "d"}
    Handler(unit).on_thing(event)
    second = UnitOfWork(Session(engine), metadata)
    Handler(second).on_thing(dict(event))
    second.close()
    assert count(engine, things) == 1
    assert count(engine, processed) == 1


class FailingHandler(Handler):
    @handle_once
    def on_thing(self, payload):
        self.db.session.execute(things.insert().values(name=payload["name"]))
        raise RuntimeError("the handler broke half-way")


def test_a_failing_handler_keeps_nothing_so_the_redelivery_applies_it(engine, unit):
    event = {"event_id": str(uuid.uuid4()), "name": "e"}
    with pytest.raises(RuntimeError):
        FailingHandler(unit).on_thing(event)
    assert count(engine, things) == 0 and count(engine, processed) == 0
    retry = UnitOfWork(Session(engine), metadata)
    Handler(retry).on_thing(event)
    retry.close()
    assert count(engine, things) == 1
