"""The commands that handle mail: `run` (the daemon, or one pass with `--once`), `sweep`
(the timers as of an instant) and `replay` (a saved message as if it had arrived).

The daemon's life (signals, reload, systemd) is `daemon/service.py`'s; `run` hands over to it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from typing import TYPE_CHECKING

from mailbot.exit_codes import EX_CONFIG, EX_OK, EX_TEMPFAIL, EX_USAGE, server_status
from mailbot.io.terminal import as_json, say

if TYPE_CHECKING:
    from mailbot.daemon.wiring import App, RunOnce
    from mailbot.io.store import Store
    from mailbot.settings import Config


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon.service import opened_app, serve
    from mailbot.io.freed_memory import return_freed_memory

    return_freed_memory()
    if args.once:
        return _run_once(opened_app(cfg))
    serve(cfg)  # a configuration error met while running is raised: 78
    return EX_OK


def _run_once(app: App) -> int:
    """`run --once`: one pass, its counts printed, its exit code what waits or failed."""
    result = app.run_once()
    print(as_json(result.as_json()))
    return once_exit_code(result)


def once_exit_code(result: RunOnce) -> int:
    """The exit code of a `run --once` (the one place its outcome becomes a code)."""
    if result.misconfigured:  # a server that cannot be used as configured: the operator's to mend
        for why in result.misconfigured:
            say(f"mailbot: configuration error: {why}", file=sys.stderr)
        return EX_CONFIG
    code = server_status(result.unreadable)  # the other mailboxes were handled all the same
    if code:
        return code
    # Mail that waits (a message that could not be stored stays in the INBOX; mail that
    # could not be sent stays in the outbox): 75, "try again later", never a silent 0.
    # A mail refused for good is not waiting: it is recorded and its sender told.
    if result.storage_failures or result.failed_passes or result.deferred_mail:
        say(f"mailbot: mail waits: {result.storage_failures} storage failure(s), mailbox pass(es) failed: "
            f"{', '.join(result.failed_passes) or 'none'}, {result.deferred_mail} mail(s) not sent yet",
            file=sys.stderr)
        return EX_TEMPFAIL
    return EX_OK


def store_for_writing(cfg: Config) -> Store:
    """The database for a command that writes but does not migrate (`sweep`, `replay`): an
    older schema is refused with what to start, as an older daemon may still run on it."""
    from mailbot.io.store import Store

    return Store.of(cfg, migrate=False)


def cmd_sweep(cfg: Config, args: argparse.Namespace) -> int:
    """Run the timers as of an instant: the same code `run` calls on its schedule."""
    from mailbot.daemon.wiring import App

    now = args.now.astimezone(UTC) if args.now else None
    app = App(cfg, store_for_writing(cfg), clock=(lambda: now) if now else None)
    swept = app.sweep()
    print(json.dumps({**swept, **app.send_here(), "now": app.clock().isoformat()}))
    return EX_OK


def cmd_replay(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon.wiring import App

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        say(f"mailbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EX_USAGE
    box = cfg.mailbox(args.mailbox) if args.mailbox else cfg.mailboxes[0]
    app = App(cfg, store_for_writing(cfg))
    outcome = app.handle(box, raw, dry_run=args.dry_run)
    print(as_json({"status": outcome.status, "label": outcome.label, "ticket": outcome.ticket,
                   "mail": list(outcome.sent), "dry_run": args.dry_run}))
    if not args.dry_run:
        app.send_here()
    return EX_OK
