"""The idempotency helper itself (services/common/idempotency.py) on a real
database: what a command that commits, raises or rolls back keeps, and when
the work waiting for its commit runs."""
import pytest
from sqlalchemy import text

from services.applications.models import Base
from services.common.errors import Conflict, ValidationFailed
from services.common.idempotency import idempotent
from tests.support.actors import candidate

ADA = candidate(12)


class Commands:
    """Shaped like a service: `name`, `db` (a UnitOfWork)."""
    name = "applications"

    def __init__(self, db):
        self.db = db
        self.done = []

    @idempotent
    def note(self, actor, value, idempotency_key=None):
        self.db.emit("noted", {"value": value})
        self.db.after_commit(lambda: self.done.append(value))
        self.db.commit()
        return {"value": value, "calls": len(self.done)}

    @idempotent
    def count_then_fail(self, actor, value, idempotency_key=None):
        """Like a wrong current password: the attempt is counted (committed), then refused."""
        self.db.emit("attempt", {"value": value})
        self.db.commit()
        self.db.emit("not_kept", {"value": value})
        raise ValidationFailed("invalid", "wrong", {"password": "wrong_password"})

    @idempotent
    def roll_back_then_save(self, actor, value, idempotency_key=None):
        self.db.emit("dropped", {"value": value})
        self.db.rollback()
        self.db.emit("saved", {"value": value})
        self.db.commit()
        return {"value": value}

    @idempotent(secret=("password",))
    def with_password(self, actor, login, password, idempotency_key=None):
        self.db.emit("secret_used", {"login": login})
        self.db.commit()
        return {"login": login}


@pytest.fixture
def fresh(service_db, unit_of_work):
    engine = service_db("applications")

    def commands():
        return Commands(unit_of_work(engine, Base.metadata))

    def sql(statement):
        with engine.connect() as conn:
            return conn.execute(text(statement)).all()
    return commands, sql


def events(sql):
    return [r[0] for r in sql("SELECT event_type FROM outbox_events ORDER BY created_at")]


def test_the_answer_and_the_work_after_commit_come_once(fresh):
    commands, sql = fresh
    first = commands()
    assert first.note(ADA, "a", idempotency_key="k") == {"value": "a", "calls": 0}
    assert first.done == ["a"]  # after the commit
    again = commands()
    assert again.note(ADA, "a", idempotency_key="k") == {"value": "a", "calls": 0}
    assert again.done == [] and events(sql) == ["noted"]
    with pytest.raises(Conflict) as info:
        commands().note(ADA, "b", idempotency_key="k")
    assert info.value.code == "idempotency_key_reused"


def test_a_command_that_commits_then_raises_keeps_what_it_committed_and_no_key(fresh):
    commands, sql = fresh
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            commands().count_then_fail(ADA, "x", idempotency_key="k")
    assert events(sql) == ["attempt", "attempt"]  # each attempt counted, as without a key
    assert sql("SELECT key FROM idempotency_keys") == []


def test_a_command_that_rolls_back_then_commits_still_stores_its_answer(fresh):
    commands, sql = fresh
    assert commands().roll_back_then_save(ADA, "v", idempotency_key="k") == {"value": "v"}
    assert commands().roll_back_then_save(ADA, "v", idempotency_key="k") == {"value": "v"}
    assert events(sql) == ["saved"]


def test_secret_arguments_are_not_stored_nor_compared(fresh):
    commands, sql = fresh
    assert commands().with_password(ADA, "lea", "Secret-2027!", idempotency_key="k") == \
        {"login": "lea"}
    assert commands().with_password(ADA, "lea", "other", idempotency_key="k") == \
        {"login": "lea"}
    assert events(sql) == ["secret_used"]
    assert "Secret-2027!" not in str(sql("SELECT * FROM idempotency_keys"))


def test_a_bad_key_is_refused_and_no_key_means_no_protection(fresh):
    commands, sql = fresh
    with pytest.raises(ValidationFailed) as info:
        commands().note(ADA, "a", idempotency_key="x" * 101)
    assert info.value.code == "idempotency_key_invalid"
    commands().note(ADA, "a")
    commands().note(ADA, "a")
    assert events(sql) == ["noted", "noted"]
