"""Staff: scope, roles, the application list, piece and file statuses."""
import pytest

from services.common.errors import Conflict, Forbidden, ValidationFailed


def test_staff_outside_their_centres_get_forbidden_and_change_nothing(harness, actors):
    h, outsider = harness, actors.manager_llsh
    app_id = h.transmitted(actors.ada, "MINFO1")["id"]  # centre SCI
    for method, args in [("get_application", ()), ("get_piece_download", ("CV",)),
                         ("set_piece_status", ("CV", "VA")), ("set_file_status", ("CO",)),
                         ("enter_decision", ("FA", {})), ("validate_decision", ()),
                         ("get_admission_letter", ())]:
        h.refused(Forbidden, "out_of_scope", method, outsider, app_id, *args)


@pytest.mark.parametrize("who", ["admin", "scol", "manager_sci"])
def test_staff_of_the_centre_admin_and_scol_see_it(harness, actors, who):
    app_id = harness.apply(actors.ada, "MINFO1")["id"]
    view = harness.call("get_application", getattr(actors, who), app_id)
    assert view["id"] == app_id and view["decisions"] == [] and view["pending_decision"] is None


def test_readonly_staff_read_but_never_write(harness, actors):
    h, reader = harness, actors.readonly_sci
    app_id = h.transmitted(actors.ada, "MINFO1")["id"]
    assert h.call("get_application", reader, app_id)["status"] == "RE"
    assert h.call("list_applications", reader, {})["total"] == 1
    for method, args in [("set_piece_status", ("CV", "VA")), ("set_file_status", ("CO",)),
                         ("enter_decision", ("FA", {})), ("validate_decision", ())]:
        h.refused(Forbidden, "read_only", method, reader, app_id, *args)


def test_a_committee_member_enters_decisions_but_does_not_review_or_validate(harness, actors):
    h, member = harness, actors.committee_sci
    app_id = h.transmitted(actors.ada, "MINFO1")["id"]
    h.refused(Forbidden, "forbidden", "set_file_status", member, app_id, "CO")
    h.refused(Forbidden, "forbidden", "set_piece_status", member, app_id, "CV", "VA")
    h.call("set_file_status", actors.manager_sci, app_id, "CO")
    h.call("enter_decision", member, app_id, "LA", {})
    h.refused(Forbidden, "forbidden", "validate_decision", member, app_id)


def test_the_president_of_the_commission_validates_its_decisions(harness, actors):
    """Validated by a manager or the committee president; a
    member presiding another commission may not."""
    h = harness
    president = {**actors.committee_sci, "display_name": "Pr. Hopper", "presides": ["SCI-INFO"]}
    elsewhere = {**actors.committee_sci, "commissions": ["SCI-INFO", "SCI-MATH"],
                 "presides": ["SCI-MATH"]}
    app_id = h.complete_file(actors.ada, actors.manager_sci)["id"]
    h.call("enter_decision", actors.committee_sci, app_id, "FA", {})
    # the staff page offers "Valider" only to those who may validate
    offered = {name: h.call("get_application", who, app_id)["can_validate"]
               for name, who in [("president", president), ("member", actors.committee_sci),
                                 ("elsewhere", elsewhere), ("manager", actors.manager_sci)]}
    assert offered == {"president": True, "member": False, "elsewhere": False, "manager": True}
    h.refused(Forbidden, "forbidden", "validate_decision", elsewhere, app_id)
    h.refused(Forbidden, "forbidden", "validate_decision", actors.committee_sci, app_id)
    view = h.call("validate_decision", president, app_id)
    assert view["decisions"][-1]["validated_by"] == "Pr. Hopper"
    validated, = h.events("decision_validated")
    assert validated["code"] == "FA"
    # Presiding a commission does not open the others' files.
    other = h.complete_file(actors.bob, actors.manager_sci, "MMATH1")["id"]
    h.call("enter_decision", actors.manager_sci, other, "LA", {})
    h.refused(Forbidden, "out_of_scope", "validate_decision", president, other)


def test_candidates_cannot_use_staff_rpcs(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada, "MINFO1")["id"]
    h.refused(Forbidden, "forbidden", "list_applications", actors.ada, {})
    for method, args in [("set_piece_status", ("CV", "VA")), ("set_file_status", ("CO",)),
                         ("enter_decision", ("FA", {})), ("validate_decision", ())]:
        h.refused(Forbidden, "forbidden", method, actors.ada, app_id, *args)


# -- list -----------------------------------------------------------------------------

def test_list_applications_in_scope_with_filters(harness, actors):
    h = harness
    sci = h.transmitted(actors.ada, "MINFO1")["id"]
    h.apply(actors.bob, "MMATH1")
    lea = h.apply(actors.ada, "MLEA1")["id"]
    cancelled = h.apply(actors.bob, "MINFO1")["id"]
    h.call("cancel", actors.bob, cancelled)

    def codes(items):
        return sorted((a["formation"]["code"], a["candidate"]["id"]) for a in items)

    def listed(actor, filters):
        return h.call("list_applications", actor, filters)["items"]

    def ids(actor, filters):
        return [a["id"] for a in listed(actor, filters)]

    assert codes(listed(actors.manager_sci, {})) == [("MINFO1", 12), ("MMATH1", 34)]
    assert codes(listed(actors.manager_llsh, None)) == [("MLEA1", 12)]
    assert h.call("list_applications", actors.scol, {})["total"] == 3
    assert ids(actors.admin, {"centre": "LLSH"}) == [lea]
    assert ids(actors.manager_sci, {"status": "RE"}) == [sci]
    assert ids(actors.admin, {"status": "cancelled"}) == [cancelled]
    found = listed(actors.admin, {"q": "lovelace34"})
    assert [a["candidate"]["dossier_number"] for a in found] == ["27AB0034"]
    assert ids(actors.admin, {"q": "informatique"}) == [sci]
    assert listed(actors.admin, {"q": "100%_"}) == []
    item, = listed(actors.manager_sci, {"status": "RE"})
    assert item["candidate"] == {"id": 12, "dossier_number": "27AB0012", "first_name": "Ada",
                                 "last_name": "Lovelace12", "email": "candidate12@example.org"}
    assert item["pending_decision"] is None and item["transmitted_at"] is not None


def test_list_applications_bad_filters(harness, actors):
    h = harness
    h.refused(Forbidden, "out_of_scope", "list_applications", actors.manager_sci,
              {"centre": "LLSH"})
    error = h.refused(ValidationFailed, "invalid", "list_applications", actors.admin,
                      {"status": "XX"})
    assert error.fields == {"status": "invalid_choice"}


# -- piece statuses ------------------------------------------------------------------------

def test_refusing_a_piece_needs_a_comment(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    error = h.refused(ValidationFailed, "invalid", "set_piece_status", actors.manager_sci, app_id,
                      "CV", "RE")
    assert error.fields == {"comment": "required"}
    error = h.refused(ValidationFailed, "invalid", "set_piece_status", actors.manager_sci, app_id,
                      "CV", "RE", "   ")
    assert error.fields == {"comment": "required"}
    error = h.refused(ValidationFailed, "invalid", "set_piece_status", actors.manager_sci, app_id,
                      "CV", "TR")
    assert error.fields == {"status": "invalid_choice"}


def test_mailed_staff_texts_refuse_controls_but_a_comment_keeps_its_lines(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    error = h.refused(ValidationFailed, "invalid", "set_piece_status", actors.manager_sci, app_id,
                      "CV", "RE", "Illisible\u202e")
    assert error.fields == {"comment": "control_character"}
    view = h.call("set_piece_status", actors.manager_sci, app_id, "CV", "RE",
                  "Illisible.\r\nMerci de renvoyer un scan.")
    cv, = [p for p in view["pieces"] if p["code"] == "CV"]
    assert cv["comment"] == "Illisible.\nMerci de renvoyer un scan."
    complete = h.complete_file(actors.bob, actors.manager_sci)["id"]
    error = h.refused(ValidationFailed, "invalid", "enter_decision", actors.manager_sci, complete,
                      "DE", {"reason": "Capacité atteinte\r\nBcc: x@y.fr"})
    assert error.fields == {"reason": "control_character"}


def test_piece_review_transitions(harness, actors):
    h, manager = harness, actors.manager_sci
    open_app = h.apply(actors.ada, "MMATH1")["id"]
    h.upload(actors.ada, open_app, "CV")
    h.refused(Conflict, "invalid_transition", "set_piece_status", manager, open_app, "CV", "VA")
    app_id = h.transmitted(actors.ada)["id"]
    view = h.call("set_piece_status", manager, app_id, "CV", "VA")
    assert next(p for p in view["pieces"] if p["code"] == "CV")["status"] == "VA"
    h.call("set_piece_status", manager, app_id, "CV", "VA")  # twice: harmless
    # Nothing to validate on a piece without a file or declared not concerned.
    h.refused(Conflict, "invalid_transition", "set_piece_status", manager, app_id, "CERTLANG", "VA")
    view = h.call("set_piece_status", manager, app_id, "CERTLANG", "RE", "Vous êtes concerné")
    assert next(p for p in view["pieces"] if p["code"] == "CERTLANG")["status"] == "RE"


# -- file statuses -------------------------------------------------------------------------

@pytest.mark.parametrize("path,refused_move", [
    ((), "CO"),                 # AT -> CO: not transmitted
    (("RE",), "RE"),            # RE -> RE
    (("RE", "CO"), "RE"),       # CO -> RE
    (("RE", "IN"), "RE"),       # IN -> RE is the candidate's transmission
    (("RE",), "AT"),
])
def test_file_status_moves_outside_the_table_are_refused(harness, actors, path, refused_move):
    h, manager = harness, actors.manager_sci
    app_id = h.apply(actors.ada)["id"]
    h.complete(actors.ada, app_id)
    for status in path:
        if status == "RE":
            h.call("transmit", actors.ada, app_id)
        else:
            h.call("set_file_status", manager, app_id, status)
    h.refused(Conflict, "invalid_transition", "set_file_status", manager, app_id, refused_move)


def test_complete_is_refused_while_a_piece_is_refused(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.transmitted(actors.ada)["id"]
    h.call("set_piece_status", manager, app_id, "LM", "RE", "Non signée")
    error = h.refused(Conflict, "pieces_refused", "set_file_status", manager, app_id, "CO")
    assert error.fields == {"LM": "RE"}


def test_staff_correction_from_complete_back_to_incomplete_is_recorded(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.complete_file(actors.ada, manager)["id"]
    view = h.call("set_file_status", manager, app_id, "IN")
    assert view["status"] == "IN"
    assert [(e["from_status"], e["to_status"], e["by_kind"]) for e in view["history"]][-2:] == [
        ("RE", "CO", "staff"), ("CO", "IN", "staff")]
    assert [(e["from_status"], e["to_status"]) for e in h.events("status_changed")] == [
        ("AT", "RE"), ("RE", "CO"), ("CO", "IN")]


def test_unknown_file_status(harness, actors):
    app_id = harness.transmitted(actors.ada)["id"]
    error = harness.refused(ValidationFailed, "invalid", "set_file_status", actors.manager_sci,
                            app_id, "XX")
    assert error.fields == {"status": "invalid_choice"}


def test_a_committee_member_sees_only_their_commissions_transmitted_files(harness, actors):
    h = harness
    draft = h.apply(actors.ada, "MINFO1")["id"]                      # SCI-INFO, not transmitted
    sent = h.transmitted(actors.bob, "MINFO1")["id"]                 # SCI-INFO, transmitted
    other = h.transmitted(actors.ada, "MMATH1")["id"]                # SCI-MATH
    listed = [a["id"] for a in h.call("list_applications", actors.committee_sci, {})["items"]]
    assert listed == [sent]
    assert h.call("get_application", actors.committee_sci, sent)["id"] == sent
    h.refused(Forbidden, "out_of_scope", "get_application", actors.committee_sci, draft)
    h.refused(Forbidden, "out_of_scope", "get_application", actors.committee_sci, other)
    assert [a["id"] for a in h.call("list_applications", actors.committee_math, {})["items"]] \
        == [other]
