"""`mailbot run` the way systemd runs it, without booting systemd.

The unit is Type=notify with WatchdogSec=, StateDirectory= and LoadCredential=; here
the test plays systemd: NOTIFY_SOCKET is a real datagram socket the test reads,
WATCHDOG_USEC, STATE_DIRECTORY and CREDENTIALS_DIRECTORY are set, and the daemon is
sent SIGTERM in the middle of a 1,000-message backlog (MAILBOT_SYSTEMD_BACKLOG=2000: the
heavy run). Real Dovecot and SMTP.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from mailbot.io.store import Store
from tests.mailfactory import UNIT, mail, write_config

ROOT = Path(__file__).resolve().parents[1]
BACKLOG = int(os.environ.get("MAILBOT_SYSTEMD_BACKLOG", "1000"))  # 2,000: the heavy run


class NotifySocket:
    """What systemd reads from a Type=notify service: every datagram with its arrival time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.done.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            for line in data.decode().splitlines():
                self.messages.append((time.monotonic(), line))

    def wait_for(self, pattern: str, timeout: float) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in list(self.messages):
                if re.fullmatch(pattern, line):
                    return when, line
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} from the daemon within {timeout} s; got {self.lines()[-10:]}")

    def wait_for_count(self, line: str, count: int, after: float, timeout: float) -> None:
        """Until `line` has come `count` times since the moment `after`."""
        deadline = time.monotonic() + timeout
        while sum(1 for when, got in list(self.messages) if got == line and when > after) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"not {count} x {line!r} within {timeout} s; got {self.lines()[-10:]}")
            time.sleep(0.05)

    def lines(self) -> list[str]:
        return [line for _, line in self.messages]

    def close(self) -> None:
        self.done.set()
        self.thread.join(2)
        self.sock.close()


def systemd_layout(servers, tmp: Path) -> tuple[Path, dict[str, str]]:
    """/etc/mailbot/config.yaml with relative data paths and the IMAP password as a credential."""
    etc, state, creds = tmp / "etc", tmp / "state", tmp / "credentials"
    for folder in (etc, state, creds):
        folder.mkdir()
    config = write_config(servers, etc)
    data = yaml.safe_load(config.read_text())
    data.update(database="mailbot.db", archive_dir="archive", secret_key_file="secret.key")
    data["log"] = {"format": "json", "level": "warning"}
    imap = data["mailboxes"][0]["imap"]
    (creds / "imap").write_text(imap.pop("password") + "\n")
    imap.update(password_file="${CREDENTIALS_DIRECTORY}/imap", idle=True, poll_seconds=30)
    config.write_text(yaml.safe_dump(data))
    env = dict(os.environ, STATE_DIRECTORY=str(state), CREDENTIALS_DIRECTORY=str(creds),
               NOTIFY_SOCKET=str(tmp / "notify.sock"), WATCHDOG_USEC="3000000")
    return config, env


def fill_inbox(servers, count: int) -> None:
    """A backlog in the unit's INBOX, each from its own requester (no loop limit applies)."""
    with servers.imap(UNIT) as client:
        for i in range(count):
            raw, _ = mail(f"pengguna{i}@vendor.test", f"Kendala akun SPSE nomor {i}",
                          f"Selamat pagi,\nakun saya nomor {i} tidak bisa login ke SPSE.\nTerima kasih.")
            client.append("INBOX", raw)


def folder_count(servers, folder: str) -> int:
    with servers.imap(UNIT) as client:
        if not client.folder_exists(folder):
            return 0
        return int(client.select_folder(folder, readonly=True)[b"EXISTS"])


def test_run_under_systemd_reports_progress_and_stops_mid_pass(fresh_mailboxes, tmp_path):
    """READY=1, WATCHDOG=1 and STATUS= progress during a 1,000-message pass (MAILBOT_SYSTEMD_BACKLOG); SIGTERM mid-pass
    stops within 5 s; nothing is lost or handled twice, and the next start finishes the rest."""
    servers = fresh_mailboxes
    config, env = systemd_layout(servers, tmp_path)
    fill_inbox(servers, BACKLOG)
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ready, _ = notify.wait_for("READY=1", 60)
        notify.wait_for(rf"STATUS=t: (\d{{3,}})/{BACKLOG} messages", 300)  # a hundred or more done: mid-pass
        # a watchdog interval (1 s) several times over, waited for as pings rather than slept
        # for: a fixed sleep let a fast host finish the whole backlog before the SIGTERM
        notify.wait_for_count("WATCHDOG=1", 3, after=ready, timeout=30)
        sent_term = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        stop_seconds = time.monotonic() - sent_term
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()
    assert proc.returncode == 0, out.decode()[-3000:]
    assert stop_seconds <= 5.0, f"stopped {stop_seconds:.1f} s after SIGTERM"
    print(f"\nstopped {stop_seconds:.2f} s after SIGTERM mid-pass")

    lines = notify.lines()
    pings = [when for when, line in notify.messages if line == "WATCHDOG=1" and ready < when < sent_term]
    assert len(pings) >= 3, lines  # during the pass, not only between passes
    progress = [int(m[1]) for line in lines if (m := re.fullmatch(rf"STATUS=t: (\d+)/{BACKLOG} messages", line))]
    assert progress == sorted(progress) and len(progress) >= 2
    assert "STOPPING=1" in lines
    done = progress[-1]
    assert done < BACKLOG, "the pass should have been stopped in its middle"

    # Nothing lost: what was handled left the INBOX, the rest is still there.
    processed, waiting = folder_count(servers, "Processed"), folder_count(servers, "INBOX")
    assert processed + waiting == BACKLOG
    store = Store(tmp_path / "state" / "mailbot.db")  # where STATE_DIRECTORY put it
    [(recorded,)] = store.db.execute("select count(*) from messages where direction = 'in'").fetchall()
    assert recorded >= processed  # a committed batch may wait for its move: moved on the next start

    # The next start finishes the rest; every message handled once, every ack queued once and sent.
    env.pop("NOTIFY_SOCKET")
    result = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "run", "--once"],
                            cwd=ROOT, env=env, capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout.decode()[-2000:] + result.stderr.decode()[-2000:]
    assert folder_count(servers, "INBOX") == 0
    assert folder_count(servers, "Processed") == BACKLOG
    [(recorded, distinct)] = store.db.execute(
        "select count(*), count(distinct message_id) from messages where direction = 'in'").fetchall()
    assert recorded == distinct == BACKLOG
    [(acks, requesters, sent, held)] = store.db.execute(
        "select count(*), count(distinct rcpt), sum(sent_at is not null), sum(held = 1 and sent_at is null) "
        "from outbox where kind = 'ack'").fetchall()
    # a thousand new addresses of one domain within the hour are people to SPEC 5, not one sender:
    # each request has its one ack; the domain takes the hour's budget (60) less the reserve kept
    # for the other domains (a fifth): 48 go now, the others are held to go by themselves, in turn
    #; none is acked twice, none is left without its ticket
    assert acks == requesters == BACKLOG
    assert sent == 48 and held == BACKLOG - 48


def test_data_files_are_private(fresh_mailboxes, tmp_path):
    """The database and the archive (requesters' mail and attachments) are for mailbot alone,
    whatever the umask it runs under."""
    servers = fresh_mailboxes
    config, env = systemd_layout(servers, tmp_path)
    env.pop("NOTIFY_SOCKET")
    fill_inbox(servers, 3)
    result = subprocess.run([sys.executable, "-c", ("import os, sys; os.umask(0o022); "
                                                   "from mailbot.cli import main as cli; "
                             f"sys.exit(cli.main(['--config', {str(config)!r}, 'run', '--once']))")],
                            cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    state = tmp_path / "state"
    files = [state / "mailbot.db", state / "secret.key", *(state / "archive").rglob("*.eml")]
    folders = [p for p in (state / "archive").rglob("*") if p.is_dir()]
    assert len(files) > 5 and folders
    modes = {str(p.relative_to(state)): stat.S_IMODE(p.stat().st_mode) for p in files + folders}
    print("\n" + "\n".join(f"{oct(mode)} {name}" for name, mode in sorted(modes.items())[:6]))
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), modes
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders), modes
    wal = state / "mailbot.db-wal"
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_a_notification_socket_nobody_reads_never_stops_the_daemon(tmp_path, monkeypatch):
    """systemd reads its socket; if a supervisor does not, STATUS=/WATCHDOG=1 are dropped, not waited on."""
    from mailbot.daemon.service import sd_notify

    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as unread:
        unread.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        worker = threading.Thread(target=lambda: [sd_notify(f"STATUS=b: {i}/5000 messages") for i in range(5000)],
                                  daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "sd_notify blocked on a full notification socket"
        assert b"STATUS=b: 0/5000" in unread.recv(4096)  # what fitted was delivered


def test_many_mailboxes_get_room_for_their_connections():
    """600 mailboxes need ~1,300 open files: the soft limit (often 1,024) is raised towards the hard one."""
    probe = ("import resource\nfrom mailbot.daemon.service import descriptors_for\n"
             "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
             "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
             "descriptors_for(600, None)\n"
             "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert int(done.stdout.strip()) >= 2 * 600 + 64
