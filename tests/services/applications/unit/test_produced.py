"""The documents made from an application, asked of the documents service with
the data it lays out: the dossier PDF (the candidate their own, staff within
their scope), the letters once the decision allows them, the preview before
validation, the commissions' wordings (their centre's editors), archives."""
from services.common.actors import service
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed

DOSSIER = {"address": {"line1": "3 rue des Lilas", "postal_code": "69001", "commune": "Lyon",
                       "country": "FR"},
           "bac": {"has_bac": "yes", "year": "2019"}, "external": [{"year": "2022"}]}


def with_dossier(h):
    h.accounts.dossiers_for_documents.side_effect = lambda ids: {str(i): DOSSIER for i in ids}


def produced(h, what):
    return [data for kind, data in h.documents_data.produced if kind == what]


def test_the_candidate_downloads_their_dossier_and_staff_in_scope_too(harness, actors):
    h = harness
    with_dossier(h)
    app_id = h.transmitted(actors.ada)["id"]
    link = h.call("get_dossier_pdf", actors.ada, app_id)
    assert link["url"] == f"http://s3.test/get/dossier-{app_id}"
    data, = produced(h, "dossier")
    assert data["status"] == "RE" and data["candidate"]["dossier_number"] == "27AB0012"
    assert data["dossier"]["address"]["commune"] == "Lyon"
    assert [(p["code"], p["status"], bool(p["document_id"])) for p in data["pieces"]] == [
        ("CNI", "TR", True), ("CV", "TR", True), ("LM", "TR", True), ("CERTLANG", "NC", False)]
    assert data["commission"]["email"] == "commission-info@univ-demo.fr"

    assert h.call("get_dossier_pdf", actors.manager_sci, app_id)["url"]
    h.refused(NotFound, "not_found", "get_dossier_pdf", actors.bob, app_id)
    h.refused(Forbidden, "out_of_scope", "get_dossier_pdf", actors.manager_llsh, app_id)
    # the data changed: what documents is given changes, so its PDF is made again
    h.call("set_file_status", actors.manager_sci, app_id, "CO")
    h.call("get_dossier_pdf", actors.ada, app_id)
    assert [d["status"] for d in produced(h, "dossier")] == ["RE", "RE", "CO"]


def refused_file(h, actors):
    app_id = h.complete_file(actors.ada, actors.manager_sci)["id"]
    h.call("enter_decision", actors.manager_sci, app_id, "DE",
           {"reason": "Capacité atteinte", "comment": "Beau dossier"})
    return app_id


def test_staff_preview_the_letter_before_validating_within_their_scope(harness, actors):
    h = harness
    with_dossier(h)
    app_id = refused_file(h, actors)
    # signatory and signature as the catalog has them now, not as when Ada applied
    h.catalog_data.formations["MINFO1"]["commission"].update(
        signatory="Pr. Grace Hopper", signature_document_id="sig-1")
    preview = h.call("preview_letter", actors.manager_sci, app_id)
    assert preview["kind"] == "refusal"
    letter, = produced(h, "refusal preview")
    assert letter["decision"] == {"code": "DE", "reason": "Capacité atteinte",
                                  "comment": "Beau dossier"}
    assert letter["postal_address"] == ["3 rue des Lilas", "69001 Lyon"]
    assert letter["commission"]["signatory"] == "Pr. Grace Hopper"
    assert letter["commission"]["signature_document_id"] == "sig-1"
    h.refused(Forbidden, "out_of_scope", "preview_letter", actors.manager_llsh, app_id)
    h.refused(Forbidden, "forbidden", "preview_letter", actors.ada, app_id)
    # the candidate has no letter before the decision is validated
    h.refused(Conflict, "no_letter", "get_letter", actors.ada, app_id, "refusal")

    h.call("validate_decision", actors.manager_sci, app_id)
    assert h.call("get_letter", actors.ada, app_id, "refusal")["filename"] == "lettre-refusal.pdf"
    h.refused(Conflict, "no_letter", "get_letter", actors.ada, app_id, "admission")
    # the mails attach it, asking with their own identity
    mailed = h.call("get_letter", service("notifications"), app_id, "refusal")
    assert mailed["attach"] is True
    h.refused(Forbidden, "forbidden", "get_letter", service("catalog"), app_id, "refusal")


def test_the_admission_letter_comes_after_confirmation(harness, actors):
    h = harness
    with_dossier(h)
    app_id = h.complete_file(actors.ada, actors.manager_sci)["id"]
    h.call("enter_decision", actors.manager_sci, app_id, "FA", {})
    assert h.call("preview_letter", actors.manager_sci, app_id)["kind"] == "admission"
    h.call("validate_decision", actors.manager_sci, app_id)
    h.refused(Conflict, "no_letter", "get_letter", actors.ada, app_id, "admission")
    h.call("confirm", actors.ada, app_id)
    assert h.call("get_letter", actors.ada, app_id, "admission")["kind"] == "admission"
    letter = produced(h, "admission")[-1]
    assert letter["confirmed_at"] and letter["dated"] == letter["confirmed_at"]


def test_letter_wordings_are_edited_by_their_centre_editors_only(harness, actors):
    h = harness
    saved = h.call("save_letter_template", actors.manager_sci, "MINFO1", "refusal", "Texte")
    assert saved["commission"]["code"] == "SCI-INFO" and saved["custom"]
    template, = produced(h, "template")
    assert template == {"commission_code": "SCI-INFO", "kind": "refusal", "body": "Texte",
                        "by": "Manager SCI"}
    assert h.call("save_letter_template", actors.admin, "MLEA1", "admission", None)["custom"] is False
    h.refused(Forbidden, "out_of_scope", "save_letter_template", actors.manager_llsh,
              "MINFO1", "refusal", "Texte")
    h.refused(Forbidden, "read_only", "save_letter_template", actors.readonly_sci,
              "MINFO1", "refusal", "Texte")
    h.refused(Forbidden, "forbidden", "save_letter_template", actors.committee_sci,
              "MINFO1", "refusal", "Texte")
    assert h.call("get_letter_template", actors.readonly_sci, "MINFO1", "refusal")["body"]
    h.refused(Forbidden, "out_of_scope", "get_letter_template", actors.manager_llsh,
              "MINFO1", "refusal")


def test_an_archive_is_asked_for_a_selection_or_the_filtered_list_in_scope(harness, actors, monkeypatch):
    h = harness
    with_dossier(h)
    first = h.transmitted(actors.ada)["id"]
    second = h.transmitted(actors.bob)["id"]
    lea = h.transmitted(actors.bob, "MLEA1")["id"]
    started = h.call("start_dossier_archive", actors.manager_sci, [first], None, "zip")
    assert started["total"] == 1
    started = h.call("start_dossier_archive", actors.manager_sci, None, {}, "pdf")
    archive = produced(h, "archive")[-1]
    assert archive["format"] == "pdf" and archive["owner_id"] == actors.manager_sci["id"]
    assert sorted(d["application_id"] for d in archive["dossiers"]) == [first, second]
    h.refused(Forbidden, "out_of_scope", "start_dossier_archive", actors.manager_sci,
              [first, lea], None, "zip")
    # the whole list or nothing: never its first 500 silently
    monkeypatch.setattr("services.applications.produced.MAX_ARCHIVE", 1)
    refused = h.refused(ValidationFailed, "invalid", "start_dossier_archive", actors.manager_sci,
                        None, {}, "zip")
    assert refused.fields == {"application_ids": "too_many_dossiers"}
