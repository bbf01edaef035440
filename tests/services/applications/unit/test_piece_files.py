"""Several files for one piece: each upload joins the piece's merged PDF, the
candidate reorders or removes them, and a file the virus scanner has not seen
yet (clamd away) waits, then joins the piece when documents says it is clean."""
import uuid

from services.common.errors import Conflict, NotFound


def piece(view, code):
    return next(p for p in view["pieces"] if p["code"] == code)


def scanned(h, application_id, document_id, clean=True, candidate_id=12):
    return h.call("on_document_scanned", {
        "event_id": str(uuid.uuid4()), "event_type": "document_scanned",
        "document_id": document_id, "candidate_id": candidate_id,
        "application_id": application_id, "piece_code": "CV", "clean": clean})


def test_files_added_one_after_another_make_one_piece(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.upload(actors.ada, app_id, "CV", "cv-page1.pdf")
    view = h.upload(actors.ada, app_id, "CV", "cv-page2.jpg")
    assert piece(view, "CV")["status"] == "TR"
    files = h.call("list_piece_files", actors.ada, app_id)["CV"]
    assert [f["filename"] for f in files["files"]] == ["cv-page1.pdf", "cv-page2.jpg"]
    assert files["checking"] is False
    # the second upload was merged with the first: the piece holds the new PDF
    h.documents.confirm_upload.assert_called_with("doc-2", None, "doc-1")
    # the first merged PDF, held by no piece now, is deleted after the commit
    assert h.documents_data.deleted == ["doc-1"]


def test_the_candidate_reorders_and_removes_files(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        h.upload(actors.ada, app_id, "CV", name)
    ids = [f["document_id"] for f in h.call("list_piece_files", actors.ada, app_id)["CV"]["files"]]
    h.call("arrange_piece_files", actors.ada, app_id, "CV", [ids[2], ids[0]])
    files = h.call("list_piece_files", actors.ada, app_id)["CV"]["files"]
    assert [f["filename"] for f in files] == ["c.pdf", "a.pdf"]
    view = h.call("arrange_piece_files", actors.ada, app_id, "CV", [])   # all removed
    assert piece(view, "CV")["status"] == "AT"
    h.refused(NotFound, "no_file", "arrange_piece_files", actors.ada, app_id, "CV", [])


def test_another_candidate_neither_lists_nor_arranges(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.upload(actors.ada, app_id, "CV")
    h.refused(NotFound, "not_found", "list_piece_files", actors.bob, app_id)
    h.refused(NotFound, "not_found", "arrange_piece_files", actors.bob, app_id, "CV", ["doc-1"])


def test_after_transmission_files_cannot_be_arranged(harness, actors):
    h = harness
    app_id = h.transmitted(actors.ada)["id"]
    h.refused(Conflict, "piece_locked", "arrange_piece_files", actors.ada, app_id, "CV", [])


def test_a_file_waiting_for_the_scanner_joins_the_piece_once_clean(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.upload(actors.ada, app_id, "CV", "cv.pdf")
    ticket = h.call("start_piece_upload", actors.ada, app_id, "CV", "annexe.pdf", 1000)
    h.documents_data.scanning.add(ticket["document_id"])
    view = h.call("finish_piece_upload", actors.ada, app_id, "CV", ticket["document_id"])
    assert view["upload_status"] == "scanning"
    files = h.call("list_piece_files", actors.ada, app_id)["CV"]
    assert [f["filename"] for f in files["files"]] == ["cv.pdf"] and files["checking"] is True
    # Meanwhile another file goes through: the waiting one is not lost for it.
    h.upload(actors.ada, app_id, "CV", "photo.pdf")
    h.documents_data.scanning.clear()                     # clamd is back: scanned clean
    scanned(h, app_id, ticket["document_id"])
    files = h.call("list_piece_files", actors.ada, app_id)["CV"]
    assert [f["filename"] for f in files["files"]] == ["cv.pdf", "photo.pdf", "annexe.pdf"]
    assert files["checking"] is False
    scanned(h, app_id, ticket["document_id"])             # told twice: nothing more
    files = h.call("list_piece_files", actors.ada, app_id)["CV"]
    assert [f["filename"] for f in files["files"]] == ["cv.pdf", "photo.pdf", "annexe.pdf"]


def test_an_infected_file_is_not_attached_nor_one_to_a_transmitted_application(harness,
                                                                                actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    ticket = h.call("start_piece_upload", actors.ada, app_id, "CV", "cv.pdf", 1000)
    h.documents_data.scanning.add(ticket["document_id"])
    h.call("finish_piece_upload", actors.ada, app_id, "CV", ticket["document_id"])
    h.documents_data.scanning.clear()                     # documents removed it
    scanned(h, app_id, ticket["document_id"], clean=False)
    assert piece(h.call("get_application", actors.ada, app_id), "CV")["status"] == "AT"
    sent = h.transmitted(actors.bob)["id"]
    before = h.call("list_piece_files", actors.bob, sent)["CV"]
    scanned(h, sent, ticket["document_id"], candidate_id=34)
    assert h.call("list_piece_files", actors.bob, sent)["CV"] == before
