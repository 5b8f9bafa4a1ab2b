"""Loops across addresses (issue 37, attack 6). Pure.

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
(red team of issue 57). People of one company or of gmail.com write "Lupa password" or "Mohon bantuan,
tidak bisa login" as new mail within the same hour (an outage morning), and each gets an
ack (issue 57). A third address is needed before anything is held: the first two rounds
are answered, the third is not. A responder that drops every citation looks like those
people; the ack budget's share bounds it (`limits.ack_share`), as it bounds any flood.

The same sign tells a responder from a person on one address too (`repeats`, issue 58): it
answers our mail on other tickets with the same words, however they are worded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from mailbot.core.inboxes import inbox_key
from mailbot.model import Refusal

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
# words those read as a responder's: red team of issue 58). A canned notice that says
# nothing the word lists know is a paragraph, not a line.
REPEATED_WORDS = 16

_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)
_TOKEN_WITH_DIGIT = re.compile(r"\S*\d\S*")
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
