"""Account mails with a real database and a real SMTP sink: the
link reaches the candidate and nowhere else, the contact from accounts wins,
and a deleted account is forgotten."""
import uuid

import pytest

from services.common.errors import Forbidden
from tests.support.actors import candidate, staff


def account_event(event_type, **fields):
    payload = {"candidate_id": 7, "dossier_number": "22PB7Y36",
               "email": f"lea.{uuid.uuid4().hex[:8]}@example.org",
               "first_name": "Léa", "last_name": "Martin", "lang": "fr"}
    payload.update(fields, event_id=str(uuid.uuid4()), event_type=event_type)
    return payload


def stored(service):
    return service.rows("SELECT code, body, secret, status FROM mails ORDER BY id")


@pytest.mark.parametrize("handler, event_type, fields, code, path", [
    ("on_activation_requested", "activation_requested",
     {"activation_token": "tok-act-1", "activation_expires_at": "2026-11-24T10:00:00+00:00"},
     "ACCOUNT_ACTIVATION_RESENT", "/compte/activer/tok-act-1"),
    ("on_credentials_requested", "credentials_requested",
     {"reset_token": "tok-reset-1", "reset_expires_at": "2026-11-22T12:00:00+00:00", "cas": False},
     "ACCOUNT_CREDENTIALS", "/compte/reinitialiser/tok-reset-1"),
    ("on_email_change_requested", "email_change_requested",
     {"new_email": f"lea.new.{uuid.uuid4().hex[:8]}@example.org", "email_token": "tok-mail-1",
      "email_token_expires_at": "2026-11-23T10:00:00+00:00"},
     "ACCOUNT_EMAIL_CHANGE", "/compte/email/tok-mail-1"),
])
def test_the_link_is_mailed_then_masked_everywhere(service, smtp_sink, handler, event_type,
                                                   fields, code, path):
    event = account_event(event_type, **fields)
    service.call(handler, event)
    service.call(handler, event)  # redelivered: mailed once
    to = fields.get("new_email", event["email"])
    mail, = smtp_sink.mails(to=to)
    assert mail["code"] == code and "22PB7Y36" in mail["body"]
    assert f"http://testserver{path}" in mail["links"]
    (row_code, body, secret, status), = stored(service)
    assert (row_code, status, secret) == (code, "sent", None)
    token = path.rsplit("/", 1)[1]
    assert token not in body and "[lien masqué]" in body
    shown, = service.call("list_mails", candidate(7))
    assert token not in shown["body"]
    admin = staff("admin")
    assert token not in service.call("list_mails", admin, 7)[0]["body"]


def test_a_link_waiting_for_a_retry_is_never_shown(service, monkeypatch, smtp_sink):
    monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens: delivery fails
    service.call("on_activation_requested", account_event(
        "activation_requested", activation_token="tok-wait-1",
        activation_expires_at="2026-11-24T10:00:00+00:00"))
    (_, body, secret, status), = stored(service)
    assert status == "queued" and "tok-wait-1" in secret and "tok-wait-1" not in body
    shown, = service.call("list_mails", candidate(7))
    assert "tok-wait-1" not in shown["body"]


def test_credentials_of_an_internal_student_point_to_cas(service, smtp_sink):
    event = account_event("credentials_requested", reset_token=None, reset_expires_at=None, cas=True)
    service.call("on_credentials_requested", event)
    mail, = smtp_sink.mails(to=event["email"])
    assert "Je suis étudiant à l'université" in mail["body"]
    assert not [link for link in mail["links"] if "/compte/" in link]


def test_the_contact_from_accounts_wins_over_an_application_snapshot(service, smtp_sink, make_event):
    new = f"lea.new.{uuid.uuid4().hex[:8]}@example.org"
    old = f"lea.old.{uuid.uuid4().hex[:8]}@example.org"
    service.call("on_candidate_updated", account_event(
        "candidate_updated", email=new, lang="en", civility="MME"))
    event = make_event("status_changed", from_status="RE", to_status="CO")  # old snapshot: fr
    event["candidate"]["email"] = old
    service.call("on_status_changed", event)
    mail, = smtp_sink.mails(to=new)
    assert mail["subject"].startswith("Complete file")
    assert not smtp_sink.mails(to=old)


def test_a_deleted_account_is_mailed_then_forgotten(service, smtp_sink, make_event):
    contact = account_event("candidate_updated", civility="MME")
    service.call("on_candidate_updated", contact)
    service.call("on_status_changed", make_event("status_changed", from_status="RE", to_status="CO"))
    event = account_event("account_deleted", reason="candidate", civility="MME",
                          email=contact["email"])
    service.call("on_account_deleted", event)
    service.call("on_account_deleted", event)  # redelivered
    deleted = [m for m in smtp_sink.mails(to=contact["email"]) if m["code"] == "ACCOUNT_DELETED"]
    assert len(deleted) == 1 and "supprimé" in deleted[0]["body"]
    assert service.rows("SELECT count(*) FROM mails") == [(0,)]
    assert service.rows("SELECT count(*) FROM recipients") == [(0,)]


def test_staff_of_a_centre_read_only_the_mails_about_it_and_its_candidates_account_mails(
        service, smtp_sink, make_event):
    service.call("on_status_changed", make_event("status_changed", from_status="RE", to_status="CO"))
    service.call("on_activation_requested", account_event(
        "activation_requested", activation_token="t", activation_expires_at="2026-11-24T10:00:00+00:00"))
    sci = staff("manager", ["SCI"], id=2)
    llsh = staff("manager", ["LLSH"], id=3)
    assert [m["code"] for m in service.call("list_mails", sci, 7)] == [
        "ACCOUNT_ACTIVATION_RESENT", "STATUS_CO"]
    assert service.call("list_mails", llsh, 7) == []
    assert "[lien masqué]" in service.call("list_mails", sci, 7)[0]["body"]
    scol = staff("scol", id=4)
    assert len(service.call("list_mails", scol, 7)) == 2
    with pytest.raises(Forbidden):
        service.call("list_mails", sci)


def test_committee_members_read_only_the_mails_about_their_commissions(service, smtp_sink,
                                                                       make_event):
    """Whatever centres their user was given: no account mail, no other commission's."""
    service.call("on_status_changed", make_event("status_changed", from_status="RE", to_status="CO"))
    service.call("on_status_changed", make_event(
        "status_changed", from_status="RE", to_status="IN", application_id=13,
        formation={"code": "MMATH1", "label": "Master Mathématiques"},
        commission={"code": "SCI-MATH", "label": "Commission Maths"}))
    service.call("on_activation_requested", account_event(
        "activation_requested", activation_token="t", activation_expires_at="2026-11-24T10:00:00+00:00"))
    info = staff("committee", ["SCI"], id=5, commissions=["SCI-INFO"], presides=[])
    assert [m["code"] for m in service.call("list_mails", info, 7)] == ["STATUS_CO"]
    nowhere = {**info, "commissions": []}
    assert service.call("list_mails", nowhere, 7) == []
    manager = staff("manager", ["SCI"], id=2)
    assert sorted(m["code"] for m in service.call("list_mails", manager, 7)) == [
        "ACCOUNT_ACTIVATION_RESENT", "STATUS_CO", "STATUS_IN"]


@pytest.mark.parametrize("fields, lang, expected, absent", [
    ({"activated": True, "cas": False}, "fr",
     ["J'ai oublié mes identifiants", "http://testserver/compte/identifiants-oublies",
      "Pour vous connecter :"], ["activation-perdue"]),
    ({"activated": False, "cas": False}, "fr",
     ["J'ai perdu mon code d'activation", "http://testserver/compte/activation-perdue"],
     ["identifiants-oublies"]),
    ({"activated": True, "cas": True}, "fr",
     ["Je suis étudiant à l'université"], ["identifiants-oublies", "activation-perdue"]),
    ({"activated": True, "cas": False}, "en",
     ["I forgot my credentials", "http://testserver/compte/identifiants-oublies"], []),
])
def test_the_owner_of_an_address_registered_again_is_told(service, smtp_sink, fields, lang,
                                                           expected, absent):
    event = account_event("account_already_exists", lang=lang, **fields)
    service.call("on_account_already_exists", event)
    service.call("on_account_already_exists", event)  # redelivered: mailed once
    mail, = smtp_sink.mails(to=event["email"])
    assert mail["code"] == "ACCOUNT_ALREADY_EXISTS" and "22PB7Y36" in mail["body"]
    assert mail["subject"] == ("Votre compte candidat existe déjà" if lang == "fr"
                               else "Your applicant account already exists")
    for text in expected:
        assert text in mail["body"]
    for text in absent:
        assert text not in mail["body"]
    assert "token" not in mail["body"] and "/compte/activer/" not in mail["body"]


def test_the_former_address_is_told_of_an_email_change_with_a_link_to_refuse_it(
        service, smtp_sink):
    former = f"lea.{uuid.uuid4().hex[:8]}@example.org"
    thief = f"voleur.{uuid.uuid4().hex[:8]}@example.org"
    # a change confirmed already, then another one: told to the first address
    service.call("on_candidate_updated", account_event("candidate_updated", email=thief))
    event = account_event("email_change_announced", email=thief, notice_to=former,
                          new_email="autre@example.org", undo_token="tok-undo-1",
                          undo_expires_at="2027-03-17T09:00:00+00:00", cas=False)
    service.call("on_email_change_announced", event)
    service.call("on_email_change_announced", event)  # redelivered: mailed once
    mail, = smtp_sink.mails(to=former)
    assert mail["code"] == "ACCOUNT_EMAIL_CHANGE_NOTICE"
    assert "autre@example.org" in mail["body"] and "17/03/2027" in mail["body"]
    assert "http://testserver/compte/refuser-email/tok-undo-1" in mail["links"]
    assert "nouveau mot de passe" in mail["body"]
    assert not smtp_sink.mails(to=thief)
    shown, = service.call("list_mails", candidate(7))
    assert "tok-undo-1" not in shown["body"]


def test_the_owner_is_told_of_a_new_password_at_the_address_in_force(service, smtp_sink):
    owner = f"lea.{uuid.uuid4().hex[:8]}@example.org"
    stale = f"voleur.{uuid.uuid4().hex[:8]}@example.org"
    # the contact update restoring the address may come after: the event's address wins
    service.call("on_candidate_updated", account_event("candidate_updated", email=stale))
    service.call("on_password_changed", account_event("password_changed", email=owner,
                                                      reason="reset"))
    mail, = smtp_sink.mails(to=owner)
    assert mail["code"] == "ACCOUNT_PASSWORD_CHANGED"
    assert "a été modifié" in mail["body"] and "J'ai oublié mes identifiants" in mail["body"]
    assert not smtp_sink.mails(to=stale)
