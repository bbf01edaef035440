"""The candidate's dossier: its sections and list entries (saved by the
candidate or corrected by staff, with the history of corrections), the
reference data its forms use, whether it is ready for an application, and
what accounts keeps of the candidate's applications (events)."""
import logging

from services.common.clock import paris_today
from services.common.errors import EXPECTED, Conflict, ValidationFailed
from services.common.events import event_handler
from services.common.db import flush_unique, handle_once
from services.common.idempotency import idempotent
from services.common.rpc import rpc

from .. import domain, schemas
from .. import exceptions as codes
from .. import queries as shared_queries
from ..shared import AccountsShared
from . import access, entries, form_schema, queries, reference, rules
from services.common import actors

log = logging.getLogger(__name__)


class DossierEntrypoints(AccountsShared):

    # -- dossier ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_dossier(self, actor, candidate_id=None):
        target, _ = access.dossier_owner(actor, candidate_id, session=self.db.session)
        return schemas.dossier_view(self._candidate(target))

    @rpc(expected_exceptions=EXPECTED)
    def save_dossier_section(self, actor, section, data, candidate_id=None):
        target, by_candidate = access.dossier_owner(actor, candidate_id, write=True,
                                                   session=self.db.session)
        schemas.check_section_name(section)
        now = self.clock()
        candidate = self._candidate(target, lock=True)
        if section == "personal" and candidate.personal_locked and by_candidate:
            raise Conflict(codes.PERSONAL_LOCKED, "personal information locked since applying")
        if candidate.campaign_code is None:  # the catalog did not answer at creation
            self._join_campaign(candidate, self._campaign_code())
        complete = domain.completeness(schemas.dossier_sections(candidate.dossier))
        if not domain.is_section_open(section, complete):
            raise Conflict(codes.SECTION_LOCKED, "complete the previous sections first")
        stored = dict(getattr(candidate.dossier, section) or {})
        if by_candidate:
            data = rules.keep_locked(section, data, stored,
                                       rules.locked_fields(candidate, section))
        clean = schemas.dossier_section(section, data, paris_today(now))
        if section == "personal":
            self._claim_ine(candidate, clean.get("ine"))
        setattr(candidate.dossier, section, clean)
        candidate.dossier.updated_at = now
        if not by_candidate:
            rules.record_change(self.db.session, candidate.id, actor, section, stored, clean, now)
        if section == "personal":
            # The identity in the dossier is the one mails and applications use.
            candidate.first_name = clean["first_name"]
            candidate.last_name = clean.get("usage_name") or clean["birth_name"]
            candidate.lang = clean["preferred_language"]
            self.db.emit("candidate_updated", schemas.updated_event(candidate))
        self.db.commit()
        return schemas.dossier_view(candidate)

    def _join_campaign(self, candidate, campaign_code):
        """The campaign of an account made while the catalog was away. An INE
        another dossier of that campaign holds is dropped from this one (as at
        a CAS login): a personal save claiming it again gets `ine_taken`."""
        if campaign_code is None:
            return
        if candidate.ine and queries.ine_holder(self.db.session, campaign_code, candidate.ine,
                                                candidate.id) is not None:
            log.warning("dossier %s: its INE is held by another dossier of campaign %s",
                        candidate.dossier_number, campaign_code)
            candidate.ine = None
            personal = dict(candidate.dossier.personal or {})
            personal.pop("ine", None)
            candidate.dossier.personal = personal
        candidate.campaign_code = campaign_code

    def _claim_ine(self, candidate, ine):
        """An INE belongs to one dossier per campaign."""
        if ine and queries.ine_holder(self.db.session, candidate.campaign_code, ine,
                                      candidate.id) is not None:
            raise ValidationFailed(codes.INVALID, "INE taken", fields={"ine": codes.INE_TAKEN})
        candidate.ine = ine or None
        # claimed by another dossier at the same moment
        flush_unique(self.db, ValidationFailed(codes.INVALID, "INE taken",
                                               fields={"ine": codes.INE_TAKEN}))

    # -- dossier lists ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def add_dossier_entry(self, actor, section, data, candidate_id=None, idempotency_key=None):
        def add(entries, clean):
            entry = {"id": domain.new_entry_id(), **clean}
            return entries + [entry], entry["id"], {}, entry
        return self._change_entries(actor, section, data, candidate_id, add)

    @rpc(expected_exceptions=EXPECTED)
    def update_dossier_entry(self, actor, section, entry_id, data, candidate_id=None):
        def update(entries, clean):
            index = rules.find_entry(entries, entry_id)
            entry = {"id": entry_id, **clean}
            return (entries[:index] + [entry] + entries[index + 1:], entry_id,
                    entries[index], entry)
        return self._change_entries(actor, section, data, candidate_id, update)

    @rpc(expected_exceptions=EXPECTED)
    def delete_dossier_entry(self, actor, section, entry_id, candidate_id=None):
        def remove(entries, clean):
            index = rules.find_entry(entries, entry_id)
            return entries[:index] + entries[index + 1:], entry_id, entries[index], {}
        return self._change_entries(actor, section, None, candidate_id, remove)

    def _change_entries(self, actor, section, data, candidate_id, change):
        target, by_candidate = access.dossier_owner(actor, candidate_id, write=True,
                                                   session=self.db.session)
        if section not in domain.LIST_SECTIONS:
            raise ValidationFailed(codes.INVALID, "unknown section",
                                   fields={"section": codes.INVALID_CHOICE})
        now = self.clock()
        candidate = self._candidate(target, lock=True)
        complete = domain.completeness(schemas.dossier_sections(candidate.dossier))
        if not domain.sections_open(complete)[section]:
            raise Conflict(codes.SECTION_LOCKED, "complete the previous sections first")
        clean = None
        if data is not None:
            clean, errors = entries.validate(section, data, paris_today(now))
            schemas.raise_if_invalid(errors)
        current = list(getattr(candidate.dossier, section) or [])
        updated, entry_id, before, after = change(current, clean)
        setattr(candidate.dossier, section, updated)
        candidate.dossier.updated_at = now
        if not by_candidate:
            rules.record_change(self.db.session, candidate.id, actor, section,
                                  {k: v for k, v in before.items() if k != "id"},
                                  {k: v for k, v in after.items() if k != "id"}, now, entry_id)
        self.db.commit()
        return schemas.dossier_view(candidate)

    @rpc(expected_exceptions=EXPECTED)
    def list_dossier_changes(self, actor, candidate_id):
        target, _ = access.dossier_owner(actor, candidate_id, session=self.db.session,
                                         staff_only=True)
        return [schemas.dossier_change(change)
                for change in queries.dossier_changes(self.db.session, target)]

    @rpc(expected_exceptions=EXPECTED)
    def communes(self, actor, postal_code=None, department=None):
        """The official communes of a postal code or a département."""
        return reference.communes(postal_code=postal_code, department=department)

    @rpc(expected_exceptions=EXPECTED)
    def reference_data(self, actor):
        """The lists the forms offer, the dossier's form schema (`form`,
        form_schema.py) and the staff roles (`staff_roles`)."""
        return reference_answer()

    @rpc(expected_exceptions=EXPECTED)
    def check_ready_to_apply(self, actor, candidate_id):
        """The applications service asks before creating an application."""
        actors.require_service(actor, "applications")
        candidate = self._candidate(candidate_id)
        complete = domain.completeness(schemas.dossier_sections(candidate.dossier))
        if not domain.is_ready_to_apply(complete):
            raise Conflict(codes.DOSSIER_INCOMPLETE, "dossier incomplete",
                           fields={s: codes.INCOMPLETE for s, done in complete.items() if not done})
        return schemas.contact(candidate)

    @rpc(expected_exceptions=EXPECTED)
    def dossiers_for_documents(self, actor, candidate_ids):
        """{candidate id: dossier (get_dossier's)} for the PDFs the applications
        service has made (dossiers, letters): one call for a whole selection.
        Unknown ids are left out."""
        actors.require_service(actor, "applications")
        ids = sorted({int(i) for i in candidate_ids or () if str(i).isdigit()})[:1000]
        found = {}
        for candidate_id in ids:
            candidate = shared_queries.candidate(self.db.session, candidate_id)
            if candidate is not None:
                found[str(candidate_id)] = schemas.dossier_view(candidate)
        return found

    # -- events -------------------------------------------------------------------------

    @event_handler("applications", "application_created", requeue_on_error=True)
    @handle_once
    def lock_personal_information(self, payload):
        """After the first application, personal information is read-only for the
        candidate; the centre's staff may now read the dossier."""
        candidate = shared_queries.candidate(self.db.session, payload.get("candidate_id"), lock=True)
        if candidate is None:  # nothing to lock; requeueing would not change that
            log.warning("application_created for unknown candidate %r",
                        payload.get("candidate_id"))
            return
        candidate.personal_locked = True
        centre = (payload.get("centre") or {}).get("code")
        if centre:
            queries.add_centre(self.db.session, candidate.id, centre)

    @event_handler("applications", "application_transmitted", requeue_on_error=True)
    @handle_once
    def record_transmitted_commission(self, payload):
        """A committee reads only the dossiers of candidates who transmitted an
        application to their commission."""
        candidate = shared_queries.candidate(self.db.session, payload.get("candidate_id"))
        if candidate is None:
            log.warning("application_transmitted for unknown candidate %r",
                        payload.get("candidate_id"))
            return
        commission = (payload.get("commission") or {}).get("code")
        if commission:
            queries.add_commission(self.db.session, candidate.id, commission)
        application_id = payload.get("application_id")
        if application_id:
            queries.record_transmitted(self.db.session, application_id, candidate.id)

    @event_handler("applications", "application_cancelled", requeue_on_error=True)
    @handle_once
    def forget_cancelled_application(self, payload):
        """A cancelled application no longer keeps its candidate from deleting
        their account."""
        queries.forget_transmitted(self.db.session, payload.get("application_id"))


def reference_answer():
    """reference_data's answer: the same for every actor (the gateway caches it)."""
    return {**reference.reference_data(), **form_schema.choice_lists(),
            "form": form_schema.form_schema(), "staff_roles": list(actors.STAFF_ROLES)}
