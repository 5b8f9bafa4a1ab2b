"""The exit statuses of `mailbot` (SPEC 10), named once for `cli/main.py` and the commands.

0 success, 1 no such ticket (`audit`: the mailbox and the records disagree; `shadow`: the
candidate decides otherwise), 2 a usage error, 64 an unknown `--mailbox`, 69 a server
unreachable, 70 an internal error, 75 mail waits (try again later), 77 a login refused, 78 a
configuration error.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.errors import LoginRefusedError, MissingFolderError

EX_OK, EX_NOT_FOUND, EX_USAGE, EX_UNAVAILABLE, EX_SOFTWARE, EX_NOPERM, EX_CONFIG = 0, 1, 2, 69, 70, 77, 78
EX_BAD_MAILBOX = 64  # sysexits' EX_USAGE: `--mailbox` names no mailbox the config or the database knows
EX_FOUND = 1  # `audit`: the mailbox and the records do not agree; `shadow`: the candidate decides otherwise
EX_TEMPFAIL = 75  # `run --once`: mail waits (not stored, not sent); the next run tries again
GRAVEST_FIRST = (EX_CONFIG, EX_UNAVAILABLE, EX_NOPERM)  # which of several problems `check` and `run --once` say


def gravest(codes: Iterable[int]) -> int:
    """The gravest of several problems' codes, `GRAVEST_FIRST`; 0 when there were none."""
    found = set(codes)
    return next((code for code in GRAVEST_FIRST if code in found), EX_OK)


def server_status(failures: Iterable[BaseException]) -> int:
    """The gravest of the servers' failures, ranked as `check` ranks them: 78 a missing folder,
    69 a server unreachable, 77 a login refused; 0 when there were none."""
    return gravest(EX_CONFIG if isinstance(exc, MissingFolderError) else EX_NOPERM
                   if isinstance(exc, LoginRefusedError) else EX_UNAVAILABLE for exc in failures)
