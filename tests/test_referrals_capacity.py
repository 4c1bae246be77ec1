"""Capacity reminders: days since the vacancies were confirmed, due at the setting."""
import datetime as dt

from assetmap import settings
from assetmap.referrals import capacity

TODAY = dt.date(2024, 6, 30)


def test_days_since_confirmed():
    assert capacity.days_since_confirmed("2024-06-30", TODAY) == 0
    assert capacity.days_since_confirmed("2024-05-31", TODAY) == 30
    assert capacity.days_since_confirmed("2024-05-31T10:00:00+00:00", TODAY) == 30
    for never in (None, "", "nan", float("nan"), "not a date", "None"):
        assert capacity.days_since_confirmed(never, TODAY) is None


def test_due_at_the_reminder_setting():
    assert settings.CAPACITY_REMINDER_DAYS == 30
    assert not capacity.capacity_due("2024-06-01", TODAY)          # 29 days
    assert capacity.capacity_due("2024-05-31", TODAY)              # 30 days
    assert capacity.capacity_due(None, TODAY)                      # never confirmed
    assert not capacity.capacity_due("2024-05-31", TODAY, days=31)
