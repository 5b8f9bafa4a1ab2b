"""The history view a `#riwayat` mail carries (issue 45, point 9; SPEC E12h), as `mailbot ticket N
--full` prints it: an earlier history mail is not repeated in it, nor a reply's quoted copy of one
(pure: `views.ticket_detail` of store rows, no servers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mailbot import views
from mailbot.core.model import State
from tests.test_lifecycle import STAFF, ticket

# --- the view the mail carries (`views.ticket_detail`, as `mailbot ticket N --full`) ---------

WIB = ZoneInfo("Asia/Jakarta")
AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC).isoformat()


def row(direction: str, kind: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {"direction": direction, "kind": kind, "sender": STAFF.addr, "recipients": STAFF.addr,
                               "subject": "Re: [LPSE-T #2026-00001] Akun terkunci", "at": AT, "received_at": None,
                               "body": None, "full_text": None, "archive_path": None, "queued_raw": None}
    base.update(values)
    return base


def full_view(messages: list[dict[str, object]]) -> list[str]:
    return views.ticket_detail(ticket(State.OPEN), [], messages, WIB, full=True)


def test_an_earlier_history_mail_and_a_reply_quoting_one_are_not_repeated_inside_a_history() -> None:
    """Each history would hold every one before it, and one asked for by replying to the last
    doubled each time: the history mail is one line, a reply that quotes one shows its new text."""
    earlier = "\n".join(full_view([row("in", "ticket_opened", body="Akun saya terkunci.")]))
    quoted = "\n".join("> " + line for line in earlier.splitlines())
    lines = full_view([
        row("out", "history", queued_raw=b"Subject: x\n\n" + earlier.encode()),
        row("in", "history_requested", body="#history", full_text=f"#history\n\nPada Senin, mailbot menulis:\n{quoted}"),
    ])
    assert "      (the ticket's history as it stood then; not repeated here)" in lines
    assert "      (it quotes a history mail: its new text only)" in lines
    assert "      | #history" in lines
    assert "Akun saya terkunci." not in "\n".join(lines)


def test_a_reply_quoting_other_mail_keeps_its_whole_text() -> None:
    """Only a copy of the view (both its headings) is left out; one heading in a person's
    words ("Messages (whole texts):" pasted alone) is their text like any other."""
    whole = "Sudah saya cek.\n\n> Messages (whole texts):\n> Akun saya terkunci."
    lines = full_view([row("in", "staff_replied", body="Sudah saya cek.", full_text=whole)])
    assert "      | > Akun saya terkunci." in lines
    assert "      (it quotes a history mail: its new text only)" not in lines
