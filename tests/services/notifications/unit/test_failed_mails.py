"""A mail is never lost nor sent twice: an outage far longer than the old
5-attempt retry is waited out, a permanent refusal stops at once and is shown,
and an administrator resends what failed."""
import smtplib
import uuid

import eventlet
import pytest

from services.common.errors import Forbidden, ValidationFailed
from services.notifications.dependencies import Mailer
from services.notifications.domain import smtp_settings
from tests.support.actors import candidate, staff

ADMIN = staff("admin")


def address(name):
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def registered(make_registered, to):
    return make_registered(email=to, candidate_id=abs(hash(to)) % 10**6 + 100)


class Refusing(Mailer):
    """A relay answering RCPT with `code` for every recipient."""

    def __init__(self, code, settings=None):
        super().__init__(settings or smtp_settings())
        self.code, self.calls = code, 0

    def send(self, to, *args, **kwargs):
        self.calls += 1
        raise smtplib.SMTPRecipientsRefused({to: (self.code, b"5.1.1 no such user")})


class SlowMailer(Mailer):
    def send(self, *args, **kwargs):
        eventlet.sleep(0.01)
        super().send(*args, **kwargs)


def test_smtp_down_for_hours_then_back_every_activation_mail_arrives_once(
        service, smtp_sink, make_registered, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    addresses = [address("activation") for _ in range(20)]
    for to in addresses:
        service.handle("on_candidate_registered", registered(make_registered, to))
    for _ in range(6):  # six hours down: the old delivery gave up after 4 minutes
        service.clock.advance(hours=1)
        service.handle("deliver_mails")
    assert service.rows("SELECT status, count(*) FROM mails GROUP BY 1") == [("queued", 20)]
    delivered = [m["to"] for m in smtp_sink.mails()]  # the folder read once
    assert not any(to in delivered for to in addresses)
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(hours=1)  # the longest delay between two attempts
    service.handle("deliver_mails")
    service.handle("deliver_mails")  # nothing left: none sent again
    mails = smtp_sink.mails()
    for to in addresses:
        mail, = [m for m in mails if m["to"] == to]
        assert "/compte/activer/tok-secret-123" in mail["body"]  # the working link, at last
    assert service.rows("SELECT status, count(*) FROM mails GROUP BY 1") == [("sent", 20)]


def test_a_550_stops_the_retries_and_shows_on_the_candidates_page(service, smtp_sink,
                                                                  make_event):
    to = address("nosuchuser")
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "email": to}
    relay = Refusing(550)
    service.call("on_application_confirmed", event, mailer=relay)
    for _ in range(5):
        service.clock.advance(hours=2)
        service.handle("deliver_mails", mailer=relay)
    assert relay.calls == 1
    shown, = service.call("list_mails", staff("manager", ["SCI"], id=2), 7)
    assert shown["status"] == "refused" and "no such user" in shown["error"]
    failed, = service.call("list_failed_mails", ADMIN)
    assert failed["id"] == shown["id"] and failed["to"] == to


def test_a_4xx_refusal_is_tried_again(service, smtp_sink, make_event):
    to = address("greylisted")
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "email": to}
    service.call("on_application_confirmed", event, mailer=Refusing(450))
    assert service.rows("SELECT status FROM mails") == [("queued",)]
    service.clock.advance(hours=1)
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=to)) == 1


def test_an_address_that_cannot_be_one_is_refused_without_retrying(service, smtp_sink,
                                                                   make_event):
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "email": "lea.martin@"}
    service.call("on_application_confirmed", event)
    assert service.rows("SELECT status, attempts FROM mails") == [("refused", 1)]


def test_an_administrator_resends_one_failed_mail_or_all_since_a_day(service, smtp_sink,
                                                                     make_event, monkeypatch):
    monkeypatch.setenv("MAIL_RETRY_WINDOW_HOURS", "1")
    monkeypatch.setenv("SMTP_PORT", "1")
    addresses = [address("resend") for _ in range(3)]
    for to in addresses:
        event = make_event("application_confirmed")
        event["candidate"] = {**event["candidate"], "email": to}
        service.call("on_application_confirmed", event)
    service.clock.advance(hours=2)
    service.handle("deliver_mails")
    failed = service.call("list_failed_mails", ADMIN)
    assert sorted(m["to"] for m in failed) == sorted(addresses)
    assert all(m["status"] == "failed" for m in failed)
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    first = failed[0]
    assert service.call("resend_mails", ADMIN, [first["id"]]) == {"resent": [first["id"]],
                                                                  "missing": []}
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=first["to"])) == 1
    # Again: nothing failed any more, nothing sent twice.
    assert service.call("resend_mails", ADMIN, [first["id"]]) == {"resent": [],
                                                                  "missing": [first["id"]]}
    assert service.call("resend_mails", ADMIN, None, "2099-01-01")["resent"] == []
    day = service.clock().date().isoformat()
    assert len(service.call("resend_mails", ADMIN, None, day)["resent"]) == 2
    service.handle("deliver_mails")
    for to in addresses:
        assert len(smtp_sink.mails(to=to)) == 1
    assert service.call("list_failed_mails", ADMIN) == []


def test_only_administrators_see_and_resend_failed_mails(service, smtp_sink):
    for actor in (staff("scol", id=3), staff("manager", ["SCI"], id=2), candidate(7)):
        with pytest.raises(Forbidden):
            service.call("list_failed_mails", actor)
        with pytest.raises(Forbidden):
            service.call("resend_mails", actor, None)
    with pytest.raises(ValidationFailed):
        service.call("list_failed_mails", ADMIN, "yesterday")


def test_two_instances_and_a_burst_redelivered_to_both_send_each_mail_once(
        service, smtp_sink, make_event):
    """The broker may hand one event to two instances (a redelivery after a
    lost acknowledgement): one mail still, sent by one of the loops."""
    events = []
    for _ in range(10):
        event = make_event("application_confirmed")
        event["candidate"] = {**event["candidate"], "email": address("burst")}
        events.append(event)
    handlers = [eventlet.spawn(service.handle, "on_application_confirmed", event)
                for event in events for _ in range(2)]
    for handler in handlers:
        try:
            handler.wait()
        except Exception:  # the loser of the unique (event, code) race: redelivered later
            pass
    for event in events:  # the redelivery finds it handled
        service.handle("on_application_confirmed", event)
    loops = [eventlet.spawn(service.handle, "deliver_mails", mailer=SlowMailer(smtp_settings()))
             for _ in range(2)]
    assert sum(loop.wait() for loop in loops) == 10
    delivered = [m["to"] for m in smtp_sink.mails()]
    for event in events:
        assert delivered.count(event["candidate"]["email"]) == 1
    assert service.rows("SELECT status, count(*) FROM mails GROUP BY 1") == [("sent", 10)]


@pytest.mark.parametrize("settings", [
    {"SMTP_USER": "relay-user", "SMTP_PASSWORD": "secret"},  # the sink offers no AUTH
    {"SMTP_TLS": "1", "SMTP_TIMEOUT": "1"},  # the sink speaks plain SMTP: no handshake
])
def test_a_relay_misconfigured_for_auth_or_tls_keeps_the_mail_for_later(
        service, smtp_sink, make_event, monkeypatch, settings):
    """Logging in and TLS are this platform's settings, not the mail's: the mail
    waits for them to be fixed rather than being refused for good."""
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    to = address("config")
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "email": to}
    service.call("on_application_confirmed", event)
    assert service.rows("SELECT status, attempts FROM mails") == [("queued", 1)]
    for name in settings:
        monkeypatch.delenv(name)
    service.clock.advance(hours=1)
    service.handle("deliver_mails")
    assert len(smtp_sink.mails(to=to)) == 1
