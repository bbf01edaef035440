"""The actor mappings tests pass as the first argument of an RPC, built one
way (services.common.actors describes them):

    staff("manager", ["SCI"], id=3)     # login and display name default to the role
    staff("committee", commissions=["SCI-INFO"], presides=[])   # any other field as given
    candidate(7)
    service("applications"), ANONYMOUS, SYSTEM

They are plain dicts: a test spreads or overrides them as it needs
(`{**staff("admin"), "role": "janitor"}`)."""
from services.common.actors import ANONYMOUS, SYSTEM, service

__all__ = ["ANONYMOUS", "SYSTEM", "candidate", "service", "staff"]


def staff(role="admin", centres=(), id=1, login=None, display_name=None, **fields):
    """A staff member as accounts hands it to the services: `fields` adds the
    rest (commissions, presides, capabilities such as can_manage_staff)."""
    login = role if login is None else login
    return {"kind": "staff", "id": id, "login": login,
            "display_name": login if display_name is None else display_name,
            "role": role, "centres": list(centres), **fields}


def candidate(id=12, **fields):
    """A candidate; `fields` adds what the gateway's session also keeps
    (dossier_number, email, names, lang)."""
    return {"kind": "candidate", "id": id, **fields}
