"""SPEC 4 E12e ( seed 004 section 2, section 3 step 7): staff filed the case
in LKPP's LPSE Support by hand and reply `#lpse-support NOMOR`. Over the suite's Dovecot
and SMTP, as staff and LKPP write: the ticket is escalated with that number as LKPP's
reference, the requester is told, nothing is mailed to LKPP, SOP-015's status timer runs,
LKPP's later mail naming the number joins the ticket, `tickets --json` shows it and the
recap's Tujuan reads "LKPP (LPSE Support NOMOR)"."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

BUDI = "budi@vendor.test"  # a requester with a mailbox on the suite's server


@pytest.fixture
def filed(fresh_mailboxes, tmp_path):
    """A request, and staff's `#lpse-support 2611004217` answering its notice."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(BUDI, "Data kualifikasi tidak tersimpan", "Selamat siang,\nmuncul error 500.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#lpse-support 2611004217\n"
                                "Dilaporkan lewat LPSE Support karena menyangkut data di server LKPP.")
    mf.deliver(servers, config, raw)
    return servers, config


def _ticket(config):  # type: ignore[no-untyped-def]
    store = Store(load_config(config).database)
    try:
        (ticket,) = store.search.tickets()
        return ticket, [t.kind for t in store.timers.active_timers(ticket.id)], store.messages.messages_of(ticket.id)
    finally:
        store.close()


def test_the_ticket_is_escalated_under_lpse_supports_number_and_nothing_is_mailed_to_lkpp(filed, capsys):
    servers, config = filed
    ticket, timers, _ = _ticket(config)
    assert str(ticket.state) == "escalated" and ticket.lkpp_ticket == "2611004217"
    assert "lkpp_status" in timers  # SOP-015 step 12: LKPP owes a status, as after #eskalasi
    told = mf.of_kind(mf.inbox(servers, BUDI), "escalated_user")
    assert len(told) == 1 and "2026-" in str(told[0]["Subject"])
    assert mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate") == []  # filed by hand: no mail to LKPP
    assert cli.main(["--config", str(config), "tickets", "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["lpse_support"] == "2611004217" and shown["state"] == "escalated"


@pytest.mark.parametrize("subject", ["Tiket LPSE Support #2611004217 sudah ditangani",
                                     "[Ticket#2611004217] Pembaruan status"])
def test_lkpps_later_mail_naming_the_number_joins_the_ticket(filed, subject):
    servers, config = filed
    raw, _ = mf.mail(mf.LKPP, subject, "Permasalahan data kualifikasi sudah kami perbaiki.")
    mf.deliver(servers, config, raw)  # not vouched for: matched all the same (a reference is no proof)
    _, _, messages = _ticket(config)
    assert any(m["direction"] == "in" and m["sender"] == mf.LKPP for m in messages)


def test_mail_to_lkpp_on_the_ticket_carries_the_number_and_the_recap_names_lpse_support(filed):
    servers, config = filed
    # LKPP asks for data in a mail naming only the number: matched, but a number proves no
    # sender (SPEC 9), so staff decide; they pass it on as a data request (E12a), and the
    # requester's answer goes on to LKPP (E3) under LPSE Support's number
    ticket, _, _ = _ticket(config)
    raw, _ = mf.mail(mf.LKPP, "[LPSE Support #2611004217] Mohon data tambahan",
                     "Mohon dikirimkan tangkapan layar error dan NPWP penyedia.")
    mf.deliver(servers, config, raw)
    alert = mf.latest(servers, mf.STAFF[0], "unverified")
    raw, _ = mf.reply_as_client(alert, mf.STAFF[0], "#permintaan-data")
    mf.deliver(servers, config, raw)
    request = mf.of_kind(mf.inbox(servers, BUDI), "need_info")
    assert len(request) == 1 and "tangkapan layar" in mf.text_of(request[0])
    answer, _ = mf.reply_as_client(request[0], BUDI, "Berikut tangkapan layarnya.")
    mf.deliver(servers, config, answer)
    forwarded = mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")
    assert forwarded and "[LPSE Support #2611004217]" in str(forwarded[-1]["Subject"]), \
        [(m["X-Mailbot-Kind"], m["Subject"]) for m in mf.inbox(servers, mf.LKPP)]
    month = ticket.created_at.astimezone(load_config(config).timezone).strftime("%Y-%m")
    target = config.parent / "rekap.csv"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", month, "--format", "csv",
                     "--output", str(target)]) == 0
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    assert rows[1][rows[0].index("Tujuan")] == "LKPP (LPSE Support 2611004217)"


def test_the_command_without_a_number_is_refused_and_changes_nothing(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(BUDI, "Data kualifikasi tidak tersimpan", "Selamat siang,\nmuncul error 500.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#lpse-support nanti saya laporkan")
    mf.deliver(servers, config, raw)
    ticket, _, _ = _ticket(config)
    assert str(ticket.state) == "open" and ticket.lkpp_ticket is None
    error = mf.latest(servers, mf.STAFF[0], "command_error")
    assert "#lpse-support" in error.get_content() or "#lpse-support" in str(error)


def test_a_reference_whose_first_part_is_letters_is_taken_as_written(fresh_mailboxes, tmp_path):
    """`#lpse-support LS-2026-004321`, as many ticket systems write their
    numbers, escalates the ticket under that reference (it was refused as malformed)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(BUDI, "Data kualifikasi tidak tersimpan", "Muncul error 500.")[0])
    notice = mf.latest(servers, mf.STAFF[0])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#lpse-support LS-2026-004321\nSudah dilaporkan.")
    mf.deliver(servers, config, raw)
    ticket, _, _ = _ticket(config)
    assert str(ticket.state) == "escalated" and ticket.lkpp_ticket == "LS-2026-004321"
    assert mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error") == []
