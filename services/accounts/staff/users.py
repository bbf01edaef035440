"""Staff users, their role and scope: administrators
create and change them; a disabled user can no longer log in.

Scope: admin and scol see every centre; a manager is attached to centres; a
committee member to commissions (some of which they preside); readonly users
read within the centres they are given."""
import re

from sqlalchemy import select

from services.common import actors, text
from services.common.errors import Conflict, Forbidden, NotFound

from .. import domain
from .. import exceptions as codes
from ..authentication import passwords
from ..models import StaffUser
from .capabilities import capabilities

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,39}")


def _codes(value):
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    if not isinstance(value, (list, tuple)):
        return None
    return sorted({str(v).strip().upper() for v in value if str(v).strip()})


def validate(data, creating, known_centres=None, known_commissions=None, login=None):
    """-> (clean, errors). `known_centres`, `known_commissions`: the catalogue's
    centre and commission codes, when known; `login`: the user's, when updating."""
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
    elif text.has_control(name):
        errors["display_name"] = codes.CONTROL_CHARACTER
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
    if role in actors.CENTRAL_OFFICE:
        clean["centres"] = []  # every centre
    if role == actors.MANAGER and not clean["centres"] and "centres" not in errors:
        errors["centres"] = codes.REQUIRED
    if role == actors.COMMITTEE and not clean["commissions"] and "commissions" not in errors:
        errors["commissions"] = codes.REQUIRED
    if role != actors.COMMITTEE:
        clean["commissions"], clean["presides"] = [], []
    if set(clean["presides"]) - set(clean["commissions"]):
        errors["presides"] = codes.INVALID_CHOICE
    if known_centres is not None and set(clean["centres"]) - set(known_centres):
        errors["centres"] = codes.UNKNOWN_CENTRE
    if known_commissions is not None and "commissions" not in errors \
            and set(clean["commissions"]) - set(known_commissions):
        errors["commissions"] = codes.UNKNOWN_COMMISSION
    clean["active"] = str(data.get("active", "1")).lower() not in ("0", "false", "off", "")
    password = data.get("password")
    if creating or password:
        if not isinstance(password, str) or not password:
            errors["password"] = codes.REQUIRED
        elif not domain.is_strong_password(password):
            errors["password"] = codes.PASSWORD_WEAK
        else:
            reason = passwords.guessable(password, passwords.personal_words(
                clean.get("login") or login, name, clean["email"]))
            if reason:
                errors["password"] = reason
        clean["password"] = password if isinstance(password, str) else ""
    return clean, errors


def check_not_locking_out(actor, user, clean):
    """An administrator cannot disable or demote themself (there must remain
    someone to administer)."""
    if user.id == actor.get("id") and (clean["role"] not in actors.ADMINISTRATORS
                                         or not clean["active"]):
        raise Conflict(codes.CANNOT_DEMOTE_SELF, "you cannot remove your own administration")


def view(user):
    return {"id": user.id, "login": user.login, "display_name": user.display_name,
            "email": user.email, "role": user.role, "centres": list(user.centres or []),
            "commissions": list(user.commissions or []), "presides": list(user.presides or []),
            "active": bool(user.active),
            "created_at": user.created_at.isoformat() if user.created_at else None,
            **capabilities(user.role)}


# -- commission members: accounts is their one source of truth -----------
# A committee member's scope is staff_users.commissions (and presides); the
# commission page of the catalogue reads and sets it here.

def require_member_editor(actor):
    """A catalogue editor: the central office, or a manager (of the commission's
    centre: commission_in_scope), as for the commission itself in the catalog."""
    actors.require_role(actor, actors.CATALOGUE_EDITORS,
                        "your role cannot change a commission's members")


def in_centres_of(actor, commissions):
    """The commissions ({code, centre, ...} from the catalog) in the staff
    actor's centres; something else than a list (no answer) stays as it is."""
    if not isinstance(commissions, list):
        return commissions
    centres = actors.staff_centres(actor)
    return [c for c in commissions
            if isinstance(c, dict) and (centres is None or c.get("centre") in centres)]


def commission_in_scope(actor, commission_code, visible):
    """`visible`: the commissions in the actor's centres (in_centres_of). -> the commission code; NotFound for admin/scol (they see every
    commission), Forbidden out_of_scope for the others (nothing learnt)."""
    code = str(commission_code or "").strip().upper()
    if code and any(isinstance(c, dict) and c.get("code") == code for c in visible or []):
        return code
    if actor.get("role") in actors.CENTRAL_OFFICE:
        raise NotFound(codes.COMMISSION_NOT_FOUND, "no such commission")
    raise Forbidden(codes.OUT_OF_SCOPE, "outside your centres")


def member_list(members):
    """-> ({login: president}, errors) of [{login, president}]: each a committee
    member's login, exactly one president (none when the list is empty)."""
    wanted, errors = {}, {}
    if not isinstance(members, (list, tuple)):
        return {}, {"members": codes.INVALID}
    for member in members:
        login = str((member or {}).get("login") or "").strip().lower() \
            if isinstance(member, dict) else ""
        if not LOGIN.fullmatch(login):
            errors["members"] = codes.INVALID
            continue
        president = str(member.get("president", "")).lower() in ("1", "true", "on", "yes")
        wanted[login] = wanted.get(login, False) or president
    presidents = sum(wanted.values())
    if wanted and presidents == 0 and not errors:
        errors["members"] = codes.PRESIDENT_REQUIRED
    elif presidents > 1:
        errors["members"] = codes.ONE_PRESIDENT
    return wanted, errors


def staff_for_update(session):
    return session.scalars(select(StaffUser).order_by(StaffUser.login).with_for_update()).all()


def presidency_taken(users, clean, user_id=None):
    """{presides: one_president} when another active user already presides one of
    the commissions `clean` presides: a commission has one president, whether it
    is set on its page (set_commission_members) or on the staff user's."""
    wanted = set(clean.get("presides") or ())
    if wanted and any(user.id != user_id and user.active and wanted & set(user.presides or ())
                      for user in users):
        return {"presides": codes.ONE_PRESIDENT}
    return {}


def check_members(users, wanted):
    """Every login an existing committee member: errors {members: unknown_login |
    not_committee}."""
    by_login = {user.login: user for user in users}
    missing = [login for login in wanted if login not in by_login]
    if missing:
        return {"members": codes.UNKNOWN_LOGIN}
    if any(by_login[login].role != actors.COMMITTEE for login in wanted):
        return {"members": codes.NOT_COMMITTEE}
    return {}


def set_members(users, commission_code, wanted, now):
    """Adds the commission (and its presidency) to the wanted members, removes
    it from everyone else. -> the users changed."""
    changed = []
    for user in users:
        commissions, presides = set(user.commissions or []), set(user.presides or [])
        if user.login in wanted:
            commissions.add(commission_code)
            if wanted[user.login]:
                presides.add(commission_code)
            else:
                presides.discard(commission_code)
        else:
            commissions.discard(commission_code)
            presides.discard(commission_code)
        if sorted(commissions) != list(user.commissions or []) or \
                sorted(presides) != list(user.presides or []):
            user.commissions, user.presides = sorted(commissions), sorted(presides)
            user.updated_at = now
            changed.append(user)
    return changed


def members_of(users, commission_code):
    """[{login, display_name, email, president, active}] of the commission."""
    return [{"login": user.login, "display_name": user.display_name, "email": user.email,
             "president": commission_code in (user.presides or []), "active": bool(user.active)}
            for user in users if commission_code in (user.commissions or [])]
