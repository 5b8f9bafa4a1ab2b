"""When to try again (pure): doubling steps with a ceiling, and the end of a mail's retry time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.core.retry import backoff, next_try

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_backoff_doubles_from_the_first_step_up_to_the_ceiling():
    first, most = timedelta(seconds=30), timedelta(hours=1)
    assert [backoff(n, first, most) for n in range(5)] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert backoff(7, first, most) == timedelta(hours=1)
    assert backoff(10_000, first, most) == timedelta(hours=1)
    assert backoff(-3, first, most) == first


def test_a_mail_is_tried_again_until_max_retry_and_no_later():
    """SPEC 5: temporary failures are retried for smtp.max_retry_hours, then the failure is final."""
    five_days = timedelta(hours=120)
    assert next_try(T0, T0, 0, five_days) == T0 + timedelta(seconds=30)
    assert next_try(T0, T0 + timedelta(hours=100), 40, five_days) == T0 + timedelta(hours=101)
    assert next_try(T0, T0 + timedelta(hours=119, minutes=30), 40, five_days) == T0 + five_days
    assert next_try(T0, T0 + five_days, 41, five_days) is None
