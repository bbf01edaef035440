"""The applications service (services/README.md, applications): applications,
file and piece statuses, decisions, confirmation. Entrypoints check the actor,
check the rules (domain.py), change, emit and commit once; nothing is written
when an error is raised.
"""
import logging


from services.common import actors
from services.common.clock import Clock, utcnow
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, Conflict, Forbidden, NotFound, ValidationFailed
from services.common.events import event_handler
from services.common.idempotency import idempotent
from services.common import rpc as rpc_calls
from services.common.rpc import ServiceRpc, rpc
from services.common.service_base import ServiceBase

from . import access, bulk, domain, history, jobs, notes, operations, pieces, queries, schemas
from . import exceptions as codes
from .catalog_reads import CatalogReads
from .models import Application, Base
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
    scheduled_jobs = jobs.JOBS  # reminders, automatic withdrawal and promotion, ranks (jobs.py)

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
            formation=formation, candidate=candidate, status=domain.AT, created_at=now,
            treatment_type=formation.get("treatment_type"))
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
        options = access.WHOLE + (notes.WITH_NOTES_AND_TAGS if actors.is_staff(actor) else ())
        application, staff = access.readable_application(self.db.session, actor, application_id,
                                                         options=options)
        if not staff:
            return self._view(application, staff)
        view = self._staff_view(actor, application)
        view["notes"], view["tags"] = (notes.loaded_notes(application),
                                       notes.loaded_tags(application))
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
            if schemas.refresh_dates(application, dates, payload.get("occurred_at")):
                schemas.refresh_review(application, payload.get("treatment_type"),
                                       payload.get("settings"))

    @event_handler("catalog", "commission_updated", requeue_on_error=True)
    @handle_once
    def on_commission_updated(self, payload):
        """Staff changed a commission: its live applications' copy of its address
        and alert settings follows, so the alerts it asks for from now on reach it
        (notifications reads them in the applications' events)."""
        code = payload.get("code")
        if not code or not isinstance(payload.get("alerts"), dict):
            return  # an import's event: the copy is refreshed at transmission
        for application in queries.commission_applications(self.db.session, str(code)):
            schemas.refresh_commission_contact(application, payload, payload.get("occurred_at"))

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
        # Its ValidationFailed (type, size, empty, infected...) reaches the caller unchanged.
        # The file joins the piece's others in a new merged PDF (a refused piece's
        # files are not kept: it starts again).
        stored = self.documents.confirm_upload(document_id, None, self._merge_base(piece))
        if stored.get("status") == "scanning":
            # The virus scanner is away: the file waits at documents (the piece keeps
            # what it had, and takes other files meanwhile); document_scanned attaches it.
            piece.pending_document_id = None
            self.db.commit()
            return {**self._view(application), "upload_status": "scanning"}
        released = pieces.attach(self.db.session, application, piece, stored, self.clock())
        self._commit_and_delete(released)
        return {**self._view(application), "upload_status": "stored"}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def arrange_piece_files(self, actor, application_id, piece_code, part_ids,
                            idempotency_key=None):
        """The piece's files in a new order, some removed (none left: the piece has no file)."""
        application = self._mine(actor, application_id)
        piece = self._piece(application, piece_code)
        self._check_changeable(application, piece)
        if not piece.document_id:
            raise NotFound(codes.NO_FILE, "no file on this piece")
        if isinstance(part_ids, list) and not part_ids:
            released = pieces.detach(self.db.session, application, piece, self.clock())
        else:
            stored = self.documents.arrange_piece(piece.document_id, part_ids)
            released = pieces.attach(self.db.session, application, piece, stored, self.clock())
        self._commit_and_delete(released)
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    def list_piece_files(self, actor, application_id):
        """{piece code: {"files": [the files its merged PDF is made of, in order],
        "checking": whether an upload waits for the virus scanner}}."""
        application, _ = access.readable_application(self.db.session, actor, application_id)
        bundles = [p.document_id for p in application.pieces if p.document_id]
        found = self.documents.piece_parts(bundles, application.id)
        scanning = set(found["scanning"])
        return {p.code: {"files": found["parts"].get(p.document_id, []) if p.document_id else [],
                         "checking": p.code in scanning}
                for p in application.pieces}

    @event_handler("documents", "document_scanned", requeue_on_error=True)
    @handle_once
    def on_document_scanned(self, payload):
        """A file that waited for the virus scanner was scanned: clean, it joins its
        piece (documents vouches it is that piece's) as if just uploaded, unless the
        piece cannot change any more; infected, documents removed it and logged it."""
        application_id, code = payload.get("application_id"), payload.get("piece_code")
        document_id = payload.get("document_id")
        if not application_id or not code or not document_id:
            return
        if payload.get("candidate_id") is not None:  # as the candidate's own commands do
            access.lock_candidate(self.db.session, int(payload["candidate_id"]))
        try:
            application = access._load(self.db.session, application_id, for_update=True)
        except NotFound:
            return
        piece = application.piece(code)
        if piece is None or not payload.get("clean") or application.cancelled \
                or application.archived_at is not None \
                or not domain.can_change_piece(application.status, piece.status):
            return  # nothing to attach it to now
        stored = self.documents.confirm_upload(str(document_id), None, self._merge_base(piece))
        if stored.get("status") != "stored":
            raise RuntimeError(f"document {document_id} not stored yet")  # retried later
        released = pieces.attach(self.db.session, application, piece, stored, self.clock())
        self.db.session.flush()
        unused = queries.unreferenced(self.db.session, released)
        self.db.after_commit(lambda: self._delete_documents(unused))

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
    def application_stats(self, actor, centre=None, formation=None):
        """The dashboard's figures per (centre, formation) in the actor's scope
        (schemas.stats): counts by file status, by validated decision,
        validated, waiting for validation, confirmed, withdrawn, cancelled."""
        actors.require_staff(actor)
        centre, formation = schemas.stats_scope(centre, formation)
        if centre:
            actors.require_centre(actor, centre)
        names, rows = queries.staff_stats(self.db.session, actor, centre, formation)
        return schemas.stats(names, rows)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_piece_status(self, actor, application_id, piece_code, status, comment=None,
                         expected_version=None, idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        operations.check_version(application, expected_version)
        operations.set_piece_status(self.db, actor, application, piece_code=piece_code,
                                    status=status, comment=comment, now=self.clock())
        self.db.commit()
        return self._view(application, staff=True)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_file_status(self, actor, application_id, status, expected_version=None,
                        idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        operations.check_version(application, expected_version)
        operations.set_file_status(self.db, actor, application, status=status, now=self.clock())
        self.db.commit()
        return self._view(application, staff=True)

    # -- staff: decisions ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def enter_decision(self, actor, application_id, code, data=None, expected_version=None,
                       idempotency_key=None):
        application = access.staff_application(self.db.session, actor, application_id, write=True)
        operations.check_version(application, expected_version)
        motives = self._motives() if code == domain.DE else None
        operations.enter_decision(self.db, actor, application, code=code, data=data,
                                  motives=motives, now=self.clock())
        self.db.commit()
        return self._staff_view(actor, application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def validate_decision(self, actor, application_id, expected_version=None,
                          idempotency_key=None):
        application = self._staff_write(actor, application_id, actors.DECIDERS, list_lock=True)
        access.require_validator(actor, application)
        operations.check_version(application, expected_version)
        operations.validate_decision(self.db, actor, application,
                                     refresh_dates=self._refresh_dates, now=self.clock())
        self.db.commit()
        return self._staff_view(actor, application)

    # -- staff: treatment type, overrides, paper files ----------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def validate_treatment(self, actor, application_id, expected_version=None,
                           idempotency_key=None):
        """The treatment type validated (AC, AD; never AT): on AD a favourable
        decision is entered and validated with it (automatic)."""
        application = self._staff_write(actor, application_id, actors.REVIEWERS, list_lock=True)
        operations.check_version(application, expected_version)
        now = self.clock()
        if application.treatment_type == domain.AD:
            self._refresh_dates(application)  # the confirmation date as it is now
        operations.validate_treatment(self.db, actor, application, now=now)
        self.db.commit()
        return self._staff_view(actor, application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_overrides(self, actor, application_id, return_deadline=None, confirm_deadline=None,
                      expected_version=None, idempotency_key=None):
        """This application's own deadlines: a day (not before today), "" to
        remove the override, None to leave it as it is."""
        application = self._staff_write(actor, application_id, actors.REVIEWERS)
        operations.check_version(application, expected_version)
        keep = operations.KEEP
        operations.set_overrides(
            self.db, actor, application,
            return_deadline=keep if return_deadline is None else return_deadline,
            confirm_deadline=keep if confirm_deadline is None else confirm_deadline,
            now=self.clock())
        self.db.commit()
        return self._staff_view(actor, application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def receive_paper_file(self, actor, application_id, expected_version=None,
                           idempotency_key=None):
        """A paper file arrived at a centre that is not online: AT -> RE."""
        application = self._staff_write(actor, application_id, actors.REVIEWERS)
        operations.check_version(application, expected_version)
        operations.receive_paper_file(self.db, actor, application,
                                      centre=self._current_centre(application),
                                      now=self.clock())
        self.db.commit()
        return self._staff_view(actor, application)

    def _staff_write(self, actor, application_id, roles, list_lock=False):
        """The application locked for a staff change; list_lock: its formation's
        waiting list locked first (the order every writer of the list keeps)."""
        actors.require_staff(actor, write=True)
        if roles and not actors.has_role(actor, roles):
            raise Forbidden("forbidden", f"role {actor['role']} cannot do this")
        if list_lock:
            key = queries.formation_key(self.db.session, application_id)
            if key:
                queries.lock_formation(self.db.session, *key)
        return access.staff_application(self.db.session, actor, application_id, write=True,
                                        roles=roles)

    def _staff_view(self, actor, application):
        view = self._view(application, staff=True)
        view.update(access.staff_rights(actor, application))
        return view

    def _motives(self):
        """The catalogue's refusal motives ({code, label}), as pages read them."""
        return self.catalog_reads.read(("catalog", "reference", "motive"),
                                       lambda: self.catalog.list_reference("motive"))

    # -- staff: notes, tags, bulk actions ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def add_note(self, actor, application_id, body, idempotency_key=None):
        """A note on the application's "Bloc-notes" (staff only): the notes, newest first."""
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        body = notes.note_body(body)
        notes.add_note(self.db.session, application, actor, body, self.clock())
        self.db.commit()
        return [notes.note_view(n) for n in notes.notes_of(self.db.session, application.id)]

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def set_tags(self, actor, application_id, tags, idempotency_key=None):
        """Exactly these tags (codes of the catalogue's active tags; one already
        on the application may stay though deactivated since): the tags."""
        application = access.staff_application(self.db.session, actor, application_id,
                                               write=True, roles=actors.REVIEWERS)
        access.require_not_archived(application)
        tags = notes.tag_codes(tags)
        kept = [t.tag_code for t in notes.tags_of(self.db.session, application.id)]
        notes.require_active(tags, self._tag_items() if set(tags) - set(kept) else (), kept)
        operations.set_tags(self.db, actor, application, tags=tags, now=self.clock())
        self.db.commit()
        return [notes.tag_view(t) for t in notes.tags_of(self.db.session, application.id)]

    @rpc(expected_exceptions=EXPECTED)
    def bulk_apply(self, actor, action, params, application_ids=None, filters=None,
                   idempotency_key=None):
        """One action (bulk.ACTIONS) on the applications given, or on every one
        the staff list shows with `filters` (at most bulk.MAX_APPLICATIONS):
        {done: [ids], unchanged: [ids], refused: [{id, code}], remaining: [ids],
        total}. Each application is checked and committed on its own; those not
        reached within bulk.TIME_BUDGET_SECONDS are `remaining` (bulk.py)."""
        actors.require_staff(actor, write=True)
        formations = {}

        def refresh(application):  # the catalog asked once per formation of the request
            key = (application.formation_code, application.campaign_code)
            if key not in formations:
                read_at = utcnow().isoformat()
                try:
                    found = self.catalog.get_formation(key[0], campaign=key[1] or None)
                    formations[key] = (found.get("dates") or {}, read_at)
                except NotFound:  # a formation the catalog no longer has keeps the copy
                    formations[key] = None
            if formations[key]:
                schemas.refresh_dates(application, *formations[key])

        context = bulk.Context(now=self.clock(), refresh_dates=refresh, tag_items=self._tag_items,
                               motives=self._motives)
        arguments = {"action": action, "params": params, "application_ids": application_ids,
                     "filters": filters}
        return bulk.once(self.db, f"{self.name}.bulk_apply", actor, idempotency_key, arguments,
                         lambda: bulk.run(self.db, actor, action, params, application_ids,
                                          filters, context))

    def _tag_items(self):
        """The catalogue's active tags, as last heard."""
        return self.catalog_reads.read(("catalog", "reference", "tag"),
                                       lambda: self.catalog.list_reference("tag"))

    # -- candidate: answer to a favourable decision ------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def confirm(self, actor, application_id, idempotency_key=None):
        application = self._mine(actor, application_id)
        operations.confirm(self.db, actor, application, centre=self._current_centre(application),
                           now=self.clock())
        self.db.commit()
        return self._view(application)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def withdraw(self, actor, application_id, idempotency_key=None):
        candidate_id = actors.candidate_id(actor)
        access.lock_candidate(self.db.session, candidate_id)
        key = queries.formation_key(self.db.session, application_id)
        if key:  # a promotion may follow: the waiting list before the row
            queries.lock_formation(self.db.session, *key)
        application = self._mine(actor, application_id)
        operations.withdraw(self.db, actor, application, now=self.clock())
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
    def _merge_base(piece):
        return piece.document_id if piece.status != domain.P_RE else None

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
        formation_updated event). A formation the catalog no longer has keeps the copy.
        The commission's address and alert settings follow too, read in the same
        answer: the event this step emits tells notifications whom to alert."""
        read_at = utcnow().isoformat()  # the clock events are stamped with
        try:
            formation = self.catalog.get_formation(application.formation_code,
                                                   campaign=application.campaign_code or None)
        except NotFound:
            return
        schemas.refresh_dates(application, formation.get("dates") or {}, read_at)
        schemas.refresh_commission_contact(application, formation.get("commission"), read_at)

    def _current_centre(self, application):
        """The application's centre as the catalog has it now (its online flag
        and OPI prefix may have been set since the application was made); the
        snapshot's when the catalog does not answer in time or lost the formation."""
        try:
            formation = rpc_calls.answer_or_none(self.catalog.get_formation, application.formation_code,
                                           campaign=application.campaign_code or None)
        except NotFound:
            formation = None
        return (formation or {}).get("centre") or (application.formation or {}).get("centre") or {}

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
