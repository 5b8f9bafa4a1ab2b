"""The recap prints: the XLSX converted to PDF by LibreOffice as a head of unit
would print it (`soffice --headless --convert-to pdf`), read back with poppler's
`pdftotext` and `pdfinfo`. Before, every row was one line tall (Isi Pesan showed only its
first line), all rows were squeezed onto one page and only row 2 repeated.

Needs LibreOffice Calc and poppler-utils (scripts/setup installs them when CI is set):
skipped without them, except in CI, where that is a failure."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from mailbot.reports.rekap import to_xlsx
from mailbot.reports.values import RekapRow

# LibreOffice starts a few seconds a file: with the full suite (as CI runs it), not the fast layer
pytestmark = pytest.mark.integration

TITLE = "Rekap Penanganan Permasalahan – LPSE Kota Uji – November 2026"
HEADER = ("No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban", "Isi Jawaban",
          "Petugas")
ROWS = 40


def _problem(i: int) -> str:
    """A requester's problem of several paragraphs; its last line carries a token of its own."""
    return (f"Kami dari Pokja Pemilihan mengalami kendala pada paket tender nomor {10_012_000 + i} ketika "
            "mengunggah dokumen penawaran melalui aplikasi SPSE versi 4.5. Setelah berkas dipilih dan tombol "
            "kirim ditekan, muncul pesan bahwa berkas gagal diunggah dan halaman kembali ke awal.\n\n"
            "Kami sudah mencoba dengan peramban lain, mengosongkan cache, dan menggunakan jaringan kantor "
            "maupun jaringan seluler, tetapi hasilnya tetap sama. Batas akhir pemasukan penawaran tinggal "
            "dua hari lagi sehingga kami mohon bantuan segera.\n\n"
            f"Nomor referensi kami MSLH{i:03d}X.")


def _answer(i: int) -> str:
    return ("Berkas penawaran yang melebihi 100 MB memang ditolak oleh server. Silakan pecah dokumen menjadi "
            "beberapa berkas, lalu unggah satu per satu; bila masih gagal, kirimkan tangkapan layar pesan "
            f"kesalahannya kepada kami.\n\nKode jawaban JWB{i:03d}Y.")


def recap() -> list[RekapRow]:
    rows = [RekapRow(no=i, opened=date(2026, 11, 1 + i % 28), address=f"pokja{i}@dinas.test",
                     name=f"Pengguna {i} (Dinas Uji)", problem=_problem(i), category="Pengaduan",
                     destination="LPSE", answered=date(2026, 11, 2 + i % 27), answer=_answer(i),
                     staff="Andi Pratama") for i in range(1, ROWS + 1)]
    long = "Uraian panjang tentang kendala aplikasi. " * 120 + "EKORTERAKHIR"
    rows.append(RekapRow(no=ROWS + 1, opened=date(2026, 11, 30), address="panjang@dinas.test", name="Panjang",
                         problem=long, category="Pertanyaan", destination="LPSE", answered=None, answer="",
                         staff=""))
    return rows


def _tools() -> None:
    missing = [tool for tool in ("soffice", "pdftotext", "pdfinfo") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-calc-nogui poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} -- required because CI is set", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The recap on A4 and on F4, each as the PDF LibreOffice prints."""
    _tools()
    folder = tmp_path_factory.mktemp("rekap-print")
    files = []
    for paper in ("a4", "f4"):
        path = folder / f"rekap-{paper}.xlsx"
        path.write_bytes(to_xlsx(recap(), TITLE, "Rekap 2026-11", paper=paper))
        files.append(path)
    profile = folder / "lo-profile"  # its own profile: no other soffice's lock, nothing of the host's
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(folder), *map(str, files)],
                   check=True, capture_output=True, timeout=300)
    return {paper: folder / f"rekap-{paper}.pdf" for paper in ("a4", "f4")}


def _pages(pdf: Path) -> list[str]:
    count = int(re.search(r"^Pages:\s+(\d+)", _info(pdf), re.MULTILINE).group(1))  # type: ignore[union-attr]
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout for n in range(1, count + 1)]


def _info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_problem_and_answer_prints_in_its_own_words(printed):
    pages = _pages(printed["a4"])
    text = "\n".join(pages)
    for i in range(1, ROWS + 1):
        assert f"MSLH{i:03d}X" in text, f"the last line of problem {i} is not printed"
        assert f"JWB{i:03d}Y" in text, f"the last line of answer {i} is not printed"
    flat = _words(text)
    assert "hasilnya tetap sama" in flat  # a problem's middle paragraph, not only its first line
    # the text too long for a row is cut with the marker, never left to overflow
    assert "[...terpotong]" in flat and "EKORTERAKHIR" not in flat


def test_the_title_and_header_repeat_on_every_page_with_page_numbers(printed):
    pages = _pages(printed["a4"])
    assert len(pages) >= 5, len(pages)  # 41 rows of several lines each: not squeezed onto one page
    for n, page in enumerate(pages, start=1):
        flat = _words(page)
        assert "Rekap Penanganan Permasalahan" in flat, n
        assert all(name in flat for name in ("Alamat E-mail", "Isi Pesan", "Isi Jawaban", "Petugas")), n
        assert f"Halaman {n} dari {len(pages)}" in flat, n


def test_landscape_on_a4_and_f4(printed):
    """A4 is 297 x 210 mm (842 x 595 pt), F4 (folio) 330 x 215 mm (936 x 612 pt); landscape: wider than tall."""
    for paper, (width, height) in {"a4": (842, 595), "f4": (936, 612)}.items():
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", _info(printed[paper]), re.MULTILINE)
        assert size is not None
        assert (round(float(size.group(1))), round(float(size.group(2)))) == (width, height), (paper, size.group(0))


def test_fit_to_width_keeps_every_column_on_the_page(printed):
    """Every column's header on each page: no column spills onto pages of its own."""
    for page in _pages(printed["f4"]):
        flat = _words(page)
        assert all(name in flat for name in ("No", "Tgl", "Nama", "Kategori", "Tujuan", "Tgl Jawaban", "Petugas"))


# --- the CSV under two regional settings ------------------------------------------------------

INDONESIAN, ENGLISH_US = 1057, 1033  # LibreOffice's language ids (Windows LCIDs) for id-ID and en-US


def _open_csv(data: bytes, folder: Path, separator: str, language: int) -> list[tuple[object, ...]]:
    """The CSV as LibreOffice Calc opens it under `language`'s regional settings (dates read as
    that locale reads them, "detect special numbers" on, as a spreadsheet user opens a file),
    saved as XLSX and read back cell by cell."""
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "rekap.csv"
    source.write_bytes(data)
    options = f"{ord(separator)},34,76,1,,{language},false,true"
    subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless",
                    "--norestore", f"--infilter=Text - txt - csv (StarCalc):{options}", "--convert-to", "xlsx",
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=300)
    sheet = openpyxl.load_workbook(folder / "rekap.xlsx").active
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def _dated() -> list[RekapRow]:
    """Days that DD/MM and MM/DD read differently (1 October, 13 October) or not at all."""
    return [RekapRow(no=1, opened=date(2026, 10, 1), address="a@dinas.test", name="A", problem="Masalah satu",
                     category="Pertanyaan", destination="LPSE", answered=date(2026, 10, 13), answer="Jawaban satu",
                     staff="Andi"),
            RekapRow(no=2, opened=date(2026, 10, 30), address="b@dinas.test", name="B", problem="Masalah dua",
                     category="Pengaduan", destination="LPSE", answered=None, answer="", staff="")]


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "excel"])
def test_csv_dates_read_the_same_under_indonesian_and_us_english_settings(tmp_path, excel):
    """With DD/MM/YYYY, 26 of 70 dates became wrong under English (US) settings and 43
    stayed text. ISO 8601 days are read as the same dates under both."""
    _tools()
    from datetime import datetime

    from mailbot.reports.rekap import to_csv

    data = to_csv(_dated(), excel=excel)
    separator = ";" if excel else ","
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=separator)) == list(HEADER)
    for language in (INDONESIAN, ENGLISH_US):
        rows = _open_csv(data, tmp_path / str(language), separator, language)
        assert [(r[1], r[7]) for r in rows] == [(datetime(2026, 10, 1), datetime(2026, 10, 13)),
                                                (datetime(2026, 10, 30), None)], language
        assert [r[4] for r in rows] == ["Masalah satu", "Masalah dua"]


def test_the_locale_really_changes_how_a_date_is_read(tmp_path):
    """The control for the test above: the old DD/MM/YYYY is read as 10 January under English (US)
    settings and as 1 October under Indonesian ones, so the settings given are the ones used."""
    _tools()
    from datetime import datetime

    data = ("\ufeffNo,Tgl\r\n1,01/10/2026\r\n").encode()
    assert _open_csv(data, tmp_path / "id", ",", INDONESIAN)[0][1] == datetime(2026, 10, 1)
    assert _open_csv(data, tmp_path / "us", ",", ENGLISH_US)[0][1] == datetime(2026, 1, 10)
