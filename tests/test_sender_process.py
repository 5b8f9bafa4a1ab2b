"""The sender process of `mailbot run`, over real Dovecot and SMTP.

`mailbot run` sends from a child process (`mailbot.daemon.sender`) so that sending runs on
another core than intake. What users and operators must still get: big files relayed
intact, nothing left running when the daemon dies, never two senders on one database.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from datetime import datetime
from pathlib import Path

from mailbot.config.load import load_config
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"


def _proc_text(path: str) -> str | None:
    """A /proc file of another process, or None when that process (or thread) ended between
    being listed and being read: then the file is gone (FileNotFoundError) or the kernel
    answers ESRCH (ProcessLookupError)."""
    try:
        return Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None


def children(pid: int) -> list[int]:
    """The children of `pid`'s threads; a thread (or `pid` itself) that ends while they are
    read has none."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):
        return []
    found: list[int] = []
    for thread in threads:
        found += [int(c) for c in (_proc_text(f"/proc/{pid}/task/{thread}/children") or "").split()]
    return found


def senders(pid: int) -> list[int]:
    """The daemon's children that run mailbot.cli.sender_process (not a helper it may run briefly);
    a child that ends between being listed and being read is skipped."""
    return [child for child in children(pid)
            if "mailbot.cli.sender_process" in (_proc_text(f"/proc/{child}/cmdline") or "")]


def alive(pid: int) -> bool:
    stat = _proc_text(f"/proc/{pid}/stat")
    if stat is None:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_big_attachment_reaches_staff_intact_through_the_sender_process(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    document = os.urandom(3 * 2**20 + 12345)  # over the sizes where files are spliced and DATA is streamed
    scan = os.urandom(200_000)
    body = ("Dokumen penawaran terlampir, tidak bisa diunggah.\n"
            ".htaccess di server kami menolak berkas\n"  # a line that opens with a dot (SMTP transparency)
            ".\n"
            "Terima kasih.")
    raw, _ = mf.mail(REQUESTER, "Gagal unggah dokumen penawaran", body,
                     attachments=(("penawaran.pdf", "application/pdf", document), ("scan.png", "image/png", scan)))
    servers.append("lpse@lpse.test", raw)
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new"), 60), mf.stop(proc)
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, REQUESTER), "ack"), 30), mf.stop(proc)
    finally:
        log = mf.stop(proc)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    files = {part.get_filename(): part.get_content() for part in notice.iter_attachments()}
    assert files == {"penawaran.pdf": document, "scan.png": scan}, log
    text = mf.text_of(notice)
    assert ".htaccess di server kami menolak berkas" in text
    assert "\n| .\n" in text.replace("\r\n", "\n")  # the lone dot, behind the fence of the requester's words


def test_the_sender_ends_with_the_daemon_even_when_it_is_killed(fresh_mailboxes, tmp_path):
    config = mf.write_config(fresh_mailboxes, tmp_path)
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: bool(senders(proc.pid)), 30)
        [sender] = senders(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the daemon alone, as a crash would end it
        proc.wait(10)
        assert mf.wait_for(lambda: not alive(sender), 10), "the sender outlived the daemon"
    finally:
        mf.stop(proc)


def test_a_sender_waiting_for_the_lock_ends_with_its_daemon(fresh_mailboxes, tmp_path):
    """A sender waits for a predecessor's lock; its daemon dies meanwhile (kill -9). The
    sender used to wait for the lock for as long as the predecessor lived, with no daemon
    to signal it, and held the daemon's output open: a test's stop waited its 30 s out."""
    config = mf.write_config(fresh_mailboxes, tmp_path)
    database = load_config(config).database
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(database.with_name(database.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a predecessor still finishing its last mail, for the whole test
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: bool(senders(proc.pid)), 30)
        [sender] = senders(proc.pid)
        time.sleep(3)  # past its start: waiting for the lock
        assert alive(sender)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert mf.wait_for(lambda: not alive(sender), 10), "the sender outlived the daemon, waiting for the lock"
    finally:
        os.close(lock)
        mf.stop(proc)


def test_no_sender_is_started_once_the_daemon_stops(tmp_path):
    """A sender that ended is started again by the daemon's supervising thread; one started
    just after the stop's SIGTERM went out was never signalled nor waited for."""
    from mailbot.daemon.sender import SenderProcess

    handle = SenderProcess(tmp_path / "config.yaml", log=None, notify=lambda line: None)
    handle.terminate()
    assert handle.spawn() is None
    handle.supervise()  # returns at once, having started nothing
    assert handle.proc is None


def test_a_second_sender_waits_for_the_first_instead_of_sending_beside_it(fresh_mailboxes, tmp_path):
    """While another sender holds the database's sender lock, nothing is sent; once it
    lets go, the waiting sender sends what is queued."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    database = load_config(config).database
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(database.with_name(database.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a predecessor still finishing its last mail
    raw, _ = mf.mail(REQUESTER, "Tidak bisa login", "Akun saya terkunci.")
    servers.append("lpse@lpse.test", raw)
    proc = mf.daemon(config)
    try:
        assert mf.wait_for(lambda: not servers.fetch("lpse@lpse.test", "INBOX"), 30)  # handled, ack queued
        time.sleep(3)
        assert not mf.of_kind(mf.inbox(servers, REQUESTER), "ack")
        os.close(lock)  # the predecessor is gone
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, REQUESTER), "ack"), 30)
    finally:
        mf.stop(proc)


def test_commands_leave_sending_to_a_running_sender(fresh_mailboxes, tmp_path, capsys):
    """`run --once`, `sweep` and `replay` send the outbox themselves only when no daemon's
    sender holds the sender lock: sending beside it sent the same rows twice. With the lock
    held they queue and send nothing; the sender (here: the next command) sends each mail once."""
    from mailbot.cli import main as cli

    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    database = load_config(config).database
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(database.with_name(database.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a running daemon's sender
    raw, _ = mf.mail(REQUESTER, "Tidak bisa login", "Akun saya terkunci.")
    servers.append("lpse@lpse.test", raw)
    saved = tmp_path / "saved.eml"
    saved.write_bytes(mf.mail("sari@dinas.test", "Lupa kata sandi", "Mohon direset.")[0])
    try:
        for argv in (["run", "--once"], ["sweep"], ["replay", str(saved)]):
            capsys.readouterr()
            assert cli.main(["--config", str(config), *argv]) == 0
            out = capsys.readouterr().out
            assert argv[0] == "replay" or ('"sent": 0' in out and "left to the running daemon's sender" in out)
        assert not servers.fetch("lpse@lpse.test", "INBOX")  # handled, its mail queued
        assert (not mf.inbox(servers, REQUESTER) and not mf.inbox(servers, "sari@dinas.test")
                and not mf.inbox(servers, mf.STAFF[0]))
    finally:
        os.close(lock)  # the sender is gone
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    assert "left to" not in capsys.readouterr().out
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, "sari@dinas.test")] == ["ack"]
    assert len(mf.inbox(servers, mf.STAFF[0])) == 2


def test_report_summary_send_leaves_the_outbox_to_a_running_sender(fresh_mailboxes, tmp_path, capsys):
    """The head's monthly summary sent by hand (`report summary --send`) while `mailbot run`
    works: the command sent every due row itself beside the daemon's sender, and requesters
    and staff got their acks and notices twice. With a sender holding the lock, the command
    queues the summary and sends nothing; the sender sends every mail once."""
    from mailbot.cli import main as cli

    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, reports={"monthly": False})
    database = load_config(config).database
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(database.with_name(database.name + ".sender.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a running daemon's sender
    servers.append("lpse@lpse.test", mf.mail(REQUESTER, "Tidak bisa login", "Akun saya terkunci.")[0])
    try:
        assert cli.main(["--config", str(config), "run", "--once"]) == 0  # handled, its ack queued
        capsys.readouterr()
        month = datetime.now(load_config(config).timezone).strftime("%Y-%m")  # the unit's month, not the host's
        assert cli.main(["--config", str(config), "report", "summary", "--month", month, "--send"]) == 0
        assert "left to the running daemon's sender" in capsys.readouterr().err
        assert not mf.inbox(servers, REQUESTER) and not mf.inbox(servers, "kepala@lpse.test")
    finally:
        os.close(lock)  # the sender is gone
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]
    # the summary once; beside it the daily digest when the passes ran at or after its hour on a
    # working day (the test does not choose the hour)
    head = sorted(str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, "kepala@lpse.test"))
    assert head in (["monthly_summary"], ["digest", "monthly_summary"]), head
