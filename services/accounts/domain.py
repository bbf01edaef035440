"""The account and dossier rules as plain functions:
dossier numbers, email format, password policy, activation tokens, the
birth-date range and the order and completeness of the dossier sections."""
import hashlib
import re
import secrets
from datetime import date, timedelta

from services.common.config import env

from .dossier.reference import FRANCE

# -- dossier number ---------------------------------------------------------------

DOSSIER_NUMBER_LENGTH = 8
# Upper-case letters and digits without I, L, O, 0 and 1: candidates copy the
# number from a mail or read it over the phone, those are the ones they confuse.
DOSSIER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DOSSIER_NUMBER = re.compile(r"[A-Z0-9]{%d}" % DOSSIER_NUMBER_LENGTH)


DOSSIER_PREFIX = re.compile(r"[A-Z0-9]{0,2}")


def dossier_number_prefix():
    """DOSSIER_NUMBER_PREFIX: the optional campaign prefix (e.g. "27"), 0 to 2
    upper-case letters or digits; the number stays 8 characters long."""
    prefix = (env("DOSSIER_NUMBER_PREFIX", "") or "").strip().upper()
    if not DOSSIER_PREFIX.fullmatch(prefix):
        raise ValueError(f"DOSSIER_NUMBER_PREFIX must be 0 to 2 letters or digits, not {prefix!r}")
    return prefix


def new_dossier_number(prefix=""):
    """A random candidate number; the caller makes sure it was never issued."""
    return prefix + "".join(secrets.choice(DOSSIER_ALPHABET)
                            for _ in range(DOSSIER_NUMBER_LENGTH - len(prefix)))


def is_dossier_number(text):
    return isinstance(text, str) and DOSSIER_NUMBER.fullmatch(text) is not None


# -- email ----------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
EMAIL = re.compile(f"{_LOCAL}@{_DOMAIN}")


def is_valid_email(text):
    """An address a mail server accepts: local@domain.tld, ASCII, no spaces."""
    return (isinstance(text, str) and len(text) <= EMAIL_MAX_LENGTH
            and EMAIL.fullmatch(text) is not None)


def email_key(email):
    """Emails are unique and matched whatever their case."""
    return email.strip().lower()


# -- passwords --------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256  # hashing cost grows with length: refuse absurd inputs


def is_strong_password(password):
    """At least 10 characters with a lower-case letter, an upper-case letter, a
    digit and a special character (anything that is not a letter or a digit)."""
    return (isinstance(password, str)
            and PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH
            and any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password))


# -- activation tokens ------------------------------------------------------------

def new_activation_token():
    """256 random bits, URL-safe: it goes into the activation link."""
    return secrets.token_urlsafe(32)


def token_hash(token):
    """What is stored: a leaked database does not give working links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def activation_hours():
    return int(env("ACTIVATION_HOURS", "48"))


def activation_expiry(now, hours=None):
    return now + timedelta(hours=activation_hours() if hours is None else hours)


def reset_hours():
    return float(env("RESET_HOURS", "2"))


def email_change_hours():
    return float(env("EMAIL_CHANGE_HOURS", "24"))


def email_undo_hours():
    """How long the former address may refuse an email change (7 days)."""
    return float(env("EMAIL_UNDO_HOURS", "168"))


def expiry(now, hours):
    return now + timedelta(hours=hours)


def is_expired(expires_at, now):
    return expires_at is None or now >= expires_at


# -- dates ------------------------------------------------------------------------

BIRTH_MIN_AGE, BIRTH_MAX_AGE = 10, 100


def years_before(day, years):
    """The same day `years` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_date_in_range(birth, today):
    """Born between 100 and 10 years ago, both days included."""
    return (years_before(today, BIRTH_MAX_AGE) <= birth
            <= years_before(today, BIRTH_MIN_AGE))


def parse_day(text):
    """YYYY-MM-DD -> date, or None when it is not a real day in that format."""
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# -- dossier sections -------------------------------------------------------------

SECTIONS = ("personal", "address", "bac")  # filled in this order


def required_fields(section, data):
    """The mandatory fields of a section, given what it holds (some depend on
    the country)."""
    data = data or {}
    if section == "personal":
        fields = ["civility", "birth_name", "first_name", "birth_date", "nationality",
                  "birth_country", "preferred_language"]
        if data.get("birth_country") == FRANCE:
            fields += ["birth_department", "birth_commune"]
        elif data.get("birth_country"):
            fields += ["birth_town"]
        return fields
    if section == "address":
        fields = ["line1", "country"]
        if data.get("country") == FRANCE:
            fields += ["postal_code", "commune"]
        elif data.get("country"):
            fields += ["city"]
        return fields
    if section == "bac":
        fields = ["has_bac"]
        if data.get("has_bac") == "yes":
            fields += ["year", "country", "series"]
            if data.get("country") == FRANCE:
                fields += ["department"]
        return fields
    raise ValueError(f"unknown section {section!r}")


def missing_fields(section, data):
    data = data or {}
    return [f for f in required_fields(section, data) if data.get(f) in (None, "")]


def is_section_complete(section, data):
    return not missing_fields(section, data)


def completeness(sections):
    """{section: complete?} for the dossier's sections {section: data}."""
    return {s: is_section_complete(s, sections.get(s)) for s in SECTIONS}


def is_section_open(section, complete):
    """A section opens once every section before it is complete."""
    return all(complete[s] for s in SECTIONS[:SECTIONS.index(section)])


def is_ready_to_apply(complete):
    return all(complete[s] for s in SECTIONS)


# -- INE (identifiant national étudiant, "INE/BEA") ---------------------------------

INE_LENGTH = 11
BEA_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
INE_BEA = re.compile(r"[0-9]{10}[A-Z]")              # académies: 10 digits + key letter
INE_UNIVERSITY = re.compile(r"[0-9A-Z]{10}[0-9]")    # universities (base 36) + key digit
INE_RNIE = re.compile(r"[0-9]{9}[A-Z]{2}")           # RNIE, since 2018
INE_APPRENTICE = re.compile(r"[0-9]{4}A[0-9]{5}[A-Z]")  # apprentices


def _bea_key_ok(ine):
    return BEA_KEYS[int(ine[:10]) % 23] == ine[10]


def _university_key_ok(ine):
    """Six times the base-36 values of the first nine characters, plus the
    tenth: the last digit of that sum is the key."""
    total = 6 * sum(int(c, 36) for c in ine[:9]) + int(ine[9], 36)
    return str(total)[-1] == ine[10]


def is_valid_ine(text):
    """11 characters in one of the national formats, with a right check
    character where the format has a public one (BEA: a letter from the number
    modulo 23; university numbers: a digit from their base-36 sum). RNIE and
    apprentice numbers are checked by their format: their key is verified by
    the ministry's service, not by a public rule."""
    if not isinstance(text, str) or len(text) != INE_LENGTH:
        return False
    ine = text.upper()
    body = ine[:10]
    if len(set(body)) == 1 or body.isalpha():  # 0000000000, AAAAAAAAAA...
        return False
    if INE_BEA.fullmatch(ine):
        return _bea_key_ok(ine)
    if INE_UNIVERSITY.fullmatch(ine):
        return _university_key_ok(ine)
    return bool(INE_RNIE.fullmatch(ine) or INE_APPRENTICE.fullmatch(ine))


def bea_key(digits):
    """The check letter of a 10-digit BEA number (tests, demo data)."""
    return BEA_KEYS[int(digits) % 23]


# -- list sections -------------------------------------------------------------------

LIST_SECTIONS = ("external", "internships", "experience")
DOSSIER_ORDER = ("personal", "address", "bac", "internal", *LIST_SECTIONS)


def sections_open(complete):
    """{section: may it be opened?} for the seven sections: the lists and the
    internal record open once the three mandatory sections are complete."""
    opened = {s: is_section_open(s, complete) for s in SECTIONS}
    after = is_ready_to_apply(complete)
    opened.update({s: after for s in ("internal", *LIST_SECTIONS)})
    return opened


def new_entry_id():
    return secrets.token_hex(6)


def changed_fields(before, after):
    """(before, after) restricted to the fields whose value differs."""
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return ({k: before[k] for k in changed if k in before},
            {k: after[k] for k in changed if k in after})
