"""The writer's words, from every mail client, over the real Dovecot and SMTP: what people
receive when staff, coordinators and heads work from aerc, Alpine, NeoMutt, Thunderbird,
Outlook, Gmail's web client, Zimbra and Horde IMP with their default layouts (`tests/mail_clients.py`), each
signed without a `-- ` line, and when Helpdesk LKPP signs its answers.

Each test lets the eight clients act side by side on their own tickets in the same passes (one
`handle_at` per step for all eight), and reads back what the requester, staff and LKPP receive:
the requester gets exactly the staff member's words, no signature and no quote; a command
runs; a coordinator's answer to the digest naming two tickets reaches staff once per ticket in
his words; a coordinator's or head's direction reaches staff in their words; a call or visit
written down keeps no signature in its fields or its notes; LKPP's agent's signature never
reaches the requester. The parser's side of each layout is `test_client_layouts.py`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from mailbot.model import State
from tests import mail_clients as mc
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
STAFF_NAME = "Andi Pratama"
STAFF_SIGNATURE = "Salam,\nAndi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456"
COORDINATOR_SIGNATURE = "Salam,\nHendra\nKoordinator Helpdesk LPSE"
HEAD_SIGNATURE = "Hormat saya,\nIr. Bambang Susilo\nKepala UKPBJ Kota Uji"
# what no one but their writer's own mail may show: a line of each signature
SIGNED = ("Andi Pratama", "0778-123456", "Hendra", "Koordinator Helpdesk LPSE", "Bambang Susilo", "Kepala UKPBJ")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def requester(client: str) -> str:
    return f"budi.{client}@vendor.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def open_tickets(servers, config, moment: datetime, topic: str = "Akun SPSE terkunci") -> dict[str, EmailMessage]:
    """One requester's ticket per client; the staff notice of each, by client."""
    mf.arrive_all(servers, config, [mf.mail(requester(c), f"{topic} ({c})", "Selamat pagi,\nakun SPSE saya terkunci "
                                     "sejak kemarin.\n\nBudi Santoso", name="Budi Santoso")[0] for c in mc.CLIENTS],
           moment)
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    return {c: next(n for n in notices if f"{topic} ({c})" in str(n["Subject"])) for c in mc.CLIENTS}


def between(text: str, start: str, end: str) -> list[str]:
    """The non-blank lines of `text` between two markers, blanks collapsed."""
    text = text.replace("\r\n", "\n")
    part = text[text.index(start) + len(start):text.index(end, text.index(start))]
    return [" ".join(line.split()) for line in part.splitlines() if line.strip()]


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def signed_nowhere(text: str) -> None:
    for shown in SIGNED:
        assert shown not in text, shown


ANSWER = "Selamat siang Bapak Budi,\n\nSenin pagi akun Bapak sudah kami buka kembali, silakan login ulang."
SOLUTION = "Pada pukul 09.00 kata sandi Bapak sudah kami reset. Silakan login dengan kata sandi sementara."


def test_staff_answers_and_resolves_from_every_client_and_the_requester_reads_only_their_words(env):
    """A staff answer reaches the requester as typed, without signature or quote; `#selesai`
    above the solution runs and the solution goes without the signature either."""
    servers, config = env
    notices = open_tickets(servers, config, at("2026-11-23T09:00"))
    mf.arrive_all(servers, config, [mc.reply(c, notices[c], mf.STAFF[0], ANSWER, STAFF_SIGNATURE, name=STAFF_NAME)
                             for c in mc.CLIENTS], at("2026-11-23T09:10"))
    mf.arrive_all(servers, config, [mc.reply(c, notices[c], mf.STAFF[0], f"#selesai\n{SOLUTION}", STAFF_SIGNATURE,
                                      name=STAFF_NAME) for c in mc.CLIENTS], at("2026-11-23T09:20"))

    for client in mc.CLIENTS:
        [answer] = mf.delivered(servers, requester(client), "staff_reply")
        text = mf.text_of(answer)
        assert lines(text.replace("\r\n", "\n").split("\n--\n")[0]) == lines(ANSWER), client
        [solution] = mf.delivered(servers, requester(client), "resolved")
        said = mf.text_of(solution)
        assert between(said, f"tiket {answer['X-Mailbot-Ticket']}:", "KONFIRMASI PENYELESAIAN") == [SOLUTION], client
        for mail in (text, said):
            signed_nowhere(mail)
            assert "akun SPSE saya terkunci" not in mail and "Perintah yang dapat dipakai" not in mail, client
            assert not re.search(r"^\s*>", mail, re.MULTILINE), client
    assert not mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    store = mf.store_of(config)
    try:
        states = {str(n["X-Mailbot-Ticket"]): store.tickets.ticket_by_number("t", str(n["X-Mailbot-Ticket"])).state
                  for n in notices.values()}
    finally:
        store.close()
    assert set(states.values()) == {State.RESOLVED}


DIRECTION = "Pada prinsipnya setuju, silakan dieskalasi ke LKPP sesuai SOP-015."
RECOMMENDATION = "Tanggal 30 batas kontraknya; mohon koordinasikan dengan Pokja hari ini."


def test_directions_and_digest_replies_from_every_client_reach_staff_in_their_writers_words(env):
    """A coordinator's direction and a head's recommendation, each an answer to the case mailed
    to them, and a coordinator's answer to the morning digest naming two tickets (the reported
    aerc reply: the one line right above "On ... wrote:", the signature at the bottom). Each
    reaches staff in the writer's words; the digest answer once per ticket it names."""
    servers, config = env
    notices = open_tickets(servers, config, at("2026-11-23T09:00"))
    number = {c: str(notices[c]["X-Mailbot-Ticket"]) for c in mc.CLIENTS}
    mf.arrive_all(servers, config, [mf.reply_as_client(notices[c], mf.STAFF[0], "#koordinator\nMohon arahan.")[0]
                             for c in mc.CLIENTS], at("2026-11-23T09:10"))
    cases = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "coordinator_case")}
    mf.arrive_all(servers, config, [mc.reply(c, cases[number[c]], mf.COORDINATOR, DIRECTION, COORDINATOR_SIGNATURE,
                                      name="Hendra") for c in mc.CLIENTS], at("2026-11-23T09:20"))
    mf.arrive_all(servers, config, [mf.reply_as_client(notices[c], mf.STAFF[0], "#lapor-kepala\nMohon rekomendasi.")[0]
                             for c in mc.CLIENTS], at("2026-11-23T09:30"))
    reports = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.HEAD), "head_case")}
    mf.arrive_all(servers, config, [mc.reply(c, reports[number[c]], mf.HEAD, RECOMMENDATION, HEAD_SIGNATURE,
                                      name="Bambang Susilo") for c in mc.CLIENTS], at("2026-11-23T09:40"))

    passed = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")
    words = [between(mf.text_of(m), "----- arahan -----", "----- akhir arahan -----") for m in passed]
    assert sorted(map(tuple, words)) == sorted([(DIRECTION,)] * len(mc.CLIENTS) + [(RECOMMENDATION,)] * len(mc.CLIENTS))
    for mail in passed:
        signed_nowhere(mf.text_of(mail).split("----- akhir arahan -----")[0])

    mf.sweep(config, at("2026-11-24T08:00"))
    [digest] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "digest")
    ordered = [number[c] for c in mc.CLIENTS]
    named = {c: (ordered[i], ordered[(i + 1) % 6]) for i, c in enumerate(mc.CLIENTS)}
    said = {c: f"{first} dan {second}: mohon diprioritaskan, pengguna sudah dua kali menelepon."
            for c, (first, second) in named.items()}
    before = len(passed)
    mf.arrive_all(servers, config, [mc.reply(c, digest, mf.COORDINATOR, said[c], COORDINATOR_SIGNATURE, name="Hendra")
                             for c in mc.CLIENTS], at("2026-11-24T08:30"))

    per_ticket = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")[before:]
    got = sorted((str(m["X-Mailbot-Ticket"]),
                  tuple(between(mf.text_of(m), "----- arahan -----", "----- akhir arahan -----")))
                 for m in per_ticket)
    assert got == sorted((ticket, (said[c],)) for c in mc.CLIENTS for ticket in named[c])
    for mail in per_ticket:
        assert str(mail["Subject"]).startswith(f"[LPSE-T #{mail['X-Mailbot-Ticket']}] Arahan:")
    assert not mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "command_error")


CALL = ("#telepon\nNama: Rina Wulandari\nInstansi: CV Maju Jaya\nNo. HP: 0812-7700-4455\n"
        "Email: rina.{client}@cvmajujaya.test\n"
        "Permasalahan: Tidak bisa mengunggah dokumen penawaran pada tender 10012345000.\nWaktu: 09.15")
VISIT = ("#datang\nNomor Antrian: A-012\nNama: Sari Dewi\nInstansi: CV Jaya Abadi\nEmail: -\n"
         "Permasalahan: Lupa kata sandi akun penyedia.\n"
         "Jawaban: Kata sandi direset di loket; pengguna sudah bisa login.\nNilai: 5")
VISIT_SIGNATURE = "Andi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456"  # a name block with no sign-off


def test_calls_and_visits_written_down_from_every_client_keep_no_signature(env):
    """`#telepon` and `#datang` as each client sends a new mail, signed at the bottom (aerc and
    NeoMutt right under the last field). The held form staff check, and the ticket `#buka` opens,
    hold the caller's data and no "Catatan lain pada formulir"; the signature is in no field."""
    servers, config = env
    raws = [mc.new_mail(c, mf.STAFF[0], f"Telepon ({c})", CALL.format(client=c), STAFF_SIGNATURE, name=STAFF_NAME)
            for c in mc.CLIENTS]
    raws += [mc.new_mail(c, mf.STAFF[0], f"Kunjungan ({c})", VISIT, VISIT_SIGNATURE, name=STAFF_NAME)
             for c in mc.CLIENTS]
    mf.arrive_all(servers, config, raws, at("2026-11-23T10:00"))
    held = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")
    assert len(held) == 2 * len(mc.CLIENTS)
    for mail in held:
        text = mf.text_of(mail)
        assert "Catatan lain pada formulir" not in text
        signed_nowhere(text.split("#buka")[0])
    mf.arrive_all(servers, config, [mc.reply(c, mail, mf.STAFF[0], "#buka", STAFF_SIGNATURE, name=STAFF_NAME)
                             for c, mail in zip(mc.CLIENTS * 2, held, strict=True)], at("2026-11-23T10:10"))

    opened = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_opened")
    assert len(opened) == 2 * len(mc.CLIENTS)
    store = mf.store_of(config)
    try:
        tickets = [store.tickets.ticket_by_number("t", str(m["X-Mailbot-Ticket"])) for m in opened]
        forms = [_form_on(store, t) for t in tickets]
    finally:
        store.close()
    for mail, ticket, form in zip(opened, tickets, forms, strict=True):
        text = mf.text_of(mail)
        assert "Catatan lain pada formulir" not in text
        signed_nowhere(text)
        assert form["notes"] == ""
        if ticket.channel == "telepon":
            assert (ticket.contact.name, ticket.contact.organisation, ticket.contact.phone) == (
                "Rina Wulandari", "CV Maju Jaya", "0812-7700-4455")
            assert form["problem"] == "Tidak bisa mengunggah dokumen penawaran pada tender 10012345000."
        else:
            assert (ticket.contact.name, ticket.contact.phone, ticket.state) == ("Sari Dewi", "", State.CLOSED)
            assert form["answer"] == "Kata sandi direset di loket; pengguna sudah bisa login."
    assert sorted(t.channel for t in tickets) == ["datang"] * len(mc.CLIENTS) + ["telepon"] * len(mc.CLIENTS)


def _form_on(store, ticket) -> dict:  # type: ignore[no-untyped-def]
    """The form as the ticket's history recorded it when it opened; the notes on the ticket (the
    `#buka` reply is one, as staff wrote it) hold no signature either."""
    found = [(e["kind"], json.loads(e["detail"]) if e["detail"] else {}) for e in store.history.events_of(ticket.id)]
    [form] = [detail for kind, detail in found if kind == "intake_recorded"]
    assert [detail["text"] for kind, detail in found if kind == "note"] == ["#buka"]
    return dict(form)


# --- LKPP's signature stays out of what the requester reads -----------------------------------

LKPP_SAYS = {
    "aerc": ("Mohon dikirimkan screenshot halaman penawaran dan kode tender.", "Salam, Agus - Helpdesk LKPP"),
    "alpine": ("Akun penyedia sudah kami buka kembali, silakan login ulang.",
               "Hormat kami,\nRina Marlina\nHelpdesk LKPP\nDirektorat Layanan Pengadaan Secara Elektronik"),
    "neomutt": ("Mohon dilengkapi NIB dan surat kuasa direktur agar dapat kami proses.",
                "Terima kasih.\n\nDimas Prasetyo\nHelpdesk LKPP"),
    "thunderbird": ("Permasalahan sudah kami perbaiki di server, silakan dicoba kembali.",
                    "Kind regards,\nYohana Sitorus\nHelpdesk LKPP"),
    "outlook": ("Mohon kirimkan user ID penyedia dan tangkapan layar pesan kesalahannya.", "Rini - Helpdesk LKPP"),
    "gmail": ("Akun sudah aktif kembali dan dapat digunakan untuk mengikuti tender.",
              "Salam,\nTim Helpdesk LKPP"),
    "zimbra": ("Mohon dikirimkan NPWP perusahaan dan tangkapan layar pesan kesalahannya.",
               "Salam,\nBudi Hartono\nHelpdesk LKPP"),
    "horde": ("Kendala sudah kami selesaikan, akun dapat digunakan kembali.",
              "Best regards,\nSiti Aminah\nHelpdesk LKPP"),
}
KEPT = {"neomutt": ["Terima kasih."]}  # LKPP's closing sentence is its words, not its signature


def test_lkpp_answers_reach_the_requester_without_the_agents_signature(env):
    """LKPP's request for data and its solution go to the requester automatically (SOP-015 steps
    7 and 13), under the unit's signature: never under the agent's too, whatever shape it has
    ("Salam, Agus - Helpdesk LKPP", a sign-off over a name and the desk, a name over the desk)."""
    servers, config = env
    notices = open_tickets(servers, config, at("2026-11-23T09:00"))
    mf.arrive_all(servers, config, [mf.reply_as_client(notices[c], mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0]
                             for c in mc.CLIENTS], at("2026-11-23T09:10"))
    escalations = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")}
    mf.arrive_all(servers, config, [mc.reply(c, escalations[str(notices[c]["X-Mailbot-Ticket"])], mf.LKPP,
                                      f"Yth. Helpdesk LPSE Uji,\n\n{LKPP_SAYS[c][0]}", LKPP_SAYS[c][1],
                                      name="Helpdesk LKPP") for c in mc.CLIENTS], at("2026-11-23T10:00"))

    for client in mc.CLIENTS:
        mails = [m for kind in ("need_info", "resolved_lkpp") for m in mf.delivered(servers, requester(client), kind)]
        assert len(mails) == 1, (client, [m["X-Mailbot-Kind"] for m in mails])
        text = mf.text_of(mails[0])
        start, end = (("----- permintaan Helpdesk LKPP -----", "----- akhir permintaan -----")
                      if mails[0]["X-Mailbot-Kind"] == "need_info"
                      else ("----- jawaban Helpdesk LKPP -----", "----- akhir jawaban -----"))
        assert between(text, start, end) == [LKPP_SAYS[client][0], *KEPT.get(client, [])], client
        for shown in ("Agus", "Rina Marlina", "Dimas", "Yohana", "Rini", "Tim Helpdesk LKPP", "Direktorat", "Hartono",
                      "Aminah"):
            assert shown not in text, (client, shown)
