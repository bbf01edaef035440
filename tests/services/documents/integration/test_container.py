"""The real container over the real broker, database and S3 endpoint: presigned
upload, check by content, download, the letter, events in and out."""
import uuid

import pytest
import requests
from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import text

from services.common.actors import service
from services.common.errors import NotFound, ValidationFailed
from services.documents.service import DocumentsService
from tests.services.documents.samples import FAKE_PDF, LETTER, OWNER, PDF, PNG
from tests.support.rpc import acting_rpc_proxy, signed_event_dispatcher


class DocumentEvents:
    """Stands for the services that listen to documents' events."""
    name = "documents_events_probe"

    @event_handler("documents", "document_stored")
    def stored(self, payload):
        return payload


@pytest.fixture
def running(container_factory, rabbit_config, service_db, store, clamd_endpoint):
    engine = service_db("documents")
    container = container_factory(DocumentsService, rabbit_config)
    container.start()
    probe = container_factory(DocumentEvents, rabbit_config)
    probe.start()

    def row(document_id):
        with engine.connect() as conn:
            return conn.execute(text("SELECT * FROM documents WHERE id = :id"),
                                {"id": document_id}).one()
    with acting_rpc_proxy("documents", rabbit_config) as documents:
        yield documents, container, probe, row


def put(ticket, content):
    response = requests.put(ticket["put_url"], data=content, timeout=10)
    assert response.status_code == 200, response.text


def test_upload_confirm_download_returns_the_same_bytes(running):
    documents, _, probe, row = running
    ticket = documents.create_upload(service("applications"), OWNER, "photo.png", len(PNG), 1024 * 1024)
    put(ticket, PNG)
    with entrypoint_waiter(probe, "stored", timeout=10) as published:
        stored = documents.confirm_upload(service("applications"), ticket["document_id"])
    # scanned by the test clamd, made an A4 PDF page: the piece's merged PDF
    assert stored["status"] == "stored" and stored["content_type"] == "application/pdf"
    assert stored["parts"] == [{"document_id": ticket["document_id"], "filename": "photo.pdf",
                                "size": stored["parts"][0]["size"], "source_type": "image/png"}]
    assert published.get()["document_id"] == stored["document_id"]   # through the outbox relay
    link = documents.get_download(service("applications"), stored["document_id"])
    content = requests.get(link["url"], timeout=10).content
    assert link["size"] == len(content) and content.startswith(b"%PDF-")


def test_text_named_pdf_is_rejected_and_its_object_deleted(running, store):
    documents, _, _, row = running
    ticket = documents.create_upload(service("applications"), OWNER, "cv.pdf", len(FAKE_PDF), 1024 * 1024)
    put(ticket, FAKE_PDF)
    assert store.size(row(ticket["document_id"]).object_key) == len(FAKE_PDF)
    with pytest.raises(ValidationFailed) as info:
        documents.confirm_upload(service("applications"), ticket["document_id"])
    assert info.value.fields == {"file": "file_type_invalid"}
    assert row(ticket["document_id"]).status == "rejected"
    assert store.size(row(ticket["document_id"]).object_key) is None
    with pytest.raises(NotFound):
        documents.get_download(service("applications"), ticket["document_id"])


def test_too_large_is_rejected_when_declared_and_when_it_arrives(running, store):
    documents, _, _, row = running
    with pytest.raises(ValidationFailed) as info:
        documents.create_upload(service("applications"), OWNER, "scan.pdf", 20 * 1024 * 1024 + 1,
                                2000)
    assert info.value.fields == {"file": "file_too_large"}

    ticket = documents.create_upload(service("applications"), OWNER, "scan.pdf", 1000, 2000)   # says 1000, sends more
    put(ticket, PDF + b"\0" * 2000)
    with pytest.raises(ValidationFailed) as info:
        documents.confirm_upload(service("applications"), ticket["document_id"])
    assert info.value.fields == {"file": "file_too_large"}
    assert store.size(row(ticket["document_id"]).object_key) is None


def test_the_admission_letter_is_a_pdf_made_once(running):
    documents = running[0]
    letter = documents.render_admission_letter(service("applications"), LETTER)
    assert documents.render_admission_letter(service("applications"), LETTER) == letter
    link = documents.get_download(service("applications"), letter["document_id"])
    content = requests.get(link["url"], timeout=10).content
    assert content.startswith(b"%PDF-") and len(content) > 1000
    assert link["content_type"] == "application/pdf" and link["size"] == len(content)


def test_a_cancelled_application_loses_its_unfinished_upload(running, rabbit_config, store):
    documents, container, _, row = running
    ticket = documents.create_upload(service("applications"), OWNER, "releves.pdf", len(PDF), 1024 * 1024)
    put(ticket, PDF)
    dispatch = signed_event_dispatcher(rabbit_config)
    with entrypoint_waiter(container, "on_application_cancelled", timeout=10):
        dispatch("applications", "application_cancelled",
                 {"event_id": str(uuid.uuid4()), "application_id": OWNER["application_id"],
                  "candidate_id": OWNER["candidate_id"]})
    assert row(ticket["document_id"]).status == "deleted"
    assert store.size(row(ticket["document_id"]).object_key) is None
