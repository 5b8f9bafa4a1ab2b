"""Red-team findings on the monthly recap and summary, each over real mail (Dovecot +
SMTP on loopback) or as pure figures, as a helpdesk meets them at month end."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.mailfactory import PDF, STAFF, mail, parse, reply_as_client, write_config
from tests.test_reports_flow import deliver, last_to, report

WIB = ZoneInfo("Asia/Jakarta")
BUDI = "budi@vendor.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def rekap_rows(config, month: str, tmp_path) -> list[list[str]]:
    report(config, "rekap", "--month", month, "--output", str(tmp_path / "rekap.csv"))
    return list(csv.reader(io.StringIO((tmp_path / "rekap.csv").read_text("utf-8-sig"), newline="")))


def test_an_answer_of_files_alone_is_an_answer(fresh_mailboxes, tmp_path):
    """Staff answer a request for the guide with the guide attached and no words: the
    requester got their answer, so Tgl Jawaban, Isi Jawaban and Petugas are filled (seed
    003 columns 8-10), as the summary counts it a first response."""
    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path, reports={"monthly": False})
    raw, _ = mail(BUDI, "Minta panduan unggah dokumen", "Mohon panduan unggah dokumen penawaran.", name="Budi")
    deliver(servers, config, raw, at("2026-03-02T09:00"))
    staff_reply = parse(reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0], "")[0])
    staff_reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="panduan-unggah.pdf")
    deliver(servers, config, staff_reply.as_bytes(), at("2026-03-02T10:00"))
    assert [a.get_filename() for a in last_to(servers, BUDI, "staff_reply").iter_attachments()] == [
        "panduan-unggah.pdf"]  # the requester has the guide

    [_, row] = rekap_rows(config, "2026-03", tmp_path)
    assert row[7:] == ["02/03/2026", "[jawaban berupa lampiran (1 berkas)]", STAFF[0]]
