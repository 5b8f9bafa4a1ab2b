"""Who a message is from when its From is not the person: a form or a group writing on
someone's behalf, the person in its one Reply-To (second red team). Pure."""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.matching import role_of
from mailbot.model import InboundMessage, Role
from mailbot.parsers.auto import DISCUSSION_LIST, DISCUSSION_LIST_AS_LIST, noreply_address
from mailbot.settings import MailboxConfig

ON_BEHALF = "noreply sender, on behalf of its Reply-To"


def on_behalf(msg: InboundMessage, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> InboundMessage:
    """A web form's mail: sent from a no-reply address on behalf of the person in its
    one Reply-To. That person is the sender (staff answer them; SPEC 5 still forbids an
    automatic answer). A Reply-To naming staff, LKPP or the unit changes nothing: it
    proves no role. So is a group's post whose From the group rewrote to its own address
    (DMARC): the author in Reply-To is the sender, not every member of the group."""
    on_behalf_of = {"noreply sender": ON_BEHALF, DISCUSSION_LIST_AS_LIST: DISCUSSION_LIST}
    if len(msg.reply_to) != 1:
        return msg
    person = msg.reply_to[0]
    if "@" not in person.addr or noreply_address(person.addr) or person.addr == msg.from_addr.addr \
            or role_of(person.addr, box, lkpp_senders) is not Role.REQUESTER:
        return msg
    if msg.auto_reason in on_behalf_of:
        return replace(msg, from_addr=person, auto_reason=on_behalf_of[msg.auto_reason], relay=msg.from_addr.addr)
    if _relayed(msg, box, lkpp_senders):
        return replace(msg, from_addr=person, relay=msg.from_addr.addr)
    return msg


def _relayed(msg: InboundMessage, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> bool:
    """A new request a web form's relay sends from its own (readable) address, the person
    who filled the form in its one Reply-To: the person is the requester, acked and answered
    at the address they asked answers to go to (RFC 5322). Without this every form of the
    day had the relay as its requester: acks went to the relay, past `autoreply_limit` none
    at all, and staff answers never reached the people (second red team). Only a
    person's new mail (no sign of a machine, citing nothing, from an outside address) is so
    read: a reply keeps the sender its ticket knows, and a Reply-To never gives a role.

    Anyone may write so, From their own address with a stranger in Reply-To: the person
    named there is answered, never vouched for (`relay`: whatever vouched for the From
    says nothing of its Reply-To), so that ack stays inside the budget of addresses nobody
    vouches for, under the From's domain (`schedule`)."""
    return msg.auto_reason is None and not msg.in_reply_to and not msg.references \
        and role_of(msg.from_addr.addr, box, lkpp_senders) is Role.REQUESTER
