"""Account flows beyond registration: a new activation link,
forgotten credentials and password reset, email change, "download my data",
deletion and the purge of accounts never activated.

Functions take the worker's unit of work (`db`: session + emit) and `now`;
the entrypoint commits. Raw tokens only ever leave in the event meant for the
mail that carries them; the database keeps their SHA-256.
"""
import logging

from sqlalchemy import select

from services.common.db import flush_unique
from services.common.errors import Conflict, NotFound, ValidationFailed

from .. import domain, schemas
from .. import exceptions as codes
from ..dossier import queries as dossier_queries
from . import queries, throttle
from ..models import Candidate, Dossier, DossierChange

log = logging.getLogger(__name__)
NEUTRAL = {"sent": True}
PURGE_BATCH = 500


def clean_email(value, field="email"):
    """The trimmed address, or ValidationFailed for a missing or malformed one."""
    email = value.strip() if isinstance(value, str) else ""
    if not email:
        raise ValidationFailed(codes.INVALID, "email required", fields={field: codes.REQUIRED})
    if not domain.is_valid_email(email):
        raise ValidationFailed(codes.INVALID, "invalid email", fields={field: codes.INVALID_EMAIL})
    return email


# -- creation (web, staff) ------------------------------------------------------------

def _dead(holder, now):
    """An account never activated in time is dead (purged, start
    again): its email is free again, its dossier number stays issued."""
    return (holder.activated_at is None and holder.origin != "cas"
            and domain.is_expired(holder.activation_expires_at, now))


def _new_account(db, clean, holder, now, campaign_code, origin, created_by=None):
    """The account, its dossier and the candidate_registered event (the
    activation mail), replacing `holder` (a dead account of that address) if
    any. None when the address was registered at the same moment (rolled back)."""
    session = db.session
    if holder is not None:
        delete_candidate(db, holder, "unactivated")
        session.flush()
    token = domain.new_activation_token()
    candidate = Candidate(
        dossier_number=queries.issue_dossier_number(session, now), email=clean["email"],
        email_key=domain.email_key(clean["email"]), last_name=clean["last_name"],
        first_name=clean["first_name"], lang=clean["lang"],
        activation_token_hash=domain.token_hash(token),
        activation_expires_at=domain.activation_expiry(now), created_at=now,
        personal_locked=False, campaign_code=campaign_code, origin=origin,
        created_by=created_by, dossier=Dossier(personal={}, address={}, bac={}))
    session.add(candidate)
    if not flush_unique(db):  # the same email registered concurrently
        return None
    db.emit("candidate_registered", schemas.registered_event(candidate, token))
    return candidate


def create_account(db, data, now, campaign_code, origin="staff", created_by=None):
    """create_account_for: staff are told when the address already has an
    account (`email_taken`)."""
    session = db.session
    clean, errors = schemas.registration(data)
    holder = None if "email" in errors else queries.candidate_by_email(session, clean["email"])
    if holder is not None and not _dead(holder, now):
        errors["email"] = codes.EMAIL_TAKEN
    schemas.raise_if_invalid(errors)
    candidate = _new_account(db, clean, holder, now, campaign_code, origin, created_by)
    if candidate is None:
        raise ValidationFailed(codes.INVALID, "email taken", fields={"email": codes.EMAIL_TAKEN})
    return candidate


def register(db, data, now, campaign_code, client_address=None):
    """register_candidate: the same answer whether the address has an account or
    not, so the form does not tell who is registered. A free address gets its
    account and the activation mail; an address with an account gets nothing
    new, and its owner a mail saying so, with their dossier number and the way
    to log in or recover their credentials (at most throttle.MAIL_LIMIT an
    hour). At most REGISTRATIONS_PER_HOUR registrations from one client address
    (Conflict registration_throttled, whatever the addresses registered)."""
    session = db.session
    clean, errors = schemas.registration(data)
    schemas.raise_if_invalid(errors)
    wait = throttle.registration_wait(session, client_address, now)
    if wait:
        raise Conflict(codes.REGISTRATION_THROTTLED, "too many registrations from this address",
                       fields={"retry_after": str(wait)})
    holder = queries.candidate_by_email(session, clean["email"], lock=True)
    if holder is None or _dead(holder, now):
        if _new_account(db, clean, holder, now, campaign_code, "web") is not None:
            return NEUTRAL
        holder = queries.candidate_by_email(db.session, clean["email"])  # registered meanwhile
    if holder is not None and throttle.mail_allowed(session, "already_exists", holder.email, now):
        db.emit("account_already_exists", schemas.already_exists_event(holder))
    return NEUTRAL


def new_activation_link(db, candidate, now):
    token = domain.new_activation_token()
    candidate.activation_token_hash = domain.token_hash(token)
    candidate.activation_expires_at = domain.activation_expiry(now)
    db.emit("activation_requested", schemas.activation_requested_event(candidate, token))


# -- "J'ai perdu mon code d'activation", "J'ai oublié mes identifiants" -----------------

# At most throttle.MAIL_LIMIT mails of one flow per address and hour: beyond
# that the answer stays the same and nothing is sent (no inbox flooding).

def request_activation_link(db, email, now):
    candidate = queries.candidate_by_email(db.session, clean_email(email), lock=True)
    if (candidate is not None and candidate.activated_at is None
            and not domain.is_expired(candidate.activation_expires_at, now)
            and throttle.mail_allowed(db.session, "activation", candidate.email, now)):
        new_activation_link(db, candidate, now)
    return NEUTRAL


def request_credentials(db, email, now):
    candidate = queries.candidate_by_email(db.session, clean_email(email), lock=True)
    if candidate is None:
        return NEUTRAL
    if candidate.activated_at is None:
        return request_activation_link(db, email, now)
    if not throttle.mail_allowed(db.session, "credentials", candidate.email, now):
        return NEUTRAL
    if candidate.origin == "cas":  # no password here: they log in through CAS
        db.emit("credentials_requested", schemas.credentials_event(candidate, None))
        return NEUTRAL
    token = domain.new_activation_token()
    candidate.reset_token_hash = domain.token_hash(token)
    candidate.reset_expires_at = domain.expiry(now, domain.reset_hours())
    db.emit("credentials_requested", schemas.credentials_event(candidate, token))
    return NEUTRAL


def candidate_for_reset(session, token, now):
    candidate = queries.candidate_by_token(session, token, Candidate.reset_token_hash)
    if candidate is None:
        raise NotFound(codes.TOKEN_INVALID, "unknown or used reset link")
    if domain.is_expired(candidate.reset_expires_at, now):
        raise Conflict(codes.TOKEN_EXPIRED, "reset link expired")
    return candidate


# -- email change ---------------------------------------------------------------------------

def request_email_change(db, candidate, email, email_confirm, now):
    new = clean_email(email)
    confirm = email_confirm.strip() if isinstance(email_confirm, str) else ""
    if domain.email_key(confirm) != domain.email_key(new):
        raise ValidationFailed(codes.INVALID, "emails differ",
                               fields={"email_confirm": codes.EMAIL_MISMATCH})
    if domain.email_key(new) == candidate.email_key:
        raise ValidationFailed(codes.INVALID, "same email", fields={"email": codes.SAME_EMAIL})
    # What the candidate sees afterwards (the answer, the pending address on
    # the account page) is the same whether the address has an account or
    # not, and whether the hour's mails are used up: the pending address and
    # a fresh token's hash are stored in every case. Only a free address
    # within the mail limit gets the link; a taken one's token never leaves
    # (and confirm_email_change refuses a taken address anyway).
    token = domain.new_activation_token()
    candidate.pending_email = new
    candidate.email_token_hash = domain.token_hash(token)
    candidate.email_token_expires_at = domain.expiry(now, domain.email_change_hours())
    if (queries.candidate_by_email(db.session, new) is None
            and throttle.mail_allowed(db.session, "email_change", new, now)):
        db.emit("email_change_requested", schemas.email_change_event(candidate, token))
    announce_email_change(db, candidate, now)
    return NEUTRAL


def announce_email_change(db, candidate, now):
    """The address in force before the change is told, with a link to refuse
    it (EMAIL_UNDO_HOURS). While that window is open, further changes are told
    to that same first address: a second change cannot hide the first."""
    if candidate.email_undo_address is None or domain.is_expired(
            candidate.email_undo_expires_at, now):
        candidate.email_undo_address = candidate.email
    # Beyond the hour's mails nothing is sent and the link already mailed
    # stays the working one.
    if not throttle.mail_allowed(db.session, "email_change_notice",
                                 candidate.email_undo_address, now):
        return
    token = domain.new_activation_token()
    candidate.email_undo_token_hash = domain.token_hash(token)
    candidate.email_undo_expires_at = domain.expiry(now, domain.email_undo_hours())
    db.emit("email_change_announced", schemas.email_change_notice_event(candidate, token))


def drop_pending_email(candidate):
    """An address change waiting for confirmation is dropped: its link dies."""
    candidate.pending_email = candidate.email_token_hash = candidate.email_token_expires_at = None


def candidate_for_email_token(session, token, now):
    candidate = queries.candidate_by_token(session, token, Candidate.email_token_hash)
    if candidate is None or not candidate.pending_email:
        raise NotFound(codes.TOKEN_INVALID, "unknown or used email link")
    if domain.is_expired(candidate.email_token_expires_at, now):
        raise Conflict(codes.TOKEN_EXPIRED, "email link expired")
    return candidate


def confirm_email_change(db, token, now):
    candidate = candidate_for_email_token(db.session, token, now)
    new = candidate.pending_email
    other = queries.candidate_by_email(db.session, new)
    if other is not None and other.id != candidate.id:
        raise ValidationFailed(codes.INVALID, "email taken", fields={"email": codes.EMAIL_TAKEN})
    candidate.email, candidate.email_key = new, domain.email_key(new)
    drop_pending_email(candidate)
    # taken by a registration at the same moment
    flush_unique(db, ValidationFailed(codes.INVALID, "email taken",
                                      fields={"email": codes.EMAIL_TAKEN}))
    db.emit("candidate_updated", schemas.updated_event(candidate))
    return {"email": candidate.email, "candidate_id": candidate.id}


# -- "I did not ask for this": refusing from the former address ---------------------------

def candidate_for_refusal(session, token, now):
    candidate = queries.candidate_by_token(session, token, Candidate.email_undo_token_hash)
    if candidate is None or not candidate.email_undo_address:
        raise NotFound(codes.TOKEN_INVALID, "unknown or used refusal link")
    if domain.is_expired(candidate.email_undo_expires_at, now):
        raise Conflict(codes.TOKEN_EXPIRED, "refusal link expired")
    return candidate


def refusal_view(candidate):
    """What refusing does: {email: the address kept or restored, new_email,
    confirmed: whether the new address is already in force, password_needed}."""
    confirmed = domain.email_key(candidate.email_undo_address) != candidate.email_key
    return {"email": candidate.email_undo_address,
            "new_email": candidate.email if confirmed else candidate.pending_email,
            "confirmed": confirmed, "password_needed": candidate.origin != "cas"}


def refuse_email_change(db, candidate, now):
    """Back to the former address with no change pending (the caller ends the
    sessions and sets the new password). The former address is taken only by
    an account never activated (its link went to that same mailbox, e.g. a
    registration made to block this): that account goes. -> {email, restored},
    and `replaced`: the address that was in force, when it is not any more."""
    old = candidate.email_undo_address
    restored = domain.email_key(old) != candidate.email_key
    replaced = candidate.email if restored else None
    if restored:
        holder = queries.candidate_by_email(db.session, old, lock=True)
        if holder is not None and holder.id != candidate.id:
            if holder.activated_at is not None or holder.origin == "cas":
                raise Conflict(codes.OLD_EMAIL_TAKEN, "another account uses the former address")
            delete_candidate(db, holder, "unactivated")
            db.session.flush()
        candidate.email, candidate.email_key = old, domain.email_key(old)
    drop_pending_email(candidate)
    candidate.email_undo_address = candidate.email_undo_token_hash = None  # single use
    candidate.email_undo_expires_at = None
    # the address registered again at that very moment
    flush_unique(db, Conflict(codes.OLD_EMAIL_TAKEN, "another account uses the former address"))
    if restored:
        db.emit("candidate_updated", schemas.updated_event(candidate))
    return {"email": candidate.email, "restored": restored, "replaced": replaced}


# -- data, deletion, purge -----------------------------------------------------------------

def export(session, candidate):
    changes = session.scalars(select(DossierChange).where(
        DossierChange.candidate_id == candidate.id).order_by(DossierChange.at.desc())).all()
    view = schemas.dossier_view(candidate)
    dossier = {key: value for key, value in view.items() if key != "candidate"}
    return {"account": schemas.account_export(candidate), "dossier": dossier,
            "changes": [schemas.dossier_change(change) for change in changes]}


def delete_candidate(db, candidate, reason):
    """The account and everything it owns here go (the dossier, its history by
    cascade); the other services forget the candidate on account_deleted. The
    dossier number stays issued, never to be given again."""
    db.emit("account_deleted", schemas.deleted_event(candidate, reason))
    db.session.delete(candidate)


def purge_unactivated(db, now):
    """Accounts not activated before their link expired."""
    expired = db.session.scalars(
        select(Candidate).where(Candidate.activated_at.is_(None), Candidate.origin != "cas",
                                Candidate.activation_expires_at <= now)
        .order_by(Candidate.id).limit(PURGE_BATCH).with_for_update(skip_locked=True)).all()
    for candidate in expired:
        delete_candidate(db, candidate, "unactivated")
    return {"purged": len(expired)}


# -- internal students (CAS) -------------------------------------------------------------------

def internal_student(db, cas_user, record, email, now, campaign_code):
    """The account of a student back from CAS: found by CAS user or student
    number, else created (activated, no password). Identity, bac and internal
    record are refreshed from the extract at every login."""
    from ..dossier import students
    session = db.session
    candidate = session.scalars(select(Candidate).where(
        (Candidate.cas_user == cas_user) | (Candidate.student_number == record.student_number))
        .with_for_update()).first()
    if candidate is None:
        if not email or not domain.is_valid_email(email):
            raise ValidationFailed(codes.CAS_TICKET_INVALID, "no usable email address")
        if queries.candidate_by_email(session, email) is not None:
            raise Conflict(codes.CAS_EMAIL_TAKEN, "a candidate account uses this address")
        candidate = Candidate(
            dossier_number=queries.issue_dossier_number(session, now), email=email,
            email_key=domain.email_key(email), last_name=record.usage_name or record.birth_name,
            first_name=record.first_name, lang="fr", created_at=now, activated_at=now,
            personal_locked=False, campaign_code=campaign_code(), origin="cas",
            dossier=Dossier(personal={}, address={}, bac={}))
        session.add(candidate)
        created = True
    else:
        created = False
    candidate.cas_user, candidate.student_number = cas_user, record.student_number
    if candidate.campaign_code is None:  # the catalog did not answer at creation
        candidate.campaign_code = campaign_code()
    personal, bac, internal = students.dossier_parts(record, candidate.dossier.personal)
    ine = personal.get("ine")
    if ine and dossier_queries.ine_holder(session, candidate.campaign_code, ine, candidate.id) is not None:
        personal.pop("ine")  # another dossier of the campaign holds it: staff sort it out
        log.warning("CAS login: the extract's INE of a student is held by another dossier")
    candidate.ine = personal.get("ine")
    candidate.dossier.personal, candidate.dossier.bac = personal, bac
    candidate.dossier.internal = internal
    candidate.first_name = personal.get("first_name") or candidate.first_name
    candidate.last_name = personal.get("usage_name") or personal.get("birth_name") \
        or candidate.last_name
    # the same student's first login twice at once
    flush_unique(db, Conflict(codes.CAS_EMAIL_TAKEN, "account created meanwhile: log in again"))
    db.emit("account_activated" if created else "candidate_updated",
            schemas.updated_event(candidate))
    return candidate
