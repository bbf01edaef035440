"""The real container on the real broker: events in, mails out over SMTP."""
import random
import socket
import time
import uuid

import pytest
from sqlalchemy import text

from services.notifications.dependencies import delivery_timer
from services.notifications.service import NotificationsService
from tests.support.rpc import acting_rpc_proxy, signed_event_dispatcher


def wait_for(check, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_events_become_mails_and_can_be_read_back(container_factory, rabbit_config, service_db,
                                                  smtp_sink, make_registered, make_event):
    service_db("notifications")
    container = container_factory(NotificationsService, rabbit_config)
    container.start()
    from_accounts = signed_event_dispatcher(rabbit_config)
    # Other services' tests publish into the same vhost: a candidate id and an
    # address of this test's own keep their events out of what it counts.
    candidate, address = random.randint(10**8, 10**9), f"flow.{uuid.uuid4().hex[:8]}@example.org"
    registered = make_registered(candidate_id=candidate, email=address)
    from_accounts("accounts", "candidate_registered", registered)
    created = make_event("application_created", candidate_id=candidate, return_deadline="2027-02-05")
    created["candidate"]["email"] = address
    from_accounts("applications", "application_created", created)

    mails = wait_for(lambda: len(smtp_sink.mails(to=address)) == 2
                     and smtp_sink.mails(to=address))
    assert {m["code"] for m in mails} == {"ACCOUNT_CREATED", "APPLICATION_CREATED"}
    with acting_rpc_proxy("notifications", rabbit_config) as notifications:
        listed = wait_for(lambda: notifications.list_mails({"kind": "candidate", "id": candidate}))
        assert {m["code"] for m in listed} == {"ACCOUNT_CREATED", "APPLICATION_CREATED"}
        assert all(m["status"] == "sent" for m in listed)


class WithoutTicks(NotificationsService):
    """The delivery loop's tick an hour away: only its wake-up can send."""

    @delivery_timer(interval=3600)
    def deliver_mails(self):
        return NotificationsService.deliver_mails(self)


def test_a_stored_mail_leaves_at_once_without_waiting_for_the_tick(container_factory, rabbit_config,
                                                                   service_db, smtp_sink,
                                                                   make_event):
    service_db("notifications")
    container = container_factory(WithoutTicks, rabbit_config)
    container.start()
    address = f"prompt.{uuid.uuid4().hex[:8]}@example.org"
    event = make_event("application_confirmed", candidate_id=random.randint(10**8, 10**9))
    event["candidate"]["email"] = address
    signed_event_dispatcher(rabbit_config)("applications", "application_confirmed", event)
    mail, = wait_for(lambda: smtp_sink.mails(to=address))
    assert mail["code"] == "APPLICATION_CONFIRMED"


def test_the_running_service_sends_a_mail_held_back_by_an_outage(container_factory, rabbit_config,
                                                                 service_db, smtp_sink, make_event,
                                                                 monkeypatch):
    engine = service_db("notifications")
    monkeypatch.setenv("MAIL_RETRY_FIRST_SECONDS", "1")  # tries again within a second or two
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    container = container_factory(NotificationsService, rabbit_config)
    container.start()
    address = f"outage.{uuid.uuid4().hex[:8]}@example.org"
    event = make_event("application_confirmed", candidate_id=random.randint(10**8, 10**9))
    event["candidate"]["email"] = address
    signed_event_dispatcher(rabbit_config)("applications", "application_confirmed", event)

    def attempts():
        with engine.connect() as conn:
            return conn.execute(text("SELECT attempts FROM mails WHERE to_address = :to "
                                     "AND status = 'queued'"), {"to": address}).scalar()
    wait_for(lambda: (attempts() or 0) >= 2)
    assert smtp_sink.mails(to=address) == []
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    mail, = wait_for(lambda: smtp_sink.mails(to=address), timeout=20)
    assert mail["code"] == "APPLICATION_CONFIRMED"


@pytest.fixture
def silent_relay():
    """An SMTP relay that takes connections (the kernel accepts them into the
    backlog) and never says a word; `.close()` drops them all."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server
    server.close()


def confirmation(rabbit_config, make_event, name):
    """Sends an application_confirmed event; returns the address its mail goes to."""
    to = f"{name}.{uuid.uuid4().hex[:8]}@example.org"
    event = make_event("application_confirmed", candidate_id=random.randint(10**8, 10**9))
    event["candidate"]["email"] = to
    signed_event_dispatcher(rabbit_config)("applications", "application_confirmed", event)
    return to, event["candidate_id"]


def status_of(engine, to):
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM mails WHERE to_address = :to"),
                            {"to": to}).scalar()


def test_a_relay_that_never_answers_holds_back_only_the_mail_it_took(
        container_factory, rabbit_config, service_db, smtp_sink, make_event, monkeypatch,
        silent_relay):
    engine = service_db("notifications")
    monkeypatch.setenv("SMTP_PORT", str(silent_relay.getsockname()[1]))
    monkeypatch.setenv("SMTP_TIMEOUT", "300")  # this conversation lasts until the relay goes
    monkeypatch.setenv("SMTP_DEADLINE_SECONDS", "300")
    monkeypatch.setenv("MAIL_RETRY_FIRST_SECONDS", "1")
    container = container_factory(NotificationsService, rabbit_config)
    container.start()
    held, _ = confirmation(rabbit_config, make_event, "held")
    wait_for(lambda: status_of(engine, held) == "sending")

    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))  # a good relay for what comes next
    later, candidate = confirmation(rabbit_config, make_event, "later")
    mail, = wait_for(lambda: smtp_sink.mails(to=later))
    assert mail["code"] == "APPLICATION_CONFIRMED"
    assert status_of(engine, held) == "sending"  # still waiting on the silent relay
    with acting_rpc_proxy("notifications", rabbit_config) as notifications:
        listed, = notifications.list_mails({"kind": "candidate", "id": candidate})
        assert listed["status"] == "sent"

    silent_relay.close()  # the relay goes away: that attempt fails and is tried again
    mail, = wait_for(lambda: smtp_sink.mails(to=held), timeout=20)
    assert mail["code"] == "APPLICATION_CONFIRMED"
    assert wait_for(lambda: status_of(engine, held) == "sent")


def test_a_service_killed_during_a_delivery_leaves_no_lock_behind(
        container_factory, rabbit_config, service_db, make_event, monkeypatch, silent_relay):
    engine = service_db("notifications")
    monkeypatch.setenv("SMTP_PORT", str(silent_relay.getsockname()[1]))
    monkeypatch.setenv("SMTP_TIMEOUT", "300")
    container = container_factory(NotificationsService, rabbit_config)
    container.start()
    held, _ = confirmation(rabbit_config, make_event, "killed")
    wait_for(lambda: status_of(engine, held) == "sending")  # its row locked through SMTP
    container.kill()
    with engine.connect() as conn:
        locks = conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'mails'::regclass "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND pid <> pg_backend_pid()")).scalar()
    # A lock left here would make the next test's emptying of the tables wait forever.
    assert locks == 0
    assert status_of(engine, held) == "sending"  # unconfirmed by the next instance, later
