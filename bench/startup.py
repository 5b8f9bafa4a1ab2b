"""CPU from process start to ready: `mailbot run`'s daemon and its sender process, with anchors.

Each start costs every message of a backlog a share of it (a restart, a reload, a sender
started again), so it is measured as what it is: user + system CPU of a fresh process,
median of several runs, compiled modules present (as an installed mailbot has them).

* daemon: `python -m mailbot --config C run`, as systemd starts it, until it says READY=1 on
  its NOTIFY_SOCKET (its CPU read from /proc then). Its mailboxes' servers are closed ports
  on loopback: nothing after READY=1 is measured, and nothing before it talks to a server.
* sender: `python -m mailbot.cli.sender_process C`, as the daemon starts it, with its stdin
  already ended (the daemon gone): it opens its App and its sending loops, sees the end and
  stops; its whole life's CPU (wait4's rusage), an empty outbox.
* anchors, the same run: `python -c pass` (the interpreter's own start) and a process that
  imports the standard library's email parser and policy and parses one message.

Run: .venv/bin/python bench/startup.py [--repeat N] [--profile daemon|sender]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.compiled_files import keep_compiled_files

EMAIL_ANCHOR = ("import email.parser, email.policy\n"
                "email.parser.BytesParser(policy=email.policy.default).parsebytes("
                "b'From: a@b.test\\r\\nSubject: x\\r\\n\\r\\nbody\\r\\n').get_body()")


def closed_port() -> int:
    """A loopback port nobody listens on (the servers a start never talks to)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(tmp: Path) -> Path:
    """The bench's usual shape: one unit mailbox, SQLite, default rules and templates."""
    port = closed_port()
    box = {"name": "b0", "address": "lpse@lpse.test", "display_name": "LPSE", "tag_prefix": "LPSE",
           "imap": {"host": "127.0.0.1", "port": port, "security": "none", "username": "lpse@lpse.test",
                    "password": "x", "idle": True, "poll_seconds": 60},
           "staff": ["staff1@lpse.test", "staff2@lpse.test"]}
    data = {"database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
            "secret_key_file": str(tmp / "secret.key"), "log": {"format": "json", "level": "warning"},
            "escalation": {"address": "helpdesk@lkpp.test", "senders": ["*@lkpp.test"]},
            "auth": {"trusted_authserv_id": "mx.lpse.test"},
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}, "mailboxes": [box]}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def rusage_cpu(argv: list[str], **kw: object) -> float:
    """User + system CPU seconds of a process run to its end."""
    proc = subprocess.Popen(argv, cwd=ROOT, **kw)  # type: ignore[call-overload]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 75):
        raise RuntimeError(f"{argv} ended with {proc.returncode}")
    return float(usage.ru_utime + usage.ru_stime)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_cpu(cfg: Path, tmp: Path) -> float:
    """CPU of `mailbot run` until READY=1 (then stopped)."""
    path = tmp / f"notify-{time.monotonic_ns()}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(60)
        proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(cfg), "run"], cwd=ROOT,
                                env=dict(os.environ, NOTIFY_SOCKET=str(path)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while b"READY=1" not in sock.recv(4096):
                pass
            return proc_cpu(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)


def sender_cpu(cfg: Path) -> float:
    return rusage_cpu([sys.executable, "-m", "mailbot.cli.sender_process", str(cfg)],
                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile(which: str, cfg: Path) -> None:
    """cProfile of one start, in this process (top 30 by cumulative time)."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    if which == "daemon":
        prof.enable()
        from mailbot.daemon.service import Service, opened_app

        app = opened_app(__import__("mailbot.config.load", fromlist=["x"]).load_config(cfg))
        Service(app, __import__("threading").Event(), lambda s: None)
    else:
        prof.enable()
        from mailbot.config.load import load_config
        from mailbot.daemon.wiring import App
        from mailbot.flow.signals import Signals
        from mailbot.io.outbox_drain import server_groups

        loaded = load_config(cfg)
        app = App(loaded, signals=Signals(lambda s: None), direct_alerts=False)
        for _server, boxes in server_groups(loaded.mailboxes):
            app.sender_outbox([b.name for b in boxes])
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", choices=["", "daemon", "sender"], default="")
    args = parser.parse_args()
    keep_compiled_files()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mailbot")], check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as place:
        tmp = Path(place)
        cfg = config(tmp)
        if args.profile:
            profile(args.profile, cfg)
            return
        daemon_cpu(cfg, tmp)  # the store made and migrated once: later starts open it as a restart does
        figures: dict[str, list[float]] = {"python -c pass": [], "stdlib email parse": [],
                                           "daemon to READY=1": [], "sender start and stop": []}
        for _ in range(args.repeat):  # interleaved: the host's load drifts alike for all
            figures["python -c pass"].append(rusage_cpu([sys.executable, "-c", "pass"]))
            figures["stdlib email parse"].append(rusage_cpu([sys.executable, "-c", EMAIL_ANCHOR]))
            figures["daemon to READY=1"].append(daemon_cpu(cfg, tmp))
            figures["sender start and stop"].append(sender_cpu(cfg))
    print(f"CPU seconds (user + system), median (min-max) of {args.repeat} runs, compiled modules")
    for name, values in figures.items():
        print(f"  {name:24} {statistics.median(values):6.3f}  ({min(values):.3f}-{max(values):.3f})")


if __name__ == "__main__":
    main()
