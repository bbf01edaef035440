"""Fixtures of the gateway tests; the fakes and helpers they use are in
tests/support/gateway.py."""
import pytest

from gateway import security
from tests.support.gateway import START, gateway_app


@pytest.fixture
def app():
    return gateway_app()


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, in seconds from START: a test moves it forward
    (`clock[0] += 5`)."""
    now = [START]
    monkeypatch.setattr(security, "now", lambda: now[0])
    return now
