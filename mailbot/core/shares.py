"""How many of the mailboxes one daemon serves when several share one store.

Every daemon on a PostgreSQL store is counted (a shared lock each holds, `turns`); each
serves at most its fair share, the mailboxes divided by the daemons, rounded up. Then no
mailbox stays unserved: while one is free, the daemons together hold fewer than
daemons x share, so one of them holds fewer than its share and takes it. A daemon that
holds more than its share (another joined) gives one back at a time, which a daemon below
its share takes within seconds (`turns.LOOK_AGAIN_SECONDS`).
"""

from __future__ import annotations

import math


def fair_share(mailboxes: int, daemons: int) -> int:
    """The most mailboxes one of `daemons` daemons serves (at least one daemon: this one)."""
    return math.ceil(mailboxes / max(1, daemons))


def may_take(held: int, mailboxes: int, daemons: int) -> bool:
    """Whether a daemon serving `held` mailboxes takes one more that is free."""
    return held < fair_share(mailboxes, daemons)


def should_give(held: int, mailboxes: int, daemons: int) -> bool:
    """Whether a daemon serving `held` mailboxes gives one back (more daemons came)."""
    return held > fair_share(mailboxes, daemons)
