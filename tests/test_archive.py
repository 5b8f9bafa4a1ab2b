"""The raw archive: content-addressed, private, durable at the end of a batch, and
robust to a folder removed under it or a file cut short by a power loss."""

from __future__ import annotations

import shutil
import stat
from datetime import UTC, datetime

from mailbot.io.archive import Archive
from mailbot.settings import LimitsConfig

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
RAW = b"From: a@vendor.test\r\nSubject: x\r\n\r\nisi pesan\r\n"


def test_batch_writes_are_whole_private_and_content_addressed(tmp_path):
    archive = Archive(tmp_path / "archive", LimitsConfig())
    with archive.batch():
        first = archive.write("btm", "in", RAW, NOW)
        again = archive.write("btm", "in", RAW, NOW)
        other = archive.write("btm", "out", RAW + b"lagi\r\n", NOW)
    assert first == again != other
    assert first.startswith("btm/in/2026/11/") and first.endswith(".eml")
    path = tmp_path / "archive" / first
    assert path.read_bytes() == RAW
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not list(path.parent.glob("*.tmp"))


def test_a_folder_removed_while_running_is_made_again(tmp_path):
    archive = Archive(tmp_path / "archive", LimitsConfig())
    archive.write("btm", "in", RAW, NOW)
    shutil.rmtree(tmp_path / "archive" / "btm")
    rel = archive.write("btm", "in", RAW + b"2", NOW)
    assert (tmp_path / "archive" / rel).read_bytes() == RAW + b"2"


def test_a_file_cut_short_is_written_again(tmp_path):
    archive = Archive(tmp_path / "archive", LimitsConfig())
    rel = archive.write("btm", "in", RAW, NOW)
    (tmp_path / "archive" / rel).write_bytes(RAW[:10])  # what a power cut before the sync can leave
    assert archive.write("btm", "in", RAW, NOW) == rel
    assert (tmp_path / "archive" / rel).read_bytes() == RAW
