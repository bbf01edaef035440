"""A production service or gateway refuses secrets anyone could know; a
workstation (APP_ENV=development) needs none but the shared actor key."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.common.production import InsecureConfiguration, check, problems

ROOT = Path(__file__).resolve().parents[3]
KEY, OTHER_KEY = "k" * 8 + uuid.uuid4().hex, "a" * 8 + uuid.uuid4().hex  # 40 characters
PASSWORD = uuid.uuid4().hex[:20]
GOOD = {
    "APP_ENV": "production", "SECRET_KEY": KEY, "ACTOR_SIGNING_KEY": OTHER_KEY,
    "AMQP_URI": f"amqp://accounts:{PASSWORD}@rabbitmq:5672/ecandidat",
    "ACCOUNTS_DATABASE_URL": f"postgresql+psycopg://ecandidat:{PASSWORD}@db/ecandidat_accounts",
    "DOCUMENTS_DATABASE_URL": f"postgresql+psycopg://ecandidat:{PASSWORD}@db/ecandidat_documents",
    "MINIO_ACCESS_KEY": "ecandidat-documents", "MINIO_SECRET_KEY": PASSWORD,
}
# What docker-compose.yml used to ship, and what a fresh shell has.
SHIPPED = {
    "APP_ENV": "production", "SECRET_KEY": "change-me-in-production",
    "AMQP_URI": "amqp://guest:guest@rabbitmq:5672/",
    "ACCOUNTS_DATABASE_URL": "postgresql+psycopg://ecandidat:ecandidat@postgres:5432/ecandidat_accounts",
    "DOCUMENTS_DATABASE_URL": "postgresql+psycopg://ecandidat:ecandidat@postgres:5432/ecandidat_documents",
    "MINIO_ACCESS_KEY": "ecandidat", "MINIO_SECRET_KEY": "ecandidat-secret",
}


def faults(component, **changes):
    values = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return problems(component, values)


@pytest.mark.parametrize("component", ("gateway", "accounts", "documents"))
def test_generated_secrets_are_accepted(component):
    assert faults(component) == []


def test_the_shipped_demo_values_are_refused_everywhere():
    assert problems("gateway", SHIPPED) == [
        "ACTOR_SIGNING_KEY is missing", "AMQP_URI uses RabbitMQ's guest account",
        "SECRET_KEY is a known default or placeholder"]
    assert problems("accounts", SHIPPED) == [
        "ACTOR_SIGNING_KEY is missing", "AMQP_URI uses RabbitMQ's guest account",
        "ACCOUNTS_DATABASE_URL holds a known default password"]
    assert problems("documents", SHIPPED)[-2:] == [
        "MINIO_ACCESS_KEY is a known default", "MINIO_SECRET_KEY holds a known default password"]


def test_production_is_the_default_mode():
    assert "SECRET_KEY is missing" in problems("gateway", {"ACTOR_SIGNING_KEY": KEY})
    assert "AMQP_URI is missing (the default connects as guest/guest)" in problems("accounts", {})


@pytest.mark.parametrize("name", ("SECRET_KEY", "ACTOR_SIGNING_KEY"))
@pytest.mark.parametrize("value, fault", (
    (None, "is missing"),
    ("", "is missing"),
    ("x" * 31, "is shorter than 32 characters"),
    ("change-me-please-0123456789abcdef0123", "is a known default or placeholder"),
    ("<your secret key here, 32 characters>", "is a known default or placeholder"),
))
def test_keys_must_be_long_and_not_placeholders(name, value, fault):
    assert f"{name} {fault}" in faults("gateway", **{name: value})


def test_the_two_keys_must_differ():
    assert faults("gateway", ACTOR_SIGNING_KEY=KEY) == ["ACTOR_SIGNING_KEY must differ from SECRET_KEY"]


@pytest.mark.parametrize("uri, fault", (
    ("amqp://guest:guest@rabbitmq:5672/", "AMQP_URI uses RabbitMQ's guest account"),
    ("amqp://guest:" + PASSWORD + "@rabbitmq/", "AMQP_URI uses RabbitMQ's guest account"),
    ("amqp://accounts@rabbitmq:5672/", "AMQP_URI has no password"),
    ("amqp://accounts:ecandidat@rabbitmq:5672/", "AMQP_URI holds a known default password"),
    ("amqp://accounts:short@rabbitmq:5672/", "AMQP_URI's password is shorter than 16 characters"),
))
def test_the_broker_password(uri, fault):
    assert faults("accounts", AMQP_URI=uri) == [fault]
    assert faults("gateway", AMQP_URI=uri) == [fault]


@pytest.mark.parametrize("changes, fault", (
    ({"ACCOUNTS_DATABASE_URL": "postgresql+psycopg://ecandidat@db/x"},
     "ACCOUNTS_DATABASE_URL has no password"),
    ({"ACCOUNTS_DATABASE_URL": "postgresql+psycopg://postgres:postgres@db/x"},
     "ACCOUNTS_DATABASE_URL holds a known default password"),
    ({"ACCOUNTS_DATABASE_URL": None, "DATABASE_BASE_URL": "postgresql+psycopg://root@127.0.0.1:5432"},
     "DATABASE_BASE_URL has no password"),
    ({"ACCOUNTS_DATABASE_URL": None}, "ACCOUNTS_DATABASE_URL (or DATABASE_BASE_URL) is missing"),
))
def test_the_service_database_password(changes, fault):
    assert faults("accounts", **changes) == [fault]
    assert faults("catalog", **changes) != [] and faults("gateway", **changes) == []


def test_only_the_documents_service_needs_the_minio_credentials():
    assert faults("documents", MINIO_ACCESS_KEY=None, MINIO_SECRET_KEY=None) == [
        "MINIO_ACCESS_KEY is missing", "MINIO_SECRET_KEY is missing"]
    assert faults("documents", MINIO_ACCESS_KEY="minioadmin", MINIO_SECRET_KEY="minioadmin") == [
        "MINIO_ACCESS_KEY is a known default", "MINIO_SECRET_KEY holds a known default password"]
    assert faults("accounts", MINIO_ACCESS_KEY=None, MINIO_SECRET_KEY=None) == []


def test_development_needs_only_the_shared_actor_key():
    workstation = {"APP_ENV": "development", "ACTOR_SIGNING_KEY": "short is fine here"}
    assert problems("gateway", workstation) == problems("documents", workstation) == []
    assert problems("accounts", {"APP_ENV": "development"}) == ["ACTOR_SIGNING_KEY is missing"]


def test_one_log_line_names_the_variables_never_their_values(caplog):
    secret = "s3cr3t-" + uuid.uuid4().hex[:6]
    with pytest.raises(InsecureConfiguration):
        check("accounts", {**GOOD, "AMQP_URI": f"amqp://accounts:{secret}@rabbitmq/"})
    (record,) = caplog.records
    assert record.levelname == "CRITICAL" and "AMQP_URI" in record.getMessage()
    assert secret not in record.getMessage()
    check("accounts", GOOD)  # nothing to say


def test_a_production_service_stops_before_touching_its_database():
    """`python -m services.common.serve` with the values the compose file used to ship."""
    database = f"ecandidat_refused_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg://root:ecandidat@127.0.0.1:5432/{database}"  # trust: would connect
    env = {**os.environ, **SHIPPED, "ACCOUNTS_DATABASE_URL": url, "PYTHONPATH": str(ROOT),
           "PYTHONWARNINGS": "ignore"}
    env.pop("ACTOR_SIGNING_KEY", None)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "services.common.serve", "accounts"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert time.monotonic() - began < 30
    lines = [line for line in done.stderr.splitlines() if "refuses to start" in line]
    assert len(lines) == 1 and "CRITICAL" in lines[0], done.stderr
    for name in ("ACTOR_SIGNING_KEY", "AMQP_URI", "ACCOUNTS_DATABASE_URL"):
        assert name in lines[0]
    assert "Traceback" not in done.stderr
    admin = create_engine("postgresql+psycopg://root@127.0.0.1:5432/postgres")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_database WHERE datname = :d"),
                                {"d": database}).scalar() == 0  # not created, not migrated
    finally:
        admin.dispose()
