"""The window's summaries and trends, computed in a process of their own.

A month's summary takes a second on a small desk and several on a large one, nearly all
of it Python: a month's tickets read, each step of each judged, the requesters' words
grouped, the charts drawn. In the window's own process it would hold the interpreter (one
thread runs Python at a time) and every page asked meanwhile would wait behind it. So one
worker process computes them, started when a summary is first asked for; the pages are
served meanwhile at their own pace, and the window keeps what the worker made
(`month_cache`) until the month's figures may have changed.

The worker opens its own read-only store as the window does (`readers.open_store`) and
computes with the reports' own code: the page is `report summary --mailbox`'s page,
adapted to the window (`month_view.windowed`). It is started by spawning a new
interpreter, never by forking the window (its threads and its sessions stay its own).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from mailbot.core.worktime import WorkCalendar, build_calendar
from mailbot.io.render import Renderer
from mailbot.io.store import Store
from mailbot.reports import charts, figures, outputs
from mailbot.reports.values import Month, Summary
from mailbot.rules import Rules, load_rules
from mailbot.settings import Config
from mailbot.web import month_view
from mailbot.web.readers import open_store

T = TypeVar("T")


@dataclass(frozen=True)
class SummaryPage:
    """A month's summary as the window shows it: the page (the window's header goes after its
    `<body>`), its own Content-Security-Policy, and its figures (for the trend)."""

    html: str
    policy: str
    figures: Summary


@dataclass(frozen=True)
class Trend:
    """Twelve months' figures, oldest first, and their chart."""

    months: tuple[tuple[Month, Summary], ...]
    chart: bytes


# --- in the worker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    cfg: Config
    store: Store
    rules: Rules
    calendar: WorkCalendar
    renderer: Renderer


_context: list[_Context] = []  # the worker's one context, made when it starts


def _begin(cfg: Config) -> None:
    """The worker's start: its store, rules, calendar and templates, once."""
    _context.append(_Context(cfg, open_store(cfg), load_rules(cfg.rules_dir), build_calendar(cfg),
                             Renderer(cfg.templates_dir)))


def summary_page(mailbox: str, month: Month, now: datetime) -> SummaryPage:
    """The month's summary of one mailbox as `report summary --mailbox` makes it, for the window."""
    work = _context[0]
    box = work.cfg.mailbox(mailbox)
    summary = outputs.summarize(work.store, work.cfg, work.rules, work.calendar, month, box, now)
    html, policy = month_view.windowed(outputs.summary_page(summary, work.cfg, work.rules, work.renderer, box))
    return SummaryPage(html, policy, replace(summary, topics=()))


def trend(mailbox: str, months: tuple[Month, ...], known: dict[Month, Summary], now: datetime) -> Trend:
    """The figures of `months` (those in `known` as they are; the others read now: the
    summary's figures without its recurring topics, which alone read the requesters'
    texts) and the chart of them."""
    work = _context[0]
    box = work.cfg.mailbox(mailbox)
    found = []
    for month in months:
        summary = known.get(month)
        if summary is None:
            records = outputs.records(work.store, work.cfg, month, box)
            summary = figures.summarize(records, month, work.calendar, work.rules.deadlines, now)
        found.append((month, summary))
    return Trend(tuple(found), charts.trend([s for _, s in found], work.cfg.language).png)


# --- in the window ---------------------------------------------------------------------------


class Worker:
    """The window's handle on the worker process: jobs in, futures out; a worker that died is
    started again for the next job."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.pool: ProcessPoolExecutor | None = None
        self.lock = threading.Lock()

    def submit(self, job: Any, *args: Any) -> Future[Any]:
        """`job(*args)` in the worker (a function of this module)."""
        with self.lock:
            for _ in range(2):
                if self.pool is None:
                    self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_begin, initargs=(self.cfg,))
                try:
                    return self.pool.submit(job, *args)
                except BrokenProcessPool:  # the worker died (out of memory, killed): a new one
                    self.pool.shutdown(wait=False)
                    self.pool = None
            raise BrokenProcessPool("the summaries' worker could not be started")

    def close(self) -> None:
        """Stop the worker now, whatever it is computing (the window is stopping)."""
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way to end a running job
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
