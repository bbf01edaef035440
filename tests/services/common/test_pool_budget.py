"""A service instance's database connections are budgeted from configuration:
never more than its workers and its outbox relay can use at once."""
from services.common.config import pool_budget
from services.common.db import make_engine


def test_an_instance_opens_at_most_one_connection_per_worker_and_one_for_its_relay(
        monkeypatch):
    monkeypatch.delenv("DATABASE_POOL_SIZE", raising=False)
    monkeypatch.delenv("DATABASE_MAX_OVERFLOW", raising=False)
    monkeypatch.setenv("MAX_WORKERS", "10")
    assert pool_budget() == (5, 6)          # 5 kept open, 11 at most
    monkeypatch.setenv("MAX_WORKERS", "3")
    assert sum(pool_budget()) == 4


def test_the_budget_is_configured_and_the_engine_keeps_to_it(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "2")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "1")
    engine = make_engine("catalog")
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (2, 1)
    finally:
        engine.dispose()
