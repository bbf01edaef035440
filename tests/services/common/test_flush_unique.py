"""A unique index deciding between concurrent writers, turned into the typed
error the caller names (services.common.db.flush_unique), against the real
PostgreSQL."""
import eventlet
import pytest
from sqlalchemy import Column, Integer, String, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session

from services.common.config import database_url
from services.common.db import (
    UnitOfWork,
    cooperative_waits,
    flush_unique,
    messaging_tables,
)
from services.common.errors import ValidationFailed
from services.common.migrations import ensure_database


class Base(DeclarativeBase):
    pass


class Code(Base):
    __tablename__ = "codes"
    id = Column(Integer, primary_key=True)
    code = Column(String(20), unique=True)
    label = Column(String(50), nullable=False)


metadata = Base.metadata
outbox, processed = messaging_tables(metadata)
codes = Code.__table__
TAKEN = ValidationFailed("invalid", "code taken", fields={"code": "code_taken"})


@pytest.fixture(scope="module")
def engine():
    cooperative_waits()  # a worker waiting on another's row lets the others run
    url = database_url("common_unique")
    ensure_database(url)
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def units(engine):
    with engine.begin() as conn:
        for table in (outbox, codes):
            conn.execute(table.delete())
    opened = []

    def unit():
        opened.append(UnitOfWork(Session(engine), metadata))
        return opened[-1]
    yield unit
    for each in opened:
        each.close()


def add(db, code, label="x"):
    db.session.add(Code(code=code, label=label))


def stored(engine):
    with engine.connect() as conn:
        return {row.code: row.label for row in conn.execute(select(codes.c.code, codes.c.label))}


def events(engine):
    with engine.connect() as conn:
        return [row.event_type for row in conn.execute(select(outbox.c.event_type))]


def test_a_new_code_is_flushed_and_committed_by_the_caller(engine, units):
    db = units()
    add(db, "SCI", "Sciences")
    assert flush_unique(db, TAKEN) is True
    db.emit("centre_created", {"code": "SCI"})
    db.commit()
    assert stored(engine) == {"SCI": "Sciences"} and events(engine) == ["centre_created"]


def test_a_taken_code_raises_the_error_named_and_keeps_nothing(engine, units):
    first = units()
    add(first, "SCI", "Sciences")
    first.commit()
    db = units()
    add(db, "LLSH", "Lettres")
    db.emit("centre_created", {"code": "LLSH"})
    add(db, "SCI", "Sciences bis")
    with pytest.raises(ValidationFailed) as raised:
        flush_unique(db, TAKEN)
    assert raised.value.fields == {"code": "code_taken"}
    db.commit()  # what the worker would commit afterwards: nothing is left
    assert stored(engine) == {"SCI": "Sciences"} and events(engine) == []


def test_without_an_error_the_caller_reads_the_winner(engine, units):
    first = units()
    add(first, "SCI", "Sciences")
    first.commit()
    db = units()
    add(db, "SCI", "Sciences bis")
    assert flush_unique(db) is False
    winner = db.session.execute(select(codes.c.label).where(codes.c.code == "SCI")).scalar_one()
    assert winner == "Sciences"
    add(db, "LLSH", "Lettres")  # the unit of work goes on, in a new transaction
    db.commit()
    assert stored(engine) == {"SCI": "Sciences", "LLSH": "Lettres"}


def test_of_two_concurrent_creates_the_second_gets_the_error(engine, units):
    first, second = units(), units()
    add(first, "SCI", "first")
    first.session.flush()  # holds the index entry until it commits

    def create_too():
        add(second, "SCI", "second")
        return flush_unique(second, TAKEN)
    racing = eventlet.spawn(create_too)
    eventlet.sleep(0.2)  # let it reach the database and wait there
    first.commit()
    with pytest.raises(ValidationFailed):
        racing.wait()
    assert stored(engine) == {"SCI": "first"}


def test_another_integrity_error_is_raised_as_it_is_and_rolled_back(engine, units):
    db = units()
    add(db, "LLSH", "Lettres")
    add(db, "SCI", None)
    with pytest.raises(IntegrityError):
        flush_unique(db, TAKEN)
    db.commit()
    assert stored(engine) == {}


def test_an_idempotent_command_loses_its_claim_with_the_transaction(engine, units):
    """As before the helper: the claim of its key goes with the rollback, so
    the command's error is not stored as its answer."""
    first = units()
    add(first, "SCI")
    first.commit()
    db = units()
    db.hold()
    add(db, "SCI")
    with pytest.raises(ValidationFailed):
        flush_unique(db, TAKEN)
    assert db.hold_lost()
