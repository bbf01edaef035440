"""The circuit breaker and the bulkhead a caller keeps per target service,
without a broker: a dead target is given up after a few failures and probed
again later; a slow one never holds more than its share of the caller."""
import threading
import time

import eventlet
import pytest
from nameko.exceptions import RemoteError, RpcTimeout

from services.common.breaker import (CLOSED, HALF_OPEN, OPEN, Bulkhead, CircuitBreaker, Guard,
                                     Guards, unavailable)
from services.common.errors import Conflict, NotFound, Unavailable


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def guard(failures=3, reset=10.0, concurrency=2, wait=0.01, clock=None, **kwargs):
    made = Guard("gateway", "documents", failures, reset, concurrency, wait, **kwargs)
    if clock:
        made.breaker._clock = clock
    return made


def dead():
    raise RpcTimeout("no answer")


def fails(exc):
    def call():
        raise exc
    return call


def test_opens_after_consecutive_failures_and_then_refuses_at_once():
    g, sent = guard(failures=3), []

    def dead_and_counted():
        sent.append(1)
        dead()
    for _ in range(3):
        with pytest.raises(RpcTimeout):
            g.call(dead_and_counted)
    assert g.breaker.state == OPEN
    with pytest.raises(Unavailable) as told:
        g.call(dead_and_counted)
    assert told.value.code == "service_unavailable"
    assert told.value.fields == {"service": "documents"}
    assert len(sent) == 3  # the refused call was never sent


def test_a_success_between_failures_keeps_it_closed():
    g = guard(failures=3)
    for _ in range(5):
        with pytest.raises(RpcTimeout):
            g.call(dead)
        with pytest.raises(RpcTimeout):
            g.call(dead)
        assert g.call(lambda: "ok") == "ok"
    assert g.breaker.state == CLOSED


def test_typed_answers_are_successes_but_the_target_saying_it_is_unavailable_is_not():
    g = guard(failures=2)
    for answer in (NotFound("not_found"), Conflict("deadline_passed"),
                   unavailable("catalog", "documents' own call to catalog timed out")):
        for _ in range(3):
            with pytest.raises(type(answer)):
                g.call(fails(answer))
    assert g.breaker.state == CLOSED  # it answered: what it needs being down is not its fault
    for _ in range(2):
        with pytest.raises(Unavailable):
            g.call(fails(Unavailable("service_unavailable", "database unreachable")))
    assert g.breaker.state == OPEN


def test_a_server_error_it_answers_is_not_held_against_the_whole_service():
    g = guard(failures=2)
    for _ in range(4):
        with pytest.raises(RemoteError):
            g.call(fails(RemoteError("KeyError", "a bug in one method")))
    assert g.breaker.state == CLOSED


def test_a_deadline_of_the_caller_itself_counts_as_no_answer():
    g = guard(failures=2)
    for _ in range(2):
        with eventlet.Timeout(0.01, False):
            g.call(eventlet.sleep, 1)
    assert g.breaker.state == OPEN
    assert g.bulkhead.busy == 0


def test_after_the_reset_period_one_probe_closes_it():
    clock = Clock()
    g = guard(failures=1, reset=10, clock=clock)
    with pytest.raises(RpcTimeout):
        g.call(dead)
    clock.now += 9.9
    with pytest.raises(Unavailable):
        g.call(lambda: "not sent")
    clock.now += 0.2
    assert g.breaker.state == HALF_OPEN and not g.breaker.is_open()
    assert g.call(lambda: "back") == "back"
    assert g.breaker.state == CLOSED
    assert g.call(lambda: "again") == "again"


def test_a_failed_probe_opens_it_for_another_period():
    clock = Clock()
    g = guard(failures=1, reset=10, clock=clock)
    with pytest.raises(RpcTimeout):
        g.call(dead)
    clock.now += 10
    with pytest.raises(RpcTimeout):
        g.call(dead)  # the probe
    assert g.breaker.state == OPEN
    clock.now += 5
    with pytest.raises(Unavailable):
        g.call(lambda: "not sent")


def test_only_one_probe_at_a_time():
    clock = Clock()
    g = guard(failures=1, reset=10, concurrency=5, clock=clock)
    with pytest.raises(RpcTimeout):
        g.call(dead)
    clock.now += 10
    in_probe, release = threading.Event(), threading.Event()

    def slow_probe():
        in_probe.set()
        release.wait(5)
        return "back"
    result = []
    prober = threading.Thread(target=lambda: result.append(g.call(slow_probe)))
    prober.start()
    assert in_probe.wait(5)
    with pytest.raises(Unavailable):  # while the probe is out, the others still fail fast
        g.call(lambda: "not sent")
    release.set()
    prober.join(5)
    assert result == ["back"] and g.breaker.state == CLOSED


def test_transitions_are_logged_once_each(caplog):
    clock = Clock()
    g = guard(failures=2, reset=10, clock=clock)
    for _ in range(6):
        with pytest.raises((RpcTimeout, Unavailable)):
            g.call(dead)
    clock.now += 10
    for _ in range(3):
        g.call(lambda: "ok")
    messages = [r.getMessage() for r in caplog.records if r.name == "services.common.breaker"]
    assert len(messages) == 3
    assert sum("opened" in m for m in messages) == 1
    assert sum("half-open" in m for m in messages) == 1
    assert sum("closed" in m for m in messages) == 1


def test_the_bulkhead_lets_k_calls_wait_and_refuses_the_next_at_once():
    g = guard(failures=100, concurrency=2, wait=0.01)
    inside, release = threading.Semaphore(0), threading.Event()

    def stuck():
        inside.release()
        release.wait(5)
        return "late"
    threads = [threading.Thread(target=g.call, args=(stuck,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert inside.acquire(timeout=5)
    with pytest.raises(Unavailable) as told:
        g.call(lambda: "third")
    assert told.value.fields == {"service": "documents"}
    assert g.breaker.state == CLOSED  # a full bulkhead says nothing of the target
    release.set()
    for thread in threads:
        thread.join(5)
    assert g.bulkhead.busy == 0
    assert g.call(lambda: "free again") == "free again"


def test_a_probe_refused_by_the_bulkhead_leaves_the_probe_to_the_next_call():
    clock = Clock()
    g = guard(failures=1, reset=10, concurrency=1, clock=clock)
    with pytest.raises(RpcTimeout):
        g.call(dead)
    clock.now += 10
    g.bulkhead.acquire()  # a call from before the circuit opened, still waiting
    with pytest.raises(Unavailable):
        g.call(lambda: "no slot")
    g.bulkhead.release()
    assert g.call(lambda: "probe") == "probe"
    assert g.breaker.state == CLOSED


def test_errors_of_the_caller_itself_are_not_held_against_the_target():
    class PoolExhausted(Exception):
        pass
    g = guard(failures=1, local_errors=(PoolExhausted,))
    for _ in range(3):
        with pytest.raises(PoolExhausted):
            g.call(fails(PoolExhausted()))
    assert g.breaker.state == CLOSED


def test_green_threads_share_the_breaker_and_the_bulkhead():
    g = guard(failures=3, concurrency=3, wait=0.01)
    release = eventlet.event.Event()

    def stuck():
        release.wait()
        raise RpcTimeout("no answer")
    waiting = [eventlet.spawn(g.call, stuck) for _ in range(3)]
    eventlet.sleep(0)
    refused = 0
    for _ in range(10):
        try:
            g.call(lambda: "sent")
        except Unavailable:
            refused += 1
    assert refused == 10
    release.send()
    for green in waiting:
        with pytest.raises(RpcTimeout):
            green.wait()
    assert g.breaker.state == OPEN


def test_guards_tell_which_circuits_are_open_and_hear_relayed_unavailability():
    guards = Guards("gateway", 2, 10, 2, 0.01)
    with pytest.raises(RpcTimeout):
        guards["catalog"].call(dead)
    assert guards.open_circuits() == [] and not guards.is_down("documents")
    for _ in range(2):  # applications answered that documents did not
        guards.heard_unavailable(unavailable("documents", "documents.get_download did not answer"))
    assert guards.open_circuits() == ["documents"] and guards.is_down("documents")
    guards.heard_unavailable(NotFound("not_found"))
    assert guards.open_circuits() == ["documents"]


def test_standalone_breaker_and_bulkhead():
    breaker = CircuitBreaker("catalog", failures=1, reset_seconds=60)
    assert breaker.before() is False
    breaker.failure()
    with pytest.raises(Unavailable):
        breaker.before()
    bulkhead = Bulkhead("catalog", 1, wait=0.01)
    bulkhead.acquire()
    with pytest.raises(Unavailable):
        bulkhead.acquire()
    bulkhead.release()
    bulkhead.acquire()
    bulkhead.release()


def test_a_burst_to_a_healthy_service_queues_for_a_slot_instead_of_failing():
    """Ten identical clicks at once: calls that end within milliseconds free
    their slots, and the others wait for them rather than get the 503 page."""
    bulkhead = Bulkhead("applications", 2, wait=1.0)  # fresh: the first burst after a start
    answers = []

    def click():
        try:
            bulkhead.acquire()
        except Unavailable:
            answers.append("refused")
            return
        time.sleep(0.02)  # a healthy call
        bulkhead.release()
        answers.append("served")
    clicks = [threading.Thread(target=click) for _ in range(10)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert answers == ["served"] * 10


def test_calls_stuck_on_a_dead_service_make_the_next_one_fail_at_once():
    """Nothing ended lately: waiting for a slot would only hold the caller's
    thread, so the call is refused without waiting."""
    now = [100.0]
    bulkhead = Bulkhead("documents", 1, wait=5.0, clock=lambda: now[0])
    bulkhead.acquire()
    bulkhead.release()
    bulkhead.acquire()  # this one never ends
    now[0] += 6  # it started, and the last call ended, longer ago than the wait
    started = time.monotonic()
    with pytest.raises(Unavailable):
        bulkhead.acquire()
    assert time.monotonic() - started < 1  # not the 5 s wait
