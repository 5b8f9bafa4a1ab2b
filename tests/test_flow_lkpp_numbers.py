"""LKPP's ticket number names one LKPP case: a number LKPP mentions on one of our tickets
that another ticket already recorded never moves that other ticket's later LKPP mail."""

from __future__ import annotations

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def escalated(servers, config, requester: str, subject: str):
    raw, _ = mf.mail(requester, subject, "Selamat siang,\nmohon bantuan, muncul error 500.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.LKPP)


def test_a_number_lkpp_mentions_on_another_case_keeps_its_own_ticket(env):
    """SPEC 3: "that number is recorded on the ticket and later LKPP mail citing it is
    matched by it". LKPP's desk acknowledged ticket A as [Ticket#2026112110000123]; on
    ticket B it wrote "sama dengan nomor tiket 2026112110000123 yang sudah kami jawab".
    That sentence took A's number onto B, and LKPP's next mail on A (citing only its
    number) joined B: B's requester could be sent A's answer."""
    servers, config = env
    first = escalated(servers, config, "budi@vendor.test", "Gagal upload dokumen penawaran")
    ack, _ = mf.reply_as_client(first, mf.LKPP, "Laporan Anda kami terima.", to=mf.UNIT)
    msg = mf.parse(ack)
    msg.replace_header("Subject", "[Ticket#2026112110000123] " + str(msg["Subject"]))
    mf.deliver(servers, config, msg.as_bytes())
    second = escalated(servers, config, "sari@dinas.test", "Tidak bisa login admin agency")
    raw, _ = mf.reply_as_client(second, mf.LKPP, "Permasalahan ini sama dengan nomor tiket 2026112110000123 "
                                "yang sudah kami jawab, mohon ditunggu.", to=mf.UNIT)
    mf.deliver(servers, config, raw)

    raw, _ = mf.mail(mf.LKPP, "[Ticket#2026112110000123] Pembaruan status", "Permasalahan sudah kami perbaiki.")
    mf.deliver(servers, config, raw)
    store = Store(load_config(config).database)
    a, b = store.search.tickets()
    assert a.lkpp_ticket == "2026112110000123"
    assert b.lkpp_ticket != "2026112110000123"
    from_lkpp = [[m["subject"] for m in store.messages.messages_of(t.id)
                  if m["direction"] == "in" and m["sender"] == mf.LKPP] for t in (a, b)]
    assert any("Pembaruan status" in s for s in from_lkpp[0])
    assert not any("Pembaruan status" in s for s in from_lkpp[1])
