"""A real CAS server (deploy/local/cas_server.py) for the tests, on a free port."""
import pytest

from deploy.local.cas_server import DEMO_USERS, CasServer


@pytest.fixture(scope="session")
def cas_server():
    server = CasServer(DEMO_USERS).start()
    try:
        yield server
    finally:
        server.stop()
