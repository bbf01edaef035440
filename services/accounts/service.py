"""The accounts service (services/README.md, accounts): candidate accounts and
their activation, logins of candidates and staff, the candidate's dossier.
Entrypoints check the actor, check the rules, change, emit and commit once;
nothing is written when an error is raised. Tokens and passwords are never logged.
"""
import logging

import eventlet

from nameko.exceptions import UnknownService
from nameko.timer import timer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from services.common import actors
from services.common.clock import Clock
from services.common.config import env
from services.common.db import Database, handle_once
from services.common.errors import (EXPECTED, Conflict, Forbidden, NotFound, Unavailable,
                                    ValidationFailed)
from services.common.events import event_handler
from services.common.idempotency import idempotent
from services.common.rpc import ServiceRpc, rpc
from services.common.service_base import ServiceBase

from . import (access, cas, dossier, domain, entries, flows, login_sessions, passwords, queries,
               reference, schemas, staff_admin, staff_help, students, throttle)
from . import exceptions as codes
from .models import (Base, CandidateCentre, CandidateCommission, StaffUser,
                     TransmittedApplication)

log = logging.getLogger(__name__)
CATALOG_TIMEOUT_SECONDS = 3


def cas_settings():
    return {"url": (env("CAS_URL", "") or "").rstrip("/"),
            "student_number": env("CAS_ATTR_STUDENT_NUMBER", "supannEtuId"),
            "ine": env("CAS_ATTR_INE", "supannCodeINE"),
            "mail": env("CAS_ATTR_MAIL", "mail")}


class AccountsService(ServiceBase):
    name = "accounts"
    db = Database(Base.metadata)
    clock = Clock()
    catalog = ServiceRpc("catalog")
    PURGE_SECONDS = 900

    # -- account creation and activation -----------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def register_candidate(self, actor, data, client_address=None):
        """{"sent": true} whether the address was free or not (flows.register)."""
        answer = flows.register(self.db, data, self.clock(), self._campaign_code(),
                                client_address)
        self.db.commit()
        return answer

    def _active_campaign(self):
        """The active campaign {code, label, start, end, login_until}; None
        without one, or when the catalog does not answer in time: nothing is
        refused because the catalog is away."""
        campaign = None
        try:
            with eventlet.Timeout(CATALOG_TIMEOUT_SECONDS, False):
                campaign = self.catalog.get_active_campaign()
        except (NotFound, UnknownService, Unavailable):  # Unavailable: its circuit is open
            return None
        if not isinstance(campaign, dict):
            log.warning("no active campaign from the catalog in time")
            return None
        return campaign

    def _campaign_code(self):
        """The active campaign's code (INE is unique within it), or None."""
        return (self._active_campaign() or {}).get("code")

    def _check_login_open(self, campaign):
        """Candidates cannot log in after the campaign's login_until day (Paris)."""
        until = domain.parse_day(str((campaign or {}).get("login_until") or ""))
        if until is not None and domain.paris_today(self.clock()) > until:
            raise Conflict(codes.CAMPAIGN_CLOSED, "the campaign is closed to logins",
                           fields={"login_until": until.isoformat()})

    @rpc(expected_exceptions=EXPECTED)
    def check_activation_token(self, actor, token):
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
    @idempotent(secret=("password", "password_confirm"))
    def activate_account(self, actor, token, password, password_confirm, idempotency_key=None):
        now = self.clock()
        candidate = self._candidate_for_token(token, now)
        schemas.check_new_password(password, password_confirm, schemas.personal_words(candidate))
        candidate.password_hash = passwords.hash_password(password)
        candidate.activated_at = now
        candidate.activation_token_hash = None  # single use
        candidate.activation_expires_at = None
        self.db.emit("account_activated", schemas.activated_event(candidate))
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    # -- logins -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_candidate(self, actor, login, password, client_address=None):
        valid_login = isinstance(login, str) and login.strip()
        candidate = queries.candidate_by_login(self.db.session, login) if valid_login else None
        usable = candidate is not None and candidate.activated_at is not None
        self._login(candidate, candidate.password_hash if usable else None, password,
                    "candidate", login if valid_login else "", client_address)
        self._check_login_open(self._active_campaign())
        return self._with_session(schemas.candidate_actor(candidate), "password",
                                  candidate_id=candidate.id)

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_staff(self, actor, login, password, client_address=None):
        valid_login = isinstance(login, str) and login.strip()
        user = queries.staff_by_login(self.db.session, login) if valid_login else None
        usable = user is not None and user.active
        self._login(user, user.password_hash if usable else None, password,
                    "staff", login if valid_login else "", client_address)
        return self._with_session(schemas.staff_actor(user), "password", staff_id=user.id)

    def _with_session(self, actor, method, candidate_id=None, staff_id=None):
        """The actor of a successful login and the id of its new session: the
        gateway's cookie keeps only that id (login_sessions.py)."""
        raw = login_sessions.start(self.db.session, self.clock(), method,
                                   candidate_id=candidate_id, staff_id=staff_id)
        self.db.commit()
        return {**actor, "session_id": raw}

    # -- login sessions ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def check_session(self, actor, session_id):
        """Who the session id of a gateway cookie belongs to, as they are now
        (a staff user's role and scope included): {actor, expires_at}.
        NotFound `session_ended` when it was ended, has expired or never
        existed, or its user is disabled or gone: the gateway logs out."""
        actors.require_kind(actor, "anonymous")  # the gateway, before it knows who is there
        row = login_sessions.live(self.db.session, session_id, self.clock())
        who = self._session_actor(row) if row is not None else None
        if who is None:
            raise NotFound(codes.SESSION_ENDED, "no such live session")
        return {"actor": who, "expires_at": row.expires_at.isoformat()}

    def _session_actor(self, row):
        if row.candidate_id is not None:
            candidate = queries.candidate(self.db.session, row.candidate_id)
            if candidate is None or candidate.activated_at is None:
                return None
            who = schemas.candidate_actor(candidate)
            return {**who, "origin": "cas"} if row.method == "cas" else who
        user = queries.staff_user(self.db.session, row.staff_id)
        if user is None or not user.active:
            return None
        return schemas.staff_actor(user)

    @rpc(expected_exceptions=EXPECTED)
    def end_session(self, actor, session_id):
        """Logging out: the session stops working at once. Only its own user
        ends it (anyone else: NotFound, as for an unknown id); ending an ended
        session again is no error."""
        actors.require_kind(actor, "candidate", "staff")
        row = login_sessions.find(self.db.session, session_id, lock=True)
        owner = None if row is None else \
            row.candidate_id if actor["kind"] == "candidate" else row.staff_id
        if owner is None or str(owner) != str(actor.get("id")):
            raise NotFound(codes.NOT_FOUND, "no such session")
        if row.ended_at is None:
            login_sessions.end(row, self.clock(), "logout")
            self.db.commit()
        return {"ended": True}

    def _login(self, account, password_hash, password, kind, login, client_address):
        """Checks the password, slowing down repeated failures (throttle.py);
        the same answer for every cause of refusal."""
        now = self.clock()
        session = self.db.session
        known = throttle.is_known(session, kind, account, client_address)
        keys = throttle.keys_for(kind, account, login, client_address, known=known)
        throttle.take_turn(session, keys)
        wait = throttle.retry_after(session, keys, now)
        if wait:
            raise Conflict(codes.LOGIN_THROTTLED, "too many failed logins",
                           fields={"retry_after": str(wait)})
        if not passwords.verify_password(password_hash, password):
            throttle.record_failure(session, keys, now)
            self.db.commit()
            raise ValidationFailed(codes.BAD_CREDENTIALS, "bad credentials")
        throttle.clear(session, keys)
        throttle.remember_address(session, kind, account, client_address, now)
        if passwords.needs_rehash(password_hash):
            account.password_hash = passwords.hash_password(password)
        self.db.commit()

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
            data = dossier.keep_locked(section, data, stored,
                                       dossier.locked_fields(candidate, section))
        clean = schemas.dossier_section(section, data, domain.paris_today(now))
        if section == "personal":
            self._claim_ine(candidate, clean.get("ine"))
        setattr(candidate.dossier, section, clean)
        candidate.dossier.updated_at = now
        if not by_candidate:
            dossier.record_change(self.db.session, candidate.id, actor, section, stored, clean, now)
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
        try:
            self.db.session.flush()
        except IntegrityError:  # claimed by another dossier at the same moment
            self.db.rollback()
            raise ValidationFailed(codes.INVALID, "INE taken",
                                   fields={"ine": codes.INE_TAKEN}) from None

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
            index = dossier.find_entry(entries, entry_id)
            entry = {"id": entry_id, **clean}
            return (entries[:index] + [entry] + entries[index + 1:], entry_id,
                    entries[index], entry)
        return self._change_entries(actor, section, data, candidate_id, update)

    @rpc(expected_exceptions=EXPECTED)
    def delete_dossier_entry(self, actor, section, entry_id, candidate_id=None):
        def remove(entries, clean):
            index = dossier.find_entry(entries, entry_id)
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
            clean, errors = entries.validate(section, data, domain.paris_today(now))
            schemas.raise_if_invalid(errors)
        current = list(getattr(candidate.dossier, section) or [])
        updated, entry_id, before, after = change(current, clean)
        setattr(candidate.dossier, section, updated)
        candidate.dossier.updated_at = now
        if not by_candidate:
            dossier.record_change(self.db.session, candidate.id, actor, section,
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
        return reference.reference_data()

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

    # -- CAS ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_cas(self, actor, ticket, service_url):
        """An internal student back from CAS with a ticket: their account,
        created at the first login from the student-records extract."""
        settings = cas_settings()
        if not settings["url"]:
            raise Conflict(codes.CAS_DISABLED, "CAS is not configured")
        if not isinstance(ticket, str) or not ticket or not isinstance(service_url, str):
            raise ValidationFailed(codes.CAS_TICKET_INVALID, "no ticket")
        try:
            user, attributes = cas.validate(settings["url"], service_url, ticket)
        except cas.CasRefused as exc:
            log.info("CAS ticket refused (%s)", exc)
            raise ValidationFailed(codes.CAS_TICKET_INVALID, "ticket refused") from None
        number = cas.first(attributes.get(settings["student_number"]))
        record = students.find(self.db.session, number or user,
                               cas.first(attributes.get(settings["ine"])))
        if record is None:
            raise NotFound(codes.STUDENT_NOT_FOUND, "not in the student-records extract")
        campaign = self._active_campaign()
        self._check_login_open(campaign)
        email = cas.first(attributes.get(settings["mail"])) or record.email
        candidate = flows.internal_student(self.db, user, record, email, self.clock(),
                                           lambda: (campaign or {}).get("code"))
        self.db.commit()
        return self._with_session({**schemas.candidate_actor(candidate), "origin": "cas"}, "cas",
                                  candidate_id=candidate.id)

    # -- account flows ------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def request_activation_link(self, actor, email):
        answer = flows.request_activation_link(self.db, email, self.clock())
        self.db.commit()
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def request_credentials(self, actor, email):
        answer = flows.request_credentials(self.db, email, self.clock())
        self.db.commit()
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def check_reset_token(self, actor, token):
        flows.candidate_for_reset(self.db.session, token, self.clock())
        return {"valid": True}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent(secret=("password", "password_confirm"))
    def reset_password(self, actor, token, password, password_confirm, idempotency_key=None):
        candidate = flows.candidate_for_reset(self.db.session, token, self.clock())
        schemas.check_new_password(password, password_confirm, schemas.personal_words(candidate))
        now = self.clock()
        candidate.password_hash = passwords.hash_password(password)
        candidate.reset_token_hash = candidate.reset_expires_at = None  # single use
        # Whoever knew the old password is out: their sessions end, and an
        # address change they asked for can no longer be confirmed.
        flows.drop_pending_email(candidate)
        login_sessions.end_all(self.db.session, now, "password_reset", candidate_id=candidate.id)
        throttle.clear_account(self.db.session, "candidate", candidate.id)
        self.db.emit("password_changed", schemas.password_changed_event(candidate, "reset"))
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    def _check_identity(self, candidate, password, session_id):
        """Changing the address or deleting the account takes more than a
        session (which may be stolen): the current password, or for an
        internal student (no password here) a CAS login of the last
        REAUTH_MINUTES in this session. Wrong passwords are slowed down like
        failed logins."""
        now = self.clock()
        if candidate.password_hash is None:
            row = login_sessions.live(self.db.session, session_id, now)
            if not login_sessions.is_fresh_cas_login(row, candidate.id, now):
                minutes = int(login_sessions.reauth_window().total_seconds() // 60)
                raise Conflict(codes.REAUTHENTICATION_REQUIRED, "log in through CAS again",
                               fields={"minutes": str(minutes)})
            return
        if not isinstance(password, str) or not password:
            raise ValidationFailed(codes.INVALID, "current password required",
                                   fields={"current_password": codes.REQUIRED})
        keys = throttle.keys_for("candidate", candidate, "", "")
        wait = throttle.retry_after(self.db.session, keys, now)
        if wait:
            raise Conflict(codes.LOGIN_THROTTLED, "too many wrong passwords",
                           fields={"retry_after": str(wait)})
        if not passwords.verify_password(candidate.password_hash, password):
            throttle.record_failure(self.db.session, keys, now)
            self.db.commit()
            raise ValidationFailed(codes.INVALID, "wrong current password",
                                   fields={"current_password": codes.WRONG_PASSWORD})
        throttle.clear(self.db.session, keys)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent(secret=("password",))
    def request_email_change(self, actor, email, email_confirm, password=None, session_id=None,
                             idempotency_key=None):
        candidate = self._candidate(actors.candidate_id(actor), lock=True)
        self._check_identity(candidate, password, session_id)
        answer = flows.request_email_change(self.db, candidate, email, email_confirm,
                                            self.clock())
        self.db.commit()
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def check_email_token(self, actor, token):
        candidate = flows.candidate_for_email_token(self.db.session, token, self.clock())
        return {"new_email": candidate.pending_email}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def confirm_email_change(self, actor, token, session_id=None, idempotency_key=None):
        """The new address is in force: every session of the account ends but
        the one confirming (`session_id`, when it is the account's)."""
        now = self.clock()
        answer = flows.confirm_email_change(self.db, token, now)
        login_sessions.end_all(self.db.session, now, "email_changed",
                               candidate_id=answer["candidate_id"], keep=session_id)
        self.db.commit()
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def check_email_refusal(self, actor, token):
        """What the link of the notice sent to the former address refuses:
        {email (the address it restores), new_email, confirmed, password_needed}."""
        actors.require_kind(actor)
        candidate = flows.candidate_for_refusal(self.db.session, token, self.clock())
        return flows.refusal_view(candidate)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent(secret=("password", "password_confirm"))
    def refuse_email_change(self, actor, token, password=None, password_confirm=None,
                            idempotency_key=None):
        """"I did not ask for this" from the notice sent to the former address:
        the pending change is cancelled or the former address restored, every
        session ends and, for a password account, the password given here
        replaces the one whoever asked knew. -> {email, restored}."""
        actors.require_kind(actor)
        now = self.clock()
        candidate = flows.candidate_for_refusal(self.db.session, token, now)
        with_password = flows.refusal_view(candidate)["password_needed"]
        if with_password:
            schemas.check_new_password(password, password_confirm,
                                       schemas.personal_words(candidate))
        answer = flows.refuse_email_change(self.db, candidate, now)
        replaced = answer.pop("replaced")
        login_sessions.end_all(self.db.session, now, "email_change_refused",
                               candidate_id=candidate.id)
        if with_password:
            candidate.password_hash = passwords.hash_password(password)
            candidate.reset_token_hash = candidate.reset_expires_at = None
            throttle.clear_account(self.db.session, "candidate", candidate.id)
            told = schemas.password_changed_event(candidate, "email_change_refused")
            self.db.emit("password_changed", told)
            if replaced:
                # Whoever held the former mailbox took the account back: if that
                # was not the owner (a mailbox lost or recycled), the owner, at
                # the address now replaced, hears of it too.
                self.db.emit("password_changed", {**told, "email": replaced})
        self.db.commit()
        return answer

    @rpc(expected_exceptions=EXPECTED)
    def export_my_data(self, actor):
        return flows.export(self.db.session, self._candidate(actors.candidate_id(actor)))

    @rpc(expected_exceptions=EXPECTED)
    def delete_my_account(self, actor, password=None, session_id=None):
        """Its sessions go with the account (login_sessions rows cascade)."""
        candidate = self._candidate(actors.candidate_id(actor), lock=True)
        self._check_identity(candidate, password, session_id)
        if queries.has_transmitted(self.db.session, candidate.id):
            raise Conflict(codes.ACCOUNT_HAS_TRANSMITTED,
                           "an application was transmitted: staff must delete the account")
        flows.delete_candidate(self.db, candidate, "candidate")
        self.db.commit()
        return {"deleted": True}

    @rpc(expected_exceptions=EXPECTED)
    def purge_unactivated(self, actor):
        """The scheduled purge, also callable by hand by an administrator."""
        if not (actors.is_system(actor) or (actors.is_staff(actor) and actor["role"] == "admin")):
            raise Forbidden("forbidden", "the system or an administrator only")
        done = flows.purge_unactivated(self.db, self.clock())
        throttle.forget_old_counts(self.db.session, self.clock())
        login_sessions.forget_old(self.db.session, self.clock())
        self.db.commit()
        if done["purged"]:
            log.info("purged %d accounts never activated", done["purged"])
        return done

    @timer(interval=PURGE_SECONDS)
    def purge_unactivated_on_schedule(self):
        self.purge_unactivated(actors.SYSTEM)

    # -- staff help -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def search_candidates(self, actor, text):
        actors.require_staff(actor)
        return staff_help.search(self.db.session, actor, text, self._campaign_code())

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def create_account_for(self, actor, data, idempotency_key=None):
        staff_help.require_account_role(actor)
        candidate = flows.create_account(self.db, data, self.clock(), self._campaign_code(),
                                         origin="staff", created_by=actor.get("display_name"))
        staff_help.record_creator_centres(self.db.session, actor, candidate)
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def resend_activation(self, actor, candidate_id, idempotency_key=None):
        staff_help.require_account_role(actor)
        target, _ = access.dossier_owner(actor, candidate_id, write=True, session=self.db.session,
                                         staff_only=True)
        candidate = self._candidate(target, lock=True)
        if candidate.activated_at is not None:
            raise Conflict(codes.ALREADY_ACTIVATED, "this account is already activated")
        flows.new_activation_link(self.db, candidate, self.clock())
        self.db.commit()
        return {"sent": True}

    @rpc(expected_exceptions=EXPECTED)
    def delete_account(self, actor, candidate_id):
        staff_help.require_account_role(actor)
        target, _ = access.dossier_owner(actor, candidate_id, write=True, session=self.db.session,
                                         staff_only=True)
        # Deletion wipes every application: all of them must be in the actor's scope.
        staff_help.require_every_centre(actor, queries.centres_of(self.db.session, target))
        flows.delete_candidate(self.db, self._candidate(target, lock=True), "staff")
        self.db.commit()
        return {"deleted": True}

    # -- staff users and roles ---------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_staff(self, actor):
        staff_admin.require_admin(actor)
        return [staff_admin.view(user) for user in queries.staff_users(self.db.session)]

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def create_staff(self, actor, data, idempotency_key=None):
        staff_admin.require_admin(actor)
        clean, errors = staff_admin.validate(data, True, self._known_centres(),
                                             self._known_commissions(actor))
        if "login" not in errors and queries.staff_by_login(self.db.session, clean["login"]):
            errors["login"] = codes.LOGIN_TAKEN
        if "presides" not in errors:
            errors.update(staff_admin.presidency_taken(
                staff_admin.staff_for_update(self.db.session), clean))
        schemas.raise_if_invalid(errors)
        password = clean.pop("password")
        user = StaffUser(password_hash=passwords.hash_password(password), created_at=self.clock(),
                         **clean)
        self.db.session.add(user)
        try:
            self.db.session.flush()
        except IntegrityError:  # the same login created concurrently
            self.db.rollback()
            raise ValidationFailed(codes.INVALID, "login taken",
                                   fields={"login": codes.LOGIN_TAKEN}) from None
        self.db.commit()
        return staff_admin.view(user)

    @rpc(expected_exceptions=EXPECTED)
    def update_staff(self, actor, staff_id, data):
        """Role and scope changes apply to the user's sessions within seconds
        (check_session); disabling the user or setting their password ends them."""
        staff_admin.require_admin(actor)
        user = queries.staff_user(self.db.session, staff_id, lock=True)
        if user is None:
            raise NotFound(codes.NOT_FOUND, "no such staff user")
        clean, errors = staff_admin.validate(data, False, self._known_centres(),
                                             self._known_commissions(actor), login=user.login)
        if "presides" not in errors:
            errors.update(staff_admin.presidency_taken(
                staff_admin.staff_for_update(self.db.session), clean, user.id))
        schemas.raise_if_invalid(errors)
        staff_admin.check_not_locking_out(actor, user, clean)
        password = clean.pop("password", None)
        for key, value in clean.items():
            setattr(user, key, value)
        if password:
            user.password_hash = passwords.hash_password(password)
            # staff have no reset flow: the administrator's new password lets them in
            throttle.clear_account(self.db.session, "staff", user.id)
        user.updated_at = self.clock()
        if password or not user.active:  # a copied session cookie stops working at once
            login_sessions.end_all(self.db.session, user.updated_at,
                                   "staff_password" if user.active else "staff_disabled",
                                   staff_id=user.id)
        self.db.commit()
        return staff_admin.view(user)

    def _known_centres(self):
        """The catalogue's centre codes, or None when it does not answer in time."""
        centres = None
        try:
            with eventlet.Timeout(CATALOG_TIMEOUT_SECONDS, False):
                centres = self.catalog.list_centres()
        except (UnknownService, Unavailable):
            return None
        if not isinstance(centres, list):
            return None
        return {c.get("code") for c in centres if isinstance(c, dict)}

    # -- events -------------------------------------------------------------------------

    @event_handler("applications", "application_created", requeue_on_error=True)
    @handle_once
    def lock_personal_information(self, payload):
        """After the first application, personal information is read-only for the
        candidate; the centre's staff may now read the dossier."""
        candidate = queries.candidate(self.db.session, payload.get("candidate_id"), lock=True)
        if candidate is None:  # nothing to lock; requeueing would not change that
            log.warning("application_created for unknown candidate %r",
                        payload.get("candidate_id"))
            return
        candidate.personal_locked = True
        centre = (payload.get("centre") or {}).get("code")
        if centre and centre not in queries.centres_of(self.db.session, candidate.id):
            self.db.session.add(CandidateCentre(candidate_id=candidate.id, centre_code=centre))

    @event_handler("applications", "application_transmitted", requeue_on_error=True)
    @handle_once
    def record_transmitted_commission(self, payload):
        """A committee reads only the dossiers of candidates who transmitted an
        application to their commission."""
        candidate = queries.candidate(self.db.session, payload.get("candidate_id"))
        if candidate is None:
            log.warning("application_transmitted for unknown candidate %r",
                        payload.get("candidate_id"))
            return
        commission = (payload.get("commission") or {}).get("code")
        if commission and commission not in queries.commissions_of(self.db.session, candidate.id):
            self.db.session.add(CandidateCommission(candidate_id=candidate.id,
                                                    commission_code=commission))
        application_id = payload.get("application_id")
        if application_id and self.db.session.get(TransmittedApplication, application_id) is None:
            self.db.session.add(TransmittedApplication(application_id=application_id,
                                                       candidate_id=candidate.id))

    @event_handler("applications", "application_cancelled", requeue_on_error=True)
    @handle_once
    def forget_cancelled_application(self, payload):
        """A cancelled application no longer keeps its candidate from deleting
        their account."""
        self.db.session.execute(delete(TransmittedApplication).where(
            TransmittedApplication.application_id == payload.get("application_id")))

    def _candidate(self, candidate_id, lock=False):
        candidate = queries.candidate(self.db.session, candidate_id, lock=lock)
        if candidate is None:
            raise NotFound(codes.NOT_FOUND, "no such candidate")
        return candidate

    # -- commission members: staff_users.commissions / presides -----------------

    @rpc(expected_exceptions=EXPECTED)
    def list_commission_members(self, actor, commission_code):
        """The committee members of a commission in the actor's centres:
        [{login, display_name, email, president, active}]."""
        actors.require_staff(actor)
        code = staff_admin.commission_in_scope(actor, commission_code,
                                               self._commissions_seen_by(actor))
        return staff_admin.members_of(queries.staff_users(self.db.session), code)

    @rpc(expected_exceptions=EXPECTED)
    def set_commission_members(self, actor, commission_code, members):
        """Sets who sits on a commission (members [{login, president}], committee
        users, exactly one president): admin, scol, or a manager of its centre.
        The new scope applies to their sessions within seconds (check_session)."""
        staff_admin.require_member_editor(actor)
        code = staff_admin.commission_in_scope(actor, commission_code,
                                               self._commissions_seen_by(actor))
        wanted, errors = staff_admin.member_list(members)
        schemas.raise_if_invalid(errors)
        users = staff_admin.staff_for_update(self.db.session)
        schemas.raise_if_invalid(staff_admin.check_members(users, wanted))
        changed = staff_admin.set_members(users, code, wanted, self.clock())
        self.db.emit("commission_members_changed", {
            "commission": code, "members": [{"login": login, "president": president}
                                            for login, president in sorted(wanted.items())],
            "changed": [user.login for user in changed]})
        self.db.commit()
        return staff_admin.members_of(users, code)

    def _commissions_seen_by(self, actor):
        """The catalogue's commissions (asked as this service, which sees them
        all) that lie in the staff actor's centres."""
        return staff_admin.in_centres_of(actor, self.catalog.list_commissions())

    def _known_commissions(self, actor):
        """The catalogue's commission codes (as the actor sees them: an admin
        sees all), or None when the catalogue does not answer in time."""
        commissions = None
        try:
            with eventlet.Timeout(CATALOG_TIMEOUT_SECONDS, False):
                commissions = self._commissions_seen_by(actor)
        except (UnknownService, Unavailable):
            return None
        if not isinstance(commissions, list):
            return None
        return {c.get("code") for c in commissions if isinstance(c, dict)}
