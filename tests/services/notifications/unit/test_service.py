"""Handlers with a real database and a real SMTP server (the sink); the
`service` fixture is in this folder's conftest.py."""
import pytest

from services.common.errors import Forbidden
from tests.support.actors import candidate, staff

def test_registration_mails_the_activation_link_once(service, smtp_sink, make_registered):
    event = make_registered(email="once@example.org")
    service.call("on_candidate_registered", event)
    service.call("on_candidate_registered", event)  # redelivered
    mails = smtp_sink.mails(to="once@example.org")
    assert len(mails) == 1
    assert mails[0]["code"] == "ACCOUNT_CREATED"
    assert "http://testserver/compte/activer/tok-secret-123" in mails[0]["links"]
    assert service.rows("SELECT status, attempts FROM mails") == [("sent", 1)]


def test_refused_pieces_reach_the_candidate(service, smtp_sink, make_event):
    event = make_event("status_changed", from_status="RE", to_status="IN",
                       refused_pieces=[{"code": "CV", "label": "Curriculum vitae", "comment": "Illisible"}])
    event["candidate"]["email"] = "incomplete@example.org"
    service.call("on_status_changed", event)
    mail, = smtp_sink.mails(to="incomplete@example.org")
    assert mail["code"] == "STATUS_IN" and "Curriculum vitae : Illisible" in mail["body"]


def test_the_candidates_language_is_used(service, smtp_sink, make_event):
    event = make_event("status_changed", from_status="RE", to_status="CO")
    event["candidate"].update(email="english@example.org", lang="en")
    service.call("on_status_changed", event)
    mail, = smtp_sink.mails(to="english@example.org")
    assert mail["subject"].startswith("Complete file")


def test_no_address_no_mail_and_no_crash(service, smtp_sink, make_event):
    event = make_event("application_created", candidate_id=999)
    event.pop("candidate")
    service.call("on_application_created", event)
    assert service.rows("SELECT count(*) FROM mails") == [(0,)]


def test_the_contact_kept_from_accounts_serves_later_mails(service, smtp_sink, make_registered,
                                                           make_event):
    service.call("on_candidate_registered", make_registered(candidate_id=41, email="kept@example.org"))
    event = make_event("application_cancelled", candidate_id=41)
    event.pop("candidate")
    service.call("on_application_cancelled", event)
    assert [m["code"] for m in smtp_sink.mails(to="kept@example.org")] == [
        "APPLICATION_CANCELLED", "ACCOUNT_CREATED"]


def test_smtp_down_keeps_the_mail_queued_and_the_loop_retries(service, smtp_sink, make_event,
                                                               monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    event = make_event("application_confirmed")
    event["candidate"]["email"] = "retry@example.org"
    service.call("on_application_confirmed", event)
    assert service.rows("SELECT status, attempts FROM mails") == [("queued", 1)]
    assert smtp_sink.mails(to="retry@example.org") == []
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    service.clock.advance(minutes=1)
    service.call("deliver_mails")
    assert service.rows("SELECT status, attempts FROM mails") == [("sent", 2)]
    assert len(smtp_sink.mails(to="retry@example.org")) == 1


def test_a_candidate_reads_only_their_mails(service, make_event, make_registered):
    service.call("on_candidate_registered", make_registered(candidate_id=7, email="seven@example.org"))
    service.call("on_candidate_registered", make_registered(candidate_id=8, email="eight@example.org"))
    mine = service.call("list_mails", candidate(7))
    assert [m["to"] for m in mine] == ["seven@example.org"]
    scol = staff("scol")
    assert [m["to"] for m in service.call("list_mails", scol, 8)] == ["eight@example.org"]
    with pytest.raises(Forbidden):
        service.call("list_mails", None)
    with pytest.raises(Forbidden):
        service.call("list_mails", scol)


def test_a_label_stored_with_a_line_break_cannot_add_a_header(service, smtp_sink, make_event):
    """The services refuse such labels now; one stored earlier still reaches the
    candidate in a mail with one subject line and no header of its own."""
    import email
    import email.policy
    from pathlib import Path

    event = make_event("status_changed", from_status="RE", to_status="IN", refused_pieces=[
        {"code": "CV", "label": "CV\r\nX-Spam: no", "comment": "Illisible\r\nMerci \u202e"}])
    event["formation"] = {**event["formation"], "label": "Master\r\nBcc: victime@example.org"}
    event["candidate"] = {**event["candidate"], "email": "header@example.org", "lang": "fr"}
    service.call("on_status_changed", event)
    assert service.rows("SELECT status FROM mails") == [("sent",)]
    mail, = smtp_sink.mails(to="header@example.org")
    assert mail["subject"] == "Dossier incomplet : Master Bcc: victime@example.org"
    raw = max(Path(smtp_sink.folder).glob("*.eml"), key=lambda p: p.name)
    message = email.message_from_bytes(raw.read_bytes(), policy=email.policy.default)
    assert {name.lower() for name in message.keys()} == {
        "from", "to", "subject", "date", "message-id", "x-mail-code", "content-type",
        "mime-version"}
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "text/html"]
    lines = [line.strip() for line in mail["body"].splitlines()]
    assert not any(line.startswith(("Bcc:", "X-Spam:")) for line in lines)
    assert "- CV X-Spam: no : Illisible" in lines and "Merci" in lines  # comment lines kept
    assert "\u202e" not in mail["body"]
