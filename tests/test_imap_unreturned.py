"""Mailbox.batches against a scripted server that cannot return some messages (pure
logic, no server): Gmail answers NO "Some messages could not be FETCHed" and keeps the
session; the message is singled out without a new login; a server failing on every
message ends the pass instead of being asked message by message forever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError

from mailbot.io.imap import UNREADABLE_PER_PASS, Fetched, FetchFailed, Mailbox
from mailbot.settings import ImapConfig

GMAIL_NO = "Some messages could not be FETCHed (Failure)"


class Gmail:
    """Answers FETCH like Gmail: sizes for all, bodies only when no bad UID is asked."""

    def __init__(self, uids: list[int], bad: set[int]) -> None:
        self.uids, self.bad = uids, bad
        self.fetches: list[list[int]] = []

    def fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
        if items == ["RFC822.SIZE"]:
            return {u: {b"RFC822.SIZE": 100} for u in uids if u in self.uids}
        self.fetches.append(list(uids))
        if self.bad & set(uids):
            raise IMAPClientError(f"fetch failed: {GMAIL_NO}")
        return {u: {b"BODY[]": f"Subject: {u}\r\n\r\nisi\r\n".encode(), b"INTERNALDATE": datetime(2026, 11, 23, 9)}
                for u in uids}


class ScriptedMailbox(Mailbox):
    def __init__(self, server: Gmail) -> None:
        super().__init__(ImapConfig(host="imap.gmail.test", port=993, security="ssl", username="u", password=None))
        self.server, self.logins = server, 0
        self.client = server  # type: ignore[assignment]

    def connect(self) -> None:
        self.logins += 1
        self.client = self.server  # type: ignore[assignment]


def read(box: Mailbox, uids: list[int], alone: set[int] | None = None) -> list[Fetched]:
    return [f for batch in box.batches(uids, 10_000, alone=alone or set()) for f in batch]


def test_a_message_gmail_cannot_return_is_singled_out_and_the_others_fetched():
    server = Gmail([1, 2, 3, 4], bad={3})
    box = ScriptedMailbox(server)
    got = read(box, [1, 2, 3, 4])
    assert [(f.uid, f.error) for f in got] == [(1, None), (2, None), (3, f"fetch failed: {GMAIL_NO}"), (4, None)]
    assert got[0].raw.startswith(b"Subject: 1") and got[2].raw == b""
    assert box.logins == 0  # the session survived the NO: no new login


def test_a_suspect_from_an_earlier_pass_is_fetched_alone_from_the_start():
    server = Gmail([1, 2, 3, 4], bad={3})
    read(ScriptedMailbox(server), [1, 2, 3, 4], alone={3})
    assert server.fetches == [[1, 2], [3], [4]]  # the others still together, and no failed batch first


def test_a_server_that_returns_nothing_ends_the_pass_after_a_few_tries():
    uids = list(range(1, 21))
    server = Gmail(uids, bad=set(uids))
    box = ScriptedMailbox(server)
    got: list[Fetched] = []
    with pytest.raises(FetchFailed, match=f"UID {UNREADABLE_PER_PASS + 1} failed") as caught:
        for batch in box.batches(uids, 10_000):
            got.extend(batch)
    assert [f.uid for f in got] == list(range(1, UNREADABLE_PER_PASS + 1))
    assert all(f.error for f in got)
    assert caught.value.uids == (UNREADABLE_PER_PASS + 1,)
    assert len(server.fetches) == 1 + UNREADABLE_PER_PASS + 1  # not one FETCH per message of the backlog


def test_a_fetch_refused_as_temporarily_unavailable_ends_the_pass_and_counts_against_no_message():
    """NO [UNAVAILABLE] (RFC 5530) is the server down for a moment: the mailbox is retried
    later as a whole, no message is marked as one the server cannot return."""
    server = Gmail([1, 2], bad={1, 2})
    box = ScriptedMailbox(server)

    def unavailable(uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
        if items == ["RFC822.SIZE"]:
            return {u: {b"RFC822.SIZE": 100} for u in uids}
        raise IMAPClientError("fetch failed: [UNAVAILABLE] Temporary System Error")

    server.fetch = unavailable  # type: ignore[method-assign]
    with pytest.raises(FetchFailed, match="UNAVAILABLE"):
        read(box, [1, 2])
