"""The months' summaries and trends as the window keeps them (SPEC 13: no page waits
behind another).

A month's summary is made once, by the worker (`month_worker`), and served from here until
its figures may have changed: until a change of that month's data, found by a look at the
store before each summary or trend is served (`queries.changes_since`: the rows written
since the last look and the mail delivered since, a few indexed reads), or until the day
ends (figures stand as they are when made: a case still running turns late as time passes).
A change in one month leaves every other month's summary as it is; a month long closed is
made again once a day at most.

A page waits for the worker `WAIT` seconds at most, then shows the figures made before (the
page says when they were made) or says that they are being made. What is kept lives in the
window's memory, `LIMIT` bytes at most, the least recently shown going first.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import structlog

from mailbot.reports import queries
from mailbot.reports.values import Month, Summary
from mailbot.settings import Config
from mailbot.web import month_worker
from mailbot.web.month_worker import SummaryPage, Trend, Worker
from mailbot.web.readers import StorePool

T = TypeVar("T")
WAIT = 20.0  # seconds a page waits for the worker (a reverse proxy gives up after 60)
LIMIT = 64 << 20  # bytes of pages and charts kept
TREND_MONTHS = 12
FIGURES_SIZE = 4096  # about what one month's figures take

Need = tuple[str, Month]  # (mailbox, month): the data a kept thing shows
Key = tuple[str, str, Month]  # (what, mailbox, month)
Made = tuple[Key, tuple[Need, ...], Any, int]  # a thing to keep: its key, its months, itself, its size
Spread = Callable[[Any], Iterable[Made]]


@dataclass(frozen=True)
class Kept(Generic[T]):
    """What the window has of a thing: `value` None while nothing was made yet; `fresh` when
    made since the last change of its months, today; `failed` when the worker failed to make
    it now (the log says why)."""

    value: T | None
    fresh: bool
    failed: bool = False


@dataclass
class _Entry:
    value: Any
    versions: tuple[int, ...]  # its months' change counts when it was asked for
    day: date
    size: int


@dataclass
class _Job:
    future: Future[Any]
    snapshot: dict[Need, int]  # the change count of each month it reads, when it was asked for
    day: date
    began: float = field(default_factory=time.monotonic)


class MonthCache:
    """Things made of months' data, each kept until one of its months changes or the day ends."""

    def __init__(self, pool: StorePool, tz: ZoneInfo, *, wait: float = WAIT, limit: int = LIMIT) -> None:
        self.pool = pool
        self.tz = tz
        self.wait = wait
        self.limit = limit
        self.versions: dict[Need, int] = {}  # changes seen per (mailbox, month)
        self.entries: OrderedDict[Key, _Entry] = OrderedDict()  # least recently shown first
        self.size = 0
        self.jobs: dict[Key, _Job] = {}
        self.marks: queries.Marks | None = None
        self.lock = threading.RLock()  # versions, entries, jobs
        self.looking = threading.Lock()  # one look at the store at a time
        self.log = structlog.get_logger("mailbot.web")

    def look(self) -> None:
        """Count the changes since the last look against the months they touched."""
        with self.looking, self.pool.borrow() as store:
            if self.marks is None:
                self.marks = queries.marks_now(store)  # the first look: what is made from now on is current
                return
            self.marks, touched = queries.changes_since(store, self.marks)
        with self.lock:
            for mailbox, moment in touched:
                need = (mailbox, Month.of(moment, self.tz))
                self.versions[need] = self.versions.get(need, 0) + 1

    def fresh(self, key: Key, needs: tuple[Need, ...], day: date) -> Any | None:
        """The thing kept under `key` if it is current (without looking at the store again)."""
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.day != day or entry.versions != self._versions(needs):
                return None
            self.entries.move_to_end(key)
            return entry.value

    def get(self, key: Key, needs: tuple[Need, ...], start: Callable[[], Future[Any]], spread: Spread,
            now: datetime) -> Kept[Any]:
        """The thing under `key`, made of `needs`' data: kept, or made now by `start()` (one job
        for every page that asks meanwhile) and kept as `spread` says, waited for `wait` seconds."""
        self.look()
        day = now.astimezone(self.tz).date()
        with self.lock:
            current = self.fresh(key, needs, day)
            if current is not None:
                return Kept(current, True)
            job = self._job(key, needs, start, spread, day)
        with contextlib.suppress(Exception):  # not made yet, or failed (`_done` logs it): the page says which
            job.future.result(timeout=self.wait)
        with self.lock:
            entry = self.entries.get(key)
            fresh = entry is not None and entry.day == day and entry.versions == self._versions(needs)
            failed = job.future.done() and not job.future.cancelled() and job.future.exception() is not None
            return Kept(entry.value if entry is not None else None, fresh, failed and not fresh)

    def _job(self, key: Key, needs: tuple[Need, ...], start: Callable[[], Future[Any]], spread: Spread,
             day: date) -> _Job:
        """The job making `key` (under the lock): the one running, unless it is done or makes
        it of older data or for another day; else a new one."""
        job = self.jobs.get(key)
        if job is None or job.future.done() or job.day != day or any(
                job.snapshot.get(n) != self.versions.get(n, 0) for n in needs):
            job = _Job(start(), {n: self.versions.get(n, 0) for n in needs}, day)
            self.jobs[key] = job
            job.future.add_done_callback(partial(self._done, key, job, spread))
        return job

    def _versions(self, needs: tuple[Need, ...]) -> tuple[int, ...]:
        return tuple(self.versions.get(n, 0) for n in needs)

    def _done(self, key: Key, job: _Job, spread: Spread, future: Future[Any]) -> None:
        """A job's end: what it made kept (as of when it was asked for), or its failure logged."""
        seconds = round(time.monotonic() - job.began, 1)
        made: list[Made] = []
        if not future.cancelled():
            error = future.exception()
            if error is None:
                made = list(spread(future.result()))
                self.log.info("summary_made", what=key[0], mailbox=key[1], month=str(key[2]), seconds=seconds)
            else:
                self.log.error("summary_failed", what=key[0], mailbox=key[1], month=str(key[2]),
                               error=f"{type(error).__name__}: {error}")
        with self.lock:
            if self.jobs.get(key) is job:
                del self.jobs[key]
            for made_key, needs, value, size in made:
                self._keep(made_key, _Entry(value, tuple(job.snapshot[n] for n in needs), job.day, size))

    def _keep(self, key: Key, entry: _Entry) -> None:
        old = self.entries.get(key)
        if old is not None:
            if (old.day, old.versions) > (entry.day, entry.versions):
                return  # a later one is kept already
            self.size -= old.size
        self.entries[key] = entry
        self.entries.move_to_end(key)
        self.size += entry.size
        while self.size > self.limit and len(self.entries) > 1:
            _, dropped = self.entries.popitem(last=False)
            self.size -= dropped.size


class Months:
    """The month's summary and the twelve months' trend, as the window's pages ask for them."""

    def __init__(self, cfg: Config, pool: StorePool, *, wait: float = WAIT) -> None:
        self.worker = Worker(cfg)
        self.cache = MonthCache(pool, cfg.timezone, wait=wait)

    def summary(self, mailbox: str, month: Month, now: datetime) -> Kept[SummaryPage]:
        """The month's summary page of one mailbox."""
        def start() -> Future[Any]:
            return self.worker.submit(month_worker.summary_page, mailbox, month, now)

        def spread(page: SummaryPage) -> list[Made]:
            need = ((mailbox, month),)
            return [(("page", mailbox, month), need, page, len(page.html)),
                    (("figures", mailbox, month), need, page.figures, FIGURES_SIZE)]

        return self.cache.get(("page", mailbox, month), ((mailbox, month),), start, spread, now)

    def trend(self, mailbox: str, last: Month, now: datetime) -> Kept[Trend]:
        """The figures of the twelve months up to `last`, side by side, with their chart."""
        months = trend_months(last)
        needs = tuple((mailbox, m) for m in months)
        day = now.astimezone(self.cache.tz).date()

        def start() -> Future[Any]:
            known: dict[Month, Summary] = {}
            for month in months:  # the months whose figures are current already are not read again
                found = self.cache.fresh(("figures", mailbox, month), ((mailbox, month),), day)
                if found is not None:
                    known[month] = found
            return self.worker.submit(month_worker.trend, mailbox, months, known, now)

        def spread(trend: Trend) -> list[Made]:
            return [(("trend", mailbox, last), needs, trend, len(trend.chart) + FIGURES_SIZE * len(months)),
                    *((("figures", mailbox, m), ((mailbox, m),), s, FIGURES_SIZE) for m, s in trend.months)]

        return self.cache.get(("trend", mailbox, last), needs, start, spread, now)

    def close(self) -> None:
        self.worker.close()


def trend_months(last: Month, count: int = TREND_MONTHS) -> tuple[Month, ...]:
    """The `count` months up to `last`, oldest first."""
    months = [last]
    while len(months) < count:
        months.append(months[-1].previous())
    return tuple(reversed(months))
