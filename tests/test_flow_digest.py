"""The daily digest over real Dovecot and SMTP, as a coordinator reads it.

A ticket opened Wednesday night was listed on Friday as "menunggu: 4 jam": the time past
its deadline, read by coordinators (and described by their guide) as how long it had
waited. The digest now says both, each with its label: since when the ticket waits, with
how long that is, and how far past its deadline it is. And the digest goes each working
day at 08:00 (SPEC 6): a daemon whose first pass is at 22:50 sends none that night.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from tests.mailfactory import UNIT, handle_at, mail, of_kind, parse, sweep, text_of, write_config

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
HEAD = "kepala@lpse.test"
COORDINATOR = "koordinator@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def digests(servers, user: str) -> list[EmailMessage]:
    return of_kind([parse(raw) for raw in servers.fetch(user)], "digest")


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return " ".join(part.get_content().split())


# What the Friday digest says of a ticket opened Wednesday 25 November 2026 at 21:40 WIB,
# due for a first response 4 working hours later (Thursday 12:00), still unanswered on
# Friday at 08:00: waiting since Wednesday 21:40, 1 day 10 hours (34 h 20 min, wall clock),
# and 4 working hours past its deadline (Thursday 12:00-16:00).
EXPECTED = {
    "id": {"subject": "Ringkasan harian Helpdesk LPSE Uji - Jumat, 27 November 2026",
           "since": "menunggu sejak: Rabu 25-11 21:40 (1 hari 10 jam), pada petugas helpdesk",
           "late": "lewat batas waktu: 4 jam (waktu kerja)",
           "cells": ("<td>Rabu 25-11 21:40 (1 hari 10 jam)</td>", "<td>4 jam (waktu kerja)</td>"),
           "heads": ("<th align=\"left\">Menunggu sejak</th>", "<th align=\"left\">Lewat batas waktu</th>")},
    "en": {"subject": "Daily digest Helpdesk LPSE Uji - Friday, 27 November 2026",
           "since": "waiting since: Wednesday 25-11 21:40 (1 d 10 h), on helpdesk staff",
           "late": "past its deadline by: 4 hours (working time)",
           "cells": ("<td>Wednesday 25-11 21:40 (1 d 10 h)</td>", "<td>4 hours (working time)</td>"),
           "heads": ("<th align=\"left\">Waiting since</th>", "<th align=\"left\">Past its deadline by</th>")},
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_digest_says_since_when_a_ticket_waits_and_how_far_past_its_deadline(fresh_mailboxes, tmp_path,
                                                                                language):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, language=language)
    servers.append(UNIT, mail(REQUESTER, "Akun terkunci", "Akun saya terkunci sejak tadi sore.")[0])
    handle_at(config, at("2026-11-25T21:40"))  # Wednesday night: the daemon's first start

    sweep(config, at("2026-11-25T22:50"))  # its first pass of timers that evening
    assert digests(servers, HEAD) == [] and digests(servers, COORDINATOR) == []  # SPEC 6: at 08:00

    sweep(config, at("2026-11-26T07:59"))
    assert digests(servers, HEAD) == []
    sweep(config, at("2026-11-26T08:00"))  # Thursday 08:00: the first digest; nothing is overdue yet
    assert len(digests(servers, HEAD)) == 1
    sweep(config, at("2026-11-26T12:05"))  # the first response was due at 12:00
    sweep(config, at("2026-11-27T08:00"))  # Friday's digest
    thursday, friday = digests(servers, HEAD)
    expected = EXPECTED[language]
    assert str(friday["Subject"]) == expected["subject"]
    text = text_of(friday)
    assert expected["since"] in text, text
    assert expected["late"] in text, text
    html = html_of(friday)
    for piece in (*expected["cells"], *expected["heads"]):
        assert piece in html, (piece, html)
    # Thursday's digest listed nothing overdue: the ticket was not late yet
    assert "21:40" not in text_of(thursday)


def test_no_digest_at_a_first_start_in_the_working_day_the_first_at_the_next_08_00(fresh_mailboxes, tmp_path):
    """Mailbot first started on Friday 27 November 2026 at 11:58 WIB
    sends no digest that day (it would be empty and tell a coordinator nothing); the first
    comes on Monday at 08:00, as the coordinator guide says."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    handle_at(config, at("2026-11-27T11:58"))  # the daemon's first start
    sweep(config, at("2026-11-27T11:58:30"))
    sweep(config, at("2026-11-27T15:00"))
    assert digests(servers, HEAD) == [] and digests(servers, COORDINATOR) == []
    sweep(config, at("2026-11-30T07:59"))
    assert digests(servers, HEAD) == []
    sweep(config, at("2026-11-30T08:00"))
    [digest] = digests(servers, HEAD)
    assert str(digest["Subject"]) == "Ringkasan harian Helpdesk LPSE Uji - Senin, 30 November 2026"



def test_a_digest_with_nothing_overdue_names_the_tickets_it_counts(fresh_mailboxes, tmp_path):
    """A coordinator answers the digest by naming tickets (seed 004 step 8): on a day with nothing
    overdue, the digest still names the unclosed tickets each state counts, and its example
    number is one of them, not "YEAR-NNNNN". Two mails on Wednesday night; staff answer the second
    at once; Thursday 08:00 the first response of the first is due only at 12:00."""
    from tests.mailfactory import STAFF, latest, reply_as_client

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, mail(REQUESTER, "Akun terkunci", "Akun saya terkunci sejak tadi sore.")[0])
    servers.append(UNIT, mail("sari@dinas.test", "Jadwal tender", "Kapan jadwal pembuktian kualifikasi?")[0])
    handle_at(config, at("2026-11-25T21:40"))
    notice = [m for m in of_kind([parse(raw) for raw in servers.fetch(STAFF[0])], "staff_new")
              if "Jadwal" in str(m["Subject"])][-1]
    servers.append(UNIT, reply_as_client(notice, STAFF[0], "Jadwal ada pada halaman paket, tab Jadwal.")[0])
    handle_at(config, at("2026-11-25T21:50"))
    sweep(config, at("2026-11-26T08:00"))
    digest = latest(servers, COORDINATOR, "digest")
    text = text_of(digest).replace("\r\n", "\n")
    assert "Tidak ada tiket yang melewati batas waktu." in text
    assert ("- terbuka (menunggu petugas): 1\n  2026-00001\n"
            "- dijawab (menunggu pengguna): 1\n  2026-00002\n") in text, text
    assert "(misalnya 2026-00001)" in text and "YEAR-NNNNN" not in text and "TAHUN" not in text
    assert "<td>terbuka (menunggu petugas)</td><td align=\"right\">1</td><td>2026-00001</td>" in html_of(digest)
