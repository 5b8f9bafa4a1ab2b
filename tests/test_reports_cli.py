"""The report commands' usage and the `reports:` / `staff_names` configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]


def config(tmp_path: Path, **changes: object) -> Path:
    data: dict = {
        "database": str(tmp_path / "db.sqlite"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "key"), "log": {"format": "console", "level": "warning"},
        "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
        "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "staff": ["staff1@lpse.test"],
                       "imap": {"host": "127.0.0.1", "port": 9, "security": "none"}}],
    }
    mailbox_changes = changes.pop("mailbox", {})
    data.update(changes)
    data["mailboxes"][0].update(mailbox_changes)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "november", "2026/11"])
def test_a_bad_month_is_a_usage_error(tmp_path, capsys, month):
    """--month must be YYYY-MM: exit 2, naming the form."""
    assert cli.main(["--config", str(config(tmp_path)), "report", "rekap", "--month", month]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_an_unknown_mailbox_is_named(tmp_path, capsys):
    """--mailbox of a mailbox the config does not have: a usage error, exit 64 (EX_USAGE), naming it."""
    assert cli.main(["--config", str(config(tmp_path)), "report", "summary", "--month", "2026-11",
                     "--mailbox", "nope", "--output", str(tmp_path / "s.html")]) == 64
    assert "'nope'" in capsys.readouterr().err


def test_empty_month_page_and_files(tmp_path, capsysbinary):
    """A month without tickets: a header-only CSV on stdout and a summary page with zeros, not errors;
    the page alone creates no secret key (only --send needs one)."""
    path = config(tmp_path, language="en")
    assert cli.main(["--config", str(path), "report", "rekap", "--month", "2026-02"]) == 0
    assert capsysbinary.readouterr().out.decode("utf-8-sig").splitlines() == [  # every cell quoted
        '"No","Tgl","Alamat E-mail","Nama","Isi Pesan","Kategori","Tujuan","Tgl Jawaban","Isi Jawaban","Petugas"']
    assert cli.main(["--config", str(path), "report", "summary", "--month", "2026-02",
                     "--output", str(tmp_path / "s.html")]) == 0
    html = (tmp_path / "s.html").read_text()
    # 20 weekdays less the Lunar New Year holidays of 16 and 17 February
    assert "Monthly helpdesk summary" in html and "February 2026" in html and "0 tickets in 18 working days" in html
    assert not (tmp_path / "key").exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"reports": {"monthly": "yes"}}, "reports.monthly: expected true or false"),
    ({"reports": {"montly": True}}, "reports.montly: unknown key (did you mean 'monthly'?)"),
    ({"mailbox": {"staff_names": {"andi": "Andi"}}}, "mailboxes[0].staff_names.andi: 'andi' is not an email address"),
    ({"mailbox": {"staff_names": {"staff1@lpse.test": ""}}}, "mailboxes[0].staff_names.staff1@lpse.test: expected"),
    ({"mailbox": {"staff_names": ["staff1@lpse.test"]}}, "mailboxes[0].staff_names: expected a mapping"),
])
def test_bad_report_config_exits_78_naming_the_key(tmp_path, capsys, changes, message):
    """The reports block and staff_names are validated like the other blocks."""
    assert cli.main(["--config", str(config(tmp_path, **changes)), "report", "rekap", "--month", "2026-11"]) == 78
    assert message in capsys.readouterr().err


def test_help_does_not_import_the_report_libraries():
    """`mailbot --help` stays fast: matplotlib and XlsxWriter load only when a report is made."""
    code = ("import sys; from mailbot.cli import main as cli; cli.main(['--help']); "
            "print(sorted(m for m in ('matplotlib', 'xlsxwriter', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_send_to_a_mailbox_without_heads_or_coordinators_says_it_was_not_sent(tmp_path, capsys):
    """A unit that lists only its staff: `report summary --send` has nobody to mail the
    summary to (SPEC 10: heads and coordinators), so it says so and exits 78 naming the
    key, instead of "queued" over a mail that went nowhere."""
    path = config(tmp_path)
    assert cli.main(["--config", str(path), "report", "summary", "--month", "2026-11", "--send"]) == 78
    err = capsys.readouterr().err
    assert "mailboxes[0].heads" in err and "not sent" in err and "queued" not in err


def test_excel_csv_and_the_paper_of_the_xlsx(tmp_path, capsysbinary):
    """`--excel` writes the CSV semicolon-separated (Excel under Indonesian settings);
    with an XLSX it is a usage error. `--paper` sets the XLSX's printed page: F4 is Excel's
    paper 14 (Folio 8.5 x 13 in), A4 is 9; landscape, fit to one page wide, rows 1-2 repeated."""
    import openpyxl

    path = config(tmp_path)
    assert cli.main(["--config", str(path), "report", "rekap", "--month", "2026-02", "--excel"]) == 0
    assert capsysbinary.readouterr().out.decode("utf-8-sig").splitlines() == [  # every cell quoted
        '"No";"Tgl";"Alamat E-mail";"Nama";"Isi Pesan";"Kategori";"Tujuan";"Tgl Jawaban";"Isi Jawaban";"Petugas"']
    assert cli.main(["--config", str(path), "report", "rekap", "--month", "2026-02", "--excel",
                     "--output", str(tmp_path / "r.xlsx")]) == 2
    assert b"--excel" in capsysbinary.readouterr().err
    for paper, number in (("a4", 9), ("f4", 14)):
        out = tmp_path / f"r-{paper}.xlsx"
        assert cli.main(["--config", str(path), "report", "rekap", "--month", "2026-02", "--paper", paper,
                         "--output", str(out)]) == 0
        sheet = openpyxl.load_workbook(out).active
        assert int(sheet.page_setup.paperSize) == number and sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows == "$1:$2"  # rows 1-2 on every page
        # fit to one page wide: fitToWidth absent is OOXML's default of 1
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and int(sheet.page_setup.fitToWidth or 1) == 1
        assert int(sheet.page_setup.fitToHeight) == 0  # as many pages tall as the rows need
        assert "&P" in sheet.oddFooter.right.text and "&N" in sheet.oddFooter.right.text
