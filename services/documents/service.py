"""The documents service: files in S3/MinIO behind presigned URLs (bytes never
cross RabbitMQ), checked by content, and generated PDFs."""
import logging
import tempfile
import uuid
from pathlib import Path

from eventlet import tpool
from nameko.timer import timer

from services.common import actors
from services.common.clock import Clock, paris_today
from services.common.config import env
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, NotFound, ValidationFailed
from services.common.events import event_handler
from services.common.rpc import rpc
from services.common.service_base import ServiceBase

from . import access, checks, conversion, domain, jobs, letters, queries, schemas
from . import exceptions as codes
from .dependencies import Storage
from .models import Base, Document, PieceFile
from .produced import ProducedEntrypoints
from .scanning import CLEAN, ScannerProvider, ScannerUnavailable

log = logging.getLogger(__name__)

# While clamd is unreachable, the files waiting for it are tried again this often.
SCAN_RETRY_SECONDS = float(env("SCAN_RETRY_SECONDS", "20") or 20)
SCAN_BATCH = 50


class DocumentsService(ProducedEntrypoints, ServiceBase):
    name = "documents"
    db = Database(Base.metadata)
    clock = Clock()
    storage = Storage()
    scheduled_jobs = jobs.JOBS  # orphaned files, retention (services/documents/jobs.py)
    scanner = ScannerProvider()

    @rpc(expected_exceptions=EXPECTED)
    def create_upload(self, actor, owner, filename, size, max_size):
        """A presigned PUT URL for one file of a piece; checks name and declared size.
        A candidate's upload also replaces the piece's unfinished one and must fit
        in their storage quota (unfinished uploads count at their declared size).
        A candidate's file may arrive larger than `max_size` (UPLOAD_MAX_MB): an
        image is converted and compressed first, the limit holds on what is stored."""
        owner = owner or {}
        access.require_uploader(actor, owner)
        name = domain.clean_filename(filename)
        max_size = domain.max_size_or_default(max_size)
        is_part = owner.get("candidate_id") is not None
        size = domain.check_size(size, domain.upload_limit(env("UPLOAD_MAX_MB"), max_size)
                                 if is_part else max_size)
        now = self.clock()
        document_id = str(uuid.uuid4())
        kind = domain.PART if is_part else domain.PIECE
        document = Document(
            id=document_id, kind=kind, status=domain.PENDING,
            candidate_id=owner.get("candidate_id"), application_id=owner.get("application_id"),
            piece_code=owner.get("piece_code"), filename=name, max_size=max_size,
            declared_size=size, created_at=now,
            object_key=domain.object_key(document_id, kind, owner.get("candidate_id"),
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
    def confirm_upload(self, actor, document_id, purpose=None, base_id=None):
        """Checks what arrived and keeps it, or removes it and says why.
        purpose: "template" (a PDF) or "signature" (PNG, JPEG) for the catalogue's
        files, which the catalog service confirms; None: a candidate's file.

        A candidate's file (PDF, JPEG, PNG, HEIC) is checked by content and
        structure, an image becomes an A4 PDF page, then clamd scans it. Clean,
        it joins the files of the merged piece `base_id` (the piece's current
        document, None for a first file) in a new merged PDF, returned with its
        files ("status": "stored"). clamd unreachable: the file waits ("status":
        "scanning", nothing to attach yet); a later call, or the sweep, scans it."""
        document = self._document(document_id)
        access.require_keeper(actor, document)
        if not isinstance(purpose, (str, type(None))) or purpose not in domain.PURPOSES \
                or (purpose and document.candidate_id is not None):
            raise ValidationFailed(codes.INVALID, "unknown purpose", {"purpose": codes.INVALID})
        if document.candidate_id is not None:
            # Counted against the quota with the candidate's other uploads settled.
            queries.lock_candidate(self.db.session, document.candidate_id)
            document = self._document(document_id, fresh=True)
        if document.kind == domain.PART:
            return self._confirm_part(document, base_id)
        if document.status == domain.STORED:  # a retried confirmation
            return schemas.stored(document)
        if document.status != domain.PENDING:
            raise domain.refuse(codes.FILE_MISSING, f"upload {document.status}")
        allowed = domain.PURPOSES[purpose][0]
        with tempfile.TemporaryDirectory(prefix="upload-") as folder:
            try:
                size, content_type, _ = self._check_arrived(
                    document, Path(folder), document.max_size, allowed, domain.PURPOSES[purpose][1])
                if document.candidate_id is not None:
                    self._check_quota(document, size)
            except ValidationFailed:
                self._reject(document)
                raise
        document.status, document.stored_at = domain.STORED, self.clock()
        document.size, document.content_type = size, content_type
        self.db.emit("document_stored", schemas.stored_event(document))
        self.db.commit()
        return schemas.stored(document)

    @rpc(expected_exceptions=EXPECTED)
    def arrange_piece(self, actor, base_id, part_ids):
        """A new merged PDF from some files of the merged piece `base_id`, in the
        order given (files removed, or moved): the piece then holds it instead."""
        actors.require_service(actor, "applications")
        base = self._document(base_id)
        if base.kind != domain.PIECE or base.status != domain.STORED:
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "no such merged piece")
        queries.lock_candidate(self.db.session, base.candidate_id or 0)
        available = {p.id: p for p in queries.parts(self.db.session, base.id)}
        wanted = [str(p) for p in (part_ids or [])] if isinstance(part_ids, list) else None
        if not wanted or len(set(wanted)) != len(wanted) or not set(wanted) <= set(available):
            raise ValidationFailed(codes.INVALID, "files of this piece, each once",
                                   {"part_ids": codes.INVALID})
        return self._merge(base, [available[p] for p in wanted])

    @rpc(expected_exceptions=EXPECTED)
    def piece_parts(self, actor, bundle_ids, application_id=None):
        """The files of merged pieces ({id: [file, ...]}), and the pieces of
        `application_id` with a file the virus scanner has still to check."""
        actors.require_service(actor, "applications")
        bundle_ids = {str(i) for i in (bundle_ids or []) if i}
        found = queries.parts_of(self.db.session, bundle_ids) if bundle_ids else {}
        try:
            application_id = int(application_id) if application_id is not None else None
        except (TypeError, ValueError):
            application_id = None
        return {"parts": {b: [schemas.part(p) for p in found.get(b, [])] for b in bundle_ids},
                "scanning": queries.scanning_pieces(self.db.session, application_id)
                if application_id is not None else []}

    @timer(interval=SCAN_RETRY_SECONDS)
    def scan_waiting(self):
        """Files left waiting while clamd was unreachable are scanned now, one
        transaction each (any instance may run this at once: each takes its own).
        The applications service hears of each verdict (document_scanned)."""
        done = 0
        while done < SCAN_BATCH:
            document = queries.claim_waiting_scan(self.db.session)
            if document is None:
                break
            try:
                clean = self._scan(document)
            except ScannerUnavailable:
                self.db.session.rollback()
                break
            self.db.emit("document_scanned", schemas.scanned_event(document, clean))
            self.db.commit()
            done += 1
        return done

    # -- a candidate's file: check, convert, scan, merge --------------------------------

    def _confirm_part(self, document, base_id):
        document = self.db.session.get(Document, document.id, with_for_update=True,
                                       populate_existing=True)
        with tempfile.TemporaryDirectory(prefix="upload-") as folder:
            local = self._check_part(document, Path(folder)) \
                if document.status == domain.PENDING else None
            if document.status == domain.SCANNING:
                try:  # the copy checked here is the one stored: no second download
                    self._scan(document, local)
                except ScannerUnavailable as exc:
                    log.warning("virus scanner unreachable, file %s waits: %s", document.id, exc)
                    self.db.commit()
                    return schemas.waiting(document)
                self.db.commit()
                document = self._document(document.id)
            if document.status == domain.REJECTED and document.scan_result:
                raise domain.refuse(codes.FILE_INFECTED, "the virus scanner found something")
            if document.status != domain.STORED:
                raise domain.refuse(codes.FILE_MISSING, f"upload {document.status}")
            base = self.db.session.get(Document, str(base_id)) if base_id else None
            earlier = []
            # only the same candidate's same piece (shared pieces span applications)
            if base is not None and base.candidate_id == document.candidate_id \
                    and base.piece_code == document.piece_code and base.kind == domain.PIECE:
                earlier = queries.parts(self.db.session, base.id)
                if document.id in {p.id for p in earlier}:  # already in it: told twice
                    return schemas.bundle(base, earlier)
            return self._merge(document, earlier + [document],
                               {document.id: local} if local else {})

    def _check_part(self, document, folder):
        """Type and structure, an image converted, the limit on what is stored, the
        quota: then the file waits for the scanner (committed: never lost).
        Returns the local copy of what was stored, in `folder`."""
        try:
            size, source_type, path = self._check_arrived(
                document, folder, domain.upload_limit(env("UPLOAD_MAX_MB"), document.max_size),
                (checks.PDF,) + checks.IMAGES, codes.FILE_TYPE_INVALID)
            if source_type != checks.PDF:
                converted = folder / "converted.pdf"
                # CPU work in a native thread: the instance's other workers go on meanwhile
                tpool.execute(conversion.image_to_pdf, path, converted)
                path, size = converted, converted.stat().st_size
                document.filename = checks.pdf_name(document.filename)
            domain.check_size(size, document.max_size)
            self._check_quota(document, size)
        except ValidationFailed:
            self._reject(document)
            raise
        if source_type != checks.PDF:  # what staff will open: the PDF
            self.storage.put_file(document.object_key, path, checks.PDF)
        document.status, document.size = domain.SCANNING, size
        document.content_type, document.source_type = checks.PDF, source_type
        self.db.commit()
        self.db.session.refresh(document, with_for_update=True)
        return path

    def _check_arrived(self, document, folder, limit, allowed, refusal):
        """(size, content type, local path) of the uploaded object, or the refusal."""
        size = self.storage.size(document.object_key)
        domain.check_arrived(size, limit)
        path = folder / "upload"
        self.storage.fetch(document.object_key, path)
        if document.kind != domain.PART or checks.content_type(path) == checks.PDF:
            domain.check_size(size, document.max_size)  # kept as it is: no parsing when too large
        try:
            content_type = tpool.execute(checks.identify, path, path.stat().st_size, allowed)
        except ValidationFailed as exc:
            if exc.code == codes.FILE_TYPE_INVALID and refusal != codes.FILE_TYPE_INVALID:
                raise domain.refuse(refusal, exc.message) from None
            raise
        return size, content_type, path

    def _check_quota(self, document, size):
        if document.candidate_id is None:
            return
        # What arrived may be larger than announced: the quota holds on the real size.
        domain.check_quota(queries.used_bytes(self.db.session, document.candidate_id,
                                              self.clock(), except_ids={document.id}),
                           size, self._quota())

    def _scan(self, document, local=None):
        """clamd's verdict on the stored file (read from `local`, its copy here, when
        given): clean (kept) or not (removed, logged). ScannerUnavailable leaves it waiting."""
        if local is not None:
            with open(local, "rb") as stream:
                verdict, signature = self.scanner.scan(stream)
        else:
            stream = self.storage.open(document.object_key)
            try:
                verdict, signature = self.scanner.scan(stream)
            finally:
                self.storage.close_stream(stream)
        document.scanned_at = self.clock()
        if verdict == CLEAN:
            document.status, document.stored_at, document.scan_result = (
                domain.STORED, self.clock(), "clean")
            return True
        log.warning("infected file refused: document %s of candidate %s (application %s, "
                    "piece %s): %s", document.id, document.candidate_id,
                    document.application_id, document.piece_code, signature)
        try:
            self.storage.remove(document.object_key)
        except Exception:
            log.warning("could not remove infected file %s", document.id, exc_info=True)
        document.status, document.scan_result = domain.REJECTED, str(signature)[:200]
        return False

    def _merge(self, owner, parts, local=None):
        """A new merged PDF of `parts` (clean PDFs, in this order), for the piece of
        `owner`; the same files in the same order answer the kept one (a retry).
        `local`: {part id: a copy of it here}."""
        existing = queries.same_bundle(self.db.session, [p.id for p in parts])
        if existing is not None:
            return schemas.bundle(existing, parts)
        now = self.clock()
        document_id = str(uuid.uuid4())
        bundle = Document(
            id=document_id, kind=domain.PIECE, status=domain.STORED,
            candidate_id=owner.candidate_id, application_id=owner.application_id,
            piece_code=owner.piece_code, content_type=checks.PDF,
            filename=domain.bundle_filename(parts, owner.piece_code), max_size=owner.max_size,
            created_at=now, stored_at=now, scanned_at=now, scan_result="clean",
            object_key=domain.object_key(document_id, domain.PIECE, owner.candidate_id,
                                         owner.application_id))
        with tempfile.TemporaryDirectory(prefix="merge-") as folder:
            sources = []
            for position, part in enumerate(parts):
                path = (local or {}).get(part.id)  # a copy already here: not fetched again
                if path is None:
                    path = Path(folder) / f"{position}.pdf"
                    self.storage.fetch(part.object_key, path)
                sources.append(path)
            merged = Path(folder) / "merged.pdf"
            tpool.execute(conversion.merge, sources, merged)
            bundle.size = merged.stat().st_size
            self.storage.put_file(bundle.object_key, merged, checks.PDF)
        self.db.session.add(bundle)
        self.db.session.flush()
        self.db.session.add_all(PieceFile(bundle_id=document_id, position=position,
                                          part_id=part.id) for position, part in enumerate(parts))
        self.db.emit("document_stored", schemas.stored_event(bundle))
        self.db.commit()
        return schemas.bundle(bundle, parts)

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
            for kind in (domain.PART, domain.PIECE):  # a candidate's file, or one from before
                self.storage.remove(domain.object_key(document_id, kind, candidate_id,
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
        # an upload in flight now lands later: the orphan clean-up knows whose it was
        queries.remember_deleted_candidate(self.db.session, int(candidate_id), self.clock())

    @event_handler("applications", "application_created", requeue_on_error=True)
    @handle_once
    def on_application_created(self, payload):
        """A file's campaign is its application's: retention destroys by campaign."""
        if payload.get("application_id") and payload.get("campaign"):
            queries.remember_application(self.db.session, int(payload["application_id"]),
                                         str(payload["campaign"]), payload.get("candidate_id"))

    @event_handler("catalog", "campaign_archived", requeue_on_error=True)
    @handle_once
    def on_campaign_archived(self, payload):
        """The campaign's files are destroyed RETENTION_DAYS after this day (Paris)."""
        if payload.get("code"):
            queries.remember_archived_campaign(self.db.session, str(payload["code"]),
                                               paris_today(self.clock()))

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
        if document.kind == domain.PIECE:
            # its files go with it, unless another merged piece is made with them
            for part in queries.parts(self.db.session, document.id):
                if part.status != domain.DELETED and not queries.still_used(
                        self.db.session, part.id, document.id):
                    self.storage.remove(part.object_key)
                    part.status, part.deleted_at = domain.DELETED, self.clock()

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
