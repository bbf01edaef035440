"""Dates as users read them, in Paris time, in their language (Babel): one
formatter for pages, mails and letters, so a date reads the same everywhere."""
import re
from datetime import date, datetime

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_decimal

from .clock import PARIS

# French: 22/11/2026, as on every French form. English: 22 Nov 2026, the month in
# words, so neither a British nor an American reader can take it for 11 Dec.
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DATE_FORMATS = {"fr": "short", "en": "medium"}


def _parsed(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value


def format_date(value, lang="fr", with_time=False, time_separator=" "):
    """`value` (a date, a datetime or their ISO text) in `lang`: 22/11/2026 or
    22 Nov 2026, with `14:05` after `time_separator` when asked; an aware
    datetime is shown in Paris time; text that is not a date comes back as it is."""
    if not value:
        return ""
    parsed = _parsed(value)
    if parsed is None:
        return value
    lang = lang if lang in LOCALES else "fr"
    if isinstance(parsed, datetime) and parsed.tzinfo:
        parsed = parsed.astimezone(PARIS)
    text = babel_date(parsed, DATE_FORMATS[lang], locale=LOCALES[lang])
    if with_time and isinstance(parsed, datetime):
        text += time_separator + babel_time(parsed, "HH:mm", locale=LOCALES[lang])
    return text


def french_date(value, with_time=False, time_separator=" "):
    """22/11/2026 (and `22/11/2026 14:05` with time): letters are French."""
    return format_date(value, "fr", with_time, time_separator)


def file_size(value, lang="fr"):
    """2 Mo, 1,5 Mo, 300 Ko in French; 2 MB, 1.5 MB, 300 KB in English."""
    value = int(value or 0)
    units = ("Mo", "Ko") if lang != "en" else ("MB", "KB")
    locale = LOCALES.get(lang, LOCALES["fr"])
    if value >= 1024 * 1024:
        return f"{format_decimal(value / 1024 / 1024, '0.#', locale=locale)} {units[0]}"
    return f"{format_decimal(value // 1024, '0', locale=locale)} {units[1]}"


def date_input(value):
    """What a date field shows: 22/11/2026, day first in both languages as the
    field's hint says (jj/mm/aaaa, dd/mm/yyyy); what someone typed that is not a
    date is shown back as typed, so they can correct it."""
    parsed = _parsed(value) if value else None
    if isinstance(parsed, datetime):
        parsed = parsed.date()
    if isinstance(parsed, date):
        return f"{parsed.day:02d}/{parsed.month:02d}/{parsed.year:04d}"
    return value or ""


def posted_date(text):
    """What a form sends on for a date field: the ISO date of what was typed
    when it reads as one (parse_date_input), else the text as typed, which the
    owning service refuses as an invalid date on its field."""
    return parse_date_input(text) or text


DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date_input(text):
    """The ISO date of what someone typed in a date field: 22/11/2026 (day
    first, as the field's hint says in both languages, with / . or -) or
    2026-11-22 (what a browser's date picker sends). None when it is not a date;
    "" for an empty field."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        match = DAY_MONTH_YEAR.fullmatch(text)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day).isoformat()
    except ValueError:  # 31/02, month 13...
        return None
