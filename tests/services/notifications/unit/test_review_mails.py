"""The mails of the review (treatment type, reminders, promotion, automatic
withdrawal) and the commissions' alerts, from events shaped as the
applications service publishes them."""
import uuid

import pytest

from services.notifications.dependencies import Mailer
from services.notifications.domain import smtp_settings

from tests.support.actors import candidate, staff

ALERTS = {"transmitted": True, "cancelled": True, "withdrawn": True, "promoted": True}


def to_candidate(make_event, event_type, lang="fr", **fields):
    event = make_event(event_type, **fields)
    event["candidate"] = {**event["candidate"], "email": f"c.{uuid.uuid4().hex[:8]}@example.org",
                          "lang": lang}
    return event


def with_alerts(event, alerts=ALERTS):
    event["commission"] = {**event["commission"], "email": f"com.{uuid.uuid4().hex[:8]}@univ-demo.fr",
                           "alerts": dict(alerts)}
    return event


@pytest.mark.parametrize("handler, event_type, fields, code, words", [
    ("on_treatment_validated", "treatment_validated", {"treatment_type": "AD"}, "TREATMENT_AD",
     "admission de droit"),
    ("on_treatment_validated", "treatment_validated", {"treatment_type": "AC"}, "TREATMENT_AC",
     "étudiée par la commission « Commission Informatique »"),
    ("on_reminder_due", "reminder_due", {"kind": "transmit", "deadline": "2027-02-14"},
     "REMINDER_TRANSMIT", "au plus tard le 14/02/2027"),
    ("on_reminder_due", "reminder_due", {"kind": "confirm", "deadline": "2027-03-20"},
     "REMINDER_CONFIRM", "au plus tard le 20/03/2027"),
    ("on_application_withdrawn", "application_withdrawn", {"automatic": True},
     "APPLICATION_WITHDRAWN_AUTO", "avant la date limite"),
    ("on_decision_validated", "decision_validated",
     {"code": "FA", "promoted": True, "confirm_deadline": "2027-03-20"}, "DECISION_FA",
     "liste complémentaire"),
])
def test_each_review_event_mails_the_candidate(service, smtp_sink, make_event, handler,
                                               event_type, fields, code, words):
    event = to_candidate(make_event, event_type, **fields)
    service.call(handler, event)
    service.call(handler, event)  # redelivered: still one mail
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["code"] == code and words in mail["body"]
    assert "Merci de ne pas répondre" in mail["body"]
    assert "scolarite-sciences@univ-demo.fr" in mail["body"]


def test_a_reminder_in_english(service, smtp_sink, make_event):
    event = to_candidate(make_event, "reminder_due", lang="en", kind="confirm",
                         deadline="2027-02-14")
    service.call("on_reminder_due", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert "by 14 February 2027 at the latest" in mail["body"]


@pytest.mark.parametrize("handler, event_type, fields, code", [
    ("on_application_transmitted", "application_transmitted", {}, "COMMISSION_TRANSMITTED"),
    ("on_application_cancelled", "application_cancelled", {}, "COMMISSION_CANCELLED"),
    ("on_application_withdrawn", "application_withdrawn", {"automatic": False},
     "COMMISSION_WITHDRAWN"),
    ("on_decision_validated", "decision_validated",
     {"code": "FA", "promoted": True, "confirm_deadline": "2027-03-20"}, "COMMISSION_PROMOTED"),
])
def test_a_commission_that_asked_for_an_alert_gets_it(service, smtp_sink, make_event, handler,
                                                      event_type, fields, code):
    event = with_alerts(to_candidate(make_event, event_type, **fields))
    service.call(handler, event)
    alert, = smtp_sink.mails(to=event["commission"]["email"])
    assert alert["code"] == code and "22PB7Y36" in alert["subject"]
    assert "Léa Martin" in alert["body"] and "/gestion/candidatures/12" in alert["body"]
    # the candidate never reads the commission's alert in the portal
    assert code not in [m["code"] for m in service.call("list_mails", candidate(7))]
    assert code in [m["code"] for m in service.call("list_mails", staff("scol", id=3), 7)]


def test_no_alert_for_a_commission_that_did_not_ask(service, smtp_sink, make_event):
    event = with_alerts(to_candidate(make_event, "application_transmitted"),
                        {**ALERTS, "transmitted": False})
    service.call("on_application_transmitted", event)
    assert smtp_sink.mails(to=event["commission"]["email"]) == []
    assert service.rows("SELECT count(*) FROM mails") == [(0,)]


def test_a_centre_keeps_a_blind_copy_of_its_candidates_mails(service, smtp_sink, make_event,
                                                             monkeypatch):
    monkeypatch.setenv("MAIL_BCC_SCI", "archives-sci@univ-demo.fr")
    envelopes = []

    class Recording(Mailer):
        def send(self, to, *args, bcc=None, **kwargs):
            envelopes.append((to, bcc))
            super().send(to, *args, bcc=bcc, **kwargs)

    event = with_alerts(to_candidate(make_event, "application_cancelled"))
    service.call("on_application_cancelled", event, mailer=Recording(smtp_settings()))
    assert sorted(envelopes, key=str) == sorted([
        (event["candidate"]["email"], "archives-sci@univ-demo.fr"),
        (event["commission"]["email"], None)], key=str)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert "archives" not in mail["to"]  # a blind copy: in no header


def test_a_commission_taking_a_daily_digest_gets_one_mail_a_day(service, smtp_sink, make_event,
                                                               monkeypatch):
    monkeypatch.setenv("MAIL_DIGEST_COMMISSIONS", "SCI-INFO")
    commission = f"digest.{uuid.uuid4().hex[:8]}@univ-demo.fr"
    for application_id, handler, event_type in ((12, "on_application_transmitted",
                                                 "application_transmitted"),
                                                (13, "on_application_cancelled",
                                                 "application_cancelled")):
        event = to_candidate(make_event, event_type, application_id=application_id)
        event["commission"] = {**event["commission"], "email": commission, "alerts": ALERTS}
        service.call(handler, event)
    assert smtp_sink.mails(to=commission) == []  # held for the digest
    service.handle("send_digests")  # 11:00 the same day: they wait for tomorrow's
    service.handle("deliver_mails")
    assert smtp_sink.mails(to=commission) == []
    service.clock.advance(hours=21)  # the next day, 08:00 in Paris
    service.handle("send_digests")
    service.handle("send_digests")  # again, or by another instance: nothing more
    service.handle("deliver_mails")
    digest, = smtp_sink.mails(to=commission)
    assert digest["code"] == "COMMISSION_DIGEST" and "2 alerte(s)" in digest["subject"]
    assert "/gestion/candidatures/12" in digest["body"] and "/gestion/candidatures/13" in digest["body"]
    assert "Candidature transmise" in digest["body"] and "Candidature annulée" in digest["body"]
    assert service.rows("SELECT status, count(*) FROM mails WHERE audience = 'commission' "
                        "GROUP BY 1 ORDER BY 1") == [("digested", 2), ("sent", 1)]
