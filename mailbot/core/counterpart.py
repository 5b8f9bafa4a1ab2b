"""The counterpart's own ticket reference: learned from LKPP's mail, never hard-coded. Pure.

SOP-015 is a conversation between two helpdesks, and LKPP's side answers through ticket
software. Each system threads mail onto its ticket by a reference in the subject, in its
own form: Request Tracker `[lkpp.test #5]`, OTRS/Znuny/Zammad `[Ticket#2026112110000123]`,
osTicket `[#7734]`, Jira Service Management `(SD-123)` or `[SD-123]`, Freshdesk/Zendesk
`#4521`, a desk's `[LKPP #123]`; RT also names its ticket in a pseudo Message-ID in
References (`<RT-Ticket-5@lkpp.test>`), and a person may write "nomor tiket 123456".

mailbot learns the reference from LKPP's first verified mail on a case (its auto-reply or
its first answer), keeps it exactly as written with its form, puts it in the subject of
every later mail to LKPP on that ticket (the requester's data, status requests,
reminders), so their system adds it to the same ticket, and matches their later mail by
it. A reference counts only when LKPP's authenticated mail brought it (SPEC 9): the
requester's own subject never puts one into mail to LKPP (`without_references`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.core.matching import tag_pattern

LPSE_SUPPORT = "lpse-support"  # the form of a number staff recorded with `#lpse-support` (E12e)


@dataclass(frozen=True)
class Reference:
    """One counterpart reference as its system wrote it."""

    text: str  # exactly as written: "[lkpp.test #5]", "(SD-123)", "RT-Ticket-5@lkpp.test"
    form: str  # "tag" | "ticket" | "osticket" | "jira" | "hash" | "message-id" | "number"
    number: str  # the counterpart's ticket number or key: "5", "SD-123"

    @property
    def key(self) -> str:
        """What two mentions of one reference share, case and spacing aside: the form, the
        system's name where the form has one (RT's rtname), the number."""
        if self.form == "tag":
            name = re.sub(r"\s+", " ", self.text[1:self.text.index("#")].strip().lower())
            return f"tag:{name}#{self.number}"
        if self.form == "message-id":
            return f"tag:{self.text.split('@', 1)[1].lower()}#{self.number}"  # RT's rtname is its Message-ID domain
        return f"{'ticket' if self.form == 'number' else self.form}:{self.number.upper()}"

    @property
    def in_subject(self) -> bool:
        """Whether it is written in a subject as it stands (a pseudo Message-ID goes in
        References; a number read from the text has no form of its own to copy)."""
        return self.form not in ("message-id", "number")


# `[host #5]`, `[LKPP #123]`, `[Helpdesk LKPP - Tiket #987654]`: a name, then `#N`.
_TAG = re.compile(r"\[(?P<name>[^\[\]#]{1,60}?)\s*#\s*(?P<n>\d{1,12})\]")
_TICKET = re.compile(r"\[?\bTi(?:c)?ket\s?#\s?:?\s?(?P<n>\d{3,})\]?", re.IGNORECASE)
_OSTICKET = re.compile(r"\[#(?P<n>\d{1,12})\]")
_JIRA = re.compile(r"[\(\[](?P<n>[A-Z][A-Z0-9_]{1,9}-\d{1,7})[\)\]]")
_HASH = re.compile(r"(?<![\w#\[/&-])#(?P<n>\d{3,12})\b(?![-/]\d)")
_RT_ID = re.compile(r"^RT-Ticket-(?P<n>\d{1,12})@(?P<host>[^\s<>@]+)$", re.IGNORECASE)
# A named tag first ("[Helpdesk LKPP - Tiket #987654]" is one span), but "[Ticket #12]" is the ticket form.
_SUBJECT_FORMS = (("tag", _TAG), ("ticket", _TICKET), ("osticket", _OSTICKET), ("jira", _JIRA), ("hash", _HASH))
_TICKET_WORD = re.compile(r"\s*ti(?:c)?ket\s*$", re.IGNORECASE)


def references_in(subject: str, references: Iterable[str], own_prefixes: Iterable[str],
                  body_number: str | None = None) -> tuple[Reference, ...]:
    """The counterpart references a mail carries, most telling first: its subject's (in the
    forms above, the unit's own tags aside), RT's pseudo Message-IDs in References, then a
    number its text names (`body_number`, read by the `tickets` rules of lkpp.yaml)."""
    found: list[Reference] = []
    rest = _without_own_tags(subject, own_prefixes)
    for form, pattern in _SUBJECT_FORMS:

        def take(match: re.Match[str], form: str = form) -> str:
            if form == "tag" and _TICKET_WORD.match(match.group("name")):
                return match.group(0)  # "[Ticket #12]": the ticket form, read next
            found.append(Reference(match.group(0).strip(), form, match.group("n")))
            return " "  # one span is one reference

        rest = pattern.sub(take, rest)
    for mid in references:
        rt = _RT_ID.match(mid.strip().strip("<>"))
        if rt:
            found.append(Reference(rt.group(0), "message-id", rt.group("n")))
    if body_number:
        found.append(Reference(body_number, "number", body_number))
    return tuple({r.key: r for r in reversed(found)}[k] for k in dict.fromkeys(r.key for r in found))


def without_references(subject: str, own_prefixes: Iterable[str], keep: str | None = None) -> str:
    """A subject for mail to LKPP with no counterpart reference in it but `keep` (the one
    learned from LKPP's verified mail): a requester who wrote "[lkpp.test #3]" into their
    subject never sends our escalation onto another case of LKPP's (SPEC 9)."""
    own = [(m.start(), m.end()) for p in own_prefixes for m in tag_pattern(p).finditer(subject)]

    def strip(match: re.Match[str]) -> str:
        if any(a <= match.start() < b for a, b in own) or (keep and match.group(0).strip() == keep):
            return match.group(0)
        return " "

    text = subject
    for _form, pattern in _SUBJECT_FORMS:
        text = pattern.sub(strip, text)
        own = [(m.start(), m.end()) for p in own_prefixes for m in tag_pattern(p).finditer(text)]
    return re.sub(r"\s{2,}", " ", text).strip()


def _without_own_tags(subject: str, own_prefixes: Iterable[str]) -> str:
    for prefix in own_prefixes:
        subject = tag_pattern(prefix).sub(" ", subject)
    return subject
