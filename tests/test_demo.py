"""The demo (scripts/demo.py) runs the same way every time and ends with what to look at next."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--config",
                           str(tmp_path / "config.yaml"), *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path)


def test_demo_twice_gives_the_same_run(dovecot_installed, tmp_path):
    """A second run resets on purpose and says so: no UIDVALIDITY warnings, no limit alerts."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    ports = ["--imap-port", str(free_port()), "--smtp-port", str(free_port())]
    first = demo(tmp_path, *ports)
    assert first.returncode == 0, first.stderr + first.stdout
    assert first.stdout.startswith("First run:")
    second = demo(tmp_path, *ports)
    assert second.returncode == 0, second.stderr + second.stdout
    assert second.stdout.startswith("Starting afresh, as every demo run does: removed the previous run's")
    for run in (first, second):
        assert "uidvalidity_changed" not in run.stdout
        assert "coordinators_alerted" not in run.stdout and "held" not in run.stdout
        assert "Traceback" not in run.stderr
    tail = second.stdout.split("What to look at next:", 1)[1]
    assert "ticket 2026-00001 --full" in tail
    assert f"--config {tmp_path / 'data' / 'demo-config.yaml'} tickets" in tail
    # Same tickets, same mail each time (only the ids and times differ).
    assert first.stdout.count("message(s)") == second.stdout.count("message(s)")
    # The acks and staff notices (4), then the staff reply and command_ok (2); from 08:00 on a
    # working day the day's digest goes out with the first pass too.
    passes = [re.findall(r'"digests": (\d), "sent": (\d+), "failed": 0', run.stdout) for run in (first, second)]
    assert passes[0] == passes[1] and [int(sent) - int(digest) for digest, sent in passes[1]][:2] == [4, 2]


def test_a_port_in_use_is_named_with_how_to_pick_another(tmp_path):
    """No traceback: which port, and the option that picks another."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = demo(tmp_path, "--imap-port", str(port), "--smtp-port", str(free_port()))
    assert done.returncode == 69
    assert f"demo: port {port} (IMAP) on 127.0.0.1 is already in use" in done.stderr
    assert "--imap-port" in done.stderr and "Traceback" not in done.stderr
