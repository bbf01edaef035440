"""Stop timeouts agree with each other: compose kills a container only after
its own grace, and the gateway outwaits the services it is waiting for."""
import json
import re

import pytest

from tests.deploy.docker_infra import ROOT, SERVICES, compose_config


@pytest.fixture(scope="module")
def config():
    done = compose_config(ROOT / "docker-compose.yml")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def seconds(duration):
    """Compose's rendering of a duration ("30s", "1m30s") in seconds."""
    parts = dict((unit, float(value)) for value, unit in re.findall(r"([\d.]+)(h|m|s)", duration))
    return parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)


def test_compose_waits_longer_than_each_process_grace(config):
    from gateway import gunicorn_conf
    from services.common.config import rpc_timeout, shutdown_grace_seconds
    services = config["services"]
    for name in SERVICES:
        assert seconds(services[name]["stop_grace_period"]) > shutdown_grace_seconds(), name
    gateway_grace = gunicorn_conf.graceful_timeout
    assert gateway_grace > rpc_timeout() and gateway_grace > shutdown_grace_seconds()
    assert seconds(services["gateway"]["stop_grace_period"]) > gateway_grace
