"""When one automatic mail may go under the loop limits (SPEC section 5), if at all. Pure.

`limits` holds the limits' arithmetic; this module applies them to one mail of a plan,
with what the store counted of the mail sent before (`plan_inputs.SentBefore`): an
outside address that had its share is not written to again, a ticket's requester gets
its mail in turn, and acks to strangers wait for the unit's ack budget.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from mailbot.core.inboxes import inbox_key
from mailbot.core.limits import HOUR, Schedule, ack_share, ack_slot, address_limit, limited, ticket_slot
from mailbot.core.loops import PROBE
from mailbot.core.plan_inputs import SentBefore, Setup
from mailbot.core.recipients import internal
from mailbot.core.trust import sender_vouched
from mailbot.model import Audience, InboundMessage, Refusal, Send, Ticket
from mailbot.parsers.authres import organisation_of
from mailbot.settings import AuthConfig


def schedule(send: Send, rcpt: tuple[str, ...], ticket: Ticket | None, sent: SentBefore, setup: Setup,
             now: datetime, *, vouched: bool = False) -> Schedule:
    """SPEC section 5: when an automatic mail may go, if at all (`_limits`); an ack to a mail
    that may be a responder's round waits `loops.PROBE` at least (`SentBefore.probe`): a
    responder answers it as soon as it goes, people write on meanwhile. It is held quietly,
    noted on the ticket: the coordinators hear of a responder once, when it is stopped."""
    when = _limits(send, rcpt, ticket, sent, setup, now, vouched=vouched)
    if send.kind != "ack" or sent.probe is None or when.send_at is None or when.send_at >= now + PROBE:
        return when
    return replace(when, send_at=now + PROBE, held=True, reason=str(sent.probe), why=sent.probe)


def _limits(send: Send, rcpt: tuple[str, ...], ticket: Ticket | None, sent: SentBefore, setup: Setup,
            now: datetime, *, vouched: bool = False) -> Schedule:
    """SPEC section 5: when an automatic mail may go, if at all. `vouched`: the ack goes to
    a sender the unit's own server vouched for (`ack_vouched`), never counted. An
    ack to the Reply-To of a mail From another address (`SentBefore.relay`) is counted in
    the budget of addresses nobody vouches for, under the From's share, whatever vouches for
    the From and even when the unit wrote to that address before: a From vouched for by its
    own domain's DMARC said nothing of the seventy strangers it named, one a mail."""
    stopped = _address_limited(rcpt, sent, setup) or _loop_limited(send, rcpt, sent)
    if stopped is not None:
        return stopped
    if send.kind != "ack" or vouched or not (sent.relay or _new_outside(rcpt, sent, setup)):
        return _ticket_capped(send, ticket, sent, setup, now)
    # a domain's share is its organisation's: sixty subdomains of one are one (F4);
    # an ack to a Reply-To draws on the share of the From's, which sent them all
    budget = _ack_budget(sent.relay or organisation_of(msg_domain(rcpt)), sent, setup, now)
    if budget.send_at != now:
        return budget
    when = _ticket_capped(send, ticket, sent, setup, now)
    return replace(when, counted=budget.counted, counted_at=budget.counted_at if when.send_at == now else None)


def _address_limited(rcpt: tuple[str, ...], sent: SentBefore, setup: Setup) -> Schedule | None:
    """Stopped: an outside recipient had its hour's or day's share of automatic mail."""
    for address in (a for a in rcpt if not internal(setup.box, setup.cfg, a)):
        hour, day = sent.sent_to.get(address, (0, 0))
        why = address_limit(address, hour, day, setup.cfg.autoreply_limit)
        if why:
            return limited(why, send_at=None, cause=f"address:{address}")
    return None


def _loop_limited(send: Send, rcpt: tuple[str, ...], sent: SentBefore) -> Schedule | None:
    """The same words from a third address of one domain within the hour: a responder
    answering our acks from rotating addresses; no ack, and the loop has nothing to answer."""
    if send.kind != "ack" or not sent.looping or not msg_domain(rcpt):
        return None
    return limited(sent.looping, send_at=None, cause=f"loop:{msg_domain(rcpt)}")


def _new_outside(rcpt: tuple[str, ...], sent: SentBefore, setup: Setup) -> bool:
    """Whether a recipient is outside the unit and new to it (the ack budget counts those)."""
    return any(not internal(setup.box, setup.cfg, a) and inbox_key(a) not in sent.known for a in rcpt)


def _ticket_capped(send: Send, ticket: Ticket | None, sent: SentBefore, setup: Setup, now: datetime) -> Schedule:
    """Held: the ticket's requester had `limits.ticket_mails_per_hour` mails this hour."""
    if send.to is not Audience.REQUESTER or ticket is None or ticket.id is None:
        return Schedule(now)
    cap = setup.cfg.limits.ticket_mails_per_hour
    slot = ticket_slot(now, [s for s in sent.slots if s > now - HOUR], cap)
    if slot <= now:
        return Schedule(now)
    return limited(Refusal("limit_ticket", value=str(cap)), send_at=slot, held=True, cause=f"ticket:{ticket.number}")


def _ack_budget(domain: str, sent: SentBefore, setup: Setup, now: datetime) -> Schedule:
    """When an ack to a new address no server vouched for may go (SPEC 5).

    A flood of forged senders (500 of them must not make 500 acks) is bounded by the unit-wide
    `limits.acks_per_hour` and a domain's share of it (`limits.ack_slot`); past them the ack
    is held and goes by itself, oldest first, as the hour frees. The hour is that of the
    mail's arrival (`SentBefore.arrived`): mail that came over two days while the host was down
    is counted as it came, and an ack whose turn has passed meanwhile goes now. Only where
    the budget would hold it longer than `ack_max_age_hours` (an ack that late answers
    nothing) does it wait for staff (`#kirim-tanda-terima`). Words repeating across a
    domain's new mail hold nothing here: people of one domain write alike; only
    mail that answers ours can be a loop (`SentBefore.looping`)."""
    cfg = setup.cfg
    budget = cfg.limits.acks_per_hour
    share = ack_share(budget, cfg.autoreply_limit)
    came = min(sent.arrived or now, now)
    slot, by_share = ack_slot(came, list(sent.ack_slots), list(sent.domain_slots), budget, share)
    if slot <= now:
        return Schedule(now, counted=domain, counted_at=slot)
    if slot - now > timedelta(hours=cfg.ack_max_age_hours):
        return limited(Refusal("limit_acks_days", value=str(budget), name=str(_number(cfg.ack_max_age_hours))),
                       send_at=None, cause=f"acks:{setup.box.name}", waits=True)
    why = (Refusal("limit_share", command=str(share), value=str(budget), name=domain) if by_share
           else Refusal("limit_acks", value=str(budget)))
    return limited(why, send_at=slot, held=True, cause=f"acks-held:{setup.box.name}", counted=domain)


def msg_domain(rcpt: tuple[str, ...]) -> str:
    """The domain of the first recipient (the requester an ack goes to)."""
    return rcpt[0].rpartition("@")[2].lower() if rcpt else ""


def ack_vouched(msg: InboundMessage, auth: AuthConfig) -> bool:
    """Whether the unit's own server vouches for the sender of `msg` (aligned dmarc, dkim or
    spf pass in its topmost Authentication-Results), read for the ack budget.

    As `trust.sender_vouched` reads it in `authres` mode, and in `token` mode too wherever
    `auth.trusted_authserv_id` names the unit's server: the verdict only decides whether an
    ack goes now or waits its turn, never who may act (that stays with SPEC 9's modes), and
    `trust.sender_disowned` already reads the same server's fail in that mode. `off` vouches
    for nobody here: From alone proves nothing to a budget that stops floods."""
    if auth.mode == "off" or not auth.trusted_authserv_id:
        return False
    return sender_vouched(msg, auth if auth.mode == "authres" else replace(auth, mode="authres"))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
