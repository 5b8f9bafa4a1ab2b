"""One process serving three LPSE units' mailboxes (SPEC 1, 5, 9): each unit's mail, people and
limits stay its own. Over real Dovecot and SMTP."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.mailfactory import inbox, mail, of_kind, run_once

A, B, C = "lpse@btm.test", "lpse@mks.test", "lpse@pky.test"
SHARED = "andi@prov.test"  # staff in A and B
A1, B1, C1 = "a1@btm.test", "b1@mks.test", "c1@pky.test"
LIST_A = "helpdesk-list@btm.test"
KA, KB, KC = "koord@btm.test", "koord@mks.test", "koord@pky.test"
HA, HB, HC = "kepala@btm.test", "kepala@mks.test", "kepala@pky.test"
LKPP = "helpdesk@lkpp.test"
BUDI = "budi@vendor.test"
YEAR = datetime.now(ZoneInfo("Asia/Jakarta")).year
USERS = (A, B, C, SHARED, A1, B1, C1, LIST_A, KA, KB, KC, HA, HB, HC)


def box(servers, name, address, prefix, display, staff, coord, head, **extra):
    return {"name": name, "address": address, "display_name": display, "tag_prefix": prefix,
            "imap": {"host": servers.host, "port": servers.imap_port, "security": "none", "username": address,
                     "password": servers.password_for(address), "idle": False, "poll_seconds": 1},
            "staff": list(staff), "coordinators": [coord], "heads": [head], **extra}


def write3(servers, tmp: Path, **top) -> Path:
    data = {
        "database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
        "secret_key_file": str(tmp / "secret.key"), "log": {"format": "console", "level": "warning"},
        "escalation": {"address": LKPP, "senders": ["*@lkpp.test"]},
        "smtp": {"host": servers.host, "port": servers.smtp_port, "security": "none"},
        "mailboxes": [
            box(servers, "btm", A, "LPSE-BTM", "Helpdesk LPSE Kota Batam", [A1, SHARED], KA, HA, staff_notify=LIST_A),
            box(servers, "mks", B, "LPSE-MKS", "Helpdesk LPSE Kota Makassar", [B1, SHARED], KB, HB),
            box(servers, "pky", C, "LPSE-PKY", "Helpdesk LPSE Palangka Raya", [C1], KC, HC),
        ],
        **top,
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    for user in USERS:
        if user not in fresh_mailboxes.users:
            fresh_mailboxes.add_user(user)
    from tests.conftest import empty_mailbox
    for user in USERS:
        empty_mailbox(fresh_mailboxes, user)
    return fresh_mailboxes, write3(fresh_mailboxes, tmp_path)


def test_staff_of_a_busy_unit_writing_to_another_unit_gets_its_ack(env):
    """Andi is staff of Makassar; six new tickets there this hour sent him six staff notices.
    Andi then writes to Palangka Raya, where he is an ordinary requester: he gets its ack, and
    Palangka Raya's coordinator is not told that a loop limit held mail to him (SPEC 5: mail to
    a unit's own staff is never counted)."""
    servers, config = env
    for i in range(6):
        raw, _ = mail(f"vendor{i}@vendor.test", f"Masalah {i}", "Mohon bantuan.")
        servers.append(B, raw)
    run_once(config)
    assert len(of_kind(inbox(servers, SHARED), "staff_new")) == 6
    raw, _ = mail(SHARED, "Akun PPK saya terkunci", "Mohon dibuka.\n\nAndi")
    servers.append(C, raw)
    run_once(config)
    [ack] = [m for m in of_kind(inbox(servers, SHARED), "ack") if m["From"].addresses[0].addr_spec == C]
    assert "[LPSE-PKY #" in ack["Subject"]
    assert of_kind(inbox(servers, KC), "rate_limited") == []


def test_one_units_refused_imap_login_alerts_only_its_coordinators_and_says_why(env):
    """Makassar's IMAP password was changed on the server: Batam and Palangka Raya go on, and
    after alert_after_minutes only Makassar's coordinator is alerted, told that the login was
    refused (not only "cannot be read"), without the Quarantine paragraph of another alert."""
    from datetime import UTC, datetime, timedelta

    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from tests.mailfactory import text_of

    servers, config = env
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][1]["imap"]["password"] = "changed-on-the-server"
    config.write_text(yaml.safe_dump(data))
    raw, _ = mail(BUDI, "Tidak bisa login", "Mohon bantuan.", to=A)
    servers.append(A, raw)
    start = datetime.now(UTC)
    clock = [start]
    app = App(load_config(config), clock=lambda: clock[0])
    for minutes in (0, 31):
        clock[0] = start + timedelta(minutes=minutes)
        app.poll_all()
        app.watch()
        app.flush_outbox()
    app.store.close()
    assert [m["From"].addresses[0].addr_spec for m in of_kind(inbox(servers, BUDI), "ack")] == [A]
    [alert] = of_kind(inbox(servers, KB), "system_alert")
    text = text_of(alert)
    assert "tidak dapat dibaca" in text and "AUTHENTICATIONFAILED" in text
    assert "dikarantina" not in text
    assert of_kind(inbox(servers, KA), "system_alert") == [] and of_kind(inbox(servers, KC), "system_alert") == []


def test_a_unit_removed_from_the_config_is_not_served_and_the_operator_is_told(env):
    """Makassar moved to a host of its own and the operator removed it from `mailboxes:` while
    its SMTP server was down: its ack and staff notice still queued, its deadline timers
    running. Nothing is sent From Makassar any more and nothing crashes, but `check` said all
    was ok and the daemon said nothing: the requester's ack and the timers were dropped
    unseen. `check` (still exit 0) and the daemon's log now say what was left behind."""
    import subprocess
    import sys

    from tests.localmail import _free_port

    servers, config = env
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][1]["smtp"] = {"host": servers.host, "port": _free_port(), "security": "none", "timeout": 2}
    config.write_text(yaml.safe_dump(data))
    servers.append(B, mail(BUDI, "Paket tidak muncul", "Paket tender tidak tampil.", to=B)[0])
    from mailbot.cli import main as mailbot_cli

    # Makassar's mail waits for its server: run --once says so with EX_TEMPFAIL
    assert mailbot_cli.main(["--config", str(config), "run", "--once"]) == 75
    data["mailboxes"] = [b for b in data["mailboxes"] if b["name"] != "mks"]
    config.write_text(yaml.safe_dump(data))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args],
                              cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120,
                              check=False)

    # Makassar's ack and staff notice wait; so does its coordinators' daily digest when the
    # pass ran at or after the digest hour on a working day (the test does not choose the hour)
    db = sqlite3.connect(yaml.safe_load(config.read_text())["database"])
    waiting = sorted(k for (k,) in db.execute("select kind from outbox where mailbox = 'mks' and status = 'pending'"))
    db.close()
    assert [k for k in waiting if k != "digest"] == ["ack", "staff_new"] and waiting.count("digest") <= 1, waiting
    checked = cli("check")
    assert checked.returncode == 0, checked.stdout
    assert "warning: mailboxes: 'mks' (lpse@mks.test) is not in the config but the database holds 1 ticket(s) " \
           f"not closed, {len(waiting)} mail(s) not sent and 2 deadline timer(s)" in checked.stdout, checked.stdout
    ran = cli("run", "--once")
    assert ran.returncode == 0 and "mailbox_not_configured" in ran.stdout + ran.stderr, ran.stdout + ran.stderr
    assert inbox(servers, BUDI) == [] and inbox(servers, B1) == []  # nothing From a unit no longer configured
