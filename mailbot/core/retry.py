"""When to try again: the spacing of retries for mail and for failed timers. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta


def backoff(step: int, first: timedelta, most: timedelta) -> timedelta:
    """`first`, then doubled each step, never more than `most`."""
    return min(first * (1 << min(max(step, 0), 30)), most)


def next_try(created_at: datetime, now: datetime, attempts: int, max_retry: timedelta,
             first: timedelta = timedelta(seconds=30), most: timedelta = timedelta(hours=1)) -> datetime | None:
    """When to try a temporarily refused mail again, or None when its time is up (SPEC 5)."""
    if now - created_at >= max_retry:
        return None
    return min(now + backoff(attempts, first, most), created_at + max_retry)
