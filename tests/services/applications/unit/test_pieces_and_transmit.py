"""Pieces (upload, delete, not concerned, shared) and transmission."""
from datetime import timedelta

from services.common.errors import Conflict, NotFound, ValidationFailed


def piece(view, code):
    return next(p for p in view["pieces"] if p["code"] == code)


# -- transmit -------------------------------------------------------------------------

def test_transmit_with_a_missing_piece_says_which(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.upload(actors.ada, app_id, "CNI")
    h.upload(actors.ada, app_id, "CV")
    error = h.refused(Conflict, "pieces_missing", "transmit", actors.ada, app_id)
    assert error.fields == {"LM": "AT", "CERTLANG": "AT"}
    view = h.call("get_application", actors.ada, app_id)
    assert view["missing"] == ["LM", "CERTLANG"] and view["can_transmit"] is False


def test_transmit_a_second_time_is_refused(harness, actors):
    app_id = harness.transmitted(actors.ada)["id"]
    harness.refused(Conflict, "already_transmitted", "transmit", actors.ada, app_id)


def test_transmit_after_the_return_deadline_unless_staff_moved_it(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.complete(actors.ada, app_id)
    h.clock.advance(days=76)  # the formation's date_return was 75 days away
    assert h.call("get_application", actors.ada, app_id)["can_transmit"] is False
    h.refused(Conflict, "return_deadline_passed", "transmit", actors.ada, app_id)
    later = (h.today + timedelta(days=80)).isoformat()
    h.sql("UPDATE applications SET return_deadline_override = :d WHERE id = :i", d=later, i=app_id)
    view = h.call("transmit", actors.ada, app_id)
    assert view["status"] == "RE" and view["return_deadline"] == later


def test_another_candidate_cannot_touch_my_application(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.upload(actors.ada, app_id, "CV")
    bob = actors.bob
    for method, args in [("get_application", ()), ("transmit", ()), ("cancel", ()),
                         ("start_piece_upload", ("CV", "x.pdf", 10)),
                         ("finish_piece_upload", ("CV", "doc-1")),
                         ("delete_piece_file", ("CV",)), ("set_not_concerned", ("CERTLANG", True)),
                         ("get_piece_download", ("CV",)), ("confirm", ()), ("withdraw", ()),
                         ("get_admission_letter", ())]:
        h.refused(NotFound, "not_found", method, bob, app_id, *args)
    h.refused(NotFound, "not_found", "get_application", actors.ada, 9999)
    h.documents.create_upload.assert_called_once()  # only Ada's own upload


# -- upload ---------------------------------------------------------------------------

def test_after_transmission_pieces_are_locked(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    h.refused(Conflict, "piece_locked", "start_piece_upload", actors.ada, app_id, "CV", "b.pdf", 9)
    h.refused(Conflict, "piece_locked", "delete_piece_file", actors.ada, app_id, "CV")
    h.refused(Conflict, "piece_locked", "set_not_concerned", actors.ada, app_id, "CERTLANG", False)
    view = h.call("get_application", actors.ada, app_id)
    assert all(p["can_change"] is False for p in view["pieces"])


def test_an_incomplete_file_opens_only_the_refused_pieces(harness, actors):
    h, manager = harness, actors.manager_sci
    app_id = h.transmitted(actors.ada)["id"]
    h.call("set_piece_status", manager, app_id, "CNI", "VA")
    h.call("set_piece_status", manager, app_id, "CV", "RE", "Pas à jour")
    h.call("set_file_status", manager, app_id, "IN")
    h.refused(Conflict, "piece_locked", "start_piece_upload", actors.ada, app_id, "CNI", "b.pdf", 9)
    h.refused(Conflict, "piece_locked", "start_piece_upload", actors.ada, app_id, "LM", "b.pdf", 9)
    # A refused piece is replaced by deleting it and uploading again.
    view = h.call("delete_piece_file", actors.ada, app_id, "CV")
    assert (piece(view, "CV")["status"], piece(view, "CV")["has_file"]) == ("AT", False)
    view = h.upload(actors.ada, app_id, "CV", "cv-2027.pdf")
    assert piece(view, "CV")["status"] == "TR" and view["can_transmit"] is True


def test_the_upload_ticket_gets_the_centre_size_limit_and_documents_errors_pass_through(
        harness, actors):
    h = harness
    app_id = h.apply(actors.ada, "MLEA1")["id"]
    h.catalog_data.formations["MLEA1"]["centre"]["max_file_size"] = 1  # too late: snapshot
    h.call("start_piece_upload", actors.ada, app_id, "CV", "cv.pdf", 10)
    assert h.documents.create_upload.call_args.args[3] == 2 * 1024 * 1024
    h.documents.create_upload.side_effect = ValidationFailed(
        "invalid", "too large", {"file": "file_too_large"})
    error = h.refused(ValidationFailed, "invalid", "start_piece_upload", actors.ada, app_id, "CV",
                      "big.pdf", 10**9)
    assert error.fields == {"file": "file_too_large"}


def test_a_refused_file_content_leaves_the_piece_as_it_was(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    ticket = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv.exe", 10)
    h.documents_data.refuse_next = ValidationFailed(
        "invalid", "not a PDF", {"file": "file_type_invalid"})
    error = h.refused(ValidationFailed, "invalid", "finish_piece_upload", actors.ada, app_id,
                      "CV", ticket["document_id"])
    assert error.fields == {"file": "file_type_invalid"}
    assert piece(h.call("get_application", actors.ada, app_id), "CV")["status"] == "AT"


def test_finish_accepts_only_the_upload_started_for_that_piece(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.refused(ValidationFailed, "file_missing", "finish_piece_upload", actors.ada, app_id, "CV",
              "doc-1")
    h.call("start_piece_upload", actors.ada, app_id, "CV", "cv.pdf", 10)          # doc-1
    other = h.apply(actors.bob)["id"]
    bobs = h.call("start_piece_upload", actors.bob, other, "CV", "bob.pdf", 10)    # doc-2
    h.refused(ValidationFailed, "file_missing", "finish_piece_upload", actors.ada, app_id, "CV",
              bobs["document_id"])
    h.refused(ValidationFailed, "file_missing", "finish_piece_upload", actors.ada, app_id, "LM",
              "doc-1")
    h.documents.confirm_upload.assert_not_called()


def test_an_upload_replaced_by_a_later_one_is_refused_and_deleted(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    first = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv1.pdf", 10)
    second = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv2.pdf", 10)
    h.refused(Conflict, "upload_superseded", "finish_piece_upload", actors.ada, app_id, "CV",
              first["document_id"])
    assert h.documents_data.deleted == [first["document_id"]]
    h.call("finish_piece_upload", actors.ada, app_id, "CV", second["document_id"])
    piece_cv = piece(h.call("get_application", actors.ada, app_id), "CV")
    assert (piece_cv["status"], piece_cv["filename"]) == ("TR", "cv2.pdf")


def test_an_upload_finishing_after_the_kept_one_is_deleted(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    first = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv1.pdf", 10)
    second = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv2.pdf", 10)
    h.call("finish_piece_upload", actors.ada, app_id, "CV", second["document_id"])
    h.refused(Conflict, "upload_superseded", "finish_piece_upload", actors.ada, app_id, "CV",
              first["document_id"])
    assert h.documents_data.deleted == [first["document_id"]]
    assert second["document_id"] in h.documents_data.stored
    piece_cv = piece(h.call("get_application", actors.ada, app_id), "CV")
    assert (piece_cv["status"], piece_cv["filename"]) == ("TR", "cv2.pdf")


def test_finish_after_the_file_was_transmitted_meanwhile_is_refused(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.complete(actors.ada, app_id)
    ticket = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv2.pdf", 10)
    h.call("transmit", actors.ada, app_id)
    h.refused(Conflict, "piece_locked", "finish_piece_upload", actors.ada, app_id, "CV",
              ticket["document_id"])
    assert ticket["document_id"] in h.documents_data.deleted  # the useless upload is dropped


def test_unknown_piece(harness, actors):
    app_id = harness.apply(actors.ada)["id"]
    harness.refused(NotFound, "piece_not_found", "start_piece_upload", actors.ada, app_id, "XX",
                    "a.pdf", 10)


# -- delete, not concerned, download ------------------------------------------------------

def test_delete_a_file_puts_the_piece_back_and_deletes_the_document(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.refused(NotFound, "no_file", "delete_piece_file", actors.ada, app_id, "CV")
    h.upload(actors.ada, app_id, "CV")
    view = h.call("delete_piece_file", actors.ada, app_id, "CV")
    assert (piece(view, "CV")["status"], piece(view, "CV")["filename"]) == ("AT", None)
    assert h.documents_data.deleted == ["doc-1"]


def test_not_concerned_only_for_conditional_pieces_and_undoable(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.refused(Conflict, "piece_not_conditional", "set_not_concerned", actors.ada, app_id, "CV",
              True)
    h.upload(actors.ada, app_id, "CERTLANG")
    view = h.call("set_not_concerned", actors.ada, app_id, "CERTLANG", True)
    assert (piece(view, "CERTLANG")["status"], piece(view, "CERTLANG")["has_file"]) == ("NC", False)
    assert "CERTLANG" not in view["missing"] and h.documents_data.deleted == ["doc-1"]
    view = h.call("set_not_concerned", actors.ada, app_id, "CERTLANG", False)
    assert piece(view, "CERTLANG")["status"] == "AT" and "CERTLANG" in view["missing"]


def test_download_of_a_piece_for_the_candidate_and_staff(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.refused(NotFound, "no_file", "get_piece_download", actors.ada, app_id, "CV")
    h.upload(actors.ada, app_id, "CV", "mon-cv.pdf")
    link = h.call("get_piece_download", actors.ada, app_id, "CV")
    assert link == {"url": "http://s3.test/get/doc-1", "filename": "mon-cv.pdf",
                    "content_type": "application/pdf", "size": 1000}
    assert h.call("get_piece_download", actors.manager_sci, app_id, "CV") == link


# -- shared pieces ------------------------------------------------------------------------

def test_a_shared_piece_serves_the_open_applications_but_never_changes_a_transmitted_one(
        harness, actors):
    h, ada = harness, actors.ada
    sent = h.transmitted(ada, "MINFO1")["id"]               # CNI doc-1 .. on a sent file
    first_cni = h.sql("SELECT document_id FROM application_pieces WHERE application_id = :i "
                      "AND code = 'CNI'", i=sent)[0][0]
    open_one = h.apply(ada, "MMATH1")["id"]
    assert piece(h.call("get_application", ada, open_one), "CNI")["status"] == "TR"
    other = h.apply(ada, "MLEA1")["id"]
    # A new ID card uploaded on one open application reaches the other open one...
    view = h.upload(ada, open_one, "CNI", "nouvelle-carte.pdf")
    assert piece(view, "CNI")["filename"] == "nouvelle-carte.pdf"
    assert piece(h.call("get_application", ada, other), "CNI")["filename"] == "nouvelle-carte.pdf"
    # ...not the transmitted one, which keeps its file (so the old file is not deleted).
    assert piece(h.call("get_application", ada, sent), "CNI")["filename"] == "cni.pdf"
    assert first_cni not in h.documents_data.deleted
    # Deleting it on an open application removes it from the open ones only.
    new_cni = h.sql("SELECT document_id FROM application_pieces WHERE application_id = :i "
                    "AND code = 'CNI'", i=open_one)[0][0]
    h.call("delete_piece_file", ada, other, "CNI")
    assert piece(h.call("get_application", ada, open_one), "CNI")["status"] == "AT"
    assert piece(h.call("get_application", ada, sent), "CNI")["has_file"] is True
    assert h.documents_data.deleted == [new_cni]
