"""When to try again: doubling steps with a ceiling, the end of a mail's retry time, and the
outbox keeping that backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.core.retry import backoff, next_try
from mailbot.io.store import Store

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


# The outbox keeps that backoff when the clock was wrong (SPEC 5: "retried with backoff").

def test_a_mail_queued_in_the_future_waits_for_its_retry_after_a_temporary_refusal(tmp_path):
    """Queued while the clock ran ahead, the mail goes as soon as the clock is corrected
    (today's fix); refused with a 4xx, it waits for its retry (SPEC 5: 'retried with
    backoff') instead of being tried again on every pass of the sender (every 2 s)."""
    store = Store(tmp_path / "m.db")
    real = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    ahead = real + timedelta(days=2)
    row = store.outbox.enqueue(mailbox="t", ticket_id=None, message_id="<a@x>", kind="ack", mail_from="lpse@lpse.test",
                               rcpt=("budi@vendor.test",), raw=b"Subject: x\r\n\r\nx\r\n", auto=True, now=ahead)
    assert store.outbox.due_outbox_ids(real, ("t",)) == [row]  # today's fix: due now
    store.outbox.outbox_retry(row, ("budi@vendor.test",), "451 greylisted, try again in 5 minutes",
                              real + timedelta(minutes=5))
    assert store.outbox.due_outbox_ids(real + timedelta(seconds=2), ("t",)) == []
