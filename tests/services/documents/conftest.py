"""Real files, a real S3 endpoint (moto's server, or MinIO when MINIO_ENDPOINT is
set) and the documents service's entrypoints called with a real database."""
import io
import re

import pytest
import requests
from fpdf import FPDF
from nameko.testing.services import worker_factory
from PIL import Image  # installed with fpdf2, which needs it
from sqlalchemy import text

from services.common.actors import service
from services.common.clock import utcnow
from services.documents.dependencies import ObjectStore, storage_settings
from services.documents.models import Base
from services.documents.service import DocumentsService


def real_pdf():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Carte d'identite")
    return bytes(pdf.output())


def real_image(kind):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


PDF = real_pdf()
PNG = real_image("PNG")
JPEG = real_image("JPEG")
FAKE_PDF = b"Just text saved as carte.pdf, even if it mentions %PDF-1.7 inside\n"
OWNER = {"candidate_id": 7, "application_id": 12, "piece_code": "CNI"}
LETTER = {
    "application_id": 12, "candidate_id": 7,
    "candidate": {"civility": "MME", "first_name": "Léa", "last_name": "Garçon-Müller",
                  "dossier_number": "22PB7Y36"},
    "formation": {"code": "MINFO1", "label": "Master Informatique – 1re année"},
    "commission": {"label": "Commission Informatique (SCI-INFO)",
                   "address": "1 rue de l’Université\nBâtiment à côté\n75000 Paris",
                   "signatory": "Pr. Anne Dupont, présidente"},
    "centre": {"label": "UFR Sciences et Techniques", "email": "scolarite-sciences@univ-demo.fr"},
    "validated_at": "2026-11-20T10:00:00+00:00",
    "confirmed_at": "2026-11-21T23:30:00+00:00",   # 22/11/2026 in Paris
}


def pdf_lines(data):
    """The text lines of an uncompressed PDF made by fpdf2 (one string per line)."""
    return [re.sub(rb"\\(.)", rb"\1", m).decode("latin-1")
            for m in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data)]


@pytest.fixture(scope="session")
def store(s3_endpoint):
    """The bucket the service uses, to look behind its back."""
    store = ObjectStore(storage_settings())
    store.ensure_bucket()
    return store


@pytest.fixture
def documents(service_db, unit_of_work, store):
    """Calls the service's entrypoints with a real database and a real S3 endpoint."""
    engine = service_db("documents")

    class Harness:
        def __init__(self):
            self.store = store

        def worker(self):
            unit = unit_of_work(engine, Base.metadata)
            return worker_factory(DocumentsService, db=unit, storage=store, clock=utcnow)

        def call(self, method, *args):
            unit = unit_of_work(engine, Base.metadata)
            worker = worker_factory(DocumentsService, db=unit, storage=store, clock=utcnow)
            try:
                return getattr(worker, method)(*args)
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
