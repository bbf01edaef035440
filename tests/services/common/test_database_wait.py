"""Services run under eventlet: one worker waiting on a slow query must not stop
the other workers of the same instance from reading the database."""
import time

import eventlet
import psycopg
import psycopg.pq
from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrations import ensure_database
from services.common.config import database_url

SLOW_SECONDS = 2


def test_rows_are_read_by_the_c_implementation_of_psycopg():
    assert psycopg.pq.__impl__ == "binary"


def test_a_slow_query_does_not_block_another_worker_of_the_same_service():
    ensure_database(database_url("catalog"))
    engine = make_engine("catalog")
    try:
        with engine.connect() as conn:  # both connections open before the race
            with engine.connect() as other:
                conn.execute(text("SELECT 1"))
                other.execute(text("SELECT 1"))
        began = time.monotonic()

        def slow():
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(:s)"), {"s": SLOW_SECONDS})
            return time.monotonic() - began

        def quick():
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 42")).scalar() == 42
            return time.monotonic() - began

        slow_thread = eventlet.spawn(slow)
        eventlet.sleep(0.2)  # the slow query is on the wire
        quick_answered = eventlet.spawn(quick).wait()
        slow_answered = slow_thread.wait()
        assert slow_answered >= SLOW_SECONDS
        assert quick_answered < SLOW_SECONDS / 2
    finally:
        engine.dispose()
