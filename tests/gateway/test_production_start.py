"""A production gateway does not start with a session key anyone could sign
an admin's cookie with."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gateway import create_app
from services.common.production import InsecureConfiguration

ROOT = Path(__file__).resolve().parents[2]
STRONG_AMQP = {"AMQP_URI": "amqp://gateway:" + uuid.uuid4().hex + "@127.0.0.1:5672/"}


def test_create_app_refuses_the_placeholder_key_in_production():
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is a known default"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "change-me-in-production",
                    "ACTOR_SIGNING_KEY": uuid.uuid4().hex, "NAMEKO": STRONG_AMQP})


def test_a_workstation_gateway_without_secret_key_draws_one():
    first = create_app({"APP_ENV": "development", "SECRET_KEY": None})
    second = create_app({"APP_ENV": "development", "SECRET_KEY": None})
    assert len(first.secret_key) >= 32 and first.secret_key != second.secret_key


def test_gunicorn_stops_at_once_with_one_line_naming_the_variable():
    short = "tooshort-" + uuid.uuid4().hex[:8]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "APP_ENV": "production",
           "SECRET_KEY": short, "ACTOR_SIGNING_KEY": uuid.uuid4().hex * 2, **STRONG_AMQP}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    done = subprocess.run([gunicorn, "-c", "python:gateway.gunicorn_conf", "--workers", "2",
                           "--bind", "127.0.0.1:0", "gateway:create_app()"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0  # stopped, not serving nor respawning workers
    refusals = [line for line in done.stderr.splitlines() if "refuses to start" in line]
    assert len(refusals) == 1, done.stderr
    assert "SECRET_KEY is shorter than 32 characters" in refusals[0]
    assert short not in done.stderr and "Booting worker" not in done.stderr
