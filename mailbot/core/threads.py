"""Which mail a mail answers: In-Reply-To and References, one thread per audience. Pure.

A ticket's mail runs in three threads, each with the messages of its own people, in and
out: the requester's, staff's (coordinators and heads with them) and LKPP's. A mail
threads under the latest message of its audience's thread, so each reader's client shows
one conversation, and never cites an id that mailbot made up (a mail that carried none).
"""

from __future__ import annotations

from mailbot.model import REUSED_ID_MARK, SYNTHETIC_ID_DOMAIN, InboundMessage, Ticket

# The roles of a ticket's messages (in and out) that make up each audience's thread.
_THREADS = {"requester": ("requester",), "staff": ("staff", "coordinator", "head"), "lkpp": ("lkpp",)}


def thread(ticket: Ticket | None, audience: str, msg: InboundMessage | None,
           past: tuple[tuple[str, str], ...]) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To the latest mail of this audience's thread; References from its start.
    `past`: (role, Message-ID) of the ticket's messages, in and out, in order. Only ids the
    mails carried: none that mailbot made up for a mail without one."""
    if ticket is None or ticket.id is None or audience not in _THREADS:
        return _under_message(msg)
    cited = [c for mid in _thread_ids(audience, msg, past) if (c := citable_id(mid))]
    if not cited:
        return None, ()
    return cited[-1], tuple(dict.fromkeys((cited[0], *cited[-9:])))


def _thread_ids(audience: str, msg: InboundMessage | None, past: tuple[tuple[str, str], ...]) -> list[str]:
    """The Message-IDs of this audience's thread, oldest first."""
    ids = [mid for role, mid in past if role in _THREADS[audience]]
    if not ids and msg is not None and audience == "staff" and past:
        return [past[0][1]]  # the staff thread starts from the requester's mail
    return ids


def _under_message(msg: InboundMessage | None) -> tuple[str | None, tuple[str, ...]]:
    """Mail on no ticket's thread answers the message it is about, if any."""
    if msg is None:
        return None, ()
    cited = citable_id(msg.message_id)
    return (cited, (*msg.references, cited)) if cited else (None, tuple(msg.references))


def citable_id(message_id: str) -> str | None:
    """The Message-ID a mail client can thread by: the one the mail carried (a reused id
    without mailbot's mark), none for a mail that carried none."""
    if message_id.endswith("@" + SYNTHETIC_ID_DOMAIN):
        return None
    return message_id.split(REUSED_ID_MARK, 1)[0]
