"""Field rules of the catalogue's forms and files: every function checks
everything first and raises ValidationFailed with every wrong field; nothing
is written then. The import (transfer.py) applies the same rules per line."""
import re
from datetime import date
from urllib.parse import urlsplit

from services.common import text
from services.common.errors import ValidationFailed

from . import domain, queries
from . import exceptions as codes

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,39}")


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def _text(data, field, errors, required=False, max_length=200, pattern=None, upper=False,
          multiline=False):
    """One line of text unless `multiline` (an address typed in a text area):
    control characters refused either way (services.common.text)."""
    value = data.get(field)
    value = str(value).strip() if value is not None else ""
    if upper:
        value = value.upper()
    if not value:
        if required:
            errors[field] = codes.REQUIRED
        return None
    if text.has_control(value, multiline):
        errors[field] = codes.CONTROL_CHARACTER
    elif len(value) > max_length:
        errors[field] = codes.TOO_LONG
    elif pattern is not None and not pattern.fullmatch(value):
        errors[field] = codes.INVALID
    return text.newlines(value) if multiline else value


def _day(data, field, errors, required=False):
    value = data.get(field)
    if value in (None, ""):
        if required:
            errors[field] = codes.REQUIRED
        return None
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        errors[field] = codes.INVALID_DATE
        return None


def _count(data, field, errors, minimum=0):
    value = data.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) < minimum:
        errors[field] = codes.INVALID
        return None
    return int(value)


def _flag(data, field, default=True):
    value = data.get(field, default)
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on", "yes")


def raise_errors(errors):
    if errors:
        raise ValidationFailed(codes.INVALID, "invalid catalogue data", fields=errors)


# -- campaigns ------------------------------------------------------------------------

def campaign_values(data):
    data = data if isinstance(data, dict) else {}
    errors = {}
    values = {"code": _text(data, "code", errors, True, 20, CODE, upper=True),
              "label": _text(data, "label", errors, True, 200),
              "start": _day(data, "start", errors, True), "end": _day(data, "end", errors, True),
              "login_until": _day(data, "login_until", errors, True)}
    if values["start"] and values["end"] and values["end"] < values["start"]:
        errors["end"] = codes.DATE_ORDER
    if values["start"] and values["login_until"] and values["login_until"] < values["start"]:
        errors["login_until"] = codes.DATE_ORDER
    raise_errors(errors)
    return values


# -- centres --------------------------------------------------------------------------

def centre_values(data):
    """A centre's values; its size limit in bytes (max_file_size) or, as pages and
    files give it, in megabytes (max_file_size_mb: its errors then carry that name)."""
    data = data if isinstance(data, dict) else {}
    errors = {}
    in_megabytes = "max_file_size_mb" in data
    if in_megabytes:
        try:
            data = {**data, "max_file_size": domain.megabytes_in_bytes(data["max_file_size_mb"])}
        except ValidationFailed:
            data, errors["max_file_size_mb"] = {**data, "max_file_size": None}, codes.INVALID
    values = {"code": _text(data, "code", errors, True, 20, CODE, upper=True),
              "label": _text(data, "label", errors, True, 200),
              "address": _text(data, "address", errors, False, 1000, multiline=True),
              "email": _text(data, "email", errors, False, 254, EMAIL),
              "max_applications": _count(data, "max_applications", errors, minimum=1),
              "online": _flag(data, "online")}
    if "opi_prefix" in data:  # left as it is by forms and files without it
        values["opi_prefix"] = _text(data, "opi_prefix", errors, False, 10,
                                     domain.OPI_PREFIX, upper=True) or ""
    try:
        values["max_file_size"] = domain.check_max_file_size(data.get("max_file_size"))
    except ValidationFailed as exc:
        errors.setdefault("max_file_size_mb" if in_megabytes else "max_file_size",
                          exc.fields["max_file_size"])
    defaults = {field: data.get(f"default_{field}") for field in domain.DATE_FIELDS}
    given = {k: v for k, v in defaults.items() if v not in (None, "")}
    if given:  # default dates may be partial, but in order
        date_errors = {f: c for f, c in domain.date_errors(given).items()
                       if f in given and c != codes.REQUIRED}
        errors.update({f"default_{f}": c for f, c in date_errors.items()})
    for field in domain.ORDERED_DATES + ("date_confirm",):
        values[f"default_{field}"] = _day(defaults, field, {}) if field in given else None
    values["default_confirm_days"] = _count(defaults, "confirm_days", errors)
    raise_errors(errors)
    return values


# -- formations -----------------------------------------------------------------------

def web_url(data, field, errors):
    """An address shown to candidates as a link: http(s) with a host, nothing
    else (javascript:, data:, relative paths are refused)."""
    value = _text(data, field, errors, False, 500)
    if value and field not in errors:
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            parts = host = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not host \
                or any(c.isspace() or ord(c) < 32 for c in value):
            errors[field] = codes.INVALID_URL
    return value


def diploma_level(session, data, errors, current=None):
    """The formation's level: one of the active diploma levels of the reference
    list (by label or code, stored as the label) when that list is not empty;
    free text otherwise. A formation keeps its level if the item was deactivated."""
    value = _text(data, "level", errors, True, 100)
    if not value or "level" in errors:
        return value
    items = queries.reference_items(session, "level", include_inactive=True)
    if not items or value == current:
        return value
    for item in items:
        if item.active and value.casefold() in (item.label.casefold(), item.code.casefold()):
            return item.label
    errors["level"] = codes.INVALID_CHOICE
    return value


def formation_values(session, data, defaults_from_centre=True, current_level=None):
    """-> (values, commission) of a formation form; dates missing at creation come
    from its centre's defaults."""
    data = data if isinstance(data, dict) else {}
    errors = {}
    values = {"code": _text(data, "code", errors, True, 40, CODE, upper=True),
              "label": _text(data, "label", errors, True, 300),
              "level": diploma_level(session, data, errors, current_level),
              "keywords": _text(data, "keywords", errors, False, 1000),
              "url": web_url(data, "url", errors),
              "capacity": _count(data, "capacity", errors),
              "enabled": _flag(data, "enabled"),
              "treatment_type": _text(data, "treatment_type", errors, True, 2, upper=True)}
    if values["treatment_type"] and values["treatment_type"] not in domain.TREATMENT_TYPES:
        errors["treatment_type"] = codes.INVALID_CHOICE
    values.update(review_settings(data, errors))
    commission = None
    commission_code = _text(data, "commission", errors, True, 30, upper=True)
    if commission_code:
        commission = queries.find_commission(session, commission_code)
        if commission is None:
            errors["commission"] = codes.UNKNOWN_COMMISSION
    dates = {field: data.get(field) for field in domain.DATE_FIELDS}
    if commission is not None and defaults_from_centre:
        for field in domain.DATE_FIELDS:
            if dates[field] in (None, ""):
                dates[field] = getattr(commission.centre, f"default_{field}")
        if dates["date_confirm"] and dates["confirm_days"] not in (None, "") \
                and data.get("confirm_days") in (None, ""):
            dates["confirm_days"] = None  # the form gave a date: the default days go
    errors.update(domain.date_errors(dates))
    raise_errors(errors)
    values.update(domain.check_dates(dates))
    return values, commission


def review_settings(data, errors):
    """The review settings the form or file gives (auto_promotion, rank_display,
    reminder_days); those it leaves out keep their value (or the defaults)."""
    values = {}
    if "auto_promotion" in data:
        values["auto_promotion"] = _flag(data, "auto_promotion", default=False)
    if data.get("rank_display") not in (None, ""):
        values["rank_display"] = str(data["rank_display"]).strip().lower()
        if values["rank_display"] not in domain.RANK_DISPLAYS:
            errors["rank_display"] = codes.INVALID_CHOICE
    if data.get("reminder_days") not in (None, ""):
        values["reminder_days"] = _count(data, "reminder_days", errors)
        if values["reminder_days"] is not None and \
                values["reminder_days"] > domain.REMINDER_DAYS_MAX:
            errors["reminder_days"] = codes.INVALID
    return values


BULK_FIELDS = domain.DATE_FIELDS + ("enabled",)


def bulk_changes(formations, changes):
    """Checks the same changes (dates and/or enabled) on every formation first:
    -> [(formation, values)], or ValidationFailed with `fields`
    {"<code>.<field>": code} for every formation that would be wrong."""
    changes = {k: v for k, v in (changes or {}).items() if k in BULK_FIELDS and v not in (None, "")}
    if not changes:
        raise ValidationFailed(codes.INVALID, "nothing to change", fields={"changes": codes.REQUIRED})
    if "date_confirm" in changes:
        changes.setdefault("confirm_days", "")
    if "confirm_days" in changes and changes["confirm_days"] != "":
        changes.setdefault("date_confirm", "")
    planned, errors = [], {}
    for formation in formations:
        dates = {k: v for k, v in formation.dates().items()}
        dates.update({k: (None if v == "" else v) for k, v in changes.items()
                      if k in domain.DATE_FIELDS})
        problems = domain.date_errors(dates)
        errors.update({f"{formation.code}.{field}": code for field, code in problems.items()})
        if not problems:
            values = domain.check_dates(dates)
            if "enabled" in changes:
                values["enabled"] = _flag(changes, "enabled")
            planned.append((formation, values))
    raise_errors(errors)
    return planned


# -- commissions ----------------------------------------------------------------------

# the events a commission may be mailed about, and `digest`: those alerts as one
# mail a day instead (notifications' COMMISSION_DIGEST)
ALERTS = ("transmitted", "cancelled", "withdrawn", "promoted", "digest")


COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def commission_values(session, data):
    """-> (values, centre). Its members are kept by accounts
    (accounts.set_commission_members), not here."""
    data = data if isinstance(data, dict) else {}
    errors = {}
    values = {"code": _text(data, "code", errors, True, 30, CODE, upper=True),
              "label": _text(data, "label", errors, True, 200),
              "address": _text(data, "address", errors, False, 1000, multiline=True),
              "email": _text(data, "email", errors, False, 254, EMAIL),
              "phone": _text(data, "phone", errors, False, 30),
              "signatory": _text(data, "signatory", errors, False, 200),
              "signature_document_id": _text(data, "signature_document_id", errors, False, 36)}
    centre = None
    centre_code = _text(data, "centre", errors, True, 20, upper=True)
    if centre_code:
        centre = queries.find_centre(session, centre_code)
        if centre is None:
            errors["centre"] = codes.CENTRE_NOT_FOUND
    values["alerts"] = {name: _flag(data.get("alerts") or {}, name, default=False)
                        for name in ALERTS}
    raise_errors(errors)
    return values, centre


def check_commission_centre(session, commission, centre):
    """A commission with formations keeps its centre: its formations share the
    centre's scope (managers, limits, files), so moving it alone would split them."""
    if commission is None or commission.id is None or commission.centre_id == centre.id:
        return
    if queries.commission_has_formations(session, commission):
        raise_errors({"centre": codes.COMMISSION_HAS_FORMATIONS})


# -- reference lists (refusal motives, tags, diploma levels) ---------------------------

REFERENCE_KINDS = ("motive", "tag", "level")


def reference_values(kind, data):
    if kind not in REFERENCE_KINDS:
        raise ValidationFailed(codes.INVALID, "unknown list", fields={"kind": codes.INVALID_CHOICE})
    data = data if isinstance(data, dict) else {}
    errors = {}
    values = {"code": _text(data, "code", errors, True, 40, CODE, upper=True),
              "label": _text(data, "label", errors, True, 300),
              "order": _count(data, "order", errors) or 0,
              "active": _flag(data, "active"),
              "colour": _text(data, "colour", errors, kind == "tag", 7, COLOUR)}
    if kind != "tag":
        values["colour"] = None
    raise_errors(errors)
    return values


# -- piece definitions -----------------------------------------------------------------

def piece_values(session, data, campaign=None):
    """-> (values, scope owner row or None, centre code for the scope check or None).
    A formation owner is looked up in `campaign` (else the active one)."""
    data = data if isinstance(data, dict) else {}
    errors = {}
    values = {"code": _text(data, "code", errors, True, 40, CODE, upper=True),
              "label": _text(data, "label", errors, True, 2000),
              "order": _count(data, "order", errors) or 0,
              "conditional": _flag(data, "conditional", default=False),
              "shared": _flag(data, "shared", default=False),
              "treatment_type": _text(data, "treatment_type", errors, False, 2, upper=True),
              "template_document_id": _text(data, "template_document_id", errors, False, 36),
              "template_filename": _text(data, "template_filename", errors, False, 100)}
    if values["treatment_type"] and values["treatment_type"] not in domain.TREATMENT_TYPES:
        errors["treatment_type"] = codes.INVALID_CHOICE
    scope = str(data.get("scope") or "").strip()
    owner, centre_code = None, None
    if scope not in domain.PIECE_SCOPES:
        errors["scope"] = codes.INVALID_CHOICE
    elif scope != domain.INSTITUTION:
        owner_code = str(data.get("owner") or "").strip().upper()
        if scope == domain.CENTRE:
            owner = queries.find_centre(session, owner_code) if owner_code else None
        else:
            owner = queries.find_formation(session, owner_code, campaign=campaign)
        if owner is None:
            errors["owner"] = codes.REQUIRED if not owner_code else codes.INVALID_CHOICE
        else:
            centre_code = owner.code if scope == domain.CENTRE else owner.centre.code
    values["scope"] = scope
    raise_errors(errors)
    return values, owner, centre_code
