"""Uploads through presigned URLs to a real S3 endpoint, checked by content."""
import pytest
import requests

from services.common.errors import NotFound, ValidationFailed

from ..conftest import JPEG, OWNER, PDF


def upload(documents, content, name="carte.pdf", max_size=1024 * 1024, declared=None):
    ticket = documents.call("create_upload", OWNER, name, declared or len(content), max_size)
    assert requests.put(ticket["put_url"], data=content, timeout=10).status_code == 200
    return ticket["document_id"]


def test_an_uploaded_pdf_is_stored_and_downloadable(documents):
    document_id = upload(documents, PDF)
    stored = documents.call("confirm_upload", document_id)
    assert stored == {"document_id": document_id, "filename": "carte.pdf",
                      "content_type": "application/pdf", "size": len(PDF)}
    link = documents.call("get_download", document_id)
    assert requests.get(link["url"], timeout=10).content == PDF
    event, = [row[0] for row in documents.rows("SELECT payload FROM outbox_events")]
    assert event["event_type"] == "document_stored" and event["piece_code"] == "CNI"


def test_a_jpeg_named_pdf_is_a_jpeg(documents):
    document_id = upload(documents, JPEG, name="photo.pdf")
    assert documents.call("confirm_upload", document_id)["content_type"] == "image/jpeg"


def test_text_named_pdf_is_refused_and_removed(documents):
    document_id = upload(documents, b"this is not a PDF at all")
    with pytest.raises(ValidationFailed) as info:
        documents.call("confirm_upload", document_id)
    assert info.value.fields == {"file": "file_type_invalid"}
    key, status = documents.rows(f"SELECT object_key, status FROM documents WHERE id = '{document_id}'")[0]
    assert status == "rejected" and documents.storage.size(key) is None
    with pytest.raises(NotFound):
        documents.call("get_download", document_id)


def test_more_bytes_than_allowed_are_refused_even_if_declared_small(documents):
    document_id = upload(documents, PDF + b"0" * 200, max_size=100, declared=50)
    with pytest.raises(ValidationFailed) as info:
        documents.call("confirm_upload", document_id)
    assert info.value.fields == {"file": "file_too_large"}


def test_nothing_uploaded(documents):
    ticket = documents.call("create_upload", OWNER, "carte.pdf", 10, 100)
    with pytest.raises(ValidationFailed) as info:
        documents.call("confirm_upload", ticket["document_id"])
    assert info.value.fields == {"file": "file_missing"}


@pytest.mark.parametrize("name, size, field", [
    ("x" * 101, 10, "filename_too_long"), ("carte.pdf", 0, "file_empty"),
    ("carte.pdf", 3 * 1024 * 1024, "file_too_large"),
])
def test_refused_before_any_byte_moves(documents, name, size, field):
    with pytest.raises(ValidationFailed) as info:
        documents.call("create_upload", OWNER, name, size, 2 * 1024 * 1024)
    assert info.value.fields == {"file": field}
    assert documents.rows("SELECT count(*) FROM documents") == [(0,)]


def test_deleting_removes_the_bytes(documents):
    document_id = upload(documents, PDF)
    documents.call("confirm_upload", document_id)
    assert documents.call("delete_document", document_id)["deleted"] is True
    key, = documents.rows("SELECT object_key FROM documents")[0]
    assert documents.storage.size(key) is None
    with pytest.raises(NotFound):
        documents.call("get_download", document_id)
    with pytest.raises(NotFound):
        documents.call("delete_document", "no-such-id")


def test_the_admission_letter_is_a_pdf_made_once(documents):
    letter = {"application_id": 12, "candidate_id": 7,
              "candidate": {"civility": "MME", "first_name": "Léa", "last_name": "Martin",
                            "dossier_number": "22PB7Y36"},
              "formation": {"code": "MINFO1", "label": "Master Informatique – 1re année"},
              "commission": {"label": "Commission Informatique", "address": "1 rue de l’Université",
                             "signatory": "Pr. Anne Dupont"},
              "centre": {"label": "UFR Sciences", "email": "scol@univ-demo.fr"},
              "validated_at": "2027-03-01T10:00:00+00:00", "confirmed_at": "2027-03-02T10:00:00+00:00"}
    first = documents.call("render_admission_letter", letter)
    assert documents.call("render_admission_letter", letter) == first
    link = documents.call("get_download", first["document_id"])
    content = requests.get(link["url"], timeout=10).content
    assert content.startswith(b"%PDF") and len(content) > 1000
    assert link["content_type"] == "application/pdf" and link["filename"].endswith(".pdf")
