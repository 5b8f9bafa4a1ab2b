"""Whether a person answered: one rule for every reply that counts as someone's
decision. Pure.

Some replies decide something: the staff member's answer to a held call or visit (SPEC 3, 9),
the coordinators' and the head's word on a case sent to them (E12b, E12f), a requester's
answer to a solution, with its rating, and their thanks after closing (E4, E5), the data they
were asked for, which goes to LKPP at once (E3), and a staff member's plain reply to a notice,
which goes to the requester as the unit's answer (E6). An
out-of-office rule answers all of these too, and many send no header that says so: no
`Auto-Submitted`, no `X-Autoreply`, a plain `Re: <subject>`. What tells its answer from a
person's, whatever its words:

- an explicit command (`#buka`, `#jawab`) at the top: only a person writes one;
- a file its writer attached (a document, a scan, a spreadsheet): an out-of-office rule
  attaches none, and the requester who sends LKPP's requested documents with "Maaf pak, saya
  sedang di luar kota" has answered (a logo, a vCard, a signature, the returned original are
  no such file);
- the machine's headers (SPEC 5), when it sends them;
- its words: an autoresponder's notice is made of a few kinds of sentence (away, back on a
  day, reads mail rarely, answers later, received the mail, urgent matters to someone else)
  and little else (`parsers.autoreply_words`);
- its behaviour: a responder answers every mail of ours with the same words, so the same
  text of some length that its sender already sent in answer to our mail on another ticket
  (the digest, another case) is a responder's, however it is worded.

How fast a reply came is no sign: a coordinator who answers "Setuju" on a phone a few seconds
after the case arrived is a person, and a responder that waits a minute is still one.

`not_a_person` is the rule; what a reply that is not a person's does instead is each caller's
(`classify`): a held form stays held, a direction is passed on but ends no wait, a solution
stays waiting for its requester's own answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from mailbot.core.commands import parse_commands
from mailbot.core.facts import Event, Facts
from mailbot.core.loops import repeats
from mailbot.model import InboundMessage, State
from mailbot.parsers.autoreply_words import away_notice

# How far back a sender's earlier answers are compared (`lookup` reads them for that long).
REPEATED_DAYS = 30
# The states in which a requester's reply decides (E4, E5: a confirmation, a rating, a
# rejection) or goes on at once as the data LKPP or the unit asked for (E3, E12g): an
# out-of-office there would close, reopen or be forwarded to LKPP as the requester's answer.
DECIDED_BY_REPLY = frozenset({State.RESOLVED, State.CLOSED, State.AWAITING_INFO})


def not_a_person(msg: InboundMessage, said_before: Iterable[str] = (), *, away: bool = False) -> str | None:
    """Why this reply is no person's answer, or None when a person answered.

    `said_before`: the new texts its sender sent the unit in the last `REPEATED_DAYS`, on
    other tickets than this reply's (or on none): a responder repeats itself across our mail,
    a person who insists repeats on one ticket. `away`: its words must also say that their
    writer is away or that a machine sent them (`AWAY`): a staff member's reply that goes to
    the requester as the unit's answer may well say only "Email Anda sudah kami terima dan akan
    kami tindak lanjuti", and dropping that would leave the requester unanswered."""
    if msg.is_automatic:
        return msg.auto_reason
    if carries_a_file(msg) or parse_commands(msg.new_text).commands:
        return None
    sender = f"{msg.from_addr.name} <{msg.from_addr.addr}>"
    words = away_notice(msg.new_text, sender, AWAY if away else None)
    if words is not None:
        return f"autoresponder's words ({words})"
    if repeats(msg.new_text, said_before):
        return "autoresponder: the same words it sent in answer to other mail"
    return None


# What an autoresponder may carry that no person attached for the case: a logo or a picture,
# a vCard, a calendar entry, a signature (S/MIME, PGP), Outlook's TNEF, the original it answers.
_NOT_A_FILE = ("image/", "message/", "multipart/", "text/calendar", "text/vcard", "text/x-vcard", "text/directory",
               "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
               "application/ms-tnef", "application/vnd.ms-tnef")


def carries_a_file(msg: InboundMessage) -> bool:
    """Whether the reply carries a file its writer attached: a document, not a logo or a
    signature (`_NOT_A_FILE`)."""
    return any(not a.content_type.lower().startswith(_NOT_A_FILE) for a in msg.attachments)


# The kinds of an autoresponder's sentence that no one writes to a requester as the answer:
# away, back on a day, reading mail rarely, sent by a machine (`rules/autoreplies.yaml`).
AWAY = frozenset({"absent", "return", "limited", "automatic"})


def as_automatic(facts: Facts, said_before: Iterable[str], *, away: bool = False) -> Facts | None:
    """The reply, when no person wrote it, as the automatic mail it is (SPEC 5: recorded,
    never acted on), with the reason; None when a person answered (`away`: as `not_a_person`)."""
    why = not_a_person(facts.message, said_before, away=away)
    return None if why is None else replace(facts, message=replace(facts.message, auto_reason=why),
                                            event=Event.AUTOMATIC)
