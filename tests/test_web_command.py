"""`mailbot web` as the operator runs it (SPEC 10, 13).

The command refuses, with 78 and the key named, a config without `web:`, and a data folder
the daemon never started on (no key, no database: the window makes neither). Run as a
process, it serves its pages, stops on SIGTERM, and its log (mailbot's own `web_request`
line; uvicorn's access log is off) never holds a status or sign-in link's token.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.cli import main as cli
from tests import mailfactory as mf
from tests.webwindow import Client, free_port, links_in, one_request_status_link, path_of, web_block

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


def test_without_a_web_block_there_is_no_window(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("smtp: {host: 127.0.0.1, port: 2525, security: none}\nmailboxes:\n"
                      "  - {name: t, address: lpse@lpse.test, tag_prefix: T, staff: [s@lpse.test],\n"
                      "     imap: {host: 127.0.0.1, port: 1143, security: none, username: lpse@lpse.test,\n"
                      "            password: x}}\n")
    assert cli.main(["--config", str(config), "web"]) == 78
    assert "configuration error: web: not configured" in capsys.readouterr().err


def test_the_window_makes_no_key_and_no_database(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("smtp: {host: 127.0.0.1, port: 2525, security: none}\nweb: {listen: '127.0.0.1:1'}\n"
                      "mailboxes:\n  - {name: t, address: lpse@lpse.test, tag_prefix: T, staff: [s@lpse.test],\n"
                      "     imap: {host: 127.0.0.1, port: 1143, security: none, username: lpse@lpse.test,\n"
                      "            password: x}}\n")
    assert cli.main(["--config", str(config), "web"]) == 78
    assert "does not exist yet: start the daemon (mailbot run) first" in capsys.readouterr().err
    assert not (tmp_path / "secret.key").exists() and not (tmp_path / "mailbot.db").exists()


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.integration
def test_mailbot_web_serves_and_its_log_never_holds_a_token(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), log={"format": "json", "level": "info"})
    link = one_request_status_link(servers, config, OPENED)
    token = path_of(link).rsplit("/", 1)[1]
    signin = "a2VwYWxhQGxwc2UudGVzdA.1795000000.0123456789abcdef0123.abcdefghijklmnopqrstuvwxyz"
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "web"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True)
    try:
        assert mf.wait_for(lambda: _port_open(port), 30), "mailbot web did not listen"
        assert _get(port, path_of(link)) == 200
        assert _get(port, f"/masuk/{signin}") == 400
        assert _get(port, "/masuk") == 200
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out
    assert token not in out and signin not in out
    requests = [json.loads(line) for line in out.splitlines() if '"web_request"' in line][-3:]  # past the probes
    assert [r["path"] for r in requests] == ["/status/***", "/masuk/***", "/masuk"], out
    assert [r["status"] for r in requests] == [200, 400, 200]


def _port_open(port: int) -> bool:
    try:
        _get(port, "/masuk")
        return True
    except OSError:
        return False


@pytest.mark.integration
def test_the_windows_log_says_its_start_who_asked_who_signed_in_and_its_stop(fresh_mailboxes, tmp_path):
    """Who looked: `mailbot web` logs its start (where it listens, the first characters of the
    key's fingerprint, the one the store records) and its stop, and each sign-in request and
    link use with its address and outcome; never a link's token."""
    import sqlite3

    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), log={"format": "json", "level": "info"})
    servers.append(mf.UNIT, mf.mail("sari@vendor.test", "Tidak bisa login", "Mohon bantuan.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))  # the daemon's first start: the store and its key
    with sqlite3.connect(tmp_path / "mailbot.db") as conn:
        [(recorded,)] = conn.execute("select value from meta where key = 'key_fingerprint'").fetchall()
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "web"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True)
    try:
        assert mf.wait_for(lambda: _port_open(port), 30), "mailbot web did not listen"
        browser = Client(port)
        browser.ask_link(mf.HEAD)
        browser.ask_link("penasaran@luar.test")  # not named in the config: the same page, no mail
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, mf.HEAD), "web_signin"), 20)
        [link] = links_in(mf.text_of(mf.of_kind(mf.inbox(servers, mf.HEAD), "web_signin")[0]))
        assert browser.get(path_of(link)).status == 303  # signed in
        assert browser.get(path_of(link)).status == 400  # used once
        assert Client(port).get("/masuk/" + "x" * 40).status == 400  # nobody's
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    said = [e for e in events if e["event"] != "web_request"]
    [started] = [e for e in said if e["event"] == "web_started"]
    assert started["listen"] == f"127.0.0.1:{port}" and started["key"] == recorded[:12]
    assert said[-1]["event"] == "web_stopped"
    outcomes = [(e["event"], e.get("address")) for e in said if e["event"].startswith(("signin", "signed"))]
    assert sorted(outcomes, key=str) == sorted([
        ("signin_link_sent", mf.HEAD),
        ("signin_link_not_sent", "penasaran@luar.test"),
        ("signed_in", mf.HEAD),
        ("signin_refused", mf.HEAD),  # the link used before
        ("signin_refused", None),  # a link of nobody's
    ], key=str), outcomes
    token = path_of(link).rsplit("/", 1)[1]
    assert token not in out and token[:20] not in out
