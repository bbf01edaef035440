"""A handler that fails gets its event back from the broker a few times with
growing pauses, then the event waits in `<service>.dead-letters` until an
operator replays it; a body that is not an event goes there at once; nothing
spins meanwhile. On the real broker (this run's vhost) and database.

The probe below is a documents service with one handler of its own, so its
queues are named as the real ones and its database is documents' test one.
"""
import io
import json
import logging
import time

import pytest
from kombu import Connection, Exchange, Producer

from services.common import dead_letters
from services.common.actors import ANONYMOUS, service
from services.common.db import Database, handle_once
from services.common.errors import Forbidden
from services.common.events import event_handler
from services.common.service_base import ServiceBase
from services.documents.models import Base
from tests.support.actors import candidate
from tests.support.database_outage import allow_connections
from tests.support.dead_letter_probe import BROKEN, CALLS, attempts, event, processed, wait_for
from tests.support.rpc import acting_rpc_proxy, signed_event_dispatcher
from tests.support.scope_matrix import staff_actor

SERVICE = "documents"
QUEUE = f"evt-accounts-probe_happened--{SERVICE}.on_probe"


class Probe(ServiceBase):
    name = SERVICE
    db = Database(Base.metadata)

    @event_handler("accounts", "probe_happened", requeue_on_error=True)
    @handle_once
    def on_probe(self, event):
        CALLS.append((event["event_id"], time.monotonic()))
        if BROKEN["now"]:
            raise RuntimeError("the probe is broken today")


@pytest.fixture
def broker(rabbit_config):
    """This service's retry and dead-letter queues, emptied."""
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        for name in [f"{SERVICE}.dead-letters", QUEUE]:
            channel.queue_delete(name)
        yield rabbit_config


@pytest.fixture
def probe(broker, container_factory, service_db, monkeypatch):
    """Starts the probe with small delays (EVENT_RETRY_DELAYS) and a fresh state."""
    engine = service_db(SERVICE)
    CALLS.clear()
    BROKEN["now"] = True

    def start(delays="0.3,0.6,1.2"):
        monkeypatch.setenv("EVENT_RETRY_DELAYS", delays)
        container = container_factory(Probe, broker)
        container.start()
        return container
    start.engine = engine
    start.config = broker
    return start


def letters():
    return dead_letters.list_letters(SERVICE)


def test_a_failing_handler_is_retried_with_pauses_then_its_event_is_dead_lettered(
        probe, caplog):
    probe()
    caplog.set_level(logging.WARNING, logger="services.common.events")
    sent = event()
    signed_event_dispatcher(probe.config)("accounts", "probe_happened", sent)

    found = wait_for(letters)
    assert len(found) == 1, "the event never reached documents.dead-letters"
    letter = found[0]
    assert (letter["service"], letter["queue"], letter["handler"]) == (
        SERVICE, QUEUE, f"{SERVICE}.on_probe")
    assert (letter["exchange"], letter["routing_key"]) == ("accounts.events", "probe_happened")
    assert (letter["event_type"], letter["event_id"]) == ("probe_happened", sent["event_id"])
    assert letter["attempts"] == 4 and letter["reason"] == "failed"
    assert letter["error"] == "RuntimeError: the probe is broken today"
    assert letter["id"] and letter["failed_at"]

    # one first attempt and one per configured delay, each after its pause
    times = attempts(sent["event_id"])
    assert len(times) == 4
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    for gap, delay in zip(gaps, (0.3, 0.6, 1.2)):
        assert gap >= delay * 0.9, f"attempts {gaps} s apart; the delays are 0.3, 0.6, 1.2"

    # one line per failed attempt, the last one saying where the event went
    mine = [r for r in caplog.records if sent["event_id"] in r.getMessage()]
    assert [r.levelname for r in mine] == ["WARNING"] * 3 + ["ERROR"]
    assert "documents.dead-letters" in mine[-1].getMessage()

    # nothing spins: the event waits, and listing it leaves it there
    time.sleep(2)
    assert len(attempts(sent["event_id"])) == 4
    assert [found["id"] for found in letters()] == [letter["id"]]


def test_a_body_that_is_not_an_event_goes_straight_to_the_dead_letters(probe):
    probe()
    BROKEN["now"] = False
    with Connection(probe.config["AMQP_URI"]) as connection:
        producer = Producer(connection.channel())
        for body in (json.dumps([1, 2, 3]), "{not json"):
            producer.publish(body, exchange=Exchange("accounts.events", "topic", durable=True),
                             routing_key="probe_happened", content_type="application/json",
                             content_encoding="utf-8")
    found = wait_for(lambda: len(letters()) == 2 and letters())
    assert sorted((f["reason"], f["error"], f["attempts"], f["queue"]) for f in found) == [
        ("malformed", "not JSON", 1, QUEUE), ("malformed", "not a JSON object", 1, QUEUE)]
    assert CALLS == []
    # and the handler goes on with the events that follow
    sent = event()
    signed_event_dispatcher(probe.config)("accounts", "probe_happened", sent)
    assert wait_for(lambda: attempts(sent["event_id"]))


def test_an_unsigned_event_is_dropped_not_dead_lettered(probe):
    from nameko.standalone.events import event_dispatcher
    probe()
    forged, genuine = event(), event()
    event_dispatcher(probe.config)("accounts", "probe_happened", forged)
    BROKEN["now"] = False
    signed_event_dispatcher(probe.config)("accounts", "probe_happened", genuine)
    assert wait_for(lambda: attempts(genuine["event_id"]))
    assert attempts(forged["event_id"]) == [] and letters() == []


def test_replayed_after_the_fix_an_event_is_applied_once(probe):
    probe(delays="0.1")
    sent = event()
    send = signed_event_dispatcher(probe.config)
    send("accounts", "probe_happened", sent)
    send("accounts", "probe_happened", sent)  # the same event twice (a relay re-published it)
    found = wait_for(lambda: len(letters()) == 2 and letters())
    assert [f["event_id"] for f in found] == [sent["event_id"]] * 2

    BROKEN["now"] = False  # "fixed"
    out = io.StringIO()
    assert dead_letters.main(["list", "--service", SERVICE], out=out) == 0
    listed = out.getvalue()
    assert listed.count(sent["event_id"]) == 2 and "documents.on_probe" in listed
    assert len(letters()) == 2, "listing took the letters away"

    out = io.StringIO()
    assert dead_letters.main(["replay", "--service", SERVICE, found[0]["id"]], out=out) == 0
    assert f"replayed\t{found[0]['id']}" in out.getvalue()
    assert wait_for(lambda: processed(probe.engine, sent["event_id"]) == 1)
    assert [f["id"] for f in letters()] == [found[1]["id"]]

    # the second copy, replayed too, changes nothing: the event was applied
    assert dead_letters.replay(SERVICE)["replayed"] == [found[1]["id"]]
    assert wait_for(lambda: letters() == [])
    time.sleep(0.5)
    assert processed(probe.engine, sent["event_id"]) == 1
    assert len(attempts(sent["event_id"])) == 2 * 2 + 1  # 2 failed each, 1 applied

    # and a replay of what is gone replays nothing
    assert dead_letters.replay(SERVICE, [found[0]["id"]]) == {"replayed": [],
                                                              "missing": [found[0]["id"]]}


def test_a_handler_failing_while_the_database_is_down_succeeds_on_a_retry(probe, caplog):
    probe(delays="1,2,4")
    BROKEN["now"] = False
    caplog.set_level(logging.WARNING, logger="services.common.events")
    sent = event()
    allow_connections(probe.engine, False)
    try:
        signed_event_dispatcher(probe.config)("accounts", "probe_happened", sent)
        assert wait_for(lambda: any("attempt 1 of 4" in r.getMessage() and
                                    sent["event_id"] in r.getMessage()
                                    for r in caplog.records), timeout=20)
    finally:
        allow_connections(probe.engine, True)
        probe.engine.dispose()
    assert wait_for(lambda: processed(probe.engine, sent["event_id"]) == 1, timeout=20)
    assert letters() == []


def test_administrators_list_and_replay_through_the_service(probe):
    probe(delays="0.1")
    sent = event()
    signed_event_dispatcher(probe.config)("accounts", "probe_happened", sent)
    assert wait_for(letters)
    admin = staff_actor(1, "admin", "admin")
    with acting_rpc_proxy(SERVICE, probe.config, timeout=20) as rpc:
        refused = [staff_actor(2, role, role, centres=["SCI"])
                   for role in ("scol", "manager", "committee", "readonly")]
        refused += [candidate(7), ANONYMOUS, service("applications")]
        for who in refused:
            for call in (lambda: rpc.list_dead_letters(who),
                         lambda: rpc.replay_dead_letters(who, None)):
                with pytest.raises(Forbidden):
                    call()
        assert len(letters()) == 1, "a refused replay replayed"

        listed = rpc.list_dead_letters(admin)
        assert [(f["event_id"], f["handler"]) for f in listed] == [
            (sent["event_id"], "documents.on_probe")]
        BROKEN["now"] = False
        done = rpc.replay_dead_letters(admin, [listed[0]["id"]], idempotency_key="k1")
        assert done == {"replayed": [listed[0]["id"]], "missing": []}
        assert wait_for(lambda: processed(probe.engine, sent["event_id"]) == 1)
        again = rpc.replay_dead_letters(admin, [listed[0]["id"]], idempotency_key="k1")
        assert again["replayed"] == [] and rpc.list_dead_letters(admin) == []
