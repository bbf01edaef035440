"""Field rules of the dossier sections (services/README.md, accounts: Fields).

`validate(section, data, today)` -> (clean, errors): `clean` keeps the section's
known fields that are filled in, trimmed and normalised (codes upper-case), and
drops the fields that do not apply (a birth town for someone born in France...);
`errors` is {field: code}. Pure: no database, `today` is the Paris day.
"""
import re

from services.common import text

from .. import domain
from .. import exceptions as codes
from . import reference
from .reference import FRANCE

FIELDS = {
    "personal": ("civility", "birth_name", "usage_name", "first_name", "other_first_names",
                 "birth_date", "nationality", "birth_country", "birth_department",
                 "birth_commune", "birth_town", "phone", "mobile", "ine", "preferred_language"),
    "address": ("line1", "line2", "line3", "country", "postal_code", "commune", "city",
                "cedex"),
    "bac": ("has_bac", "year", "country", "department", "school", "series", "mention",
            "specialities"),
}
UPPER_CASE = {"civility", "nationality", "birth_country", "birth_department", "ine", "country",
              "department", "series", "mention"}
LOWER_CASE = {"preferred_language", "has_bac"}
MAX_LENGTH = {"phone": 20, "mobile": 20, "postal_code": 10, "cedex": 20, "school": 150,
              "specialities": 200, "line1": 100, "line2": 100, "line3": 100}
DEFAULT_MAX_LENGTH = 100
PHONE = re.compile(r"\+?[0-9 .()-]{6,20}")
POSTAL_CODE_FR = re.compile(r"\d{5}")
YEAR = re.compile(r"\d{4}")


def clean(section, data):
    """The section's fields that hold something, as trimmed strings."""
    data = data if isinstance(data, dict) else {}
    cleaned = {}
    for field in FIELDS[section]:
        value = data.get(field)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            continue  # absent, None or not a form value
        value = str(value).strip()
        if field in UPPER_CASE:
            value = value.upper()
        elif field in LOWER_CASE:
            value = value.lower()
        if value:
            cleaned[field] = value
    return cleaned


def validate(section, data, today):
    values = clean(section, data)
    errors = {}
    for field, value in values.items():
        if text.has_control(value):  # every field of these sections is one line
            errors[field] = codes.CONTROL_CHARACTER
        elif len(value) > MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH):
            errors[field] = codes.TOO_LONG
    values = RULES[section](values, errors, today)
    for field in domain.missing_fields(section, values):
        errors.setdefault(field, codes.REQUIRED)
    return values, errors


def _check_choice(values, errors, field, allowed):
    if field in values and field not in errors and values[field] not in allowed:
        errors[field] = codes.INVALID_CHOICE


def _keep_only_for(values, country, french_fields, foreign_fields):
    """Drop the fields meant for the other side of the border."""
    dropped = foreign_fields if country == FRANCE else french_fields if country else ()
    for field in dropped:
        values.pop(field, None)


def _personal(values, errors, today):
    _check_choice(values, errors, "civility", reference.codes_of(reference.CIVILITIES))
    _check_choice(values, errors, "nationality", reference.country_codes())
    _check_choice(values, errors, "birth_country", reference.country_codes())
    _check_choice(values, errors, "preferred_language", reference.codes_of(reference.LANGUAGES))
    _keep_only_for(values, values.get("birth_country"),
                   ("birth_department", "birth_commune"), ("birth_town",))
    _check_choice(values, errors, "birth_department", reference.departments())
    if (values.get("birth_country") == FRANCE and "birth_commune" in values
            and "birth_department" in values and "birth_department" not in errors
            and "birth_commune" not in errors):
        official = reference.commune_in_department(values["birth_department"],
                                                   values["birth_commune"])
        if official is None:
            errors["birth_commune"] = codes.COMMUNE_MISMATCH
        else:
            values["birth_commune"] = official
    if "birth_date" in values:
        born = domain.parse_day(values["birth_date"])
        if born is None:
            errors["birth_date"] = codes.INVALID_DATE
        elif not domain.birth_date_in_range(born, today):
            errors["birth_date"] = codes.BIRTH_DATE_OUT_OF_RANGE
    for field in ("phone", "mobile"):
        if field in values and field not in errors and not PHONE.fullmatch(values[field]):
            errors[field] = codes.INVALID
    if "ine" in values and "ine" not in errors and not domain.is_valid_ine(values["ine"]):
        errors["ine"] = codes.INVALID_INE
    return values


def _address(values, errors, today):
    _check_choice(values, errors, "country", reference.country_codes())
    country = values.get("country")
    _keep_only_for(values, country, ("commune",), ("city",))
    if country == FRANCE and "postal_code" in values and "postal_code" not in errors:
        if not POSTAL_CODE_FR.fullmatch(values["postal_code"]):
            errors["postal_code"] = codes.INVALID_POSTAL_CODE
        elif not reference.postal_code_exists(values["postal_code"]):
            errors["postal_code"] = codes.UNKNOWN_POSTAL_CODE
        elif "commune" in values and "commune" not in errors:
            official = reference.commune_for_postal_code(values["postal_code"], values["commune"])
            if official is None:
                errors["commune"] = codes.COMMUNE_MISMATCH
            else:
                values["commune"] = official  # the official spelling
    return values


def _bac(values, errors, today):
    _check_choice(values, errors, "has_bac", {"yes", "no"})
    if values.get("has_bac") == "no":
        return {"has_bac": "no"}  # "I have no bac": nothing else to keep
    _check_choice(values, errors, "country", reference.country_codes())
    _keep_only_for(values, values.get("country"), ("department",), ())
    _check_choice(values, errors, "department", reference.departments())
    _check_choice(values, errors, "series", reference.codes_of(reference.BAC_SERIES))
    _check_choice(values, errors, "mention", reference.codes_of(reference.MENTIONS))
    if "year" in values and "year" not in errors:
        year = values["year"]
        if not YEAR.fullmatch(year) or not today.year - 100 <= int(year) <= today.year:
            errors["year"] = codes.INVALID_YEAR
    return values


RULES = {"personal": _personal, "address": _address, "bac": _bac}
