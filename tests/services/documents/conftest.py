"""Real files, a real S3 endpoint (moto's server, or MinIO when MINIO_ENDPOINT is
set) and the documents service's entrypoints called with a real database."""
import pytest
import requests
from nameko.testing.services import worker_factory
from sqlalchemy import text

from services.common.actors import service
from services.common.clock import utcnow
from services.documents.dependencies import ObjectStore, storage_settings
from services.documents.models import Base
from services.documents.scanning import Scanner
from services.documents.service import DocumentsService
from tests.services.documents.samples import OWNER


@pytest.fixture(scope="session")
def store(s3_endpoint):
    """The bucket the service uses, to look behind its back."""
    store = ObjectStore(storage_settings())
    store.ensure_bucket()
    return store


@pytest.fixture
def documents(service_db, unit_of_work, store, clamd_endpoint):
    """Calls the service's entrypoints with a real database and a real S3 endpoint."""
    engine = service_db("documents")

    class Harness:
        def __init__(self):
            self.store = store
            self.clamd = clamd_endpoint
            self.scanner = Scanner()

        def worker(self):
            unit = unit_of_work(engine, Base.metadata)
            return worker_factory(DocumentsService, db=unit, storage=store, clock=utcnow,
                                  scanner=self.scanner)

        def call(self, method, *args, **kwargs):
            unit = unit_of_work(engine, Base.metadata)
            worker = worker_factory(DocumentsService, db=unit, storage=store, clock=utcnow,
                                    scanner=self.scanner)
            try:
                return getattr(worker, method)(*args, **kwargs)
            finally:
                unit.close()  # as nameko's worker teardown: a refused call's locks go

        def upload(self, content, name="carte.pdf", max_size=1024 * 1024, declared=None,
                   owner=OWNER):
            """create_upload, then the bytes PUT to the presigned URL as the gateway does."""
            ticket = self.call("create_upload", service("applications"), owner, name,
                               len(content) if declared is None else declared, max_size)
            response = requests.put(ticket["put_url"], data=content, timeout=10)
            assert response.status_code == 200, response.text
            return ticket["document_id"]

        def rows(self, sql, **params):
            with engine.begin() as conn:
                return conn.execute(text(sql), params).all()

        def document(self, document_id):
            return self.rows("SELECT * FROM documents WHERE id = :id", id=document_id)[0]

        def events(self, event_type=None):
            payloads = [row[0] for row in self.rows(
                "SELECT payload FROM outbox_events ORDER BY created_at")]
            return [p for p in payloads if event_type in (None, p["event_type"])]
    return Harness()
