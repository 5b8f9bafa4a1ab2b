"""A copy of every mail mailbot sends, in the mailbox's sent folder.

Over the session's real Dovecot and SMTP server, read back over IMAP as staff would read
the folder in a mail client: one copy of each mail that went (the same Message-ID and
body the recipients got), flagged read and dated when it went; appended by the mailbox's
own reader within seconds under `mailbot run`, at the end of `run --once`; a folder that
refuses the copies neither holds up nor repeats any mail, and gets them once it takes
them again; `sent_folder: null` keeps none.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta

import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

CATCHALL = "catchall@lpse.test"
COORDINATOR = "koordinator@lpse.test"


def request(servers: LocalMailServers, i: int) -> None:
    servers.append(mf.UNIT, mf.mail(f"vendor{i}@penyedia{i}.test", f"Akun terkunci {i}",
                                    f"Akun SPSE paket {i} terkunci sejak pagi, mohon bantuan.")[0])


def received(servers: LocalMailServers) -> dict[str, bytes]:
    """Every mail the people got (requesters, staff, coordinators), by Message-ID."""
    found: dict[str, bytes] = {}
    for user in (*servers.users, CATCHALL):
        if user == mf.UNIT:
            continue
        for raw in servers.fetch(user):
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if msg["X-Mailbot-Kind"]:
                found[str(msg["Message-ID"]).strip("<>")] = raw
    return found


def of_kinds(mails: dict[str, bytes], *kinds: str) -> list[str]:
    """The kinds (X-Mailbot-Kind) of the mails of these kinds: the daily digest, which goes
    at its hour whatever the test does, left aside."""
    found = [email.message_from_bytes(raw, policy=email.policy.default)["X-Mailbot-Kind"] for raw in mails.values()]
    return sorted(kind for kind in found if kind in kinds)


def copies(servers: LocalMailServers, folder: str = "Sent") -> list[tuple[str, tuple[bytes, ...], datetime, bytes]]:
    """(Message-ID, flags, INTERNALDATE, bytes) of each message in the unit's sent folder."""
    with servers.imap(mf.UNIT) as client:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        uids = sorted(client.search("ALL"))
        data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]) if uids else {}
    found = []
    for uid in uids:
        raw = data[uid][b"BODY[]"]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        found.append((str(msg["Message-ID"]).strip("<>"), tuple(data[uid][b"FLAGS"]),
                      data[uid][b"INTERNALDATE"].astimezone(UTC), raw))
    return found


def body(raw: bytes) -> bytes:
    """A message's bytes from its Message-ID on (what the delivery put above it left out)."""
    raw = raw.replace(b"\r\n", b"\n")
    return raw[raw.index(b"\nMessage-ID:"):]


def test_every_mail_that_went_has_one_copy_read_and_dated_when_it_went(fresh_mailboxes, tmp_path):
    """`run --once`: two requests, their acks and staff notices; the Sent folder holds one
    copy of each, the very mail its recipients got, flagged \\Seen, dated when it went."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    request(servers, 1)
    request(servers, 2)
    before = datetime.now(UTC) - timedelta(seconds=2)
    mf.run_once(config)
    after = datetime.now(UTC) + timedelta(seconds=2)
    got = received(servers)
    kept = copies(servers)
    assert of_kinds(got, "ack", "staff_new") == ["ack", "ack", "staff_new", "staff_new"]
    assert sorted(mid for mid, *_ in kept) == sorted(got)  # one copy of each mail that went, no more
    for mid, flags, when, raw in kept:
        assert b"\\Seen" in flags
        assert before <= when <= after, when
        assert body(raw) == body(got[mid])


def test_the_daemon_appends_the_copies_within_seconds_of_the_mail_going(fresh_mailboxes, tmp_path):
    """`mailbot run` on IDLE, renewed only every 10 minutes: the sender tells the mailbox's
    reader that mail went, and the copies are there within seconds, not at the next renewal."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=600)])
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: (tmp_path / "mailbot.db").exists(), 30)
        time.sleep(2)  # the first pass is over: the daemon waits in IDLE
        request(servers, 1)
        assert mf.wait_for(lambda: of_kinds(received(servers), "ack", "staff_new") == ["ack", "staff_new"], 30)
        went = time.monotonic()
        assert mf.wait_for(lambda: {m for m, *_ in copies(servers)} == set(received(servers)), 10, 0.1), \
            "no copies within 10 s"
        print(f"copies {time.monotonic() - went:.2f} s after the mail was delivered")
    finally:
        out = mf.stop(proc)
    assert "Traceback" not in out, out[-3000:]
    assert sorted(mid for mid, *_ in copies(servers)) == sorted(received(servers))


def test_a_sent_folder_that_refuses_copies_holds_up_no_mail_and_gets_them_later(fresh_mailboxes, tmp_path):
    """The Sent folder made read-only on the server while the daemon runs: requests are
    still acked at once and each mail goes once; the coordinators are alerted once; when
    the folder takes mail again, every copy comes, once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, alert_after_minutes=0.05,  # 3 s
                             log={"format": "json", "level": "info"},
                             mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=2)])
    sent = servers.base_dir / "mail" / mf.UNIT / "Maildir" / "Sent"
    proc = mf.daemon(config)
    try:
        request(servers, 1)
        assert mf.wait_for(lambda: len(copies(servers)) == len(received(servers)) >= 2, 30)
        before = len(copies(servers))
        try:
            for sub in ("cur", "new", "tmp"):  # the server may no longer write Sent
                os.chmod(sent / sub, 0o500)
            for i in range(2, 5):
                start = time.monotonic()
                request(servers, i)
                assert mf.wait_for(lambda i=i: f"vendor{i}@penyedia{i}.test" in str(
                    [m["To"] for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack")]), 30, 0.05)
                assert time.monotonic() - start < 5
            assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert"), 30)
            assert len(copies(servers)) == before
        finally:
            for sub in ("cur", "new", "tmp"):
                os.chmod(sent / sub, 0o700)
        request(servers, 5)
        assert mf.wait_for(lambda: len(copies(servers)) == len(received(servers)), 30)
        time.sleep(3)
    finally:
        out = mf.stop(proc)
    assert "Traceback" not in out, out[-3000:]
    assert "sent_copy_failed" in out
    acks = [str(m["To"]) for m in mf.of_kind(mf.inbox(servers, CATCHALL), "ack")]
    assert sorted(acks) == sorted(f"vendor{i}@penyedia{i}.test" for i in range(1, 6))  # each once
    kept = [mid for mid, *_ in copies(servers)]
    assert sorted(kept) == sorted(received(servers))  # every mail that went, once
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")
    assert len(alerts) == 1 and "Sent" in alerts[0].get_body(preferencelist=("plain",)).get_content()


def test_check_makes_and_names_the_sent_folder_and_null_keeps_no_copies(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--config", str(config), "check"]) == 0
    assert "copies of sent mail in 'Sent'" in out.getvalue(), out.getvalue()
    assert "Sent" in servers.folders(mf.UNIT)

    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["sent_folder"] = None
    config.write_text(yaml.safe_dump(data))
    assert load_config(config).mailboxes[0].imap.sent_folder is None
    with servers.imap(mf.UNIT) as client:
        client.delete_folder("Sent")
    request(servers, 1)
    mf.run_once(config)
    assert of_kinds(received(servers), "ack", "staff_new") == ["ack", "staff_new"]  # the mail went
    assert "Sent" not in servers.folders(mf.UNIT)  # and no copy was kept


def test_a_backlogs_copies_follow_it_each_once(fresh_mailboxes, tmp_path):
    """60 requests waiting when the daemon starts (more copies than one pass appends): the
    copies come after the backlog, a batch a pass, each once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, idle=True, poll_seconds=600)])
    for i in range(60):
        request(servers, i)
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: of_kinds(received(servers), "ack").count("ack") == 60, 120)
        assert mf.wait_for(lambda: len(copies(servers)) >= len(received(servers)), 30), "copies left behind"
    finally:
        out = mf.stop(proc)
    assert "Traceback" not in out, out[-3000:]
    kept = [mid for mid, *_ in copies(servers)]
    assert len(kept) == len(set(kept)) and set(kept) == set(received(servers))
