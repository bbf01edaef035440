"""The applications service (services/README.md, applications): applications,
file and piece statuses, decisions, confirmation. Entrypoints check the actor,
check the rules (domain.py), change, emit and commit once; nothing is written
when an error is raised.
"""
import logging


from services.common import actors
from services.common.clock import Clock, utcnow
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.events import event_handler
from services.common.idempotency import idempotent
from services.common.rpc import ServiceRpc, rpc
from services.common.service_base import ServiceBase

from . import access, domain, history, pieces, queries, schemas
from . import exceptions as codes
from .catalog_reads import CatalogReads
from .models import Application, Base, Decision
from .produced import ProducedEntrypoints

log = logging.getLogger(__name__)


class ApplicationsService(ProducedEntrypoints, ServiceBase):
    name = "applications"
    db = Database(Base.metadata)
    clock = Clock()
    accounts = ServiceRpc("accounts")
    catalog = ServiceRpc("catalog")
    catalog_reads = CatalogReads()  # what pages read of the catalog, kept until its events
    documents = ServiceRpc("documents")

    # -- candidate: applying -------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def create_application(self, actor, formation_code, idempotency_key=None):
        candidate_id = actors.candidate_id(actor)
        now = self.clock()
        candidate = self.accounts.check_ready_to_apply(candidate_id)
        formation = self.catalog.get_formation(formation_code)
        session = self.db.session
        access.lock_candidate(session, candidate_id)  # the count below stays true until commit
        self._check_can_apply(candidate_id, formation, domain.paris_today(now))
        application = Application(
            candidate_id=candidate_id, formation_code=formation["code"],
            centre_code=(formation.get("centre") or {}).get("code") or "",
            campaign_code=(formation.get("campaign") or {}).get("code") or "",
            formation=formation, candidate=candidate, status=domain.AT, created_at=now)
        application.pieces = pieces.new_pieces(session, candidate_id,
                                                formation.get("pieces") or [], now)
        history.record(application, None, domain.AT, actor, now)
        session.add(application)
        # the unique index: an active one appeared meanwhile
        flush_unique(self.db, Conflict(codes.ALREADY_APPLIED, "already applied"))
        self.db.emit("application_created", schemas.event(
            application, return_deadline=application.return_deadline))
        self.db.commit()
        return self._view(application)

    def _check_can_apply(self, candidate_id, formation, today, kept=False):
        session = self.db.session
        campaign, centre = formation.get("campaign") or {}, formation.get("centre") or {}
        active = self._active_campaign(kept)
        in_centre, total = queries.active_counts(session, candidate_id, centre.get("code"),
                                                 campaign.get("code"))
        refusal = domain.apply_refusal(
            campaign_open=domain.campaign_open(campaign, active and active["code"]),
            window_open=domain.window_open(formation.get("dates") or {}, today,
                                           formation.get("enabled", True)),
            already_applied=queries.has_active_application(
                session, candidate_id, formation["code"], campaign.get("code")),
            active_in_centre=in_centre, active_total=total, centre=centre)
        if refusal:
            raise refusal

    @rpc(expected_exceptions=EXPECTED)
    def can_apply(self, actor, formation_code):
        """Whether "Candidater" is offered, and why not: the same checks as
        create_application (dossier, campaign, window, already applied, limits),
        nothing written. {allowed, reason, fields} (fields: which limit)."""
        candidate_id = actors.candidate_id(actor)
        try:
            self.accounts.check_ready_to_apply(candidate_id)
            formation = self.catalog_reads.read(
                ("catalog", "formation", str(formation_code)),
                lambda: self.catalog.get_formation(formation_code))
            self._check_can_apply(candidate_id, formation, domain.paris_today(self.clock()),
                                  kept=True)
        except Conflict as exc:
            return schemas.apply_answer(exc)
        return schemas.apply_answer(None)

    @rpc(expected_exceptions=EXPECTED)
    def apply_status(self, actor, formations):
        """can_apply for every formation of an offer page in one call:
        formations [{code, centre, date_open, date_close}] (catalog.get_offer's
        leaves, all of the active campaign) -> {code: {allowed, reason, fields}}.
        Catalog is asked for the active campaign, and once for the current
        maximum of every centre (centre_limits), never per centre or formation
        of the tree. Nothing written."""
        candidate_id = actors.candidate_id(actor)
        leaves = schemas.offer_leaves(formations)
        if not leaves:
            return {}
        try:
            self.accounts.check_ready_to_apply(candidate_id)
        except Conflict as exc:
            return {leaf["code"]: schemas.apply_answer(exc) for leaf in leaves}
        campaign = self._active_campaign(kept=True)
        mine = (queries.active_applications(self.db.session, candidate_id, campaign["code"])
                if campaign else [])
        applied = {code for code, _, _ in mine}
        in_centre, snapshots = {}, {}
        for code, centre_code, snapshot in mine:
            in_centre[centre_code] = in_centre.get(centre_code, 0) + 1
            snapshots.setdefault(centre_code, snapshot or {})  # newest application's
        # The maxima as the catalog has them now (they may have changed since
        # the applications were made), else as they were then.
        limits = self.catalog_reads.read(("catalog", "centre_limits"),
                                         self.catalog.centre_limits) if mine else {}
        centres = {code: {**snapshot, **(limits.get(code) or {}), "code": code}
                   for code, snapshot in snapshots.items()}
        today = domain.paris_today(self.clock())
        return {leaf["code"]: schemas.apply_answer(domain.apply_refusal(
                    campaign_open=campaign is not None,
                    window_open=domain.window_open(leaf, today),
                    already_applied=leaf["code"] in applied,
                    active_in_centre=in_centre.get(leaf["centre"], 0), active_total=len(mine),
                    centre=centres.get(leaf["centre"]) or {"code": leaf["centre"]}))
                for leaf in leaves}

    def _active_campaign(self, kept=False):
        """The active campaign (None: none is); `kept`: as last heard, for pages."""
        if kept:
            found = self.catalog_reads.read(("catalog", "active_campaign"),
                                            lambda: self._active_campaign() or {})
            return found or None
        try:
            return self.catalog.get_active_campaign()
        except NotFound:
            return None

    @rpc(expected_exceptions=EXPECTED)
    def list_my_applications(self, actor):
        candidate_id = actors.candidate_id(actor)
        return [schemas.summary(a, staff=False)
                for a in queries.candidate_applications(self.db.session, candidate_id)]

    @rpc(expected_exceptions=EXPECTED)
    def get_application(self, actor, application_id):
        application, staff = access.readable_application(self.db.session, actor, application_id,
                                                         options=access.WHOLE)
        view = self._view(application, staff)
        if staff:
            view["can_validate"] = access.may_validate(actor, application)
        return view

    # -- the candidate's data and account ------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def export_my_data(self, actor):
        """Every application of the candidate as they see it ("Télécharger mes données")."""
        candidate_id = actors.candidate_id(actor)
        return [self._view(a) for a in queries.candidate_applications(self.db.session, candidate_id,
                                                                      full=True)]

    @event_handler("catalog", "campaign_archived", requeue_on_error=True)
    @handle_once
    def on_campaign_archived(self, payload):
        """The campaign's applications become read-only."""
        code = payload.get("code")
        if code:
            queries.archive_campaign(self.db.session, str(code), self.clock())

    @event_handler("catalog", "formation_updated", requeue_on_error=True)
    @handle_once
    def on_formation_updated(self, payload):
        """Staff changed a formation: its applications' copy of the dates follows,
        so pages show the deadlines that apply (transmit asks the catalog itself)."""
        code, campaign, dates = payload.get("code"), payload.get("campaign"), payload.get("dates")
        if not code or not campaign or not isinstance(dates, dict):
            return  # an event without the dates: the copy is refreshed at transmit
        for application in queries.formation_applications(self.db.session, str(code),
                                                          str(campaign), write=True):
            schemas.refresh_dates(application, dates, payload.get("occurred_at"))

    @event_handler("accounts", "account_deleted", requeue_on_error=True)
    @handle_once
    def on_account_deleted(self, payload):
        """Everything of a deleted account goes: applications, pieces, history and
        decisions (cascade). Files are the documents service's, which forgets them
        on the same event."""
        candidate_id = payload.get("candidate_id")
        if candidate_id is not None:
            queries.delete_candidate_applications(self.db.session, int(candidate_id))

    # -- candidate: pieces ---------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def start_piece_upload(self, actor, application_id, piece_code, filename, size,
                           idempotency_key=None):
        application = self._mine(actor, application_id)
        piece = self._piece(application, piece_code)
        self._check_changeable(application, piece)
        max_size = (application.formation.get("centre") or {}).get("max_file_size")
        owner = {"candidate_id": application.candidate_id, "application_id": application.id,
                 "piece_code": piece.code}
        ticket = self.documents.create_upload(owner, filename, size, max_size)
        piece.pending_document_id = str(ticket["document_id"])
        self.db.commit()
        return ticket

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def finish_piece_upload(self, actor, application_id, piece_code, document_id,
                            idempotency_key=None):
        application = self._mine(actor, application_id)
        piece = self._piece(application, piece_code)
        if not piece.pending_document_id or str(document_id) != piece.pending_document_id:
            self._refuse_lost_upload(application, piece, document_id)
        try:
            self._check_changeable(application, piece)
        except Conflict:
            self._discard_upload(application, piece, piece.pending_document_id)  # useless now
            raise
        # Its ValidationFailed (type, size, empty) reaches the caller unchanged.
        stored = self.documents.confirm_upload(document_id)
        released = pieces.attach(self.db.session, application, piece, stored, self.clock())
        self._commit_and_delete(released)
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def delete_piece_file(self, actor, application_id, piece_code, idempotency_key=None):
        application = self._mine(actor, application_id)
        piece = self._piece(application, piece_code)
        self._check_changeable(application, piece)
        if not piece.document_id:
            raise NotFound(codes.NO_FILE, "no file on this piece")
        released = pieces.detach(self.db.session, application, piece, self.clock())
        self._commit_and_delete(released)
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_not_concerned(self, actor, application_id, piece_code, value,
                          idempotency_key=None):
        application = self._mine(actor, application_id)
        piece = self._piece(application, piece_code)
        if not piece.conditional:
            raise Conflict(codes.PIECE_NOT_CONDITIONAL, "this piece is mandatory")
        self._check_changeable(application, piece)
        released = set()
        if value and piece.status != domain.P_NC:
            released = pieces.detach(self.db.session, application, piece, self.clock(),
                                     status=domain.P_NC, propagate=False)
        elif not value and piece.status == domain.P_NC:
            piece.status, piece.updated_at = domain.P_AT, self.clock()
        self._commit_and_delete(released)
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    def get_piece_download(self, actor, application_id, piece_code):
        application, _ = access.readable_application(self.db.session, actor, application_id)
        piece = self._piece(application, piece_code)
        if not piece.document_id:
            raise NotFound(codes.NO_FILE, "no file on this piece")
        return self.documents.get_download(piece.document_id)

    @rpc(expected_exceptions=EXPECTED)
    def get_piece_template(self, actor, application_id, piece_code):
        """The form a piece asks to download, fill in and upload again."""
        application, _ = access.readable_application(self.db.session, actor, application_id)
        template = application.piece_template(piece_code)
        if not template:
            raise NotFound(codes.NO_TEMPLATE, "this piece has no template")
        return self.documents.get_download(template["template_document_id"])

    # -- candidate: transmit, cancel -----------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def transmit(self, actor, application_id, idempotency_key=None):
        application = self._mine(actor, application_id)
        now = self.clock()
        if application.status in domain.TRANSMIT_FROM and not application.cancelled:
            self._refresh_dates(application)  # the return deadline as it is now
        refusal = domain.transmit_refusal(
            application.status, application.cancelled, application.return_deadline,
            domain.paris_today(now), application.piece_statuses)
        if refusal:
            raise refusal
        application.transmitted_at = now
        history.change_status(self.db, application, domain.RE, actor, now)
        self.db.emit("application_transmitted", schemas.event(application))
        self.db.commit()
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def cancel(self, actor, application_id, idempotency_key=None):
        application = self._mine(actor, application_id)
        refusal = domain.cancel_refusal(application.status, application.cancelled,
                                        bool(application.decisions))
        if refusal:
            raise refusal
        application.cancelled_at = self.clock()
        released = pieces.release_all(application)
        self.db.emit("application_cancelled", schemas.event(application))
        self._commit_and_delete(released)
        return self._view(application)

    # -- staff: review -------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_applications(self, actor, filters=None, page=1, per_page=50, sort=None):
        """One page of the applications in the actor's scope: {items, total,
        page, per_page}; items are the list's rows (schemas.staff_list_item)."""
        actors.require_staff(actor)
        filters = schemas.list_filters(filters)
        page, per_page, sort = schemas.list_page(page, per_page, sort)
        if filters.get("centre"):
            actors.require_centre(actor, filters["centre"])
        # committee members are scoped by commission (queries), not by centre
        total, page, rows = queries.staff_list(self.db.session, actor, filters, page, per_page,
                                               sort)
        return {"items": [schemas.staff_list_item(row) for row in rows], "total": total,
                "page": page, "per_page": per_page}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_piece_status(self, actor, application_id, piece_code, status, comment=None,
                         idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        piece = self._piece(application, piece_code)
        status, comment = schemas.piece_review(status, comment)
        refusal = domain.piece_status_refusal(application.status, piece.status, status)
        if refusal:
            raise refusal
        piece.status, piece.comment, piece.updated_at = status, comment, self.clock()
        self.db.commit()
        return self._view(application, staff=True)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_file_status(self, actor, application_id, status, idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        status = schemas.file_status(status)
        refusal = domain.file_status_refusal(application.status, status,
                                             application.piece_statuses)
        if refusal:
            raise refusal
        history.change_status(self.db, application, status, actor, self.clock())
        self.db.commit()
        return self._view(application, staff=True)

    # -- staff: decisions ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def enter_decision(self, actor, application_id, code, data=None, idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id, write=True)
        refusal = domain.decision_refusal(application.status, application.cancelled)
        if refusal:
            raise refusal
        fields = domain.decision_data(code, data)
        if schemas.same_decision(application.pending_decision, code, fields):
            # already entered and waiting for validation (a second click, a retry)
            self.db.commit()
            return self._view(application, staff=True)
        application.decisions.append(Decision(
            code=code, entered_by=access.actor_label(actor)[0], entered_at=self.clock(), **fields))
        self.db.commit()
        return self._view(application, staff=True)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def validate_decision(self, actor, application_id, idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.DECIDERS)
        access.require_validator(actor, application)
        decision = application.pending_decision
        if decision is None:
            raise Conflict(codes.NOTHING_TO_VALIDATE, "no decision waiting for validation")
        refusal = domain.decision_refusal(application.status, application.cancelled)
        if refusal:
            raise refusal
        now = self.clock()
        if decision.code == domain.FA:
            self._refresh_dates(application)  # the confirmation date as it is now
        decision.validated_by, decision.validated_at = access.actor_label(actor)[0], now
        application.confirm_deadline = (
            domain.confirm_deadline(application.dates, now)
            if decision.code == domain.FA else None)
        self.db.emit("decision_validated", schemas.event(
            application, code=decision.code, comment=decision.comment, reason=decision.reason,
            rank=decision.rank, convocation=decision.convocation,
            confirm_deadline=application.confirm_deadline))
        self.db.commit()
        return self._view(application, staff=True)

    # -- candidate: answer to a favourable decision ------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def confirm(self, actor, application_id, idempotency_key=None):
        application = self._mine(actor, application_id)
        now = self.clock()
        refusal = domain.confirm_refusal(
            application.decision_code, application.confirmed_at, application.withdrawn_at,
            application.cancelled, application.confirm_deadline, domain.paris_today(now))
        if refusal:
            raise refusal
        application.confirmed_at = now
        self.db.emit("application_confirmed", schemas.event(application))
        self.db.commit()
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def withdraw(self, actor, application_id, idempotency_key=None):
        application = self._mine(actor, application_id)
        refusal = domain.withdraw_refusal(application.decision_code,
                                          application.withdrawn_at, application.cancelled)
        if refusal:
            raise refusal
        application.withdrawn_at = self.clock()
        self.db.emit("application_withdrawn", schemas.event(application, automatic=False))
        self.db.commit()
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    def get_admission_letter(self, actor, application_id):
        application, _ = access.readable_application(self.db.session, actor, application_id)
        decision = application.last_validated
        if (decision is None or decision.code != domain.FA or not application.confirmed_at
                or application.withdrawn_at or application.cancelled):
            raise Conflict(codes.NOT_CONFIRMED, "the letter comes after confirmation")
        letter = self.documents.render_admission_letter(
            schemas.admission_letter(application, decision))
        return self.documents.get_download(letter["document_id"])

    # -- helpers -------------------------------------------------------------------------

    def _mine(self, actor, application_id):
        """The candidate's own application, locked for a change."""
        return access.candidate_application(self.db.session, actor, application_id, write=True)

    @staticmethod
    def _piece(application, code):
        piece = application.piece(code)
        if piece is None:
            raise NotFound(codes.PIECE_NOT_FOUND, "no such piece on this application")
        return piece

    @staticmethod
    def _check_changeable(application, piece):
        if application.cancelled:
            raise Conflict(codes.APPLICATION_CANCELLED, "application cancelled")
        if not domain.can_change_piece(application.status, piece.status):
            raise Conflict(codes.PIECE_LOCKED, "this piece cannot change now")

    def _view(self, application, staff=False):
        return schemas.application_view(application, staff, domain.paris_today(self.clock()))

    def _refresh_dates(self, application):
        """The application's copy of its formation's dates, as the catalog has
        them now: staff may have moved them since it was made (or since the last
        formation_updated event). A formation the catalog no longer has keeps the copy."""
        read_at = utcnow().isoformat()  # the clock events are stamped with
        try:
            formation = self.catalog.get_formation(application.formation_code,
                                                   campaign=application.campaign_code or None)
        except NotFound:
            return
        schemas.refresh_dates(application, formation.get("dates") or {}, read_at)

    def _refuse_lost_upload(self, application, piece, document_id):
        """finish_piece_upload of an upload that is not the piece's current one: a
        later upload replaced it, or one started with it was kept first. Its bytes
        are deleted now; documents checks it is this piece's upload and not a kept file."""
        if self._discard_upload(application, piece, document_id):
            raise Conflict(codes.UPLOAD_SUPERSEDED, "another upload of this piece replaced it")
        raise ValidationFailed(codes.FILE_MISSING, "not the upload started for this piece",
                               {"file": codes.FILE_MISSING})

    def _discard_upload(self, application, piece, document_id):
        owner = {"candidate_id": application.candidate_id, "application_id": application.id,
                 "piece_code": piece.code}
        try:
            return self.documents.discard_upload(str(document_id), owner)["discarded"]
        except Exception:  # the refusal stands; the upload expires and is replaced later
            log.exception("could not discard upload %s", document_id)
            return False

    def _commit_and_delete(self, released):
        """Commit, then delete the files no piece points to any more: deleting
        first could lose a file still in use if the commit failed."""
        self.db.session.flush()
        unused = queries.unreferenced(self.db.session, released)
        self.db.after_commit(lambda: self._delete_documents(unused))
        self.db.commit()

    def _delete_documents(self, document_ids):
        for document_id in document_ids:
            try:
                self.documents.delete_document(document_id)
            except Exception:  # the state is committed; an orphan file is swept later
                log.exception("could not delete document %s", document_id)
