"""The whole platform started as `make run` starts it, on its own databases,
vhost, ports and mail folder, driven over HTTP like a user."""
import os
import time

import pytest

from deploy.local.mailbox import read_mails
from deploy.local.processes import ensure_vhost, free_port
from tests.deploy.docker_infra import docker_engine_available
from tests.support.e2e import Browser


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    from sqlalchemy import create_engine, text

    from deploy.local.run import Stack

    # E2E_PREFIX lets several runs share one machine without sharing databases or vhost
    prefix = os.environ.get("E2E_PREFIX", "ecandidat_e2e")
    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("accounts", "catalog", "applications", "documents", "notifications"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)'))
    admin.dispose()
    vhost = prefix
    if os.environ.get("AMQP_URI", "").startswith("amqp://guest:guest@127.0.0.1:5672/"):
        amqp = "amqp://guest:guest@127.0.0.1:5672/" + (vhost if ensure_vhost(vhost) else "")
    else:  # a broker from compose: its default vhost
        amqp = os.environ["AMQP_URI"]
    env = {"DATABASE_PREFIX": prefix, "AMQP_URI": amqp, "GATEWAY_WORKERS": "1",
           # every visitor of the suite registers from 127.0.0.1
           "REGISTRATIONS_PER_HOUR": "1000"}
    for key in ("SMTP_HOST", "SMTP_PORT", "PUBLIC_URL"):
        env[key] = ""  # the stack's own (its mails are read from its sink folder)
    if not docker_engine_available():
        env["MINIO_ENDPOINT"] = ""  # the stack's own S3 emulator
    env["CAS_URL"] = ""  # the stack's own demo CAS server, with the demo students
    stack = Stack(port=free_port(), s3_port=free_port(), smtp_port=free_port(),
                  cas_port=free_port(), var_dir=tmp_path_factory.mktemp("var"), env=env,
                  quiet=True)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def browser(platform):
    def make():
        return Browser(platform.url)
    return make


@pytest.fixture
def mailbox(platform):
    def wait_for(to, code, timeout=20, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            mails = [m for m in read_mails(platform.mail_dir)
                     if to.lower() in m["to"].lower() and m["code"] == code]
            if len(mails) >= count:
                return mails[0]
            time.sleep(0.2)
        seen = [(m["to"], m["code"]) for m in read_mails(platform.mail_dir)]
        raise AssertionError(f"no {code} mail to {to} within {timeout}s; sink has {seen}")
    return wait_for
