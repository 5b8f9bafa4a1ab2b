"""What a mail says: its title and its template context, as its recipients may read them. Pure.

The context gives a template the ticket (number, tag, state, who asked), the words the
mail carries (the send's own, or LKPP's latest where it passes them on), the working
hours and deadlines it states, and what a staff notice says of the ticket now. What a
requester reads leaves out the unit's own (`ours`: internal notes, staff addresses); an
answer to an outside or unproven address carries no working link the sender chose, and
the first answer to a sender no server vouched for carries nothing of theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mailbot.core.greetings import without_salutation
from mailbot.core.identity import identity_of, labelled, shown_name
from mailbot.core.internal import redact, without_internal
from mailbot.core.links import defang
from mailbot.core.matching import tag
from mailbot.core.own_signature import desk_unsigned
from mailbot.core.passed_on import LKPP_WORDS
from mailbot.core.plan_inputs import Setup, Texts
from mailbot.core.recipients import internal
from mailbot.model import Audience, InboundMessage, Send, Ticket
from mailbot.settings import Config, MailboxConfig

# The first answers to a sender: to one no server vouched for, they carry nothing of theirs.
NEUTRAL_KINDS = frozenset({"ack", "message_refused"})

# The national desk's name, which its agents sign under ("Salam, Agus - Helpdesk LKPP",
# "Hormat kami,\nRina Marlina\nHelpdesk LKPP"): what names the desk in a signature.
LKPP_DESK = "Helpdesk LKPP"


def title_and_context(send: Send, ticket: Ticket | None, msg: InboundMessage | None, texts: Texts,
                      notice: Mapping[str, object], setup: Setup, to: tuple[str, ...],
                      cc: tuple[str, ...], limited: bool, vouched: bool) -> tuple[str, dict[str, Any]]:
    """The title and the template context of one mail to `to` and `cc`, as they may read them;
    `limited`: the loop limits count the mail (no person caused it); `vouched`: a server the
    unit trusts vouched for the From of `msg` (`trust.sender_vouched`)."""
    title, shown = _title(send, ticket, msg, setup), context(send, ticket, msg, texts, notice, setup)
    if any(not internal(setup.box, setup.cfg, a) for a in (*to, *cc)) or (send.to is Audience.SENDER and limited):
        title, shown = _defanged(send, title, shown, limited)
    if _unproven(send, ticket, msg, to, vouched):
        # The first answer to a sender no server vouched for carries nothing of theirs
        # (a lure in the Subject or the display name would come back From the unit; an ack staff
        # asked for or a caller's ack proves nothing of its addressee either): the tag and a
        # neutral title (`neutral_subjects` in words.yaml), no name, no subject, no text. A caller's
        # ack names the problem staff wrote down, defanged above like anything outside.
        title, shown = "", {**shown, "subject": "", "requester_name": "", "text": "", "unproven": True}
    return title, shown


def context(send: Send, ticket: Ticket | None, msg: InboundMessage | None, texts: Texts,
            notice: Mapping[str, object], setup: Setup) -> dict[str, Any]:
    """The template context of one mail: the ticket, the texts it carries, and what it says of
    the ticket now (`notice`: its deadlines and commands, `applicable.ticket_notice`)."""
    box, cfg = setup.box, setup.cfg
    text = _text(send, texts)
    if send.to is Audience.REQUESTER:
        text, send = _for_requester(text, send, texts, box, msg)
    terms = _terms(text, send, ticket, setup)  # what the mail's words say, then who and which ticket
    base = _ticket_context(ticket, msg, box)
    base.update(terms)
    if send.attach == "ticket" and ticket is not None:
        base.update(_problem(ticket, texts))
    if send.to in (Audience.STAFF, Audience.ASSIGNEE, Audience.COORDINATORS):
        base["unshown"] = [_unshown(kind, at, detail, cfg) for kind, at, detail in texts.unshown]
    base.update(notice)  # what a notice says of the ticket now (`applicable.ticket_notice`)
    base.update(send.context)
    return base


def _terms(text: str, send: Send, ticket: Ticket | None, setup: Setup) -> dict[str, Any]:
    """The texts, the working hours and the deadlines a mail states."""
    cfg = setup.cfg
    deadlines = setup.rules.deadlines(ticket.priority if ticket else None)
    return {
        "text": text, "note": send.text or "", "workdays": list(cfg.calendar.workdays), "hours": cfg.calendar.hours,
        "timezone": str(cfg.timezone), "reopen_days": cfg.reopen_days,
        "first_response_hours": _number(deadlines.first_response), "confirm_days": _number(deadlines.confirm_close),
        "close_days": _number(deadlines.awaiting_info_close), "identity": {},
        # seed 003's form: "Hari/Tanggal Konsultasi" and "Waktu", when the ticket was opened
        "opened": ticket.created_at.astimezone(cfg.timezone).isoformat() if ticket else "",
    }


def _problem(ticket: Ticket, texts: Texts) -> dict[str, Any]:
    """SOP-015 step 1: the problem as the requester wrote it, who they are, then the staff note;
    the same words sent twice (again, with the file forgotten the first time) once."""
    return {"text": "\n\n".join(dict.fromkeys(t.strip() for t in texts.requester_texts if t.strip())),
            "identity": identity_of(ticket, texts.requester_texts)}


def _text(send: Send, texts: Texts) -> str:
    """The words a mail carries: the send's own, or LKPP's latest where it passes them on."""
    if send.attach == "lkpp" and texts.latest_lkpp is not None:
        return texts.latest_lkpp[0]
    return send.text or ""


def _for_requester(text: str, send: Send, texts: Texts, box: MailboxConfig,
                   msg: InboundMessage | None) -> tuple[str, Send]:
    """What a requester may read of the text and of a consultation's problem as staff wrote it
    down: no internal notes or our own mail repeated, no staff address (SPEC sections 1, 2),
    and of LKPP's words neither its letter's opening to the unit nor its agent's signature."""
    if send.kind in LKPP_WORDS:
        # LKPP wrote them to the unit: its letter's opening ("Yth. Helpdesk LPSE Kota Batam,")
        # is left out, and the template introduces them as LKPP's answer; the agent's name is
        # the From's of LKPP's own mail, when it is the one being answered
        agent = (msg.from_addr.name,) if msg is not None and send.attach != "lkpp" and msg.from_addr.name else ()
        text = desk_unsigned(without_salutation(text), LKPP_DESK, agent)
    text = redact(without_internal(text, texts.internal, texts.sent_lkpp), box)
    if isinstance(send.context.get("problem"), str):
        send = replace(send, context={**send.context, "problem": redact(str(send.context["problem"]), box)})
    return text, send


def _unshown(kind: str, at: str, detail: Mapping[str, Any], cfg: Config) -> dict[str, Any]:
    """One record for the "since the last notice" lines of a staff mail."""
    try:
        when = datetime.fromisoformat(at).astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        when = at
    return {"kind": kind, "at": when, **{k: v for k, v in detail.items() if isinstance(v, (str, int, list))}}


def _ticket_context(ticket: Ticket | None, msg: InboundMessage | None, box: MailboxConfig) -> dict[str, Any]:
    context: dict[str, Any] = {
        "unit": box.display_name, "unit_address": box.address, "number": "-", "tag": "",
        "subject": msg.subject if msg else "", "state": "", "requester_name": "", "requester": "",
        "requester_label": "", "sender_label": "", "sender": msg.from_addr.addr if msg else "", "rating": None,
        "lkpp_ticket": None, "priority": None, "category": None, "assignee": None,
        "previous": None, "cited": None, "errors": [], "commands": [], "reason": "", "alert": "", "event": "",
        "confirmed": False, "due": "", "timer": "", "items": [], "attachment_names": [], "ran": [],
        "sealed": msg.sealed if msg else "",
    }
    if ticket is not None:
        context.update(_of_ticket(ticket, box))
        # a participant other than the requester (a supervisor, a Pokja member in Cc): staff see who wrote
        other = msg is not None and msg.from_addr.addr != ticket.requester.addr
        context["sender_label"] = labelled(msg.from_addr) if msg is not None and other else ""
    return context


def _of_ticket(ticket: Ticket, box: MailboxConfig) -> dict[str, Any]:
    requester = ticket.requester
    name = shown_name(requester)
    return {
        "number": ticket.number, "tag": tag(box.tag_prefix, ticket.number), "subject": ticket.subject,
        "state": str(ticket.state), "requester_name": name, "requester": requester.addr,
        "requester_label": labelled(requester), "rating": ticket.rating,
        "lkpp_ticket": ticket.lkpp_ticket, "priority": ticket.priority, "category": ticket.category,
        "assignee": ticket.assignee,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _title(send: Send, ticket: Ticket | None, msg: InboundMessage | None, setup: Setup) -> str:
    """The send's own title, else the ticket's or the message's subject. Mail about no ticket
    and no message (a system alert) names the unit: a coordinator of several units tells
    their alerts apart, and the subject does not end on a bare colon."""
    if send.title:
        return send.title
    if ticket:
        return ticket.subject
    return msg.subject if msg else setup.box.display_name


def _defanged(send: Send, title: str, shown: dict[str, Any], limited: bool) -> tuple[str, dict[str, Any]]:
    """Anyone can write with a victim's address in From, a staff member's too: the unit's
    answer to that address (to an unproven sender: `limited`) never carries a working link
    the sender chose (in the Subject or the text that repeats it)."""
    shown = {**shown, "subject": defang(str(shown.get("subject") or ""))}
    if send.to is Audience.SENDER and limited:  # the sender's own words back (a held call's form): inert too
        shown["text"] = defang(str(shown.get("text") or ""))
        if isinstance(shown.get("form"), Mapping):  # but the caller's address as the form read it
            shown["form"] = {k: defang(v) if isinstance(v, str) and k != "email" else v
                             for k, v in shown["form"].items()}
    return defang(title), shown


def _unproven(send: Send, ticket: Ticket | None, msg: InboundMessage | None, to: tuple[str, ...],
              vouched: bool) -> bool:
    """Whether this is a first answer (`NEUTRAL_KINDS`) to an address no server vouched for.
    A call's or visit's words are staff's (SPEC 3): its answers are not neutral."""
    if send.kind not in NEUTRAL_KINDS or (ticket is not None and ticket.channel != "email"):
        return False
    return not (msg is not None and msg.from_addr.addr.lower() in {a.lower() for a in to}
                and vouched)
