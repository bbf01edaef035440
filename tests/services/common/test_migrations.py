"""Instances of one service started together (compose --scale, a rolling
deploy) all find their database created and migrated, and all start."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from services.common.config import database_url

ROOT = Path(__file__).resolve().parents[3]
INSTANCES = 4

# One instance starting: what serve.py does before serving, and nothing else.
START = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
from services.common import migrations
getattr(migrations, sys.argv[1])(*sys.argv[2:])
"""


def fresh_url():
    name = f"{os.environ['DATABASE_PREFIX']}_race_{secrets.token_hex(4)}"
    return database_url("catalog").rsplit("/", 1)[0] + "/" + name, name


def admin_engine(url):
    return create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def start_together(*args, env=None):
    """INSTANCES processes doing the same thing at the same moment."""
    env = {**os.environ, **(env or {})}
    procs = [subprocess.Popen([sys.executable, "-c", START, *args], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(INSTANCES)]
    return [(proc.wait(timeout=120), proc.stdout.read()) for proc in procs]


def drop(url, name):
    admin = admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_instances_started_together_create_the_database_once():
    url, name = fresh_url()
    try:
        results = start_together("ensure_database", url)
        assert [code for code, _ in results] == [0] * INSTANCES, results
        admin = admin_engine(url)
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                                {"n": name}).scalar() == 1
        admin.dispose()
    finally:
        drop(url, name)


def test_instances_started_together_migrate_once_and_all_start():
    url, name = fresh_url()
    try:
        results = start_together("upgrade", "catalog", env={"CATALOG_DATABASE_URL": url})
        assert [code for code, _ in results] == [0] * INSTANCES, results
        revisions = sorted(p.name for p in (ROOT / "services/catalog/migrations/versions")
                           .glob("0*.py"))
        applied = [line for _, out in results for line in out.splitlines()
                   if "Running upgrade" in line]
        assert len(applied) == len(revisions), applied  # each revision by one instance only
        engine = create_engine(url)
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        engine.dispose()
        assert head.startswith(revisions[-1][:4])
    finally:
        drop(url, name)
