"""A formation's review settings (automatic promotion, the rank candidates see,
the reminders' days) and a centre's prefix of enrolment codes: defaults,
checks, kept when a form or file leaves them out, and published with the
formation so that applications follows them."""
from sqlalchemy import text

from services.common.actors import ANONYMOUS
from services.common.errors import ValidationFailed
from tests.services.catalog.world import MANAGER_SCI, SCOL

from .test_admin import FORMATION


def updates(engine):
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(
            "SELECT payload FROM outbox_events WHERE event_type = 'formation_updated' "
            "ORDER BY created_at"))]


def test_a_new_formation_has_the_default_settings(call, catalogue):
    call("save_formation", MANAGER_SCI, FORMATION)
    formation = call("get_formation", ANONYMOUS, "LPHYS3")
    assert (formation["auto_promotion"], formation["rank_display"],
            formation["reminder_days"]) == (False, "real", 2)


def test_settings_are_saved_checked_kept_and_published(call, catalogue, catalog_db):
    call("save_formation", MANAGER_SCI, {**FORMATION, "auto_promotion": "1",
                                         "rank_display": "entered", "reminder_days": "5"})
    call("save_formation", MANAGER_SCI, {**FORMATION, "label": "Licence Physique"},
         code="LPHYS3")  # a form without them: they stay
    formation = call("get_formation", ANONYMOUS, "LPHYS3")
    assert (formation["auto_promotion"], formation["rank_display"],
            formation["reminder_days"]) == (True, "entered", 5)
    last = updates(catalog_db)[-1]
    assert last["treatment_type"] == "AC"
    assert last["settings"] == {"auto_promotion": True, "rank_display": "entered",
                                "reminder_days": 5}
    call.refused(ValidationFailed, "invalid", "save_formation", MANAGER_SCI,
                 {**FORMATION, "rank_display": "top", "reminder_days": "-1"}, code="LPHYS3",
                 fields={"rank_display": "invalid_choice", "reminder_days": "invalid"})


def test_a_centre_prefixes_its_enrolment_codes(call, catalogue):
    saved = call("save_centre", SCOL, {"code": "DROIT", "label": "Droit", "opi_prefix": "dr"})
    assert saved["opi_prefix"] == "DR"
    assert call("save_centre", SCOL, {"code": "DROIT", "label": "Droit"},
                code="DROIT")["opi_prefix"] == "DR"
    call.refused(ValidationFailed, "invalid", "save_centre", SCOL,
                 {"code": "DROIT", "label": "Droit", "opi_prefix": "D-1"}, code="DROIT",
                 fields={"opi_prefix": "invalid"})
