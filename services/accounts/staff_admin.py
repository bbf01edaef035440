"""Staff users, their role and scope (DOMAIN.md 1, issue 4): administrators
create and change them; a disabled user can no longer log in.

Scope: admin and scol see every centre; a manager is attached to centres; a
committee member to commissions (some of which they preside); readonly users
read within the centres they are given."""
import re

from services.common import actors
from services.common.errors import Conflict, Forbidden, ValidationFailed

from . import domain
from . import exceptions as codes

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,39}")


def require_admin(actor):
    actors.require_staff(actor, write=True)
    if actor.get("role") != "admin":
        raise Forbidden("forbidden", "administrators only")


def _codes(value):
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    if not isinstance(value, (list, tuple)):
        return None
    return sorted({str(v).strip().upper() for v in value if str(v).strip()})


def validate(data, creating, known_centres=None):
    """-> (clean, errors). `known_centres`: the catalogue's centre codes, when known."""
    data = data if isinstance(data, dict) else {}
    clean, errors = {}, {}
    if creating:
        login = str(data.get("login") or "").strip().lower()
        if not login:
            errors["login"] = codes.REQUIRED
        elif not LOGIN.fullmatch(login):
            errors["login"] = codes.INVALID
        clean["login"] = login
    name = str(data.get("display_name") or "").strip()
    if not name:
        errors["display_name"] = codes.REQUIRED
    elif len(name) > 200:
        errors["display_name"] = codes.TOO_LONG
    clean["display_name"] = name
    email = str(data.get("email") or "").strip()
    if email and not domain.is_valid_email(email):
        errors["email"] = codes.INVALID_EMAIL
    clean["email"] = email or None
    role = str(data.get("role") or "").strip()
    if role not in actors.STAFF_ROLES:
        errors["role"] = codes.INVALID_CHOICE if role else codes.REQUIRED
    clean["role"] = role
    for field in ("centres", "commissions", "presides"):
        values = _codes(data.get(field) or [])
        if values is None or any(not CODE.fullmatch(v) for v in values):
            errors[field] = codes.INVALID
            values = []
        clean[field] = values
    if role in actors.ALL_CENTRES_ROLES:
        clean["centres"] = []  # every centre
    if role == "manager" and not clean["centres"] and "centres" not in errors:
        errors["centres"] = codes.REQUIRED
    if role == "committee" and not clean["commissions"] and "commissions" not in errors:
        errors["commissions"] = codes.REQUIRED
    if role != "committee":
        clean["commissions"], clean["presides"] = [], []
    if set(clean["presides"]) - set(clean["commissions"]):
        errors["presides"] = codes.INVALID_CHOICE
    if known_centres is not None and set(clean["centres"]) - set(known_centres):
        errors["centres"] = codes.UNKNOWN_CENTRE
    clean["active"] = str(data.get("active", "1")).lower() not in ("0", "false", "off", "")
    password = data.get("password")
    if creating or password:
        if not isinstance(password, str) or not password:
            errors["password"] = codes.REQUIRED
        elif not domain.is_strong_password(password):
            errors["password"] = codes.PASSWORD_WEAK
        clean["password"] = password if isinstance(password, str) else ""
    return clean, errors


def check_not_locking_out(actor, user, clean):
    """An administrator cannot disable or demote themself (there must remain
    someone to administer)."""
    if user.id == actor.get("id") and (clean["role"] != "admin" or not clean["active"]):
        raise Conflict(codes.CANNOT_DEMOTE_SELF, "you cannot remove your own administration")


def view(user):
    return {"id": user.id, "login": user.login, "display_name": user.display_name,
            "email": user.email, "role": user.role, "centres": list(user.centres or []),
            "commissions": list(user.commissions or []), "presides": list(user.presides or []),
            "active": bool(user.active),
            "created_at": user.created_at.isoformat() if user.created_at else None}
