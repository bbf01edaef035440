"""The documents service: files in S3/MinIO behind presigned URLs (bytes never
cross RabbitMQ), checked by content, and generated PDFs."""
import logging
import uuid


from services.common import actors
from services.common.clock import Clock
from services.common.config import env
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, NotFound, ValidationFailed
from services.common.events import event_handler
from services.common.rpc import rpc
from services.common.service_base import ServiceBase

from . import access, domain, letters, queries, schemas
from . import exceptions as codes
from .dependencies import Storage
from .models import Base, Document
from .produced import ProducedEntrypoints

log = logging.getLogger(__name__)


class DocumentsService(ProducedEntrypoints, ServiceBase):
    name = "documents"
    db = Database(Base.metadata)
    clock = Clock()
    storage = Storage()

    @rpc(expected_exceptions=EXPECTED)
    def create_upload(self, actor, owner, filename, size, max_size):
        """A presigned PUT URL for one file of a piece; checks name and declared size.
        A candidate's upload also replaces the piece's unfinished one and must fit
        in their storage quota (unfinished uploads count at their declared size)."""
        owner = owner or {}
        access.require_uploader(actor, owner)
        name = domain.clean_filename(filename)
        max_size = domain.max_size_or_default(max_size)
        size = domain.check_size(size, max_size)
        now = self.clock()
        document_id = str(uuid.uuid4())
        document = Document(
            id=document_id, kind=domain.PIECE, status=domain.PENDING,
            candidate_id=owner.get("candidate_id"), application_id=owner.get("application_id"),
            piece_code=owner.get("piece_code"), filename=name, max_size=max_size,
            declared_size=size, created_at=now,
            object_key=domain.object_key(document_id, domain.PIECE, owner.get("candidate_id"),
                                         owner.get("application_id")))
        replaced = []
        if document.candidate_id is not None:
            queries.lock_candidate(self.db.session, document.candidate_id)
            replaced = self._replaced_uploads(owner, now)
            domain.check_quota(queries.used_bytes(self.db.session, document.candidate_id, now,
                                                  except_ids={d.id for d in replaced}),
                               size, self._quota())
        put_url = self.storage.upload_url(document.object_key)
        for old in replaced:  # nothing will attach them: their bytes go now
            try:
                self._discard(old)
            except Exception:  # still pending: counted, and replaced again next time
                log.warning("could not discard upload %s", old.id, exc_info=True)
        self.db.session.add(document)
        self.db.commit()
        return {"document_id": document_id, "put_url": put_url}

    @rpc(expected_exceptions=EXPECTED)
    def confirm_upload(self, actor, document_id, purpose=None):
        """Checks what arrived (size, first bytes) and keeps it, or removes it and says why.
        purpose: "template" (a PDF) or "signature" (PNG, JPEG) for the catalogue's
        files, which the catalog service confirms; None: PDF, JPEG or PNG."""
        document = self._document(document_id)
        access.require_keeper(actor, document)
        if not isinstance(purpose, (str, type(None))) or purpose not in domain.PURPOSES \
                or (purpose and document.candidate_id is not None):
            raise ValidationFailed(codes.INVALID, "unknown purpose", {"purpose": codes.INVALID})
        if document.candidate_id is not None:
            # Counted against the quota with the candidate's other uploads settled.
            queries.lock_candidate(self.db.session, document.candidate_id)
            document = self._document(document_id, fresh=True)
        if document.status == domain.STORED:  # a retried confirmation
            return schemas.stored(document)
        if document.status != domain.PENDING:
            raise domain.refuse(codes.FILE_MISSING, f"upload {document.status}")
        size = self.storage.size(document.object_key)
        head = self.storage.head(document.object_key, domain.SNIFF_BYTES) if size else b""
        try:
            content_type = domain.check_stored(size, head, document.max_size, purpose)
            if document.candidate_id is not None:
                # What arrived may be larger than announced: the quota holds on the real size.
                domain.check_quota(queries.used_bytes(self.db.session, document.candidate_id,
                                                      self.clock(), except_ids={document.id}),
                                   size, self._quota())
        except ValidationFailed:
            self._reject(document)
            raise
        document.status, document.stored_at = domain.STORED, self.clock()
        document.size, document.content_type = size, content_type
        self.db.emit("document_stored", schemas.stored_event(document))
        self.db.commit()
        return schemas.stored(document)

    @rpc(expected_exceptions=EXPECTED)
    def discard_upload(self, actor, document_id, owner):
        """An upload of the owner's piece that lost to another (started later, or
        already kept): its object and its record go now. A stored file, or
        another owner's upload, is left alone: {"discarded": false}."""
        actors.require_service(actor, "applications")
        owner = owner or {}
        try:
            document_id = str(uuid.UUID(str(document_id)))
            candidate_id, application_id = int(owner["candidate_id"]), int(owner["application_id"])
        except (KeyError, TypeError, ValueError):
            return {"document_id": document_id, "discarded": False}
        queries.lock_candidate(self.db.session, candidate_id)
        document = self.db.session.get(Document, document_id)
        if document is None:
            # Already discarded when it was replaced; its PUT may have landed since.
            self.storage.remove(domain.object_key(document_id, domain.PIECE, candidate_id,
                                                  application_id))
            discarded = True
        elif not domain.same_upload_slot(document, owner) or document.status == domain.STORED:
            discarded = False
        else:
            self._discard(document)
            discarded = True
        self.db.commit()
        return {"document_id": document_id, "discarded": discarded}

    @rpc(expected_exceptions=EXPECTED)
    def get_download(self, actor, document_id):
        """A presigned GET URL, for the applications service (which checks
        who may read the file)."""
        actors.require_service(actor, "applications")
        document = self._document(document_id)
        if document.status != domain.STORED:
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "document not stored")
        return schemas.download(document, self.storage.download_url(document.object_key))

    @rpc(expected_exceptions=EXPECTED)
    def delete_document(self, actor, document_id):
        document = self._document(document_id)
        access.require_keeper(actor, document)
        if document.status != domain.DELETED:  # deleting twice is not an error
            self._delete(document)
            self.db.commit()
        return {"document_id": document.id, "deleted": True}

    @rpc(expected_exceptions=EXPECTED)
    def render_admission_letter(self, actor, letter):
        """The application's admission letter, made once and kept."""
        actors.require_service(actor, "applications")
        letter = letter or {}
        application_id = letter.get("application_id")
        if not application_id:
            raise ValidationFailed(codes.INVALID, "application_id is required",
                                   {"application_id": codes.REQUIRED})
        existing = self._admission_letter(application_id)
        if existing is not None:
            return {"document_id": existing.id}
        now = self.clock()
        data = letters.admission_letter(letter, now)
        document_id = str(uuid.uuid4())
        candidate_id = letter.get("candidate_id")
        document = Document(
            id=document_id, kind=domain.ADMISSION_LETTER, status=domain.STORED,
            candidate_id=candidate_id, application_id=application_id,
            filename=domain.letter_filename(letter), content_type="application/pdf",
            size=len(data), created_at=now, stored_at=now,
            object_key=domain.object_key(document_id, domain.ADMISSION_LETTER, candidate_id,
                                         application_id))
        self.storage.put(document.object_key, data, "application/pdf")
        self.db.session.add(document)
        # the unique index waits for a concurrent call's outcome
        if not flush_unique(self.db):  # that call made it first: keep its letter
            self.storage.remove(document.object_key)
            return {"document_id": self._admission_letter(application_id).id}
        self.db.emit("document_stored", schemas.stored_event(document))
        self.db.commit()
        return {"document_id": document_id}

    @event_handler("applications", "application_cancelled", requeue_on_error=True)
    @handle_once
    def on_application_cancelled(self, payload):
        """Removes the cancelled application's uploads that no piece holds. Its stored
        piece files are deleted by the applications service (delete_document), which
        alone knows whether a shared piece's file still serves another application."""
        application_id = payload.get("application_id")
        if not application_id:
            return
        for document in queries.application_documents(self.db.session, application_id):
            if domain.removable_on_cancel(document.status):
                self._delete(document)

    @rpc(expected_exceptions=EXPECTED)
    def list_my_documents(self, actor):
        """The candidate's own files ("Télécharger mes données")."""
        candidate_id = actors.candidate_id(actor)
        return [schemas.listed(document)
                for document in queries.stored_documents(self.db.session, candidate_id)]

    @event_handler("accounts", "account_deleted", requeue_on_error=True)
    @handle_once
    def on_account_deleted(self, payload):
        """Every file a deleted account owned goes, from storage and from here.
        A storage failure raises: the event comes back and the rest is retried."""
        candidate_id = payload.get("candidate_id")
        if candidate_id is None:
            return
        for document in queries.candidate_documents(self.db.session, int(candidate_id)):
            self.storage.remove(document.object_key)  # absent objects are not an error
            self.db.session.delete(document)

    # -- helpers ---------------------------------------------------------------------

    def _document(self, document_id, fresh=False):
        document = self.db.session.get(Document, str(document_id), populate_existing=fresh) \
            if document_id else None
        if document is None:
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "no such document")
        return document

    def _admission_letter(self, application_id):
        return queries.admission_letter(self.db.session, application_id)

    def _delete(self, document):
        """Object first, then the record and its event (committed by the caller):
        if the commit fails, a retry removes an absent object, which succeeds."""
        self.storage.remove(document.object_key)
        document.status, document.deleted_at = domain.DELETED, self.clock()
        self.db.emit("document_deleted", schemas.deleted_event(document))

    @staticmethod
    def _quota():
        return domain.quota_bytes(env("CANDIDATE_STORAGE_QUOTA_MB"))

    def _replaced_uploads(self, owner, now):
        """The candidate's unfinished uploads a new one makes useless: the same
        piece's (one upload per piece at a time), and those too old to receive bytes."""
        pending = queries.pending_uploads(self.db.session, int(owner["candidate_id"]))
        return [d for d in pending if domain.same_upload_slot(d, owner)
                or d.created_at < now - domain.PENDING_LIFETIME]

    def _discard(self, document):
        """An upload that never became a file: no object, no record (object first:
        if the commit fails, the row is still there to discard again)."""
        self.storage.remove(document.object_key)
        self.db.session.delete(document)

    def _reject(self, document):
        """A refused upload leaves nothing behind in storage; the refusal is recorded."""
        try:
            self.storage.remove(document.object_key)
        except Exception:  # the caller still gets the refusal; the object is an orphan
            log.warning("could not remove refused upload %s", document.id, exc_info=True)
        document.status = domain.REJECTED
        self.db.commit()
