"""The window (`mailbot web`, SPEC 13) for tests: served on loopback, asked as a browser asks.

`serving` runs the window's own application (`mailbot.web.app`, over the store opened
read-only as `mailbot web` opens it) under uvicorn in a thread, with a clock the test sets:
expiry is a matter of `now`, never of waiting. `Client` keeps cookies as a browser does
and reads answers whole (status, headers, text). `mailbot web` as a process is started by
the tests that need the command itself (its log, its refusal without `web:`).
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn

from mailbot.config.load import load_config
from mailbot.web.app import Window, build_app
from mailbot.web.readers import open_store
from mailbot.web.serve import read_key, used_file
from tests import mailfactory as mf
from tests.localmail import LocalMailServers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_block(port: int, **more: object) -> dict:
    """The `web:` block of a test's config: listening on loopback, links to localhost (a
    browser keeps Secure cookies for http://localhost, a secure context)."""
    return {"listen": f"127.0.0.1:{port}", "url": f"http://localhost:{port}/", **more}


@contextmanager
def serving(config: Path, clock: Callable[[], datetime] | None = None) -> Iterator[Window]:
    """The window of `config` served on its `web.listen` until the block ends."""
    cfg = load_config(config)
    assert cfg.web is not None
    store = open_store(cfg)
    window = Window(cfg, store, read_key(cfg.secret_key_file), used_file=used_file(cfg), clock=clock)
    server = uvicorn.Server(uvicorn.Config(build_app(window), host=cfg.web.host, port=cfg.web.port,
                                           access_log=False, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the window did not start"
        time.sleep(0.05)
    try:
        yield window
    finally:
        server.should_exit = True
        thread.join(20)
        window.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # the Set-Cookie lines

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Client:
    """A browser's part in it: cookies kept per name, requests to the window's address."""

    port: int
    jar: dict[str, str] = field(default_factory=dict)
    address: str = "127.0.0.1"

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection(self.address, self.port, timeout=30)
        headers = {"Host": f"localhost:{self.port}"}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(),
                        [v for k, v in response.getheaders() if k.lower() == "set-cookie"])
        connection.close()
        for line in answer.cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in line.lower():
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def made(self, path: str, seconds: float = 120) -> Answer:
        """A summary or trend page (`/ringkasan...`) once the window's worker has made it anew:
        until then the window answers 202 ("being prepared") or the figures made before under
        a note that new ones are being made, and the person reloads, as this does."""
        deadline = time.monotonic() + seconds
        answer = self.get(path)
        while (answer.status == 202 or 'class="said updating"' in answer.text) and time.monotonic() < deadline:
            time.sleep(0.3)
            answer = self.get(path)
        return answer

    def post(self, path: str, form: dict[str, str]) -> Answer:
        return self.request("POST", path, form)

    def ask_link(self, address: str) -> Answer:
        """The sign-in form filled in as a person would: the page first (its cookie, its form value)."""
        page = self.get("/masuk")
        form = re.search(r'name="form" value="([a-z2-7]+)"', page.text)
        assert form, page.text
        return self.post("/masuk", {"form": form[1], "alamat": address})


LINK = re.compile(r"(https?://\S+/(?:status|masuk)/\S+)")


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


def path_of(link: str) -> str:
    return urllib.parse.urlsplit(link).path


def one_request_status_link(servers: LocalMailServers, config: Path, opened: datetime) -> str:
    """Budi's one request, sent at `opened` and handled a minute later: the link to its
    status page that his acknowledgement carries."""
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Tidak bisa login", "Mohon bantuan.", date=opened)[0])
    mf.handle_at(config, opened + timedelta(minutes=1))
    [link] = [link for link in links_in(mf.text_of(mf.latest(servers, "budi@vendor.test", "ack")))
              if "/status/" in link]
    return link
