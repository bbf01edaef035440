"""Input validation (-> ValidationFailed with field codes) and the JSON-safe
dicts the accounts service returns and publishes (services/README.md, accounts)."""
from services.common import text
from services.common.errors import ValidationFailed

from . import domain
from . import exceptions as codes
from .authentication import passwords
from .dossier import reference, sections

NAME_MAX_LENGTH = 100
REGISTRATION_FIELDS = ("last_name", "first_name", "email", "email_confirm")


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def raise_if_invalid(errors):
    if errors:
        raise ValidationFailed(codes.INVALID, "invalid input", fields=errors)


# -- input ------------------------------------------------------------------------

def registration(data):
    """-> (clean, errors) of the account creation form; the caller adds
    `email_taken`, which needs the database."""
    data = data if isinstance(data, dict) else {}
    values = {field: _text(data.get(field)) for field in REGISTRATION_FIELDS}
    errors = {field: codes.REQUIRED for field in REGISTRATION_FIELDS if not values[field]}
    for field in ("last_name", "first_name"):
        if text.has_control(values[field]):
            errors[field] = codes.CONTROL_CHARACTER
        elif len(values[field]) > NAME_MAX_LENGTH:
            errors[field] = codes.TOO_LONG
    email, confirm = values["email"], values["email_confirm"]
    if email and not domain.is_valid_email(email):
        errors["email"] = codes.INVALID_EMAIL
    elif email and confirm and domain.email_key(email) != domain.email_key(confirm):
        errors["email_confirm"] = codes.EMAIL_MISMATCH
    lang = _text(data.get("lang")).lower() or "fr"
    if lang not in reference.codes_of(reference.LANGUAGES):
        errors["lang"] = codes.INVALID_CHOICE
    clean = {"last_name": values["last_name"], "first_name": values["first_name"],
             "email": email, "lang": lang}
    return clean, errors


def check_new_password(password, password_confirm, personal=()):
    """The rule (domain.is_strong_password), then how guessable it is given
    `personal` (passwords.personal_words of the account)."""
    errors = {}
    if not isinstance(password, str) or not password:
        errors["password"] = codes.REQUIRED
    else:
        if not domain.is_strong_password(password):
            errors["password"] = codes.PASSWORD_WEAK
        else:
            reason = passwords.guessable(password, personal)
            if reason:
                errors["password"] = reason
        if password_confirm != password:
            errors["password_confirm"] = codes.PASSWORD_MISMATCH
    raise_if_invalid(errors)


def personal_words(candidate):
    """What a guesser knows of a candidate, for check_new_password."""
    return passwords.personal_words(candidate.first_name, candidate.last_name, candidate.email,
                                    candidate.dossier_number)


def check_section_name(section):
    if section not in domain.SECTIONS:
        raise ValidationFailed(codes.INVALID, "unknown section",
                               fields={"section": codes.INVALID_CHOICE})


def dossier_section(section, data, today):
    """The section as it will be stored, or ValidationFailed with every wrong field."""
    clean, errors = sections.validate(section, data, today)
    raise_if_invalid(errors)
    return clean


# -- output -----------------------------------------------------------------------

def candidate_summary(candidate):
    return {"id": candidate.id, "dossier_number": candidate.dossier_number,
            "email": candidate.email, "last_name": candidate.last_name,
            "first_name": candidate.first_name, "lang": candidate.lang}


def candidate_actor(candidate):
    return {"kind": "candidate", "id": candidate.id,
            "dossier_number": candidate.dossier_number, "email": candidate.email,
            "first_name": candidate.first_name, "last_name": candidate.last_name,
            "lang": candidate.lang}


def staff_actor(user):
    """The staff actor, with the capabilities of its role (staff/capabilities.py)."""
    from .staff.capabilities import capabilities
    return {"kind": "staff", "id": user.id, "login": user.login,
            "display_name": user.display_name, "role": user.role,
            "centres": list(user.centres or []),
            "commissions": list(user.commissions or []),
            "presides": list(user.presides or []),
            "preferences": dict(user.preferences or {}), **capabilities(user.role)}


def dossier_sections(dossier):
    return {s: dict(getattr(dossier, s) or {}) for s in domain.SECTIONS}


def dossier_view(candidate):
    from .dossier.rules import readonly
    data = dossier_sections(candidate.dossier)
    complete = domain.completeness(data)
    lists = {s: [dict(e) for e in getattr(candidate.dossier, s) or []]
             for s in ("internal", *domain.LIST_SECTIONS)}
    return {"candidate": candidate_summary(candidate), **data, **lists, "complete": complete,
            "open": domain.sections_open(complete), "readonly": readonly(candidate),
            "origin": candidate.origin, "pending_email": candidate.pending_email,
            "personal_locked": bool(candidate.personal_locked),
            "ready_to_apply": domain.is_ready_to_apply(complete)}


def contact(candidate):
    """Who applies: what applications keeps of the candidate (check_ready_to_apply)."""
    return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number,
            "email": candidate.email,
            "civility": (candidate.dossier.personal or {}).get("civility"),
            "first_name": candidate.first_name, "last_name": candidate.last_name,
            "lang": candidate.lang}


def _identity(candidate):
    return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number,
            "email": candidate.email, "first_name": candidate.first_name,
            "last_name": candidate.last_name, "lang": candidate.lang}


def registered_event(candidate, token):
    """The only place the raw activation token goes: to the activation mail."""
    return {**_identity(candidate), "activation_token": token,
            "activation_expires_at": candidate.activation_expires_at}


def already_exists_event(candidate):
    """Someone tried to register the address of this account: its mail tells
    the owner (dossier number, how to log in or recover the credentials)."""
    return {**_identity(candidate), "activated": candidate.activated_at is not None,
            "cas": candidate.origin == "cas"}


def activated_event(candidate):
    return _identity(candidate)


def updated_event(candidate):
    return {**_identity(candidate), "civility": (candidate.dossier.personal or {}).get("civility")}


def activation_requested_event(candidate, token):
    return {**_identity(candidate), "activation_token": token,
            "activation_expires_at": candidate.activation_expires_at}


def credentials_event(candidate, token):
    """The dossier number and, for a password account, a reset link (its mail)."""
    return {**_identity(candidate), "reset_token": token,
            "reset_expires_at": candidate.reset_expires_at if token else None,
            "cas": candidate.origin == "cas"}


def email_change_event(candidate, token):
    """Sent to the new address; the current one stays in force until confirmed."""
    return {**_identity(candidate), "new_email": candidate.pending_email, "email_token": token,
            "email_token_expires_at": candidate.email_token_expires_at}


def email_change_notice_event(candidate, token):
    """To the address in force before the change (`notice_to`), with the link
    that refuses it."""
    return {**_identity(candidate), "notice_to": candidate.email_undo_address,
            "new_email": candidate.pending_email, "undo_token": token,
            "undo_expires_at": candidate.email_undo_expires_at,
            "cas": candidate.origin == "cas"}


def password_changed_event(candidate, reason):
    """A new password (reason: reset, email_change_refused): the owner is told."""
    return {**_identity(candidate), "reason": reason}


def deleted_event(candidate, reason):
    return {**_identity(candidate), "reason": reason,
            "civility": ((candidate.dossier.personal if candidate.dossier else None)
                         or {}).get("civility")}


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def account_export(candidate):
    """What the account holds, for "Télécharger mes données": never a hash or token."""
    return {"dossier_number": candidate.dossier_number, "email": candidate.email,
            "pending_email": candidate.pending_email, "last_name": candidate.last_name,
            "first_name": candidate.first_name, "lang": candidate.lang,
            "origin": candidate.origin, "campaign_code": candidate.campaign_code,
            "student_number": candidate.student_number, "ine": candidate.ine,
            "created_at": _iso(candidate.created_at), "activated_at": _iso(candidate.activated_at)}


def dossier_change(change):
    return {"at": _iso(change.at), "by_name": change.by_name, "by_kind": change.by_kind,
            "section": change.section, "entry_id": change.entry_id,
            "before": dict(change.before or {}), "after": dict(change.after or {})}
