"""The commission's letter attached to the decision mails (refusal: DECISION_DE,
admission: APPLICATION_CONFIRMED) when its wording says so; the mail never
waits for it past a bounded time, and goes without it when applications or
the storage cannot give it. applications.get_letter and the download are
doubles at the service's boundary."""
import http.server
import threading
import uuid

import eventlet
import pytest

from services.common.errors import Conflict, Unavailable
from services.notifications.dependencies import LetterDownloader, LetterTooBig

from tests.support.actors import staff

PDF = b"%PDF-1.7\n% the commission's letter\n%%EOF\n"


class Applications:
    """applications.get_letter as notifications calls it (its service actor is
    added by ServiceRpc): a link with the wording's `attach`, or an error."""

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def get_letter(self, application_id, kind):
        self.asked.append((application_id, kind))
        if isinstance(self.answer, Exception):
            raise self.answer
        if callable(self.answer):
            return self.answer()
        return {"url": f"http://s3.test/letters/{application_id}-{kind}.pdf",
                "filename": f"lettre-{kind}-22PB7Y36.pdf", "content_type": "application/pdf",
                "size": len(PDF), "attach": self.answer, "kind": kind}


class Letters:
    def __init__(self, content=PDF):
        self.content, self.fetched = content, []

    def fetch(self, url, max_bytes, seconds):
        self.fetched.append(url)
        if isinstance(self.content, Exception):
            raise self.content
        return self.content


def decided(make_event, event_type, **fields):
    event = make_event(event_type, **fields)
    event["candidate"] = {**event["candidate"], "email": f"c.{uuid.uuid4().hex[:8]}@example.org"}
    return event


@pytest.mark.parametrize("handler, event_type, fields, code, kind", [
    ("on_decision_validated", "decision_validated",
     {"code": "DE", "reason": "Capacité atteinte", "comment": None}, "DECISION_DE", "refusal"),
    ("on_application_confirmed", "application_confirmed", {}, "APPLICATION_CONFIRMED",
     "admission"),
])
def test_the_decision_mail_carries_the_commissions_letter(service, smtp_sink, make_event,
                                                          handler, event_type, fields, code,
                                                          kind):
    service.applications, service.letters = Applications(True), Letters()
    event = decided(make_event, event_type, **fields)
    service.call(handler, event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["code"] == code and mail["attachments"] == [f"lettre-{kind}-22PB7Y36.pdf"]
    assert "jointe à ce mail" in mail["body"]
    assert service.applications.asked == [(12, kind)]
    # sent: the copy of the PDF is dropped here (the portal still offers the letter)
    assert service.rows(f"SELECT attachment IS NULL, attachment_name FROM mails "
                        f"WHERE code = '{code}'") == [(True, f"lettre-{kind}-22PB7Y36.pdf")]
    shown, = [m for m in service.call("list_mails", staff("scol", id=3), 7) if m["code"] == code]
    assert shown["attachment"] == f"lettre-{kind}-22PB7Y36.pdf"


def test_no_letter_when_the_commission_does_not_attach_it(service, smtp_sink, make_event):
    service.applications, service.letters = Applications(False), Letters()
    event = decided(make_event, "application_confirmed")
    service.call("on_application_confirmed", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["attachments"] == [] and service.letters.fetched == []
    assert "jointe" not in mail["body"] and "disponible sur le portail" in mail["body"]


@pytest.mark.parametrize("answer, letters", [
    (Unavailable("service_unavailable", "applications is away"), Letters()),
    (Conflict("no_letter", "no such letter for this application now"), Letters()),
    (True, Letters(ConnectionError("storage away"))),
    (True, Letters(LetterTooBig("over 5242880 bytes"))),
], ids=["applications away", "no letter now", "storage away", "letter too big"])
def test_the_mail_goes_without_a_letter_it_cannot_have(service, smtp_sink, make_event, answer,
                                                       letters):
    service.applications, service.letters = Applications(answer), letters
    event = decided(make_event, "decision_validated", code="DE", reason="Capacité atteinte",
                    comment=None)
    service.call("on_decision_validated", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["code"] == "DECISION_DE" and mail["attachments"] == []
    assert "Capacité atteinte" in mail["body"] and "jointe" not in mail["body"]


def test_applications_that_never_answers_does_not_hold_the_mail(service, smtp_sink, make_event,
                                                                monkeypatch):
    monkeypatch.setenv("MAIL_LETTER_WAIT_SECONDS", "0.2")

    def never():
        eventlet.sleep(60)
    service.applications, service.letters = Applications(never), Letters()
    event = decided(make_event, "application_confirmed")
    service.call("on_application_confirmed", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["code"] == "APPLICATION_CONFIRMED" and mail["attachments"] == []
    assert service.letters.fetched == []


@pytest.fixture
def storage():
    """A local HTTP server standing for the presigned link: it serves `body`."""
    served = {"body": PDF}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()  # no length: the download counts as it reads
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/letter.pdf"
    server.shutdown()
    server.server_close()


def test_the_download_is_bounded_in_size(storage):
    served, url = storage
    assert LetterDownloader().fetch(url, 1024, 5) == PDF
    served["body"] = b"%PDF" + b"x" * 4096
    with pytest.raises(LetterTooBig):
        LetterDownloader().fetch(url, 1024, 5)
