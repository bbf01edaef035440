"""The dossier's forms drawn from the schema accounts publishes in its
reference data (`form`): which fields, of which type, required or not,
offering which list. The gateway adds only words: labels and help texts it
has a translation for (else the schema's French label), translated choices."""
from flask import request

from services.common.dates import posted_date

from .i18n import LABELS, label


def _text(key, default):
    return label(key) if key in LABELS else default


def schema(ref, section):
    """The section's schema {list, fields}, or None for a section without a form."""
    return ((ref or {}).get("form") or {}).get(section)


def is_list(ref, section):
    return bool((schema(ref, section) or {}).get("list"))


def field_names(ref, section):
    return [f["name"] for f in (schema(ref, section) or {}).get("fields", ())]


def posted(ref, section, locked=()):
    """The section's values as posted (those `locked` left out): a date typed day
    first (22/11/2026) becomes ISO; one that cannot be read is sent as typed, and
    accounts refuses it on its field."""
    dates = {f["name"] for f in (schema(ref, section) or {}).get("fields", ())
             if f.get("type") == "date"}
    values = {}
    for name in field_names(ref, section):
        if name in locked:
            continue
        value = request.form.get(name, "").strip()
        values[name] = posted_date(value) if name in dates else value
    return values


def form_fields(ref, section):
    """The section's fields, ready for the page: the schema's keys plus
    `label`, `help` and, for a choice, `options` [[code, label]]."""
    found = schema(ref, section) or {}
    prefix = "entry" if found.get("list") else "field"
    fields = []
    for f in found.get("fields", ()):
        name = f["name"]
        field = {**f, "label": _text(f"{prefix}.{name}", f.get("label") or name),
                 "help": _text(f"field.{name}_help", None) if prefix == "field" else None}
        if f.get("type") == "select":
            options = (ref or {}).get(f.get("choices") or "") or []
            field["options"] = [[code, _text(f"field.{name}.{code}", _text(f"{name}.{code}", label))]
                                for code, label in options]
            if not options:  # a list the page did not get: typed in instead
                field["type"] = "text"
        fields.append(field)
    return fields
