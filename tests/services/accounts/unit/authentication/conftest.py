"""Fixtures of the CAS tests: a real CAS server (deploy/local/cas_server.py) on
a free port, and the accounts harness pointed at it with the demo students'
records loaded."""
import pytest
from sqlalchemy.orm import Session

from deploy.local.cas_server import DEMO_USERS, CasServer
from services.accounts.dossier import students
from tests.support.cas import EXTRACT


@pytest.fixture(scope="session")
def cas_server():
    server = CasServer(DEMO_USERS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cas_harness(harness, cas_server, monkeypatch):
    monkeypatch.setenv("CAS_URL", cas_server.url)
    with harness.engine.begin() as conn, Session(bind=conn) as session:
        students.store(session, students.read(EXTRACT), harness.clock())
        session.flush()
    harness.cas = cas_server
    return harness
