"""docs/summary.png: the monthly summary of a month seeded through real mail.

Starts the test harness's Dovecot and SMTP server on loopback (tests/localmail.py, as the
demo does), and plays October 2026 of a unit through them with the clock an argument:
requesters write on working days; staff answer, solve, escalate to LKPP, ask the
coordinators for direction or the requester for documents (`#minta-data`) by replying to
mailbot's notices; LKPP, the coordinators and the requesters reply to what mailbot sent
them (`YA 4`); calls and visits come in as consultation forms with their `Nilai`; the
timers run as `sweep` would each evening. Then `report summary` is made as of Monday
2 November 2026 08:00 WIB and Chromium (headless) takes the page's picture.

Every run is the same (a fixed seed, fixed instants). Nothing is kept but the picture.

Run: .venv/bin/python scripts/summary_screenshot.py [--output docs/summary.png] [--html FILE]
Needs: Dovecot (scripts/setup) and Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.localmail

from mailbot.config.load import load_config
from mailbot.core.worktime import WorkCalendar
from mailbot.reports.outputs import run_summary
from mailbot.reports.values import Month
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

ROOT = Path(__file__).resolve().parents[1]
WIB = ZoneInfo("Asia/Jakarta")
# A month past on any day this runs: Dovecot dates a mail appended with a date still to
# come as of its arrival, which would make every "future" requester wait from today.
MONTH = Month(2026, 10)
MADE_AT = datetime(2026, 11, 2, 8, 0, tzinfo=WIB)  # the first working day of November, 08:00
CATCHALL = "catchall@lpse.test"
USERS = (mf.UNIT, *mf.STAFF, mf.COORDINATOR, mf.HEAD, mf.LKPP)
TRUSTED = "mx.lpse.test"  # the unit's server, whose Authentication-Results mailbot believes (SPEC 9)

PROBLEMS = (
    "Tidak bisa mengunggah dokumen penawaran, muncul pesan 'gagal enkripsi'.",
    "Akun penyedia terkunci setelah tiga kali salah kata sandi.",
    "Jadwal tender tidak tampil di halaman paket.",
    "Lupa kata sandi dan email pemulihan sudah tidak aktif.",
    "Apendo tidak bisa membuka file dokumen pengadaan.",
    "Bagaimana cara menambah pengurus perusahaan di SIKaP?",
    "Tidak menerima email aktivasi setelah mendaftar.",
    "Nilai HPS tidak sesuai dengan yang diumumkan.",
    "Sertifikat elektronik kedaluwarsa, bagaimana memperpanjangnya?",
    "Paket tidak muncul di daftar tender yang diikuti.",
)
NAMES = ("Budi Santoso", "Sari Dewi", "Rina Wulandari", "Agus Salim", "Dewi Lestari", "Joko Prasetyo",
         "Putri Ananda", "Hendra Gunawan", "Maya Sari", "Yusuf Hidayat")


class UnitMonth:
    """The unit's month as it happens: events in time order, each handled as it came."""

    def __init__(self, servers: LocalMailServers, config: Path, rng: random.Random) -> None:
        self.servers, self.config, self.rng = servers, config, rng
        self.cal = WorkCalendar.build()
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.order = itertools.count()
        self.cases = itertools.count(1)

    def at(self, moment: datetime, act: Callable[[datetime], None]) -> None:
        heapq.heappush(self.queue, (moment, next(self.order), act))

    def later(self, moment: datetime, working_hours: float) -> datetime:
        return self.cal.add_working_hours(moment, working_hours)

    def run(self) -> None:
        last_sweep: date | None = None
        while self.queue:
            moment, _, act = heapq.heappop(self.queue)
            if moment >= MADE_AT:
                continue
            day = moment.date()
            if last_sweep is not None and day != last_sweep:
                self.sweep(datetime.combine(last_sweep, time(23, 0), tzinfo=WIB))
            last_sweep = day
            act(moment)
        self.sweep(MADE_AT - timedelta(minutes=1))

    def sweep(self, moment: datetime) -> None:
        """The timers as of `moment` (`mailbot sweep --now`), its report line kept quiet."""
        with contextlib.redirect_stdout(io.StringIO()):
            mf.sweep(self.config, moment)

    # --- mail in ---------------------------------------------------------------------

    def arrive(self, raw: bytes, moment: datetime, vouch: str | None = None) -> None:
        msg = mf.parse(raw)
        if vouch is not None:
            domain = vouch.rpartition("@")[2]
            msg["Authentication-Results"] = f"{TRUSTED}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
        self.servers.append(mf.UNIT, msg.as_bytes(), msg_time=moment)
        mf.handle_at(self.config, moment)

    def mail_of(self, user: str, kind: str, subject: str, to: str | None = None) -> EmailMessage | None:
        found = [m for m in mf.of_kind(mf.inbox(self.servers, user), kind)
                 if subject in str(m["Subject"]) and (to is None or to in str(m["To"]))]
        return found[-1] if found else None

    def reply(self, user: str, kind: str, subject: str, sender: str, text: str, moment: datetime,
              to: str | None = None) -> bool:
        original = self.mail_of(user, kind, subject, to)
        if original is None:
            return False
        vouch = None if sender.endswith("@vendor.test") else sender
        self.arrive(mf.reply_as_client(original, sender, text)[0], moment, vouch)
        return True

    # --- a requester's case ------------------------------------------------------------

    def request(self, opened: datetime) -> None:
        k = next(self.cases)
        requester = f"user{k:03d}@vendor.test"
        subject = f"{self.rng.choice(PROBLEMS)[:60]} (kasus {k})"
        name = self.rng.choice(NAMES)
        fate = self.rng.choices(("solve", "slow", "escalate", "documents", "direction"), (55, 10, 15, 12, 8))[0]

        def opened_(moment: datetime) -> None:
            self.arrive(mf.mail(requester, subject, f"Selamat pagi,\n{subject}\nMohon bantuannya.\n\n{name}",
                                date=moment, name=name)[0], moment)
            staff = self.rng.choice(mf.STAFF)
            answer = self.later(moment, self.rng.uniform(0.3, 3.5) if fate != "slow" else self.rng.uniform(5, 14))
            if fate in ("solve", "slow"):
                self.at(answer, lambda m: self.solve(subject, requester, staff, m))
            elif fate == "escalate":
                self.at(answer, lambda m: self.escalate(subject, requester, staff, m))
            elif fate == "documents":
                self.at(answer, lambda m: self.documents(subject, requester, staff, m))
            else:
                self.at(answer, lambda m: self.direction(subject, requester, staff, m))

        self.at(opened, opened_)

    def solve(self, subject: str, requester: str, staff: str, moment: datetime) -> None:
        text = "#selesai\nSilakan hapus cache peramban lalu coba lagi; bila masih gagal, balas email ini."
        if self.reply(staff, "staff_new", subject, staff, text, moment) and self.rng.random() < 0.7:
            self.at(self.later(moment, self.rng.uniform(1, 12)),
                    lambda m: self.reply(CATCHALL, "resolved", subject, requester,
                                         f"YA {self.rng.choice((3, 4, 4, 5, 5))}", m, to=requester))

    def escalate(self, subject: str, requester: str, staff: str, moment: datetime) -> None:
        self.reply(staff, "staff_new", subject, staff, "#eskalasi\nDi luar kewenangan LPSE, mohon dibantu.", moment)
        self.at(self.later(moment, self.rng.uniform(4, 20)),
                lambda m: self.reply(mf.LKPP, "escalate", subject, mf.LKPP,
                                     "Permasalahan sudah kami perbaiki. Silakan dicoba kembali.", m))
        self.at(self.later(moment, self.rng.uniform(22, 30)), lambda m: self.solve(subject, requester, staff, m))

    def documents(self, subject: str, requester: str, staff: str, moment: datetime) -> None:
        self.reply(staff, "staff_new", subject, staff,
                   "#minta-data\nMohon kirimkan scan NIB dan surat kuasa direktur.", moment)
        if self.rng.random() < 0.75:
            answered = moment + timedelta(hours=self.rng.uniform(3, 40))
            self.at(answered, lambda m: self.reply(CATCHALL, "request_info", subject, requester,
                                                   "Berikut NIB dan surat kuasa yang diminta.", m, to=requester))
            self.at(self.later(answered, self.rng.uniform(1, 4)), lambda m: self.solve(subject, requester, staff, m))

    def direction(self, subject: str, requester: str, staff: str, moment: datetime) -> None:
        self.reply(staff, "staff_new", subject, staff, "#koordinator\nPengguna meminta perpanjangan jadwal.", moment)
        given = self.later(moment, self.rng.uniform(1, 10))
        self.at(given, lambda m: self.reply(mf.COORDINATOR, "coordinator_case", subject, mf.COORDINATOR,
                                            "Jadwal tidak dapat diperpanjang; jelaskan ketentuannya.", m))
        self.at(self.later(given, 1), lambda m: self.solve(subject, requester, staff, m))

    # --- a call or a visit ---------------------------------------------------------------

    def call(self, moment: datetime, visit: bool) -> None:
        k = next(self.cases)
        name = self.rng.choice(NAMES)
        form = "\n".join((
            "#datang" if visit else "#telepon", f"Nama: {name}", "Instansi: CV Maju Jaya",
            f"Nomor Antrian: A-{k:03d}" if visit else "Telepon: 0778 462000",
            f"Permasalahan: {self.rng.choice(PROBLEMS)}",
            "Jawaban: Sudah dijelaskan langkah-langkahnya.", f"Nilai: {self.rng.choice((4, 5, 5))}", ""))
        staff = self.rng.choice(mf.STAFF)
        self.at(moment, lambda m: self.arrive(mf.mail(staff, "telepon", form, date=m)[0], m, staff))


def seed(servers: LocalMailServers, config: Path) -> None:
    rng = random.Random(48)
    month = UnitMonth(servers, config, rng)
    day = MONTH.start(WIB).date()
    while day.month == MONTH.month:
        if month.cal.is_working_day(day):
            for _ in range(rng.choice((1, 2, 2, 3))):
                month.request(datetime.combine(day, time(rng.randint(7, 15), rng.randint(0, 59)), tzinfo=WIB))
            if rng.random() < 0.4:
                month.call(datetime.combine(day, time(rng.randint(8, 15), rng.randint(0, 59)), tzinfo=WIB),
                           visit=rng.random() < 0.5)
        elif rng.random() < 0.3:  # a requester writes at the weekend too
            month.request(datetime.combine(day, time(rng.randint(9, 20), 0), tzinfo=WIB))
        day += timedelta(days=1)
    month.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "summary.png")
    parser.add_argument("--html", type=Path, default=None, help="keep the summary page here too")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the month's database and mail here (a new directory)")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("summary_screenshot: needs Chromium (apt-get install chromium)", file=sys.stderr)
        return 69
    with tempfile.TemporaryDirectory(prefix="mailbot-summary-") as work:
        tmp = Path(work) if args.keep is None else args.keep
        tmp.mkdir(parents=True, exist_ok=args.keep is None)
        with LocalMailServers(tmp / "servers", USERS, catchall=CATCHALL) as servers:
            data = mf.config_data(servers, tmp, timezone="Asia/Jakarta",
                                  auth={"mode": "authres", "trusted_authserv_id": TRUSTED})
            data["mailboxes"][0] |= {"display_name": "Helpdesk LPSE Kota Batam",
                                     "staff_names": {mf.STAFF[0]: "Andi Pratama", mf.STAFF[1]: "Siti Rahma"}}
            config = tmp / "config.yaml"
            config.write_text(yaml.safe_dump(data, allow_unicode=True))
            seed(servers, config)
        page = args.html or tmp / "summary.html"
        code = run_summary(load_config(config), MONTH, None, page, False, MADE_AT)
        if code != 0:
            return code
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={args.output.resolve()}", "--window-size=1180,3200",
                        page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image  # matplotlib's own dependency

    with Image.open(args.output) as shot:  # a page of flat colours: 256 of them keep it a third the size
        shot.convert("RGB").quantize(256).save(args.output, optimize=True)
    print(f"summary_screenshot: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
