"""Migration 0004 on a mail log written by the former delivery: mails it was
still retrying wait for the delivery loop; those it had given up on stay failed."""
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.config import database_url
from services.common.migrations import alembic_config, ensure_database


@pytest.fixture
def old_notifications():
    """A fresh notifications database migrated to 0003 only."""
    url = make_url(database_url("notifications"))
    url = url.set(database=f"{url.database}_migration")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    ensure_database(url.render_as_string(hide_password=False))
    config = alembic_config("notifications", url.render_as_string(hide_password=False))
    command.upgrade(config, "0003")
    engine = create_engine(url)
    yield engine, config
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def test_mails_still_to_retry_are_queued_for_delivery(old_notifications):
    engine, config = old_notifications
    with engine.begin() as conn:
        for event_id, status, attempts in [("e1", "sent", 1), ("e2", "failed", 2),
                                           ("e3", "failed", 5)]:
            conn.execute(text(
                "INSERT INTO mails (event_id, code, candidate_id, to_address, lang, subject, "
                "body, status, attempts, created_at) VALUES (:e, 'STATUS_CO', 7, "
                "'lea@example.org', 'fr', 'S', 'B', :status, :attempts, now())"),
                {"e": event_id, "status": status, "attempts": attempts})
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, status, next_attempt_at IS NOT NULL "
                                 "FROM mails ORDER BY event_id")).all()
    assert rows == [("e1", "sent", False), ("e2", "queued", True), ("e3", "failed", False)]
