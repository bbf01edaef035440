"""A staff user's own preferences (the list's columns): saved on their row
only, read back with their actor at the next login or session check; bad
keys or oversized values refused, nothing saved."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import ValidationFailed
from tests.services.accounts.harness import ADMIN, NEW_MANAGER, STAFF_PASSWORD


def logged_in(h, data=NEW_MANAGER):
    h.call("create_staff", ADMIN, data)
    return h.call("authenticate_staff", ANONYMOUS, data["login"], STAFF_PASSWORD)


def test_a_staff_user_saves_their_columns_and_finds_them_with_their_actor(admin_harness):
    h = admin_harness
    me = logged_in(h)
    assert me["preferences"] == {}
    columns = ["number", "candidate", "status", "decision"]
    assert h.call("save_preferences", me, "staff_list.columns", columns) == {
        "staff_list.columns": columns}
    session = h.call("check_session", ANONYMOUS, me["session_id"])
    assert session["actor"]["preferences"] == {"staff_list.columns": columns}
    again = h.call("authenticate_staff", ANONYMOUS, NEW_MANAGER["login"], STAFF_PASSWORD)
    assert again["preferences"]["staff_list.columns"] == columns
    # None: back to the default
    assert h.call("save_preferences", me, "staff_list.columns", None) == {}


def test_only_the_actors_own_row_changes(admin_harness):
    h = admin_harness
    me = logged_in(h)
    other = logged_in(h, {**NEW_MANAGER, "login": "gestion.autre", "email": "autre@u.fr"})
    h.call("save_preferences", other, "staff_list.columns", ["status"])
    h.call("save_preferences", me, "staff_list.columns", ["candidate"])
    rows = dict(h.sql("SELECT login, preferences FROM staff_users"))
    assert rows == {"gestion.droit": {"staff_list.columns": ["candidate"]},
                    "gestion.autre": {"staff_list.columns": ["status"]}}


@pytest.mark.parametrize("key, value, field", [
    ("Bad Key", [], "key"), ("", [], "key"), (3, [], "key"),
    ("staff_list.columns", ["x" * 3000], "value")])
def test_a_bad_key_or_a_too_large_value_is_refused(admin_harness, key, value, field):
    me = logged_in(admin_harness)
    error = admin_harness.refused(ValidationFailed, "invalid", "save_preferences", me, key, value)
    assert list(error.fields) == [field]
