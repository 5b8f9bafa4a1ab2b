"""Day two: `mailbot sweep` run by the operator while `mailbot run` sweeps too
(or two daemons on one config): each breach notice must go out once (SPEC 6)."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests.mailfactory import UNIT, mail

ROOT = Path(__file__).resolve().parents[1]
WIB = ZoneInfo("Asia/Jakarta")


def offline_config(tmp: Path) -> Path:
    data = {
        "database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
        "secret_key_file": str(tmp / "secret.key"), "log": {"format": "json", "level": "warning"},
        "escalation": {"address": "helpdesk@lkpp.test", "senders": ["*@lkpp.test"]},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},  # mail stays queued: we count rows
        "reports": {"monthly": False},
        "mailboxes": [{"name": "t", "address": UNIT, "tag_prefix": "LPSE-T",
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none", "username": UNIT, "password": "x"},
                       "staff": ["staff1@lpse.test"], "coordinators": ["koordinator@lpse.test"],
                       "heads": ["kepala@lpse.test"]}],
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def open_tickets(config: Path, n: int, at: datetime) -> None:
    cfg = load_config(config)
    app = App(cfg, clock=lambda: at)
    box = cfg.mailboxes[0]
    with app.store.group_commit():
        for i in range(n):
            raw, _ = mail(f"user{i:03d}@vendor.test", f"Masalah {i}", "Mohon bantuan.", date=at)
            assert app.handle(box, raw, at).status == "processed"
    app.store.close()


def overdue_counts(db: Path) -> dict[int, int]:
    conn = sqlite3.connect(db)
    rows = conn.execute("select ticket_id, count(*) from outbox where kind = 'overdue_staff' group by ticket_id")
    return dict(rows.fetchall())


@pytest.mark.integration  # two processes racing
def test_two_sweeps_at_once_send_each_breach_notice_once(tmp_path):
    config = offline_config(tmp_path)
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)  # Monday
    open_tickets(config, 300, opened)
    later = "2026-11-23T15:00:00+07:00"  # first response (4 working hours) is past for every ticket
    cmd = [sys.executable, "-m", "mailbot", "--config", str(config), "sweep", "--now", later]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        print(out.strip())
    counts = overdue_counts(tmp_path / "mailbot.db")
    twice = {t: n for t, n in counts.items() if n > 1}
    assert len(counts) == 300
    assert not twice, f"{len(twice)} tickets got their overdue_staff notice more than once"


def test_a_sweep_between_another_sweeps_read_and_its_firing_fires_nothing_again(tmp_path):
    """Deterministic: process B's sweep runs after process A read the due timers."""
    config = offline_config(tmp_path)
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
    open_tickets(config, 3, opened)
    now = datetime(2026, 11, 23, 15, 0, tzinfo=WIB)
    cfg = load_config(config)
    a, b = App(cfg, clock=lambda: now), App(cfg, clock=lambda: now)
    read = a.store.timers.due_timers

    def due_then_other_sweeps(mailbox, moment):  # type: ignore[no-untyped-def]
        rows = read(mailbox, moment)
        b.sweep()
        return rows

    a.store.timers.due_timers = due_then_other_sweeps  # type: ignore[method-assign]
    a.sweep()
    counts = overdue_counts(tmp_path / "mailbot.db")
    assert counts and set(counts.values()) == {1}, counts


def test_a_digest_queued_by_another_process_meanwhile_is_not_queued_again(tmp_path):
    config = offline_config(tmp_path)
    now = datetime(2026, 11, 23, 8, 30, tzinfo=WIB)  # Monday, past the digest hour
    # mailbot first started the Friday before: Monday's digest is due (not a first start's)
    open_tickets(config, 1, datetime(2026, 11, 20, 9, 0, tzinfo=WIB))
    cfg = load_config(config)
    a, b = App(cfg, clock=lambda: now), App(cfg, clock=lambda: now)
    context = a.timekeeper.digest_context

    def other_first(box, moment):  # type: ignore[no-untyped-def]
        b.timekeeper.send_digest(box, moment)
        return context(box, moment)

    a.timekeeper.digest_context = other_first  # type: ignore[method-assign]
    a.timekeeper.send_digest(cfg.mailboxes[0], now)
    conn = sqlite3.connect(tmp_path / "mailbot.db")
    assert conn.execute("select count(*) from outbox where kind = 'digest'").fetchone()[0] == 1


def test_a_monthly_summary_queued_by_another_process_meanwhile_is_not_queued_again(tmp_path, monkeypatch):
    from mailbot.reports import outputs

    config = offline_config(tmp_path)
    data = yaml.safe_load(config.read_text())
    data["reports"] = {"monthly": True}
    config.write_text(yaml.safe_dump(data))
    open_tickets(config, 2, datetime(2026, 11, 20, 9, 0, tzinfo=WIB))
    now = datetime(2026, 12, 1, 8, 30, tzinfo=WIB)  # Tuesday: the first working day of December
    cfg = load_config(config)
    a, b = App(cfg, clock=lambda: now), App(cfg, clock=lambda: now)
    a.store.metadata.set_meta("monthly_summary:t", "2026-10")
    build = outputs.summary_send
    calls: list[int] = []

    def other_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:
            calls.append(1)
            b.timekeeper.monthly_summary(cfg.mailboxes[0], now)
        return build(*args, **kwargs)

    monkeypatch.setattr(outputs, "summary_send", other_first)
    a.timekeeper.monthly_summary(cfg.mailboxes[0], now)
    conn = sqlite3.connect(tmp_path / "mailbot.db")
    kinds = [k for (k,) in conn.execute("select kind from outbox where kind not in ('ack', 'staff_new')")]
    assert len(kinds) == 1, kinds


def test_a_mail_recorded_by_a_second_daemon_meanwhile_is_no_storage_failure(tmp_path, monkeypatch):
    """Two `mailbot run` on one config fetch the same INBOX message; one records it between
    the other's decision and its commit. The other must take it for what it is (recorded,
    its move only left), not report the database as failing (the UNIQUE constraint on the
    message) and back off with acks unsent."""
    config = offline_config(tmp_path)
    at = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
    cfg = load_config(config)
    first, second = App(cfg, clock=lambda: at), App(cfg, clock=lambda: at)
    box = cfg.mailboxes[0]
    raw, _ = mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.", date=at)
    decided = first.pipeline.process
    recorded: list[str] = []

    def second_records_it_meanwhile(*args):
        ready = decided(*args)
        if not recorded:  # between the first daemon's decision and its commit
            recorded.append(second.handle(box, raw, at, uid=7, uidvalidity=1).status)
        return ready

    monkeypatch.setattr(first.pipeline, "process", second_records_it_meanwhile)
    again = first.handle(box, raw, at, uid=7, uidvalidity=1)
    assert recorded == ["processed"]
    assert (again.status, again.label) == ("processed", "already recorded")
    assert first.storage_failures == 0
    conn = sqlite3.connect(tmp_path / "mailbot.db")
    assert conn.execute("select count(*) from tickets").fetchone()[0] == 1
    assert conn.execute("select count(*) from outbox where kind = 'ack'").fetchone()[0] == 1
    first.store.close()
    second.store.close()
