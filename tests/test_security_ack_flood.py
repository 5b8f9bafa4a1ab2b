"""Point 3, "Acks that floods cannot deny", over real Dovecot and SMTP and in the
pure schedule rules.

Expected values are the issue's and SPEC 5's: `limits.acks_per_hour` (60) limits only acks
to senders the unit's own server does not vouch for; a sender it marks aligned `dmarc=pass`
is acked at once and not counted; no domain takes more than its share (SPEC 5 as
now written: all of the budget but a reserve of a fifth kept for the other domains, 48 of
60, at least `autoreply_limit`, 5); held acks go by themselves, oldest first, when the hour
frees, and those still held are listed in the coordinators' digest; people of one webmail
domain writing alike are each acked; a responder that drops every citation of our mail is
stopped within a few rounds, its tickets grouped (tests/test_security_rotating_responder.py: SPEC 5
as now written; before, its domain's share bounded it to 48 an hour)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.core.limits import Schedule, ack_share, ack_slot
from mailbot.core.plan_inputs import SentBefore, Setup
from mailbot.core.schedule import schedule
from mailbot.io.store import Store
from mailbot.model import AUTO_REPLIED, Audience, Refusal, Send
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
SERVER = "mx.lpse.test"  # the unit's own server (auth.trusted_authserv_id)
TOKEN = {"mode": "token", "trusted_authserv_id": SERVER}  # the default mode, the server named
COORDINATOR = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def result(sender: str, verdict: str) -> dict[str, str]:
    """The header the unit's own server prepends: `dmarc=none` for a domain with no DMARC
    record (anyone may write in its name), `dmarc=pass` aligned with From."""
    return {"Authentication-Results": f"{SERVER}; dmarc={verdict} header.from={sender.rpartition('@')[2]}"}


def to(servers, address: str) -> list:
    """mailbot's mail delivered for `address`, read back over IMAP (unknown addresses land in the catch-all)."""
    return [m for m in mf.inbox(servers, servers.mailbox_for(address))
            if any(a.addr_spec.lower() == address.lower() for a in m["To"].addresses)]


def acks_to(servers, address: str) -> int:
    return sum(1 for m in to(servers, address) if m["X-Mailbot-Kind"] == "ack")


# --- the attack: 60 unauthenticated mails an hour deny nobody the unit can recognise -------------

def test_sixty_unauthenticated_mails_do_not_keep_an_authenticated_requester_from_their_ack(fresh_mailboxes, tmp_path):
    """60 mails from 60 domains the unit's server marks `dmarc=none` fill the hour's budget; a
    requester whose mail it marks aligned `dmarc=pass` gets their ack at once; a 61st
    unauthenticated sender's ack is held and goes by itself once the hour frees, without staff."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    flood = [f"info@domain{n}.test" for n in range(60)]
    for n, sender in enumerate(flood):
        servers.append(mf.UNIT, mf.mail(sender, f"Penawaran kerja sama {n}", f"Kami menawarkan produk nomor {n} "
                                        f"dengan harga khusus {n * 7}.", headers=result(sender, "none"))[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    assert sum(acks_to(servers, s) for s in flood) == 60

    requester = "budi@vendor.test"
    servers.append(mf.UNIT, mf.mail(requester, "Tidak bisa login SPSE", "Akun saya terkunci sejak pagi.",
                                    headers=result(requester, "pass"))[0])
    late = "andi@kontraktor.test"  # a real requester whose domain publishes no DMARC: unauthenticated
    servers.append(mf.UNIT, mf.mail(late, "Jadwal aanwijzing", "Kapan jadwal aanwijzing paket jalan desa?",
                                    headers=result(late, "none"))[0])
    mf.handle_at(config, at("2026-11-23T10:01"))
    assert acks_to(servers, requester) == 1  # within the minute, not counted
    assert acks_to(servers, late) == 0
    notice = next(n for n in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if late in mf.text_of(n))
    assert "dikirim otomatis mulai 2026-11-23 11:00" in mf.text_of(notice)

    mf.handle_at(config, at("2026-11-23T10:59"))
    assert acks_to(servers, late) == 0
    mf.handle_at(config, at("2026-11-23T11:00:30"))  # the hour of the first counted ack is over
    assert acks_to(servers, late) == 1
    assert len(Store(load_config(config).database).search.tickets()) == 62


def test_one_domain_takes_no_more_than_its_share_and_the_others_are_acked_at_once(fresh_mailboxes, tmp_path):
    """60 mails from 60 addresses of one domain (no DMARC, each its own words): 48 acks (the
    budget of 60 less the reserve of a fifth kept for the other domains), the rest held in
    turn; a sender of another domain, unauthenticated too, is acked at once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    flood = [f"user{n}@attacker.test" for n in range(60)]
    words = ["jadwal", "akun", "dokumen", "upload", "lelang", "kontrak"]
    for n, sender in enumerate(flood):
        servers.append(mf.UNIT, mf.mail(sender, f"Pertanyaan {n}", f"Mohon info {words[n % 6]} {words[(n // 6) % 6]} "
                                        f"{words[(n // 36) % 6]} paket {n}.", headers=result(sender, "none"))[0])
    other = "sari@dinas.test"
    servers.append(mf.UNIT, mf.mail(other, "Lupa password", "Mohon reset kata sandi saya.",
                                    headers=result(other, "none"))[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    assert sum(acks_to(servers, s) for s in flood) == 48
    assert all(acks_to(servers, s) == 1 for s in flood[:48])
    assert acks_to(servers, other) == 1
    mf.handle_at(config, at("2026-11-23T11:00:30"))
    assert sum(acks_to(servers, s) for s in flood) == 60  # the held twelve, by themselves
    assert all(acks_to(servers, s) == 1 for s in flood)


# --- the responder, and the people of one webmail domain ---------------------------------------

RESPONDER = ("Terima kasih telah menghubungi layanan pelanggan kami. Pesan Anda telah kami terima dengan "
             "nomor kasus {n} dan akan dijawab dalam 2x24 jam.")


def test_a_responder_citing_our_tag_stops_within_three_rounds_while_five_webmail_people_are_acked(
        fresh_mailboxes, tmp_path):
    """A desk answers each of our acks from a new address of its domain, its standard words,
    no In-Reply-To but our ack's subject (tag and all) under "Re:": it answers our mail, so
    its repeating words make it a loop, and the third address is not acked. Five people of
    gmail.com who write "Lupa password" / "Mohon bantuan." in the same hour each get their ack."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    people = [f"penyedia{i}@gmail.com" for i in range(5)]
    for person in people:
        servers.append(mf.UNIT, mf.mail(person, "Lupa password", "Mohon bantuan.")[0])
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Mohon info jadwal", "Jadwal aanwijzing paket 1234?")[0])
    mf.run_once(config)
    assert [acks_to(servers, p) for p in people] == [1, 1, 1, 1, 1]
    [ack] = to(servers, "budi@vendor.test")
    acked, rounds = True, 0
    while acked and rounds < 12:
        rounds += 1
        desk = f"cs{rounds}@responder.test"
        servers.append(mf.UNIT, mf.mail(desk, f"Re: {ack['Subject']}", RESPONDER.format(n=rounds * 7919))[0])
        mf.run_once(config)
        answers = [m for m in to(servers, desk) if m["X-Mailbot-Kind"] == "ack"]
        acked = bool(answers)
        ack = answers[0] if answers else ack
    assert rounds == 3 and not acked
    assert len(Store(load_config(config).database).search.tickets()) == 6 + rounds  # every mail has its ticket
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")
    assert len(alerts) == 1 and "responder.test" in mf.text_of(alerts[0])


def test_forty_people_of_one_domain_with_one_text_in_one_pass_are_all_acked_at_once(fresh_mailboxes, tmp_path):
    """An outage morning, forty vendors on one webmail domain write the
    same short complaint, read in one pass: each is acked at once (40 is within the default
    budget less its reserve), and nobody is alerted about an auto-responder."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    people = [f"vendor{n}@gmail.test" for n in range(40)]
    for person in people:
        servers.append(mf.UNIT, mf.mail(person, "Mohon bantuan", "Mohon bantuan, tidak bisa login.")[0])
    mf.run_once(config)
    assert [acks_to(servers, p) for p in people] == [1] * 40
    assert len(Store(load_config(config).database).search.tickets()) == 40
    assert not mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")


def test_fifteen_people_of_one_domain_writing_alike_over_the_hour_are_each_acked(fresh_mailboxes, tmp_path):
    """Fifteen requesters at fifteen addresses of gmail.test write the same
    complaint within the hour, each after the ack of the one before went out: all fifteen acked."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    people = [f"penyedia{n}@gmail.test" for n in range(15)]
    for n, person in enumerate(people):
        servers.append(mf.UNIT, mf.mail(person, "Tidak bisa login SPSE", "Mohon bantuan, tidak bisa login.")[0])
        mf.handle_at(config, at("2026-11-23T09:00") + timedelta(minutes=4 * n))
    assert [acks_to(servers, p) for p in people] == [1] * 15
    assert not mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")


def test_a_backlog_of_two_days_is_counted_by_when_it_arrived(fresh_mailboxes, tmp_path):
    """While the host was down for two days, 150 requesters of 150 domains
    wrote, about three an hour (their INTERNALDATE); read at once when it comes back, each is
    acked at once: a backlog is no flood. Before, 60 were acked and 90 held for hours."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    back = at("2026-11-25T10:00")
    people = [f"pemohon@asal{n}.test" for n in range(150)]
    for n, person in enumerate(people):
        raw = mf.mail(person, f"Pertanyaan {n}", f"Mohon info paket {n}.", headers=result(person, "none"),
                      date=back - timedelta(hours=48) + timedelta(minutes=19 * n))[0]
        servers.append(mf.UNIT, raw, msg_time=back - timedelta(hours=48) + timedelta(minutes=19 * n))
    mf.handle_at(config, back)
    assert sum(acks_to(servers, p) for p in people) == 150


def test_five_webmail_people_are_acked_at_once_during_a_flood(fresh_mailboxes, tmp_path):
    """A flood of 60 from 60 domains has taken the hour's budget; five people of gmail.com,
    writing alike and marked aligned `dmarc=pass` by the unit's server, each get their ack."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    for n in range(60):
        sender = f"promo@toko{n}.test"
        servers.append(mf.UNIT, mf.mail(sender, f"Promo {n}", f"Diskon {n} persen.", headers=result(sender, "none"))[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    people = [f"penyedia{i}@gmail.com" for i in range(5)]
    for person in people:
        servers.append(mf.UNIT, mf.mail(person, "Lupa password", "Mohon bantuan.", headers=result(person, "pass"))[0])
    mf.handle_at(config, at("2026-11-23T10:05"))
    assert [acks_to(servers, p) for p in people] == [1, 1, 1, 1, 1]


# --- the digest, and check ------------------------------------------------------------------------

def test_acks_still_held_are_listed_in_the_coordinators_digest(fresh_mailboxes, tmp_path):
    """A budget of 2 an hour and 4 unauthenticated senders at 07:30: the 08:05 digest to heads
    and coordinators names the two tickets whose acks are still held, and when they go."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    data = yaml.safe_load(config.read_text())
    data["limits"] = {"acks_per_hour": 2}
    config.write_text(yaml.safe_dump(data))
    senders = [f"pemohon@asal{n}.test" for n in range(4)]
    for n, sender in enumerate(senders):
        servers.append(mf.UNIT, mf.mail(sender, f"Pertanyaan {n}", f"Mohon info paket {n}.",
                                        headers=result(sender, "none"))[0])
    mf.handle_at(config, at("2026-11-23T07:30"))
    numbers = {t.requester.addr: t.number for t in Store(load_config(config).database).search.tickets()}
    mf.sweep(config, at("2026-11-23T08:05"))
    [digest] = mf.of_kind(mf.inbox(servers, HEAD), "digest")
    body = mf.text_of(digest)
    assert "Tanda terima yang masih ditahan (2)" in body
    for sender in senders[2:]:
        assert f"{numbers[sender]}  {sender}  masuk 2026-11-23 07:30, dikirim mulai 2026-11-23 08:30" in body
    held = body.replace("\r\n", "\n")
    held = held[held.index("Tanda terima yang masih ditahan (2)"):].split("\n\n")[0]  # the held acks' section
    for sender in senders[:2]:  # acked at once: not listed as held (the digest names every open ticket elsewhere)
        assert numbers[sender] not in held
    for sender in senders[2:]:
        assert numbers[sender] in held
    html = digest.get_body(preferencelist=("html",)).get_content()
    assert "Tanda terima yang masih ditahan (2)" in html and numbers[senders[3]] in html


def test_staff_asking_for_a_held_ack_does_not_make_the_requester_get_two(fresh_mailboxes, tmp_path):
    """A budget of 2 an hour, a third sender's ack held; staff answer its notice with
    #kirim-tanda-terima anyway: the requester gets exactly one ack, when the hour frees."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    data = yaml.safe_load(config.read_text())
    data["limits"] = {"acks_per_hour": 2}
    config.write_text(yaml.safe_dump(data))
    senders = [f"pemohon@asal{n}.test" for n in range(3)]
    for n, sender in enumerate(senders):
        servers.append(mf.UNIT, mf.mail(sender, f"Pertanyaan {n}", f"Mohon info paket {n}.",
                                        headers=result(sender, "none"))[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    held = senders[2]
    notice = next(n for n in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if held in mf.text_of(n))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#kirim-tanda-terima")[0])
    mf.handle_at(config, at("2026-11-23T10:10"))
    assert acks_to(servers, held) == 0
    mf.handle_at(config, at("2026-11-23T11:00:30"))
    mf.handle_at(config, at("2026-11-23T12:30"))
    assert acks_to(servers, held) == 1


def test_check_warns_when_the_units_server_is_not_named(fresh_mailboxes, tmp_path, capsys):
    """Without auth.trusted_authserv_id no sender can be told from a forger: `check` says so."""
    config = mf.write_config(fresh_mailboxes, tmp_path)
    assert cli.main(["--config", str(config), "check"]) == 0
    assert "warning: auth.trusted_authserv_id is not set" in capsys.readouterr().out
    named = mf.write_config(fresh_mailboxes, tmp_path, auth=TOKEN)
    assert cli.main(["--config", str(named), "check"]) == 0
    assert "trusted_authserv_id" not in capsys.readouterr().out


# --- the schedule rules, pure ---------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=ZoneInfo("UTC"))
ACK = Send("ack", Audience.REQUESTER, auto=AUTO_REPLIED)


def _setup(tmp_path) -> Setup:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "db"), "archive_dir": str(tmp_path / "a"), "secret_key_file": str(tmp_path / "k"),
        "mailboxes": [{"name": "t", "address": mf.UNIT,
                       "imap": {"host": "127.0.0.1", "username": mf.UNIT, "password": "x"},
                       "staff": list(mf.STAFF)}],
        "smtp": {"host": "127.0.0.1"}}))
    cfg = load_config(path)
    return Setup(cfg, cfg.mailboxes[0], None, None)  # type: ignore[arg-type]  # schedule reads cfg and box only


def _minutes(*ago: int) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(minutes=m) for m in ago)


def test_the_share_is_the_budget_less_a_fifth_never_below_autoreply_limit():
    assert ack_share(60, 5) == 48
    assert ack_share(600, 5) == 480
    assert ack_share(10, 5) == 8
    assert ack_share(5, 5) == 5
    assert ack_share(3, 5) == 3


def test_a_full_budget_holds_the_ack_until_its_oldest_slot_is_an_hour_old(tmp_path):
    setup = _setup(tmp_path)
    full = SentBefore(ack_slots=_minutes(*range(59, -1, -1)))  # 60 acks, one a minute, the oldest 59 minutes ago
    when = schedule(ACK, ("andi@kontraktor.test",), None, full, setup, NOW)
    assert when.held and when.send_at == NOW + timedelta(minutes=1) and when.counted == "kontraktor.test"
    assert schedule(ACK, ("budi@vendor.test",), None, full, setup, NOW, vouched=True) == Schedule(NOW)


def test_held_acks_queue_in_arrival_order(tmp_path):
    setup = _setup(tmp_path)
    held = _minutes(*range(59, -1, -1)) + (NOW + timedelta(minutes=1),)  # one already held for 03:01
    when = schedule(ACK, ("x@a.test",), None, SentBefore(ack_slots=held), setup, NOW)
    assert when.send_at == NOW + timedelta(minutes=2)


def test_a_domain_past_its_share_waits_while_other_domains_go_at_once(tmp_path):
    setup = _setup(tmp_path)
    used = _minutes(*range(48))
    history = SentBefore(ack_slots=used, domain_slots=used)
    when = schedule(ACK, ("user99@attacker.test",), None, history, setup, NOW)
    assert when.held and when.send_at == NOW - timedelta(minutes=47) + timedelta(hours=1)
    assert "share of 48" in when.reason
    assert schedule(ACK, ("sari@dinas.test",), None, SentBefore(ack_slots=used), setup, NOW) == \
        Schedule(NOW, counted="dinas.test", counted_at=NOW)
    assert not schedule(ACK, ("user47@attacker.test",), None, SentBefore(ack_slots=used[1:], domain_slots=used[1:]),
                        setup, NOW).held  # the 48th goes at once


def test_an_ack_is_counted_in_the_hour_its_mail_arrived(tmp_path):
    """Mail read late (the host was down) is counted when it came: a budget full now
    holds nothing that arrived two hours ago, when the hour was free."""
    setup = _setup(tmp_path)
    full = SentBefore(ack_slots=_minutes(*range(60)))
    late = schedule(ACK, ("x@a.test",), None, replace(full, arrived=NOW - timedelta(hours=2)), setup, NOW)
    assert late == Schedule(NOW, counted="a.test", counted_at=NOW - timedelta(hours=2))
    assert schedule(ACK, ("x@a.test",), None, replace(full, arrived=NOW), setup, NOW).held


def test_an_address_the_unit_wrote_to_before_is_not_counted(tmp_path):
    setup = _setup(tmp_path)
    full = SentBefore(ack_slots=_minutes(*range(60)), known=frozenset({"budi@vendor.test"}))
    assert schedule(ACK, ("budi@vendor.test",), None, full, setup, NOW) == Schedule(NOW)


def test_a_loop_stops_its_acks_and_a_backlog_past_ack_max_age_waits_for_staff(tmp_path):
    setup = _setup(tmp_path)
    looped = schedule(ACK, ("cs6@responder.test",), None, SentBefore(looping=Refusal("limit_looping")), setup, NOW)
    assert looped.send_at is None and looped.cause == "loop:responder.test" and not looped.waits
    # one ack a minute, every minute from an hour ago to 72 hours from now: the budget is full that long
    far = SentBefore(ack_slots=tuple(NOW + timedelta(minutes=m) for m in range(-59, 72 * 60 + 1)))
    waits = schedule(ACK, ("x@a.test",), None, far, setup, NOW)
    assert waits.send_at is None and waits.waits


def test_ack_slot_keeps_every_hour_within_the_budget_and_the_share():
    slots: list[datetime] = []
    domains: list[str] = []
    for n in range(200):  # 200 acks in one minute, a third of them from one domain
        domain = "big.test" if n % 3 == 0 else f"d{n}.test"
        slot, _ = ack_slot(NOW, slots, [s for s, d in zip(slots, domains, strict=True) if d == domain], 60, 48)
        slots.append(slot)
        domains.append(domain)
    for start in sorted(set(slots)):
        window = [d for s, d in zip(slots, domains, strict=True) if start <= s < start + timedelta(hours=1)]
        assert len(window) <= 60 and window.count("big.test") <= 48
