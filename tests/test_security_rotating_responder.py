"""A ticket desk that answers each of our acks from a new address of its domain (SPEC 5), over
the suite's Dovecot and SMTP in `auth.mode: token` with the unit's server named, mail read
back over IMAP, the clock moved as the daemon's passes would see it.

The red team's machine answered every ack of ours from a new address of its domain, with a
new subject, citing nothing, without Auto-Submitted, in its canned words, within seconds:
30 rounds gave 30 acks, 30 tickets and 30 staff notices and never stopped (its domain's share
of the ack budget bounded it to 48 an hour; vouched for by its domain's DMARC, as here, not even
that). SPEC 5: such a responder is stopped within a few rounds, its tickets grouped, and the
coordinators told once, while crowds of people are still acked (tests/test_security_ack_flood.py,
tests/test_security_rt57_*.py and the outage morning below).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, at, result

DESK = "desk.test"
CANNED = ("Terima kasih telah menghubungi layanan pelanggan kami. Pesan Anda telah kami terima dengan nomor kasus "
          "{n} dan akan ditindaklanjuti oleh tim kami dalam waktu 2x24 jam kerja. Mohon tidak membalas email ini.")
MACHINE = timedelta(seconds=20)  # how long the desk takes to answer an ack: a machine's pace


def _acks_to_domain(servers, domain: str) -> list:  # type: ignore[type-arg]
    """mailbot's acks delivered to addresses of `domain` (the catch-all holds them), in order."""
    return [m for m in mf.inbox(servers, servers.mailbox_for(f"x@{domain}"))
            if m["X-Mailbot-Kind"] == "ack" and m["To"].addresses[0].domain == domain]


def _kinds(servers, user: str, kind: str) -> list:  # type: ignore[type-arg]
    return mf.of_kind(mf.inbox(servers, user), kind)


def _pass(servers, config, moment: datetime, sent_at: dict[str, datetime]) -> list[str]:  # type: ignore[no-untyped-def]
    """The daemon's pass at `moment`; the acks it sent to the desk's domain noted as sent then.
    The addresses acked so far, in order."""
    mf.handle_at(config, moment)
    acks = _acks_to_domain(servers, DESK)
    sent_at.update({m["Message-ID"]: moment for m in acks if m["Message-ID"] not in sent_at})
    return [m["To"].addresses[0].addr_spec for m in acks]


def test_a_desk_answering_each_ack_from_a_new_address_is_stopped_grouped_and_told_once(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    clock = at("2026-11-23T09:00")
    first = f"andi@{DESK}"  # someone at the desk's company writes once; the desk's machine answers our ack
    servers.append(mf.UNIT, mf.mail(first, "Pertanyaan jadwal", "Kapan jadwal pembukaan penawaran paket 1001?",
                                    headers=result(first, "pass"), date=clock)[0], msg_time=clock)
    sent_at: dict[str, datetime] = {}
    _pass(servers, config, clock, sent_at)
    answered: set[str] = set()
    rounds = 0
    while rounds < 30:
        waiting = [m for m in _acks_to_domain(servers, DESK) if m["Message-ID"] not in answered]
        if not waiting:  # an ack may be held: the daemon's next passes would send it
            clock += timedelta(minutes=16)
            _pass(servers, config, clock, sent_at)
            waiting = [m for m in _acks_to_domain(servers, DESK) if m["Message-ID"] not in answered]
            if not waiting:
                break  # nothing left for the machine to answer: the loop stopped
        ack = waiting[0]
        answered.add(ack["Message-ID"])
        rounds += 1
        arrival = sent_at[ack["Message-ID"]] + MACHINE
        sender = f"cs{rounds}@{DESK}"
        servers.append(mf.UNIT, mf.mail(sender, f"Kasus {4700 + rounds} telah dibuat", CANNED.format(n=4700 + rounds),
                                        headers=result(sender, "pass"), date=arrival)[0], msg_time=arrival)
        clock = arrival + timedelta(seconds=10)
        _pass(servers, config, clock, sent_at)
    rotated = [f"cs{n}@{DESK}" for n in range(1, rounds + 1)]
    acked = [m["To"].addresses[0].addr_spec for m in _acks_to_domain(servers, DESK)]
    assert rounds <= 5, rounds  # stopped within a few rounds (before: 30 of 30 answered)
    assert len([a for a in acked if a in rotated]) <= 3 and rounds == len([a for a in acked if a in rotated]) + 1

    store = mf.store_of(config)
    try:
        tickets = {t.requester.addr: t for t in store.search.tickets()}
        assert set(tickets) == {first, *rotated[:-1]}  # the stopped round opened none
        first_round = tickets[rotated[0]]
        kept = [m for m in store.messages.thread_of(first_round.id) if m.direction == "in"]
        assert len(kept) == 2  # grouped: the stopped round's mail is on the first round's ticket
    finally:
        store.close()
    notices = _kinds(servers, mf.STAFF[0], "staff_new")
    assert len(notices) == len(tickets)  # one a ticket, none for the stopped round
    [alert] = _kinds(servers, mf.COORDINATOR, "rate_limited")  # told once
    text = mf.text_of(alert)
    assert DESK in text and first_round.number in text
    assert all(tickets[a].number in text for a in rotated[:-1])

    # the desk's machine may get an ack once more, from a person of its company: its answer is
    # the responder's again, within the hour, and goes onto the same ticket, unanswered, untold
    clock += timedelta(minutes=5)
    person = f"sari@{DESK}"
    servers.append(mf.UNIT, mf.mail(person, "Dokumen kualifikasi", "Apakah dokumen kualifikasi boleh dikirim ulang?",
                                    headers=result(person, "pass"), date=clock)[0], msg_time=clock)
    assert _pass(servers, config, clock, sent_at)[-1] == person
    arrival = clock + MACHINE
    late = f"cs{rounds + 1}@{DESK}"
    servers.append(mf.UNIT, mf.mail(late, "Kasus 4799 telah dibuat", CANNED.format(n=4799),
                                    headers=result(late, "pass"), date=arrival)[0], msg_time=arrival)
    assert late not in _pass(servers, config, arrival + timedelta(seconds=10), sent_at)
    assert len(_kinds(servers, mf.COORDINATOR, "rate_limited")) == 1
    store = mf.store_of(config)
    try:
        assert late not in {t.requester.addr for t in store.search.tickets()}
    finally:
        store.close()


# --- an outage morning: people of one domain, some in one long text, are each acked ------------

OPENERS = ("Selamat pagi,", "Mohon bantuan,", "Pagi pak,", "Yth. Admin LPSE,", "Permisi,", "Halo admin,")
TROUBLES = ("tidak bisa login SPSE", "SPSE tidak bisa dibuka", "halaman login error terus",
            "gagal masuk ke aplikasi SPSE", "login SPSE loading terus")
# a message passed round the vendors' group chat, which many copy as it stands
PASSED_ROUND = ("Yth. Admin LPSE, kami para penyedia tidak dapat login ke aplikasi SPSE sejak pukul 07.00 WIB. "
                "Muncul pesan kesalahan dan halaman kembali ke awal. Mohon bantuan segera karena batas akhir "
                "pemasukan penawaran hari ini. Terima kasih.")


def _words(n: int, rng: random.Random) -> str:
    if n % 3 == 0:
        return PASSED_ROUND
    if n % 3 == 1:
        return "Mohon bantuan, tidak bisa login SPSE."
    return f"{OPENERS[rng.randrange(6)]} {TROUBLES[rng.randrange(5)]} sejak pagi, akun {rng.randrange(10**6)}."


def test_an_outage_morning_of_gmail_requesters_is_acked_while_the_responder_rule_watches(fresh_mailboxes, tmp_path):
    """60 requesters of one webmail domain in the first hour of an outage morning (300 over
    three hours with MAILBOT_HEAVY=1), vouched for by their domain's DMARC, a third of them
    sending one long text passed round a group chat as it stands, read by a pass each minute:
    each is acked, at once or after the responder test's wait, and none is taken for a
    responder (no alert, a ticket each). tests/test_loops_rotating.py plays such mornings
    by the hundred without the servers."""
    import os

    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    count, hours = (300, 3) if os.environ.get("MAILBOT_HEAVY") else (60, 1)
    rng = random.Random(67)
    start = at("2026-11-23T07:00")
    arrivals = sorted(start + timedelta(seconds=rng.uniform(0, 3600 * hours)) for _ in range(count))
    people = [f"penyedia{n}@gmail.test" for n in range(count)]
    batch: list[tuple[str, datetime]] = []
    minute = start
    for person, when, n in zip(people, arrivals, range(count), strict=True):
        while when > minute + timedelta(minutes=1):
            minute += timedelta(minutes=1)
            if batch:
                mf.handle_at(config, minute)
                batch = []
        raw = mf.mail(person, "Tidak bisa login", _words(n, rng), headers=result(person, "pass"), date=when)[0]
        servers.append(mf.UNIT, raw, msg_time=when)
        batch.append((person, when))
    mf.handle_at(config, minute + timedelta(minutes=1))
    mf.handle_at(config, minute + timedelta(minutes=20))  # an ack held for the responder test goes by now
    acked = {m["To"].addresses[0].addr_spec for m in _acks_to_domain(servers, "gmail.test")}
    assert [p for p in people if p not in acked] == []
    assert not _kinds(servers, mf.COORDINATOR, "rate_limited")
    store = mf.store_of(config)
    try:
        assert len(store.search.tickets()) == count
    finally:
        store.close()


def test_what_a_responders_rounds_are_read_from_on_either_engine(store_location):
    """The two reads the responder rule adds, on SQLite and on PostgreSQL: a domain's mail of
    the last hour with its arrival, ticket and record, and the acks sent in a span."""
    from mailbot.io.store import Store
    from tests.reportbook import Book

    store = Store(store_location)
    try:
        book = Book(store)
        came = at("2026-11-23T09:00")
        with store.unit_of_work():
            ticket = book.ticket("2026-00001", came, "open", requester=f"cs1@{DESK}")
            book.inbound(ticket, "requester", "ticket_opened", received=came, at=came + timedelta(seconds=5),
                         sender=f"cs1@{DESK}", body="Kasus diterima.")
            book.inbound(ticket, "requester", "ticket_opened", received=came, sender="cs1@de_sk.test", body="x")
            book.outbound(ticket, "requester", "ack", at=came + timedelta(seconds=5),
                          sent=came + timedelta(seconds=8), to=f"cs1@{DESK}")
            book.outbound(ticket, "requester", "ack", at=came + timedelta(seconds=6), sent=None, to=f"cs2@{DESK}")
            book.outbound(ticket, "staff", "staff_new", at=came + timedelta(seconds=5),
                          sent=came + timedelta(seconds=8), to=mf.STAFF[0])
        assert store.messages.arrivals_from_domain("t", DESK, came - timedelta(hours=1)) == [
            (f"cs1@{DESK}", "Kasus diterima.", came, ticket, "ticket_opened")]
        assert store.messages.arrivals_from_domain("t", DESK, came + timedelta(minutes=1)) == []
        sent = came + timedelta(seconds=8)
        assert store.outbox.acks_sent("t", came - timedelta(hours=1), came, came + timedelta(minutes=1)) == [
            (f"cs1@{DESK}", sent)]
        assert store.outbox.acks_sent("t", came - timedelta(hours=1), came, came + timedelta(seconds=7)) == []
        assert store.outbox.acks_sent("u", came - timedelta(hours=1), came, came + timedelta(minutes=1)) == []
    finally:
        store.close()
