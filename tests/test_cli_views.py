"""`mailbot --version`, `tickets` and `ticket NUMBER` as an operator reads them, and `--json`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from mailbot import __version__
from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests.mailfactory import STAFF, UNIT, mail

REQUESTER = "budi.santoso.dengan.alamat.panjang@vendor-konstruksi-nusantara.test"
ARRIVED = datetime(2026, 3, 19, 3, 0, tzinfo=UTC)  # 10:00 WIB


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def handled(tmp_path, monkeypatch):
    """A config (servers never contacted) and a ticket with a requester mail and a staff reply."""
    monkeypatch.setenv("COLUMNS", "80")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "t", "address": UNIT, "tag_prefix": "LPSE-T", "staff": list(STAFF),
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}],
    }))
    cfg = load_config(path)
    app = App(cfg, clock=lambda: ARRIVED)
    box = cfg.mailboxes[0]
    raw, _ = mail(REQUESTER, "Akun SPSE terkunci setelah salah kata sandi tiga kali berturut-turut",
                  "Selamat pagi,\n\nakun SPSE saya terkunci.\n\nBudi", name="Budi Santoso")
    number = app.handle(box, raw, ARRIVED).ticket
    notice = next(r for r in app.store.outbox.outbox_rows(app.store.outbox.due_outbox_ids(ARRIVED, ("t",)))
                  if r.kind == "staff_new")
    reply, _ = mail(STAFF[0], f"Re: [LPSE-T #{number}] Akun SPSE terkunci",
                    "Akun sudah kami buka kembali.\n\n"
                    "Pada Kam, 19 Mar 2026 10.05, Helpdesk LPSE <lpse@lpse.test> menulis:\n"
                    "> akun SPSE saya terkunci.\n",
                    in_reply_to=notice.message_id.strip("<>"))
    assert app.handle(box, reply, ARRIVED).label == "staff_replied"
    app.store.close()
    return path, number


def test_version(capsys):
    """`mailbot --version` prints the version and exits 0."""
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mailbot {__version__}"


def test_python_dash_m_mailbot_is_the_mailbot_command():
    """`python -m mailbot` works like the installed `mailbot` script (a checkout, a venv
    whose bin/ is not on PATH): its output and its exit status."""
    ok = subprocess.run([sys.executable, "-m", "mailbot", "--version"], check=False, capture_output=True, text=True,
                        timeout=60)
    assert (ok.returncode, ok.stdout.strip()) == (0, f"mailbot {__version__}")
    usage = subprocess.run([sys.executable, "-m", "mailbot", "no-such-command"], check=False, capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_tickets_fit_80_columns_in_the_unit_time_zone(handled, capsys):
    """Every line of `tickets` fits 80 columns; times are WIB, not UTC."""
    path, number = handled
    assert cli.main(["--config", str(path), "tickets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert "CREATED (WIB)" in lines[0]
    row = next(line for line in lines if line.startswith(number))
    assert "2026-03-19 10:00" in row and "answered" in row
    assert "…" in row  # the long address and subject are cut, not wrapped
    assert lines[-1] == "1 ticket(s)"


def test_ticket_shows_the_new_text_and_full_adds_the_quotes(handled, capsys):
    """`ticket N` shows what was written (no quoted history); `--full` adds the quotes."""
    path, number = handled
    assert cli.main(["--config", str(path), "ticket", number]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "| akun SPSE saya terkunci." in out  # the requester's text
    assert "| Akun sudah kami buka kembali." in out  # the staff reply and the relay
    assert "> akun SPSE" not in out
    assert "History (times WIB):" in out and "2026-03-19 10:00" in out
    assert cli.main(["--config", str(path), "ticket", number, "--full"]) == 0
    full = capsys.readouterr().out
    assert "| > akun SPSE saya terkunci." in full
    ack = "Terima kasih, pesan Anda telah kami terima"  # the ack as sent, read back from the archive
    assert ack in full and ack not in out


def test_tickets_and_ticket_json(handled, capsys):
    """`--json` gives scripts the same facts, times with the unit's offset."""
    path, number = handled
    assert cli.main(["--config", str(path), "tickets", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["number"] == number and row["state"] == "answered" and row["requester"] == REQUESTER
    assert row["created_at"] == "2026-03-19T10:00:00+07:00"
    assert cli.main(["--config", str(path), "ticket", number, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    inbound = [m for m in data["messages"] if m["direction"] == "in"]
    assert [m["text"].strip() for m in inbound] == ["Selamat pagi,\n\nakun SPSE saya terkunci.\n\nBudi",
                                                    "Akun sudah kami buka kembali."]
    relayed = [m for m in data["messages"] if m["kind"] == "staff_reply"]
    assert relayed and relayed[0]["recipients"] == [REQUESTER] and "kami buka kembali" in relayed[0]["text"]
    assert {"at", "actor", "kind", "detail"} <= set(data["history"][0])


def test_unknown_ticket_exits_1(handled, capsys):
    """A number that names no ticket says so."""
    path, _ = handled
    assert cli.main(["--config", str(path), "ticket", "2099-99999"]) == 1
    assert "no ticket 2099-99999" in capsys.readouterr().err


def test_errors_are_one_line_not_a_traceback(tmp_path, capsys):
    """A database that cannot be opened is reported in one line naming it."""
    (tmp_path / "db-is-a-folder").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "db-is-a-folder"),
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "t", "address": UNIT, "staff": list(STAFF),
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}],
    }))
    assert cli.main(["--config", str(path), "tickets"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("mailbot: tickets failed: database:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_ticket_as_copied_from_a_subject_and_the_same_number_in_two_mailboxes(tmp_path, capsys):
    """`ticket` takes the number as people copy it ("#2026-00001", "[LPSE-B #2026-00001]"); each
    mailbox numbers its own tickets, so a number held by two asks which one instead of showing one."""
    path = tmp_path / "config.yaml"
    boxes = [{"name": name, "address": f"lpse@{name}.test", "tag_prefix": f"LPSE-{name.upper()}",
              "staff": [f"staff@{name}.test"], "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}
             for name in ("a", "b")]
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"}, "mailboxes": boxes}))
    cfg = load_config(path)
    app = App(cfg, clock=lambda: ARRIVED)
    numbers = {box.name: app.handle(box, mail(REQUESTER, f"Masalah di {box.name}", f"Isi {box.name}.")[0],
                                    ARRIVED).ticket
               for box in cfg.mailboxes}
    app.store.close()
    number = numbers["a"]
    assert numbers["b"] == number

    assert cli.main(["--config", str(path), "ticket", number]) == 2
    assert "is in mailboxes a, b" in capsys.readouterr().err
    for reference in (f"[LPSE-B #{number}]", f"LPSE-B #{number}"):
        assert cli.main(["--config", str(path), "ticket", reference]) == 0
        assert "Masalah di b" in capsys.readouterr().out
    for argv in (["ticket", f"#{number}", "--mailbox", "a"], ["ticket", f"tiket {number}", "--mailbox", "a"]):
        assert cli.main(["--config", str(path), *argv]) == 0
        assert "Masalah di a" in capsys.readouterr().out
    for argv in (["ticket", number, "--mailbox", "c"], ["tickets", "--mailbox", "c"]):
        assert cli.main(["--config", str(path), *argv]) == 64  # a typo names the mailboxes, never "0 tickets"
        assert "no mailbox 'c'; the config has a, b" in capsys.readouterr().err


def test_a_reader_that_goes_away_is_no_failure(handled):
    """`mailbot tickets | head`, or a pager quit early: no "failed: Broken pipe" and no 70, but
    the shell's usual 141 (128 + SIGPIPE) and nothing on stderr."""
    path, _number = handled
    script = f"{sys.executable} -m mailbot --config {path} tickets | (exec 0<&-; true); echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], check=False, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "141" and "Broken pipe" not in done.stderr


def test_overdue_names_the_mailbox_where_numbers_repeat():
    """Each mailbox numbers its own tickets: with several, `tickets --overdue` shows `box/number`."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from mailbot.core.overdue import Overdue
    from mailbot.io import ticket_views
    from mailbot.io.words import words
    from mailbot.model import Address, State, Ticket, TimerKind

    def breach(box: str) -> tuple[Ticket, Overdue]:
        t = Ticket(id=1, mailbox=box, number="2026-00002", state=State.OPEN, requester=Address(REQUESTER),
                   subject="Akun", created_at=ARRIVED, updated_at=ARRIVED)
        return t, Overdue("2026-00002", "Akun", "open", TimerKind.FIRST_RESPONSE, ARRIVED, timedelta(hours=2),
                          "staff", 4)

    found = [breach("batam"), breach("bintan")]
    lines = ticket_views.overdue_list(found, ZoneInfo("Asia/Jakarta"), words("id"), timedelta(hours=8), 80,
                                      with_mailbox=True)
    assert lines[1].startswith("batam/2026-00002 ") and lines[3].startswith("bintan/2026-00002 ")
    one = ticket_views.overdue_list(found[:1], ZoneInfo("Asia/Jakarta"), words("id"), timedelta(hours=8), 80)
    assert one[1].startswith("2026-00002 ")


def test_overdue_counts_tickets_as_the_digest_does():
    """One ticket past its first response and the 3x24h standard is listed on two lines, but
    it is one overdue ticket, as the digest says ('Tiket yang melewati batas waktu (1)'):
    `tickets --overdue` ended with '2 overdue'."""
    from dataclasses import replace
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from mailbot.core.overdue import Overdue
    from mailbot.io import ticket_views
    from mailbot.io.words import words
    from mailbot.model import Address, State, Ticket, TimerKind

    t = Ticket(id=1, mailbox="t", number="2026-00002", state=State.OPEN, requester=Address(REQUESTER),
               subject="Akun", created_at=ARRIVED, updated_at=ARRIVED)
    late = Overdue("2026-00002", "Akun", "open", TimerKind.FIRST_RESPONSE, ARRIVED, timedelta(hours=20), "staff", 4)
    past = Overdue("2026-00002", "Akun", "open", TimerKind.RESOLUTION, ARRIVED + timedelta(hours=68),
                   timedelta(hours=4), "coordinators", 72)
    other = replace(t, id=2, number="2026-00003"), replace(late, number="2026-00003")
    zone, said = ZoneInfo("Asia/Jakarta"), words("id")
    assert (ticket_views.overdue_list([(t, late), (t, past)], zone, said, timedelta(hours=8))[-1]
            == "1 overdue (2 deadlines passed)")
    assert ticket_views.overdue_list([(t, late), other], zone, said, timedelta(hours=8))[-1] == "2 overdue"


def _three_units(tmp_path: Path, names: tuple[str, ...]) -> Path:
    """A config of these units (servers never contacted), as a province's host has."""
    path = tmp_path / "config.yaml"
    boxes = [{"name": name, "address": f"lpse@{name}.test", "tag_prefix": f"LPSE-{name.upper()}",
              "staff": [f"staff@{name}.test"], "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}
             for name in names]
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "mailbot.db"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"}, "mailboxes": boxes}))
    return path


def _a_ticket_in_each(path: Path) -> Path:
    """One request handled in each unit of this config: each unit's 2026-00001."""
    cfg = load_config(path)
    app = App(cfg, clock=lambda: ARRIVED)
    for box in cfg.mailboxes:
        app.handle(box, mail(REQUESTER, f"Masalah di {box.name}", "Mohon bantuan.")[0], ARRIVED)
    app.store.close()
    return path


def test_a_unit_removed_from_the_config_keeps_its_tickets_apart(tmp_path, capsys):
    """LPSE Provinsi Kepri moved to a host of its own and was removed from this config: asked
    for "[LPSE-KEPRI #2026-00001]" (or `--mailbox kepri`), `ticket` showed Batam's 2026-00001,
    another unit's requester and history, and a bare number showed Batam's without saying
    that Kepri holds one too. Kepri's ticket is shown, and the bare number asks which."""
    path = _three_units(tmp_path, ("btm", "kepri", "bintan"))
    cfg = load_config(path)
    app = App(cfg, clock=lambda: ARRIVED)
    for box, subject in zip(cfg.mailboxes[:2], ("Akun terkunci di Batam", "Paket Kepri tidak muncul"), strict=True):
        assert app.handle(box, mail(f"budi@{box.name}-vendor.test", subject, "Mohon bantuan.")[0], ARRIVED).ticket \
            == "2026-00001"
    app.store.close()
    capsys.readouterr()
    path = _three_units(tmp_path, ("btm", "bintan"))

    for argv in (["ticket", "[LPSE-KEPRI #2026-00001]"], ["ticket", "2026-00001", "--mailbox", "kepri"]):
        assert cli.main(["--config", str(path), *argv]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "Paket Kepri tidak muncul" in out and "Batam" not in out
    assert cli.main(["--config", str(path), "ticket", "2026-00001"]) == 2
    assert "is in mailboxes btm, kepri" in capsys.readouterr().err
    assert cli.main(["--config", str(path), "ticket", "[LPSE-BTM #2026-00001]"]) == 0
    assert "Akun terkunci di Batam" in capsys.readouterr().out
    assert cli.main(["--config", str(path), "tickets", "--mailbox", "kepri"]) == 0
    out = capsys.readouterr().out
    assert "kepri" in out and "btm" not in out
    assert cli.main(["--config", str(path), "ticket", "2026-00001", "--mailbox", "pky"]) == 64  # EX_USAGE
    assert "no mailbox 'pky'" in capsys.readouterr().err


def test_tickets_name_the_mailbox_when_a_removed_units_tickets_share_its_numbers(tmp_path, capsys):
    """Down to one mailbox after Kepri moved to a host of its own, `tickets` dropped the MAILBOX
    column and listed two 2026-00001 that could not be told apart."""
    path = _a_ticket_in_each(_three_units(tmp_path, ("btm", "kepri")))
    capsys.readouterr()
    path = _three_units(tmp_path, ("btm",))
    assert cli.main(["--config", str(path), "tickets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "MAILBOX" in lines[0]
    assert [line.split()[:2] for line in lines[1:3]] == [["2026-00001", "btm"], ["2026-00001", "kepri"]]


def test_ticket_as_tickets_overdue_and_the_summary_name_it(tmp_path, capsys):
    """With several units, `tickets --overdue` and the monthly summary name a ticket
    `kepri/2026-00001`; pasted into `ticket` it was refused as ambiguous ("is in mailboxes btm,
    kepri: give --mailbox") though it names its mailbox. It shows that ticket."""
    path = _a_ticket_in_each(_three_units(tmp_path, ("btm", "kepri")))
    capsys.readouterr()
    for name in ("kepri", "btm"):
        assert cli.main(["--config", str(path), "ticket", f"{name}/2026-00001"]) == 0, capsys.readouterr().err
        assert f"Masalah di {name}" in capsys.readouterr().out
    assert cli.main(["--config", str(path), "ticket", "pky/2026-00001"]) == 2  # no such mailbox: still asks
