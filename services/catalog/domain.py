"""The catalogue's rules as plain functions of plain
values: no database, no broker.

- the order of a formation's dates, and its confirmation rule;
- the pieces an application to a formation requires;
- the offer tree the candidate browses, and its text filter ("Filtre").
"""
import re
from datetime import date

from services.common.errors import ValidationFailed
from services.common.text import fold

from . import exceptions as codes

TREATMENT_TYPES = ("AC", "AD", "AT")  # accès contrôlé, accès direct, à trancher
RANK_DISPLAYS = ("none", "entered", "real")  # the waiting-list rank candidates see
REMINDER_DAYS_MAX = 60
OPI_PREFIX = re.compile(r"[A-Z0-9]{0,10}")

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
MAX_FILE_SIZE_CAP = 10 * 1024 * 1024  # what an admin may raise a centre's limit to

# In the order the system enforces (each one on or after the previous one).
ORDERED_DATES = ("date_open", "date_close", "date_return", "date_jury", "date_publish")
DATE_FIELDS = ORDERED_DATES + ("date_confirm", "confirm_days")

INSTITUTION, CENTRE, FORMATION = "institution", "centre", "formation"
PIECE_SCOPES = (INSTITUTION, CENTRE, FORMATION)

# The catalogue's own files, stored by documents and checked there by content for
# their purpose (a template: a PDF; a signature pasted into letters: PNG or JPEG):
# purpose -> the largest size accepted.
UPLOAD_MAX_SIZES = {"template": 10 * 1024 * 1024, "signature": 2 * 1024 * 1024}
# When a code is defined at several levels, the most specific definition wins.
SCOPE_PRECEDENCE = {INSTITUTION: 0, CENTRE: 1, FORMATION: 2}


# -- dates -------------------------------------------------------------------------

def _day(value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def date_errors(dates: dict) -> dict:
    """{field: code} of what is wrong with a formation's dates; empty when they
    are valid. Codes: required, invalid_date, date_order (before the previous
    date), confirm_rule_required (neither date_confirm nor confirm_days),
    confirm_rule_conflict (both), invalid (confirm_days not a positive integer)."""
    errors, days = {}, {}
    for field in ORDERED_DATES + ("date_confirm",):
        try:
            days[field] = _day(dates.get(field))
        except (TypeError, ValueError):
            errors[field] = codes.INVALID_DATE
    for field in ORDERED_DATES:
        if field not in errors and days[field] is None:
            errors[field] = codes.REQUIRED

    previous = None
    for field in ORDERED_DATES + ("date_confirm",):
        day = days.get(field)
        if day is None:
            continue
        if previous is not None and day < previous:
            errors.setdefault(field, codes.DATE_ORDER)
        previous = day

    confirm_days = dates.get("confirm_days")
    if confirm_days not in (None, ""):
        if isinstance(confirm_days, bool) or not str(confirm_days).isdigit() \
                or int(confirm_days) <= 0:
            errors["confirm_days"] = codes.INVALID
    has_date = days.get("date_confirm") is not None or "date_confirm" in errors
    has_days = confirm_days not in (None, "")
    if has_date and has_days:
        errors.setdefault("confirm_days", codes.CONFIRM_RULE_CONFLICT)
    elif not has_date and not has_days:
        errors["date_confirm"] = codes.CONFIRM_RULE_REQUIRED
    return errors


def check_dates(dates: dict) -> dict:
    """The dates as `date`s (confirm_days as an int), or ValidationFailed."""
    errors = date_errors(dates)
    if errors:
        raise ValidationFailed(codes.INVALID_DATES, "formation dates out of order", errors)
    checked = {field: _day(dates.get(field)) for field in ORDERED_DATES + ("date_confirm",)}
    confirm_days = dates.get("confirm_days")
    checked["confirm_days"] = int(confirm_days) if confirm_days not in (None, "") else None
    return checked


def megabytes_in_bytes(text) -> str:
    """A size typed in megabytes on a page or in a file ("2", "1,5") -> bytes as
    text, "" when empty (the default size); anything else is not a size."""
    text = str(text or "").replace(",", ".").replace(" ", "")
    if not text:
        return ""
    try:
        return str(round(float(text) * 1024 * 1024))
    except (ValueError, OverflowError):  # "deux", "nan", "1e400"
        raise ValidationFailed(codes.INVALID, "not a size in megabytes",
                               {"max_file_size": codes.INVALID}) from None


def check_max_file_size(size) -> int:
    """A centre's upload limit in bytes: positive, at most 10 MB; None -> 2 MB."""
    if size in (None, ""):
        return DEFAULT_MAX_FILE_SIZE
    if isinstance(size, bool) or not str(size).isdigit() or int(size) <= 0:
        raise ValidationFailed(codes.INVALID, "not a size in bytes",
                               {"max_file_size": codes.INVALID})
    if int(size) > MAX_FILE_SIZE_CAP:
        raise ValidationFailed(codes.INVALID, "above the 10 MB cap",
                               {"max_file_size": codes.TOO_LARGE})
    return int(size)


# -- pieces ------------------------------------------------------------------------

def required_pieces(definitions, treatment_type) -> list:
    """The pieces an application requires: the institution's,
    the centre's and the formation's definitions (dicts with scope, code, order,
    treatment_type...), keeping those for every treatment type or for this one;
    one per code (the most specific scope wins), sorted by order then code."""
    chosen = {}
    for piece in definitions:
        if piece.get("treatment_type") not in (None, "", treatment_type):
            continue
        current = chosen.get(piece["code"])
        if current is None or (SCOPE_PRECEDENCE[piece["scope"]]
                               > SCOPE_PRECEDENCE[current["scope"]]):
            chosen[piece["code"]] = piece
    return sorted(chosen.values(), key=lambda p: (p["order"], p["code"]))


# -- the offer ---------------------------------------------------------------------

def matches_filter(filter_text, *fields) -> bool:
    """The candidate's "Filtre": every word of it appears somewhere in the fields
    (code, label, keywords), whatever the case and accents. No words: everything."""
    words = fold(filter_text).split()
    if not words:
        return True
    haystack = " ".join(fold(field) for field in fields)
    return all(word in haystack for word in words)


def offer_tree(formations, filter_text=None, today=None) -> list:
    """centre -> diploma level -> formation, for the formations (dicts with code,
    label, level, keywords, centre {code, label}, and what the tree shows) that
    match the filter. Empty centres and levels are left out; each level is sorted
    by label, as are the formations within it. Each text is folded once: the
    tree of a few thousand formations is built in a few milliseconds."""
    words = fold(filter_text).split()
    centres = {}
    for formation in formations:
        label_key = fold(formation["label"])
        if words:
            haystack = " ".join((fold(formation["code"]), label_key,
                                 fold(formation.get("keywords"))))
            if not all(word in haystack for word in words):
                continue
        centre = formation["centre"]
        node = centres.setdefault(centre["code"], {"code": centre["code"],
                                                   "label": centre["label"], "levels": {}})
        node["levels"].setdefault(formation["level"], []).append(
            ((label_key, formation["code"]), formation))

    tree = []
    for node in sorted(centres.values(), key=lambda c: (fold(c["label"]), c["code"])):
        levels = []
        for level in sorted(node["levels"], key=fold):
            items = sorted(node["levels"][level], key=lambda pair: pair[0])
            levels.append({"level": level, "formations": [_leaf(f, today) for _, f in items]})
        tree.append({"code": node["code"], "label": node["label"], "levels": levels})
    return tree


def _leaf(formation, today=None):
    leaf = {key: formation[key] for key in
            ("code", "label", "level", "treatment_type", "date_open", "date_close")}
    if today is not None:  # "Candidater" is offered only inside the window
        leaf["open_now"] = formation["date_open"] <= today.isoformat() <= formation["date_close"]
    return leaf
