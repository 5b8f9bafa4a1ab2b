"""Issue "Never drop, never stall": crashes, failing timers, a full disk, a locked database, bounces.

Over real Dovecot and SMTP servers on loopback; the daemon runs as a real process
where the fault is about the process (kill -9, staying up on a full disk).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.store import Store, ts
from mailbot.model import State
from tests import mailfactory as mf
from tests.faultsmtp import FaultySmtp, smtp_block

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"


# --- crashes ---------------------------------------------------------------------------


def test_kill_9_at_random_moments_loses_nothing_and_repeats_at_most_one_mail_per_kill(fresh_mailboxes, tmp_path):
    """24 kills of `mailbot run` over a backlog of 50 (half of them in the middle of an SMTP DATA
    to a slow server): 0 lost, 0 duplicate tickets, at most one repeated mail per kill."""
    servers = fresh_mailboxes
    rng = random.Random(20261122)
    with FaultySmtp(servers) as smtp:
        smtp.faults.data_delay = 0.15
        config = mf.write_config(servers, tmp_path, smtp=smtp_block(smtp.port))
        data = yaml.safe_load(config.read_text())
        data["mailboxes"][0]["imap"]["poll_seconds"] = 1
        config.write_text(yaml.safe_dump(data))
        for i in range(50):
            # fifty vendors, each its own domain: alike mails from one would be a loop
            raw, _ = mf.mail(f"user{i:02d}@vendor{i:02d}.test", f"Masalah nomor {i}", f"Isi masalah {i}.")
            servers.append(mf.UNIT, raw)
        kills = in_data = 0
        for k in range(24):
            proc = mf.daemon(config)
            if k % 2:
                smtp.faults.in_data.wait(timeout=15)
                time.sleep(rng.uniform(0, 0.1))
            else:
                time.sleep(rng.uniform(0.3, 2.5))
            in_data += smtp.faults.in_data.is_set()
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        for _ in range(5):
            mf.run_once(config)
        deliveries = list(smtp.faults.accepted)

    assert kills == 24 and in_data >= 10  # the kills did land in the middle of DATA
    assert servers.fetch(mf.UNIT, "INBOX") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 50 and servers.fetch(mf.UNIT, "Quarantine") == []
    store = Store(load_config(config).database)
    requesters = sorted(t.requester.addr for t in store.search.tickets())
    assert requesters == [f"user{i:02d}@vendor{i:02d}.test" for i in range(50)]  # no ticket twice
    assert set(store.outbox.outbox_counts()) == {"sent"}
    copies: dict[str, int] = {}
    for message_id, _rcpt in deliveries:
        copies[message_id] = copies.get(message_id, 0) + 1
    # every ack and staff notice arrived (from 08:00 WIB on a working day the digest goes out too)
    sent_ids = {f"<{r['message_id']}>" for r in store.db.query("select message_id from outbox where kind != 'digest'")}
    assert sent_ids <= set(copies) and len(sent_ids) == 100
    repeats = sum(n - 1 for n in copies.values())
    print(f"crash figures: kills={kills} in_data={in_data} mails={len(copies)} repeated={repeats}")
    assert repeats <= kills, copies
    assert max(copies.values()) <= 2


# --- a failing timer ---------------------------------------------------------------------


def test_a_failing_timer_is_marked_alerted_once_and_stops_nothing_else(fresh_mailboxes, tmp_path):
    """An operator's overdue_staff.txt with an error: sweep exits 0, that timer is marked failed with
    its reason, the coordinators get one alert, other timers fire, and `run` still reads mail."""
    servers = fresh_mailboxes
    templates = tmp_path / "templates" / "id"
    templates.mkdir(parents=True)
    (templates / "overdue_staff.txt").write_text("Tiket {{ number }} terlambat {{ jam_tunggu }} jam.\n")
    config = mf.write_config(servers, tmp_path, templates_dir=str(tmp_path / "templates"))
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Mohon dibuka.")  # ticket A: waits for a first response
    servers.append(mf.UNIT, raw)
    raw, _ = mf.mail("sari@dinas.test", "Lupa kata sandi", "Mohon direset.")  # ticket B: resolved
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice_b = next(m for m in mf.inbox(servers, mf.STAFF[0]) if "Lupa kata sandi" in str(m["Subject"]))
    servers.append(mf.UNIT, mf.reply_as_client(notice_b, mf.STAFF[0], "#selesai\nSudah kami reset.")[0])
    mf.run_once(config)

    # 10:00 in the unit's time zone, 5-6 days on: every timer is due, and the sweep an hour
    # later falls on the same local day whatever time the test runs.
    later = (datetime.now(ZoneInfo("Asia/Jakarta")) + timedelta(days=6)).replace(hour=10, minute=0).astimezone(UTC)
    assert cli.main(["--config", str(config), "sweep", "--now", later.isoformat()]) == 0
    store = Store(load_config(config).database)
    ticket_a, ticket_b = store.search.tickets()
    assert ticket_b.state is State.CLOSED  # confirm_close fired although A's timers failed
    assert mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "closed")
    failed = list(store.db.query("select kind, error, active, due_at from timers "
                                 "where ticket_id = ? and error is not null",
                                 [ticket_a.id]))
    assert {f["kind"] for f in failed} == {"first_response", "resolution"}
    assert all("jam_tunggu" in f["error"] and f["active"] == 1 and f["due_at"] > ts(later) for f in failed)
    assert "timer_failed" in [e["kind"] for e in store.history.events_of(ticket_a.id)]
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")
    assert "jam_tunggu" in mf.text_of(alert) and ticket_a.number in mf.text_of(alert)

    # the next sweep tries again and fails again: no second alert the same day
    assert cli.main(["--config", str(config), "sweep", "--now", (later + timedelta(hours=1)).isoformat()]) == 0
    assert len(mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")) == 1

    # `run` sweeps first (the failing timer is due now) and still reads mail
    due = ts(datetime.now(UTC) - timedelta(minutes=1))
    store.db.execute("update timers set due_at = ? where ticket_id = ? and error is not null", [due, ticket_a.id])

    def tried_again() -> bool:  # the daemon's sweep met the failing timers and set their next try
        return not list(store.db.query("select 1 from timers where ticket_id = ? and error is not null "
                                       "and due_at <= ?", [ticket_a.id, due]))
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["poll_seconds"] = 1
    config.write_text(yaml.safe_dump(data))
    proc = mf.daemon(config)
    try:
        raw, _ = mf.mail("catchall@lpse.test", "Tidak bisa upload", "Mohon bantuan.")
        servers.append(mf.UNIT, raw)
        assert mf.wait_for(lambda: servers.fetch("catchall@lpse.test"))
        # the sweep comes once the mailbox was read: the mail can be acked before it (a stop
        # then, as soon as the ack came, found no sweep yet at times)
        assert mf.wait_for(tried_again)
        assert proc.poll() is None
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out
    assert "timer_failed" in out

    # fixed by the operator: the overdue notice goes out at the next try
    (templates / "overdue_staff.txt").write_text("Tiket {{ number }} belum dijawab.\n")
    assert cli.main(["--config", str(config), "sweep", "--now", (later + timedelta(days=1)).isoformat()]) == 0
    overdue = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "overdue_staff")
    assert overdue and ticket_a.number in mf.text_of(overdue[0])


# --- a full disk -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs for the database and archive (root can mount it; skipped where nobody can)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=False,
                            capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the filler's path, to free the space again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_keeps_mail_in_the_inbox_alerts_and_resumes(fresh_mailboxes, tmp_path, small_disk):
    """Disk full: the daemon stays up, mail waits in the INBOX (not in Quarantine), the coordinators
    are told by a mail sent around the database, and everything is handled once space returns."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, database=str(small_disk / "mailbot.db"),
                             archive_dir=str(small_disk / "archive"), alert_after_minutes=0.02,
                             log={"format": "json", "level": "info"})
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["poll_seconds"] = 1
    config.write_text(yaml.safe_dump(data))
    proc = mf.daemon(config)
    try:
        raw, _ = mf.mail(REQUESTER, "Sebelum disk penuh", "Pesan pertama.")
        servers.append(mf.UNIT, raw)
        assert mf.wait_for(lambda: len(servers.fetch(REQUESTER)) == 1)
        filler = fill(small_disk)
        attachment = (("dokumen.pdf", "application/pdf", os.urandom(200_000)),)
        for i in range(3):
            raw, _ = mf.mail(f"user{i}@vendor.test", f"Saat disk penuh {i}", "Mohon bantuan.", attachments=attachment)
            servers.append(mf.UNIT, raw)
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert"), 30)
        time.sleep(2)
        assert proc.poll() is None  # still up
        assert len(servers.fetch(mf.UNIT, "INBOX")) == 3 and servers.fetch(mf.UNIT, "Quarantine") == []
        [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")
        assert "INBOX" in mf.text_of(alert)

        filler.unlink()  # space returns
        assert mf.wait_for(lambda: servers.fetch(mf.UNIT, "INBOX") == [], 60)
        assert mf.wait_for(lambda: len(servers.fetch("catchall@lpse.test")) == 3, 30)
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out[-3000:]
    assert '"storage_unavailable"' in out
    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(Store(load_config(config).database).search.tickets()) == 4


# --- a locked database -------------------------------------------------------------------


def hold_write_lock(path: Path, seconds: float, locked: threading.Event,
                    release: threading.Event | None = None) -> threading.Thread:
    """Another connection holds the write lock for `seconds`, or until `release` is set."""
    def hold() -> None:
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("begin immediate")
        locked.set()
        if release is None:
            time.sleep(seconds)
        else:
            release.wait(seconds)
        conn.execute("rollback")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_busy_database_never_sends_good_mail_to_quarantine(fresh_mailboxes, tmp_path):
    """The time budget (1 s here) covers parsing and deciding, not the commit that waits for a lock;
    a lock that outlasts the busy timeout leaves the mail in the INBOX for the next pass."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, limits={"message_seconds": 1})
    cfg = load_config(config)
    app = App(cfg)
    raw, _ = mf.mail(REQUESTER, "Saat database sibuk", "Pesan pertama.")
    servers.append(mf.UNIT, raw)
    locked = threading.Event()
    holder = hold_write_lock(cfg.database, 2.5, locked)
    locked.wait(5)
    app.poll_all()
    holder.join()
    assert [t.requester.addr for t in app.store.search.tickets()] == [REQUESTER]
    assert servers.fetch(mf.UNIT, "Quarantine") == [] and servers.fetch(mf.UNIT, "INBOX") == []

    impatient = App(cfg, store=Store(cfg.database, busy_timeout=0.3))
    raw, _ = mf.mail("sari@dinas.test", "Database terkunci lama", "Pesan kedua.")
    servers.append(mf.UNIT, raw)
    locked.clear()
    release = threading.Event()  # held until the pass is over: a loaded host reaches its commit late
    holder = hold_write_lock(cfg.database, 60, locked, release)
    locked.wait(5)
    try:
        result = impatient.poll_all()
    finally:
        release.set()
        holder.join()
    assert str(result["t"]).startswith("error")
    assert len(servers.fetch(mf.UNIT, "INBOX")) == 1 and servers.fetch(mf.UNIT, "Quarantine") == []
    impatient.poll_all()
    assert servers.fetch(mf.UNIT, "INBOX") == [] and len(impatient.store.search.tickets()) == 2


# --- bounces by evidence -----------------------------------------------------------------

URGENT = (
    "Penawaran gagal terkirim", "Dokumen tidak dapat dikirim", "Upload rejected", "Error sending penawaran",
    "Pesan tidak terkirim ke Pokja", "Kirim penawaran gagal: delivery failed", "Returned: dokumen kualifikasi",
    "Undeliverable: berkas tender 10012345",
)


def test_urgent_complaints_with_bounce_words_get_a_ticket_and_an_ack(fresh_mailboxes, tmp_path):
    """Subject words alone never make a requester's first mail automatic (SPEC 5)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    for i, subject in enumerate(URGENT):
        # eight vendors' own domains: one domain's alike words from six addresses are a loop
        raw, _ = mf.mail(f"penyedia{i}@vendor{i}.test", subject, "Sudah dicoba berkali-kali, mohon segera dibantu.")
        servers.append(mf.UNIT, raw)
    mf.run_once(config)
    store = Store(load_config(config).database)
    assert sorted(t.subject for t in store.search.tickets()) == sorted(URGENT)
    assert len(mf.of_kind(mf.inbox(servers, "catchall@lpse.test"), "ack")) == len(URGENT)
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")) == len(URGENT)


def dsn(original: EmailMessage, recipient: str) -> bytes:
    """A delivery status notification about `original`, as Postfix writes one."""
    headers = "".join(f"{k}: {v}\n" for k, v in original.items())
    return f"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.vendor.test>
To: {mf.UNIT}
Subject: Undelivered Mail Returned to Sender
Message-ID: <20261122.bounce.1@mx.vendor.test>
Date: Sun, 22 Nov 2026 10:00:00 +0700
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

<{recipient}>: host mx.vendor.test said: 550 5.1.1 User unknown

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.vendor.test

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1

--B0UND
Content-Type: text/rfc822-headers

{headers}
--B0UND--
""".encode()


def test_a_bounce_of_our_mail_is_attached_to_its_ticket_and_staff_are_told(fresh_mailboxes, tmp_path):
    """A DSN about the ack, and a human-looking 'Undeliverable' that quotes the ack's Message-ID."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Tidak bisa login", "Mohon bantuan.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [ack] = mf.inbox(servers, REQUESTER)
    servers.append(mf.UNIT, dsn(ack, REQUESTER))
    quoting, _ = mf.mail("admin@vendor.test", "Undeliverable: " + str(ack["Subject"]),
                         f"Your message did not reach some or all of the intended recipients.\n\n"
                         f"Message-ID: {ack['Message-ID']}\nSubject: {ack['Subject']}\n")
    servers.append(mf.UNIT, quoting)
    mf.run_once(config)
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    bounces = [json.loads(e["detail"]) for e in store.history.events_of(ticket.id) if e["kind"] == "bounce_received"]
    assert len(bounces) == 2
    alerts = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_alert")
    # bounces of acks (what forged senders cause by the hundred) make one alert a day, each recorded
    assert len(alerts) == 1 and all(ticket.number in str(a["Subject"]) for a in alerts)
    assert len(mf.inbox(servers, REQUESTER)) == 1 and servers.fetch("catchall@lpse.test") == []  # neither answered


def test_sigterm_stops_within_seconds_while_another_process_holds_the_database(fresh_mailboxes, tmp_path):
    """SIGTERM stops within seconds even while an operator's sqlite3 shell (here: this test)
    holds a write transaction; the mail waits in the INBOX and is answered once after."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.run_once(config)  # the database exists
    holder = sqlite3.connect(str(load_config(config).database), isolation_level=None)
    holder.execute("begin immediate")
    try:
        servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Mohon dibuka.")[0])
        proc = mf.daemon(config)
        time.sleep(3)  # it is waiting for the lock
        started = time.monotonic()
        mf.stop(proc)
        assert time.monotonic() - started < 10
        assert len(servers.fetch(mf.UNIT, "INBOX")) == 1
    finally:
        holder.execute("rollback")
        holder.close()
    mf.run_once(config)
    assert mf.of_kind(mf.inbox(servers, REQUESTER), "ack") and servers.fetch(mf.UNIT, "INBOX") == []


def test_a_database_locked_while_a_mail_goes_out_does_not_send_it_again_and_again(fresh_mailboxes, tmp_path):
    """An operator's sqlite3 shell holds a write transaction for 12 s just as the sender hands
    a mail to SMTP: the server accepts it, the sender cannot write that down (busy timeout 5 s).
    It used to send the same mail again at each try until the lock went (3-4 copies for a
    30 s lock); every mail must reach its recipients once, and all of them after the lock."""
    servers = fresh_mailboxes
    with FaultySmtp(servers) as smtp:
        config = mf.write_config(servers, tmp_path, smtp=smtp_block(smtp.port))
        database = load_config(config).database
        locked = threading.Event()

        def operator_locks() -> None:  # called as the first DATA begins
            if not locked.is_set():
                hold_write_lock(database, 12, locked)
                locked.wait(5)

        smtp.faults.on_data = operator_locks
        proc = mf.daemon(config)
        try:
            servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa login", "Mohon bantuan.")[0])
            assert mf.wait_for(locked.is_set, 30)
            time.sleep(13)  # the lock is gone
            assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new"), 30)
            time.sleep(3)
        finally:
            out = mf.stop(proc)
        copies: dict[str, int] = {}
        for message_id, _rcpt in smtp.faults.accepted:
            copies[message_id] = copies.get(message_id, 0) + 1
    assert '"storage_unavailable"' in out or "storage_unavailable" in out
    assert len(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")) == 1
    assert copies and max(copies.values()) == 1, copies
