"""Issue "Never drop, never stall": limits that stop loops and nothing else (SPEC 5), over real servers.

With the default limits a busy hour of SOP-015 delivers every relay; an auto-responder
that answers everything is answered no more than `autoreply_limit` times, with one
alert; staff always get their command answers; a ticket's automatic mail past its
hourly cap is held and sent later, never dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"
RESPONDER = "sari@dinas.test"


def events(config) -> list[str]:
    store = Store(load_config(config).database)
    return [e["kind"] for e in store.db.query("select kind from events order by id")]


def test_busy_hour_sop_015_with_default_limits_delivers_every_relay(fresh_mailboxes, tmp_path):
    """Ack, staff reply, #eskalasi, data asked, data sent, status, data asked again, data sent,
    solution, YA 5: all within minutes, every mail delivered, nothing held or dropped."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Gagal kirim penawaran tender 10012345", "Muncul error saat kirim penawaran.\n\n"
                     "Nama: Budi Santoso\nPerusahaan: CV Maju Jaya", name="Budi Santoso",
                     attachments=(("error.pdf", "application/pdf", mf.PDF),))
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "Kami cek dulu ya Pak, mohon ditunggu.")[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0],
                                                   "#eskalasi\nServer error saat kirim penawaran.")[0])
    escalation = mf.latest(servers, mf.LKPP)
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, "Mohon dikirimkan screenshot pesan error.",
                                                   to=mf.UNIT)[0])
    mf.deliver(servers, config, mf.reply_as_client(mf.latest(servers, REQUESTER), REQUESTER, "Ini screenshot-nya.")[0])
    forwarded = mf.latest(servers, mf.LKPP)
    mf.deliver(servers, config, mf.reply_as_client(forwarded, mf.LKPP,
                                                   "Permasalahan sedang kami proses oleh tim teknis.", to=mf.UNIT)[0])
    mf.deliver(servers, config, mf.reply_as_client(forwarded, mf.LKPP, "Mohon dilengkapi juga kode RUP paketnya.",
                                                   to=mf.UNIT)[0])
    mf.deliver(servers, config, mf.reply_as_client(mf.latest(servers, REQUESTER), REQUESTER, "Kode RUP 31415926.")[0])
    mf.deliver(servers, config, mf.reply_as_client(mf.latest(servers, mf.LKPP), mf.LKPP,
                                                   "Permasalahan telah kami perbaiki, silakan dicoba kembali.",
                                                   to=mf.UNIT)[0])
    solution = mf.latest(servers, REQUESTER)
    mf.deliver(servers, config, mf.reply_as_client(solution, REQUESTER, "YA 5\nSudah bisa, terima kasih.")[0])

    got = [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)]
    assert got == ["ack", "staff_reply", "escalated_user", "need_info", "status_user", "need_info",
                   "resolved_lkpp", "closed"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.LKPP)] == ["escalate", "forward_info", "forward_info"]
    assert "kami perbaiki" in mf.text_of(solution)
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert not {"send_held", "send_suppressed", "rate_limit_alerted"} & set(events(config))
    assert mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited") == []
    assert set(store.outbox.outbox_counts()) == {"sent"}


def autorespond(servers, seen: set[str], *, auto_headers: bool) -> int:
    """The responder answers every new mail in its INBOX at once; returns how many it answered."""
    answered = 0
    for msg in mf.inbox(servers, RESPONDER):
        mid = str(msg["Message-ID"])
        if mid in seen:
            continue
        seen.add(mid)
        if auto_headers:  # an RFC 3834 responder threads its answer and says it is automatic
            raw, _ = mf.mail(RESPONDER, "Automatic reply: " + str(msg["Subject"]), "Saya sedang cuti.",
                             in_reply_to=mid.strip("<>"), headers={"Auto-Submitted": "auto-replied"})
        else:  # a human-looking out-of-office: a fresh mail, no thread, no tag
            raw, _ = mf.mail(RESPONDER, "Sedang cuti", "Terima kasih, saya sedang cuti sampai 1 Desember.\n"
                             "Email Anda akan saya baca setelah kembali.\n\nSari")
        servers.append(mf.UNIT, raw)
        answered += 1
    return answered


@pytest.mark.parametrize("auto_headers", [True, False], ids=["with-auto-headers", "human-looking"])
def test_auto_responder_loop_is_stopped(fresh_mailboxes, tmp_path, auto_headers):
    """30 rounds against a responder that answers everything: it gets at most autoreply_limit mails
    (5, the default) and the coordinators one alert; with RFC 3834 headers it is never answered."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(RESPONDER, "Akun PPK terkunci", "Mohon dibuka akun PPK saya.\n\nSari")
    servers.append(mf.UNIT, raw)
    seen: set[str] = set()
    for _ in range(30):
        mf.run_once(config)
        autorespond(servers, seen, auto_headers=auto_headers)
    received = mf.inbox(servers, RESPONDER)
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")
    store = Store(load_config(config).database)
    if auto_headers:
        assert [m["X-Mailbot-Kind"] for m in received] == ["ack"]
        assert alerts == []
        assert "automatic_recorded" in events(config)
    else:
        assert len(received) == 5
        assert len(alerts) == 1 and RESPONDER in mf.text_of(alerts[0])
        # every message it sent is still recorded on a ticket and passed to staff
        assert len(store.search.tickets()) == len(seen) + 1 == 6
    assert len(servers.fetch(mf.UNIT, "INBOX")) == 0


def test_staff_are_never_counted_by_autoreply_limit(fresh_mailboxes, tmp_path):
    """After more than autoreply_limit notices in an hour a staff member still gets command answers."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    for i in range(7):
        raw, _ = mf.mail(f"user{i}@vendor.test", f"Masalah nomor {i}", f"Isi masalah {i}")
        servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notices = mf.inbox(servers, mf.STAFF[0])
    assert len(notices) == 7
    mf.deliver(servers, config, mf.reply_as_client(notices[0], mf.STAFF[0], "#prioritas tingi")[0])  # a typo
    mf.deliver(servers, config, mf.reply_as_client(notices[1], mf.STAFF[0], "#prioritas tinggi")[0])
    got = [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.STAFF[0])]
    assert got[7:] == ["command_error", "command_ok"]
    assert "tingi" in mf.text_of(mf.inbox(servers, mf.STAFF[0])[7])


def test_per_ticket_cap_holds_automatic_mail_and_sends_it_later_in_order(fresh_mailboxes, tmp_path):
    """The hold itself (cap lowered to 2 to reach it in a short flow): the requester's third automatic
    mail within the hour is held, staff relays are not, and the held mail goes when the hour allows."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, limits={"ticket_mails_per_hour": 2})
    start = datetime.now(UTC)
    clock_now = [start]
    app = App(load_config(config), clock=lambda: clock_now[0])

    def step(raw: bytes) -> None:
        servers.append(mf.UNIT, raw)
        clock_now[0] += timedelta(minutes=1)
        app.poll_all()
        app.flush_outbox()

    step(mf.mail(REQUESTER, "Tidak bisa login", "Akun terkunci.")[0])  # ack: automatic #1
    notice = mf.latest(servers, mf.STAFF[0])
    step(mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nAkun sudah dibuka.")[0])
    step(mf.reply_as_client(mf.latest(servers, REQUESTER), REQUESTER, "YA")[0])  # closed: automatic #2
    step(mf.reply_as_client(mf.latest(servers, REQUESTER), REQUESTER, "Maaf, terkunci lagi.")[0])  # reopens
    step(mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSudah dibuka kembali, silakan ganti kata sandi.")[0])
    step(mf.reply_as_client(mf.latest(servers, REQUESTER), REQUESTER, "YA 4")[0])  # closed: automatic #3, held
    got = [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)]
    assert got == ["ack", "resolved", "closed", "resolved"]  # both solutions (staff relays) went at once
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")
    release = start + timedelta(minutes=1, hours=1)  # one hour after the first of the two (the ack)
    assert release.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M") in mf.text_of(alert)
    held = [json.loads(e["detail"]) for e in app.store.db.query("select detail from events where kind = 'send_held'")]
    assert [h["mail"] for h in held] == ["closed"]

    clock_now[0] += timedelta(minutes=30)
    app.flush_outbox()
    assert len(mf.inbox(servers, REQUESTER)) == 4  # still within the hour
    clock_now[0] += timedelta(minutes=30)
    app.flush_outbox()
    got = [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)]
    assert got == ["ack", "resolved", "closed", "resolved", "closed"]
    assert len(mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")) == 1
