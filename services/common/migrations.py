"""Alembic, per service: each service has `migrations/` (env.py + versions/).

    python -m services.common.migrations upgrade accounts
    python -m services.common.migrations revision accounts "add a table"
"""
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg import errors
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.engine import make_url

from .config import database_url

SERVICES_DIR = Path(__file__).resolve().parent.parent
MIGRATION_LOCK = 72431  # pg advisory lock: instances started together migrate one at a time


def ensure_database(url):
    """Create the service's database if it does not exist yet. Instances started
    together take an advisory lock on the `postgres` database first, so only one
    of them creates it and the others find it."""
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                      {"n": url.database}).first()
                if not exists:
                    try:
                        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
                    except ProgrammingError as error:
                        # Created meanwhile by someone who does not take the lock
                        # (an operator, an older release during a rolling deploy).
                        if not isinstance(error.orig, errors.DuplicateDatabase):
                            raise
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        admin.dispose()


def alembic_config(service, url=None):
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or database_url(service)).replace("%", "%%"))
    return cfg


def upgrade(service, url=None):
    url = url or database_url(service)
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def run_env(target_metadata):
    """Body of every service's migrations/env.py (online mode only). Instances
    started together migrate one at a time: the lock is a transaction lock, so
    it is released by the very commit that makes the migration visible, and
    the next instance finds the database at head (a session lock released
    before the commit let it run the same migrations again, and crash)."""
    from alembic import context
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            context.configure(connection=connection, target_metadata=target_metadata,
                              compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
    engine.dispose()


def main(argv):
    action, service = argv[0], argv[1]
    if action == "upgrade":
        upgrade(service)
    elif action == "revision":
        ensure_database(database_url(service))
        command.upgrade(alembic_config(service), "head")
        command.revision(alembic_config(service), message=argv[2], autogenerate=True)
    else:
        raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(sys.argv[1:])
