"""Who may change what in a dossier, and the record of staff changes."""
from services.common.errors import Conflict, NotFound

from .. import domain
from .. import exceptions as codes
from . import sections
from ..models import DossierChange

# What the student-records extract gives an internal student, read-only for them.
STUDENT_IDENTITY = ("civility", "birth_name", "first_name", "other_first_names", "birth_date",
                    "nationality", "birth_country", "birth_department", "birth_commune",
                    "birth_town", "ine")


def from_extract(record):
    """The identity fields the student-records extract fills in for this
    student: only those are read-only; an empty one is the student's to fill."""
    if record is None:
        return []
    return [field for field in STUDENT_IDENTITY if getattr(record, field, None)]


def readonly(candidate):
    """What the candidate cannot change themself (staff can)."""
    if candidate.personal_locked:
        personal = list(sections.FIELDS["personal"])
    elif candidate.origin == "cas":
        personal = from_extract(candidate.student_record)
    else:
        personal = []
    return {"personal": personal, "bac": candidate.origin == "cas", "internal": True}


def locked_fields(candidate, section):
    info = readonly(candidate)
    if section == "personal":
        return set(info["personal"])
    if section == "bac" and info["bac"]:
        return set(sections.FIELDS["bac"])
    return set()


def keep_locked(section, data, stored, locked):
    """The form with the read-only fields' stored values. Leaving them out or
    sending them unchanged is fine; a different value is refused (field_locked)
    and nothing is saved."""
    if not locked:
        return data
    data = dict(data if isinstance(data, dict) else {})
    sent = sections.clean(section, data)
    kept = sections.clean(section, stored)
    changed = {field: codes.FIELD_LOCKED for field in locked
               if field in sent and sent[field] != kept.get(field)}
    if changed:
        raise Conflict(codes.FIELD_LOCKED, "read-only fields", fields=changed)
    for field in locked:
        data.pop(field, None)
        if field in kept:
            data[field] = kept[field]
    return data


def find_entry(entries, entry_id):
    for index, entry in enumerate(entries):
        if entry.get("id") == entry_id:
            return index
    raise NotFound(codes.ENTRY_NOT_FOUND, "no such entry")


def record_change(session, candidate_id, actor, section, before, after, now, entry_id=None):
    """Staff (or system) changes are kept: who, when, the fields before and after."""
    before, after = domain.changed_fields(before or {}, after or {})
    if not before and not after:
        return
    session.add(DossierChange(
        candidate_id=candidate_id, section=section, entry_id=entry_id, before=before,
        after=after, by_kind=actor.get("kind"), by_id=actor.get("id"),
        by_name=actor.get("display_name") or actor.get("login"), at=now))
