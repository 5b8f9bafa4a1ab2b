"""Review: mail queued while the clock ran ahead keeps its retry backoff."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.io.store import Store


def test_a_mail_queued_in_the_future_waits_for_its_retry_after_a_temporary_refusal(tmp_path):
    """Queued while the clock ran ahead, the mail goes as soon as the clock is corrected
    (today's fix); refused with a 4xx, it waits for its retry (SPEC 5: 'retried with
    backoff') instead of being tried again on every pass of the sender (every 2 s)."""
    store = Store(tmp_path / "m.db")
    real = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    ahead = real + timedelta(days=2)
    row = store.enqueue(mailbox="t", ticket_id=None, message_id="<a@x>", kind="ack", mail_from="lpse@lpse.test",
                        rcpt=("budi@vendor.test",), raw=b"Subject: x\r\n\r\nx\r\n", auto=True, now=ahead)
    assert store.due_outbox_ids(real, ("t",)) == [row]  # today's fix: due now
    store.outbox_retry(row, ("budi@vendor.test",), "451 greylisted, try again in 5 minutes",
                       real + timedelta(minutes=5))
    assert store.due_outbox_ids(real + timedelta(seconds=2), ("t",)) == []

