"""What the handlers of the dead-letter tests record (each attempt they saw, and
whether they fail today), shared by tests/services/common/test_dead_letters.py
and the broker-permission test of tests/deploy/test_rabbitmq_users.py."""
import uuid

from sqlalchemy import text

from tests.support.waiting import eventually

CALLS = []            # (event_id, monotonic time) of each attempt the handler saw
BROKEN = {"now": True}


def wait_for(check, timeout=30, step=0.05):
    return eventually(check, timeout, step)


def attempts(event_id):
    return [at for seen, at in CALLS if seen == event_id]


def event():
    return {"event_id": str(uuid.uuid4()), "event_type": "probe_happened", "value": 1}


def processed(engine, event_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM processed_events WHERE event_id = :id"),
                            {"id": event_id}).scalar()
