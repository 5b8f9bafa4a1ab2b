"""A second red team (SPEC 5: limits stop loops and nothing else), over
the suite's Dovecot and SMTP in the default `auth.mode: token`, mail read back over IMAP.

Crowds the suite did not try: forty people of one webmail domain in one pass each writing the
complaint in their own words (not one text); an outage morning where three domains send
thirty each within minutes, past the hour's budget; people who answer their own ack within
minutes with the same "terima kasih" (a reply citing our mail, so weighed for loops) and then
write a new request; a web form's relay that sends every person's form under one From with
the person in Reply-To.
"""

from __future__ import annotations

from datetime import timedelta

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, acks_to, at, to

COORDINATOR = "koordinator@lpse.test"
OPENERS = ("Selamat pagi,", "Mohon bantuan,", "Pagi pak,", "Yth. Admin LPSE,", "Permisi,", "Halo admin,")
TROUBLES = ("tidak bisa login SPSE", "SPSE tidak bisa dibuka", "halaman login error terus",
            "gagal masuk ke aplikasi SPSE", "login SPSE loading terus")
CLOSINGS = ("Terima kasih.", "Mohon segera dibantu.", "Terima kasih atas bantuannya.", "Ditunggu kabarnya.")


def _complaint(n: int) -> str:
    return f"{OPENERS[n % 6]} {TROUBLES[n % 5]} sejak pagi. {CLOSINGS[n % 4]}"


def _tickets(config) -> list:  # type: ignore[no-untyped-def]
    store = mf.store_of(config)
    try:
        return store.search.tickets()
    finally:
        store.close()


def test_forty_people_of_one_webmail_domain_in_their_own_words_in_one_pass_are_all_acked(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    people = [f"penyedia.{n}@gmail.test" for n in range(40)]
    for n, person in enumerate(people):
        servers.append(mf.UNIT, mf.mail(person, TROUBLES[n % 5].capitalize(), _complaint(n))[0])
    mf.handle_at(config, at("2026-11-23T08:10"))
    assert [acks_to(servers, p) for p in people] == [1] * 40
    assert len(_tickets(config)) == 40
    assert not mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")


def test_an_outage_morning_of_three_domains_thirty_each_is_acked_within_the_budgets_hour(fresh_mailboxes, tmp_path):
    """90 people within ten minutes: the budget (60 an hour) acks 60 at once, at most the share
    (48) of any one domain, and the other 30 go by themselves when the hour frees. Nobody is
    taken for a loop; each has a ticket."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    domains = ("gmail.test", "yahoo.test", "kemen.test")
    people = [f"user{n}@{d}" for d in domains for n in range(30)]
    start = at("2026-11-23T07:30")
    for n, person in enumerate(people):
        moment = start + timedelta(seconds=6 * n)
        servers.append(mf.UNIT, mf.mail(person, "Tidak bisa login", _complaint(n), date=moment)[0], msg_time=moment)
        if n % 10 == 9:
            mf.handle_at(config, moment)
    acked = {p: acks_to(servers, p) for p in people}
    assert sum(acked.values()) == 60
    mf.handle_at(config, at("2026-11-23T08:40"))
    assert [acks_to(servers, p) for p in people] == [1] * 90
    assert len(_tickets(config)) == 90
    for alert in mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited"):
        assert "loop" not in mf.text_of(alert).lower() and "auto-responder" not in mf.text_of(alert).lower()


def test_people_who_thank_their_own_ack_then_ask_again_are_acked_and_recorded(fresh_mailboxes, tmp_path):
    """Twelve people of one domain write, are acked, and within minutes each answers their own
    ack with the same "Terima kasih, ditunggu kabarnya" (a reply citing our mail, the same
    words from many addresses of one domain: weighed for loops). Each thanks is recorded on
    its sender's ticket. Then each writes a new request: each is acked."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    people = [f"vendor{n}@gmail.test" for n in range(12)]
    for n, person in enumerate(people):
        servers.append(mf.UNIT, mf.mail(person, "Tidak bisa login", _complaint(n))[0])
    mf.handle_at(config, at("2026-11-23T08:00"))
    assert [acks_to(servers, p) for p in people] == [1] * 12
    for n, person in enumerate(people):
        ack = next(m for m in to(servers, person) if m["X-Mailbot-Kind"] == "ack")
        words = "Terima kasih, ditunggu kabarnya." if n % 2 else \
            f"Terima kasih. Tambahan info: user id saya penyedia{n}, muncul pesan 'sesi berakhir'."
        servers.append(mf.UNIT, mf.reply_as_client(ack, person, words)[0])
        mf.handle_at(config, at("2026-11-23T08:05") + timedelta(seconds=20 * n))
    store = mf.store_of(config)
    try:
        tickets = store.search.tickets()
        assert len(tickets) == 12  # the thanks went onto their tickets
        for ticket in tickets:
            texts = [m for m in store.messages.thread_of(ticket.id) if m.direction == "in"]
            assert len(texts) == 2, ticket.number
    finally:
        store.close()
    for n, person in enumerate(people):
        servers.append(mf.UNIT, mf.mail(person, f"Jadwal paket 10{n:03d}",
                                        f"Kapan jadwal aanwijzing paket 10{n:03d}?")[0])
    mf.handle_at(config, at("2026-11-23T08:20"))
    assert [acks_to(servers, p) for p in people] == [2] * 12
    assert len(_tickets(config)) == 24
    assert not mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")


FORM = ("Formulir Pengaduan LPSE\n\nNama: {name}\nInstansi: {org}\nEmail: {email}\nTelepon: 0812{n:07d}\n"
        "Permasalahan: {trouble}\n\n--\nDikirim melalui formulir web pengaduan.lpse.test")
NAMES = ("Budi Santoso", "Sari Dewi", "Andi Wijaya", "Rina Marlina", "Joko Susilo", "Tuti Handayani", "Agus Salim",
         "Dewi Lestari", "Hendra Gunawan", "Wati Rahayu", "Rudi Hartono", "Nina Kurnia")


def test_a_web_forms_relay_with_each_person_in_reply_to_acks_each_person(fresh_mailboxes, tmp_path):
    """A web form's plugin sends each person's form from one relay address (not a no-reply
    one) with the person in Reply-To, the same template, different names: each person is
    acked, at their own address, and each form has its ticket."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    relay = "formulir@pengaduan.lpse.test"
    people = [f"{name.split()[0].lower()}{n}@mail{n % 3}.test" for n, name in enumerate(NAMES)]
    for n, (name, person) in enumerate(zip(NAMES, people, strict=True)):
        body = FORM.format(name=name, org=f"CV Maju {n}", email=person, n=n, trouble=_complaint(n))
        servers.append(mf.UNIT, mf.mail(relay, f"[Pengaduan] {name}", body,
                                        headers={"Reply-To": f"{name} <{person}>"})[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    assert [acks_to(servers, p) for p in people] == [1] * len(people)
    assert len(_tickets(config)) == len(people)
