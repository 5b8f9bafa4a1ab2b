"""A red team (SPEC 5: limits stop loops and nothing else), over the
suite's Dovecot and SMTP in the default `auth.mode: token`, mail read back over IMAP.

A requester who writes to the helpdesk again often does it by answering the last mail they
had from it: weeks after their ticket closed, "Re: [LPSE-T #2026-00003] Tanda terima ..." with
the new problem. That opens a new ticket (E5, past `reopen_days`) and is acked. On an outage
morning several vendors of one webmail domain do it within the hour: their subjects are the
same but for the ticket number, often their words too. Only mail that our mail caused can be a
loop, and mail of ours from seven weeks ago causes nothing now: each of them is acked. The
responder the loop rule is for answers our acks within minutes, and is still stopped, also
when it drops every citation and its subject but quotes our ack beneath its canned words
(before, each of its rounds was acked, up to its domain's share of the budget every hour).
"""

from __future__ import annotations

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, acks_to, at, to

VENDORS = tuple(f"vendor{n}@gmail.test" for n in range(5))
OUTAGE = "Mohon bantuan, tidak bisa login SPSE sejak pagi."


def _acks(servers, who: str) -> list:  # type: ignore[type-arg]
    return [m for m in to(servers, who) if m["X-Mailbot-Kind"] == "ack"]


def _closed_tickets_of(servers, config) -> None:  # type: ignore[no-untyped-def]
    """Each vendor asked something on 1 October and staff closed it the same morning."""
    for n, who in enumerate(VENDORS):
        servers.append(mf.UNIT, mf.mail(who, f"Jadwal paket {n}", f"Kapan jadwal pembukaan paket 1001{n}?",
                                        date=at("2026-10-01T09:00"))[0])
    mf.handle_at(config, at("2026-10-01T09:00"))
    for n, who in enumerate(VENDORS):
        notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if who in mf.text_of(m))
        servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], f"#tutup\nSudah dijawab lewat telepon {n}.")[0])
    mf.handle_at(config, at("2026-10-01T10:00"))


def test_vendors_who_answer_their_old_ack_on_an_outage_morning_are_each_acked(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    _closed_tickets_of(servers, config)
    for who in VENDORS:
        servers.append(mf.UNIT, mf.reply_as_client(_acks(servers, who)[0], who, OUTAGE)[0])
    mf.handle_at(config, at("2026-11-23T08:30"))
    assert [acks_to(servers, who) for who in VENDORS] == [2] * len(VENDORS)
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "rate_limited") == []


def test_a_responder_answering_fresh_acks_from_rotating_addresses_is_still_stopped(fresh_mailboxes, tmp_path):
    """The loop the rule is for: each round the responder answers the ack it was just sent,
    from a new address of its domain, with its canned text. Three rounds are answered at most."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    canned = "Terima kasih, email Anda sudah kami terima dan akan segera kami proses."
    first = "bot0@gmail.test"
    servers.append(mf.UNIT, mf.mail(first, "Penawaran kerja sama", "Kami menawarkan jasa pembuatan situs.")[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    answered = first
    for n in range(1, 8):
        rotated = f"bot{n}@gmail.test"
        ack = _acks(servers, answered)[-1]
        servers.append(mf.UNIT, mf.reply_as_client(ack, rotated, canned)[0])
        mf.handle_at(config, at(f"2026-11-23T09:0{n}"))
        if not _acks(servers, rotated):
            break
        answered = rotated
    acked = sum(acks_to(servers, f"bot{n}@gmail.test") for n in range(8))
    assert acked <= 3


def test_a_responder_that_quotes_the_ack_under_a_new_subject_is_stopped_too(fresh_mailboxes, tmp_path):
    """The responder of the test above with every citation dropped: a subject of its own, no
    In-Reply-To, no References, our ack quoted under its canned words. Its answers quote mail
    of ours from minutes ago, which caused them; before, each round was acked, up to the
    domain's share of 48 an hour, every hour."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    canned = "Terima kasih atas kiriman Anda, tim layanan pelanggan kami akan menghubungi Anda."
    first = "cs0@gmail.test"
    servers.append(mf.UNIT, mf.mail(first, "Penawaran kerja sama", "Kami menawarkan jasa pembuatan situs.")[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    answered = first
    for n in range(1, 8):
        rotated = f"cs{n}@gmail.test"
        ack = _acks(servers, answered)[-1]
        quoted = "\n".join("> " + line for line in mf.text_of(ack).splitlines())
        servers.append(mf.UNIT, mf.mail(rotated, "Pesan Anda sudah kami terima", f"{canned}\n\n{quoted}\n")[0])
        mf.handle_at(config, at(f"2026-11-23T09:0{n}"))
        if not _acks(servers, rotated):
            break
        answered = rotated
    assert sum(acks_to(servers, f"cs{n}@gmail.test") for n in range(8)) <= 3


def test_what_mail_of_ours_went_since_a_moment_on_either_engine(store_location):
    """The two questions the loop rule asks the store, on SQLite and on PostgreSQL:
    was mail of ours with one of these Message-IDs, or on this ticket, queued since then?"""
    from datetime import timedelta

    from mailbot.io.store import Store
    from tests.reportbook import Book

    store = Store(store_location)
    try:
        book = Book(store)
        sent = at("2026-10-01T09:00")
        with store.unit_of_work():
            ticket = book.ticket("2026-00003", sent, "closed")
            book.outbound(ticket, "requester", "ack", at=sent, sent=sent)
        [ack] = [m.message_id for m in store.messages.thread_of(ticket) if m.kind == "ack"]
        for since, expected in ((sent - timedelta(days=1), True), (sent + timedelta(days=1), False)):
            assert store.messages.sent_any("t", (ack,), since) is expected
            assert store.messages.mailed_on("t", "2026-00003", since) is expected
        assert store.messages.sent_any("t", (ack,)) is True  # no moment: ever
        assert store.messages.mailed_on("t", "2026-00004", sent - timedelta(days=1)) is False
        assert store.messages.mailed_on("u", "2026-00003", sent - timedelta(days=1)) is False
    finally:
        store.close()
