"""`mailbot shadow [--since DATE] [--until DATE] [--candidate CONFIG] [--report FILE]`: what
this version with a candidate configuration would have done otherwise with the period's real
mail (SPEC 10). The playback is `daemon/shadow_run.py`'s; here the period is read, the
progress and a summary shown, the report written, and the outcome made an exit status: 0
nothing differs, 1 something does.

The report is two files: FILE.jsonl, a JSON object a difference, and FILE.txt, the same for a
person to read; each message named by its archive file, which `mailbot replay` takes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.core.controls import visible
from mailbot.exit_codes import EX_FOUND, EX_OK
from mailbot.io.terminal import say

if TYPE_CHECKING:
    from mailbot.core.shadow_compare import Divergence
    from mailbot.daemon.shadow_run import ShadowReport
    from mailbot.settings import Config

DEFAULT_DAYS = 30  # without --since: the month before --until
LABELS = {"outcome": "handled otherwise (processed, quarantined, duplicate)", "ticket": "another ticket",
          "role": "another role", "automatic": "person or machine", "event": "another event",
          "category": "category or priority", "commands": "commands run or refused", "states": "state changes",
          "mails": "mails sent (kind, recipients)", "mail_text": "the words of a mail",
          "history": "other history", "timer_mails": "timer mails (reminders, digest, summary)"}


def cmd_shadow(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.config.load import load_config
    from mailbot.core.shadow_compare import by_kind
    from mailbot.daemon.shadow_run import shadow

    candidate = load_config(args.candidate, secrets=False) if args.candidate else cfg
    until = _moment(args.until, cfg, datetime.now(UTC)) + (timedelta(days=1) if args.until else timedelta())
    since = _moment(args.since, cfg, until - timedelta(days=DEFAULT_DAYS))
    say(f"mailbot shadow: mail handled from {_local(since, cfg)} to {_local(until, cfg)}, "
        f"candidate {args.candidate or cfg.path}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mailbot-shadow-") as scratch:
        report = shadow(cfg, candidate, since, until, Path(scratch), _Progress())
    report_file = args.report or Path(f"mailbot-shadow-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    _write(report, report_file, cfg)
    for line in _summary(report, by_kind(report.differences), report_file):
        say(line)
    return EX_FOUND if report.differences else EX_OK


def _moment(day: date | None, cfg: Config, default: datetime) -> datetime:
    """The start of `day` in the unit's time zone, or `default`."""
    return datetime.combine(day, time(0), cfg.timezone).astimezone(UTC) if day else default


def _local(moment: datetime, cfg: Config) -> str:
    return moment.astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")


class _Progress:
    """How far the playback is, on standard error: a line each tenth of a long period."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, of: int) -> None:
        tenth = done * 10 // max(of, 1)
        if of >= 200 and tenth != self.shown:
            self.shown = tenth
            say(f"mailbot shadow: {done}/{of}", file=sys.stderr)


def _summary(report: ShadowReport, kinds: dict[str, int], report_file: Path) -> list[str]:
    lines = [f"{report.compared} message(s) compared"]
    if report.before_period:
        lines.append(f"{report.before_period} message(s) on tickets opened before the period: not compared")
    if report.unreplayable:
        lines.append(f"{report.unreplayable} message(s) recorded without a copy to handle again")
    if not report.differences:
        return [*lines, "no difference"]
    lines.append(f"{len(report.differences)} difference(s):")
    lines += [f"  {count:>5}  {LABELS[kind]}" for kind, count in kinds.items()]
    return [*lines, f"report: {report_file}.txt, {report_file}.jsonl"]


def _write(report: ShadowReport, path: Path, cfg: Config) -> None:
    """FILE.jsonl and FILE.txt, each difference with its message's archive name."""
    rows = [_row(d, cfg) for d in report.differences]
    path.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{path}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    Path(f"{path}.txt").write_text("".join(_text(r) for r in rows) or "no difference\n", "utf-8")


def _row(d: Divergence, cfg: Config) -> dict[str, object]:
    return {"mailbox": d.mailbox, "message_id": d.message_id, "archive": d.archive_path,
            "at": _local(d.at, cfg) if d.at else None, "kinds": list(d.kinds),
            "recorded": {k: _plain(v) for k, v in d.recorded.items()},
            "candidate": {k: _plain(v) for k, v in d.candidate.items()}}


def _plain(value: object) -> object:
    return [str(v) for v in value] if isinstance(value, tuple) else value


def _text(row: dict[str, object]) -> str:
    head = visible(f"{row['at']} {row['mailbox']} {row['message_id']}" if row["message_id"]
                   else f"{row['mailbox']}: mail no message caused")
    lines = [head, *([f"  archive: {row['archive']}"] if row["archive"] else [])]
    recorded, candidate = row["recorded"], row["candidate"]
    assert isinstance(recorded, dict) and isinstance(candidate, dict)
    for kind in recorded:
        lines += [f"  {kind}:", f"    recorded:  {_said(recorded[kind])}", f"    candidate: {_said(candidate[kind])}"]
    return "\n".join(lines) + "\n\n"


def _said(value: object) -> str:
    """A fact as a line of text; what a sender wrote (a Message-ID, a reason) shows its control
    characters as escapes, as on the terminal."""
    return visible("; ".join(str(v) for v in value) or "(none)" if isinstance(value, list) else str(value))
