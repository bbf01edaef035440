"""Authentication: registration and activation, candidate and staff logins
(throttled), login sessions, CAS, password and email flows, the candidate's
own account (export, deletion). The purge of accounts never activated is a
scheduled job (services/accounts/jobs.py).
Tokens and passwords are never logged."""
import logging

from services.common import actors
from services.common.clock import paris_today
from services.common.config import env
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.idempotency import idempotent
from services.common.rpc import rpc

from .. import domain, schemas
from .. import exceptions as codes
from ..dossier import queries as dossier_queries
from .. import queries as shared_queries
from ..dossier import students
from ..shared import AccountsShared
from ..staff import queries as staff_queries
from . import cas, flows, login_sessions, passwords, queries, throttle

log = logging.getLogger(__name__)


def cas_settings():
    return {"url": (env("CAS_URL", "") or "").rstrip("/"),
            "student_number": env("CAS_ATTR_STUDENT_NUMBER", "supannEtuId"),
            "ine": env("CAS_ATTR_INE", "supannCodeINE"),
            "mail": env("CAS_ATTR_MAIL", "mail")}


class AuthenticationEntrypoints(AccountsShared):
    # -- account creation and activation -----------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def register_candidate(self, actor, data, client_address=None):
        """{"sent": true} whether the address was free or not (flows.register)."""
        answer = flows.register(self.db, data, self.clock(), self._campaign_code(),
                                client_address)
        self.db.commit()
        return answer

    def _check_login_open(self, campaign):
        """Candidates cannot log in after the campaign's login_until day (Paris)."""
        until = domain.parse_day(str((campaign or {}).get("login_until") or ""))
        if until is not None and paris_today(self.clock()) > until:
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
        user = staff_queries.staff_by_login(self.db.session, login) if valid_login else None
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
            candidate = shared_queries.candidate(self.db.session, row.candidate_id)
            if candidate is None or candidate.activated_at is None:
                return None
            who = schemas.candidate_actor(candidate)
            return {**who, "origin": "cas"} if row.method == "cas" else who
        user = staff_queries.staff_user(self.db.session, row.staff_id)
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
        if dossier_queries.has_transmitted(self.db.session, candidate.id):
            raise Conflict(codes.ACCOUNT_HAS_TRANSMITTED,
                           "an application was transmitted: staff must delete the account")
        flows.delete_candidate(self.db, candidate, "candidate")
        self.db.commit()
        return {"deleted": True}
