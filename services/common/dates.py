"""Dates as French users read them, in Paris time: one formatter for pages,
mails and letters."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def french_date(value, with_time=False, time_separator=" "):
    """22/11/2026 (and `22/11/2026 14:05` with time) from a date, a datetime or
    their ISO text; an aware datetime is shown in Paris time; text that is not a
    date comes back as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo:
            value = value.astimezone(PARIS)
        if with_time:
            return value.strftime(f"%d/%m/%Y{time_separator}%H:%M")
    return value.strftime("%d/%m/%Y")
