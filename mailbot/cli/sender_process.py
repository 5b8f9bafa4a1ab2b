"""The sending child's command line: `python -m mailbot.cli.sender_process CONFIG`, started
and supervised by `mailbot run` (`daemon/sender.SenderProcess`). What it does is
`daemon/sender.serve`; here its outcome becomes the exit status the daemon reads: 75 when the
store could not be opened (started again after a pause), 78 when a server cannot be used as
configured (not restarted: the daemon stops and says why).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from mailbot.daemon.sender import CONFIG_ERROR, serve, status, stop_signals
from mailbot.errors import StorageError
from mailbot.exit_codes import EX_CONFIG, EX_OK, EX_TEMPFAIL
from mailbot.io.terminal import guarded


@guarded  # its stderr is the daemon's, its stdout read by it: neither carries a raw control
def main(argv: list[str] | None = None) -> int:
    """Send until told to stop."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from mailbot.flow.signals import Signals
    from mailbot.io import logs
    from mailbot.io.freed_memory import return_freed_memory
    from mailbot.io.locks import sender_lock
    from mailbot.io.store import Store

    parent = os.getppid()  # the daemon: once it is gone (even by kill -9), this sender stops too
    return_freed_memory()
    args = sys.argv[1:] if argv is None else argv
    cfg = load_config(Path(args[0]))
    logs.configure(cfg.log.format, cfg.log.level)
    stop = threading.Event()
    for signum in stop_signals():  # `systemctl kill -s HUP` reaches it too; under nohup it is ignored
        signal.signal(signum, lambda *_: stop.set())
    try:
        # the daemon tells of a failing store; it migrated the store before it started this
        # process (a sender that migrated too would read its version from git at every start)
        app = App(cfg, Store.of(cfg, migrate=False), signals=Signals(status), direct_alerts=False)
    except StorageError as exc:  # the database went away since the daemon opened it: started again later
        logs.get().info("sender_waiting_for_storage", error=str(exc))
        return EX_TEMPFAIL

    def stopped() -> bool:
        return stop.is_set() or os.getppid() != parent

    # A predecessor may still finish its last mail; on PostgreSQL each loop holds its own turn.
    # The wait for it ends with the daemon too: a sender its daemon left behind waited for
    # the lock as long as the predecessor lived, a signal the only way out.
    shared = app.store.database.dialect != "sqlite"
    with contextlib.nullcontext(True) if shared else sender_lock(cfg.database, stopped) as ours:
        if ours and not stopped():
            serve(app, sys.stdin.fileno(), stopped)
    app.store.close()
    if app.misconfigured:  # a server that cannot be used as configured: the daemon stops with 78
        status(f"{CONFIG_ERROR}{'; '.join(sorted(set(app.misconfigured.values())))}")
        return EX_CONFIG
    return EX_OK


if __name__ == "__main__":
    sys.exit(main())
