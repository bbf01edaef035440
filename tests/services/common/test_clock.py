"""Day-level rules read the calendar day in Paris, whatever the hour in UTC."""
from datetime import UTC, date, datetime

from services.common import clock


def test_the_paris_day_begins_before_the_utc_one_in_winter():
    late = datetime(2027, 3, 10, 23, 30, tzinfo=UTC)  # 00:30 on the 11th in Paris
    assert clock.paris_today(late) == date(2027, 3, 11)
    assert clock.paris_today(datetime(2027, 3, 10, 22, 59, tzinfo=UTC)) == date(2027, 3, 10)


def test_summer_time_moves_midnight_an_hour_earlier():
    assert clock.paris_today(datetime(2027, 6, 30, 22, 0, tzinfo=UTC)) == date(2027, 7, 1)
    assert clock.paris_today(datetime(2027, 6, 30, 21, 59, tzinfo=UTC)) == date(2027, 6, 30)


def test_without_a_time_it_is_today_by_the_service_clock(monkeypatch):
    monkeypatch.setattr(clock, "utcnow",
                        lambda: datetime(2027, 12, 31, 23, 15, tzinfo=UTC))
    assert clock.paris_today() == date(2028, 1, 1)
