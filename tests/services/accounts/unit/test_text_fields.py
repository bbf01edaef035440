"""Names and one-line dossier fields refuse line breaks and invisible controls
(services.common.text): they reach mails, letters and staff pages."""
import pytest

from services.common.actors import ANONYMOUS
from services.common.errors import ValidationFailed
from tests.services.accounts.harness import ADDRESS, ADMIN, NEW_MANAGER, PERSONAL
from tests.support.actors import staff

INJECTION = "Martin\r\nBcc: victime@example.org"
REVERSED = "Léa \u202eniraM"


@pytest.mark.parametrize("field, value", [("last_name", INJECTION), ("first_name", REVERSED),
                                          ("first_name", "Léa\tMarie"),
                                          ("last_name", "Mar\u200btin")])
def test_registration_names(harness, field, value):
    form = {"last_name": "Martin", "first_name": "Léa", "email": "lea@example.org",
            "email_confirm": "lea@example.org", "lang": "fr", field: value}
    harness.refused(ValidationFailed, "invalid", "register_candidate", ANONYMOUS, form,
                    fields={field: "control_character"})
    assert harness.events() == []


def test_staff_display_names(admin_harness):
    admin_harness.refused(ValidationFailed, "invalid", "create_staff", ADMIN,
                          {**NEW_MANAGER, "display_name": "Gestion\r\nBcc: x@y.fr"},
                          fields={"display_name": "control_character"})
    created = admin_harness.call("create_staff", ADMIN, NEW_MANAGER)
    admin_harness.refused(ValidationFailed, "invalid", "update_staff", ADMIN, created["id"],
                          {**NEW_MANAGER, "display_name": REVERSED},
                          fields={"display_name": "control_character"})


@pytest.mark.parametrize("section, data, field", [
    ("personal", {**PERSONAL, "usage_name": INJECTION}, "usage_name"),
    ("personal", {**PERSONAL, "first_name": REVERSED}, "first_name"),
    ("address", {**ADDRESS, "line1": "12 rue des Lilas\nBât. B"}, "line1"),
    ("address", {**ADDRESS, "line2": "Chez\u2028M. X"}, "line2"),
])
def test_dossier_fields_are_one_line(harness, section, data, field):
    actor = harness.activated()["actor"]
    if section == "address":
        harness.fill(actor, "personal")
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", actor, section, data,
                    fields={field: "control_character"})


def test_a_description_keeps_its_lines_but_a_title_does_not(harness):
    actor = harness.activated()["actor"]
    harness.fill(actor)
    view = harness.call("add_dossier_entry", actor, "internships", {
        "year": "2021", "duration": "2 mois", "organisation": "CNRS",
        "description": "Optique\r\nMesures laser"})
    assert view["internships"][0]["description"] == "Optique\nMesures laser"
    harness.refused(ValidationFailed, "invalid", "add_dossier_entry", actor, "experience", {
        "year": "2020", "duration": "6 mois", "job_title": "Serveuse\nCheffe",
        "employer": "Café", "description": "Service\u202e"},
        fields={"job_title": "control_character", "description": "control_character"})
    # staff entering it for the candidate are held to the same rule
    harness.refused(ValidationFailed, "invalid", "save_dossier_section", staff("scol"),
                    "address", {**ADDRESS, "line1": INJECTION},
                    candidate_id=actor["id"], fields={"line1": "control_character"})
