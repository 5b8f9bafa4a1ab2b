"""The window's edges, on a real `mailbot web` process (SPEC 13).

- An anonymous POST to `/masuk` of 256 MiB, once with its Content-Length and once in chunks
  without one, is refused unread: the process's resident memory (VmRSS) and its peak (VmHWM,
  /proc/PID/status) stay within 10 MiB of what they were. Before, the body was read whole
  (the red team saw 143 -> 365 MiB) and only then refused with a 400.
- A requester's status link opens its page; the same link with `%0A` (a newline) after its
  token does not: a `$` matched before a final newline, and the router's did too.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf
from tests.webwindow import free_port, one_request_status_link, path_of, web_block

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
BIG = 256 * 1024 * 1024
SLICE = 1024 * 1024
MIB = 1024 * 1024


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _post_big(port: int, *, chunked: bool) -> int | None:
    """An anonymous 256 MiB POST to /masuk, sent as fast as the window takes it; the status it
    answered with (None: the connection ended before an answer could be read)."""
    head = ["POST /masuk HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/x-www-form-urlencoded"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        piece = b"alamat=" + b"a" * (SLICE - 7)
        try:
            for _ in range(BIG // SLICE):
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the window closed the connection: it does not read the rest
        try:
            answer = sock.recv(4096)
        except OSError:
            return None
        return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else None
    finally:
        sock.close()


def test_big_bodies_are_refused_unread_and_tokens_are_matched_whole(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), log={"format": "json", "level": "warning"})
    link = one_request_status_link(servers, config, OPENED)
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "web"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True)
    try:
        assert mf.wait_for(lambda: _listening(port), 30), "mailbot web did not listen"
        assert _get(port, path_of(link)) == 200
        assert _get(port, path_of(link) + "%0A") != 200
        assert _get(port, path_of(link) + "%0a") != 200
        for _ in range(3):  # the pages and the form's answer once, as any first visitor would
            assert _get(port, "/masuk") == 200
        before = _memory(proc.pid)
        assert _post_big(port, chunked=False) in (413, None)
        assert _post_big(port, chunked=True) in (413, None)
        assert _get(port, "/masuk") == 200  # still serving
        after = _memory(proc.pid)
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out
    grown = {name: (after[name] - before[name]) / MIB for name in before}
    assert grown["VmRSS"] < 10 and grown["VmHWM"] < 10, (before, after)


def _listening(port: int) -> bool:
    try:
        _get(port, "/masuk")
        return True
    except OSError:
        return False
