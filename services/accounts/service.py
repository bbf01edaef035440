"""The accounts service (services/README.md, accounts): candidate accounts and
their activation, logins of candidates and staff, the candidate's dossier.
Entrypoints check the actor, check the rules, change, emit and commit once;
nothing is written when an error is raised. Tokens and passwords are never logged.
"""
import logging

from nameko.events import event_handler
from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from services.common.clock import Clock
from services.common.db import Database, handle_once
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.service_base import ServiceBase

from . import access, domain, passwords, queries, reference, schemas
from . import exceptions as codes
from .models import Base, Candidate, CandidateCentre, Dossier

log = logging.getLogger(__name__)


class AccountsService(ServiceBase):
    name = "accounts"
    db = Database(Base.metadata)
    clock = Clock()

    # -- account creation and activation -----------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def register_candidate(self, data):
        now = self.clock()
        session = self.db.session
        clean, errors = schemas.registration(data)
        holder = None if "email" in errors else queries.candidate_by_email(session, clean["email"])
        # An account never activated in time is dead (DOMAIN.md 2: purged, start
        # again): its email is free again, its dossier number stays issued.
        expired = (holder is not None and holder.activated_at is None
                   and domain.is_expired(holder.activation_expires_at, now))
        if holder is not None and not expired:
            errors["email"] = codes.EMAIL_TAKEN
        schemas.raise_if_invalid(errors)
        if expired:
            session.delete(holder)
            session.flush()
        token = domain.new_activation_token()
        candidate = Candidate(
            dossier_number=queries.issue_dossier_number(session, now), email=clean["email"],
            email_key=domain.email_key(clean["email"]), last_name=clean["last_name"],
            first_name=clean["first_name"], lang=clean["lang"],
            activation_token_hash=domain.token_hash(token),
            activation_expires_at=domain.activation_expiry(now), created_at=now,
            personal_locked=False, dossier=Dossier(personal={}, address={}, bac={}))
        session.add(candidate)
        try:
            session.flush()
        except IntegrityError:  # the same email registered concurrently
            self.db.rollback()
            raise ValidationFailed(codes.INVALID, "email taken",
                                   fields={"email": codes.EMAIL_TAKEN}) from None
        self.db.emit("candidate_registered", schemas.registered_event(candidate, token))
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    @rpc(expected_exceptions=EXPECTED)
    def check_activation_token(self, token):
        """Whether an activation link still works, before asking for a password."""
        self._candidate_for_token(token, self.clock())
        return {"valid": True}

    def _candidate_for_token(self, token, now):
        candidate = (queries.candidate_by_token(self.db.session, token)
                     if isinstance(token, str) and token else None)
        if candidate is None:
            raise NotFound(codes.TOKEN_INVALID, "unknown or used activation link")
        if domain.is_expired(candidate.activation_expires_at, now):
            raise Conflict(codes.TOKEN_EXPIRED, "activation link expired")
        return candidate

    @rpc(expected_exceptions=EXPECTED)
    def activate_account(self, token, password, password_confirm):
        now = self.clock()
        candidate = self._candidate_for_token(token, now)
        schemas.check_new_password(password, password_confirm)
        candidate.password_hash = passwords.hash_password(password)
        candidate.activated_at = now
        candidate.activation_token_hash = None  # single use
        candidate.activation_expires_at = None
        self.db.emit("account_activated", schemas.activated_event(candidate))
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    # -- logins -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_candidate(self, login, password):
        candidate = (queries.candidate_by_login(self.db.session, login)
                     if isinstance(login, str) and login.strip() else None)
        usable = candidate is not None and candidate.activated_at is not None
        if not passwords.verify_password(candidate.password_hash if usable else None, password):
            raise ValidationFailed(codes.BAD_CREDENTIALS, "bad credentials")
        if passwords.needs_rehash(candidate.password_hash):
            candidate.password_hash = passwords.hash_password(password)
            self.db.commit()
        return schemas.candidate_actor(candidate)

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_staff(self, login, password):
        user = (queries.staff_by_login(self.db.session, login)
                if isinstance(login, str) and login.strip() else None)
        if not passwords.verify_password(user.password_hash if user else None, password):
            raise ValidationFailed(codes.BAD_CREDENTIALS, "bad credentials")
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
            self.db.commit()
        return schemas.staff_actor(user)

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
        complete = domain.completeness(schemas.dossier_sections(candidate.dossier))
        if not domain.is_section_open(section, complete):
            raise Conflict(codes.SECTION_LOCKED, "complete the previous sections first")
        clean = schemas.dossier_section(section, data, domain.paris_today(now))
        setattr(candidate.dossier, section, clean)
        candidate.dossier.updated_at = now
        if section == "personal":
            # The identity in the dossier is the one mails and applications use.
            candidate.first_name = clean["first_name"]
            candidate.last_name = clean.get("usage_name") or clean["birth_name"]
            candidate.lang = clean["preferred_language"]
            self.db.emit("candidate_updated", schemas.updated_event(candidate))
        self.db.commit()
        return schemas.dossier_view(candidate)

    @rpc(expected_exceptions=EXPECTED)
    def reference_data(self):
        return reference.reference_data()

    @rpc(expected_exceptions=EXPECTED)
    def check_ready_to_apply(self, candidate_id):
        candidate = self._candidate(candidate_id)
        complete = domain.completeness(schemas.dossier_sections(candidate.dossier))
        if not domain.is_ready_to_apply(complete):
            raise Conflict(codes.DOSSIER_INCOMPLETE, "dossier incomplete",
                           fields={s: codes.INCOMPLETE for s, done in complete.items() if not done})
        return schemas.contact(candidate)

    # -- events -------------------------------------------------------------------------

    @event_handler("applications", "application_created", requeue_on_error=True)
    @handle_once
    def lock_personal_information(self, payload):
        """After the first application, personal information is read-only for the
        candidate (DOMAIN.md 3)."""
        candidate = queries.candidate(self.db.session, payload.get("candidate_id"), lock=True)
        if candidate is None:  # nothing to lock; requeueing would not change that
            log.warning("application_created for unknown candidate %r",
                        payload.get("candidate_id"))
            return
        candidate.personal_locked = True
        centre = (payload.get("centre") or {}).get("code")
        if centre and centre not in queries.centres_of(self.db.session, candidate.id):
            self.db.session.add(CandidateCentre(candidate_id=candidate.id, centre_code=centre))

    def _candidate(self, candidate_id, lock=False):
        candidate = queries.candidate(self.db.session, candidate_id, lock=lock)
        if candidate is None:
            raise NotFound(codes.NOT_FOUND, "no such candidate")
        return candidate
