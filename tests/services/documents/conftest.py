import pytest
from nameko.testing.services import worker_factory

from services.common.clock import utcnow
from services.documents.dependencies import Storage, storage_settings
from services.documents.models import Base
from services.documents.service import DocumentsService

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OWNER = {"candidate_id": 7, "application_id": 12, "piece_code": "CNI"}


@pytest.fixture
def documents(service_db, unit_of_work, s3_endpoint):
    """Calls the service's entrypoints with a real database and a real S3 endpoint."""
    engine = service_db("documents")
    storage = Storage(storage_settings())

    class Harness:
        def __init__(self):
            self.storage, self.engine = storage, engine

        def call(self, method, *args):
            unit = unit_of_work(engine, Base.metadata)
            worker = worker_factory(DocumentsService, db=unit, storage=storage, clock=utcnow)
            return getattr(worker, method)(*args)

        def rows(self, sql):
            from sqlalchemy import text
            with engine.connect() as conn:
                return conn.execute(text(sql)).all()
    return Harness()
