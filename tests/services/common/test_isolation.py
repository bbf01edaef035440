"""A service calling a dead one, on the real broker: a few of its workers wait
on it, the others keep serving its other RPCs; once the circuit is open the
calls needing the dead service fail at once; once it is back, they work
again without a restart."""
import time

import eventlet
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import Unavailable
from services.common.rpc import ServiceRpc, rpc
from tests.support.rpc import acting_rpc_proxy

TIMEOUT = 3  # SERVICE_RPC_TIMEOUT: what a call to the dead service waits


class Stalled:
    name = "stalled"

    @rpc
    def record(self, actor, what):
        return what


class Dependent:
    name = "dependent"
    stalled = ServiceRpc("stalled")

    @rpc
    def ask(self, actor, what):
        return self.stalled.record(what)

    @rpc
    def hello(self, actor):
        return "hello"


@pytest.fixture
def dependent(container_factory, rabbit_config, monkeypatch):
    """`dependent` running; `stalled`'s queue exists but nobody consumes it.
    Returns a function that starts `stalled` again."""
    monkeypatch.setenv("SERVICE_RPC_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("CIRCUIT_FAILURES", "2")
    monkeypatch.setenv("CIRCUIT_RESET_SECONDS", "2")
    monkeypatch.setenv("SERVICE_RPC_CONCURRENCY", "2")
    stalled = container_factory(Stalled, rabbit_config)
    stalled.start()
    stalled.stop()
    container_factory(Dependent, rabbit_config).start()  # 10 workers (rabbit_config)
    return lambda: container_factory(Stalled, rabbit_config).start()


def timed(call, *args):
    started = time.monotonic()
    try:
        return call(*args), time.monotonic() - started
    except Unavailable as exc:
        return exc, time.monotonic() - started


def test_a_dead_service_holds_few_workers_then_fails_fast_and_recovers(dependent, rabbit_config):
    def ask_once(n):
        with acting_rpc_proxy("dependent", rabbit_config, timeout=30) as caller:
            return timed(caller.ask, ANONYMOUS, n)

    # more requests needing the dead service than the caller has workers
    asking = [eventlet.spawn(ask_once, n) for n in range(14)]
    eventlet.sleep(0.5)
    with acting_rpc_proxy("dependent", rabbit_config, timeout=30) as caller:
        answer, took = timed(caller.hello, ANONYMOUS)
        assert answer == "hello" and took < TIMEOUT / 2  # its other RPCs are served meanwhile
        answers = [green.wait() for green in asking]
        assert all(isinstance(a, Unavailable) for a, _ in answers)
        assert all(a.code == "service_unavailable" for a, _ in answers)
        # two calls waited the deadline; the others were refused at once
        assert sum(took >= TIMEOUT - 0.5 for _, took in answers) <= 2

        # the circuit is open: no more waiting
        answer, took = timed(caller.ask, ANONYMOUS, "fast")
        assert isinstance(answer, Unavailable) and took < TIMEOUT / 2

        dependent()  # back
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answer, _ = timed(caller.ask, ANONYMOUS, "again")
            if answer == "again":
                break
            time.sleep(0.2)
        assert answer == "again"
        assert caller.ask(ANONYMOUS, "still") == "still"
