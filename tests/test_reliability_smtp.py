"""Issue "Never drop, never stall": SMTP faults survived, over real Dovecot and an SMTP server the test controls.

Each fault is made by the server (`tests/faultsmtp.py`): temporary and permanent
refusals at each stage, dropped connections, session and connection limits, outages.
Every mail is read back from its recipients' INBOXes: delivered exactly once, or, for
a 5xx, recorded on the ticket and reported to the people who can act on it. The
outbox's clock is an argument (`App(..., clock=...)`), so days of outage take seconds.
"""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
from datetime import UTC, datetime

import pytest

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests.faultsmtp import FaultySmtp, count_by_message_id, smtp_block
from tests.mailfactory import STAFF, UNIT, inbox, mail, of_kind, text_of, write_config
from tests.rawsmtp import Clock

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"


@pytest.fixture(params=[True, False], ids=["pipelined", "stepwise"])
def faulty(fresh_mailboxes, request):
    """The fault server, with PIPELINING offered (each mail in two round trips) and not
    (a round trip per command): every fault must mean the same either way."""
    with FaultySmtp(fresh_mailboxes) as server:
        server.faults.pipelining = request.param
        yield fresh_mailboxes, server


def make_app(servers, smtp, tmp_path, clock, **smtp_extra) -> App:
    config = write_config(servers, tmp_path, smtp=smtp_block(smtp.port, **smtp_extra))
    return App(load_config(config), clock=clock)


def new_ticket(servers, sender=REQUESTER, subject="Tidak bisa login SPSE"):
    raw, mid = mail(sender, subject, "Akun saya terkunci sejak pagi. Mohon bantuan.")
    servers.append(UNIT, raw)
    return mid


def outbox(app):
    return list(app.store.db.query(
        "select kind, status, attempts, rcpt, rcpt_done, last_error from outbox order by id"))


def exactly_once(servers, user):
    """Every message in the user's INBOX arrived once; returns how many there are."""
    counts = dict(count_by_message_id(servers.fetch(user)))
    assert all(n == 1 for n in counts.values()), counts
    return len(counts)


def test_pipelining_is_used_exactly_where_the_server_offers_it(faulty, tmp_path):
    """RFC 2920: MAIL, RCPT... and DATA go as one group only to a server that offered
    PIPELINING; every mail arrives either way."""
    servers, smtp = faulty
    app = make_app(servers, smtp, tmp_path, Clock())
    for n in range(3):
        new_ticket(servers, subject=f"Tidak bisa login SPSE {n}")
    app.poll_all()
    app.flush_outbox()
    assert exactly_once(servers, REQUESTER) == 3 and exactly_once(servers, STAFF[1]) == 3
    assert smtp.faults.pipelined == (6 if smtp.faults.pipelining else 0)


def test_replies_that_come_one_by_one_are_all_read_in_order(faulty, tmp_path):
    """A server that takes its time over each RCPT: the replies of a pipelined group
    arrive apart, and each is read and paired with its command (a 451 among them)."""
    servers, smtp = faulty
    smtp.faults.rcpt_delay = 0.05
    smtp.faults.refuse_rcpt(STAFF[1], "451 4.2.0 Mailbox busy")
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock, timeout=5)
    new_ticket(servers)
    app.poll_all()
    app.flush_outbox()
    assert exactly_once(servers, REQUESTER) == 1 and exactly_once(servers, STAFF[0]) == 1
    assert inbox(servers, STAFF[1]) == []
    notice = next(r for r in outbox(app) if r["kind"] == "staff_new")
    assert notice["status"] == "pending" and json.loads(notice["rcpt"]) == [STAFF[1]] and "451" in notice["last_error"]
    clock.advance(minutes=2)
    app.flush_outbox()
    assert exactly_once(servers, STAFF[1]) == 1
    assert smtp.faults.pipelined == (3 if smtp.faults.pipelining else 0)


def test_451_on_rcpt_is_temporary_and_the_mail_goes_once_later(faulty, tmp_path):
    """A 4xx to RCPT is not 'all recipients refused': the ack waits and goes at the retry."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(REQUESTER, "451 4.2.0 Mailbox busy, try again later")
    new_ticket(servers)
    app.poll_all()
    app.flush_outbox()
    assert inbox(servers, REQUESTER) == []
    assert len(inbox(servers, STAFF[0])) == 1  # the staff notice is not held up by the ack
    ack = next(r for r in outbox(app) if r["kind"] == "ack")
    assert ack["status"] == "pending" and ack["attempts"] == 1 and "451" in ack["last_error"]

    clock.advance(seconds=20)
    app.flush_outbox()
    assert inbox(servers, REQUESTER) == []  # not before the backoff (30 s)
    clock.advance(seconds=15)
    app.flush_outbox()
    assert exactly_once(servers, REQUESTER) == 1
    assert {r["status"] for r in outbox(app)} == {"sent"}


def test_partial_acceptance_retries_only_the_refused_recipient(faulty, tmp_path):
    """One staff notice to two addresses: the refused one is tried again, the other gets one copy."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(STAFF[1], "452 4.2.2 Mailbox full", "450 4.2.1 Try later")
    new_ticket(servers)
    app.poll_all()
    app.flush_outbox()
    assert exactly_once(servers, STAFF[0]) == 1 and inbox(servers, STAFF[1]) == []
    notice = next(r for r in outbox(app) if r["kind"] == "staff_new")
    assert json.loads(notice["rcpt"]) == [STAFF[1]] and json.loads(notice["rcpt_done"]) == [STAFF[0]]
    for _ in range(2):
        clock.advance(minutes=2)
        app.flush_outbox()
    assert exactly_once(servers, STAFF[0]) == 1 and exactly_once(servers, STAFF[1]) == 1


def test_a_big_notice_retried_for_one_recipient_reaches_both_intact_and_then_leaves_the_database(faulty, tmp_path):
    """A staff notice relaying a 2 MB file (kept in the row's own column, read a piece at a
    time): the refused address gets it at the retry, byte for byte; once done, the bytes
    are gone from the database and the archive holds the mail as sent."""
    import os

    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(STAFF[1], "452 4.2.2 Mailbox full")
    document = os.urandom(2 * 2**20 + 7)
    raw, _ = mail(REQUESTER, "Dokumen penawaran gagal diunggah", "Terlampir dokumen penawaran.",
                  attachments=(("penawaran.pdf", "application/pdf", document),))
    servers.append(UNIT, raw)
    app.poll_all()
    app.flush_outbox()
    clock.advance(minutes=2)
    app.flush_outbox()
    for staff in STAFF:
        [notice] = of_kind(inbox(servers, staff), "staff_new")
        assert [p.get_content() for p in notice.iter_attachments()] == [document]
    kept = list(app.store.db.query("select status, length(raw) as raw, raw_big from outbox where kind = 'staff_new'"))
    assert kept == [{"status": "sent", "raw": 0, "raw_big": None}]
    [path] = [r["archive_path"] for r in app.store.db.query(
        "select archive_path from messages where direction = 'out' and kind = 'staff_new'")]
    assert document in b"".join(p.get_content() for p in email.message_from_bytes(
        (load_config(app.cfg.path).archive_dir / path).read_bytes(), policy=email.policy.default).iter_attachments())


def test_550_for_the_requester_is_recorded_and_reported_and_blocks_nothing(faulty, tmp_path):
    """A 5xx is final: on the ticket with the server's answer, staff told by another mail, the rest sent."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(REQUESTER, "550 5.1.1 <budi@vendor.test>: Recipient address rejected: User unknown")
    new_ticket(servers)
    new_ticket(servers, "sari@dinas.test", "Jadwal tender tidak bisa diubah")
    app.poll_all()
    app.flush_outbox()
    clock.advance(seconds=1)
    app.flush_outbox()  # the failure notice queued by the first flush
    assert inbox(servers, REQUESTER) == []
    assert exactly_once(servers, "sari@dinas.test") == 1
    ticket = next(t for t in app.store.search.tickets() if t.requester.addr == REQUESTER)
    [failed] = [e for e in app.store.history.events_of(ticket.id) if e["kind"] == "delivery_failed"]
    detail = json.loads(failed["detail"])
    assert detail["mail"] == "ack" and "550 5.1.1" in detail["answer"] and detail["to"] == [REQUESTER]
    [notice] = of_kind(inbox(servers, STAFF[0]), "delivery_failed")
    assert ticket.number in str(notice["Subject"])
    assert "550 5.1.1" in text_of(notice) and REQUESTER in text_of(notice)
    assert [r["status"] for r in outbox(app) if r["kind"] == "ack"] == ["failed", "sent"]


def test_mail_to_staff_that_fails_for_good_is_reported_to_the_coordinators(faulty, tmp_path):
    """For mail to staff, the coordinators are the ones told."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    for staff in STAFF:
        smtp.faults.refuse_rcpt(staff, "554 5.7.1 Relay access denied")
    new_ticket(servers)
    app.poll_all()
    app.flush_outbox()
    clock.advance(seconds=1)
    app.flush_outbox()
    [notice] = of_kind(inbox(servers, COORDINATOR), "delivery_failed")
    assert "554 5.7.1" in text_of(notice)
    assert exactly_once(servers, REQUESTER) == 1


def test_a_16_hour_outage_ends_with_everything_sent_once(faulty, tmp_path):
    """Connection refused for 16 simulated hours: nothing marked failed, all delivered once after."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.stop()
    for i in range(3):
        new_ticket(servers, f"user{i}@vendor.test", f"Masalah {i}")
    app.poll_all()
    for _ in range(16 * 4):  # the daemon flushes all the time; here every 15 minutes
        app.flush_outbox()
        clock.advance(minutes=15)
    rows = outbox(app)
    assert {r["status"] for r in rows} == {"pending"} and min(r["attempts"] for r in rows) > 10
    smtp.start()
    clock.advance(hours=1)  # at most an hour between tries
    app.flush_outbox()
    assert {r["status"] for r in outbox(app)} == {"sent"}
    assert exactly_once(servers, STAFF[0]) == 3
    assert exactly_once(servers, "catchall@lpse.test") == 3  # the three acks (unknown users land there)


def test_past_max_retry_hours_the_failure_is_final_recorded_and_reported(faulty, tmp_path):
    """After smtp.max_retry_hours (default 120) a temporary refusal becomes final, with its answer."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(REQUESTER, *["450 4.7.1 Greylisted, come back later"] * 500)
    new_ticket(servers)
    app.poll_all()
    for _ in range(6 * 24):  # six days, hourly
        app.flush_outbox()
        clock.advance(hours=1)
    ack = next(r for r in outbox(app) if r["kind"] == "ack")
    assert ack["status"] == "failed" and "450 4.7.1" in ack["last_error"]
    ticket = app.store.search.tickets()[0]
    [failed] = [json.loads(e["detail"]) for e in app.store.history.events_of(ticket.id)
                if e["kind"] == "delivery_failed"]
    assert "120 h" in failed["answer"] and "450 4.7.1" in failed["answer"]
    [notice] = of_kind(inbox(servers, STAFF[0]), "delivery_failed")
    assert "450 4.7.1" in text_of(notice)
    assert inbox(servers, REQUESTER) == []


@pytest.mark.parametrize("connections", [1, 3])
def test_connection_and_session_limits_deliver_a_backlog_of_25(faulty, tmp_path, connections):
    """A server allowing 2 connections and 5 mails per session: all 25 acks and notices, each once."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock, max_connections=connections)
    smtp.faults.max_connections = 2
    smtp.faults.per_session = 5
    for i in range(25):  # 25 vendors, each its own company's domain (alike words from one would be a loop)
        new_ticket(servers, f"user{i}@vendor{i}.test", f"Masalah {i}")
    app.poll_all()
    app.flush_outbox()
    assert {r["status"] for r in outbox(app)} == {"sent"}
    assert exactly_once(servers, "catchall@lpse.test") == 25
    assert exactly_once(servers, STAFF[0]) == 25 and exactly_once(servers, STAFF[1]) == 25
    assert smtp.faults.peak <= 2


def test_greeting_refused_dropped_data_and_slow_server_still_deliver_once(faulty, tmp_path):
    """421 at the greeting, a connection dropped in DATA, a 451 to DATA and a slow server."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.greeting = ["421 4.3.2 System not accepting network messages"]
    new_ticket(servers)
    app.poll_all()
    app.flush_outbox()
    assert {r["status"] for r in outbox(app)} == {"pending"}
    smtp.faults.data = ["drop", "451 4.3.0 Temporary local problem"]
    smtp.faults.data_delay = 0.3
    for _ in range(4):
        clock.advance(minutes=1)
        app.flush_outbox()
    assert {r["status"] for r in outbox(app)} == {"sent"}
    assert exactly_once(servers, REQUESTER) == 1 and exactly_once(servers, STAFF[0]) == 1


def test_each_row_is_committed_as_sent_right_after_its_250(faulty, tmp_path):
    """Marked sent one by one, not in a batch at the end: each DATA sees the previous mails committed."""
    servers, smtp = faulty
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    for i in range(3):
        new_ticket(servers, f"user{i}@vendor.test", f"Masalah {i}")
    app.poll_all()
    watcher = sqlite3.connect(str(app.cfg.database), check_same_thread=False)
    seen: list[int] = []
    smtp.faults.on_data = lambda: seen.append(
        watcher.execute("select count(*) from outbox where status = 'sent'").fetchone()[0])
    app.flush_outbox()
    assert seen == [0, 1, 2, 3, 4, 5]


def test_a_sending_pass_that_recorded_mail_ends_with_one_sync_and_an_idle_one_with_none(faulty, tmp_path):
    """The sender's marks are committed without an fsync each (and no longer copy the log
    back): the pass that recorded them makes them durable with one sync at its end, a pass
    that found nothing to send writes nothing, and a sync that failed (an operator's shell
    holding the database past the busy timeout) is made by the next pass."""
    import sqlite3

    from mailbot.daemon.sender import SendingLoop

    servers, smtp = faulty
    app = make_app(servers, smtp, tmp_path, Clock())
    for i in range(2):
        new_ticket(servers, REQUESTER, f"Masalah {i}")
    app.poll_all()
    loop = SendingLoop(app, app.sender_outbox([b.name for b in app.cfg.mailboxes]), lambda: False)
    database = loop.outbox.store.database
    real_sync, syncs, refusals = database.sync, [], []

    def counted() -> None:
        syncs.append(1)
        if refusals:
            raise refusals.pop()
        real_sync()

    database.sync = counted

    def synced() -> str | None:
        return app.store.metadata.meta("synced")

    before = synced()
    assert before is not None  # the daemon's batch ended with its own
    loop.one_pass(0.0)
    assert [r["status"] for r in outbox(app)] == ["sent"] * 4  # two acks, two staff notices
    assert exactly_once(servers, REQUESTER) == 2
    after = synced()
    assert len(syncs) == 1 and after is not None and int(after) > int(before)
    loop.one_pass(0.0)
    assert len(syncs) == 1 and synced() == after

    new_ticket(servers, REQUESTER, "Masalah 2")
    app.poll_all()
    refusals.append(sqlite3.OperationalError("database is locked"))
    with pytest.raises(sqlite3.OperationalError):  # `SendingLoop.run` logs it and waits
        loop.one_pass(0.0)
    assert exactly_once(servers, REQUESTER) == 3 and len(syncs) == 2
    daemons = synced()
    loop.one_pass(0.0)  # nothing to send: the marks of the pass before are synced now
    assert len(syncs) == 3 and synced() != daemons
    loop.one_pass(0.0)
    assert len(syncs) == 3
    loop.outbox.store.close()


# --- DATA in pieces (pure) ------------------------------------------------------------------


def test_data_in_pieces_is_what_smtp_transparency_asks(monkeypatch):
    """RFC 5321 4.5.2: CRLF line ends, a line that opens with a dot gets a second dot, the
    content ends with CRLF; true across piece boundaries as it is for the message whole."""
    import random

    from mailbot.io import smtp

    monkeypatch.setattr(smtp, "_PIECE", 7)  # pieces far smaller than the lines
    rng = random.Random(3)
    lines = [rng.choice([b".", b"..x", b"abc", b"", b".dot at start", b"mid.dot", b"a\rb"]) for _ in range(400)]
    raw = b"\r\n".join(lines[:200]) + b"\n" + b"\n".join(lines[200:])  # mixed endings, no final line end
    assert b"".join(smtp._pieces(raw)) == _as_data(raw)
    for _ in range(300):  # byte soups: line ends of every kind, dots anywhere, pieces of any size
        monkeypatch.setattr(smtp, "_PIECE", rng.choice([1, 3, 16, 1 << 20]))
        soup = bytes(rng.choice(b".\r\nab ") for _ in range(rng.randrange(0, 80)))
        crlf_only = b"\r\n".join(soup.replace(b"\r", b"").split(b"\n"))  # mail as mailbot writes it
        for raw in (soup, crlf_only):
            assert b"".join(smtp._pieces(raw)) == _as_data(raw), raw


def test_the_final_dot_goes_with_the_messages_last_piece(monkeypatch):
    """A mail of one piece (nearly all) is one write, the dot with it: a system call a mail
    less. In pieces, each piece is written as the socket drains and the dot with the last;
    what the server reads is the same stream, and a message without recipients (an empty
    one) is the dot alone."""
    import asyncio

    from mailbot.io import smtp

    class Recording:  # the parts of aiosmtplib's protocol `_message` uses
        def __init__(self) -> None:
            self.writes: list[bytes] = []
            self.drained = 0
            self._response_pending = False

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        async def _drain_helper(self) -> None:
            self.drained += 1

        async def read_response(self, timeout: float | None = None) -> str:
            return "250 queued"

    def sent(raw: bytes) -> Recording:
        protocol = Recording()
        assert asyncio.run(smtp._message(protocol, raw, 5)) == "250 queued"
        assert protocol._response_pending
        return protocol

    raw = b"Subject: x\r\n\r\n.titik di awal\r\nisi\r\n"
    one = sent(raw)
    assert one.writes == [_as_data(raw) + b".\r\n"] and one.drained == 0
    assert sent(b"").writes == [b".\r\n"]
    monkeypatch.setattr(smtp, "_PIECE", 16)
    big = b"\r\n".join(b"baris %d .titik" % i for i in range(40)) + b"\r\n"
    pieces = sent(big)
    assert len(pieces.writes) == len(list(smtp._pieces(big))) > 1 and pieces.drained == len(pieces.writes) - 1
    assert b"".join(pieces.writes) == _as_data(big) + b".\r\n" and pieces.writes[-1].endswith(b"\r\n.\r\n")


def _as_data(raw: bytes) -> bytes:
    """RFC 5321 4.5.2 line by line: every line ends with CRLF, one that opens with a dot gets another."""
    if not raw:
        return b""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if raw.endswith((b"\n", b"\r")):
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


def test_envelope_addresses_are_written_as_aiosmtplib_quotes_them():
    """MAIL FROM and RCPT TO carry `<address>` exactly as aiosmtplib's own commands would,
    for plain addresses, display forms and quoted local parts alike (a kept answer per address)."""
    import aiosmtplib.email

    from mailbot.io import smtp

    for address in ("lpse@batam.go.id", "Budi.Santoso+spse@vendor.co.id", "Budi <budi@vendor.test>",
                    '"budi santoso"@vendor.test', "  staf1@lpse.test ", "o'brien@x.test", "a..b@x.test"):
        assert smtp._quoted(address) == aiosmtplib.email.quote_address(address).encode("ascii")
        assert smtp._quoted(address) == smtp._quoted(address)


# --- pipelined replies, as a server may write them --------------------------------------------


def test_a_server_that_stops_reading_in_the_middle_of_data_times_the_mail_out(monkeypatch):
    """A server that says 354 and then reads no more of a big message (the socket's buffers
    full): the mail is deferred as timed out once a piece waited `DATA_BLOCK_TIMEOUT` (RFC
    5321's 3 minutes, 1 s here), as a reply that does not come is, and its session is closed.
    Before, the sending loop of that server waited on the socket for good. A scripted peer on
    a loopback socket, in the client's event loop."""
    import asyncio
    import time

    from mailbot.io import smtp
    from mailbot.model import OutboxRow
    from mailbot.settings import ServerConfig

    monkeypatch.setattr(smtp, "DATA_BLOCK_TIMEOUT", 1.0)

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 scripted.test ESMTP\r\n")
        await reader.readline()  # EHLO
        writer.write(b"250-scripted.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        while not (await reader.readline()).startswith(b"DATA"):
            pass
        writer.write(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n")
        await asyncio.sleep(60)  # reads nothing more

    big = b"".join(b"baris %07d " % i + b"x" * 64 + b"\r\n" for i in range(500_000))  # 40 MB
    row = OutboxRow(1, "t", None, "x@lpse.test", "forward", "lpse@lpse.test", ("a@vendor.test",),
                    b"Subject: besar\r\n\r\n" + big, 0, datetime.now(UTC), "lkpp")

    async def main() -> smtp.Delivery:
        server = await asyncio.start_server(peer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        session = smtp._Session(ServerConfig("127.0.0.1", port, "none", None, None), timeout=1)
        try:
            return await asyncio.wait_for(smtp._send_one(session, row), 30)
        finally:
            await session.close()
            server.close()

    started = time.monotonic()
    delivery = asyncio.run(main())
    assert time.monotonic() - started < 15
    assert delivery.accepted == () and delivery.timed_out
    assert delivery.deferred == (("a@vendor.test",
                                  "connection lost: Timed out writing the message: the server stopped reading"),)


def test_pipelined_replies_written_one_at_a_time_are_each_read_in_order():
    """A server that writes each reply of a pipelined group on its own, a turn of the
    event loop apart: every reply is read and paired with its command, a 451 among
    them. A scripted peer on a loopback socket, in the client's own event loop. (The
    race that lost such replies when read through aiosmtplib needs a server in another
    process: `test_reliability_faults`' kill test met it on its first mail.)"""
    import asyncio

    from mailbot.io import smtp
    from mailbot.model import OutboxRow
    from mailbot.settings import ServerConfig

    got: list[bytes] = []

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def line() -> bytes:
            got.append(await reader.readline())
            return got[-1]

        writer.write(b"220 scripted.test ESMTP\r\n")
        await line()  # EHLO
        writer.write(b"250-scripted.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        while not (await line()).startswith(b"DATA"):
            pass
        for reply in (b"250 2.1.0 Ok", b"250 2.1.5 Ok", b"451 4.2.0 Busy", b"250 2.1.5 Ok", b"354 Go ahead"):
            writer.write(reply + b"\r\n")
            await asyncio.sleep(0)  # one turn of the loop between two replies
        while await line() != b".\r\n":
            pass
        writer.write(b"250 2.0.0 Queued\r\n")
        await line()  # QUIT
        writer.write(b"221 Bye\r\n")
        writer.close()

    async def main() -> smtp.Delivery:
        server = await asyncio.start_server(peer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        session = smtp._Session(ServerConfig("127.0.0.1", port, "none", None, None), timeout=3)
        row = OutboxRow(1, "t", None, "x@lpse.test", "ack", "lpse@lpse.test",
                        ("a@vendor.test", "b@vendor.test", "c@vendor.test"), b"Subject: x\r\n\r\nisi\r\n", 0,
                        datetime.now(UTC), "requester")
        try:
            return await session.send(row)
        finally:
            await session.close()
            server.close()

    delivery = asyncio.run(main())
    assert delivery.accepted == ("a@vendor.test", "c@vendor.test")
    assert delivery.deferred == (("b@vendor.test", "451 4.2.0 Busy"),) and delivery.refused == ()
    assert [g.split(b":")[0] for g in got[1:5]] == [b"MAIL FROM", b"RCPT TO", b"RCPT TO", b"RCPT TO"]
