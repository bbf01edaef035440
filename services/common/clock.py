"""Time is a dependency: services read the time from `Clock`, so tests can
move it. CLOCK_OFFSET_SECONDS shifts a whole running system (end-to-end tests
of deadlines)."""
import os
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider


def utcnow():
    offset = float(os.environ.get("CLOCK_OFFSET_SECONDS") or 0)
    return datetime.now(timezone.utc) + timedelta(seconds=offset)


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
