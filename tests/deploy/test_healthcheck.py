"""deploy/healthcheck.py, used by the compose health checks, against a real service."""
import os
import subprocess
import sys
from pathlib import Path

from nameko.rpc import rpc

from services.common.service_base import ServiceBase

ROOT = Path(__file__).resolve().parents[2]


class FakeCatalog(ServiceBase):
    name = "catalog"

    @rpc
    def nothing(self):
        return None


def healthcheck(name, amqp_uri):
    env = {**os.environ, "AMQP_URI": amqp_uri, "PYTHONPATH": str(ROOT), "PORT": "1"}
    return subprocess.run([sys.executable, "-m", "deploy.healthcheck", name], env=env, cwd=ROOT,
                          capture_output=True, timeout=60).returncode


def test_healthy_when_the_service_answers_ping(container_factory, rabbit_config):
    container_factory(FakeCatalog, rabbit_config).start()
    assert healthcheck("catalog", rabbit_config["AMQP_URI"]) == 0


def test_unhealthy_when_nothing_answers(rabbit_config):
    assert healthcheck("documents", "amqp://guest:guest@127.0.0.1:1/") == 1
    assert healthcheck("gateway", rabbit_config["AMQP_URI"]) == 1  # nothing on port 1
    assert healthcheck("nonsense", rabbit_config["AMQP_URI"]) == 2


def test_waiting_for_services_that_answer_and_one_that_never_does(container_factory, rabbit_config):
    container_factory(FakeCatalog, rabbit_config).start()
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"], "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "deploy.healthcheck", "--wait"]
    assert subprocess.run(run + ["20", "catalog"], env=env, cwd=ROOT, timeout=60).returncode == 0
    late = subprocess.run(run + ["1", "catalog", "documents"], env=env, cwd=ROOT, timeout=60,
                          capture_output=True, text=True)
    assert late.returncode == 1 and "documents did not answer" in late.stderr
