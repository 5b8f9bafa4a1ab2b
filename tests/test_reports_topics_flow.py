"""The monthly summary sent over real servers carries "Permasalahan yang sering
muncul" with the month's groups of alike requests.

Nine requests of November 2025 from nine requesters reach the unit's mailbox on Dovecot
and are handled by the daemon's code with a fixed clock; four ask where the bid security
goes, three that the login captcha does not show (one with markup in its subject), two
are one-offs. `mailbot report summary --send` mails the summary through the SMTP server
on loopback, read back from the head's INBOX. The texts are the labelled set's
(tests/data/similar_cases, held-out topics), whose topics say which belong together.
"""

from __future__ import annotations

import html as htmllib
import re

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests.mailfactory import mail, parse
from tests.test_reports_flow import HEAD, at, deliver, env, report  # noqa: F401 (a fixture)

JAMINAN = [
    ("jaminan penawaran", "Jaminan penawaran dari bank kami unggah di bagian mana di SPSE?"),
    ("Upload jaminan penawaran", "Di mana kami mengunggah jaminan penawaran asli dari bank?"),
    ("jaminan penawaran dimana", "file jaminan penawaran diupload dimana ya"),
    ("Bid security upload", "Where do we upload the bid security (jaminan penawaran)?"),
]
CAPTCHA = [
    ("captcha hilang", "Di halaman login captcha nya tidak keluar, jadi tidak bisa masuk."),
    ("Captcha <b>tidak</b> muncul & login gagal",
     "Gambar captcha di halaman login tidak muncul sehingga tidak bisa login."),
    ("Tidak bisa login dari HP", "Login SPSE dari HP tidak bisa, captcha tidak tampil."),
]
ONE_OFFS = [
    ("Statistik pengadaan", "Kami mahasiswa, bisa minta data statistik jumlah tender tahun lalu?"),
    ("lowongan kerja", "Selamat siang, apakah LPSE sedang membuka lowongan tenaga honorer?"),
]


def test_the_summary_mail_lists_the_months_recurring_problems(env):  # noqa: F811
    servers, config = env
    requests = [*JAMINAN[:2], *CAPTCHA[:1], *ONE_OFFS[:1], *JAMINAN[2:], *CAPTCHA[1:], *ONE_OFFS[1:]]
    for n, (subject, text) in enumerate(requests):
        raw, _ = mail(f"penyedia{n}@vendor{n}.test", subject, text)
        deliver(servers, config, raw, at(f"2025-11-{3 + n:02d}T09:00"))
    store = Store(load_config(config).database)
    number_of = {t.subject: t.number for t in store.search.tickets()}
    store.close()
    assert len(number_of) == 9

    report(config, "summary", "--month", "2025-11", "--send")
    [summary] = [m for m in (parse(r) for r in servers.fetch(HEAD)) if m["X-Mailbot-Kind"] == "monthly_summary"]
    text_part, related = summary.get_payload()[0].get_payload()
    plain, page = text_part.get_content(), related.get_payload()[0].get_content()

    rows = plain.splitlines()
    start = rows.index("PERMASALAHAN YANG SERING MUNCUL") + 1
    lines = rows[start:rows.index("", start)]
    assert len(lines) == 2, plain
    for line, count, topic in zip(lines, (4, 3), (JAMINAN, CAPTCHA), strict=True):
        match = re.fullmatch(r"- (\d+) tiket, contoh (\S+): (.*)", line)
        assert match, line
        assert int(match[1]) == count
        assert match[3] in {s for s, _ in topic}
        assert match[2] == number_of[match[3]]
        assert f"<td>{match[2]}</td><td>{htmllib.escape(match[3], quote=True).replace('&#x27;', '&#39;')}</td>" in page
    assert "<h2>Permasalahan yang sering muncul</h2>" in page
    assert "<b>tidak</b>" not in page
