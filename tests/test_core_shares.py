"""Each mailbox served by exactly one daemon when several share one store: the
share rule, and a simulation of daemons coming and going over it (`core.shares`)."""

from __future__ import annotations

import random

from mailbot.core.shares import fair_share, may_take, should_give


def test_the_share_is_the_mailboxes_divided_by_the_daemons_rounded_up():
    assert fair_share(600, 3) == 200
    assert fair_share(30, 4) == 8
    assert fair_share(5, 0) == 5  # counted before it joined: this daemon alone
    assert may_take(199, 600, 3) and not may_take(200, 600, 3)
    assert should_give(201, 600, 3) and not should_give(200, 600, 3)


def _settle(mailboxes: int, holders: dict[int, set[int]], rounds: int, rng: random.Random) -> None:
    """Every daemon, in a random order each round, looks at every mailbox once: takes a free
    one while under its share, gives one back while over it (what the watchers do)."""
    for _ in range(rounds):
        daemons = list(holders)
        rng.shuffle(daemons)
        for daemon in daemons:
            mine = holders[daemon]
            for box in rng.sample(range(mailboxes), mailboxes):
                taken = any(box in held for held in holders.values())
                if box in mine and should_give(len(mine), mailboxes, len(holders)):
                    mine.discard(box)
                elif not taken and may_take(len(mine), mailboxes, len(holders)):
                    mine.add(box)


def test_daemons_coming_and_going_leave_every_mailbox_served_once_and_the_load_even():
    rng = random.Random(47)
    for mailboxes in (1, 2, 30, 600):
        holders: dict[int, set[int]] = {0: set()}
        for change in range(12):
            if len(holders) > 1 and rng.random() < 0.4:
                del holders[rng.choice(list(holders))]  # killed: its locks went with its session
            else:
                holders[change + 1] = set()  # another host started
            _settle(mailboxes, holders, 3, rng)
            served = [box for held in holders.values() for box in held]
            assert sorted(served) == list(range(mailboxes)), (mailboxes, len(holders), len(served))
            share = -(-mailboxes // len(holders))
            assert all(len(held) <= share for held in holders.values())
