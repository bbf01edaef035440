"""Uploads through presigned URLs to a real S3 endpoint, checked by content;
downloads, deletion, the admission letter and the cancellation of an application.
A candidate's file is a part of its piece: confirming it answers the piece's
merged PDF (tests/services/documents/unit/test_pipeline.py has the rest)."""
import io
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from pypdf import PdfReader

from services.common.actors import service
from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.services.documents.samples import (FAKE_PDF, JPEG, LETTER, OWNER, PDF, PNG,
                                              padded_pdf)
from tests.support.actors import candidate, staff


def refusal(call, *args):
    with pytest.raises(ValidationFailed) as info:
        call(*args)
    return info.value.fields


def expiry(url):
    return int(parse_qs(urlparse(url).query)["X-Amz-Expires"][0])


def test_an_uploaded_pdf_is_stored_and_downloadable(documents):
    ticket = documents.call("create_upload", service("applications"), OWNER, "C:\\scans\\carte.pdf", len(PDF), 1024 * 1024)
    assert expiry(ticket["put_url"]) == 15 * 60
    assert documents.document(ticket["document_id"]).status == "pending"
    assert requests.put(ticket["put_url"], data=PDF, timeout=10).status_code == 200

    stored = documents.call("confirm_upload", service("applications"), ticket["document_id"])
    piece_id = stored.pop("document_id")
    assert stored == {"filename": "carte.pdf", "content_type": "application/pdf",
                      "size": stored["size"], "status": "stored",
                      "parts": [{"document_id": ticket["document_id"], "filename": "carte.pdf",
                                 "size": len(PDF), "source_type": "application/pdf"}]}
    part = documents.document(ticket["document_id"])
    assert part.status == "stored" and part.kind == "part" and part.scan_result == "clean"
    row = documents.document(piece_id)
    assert row.status == "stored" and row.stored_at is not None and row.kind == "piece"
    event, = documents.events()
    assert {k: event[k] for k in event if k not in ("event_id", "occurred_at")} == {
        "event_type": "document_stored", "document_id": piece_id,
        "candidate_id": 7, "application_id": 12, "piece_code": "CNI",
        "content_type": "application/pdf", "size": stored["size"]}

    link = documents.call("get_download", service("applications"), piece_id)
    assert expiry(link["url"]) == 5 * 60
    assert {k: link[k] for k in ("filename", "content_type", "size")} == {
        "filename": "carte.pdf", "content_type": "application/pdf", "size": stored["size"]}
    merged = PdfReader(io.BytesIO(requests.get(link["url"], timeout=10).content))
    assert len(merged.pages) == 1 and "Carte d'identite" in merged.pages[0].extract_text()


@pytest.mark.parametrize("content, name, content_type", [
    (JPEG, "photo.pdf", "image/jpeg"), (PNG, "scan", "image/png"), (PDF, "releves.PNG",
                                                                    "application/pdf")])
def test_the_content_not_the_name_gives_the_type(documents, content, name, content_type):
    document_id = documents.upload(content, name=name)
    stored = documents.call("confirm_upload", service("applications"), document_id)
    assert stored["content_type"] == "application/pdf"      # images become PDF pages
    assert stored["parts"][0]["source_type"] == content_type


def assert_rejected(documents, document_id, reason):
    assert refusal(documents.call, "confirm_upload", service("applications"), document_id) == {"file": reason}
    row = documents.document(document_id)
    assert row.status == "rejected" and row.stored_at is None
    assert documents.store.size(row.object_key) is None          # the bytes are gone
    assert documents.events("document_stored") == []
    with pytest.raises(NotFound):
        documents.call("get_download", service("applications"), document_id)


def test_text_named_pdf_is_refused_and_removed(documents):
    assert_rejected(documents, documents.upload(FAKE_PDF, name="carte.pdf"), "file_type_invalid")


def test_more_bytes_than_allowed_are_refused_even_if_declared_small(documents):
    document_id = documents.upload(PDF + b"0" * 200, max_size=len(PDF) + 100, declared=50)
    assert_rejected(documents, document_id, "file_too_large")


def test_an_empty_upload_is_refused(documents):
    assert_rejected(documents, documents.upload(b"", declared=10), "file_empty")


def test_nothing_uploaded(documents):
    ticket = documents.call("create_upload", service("applications"), OWNER, "carte.pdf", 10, 100)
    assert refusal(documents.call, "confirm_upload", service("applications"), ticket["document_id"]) == {"file": "file_missing"}
    assert documents.document(ticket["document_id"]).status == "rejected"


def test_a_refused_upload_cannot_be_confirmed_later(documents):
    document_id = documents.upload(FAKE_PDF)
    refusal(documents.call, "confirm_upload", service("applications"), document_id)
    assert refusal(documents.call, "confirm_upload", service("applications"), document_id) == {"file": "file_missing"}


def test_confirming_twice_answers_the_same_and_tells_once(documents):
    document_id = documents.upload(PNG, name="photo.png")
    first = documents.call("confirm_upload", service("applications"), document_id)
    assert documents.call("confirm_upload", service("applications"), document_id) == first
    assert len(documents.events("document_stored")) == 1


@pytest.mark.parametrize("name, size, reason", [
    ("x" * 97 + ".pdf", 10, "filename_too_long"), ("carte.pdf", 0, "file_empty"),
    ("carte.pdf", 20 * 1024 * 1024 + 1, "file_too_large"), ("", 10, "file_missing"),
])
def test_refused_before_any_byte_moves(documents, name, size, reason):
    assert refusal(documents.call, "create_upload", service("applications"), OWNER, name, size, 2 * 1024 * 1024) == {
        "file": reason}
    assert documents.rows("SELECT count(*) FROM documents") == [(0,)]


def test_a_candidate_may_send_up_to_20_mb_the_limit_holds_on_what_is_stored(documents,
                                                                           monkeypatch):
    """A photo is compressed once here: the centre's limit (100 bytes below, 2 MB
    by default) applies to the stored PDF; what is sent may weigh UPLOAD_MAX_MB."""
    documents.call("create_upload", service("applications"), OWNER, "a.jpg", 20 * 1024 * 1024, 100)
    assert refusal(documents.call, "create_upload", service("applications"), OWNER, "a.pdf",
                   20 * 1024 * 1024 + 1, None) == {"file": "file_too_large"}
    monkeypatch.setenv("UPLOAD_MAX_MB", "1")
    assert refusal(documents.call, "create_upload", service("applications"), OWNER, "a.pdf",
                   2 * 1024 * 1024 + 1, None) == {"file": "file_too_large"}
    documents.call("create_upload", service("applications"), dict(OWNER, piece_code="CV"), "b.pdf",
                   2 * 1024 * 1024, None)
    assert sorted(r.max_size for r in documents.rows("SELECT max_size FROM documents")) == [
        100, 2 * 1024 * 1024]
    # The catalogue's files are not converted: their limit is the one given.
    assert refusal(documents.call, "create_upload", service("catalog"), {}, "modele.pdf", 101,
                   100) == {"file": "file_too_large"}


def test_unknown_documents_are_not_found(documents):
    for method in ("confirm_upload", "get_download", "delete_document"):
        for document_id in (str(uuid.uuid4()), None):
            with pytest.raises(NotFound):
                documents.call(method, service("applications"), document_id)


def test_deleting_removes_the_bytes_and_tells(documents):
    part_id = documents.upload(PDF)
    document_id = documents.call("confirm_upload", service("applications"), part_id)["document_id"]
    assert documents.call("delete_document", service("applications"), document_id) == {"document_id": document_id,
                                                               "deleted": True}
    row = documents.document(document_id)
    assert row.status == "deleted" and row.deleted_at is not None
    assert documents.store.size(row.object_key) is None
    event, = documents.events("document_deleted")
    assert {k: event[k] for k in ("document_id", "candidate_id", "application_id",
                                  "piece_code")} == {"document_id": document_id, **OWNER}
    with pytest.raises(NotFound):
        documents.call("get_download", service("applications"), document_id)
    part = documents.document(part_id)                 # its file went with it
    assert part.status == "deleted" and documents.store.size(part.object_key) is None
    documents.call("delete_document", service("applications"), document_id)                # twice: no error, no event
    assert len(documents.events("document_deleted")) == 1


def test_the_admission_letter_is_a_pdf_made_once(documents):
    first = documents.call("render_admission_letter", service("applications"), LETTER)
    assert documents.call("render_admission_letter", service("applications"), dict(LETTER, formation={"code": "X"})) == first
    link = documents.call("get_download", service("applications"), first["document_id"])
    content = requests.get(link["url"], timeout=10).content
    assert content.startswith(b"%PDF-") and len(content) > 1000 and link["size"] == len(content)
    assert link["content_type"] == "application/pdf"
    assert link["filename"] == "lettre-admission-22PB7Y36.pdf"
    assert documents.rows("SELECT kind, candidate_id, application_id FROM documents") == [
        ("admission_letter", 7, 12)]
    event, = documents.events("document_stored")
    assert event["document_id"] == first["document_id"] and event["piece_code"] is None


def test_two_letters_racing_for_one_application_leave_one(documents):
    first = documents.call("render_admission_letter", service("applications"), LETTER)
    late = documents.worker()
    answers = [None, documents.worker()._admission_letter(12)]
    late._admission_letter = lambda application_id: answers.pop(0)
    assert late.render_admission_letter(service("applications"), LETTER) == first   # had not seen the first one
    key, = documents.rows("SELECT object_key FROM documents")[0]
    assert documents.store.size(key) > 1000
    assert len(documents.events("document_stored")) == 1


def test_a_letter_needs_its_application(documents):
    assert refusal(documents.call, "render_admission_letter", service("applications"), dict(LETTER, application_id=None)) == {
        "application_id": "required"}
    assert documents.rows("SELECT count(*) FROM documents") == [(0,)]


def cancelled(application_id=12, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": "application_cancelled",
            "application_id": application_id, "candidate_id": 7}


def test_a_cancelled_application_loses_its_unfinished_uploads(documents):
    pending = documents.upload(PDF)                                  # PUT, never confirmed
    refused = documents.upload(FAKE_PDF, owner=dict(OWNER, piece_code="CV"))
    refusal(documents.call, "confirm_upload", service("applications"), refused)
    part = documents.upload(PNG, owner=dict(OWNER, piece_code="LM"))  # a piece's file
    kept = documents.call("confirm_upload", service("applications"), part)["document_id"]
    elsewhere = documents.upload(PDF, owner=dict(OWNER, application_id=13))

    event = cancelled()
    documents.call("on_application_cancelled", event)
    status = dict(documents.rows("SELECT id, status FROM documents"))
    assert status == {pending: "deleted", refused: "deleted", kept: "stored", part: "stored",
                      elsewhere: "pending"}
    assert documents.store.size(documents.document(pending).object_key) is None
    # A stored file may be a shared piece (an ID card) another application still
    # holds: the applications service deletes it when no piece points to it.
    assert documents.store.size(documents.document(kept).object_key) > 0
    assert sorted(e["document_id"] for e in documents.events("document_deleted")) == sorted(
        [pending, refused])

    documents.call("on_application_cancelled", event)                # redelivered
    documents.call("on_application_cancelled", cancelled())          # or published twice
    assert len(documents.events("document_deleted")) == 2
    assert documents.rows("SELECT count(*) FROM processed_events") == [(2,)]


def test_the_candidate_lists_only_their_stored_files(documents):
    mine = documents.call("confirm_upload", service("applications"),
                          documents.upload(PDF))["document_id"]
    documents.upload(PNG)                                            # never confirmed
    other = documents.upload(PDF, owner=dict(OWNER, candidate_id=8))
    documents.call("confirm_upload", service("applications"), other)
    listed = documents.call("list_my_documents", candidate(7))
    assert [(d["document_id"], d["filename"], d["piece_code"]) for d in listed] == [
        (mine, "carte.pdf", "CNI")]
    with pytest.raises(Exception):
        documents.call("list_my_documents", staff("admin"))


def test_a_deleted_account_loses_every_file(documents):
    piece = documents.upload(PDF)
    documents.call("confirm_upload", service("applications"), piece)
    letter = documents.call("render_admission_letter", service("applications"), LETTER)["document_id"]
    other = documents.upload(PDF, owner=dict(OWNER, candidate_id=8))
    keys = {d: documents.document(d).object_key for d in (piece, letter)}
    event = {"event_id": str(uuid.uuid4()), "candidate_id": 7, "reason": "candidate"}
    documents.call("on_account_deleted", event)
    documents.call("on_account_deleted", event)                      # redelivered
    assert [row[0] for row in documents.rows("SELECT id FROM documents")] == [other]
    assert all(documents.store.size(key) is None for key in keys.values())


# -- one upload per piece at a time, and the candidate's storage quota ----------------

SERVICE = service("applications")
KB = 1024


def objects_of(documents, candidate_id=7):
    store = documents.store
    return sorted(o.object_name for o in store.client.list_objects(
        store.bucket, prefix=f"candidates/{candidate_id}/", recursive=True))


@pytest.fixture
def clean_bucket(documents):
    """This candidate's objects left by earlier tests are gone (the bucket lives
    for the session, the database does not)."""
    for key in objects_of(documents):
        documents.store.remove(key)
    return documents


def test_a_new_upload_of_a_piece_removes_its_unfinished_one(clean_bucket):
    documents = clean_bucket
    first = documents.upload(PDF)                                    # PUT, not confirmed yet
    first_key = documents.document(first).object_key
    second = documents.upload(PNG, name="photo.png")
    assert documents.rows("SELECT id, status FROM documents") == [(second, "pending")]
    assert objects_of(documents) == [documents.document(second).object_key]
    # The replaced upload's PUT lands late, then its finish discards it again.
    documents.store.put(first_key, PDF, "application/pdf")
    assert documents.call("discard_upload", SERVICE, first, OWNER) == {
        "document_id": first, "discarded": True}
    assert objects_of(documents) == [documents.document(second).object_key]
    stored = documents.call("confirm_upload", service("applications"), second)
    assert stored["parts"][0]["source_type"] == "image/png"


def test_discarding_leaves_stored_files_and_other_owners_uploads(clean_bucket):
    documents = clean_bucket
    part = documents.upload(PDF)
    kept = documents.call("confirm_upload", service("applications"), part)["document_id"]
    other = documents.upload(PDF, owner=dict(OWNER, piece_code="CV"))
    for document_id, owner in ((kept, OWNER), (other, OWNER), ("doc-1", OWNER),
                               (other, dict(OWNER, application_id=13))):
        assert documents.call("discard_upload", SERVICE, document_id, owner)["discarded"] is False
    assert dict(documents.rows("SELECT id, status FROM documents")) == {
        kept: "stored", part: "stored", other: "pending"}
    assert len(objects_of(documents)) == 3
    with pytest.raises(Forbidden):
        documents.call("discard_upload", candidate(7), other,
                       dict(OWNER, piece_code="CV"))
    assert documents.call("discard_upload", SERVICE, other, dict(OWNER, piece_code="CV")) == {
        "document_id": other, "discarded": True}
    assert sorted(documents.rows("SELECT id FROM documents")) == sorted([(kept,), (part,)])
    assert objects_of(documents) == sorted(documents.document(d).object_key for d in (kept, part))


def test_the_quota_counts_stored_files_and_unfinished_uploads(clean_bucket, monkeypatch):
    documents = clean_bucket
    monkeypatch.setenv("CANDIDATE_STORAGE_QUOTA_MB", str(100 * KB / (1024 * 1024)))  # 100 KB
    stored = documents.upload(padded_pdf(40 * KB), owner=dict(OWNER, piece_code="CNI"))
    # the piece's merged PDF is a copy of its file: the file alone counts
    stored = documents.call("confirm_upload", service("applications"), stored)["document_id"]
    documents.call("create_upload", service("applications"), dict(OWNER, piece_code="CV"), "cv.pdf", 40 * KB, None)
    # Nothing uploaded yet for CV: still counted, so a burst of tickets cannot get past.
    assert refusal(documents.call, "create_upload", service("applications"), dict(OWNER, piece_code="LM"), "lm.pdf",
                   20 * KB + 1, None) == {"file": "storage_quota_exceeded"}
    before = documents.rows("SELECT id, status FROM documents ORDER BY id")
    # Replacing CV's unfinished upload frees its share; another candidate has their own quota.
    documents.call("create_upload", service("applications"), dict(OWNER, piece_code="CV"), "cv.pdf", 60 * KB, None)
    documents.call("create_upload", service("applications"), dict(OWNER, candidate_id=8), "a.pdf", 90 * KB, None)
    assert refusal(documents.call, "create_upload", service("applications"), dict(OWNER, piece_code="LM"), "lm.pdf",
                   1, None) == {"file": "storage_quota_exceeded"}
    assert len(before) == 3 and len(documents.rows("SELECT id FROM documents")) == 4
    # Once a stored file is deleted, its room is free again.
    documents.call("delete_document", service("applications"), stored)
    documents.call("create_upload", service("applications"), dict(OWNER, piece_code="LM"), "lm.pdf", 40 * KB, None)


def test_bytes_beyond_the_quota_are_refused_when_they_arrive(clean_bucket, monkeypatch):
    documents = clean_bucket
    monkeypatch.setenv("CANDIDATE_STORAGE_QUOTA_MB", str(100 * KB / (1024 * 1024)))
    first = documents.upload(padded_pdf(60 * KB), owner=dict(OWNER, piece_code="CNI"))
    merged = documents.call("confirm_upload", service("applications"), first)["document_id"]
    # Announced small, arrives larger: refused on the real size and removed.
    sneaky = documents.upload(padded_pdf(60 * KB), owner=dict(OWNER, piece_code="CV"),
                              declared=10 * KB)
    assert refusal(documents.call, "confirm_upload", service("applications"), sneaky) == {"file": "storage_quota_exceeded"}
    assert documents.document(sneaky).status == "rejected"
    assert objects_of(documents) == sorted(documents.document(d).object_key for d in (first, merged))


def test_an_abandoned_upload_stops_counting_once_it_cannot_receive_bytes(clean_bucket,
                                                                          monkeypatch):
    documents = clean_bucket
    monkeypatch.setenv("CANDIDATE_STORAGE_QUOTA_MB", str(100 * KB / (1024 * 1024)))
    abandoned = documents.upload(padded_pdf(90 * KB), declared=90 * KB)
    assert refusal(documents.call, "create_upload", service("applications"), dict(OWNER, piece_code="CV"), "cv.pdf",
                   20 * KB, None) == {"file": "storage_quota_exceeded"}
    documents.rows("UPDATE documents SET created_at = created_at - interval '31 minutes' "
                   "RETURNING id")
    fresh = documents.call("create_upload", service("applications"), dict(OWNER, piece_code="CV"), "cv.pdf", 20 * KB,
                           None)["document_id"]
    assert documents.rows("SELECT id FROM documents") == [(fresh,)]   # and its bytes are gone
    assert objects_of(documents) == []
    assert abandoned != fresh


@pytest.mark.parametrize("setting, expected", [
    (None, 100 * 1024 * 1024), ("", 100 * 1024 * 1024), ("250", 250 * 1024 * 1024),
    ("0,5", 512 * 1024), ("0", 100 * 1024 * 1024), ("beaucoup", 100 * 1024 * 1024)])
def test_the_quota_setting(setting, expected):
    from services.documents.domain import quota_bytes
    assert quota_bytes(setting) == expected
