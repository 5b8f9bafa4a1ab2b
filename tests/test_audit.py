"""`mailbot audit`: do the mailbox, the archive and the records agree? Over real
Dovecot and SMTP on loopback, driven as an operator drives it (the command line, exit
status, the lines it prints), with mail read back as the requester and the coordinators
read it.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io import imap
from mailbot.io.store import Store
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
OTHER = "sari@dinas.test"
COORDINATOR = "koordinator@lpse.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Akun penyedia terkunci", "Akun saya terkunci setelah salah kata sandi.")
    mf.deliver(servers, config, raw)
    return servers, config


def audit(config, capsys, *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = cli.main(["--config", str(config), "audit", *args])
    return code, [line for line in capsys.readouterr().out.splitlines() if line.startswith("t: ")]  # not the log


def test_a_mail_put_straight_into_processed_is_named_repaired_and_then_handled(env, capsys):
    """Acceptance 2: a mail placed directly into Processed (a staff member's drag in a mail
    client) is named by `audit` (exit 1) with what finds it in a mail client; after
    `audit --repair` and a pass the requester has an ack, and the audit exits 0. A repair
    run twice is harmless; nothing is deleted."""
    servers, config = env
    assert audit(config, capsys) == (0, [])
    raw, mid = mf.mail(OTHER, "Jadwal tender tidak tampil", "Jadwal tahapan tender kami tidak muncul.", name="Sari")
    uid = servers.append(mf.UNIT, raw, folder="Processed")

    code, lines = audit(config, capsys)
    assert code == 1 and len(lines) == 1
    line = lines[0]
    for part in (f"<{mid}>", "Processed", f"UID {uid}", OTHER, "Jadwal tender tidak tampil"):
        assert part in line, (part, line)
    assert audit(config, capsys)[0] == 1  # named again until repaired

    code, lines = audit(config, capsys, "--repair")
    assert code == 1 and "moved back to the INBOX" in lines[0]
    assert len(mf.inbox(servers, mf.UNIT)) == 1 and len(mf.inbox(servers, mf.UNIT, "Processed")) == 1
    assert audit(config, capsys, "--repair") == (0, [])  # twice: nothing more to do
    mf.run_once(config)

    [ack] = mf.of_kind(mf.inbox(servers, OTHER), "ack")
    assert mid in str(ack["In-Reply-To"])  # the ack answers the repaired mail
    assert audit(config, capsys) == (0, [])
    assert audit(config, capsys, "--full") == (0, [])
    assert not mf.inbox(servers, mf.UNIT) and len(mf.inbox(servers, mf.UNIT, "Processed")) == 2


def test_a_mail_a_staff_member_drags_from_the_inbox_to_processed_is_found_and_handled_once(env, capsys):
    """A staff member's mail client (another IMAP session) MOVEs a new mail from the INBOX to
    Processed before mailbot reads it: the audit names it, the repair puts it back, one pass
    gives it one ticket and one ack, and a second repair and pass change nothing."""
    servers, config = env
    raw, mid = mf.mail(OTHER, "Sertifikat elektronik kedaluwarsa", "Sertifikat kami habis masa berlakunya.")
    uid = servers.append(mf.UNIT, raw)
    with servers.imap(mf.UNIT) as staff_client:  # Thunderbird's drag: UID MOVE by another client
        staff_client.select_folder("INBOX")
        staff_client.move([uid], "Processed")
    mf.run_once(config)
    assert not mf.of_kind(mf.inbox(servers, OTHER), "ack")  # invisible to the pipeline: only the audit finds it

    code, lines = audit(config, capsys)
    assert code == 1 and len(lines) == 1 and f"<{mid}>" in lines[0] and "Processed" in lines[0]
    assert audit(config, capsys, "--repair")[0] == 1
    mf.run_once(config)
    assert audit(config, capsys, "--repair") == (0, [])
    mf.run_once(config)

    assert len(mf.of_kind(mf.inbox(servers, OTHER), "ack")) == 1
    store = Store(load_config(config).database)
    assert sorted(t.requester.addr for t in store.search.tickets()) == sorted([REQUESTER, OTHER])
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 2 and not mf.inbox(servers, mf.UNIT)


def test_a_mail_left_in_the_inbox_behind_the_position_is_named_and_read_again(env, capsys):
    """A message in the INBOX that the stored position has passed with no record (a lost
    record: no pass would ever read it again) is named; the repair sets the position back
    and one pass gives it its ticket and ack, the recorded ones around it untouched."""
    servers, config = env
    raw, mid = mf.mail(OTHER, "Tidak bisa unggah penawaran", "Unggahan dokumen kami gagal terus.")
    uid = servers.append(mf.UNIT, raw)
    cfg = load_config(config)
    store = Store(cfg.database)
    validity, _ = store.mailboxes.imap_position("t", "INBOX")
    assert validity is not None
    store.mailboxes.set_imap_position("t", "INBOX", validity, uid, datetime.now(UTC))  # passed without a record
    store.close()
    mf.run_once(config)
    assert not mf.of_kind(mf.inbox(servers, OTHER), "ack")

    code, lines = audit(config, capsys)
    assert code == 1 and len(lines) == 1 and f"<{mid}>" in lines[0] and f"INBOX UID {uid}" in lines[0], lines
    code, lines = audit(config, capsys, "--repair")
    assert code == 1 and "next pass" in lines[0]
    mf.run_once(config)
    assert len(mf.of_kind(mf.inbox(servers, OTHER), "ack")) == 1
    assert len(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")) == 1
    assert audit(config, capsys) == (0, [])
    assert not mf.inbox(servers, mf.UNIT) and len(mf.inbox(servers, mf.UNIT, "Processed")) == 2


def test_a_repaired_mail_older_than_ack_max_age_gets_a_ticket_without_an_ack(env, capsys):
    """The ordinary rules: a mail that reached the mailbox 5 days ago (its arrival time kept by
    the moves) gets a ticket and staff are told, but no ack goes to the requester (72 h)."""
    servers, config = env
    raw, _ = mf.mail(OTHER, "Lupa kata sandi", "Mohon reset kata sandi akun kami.",
                     date=datetime.now(UTC) - timedelta(days=5))
    servers.append(mf.UNIT, raw, folder="Processed", msg_time=datetime.now(UTC) - timedelta(days=5))
    assert audit(config, capsys, "--repair")[0] == 1
    mf.run_once(config)

    assert not mf.of_kind(mf.inbox(servers, OTHER), "ack")
    store = Store(load_config(config).database)
    assert [t.requester.addr for t in store.search.tickets()] == [REQUESTER, OTHER]
    assert any("Lupa kata sandi" in str(m["Subject"]) for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new"))
    assert audit(config, capsys) == (0, [])


def test_where_each_message_went_is_recorded_with_its_uid_there(env, capsys):
    """Processed and quarantined messages: their folder and, from Dovecot's COPYUID, their UID
    there; the audit of ordinary traffic finds nothing and reads no message of it."""
    servers, config = env
    servers.append(mf.UNIT, b"From: nobody\nSubject: rusak\n\n")  # no usable sender: Quarantine
    raw, mid = mf.mail(OTHER, "Pertanyaan", "Apakah bisa?")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    store = Store(load_config(config).database)
    rows = [dict(r) for r in store.db.query("select * from arrivals order by id")]
    assert [(r["outcome"], r["folder"]) for r in rows] == [
        ("processed", "Processed"), ("quarantined", "Quarantine"), ("processed", "Processed")]
    with servers.imap(mf.UNIT) as client:
        client.select_folder("Processed", readonly=True)
        fetched = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
        by_id = {str(mf.parse(v[b"BODY[]"])["Message-ID"]).strip("<>"): uid for uid, v in fetched.items()}
        validity = client.folder_status("Processed", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    assert rows[2]["dest_uid"] == by_id[mid] and rows[2]["dest_uidvalidity"] == validity
    assert all(r["dest_uid"] and r["moved_at"] for r in rows)
    assert audit(config, capsys, "--full") == (0, [])


def test_archive_copies_missing_or_without_a_record_are_named(env, capsys):
    """A record whose archived copy was removed, and an archived copy no record names."""
    _servers, config = env
    cfg = load_config(config)
    store = Store(cfg.database)
    [path] = [r["archive_path"] for r in store.db.query("select archive_path from messages where direction = 'in'")]
    (cfg.archive_dir / path).unlink()
    stray = cfg.archive_dir / "t" / "in" / "2026" / "01" / "f00d.eml"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"From: x@y.test\n\nhalo\n")
    old = time.time() - 3600
    os.utime(stray, (old, old))

    code, lines = audit(config, capsys, "--full")
    assert code == 1
    assert any(line.startswith("t: archive missing") and path in line for line in lines), lines
    assert any(line.startswith("t: archived, no record") and "t/in/2026/01/f00d.eml" in line for line in lines), lines


def test_audit_exit_status_for_the_servers_and_the_config(env, capsys, tmp_path):
    """77 for a refused login, 69 for an unreachable server, 64 for a mailbox the config lacks."""
    servers, config = env
    assert audit(config, capsys, "--mailbox", "nope")[0] == 64  # a typo on the command line
    imap_cfg = yaml.safe_load(config.read_text())["mailboxes"][0]["imap"]
    bad = mf.write_config(servers, tmp_path, mailboxes=[{**yaml.safe_load(config.read_text())["mailboxes"][0],
                                                         "imap": {**imap_cfg, "password": "wrong-password"}}])
    assert audit(bad, capsys)[0] == 77
    gone = mf.write_config(servers, tmp_path, mailboxes=[{**yaml.safe_load(config.read_text())["mailboxes"][0],
                                                          "imap": {**imap_cfg, "port": 1}}])
    assert audit(gone, capsys)[0] == 69


def test_the_daily_audit_alerts_the_coordinators_once_per_finding(env):
    """The daemon's audit (once a day, on the watcher's session): one alert naming the new
    finding; the same day again nothing; the next day the same unrepaired finding is not
    alerted again, a new one is."""
    servers, config = env
    cfg = load_config(config)
    box = cfg.mailboxes[0]
    raw, mid = mf.mail(OTHER, "Salah seret", "Pesan ini diseret ke Processed.")
    servers.append(mf.UNIT, raw, folder="Processed")
    day = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)

    def audit_on(moment: datetime) -> int:
        app = App(cfg, clock=lambda: moment)
        with imap.Mailbox(box.imap) as session:
            count = app.daily_audit(box, session)
            assert session.pending_uids(0) == []  # the INBOX is selected again
        app.flush_outbox()
        app.store.close()
        return count

    assert audit_on(day) == 1
    assert audit_on(day + timedelta(hours=5)) == 0
    raw2, mid2 = mf.mail(OTHER, "Seret lagi", "Satu lagi.")
    servers.append(mf.UNIT, raw2, folder="Processed")
    assert audit_on(day + timedelta(days=1)) == 1
    alerts = [m for m in mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")]
    assert len(alerts) == 2
    first, second = (a.get_body(preferencelist=("plain",)).get_content() for a in alerts)
    assert mid in first and mid2 not in first
    assert mid2 in second and mid not in second
