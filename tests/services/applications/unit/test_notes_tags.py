"""Staff notes ("Bloc-notes") and tags on an application: written by reviewers
in scope, shown in the staff view only, checked like every typed text; tags
from the catalogue's active tags."""
from datetime import timedelta

import pytest

from services.common.errors import Forbidden, ValidationFailed


def test_notes_are_listed_newest_first_in_the_staff_view_only(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.transmitted(actors.ada)["id"]
    h.call("add_note", manager, app_id, "Appeler le candidat\r\npour le relevé")
    h.clock.now = h.clock.now + timedelta(minutes=5)
    notes = h.call("add_note", actors.scol, app_id, "  Relevé reçu  ")
    assert [(n["author_name"], n["body"]) for n in notes] == [
        ("Scol all", "Relevé reçu"), ("Manager SCI", "Appeler le candidat\npour le relevé")]
    view = h.call("get_application", manager, app_id)
    assert view["notes"] == notes
    assert view["notes"][0]["created_at"] > view["notes"][1]["created_at"]
    own = h.call("get_application", actors.ada, app_id)
    assert "notes" not in own and "tags" not in own
    assert "Relevé" not in repr(h.call("list_my_applications", actors.ada))
    assert "Relevé" not in repr(h.call("export_my_data", actors.ada))


@pytest.mark.parametrize("body, code", [
    ("", "required"), ("   ", "required"), (None, "required"),
    ("x" * 2001, "too_long"), ("Voir\u202egpj.exe", "control_character"),
    ("tab\there", "control_character"),
])
def test_a_bad_note_is_refused_and_nothing_is_kept(harness, actors, body, code):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    error = h.refused(ValidationFailed, "invalid", "add_note", actors.manager_sci, app_id, body)
    assert error.fields == {"body": code}


def test_a_note_of_2000_characters_is_kept(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    assert len(h.call("add_note", actors.manager_sci, app_id, "é" * 2000)[0]["body"]) == 2000


@pytest.mark.parametrize("who, error, code", [
    ("manager_llsh", Forbidden, "out_of_scope"),
    ("readonly_sci", Forbidden, "read_only"),
    ("committee_sci", Forbidden, "forbidden"),
    ("bob", Forbidden, "forbidden"),
])
def test_only_reviewers_in_scope_write_notes_and_tags(harness, actors, who, error, code):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    h.refused(error, code, "add_note", getattr(actors, who), app_id, "Note")
    h.refused(error, code, "set_tags", getattr(actors, who), app_id, ["PRIO"])


def test_tags_are_the_catalogues_active_ones(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.transmitted(actors.ada)["id"]
    tags = h.call("set_tags", manager, app_id, ["PRIO", "BOURSE", "PRIO"])
    assert sorted(t["code"] for t in tags) == ["BOURSE", "PRIO"]
    assert tags[0]["added_by"] == "Manager SCI"
    assert h.call("get_application", manager, app_id)["tags"] == tags
    error = h.refused(ValidationFailed, "invalid", "set_tags", manager, app_id, ["PRIO", "NOPE"])
    assert error.fields == {"tags": "invalid_choice"}
    # a tag deactivated since it was put on stays, and can be taken off
    h.catalog_data.tags[0]["active"] = False
    assert [t["code"] for t in h.call("set_tags", manager, app_id, ["PRIO"])] == ["PRIO"]
    assert h.call("set_tags", manager, app_id, []) == []
    h.refused(ValidationFailed, "invalid", "set_tags", manager, app_id, ["PRIO"])
    h.refused(ValidationFailed, "invalid", "set_tags", manager, app_id, "x" * 41)


def test_the_staff_list_filters_by_tag(harness, actors):
    h, manager = harness, actors.manager_sci
    tagged = h.transmitted(actors.ada)["id"]
    h.transmitted(actors.bob)
    h.call("set_tags", manager, tagged, ["BOURSE"])
    listed = h.call("list_applications", manager, {"tag": "BOURSE"})
    assert [a["id"] for a in listed["items"]] == [tagged] and listed["total"] == 1
    assert h.call("list_applications", manager, {"tag": "PRIO"})["total"] == 0
    assert h.call("list_applications", manager, {})["total"] == 2
