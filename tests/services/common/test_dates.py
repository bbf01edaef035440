"""Dates read the same in a page, a mail and a letter: in Paris time, in the
reader's language; a date typed day first or in ISO is understood."""
from datetime import date, datetime, timezone

import pytest

from services.common.dates import file_size, format_date, french_date, parse_date_input


@pytest.mark.parametrize("value, lang, with_time, shown", [
    ("2026-11-22", "fr", False, "22/11/2026"),
    ("2026-11-22", "en", False, "22 Nov 2026"),
    ("2026-11-21T23:30:00+00:00", "fr", False, "22/11/2026"),  # already the 22nd in Paris
    ("2026-11-21T23:30:00+00:00", "en", True, "22 Nov 2026 00:30"),
    (datetime(2027, 7, 1, 8, 5, tzinfo=timezone.utc), "fr", True, "01/07/2027 10:05"),
    (date(2027, 2, 5), "xx", False, "05/02/2027"),  # an unknown language: French
    ("bientôt", "en", False, "bientôt"),
    (None, "fr", False, ""),
])
def test_a_date_in_each_language(value, lang, with_time, shown):
    assert format_date(value, lang, with_time) == shown


def test_letters_stay_french_with_their_separator():
    assert french_date("2026-11-24T10:00:00+00:00", True, " à ") == "24/11/2026 à 11:00"


def test_sizes_use_the_languages_decimal_mark_and_units():
    assert [file_size(n) for n in (2097152, 1572864, 307200)] == ["2 Mo", "1,5 Mo", "300 Ko"]
    assert [file_size(n, "en") for n in (2097152, 1572864)] == ["2 MB", "1.5 MB"]


@pytest.mark.parametrize("typed, read", [
    ("05/03/2027", "2027-03-05"), ("5/3/2027", "2027-03-05"), (" 05.03.2027 ", "2027-03-05"),
    ("05-03-2027", "2027-03-05"), ("2027-03-05", "2027-03-05"), ("", ""),
    ("31/02/2027", None), ("03/05/27", None), ("2027-3-5", None), ("demain", None),
])
def test_a_typed_date_is_read_day_first_or_iso(typed, read):
    assert parse_date_input(typed) == read
