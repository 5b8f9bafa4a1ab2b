"""`mailbot web`: the window as a process of its own beside `mailbot run` (SPEC 10, 13).

Why Starlette served by uvicorn: the window is a handful of server-rendered pages and two
downloads, behind the host's reverse proxy. Starlette is a small, typed, well-kept ASGI
toolkit (routing, requests, cookies, background tasks, nothing more) that renders with the
Jinja2 mailbot already uses for its mail, and uvicorn is the ASGI server mature projects
of this size run behind nginx or Apache; neither brings an ORM, sessions in a database or
JavaScript. A process of its own: the daemon never waits on a browser, and whatever
fails here (a page, the server, a sign-in mail) ends here; the daemon does not know it.

The store is opened read-only (SQLite: `mode=ro`, and query_only; PostgreSQL: a
read-only session, and a role with SELECT alone as the operator's guide shows), the key
only read, never made. Its own small state (the sign-in links used, `used_file`) lives in
`web/` beside the data, never in the store.
"""

from __future__ import annotations

import argparse
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mailbot.config.load import data_folder
from mailbot.errors import ConfigError
from mailbot.io import keys
from mailbot.io.logs import get as get_log
from mailbot.io.store import Store
from mailbot.settings import Config
from mailbot.web.readers import open_store


def read_key(path: Path) -> bytes:
    """The signing key as the daemon made it (the window never makes one: links signed with a
    key the daemon does not have would open nothing)."""
    key = keys.read_key(path)
    if key is None:
        raise ConfigError(f"secret_key_file: {path} does not exist yet: start the daemon (mailbot run) first, "
                          "it makes the key")
    return key


def store_key(cfg: Config, store: Store) -> bytes:
    """The key, when it is the one the store's daemons sign with (the fingerprint the store
    records, SPEC 11): with another, every link the daemon mailed would open nothing here,
    and every sign-in link mailed from here nothing in a window of another host."""
    key = read_key(cfg.secret_key_file)
    database = store.database
    problem = keys.differs(cfg.secret_key_file, key, store.metadata.meta(keys.FINGERPRINT), str(database.path),
                           shared=database.dialect != "sqlite", window=True)
    if problem is not None:
        raise ConfigError(problem)
    return key


def used_file(cfg: Config) -> Path:
    """Where the window keeps the sign-in links already used: `web/` in the data folder."""
    return data_folder(cfg.path.resolve().parent) / "web" / "used-signin-links.json"


def cmd_web(cfg: Config, args: argparse.Namespace) -> None:
    """Serve the window until SIGTERM or SIGINT (uvicorn stops cleanly on either)."""
    import uvicorn

    from mailbot.web.app import Window, build_app

    if cfg.web is None:
        raise ConfigError("web: not configured: add a web: block (listen, url, status_link_days) to serve the window")
    store = open_store(cfg)
    try:
        key = store_key(cfg, store)
    except ConfigError:
        store.close()
        raise
    window = Window(cfg, store, key, used_file=used_file(cfg))
    log = get_log()
    web = cfg.web
    # access_log off: uvicorn's line prints the path, where a link's token stands (`guard.Guard` logs instead);
    # proxy headers: the client's address as the reverse proxy on this host forwards it (the sign-in limits)

    class Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            with _stopped_by_signal(self):
                yield

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            """Listening: said once the socket is bound (who looked is in `signin`'s lines)."""
            await super().startup(sockets)
            if self.started:
                log.info("web_started", listen=web.listen, url=web.url, database=str(store.database.path),
                         key=keys.fingerprint(key)[:keys.SHOWN])

    server = Server(uvicorn.Config(build_app(window), host=cfg.web.host, port=cfg.web.port, access_log=False,
                                   log_config=None, proxy_headers=True, forwarded_allow_ips="127.0.0.1,::1",
                                   server_header=False, log_level=cfg.log.level))
    try:
        server.run()
    finally:
        window.close()  # its stores, and the process that computes the summaries
        log.info("web_stopped", listen=web.listen, served=server.started)


@contextmanager
def _stopped_by_signal(server: Any) -> Iterator[None]:
    """SIGTERM (systemd's stop) and SIGINT end the serving cleanly, and the command exits 0:
    uvicorn's own handling raises the signal again once it stopped, which ends the process
    by it."""
    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    before = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
