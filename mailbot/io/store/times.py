"""How the store keeps a moment: UTC ISO-8601 text of one fixed shape, so that stored
times sort as text (`ts`), and back (`moment`, `parse_ts`)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=256)
def ts(moment: datetime) -> str:
    """A sortable UTC text form of an aware datetime (remembered: one message's rows
    are stamped with the same few moments, 27 times a message)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    return moment(text)


def moment(text: str) -> datetime:
    """A stored timestamp (UTC, as `ts` writes it) back as an aware datetime."""
    moment = datetime.fromisoformat(text)  # the trailing Z reads as UTC (Python 3.11)
    if moment.tzinfo is None:
        raise ValueError(f"stored time without a zone: {text!r}")
    return moment
