"""Who may see each page of the window (SPEC 13), said once: the route table.

Staff, coordinators and heads see the desk once signed in; anyone reaches the sign-in, a
requester's status page (its link is its key) and the page's own files. A page is added to
the table with who may see it, and a page for the signed in is never run without a
session: the answer is the way to `/masuk`. The window is served on loopback over a store
of its own; no mail is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from starlette.responses import PlainTextResponse

from mailbot.core.web_tokens import session_token
from mailbot.io.store import Store
from mailbot.web import app
from tests.webwindow import Client, free_port, serving, web_block

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
HEAD = "kepala@lpse.test"
BROWSER = "0123456789abcdef0123456789abcdef"
KEY = b"k" * 64


@pytest.fixture
def window(tmp_path):
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": str(tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "warning"},
        "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"}, "web": web_block(port),
        "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "tag_prefix": "LPSE-T", "staff": ["staff1@lpse.test"],
                       "heads": [HEAD], "imap": {"host": "127.0.0.1", "port": 9, "security": "none"}}],
    }))
    (tmp_path / "secret.key").write_bytes(KEY + b"\n")
    Store(tmp_path / "mailbot.db").close()
    return config, port


def _signed_in(port: int) -> Client:
    return Client(port, jar={"mb_browser": BROWSER,
                             "mb_session": session_token(KEY, HEAD, BROWSER, NOW + timedelta(hours=8))})


def test_a_page_the_table_gives_the_signed_in_never_runs_without_a_session(window, monkeypatch):
    config, port = window
    seen = []

    def probe(window, request, person):  # a page added later, as any page is: one row of the table
        seen.append(person.address)
        return PlainTextResponse("probe")

    monkeypatch.setattr(app, "ROUTES", (*app.ROUTES, ("/probe", probe, app.SIGNED_IN, ("GET",))))
    with serving(config, clock=lambda: NOW):
        stranger = Client(port).get("/probe")
        forged = Client(port, jar={"mb_browser": BROWSER, "mb_session": "x" * 40}).get("/probe")
        head = _signed_in(port).get("/probe")
    assert (stranger.status, stranger.headers["location"]) == (303, "/masuk")
    assert forged.status == 303
    assert head.status == 200 and head.text == "probe"
    assert seen == [HEAD]  # run once, for the signed-in head, handed who they are


def test_only_the_sign_in_a_requesters_page_and_the_pages_own_files_are_public(window):
    config, port = window
    public = {path for path, _handler, who, _methods in app.ROUTES if who == app.PUBLIC}
    assert public == {"/masuk", "/masuk/{token:path}", "/keluar", "/status/{token:path}", "/gaya.css",
                      "/favicon.ico"}
    examples = {"{mailbox}": "t", "{number}": "2026-00001", "{address}": "staff1@lpse.test", "{message:int}": "1",
                "{index:int}": "0", "{report:str}": "rekap", "{fmt:str}": "csv"}
    pages = []
    for path, _handler, who, methods in app.ROUTES:
        if who == app.SIGNED_IN and "GET" in methods:
            for placeholder, value in examples.items():
                path = path.replace(placeholder, value)
            pages.append(path)
    assert {"/", "/petugas", "/lkpp", "/arahan", "/ringkasan"} <= set(pages)
    with serving(config, clock=lambda: NOW):
        answers = {path: Client(port).get(path) for path in pages}
        signed = {path: _signed_in(port).get(path).status for path in ("/", "/petugas", "/lkpp", "/arahan")}
    assert {path: (a.status, a.headers.get("location")) for path, a in answers.items()} == {
        path: (303, "/masuk") for path in pages}
    assert signed == {"/": 200, "/petugas": 200, "/lkpp": 200, "/arahan": 200}
