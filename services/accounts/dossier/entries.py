"""The list sections of the dossier: Cursus externe, Stages,
Expériences pro. `validate(section, data, today)` -> (clean, errors), pure."""
import re

from services.common import text

from .. import exceptions as codes
from . import reference

# field -> (required, max length)
FIELDS = {
    "external": {"year": (True, 4), "country": (True, 2), "institution": (False, 150),
                 "diploma_type": (True, 100), "label": (True, 150), "obtained": (True, 1),
                 "mention": (False, 50)},
    "internships": {"year": (True, 4), "duration": (True, 50), "organisation": (True, 150),
                    "description": (True, 500), "hours_per_week": (False, 3)},
    "experience": {"year": (True, 4), "duration": (True, 50), "job_title": (True, 150),
                   "employer": (True, 150), "description": (False, 500)},
}
MULTI_LINE = {"description"}  # text areas: line breaks kept
YEAR = re.compile(r"\d{4}")
OBTAINED = {"O", "N", "E"}


def validate(section, data, today):
    data = data if isinstance(data, dict) else {}
    values, errors = {}, {}
    for field, (required, max_length) in FIELDS[section].items():
        value = data.get(field)
        value = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if field in ("country", "obtained"):
            value = value.upper()
        if not value:
            if required:
                errors[field] = codes.REQUIRED
            continue
        multiline = field in MULTI_LINE
        if text.has_control(value, multiline):
            errors[field] = codes.CONTROL_CHARACTER
        elif len(value) > max_length:
            errors[field] = codes.TOO_LONG
        values[field] = text.newlines(value) if multiline else value
    year = values.get("year")
    if year and "year" not in errors and (
            not YEAR.fullmatch(year) or not today.year - 100 <= int(year) <= today.year + 1):
        errors["year"] = codes.INVALID_YEAR
    if "country" in values and "country" not in errors and \
            values["country"] not in reference.country_codes():
        errors["country"] = codes.INVALID_CHOICE
    if "obtained" in values and values["obtained"] not in OBTAINED:
        errors["obtained"] = codes.INVALID_CHOICE
    hours = values.get("hours_per_week")
    if hours and "hours_per_week" not in errors and not (hours.isdigit() and 0 < int(hours) <= 80):
        errors["hours_per_week"] = codes.INVALID_NUMBER
    return values, errors
