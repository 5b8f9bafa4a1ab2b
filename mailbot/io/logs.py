"""Structured logging to stdout with structlog; systemd's journal collects it.

Event names are snake_case past tense; bodies and secrets are never logged.

A logged value may be a stranger's text (a subject, an address, a server's answer): a JSON
line escapes every control character in it (`json_visible`: DEL, C1 and the bidi controls
too, which `json.dumps` leaves raw), and a console line reaches the terminal through the
CLI's `Shown` standard output (`io/terminal.py`), which shows them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Any

import structlog

from mailbot.core.controls import json_visible

_LINES = threading.Lock()  # one whole line at a time on stdout, whichever thread writes it


def write_line(text: str) -> None:
    """One line to stdout, whole: the sender's lines the daemon passes on never land inside
    one of its own log lines (a print writes a line and its newline apart)."""
    with _LINES:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class _CurrentStdout:
    """Whatever `sys.stdout` is at the time of writing (not at configure time): a test
    harness or a caller that swaps stdout after `configure` still gets the lines. A line
    goes out whole, once its newline is written (`write_line`)."""

    def __init__(self) -> None:
        self._pending = threading.local()

    def write(self, text: str) -> int:
        pending = getattr(self._pending, "text", "") + text
        self._pending.text = ""
        if pending.endswith("\n"):
            write_line(pending[:-1])
        else:
            self._pending.text = pending
        return len(text)

    def flush(self) -> None:
        with _LINES:
            sys.stdout.flush()


LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
# syslog priorities (sd-daemon(3)): journald reads a "<N>" line prefix as the line's priority
_PRIORITY = {"debug": 7, "info": 6, "warning": 4, "error": 3, "exception": 3, "critical": 2}


JOURNAL_CHILD = "MAILBOT_LOG_TO_JOURNAL"  # the sender's lines reach the journal through the daemon's stdout


def to_journal() -> bool:
    """Whether stdout is systemd's journal stream (JOURNAL_STREAM names its device and inode),
    directly or through the daemon (the sender): then each line carries its priority, so
    `journalctl -p warning` shows the warnings."""
    if os.environ.get(JOURNAL_CHILD) == "1":
        return True
    stream = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = stream.partition(":")
    try:
        st = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return device.isdigit() and inode.isdigit() and (st.st_dev, st.st_ino) == (int(device), int(inode))


def _with_priority(logger: Any, method: str, line: Any) -> Any:
    return f"<{_PRIORITY.get(method, 6)}>{line}" if isinstance(line, str) else line


def _json_line(value: Any, **options: Any) -> str:
    """A JSON log line with no control character raw in it (see the module's docstring)."""
    return json_visible(json.dumps(value, **options))


def configure(fmt: str = "console", level: str = "info") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(_json_line, ensure_ascii=False) if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
            *((_with_priority,) if to_journal() else ()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def get(**bound: object) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger().bind(**bound)  # type: ignore[no-any-return]
