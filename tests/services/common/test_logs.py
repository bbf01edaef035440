"""Service logs: one JSON object per line, carrying the request id of the click
that caused them through every service the click reached, and no secret."""
import io
import json
import logging
import time
import uuid

import eventlet

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import logs
from services.common.actors import ANONYMOUS
from services.common.rpc import ActingProxy, ServiceRpc, rpc
from services.common.service_base import ServiceBase

said = logging.getLogger("tests.logs")


class FrontService(ServiceBase):
    name = "logfront"
    back = ServiceRpc("logback")

    @rpc
    def ask(self, actor, question):
        said.info("front asked %s", question)
        return self.back.answer(question)


class BackService(ServiceBase):
    name = "logback"

    @rpc
    def answer(self, actor, question):
        said.info("back answering %s", question)
        return question.upper()


@pytest.fixture
def json_logs():
    """This process's log records, formatted as a service's are."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.setup("tests", stream=stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def test_the_request_id_follows_a_call_through_the_services_it_reaches(
        container_factory, rabbit_config, json_logs):
    for cls in (FrontService, BackService):
        container_factory(cls, rabbit_config).start()
    request_id = uuid.uuid4().hex
    with ClusterRpcProxy(rabbit_config, context_data={logs.REQUEST_ID: request_id}) as cluster:
        assert ActingProxy(cluster.logfront, "logfront").ask(ANONYMOUS, "où ?") == "OÙ ?"
    deadline = time.monotonic() + 10
    while len([line for line in json_logs() if line["logger"] == "services.common.logs"]) < 2:
        assert time.monotonic() < deadline, json_logs()  # a worker logs just after replying
        eventlet.sleep(0.05)
    lines = json_logs()
    front = [line for line in lines if line["message"] == "front asked où ?"]
    back = [line for line in lines if line["message"] == "back answering où ?"]
    assert front and back
    assert {front[0]["request_id"], back[0]["request_id"]} == {request_id}
    assert front[0]["actor"] == "anonymous" and back[0]["actor"] == "service"
    # each RPC leaves one line saying what ran and how it ended, with the same id
    trail = [line["message"] for line in lines if line["request_id"] == request_id
             and line["logger"] == "services.common.logs"]
    assert any(m.startswith("rpc logfront.ask ok in") for m in trail), trail
    assert any(m.startswith("rpc logback.answer ok in") for m in trail), trail
    assert {"time", "level", "service", "logger"} <= set(front[0])


def test_passwords_tokens_and_links_are_not_logged(json_logs):
    token = "Zx8-" + uuid.uuid4().hex + "_q"
    said.warning("login of lea@example.org with password=Candidat-2027! failed")
    said.warning("payload {'password': 'Candidat-2027!', 'token': 'abc'}")
    said.warning("sent http://127.0.0.1:8000/compte/activer/%s to lea", token)
    said.warning("a token alone: %s", token)
    said.warning("database postgresql+psycopg://app:S3cret-pw@db:5432/x unreachable")
    try:
        raise ValueError(f"cannot verify {token}")
    except ValueError:
        said.exception("verification failed")
    written = json.dumps(json_logs())
    assert "Candidat-2027!" not in written and "'abc'" not in written
    assert token not in written and "/compte/activer" not in written
    assert "S3cret-pw" not in written and "db:5432" in written
    assert "lea@example.org" in written and "http://127.0.0.1:8000" in written
    said.info("rpc accounts.check_activation_token ok in 3 ms")
    assert json_logs()[-1]["message"] == "rpc accounts.check_activation_token ok in 3 ms"
    # what identifies things stays readable
    event_id = str(uuid.uuid4())
    said.info("event %s applied", event_id)
    assert json_logs()[-1]["message"] == f"event {event_id} applied"


def test_an_incoming_request_id_is_kept_only_when_well_formed():
    assert logs.well_formed("0f8fad5bd9cb469fa16570867728950e")
    assert logs.well_formed("proxy-7d3a:42.1")
    for forged in ("", "short", "id with spaces 123", "abc\ninjected-line", "x" * 65, "é" * 10):
        assert not logs.well_formed(forged)
