"""Entrypoints of the documents the platform produces (mixed into
DocumentsService): the dossier PDF, the letters and their per-commission
wordings, and staff archives of several dossiers. The applications service
asks for the first two with the data (it alone knows who may read an
application); an archive's progress and link are read by the staff member who
asked for it."""
import logging
import os
import uuid

from eventlet import tpool
from nameko.timer import timer
from sqlalchemy import select, text

from services.common import actors
from services.common.clock import paris_today
from services.common.errors import EXPECTED, NotFound, ValidationFailed
from services.common.rpc import rpc

from . import archives, dossier, domain, letters, rendering
from . import exceptions as codes
from .models import Archive, Document, LetterTemplate

log = logging.getLogger(__name__)

DOSSIER, LETTER = "dossier", "letter"
GENERATED_LOCK_SPACE = 7402  # pg_advisory_xact_lock(space, application_id)
ARCHIVE_POLL_SECONDS = 2


class ProducedEntrypoints:

    # -- the dossier PDF ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def render_dossier(self, actor, dossier_data):
        """{document_id} of the application's dossier PDF: the one already made
        from the same data, else a new one (the former is deleted)."""
        actors.require_service(actor, "applications")
        data = _application_data(dossier_data)
        document = self._dossier_document(data)
        self.db.commit()
        return {"document_id": document.id}

    def _dossier_document(self, data):
        # one maker per application at a time: a second request waits and finds its PDF
        self.db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"),
                                {"space": GENERATED_LOCK_SPACE, "id": data["application_id"]})
        mark = dossier.fingerprint(data)
        found = self._generated(data["application_id"], DOSSIER, mark)
        if found is not None:
            return found
        pieces = self._pieces_of(data)
        # laid out in a native thread: the instance's other workers go on meanwhile
        content = tpool.execute(dossier.build_bytes, data, pieces.get, self.clock())
        return self._keep_generated(data, DOSSIER, mark, dossier.filename(data), content)

    def _pieces_of(self, data):
        """{document_id: (bytes, content type)} of the dossier's stored pieces
        (read here, in the worker: the session and storage client are its own)."""
        pieces = {}
        for piece in data.get("pieces") or []:
            document_id = piece.get("document_id") if isinstance(piece, dict) else None
            document = self.db.session.get(Document, str(document_id)) if document_id else None
            if document is not None and document.status == domain.STORED:
                pieces[document_id] = (self._read(document.object_key), document.content_type)
            elif document_id:
                pieces[document_id] = (b"", None)
        return pieces

    # -- letters ----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def render_letter(self, actor, letter, kind, preview=False):
        """{document_id, attach} of the `kind` letter (admission, refusal) of the
        application the `letter` data describes, in its commission's wording.
        `preview`: marked as such, for staff before the decision is validated."""
        actors.require_service(actor, "applications")
        kind = _kind(kind)
        data = _application_data(letter)
        commission = (data.get("commission") or {}).get("code") or ""
        template = self.db.session.get(LetterTemplate, (commission, kind)) if commission else None
        signature = self._signature(data)
        # a letter is dated by its decision; a preview by the day it is asked
        today = data.get("dated") or paris_today(self.clock()).isoformat()
        content_of = {"letter": data, "kind": kind, "preview": bool(preview), "today": today,
                      "wording": template.body if template else None,
                      "signature": (data.get("commission") or {}).get("signature_document_id")
                      if signature else None}
        mark = rendering.fingerprint(LETTER, content_of)
        document = self._generated(data["application_id"], LETTER, mark)
        if document is None:
            content = tpool.execute(letters.render, data, kind, today,
                                    template.body if template else None, signature,
                                    preview=bool(preview))
            name = f"lettre-{'apercu-' if preview else ''}{kind}-" \
                   f"{(data.get('candidate') or {}).get('dossier_number') or data['application_id']}.pdf"
            document = self._keep_generated(data, LETTER, mark, name, content,
                                            replace=False)
        self.db.commit()
        return {"document_id": document.id, "attach": template.attach if template else True}

    def _signature(self, data):
        """(bytes, content type) of the commission's signature image, if stored here."""
        document_id = (data.get("commission") or {}).get("signature_document_id")
        document = self.db.session.get(Document, str(document_id)) if document_id else None
        if document is None or document.status != domain.STORED:
            return None
        try:
            return self._read(document.object_key), document.content_type
        except Exception:  # the letter goes out signed by name only
            log.warning("signature %s unreadable", document_id, exc_info=True)
            return None

    @rpc(expected_exceptions=EXPECTED)
    def get_letter_template(self, actor, commission_code, kind):
        """The commission's wording of a letter, or the default."""
        actors.require_service(actor, "applications")
        kind = _kind(kind)
        row = self.db.session.get(LetterTemplate, (str(commission_code), kind))
        return _template_view(str(commission_code), kind, row)

    @rpc(expected_exceptions=EXPECTED)
    def save_letter_template(self, actor, commission_code, kind, body, attach=True, by=None):
        """Saves the commission's wording (checked by rendering it); body None: back
        to the default."""
        actors.require_service(actor, "applications")
        kind = _kind(kind)
        key = (str(commission_code), kind)
        row = self.db.session.get(LetterTemplate, key, with_for_update=True)
        if body is None:
            if row is not None:
                self.db.session.delete(row)
            self.db.commit()
            return _template_view(key[0], kind, None)
        body = letters.check_wording(body)
        if row is None:
            row = LetterTemplate(commission_code=key[0], kind=kind)
            self.db.session.add(row)
        row.body, row.attach = body, bool(attach)
        row.updated_by, row.updated_at = (str(by)[:200] if by else None), self.clock()
        self.db.commit()
        return _template_view(key[0], kind, row)

    # -- archives ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def start_archive(self, actor, owner_id, format, dossiers):
        """Queues an archive of `dossiers` (render_dossier's data, each) for the
        staff member `owner_id`; built in the background."""
        actors.require_service(actor, "applications")
        archives.check_request(format, dossiers)
        archive = Archive(id=str(uuid.uuid4()), owner_id=int(owner_id), format=format,
                          status=archives.QUEUED, total=len(dossiers), done=0,
                          dossiers=[_application_data(d) for d in dossiers],
                          created_at=self.clock())
        self.db.session.add(archive)
        self.db.commit()
        return _archive_view(archive, self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def get_archive(self, actor, archive_id):
        """The archive's progress; once built and until it expires, `url` (a
        presigned link of a few minutes: asked again, a fresh one)."""
        archive = self._own_archive(actor, archive_id)
        now = self.clock()
        view = _archive_view(archive, now)
        if view["status"] == archives.EXPIRED and archive.object_key:
            key, archive.object_key = archive.object_key, None
            self.db.after_commit(lambda: self.storage.remove(key))
            self.db.commit()
        if view["status"] == archives.DONE:
            view["url"] = self.storage.client.presigned_get_object(
                self.storage.bucket, archive.object_key,
                expires=domain_get_expiry(),
                response_headers={"response-content-disposition":
                                  f'attachment; filename="{archives.filename(archive)}"'})
        return view

    def _own_archive(self, actor, archive_id):
        actors.require_staff(actor)
        try:
            archive = self.db.session.get(Archive, str(uuid.UUID(str(archive_id))))
        except ValueError:
            archive = None
        if archive is None or archive.owner_id != int(actor["id"]):
            raise NotFound(codes.DOCUMENT_NOT_FOUND, "no such archive")
        return archive

    @timer(interval=ARCHIVE_POLL_SECONDS)
    def build_archives(self):
        """Builds the queued archives one after the other (each committed as it goes)."""
        while self.build_next_archive():
            pass

    def build_next_archive(self):
        now = self.clock()
        archive = archives.claim_next(self.db.session, now)
        if archive is None:
            self.db.commit()
            return False
        archive.status, archive.done = archives.RUNNING, 0
        archive.expires_at = now + archives.STALE_AFTER  # until then, no other builder takes it
        self.db.commit()
        archive_id = archive.id
        out = archives.temporary_file()
        try:
            with out:
                archives.build(archive, self._archive_dossier,
                               lambda done: self._progress(archive_id, done), out)
            archive = self.db.session.get(Archive, archive_id)
            archive.object_key = archives.object_key(archive)
            archive.size = os.path.getsize(out.name)
            self.storage.ensure_bucket()
            self.storage.client.fput_object(
                self.storage.bucket, archive.object_key, out.name,
                content_type="application/zip" if archive.format == "zip"
                else "application/pdf")
            finished = self.clock()
            archive.status, archive.finished_at = archives.DONE, finished
            archive.expires_at = finished + archives.link_lifetime()
            archive.dossiers = []  # the data served its purpose; the rows stay small
        except Exception:
            log.exception("archive %s failed", archive_id)
            self.db.session.rollback()
            archive = self.db.session.get(Archive, archive_id)
            archive.status = archives.FAILED
        finally:
            archives.discard(out.name)
        self.db.commit()
        return True

    def _archive_dossier(self, data):
        """One dossier of an archive: the kept PDF when the data did not change."""
        document = self._dossier_document(data)
        self.db.commit()
        return self._read(document.object_key)

    def _progress(self, archive_id, done):
        archive = self.db.session.get(Archive, archive_id)
        archive.done = done
        archive.expires_at = self.clock() + archives.STALE_AFTER  # still alive
        self.db.commit()

    # -- helpers ----------------------------------------------------------------------

    def _generated(self, application_id, kind, mark):
        return self.db.session.scalars(
            select(Document).where(Document.application_id == application_id,
                                   Document.kind == kind, Document.fingerprint == mark,
                                   Document.status == domain.STORED)).first()

    def _keep_generated(self, data, kind, mark, name, content, replace=True):
        """Stores a generated PDF; `replace`: the application's former ones of this
        kind go (a dossier is worth keeping only as it is now)."""
        now = self.clock()
        document_id = str(uuid.uuid4())
        document = Document(
            id=document_id, kind=kind, status=domain.STORED, fingerprint=mark,
            candidate_id=data.get("candidate_id"), application_id=data["application_id"],
            filename=domain.clean_filename(name)[:100], content_type="application/pdf",
            size=len(content), created_at=now, stored_at=now,
            object_key=f"generated/{data['application_id']}/{kind}-{document_id}.pdf")
        self.storage.put(document.object_key, content, "application/pdf")
        if replace:
            for old in self.db.session.scalars(
                    select(Document).where(Document.application_id == data["application_id"],
                                           Document.kind == kind,
                                           Document.status == domain.STORED)
                    .with_for_update()):
                key = old.object_key
                old.status, old.deleted_at = domain.DELETED, now
                self.db.after_commit(lambda key=key: self.storage.remove(key))
        self.db.session.add(document)
        return document

    def _read(self, key):
        response = self.storage.client.get_object(self.storage.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()


def domain_get_expiry():
    from .dependencies import GET_EXPIRY
    return GET_EXPIRY


def _application_data(data):
    if not isinstance(data, dict) or not str(data.get("application_id") or "").isdigit():
        raise ValidationFailed(codes.INVALID, "application_id is required",
                               {"application_id": codes.REQUIRED})
    return dict(data, application_id=int(data["application_id"]))


def _kind(kind):
    if kind not in letters.KINDS:
        raise ValidationFailed(codes.INVALID_KIND, "kind: admission or refusal",
                               {"kind": codes.INVALID_KIND})
    return kind


def _template_view(commission_code, kind, row):
    return {"commission_code": commission_code, "kind": kind,
            "body": row.body if row else letters.default_wording(kind),
            "default": letters.default_wording(kind), "custom": row is not None,
            "attach": row.attach if row else True,
            "updated_by": row.updated_by if row else None,
            "updated_at": row.updated_at.isoformat() if row and row.updated_at else None,
            "variables": letters.VARIABLES}


def _archive_view(archive, now):
    status = archive.status
    if status == archives.DONE and archive.expires_at and archive.expires_at <= now:
        status = archives.EXPIRED
    return {"archive_id": archive.id, "format": archive.format, "status": status,
            "filename": archives.filename(archive),
            "total": archive.total, "done": archive.done, "size": archive.size,
            "created_at": archive.created_at.isoformat(),
            "expires_at": archive.expires_at.isoformat() if archive.expires_at else None}

