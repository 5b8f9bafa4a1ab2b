"""How long one IDLE lasts before mailbot renews it, learnt from the server.

RFC 2177 lets a server end an IDLE after 30 minutes, so mailbot renews it within 25, and
at least every `poll_seconds`. Some servers, NAT boxes and load balancers end silent
sessions much sooner (Zimbra's imap_authenticated_max_idle_time set low): each ending
costs a new session, and mail that comes meanwhile waits for it. Two endings that agree
teach mailbot the server's time, and it renews IDLE before it. What was learnt may be
passing (a NAT box replaced, a setting mended), so after an hour mailbot tries the whole
length once more: a server still ending sessions then ends one, which, agreeing with what
was learnt, shortens IDLE again at once.

Pure: the caller says what happened and when (`time.monotonic()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDLE_RENEW_SECONDS = 25 * 60  # servers may end IDLE after 30 minutes (RFC 2177)
IDLE_FLOOR_SECONDS = 2.0  # the shortest IDLE a server's early endings can teach
IDLE_TRY_FULL_SECONDS = 3600.0  # how long a shortened IDLE is kept before the whole length is tried again


def idle_renewal(endings: list[float], renewal: float) -> float:
    """How long IDLE lasts from now on, given how long the last two IDLEs lasted that the
    server ended before mailbot's own DONE (`endings`, seconds): when the two agree (within a
    quarter), three quarters of the shorter, never less than `IDLE_FLOOR_SECONDS`, never
    more than `renewal`, the present length. One ending alone teaches nothing: a restarted
    server or a dropped line ends an IDLE at any moment."""
    if len(endings) < 2:
        return renewal
    first, second = endings[-2:]
    if abs(first - second) > 0.25 * max(first, second):
        return renewal
    return min(renewal, max(IDLE_FLOOR_SECONDS, 0.75 * min(first, second)))


@dataclass
class IdleLength:
    """One mailbox's IDLE length: learnt from the server's endings, tried whole again hourly."""

    renew: float = float(IDLE_RENEW_SECONDS)
    endings: list[float] = field(default_factory=list)  # IDLEs the server ended, since one lasted
    shortened_at: float | None = None  # when the present shorter length was learnt
    learnt_from: float = 0.0  # the ending it was learnt from

    def try_whole(self, now: float) -> bool:
        """Whether the whole length is tried again now, an hour after it was shortened; the
        ending it was learnt from is kept, so one more such ending shortens it again."""
        if self.shortened_at is None or now - self.shortened_at < IDLE_TRY_FULL_SECONDS:
            return False
        self.renew, self.shortened_at, self.endings = float(IDLE_RENEW_SECONDS), None, [self.learnt_from]
        return True

    def ended(self, after: float, lasting: float, now: float) -> float | None:
        """The server ended an IDLE `after` seconds of `lasting`: the new, shorter renewal
        when this ending and the one before agree, else None."""
        if not IDLE_FLOOR_SECONDS <= after < lasting - 1:  # a dead session, or mailbot's own DONE
            return None
        self.endings = [*self.endings[-1:], after]
        renewal = idle_renewal(self.endings, lasting)
        if renewal >= lasting:
            return None
        self.renew, self.endings, self.shortened_at, self.learnt_from = renewal, [], now, after
        return renewal

    def lasted(self) -> None:
        """An IDLE lasted its length: an ending before it was something else."""
        self.endings = []
