"""One mailbox's slow SMTP server never delays another's mail (SPEC 1).

`mailbot run` serves many units from one process. When one unit's SMTP server takes
the connection and never greets (overloaded, or a firewall that drops its packets),
every other unit's acks used to wait out its time-out (about 30 s), on each new mail
of that unit and each retry. Each SMTP server now has a sending loop of its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests import mailfactory as mf
from tests.conftest import empty_mailbox
from tests.faultsmtp import FaultySmtp, smtp_block
from tests.localmail import HOST, LocalMailServers
from tests.test_systemd_run import NotifySocket

BATAM = "helpdesk@batam.test"
REQUESTER = "budi@vendor.test"


class Silent:
    """A TCP listener that takes every connection and never says a word (no 220 greeting)."""

    def __init__(self) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def two_units(servers: LocalMailServers, tmp: Path, silent: Silent | None, timeout: float = 30.0,
              **overrides: object) -> Path:
    """LPSE-T sends through the silent server (if any); Batam through the configured one."""
    def imap(address: str) -> dict[str, object]:
        return {"host": servers.host, "port": servers.imap_port, "security": "none", "username": address,
                "password": servers.password_for(address), "idle": True, "poll_seconds": 1}

    own = {"smtp": {"host": HOST, "port": silent.port, "security": "none", "timeout": timeout,
                    "greeting_timeout": timeout}} if silent else {}  # the silent server never greets
    boxes = [
        {"name": "t", "address": mf.UNIT, "tag_prefix": "LPSE-T", "imap": imap(mf.UNIT), **own,
         "staff": list(mf.STAFF), "coordinators": ["koordinator@lpse.test"]},
        {"name": "batam", "address": BATAM, "tag_prefix": "BTM", "imap": imap(BATAM),
         "staff": list(mf.STAFF), "coordinators": ["koordinator@lpse.test"]},
    ]
    return mf.write_config(servers, tmp, mailboxes=boxes, **overrides)


def batam_ready(servers: LocalMailServers) -> None:
    if BATAM not in servers.users:
        servers.add_user(BATAM)
    empty_mailbox(servers, BATAM)


def test_a_unit_whose_smtp_server_never_greets_does_not_delay_another_units_ack(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    batam_ready(servers)
    silent = Silent()
    proc = mf.daemon(two_units(servers, tmp_path, silent))
    try:
        servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci.")[0])
        assert mf.wait_for(lambda: len(silent.held) >= 1, 30), mf.stop(proc)  # LPSE-T's ack is stuck in the greeting
        asked = time.monotonic()
        servers.append(BATAM, mf.mail(REQUESTER, "Lupa kata sandi", "Mohon direset, terima kasih.", to=BATAM)[0])
        assert mf.wait_for(lambda: bool(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")), 25), mf.stop(proc)
        took = time.monotonic() - asked
        assert took < 5, f"Batam's ack took {took:.1f} s behind LPSE-T's silent server"
        [ack] = mf.of_kind(mf.inbox(servers, REQUESTER), "ack")
        assert BATAM in str(ack["From"])

        servers.append(mf.UNIT, mf.mail(REQUESTER, "Dokumen tidak terunggah", "Gagal unggah penawaran.")[0])
        time.sleep(2)  # LPSE-T has more mail queued behind its stuck session
        asked = time.monotonic()
        servers.append(BATAM, mf.mail(REQUESTER, "Jadwal tender", "Kapan jadwal pembukaan?", to=BATAM)[0])
        assert mf.wait_for(lambda: len(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")) == 2, 25), mf.stop(proc)
        assert time.monotonic() - asked < 5

        stopping = time.monotonic()
        mf.stop(proc)
        assert proc.returncode == 0
        assert time.monotonic() - stopping < 8, "SIGTERM must stop the daemon within seconds"
    finally:
        mf.stop(proc)
        silent.close()


def test_the_silent_servers_unit_is_reported_unsendable_and_the_other_is_not(fresh_mailboxes, tmp_path):
    """SPEC 6 under per-server loops: the outbox_unsendable log line and systemd's STATUS=
    name the unit whose server never greets, and only that one, while Batam's mail goes."""
    servers = fresh_mailboxes
    batam_ready(servers)
    silent = Silent()
    config = two_units(servers, tmp_path, silent, timeout=2, alert_after_minutes=0)
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True,
                            env=dict(os.environ, NOTIFY_SOCKET=str(notify.path)))
    try:
        servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci.")[0])
        servers.append(BATAM, mf.mail(REQUESTER, "Lupa kata sandi", "Mohon direset, terima kasih.", to=BATAM)[0])
        notify.wait_for(r"STATUS=outbox of t unsendable since .*", 30)
        assert mf.wait_for(lambda: bool(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")), 10), mf.stop(proc)
        out = mf.stop(proc)
        assert "outbox_unsendable" in out and "mailbox=t" in out
        assert not [line for line in notify.lines() if "batam" in line]
    finally:
        mf.stop(proc)
        notify.close()
        silent.close()


def test_a_loops_outbox_sends_and_archives_only_its_own_mailboxes_rows(fresh_mailboxes, tmp_path):
    """Rows are partitioned by mailbox: the loop of Batam's server neither sends LPSE-T's
    queued mail nor archives its finished mail (no two loops touch one row); LPSE-T's does."""
    servers = fresh_mailboxes
    batam_ready(servers)
    with FaultySmtp(servers) as smtp:
        app = App(load_config(two_units(servers, tmp_path, None, smtp=smtp_block(smtp.port))))
        servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci.")[0])
        servers.append(mf.UNIT, mf.mail(REQUESTER, "Dokumen tidak terunggah", "Gagal unggah penawaran.")[0])
        app.poll_all()
        first = next(app.store.db.query("select id from outbox order by id"))["id"]
        with app.store.unit_of_work():  # what a stop leaves: marked as sent, its bytes not yet archived
            app.store.outbox.outbox_finish(first, datetime.now(UTC), None, (REQUESTER,), drop_raw=False)

        assert app.flush_outbox(outbox=app.sender_outbox(["batam"])) == (0, 0)
        assert [(r["status"], r["raw"] > 0) for r in outbox(app)] == [("sent", True)] + [("pending", True)] * 3
        assert not mf.inbox(servers, REQUESTER)

        assert app.flush_outbox(outbox=app.sender_outbox(["t"])) == (3, 0)
    assert [(r["status"], r["raw"]) for r in outbox(app)] == [("sent", 0)] * 4
    assert len(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")) == 1  # the other ack was marked sent by the "stop"


def outbox(app: App) -> list[dict[str, object]]:
    return list(app.store.db.query("select status, length(raw) as raw from outbox order by id"))
