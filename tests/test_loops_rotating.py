"""`loops.rotating`, pure: a responder answering each of our acks from a new address is stopped
within a few rounds, and mornings of people are not (SPEC 5).

Each scenario is played as the daemon would meet it, mail by mail in the order it arrives: a
mail `rotating` stops gets no ack (and is recorded as automatic, which later rounds read); one
it suspects gets its ack `PROBE` later; any other is acked within half a minute (the daemon
answers new mail within seconds of its arrival). The crowds are seeded: an outage morning of
300 people of one webmail domain over three hours, up to all of them copying one long text
passed round a group chat, arriving at random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.core.loops import PROBE, AckSent, DomainMail, rotating

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CANNED = ("Terima kasih telah menghubungi layanan pelanggan kami. Pesan Anda telah kami terima dengan nomor kasus "
          "{n} dan akan ditindaklanjuti oleh tim kami dalam waktu 2x24 jam kerja.")
PASSED_ROUND = ("Yth. Admin LPSE, kami para penyedia tidak dapat login ke aplikasi SPSE sejak pukul 07.00 WIB. "
                "Muncul pesan kesalahan dan halaman kembali ke awal. Mohon bantuan segera. Terima kasih.")


@dataclass
class Desk:
    """What the unit did with each mail of one domain, in order."""

    mail: list[DomainMail] = field(default_factory=list)
    acks: list[AckSent] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)

    def receive(self, sender: str, at: datetime, text: str, answered_in: timedelta) -> datetime | None:
        """Handle one mail as the pipeline does; when its ack goes (None: it is stopped)."""
        earlier = [m for m in self.mail if m.at > at - HOUR]
        acks = [a for a in self.acks if a.at <= at]
        found = rotating(sender, text, at, earlier, acks)
        stopped = found is not None and found.stopped
        self.mail.append(DomainMail(sender, at, text, len(self.mail), automatic=stopped))
        if stopped:
            self.stopped.append(sender)
            return None
        if found is not None and found.suspected:
            self.tested.append(sender)
            answered_in = max(answered_in, PROBE)
        self.acks.append(AckSent(sender, at + answered_in))
        return at + answered_in


@pytest.mark.parametrize("pace", [timedelta(seconds=20), timedelta(minutes=4)], ids=["seconds", "minutes"])
def test_a_responder_is_stopped_at_its_fourth_round(pace):
    """It answers the ack of someone of its company, then each of ours from a new address; a
    machine answering within seconds, and a desk fetching its mail every few minutes."""
    desk = Desk()
    sent = desk.receive("andi@desk.test", T0, "Kapan jadwal pembukaan penawaran paket 1001?", timedelta(seconds=5))
    rounds = 0
    while sent is not None and rounds < 30:
        rounds += 1
        sent = desk.receive(f"cs{rounds}@desk.test", sent + pace, CANNED.format(n=4700 + rounds),
                            timedelta(seconds=5))
    assert rounds == 4 and desk.stopped == ["cs4@desk.test"] and desk.tested == ["cs3@desk.test"]


def test_forty_people_in_one_text_in_one_pass_are_people():
    desk = Desk()
    for n in range(40):
        desk.receive(f"vendor{n}@gmail.test", T0 + timedelta(seconds=n), PASSED_ROUND, timedelta(minutes=1))
    assert desk.stopped == [] and desk.tested == []


@pytest.mark.parametrize("copied", [0.1, 1 / 3, 1.0], ids=["a tenth", "a third", "everyone"])
def test_an_outage_morning_of_one_domain_has_no_responder_in_it(copied):
    """300 people over three hours, `copied` of them the text passed round, ten mornings: nobody
    is stopped, and at most one ack a morning waits for the responder test."""
    for seed in range(10):
        rng = random.Random(seed)
        desk = Desk()
        arrivals = sorted(rng.uniform(0, 3 * 3600) for _ in range(300))
        for n, second in enumerate(arrivals):
            text = PASSED_ROUND if rng.random() < copied else f"Mohon bantuan, akun {n} tidak bisa login sejak pagi."
            desk.receive(f"penyedia{n}@gmail.test", T0 + timedelta(seconds=second), text,
                         timedelta(seconds=rng.uniform(1, 30)))
        assert desk.stopped == [] and len(desk.tested) <= 1, seed
