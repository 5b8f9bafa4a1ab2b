"""What `mailbot shadow` compares: what was done with each message, as recorded, against what
the candidate (this version, that configuration) does with it on a scratch store. Pure.

A message's handling is read the same way from both stores (`io/store/handlings.py`), so the
two sides differ only where the decisions differ: its outcome (handled, quarantined, a
duplicate), its ticket (new, or which: by number, which the shadow keeps as recorded), the
sender's role, whether a person or a machine wrote it, the event it was, the commands run or
refused, the ticket's states, the other history it wrote, and the mails it caused (kind and
recipients). Mail that no message caused (reminders, overdue notices, the digest, the monthly
summary) is compared as a whole, a multiset of (ticket, kind, recipients, day): a timer that
fires otherwise shows there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# The events a message made that say what ran of a staff member's commands (`core/facts.py`
# labels them command_*; the data commands record what they changed).
COMMAND_EVENTS = frozenset({"metadata_changed", "contact_changed", "not_run"})
# The labels of mail a machine sent (SPEC 5): recorded, never answered as a person's.
AUTOMATIC_LABELS = frozenset({"automatic", "bounce", "escalation_bounced", "info_bounced", "delivery_notice"})
# History that only restates the mail compared beside it, or when it was sent.
SAID_BY_MAILS = frozenset({"mail_queued", "mail_sent_before_restore"})

# The kinds of difference, in the order a report lists them.
KINDS = ("outcome", "ticket", "role", "automatic", "event", "category", "commands", "states", "mails", "mail_text",
         "history", "timer_mails")


@dataclass(frozen=True, order=True)
class MailSent:
    """One mail: its kind, its recipients (lower case, sorted) and a digest of its words
    (`text`: "" where they are not known, a mail not archived)."""

    kind: str
    to: tuple[str, ...]
    text: str = field(default="", compare=False)

    @classmethod
    def of(cls, kind: str, recipients: Iterable[str], text: str = "") -> MailSent:
        return cls(kind, tuple(sorted({a.strip().lower() for a in recipients if a.strip()})), text)

    def __str__(self) -> str:
        return f"{self.kind} -> {', '.join(self.to) or '(nobody)'}"


@dataclass(frozen=True)
class Handling:
    """What was done with one message that reached a mailbox."""

    mailbox: str
    message_id: str
    at: datetime  # when mailbot handled it: the clock the shadow runs it at
    outcome: str  # "processed", "quarantined", "duplicate"
    archive_path: str | None = None
    received_at: datetime | None = None
    ticket: str | None = None  # its ticket's number
    new_ticket: bool = False
    role: str | None = None
    event: str | None = None  # the decision's label (`Event`)
    reason: str | None = None  # why it was quarantined
    category: tuple[str, ...] = ()  # "category: pengaduan", "priority: normal", as guessed or set
    commands: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # "open -> escalated"
    history: tuple[str, ...] = ()  # the other events it wrote, by kind
    mails: tuple[MailSent, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.mailbox, self.message_id

    @property
    def automatic(self) -> bool:
        return self.event in AUTOMATIC_LABELS

    def facts(self) -> dict[str, object]:
        """Each compared fact by its kind of difference."""
        return {"outcome": self.outcome if self.outcome != "quarantined" else f"quarantined ({self.reason})",
                "ticket": f"{self.ticket or '-'}{' (new)' if self.new_ticket else ''}", "role": self.role or "-",
                "automatic": "automatic" if self.automatic else "person", "event": self.event or "-",
                "category": self.category, "commands": self.commands, "states": self.states,
                "history": self.history, "mails": tuple(sorted(self.mails))}


@dataclass(frozen=True)
class TimerMail:
    """A mail no message caused: a timer's, the digest's, the summary's."""

    mailbox: str
    ticket: str | None
    mail: MailSent
    day: str  # the day it was queued, in the unit's time zone

    def __str__(self) -> str:
        return f"{self.day} {self.mailbox}/{self.ticket or '-'}: {self.mail}"


@dataclass(frozen=True)
class Divergence:
    """One message (or, for `timer_mails`, one day's mail of a ticket) decided otherwise."""

    mailbox: str
    message_id: str | None
    archive_path: str | None
    at: datetime | None
    kinds: tuple[str, ...]
    recorded: dict[str, object] = field(default_factory=dict)
    candidate: dict[str, object] = field(default_factory=dict)


def compare(recorded: Handling, candidate: Handling | None) -> Divergence | None:
    """How the candidate's handling of a message differs from the record; None when alike.
    A message the candidate did not handle at all differs in its outcome."""
    if candidate is None:
        return Divergence(recorded.mailbox, recorded.message_id, recorded.archive_path, recorded.at, ("outcome",),
                          {"outcome": recorded.outcome}, {"outcome": "not handled"})
    before, after = _with_words(recorded, candidate)
    kinds = tuple(kind for kind in KINDS if kind in before and before[kind] != after[kind])
    if not kinds:
        return None
    return Divergence(recorded.mailbox, recorded.message_id, recorded.archive_path, recorded.at, kinds,
                      {k: before[k] for k in kinds}, {k: after[k] for k in kinds})


def _with_words(recorded: Handling, candidate: Handling) -> tuple[dict[str, object], dict[str, object]]:
    """Each side's facts, and where both sent the same mails (kind, recipients), the words of
    those that read otherwise (`mail_text`)."""
    before, after = recorded.facts(), candidate.facts()
    worded = None if before["mails"] != after["mails"] else _worded_otherwise(recorded.mails, candidate.mails)
    if worded is None:
        return before, after
    return {**before, "mail_text": worded[0]}, {**after, "mail_text": worded[1]}


def _worded_otherwise(recorded: Sequence[MailSent], candidate: Sequence[MailSent]) -> tuple[tuple[str, ...],
                                                                                  tuple[str, ...]] | None:
    """The same mails (kind, recipients) whose words differ, each side's digests; None when
    the words are alike or not known on one side."""
    pairs = [(a, b) for a, b in zip(sorted(recorded), sorted(candidate), strict=True)
             if a.text and b.text and a.text != b.text]
    if not pairs:
        return None
    return tuple(f"{a}: {a.text}" for a, _ in pairs), tuple(f"{b}: {b.text}" for _, b in pairs)


def compare_all(recorded: Sequence[Handling], candidate: Sequence[Handling]) -> list[Divergence]:
    """Every recorded message against the candidate's handling of it, in the record's order."""
    by_key = {h.key: h for h in candidate}
    return [d for h in recorded if (d := compare(h, by_key.get(h.key))) is not None]


def timer_differences(recorded: Iterable[TimerMail], candidate: Iterable[TimerMail]) -> list[Divergence]:
    """The mail no message caused that one side has and the other not, grouped by mailbox,
    ticket and day: what was recorded there, what the candidate sends."""
    before, after = Counter(recorded), Counter(candidate)
    groups: dict[tuple[str, str | None, str], tuple[list[str], list[str]]] = {}
    for mail, count in (before - after).items():
        groups.setdefault((mail.mailbox, mail.ticket, mail.day), ([], []))[0].extend([str(mail.mail)] * count)
    for mail, count in (after - before).items():
        groups.setdefault((mail.mailbox, mail.ticket, mail.day), ([], []))[1].extend([str(mail.mail)] * count)
    return [Divergence(box, None, None, None, ("timer_mails",),
                       {"ticket": ticket or "-", "day": day, "mails": tuple(sorted(gone))},
                       {"ticket": ticket or "-", "day": day, "mails": tuple(sorted(new))})
            for (box, ticket, day), (gone, new) in sorted(groups.items(), key=lambda g: (g[0][2], g[0][0],
                                                                                       g[0][1] or ""))]


def by_kind(differences: Iterable[Divergence]) -> dict[str, int]:
    """How many differences are of each kind (one difference may be of several)."""
    counts = Counter(kind for d in differences for kind in d.kinds)
    return {kind: counts[kind] for kind in KINDS if counts[kind]}
