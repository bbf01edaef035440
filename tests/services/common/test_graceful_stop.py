"""Stopping a service (SIGTERM, as compose, systemd and the local runner do):
work in flight finishes and its caller gets the answer; past the grace, what
is left is killed and its message goes to another instance; a second signal
stops at once."""
import os
import signal
import subprocess
import sys
import time

import eventlet
import pytest

from services.common import actors
from tests.support.rpc import acting_rpc_proxy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ACTOR = actors.service("applications")


@pytest.fixture
def probes(rabbit_config, tmp_path):
    trace = tmp_path / "trace"
    trace.touch()
    started = []

    def start(work_seconds, grace=20, echo=False):
        env = {**os.environ, "WORK_TRACE": str(trace), "WORK_SECONDS": str(work_seconds),
               "SHUTDOWN_GRACE_SECONDS": str(grace), "PYTHONPATH": ROOT}
        process = subprocess.Popen([sys.executable, "-m", "tests.services.common.graceful_probe",
                                    *(["echo"] if echo else [])],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        if echo:
            eventlet.sleep(3)
            assert process.poll() is None, process.stderr.read()
            return process
        deadline = time.time() + 30
        while time.time() < deadline:  # ready once it answers
            try:
                with acting_rpc_proxy("graceful_probe", rabbit_config, timeout=2) as probe:
                    probe.work(ACTOR, "ready-check")
                break
            except Exception:
                assert process.poll() is None, process.stderr.read()
        return process

    def calls():
        return [line.split() for line in trace.read_text().splitlines()]

    def call(token, timeout=60):
        def run():
            with acting_rpc_proxy("graceful_probe", rabbit_config, timeout=timeout) as probe:
                return probe.work(ACTOR, token)
        return eventlet.spawn(run)

    def wait_started(token, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(parts[0] == token for parts in calls()):
                return
            eventlet.sleep(0.05)
        raise AssertionError(f"{token} never started")

    start.calls, start.call, start.wait_started = calls, call, wait_started
    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def exit_within(process, seconds):
    began = time.time()
    while process.poll() is None and time.time() - began < seconds:
        eventlet.sleep(0.05)
    assert process.poll() is not None, f"still running {seconds}s after the signal"
    return process.returncode, time.time() - began


def test_sigterm_lets_the_call_in_flight_answer_then_exits_0(probes):
    first = probes(work_seconds=3, grace=20)
    answer = probes.call("in-flight")
    probes.wait_started("in-flight")
    first.send_signal(signal.SIGTERM)
    eventlet.sleep(1)  # the signal is handled: the consumer is cancelled
    late = probes.call("after-sigterm")  # not taken by a stopping instance
    assert answer.wait()["token"] == "in-flight"
    code, took = exit_within(first, 20)
    assert code == 0 and took < 20
    assert [parts[0] for parts in probes.calls()] == ["in-flight"]
    second = probes(work_seconds=0)  # another instance takes what was left queued
    assert late.wait()["pid"] == second.pid
    eventlet.sleep(1)
    # the call answered while stopping was acknowledged: nobody runs it again
    assert probes.calls() == [["in-flight", str(first.pid)], ["after-sigterm", str(second.pid)]]


def test_a_stopping_worker_still_gets_the_answers_of_its_own_calls(probes):
    probes(work_seconds=0, echo=True)
    first = probes(work_seconds=2, grace=20)
    answer = probes.call("relay-1")
    probes.wait_started("relay-1")
    first.send_signal(signal.SIGTERM)
    assert answer.wait() == {"token": "relay-1", "pid": first.pid}
    code, _ = exit_within(first, 20)
    assert code == 0


def test_a_worker_stuck_past_the_grace_is_killed_and_its_message_redelivered(probes):
    stuck = probes(work_seconds=600, grace=2)
    answer = probes.call("stuck")
    probes.wait_started("stuck")
    stuck.send_signal(signal.SIGTERM)
    code, took = exit_within(stuck, 15)
    assert code == 1 and took >= 2
    other = probes(work_seconds=0)
    assert answer.wait() == {"token": "stuck", "pid": other.pid}
    assert [parts[0] for parts in probes.calls()] == ["stuck", "stuck"], probes.calls()


def test_a_second_signal_stops_at_once(probes):
    stuck = probes(work_seconds=600, grace=120)
    probes.call("stuck")
    probes.wait_started("stuck")
    stuck.send_signal(signal.SIGTERM)
    eventlet.sleep(1)
    assert stuck.poll() is None  # still waiting for its worker
    stuck.send_signal(signal.SIGINT)
    code, _ = exit_within(stuck, 10)
    assert code == 1
