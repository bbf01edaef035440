"""One dead service never freezes the gateway: the real gateway under gunicorn
(gateway/gunicorn_conf.py: gthread, its threads) on the real broker, a
service whose queue nobody consumes. /healthz and the pages of live services
answer while requests to the dead one are in flight; once its circuit is open
its pages answer 503 at once; once it is back they work without a restart."""
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import jsonify

from gateway.rpc import Remote, RpcPool
from services.common.actors import ANONYMOUS
from services.common.errors import Unavailable
from services.common.rpc import ServiceRpc, rpc

ROOT = Path(__file__).resolve().parents[2]
RPC_TIMEOUT = 4  # what a request to the dead service waits before its circuit opens


def create_test_app():
    """The gateway with one page per service: /essai/<service> asks it ping."""
    from gateway import create_app
    from gateway.rpc import remote
    app = create_app()

    @app.get("/essai/<service>")
    def needs(service):
        return jsonify(getattr(remote(), service).ping(ANONYMOUS))
    return app


class Stalled:
    name = "stalled"

    @rpc
    def ping(self, actor):
        return {"status": "ok"}


class Lively:
    name = "lively"

    @rpc
    def ping(self, actor):
        return {"status": "ok"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway(container_factory, rabbit_config, tmp_path):
    stalled = container_factory(Stalled, rabbit_config)
    stalled.start()
    stalled.stop()  # its queue stays, nobody consumes it
    container_factory(Lively, rabbit_config).start()
    port = free_port()
    env = {**os.environ, "APP_ENV": "development", "SECRET_KEY": "test-isolation",
           "RPC_TIMEOUT": str(RPC_TIMEOUT), "CIRCUIT_FAILURES": "2",
           "CIRCUIT_RESET_SECONDS": "2", "PORT": str(port)}
    log = open(tmp_path / "gateway.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:gateway.gunicorn_conf", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "tests.gateway.test_isolation:create_test_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "gateway.log").read_text()
            time.sleep(0.2)
        yield base, lambda: container_factory(Stalled, rabbit_config).start()
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def timed_get(url):
    started = time.monotonic()
    answer = requests.get(url, timeout=60)
    return answer, time.monotonic() - started


def test_a_dead_service_never_freezes_the_gateway(gateway):
    base, revive = gateway
    # more requests to the dead service's page than the gateway has threads
    with ThreadPoolExecutor(16) as clients:
        dead = [clients.submit(timed_get, f"{base}/essai/stalled") for _ in range(16)]
        time.sleep(0.5)
        health, took = timed_get(f"{base}/healthz")
        assert health.status_code == 200 and took < RPC_TIMEOUT / 2
        lively, took = timed_get(f"{base}/essai/lively")
        assert lively.status_code == 200 and took < RPC_TIMEOUT / 2
        answers = [future.result() for future in dead]
    assert {answer.status_code for answer, _ in answers} == {503}
    assert all(answer.headers.get("Retry-After") for answer, _ in answers)
    assert all("momentanément indisponible" in answer.text for answer, _ in answers)

    # its circuit is open: its page fails at once, /healthz says which one
    answer, took = timed_get(f"{base}/essai/stalled")
    assert answer.status_code == 503 and answer.headers["Retry-After"] and took < 1
    assert requests.get(f"{base}/healthz", timeout=5).json()["open_circuits"] == ["stalled"]
    assert requests.get(f"{base}/essai/lively", timeout=5).status_code == 200

    revive()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer, _ = timed_get(f"{base}/essai/stalled")
        if answer.status_code == 200:
            break
        time.sleep(0.3)
    assert answer.status_code == 200, "the service back, its page works without a restart"
    assert requests.get(f"{base}/healthz", timeout=5).json()["open_circuits"] == []


class Middle:
    """A live service whose one RPC needs the dead one (as applications needs
    documents for a file) and another that does not."""
    name = "middle"
    stalled = ServiceRpc("stalled")

    @rpc
    def download(self, actor):
        return self.stalled.ping()

    @rpc
    def read(self, actor):
        return {"status": "ok"}


def test_a_live_service_is_not_blamed_for_the_dead_one_it_needs(
        container_factory, rabbit_config, monkeypatch):
    monkeypatch.setenv("SERVICE_RPC_TIMEOUT", "1")
    monkeypatch.setenv("CIRCUIT_FAILURES", "2")
    stalled = container_factory(Stalled, rabbit_config)
    stalled.start()
    stalled.stop()
    container_factory(Middle, rabbit_config).start()
    pool = RpcPool(rabbit_config, size=2, timeout=10)
    remote = Remote(pool)
    try:
        for _ in range(4):
            with pytest.raises(Unavailable) as told:
                remote.middle.download(ANONYMOUS)
            assert told.value.fields == {"service": "stalled"}
        # middle answered each time: its pages keep working; the gateway now
        # knows, without asking, that the one behind it is down
        assert remote.middle.read(ANONYMOUS) == {"status": "ok"}
        assert pool.guards.open_circuits() == ["stalled"]
        assert not pool.guards.is_down("middle")
    finally:
        pool.close()
