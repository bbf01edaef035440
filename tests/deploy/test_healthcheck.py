"""deploy/healthcheck.py, used by the compose health checks, against a real
nameko service on the real broker (short timeouts: an absent service costs one)."""
import os
import subprocess
import sys
import time
from pathlib import Path

from services.common.rpc import rpc
from services.common.service_base import ServiceBase

ROOT = Path(__file__).resolve().parents[2]


class FakeCatalog(ServiceBase):
    name = "catalog"

    @rpc  # the platform's entrypoint, as every service's (one consumer per queue)
    def nothing(self, actor):
        return None


def environment(amqp_uri, **extra):
    return {**os.environ, "AMQP_URI": amqp_uri, "PYTHONPATH": str(ROOT), "PORT": "1",
            "HEALTHCHECK_TIMEOUT": "1", "PYTHONWARNINGS": "ignore", **extra}


def healthcheck(name, amqp_uri, *more):
    return subprocess.run([sys.executable, "-m", "deploy.healthcheck", name, *more],
                          env=environment(amqp_uri), cwd=ROOT, capture_output=True,
                          text=True, timeout=30)


def test_healthy_when_the_service_answers_ping(container_factory, rabbit_config):
    container_factory(FakeCatalog, rabbit_config).start()
    assert healthcheck("catalog", rabbit_config["AMQP_URI"]).returncode == 0


def test_unhealthy_when_the_service_is_not_running(container_factory, rabbit_config):
    container_factory(FakeCatalog, rabbit_config).start()  # the broker works, catalog answers
    began = time.monotonic()
    assert healthcheck("documents", rabbit_config["AMQP_URI"]).returncode == 1
    assert time.monotonic() - began < 10  # bounded by HEALTHCHECK_TIMEOUT, not nameko's default


def test_unhealthy_when_nothing_answers(rabbit_config):
    assert healthcheck("documents", "amqp://guest:guest@127.0.0.1:1/").returncode == 1  # no broker
    assert healthcheck("gateway", rabbit_config["AMQP_URI"]).returncode == 1  # nothing on port 1
    assert healthcheck("nonsense", rabbit_config["AMQP_URI"]).returncode == 2


def test_waiting_for_services_that_answer_and_one_that_never_does(container_factory, rabbit_config):
    container_factory(FakeCatalog, rabbit_config).start()
    assert healthcheck("--wait", rabbit_config["AMQP_URI"], "20", "catalog").returncode == 0
    began = time.monotonic()
    late = healthcheck("--wait", rabbit_config["AMQP_URI"], "1", "catalog", "documents")
    assert late.returncode == 1 and "documents did not answer" in late.stderr
    assert time.monotonic() - began < 10
