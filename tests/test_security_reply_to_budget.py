"""An automatic answer to a Reply-To other than the From stays inside the budget of addresses
nobody vouches for (SPEC 5, 9), over the suite's Dovecot and SMTP in `auth.mode: token` with
the unit's server named, mail read back over IMAP.

The red team wrote new mail From their own address, which their domain's DMARC vouches for,
with `Reply-To:` a victim: the rule that takes a web form's relay's Reply-To as the person
(RFC 5322) made mailbot ack the victim, and where the victim's address was of the From's
domain, the From's pass counted as the victim's: never held by the ack budget, and the ack
repeated the sender's subject. One ack for one forged mail is what a forged From gets too; a
From that its own domain vouches for says nothing of its Reply-To. Expected values are SPEC 5's:
the budget `limits.acks_per_hour` (60), one domain's share all of it but a fifth (48).
"""

from __future__ import annotations

from datetime import timedelta

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, at, result

SHARE = 48  # SPEC 5: the budget of 60 an hour less the reserve of a fifth kept for the other domains
LURE = "Hadiah undian Anda menunggu: klik s.id/hadiah"


def _acks_to(servers, addresses: list[str]) -> dict[str, list]:  # type: ignore[type-arg]
    """mailbot's acks delivered for each address, read back over IMAP, each mailbox fetched once."""
    wanted = {a.lower() for a in addresses}
    found: dict[str, list] = {a: [] for a in wanted}  # type: ignore[type-arg]
    for box in {servers.mailbox_for(a) for a in wanted}:
        for m in mf.inbox(servers, box):
            for a in m["To"].addresses:
                if a.addr_spec.lower() in wanted and m["X-Mailbot-Kind"] == "ack":
                    found[a.addr_spec.lower()].append(m)
    return found


def test_seventy_reply_to_victims_from_a_vouched_domain_get_at_most_the_unvouched_share(fresh_mailboxes, tmp_path):
    """70 new mails within an hour, each From an address of vouched.test (the unit's server:
    aligned dmarc=pass) with another victim in Reply-To: half of them addresses of vouched.test
    itself, half of other domains, five of those people the unit wrote to before. At most the
    share (48) are acked within the hour, none repeating the lure of the subject; a requester
    of another domain who writes meanwhile, vouched for, is acked at once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    victims = [f"korban{n}@vouched.test" if n % 2 else f"korban{n}@asal{n}.test" for n in range(70)]
    known = [v for v in victims if not v.endswith("@vouched.test")][:5]
    for person in known:  # people who wrote to the unit themselves the day before, and were acked
        servers.append(mf.UNIT, mf.mail(person, "Jadwal pembukaan", "Kapan jadwal pembukaan paket 1001?",
                                        headers=result(person, "none"))[0])
    mf.handle_at(config, at("2026-11-22T09:00"))
    assert all(len(acks) == 1 for acks in _acks_to(servers, known).values())

    start = at("2026-11-23T10:00")
    for n, victim in enumerate(victims):
        sender = f"warga{n}@vouched.test"
        moment = start + timedelta(seconds=50 * n)  # 70 mails in 58 minutes
        raw = mf.mail(sender, LURE, "Mohon informasinya.", date=moment,
                      headers={**result(sender, "pass"), "Reply-To": victim})[0]
        servers.append(mf.UNIT, raw, msg_time=moment)
        if n % 10 == 9:
            mf.handle_at(config, moment + timedelta(seconds=5))
        if n == 35:
            requester = "sari@dinas.test"
            servers.append(mf.UNIT, mf.mail(requester, "Lupa password", "Mohon reset kata sandi saya.", date=moment,
                                            headers=result(requester, "pass"))[0], msg_time=moment)
            mf.handle_at(config, moment + timedelta(seconds=5))
            assert len(_acks_to(servers, [requester])[requester]) == 1
    mf.handle_at(config, start + timedelta(minutes=59))
    acks = [a for found in _acks_to(servers, victims).values() for a in found]
    attack = len(acks) - len(known)
    assert attack <= SHARE, attack
    assert attack == SHARE  # the share is used, not less: a web form's busy hour is still acked
    assert all(LURE not in str(a["Subject"]) and "hadiah" not in mf.text_of(a).lower() for a in acks)
    assert not _acks_to(servers, ["warga0@vouched.test"])["warga0@vouched.test"]  # the From is not answered


def test_a_web_forms_outage_morning_acks_every_person_within_the_budget(fresh_mailboxes, tmp_path):
    """The same rule on genuine people: SPSE is down one morning and 70 people write through
    the unit's web form within an hour (From the form's address, vouched for, each person in
    Reply-To, each with their own question; 40 of them on one webmail domain). Nobody is
    dropped: the form is one sender, so its domain gets one domain's share of the hour (48 of
    60, SPEC 5: a fifth kept for everyone else), and every other ack goes in the next hour,
    each person acked once, each request a ticket of its own."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    form = "formulir@vouched.test"
    people = [f"pengguna{n}@webmail.test" if n < 40 else f"pengguna{n}@cv-usaha{n}.test" for n in range(70)]
    start = at("2026-11-23T08:00")
    for n, person in enumerate(people):
        moment = start + timedelta(seconds=50 * n)  # 70 mails in 58 minutes
        raw = mf.mail(form, f"Formulir pengaduan: tidak bisa login SPSE ({n})",
                      f"Saya tidak bisa masuk SPSE sejak pagi, paket {1000 + n} harus diunggah hari ini.",
                      date=moment, headers={**result(form, "pass"), "Reply-To": person})[0]
        servers.append(mf.UNIT, raw, msg_time=moment)
        if n % 10 == 9:
            mf.handle_at(config, moment + timedelta(seconds=5))
    mf.handle_at(config, start + timedelta(minutes=59))
    first_hour = _acks_to(servers, people)
    acked = [p for p, acks in first_hour.items() if acks]
    assert len(acked) == SHARE  # the form's share used whole; the reserve kept for the others
    mf.handle_at(config, start + timedelta(hours=2, minutes=1))
    later = _acks_to(servers, people)
    assert sorted(len(acks) for acks in later.values()) == [1] * 70  # every person, once
    assert len({str(a["Subject"]) for acks in later.values() for a in acks}) == 70  # 70 tickets
