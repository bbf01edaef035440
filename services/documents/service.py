"""The documents service: files in S3/MinIO behind presigned URLs (bytes never
cross RabbitMQ), checked by content, and generated PDFs."""
import logging
import uuid

from nameko.rpc import rpc
from sqlalchemy import select

from services.common.clock import Clock
from services.common.db import Database
from services.common.errors import EXPECTED, NotFound
from services.common.service_base import ServiceBase

from . import domain, letters, schemas
from . import exceptions as codes
from .dependencies import StorageProvider
from .models import Base, Document

log = logging.getLogger(__name__)


class DocumentsService(ServiceBase):
    name = "documents"
    db = Database(Base.metadata)
    clock = Clock()
    storage = StorageProvider()

    @rpc(expected_exceptions=EXPECTED)
    def create_upload(self, owner, filename, size, max_size):
        """A presigned PUT URL for one file of a piece; checks name and declared size."""
        name = domain.clean_filename(filename)
        max_size = int(max_size or domain.DEFAULT_MAX_SIZE)
        domain.check_size(size, max_size)
        document_id = str(uuid.uuid4())
        document = Document(
            id=document_id, kind="piece", status="pending", candidate_id=owner.get("candidate_id"),
            application_id=owner.get("application_id"), piece_code=owner.get("piece_code"),
            filename=name, max_size=max_size, created_at=self.clock(),
            object_key=domain.object_key(document_id, "piece", owner.get("candidate_id"),
                                         owner.get("application_id")))
        put_url = self.storage.upload_url(document.object_key)
        self.db.session.add(document)
        self.db.commit()
        return {"document_id": document_id, "put_url": put_url}

    @rpc(expected_exceptions=EXPECTED)
    def confirm_upload(self, document_id):
        """Checks what arrived (size, content) and keeps it, or deletes it and says why."""
        document = self._document(document_id)
        if document.status == "stored":
            return schemas.stored(document)
        if document.status != "pending":
            raise domain.refuse(codes.FILE_MISSING, "upload no longer pending")
        size = self.storage.size(document.object_key)
        try:
            if size is None:
                raise domain.refuse(codes.FILE_MISSING, "nothing was uploaded")
            domain.check_size(size, document.max_size)
            content_type = domain.sniff_content_type(
                self.storage.head(document.object_key, domain.SNIFF_BYTES))
            if content_type is None:
                raise domain.refuse(codes.FILE_TYPE_INVALID, "not a PDF, JPEG or PNG")
        except Exception:
            self._reject(document, size)
            raise
        document.status, document.size, document.content_type = "stored", size, content_type
        document.stored_at = self.clock()
        self.db.emit("document_stored", schemas.owner_event(
            document, content_type=content_type, size=size))
        self.db.commit()
        return schemas.stored(document)

    @rpc(expected_exceptions=EXPECTED)
    def get_download(self, document_id):
        document = self._document(document_id)
        if document.status != "stored":
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "document not stored")
        return {**schemas.stored(document),
                "url": self.storage.download_url(document.object_key, document.filename,
                                                 document.content_type)}

    @rpc(expected_exceptions=EXPECTED)
    def delete_document(self, document_id):
        document = self._document(document_id)
        if document.status == "deleted":
            return {"document_id": document.id, "deleted": True}
        self.storage.remove(document.object_key)
        document.status, document.deleted_at = "deleted", self.clock()
        self.db.emit("document_deleted", schemas.owner_event(document))
        self.db.commit()
        return {"document_id": document.id, "deleted": True}

    @rpc(expected_exceptions=EXPECTED)
    def render_admission_letter(self, letter):
        """The application's admission letter, made once and kept."""
        application_id = letter.get("application_id")
        existing = self.db.session.scalars(
            select(Document).where(Document.application_id == application_id,
                                   Document.kind == "admission_letter",
                                   Document.status == "stored")).first()
        if existing is not None:
            return {"document_id": existing.id}
        now = self.clock()
        data = letters.admission_letter(letter, now)
        document_id = str(uuid.uuid4())
        candidate = letter.get("candidate") or {}
        document = Document(
            id=document_id, kind="admission_letter", status="stored",
            candidate_id=letter.get("candidate_id"), application_id=application_id,
            filename=f"lettre-admission-{candidate.get('dossier_number') or application_id}.pdf",
            content_type="application/pdf", size=len(data), created_at=now, stored_at=now,
            object_key=domain.object_key(document_id, "letter", letter.get("candidate_id"),
                                         application_id))
        self.storage.put(document.object_key, data, "application/pdf")
        self.db.session.add(document)
        self.db.emit("document_stored", schemas.owner_event(
            document, content_type="application/pdf", size=len(data)))
        self.db.commit()
        return {"document_id": document_id}

    def _document(self, document_id):
        document = self.db.session.get(Document, str(document_id)) if document_id else None
        if document is None:
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "no such document")
        return document

    def _reject(self, document, size):
        """A refused upload leaves nothing behind in storage."""
        if size is not None:
            try:
                self.storage.remove(document.object_key)
            except Exception:  # left for the orphan clean-up; the answer stays the refusal
                log.warning("could not remove refused upload %s", document.id, exc_info=True)
        document.status = "rejected"
        self.db.commit()
