"""A ticket's story as the staff member who sent `#riwayat` reads it (SPEC E12h).

`mailbot ticket N --full` is the operator's record: every event by its code, every mail
whole, in English, cut to a terminal's width. Mailed, it was a thousand lines staff could not
read. The story is what happened, in the order it happened, in the mailbox's language: who
wrote what and when (their new text, its first lines), what mailbot sent to whom, and how the
ticket's state moved. The mail's template words it (`history.txt`); this module only picks
and orders the store's rows. The full record goes along as a file (`io/compose`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from mailbot.core.controls import visible
from mailbot.io.store import parse_ts
from mailbot.io.words import Words

# The first lines of a message's new text the story shows; the rest is in the attached record.
STORY_LINES = 8
# Inbound mail that is nobody's word to the ticket: recorded by mailbot, shown as such.
_AUTOMATIC = frozenset({"automatic_recorded", "automatic_unmatched", "bounce_received", "delivery_reported",
                        "lkpp_ack"})
# Where a message and the mail it caused share one instant, the message comes first, then what
# it did to the ticket, then the mail mailbot sent.
_RANK = {"in": 0, "state": 1, "out": 2}


def story(events: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]], tz: tzinfo,
          said: Words, year: int) -> list[dict[str, Any]]:
    """The ticket's story, oldest first: its messages in and out and its changes of state."""
    items: list[tuple[str, int, int, dict[str, Any]]] = []
    for n, row in enumerate(messages):
        # in the order mailbot handled them (a message, then what it caused, share one instant);
        # a message shown at its arrival in the mailbox
        shown = _arrival(row) if row["direction"] == "in" else str(row["at"])
        item = _inbound(row) if row["direction"] == "in" else _outbound(row)
        items.append((_utc(str(row["at"])), _RANK[item["kind"]], n, {**item, "at": _shown(shown, tz, said, year)}))
    for n, event in enumerate(events):
        if event["kind"] == "state_changed":
            detail = json.loads(event.get("detail") or "{}")
            items.append((_utc(str(event["at"])), _RANK["state"], n,
                          {"kind": "state", "at": _shown(str(event["at"]), tz, said, year),
                           "from": str(detail.get("from", "")), "to": str(detail.get("to", ""))}))
    return [item for *_, item in sorted(items, key=lambda i: i[:3])]


def _arrival(row: Mapping[str, Any]) -> str:
    """When a message reached the mailbox (its INTERNALDATE), never after mailbot handled it:
    a server's clock ahead of the host's, or a message appended with a later date than its
    handling, is shown at its handling."""
    received, handled = parse_ts(str(row.get("received_at") or "")), parse_ts(str(row["at"]))
    if received is None or (handled is not None and received > handled):
        return str(row["at"])
    return str(row["received_at"])


def _inbound(row: Mapping[str, Any]) -> dict[str, Any]:
    """Who wrote (role and address), what they wrote now (its first lines), how it was taken."""
    lines = visible(str(row.get("body") or "")).strip("\n").splitlines()
    label = str(row.get("kind") or "")
    return {"kind": "in", "who": str(row["sender"]), "role": str(row.get("role") or ""),
            "automatic": label in _AUTOMATIC, "unverified": label == "unverified_note",
            "text": "\n".join(lines[:STORY_LINES]).rstrip(), "more": max(len(lines) - STORY_LINES, 0)}


def _outbound(row: Mapping[str, Any]) -> dict[str, Any]:
    """What mailbot sent (its kind) and to whom."""
    to = [a for a in str(row.get("recipients") or "").split(",") if a]
    return {"kind": "out", "mail": str(row.get("kind") or ""), "to": ", ".join(to)}


def _utc(at: str) -> str:
    moment = parse_ts(at)
    return moment.isoformat() if moment is not None else at


def _shown(at: str, tz: tzinfo, said: Words, year: int) -> str:
    moment = parse_ts(at)
    return said.short_moment(moment.astimezone(tz), year) if isinstance(moment, datetime) else at
