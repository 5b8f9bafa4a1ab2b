"""A desk at a real size for the window's tests, played through the suite's Dovecot and SMTP.

A unit's last week and a half, as mail: on Monday 9 November 2026 three requesters write;
staff escalate two cases to LKPP (recording LPSE Support's number for one), LKPP answers
one once (quoting its escalation key) and then stays silent, nobody answers the third (a mail with two files), and the
timers run each evening (`sweep`) so that LKPP is asked for its status and reminded, and
staff are told each working day of the unanswered one. On Monday 16 November 70 requesters
write between 08:00 and 09:09; staff answer one, assign one (`#tugaskan`) and solve one;
on Tuesday 60 more write between 08:00 and 08:59, none of them about an offer that cannot be
sent (the rules' high priority, answered within the hour). The desk is read on Tuesday 17
November at 10:00 WIB (`NOW`): Monday's unanswered are past their first answer (4 working
hours, 1 for an offer), Tuesday's are not yet; the three of the week before are past their
deadlines.

`Played` holds what the tests expect, written from that story: which tickets are late and
which not, who holds which, the files, what LKPP owes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests import mailfactory as mf
from tests.localmail import LocalMailServers
from tests.webwindow import free_port, web_block

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=WIB)  # Tuesday
WEEK_BEFORE = datetime(2026, 11, 9, 9, 0, tzinfo=WIB)  # Monday
MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=WIB)
TUESDAY = datetime(2026, 11, 17, 8, 0, tzinfo=WIB)
NAMES = {mf.STAFF[0]: "Andi Pratama", mf.STAFF[1]: "Siti Rahma"}
PROBLEMS = ("Tidak bisa mengunggah dokumen penawaran", "Akun penyedia terkunci", "Jadwal tender tidak tampil",
            "Lupa kata sandi", "Apendo tidak bisa membuka file", "Tidak menerima email aktivasi")
HOSTILE = '=HYPERLINK("http://contoh.test","klik") \x1b]52;c;Y3VybA==\x07 \u202efdp.exe'
DOCX = b"PK\x03\x04" + bytes(range(256)) * 3  # a file's bytes as they came, whatever they are
FILES = (("penawaran paket 12345.pdf", "application/pdf", mf.PDF),
         ("surat kuasa.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DOCX))
LPSE_SUPPORT = "88123"
LKPP_WORD = "Sedang kami periksa bersama tim aplikasi SPSE."


def number(n: int) -> str:
    return f"2026-{n:05d}"


@dataclass
class Played:
    servers: LocalMailServers
    config: Path
    port: int
    late: set[str] = field(default_factory=set)  # tickets past a deadline at NOW
    not_late: set[str] = field(default_factory=set)  # unclosed, none passed yet
    held: dict[str, set[str]] = field(default_factory=dict)  # staff address -> tickets they hold
    subjects: dict[str, str] = field(default_factory=dict)
    escalation_key: str = ""  # the second case's, as LKPP quotes it back

    @property
    def escalated(self) -> tuple[str, str]:
        return number(1), number(2)

    @property
    def with_files(self) -> str:
        return number(3)

    @property
    def hostile(self) -> str:
        return number(4)


def play(servers: LocalMailServers, tmp: Path) -> Played:
    port = free_port()
    box = {**mf.mailbox_block(servers), "display_name": "Helpdesk LPSE Kota Batam", "staff_names": NAMES}
    config = mf.write_config(servers, tmp, web=web_block(port), mailboxes=[box])
    played = Played(servers, config, port)
    _week_before(played)
    _monday(played)
    _tuesday(played)
    return played


def _write(played: Played, n: int, sender: str, subject: str, body: str, at: datetime, files: tuple = ()) -> None:
    played.subjects[number(n)] = subject
    raw, _ = mf.mail(sender, subject, body, date=at, attachments=files)
    played.servers.append(mf.UNIT, raw, msg_time=at)


def _notice(played: Played, n: int) -> object:
    subject = played.subjects[number(n)]
    notices = mf.of_kind(mf.inbox(played.servers, mf.STAFF[0]), "staff_new")
    return next(m for m in notices if subject in str(m["Subject"]))


def _staff_says(played: Played, n: int, who: str, text: str) -> None:
    played.servers.append(mf.UNIT, mf.reply_as_client(_notice(played, n), who, text)[0])


def _week_before(played: Played) -> None:
    _write(played, 1, "budi@vendor.test", "Gagal kirim penawaran tender 4455", "Error 500 saat kirim penawaran.",
           WEEK_BEFORE)
    _write(played, 2, "sari@dinas.test", "Paket tidak muncul di daftar tender", "Paket 7788 tidak tampil.",
           WEEK_BEFORE + timedelta(minutes=10))
    _write(played, 3, "rina@vendor.test", "Dokumen penawaran tidak terbaca", "Terlampir dokumen kami.",
           WEEK_BEFORE + timedelta(minutes=20), FILES)
    mf.handle_at(played.config, WEEK_BEFORE + timedelta(minutes=25))
    for n in (1, 2):
        _staff_says(played, n, mf.STAFF[0], "#eskalasi\nDi luar kewenangan LPSE, mohon dibantu.")
    mf.handle_at(played.config, WEEK_BEFORE + timedelta(minutes=45))
    _staff_says(played, 1, mf.STAFF[0], f"#lpse-support {LPSE_SUPPORT} dicatat di LPSE Support")
    mf.handle_at(played.config, WEEK_BEFORE + timedelta(hours=1))
    escalation = next(m for m in mf.of_kind(mf.inbox(played.servers, mf.LKPP), "escalate")
                      if played.subjects[number(2)] in str(m["Subject"]))
    played.escalation_key = re.search(r"\[ref:([a-z2-7]+)\]", str(escalation["Subject"]))[1]
    played.servers.append(mf.UNIT, mf.reply_as_client(escalation, mf.LKPP,
                                                     f"{LKPP_WORD}\nRujukan: ref:{played.escalation_key}")[0])
    mf.handle_at(played.config, WEEK_BEFORE + timedelta(days=1, hours=1))
    for day in range(5):  # the timers each evening, Monday to Friday
        mf.sweep(played.config, WEEK_BEFORE + timedelta(days=day, hours=14))
    played.late |= {number(1), number(2), number(3)}
    played.held[mf.STAFF[0]] = {number(1), number(2)}  # who escalated them


def _monday(played: Played) -> None:
    for k in range(70):
        n = 4 + k
        subject = HOSTILE if k == 0 else f"{PROBLEMS[k % len(PROBLEMS)]} (kasus {n})"
        _write(played, n, f"pengguna{n:03d}@vendor.test", subject, "Mohon bantuannya.", MONDAY + timedelta(minutes=k))
    mf.handle_at(played.config, MONDAY + timedelta(minutes=75))
    _staff_says(played, 5, mf.STAFF[0], "Silakan hapus cache peramban lalu coba lagi.")  # answered
    _staff_says(played, 6, mf.STAFF[1], f"#tugaskan {mf.STAFF[0]}")  # assigned, still unanswered
    _staff_says(played, 7, mf.STAFF[1], "#selesai\nAkun sudah kami buka kembali.")  # solved
    mf.handle_at(played.config, MONDAY + timedelta(hours=2))
    played.late |= {number(n) for n in range(4, 74) if n not in (5, 7)}
    played.not_late |= {number(5), number(7)}
    played.held[mf.STAFF[0]] |= {number(5), number(6)}
    played.held[mf.STAFF[1]] = {number(7)}


def _tuesday(played: Played) -> None:
    for k in range(60):
        n = 74 + k
        problem = PROBLEMS[1 + k % (len(PROBLEMS) - 1)]  # none stops an offer (priority.yaml: high, 1 hour)
        _write(played, n, f"pengguna{n:03d}@vendor.test", f"{problem} (kasus {n})", "Mohon bantuannya.",
               TUESDAY + timedelta(minutes=k))
    mf.handle_at(played.config, TUESDAY + timedelta(minutes=65))
    played.not_late |= {number(n) for n in range(74, 134)}
