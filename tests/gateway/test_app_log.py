"""The gateway's own log lines are JSON, like the services', and carry the
request id the client received: an operator follows one click from the
gateway into every service it reached."""
import io
import json
import logging

import pytest

from gateway import gunicorn_conf
from gateway.app import create_app
from services.common import logs


@pytest.fixture
def log_lines():
    root = logging.getLogger()
    kept, level = list(root.handlers), root.level
    stream = io.StringIO()
    logs.setup("gateway", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in kept:
        root.addHandler(handler)
    root.setLevel(level)


def test_an_unexpected_error_is_one_json_line_with_the_request_id_and_no_secret(log_lines):
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})

    def broken():
        raise RuntimeError("failed for https://portal.example/compte/activer/AbCd1234EfGh5678 token=s3cr3t")
    app.add_url_rule("/_broken", view_func=broken)

    response = app.test_client().get("/_broken", headers={"X-Request-ID": "click-0042-abcdef"})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "click-0042-abcdef"
    lines = [line for line in log_lines() if line["level"] == "ERROR"]
    assert len(lines) == 1
    line = lines[0]
    assert line["service"] == "gateway" and line["request_id"] == "click-0042-abcdef"
    assert "RuntimeError" in line["exception"]
    assert "AbCd1234EfGh5678" not in json.dumps(line) and "s3cr3t" not in json.dumps(line)


def test_after_the_request_its_id_is_no_longer_on_the_thread_s_lines(log_lines):
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})
    app.test_client().get("/healthz", headers={"X-Request-ID": "click-0043-abcdef"})
    logging.getLogger("gateway").warning("between two requests")
    assert log_lines()[-1]["request_id"] is None


def test_gunicorn_workers_write_json_lines():
    root = logging.getLogger()
    kept = list(root.handlers)
    try:
        gunicorn_conf.post_fork(server=None, worker=None)
        assert any(isinstance(h.formatter, logs.JsonFormatter) for h in root.handlers)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in kept:
            root.addHandler(handler)
