"""The summary's charts as PNG bytes, drawn with matplotlib (Agg, no display).

matplotlib is imported here, inside `draw()`, so that `mailbot --help` and every
command but the summary start without it. Figures are built with the object API
(`matplotlib.figure.Figure` on an Agg canvas), not pyplot, so no backend is chosen and
nothing global is touched in the daemon.
PNGs are written without a timestamp in their metadata, so the same figures give the
same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from mailbot.reports import labels
from mailbot.reports.trend import short_month
from mailbot.reports.values import Step, Summary

BLUE, GREY, GREEN, RED, ORANGE = "#2F6DB5", "#B8BEC6", "#3C9D5D", "#C8453B", "#E39B2D"
WIDTH = 11.0  # inches; 1056 pixels at 96 dpi
CHAR = 0.068  # inches per character of an 8-point label, with room to spare


@dataclass(frozen=True)
class Chart:
    name: str  # file name stem and Content-ID stem: volume, daily, compliance, ratings
    title: str
    png: bytes


def draw(summary: Summary, language: str) -> tuple[Chart, ...]:
    """Four charts: volumes (state, category, priority), tickets per day, SOP compliance,
    escalations and ratings."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # lazily: slow to import, only the summary draws

    def agg_figure(figsize: tuple[float, float]) -> Figure:
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)  # Agg: PNG without a display
        return fig

    lang = labels.lang_of(language)
    words = labels.CHARTS[lang]
    return (
        Chart("volume", words["by_state"], _volume(agg_figure, summary, lang)),
        Chart("daily", words["daily"], _daily(agg_figure, summary, lang)),
        Chart("compliance", words["compliance"], _compliance(agg_figure, summary, lang)),
        Chart("ratings", words["ratings"], _ratings(agg_figure, summary, lang)),
    )


# The steps the trend's chart follows: those every month has cases of (the others, LKPP's and
# the calls', are in its table)
TREND_STEPS = ((Step.ACK, GREY), (Step.FIRST_RESPONSE, BLUE), (Step.RESOLUTION, GREEN), (Step.CLOSING, ORANGE))


def trend(summaries: list[Summary], language: str) -> Chart:
    """The months side by side: the tickets opened and closed each month, and the compliance
    of the steps every month has cases of (a month without cases of a step leaves a gap)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    lang = labels.lang_of(language)
    said = labels.TREND[lang]
    fig = Figure(figsize=(WIDTH, 3.4))
    FigureCanvasAgg(fig)
    heads = [short_month(s.month, lang).replace(" ", "\n") for s in summaries]
    places = list(range(len(summaries)))
    left = fig.add_axes((0.05, 0.33, 0.42, 0.58))
    left.bar([p - 0.2 for p in places], [s.opened for s in summaries], width=0.4, color=BLUE, label=said["opened"])
    left.bar([p + 0.2 for p in places], [s.closed for s in summaries], width=0.4, color=GREEN, label=said["closed"])
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_title(said["chart_volume"], fontsize=10, loc="left")
    right = fig.add_axes((0.55, 0.33, 0.43, 0.58))
    for step, color in TREND_STEPS:
        rates = [float("nan") if (rate := s.step(step).rate) is None else rate * 100 for s in summaries]
        right.plot(places, rates, marker="o", markersize=3, color=color, label=labels.STEPS[lang][step][0])
    right.set_ylim(0, 105)
    right.set_title(said["chart_compliance"], fontsize=10, loc="left")
    for ax in (left, right):
        ax.set_xticks(places, heads)
        _style(ax)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.2), ncols=2)
    return Chart("trend", said["chart_volume"], _png(fig))


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, metadata={"Software": None})  # no timestamp: same figures, same bytes
    return buffer.getvalue()


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def _label_room(names: list[str]) -> float:
    """Inches for a bar chart's category labels, measured from the text: a layout engine
    would take half of the drawing time."""
    return CHAR * max((len(n) for n in names), default=0) + 0.2


def _bars(ax: Any, items: list[tuple[str, int]], title: str, color: str) -> None:
    names = [name for name, _ in items][::-1]
    values = [value for _, value in items][::-1]
    bars = ax.barh(names, values, color=color)
    ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlim(0, max([*values, 1]) * 1.2)
    ax.xaxis.set_visible(False)
    _style(ax)


def _volume(figure: Any, summary: Summary, lang: str) -> bytes:
    words = labels.CHARTS[lang]
    panels = [
        ([(labels.STATES[lang].get(k, k), n) for k, n in summary.by_state], words["by_state"], BLUE),
        ([(labels.CATEGORIES[lang].get(k, k), n) for k, n in summary.by_category], words["by_category"], GREEN),
        ([(labels.PRIORITIES[lang].get(k, k), n) for k, n in summary.by_priority], words["by_priority"], ORANGE),
    ]
    fig = figure(figsize=(WIDTH, 2.8))
    slot = WIDTH / len(panels)
    for index, (items, title, color) in enumerate(panels):
        room = _label_room([name for name, _ in items])
        ax = fig.add_axes(((index * slot + room) / WIDTH, 0.04, (slot - room - 0.25) / WIDTH, 0.8))
        _bars(ax, items, title, color)
    return _png(fig)


def _daily(figure: Any, summary: Summary, lang: str) -> bytes:
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    words = labels.CHARTS[lang]
    fig = figure(figsize=(WIDTH, 2.8))
    ax = fig.add_axes((0.05, 0.12, 0.93, 0.76))
    days = [d.day.day for d in summary.per_day]
    ax.bar(days, [d.opened for d in summary.per_day], color=[BLUE if d.working else GREY for d in summary.per_day])
    ax.set_xticks(days)
    ax.set_xlim(0.3, len(days) + 0.7)
    ax.set_ylabel(words["tickets"], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{words['daily']} ({labels.month_label(summary.month, lang)})", fontsize=10, loc="left")
    ax.legend(handles=[Patch(color=BLUE, label=words["working"]), Patch(color=GREY, label=words["off"])],
              fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2)
    _style(ax)
    return _png(fig)


def _compliance(figure: Any, summary: Summary, lang: str) -> bytes:
    words = labels.CHARTS[lang]
    steps = list(summary.steps)[::-1]
    names = [labels.STEPS[lang][s.step][0] for s in steps]
    fig = figure(figsize=(WIDTH, 3.2))
    room = _label_room(names)
    ax = fig.add_axes((room / WIDTH, 0.03, 1 - room / WIDTH - 0.02, 0.86))
    rates = [(s.rate or 0) * 100 for s in steps]
    colors = [GREY if s.rate is None else GREEN if s.rate >= 0.9 else ORANGE if s.rate >= 0.7 else RED for s in steps]
    bars = ax.barh(names, rates, color=colors)
    ax.bar_label(bars, labels=[words["no_cases"] if s.rate is None else
                               f"{labels.percent(s.rate, lang)} ({s.met}/{s.cases})" for s in steps],
                 fontsize=8, padding=3)
    ax.set_xlim(0, 118)
    ax.set_title(words["compliance"], fontsize=10, loc="left")
    ax.xaxis.set_visible(False)
    _style(ax)
    return _png(fig)


def _ratings(figure: Any, summary: Summary, lang: str) -> bytes:
    words = labels.CHARTS[lang]
    esc = summary.escalations
    outcome = labels.OUTCOMES[lang]
    items = [(outcome["resolved_by_lkpp"], esc.resolved_by_lkpp), (outcome["returned"], esc.returned),
             (outcome["with_lkpp"], esc.with_lkpp), (outcome["other"], esc.other)]
    fig = figure(figsize=(WIDTH, 2.6))
    left = fig.add_axes((0.03, 0.12, 0.36, 0.74))
    room = _label_room([name for name, _ in items])
    right = fig.add_axes(((WIDTH / 2 + room) / WIDTH, 0.05, (WIDTH / 2 - room - 0.3) / WIDTH, 0.8))
    scores = ["1", "2", "3", "4", "5"]
    bars = left.bar(scores, summary.ratings.by_score, color=[RED, ORANGE, GREY, GREEN, GREEN])
    left.bar_label(bars, fontsize=8, padding=2)
    left.set_ylim(0, max([*summary.ratings.by_score, 1]) * 1.25)
    left.set_title(words["ratings"], fontsize=10, loc="left")
    left.yaxis.set_visible(False)
    _style(left)
    _bars(right, items, f"{words['escalations']} ({esc.tickets})", BLUE)
    return _png(fig)
