"""A call the caller can do without (services.common.rpc.answer_or_none): its
answer, or None when the service is slow or away, said once in the logs."""
import logging

import eventlet
import pytest
from nameko.exceptions import UnknownService

from services.common import rpc
from services.common.breaker import unavailable
from services.common.errors import NotFound


@pytest.fixture(autouse=True)
def fresh_outages(monkeypatch):
    monkeypatch.setattr(rpc, "_going_without", set())


def get_active_campaign(answer=None, wait=0, error=None):
    eventlet.sleep(wait)
    if error is not None:
        raise error
    return answer


def test_the_answer_when_it_comes():
    assert rpc.answer_or_none(get_active_campaign, {"code": "2027"}) == {"code": "2027"}
    assert rpc.answer_or_none(get_active_campaign, answer=[], timeout=1) == []


def test_none_when_it_does_not_come_in_time():
    assert rpc.answer_or_none(get_active_campaign, {"code": "2027"}, wait=5, timeout=0.05) is None


def test_the_default_wait_is_the_platform_s(monkeypatch):
    monkeypatch.setattr(rpc, "OPTIONAL_ANSWER_SECONDS", 0.05)
    assert rpc.answer_or_none(get_active_campaign, {"code": "2027"}, wait=5) is None


@pytest.mark.parametrize("error", [unavailable("catalog", "catalog: circuit open"),
                                   UnknownService("catalog")])
def test_none_when_the_service_is_unavailable(error):
    assert rpc.answer_or_none(get_active_campaign, error=error) is None


def test_a_typed_answer_is_raised_as_usual():
    with pytest.raises(NotFound):
        rpc.answer_or_none(get_active_campaign, error=NotFound("no_active_campaign", "none"))


def test_the_caller_s_own_deadline_still_holds():
    with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.05):
        rpc.answer_or_none(get_active_campaign, wait=5, timeout=10)


def test_an_outage_is_logged_once_and_its_end_too(caplog):
    caplog.set_level(logging.INFO, logger="services.common.rpc")
    down = unavailable("catalog", "catalog: circuit open")
    for _ in range(5):
        assert rpc.answer_or_none(get_active_campaign, error=down) is None
    assert rpc.answer_or_none(get_active_campaign, {"code": "2027"}) == {"code": "2027"}
    assert rpc.answer_or_none(get_active_campaign, {"code": "2027"}) == {"code": "2027"}
    said = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in said] == ["WARNING", "INFO"]
    assert said[0][1].startswith("get_active_campaign: going on without its answer")
    assert "catalog: circuit open" in said[0][1]
    assert said[1][1] == "get_active_campaign answers again"
