"""Loops across addresses. Pure.

An auto-responder that answers each of our acks from a new address with a new subject is
a new sender every round to SPEC 5's per-address limit: one ack, one ticket, one staff
notice, every round, for ever. What gives it away is that its words repeat while its
addresses change: the same text (or subject), numbers and ids aside, from several
addresses of one domain within an hour. Such mail still opens its ticket and reaches
staff; only the ack is not sent, which is all a responder answers, so the loop stops.

Only mail that answers mail of ours (its In-Reply-To or References cite a Message-ID
mailbot sent, or its subject carries our tag) is weighed: a loop needs our mail to cause
theirs, and a responder answers within minutes of it, so only mail of ours sent within
`CAUSED_WITHIN` counts. A requester who writes again by answering the last mail they had
from the unit, weeks after their ticket closed ("Re: [LPSE-T #2026-00003] Tanda terima
..."), answers nothing that caused it: on an outage morning several vendors of one webmail
domain do so within the hour, with the same subject but for the number, and each is acked
. People of one company or of gmail.com write "Lupa password" or "Mohon bantuan,
tidak bisa login" as new mail within the same hour (an outage morning), and each gets an
ack. A third address is needed before anything is held: the first two rounds
are answered, the third is not.

A responder that drops every citation (a ticket desk answering each of our acks from a new
address of its domain, with a new subject and its canned words) looks like those people in
any one mail; what gives it away is the order of things (`rotating`): each of its mails
comes within `MACHINE_PACE` of an ack of ours to the address of its previous round, one
mail after each ack, the same words each time, and nothing else of those words from its
domain in between. People of one domain who happen to write one long text at a busy hour
(a message passed round a group chat) can look so for a round or two, so the round that
would be the third is tested first: its ack is held `PROBE` (`Rotation.suspected`). People
go on writing while it waits, and their mail breaks the chain; a responder, which only
answers us, stays silent until the ack goes and then answers it at once: that round is
stopped (`Rotation.stopped`). Its mail is recorded on the ticket its first round opened,
and the coordinators are told once. Thirty rounds became three acks and three tickets
(a simulation of 300 people of one domain over a morning, up to all of them writing the
same long text: no person stopped, fewer than one ack a morning held for the test).

The same sign tells a responder from a person on one address too (`repeats`): it
answers our mail on other tickets with the same words, however they are worded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from mailbot.core.inboxes import inbox_key
from mailbot.model import Refusal, Ticket

# The automatic-mail reason of a responder's stopped round (`Rotation.stopped`).
ROTATING = "answers our acks from rotating addresses"

WINDOW_HOURS = 1
# How long after our mail went an answer to it can be a responder's: minutes as a rule, a
# day at the outside (a held ack, a slow relay). Mail of ours older than that caused nothing.
CAUSED_WITHIN = timedelta(days=1)
# Earlier addresses of the domain that wrote the same words before the ack is held: the
# third address repeating them is a responder (the issue: the loop stops within 5 rounds).
EARLIER_ADDRESSES = 2
FINGERPRINTS_KEPT = 16384  # texts whose fingerprint is kept: more than an hour's mail of a busy unit
# Words a text must have before its repetition tells anything. People write their own stock
# line again and again: "Setuju", "Mohon segera ditindaklanjuti", a coordinator's "Setuju,
# silakan dieskalasi ke LKPP sesuai SOP yang berlaku." under every case, a vendor's "YA 5,
# terima kasih banyak pak, akun saya sudah bisa dipakai lagi." under every solution (at 8
# words those read as a responder's: a red team). A canned notice that says
# nothing the word lists know is a paragraph, not a line.
REPEATED_WORDS = 16

# Both read each character a bounded number of times: `^\s*>` also ran over the blank lines
# before a line and `\S*\d\S*` tried every position of a word without a digit, so a reply
# with a run of 8,000 blank lines, or a word of 100,000 letters, took it past its 30 s. A
# quoted line is found from its own start (the blank lines before it stay: blanks are dropped
# below anyway); a word with a digit from its first character, read once.
_QUOTED = re.compile(r"^[^\S\n]*>.*$", re.MULTILINE)
_TOKEN_WITH_DIGIT = re.compile(r"(?<!\S)[^\s\d]*+\d\S*")
_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|aw|wg|tr|rv|sv|balas|bls|terusan)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_WORDS = re.compile(r"[^\w]+")


@lru_cache(maxsize=FINGERPRINTS_KEPT)
def fingerprint(text: str) -> str:
    """The words of a text with what a responder changes per round taken out: quoted lines,
    every token with a digit in it (ticket numbers, ids, dates, counters), case, punctuation.
    A text with no word left (an empty body, only numbers) has none: "" (nothing repeats).

    Kept for the texts seen last: each message weighs the hour's mail of its domain, so a
    backlog of a thousand requests of one domain read each earlier text again, and without
    the cache these regexes and hashes took three quarters of intake (bench/ingest.py)."""
    text = _QUOTED.sub(" ", text)
    text = _TOKEN_WITH_DIGIT.sub(" 0 ", text.lower())
    words = " ".join(_WORDS.sub(" ", text).split())
    if not any(c.isalpha() for c in words):
        return ""
    return hashlib.sha1(words.encode()).hexdigest()[:16]


def repeats(text: str, said_before: Iterable[str]) -> bool:
    """Whether `text`, long enough to tell (`REPEATED_WORDS`), is one of the earlier texts,
    numbers, case and punctuation aside (`fingerprint`)."""
    if len(text.split()) < REPEATED_WORDS:
        return False
    mark = fingerprint(text)
    return bool(mark) and any(fingerprint(earlier) == mark for earlier in said_before)


def subject_fingerprint(subject: str) -> str:
    return fingerprint(_PREFIX.sub("", subject))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def looping(sender: str, subject: str, text: str, recent: Iterable[tuple[str, str, str]],
            earlier: int = EARLIER_ADDRESSES) -> Refusal | None:
    """Why mail from `sender` is a responder answering from rotating addresses, or None.
    `recent`: (sender, subject, new text) of the mail the unit received from `sender`'s
    domain in the last `WINDOW_HOURS`, this message excluded; `earlier`: how many other
    addresses wrote the same words (text or subject) before this one is not answered."""
    seen = _seen(inbox_key(sender), _marks(subject, text), recent)
    for (what, _), addresses in sorted(seen.items()):
        if len(addresses) >= earlier:
            return Refusal("limit_looping", command=what, value=str(len(addresses) + 1), name=domain_of(sender))
    return None


def _marks(subject: str, text: str) -> set[tuple[str, str]]:
    """What repeats between mails: the text's fingerprint and the subject's, those that are not empty."""
    marks = {("text", fingerprint(text)), ("subject", subject_fingerprint(subject))}
    return {mark for mark in marks if mark[1]}


def _seen(own: str, marks: set[tuple[str, str]],
          recent: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], set[str]]:
    """The other addresses (inbox keys) that wrote each of `marks`."""
    seen: dict[tuple[str, str], set[str]] = {}
    for other, other_subject, other_text in recent:
        key = inbox_key(other)
        if key == own:
            continue
        for mark in _marks(other_subject, other_text) & marks:
            seen.setdefault(mark, set()).add(key)
    return seen


# --- a responder that cites nothing (`rotating`) ------------------------------------------------

# How soon after our ack a responder's answer to it arrives: a machine answers in seconds,
# a ticket desk that fetches its mail every few minutes within a few.
MACHINE_PACE = timedelta(minutes=5)
# How long the ack of a suspected round waits (`Rotation.suspected`), and how long after its
# mail an ack must have gone for the answer to it to prove a machine (`Rotation.stopped`).
PROBE = timedelta(minutes=15)
SILENCE = timedelta(minutes=10)
SUSPECTED_ROUNDS = 2  # earlier rounds, each answering the ack of the one before, before an ack is tested
STOPPED_ROUNDS = 3  # ... before a round whose tested ack was answered is stopped
_CHAIN_MOST = 60  # rounds followed back at most (an hour of them at a machine's pace)


@dataclass(frozen=True)
class DomainMail:
    """Earlier mail of the sender's domain: who (`inbox_key`), when it arrived, its new text, its ticket."""

    address: str
    at: datetime
    text: str
    ticket: int | None = None
    automatic: bool = False  # recorded as automatic mail (a stopped round is)


@dataclass(frozen=True)
class AckSent:
    """An ack of ours to an address of the sender's domain, when it was sent."""

    address: str
    at: datetime


@dataclass(frozen=True)
class Rotation:
    """A mail that answers our ack to the previous round of a chain: `rounds` counts the chain's
    mails, this one included; `ticket_ids`: the tickets of its earlier rounds, the first first
    (where a stopped round's mail is recorded)."""

    domain: str
    rounds: int
    tested: bool  # the ack the mail answers was held and went long after its round arrived
    ticket_ids: tuple[int, ...] = ()
    tickets: tuple[Ticket, ...] = ()  # those tickets, as the store read them (`io/lookup`)
    known: bool = False  # its words are those of a round stopped within the hour

    @property
    def suspected(self) -> bool:
        """Its ack waits `PROBE` first: people go on writing meanwhile, a responder does not."""
        return self.rounds - 1 >= SUSPECTED_ROUNDS and not self.stopped

    @property
    def stopped(self) -> bool:
        """A responder's: no ack, its mail on the first round's ticket, the coordinators told."""
        return self.known or (self.rounds - 1 >= STOPPED_ROUNDS and self.tested)

    @property
    def why(self) -> Refusal:
        if self.stopped:
            return Refusal("limit_rotating", value=str(self.rounds), name=self.domain)
        return Refusal("limit_probe", value=str(int(PROBE.total_seconds() // 60)), name=self.domain)


def weighable(text: str) -> bool:
    """Whether a text is long enough for its repetition to tell anything (`REPEATED_WORDS`)."""
    return len(text.split()) >= REPEATED_WORDS and bool(fingerprint(text))


def rotating(sender: str, text: str, arrived: datetime, earlier: Sequence[DomainMail],
             acks: Sequence[AckSent]) -> Rotation | None:
    """The chain of rounds a new mail from `sender` ends, when it answers our ack to the
    previous round (`earlier`: the mail of its domain of the last hour; `acks`: our acks to
    its addresses since, with when they went), or None. A round answers an ack when it is the
    first mail in the same words (`fingerprint`, at least `REPEATED_WORDS`) to arrive after
    the ack went, within `MACHINE_PACE`, from another address than the one acked; the chain
    counts only when every mail in those words of the last hour is one of its rounds. Once a
    round was stopped, the domain's mail in its words is the responder's for the hour."""
    if not weighable(text):
        return None
    same = _in_the_same_words(text, arrived, earlier)
    kept = [m.ticket for m in same if m.automatic and m.ticket is not None]
    if kept:  # its words are a stopped responder's: so is whatever else it sends in them
        return Rotation(domain_of(sender), len(same) + 1, True, tuple(kept[:1]), known=True)
    chain, tested = _chain(DomainMail(inbox_key(sender), arrived, text), same, acks)
    if not chain or len({id(m) for m in chain}) < len(same):
        return None  # mail in those words that answered no ack of ours: people
    return Rotation(domain_of(sender), len(chain) + 1, tested, _tickets_of(chain))


def _tickets_of(chain: Sequence[DomainMail]) -> tuple[int, ...]:
    """The rounds' tickets, the first round's first."""
    return tuple(m.ticket for m in reversed(chain) if m.ticket is not None)


def _in_the_same_words(text: str, arrived: datetime, earlier: Sequence[DomainMail]) -> list[DomainMail]:
    """The domain's earlier mail in the same words as `text`, oldest first."""
    mark = fingerprint(text)
    return sorted((m for m in earlier if m.at <= arrived and fingerprint(m.text) == mark), key=lambda m: m.at)


def _chain(current: DomainMail, same: Sequence[DomainMail], acks: Sequence[AckSent]) -> tuple[list[DomainMail],
                                                                                            bool]:
    """The rounds before `current`, latest first, each answering our ack to the one before it;
    and whether the first ack went only after its round's mail had waited `SILENCE` (held)."""
    chain: list[DomainMail] = []
    tested = False
    while len(chain) < _CHAIN_MOST:
        found = _answered(current, same, acks)
        if found is None:
            break
        previous, ack = found
        tested = tested or (not chain and ack.at - previous.at >= SILENCE)
        chain.append(previous)
        current = previous
    return chain, tested


def _acks_before(mail: DomainMail, acks: Sequence[AckSent]) -> list[AckSent]:
    """Our acks to another address within `MACHINE_PACE` before `mail`, the latest first."""
    return sorted((a for a in acks if a.address != mail.address and a.at <= mail.at
                   and mail.at - a.at <= MACHINE_PACE), key=lambda a: a.at, reverse=True)


def _answered(mail: DomainMail, same: Sequence[DomainMail],
              acks: Sequence[AckSent]) -> tuple[DomainMail, AckSent] | None:
    """The earlier round whose ack `mail` answers, and that ack: the latest ack within
    `MACHINE_PACE` before it to another address that wrote the same words before the ack went,
    with no mail in those words from elsewhere between the ack and `mail`."""
    for ack in _acks_before(mail, acks):
        rounds = [m for m in same if m.address == ack.address and m.at <= ack.at]
        if not rounds:
            continue
        if any(ack.at <= m.at < mail.at and m.address != mail.address for m in same):
            return None  # another mail in those words answered that ack first
        return rounds[-1], ack
    return None
