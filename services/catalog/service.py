"""The catalog service (services/README.md, catalog): the offer candidates
browse, and the formation data other services snapshot (dates, contacts,
required pieces). Read-only entrypoints, open to anyone: the catalogue is public.
"""
import logging

from services.common import actors
from services.common.clock import Clock, paris_today
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.events import event_handler
from services.common.idempotency import idempotent
from services.common.rpc import ServiceRpc, rpc
from services.common.service_base import ServiceBase

from . import access, campaigns, domain, jobs, queries, schemas, transfer, validation
from . import exceptions as codes
from .models import (Base, Campaign, Centre, Commission, Formation, FormationApplication,
                     PieceDefinition, ReferenceItem)


log = logging.getLogger(__name__)

# What an import of each kind tells subscribers (formations: formation_updated each)
IMPORT_EVENTS = {"centres": "centre_updated", "commissions": "commission_updated",
                 "pieces": "piece_updated"}


class CatalogService(ServiceBase):
    name = "catalog"
    db = Database(Base.metadata)
    clock = Clock()
    documents = ServiceRpc("documents")  # the catalogue's files: templates, signatures
    scheduled_jobs = jobs.JOBS  # campaign archiving (services/catalog/jobs.py)

    @rpc(expected_exceptions=EXPECTED)
    def get_offer(self, actor, filter_text=None):
        """The enabled formations of the active campaign as a tree centre ->
        level -> formation, narrowed by the candidate's filter."""
        campaign = queries.active_campaign(self.db.session)
        if campaign is None:
            return []
        return domain.offer_tree(queries.offer_entries(self.db.session, campaign.id), filter_text,
                                 today=paris_today(self.clock()))

    @rpc(expected_exceptions=EXPECTED)
    def get_formation(self, actor, code, campaign=None):
        """Any formation by code, enabled or not, of the active campaign (or the
        campaign given: a code comes back every campaign): callers decide what a
        disabled one allows (applications refuses new applications to it).
        Staff read it within their centres (else Forbidden out_of_scope), with
        their can_edit and can_delete."""
        target = queries.campaign_of(self.db.session, campaign)
        formation = queries.formation_in_campaign(self.db.session, code, target.id) \
            if isinstance(code, str) and target is not None else None
        if formation is None:
            raise NotFound(codes.FORMATION_NOT_FOUND, f"no formation {code!r}")
        definitions = queries.piece_definitions_for(self.db.session, formation)
        pieces = domain.required_pieces([schemas.piece_definition(d) for d in definitions],
                                        formation.treatment_type)
        view = schemas.formation(formation, pieces)
        if actors.is_staff(actor):  # its edit page: within the staff member's centres
            actors.require_centre(actor, formation.centre.code)
            view.update(access.formation_rights(actor, formation))
        return view

    @rpc(expected_exceptions=EXPECTED)
    def get_active_campaign(self, actor):
        campaign = queries.active_campaign(self.db.session)
        if campaign is None:
            raise NotFound(codes.NO_ACTIVE_CAMPAIGN, "no campaign is active")
        return schemas.campaign(campaign)

    @rpc(expected_exceptions=EXPECTED)
    def list_centres(self, actor):
        """Every centre's {code, label, email} (public); with a staff actor, the
        centres in their scope with every field (the administration list)."""
        if not actors.is_staff(actor):
            return [schemas.centre_summary(c) for c in queries.centres(self.db.session)]
        centres = actors.staff_centres(actor)
        return [self._centre(actor, c) for c in queries.centres(self.db.session)
                if centres is None or c.code in centres]

    @rpc(expected_exceptions=EXPECTED)
    def centre_limits(self, actor):
        """Every centre's application limit, for a whole offer page at once
        (applications.apply_status): {code: {label, max_applications}}
        (max_applications None: only the institution's limit applies). Public."""
        return {c.code: {"label": c.label, "max_applications": c.max_applications}
                for c in queries.centres(self.db.session)}

    # -- administration ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_campaigns(self, actor):
        actors.require_staff(actor)
        return [self._campaign(actor, row) for row in queries.campaigns(self.db.session)]

    @rpc(expected_exceptions=EXPECTED)
    def get_campaign(self, actor, code):
        """One campaign (its edit page), with the actor's can_*: any staff member reads."""
        actors.require_staff(actor)
        return self._campaign(actor, queries.campaign_by_code(self.db.session, code))

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def save_campaign(self, actor, data, code=None, idempotency_key=None):
        """Creates a campaign (code None) or changes one; never an archived one."""
        access.require_role(actor, actors.ADMINISTRATORS)
        values = validation.campaign_values(data)
        session = self.db.session
        if code is None:
            campaign = Campaign(active=False, **values)
            session.add(campaign)
        else:
            campaign = queries.campaign_by_code(session, code, lock=True)
            if campaign.archived_at is not None:
                raise Conflict(codes.CAMPAIGN_ARCHIVED, "archived campaigns are frozen")
            values.pop("code")
            for key, value in values.items():
                setattr(campaign, key, value)
        self._flush_or_taken()
        self.db.emit("campaign_updated", {"code": campaign.code})
        self.db.commit()
        return self._campaign(actor, campaign)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def activate_campaign(self, actor, code, idempotency_key=None):
        access.require_role(actor, actors.ADMINISTRATORS)
        campaign = queries.campaign_by_code(self.db.session, code, lock=True)
        campaigns.activate(self.db.session, campaign)
        self.db.emit("campaign_activated", {"code": campaign.code})
        self.db.commit()
        return self._campaign(actor, campaign)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def archive_campaign(self, actor, code, idempotency_key=None):
        """Archived: its applications become read-only elsewhere (event); the
        next campaign becomes active if this one was."""
        access.require_role(actor, actors.ADMINISTRATORS)
        campaign = queries.campaign_by_code(self.db.session, code, lock=True)
        campaigns.archive_and_announce(self.db, campaign, paris_today(self.clock()))
        self.db.commit()
        return self._campaign(actor, campaign)

    @rpc(expected_exceptions=EXPECTED)
    def get_centre(self, actor, code):
        actors.require_centre(actor, str(code or "").upper())
        return self._centre(actor, queries.centre_by_code(self.db.session, code))

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def save_centre(self, actor, data, code=None, idempotency_key=None):
        """Creates a centre (admin, scol) or changes one (admin, scol, or a
        manager of that centre)."""
        if code is None:
            access.require_role(actor, actors.CENTRAL_OFFICE)
        else:
            access.require_formation_writer(actor)
            access.require_formation_scope(actor, str(code).upper())
        values = validation.centre_values(data)
        session = self.db.session
        if code is None:
            centre = Centre(**values)
            session.add(centre)
        else:
            centre = queries.centre_by_code(session, code)
            values.pop("code")
            for key, value in values.items():
                setattr(centre, key, value)
        self._flush_or_taken()
        self.db.emit("centre_updated", {"code": centre.code})
        self.db.commit()
        return self._centre(actor, centre)

    @rpc(expected_exceptions=EXPECTED)
    def list_commissions(self, actor):
        """The commissions in a staff actor's centres; every one for accounts
        (which keeps its staff users' commissions)."""
        centres = None if actors.is_service(actor, "accounts") else actors.staff_centres(actor)
        return [self._commission(actor, row) for row in queries.commissions(self.db.session)
                if centres is None or row.centre.code in centres]

    @rpc(expected_exceptions=EXPECTED)
    def get_commission(self, actor, code):
        """One commission (its page), with the actor's can_*: staff within their
        centres (else Forbidden out_of_scope)."""
        actors.require_staff(actor)
        commission = queries.find_commission(self.db.session, code)
        if commission is None:
            raise NotFound(codes.COMMISSION_NOT_FOUND, "no such commission")
        actors.require_centre(actor, commission.centre.code)
        return self._commission(actor, commission)

    @rpc(expected_exceptions=EXPECTED)
    def list_formations(self, actor, centre=None, campaign=None):
        """The formations of the active campaign (or the one given) in the actor's scope."""
        centres = actors.staff_centres(actor)
        campaign = queries.campaign_of(self.db.session, campaign)
        if campaign is None:
            return []
        return [self._formation(actor, row)
                for row in queries.formations(self.db.session, campaign.id)
                if (centres is None or row.centre.code in centres)
                and (not centre or row.centre.code == centre)]

    @rpc(expected_exceptions=EXPECTED)
    def save_formation(self, actor, data, code=None, campaign=None):
        """Creates a formation of the active campaign (or the campaign given) or
        changes one of its formations; never in an archived campaign. Dates left
        out at creation come from its centre's defaults."""
        session = self.db.session
        access.require_formation_writer(actor)
        target = self._open_campaign(campaign)
        existing = queries.formation_by_code(session, code, lock=True, campaign=target) \
            if code else None
        if existing is not None:
            access.require_formation_scope(actor, existing.centre.code)
        values, commission = validation.formation_values(session, {
            **(data or {}), **({"code": existing.code} if existing else {})},
            defaults_from_centre=existing is None,
            current_level=existing.level if existing else None)
        access.require_formation_scope(actor, commission.centre.code)  # where it goes
        if existing is not None:
            formation = existing
        else:
            formation = Formation(campaign_id=target.id)
            session.add(formation)
        for key, value in values.items():
            setattr(formation, key, value)
        formation.commission, formation.centre = commission, commission.centre
        self._flush_or_taken()
        self.db.emit("formation_updated", schemas.formation_updated(formation, target.code))
        self.db.commit()
        return self._formation(actor, formation)

    @rpc(expected_exceptions=EXPECTED)
    def bulk_update_formations(self, actor, formation_codes, changes, campaign=None):
        """The same dates and/or enabled flag on a selection of formations (of
        the active campaign, or the one given): all are checked first; one wrong
        anywhere and none changes."""
        session = self.db.session
        access.require_formation_writer(actor)
        codes_wanted = sorted({str(c).upper() for c in formation_codes or []})
        if not codes_wanted:
            raise ValidationFailed(codes.INVALID, "no formation selected",
                                   fields={"formations": codes.REQUIRED})
        target = self._open_campaign(campaign)
        formations = [queries.formation_by_code(session, c, lock=True, campaign=target)
                      for c in codes_wanted]
        for formation in formations:
            access.require_formation_scope(actor, formation.centre.code)
        planned = validation.bulk_changes(formations, changes)
        for formation, values in planned:
            for key, value in values.items():
                setattr(formation, key, value)
            self.db.emit("formation_updated", schemas.formation_updated(formation, target.code))
        self.db.commit()
        return {"updated": len(planned)}

    # -- views with the asking actor's capabilities (services/README.md, catalog) ---------

    @staticmethod
    def _campaign(actor, row):
        return {**schemas.campaign_admin(row), **access.campaign_rights(actor, row)}

    @staticmethod
    def _centre(actor, row):
        return {**schemas.centre_admin(row), **access.centre_rights(actor, row)}

    @staticmethod
    def _commission(actor, row):
        return {**schemas.commission_admin(row), "centre": row.centre.code,
                **access.commission_rights(actor, row)}

    @staticmethod
    def _formation(actor, row):
        return {**schemas.formation_admin(row), **access.formation_rights(actor, row)}

    @staticmethod
    def _piece_view(actor, row):
        return {**schemas.piece_admin(row, schemas.piece_owner(row)),
                **access.piece_rights(actor, row)}

    @rpc(expected_exceptions=EXPECTED)
    def catalogue_rights(self, actor):
        """What the actor may create or change beyond single objects (the
        catalogue pages' forms, the staff navigation): {can_*: bool}. Any actor;
        only staff get a True."""
        return access.catalogue_rights(actor)

    def _open_campaign(self, campaign=None):
        """The campaign a formation write is about (given, else the active one),
        locked against a concurrent archive; Conflict campaign_archived if frozen."""
        target = queries.campaign_of(self.db.session, campaign, lock=True)
        if target is None:
            if campaign:
                raise NotFound(codes.CAMPAIGN_NOT_FOUND, "no such campaign")
            raise NotFound(codes.NO_ACTIVE_CAMPAIGN, "no campaign is active")
        campaigns.require_open_campaign(target)
        return target

    def _flush_or_taken(self):
        """The code exists already (or was created at the same moment): code_taken."""
        flush_unique(self.db, ValidationFailed(codes.INVALID, "code taken",
                                               fields={"code": codes.CODE_TAKEN}))

    @rpc(expected_exceptions=EXPECTED)
    def catalogue_columns(self, actor):
        """{kind: {columns, required}} of the import and export files."""
        return {kind: transfer.columns_of(kind) for kind in transfer.KINDS}

    @rpc(expected_exceptions=EXPECTED)
    def export_catalogue(self, actor, kind):
        """{kind, columns, rows} of centres, commissions, formations (the active
        campaign's) or pieces, in the actor's scope: any staff role reads."""
        return transfer.export_rows(self.db.session, actor, kind)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def import_catalogue(self, actor, kind, rows, dry_run=False, idempotency_key=None):
        """Creates or changes rows of one kind from spreadsheet rows (the export's
        columns; each row's line number in `_line`). Every line is checked first;
        one wrong line and nothing changes. -> {kind, lines, created, updated,
        unchanged, dry_run, changes: [{line, action, code}]}."""
        session = self.db.session
        lines = transfer.check_import(session, actor, kind, rows)
        if not dry_run:
            active = queries.active_campaign(session)
            changed = transfer.apply(session, kind, lines, active)
            self._flush_or_taken()
            if changed:
                for formation in queries.formations_by_codes(session, active.id, changed):
                    self.db.emit("formation_updated",
                                 schemas.formation_updated(formation, active.code))
            if kind in IMPORT_EVENTS and any(line.action != "unchanged" for line in lines):
                # one event for the file: the codes are in it (pieces: the changed lines)
                self.db.emit(IMPORT_EVENTS[kind], {"imported": True, "keys": sorted(
                    {str(line.key) for line in lines if line.action != "unchanged"})})
            self.db.commit()
        return transfer.summary(kind, lines, dry_run)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def save_commission(self, actor, data, code=None, signature_upload=None,
                        idempotency_key=None):
        """A commission with its signatory, signature image and alert settings;
        its members are kept by accounts (set_commission_members).
        signature_upload: the document id of a new signature (start_upload),
        confirmed here as a PNG or JPEG once the rest is accepted; the one it
        replaces is deleted. A change that does not give `signature_document_id`
        keeps the current signature."""
        session = self.db.session
        actors.require_staff(actor, write=True)
        data = data if isinstance(data, dict) else {}
        try:
            values, centre = validation.commission_values(session, {**data,
                                                               **({"code": code} if code else {})})
            access.require_formation_scope(actor, centre.code)
            previous = None
            if code is None:
                commission = Commission()
                session.add(commission)
            else:
                commission = queries.find_commission(session, code, lock=True)
                if commission is None:
                    raise NotFound(codes.COMMISSION_NOT_FOUND, "no such commission")
                access.require_formation_scope(actor, commission.centre.code)
                validation.check_commission_centre(session, commission, centre)
                values.pop("code")
                previous = commission.signature_document_id
                if "signature_document_id" not in data:
                    values["signature_document_id"] = previous
            if signature_upload:
                values["signature_document_id"] = self._confirm_upload(
                    signature_upload, "signature")["document_id"]
            for key, value in values.items():
                setattr(commission, key, value)
            commission.centre = centre
            self._flush_or_taken()
        except Exception:
            self._forget_upload(signature_upload)
            raise
        self._forget_replaced(previous, commission.signature_document_id)
        self.db.emit("commission_updated", schemas.commission_updated(commission))
        self.db.commit()
        return self._commission(actor, commission)

    @rpc(expected_exceptions=EXPECTED)
    def list_reference(self, actor, kind, include_inactive=False):
        """A reference list (motive, tag, level), in order; open to every service.
        Deactivated items are left out of the choices (include_inactive: the
        administration page); they stay for what already uses them."""
        rights = access.reference_rights(actor)
        return [{**schemas.reference_item(row), **rights}
                for row in queries.reference_items(self.db.session, kind, include_inactive)]

    @rpc(expected_exceptions=EXPECTED)
    def save_reference_item(self, actor, kind, data):
        """Creates or changes (by code) an item of a reference list: admin, scol."""
        access.require_role(actor, actors.CENTRAL_OFFICE)
        values = validation.reference_values(kind, data)
        session = self.db.session
        row = queries.reference_item(session, kind, values["code"])
        if row is None:
            row = ReferenceItem(kind=kind)
            session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        self.db.emit("reference_item_updated", {"kind": kind, "code": row.code})
        self.db.commit()
        return {**schemas.reference_item(row), **access.reference_rights(actor)}

    @rpc(expected_exceptions=EXPECTED)
    def list_pieces(self, actor):
        """Every piece definition the actor may see (institution ones, and their
        centres' and formations')."""
        centres = actors.staff_centres(actor)
        campaign = queries.active_campaign(self.db.session)
        visible = []
        for row in queries.piece_definitions(self.db.session):
            if row.formation is not None and (campaign is None
                                              or row.formation.campaign_id != campaign.id):
                continue  # another campaign's formation: not this year's catalogue
            centre = access.piece_centre(row)
            if centres is None or centre is None or centre in centres:
                visible.append(self._piece_view(actor, row))
        return visible

    @rpc(expected_exceptions=EXPECTED)
    def get_piece(self, actor, piece_id):
        """One piece definition (its edit page), with the actor's can_*: staff
        who see it in list_pieces (institution pieces: every one; a centre's or
        formation's: within their centres, else Forbidden out_of_scope)."""
        actors.require_staff(actor)
        row = queries.piece_definition(self.db.session, piece_id)
        if row is None:
            raise NotFound(codes.PIECE_NOT_FOUND, "no such piece definition")
        centre = access.piece_centre(row)
        if centre is not None:
            actors.require_centre(actor, centre)
        return self._piece_view(actor, row)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def save_piece(self, actor, data, piece_id=None, template_upload=None,
                   idempotency_key=None):
        """A piece definition: institution, centre or formation; order,
        conditional, shared, one treatment type or all, optional template file.
        A formation's piece: of the active campaign's formation (or data
        "campaign"); never one of an archived campaign.
        template_upload: the document id of a new template (start_upload),
        confirmed here as a PDF once the rest is accepted; the one it replaces
        is deleted. A change that does not give `template_document_id` keeps the
        current template."""
        access.require_formation_writer(actor)
        session = self.db.session
        data = data if isinstance(data, dict) else {}
        try:
            values, owner, centre = validation.piece_values(session, data,
                                                            campaign=data.get("campaign"))
            access.require_piece_scope(actor, values["scope"], centre)
            if values["scope"] == domain.FORMATION:
                campaigns.require_open_campaign(owner.campaign)
            previous = None
            if piece_id is None:
                row = PieceDefinition()
                session.add(row)
            else:
                row = self._piece(piece_id, actor)
                previous = row.template_document_id
                if "template_document_id" not in data:
                    values["template_document_id"] = previous
                    values["template_filename"] = row.template_filename
            if template_upload:
                stored = self._confirm_upload(template_upload, "template")
                values["template_document_id"] = stored["document_id"]
                values["template_filename"] = stored["filename"]
            for key, value in values.items():
                setattr(row, key, value)
            row.centre = owner if values["scope"] == domain.CENTRE else None
            row.formation = owner if values["scope"] == domain.FORMATION else None
            self._flush_or_taken()
        except Exception:
            self._forget_upload(template_upload)
            raise
        self._forget_replaced(previous, row.template_document_id)
        self.db.emit("piece_updated", {"id": row.id, "code": row.code, "scope": row.scope,
                                       "owner": schemas.piece_owner(row)})
        self.db.commit()
        return self._piece_view(actor, row)

    # -- the catalogue's files (documents stores and checks them) -----------------------

    @rpc(expected_exceptions=EXPECTED)
    def start_upload(self, actor, purpose, filename, size):
        """An upload URL for a piece template (purpose "template", a PDF up to
        10 MB) or a commission signature ("signature", PNG or JPEG up to 2 MB),
        for whoever may change pieces or commissions: {document_id, put_url}.
        The file is kept only by the save it is given to (template_upload,
        signature_upload); documents' refusals name the purpose as the field.
        Not idempotent on purpose: a second ticket costs nothing, while a ticket
        answered again could point at a file already refused and deleted."""
        access.require_formation_writer(actor)
        if purpose not in domain.UPLOAD_MAX_SIZES:
            raise ValidationFailed(codes.INVALID, "unknown purpose",
                                   fields={"purpose": codes.INVALID_CHOICE})
        try:
            return self.documents.create_upload({}, filename, size,
                                                domain.UPLOAD_MAX_SIZES[purpose])
        except ValidationFailed as exc:
            raise ValidationFailed(codes.INVALID, "file refused",
                                   fields={purpose: exc.code}) from None

    def _confirm_upload(self, document_id, purpose):
        """Documents checks what arrived for the purpose and keeps it -> {document_id,
        filename, ...}; its refusal (the object already deleted) names the purpose."""
        try:
            return self.documents.confirm_upload(str(document_id), purpose)
        except ValidationFailed as exc:
            raise ValidationFailed(codes.INVALID, "file refused",
                                   fields={purpose: exc.code}) from None

    def _forget_upload(self, document_id):
        """A new file whose save was refused: nothing refers to it, it goes now."""
        if document_id:
            self._delete_document(document_id)

    def _forget_replaced(self, previous, current):
        """The file a save replaced goes once the change is committed, unless
        something else still uses it (a template assigned to several formations)."""
        if previous and previous != current:
            self.db.session.flush()
            if not queries.document_in_use(self.db.session, previous):
                self.db.after_commit(lambda: self._delete_document(previous))

    def _delete_document(self, document_id):
        try:
            self.documents.delete_document(str(document_id))
        except Exception:  # the catalogue is right; the file is an orphan in storage
            log.warning("could not delete document %s", document_id, exc_info=True)

    def _piece(self, piece_id, actor):
        """A definition the actor may change (locked); never one of an archived
        campaign's formation."""
        row = queries.piece_definition(self.db.session, piece_id, lock=True)
        if row is None:
            raise NotFound(codes.PIECE_NOT_FOUND, "no such piece definition")
        access.require_piece_scope(actor, row.scope, access.piece_centre(row))
        if row.formation is not None:
            campaigns.require_open_campaign(row.formation.campaign)
        return row

    @rpc(expected_exceptions=EXPECTED)
    def delete_piece(self, actor, piece_id):
        """Removes a piece definition: new applications no longer ask for it.
        Applications already made keep their own piece rows (and files), taken
        when they were created, so a definition in use may go."""
        access.require_formation_writer(actor)
        row = self._piece(piece_id, actor)
        self.db.session.delete(row)
        self.db.emit("piece_deleted", {"id": row.id, "code": row.code, "scope": row.scope,
                                       "owner": schemas.piece_owner(row)})
        self.db.commit()
        return {"deleted": True}

    @rpc(expected_exceptions=EXPECTED)
    def assign_piece(self, actor, data, formation_codes, campaign=None, template_upload=None):
        """One piece given to a selection of formations of the active campaign
        (or the one given): a formation-scope definition each, replaced if the
        code is there; all or nothing. template_upload: as save_piece's, one
        template for all of them."""
        session = self.db.session
        access.require_formation_writer(actor)
        data = data if isinstance(data, dict) else {}
        replaced = set()
        try:
            wanted = sorted({str(c).upper() for c in formation_codes or []})
            target = self._open_campaign(campaign) if wanted else None
            formations = [queries.formation_by_code(session, c, campaign=target) for c in wanted]
            if not formations:
                raise ValidationFailed(codes.INVALID, "no formation selected",
                                       fields={"formations": codes.REQUIRED})
            planned = []
            for formation in formations:
                values, _, _ = validation.piece_values(
                    session, {**data, "scope": domain.FORMATION, "owner": formation.code},
                    campaign=target)
                access.require_formation_scope(actor, formation.centre.code)
                planned.append((formation, values))
            stored = self._confirm_upload(template_upload, "template") if template_upload \
                else None
            for formation, values in planned:
                row = queries.formation_piece(session, formation, values["code"])
                if row is None:
                    row = PieceDefinition(formation=formation)
                    session.add(row)
                elif "template_document_id" not in data and stored is None:
                    values["template_document_id"] = row.template_document_id
                    values["template_filename"] = row.template_filename
                if stored is not None:
                    values["template_document_id"] = stored["document_id"]
                    values["template_filename"] = stored["filename"]
                if row.template_document_id:
                    replaced.add(row.template_document_id)
                for key, value in values.items():
                    setattr(row, key, value)
            session.flush()
        except Exception:
            self._forget_upload(template_upload)
            raise
        for previous in sorted(replaced):
            self._forget_replaced(previous, stored["document_id"] if stored else None)
        self.db.emit("piece_updated", {"code": data.get("code"), "scope": domain.FORMATION,
                                       "owners": [f.code for f in formations]})
        self.db.commit()
        return {"assigned": len(formations)}

    @rpc(expected_exceptions=EXPECTED)
    def delete_formation(self, actor, code, campaign=None):
        """Only a formation nobody applied to can go (the applications counted
        from applications' events); else Conflict formation_has_applications:
        close it instead. Of the active campaign (or the one given), never of
        an archived one."""
        session = self.db.session
        access.require_formation_writer(actor)
        target = self._open_campaign(campaign)
        formation = queries.formation_by_code(session, code, lock=True, campaign=target)
        access.require_formation_scope(actor, formation.centre.code)
        # a code comes back every campaign: only this campaign's applications count
        if queries.application_count(session, target.code, formation.code):
            raise Conflict(codes.FORMATION_HAS_APPLICATIONS,
                           "this formation has applications: disable it instead")
        queries.delete_formation_pieces(session, formation)
        session.delete(formation)
        self.db.emit("formation_deleted", {"code": formation.code})
        self.db.commit()
        return {"deleted": True}

    # -- events -------------------------------------------------------------------------

    @event_handler("applications", "application_created", requeue_on_error=True)
    @handle_once
    def record_application(self, payload):
        """Catalog's own count of each formation's applications."""
        formation = (payload.get("formation") or {}).get("code")
        if not (payload.get("application_id") and formation and payload.get("campaign")):
            return
        if queries.recorded_application(self.db.session, payload["application_id"]) is None:
            self.db.session.add(FormationApplication(
                application_id=payload["application_id"], formation_code=formation,
                campaign_code=payload["campaign"]))
