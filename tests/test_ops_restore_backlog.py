"""Backup while the daemon takes a 3,000-mail backlog, restore, run:
no ticket number issued twice, no mail lost, no ack sent twice.

`mailbot run` is a process of its own (as systemd starts it) on the session's real Dovecot,
sending through the real SMTP server on loopback, which delivers every mail with
dovecot-lda; the acks are read back over IMAP from the requesters' mailbox (the catch-all)
as they would read them. `mailbot backup --archive` runs while the daemon works through the
backlog; once the daemon has handled all of it, it is stopped, `mailbot restore` puts the
backup back, and the daemon is started again with no other step. `MAILBOT_RESTORE_MESSAGES`
sets the backlog: 1,000 by default, so the suite keeps within its time in CI; 3,000 is
the size (MAILBOT_RESTORE_MESSAGES=3000, about 7 minutes).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main as cli
from tests.conftest import USERS
from tests.localmail import LocalMailServers
from tests.mailfactory import UNIT, daemon, stop, wait_for, write_config

CATCHALL = "catchall@lpse.test"
TAG = re.compile(r"\[LPSE-T #(\d{4}-\d{5})\]")


def backlog(count: int) -> list[tuple[bytes, str, str]]:
    """`count` requests, each from a requester of its own: (raw, Message-ID, sender)."""
    found = []
    for i in range(count):
        msg = EmailMessage()
        sender = f"pemohon{i}@penyedia{i % 97}.test"
        msg["From"] = f"Pemohon {i} <{sender}>"
        msg["To"] = UNIT
        msg["Subject"] = f"Dokumen penawaran paket {i} gagal diunggah"
        msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
        mid = f"backlog-{i}@penyedia{i % 97}.test"
        msg["Message-ID"] = f"<{mid}>"
        msg.set_content(f"Selamat pagi,\n\ndokumen penawaran paket {i} tidak bisa diunggah.\n\nPemohon {i}\n")
        found.append((msg.as_bytes(), mid, sender))
    return found


def append_all(servers: LocalMailServers, raws: list[bytes]) -> None:
    with servers.imap(UNIT) as client:
        for start in range(0, len(raws), 200):
            client.multiappend("INBOX", raws[start:start + 200])


def query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []  # the daemon has not made it yet
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # no table yet: the daemon is still creating the database
        return []
    finally:
        conn.close()


def settled(db: Path, count: int) -> bool:
    """Every request recorded, no mail left to send, nothing left to recover."""
    rows = query(db, "select (select count(*) from messages where direction = 'in'), "
                     "(select count(*) from outbox where status = 'pending'), "
                     "(select count(*) from meta where key like 'restore_recovery:%')")
    return bool(rows) and rows[0] == (count, 0, 0)


def mails(servers: LocalMailServers, user: str) -> list[tuple[str, str, str]]:
    """(X-Mailbot-Kind, To, Subject) of every mail in a user's INBOX, from the header fields alone."""
    found = []
    with servers.imap(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        for start in range(0, len(uids), 1000):
            data = client.fetch(uids[start:start + 1000], ["BODY.PEEK[HEADER.FIELDS (X-MAILBOT-KIND TO SUBJECT)]"])
            for item in data.values():
                block = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
                head = block.decode("utf-8", "replace")
                fields = dict(re.findall(r"(?mi)^([\w-]+):\s*(.*?)\s*$", head))
                lower = {k.lower(): v for k, v in fields.items()}
                found.append((lower.get("x-mailbot-kind", ""), lower.get("to", "").lower(), lower.get("subject", "")))
    return found


def folder_count(servers: LocalMailServers, folder: str) -> int:
    with servers.imap(UNIT) as client:
        if not client.folder_exists(folder):
            return 0
        return int(client.select_folder(folder, readonly=True)[b"EXISTS"])


@pytest.fixture
def own_servers(dovecot_installed, tmp_path):
    """A Dovecot and SMTP server pair of this test's own: the thousands of mails it leaves
    would slow every later test's emptying of the session's mailboxes."""
    with LocalMailServers(tmp_path / "mail", USERS, catchall=CATCHALL) as servers:
        yield servers


def test_backup_during_a_backlog_restore_run_no_number_twice_no_mail_lost_no_second_ack(own_servers, tmp_path):
    servers = own_servers
    count = int(os.environ.get("MAILBOT_RESTORE_MESSAGES", "1000"))  # 3,000: the heavy run
    config = write_config(servers, tmp_path)
    data = yaml.safe_load(config.read_text())
    data["log"] = {"format": "json", "level": "error"}
    data["limits"] = {"acks_per_hour": count * 2}  # the flood limit aside: every request is acked
    data["autoreply_limit"] = count  #: 31 people of each domain write alike here
    data["mailboxes"][0]["staff_notify"] = "daftar-staf@lpse.test"  # one notice per ticket (to the catch-all)
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    db = tmp_path / "mailbot.db"
    requests = backlog(count)
    append_all(servers, [raw for raw, _, _ in requests])

    proc = daemon(config)
    try:
        assert wait_for(lambda: (query(db, "select count(*) from messages where direction = 'in'") or [(0,)])[0][0]
                        >= count // 3, seconds=600, step=0.05), "the daemon handled too little"
        assert cli.main(["--config", str(config), "backup", str(tmp_path / "b"), "--archive"]) == 0
        assert wait_for(lambda: settled(db, count), seconds=1800, step=1), "the first run did not finish"
    finally:
        first = stop(proc)
    assert "Traceback" not in first, first[-3000:]
    backed_up = query(tmp_path / "b" / "mailbot.db", "select count(*), max(number) from tickets")[0]
    assert 0 < backed_up[0] < count, backed_up  # the backup was taken in the middle of the backlog

    assert cli.main(["--config", str(config), "restore", str(tmp_path / "b")]) == 0
    proc = daemon(config)
    try:
        assert wait_for(lambda: settled(db, count), seconds=1800, step=1), "the run after the restore did not finish"
    finally:
        second = stop(proc)
    assert "Traceback" not in second, second[-3000:]

    # no mail lost: every appended request recorded once, nothing left in the INBOX
    recorded = Counter(r[0] for r in query(db, "select message_id from messages where direction = 'in'"))
    assert set(recorded) == {mid for _, mid, _ in requests} and max(recorded.values()) == 1
    assert folder_count(servers, "INBOX") == 0 and folder_count(servers, "Processed") == count

    # no number issued twice: one ticket per requester, each number mailed to one requester only
    tickets = dict(query(db, "select requester, number from tickets"))
    assert len(tickets) == count and set(tickets) == {s for _, _, s in requests}
    sent = mails(servers, CATCHALL)
    acks = [(to, TAG.search(subject)) for kind, to, subject in sent if kind == "ack"]
    assert all(match for _, match in acks)
    by_requester = Counter(to for to, _ in acks)
    assert set(by_requester) == set(tickets)
    # no ack sent twice
    assert max(by_requester.values()) == 1, [a for a, n in by_requester.items() if n > 1][:10]
    mailed = {to: match[1] for to, match in acks if match}
    assert mailed == tickets  # each requester's ticket has the number the ack told them
    remade = dict(query(db, "select json_extract(detail, '$.mail'), count(*) from events "
                            "where kind = 'mail_sent_before_restore' group by 1"))
    print(f"\n{count} requests; the backup held {backed_up[0]} tickets; after the restore "
          f"{count - backed_up[0]} handled again, mail made again and not sent: {remade}")
    assert remade.get("ack", 0) > 0  # the restore had acks to keep from going twice
    notices = Counter(TAG.search(subject)[1] for kind, _, subject in sent if kind == "staff_new"
                      and TAG.search(subject))
    assert set(notices) == set(tickets.values()) and max(notices.values()) == 1  # staff told once per ticket
