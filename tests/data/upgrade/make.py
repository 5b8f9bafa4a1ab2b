"""Make an upgrade fixture: the database an older landed mailbot wrote, by that mailbot itself.

Run from this repository (see README.md beside this file):

    git worktree add --detach /tmp/old-4ecd155 4ecd155
    PYTHONPATH=/tmp/old-4ecd155:EXTRA .venv/bin/python tests/data/upgrade/make.py /tmp/old-4ecd155 4ecd155

EXTRA holds what the old code imported and today's environment lacks (`pip install --target
EXTRA mail-parser schedule`). The script imports only the old commit's own modules (its
`mailbot`, its `tests/mailfactory.py` and its local Dovecot + aiosmtpd servers), drives that
mailbot over real servers as its own tests did (`run --once` after each message) and writes
`COMMIT.sql` (the database as `sqlite3 .dump` prints it) and `COMMIT.key` (its Message-ID
signing key, made for this fixture only) beside this file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
old_root, commit = Path(sys.argv[1]).resolve(), sys.argv[2]
# today's editable install would answer `import mailbot` before PYTHONPATH is read
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE.parents[2]]
sys.path.insert(0, str(old_root))
os.chdir(old_root)

from mailbot import cli
from tests.conftest import CATCHALL, USERS
from tests.mailfactory import LKPP, STAFF, UNIT, mail, parse, reply_as_client, write_config

try:
    from tests.localmail import LocalMailServers  # type: ignore[import-not-found]
except ImportError:  # 4ecd155 kept them in the package
    from mailbot.localmail import LocalMailServers  # type: ignore[import-not-found,no-redef]

assert Path(cli.__file__).resolve().is_relative_to(old_root), cli.__file__

BUDI, SARI = "budi@vendor.test", "sari@dinas.test"
LKPP_NUMBER = "2026112410000017"  # LKPP's desk (OTRS) names its own ticket so

with tempfile.TemporaryDirectory() as name:
    tmp = Path(name)
    with LocalMailServers(tmp / "servers", USERS, catchall=CATCHALL) as servers:
        # Not a test: the generator plays a ticket's whole life (escalation, relays, answers,
        # reminders) in under a minute, where a real ticket spreads it over days; at the default
        # per-ticket hourly limit (10, SPEC 5) the old mailbot would hold mail the fixture's
        # database must record as sent. The limit itself is tested by tests/test_reliability_limits.py.
        config = write_config(servers, tmp, limits={"ticket_mails_per_hour": 100})

        def deliver(raw: bytes) -> None:
            servers.append(UNIT, raw)
            assert cli.main(["--config", str(config), "run", "--once"]) == 0

        def latest(user: str):  # type: ignore[no-untyped-def]
            return parse(servers.fetch(user)[-1])

        # 2026-00001: escalated (SOP-015 step 1), LKPP's desk acknowledged it with its number
        deliver(mail(BUDI, "Gagal upload dokumen penawaran tender 12345",
                     "Selamat siang,\nsaat upload dokumen penawaran muncul error 500.\n\n"
                     "Nama: Budi Santoso\nPerusahaan: PT Maju Jaya\nHP: 0812-3456-7890", name="Budi Santoso")[0])
        deliver(reply_as_client(latest(STAFF[0]), STAFF[0], "#eskalasi\nError 500 di server SPSE, mohon dicek.")[0])
        escalation = latest(LKPP)
        deliver(mail(LKPP, f"[Ticket#{LKPP_NUMBER}] {escalation['Subject']}",
                     f"Yth. Helpdesk LPSE,\n\nPermintaan Anda telah kami terima dengan nomor tiket #{LKPP_NUMBER}.\n"
                     "Mohon menunggu, tim kami akan segera menindaklanjuti.\n\nHelpdesk LKPP",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"))[0])
        # 2026-00002: answered by staff, confirmed by the requester: closed
        deliver(mail(SARI, "Lupa password akun SPSE", "Selamat pagi, saya lupa password akun SPSE saya.\n\nSari")[0])
        deliver(reply_as_client(latest(STAFF[0]), STAFF[0],
                                "#selesai\nPassword sudah kami reset, silakan cek email Anda.")[0])
        deliver(reply_as_client(latest(SARI), SARI, "YA 5\nTerima kasih, sudah bisa masuk.")[0])
        # 2026-00003: acked, not answered yet: open
        deliver(mail(SARI, "Jadwal tender berubah", "Mengapa jadwal tender 67890 berubah tanpa pemberitahuan?")[0])
        # 2026-00004: escalated, LKPP's desk has not answered yet
        deliver(mail(BUDI, "Tidak bisa login SPSE versi 4.5", "Saat login muncul pesan 'user tidak ditemukan'.",
                     name="Budi Santoso")[0])
        deliver(reply_as_client(latest(STAFF[1]), STAFF[1], "#eskalasi\nAkun ada di ADP, mohon dicek.")[0])

        db = Path(str(config.parent / "mailbot.db"))
        conn = sqlite3.connect(db)
        states = conn.execute("select number, state, lkpp_ticket from tickets order by number").fetchall()
        assert states == [("2026-00001", "escalated", LKPP_NUMBER), ("2026-00002", "closed", None),
                          ("2026-00003", "open", None), ("2026-00004", "escalated", None)], states
        (HERE / f"{commit}.sql").write_text("\n".join(conn.iterdump()) + "\n")
        conn.close()
        shutil.copyfile(tmp / "secret.key", HERE / f"{commit}.key")
        print(commit, states)
