"""Staff notes ("Bloc-notes") and tags on an application: what staff tell each
other about a file. Neither is ever shown to the candidate (only the staff view
of an application carries them).

A tag is the code of one of the catalogue's reference items of kind "tag";
new tags must be active items, a tag deactivated since it was put on an
application stays there until someone removes it.
"""
from datetime import datetime, timezone

from sqlalchemy import delete, func, literal, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import with_expression

from services.common import text
from services.common.errors import ValidationFailed

from . import exceptions as codes
from .access import actor_label
from .models import Application, ApplicationNote, ApplicationTag

NOTE_MAX = 2000
TAGS_MAX = 20       # tags on one application
TAG_CODE_MAX = 40   # as the catalogue's codes


# -- inputs ------------------------------------------------------------------------

def note_body(body):
    """A note as stored: 1 to NOTE_MAX characters, line breaks kept (as LF),
    no other control character."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(codes.INVALID, "a note needs a text", {"body": "required"})
    body = text.newlines(body.strip())
    if len(body) > NOTE_MAX:
        raise ValidationFailed(codes.INVALID, f"at most {NOTE_MAX} characters",
                               {"body": "too_long"})
    if text.has_control(body, multiline=True):
        raise ValidationFailed(codes.INVALID, "control character in the note",
                               {"body": codes.CONTROL_CHARACTER})
    return body


def tag_codes(tags):
    """A list of tag codes, without duplicates, in the order given."""
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, (list, tuple)) or len(tags) > TAGS_MAX or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= TAG_CODE_MAX for t in tags):
        raise ValidationFailed(codes.INVALID, "a list of tag codes", {"tags": "invalid"})
    return list(dict.fromkeys(t.strip() for t in tags))


def require_active(tags, active_items, kept=()):
    """`tags` are active tags of the catalogue (or already on the application: `kept`)."""
    active = {item.get("code") for item in active_items or ()}
    unknown = [t for t in tags if t not in active and t not in set(kept)]
    if unknown:
        raise ValidationFailed(codes.INVALID, f"unknown tags {unknown}",
                               {"tags": "invalid_choice"})
    return tags


# -- reads and writes ------------------------------------------------------------------

def notes_of(session, application_id):
    """The application's notes, newest first."""
    return list(session.scalars(
        select(ApplicationNote).where(ApplicationNote.application_id == application_id)
        .order_by(ApplicationNote.created_at.desc(), ApplicationNote.id.desc())))


def tags_of(session, application_id):
    """The application's tags, in the order they were put on."""
    return list(session.scalars(
        select(ApplicationTag).where(ApplicationTag.application_id == application_id)
        .order_by(ApplicationTag.added_at, ApplicationTag.tag_code)))


def add_note(session, application, actor, body, now):
    note = ApplicationNote(application_id=application.id, author_id=actor.get("id"),
                           author_name=actor_label(actor)[0], body=body, created_at=now)
    session.add(note)
    return note


def add_tags(session, application, actor, tags, now):
    """Puts the tags not there yet; the codes added (none: nothing changed)."""
    there = {t.tag_code for t in tags_of(session, application.id)}
    added = [t for t in tags if t not in there]
    for code in added:
        session.add(ApplicationTag(application_id=application.id, tag_code=code,
                                   added_by=actor_label(actor)[0], added_at=now))
    return added


def remove_tags(session, application, tags):
    """Takes the tags off; the codes removed (none: nothing changed)."""
    there = {t.tag_code for t in tags_of(session, application.id)}
    removed = [t for t in tags if t in there]
    if removed:
        session.execute(delete(ApplicationTag).where(
            ApplicationTag.application_id == application.id,
            ApplicationTag.tag_code.in_(removed)))
    return removed


def _json_list(model, order, **fields):
    """Correlated subquery: the application's rows of `model` as a JSON list."""
    row = func.json_build_object(*(x for name, column in fields.items()
                                   for x in (literal(name), column)))
    return (select(func.coalesce(func.json_agg(aggregate_order_by(row, *order)),
                                 sql_text("'[]'::json")))
            .where(model.application_id == Application.id)
            .correlate(Application).scalar_subquery())


# Options of the application's load: its notes (newest first) and tags come with its row.
WITH_NOTES_AND_TAGS = (
    with_expression(Application.staff_notes, _json_list(
        ApplicationNote, (ApplicationNote.created_at.desc(), ApplicationNote.id.desc()),
        id=ApplicationNote.id, author_id=ApplicationNote.author_id,
        author_name=ApplicationNote.author_name, body=ApplicationNote.body,
        created_at=ApplicationNote.created_at)),
    with_expression(Application.staff_tags, _json_list(
        ApplicationTag, (ApplicationTag.added_at, ApplicationTag.tag_code),
        code=ApplicationTag.tag_code, added_by=ApplicationTag.added_by,
        added_at=ApplicationTag.added_at)),
)


def _iso(value):
    """A timestamp as PostgreSQL's JSON writes it, as the service's other ones (UTC ISO)."""
    return datetime.fromisoformat(value).astimezone(timezone.utc).isoformat()


def loaded_notes(application):
    """The notes loaded with WITH_NOTES_AND_TAGS, as note_view."""
    return [{**n, "created_at": _iso(n["created_at"])} for n in application.staff_notes or ()]


def loaded_tags(application):
    return [{**t, "added_at": _iso(t["added_at"])} for t in application.staff_tags or ()]


# -- views -------------------------------------------------------------------------------

def note_view(note):
    return {"id": note.id, "author_id": note.author_id, "author_name": note.author_name,
            "body": note.body, "created_at": note.created_at.isoformat()}


def tag_view(tag):
    return {"code": tag.tag_code, "added_by": tag.added_by,
            "added_at": tag.added_at.isoformat()}
