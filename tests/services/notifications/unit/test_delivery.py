"""Delivery with a real database and a real SMTP sink: a mail is stored before
it is sent, never sent twice, and retried until SMTP comes back."""
import email
import email.policy
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import eventlet
import pytest

from services.notifications import domain
from services.notifications.dependencies import Mailer
from services.notifications.domain import smtp_settings
from tests.support.actors import staff

STAFF = staff("admin")


class ProcessDied(BaseException):
    """The process ends here: nothing after this point runs (not an Exception,
    so no handler of the service catches it)."""


class DiesOnceSmtpAccepted(Mailer):
    def send(self, *args, **kwargs):
        super().send(*args, **kwargs)
        raise ProcessDied()


class SlowMailer(Mailer):
    """Gives the other delivery loop time to run while this one talks SMTP."""

    def send(self, *args, **kwargs):
        eventlet.sleep(0.02)
        super().send(*args, **kwargs)


def address(name):
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def confirmed(make_event, to):
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "email": to}
    return event


def message_ids(smtp_sink, to):
    ids = []
    for path in Path(smtp_sink.folder).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to in str(message["To"]):
            ids.append(str(message["Message-ID"]))
    return ids


def test_a_crash_after_smtp_accepted_never_sends_the_mail_again(service, smtp_sink, make_event,
                                                                 caplog):
    to = address("crash")
    event = confirmed(make_event, to)
    with pytest.raises(ProcessDied):
        service.call("on_application_confirmed", event, mailer=DiesOnceSmtpAccepted(smtp_settings()))
    service.call("on_application_confirmed", event)  # redelivered to the restarted service
    service.clock.advance(minutes=10)
    with caplog.at_level(logging.WARNING, logger="services.notifications.service"):
        service.handle("deliver_mails")
    service.clock.advance(days=4)
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=to)) == 1
    (status, attempts, message_id), = service.rows("SELECT status, attempts, message_id FROM mails")
    # Whether it arrived is unknown here: a person decides, the service never resends it.
    assert (status, attempts) == ("unconfirmed", 1)
    assert message_ids(smtp_sink, to) == [message_id]
    assert "unconfirmed" in caplog.text and message_id in caplog.text
    shown, = service.call("list_mails", STAFF, 7)
    assert shown["status"] == "unconfirmed" and shown["message_id"] == message_id


def test_the_mail_carries_the_message_id_recorded_before_sending(service, smtp_sink, make_event):
    to = address("msgid")
    service.call("on_application_confirmed", confirmed(make_event, to))
    (status, message_id), = service.rows("SELECT status, message_id FROM mails")
    assert status == "sent" and message_id.startswith("<") and message_id.endswith(">")
    assert message_ids(smtp_sink, to) == [message_id]


def test_a_handler_only_stores_the_mail(service, smtp_sink, make_event):
    to = address("stored")
    service.handle("on_application_confirmed", confirmed(make_event, to))
    assert service.rows("SELECT status, attempts FROM mails") == [("queued", 0)]
    assert smtp_sink.mails(to=to) == []
    service.handle("deliver_mails")
    assert service.rows("SELECT status, attempts FROM mails") == [("sent", 1)]
    assert len(smtp_sink.mails(to=to)) == 1


def test_smtp_down_for_hours_the_mail_leaves_when_it_returns(service, smtp_sink, make_event,
                                                             monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    to = address("outage")
    service.call("on_application_confirmed", confirmed(make_event, to))
    delays = []
    for _ in range(11):  # the old delivery gave up after 5 attempts, 4 minutes
        (status, due, tried), = service.rows(
            "SELECT status, next_attempt_at, last_attempt_at FROM mails")
        assert status == "queued"
        delays.append((due - tried).total_seconds())
        service.handle("deliver_mails")  # not due yet: not tried
        assert service.rows("SELECT attempts FROM mails") == [(len(delays),)]
        service.clock.now = due
        service.handle("deliver_mails")
    assert smtp_sink.mails(to=to) == []
    (status, attempts, error, due, created), = service.rows(
        "SELECT status, attempts, error, next_attempt_at, created_at FROM mails")
    assert (status, attempts) == ("queued", 12) and error
    assert due - created > timedelta(hours=2)
    assert delays[:8] == sorted(delays[:8]) and delays[-1] > 20 * delays[0]  # backs off
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.now = due
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=to)) == 1
    assert service.rows("SELECT status, attempts, error FROM mails") == [("sent", 13, None)]


def test_past_the_retry_window_the_mail_is_failed_for_good_and_logged(service, smtp_sink,
                                                                      make_event, monkeypatch,
                                                                      caplog):
    monkeypatch.setenv("SMTP_PORT", "1")
    to = address("abandoned")
    service.call("on_application_confirmed", confirmed(make_event, to))
    service.clock.advance(hours=70)
    service.handle("deliver_mails")
    assert service.rows("SELECT status FROM mails") == [("queued",)]
    service.clock.advance(hours=3)
    with caplog.at_level(logging.ERROR, logger="services.notifications.service"):
        service.handle("deliver_mails")
    assert service.rows("SELECT status, attempts FROM mails") == [("failed", 3)]
    assert "given up" in caplog.text
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(days=1)
    service.handle("deliver_mails")
    assert smtp_sink.mails(to=to) == []
    shown, = service.call("list_mails", STAFF, 7)
    assert shown["status"] == "failed" and shown["attempts"] == 3


def test_the_retry_window_is_configurable(service, smtp_sink, make_event, monkeypatch):
    monkeypatch.setenv("MAIL_RETRY_WINDOW_HOURS", "1")
    monkeypatch.setenv("SMTP_PORT", "1")
    service.call("on_application_confirmed", confirmed(make_event, address("window")))
    service.clock.advance(hours=2)
    service.handle("deliver_mails")
    assert service.rows("SELECT status FROM mails") == [("failed",)]


def test_the_backoff_doubles_with_jitter_up_to_a_ceiling():
    settings = {"first_retry_seconds": 30, "max_retry_seconds": 3600, "window_hours": 72}
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (6, 960), (8, 3600), (40, 3600)]:
        delays = {domain.retry_delay(attempts, settings) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # spread: instances do not all retry at once


def test_two_delivery_loops_at_once_send_each_mail_once(service, smtp_sink, make_event):
    addresses = [address("twice") for _ in range(30)]
    for to in addresses:
        service.handle("on_application_confirmed", confirmed(make_event, to))
    loops = [eventlet.spawn(service.handle, "deliver_mails", mailer=SlowMailer(smtp_settings()))
             for _ in range(2)]
    sent = [loop.wait() for loop in loops]
    assert all(sent) and sum(sent) == 30  # both loops delivered, each mail by one of them
    for to in addresses:
        assert len(smtp_sink.mails(to=to)) == 1
    assert service.rows("SELECT status, attempts, count(*) FROM mails GROUP BY 1, 2") == [
        ("sent", 1, 30)]


def test_a_deleted_account_mail_is_erased_once_delivered_even_after_a_retry(
        service, smtp_sink, make_event, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "1")
    to = address("deleted")
    event = {"candidate_id": 7, "dossier_number": "22PB7Y36", "email": to, "first_name": "Léa",
             "last_name": "Martin", "lang": "fr", "reason": "candidate",
             "event_id": str(uuid.uuid4()), "event_type": "account_deleted"}
    service.call("on_account_deleted", event)
    assert service.rows("SELECT code, status FROM mails") == [("ACCOUNT_DELETED", "queued")]
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(hours=1)
    service.handle("deliver_mails")
    assert [m["code"] for m in smtp_sink.mails(to=to)] == ["ACCOUNT_DELETED"]
    assert service.rows("SELECT count(*) FROM mails") == [(0,)]


@pytest.fixture
def relay_losing_its_answer():
    """An SMTP server that takes a whole message and hangs up before answering
    it: whether it was accepted cannot be known. `.received` counts messages."""
    server = eventlet.listen(("127.0.0.1", 0))

    class Relay:
        port = server.getsockname()[1]
        received = 0

    def converse(sock):
        stream = sock.makefile("rwb")

        def reply(line):
            stream.write(line + b"\r\n")
            stream.flush()
        reply(b"220 relay")
        for line in iter(stream.readline, b""):
            verb = line[:4].upper()
            if verb == b"DATA":
                reply(b"354 go ahead")
                while stream.readline() not in (b".\r\n", b""):
                    pass
                Relay.received += 1
                break  # the answer to the message never comes
            reply(b"221 bye" if verb == b"QUIT" else b"250 ok")
        sock.close()

    def serve():
        while True:
            sock, _ = server.accept()
            eventlet.spawn(converse, sock)
    acceptor = eventlet.spawn(serve)
    yield Relay
    acceptor.kill()
    server.close()


def test_a_lost_answer_to_a_sent_message_is_not_resent(service, smtp_sink, make_event,
                                                       monkeypatch, relay_losing_its_answer):
    monkeypatch.setenv("SMTP_PORT", str(relay_losing_its_answer.port))
    service.call("on_application_confirmed", confirmed(make_event, address("lost")))
    service.clock.advance(days=1)
    service.handle("deliver_mails")
    assert relay_losing_its_answer.received == 1
    assert service.rows("SELECT status, attempts FROM mails") == [("unconfirmed", 1)]


@pytest.fixture
def silent_relay():
    """A relay that takes the connection (the kernel accepts it into the
    backlog) and never says a word."""
    server = eventlet.listen(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def dawdling_relay():
    """A relay that greets, then answers EHLO one byte at a time, forever:
    every read gets something, so only a deadline on the whole conversation ends it."""
    server = eventlet.listen(("127.0.0.1", 0))

    def converse(sock):
        try:
            sock.sendall(b"220 relay\r\n")
            sock.recv(1024)  # EHLO
            while True:
                sock.sendall(b"250-")
                eventlet.sleep(0.05)
        except OSError:
            pass  # the client gave up
        finally:
            sock.close()

    def serve():
        while True:
            sock, _ = server.accept()
            eventlet.spawn(converse, sock)
    acceptor = eventlet.spawn(serve)
    yield server.getsockname()[1]
    acceptor.kill()
    server.close()


def test_a_relay_that_never_answers_is_given_up_on_and_the_mail_sent_once_a_good_one_is_back(
        service, smtp_sink, make_event, monkeypatch, silent_relay):
    monkeypatch.setenv("SMTP_PORT", str(silent_relay))
    monkeypatch.setenv("SMTP_TIMEOUT", "0.5")
    to = address("silent")
    service.call("on_application_confirmed", confirmed(make_event, to))
    (status, attempts, error), = service.rows("SELECT status, attempts, error FROM mails")
    assert (status, attempts) == ("queued", 1) and "timed out" in error
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(minutes=5)
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=to)) == 1
    assert service.rows("SELECT status, attempts FROM mails") == [("sent", 2)]


def test_a_relay_answering_without_end_is_given_up_on_at_the_deadline(
        service, smtp_sink, make_event, monkeypatch, dawdling_relay):
    monkeypatch.setenv("SMTP_PORT", str(dawdling_relay))
    monkeypatch.setenv("SMTP_DEADLINE_SECONDS", "1")
    to = address("dawdling")
    service.call("on_application_confirmed", confirmed(make_event, to))
    (status, attempts, error), = service.rows("SELECT status, attempts, error FROM mails")
    assert (status, attempts) == ("queued", 1) and "within 1 s" in error
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(minutes=5)
    service.handle("deliver_mails")
    assert service.rows("SELECT status, attempts FROM mails") == [("sent", 2)]
