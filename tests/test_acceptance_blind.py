"""Acceptance scenarios written from SPEC.md alone (sections 2-6 and 9, events E1-E19).

Each scenario drives the real daemon (`run --once`) against the local Dovecot + SMTP
servers, with mail shaped the way Indonesian requesters, the unit's staff (Outlook,
Gmail, Thunderbird) and the LKPP helpdesk write it, and reads the outcome back the way
users and operators see it: the IMAP inboxes of every party and `mailbot ticket --json`.
Expected values come from SPEC.md, never from mailbot's own tables.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf
from tests.localmail import LocalMailServers

WIB = ZoneInfo("Asia/Jakarta")
REQ = "budi@vendor.test"
REQ2 = "sari@dinas.test"
STAFF1, STAFF2 = mf.STAFF
COORD = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"
LKPP = mf.LKPP
INTERNAL = (STAFF1, STAFF2, COORD, HEAD)
TAG = re.compile(r"\[LPSE-T #(\d{4}-\d{5})\]")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
# LKPP asks for more data (SOP-015 step 5), as its helpdesk writes it.
DATA_REQUEST = ("Yth. Helpdesk LPSE,\n\nMohon dilengkapi data berikut agar dapat kami proses:\n"
                "1. User ID penyedia\n2. Screenshot pesan kesalahan\n\nTerima kasih,\nHelpdesk LKPP")


# --- how each party's mail client writes ----------------------------------------------------


def _quoted(original: EmailMessage) -> str:
    return "\n".join("> " + line for line in mf.text_of(original).splitlines())


def outlook_reply(original: EmailMessage, sender: str, text: str, *, name: str = "",
                  attachments: tuple = ()) -> bytes:
    """Outlook desktop: top-posted, `RE:`, a `From:/Sent:` block and unprefixed history."""
    history = mf.text_of(original)
    body = (f"{text}\n\n________________________________\nFrom: {original['From']}\n"
            f"Sent: {original['Date']}\nTo: {sender}\nSubject: {original['Subject']}\n\n{history}\n")
    return _reply(original, sender, "RE: ", body, name=name, attachments=attachments)


def gmail_reply(original: EmailMessage, sender: str, text: str, *, name: str = "",
                attachments: tuple = ()) -> bytes:
    """Gmail in Indonesian: top-posted, `Re:`, `Pada ... menulis:` and `>` history."""
    body = f"{text}\n\nPada {original['Date']} {original['From']} menulis:\n\n{_quoted(original)}\n"
    return _reply(original, sender, "Re: ", body, name=name, attachments=attachments)


def thunderbird_reply(original: EmailMessage, sender: str, text: str, *, name: str = "",
                      attachments: tuple = ()) -> bytes:
    """Thunderbird: `Re:`, `On <date>, <who> wrote:` above the quote, answer top-posted."""
    body = f"{text}\n\nOn {original['Date']}, {original['From']} wrote:\n{_quoted(original)}\n"
    return _reply(original, sender, "Re: ", body, name=name, attachments=attachments)


def _reply(original: EmailMessage, sender: str, prefix: str, body: str, *, name: str,
           attachments: tuple) -> bytes:
    mid = str(original["Message-ID"]).strip("<>")
    refs = tuple(r.strip("<>") for r in str(original.get("References", "")).split() if r)
    raw, _ = mf.mail(sender, prefix + str(original["Subject"]), body, in_reply_to=mid, references=refs,
                     name=name, attachments=attachments)
    return raw


# --- the desk: servers, config, and what users and operators can see -------------------------


@dataclass
class Desk:
    servers: LocalMailServers
    config: Path
    moment: datetime | None = None  # the daemon's clock; None: real time

    def deliver(self, raw: bytes) -> None:
        if self.moment is None:
            mf.deliver(self.servers, self.config, raw)
            return
        # Written, received and handled at `moment` (Dovecot refuses future arrival times,
        # so scenarios that need days to pass play their beginning in the past).
        raw = re.sub(rb"(?m)^Date: .*$", f"Date: {format_datetime(self.moment)}".encode(), raw, count=1)
        self.servers.append(mf.UNIT, raw, msg_time=self.moment)
        mf.handle_at(self.config, self.moment)

    def inbox(self, user: str, kind: str | None = None, number: str | None = None) -> list[EmailMessage]:
        found = mf.inbox(self.servers, user)
        if kind is not None:
            found = mf.of_kind(found, kind)
        if number is not None:
            found = [m for m in found if f"#{number}]" in str(m["Subject"])]
        return found

    def about(self, user: str, number: str) -> list[EmailMessage]:
        """Every mail `user` holds about ticket `number`, the digest left out."""
        return [m for m in self.inbox(user, number=number) if m["X-Mailbot-Kind"] != "digest"]

    def ticket(self, number: str) -> dict[str, Any]:
        from mailbot.cli import main as cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["--config", str(self.config), "ticket", number, "--json"]) == 0
        data: dict[str, Any] = json.loads(out.getvalue())
        return data

    def tickets(self) -> list[dict[str, Any]]:
        from mailbot.cli import main as cli

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["--config", str(self.config), "tickets", "--json"]) == 0
        rows: list[dict[str, Any]] = json.loads(out.getvalue())
        return rows

    # Building a ticket up to a given state, by mail only.

    def open_ticket(self, subject: str = "Tidak bisa login ke SPSE",
                    body: str = "Selamat pagi,\n\nSaya tidak bisa login ke aplikasi SPSE, muncul pesan "
                                "'User ID atau password salah' padahal sudah benar.\n\nTerima kasih,\n"
                                "Budi Santoso\nCV Maju Jaya",
                    sender: str = REQ, name: str = "Budi Santoso", attachments: tuple = ()) -> str:
        raw, _ = mf.mail(sender, subject, body, name=name, attachments=attachments)
        self.deliver(raw)
        acks = self.inbox(sender, "ack")
        assert acks, "no acknowledgement reached the requester"
        match = TAG.search(str(acks[-1]["Subject"]))
        assert match, acks[-1]["Subject"]
        return match.group(1)

    def staff_notice(self, number: str, staff: str = STAFF1) -> EmailMessage:
        found = self.about(staff, number)
        assert found, f"{staff} holds no mail about {number}"
        return found[-1]

    def staff_says(self, number: str, text: str, *, client=outlook_reply, staff: str = STAFF1,  # type: ignore[no-untyped-def]
                   attachments: tuple = ()) -> None:
        self.deliver(client(self.staff_notice(number, staff), staff, text, name="Rina Helpdesk",
                            attachments=attachments))

    def escalate(self, number: str) -> EmailMessage:
        self.staff_says(number, "#eskalasi\nMohon bantuan, reset akun dari sisi LPSE tidak berhasil.",
                        client=gmail_reply)
        assert self.ticket(number)["state"] == "escalated"
        return self.inbox(LKPP, number=number)[-1]

    def opened(self) -> tuple[str, dict[str, int]]:
        """A new ticket, and how much mail each party holds about it so far (`counts`), so
        that a scenario reads what its next step sends (`new_mail`)."""
        number = self.open_ticket()
        return number, counts(self, number)

    def escalated(self) -> tuple[str, dict[str, int]]:
        """The same for a ticket staff escalated to LKPP."""
        number = self.open_ticket()
        self.escalate(number)
        return number, counts(self, number)

    def lkpp_says(self, number: str, text: str) -> None:
        escalation = self.inbox(LKPP, number=number)[-1]
        self.deliver(outlook_reply(escalation, LKPP, text, name="Helpdesk LKPP"))

    def requester_says(self, number: str, text: str, *, client=gmail_reply, sender: str = REQ,  # type: ignore[no-untyped-def]
                       attachments: tuple = ()) -> None:
        last = self.about(sender, number)[-1]
        self.deliver(client(last, sender, text, name="Budi Santoso", attachments=attachments))


def counts(desk: Desk, number: str) -> dict[str, int]:
    return {u: len(desk.about(u, number)) for u in (REQ, *INTERNAL, LKPP)}


def new_mail(desk: Desk, before: dict[str, int], number: str) -> dict[str, list[EmailMessage]]:
    return {u: desk.about(u, number)[n:] for u, n in before.items()}


def assert_requester_safe(msg: EmailMessage) -> None:
    """SPEC 1/2: nothing to a requester carries a staff, coordinator or head address."""
    raw = msg.as_string().lower()
    for addr in INTERNAL:
        assert addr not in raw, f"{addr} leaked to the requester in {msg['X-Mailbot-Kind']}"
    assert mf.UNIT in str(msg["From"]), msg["From"]
    assert mf.UNIT in str(msg["Reply-To"]), msg["Reply-To"]


def history_text(data: dict[str, Any]) -> str:
    return json.dumps(data["history"], ensure_ascii=False)


@pytest.fixture
def desk(fresh_mailboxes: LocalMailServers, tmp_path: Path) -> Desk:
    return Desk(fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path))


# --- E1 -------------------------------------------------------------------------------------


def test_e1_new_problem_with_attachment_gets_ack_and_staff_notice(desk: Desk) -> None:
    raw, mid = mf.mail(REQ, "Gagal upload dokumen penawaran paket 10234567",
                       "Yth. Helpdesk LPSE,\n\nSaat upload dokumen penawaran muncul pesan 'File gagal "
                       "diunggah'. Batas waktu penawaran besok jam 10.\nTerlampir tangkapan layar.\n\n"
                       "Hormat kami,\nBudi Santoso\nCV Maju Jaya\n0812-3456-7890",
                       name="Budi Santoso", attachments=(("error.png", "image/png", PNG),))
    desk.deliver(raw)

    acks = desk.inbox(REQ)
    assert len(acks) == 1
    ack = acks[0]
    assert ack["X-Mailbot-Kind"] == "ack"
    number = TAG.search(str(ack["Subject"])).group(1)  # type: ignore[union-attr]
    assert number.startswith(str(datetime.now(WIB).year) + "-")
    assert number in mf.text_of(ack)
    assert "jam" in mf.text_of(ack).lower()  # the expected handling time
    assert ack["Auto-Submitted"] == "auto-replied"
    assert mid in str(ack["In-Reply-To"])
    assert_requester_safe(ack)

    for staff in (STAFF1, STAFF2):
        notices = desk.about(staff, number)
        assert len(notices) == 1
        notice = notices[0]
        assert "File gagal diunggah" in mf.text_of(notice)
        names = [p.get_filename() for p in notice.iter_attachments()]
        assert "error.png" in names
    data = desk.ticket(number)
    assert data["state"] == "open"
    assert data["requester"] == REQ
    assert any(m["direction"] == "in" and m["sender"] == REQ for m in data["messages"])
    assert all(h["at"] and h["actor"] for h in data["history"])
    assert desk.servers.fetch(mf.UNIT) == []  # moved out of INBOX
    assert len(desk.servers.fetch(mf.UNIT, "Processed")) == 1


# --- E2 -------------------------------------------------------------------------------------


def test_e2_requester_follow_up_on_answered_ticket_reopens_and_notifies_staff(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.staff_says(number, "Selamat pagi Pak Budi,\n\nSilakan gunakan menu Lupa Password di halaman "
                            "login SPSE.\n\nSalam,\nRina")
    assert desk.ticket(number)["state"] == "answered"
    before = counts(desk, number)

    desk.requester_says(number, "Sudah saya coba menu Lupa Password tapi email reset tidak pernah masuk.")

    data = desk.ticket(number)
    assert data["state"] == "open"
    got = new_mail(desk, before, number)
    for staff in (STAFF1, STAFF2):
        assert len(got[staff]) == 1
        assert "email reset tidak pernah masuk" in mf.text_of(got[staff][0])
    assert len(desk.tickets()) == 1
    assert sum(m["direction"] == "in" and m["sender"] == REQ for m in data["messages"]) == 2


# --- E3 -------------------------------------------------------------------------------------


def test_e3_requester_data_goes_to_lkpp_with_attachment(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.escalate(number)
    desk.lkpp_says(number, DATA_REQUEST)
    assert desk.ticket(number)["state"] == "awaiting_info"
    before = counts(desk, number)

    desk.requester_says(number, "Berikut data yang diminta:\nUser ID: cvmajujaya01\nScreenshot terlampir.",
                        client=outlook_reply, attachments=(("layar-error.png", "image/png", PNG),))

    data = desk.ticket(number)
    assert data["state"] == "escalated"
    got = new_mail(desk, before, number)
    forwards = [m for m in got[LKPP] if m["X-Mailbot-Kind"] == "forward_info"]
    assert len(forwards) == 1
    assert "cvmajujaya01" in mf.text_of(forwards[0])
    assert "layar-error.png" in [p.get_filename() for p in forwards[0].iter_attachments()]
    assert got[STAFF1], "staff not notified of the data sent to LKPP"


# --- E4 -------------------------------------------------------------------------------------


def _resolved(desk: Desk) -> str:
    number = desk.open_ticket()
    desk.staff_says(number, "#selesai\nAkun Bapak sudah kami buka kembali. Silakan login ulang.")
    assert desk.ticket(number)["state"] == "resolved"
    return number


def test_e4_confirmation_with_rating_anywhere_closes(desk: Desk) -> None:
    number = _resolved(desk)
    before = counts(desk, number)

    desk.requester_says(number, "Ya\n\nSudah bisa login kembali, terima kasih banyak.\nNilai: 4",
                        client=outlook_reply)

    data = desk.ticket(number)
    assert data["state"] == "closed"
    assert data["rating"] == 4
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["closed"]
    assert_requester_safe(got[REQ][0])


def test_e4_ya_with_rating_on_first_line_closes(desk: Desk) -> None:
    number = _resolved(desk)
    desk.requester_says(number, "YA 5")
    data = desk.ticket(number)
    assert data["state"] == "closed"
    assert data["rating"] == 5


def test_e4_tidak_reopens_to_resolver_and_notifies_staff(desk: Desk) -> None:
    number = _resolved(desk)
    before = counts(desk, number)

    desk.requester_says(number, "Tidak, masih muncul pesan 'Akun terkunci' saat login.")

    data = desk.ticket(number)
    assert data["state"] == "open"
    got = new_mail(desk, before, number)
    assert got[STAFF1], "the staff member who resolved it was not told"
    assert "Akun terkunci" in mf.text_of(got[STAFF1][-1])


def test_e4_signature_only_reply_changes_nothing_and_asks_staff(desk: Desk) -> None:
    number = _resolved(desk)
    before = counts(desk, number)
    last = desk.about(REQ, number)[-1]
    # Gmail on a phone: nothing typed, only the signature above the quoted solution.
    desk.deliver(gmail_reply(last, REQ, "--\nBudi Santoso\nCV Maju Jaya\nDikirim dari Yahoo Mail Android"))

    data = desk.ticket(number)
    assert data["state"] == "resolved"
    assert data["rating"] is None
    got = new_mail(desk, before, number)
    assert got[STAFF1], "staff were not asked about the empty confirmation"
    assert not got[REQ]


# --- E5 -------------------------------------------------------------------------------------


def _closed(desk: Desk) -> str:
    number = desk.open_ticket()
    desk.staff_says(number, "#tutup\nSudah dijawab melalui telepon.")
    assert desk.ticket(number)["state"] == "closed"
    return number


def test_e5_reply_to_closed_ticket_within_reopen_days_reopens(desk: Desk) -> None:
    number = _closed(desk)
    before = counts(desk, number)
    desk.requester_says(number, "Maaf, masalahnya muncul lagi hari ini di paket lain.")
    data = desk.ticket(number)
    assert data["state"] == "open"
    assert len(desk.tickets()) == 1
    assert new_mail(desk, before, number)[STAFF1]


def test_e5_reply_to_closed_ticket_after_reopen_days_opens_new_ticket_citing_old(desk: Desk) -> None:
    desk.moment = datetime.now(WIB) - timedelta(days=20)
    number = _closed(desk)
    desk.moment = None  # twenty days later, today

    desk.requester_says(number, "Selamat pagi, masalah login terulang lagi.")

    assert desk.ticket(number)["state"] == "closed"
    rows = desk.tickets()
    assert len(rows) == 2
    new = next(r["number"] for r in rows if r["number"] != number)
    assert desk.ticket(new)["state"] == "open"
    assert number in json.dumps(desk.ticket(new), ensure_ascii=False)
    assert desk.inbox(REQ, "ack", number=new)


# --- E6 -------------------------------------------------------------------------------------


def test_e6_staff_outlook_reply_relayed_without_history_or_staff_address(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "Selamat siang Pak Budi,\n\nAkun Bapak terkunci karena salah password 5 kali. "
                            "Sudah kami buka, silakan login kembali.\n\nSalam,\nRina\nHelpdesk LPSE")

    data = desk.ticket(number)
    assert data["state"] == "answered"
    assert data["first_response_at"]
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["staff_reply"]
    reply = got[REQ][0]
    text = mf.text_of(reply)
    assert "Sudah kami buka, silakan login kembali" in text
    assert "Tiket baru" not in text and "________________________________" not in text
    assert_requester_safe(reply)
    assert TAG.search(str(reply["Subject"]))
    assert reply["In-Reply-To"]


# --- E7 -------------------------------------------------------------------------------------


def test_e7_internal_note_from_thunderbird_reaches_no_requester(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "#catatan Sudah dicek di log SPSE, akun terkunci sejak 08.15.",
                    client=thunderbird_reply)

    data = desk.ticket(number)
    assert data["state"] == "open"
    assert not new_mail(desk, before, number)[REQ]
    assert "akun terkunci sejak 08.15" in json.dumps(data, ensure_ascii=False)
    assert any(h["actor"] == STAFF1 for h in data["history"])


# --- E8 -------------------------------------------------------------------------------------


def test_e8_escalation_sends_whole_case_to_lkpp_and_tells_requester(desk: Desk) -> None:
    number = desk.open_ticket(attachments=(("bukti.pdf", "application/pdf", mf.PDF),))
    before = counts(desk, number)

    desk.staff_says(number, "#eskalasi\nReset dari sisi LPSE gagal, mohon bantuan LKPP.", client=gmail_reply)

    data = desk.ticket(number)
    assert data["state"] == "escalated"
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[LKPP]] == ["escalate"]
    esc = got[LKPP][0]
    text = mf.text_of(esc)
    assert "User ID atau password salah" in text  # the problem
    assert REQ in text  # the requester's identity
    assert "Reset dari sisi LPSE gagal" in text  # the staff note
    assert "bukti.pdf" in [p.get_filename() for p in esc.iter_attachments()]
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["escalated_user"]
    assert_requester_safe(got[REQ][0])


# --- E9 -------------------------------------------------------------------------------------


def test_e9_resolve_sends_solution_to_requester(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "#Selesai\nPassword Bapak sudah kami reset ke tanggal lahir (ddmmyyyy). "
                            "Mohon segera diganti setelah login.", client=gmail_reply)

    assert desk.ticket(number)["state"] == "resolved"
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["resolved"]
    assert "sudah kami reset ke tanggal lahir" in mf.text_of(got[REQ][0])
    assert "#Selesai" not in mf.text_of(got[REQ][0])
    assert_requester_safe(got[REQ][0])


# --- E10 ------------------------------------------------------------------------------------


def test_e10_close_tells_requester(desk: Desk) -> None:
    number, before = desk.opened()
    desk.staff_says(number, "#tutup", client=thunderbird_reply)
    assert desk.ticket(number)["state"] == "closed"
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["closed"]
    assert_requester_safe(got[REQ][0])


def test_e10_close_silent_in_english_tells_nobody_outside(desk: Desk) -> None:
    number, before = desk.opened()
    desk.staff_says(number, "#CLOSE silent\nDuplicate of a phone call, handled there.", client=outlook_reply)
    assert desk.ticket(number)["state"] == "closed"
    assert not new_mail(desk, before, number)[REQ]


# --- E11 ------------------------------------------------------------------------------------


def test_e11_metadata_commands_combined_with_resolve(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "#prioritas tinggi\n#kategori pertanyaan\n#tugaskan staff2@lpse.test\n"
                            "#selesai\nSilakan gunakan browser Chrome terbaru lalu hapus cache.")

    data = desk.ticket(number)
    assert data["priority"] == "high"
    assert data["category"] == "pertanyaan"
    assert data["assignee"] == STAFF2
    assert data["state"] == "resolved"
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["resolved"]
    assert "browser Chrome terbaru" in mf.text_of(got[REQ][0])


# --- E12, E12a ------------------------------------------------------------------------------

UNSURE = ("Yth. Helpdesk LPSE,\n\nTerlampir kami sampaikan Surat Edaran Deputi tentang pemeliharaan "
          "server SPSE tanggal 28 November.\n\nSalam,\nHelpdesk LKPP")


def test_e12_relay_sends_latest_lkpp_message_to_requester(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.escalate(number)
    desk.lkpp_says(number, UNSURE)
    before = counts(desk, number)

    desk.staff_says(number, "#teruskan", client=outlook_reply)

    got = new_mail(desk, before, number)
    assert len(got[REQ]) == 1
    assert "pemeliharaan server SPSE" in mf.text_of(got[REQ][0])
    assert_requester_safe(got[REQ][0])


def test_e12a_need_info_corrects_unclassified_lkpp_reply(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.escalate(number)
    desk.lkpp_says(number, "Yth. Helpdesk LPSE,\n\nKode paket dan nama perusahaan penyedia belum "
                           "tercantum.\n\nSalam,\nHelpdesk LKPP")
    before = counts(desk, number)

    desk.staff_says(number, "#permintaan-data", client=gmail_reply)

    assert desk.ticket(number)["state"] == "awaiting_info"
    got = new_mail(desk, before, number)
    needs = [m for m in got[REQ] if m["X-Mailbot-Kind"] == "need_info"]
    assert len(needs) == 1
    assert "nama perusahaan penyedia" in mf.text_of(needs[0])


# --- E12b, E12d -----------------------------------------------------------------------------


def test_e12b_coordinator_direction_goes_to_staff_not_requester(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "#koordinator Mohon arahan: penyedia minta perpanjangan jadwal upload.")

    got = new_mail(desk, before, number)
    assert len(got[COORD]) == 1
    case = got[COORD][0]
    assert "perpanjangan jadwal upload" in mf.text_of(case)
    assert "User ID atau password salah" in mf.text_of(case)
    assert not got[REQ]

    before = counts(desk, number)
    desk.deliver(outlook_reply(case, COORD, "Jadwal tidak bisa diperpanjang, arahkan ke Pokja Pemilihan.",
                               name="Koordinator Helpdesk"))
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert any("arahkan ke Pokja Pemilihan" in mf.text_of(m) for m in got[STAFF1])
    assert "arahkan ke Pokja Pemilihan" in json.dumps(desk.ticket(number), ensure_ascii=False)


def test_e12d_head_recommendation_on_digest_goes_to_staff(desk: Desk) -> None:
    number = desk.open_ticket()
    # the daily digest goes out at 08:00 on working days: the head has one to reply to
    # whatever the hour this runs (a working-day morning of the daemon's clock)
    mf.sweep(desk.config, _at("2026-11-23 08:05"))
    digests = desk.inbox(HEAD, "digest")
    assert digests, "the head got no digest"
    before = counts(desk, number)

    desk.deliver(gmail_reply(digests[-1], HEAD, f"Tiket {number} agar diprioritaskan dan segera "
                                                "dieskalasi bila tidak selesai hari ini.",
                             name="Kepala LPSE"))

    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert any("segera dieskalasi" in mf.text_of(m) for m in got[STAFF1])
    data = desk.ticket(number)
    assert "segera dieskalasi" in json.dumps(data, ensure_ascii=False)
    assert data["state"] == "open"


# --- E12c -----------------------------------------------------------------------------------


def test_e12c_consultation_form_fields(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.staff_says(number, "#data nama Budi Santoso\n#data instansi CV Maju Jaya\n"
                            "#data telepon 0812-3456-7890\n#data alamat Jl. Engku Putri No. 1, Batam")
    contact = desk.ticket(number)["contact"]
    assert contact["name"] == "Budi Santoso"
    assert contact["organisation"] == "CV Maju Jaya"
    assert contact["phone"] == "0812-3456-7890"
    assert contact["address"] == "Jl. Engku Putri No. 1, Batam"


# --- E13-E17: LKPP's answers ----------------------------------------------------------------


@pytest.mark.parametrize(("answer", "state", "kind", "words"), [
    pytest.param(DATA_REQUEST, "awaiting_info", "need_info", "Screenshot pesan kesalahan",
                 id="e13-lkpp-asks-for-data"),
    pytest.param("Yth. Helpdesk LPSE,\n\nAkun penyedia tersebut sudah kami reset dan aktifkan kembali. "
                 "Permasalahan telah selesai, silakan dicoba kembali.\n\nSalam,\nHelpdesk LKPP",
                 "resolved", "resolved_lkpp", "sudah kami reset dan aktifkan", id="e14-lkpp-solution-relayed"),
])
def test_e13_e14_lkpp_answer_reaches_the_requester(desk: Desk, answer: str, state: str, kind: str,
                                                   words: str) -> None:
    """E13, a data request, and E14, a solution: relayed to the requester as its kind."""
    number, before = desk.escalated()

    desk.lkpp_says(number, answer)

    assert desk.ticket(number)["state"] == state
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == [kind]
    assert words in mf.text_of(got[REQ][0])
    assert_requester_safe(got[REQ][0])
    assert got[STAFF1]


def test_e15_lkpp_returns_case_to_unit(desk: Desk) -> None:
    number, before = desk.escalated()

    desk.lkpp_says(number, "Yth. Helpdesk LPSE,\n\nPermasalahan reset akun penyedia merupakan kewenangan "
                           "LPSE setempat. Silakan Admin PPE LPSE melakukan reset melalui menu Daftar "
                           "Penyedia.\n\nSalam,\nHelpdesk LKPP")

    assert desk.ticket(number)["state"] == "open"
    got = new_mail(desk, before, number)
    assert any("menu Daftar" in mf.text_of(m) for m in got[STAFF1])


def test_e16_lkpp_status_recorded_and_requester_told(desk: Desk) -> None:
    number, before = desk.escalated()

    desk.lkpp_says(number, "Yth. Helpdesk LPSE,\n\nLaporan Saudara sedang dalam proses pengecekan oleh "
                           "tim teknis kami.\n\nSalam,\nHelpdesk LKPP")

    assert desk.ticket(number)["state"] == "escalated"
    got = new_mail(desk, before, number)
    assert got[STAFF1]
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["status_user"]
    assert_requester_safe(got[REQ][0])


def test_e17_unclassified_lkpp_reply_waits_for_staff(desk: Desk) -> None:
    number, before = desk.escalated()

    desk.lkpp_says(number, UNSURE)

    assert desk.ticket(number)["state"] == "escalated"
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert got[STAFF1]
    notice = mf.text_of(got[STAFF1][-1])
    assert "pemeliharaan server SPSE" in notice
    assert "#teruskan" in notice


# --- E18, E19 -------------------------------------------------------------------------------


def test_e18_typo_command_gets_command_error_and_nothing_else(desk: Desk) -> None:
    number, before = desk.opened()

    desk.staff_says(number, "#eskalsi\nMohon dibantu LKPP.", client=gmail_reply)

    data = desk.ticket(number)
    assert data["state"] == "open"
    got = new_mail(desk, before, number)
    assert not got[REQ] and not got[LKPP] and not got[STAFF2]
    assert [m["X-Mailbot-Kind"] for m in got[STAFF1]] == ["command_error"]
    text = mf.text_of(got[STAFF1][0])
    assert "#eskalasi" in text and "#selesai" in text


def test_e18_bad_priority_value_is_malformed(desk: Desk) -> None:
    number, before = desk.opened()
    desk.staff_says(number, "#prioritas urgent")
    data = desk.ticket(number)
    assert data["priority"] != "urgent"
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[STAFF1]] == ["command_error"]
    assert not got[REQ]


def test_e19_staff_mail_without_proof_is_unverified_note(desk: Desk) -> None:
    number, before = desk.opened()
    # A new message from a phone: the tag typed into the subject, nothing cited.
    raw, _ = mf.mail(STAFF1, f"[LPSE-T #{number}] tindak lanjut",
                     "#selesai\nSudah kami reset, silakan dicoba.\n\nDikirim dari iPhone saya")
    desk.deliver(raw)

    data = desk.ticket(number)
    assert data["state"] == "open"
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert got[COORD], "coordinators were not alerted"
    assert "Sudah kami reset" in json.dumps(data, ensure_ascii=False)


def test_e19_requester_facing_message_id_does_not_authenticate_staff(desk: Desk) -> None:
    number = desk.open_ticket()
    ack = desk.inbox(REQ, "ack")[-1]
    before = counts(desk, number)
    # Staff answers citing the ack the requester forwarded to them: not mail sent to staff.
    desk.deliver(gmail_reply(ack, STAFF1, "#tutup diam"))

    data = desk.ticket(number)
    assert data["state"] == "open"
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert got[COORD]


# --- Section 5: automatic mail --------------------------------------------------------------


def test_s5_out_of_office_on_ticket_is_recorded_not_answered(desk: Desk) -> None:
    number = desk.open_ticket()
    desk.staff_says(number, "Mohon kirimkan kode paket tendernya, Pak.")
    before = counts(desk, number)
    last = desk.about(REQ, number)[-1]
    raw, _ = mf.mail(REQ, "Automatic reply: " + str(last["Subject"]),
                     "Saya sedang cuti sampai 30 November. Untuk keperluan mendesak hubungi 0812-000.",
                     in_reply_to=str(last["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})
    desk.deliver(raw)
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert len(desk.tickets()) == 1


def test_s5_human_subject_gagal_terkirim_is_a_real_complaint(desk: Desk) -> None:
    raw, _ = mf.mail(REQ2, "Dokumen penawaran GAGAL TERKIRIM - rejected oleh sistem",
                     "Mohon bantuan, dokumen penawaran kami ditolak sistem dengan pesan rejected.",
                     name="Sari Dewi")
    desk.deliver(raw)
    assert desk.inbox(REQ2, "ack")


def test_s5_bounce_of_our_mail_attaches_to_ticket_and_alerts_staff(desk: Desk) -> None:
    number = desk.open_ticket()
    ack = desk.inbox(REQ, "ack")[-1]
    before = counts(desk, number)
    # Postfix's DSN: multipart/report with the delivery status and our mail's headers.
    ack_headers = "".join(f"{k}: {v}\n" for k, v in ack.items() if k.lower() != "return-path")
    dsn = (f"From: MAILER-DAEMON@vendor.test (Mail Delivery System)\nTo: {mf.UNIT}\n"
           f"Subject: Undelivered Mail Returned to Sender\nDate: {format_datetime(datetime.now(WIB))}\n"
           "Message-ID: <20261123.ABC123@mx.vendor.test>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
           'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\n\n'
           "--B1\nContent-Type: text/plain\n\nThis is the mail system at host mx.vendor.test.\n\n"
           "I'm sorry to have to inform you that your message could not be delivered.\n\n"
           "<budi@vendor.test>: host mx.vendor.test said: 552 5.2.2 mailbox full\n\n"
           "--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.vendor.test\n\n"
           "Final-Recipient: rfc822; budi@vendor.test\nAction: failed\nStatus: 5.2.2\n\n"
           f"--B1\nContent-Type: text/rfc822-headers\n\n{ack_headers}\n--B1--\n").encode()
    desk.deliver(dsn)
    assert len(desk.tickets()) == 1
    got = new_mail(desk, before, number)
    assert not got[REQ]
    assert got[STAFF1], "staff were not alerted about the bounce"


# --- Section 3: threading -------------------------------------------------------------------


def test_s3_stranger_citing_tag_opens_own_ticket(desk: Desk) -> None:
    number = desk.open_ticket()
    raw, _ = mf.mail(REQ2, f"Re: [LPSE-T #{number}] Tidak bisa login ke SPSE",
                     "Saya juga mengalami hal yang sama sejak kemarin.", name="Sari Dewi")
    desk.deliver(raw)
    rows = desk.tickets()
    assert len(rows) == 2
    new = next(r["number"] for r in rows if r["number"] != number)
    assert desk.ticket(new)["requester"] == REQ2
    assert number in json.dumps(desk.ticket(new), ensure_ascii=False)
    assert new in json.dumps(desk.ticket(number), ensure_ascii=False)


def test_s3_reply_all_with_unit_in_cc_and_rewritten_subject(desk: Desk) -> None:
    number = desk.open_ticket()
    last = desk.about(REQ, number)[-1]
    raw, _ = mf.mail(REQ, "Tambahan info login", "Tambahan: browser yang saya pakai Firefox 128.",
                     to="pokja@lpse.test", cc=(mf.UNIT,),
                     in_reply_to=str(last["Message-ID"]).strip("<>"), name="Budi Santoso")
    desk.deliver(raw)
    desk.deliver(raw)  # and the same message again
    assert len(desk.tickets()) == 1
    data = desk.ticket(number)
    assert sum("Firefox 128" in (m["text"] or "") for m in data["messages"] if m["direction"] == "in") == 1


# --- Section 6: deadlines, played at fixed instants (the SPEC's own examples) ---------------


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.mark.parametrize(("escalated", "due"), [
    ("2026-11-20 15:30", "2026-11-24 15:30"),  # Friday afternoon -> Tuesday
    ("2026-03-19 10:00", "2026-03-26 16:00"),  # Nyepi, then Eid holidays and cuti bersama
])
def test_s6_lkpp_status_request_when_two_working_days_pass(desk: Desk, escalated: str, due: str) -> None:
    desk.moment = _at(escalated)
    number, before = desk.escalated()

    mf.sweep(desk.config, _at(due) - timedelta(minutes=5))
    early = new_mail(desk, before, number)
    assert not early[LKPP] and not early[REQ]  # (coordinators may hear of the 3x24h breach)

    mf.sweep(desk.config, _at(due) + timedelta(minutes=5))
    mf.sweep(desk.config, _at(due) + timedelta(minutes=10))  # once per breach
    got = new_mail(desk, before, number)
    requests = [m for m in got[LKPP] if m["X-Mailbot-Kind"] == "overdue_lkpp"]
    assert len(requests) == 1
    cc = str(requests[0]["Cc"] or "").lower()
    assert STAFF1 in cc and COORD in cc
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["status_user"]
    assert_requester_safe(got[REQ][0])


def test_s6_first_response_overdue_goes_to_staff_and_coordinators_once(desk: Desk) -> None:
    desk.moment = _at("2026-11-20 14:00")  # Friday: 2 working hours left, 2 more on Monday
    number, before = desk.opened()

    mf.sweep(desk.config, _at("2026-11-23 09:55"))
    assert not any(m["X-Mailbot-Kind"] == "overdue_staff" for m in new_mail(desk, before, number)[STAFF1])

    mf.sweep(desk.config, _at("2026-11-23 10:05"))
    mf.sweep(desk.config, _at("2026-11-23 11:00"))
    got = new_mail(desk, before, number)
    for who in (STAFF1, COORD):
        assert [m["X-Mailbot-Kind"] for m in got[who]].count("overdue_staff") == 1, who
    assert not got[REQ]


def test_s6_unconfirmed_solution_closes_after_three_working_days(desk: Desk) -> None:
    desk.moment = _at("2026-11-18 10:00")  # Wednesday -> due Monday 10:00
    number = _resolved(desk)
    before = counts(desk, number)

    mf.sweep(desk.config, _at("2026-11-23 09:55"))
    assert desk.ticket(number)["state"] == "resolved"
    mf.sweep(desk.config, _at("2026-11-23 10:05"))
    assert desk.ticket(number)["state"] == "closed"
    got = new_mail(desk, before, number)
    assert len(got[REQ]) == 1
    assert_requester_safe(got[REQ][0])


def test_s6_awaiting_info_reminds_requester_then_closes(desk: Desk) -> None:
    desk.moment = _at("2026-11-16 09:00")  # Monday
    number = desk.open_ticket()
    desk.escalate(number)
    desk.lkpp_says(number, DATA_REQUEST)
    assert desk.ticket(number)["state"] == "awaiting_info"
    before = counts(desk, number)

    mf.sweep(desk.config, _at("2026-11-18 09:30"))  # two working days later
    got = new_mail(desk, before, number)
    assert [m["X-Mailbot-Kind"] for m in got[REQ]] == ["remind_user"]
    assert desk.ticket(number)["state"] == "awaiting_info"

    mf.sweep(desk.config, _at("2026-11-23 09:30"))  # five working days after the request
    assert desk.ticket(number)["state"] == "closed"
    got = new_mail(desk, before, number)
    assert len(got[REQ]) == 2


# --- More of sections 3 and 5 ---------------------------------------------------------------


def test_s3_lkpp_desk_number_recorded_and_matches_later_mail(desk: Desk) -> None:
    number = desk.open_ticket()
    esc = desk.escalate(number)
    otrs = "[Ticket#2026112310000123]"
    raw, _ = mf.mail(LKPP, f"{otrs} Re: {esc['Subject']}",
                     "Terima kasih, laporan Anda telah kami terima dengan nomor tiket 2026112310000123.\n"
                     "Ini adalah pesan otomatis.", in_reply_to=str(esc["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied"}, name="Layanan LKPP")
    desk.deliver(raw)
    assert "2026112310000123" in str(desk.ticket(number)["lkpp_ticket"])
    before = counts(desk, number)

    # Days later, an LKPP agent writes a fresh mail citing only their own number.
    raw, _ = mf.mail(LKPP, f"{otrs} Informasi tindak lanjut",
                     "Yth. LPSE,\n\nMohon informasikan apakah penyedia masih mengalami kendala.\n\nSalam,\n"
                     "Helpdesk LKPP", name="Helpdesk LKPP")
    desk.deliver(raw)
    assert len(desk.tickets()) == 1
    assert sum(m["direction"] == "in" and m["sender"] == LKPP for m in desk.ticket(number)["messages"]) >= 2
    assert new_mail(desk, before, number)[STAFF1]


def test_s5_autoreply_limit_stops_a_loop_not_the_tickets(desk: Desk) -> None:
    for i in range(7):
        raw, _ = mf.mail(REQ2, f"Pertanyaan jadwal tender {i + 1}", f"Mohon info jadwal paket nomor {i + 1}.",
                         name="Sari Dewi")
        desk.servers.append(mf.UNIT, raw)
    mf.run_once(desk.config)
    assert len(desk.tickets()) == 7
    assert len(desk.inbox(REQ2, "ack")) == 5
