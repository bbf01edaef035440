"""Every call has a deadline: a service that calls a dead one hears
`Unavailable` within SERVICE_RPC_TIMEOUT instead of waiting forever, the
gateway's pool gives up after RPC_TIMEOUT, and in both cases the request
expires in the broker, so the dead service, once back, never runs what its
caller was told had failed."""
import time

import pytest
from kombu import Connection
from nameko.exceptions import RpcTimeout

from gateway.rpc import Remote, RpcPool
from services.common.actors import ANONYMOUS
from services.common.errors import Unavailable
from services.common.rpc import ServiceRpc, rpc
from tests.support.rpc import acting_rpc_proxy

DONE = []


class Recorder:
    """A service whose every call leaves a trace."""
    name = "recorder"

    @rpc
    def record(self, actor, what):
        DONE.append(what)
        return what


class Caller:
    name = "caller"
    recorder = ServiceRpc("recorder")

    @rpc
    def ask(self, actor, what):
        return self.recorder.record(what)


def waiting(config, queue):
    with Connection(config["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def until(check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)
    return check()


@pytest.fixture
def dead_recorder(container_factory, rabbit_config):
    """The recorder's queue exists (it ran once) but nobody consumes it."""
    DONE.clear()
    recorder = container_factory(Recorder, rabbit_config)
    recorder.start()
    recorder.stop()

    def revive():
        container_factory(Recorder, rabbit_config).start()
    return revive


def test_a_service_calling_a_dead_one_hears_it_in_seconds(
        dead_recorder, container_factory, rabbit_config, monkeypatch):
    monkeypatch.setenv("SERVICE_RPC_TIMEOUT", "1")
    container_factory(Caller, rabbit_config).start()
    with acting_rpc_proxy("caller", rabbit_config, timeout=30) as caller:
        with pytest.raises(Unavailable) as told:
            caller.ask(ANONYMOUS, "too late")
        assert told.value.code == "service_unavailable"
        # the request nobody waits for any more is dropped by the broker ...
        assert until(lambda: waiting(rabbit_config, "rpc-recorder") == 0)
        # ... so the recorder, back, runs only what is asked after it returned
        dead_recorder()
        assert caller.ask(ANONYMOUS, "in time") == "in time"
    assert DONE == ["in time"]


def test_the_gateway_gives_up_and_its_request_never_runs_late(dead_recorder, rabbit_config):
    pool = RpcPool(rabbit_config, size=1, timeout=1)
    remote = Remote(pool)
    try:
        with pytest.raises(RpcTimeout):
            remote.recorder.record(ANONYMOUS, "too late")
        assert until(lambda: waiting(rabbit_config, "rpc-recorder") == 0)
        dead_recorder()
        assert remote.recorder.record(ANONYMOUS, "in time") == "in time"
    finally:
        pool.close()
    assert DONE == ["in time"]
