"""Instances of one service started together all find their database."""
import eventlet
from sqlalchemy import create_engine, text

from services.common.config import database_url
from services.common.migrations import ensure_database


def test_instances_started_together_create_the_database_once():
    url = database_url("accounts").rsplit("/", 1)[0] + "/ecandidat_test_race"
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "ecandidat_test_race" WITH (FORCE)'))
    try:
        pool = eventlet.GreenPool()
        results = list(pool.imap(lambda _: ensure_database(url) or "ok", range(6)))
        assert results == ["ok"] * 6
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_database "
                                     "WHERE datname = 'ecandidat_test_race'")).scalar() == 1
    finally:
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "ecandidat_test_race" WITH (FORCE)'))
        admin.dispose()
