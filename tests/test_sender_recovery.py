""""Never drop, never stall": mail held by an SMTP outage goes out as soon as the
relay takes mail again, oldest first (SPEC 5: temporary failures are retried; SPEC 2:
staff learn of new tickets through notifications, in the order they came).

Mail held because the *server* could not take any mail (connection refused, a 421
greeting, a refused login, MAIL FROM answered 4xx) says nothing about the mail: once the
server accepts mail again it is all due at once, in the order it was queued. Mail held
for *one recipient* (a 4xx to its RCPT: greylisting, a full mailbox) keeps its own
backoff, and never holds the rest back. Over real Dovecot and an SMTP server the test
stops and starts (`tests/faultsmtp.py`); the outbox's clock is an argument, so hours
of outage take seconds. The last test runs `mailbot run` (its sender process) in real time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests import mailfactory as mf
from tests.faultsmtp import FaultySmtp, count_by_message_id, smtp_block
from tests.localmail import HOST
from tests.rawsmtp import Clock
from tests.test_systemd_run import NotifySocket

REQUESTER = "budi@vendor.test"
SECOND = "sari@dinas.test"


@pytest.fixture
def relay(fresh_mailboxes):
    with FaultySmtp(fresh_mailboxes) as server:
        yield fresh_mailboxes, server


def make_app(servers, smtp, tmp_path, clock) -> App:
    return App(load_config(mf.write_config(servers, tmp_path, smtp=smtp_block(smtp.port))), clock=clock)


def new_ticket(servers, sender, subject):
    servers.append(mf.UNIT, mf.mail(sender, subject, "Selamat pagi, mohon bantuannya. Terima kasih.")[0])


def outbox(app):
    return list(app.store.db.query("select id, kind, status, attempts, next_attempt_at from outbox order by id"))


def subjects_to(smtp, address):
    """Message-IDs the server accepted for `address`, in the order it accepted them."""
    return [mid for mid, rcpts in smtp.faults.accepted if address in [r.lower() for r in rcpts]]


def sent_ids(app):
    return {f"<{r['message_id']}>": r["id"] for r in app.store.db.query("select id, message_id from outbox")}


def outage(app, clock, minutes, step_minutes=0.5):
    """The sender's passes while the relay is down."""
    for _ in range(int(minutes / step_minutes)):
        app.flush_outbox()
        clock.advance(minutes=step_minutes)


def held_over_outage(app, servers, smtp, clock, minutes):
    """Budi writes while the relay is down, and the sender's passes go on for `minutes`."""
    smtp.stop()
    new_ticket(servers, REQUESTER, "Akun SPSE terkunci")
    app.poll_all()
    outage(app, clock, minutes)


def test_held_mail_goes_first_as_soon_as_the_relay_takes_mail_again(relay, tmp_path):
    """Budi writes while the relay is down; the relay comes back; Sari writes. Budi's ack
    and staff notice go out at once, before Sari's, not at their own next retry minutes later."""
    servers, smtp = relay
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    held_over_outage(app, servers, smtp, clock, 10)
    assert {r["status"] for r in outbox(app)} == {"pending"}
    smtp.start()
    new_ticket(servers, SECOND, "Lupa kata sandi SPSE")
    app.poll_all()
    app.flush_outbox()  # no time passes: the pass that sends Sari's ack
    assert {r["status"] for r in outbox(app)} == {"sent"}, outbox(app)
    order = sent_ids(app)
    for_staff = [order[mid] for mid in subjects_to(smtp, mf.STAFF[0])]
    assert for_staff == sorted(for_staff) and len(for_staff) == 2, "staff learn of Budi's ticket first"
    everything = [order[mid] for mid, _ in smtp.faults.accepted]
    assert everything == sorted(everything), "the mail goes out in the order it was queued"
    assert exactly_once(servers, mf.STAFF[0]) == 2
    assert exactly_once(servers, REQUESTER) == 1 and exactly_once(servers, SECOND) == 1


def test_held_mail_goes_within_seconds_of_the_relay_coming_back_without_new_mail(relay, tmp_path):
    servers, smtp = relay
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    held_over_outage(app, servers, smtp, clock, 30)
    smtp.start()
    for _ in range(10):  # the sender looks every 2 s: 20 s
        app.flush_outbox()
        clock.advance(seconds=2)
    assert {r["status"] for r in outbox(app)} == {"sent"}, outbox(app)
    assert exactly_once(servers, mf.STAFF[0]) == 1


def test_a_mail_greylisted_for_one_recipient_keeps_its_own_backoff(relay, tmp_path):
    """A 450 to one RCPT is about that address: it is not tried again the moment other
    mail goes through (a greylisting server would see it every few seconds), and it holds
    nothing else back."""
    servers, smtp = relay
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.refuse_rcpt(REQUESTER, *["450 4.2.0 Greylisted, please try again in 300 seconds"] * 20)
    new_ticket(servers, REQUESTER, "Akun SPSE terkunci")
    app.poll_all()
    app.flush_outbox()
    tried = len(smtp.faults.rcpt[REQUESTER])
    clock.advance(seconds=5)
    new_ticket(servers, SECOND, "Lupa kata sandi SPSE")
    app.poll_all()
    for _ in range(3):
        app.flush_outbox()
        clock.advance(seconds=2)
    assert len(smtp.faults.rcpt[REQUESTER]) == tried, "the greylisted ack was tried again before its backoff"
    ack = next(r for r in outbox(app) if r["kind"] == "ack" and r["status"] == "pending")
    assert ack["attempts"] == 1
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")) == 2
    assert len(mf.of_kind(mf.inbox(servers, SECOND), "ack")) == 1


def test_a_relay_that_refuses_mail_from_us_for_a_while_is_asked_by_one_mail_at_a_time(relay, tmp_path):
    """A relay throttling the unit (450 to MAIL FROM, as Postfix's rate limits answer) is
    not hit by every held mail every few seconds: one mail asks it, about every 15 s."""
    servers, smtp = relay
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.faults.mail = ["450 4.7.1 Error: too much mail from 10.0.0.5"] * 1000
    for i in range(5):
        new_ticket(servers, f"user{i}@vendor.test", f"Masalah penawaran {i}")
    app.poll_all()
    outage(app, clock, 10)
    left = len(smtp.faults.mail)
    for _ in range(30):  # one minute of the sender's passes
        app.flush_outbox()
        clock.advance(seconds=2)
    asked = left - len(smtp.faults.mail)
    assert asked <= 10, f"{asked} MAIL FROM in a minute from 10 held mails"
    smtp.faults.mail.clear()
    for _ in range(10):
        app.flush_outbox()
        clock.advance(seconds=2)
    assert {r["status"] for r in outbox(app)} == {"sent"}
    assert exactly_once(servers, mf.STAFF[0]) == 5


class SilentRelay:
    """The relay's port taking connections and never greeting (a hung MTA, a firewall's
    half-open proxy): every connection waits out mailbot's time-out."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server((HOST, port))
        self.sock.settimeout(0.2)
        self.connections: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                self.connections.append(self.sock.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


def test_a_relay_that_never_greets_costs_one_time_out_a_pass(relay, tmp_path):
    """Mail held by an outage, then the relay hangs (takes the connection, never greets)
    and a requester writes: the pass waits out one time-out and opens one connection, as
    before held mail was asked first, not one for the held mail and one for the new."""
    servers, smtp = relay
    clock = Clock()
    app = App(load_config(mf.write_config(servers, tmp_path,
                                          smtp=smtp_block(smtp.port, timeout=2, greeting_timeout=2))),
              clock=clock)
    held_over_outage(app, servers, smtp, clock, 10)
    hung = SilentRelay(smtp.port)
    try:
        new_ticket(servers, SECOND, "Lupa kata sandi SPSE")
        app.poll_all()
        started = time.monotonic()
        app.flush_outbox()
        took = time.monotonic() - started
        assert len(hung.connections) == 1 and took < 3.5, (len(hung.connections), took)
    finally:
        hung.close()
    assert {r["status"] for r in outbox(app)} == {"pending"}
    assert all(r["attempts"] == 1 for r in outbox(app) if r["id"] > 2), "the new mail was tried once"
    smtp.start()
    for _ in range(10):
        app.flush_outbox()
        clock.advance(seconds=2)
    assert {r["status"] for r in outbox(app)} == {"sent"}
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert ["Akun SPSE terkunci" in str(m["Subject"]) for m in notices] == [True, False]
    assert exactly_once(servers, mf.STAFF[0]) == 2


def test_after_hours_of_outage_a_backlog_goes_once_in_order_over_few_connections(relay, tmp_path):
    """Twelve requesters over a six-hour outage: when the relay is back, every ack and
    notice goes once, oldest first, over one kept connection, and no loop limit or alert
    is set off by the backlog going out together."""
    servers, smtp = relay
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock)
    smtp.stop()
    for i in range(12):
        new_ticket(servers, f"user{i}@vendor.test", f"Masalah penawaran {i}")
        app.poll_all()
        outage(app, clock, 30, step_minutes=5)
    smtp.start()
    before = smtp.faults.connections
    for _ in range(10):
        app.flush_outbox()
        clock.advance(seconds=2)
    rows = outbox(app)
    assert {r["status"] for r in rows} == {"sent"} and {r["kind"] for r in rows} == {"ack", "staff_new"}
    assert smtp.faults.connections - before <= 3
    order = sent_ids(app)
    everything = [order[mid] for mid, _ in smtp.faults.accepted]
    assert everything == sorted(everything)
    assert exactly_once(servers, mf.STAFF[0]) == 12 and exactly_once(servers, "catchall@lpse.test") == 12
    assert not mf.of_kind(mf.inbox(servers, "koordinator@lpse.test"), "rate_limited")


def test_the_daemon_sends_the_held_ack_and_notice_promptly_when_the_relay_is_back(relay, tmp_path):
    """`mailbot run` in real time: a 40 s outage puts the held mail's next try about a
    minute after the relay is back; it must not wait for it, nor go out after newer mail."""
    servers, smtp = relay
    config = mf.write_config(servers, tmp_path, smtp=smtp_block(smtp.port))
    proc = mf.daemon(config)
    try:
        time.sleep(2)
        smtp.stop()
        new_ticket(servers, REQUESTER, "Akun SPSE terkunci")
        time.sleep(40)  # tries at about 0 s and 30 s fail: the next is a minute after that
        smtp.start()
        back = time.monotonic()
        new_ticket(servers, SECOND, "Lupa kata sandi SPSE")
        assert mf.wait_for(lambda: len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")) == 2, 60), mf.stop(proc)
        took = time.monotonic() - back
        assert took < 10, f"the held notice went {took:.0f} s after the relay was back"
        notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
        assert "Akun SPSE terkunci" in str(notices[0]["Subject"]), [str(m["Subject"]) for m in notices]
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, REQUESTER), "ack")
                           and mf.of_kind(mf.inbox(servers, SECOND), "ack"), 10)
    finally:
        mf.stop(proc)


def exactly_once(servers, user):
    counts = dict(count_by_message_id(servers.fetch(user)))
    assert all(n == 1 for n in counts.values()), counts
    return len(counts)


def test_systemd_status_stops_saying_unsendable_once_the_relay_takes_mail_again(relay, tmp_path):
    """SPEC 6: an outbox unsendable for `alert_after_minutes` is said by the log and by
    systemd's status. Once the relay takes the mail again, `systemctl status` must not
    go on telling the operator that the outbox is unsendable."""
    servers, smtp = relay
    config = mf.write_config(servers, tmp_path, smtp=smtp_block(smtp.port), alert_after_minutes=0)
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True,
                            env=dict(os.environ, NOTIFY_SOCKET=str(notify.path)))
    try:
        smtp.stop()
        new_ticket(servers, REQUESTER, "Akun SPSE terkunci")
        notify.wait_for(r"STATUS=outbox of t unsendable since .*", 30)
        smtp.start()
        assert mf.wait_for(lambda: bool(mf.of_kind(mf.inbox(servers, REQUESTER), "ack")), 30), mf.stop(proc)
        time.sleep(5)  # the sender's next passes find nothing to send
        statuses = [line for line in notify.lines() if line.startswith("STATUS=")]
        assert "unsendable" not in statuses[-1] and "outbox of t sending again" in statuses[-1], statuses[-3:]
    finally:
        mf.stop(proc)
        notify.close()
