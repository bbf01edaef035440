"""Administrators edit the templates: versions with who and when, revert,
reset to the shipped file, preview with a sample, bad templates refused with
their line; the next mail uses the version in force."""
import uuid

import pytest

from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.support.actors import staff

ADMIN = staff("admin", id=1, display_name="Alice Admin")
OTHER = staff("admin", id=9, display_name="Bob Admin")


def confirmed(make_event):
    event = make_event("application_confirmed")
    event["candidate"] = {**event["candidate"], "lang": "fr",
                          "email": f"t.{uuid.uuid4().hex[:8]}@example.org"}
    return event


def test_an_edited_template_is_used_by_the_next_mail_and_its_versions_kept(service, smtp_sink,
                                                                           make_event):
    shipped = service.call("get_template", ADMIN, "APPLICATION_CONFIRMED", "fr")
    assert not shipped["edited"] and shipped["versions"] == []
    assert "formation.label" in shipped["variables"] and "event.rank" not in shipped["variables"]
    first = service.call("save_template", ADMIN, "APPLICATION_CONFIRMED", "fr",
                         "Bienvenue en {{ formation.label }}", "Bonjour {{ name }}, c'est confirmé.")
    assert first["version"] == 1 and first["author_name"] == "Alice Admin"
    event = confirmed(make_event)
    service.call("on_application_confirmed", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["subject"] == "Bienvenue en Master Informatique 1re année"
    assert "Bonjour Madame Léa Martin, c'est confirmé." in mail["body"]
    assert "Merci de ne pas répondre" in mail["body"]  # the footer no edit drops

    service.clock.advance(minutes=5)
    second = service.call("save_template", OTHER, "APPLICATION_CONFIRMED", "fr", "V2", "Corps 2")
    again = service.call("save_template", OTHER, "APPLICATION_CONFIRMED", "fr", "V2", "Corps 2")
    assert second["version"] == again["version"] == 2  # a double click adds nothing
    reverted = service.call("revert_template", ADMIN, "APPLICATION_CONFIRMED", "fr", 1)
    assert (reverted["version"], reverted["action"], reverted["reverted_from"]) == (3, "revert", 1)
    current = service.call("get_template", ADMIN, "APPLICATION_CONFIRMED", "fr")
    assert current["subject"] == "Bienvenue en {{ formation.label }}"
    assert [(v["version"], v["author_name"]) for v in current["versions"]] == [
        (3, "Alice Admin"), (2, "Bob Admin"), (1, "Alice Admin")]

    reset = service.call("reset_template", ADMIN, "APPLICATION_CONFIRMED", "fr")
    assert reset["action"] == "reset"
    back = service.call("get_template", ADMIN, "APPLICATION_CONFIRMED", "fr")
    assert not back["edited"] and back["subject"] == back["default_subject"]
    event = confirmed(make_event)
    service.call("on_application_confirmed", event)
    mail, = smtp_sink.mails(to=event["candidate"]["email"])
    assert mail["subject"] == "Confirmation enregistrée : Master Informatique 1re année"
    edited = {(t["code"], t["lang"]): t for t in service.call("list_templates", ADMIN)}
    assert len(edited) == 2 * 30 and not edited[("APPLICATION_CONFIRMED", "fr")]["edited"]
    assert edited[("APPLICATION_CONFIRMED", "fr")]["version"] == 4


@pytest.mark.parametrize("subject, body, code, field, line", [
    ("Sujet", "Bonjour {{ name }}\n{{ event.rank }}", "unknown_variable", "body", "2"),
    ("Sujet {{ nom }}", "Corps", "unknown_variable", "subject", "1"),
    ("Sujet", "Bonjour\n\n{% for x in %}", "template_syntax", "body", "3"),
    ("Sujet", "{{ name.__class__.__mro__ }}", "template_render", "body", "1"),
])
def test_a_bad_template_is_refused_with_its_line_and_nothing_saved(service, subject, body,
                                                                   code, field, line):
    with pytest.raises(ValidationFailed) as refused:
        service.call("save_template", ADMIN, "APPLICATION_CONFIRMED", "fr", subject, body)
    assert refused.value.code == code
    fields = refused.value.args[2]
    assert fields[field] == code and fields["line"] == line
    with pytest.raises(ValidationFailed):
        service.call("preview_template", ADMIN, "APPLICATION_CONFIRMED", "fr", subject, body)
    assert service.rows("SELECT count(*) FROM mail_template_versions") == [(0,)]


def test_the_preview_renders_a_sample_application_in_text_and_html(service):
    preview = service.call("preview_template", ADMIN, "DECISION_LC", "en",
                           "Waiting list <b>{{ formation.label }}</b>",
                           "Rank {{ event.rank }} for {{ name }} & co")
    assert preview["subject"] == "Waiting list <b>Master Informatique 1re année</b>"
    assert "Rank 3 for Ms Léa Martin & co" in preview["body"]
    assert "Rank 3 for Ms Léa Martin &amp; co" in preview["html"]  # escaped in HTML
    shipped = service.call("preview_template", ADMIN, "DECISION_FA", "fr")
    assert "au plus tard le 20/03/2027" in shipped["body"]


def test_only_administrators_edit_templates(service):
    for actor in (staff("scol", id=3), staff("manager", ["SCI"], id=2)):
        with pytest.raises(Forbidden):
            service.call("list_templates", actor)
        with pytest.raises(Forbidden):
            service.call("save_template", actor, "STATUS_CO", "fr", "S", "B")
    with pytest.raises(ValidationFailed):
        service.call("get_template", ADMIN, "NO_SUCH_CODE", "fr")
    with pytest.raises(NotFound):
        service.call("revert_template", ADMIN, "STATUS_CO", "fr", 7)
