"""IMAP intake details on the real Dovecot: UIDVALIDITY, folders, replay."""

from __future__ import annotations

import email
import email.policy
import threading
import time

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests.mailfactory import UNIT, mail, run_once, write_config


def test_folders_created_and_nothing_deleted(fresh_mailboxes, tmp_path):
    """Processed and Quarantine are created when missing; mail is moved, never deleted."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, b"this is not an email at all")
    raw, _ = mail("budi@vendor.test", "Tanya", "Halo")
    servers.append(UNIT, raw)
    run_once(config)
    assert {"Processed", "Quarantine"} <= set(servers.folders(UNIT))
    assert len(servers.fetch(UNIT, "Processed")) == 1
    [bad] = servers.fetch(UNIT, "Quarantine")
    assert b"not an email" in bad
    [row] = Store(load_config(config).database).arrivals.quarantined()
    assert row.reason


def test_uidvalidity_change_loses_and_repeats_nothing(fresh_mailboxes, tmp_path):
    """After the server renumbers the INBOX, new mail is read and old mail is not handled again."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    first, _ = mail("budi@vendor.test", "Masalah pertama", "Isi pertama")
    servers.append(UNIT, first)
    run_once(config)
    store = Store(load_config(config).database)
    validity, last = store.mailboxes.imap_position("t", "INBOX")
    assert last >= 1
    # Under the old UIDVALIDITY we had read far ahead of the UIDs the new numbering uses.
    from datetime import UTC, datetime
    store.mailboxes.set_imap_position("t", "INBOX", validity, 100, datetime.now(UTC))

    # The server is restored: INBOX gets a new UIDVALIDITY, the old message is back in it,
    # and a new message arrives with a low UID.
    servers.append(UNIT, first)
    second, _ = mail("sari@dinas.test", "Masalah kedua", "Isi kedua")
    servers.append(UNIT, second)
    servers.set_uidvalidity(UNIT, "INBOX", validity + 1000)
    run_once(config)

    assert [t.requester.addr for t in store.search.tickets()] == ["budi@vendor.test", "sari@dinas.test"]
    assert len(servers.fetch("budi@vendor.test")) == 1  # the restored copy got no second ack
    assert len(servers.fetch("sari@dinas.test")) == 1
    assert servers.fetch(UNIT) == []
    assert store.mailboxes.imap_position("t", "INBOX")[0] == validity + 1000


def test_replay_dry_run_changes_nothing(fresh_mailboxes, tmp_path, capsys):
    """`replay --dry-run` reports the decision and records nothing; without it the mail is handled."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    raw, _ = mail("budi@vendor.test", "Gagal unggah dokumen", "Dokumen penawaran gagal diunggah.")
    eml = tmp_path / "saved.eml"
    eml.write_bytes(raw)
    assert cli.main(["--config", str(config), "replay", str(eml), "--dry-run"]) == 0
    assert '"label": "ticket_opened"' in capsys.readouterr().out
    assert Store(load_config(config).database).search.tickets() == []
    assert cli.main(["--config", str(config), "replay", str(eml)]) == 0
    assert len(Store(load_config(config).database).search.tickets()) == 1
    assert len(servers.fetch("budi@vendor.test")) == 1
    assert cli.main(["--config", str(config), "replay", str(eml)]) == 0  # the same message again
    assert len(Store(load_config(config).database).search.tickets()) == 1


def test_quarantine_alerts_coordinators_once(fresh_mailboxes, tmp_path):
    """SPEC 6: mail waiting in Quarantine alerts the coordinators once, with the reason."""
    from tests.mailfactory import of_kind, parse

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, b"garbage without any header")
    run_once(config)
    run_once(config)
    alerts = of_kind([parse(r) for r in servers.fetch("koordinator@lpse.test")], "system_alert")
    assert len(alerts) == 1
    assert "Quarantine" in alerts[0].get_body(("plain",)).get_content()


def test_unreadable_mailbox_alerts_after_alert_after_minutes(fresh_mailboxes, tmp_path):
    """SPEC 6: a mailbox unreadable for alert_after_minutes alerts coordinators once."""
    import socket
    from datetime import UTC, datetime, timedelta

    import yaml

    from mailbot.daemon.wiring import App
    from tests.mailfactory import of_kind, parse

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    data = yaml.safe_load(config.read_text())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        data["mailboxes"][0]["imap"]["port"] = sock.getsockname()[1]  # nothing listens there
    config.write_text(yaml.safe_dump(data))
    clock = [datetime(2026, 11, 23, 2, 0, tzinfo=UTC)]
    app = App(load_config(config), clock=lambda: clock[0])
    for minutes in (0, 29, 31, 45):
        clock[0] = datetime(2026, 11, 23, 2, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        app.poll_all()
        app.watch()
        app.flush_outbox()
    alerts = of_kind([parse(r) for r in servers.fetch("koordinator@lpse.test")], "system_alert")
    assert len(alerts) == 1
    assert "tidak dapat dibaca" in alerts[0].get_body(("plain",)).get_content()


def test_oversized_message_is_quarantined_with_reason(fresh_mailboxes, tmp_path):
    """SPEC 9: the message size cap quarantines a message that is too big, with the reason,
    and the human requester is told how to send it instead."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"max_message_bytes": 4096})
    big = (("big.bin", "application/octet-stream", b"x" * 10_000),)
    raw, _ = mail("budi@vendor.test", "Lampiran besar", "Terlampir.", attachments=big)
    servers.append(UNIT, raw)
    run_once(config)
    [row] = Store(load_config(config).database).arrivals.quarantined()
    assert row.reason.endswith("over the 4096-byte limit")
    assert len(servers.fetch(UNIT, "Quarantine")) == 1
    [notice] = [email.message_from_bytes(r, policy=email.policy.default) for r in servers.fetch("budi@vendor.test")]
    assert notice["X-Mailbot-Kind"] == "message_refused" and notice["Auto-Submitted"] == "auto-replied"
    body = notice.get_body(("plain",)).get_content()
    assert "terlalu besar" in body
    # nothing of a sender no server vouched for comes back, the subject neither
    assert "Lampiran besar" not in body and "Lampiran besar" not in str(notice["Subject"])


def test_mail_that_arrives_during_a_pass_wakes_the_next_idle_at_once(fresh_mailboxes, tmp_path, monkeypatch):
    """No lost wakeups: mail that arrives while a pass fetches and moves is announced
    inside those commands' responses, and the server does not announce it again when IDLE
    starts; the wait after the pass must still return at once, not at the renewal."""
    from mailbot.daemon.wiring import App
    from mailbot.io import imap

    servers = fresh_mailboxes
    cfg = load_config(write_config(servers, tmp_path))
    app, box = App(cfg), cfg.mailboxes[0]
    servers.append(UNIT, mail("budi@vendor.test", "Pertama", "Tolong bantu.")[0])
    second = [mail("sari@dinas.test", "Kedua", "Datang saat mailbot sibuk.")[0]]
    handle_batch = app.passes.handle_batch

    def busy(*args, **kwargs):  # the second mail arrives while the first is being handled
        handled = handle_batch(*args, **kwargs)
        if second:
            servers.append(UNIT, second.pop())
            time.sleep(0.2)
        return handled

    monkeypatch.setattr(app.passes, "handle_batch", busy)
    with imap.Mailbox(box.imap) as session:
        assert app.poll(box, session) == 1
        started = time.monotonic()
        woke = session.idle(10, lambda: False)  # what the watcher does after a pass
        waited = time.monotonic() - started
        assert woke and waited < 2, f"woke={woke} after {waited:.1f} s"
        assert app.poll(box, session) == 1
    app.store.close()
    assert servers.fetch(UNIT) == []


def test_mail_that_arrives_just_before_idle_starts_wakes_it_at_once(fresh_mailboxes, tmp_path):
    """No lost wakeups: a mail that reaches the INBOX after the pass's last command and before
    IDLE starts is announced by Dovecot right behind its "+ idling", in the same packet; the
    wait must return at once, not at the renewal (poll_seconds, a minute in production)."""
    from mailbot.io import imap

    servers = fresh_mailboxes
    cfg = load_config(write_config(servers, tmp_path))
    with imap.Mailbox(cfg.mailboxes[0].imap) as session:
        for i in range(3):
            while session.idle(0.3, lambda: False):  # what the selection and the last mail announced is taken
                pass
            assert len(session.pending_uids(0)) == i  # the pass's last command: nothing new yet
            servers.append(UNIT, mail(f"pengguna{i}@vendor.test", f"Akun terkunci {i}", "Mohon bantuan.")[0])
            started = time.monotonic()
            woke = session.idle(10, lambda: False)
            waited = time.monotonic() - started
            assert woke and waited < 2, f"mail {i}: woke={woke} after {waited:.1f} s"


def test_a_dropped_idle_connection_is_noticed_at_once(fresh_mailboxes, tmp_path):
    """A server, NAT or load balancer that ends a kept IDLE session: the wait ends within
    seconds with a transient error (the watcher reconnects), not at the renewal a minute on."""

    from dataclasses import replace

    import pytest

    from mailbot.errors import TransientError
    from mailbot.io import imap

    servers = fresh_mailboxes
    cfg = load_config(write_config(servers, tmp_path))
    # through a relay that ends both directions, as the network does: a client-side
    # shutdown(SHUT_RD) is no such end (Linux still delivers the server's late answer)
    proxy = _CuttableProxy(servers.imap_port)
    with imap.Mailbox(replace(cfg.mailboxes[0].imap, port=proxy.address)) as session:
        session.idle(0.2, lambda: False)  # what the folder's selection announced is taken
        threading.Timer(0.5, proxy.cut).start()  # the session is gone
        started = time.monotonic()
        with pytest.raises(TransientError):
            session.idle(30, lambda: False)
        assert time.monotonic() - started < 5


class _CuttableProxy:
    """A TCP relay to the IMAP server whose sessions can be cut, as a NAT or a load balancer
    ends a kept connection."""

    def __init__(self, port: int) -> None:
        import socket

        self.port, self.pairs = port, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.port))
            self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:  # type: ignore[no-untyped-def]
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        import socket

        for pair in self.pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pairs.clear()


def test_a_mailbox_whose_session_was_cut_answers_again_within_seconds(fresh_mailboxes, tmp_path):
    """A kept IDLE session that the network ends is noticed and opened again at
    once (no minute-long IDLE, no back-off after a session that worked)."""

    from tests.mailfactory import daemon, inbox, stop, wait_for

    servers = fresh_mailboxes
    proxy = _CuttableProxy(servers.imap_port)
    proc = daemon(_idle_through(servers, tmp_path, proxy.address, log_level="info"))
    try:
        _first_answered(servers)
        proxy.cut()
        time.sleep(0.5)
        servers.append(UNIT, mail("sari@dinas.test", "Kedua", "Setelah koneksi putus.")[0])
        started = time.monotonic()
        assert wait_for(lambda: inbox(servers, "sari@dinas.test"), 15), "no ack 15 s after the session was cut"
        assert time.monotonic() - started < 10
    finally:
        out = stop(proc)
    assert "connection_lost" in out and "retrying_later" not in out


def _idle_through(servers, tmp_path, port: int, log_level: str | None = None):
    """A config whose mailbox reaches its IMAP server through `port` (a proxy), on IDLE as in production."""
    import yaml

    path = write_config(servers, tmp_path)
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"].update(port=port, idle=True, poll_seconds=60)
    if log_level:
        data["log"]["level"] = log_level
    path.write_text(yaml.safe_dump(data))
    return path


def _first_answered(servers) -> None:
    """A first request answered, and the watcher back in IDLE."""
    from tests.mailfactory import inbox, wait_for

    servers.append(UNIT, mail("budi@vendor.test", "Pertama", "Tolong bantu.")[0])
    assert wait_for(lambda: inbox(servers, "budi@vendor.test"), 30)
    time.sleep(1)


class _RestartingServer(_CuttableProxy):
    """The IMAP server as a restart (`systemctl restart dovecot`, a package upgrade) shows it:
    every session ends, connections are refused for a moment, then it answers again on the
    same port."""

    def down(self) -> None:
        import socket

        self.cut()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept in progress: connections are refused
        self.listener.close()

    def up(self) -> None:
        import socket

        self.listener = socket.create_server(("127.0.0.1", self.address))
        threading.Thread(target=self._accept, daemon=True).start()


def test_mail_after_a_short_imap_server_restart_is_answered_within_seconds(fresh_mailboxes, tmp_path):
    """A restart of the IMAP server that takes a few seconds: the first reconnect a second
    after the session ended is refused; mail that arrives once the server is back is answered
    within seconds, not after a back-off of minutes (2 x poll_seconds: 2 minutes by default)."""

    from tests.mailfactory import daemon, inbox, stop, wait_for

    servers = fresh_mailboxes
    server = _RestartingServer(servers.imap_port)
    proc = daemon(_idle_through(servers, tmp_path, server.address))
    try:
        _first_answered(servers)
        server.down()
        time.sleep(3)  # the restart takes a few seconds
        server.up()
        servers.append(UNIT, mail("sari@dinas.test", "Kedua", "Setelah server IMAP dimulai ulang.")[0])
        started = time.monotonic()
        assert wait_for(lambda: inbox(servers, "sari@dinas.test"), 20), "no ack 20 s after the server was back"
        assert time.monotonic() - started < 10
    finally:
        stop(proc)


def test_a_folder_another_session_creates_meanwhile_is_there_not_a_failure(fresh_mailboxes, tmp_path):
    """Two daemons on one config start together (tests/test_ops_two_daemons.py): both see no
    Processed folder, both CREATE it, and Dovecot answers the second NO [ALREADYEXISTS]. That
    session once failed with "cannot create IMAP folder", and the coordinators were alerted
    of a mailbox that works. Here the other session's CREATE is made to come between this
    session's look and its own, on the real server."""
    from imapclient import IMAPClient

    from mailbot.io import imap

    servers = fresh_mailboxes
    box = load_config(write_config(servers, tmp_path)).mailboxes[0].imap
    original = IMAPClient.list_folders
    looked: list[str] = []

    def look_then_let_the_other_create(self, directory="", pattern="*"):  # type: ignore[no-untyped-def]
        listed = original(self, directory, pattern)
        if not listed and pattern not in looked:
            looked.append(pattern)
            with imap.Mailbox(box):  # the other daemon's session creates the folders it needs
                pass
        return listed

    IMAPClient.list_folders = look_then_let_the_other_create  # type: ignore[method-assign]
    try:
        with imap.Mailbox(box) as session:
            assert session.client is not None
            assert set(looked) == {box.processed_folder, box.quarantine_folder, box.sent_folder}  # Sent too
    finally:
        IMAPClient.list_folders = original  # type: ignore[method-assign]


def test_a_move_of_messages_another_session_moved_meanwhile_moves_the_rest(fresh_mailboxes, tmp_path):
    """Two daemons on one INBOX (tests/test_ops_two_daemons.py): one moves a message the
    other is about to move with its batch. Dovecot refuses the whole batch, NO
    [EXPUNGEISSUED] (RFC 5530); the session took that for a failing folder, left the batch
    in the INBOX and, when it lasted, the coordinators were alerted of storage that works.
    The messages still there are moved; the one already gone needs nothing."""
    from mailbot.io import imap

    servers = fresh_mailboxes
    box = load_config(write_config(servers, tmp_path)).mailboxes[0].imap
    for i in range(3):
        servers.append(UNIT, mail(f"pengguna{i}@vendor.test", f"Masalah {i}", "Mohon bantuan.")[0])
    with imap.Mailbox(box) as mine, imap.Mailbox(box) as other:
        uids = mine.pending_uids(0)
        assert len(uids) == 3
        other.move([uids[1]], box.processed_folder)  # the other daemon was quicker with one
        mine.move(uids, box.processed_folder)
        assert mine.pending_uids(0) == []
    assert len(servers.fetch(UNIT, "Processed")) == 3 and servers.fetch(UNIT) == []
