"""Time is a dependency: services read the time from `Clock`, so tests can
move it. CLOCK_OFFSET_SECONDS shifts a whole running system (end-to-end tests
of deadlines). Day-level rules (deadlines, opening dates, ages) read the
calendar day in Paris: `paris_today()`."""
import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

PARIS = ZoneInfo("Europe/Paris")


def utcnow():
    offset = float(os.environ.get("CLOCK_OFFSET_SECONDS") or 0)
    return datetime.now(timezone.utc) + timedelta(seconds=offset)


def paris_today(now=None):
    """The calendar day in Paris at `now` (an aware datetime; default: utcnow())."""
    return (now or utcnow()).astimezone(PARIS).date()


class Clock(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return utcnow


class FixedClock:
    """A clock that stays where it is put: `clock.advance(hours=48)` (tests, jobs run by hand)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
