"""Uploads through the real applications and documents services, on the real
broker, databases and S3 endpoint (accounts and catalog are doubles): what
concurrent or excessive uploads leave in the bucket."""
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import eventlet
import pytest
import requests
from nameko.testing.services import replace_dependencies
from sqlalchemy import text

from services.applications.service import ApplicationsService
from services.common.errors import Conflict, ValidationFailed
from services.documents.dependencies import ObjectStore, storage_settings
from services.documents.service import DocumentsService
from tests.support.actors import candidate
from tests.support.rpc import acting_rpc_proxy

BURST = 8


def pdf(size):
    """A valid PDF of `size` bytes (the documents service parses what it keeps)."""
    from tests.services.documents.samples import padded_pdf
    return padded_pdf(size)


@pytest.fixture
def stack(container_factory, rabbit_config, service_db, s3_endpoint, doubles, clamd_endpoint):
    service_db("applications")
    documents_db = service_db("documents")
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    catalog_data = doubles.Catalog(today)
    # Ids restart in an emptied database: a fresh candidate id keeps this run's
    # objects apart from those of earlier runs in the same bucket.
    candidate_id = random.randint(100_000, 999_999)

    applications = container_factory(ApplicationsService, rabbit_config)
    accounts, catalog = replace_dependencies(applications, "accounts", "catalog")
    accounts.check_ready_to_apply.return_value = doubles.candidate_contact(candidate_id)
    catalog.get_formation.side_effect = catalog_data.get_formation
    catalog.get_active_campaign.side_effect = catalog_data.get_active_campaign
    documents = container_factory(DocumentsService, rabbit_config)
    applications.start()
    documents.start()

    class Stack:
        actor = candidate(candidate_id)
        store = ObjectStore(storage_settings())

        def rpc(self):
            return acting_rpc_proxy("applications", rabbit_config)

        def objects(self, application_id=None):
            prefix = f"candidates/{candidate_id}/"
            if application_id is not None:
                prefix += f"applications/{application_id}/"
            return sorted(o.object_name for o in self.store.client.list_objects(
                self.store.bucket, prefix=prefix, recursive=True))

        def documents(self):
            with documents_db.connect() as conn:
                return conn.execute(text(
                    "SELECT id, status, piece_code, object_key FROM documents "
                    "WHERE candidate_id = :c ORDER BY created_at"), {"c": candidate_id}).all()

    yield Stack()
    applications.stop()
    documents.stop()


def upload(applications, actor, application_id, piece_code, content, name="fichier.pdf"):
    """As the gateway does: ticket, bytes PUT to the presigned URL, then finish."""
    ticket = applications.start_piece_upload(actor, application_id, piece_code, name,
                                             len(content))
    requests.put(ticket["put_url"], data=content, timeout=30).raise_for_status()
    return applications.finish_piece_upload(actor, application_id, piece_code,
                                            ticket["document_id"])


def test_a_burst_of_uploads_to_one_piece_leaves_one_file(stack):
    with stack.rpc() as applications:
        application_id = applications.create_application(stack.actor, "MINFO1")["id"]
    tickets, started, all_started = [], [], eventlet.event.Event()

    def one(number):
        content = pdf(2000 + number)  # each upload its own size, to tell them apart
        with stack.rpc() as applications:
            try:
                ticket = applications.start_piece_upload(
                    stack.actor, application_id, "CV", f"cv-{number}.pdf", len(content))
                tickets.append(ticket)
            finally:
                started.append(number)
                if len(started) == BURST:
                    all_started.send()
            # Every ticket is out before any byte is sent: the worst interleaving.
            all_started.wait()
            requests.put(ticket["put_url"], data=content, timeout=30).raise_for_status()
            try:
                applications.finish_piece_upload(stack.actor, application_id, "CV",
                                                 ticket["document_id"])
            except (Conflict, ValidationFailed) as exc:
                return exc.code
            return "kept"

    with eventlet.Timeout(60):
        outcomes = list(eventlet.GreenPool(BURST).imap(one, range(BURST)))

    assert len({t["document_id"] for t in tickets}) == BURST
    assert sorted(outcomes) == ["kept"] + ["upload_superseded"] * (BURST - 1)
    with stack.rpc() as applications:
        view = applications.get_application(stack.actor, application_id)
        cv = next(p for p in view["pieces"] if p["code"] == "CV")
        assert cv["status"] == "TR" and cv["has_file"]
        download = applications.get_piece_download(stack.actor, application_id, "CV")
    # Exactly one file remains, with the merged PDF the piece shows, and nothing
    # waits in the database.
    kept = [d for d in stack.documents() if d.status == "stored"]
    assert len(kept) == 2 and download["document_id"] in {d.id for d in kept}
    assert stack.objects(application_id) == sorted(d.object_key for d in kept)
    assert [d.status for d in stack.documents()] == ["stored", "stored"]
    assert requests.get(download["url"], timeout=30).content.startswith(b"%PDF-")


def test_uploads_stop_at_the_candidates_storage_quota(stack, monkeypatch):
    monkeypatch.setenv("CANDIDATE_STORAGE_QUOTA_MB", "1")
    third = 1024 * 1024 // 3
    with stack.rpc() as applications:
        first = applications.create_application(stack.actor, "MINFO1")["id"]
        second = applications.create_application(stack.actor, "MMATH1")["id"]
        upload(applications, stack.actor, first, "CV", pdf(third))
        upload(applications, stack.actor, first, "LM", pdf(third))
        # A started upload counts before its bytes arrive: tickets cannot pile up.
        applications.start_piece_upload(stack.actor, second, "CV", "cv.pdf", third)
        with pytest.raises(ValidationFailed) as refused:
            applications.start_piece_upload(stack.actor, second, "LM", "lm.pdf", third)
        assert refused.value.fields == {"file": "storage_quota_exceeded"}
        # Whatever the piece, nothing goes beyond the quota.
        with pytest.raises(ValidationFailed) as refused:
            upload(applications, stack.actor, first, "CNI", pdf(third))
        assert refused.value.fields == {"file": "storage_quota_exceeded"}
        view = applications.get_application(stack.actor, first)
    assert {p["code"]: p["status"] for p in view["pieces"]} == {
        "CNI": "AT", "CV": "TR", "LM": "TR", "CERTLANG": "AT"}
    kept = [d for d in stack.documents() if d.status == "stored"]   # each file and its piece's PDF
    assert stack.objects() == sorted(d.object_key for d in kept) and len(kept) == 4
    assert sorted(d.status for d in stack.documents()) == ["pending"] + ["stored"] * 4
