"""The one way out to a person's terminal: standard output and error show control
characters, never pass them on.

A subject, a display name, a form's field, a server's answer, a config value or a
command-line argument is text someone else wrote, and a terminal obeys the controls in
it: OSC 52 writes the operator's clipboard, OSC 0 the window title, `ESC [ 2 J` clears
the screen, U+009B starts a command where C1 is honoured, U+202E turns text around.
Escaping them where each command prints was a call every writer had to remember, and
`report tamu` forgot it. Here the streams themselves do it: `guarded` runs a program's
`main` with `sys.stdout` and `sys.stderr` replaced by `Shown` streams, which write every
text through `core.controls.visible`. Whatever a command, argparse, the log's console
lines or a traceback write there, now or in a command added later, reaches the terminal
as visible escapes (`\\x1b`, `\\u202e`); newline and tab stay.

Bytes written to a stream's `buffer` (a CSV, an XLSX or an HTML page for a file or a
pipe) are a file's, not a terminal's: their writers make each cell or page safe
(`reports.cells`, `io.render.shown`). JSON keeps its own escapes (`as_json`), which
decode to the same value; a document whose strings hold no raw control passes here
unchanged.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ParamSpec, TextIO, TypeVar, cast

from mailbot.core.controls import json_visible, visible

_P = ParamSpec("_P")
_R = TypeVar("_R")


class Shown:
    """A text stream whose every write shows control characters as visible escapes; all
    else (its `buffer`, `fileno`, `isatty`, `encoding`) is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(visible(text))
        return len(text)  # what was asked: `print` and `io` count the caller's characters

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def shown(stream: TextIO) -> TextIO:
    """`stream` writing through `Shown` (itself when it does already)."""
    return stream if isinstance(stream, Shown) else cast(TextIO, Shown(stream))


@contextmanager
def shown_streams() -> Iterator[None]:
    """`sys.stdout` and `sys.stderr` as `Shown` streams for the time of the block; the
    streams that were there before are put back (a test's captured ones, too)."""
    before = sys.stdout, sys.stderr
    if sys.stdout is not None:
        sys.stdout = shown(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = shown(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before


def guarded(main: Callable[_P, _R]) -> Callable[_P, _R]:
    """A program's `main` whose every write to standard output and error is shown (the
    boundary of this module), and whose traceback, should one reach the top, is too."""

    @functools.wraps(main)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if sys.excepthook is sys.__excepthook__:
            sys.excepthook = shown_traceback
        with shown_streams():
            return main(*args, **kwargs)

    return run


def shown_traceback(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """`sys.excepthook`: the traceback as Python prints it, its messages' controls shown
    (an exception may quote a subject or a server's answer)."""
    stream = sys.stderr if sys.stderr is not None else sys.__stderr__
    if stream is not None:
        shown(stream).write("".join(traceback.format_exception(kind, value, tb)))


def shown_line(text: str) -> str:
    """`text` as one line (its line ends as spaces), every control shown: for a line read
    by a program that takes a newline as the start of another (systemd's notifications)."""
    return visible(" ".join(text.splitlines()))


def say(*values: object, file: TextIO | None = None) -> None:
    """`print` for a person, to standard output (or `file`): within `guarded` those
    streams show any control character, so nothing needs escaping here."""
    print(*values, file=file)


def as_json(value: object, indent: int | None = None) -> str:
    """JSON for scripts, non-ASCII text as it is (`ensure_ascii=False`) but every control
    as a `\\u` escape: `json.dumps` writes C0 so and leaves DEL, C1 and the bidi controls
    raw, which `json_visible` escapes. The document decodes to the very same value."""
    return json_visible(json.dumps(value, ensure_ascii=False, indent=indent))
