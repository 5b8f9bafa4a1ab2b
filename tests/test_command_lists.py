"""The command lists staff read in mailbot's mail are the parser's, both ways,
and a notice offers the commands that apply to its ticket now.

An error mail's "Perintah yang tersedia" lists each command the parser acts on
(`core/commands.parse_commands`), in the mail's language, and nothing the parser refuses; as
tests/test_guides.py holds the staff guide to the parser. A notice's footer lists the commands
that SPEC 4 lets run on the ticket in its state (E8 `#eskalasi` from open, answered or resolved;
E12a `#permintaan-data` while escalated or waiting for data; ...), none that would be refused,
and points to the guide for the rest.
"""

from __future__ import annotations

import re

import pytest

from mailbot.core.commands import NAMES, parse_commands
from mailbot.io.render import Renderer
from tests.test_templates import render

# Mail that ends with the footer's list, and the error mail's full list.
FOOTED = ("staff_new", "staff_alert", "overdue_staff", "assigned", "intake_opened", "staff_lkpp", "coordinator_case",
         "head_case")


def _listed(text: str, start: str) -> set[str]:
    """The `#words` of the list that begins at the line starting with `start`."""
    index = text.index(start)
    return {m.lower() for m in re.findall(r"#[\w-]+", text[index:])}


def _spoken(language: str) -> set[str]:
    """The spelling of each command a mail of that language is expected to name: Indonesian
    mail the first (Indonesian) spelling, English mail the English one."""
    index = 1 if language == "en" else 0
    return {"#" + (names[index] if len(names) > index else names[0]) for names in NAMES.values()}


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_refusal_about_no_ticket_lists_every_command_the_parser_acts_on_and_no_other(language):
    """With no ticket to read a state from, the error mail's list is every command the parser acts on."""
    text = render(Renderer(), "command_error", language, number="-", state="")
    head = "Perintah yang tersedia" if language == "id" else "Available commands"
    listed = _listed(text, head)
    for word in listed:  # the parser knows each (it may want an argument, but the word is a command)
        assert not any(e.code == "unknown_command" for e in parse_commands(word).errors), word
    assert listed == _spoken(language)
    assert {"#jawab", "#jawab-seperti", "#kirim-tanda-terima"} <= listed or language == "en"


# What SPEC 4's rows let run in each state (the E-rows' "from" states), in Indonesian spellings;
# with an LKPP answer on the ticket and a requester who reads mail. `#buka`/`#batal` answer a held
# form's mail only; `#kirim-tanda-terima` only where an ack waits; `#jawab-seperti` beside solved cases.
ALWAYS = {"#catatan", "#prioritas", "#kategori", "#tugaskan", "#data", "#jawab", "#riwayat"}
BY_STATE = {
    "open": ALWAYS | {"#eskalasi", "#selesai", "#tutup", "#teruskan", "#koordinator", "#lpse-support",
                      "#lapor-kepala", "#minta-data"},
    "answered": ALWAYS | {"#eskalasi", "#selesai", "#tutup", "#teruskan", "#koordinator", "#lpse-support",
                          "#lapor-kepala", "#minta-data"},
    "escalated": ALWAYS | {"#selesai", "#tutup", "#teruskan", "#permintaan-data", "#koordinator", "#lpse-support",
                           "#lapor-kepala"},
    "awaiting_info": ALWAYS | {"#selesai", "#tutup", "#teruskan", "#permintaan-data", "#koordinator",
                               "#lpse-support", "#lapor-kepala"},
    "resolved": ALWAYS | {"#eskalasi", "#tutup", "#teruskan", "#koordinator", "#lpse-support", "#lapor-kepala"},
    "closed": ALWAYS,
}


def _footer(text: str) -> set[str]:
    return _listed(text, "Perintah yang dapat dipakai sekarang") - _listed(text, "Semua perintah beserta contohnya")


@pytest.mark.parametrize("state", sorted(BY_STATE))
@pytest.mark.parametrize("kind", FOOTED)
def test_every_notice_footer_lists_the_commands_its_tickets_state_lets_run(kind, state):
    text = render(Renderer(), kind, "id", state=state)
    listed = _footer(text)
    for word in listed:
        assert not any(e.code == "unknown_command" for e in parse_commands(word).errors), word
    assert listed == BY_STATE[state], (kind, state, sorted(listed ^ BY_STATE[state]))


@pytest.mark.parametrize("state", sorted(BY_STATE))
def test_a_refusal_on_a_ticket_lists_the_commands_that_apply_to_it_now(state):
    """"Perintah ditolak" on a ticket lists what would run on it now, as its notices do: never
    `#buka` or `#batal` (a held form's answers), `#kirim-tanda-terima` with no acknowledgement
    waiting, `#eskalasi` on an escalated ticket or `#teruskan` on a closed one."""
    text = render(Renderer(), "command_error", "id", state=state,
                  errors=["#hapus bukan perintah yang dikenal"])
    assert "Perintah yang tersedia" not in text
    assert _footer(text) == BY_STATE[state], (state, sorted(_footer(text) ^ BY_STATE[state]))
    assert not {"#buka", "#batal", "#kirim-tanda-terima"} & _footer(text)


def test_what_a_command_needs_besides_the_state():
    """No LKPP answer: nothing to pass on (E12 refuses it); a caller without e-mail cannot be asked
    for documents; an ack waiting for staff, and solved cases shown alike, add their commands."""
    bare = _footer(render(Renderer(), "staff_new", "id", state="escalated", situation=[]))
    assert bare == BY_STATE["escalated"] - {"#teruskan", "#permintaan-data"}
    assert "#minta-data" not in _footer(render(Renderer(), "staff_new", "id", state="open", situation=[]))
    waiting = _footer(render(Renderer(), "staff_new", "id", state="open", ack_unsent="ack_awaits_staff",
                             ack_unsent_reason="60 per jam"))
    assert waiting == BY_STATE["open"] | {"#kirim-tanda-terima"}
    held = _footer(render(Renderer(), "staff_new", "id", state="open", ack_unsent="ack_held",
                          ack_unsent_reason="60 per jam", ack_until="10:15"))
    assert held == BY_STATE["open"]  # it goes by itself: nothing for staff to send
    alike = _footer(render(Renderer(), "staff_new", "id", state="open",
                           similar=[{"number": "2026-00012", "subject": "Lupa password", "solved": "12-11-2026",
                                     "solution": "Gunakan menu Lupa Password."}]))
    assert alike == BY_STATE["open"] | {"#jawab-seperti"}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_footer_says_the_tickets_state_priority_category_and_next_deadlines(language):
    text = render(Renderer(), "staff_new", language, state="open", priority="high", category="pengaduan",
                  deadlines=[{"kind": "first_response", "at": "2026-11-24T11:00:00+07:00", "past": False},
                             {"kind": "resolution", "at": "2026-11-27T10:00:00+07:00", "past": False}])
    said = ({"Tiket 2026-00042 saat ini: Terbuka, prioritas Tinggi, kategori Pengaduan.",
             "Batas waktu tanggapan pertama: Selasa, 24 November 2026 11:00 WIB",
             "Batas waktu penyelesaian (3x24 jam): Jumat, 27 November 2026 10:00 WIB"} if language == "id" else
            {"Ticket 2026-00042 now: Open, priority High, category Complaint.",
             "Deadline for the first response: Tuesday, 24 November 2026 11:00 WIB",
             "Deadline for resolution (3x24 hours): Friday, 27 November 2026 10:00 WIB"})
    assert said <= set(text.splitlines()), text
    past = render(Renderer(), "overdue_staff", language,
                  deadlines=[{"kind": "first_response", "at": "2026-11-24T11:00:00+07:00", "past": True}])
    assert ("Batas waktu tanggapan pertama sudah lewat: Selasa, 24 November 2026 11:00 WIB" if language == "id" else
            "Deadline for the first response passed: Tuesday, 24 November 2026 11:00 WIB") in past.splitlines()


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_footer_says_a_stopped_clock_with_what_is_left_and_when_a_waiting_ticket_closes(language):
    """SPEC 6 `resolution`: paused while the requester's documents are awaited; `awaiting_info`:
    reminded after 2 working days, closed after 5."""
    text = render(Renderer(), "command_ok", language, state="awaiting_info",
                  deadlines=[{"kind": "awaiting_info", "at": "2026-11-25T10:00:00+07:00", "past": False,
                              "closes_at": "2026-11-30T10:00:00+07:00"},
                             {"kind": "resolution", "at": "", "past": False, "stopped": True, "left_minutes": 4260}])
    said = ({"Batas waktu data dari pengguna: Rabu, 25 November 2026 10:00 WIB",
             "  tanpa itu, tiket ditutup otomatis: Senin, 30 November 2026 10:00 WIB",
             "Batas waktu penyelesaian (3x24 jam): berhenti selama data dari pengguna ditunggu (sisa 71 jam)"}
            if language == "id" else
            {"Deadline for the requester's data: Wednesday, 25 November 2026 10:00 WIB",
             "  without it, the ticket closes by itself: Monday, 30 November 2026 10:00 WIB",
             ("Deadline for resolution (3x24 hours): stopped while the requester's data is awaited "
              "(71 hours left)")})
    assert said <= set(text.splitlines()), text
    assert "LKPP" not in text.split("Perintah" if language == "id" else "Commands")[0]
