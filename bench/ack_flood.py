"""Acks that floods cannot deny: an hour of unauthenticated mail, 60 or 600 of
it, with authenticated new requesters among it, through the real Dovecot and SMTP.

The private servers of tests/localmail.py; mailbot handles the INBOX and sends its outbox
as the daemon's pass does (`App.poll_all`, `App.flush_outbox`), on a clock the bench
moves one minute a pass, so an hour of traffic takes the minutes its handling costs and
not an hour. Each minute: the flood's share of the hour (1 or 10 mails from new domains
the unit's server marks `dmarc=none`), and every fifth minute one new requester whose
mail it marks aligned `dmarc=pass` (`auth.mode: token` with `trusted_authserv_id`).

Figures, each next to its anchor from the same run:
* authenticated requesters acked within the minute they wrote (the anchor: all of them,
  the issue's "within a minute"), and the largest delay in the bench's minutes;
* the wall time of a pass that handles one authenticated requester's mail beside the
  flood (its real-time delay in a daemon), against a pass with no flood;
* the flood's acks: sent within the hour, held (they go later by themselves), waiting for staff.

And two things the flood rules must tell apart (`--morning`):
* an outage morning: 300 requesters of one webmail domain over three hours, vouched for by
  its DMARC, a third of them copying one long text passed round a group chat, read by a
  pass a minute: acked at once, acked after the responder test's wait, not acked (the
  anchor: all 300 acked);
* a ticket desk answering each ack from a new address of its domain, citing nothing, 20 s
  after each ack: the rounds it got to and the acks it was sent (the anchor: 30 rounds
  answered before responders citing nothing were recognised).

Run: .venv/bin/python bench/ack_flood.py [--rates 60,600] [--morning]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io import logs
from tests.conftest import CATCHALL, USERS, empty_mailbox
from tests.localmail import LocalMailServers
from tests.mailfactory import UNIT, mail, write_config

SERVER = "mx.lpse.test"
START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def header(sender: str, verdict: str) -> dict[str, str]:
    return {"Authentication-Results": f"{SERVER}; dmarc={verdict} header.from={sender.rpartition('@')[2]}"}


def one_pass(config: Path, moment: datetime) -> float:
    started = time.perf_counter()
    app = App(load_config(config), clock=lambda: moment)
    app.poll_all()
    app.flush_outbox()
    app.store.close()
    return time.perf_counter() - started


def hour(servers: LocalMailServers, tmp: Path, rate: int) -> dict[str, object]:
    for user in servers.users:
        empty_mailbox(servers, user)
    run = tmp / f"rate{rate}"
    run.mkdir()
    config = write_config(servers, run, auth={"mode": "token", "trusted_authserv_id": SERVER},
                          log={"format": "console", "level": "error"})
    per_minute = max(1, rate // 60)
    arrived: dict[str, datetime] = {}
    passes_with_requester: list[float] = []
    n = 0
    for minute in range(60):
        moment = START + timedelta(minutes=minute)
        for _ in range(per_minute):
            sender = f"info{n}@flood{n}.test"
            n += 1
            servers.append(UNIT, mail(sender, f"Penawaran {n}", f"Produk nomor {n} harga khusus.",
                                      headers=header(sender, "none"))[0])
        if minute % 5 == 0:
            requester = f"pemohon{minute}@penyedia{minute}.test"
            servers.append(UNIT, mail(requester, "Tidak bisa login SPSE", "Akun saya terkunci.",
                                      headers=header(requester, "pass"))[0])
            arrived[requester] = moment
            passes_with_requester.append(one_pass(config, moment))
        else:
            one_pass(config, moment)
    db = sqlite3.connect(load_config(config).database)
    rows = db.execute("select rcpt, sent_at, held, status from outbox where kind = 'ack'").fetchall()
    sent = {r[0].strip('[]"'): r[1] for r in rows if r[1]}
    delays = []
    for requester, at in arrived.items():
        when = sent.get(requester)
        delays.append((datetime.fromisoformat(when) - at).total_seconds() if when else float("inf"))
    flood = [r for r in rows if "@flood" in r[0]]
    waits = db.execute("select count(*) from events where kind = 'ack_awaits_staff'").fetchone()[0]
    db.close()
    return {"rate": rate, "requesters": len(arrived), "within_minute": sum(d < 60 for d in delays),
            "max_delay_s": max(delays), "pass_p50": statistics.median(passes_with_requester),
            "pass_max": max(passes_with_requester), "flood": n, "flood_sent": sum(1 for r in flood if r[1]),
            "flood_held": sum(1 for r in flood if r[2] and not r[1]), "flood_waits": waits}


def anchor(servers: LocalMailServers, tmp: Path) -> float:
    """The wall time of a pass with one authenticated requester's mail and no flood."""
    for user in servers.users:
        empty_mailbox(servers, user)
    run = tmp / "anchor"
    run.mkdir()
    config = write_config(servers, run, auth={"mode": "token", "trusted_authserv_id": SERVER},
                          log={"format": "console", "level": "error"})
    times = []
    for minute in range(5):
        requester = f"pemohon{minute}@penyedia{minute}.test"
        servers.append(UNIT, mail(requester, "Tidak bisa login SPSE", "Akun saya terkunci.",
                                  headers=header(requester, "pass"))[0])
        times.append(one_pass(config, START + timedelta(minutes=minute)))
    return statistics.median(times)


PASSED_ROUND = ("Yth. Admin LPSE, kami para penyedia tidak dapat login ke aplikasi SPSE sejak pukul 07.00 WIB. "
                "Muncul pesan kesalahan dan halaman kembali ke awal. Mohon bantuan segera karena batas akhir "
                "pemasukan penawaran hari ini. Terima kasih.")
CANNED = ("Terima kasih telah menghubungi layanan pelanggan kami. Pesan Anda telah kami terima dengan nomor kasus "
          "{n} dan akan ditindaklanjuti oleh tim kami dalam waktu 2x24 jam kerja. Mohon tidak membalas email ini.")


def _fresh(servers: LocalMailServers, tmp: Path, name: str) -> Path:
    for user in servers.users:
        empty_mailbox(servers, user)
    run = tmp / name
    run.mkdir()
    return write_config(servers, run, auth={"mode": "token", "trusted_authserv_id": SERVER},
                        log={"format": "console", "level": "error"})


def _acks(config: Path) -> list[tuple[str, str | None, datetime]]:
    """(recipient, sent_at, queued) of every ack in the outbox."""
    db = sqlite3.connect(load_config(config).database)
    rows = db.execute("select rcpt, sent_at, created_at from outbox where kind = 'ack' order by id").fetchall()
    db.close()
    return [(r[0].strip('[]"'), r[1], datetime.fromisoformat(r[2])) for r in rows]


def morning(servers: LocalMailServers, tmp: Path, count: int = 300) -> dict[str, int]:
    """The outage morning: how many were acked within two minutes, later, not at all."""
    import random

    config = _fresh(servers, tmp, "morning")
    rng = random.Random(67)
    arrivals = sorted(START + timedelta(seconds=rng.uniform(0, 3 * 3600)) for _ in range(count))
    came: dict[str, datetime] = {}
    minute = START
    for n, when in enumerate(arrivals):
        while when > minute + timedelta(minutes=1):
            minute += timedelta(minutes=1)
            one_pass(config, minute)
        person = f"penyedia{n}@gmail.test"
        text = PASSED_ROUND if n % 3 == 0 else f"Mohon bantuan, akun {n} tidak bisa login sejak pagi."
        servers.append(UNIT, mail(person, "Tidak bisa login", text, headers=header(person, "pass"), date=when)[0],
                       msg_time=when)
        came[person] = when
    for extra in (1, 20):
        one_pass(config, minute + timedelta(minutes=extra))
    sent = {rcpt: datetime.fromisoformat(at) for rcpt, at, _ in _acks(config) if at}
    quick = sum(1 for p, t in came.items() if p in sent and sent[p] - t <= timedelta(minutes=2))
    return {"people": count, "quick": quick, "later": sum(1 for p in came if p in sent) - quick,
            "never": sum(1 for p in came if p not in sent)}


def desk(servers: LocalMailServers, tmp: Path, most: int = 30) -> dict[str, int]:
    """The rotating desk: the rounds it played and the acks it was sent before it stopped."""
    config = _fresh(servers, tmp, "desk")
    clock = START
    first = "andi@desk.test"
    servers.append(UNIT, mail(first, "Pertanyaan jadwal", "Kapan jadwal pembukaan paket 1001?",
                              headers=header(first, "pass"), date=clock)[0], msg_time=clock)
    one_pass(config, clock)
    answered: set[str] = set()
    rounds = 0
    while rounds < most:
        waiting = [(r, at) for r, at, _ in _acks(config) if at and r not in answered]
        if not waiting:
            clock += timedelta(minutes=16)  # a held ack goes at a later pass
            one_pass(config, clock)
            waiting = [(r, at) for r, at, _ in _acks(config) if at and r not in answered]
            if not waiting:
                break
        rcpt, at = waiting[0]
        answered.add(rcpt)
        rounds += 1
        arrival = datetime.fromisoformat(at) + timedelta(seconds=20)
        sender = f"cs{rounds}@desk.test"
        servers.append(UNIT, mail(sender, f"Kasus {4700 + rounds} telah dibuat", CANNED.format(n=4700 + rounds),
                                  headers=header(sender, "pass"), date=arrival)[0], msg_time=arrival)
        clock = arrival + timedelta(seconds=10)
        one_pass(config, clock)
    return {"rounds": rounds, "acks": sum(1 for r, at, _ in _acks(config) if at and r.startswith("cs"))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="60,600")
    parser.add_argument("--morning", action="store_true", help="the outage morning and the rotating desk")
    args = parser.parse_args()
    logs.configure("console", "error")
    with (tempfile.TemporaryDirectory() as tmp,
          LocalMailServers(Path(tmp) / "mail", USERS, catchall=CATCHALL) as servers):
        if args.morning:
            m = morning(servers, Path(tmp))
            print(f"outage morning: {m['people']} requesters of gmail.test over three hours, a third in one copied "
                  f"text: {m['quick']} acked within two minutes, {m['later']} later, {m['never']} not acked "
                  f"(anchor: {m['people']} acked)")
            d = desk(servers, Path(tmp))
            print(f"rotating desk: {d['rounds']} rounds played, {d['acks']} acks sent to its rotating addresses "
                  f"(anchor: 30 rounds, 30 acks when nothing recognised it)")
        base = anchor(servers, Path(tmp))
        print(f"anchor: a pass with one authenticated requester and no flood: {base:.2f} s (median of 5)")
        for rate in (int(r) for r in args.rates.split(",")):
            r = hour(servers, Path(tmp), rate)
            print(f"{rate:>4} unauthenticated mails an hour, {r['requesters']} authenticated requesters: "
                  f"{r['within_minute']}/{r['requesters']} acked within the minute they wrote "
                  f"(anchor: {r['requesters']}/{r['requesters']}), "
                  f"largest delay {r['max_delay_s']:.0f} s of bench time; "
                  f"their pass {r['pass_p50']:.2f} s median, {r['pass_max']:.2f} s max wall (anchor {base:.2f} s)")
            print(f"      flood: {r['flood']} mails, {r['flood_sent']} acks sent within the hour, "
                  f"{r['flood_held']} held to go later by themselves, {r['flood_waits']} waiting for staff "
                  f"(anchor: limits.acks_per_hour = 60)")


if __name__ == "__main__":
    main()
