"""What the lifecycle table's effects do, by name (`EFFECTS`): the ticket, its history, its mail. Pure.

A row of `lifecycle._ROWS` names its effects; each is a small function that changes the
ticket being decided on, records history or asks for a mail (`Send`) through the
`Draft` it is handed. Here stand the effects of requesters', staff's and LKPP's mail and
of automatic mail; those of calls and visits live in `intake_effects`, of asking the
coordinators and heads for their word in `directions`, of a solved case's answer in
`reuse`, and `EFFECTS` gathers them all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailbot.core.commands import READ_ONLY, Command
from mailbot.core.counterpart import LPSE_SUPPORT, Reference
from mailbot.core.decision import Draft, Effect
from mailbot.core.directions import DIRECTION_EFFECTS
from mailbot.core.facts import AUTOMATIC_UNMATCHED, LABELS, Event, Facts
from mailbot.core.identity import missing_from
from mailbot.core.intake_effects import INTAKE_EFFECTS
from mailbot.core.reuse import REUSE_EFFECTS
from mailbot.model import (
    AUTO_GENERATED,
    AUTO_REPLIED,
    Audience,
    InboundMessage,
    Refusal,
    Role,
    State,
    Ticket,
)

# --- requester -------------------------------------------------------------------------


def _open_ticket(s: Draft) -> None:
    """E1: a new ticket; one too late to reopen (E5) or cited by a stranger is noted."""
    f, msg = s.facts, s.facts.message
    s.ticket = Ticket(
        id=None, mailbox="", number="", state=State.OPEN, requester=msg.from_addr,
        subject=f.title or msg.subject, created_at=opened_at(f, s.now), updated_at=s.now, language=s.policy.language,
        category=f.category[0] if f.category else None, priority=f.priority[0] if f.priority else None,
        reopened_from=f.previous.id if f.previous else None,
        participants=addressed(msg), contact=f.contact)
    s.opened = True
    s.record("ticket_opened", {"subject": msg.subject})
    for name, guess in (("category", f.category), ("priority", f.priority)):
        if guess:
            s.record(f"{name}_guessed", {"value": guess[0], "rule": guess[1]}, actor="mailbot")
    if f.previous is not None:
        s.record("cites_ticket", {"number": f.previous.number}, actor="mailbot")
    if f.cited is not None:
        s.record("cites_ticket", {"number": f.cited.number, "by": msg.from_addr.addr}, actor="mailbot")


def opened_at(facts: Facts, now: datetime) -> datetime:
    """When a new ticket opens, and so when its first response and 3x24h standard start
    (SPEC 6): when its mail reached the mailbox (the server's INTERNALDATE, never the Date
    its sender wrote), so mail that came in while the daemon was down is due from its
    arrival, not from the daemon's return. That date is believed only between mailbot's
    previous read of the mailbox and now: one before it (a mail moved back into the INBOX
    keeps its old date) or in the future (a server clock ahead) is no arrival mailbot
    missed, nor is any mail on a first start (never read: a backlog, SPEC 5); those
    tickets open when they are handled."""
    arrived, read = facts.received_at, facts.read_before
    return arrived if read is not None and read < arrived <= now else now


def addressed(msg: InboundMessage) -> frozenset[str]:
    """The people a requester's message is from and to (To and Cc): an address the requester
    wrote to is "already seen" on the ticket (SPEC 3), so a colleague answering all is heard."""
    return frozenset(a.addr.lower() for a in (msg.from_addr, *msg.to, *msg.cc) if a.addr)


def _cited_context(s: Draft) -> dict[str, object]:
    f = s.facts
    return {"previous": f.previous.number if f.previous else None, "cited": f.cited.number if f.cited else None}


def _acknowledge(s: Draft) -> None:
    """SOP-003 step 8: the ticket number to the requester, unless the mail is an old backlog
    or looks automatic (SPEC 5: never answered, yet staff read it on its ticket)."""
    if s.facts.message.is_automatic:
        s.record("ack_skipped", {"reason": s.facts.message.auto_reason}, actor="mailbot")
    elif (s.now - s.facts.received_at).total_seconds() <= s.policy.ack_max_age_hours * 3600:
        assert s.ticket is not None
        # it asks only for what the mail and its signature did not give (`identity.missing_from`)
        s.send("ack", Audience.REQUESTER, auto=AUTO_REPLIED,
               context={**_cited_context(s), "missing": missing_from(s.ticket.contact, s.facts.message)})
    else:
        s.record("ack_skipped", {"reason": "older than ack_max_age_hours"}, actor="mailbot")


def _notify_new(s: Draft) -> None:
    s.send("staff_new", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text,
           context=_cited_context(s))


def _append(s: Draft) -> None:
    assert s.ticket is not None
    s.change(participants=s.ticket.participants | addressed(s.facts.message),
             contact=s.ticket.contact.merged(s.facts.contact))
    s.record("message_appended", {"via": s.facts.via})


def _reopen(s: Draft) -> None:
    s.record("ticket_reopened", {})


def _notify(event: str, attach: bool = True) -> Effect:
    def effect(s: Draft) -> None:
        # staff read that the requester's data went on to LKPP (E3) and need not pass it on
        forwarded = any(sent.kind == "forward_info" for sent in s.sends)
        s.send("staff_update", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound" if attach else None,
               text=s.text, context={"event": event, "rating": s.facts.rating, "forwarded": forwarded})
    return effect


def _note_silent(s: Draft) -> None:
    s.record("reply_without_text", {})


def _forward_info(s: Draft) -> None:
    """SOP-015 step 9: the requester's additional data goes to LKPP at once."""
    s.send("forward_info", Audience.LKPP, attach="inbound", text=s.text)
    s.record("info_forwarded", {}, actor="mailbot")


def _confirm_closing(s: Draft) -> None:
    """SOP-002 step 12: the requester confirms; the rating is kept."""
    s.change(closed_at=s.now, rating=s.facts.rating)
    s.record("closing_confirmed", {"rating": s.facts.rating})


def _rate_late(s: Draft) -> None:
    """A rating given after the ticket closed (the automatic close came first) is kept,
    unless the requester rated it already."""
    assert s.ticket is not None
    if s.facts.rating is not None and s.ticket.rating is None:
        s.change(rating=s.facts.rating)
    s.record("confirmed_after_closing", {"rating": s.facts.rating})


def _tell_closed(s: Draft) -> None:
    command = s.facts.commands.state_command if s.facts.commands else None
    if command is not None and command.arg == "silent":
        return
    confirmed = s.event is Event.REQUESTER_CONFIRM
    s.send("closed", Audience.REQUESTER, auto=AUTO_REPLIED, context={"confirmed": confirmed})


def _assign_back(s: Draft) -> None:
    assert s.ticket is not None
    s.change(assignee=s.ticket.resolved_by or s.ticket.assignee)
    s.record("closing_rejected", {})


# --- staff -----------------------------------------------------------------------------


def _relay_reply(s: Draft) -> None:
    """E6: only the new text goes to the requester, From the unit (SPEC 2)."""
    s.send("staff_reply", Audience.REQUESTER, attach="inbound", text=s.body)
    s.record("staff_replied", {})


def _first_response(s: Draft) -> None:
    assert s.ticket is not None
    s.change(first_response_at=s.ticket.first_response_at or s.now)


def _tell_empty(s: Draft) -> None:
    """A reply with no new text is never dropped in silence: its sender hears so."""
    s.record("empty_staff_reply", {})
    s.send("command_error", Audience.SENDER, auto=AUTO_REPLIED, context={"errors": [Refusal("empty_reply")]})


def _note(s: Draft) -> None:
    s.record("note", {"text": s.body})


def _keep_text(s: Draft) -> None:
    """Text under `#prioritas`, `#kategori`, `#tugaskan` or `#data` alone is no answer to the
    requester (it may be a remark for colleagues): it is kept on the ticket as a note, never
    dropped, and the sender is told so (`command_ok`)."""
    if s.body.strip():
        s.record("note", {"text": s.body})


def _apply_meta(s: Draft) -> None:
    """E11: priority, category and assignee, combinable with one state command."""
    assert s.ticket is not None and s.facts.commands is not None
    fields = {"priority": "priority", "category": "category", "assign": "assignee"}
    for command in s.facts.commands.commands:
        if command.name in fields:
            s.record(f"{command.name}_changed", {"from": getattr(s.ticket, fields[command.name]), "to": command.arg})
            s.change(**{fields[command.name]: command.arg})
            if command.name == "assign":
                s.send("assigned", Audience.ASSIGNEE, auto=AUTO_GENERATED, attach="ticket",
                       context={"by": s.actor, "note": s.body})


def _send_ack(s: Draft) -> None:
    """`#kirim-tanda-terima`: the ack that the unit-wide ack rate (or the unit's
    own server's dmarc/spf fail) kept from the requester goes now, at authenticated staff's
    word (never limited: `exempt`); it is the neutral ack, as staff's mail proves nothing of
    the requester."""
    assert s.facts.commands is not None
    if s.facts.commands.has("send_ack"):
        s.send("ack", Audience.REQUESTER, auto=AUTO_REPLIED, context={"released": True})


def _set_contact(s: Draft) -> None:
    """E12c: `#data nama|instansi|alamat|telepon VALUE` sets a consultation-form field."""
    assert s.ticket is not None and s.facts.commands is not None
    for command in s.facts.commands.commands:
        if command.name == "data" and command.arg:
            key, _, value = command.arg.partition("=")
            s.change(contact=replace(s.ticket.contact, **{key: value}))
            s.record("contact_changed", {"field": key, "value": value})


def _confirm_commands(s: Draft) -> None:
    """The sender hears what ran (`command_ok`); a coordinator's or head's commands go to staff
    too. A command that only reads the ticket (`#riwayat`) alone, with no words under it, is
    answered by its own mail and is nothing for staff to follow: neither goes."""
    parsed = s.facts.commands
    if parsed is None:
        return
    if parsed.state_command is not None:
        s.record(f"command_{parsed.state_command.name}", {"note": s.body} if s.body else {})
    if not parsed.commands or (all(c.name in READ_ONLY for c in parsed.commands) and not s.body.strip()):
        return
    _tell_ran(s, parsed.commands)


def _tell_ran(s: Draft, commands: tuple[Command, ...]) -> None:
    """`command_ok` to the sender; a coordinator's or head's commands to staff too (E12b)."""
    kept = s.event in (Event.STAFF_META, Event.STAFF_DATA, Event.STAFF_HISTORY) and bool(s.body.strip())
    s.send("command_ok", Audience.SENDER, auto=AUTO_REPLIED,
           context={"commands": [(c.shown.lstrip("#"), c.arg) for c in commands],  # as staff typed it
                    "kept_as_note": kept})
    if s.facts.role in (Role.COORDINATOR, Role.HEAD):
        # E12b: a coordinator's (or head's) reply to the case goes to staff, a command included;
        # one that answered the requester (`#jawab`, `#selesai`) says so, in its subject too
        answered = any(c.name in _ANSWERS for c in commands)
        s.send("staff_direction", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.body,
               context={"role": str(s.facts.role), "tickets": [], "ran": [(c.shown, c.arg) for c in commands],
                        "answered": answered, "subject_case": f"answered_{s.facts.role}" if answered else ""})


# The commands whose text goes to the requester as the unit's answer (E6, E9; `#jawab-seperti` is `#selesai`).
_ANSWERS = frozenset({"answer", "resolve"})


def _send_history(s: Draft) -> None:
    """E12h: `#riwayat` / `#history` mails the ticket's history, as
    `mailbot ticket N --full` shows it, to the staff member who asked and to no one else (it
    holds the requester's personal data and the internal notes): at the address the
    configuration lists, which is the From that gave the role, never a Reply-To, as `not_run`
    and `command_error` go. It changes nothing; the request is recorded. The lines are the
    shell's to write when it composes the mail (`io/compose`), from the store, with this
    message and what it caused already on the ticket."""
    assert s.facts.commands is not None
    if s.facts.commands.has("history"):
        s.record("history_requested", {})
        s.send("history", Audience.SENDER, auto=AUTO_GENERATED)


def _escalate(s: Draft) -> None:
    """SOP-015 step 1: the whole case to LKPP (problem, identity, attachments, staff note).
    A new escalation is a new case for LKPP's system: it goes without the reference of an
    earlier one, and the reference LKPP's answer to it brings is the one its mail carries."""
    assert s.ticket is not None
    if s.ticket.lkpp_ref is not None:  # its number came with it: neither names the new case
        s.change(lkpp_ref=None, lkpp_ref_form=None, lkpp_ticket=None)
    s.send("escalate", Audience.LKPP, attach="ticket", text=s.body)


def _file_lpse_support(s: Draft) -> None:
    """E12e (SOP-004 section 2, section 3 step 7): staff filed the case in LKPP's LPSE Support
    by hand. Its number is LKPP's reference from now on: next to our tag in every later mail
    to LKPP, and LKPP's mail naming it (in our subject as `[LPSE Support #N]`, as
    `[Ticket#N]`, `#N`, or in its text) is matched by it. Like any reference it proves
    nothing about who writes (SPEC 9)."""
    assert s.ticket is not None and s.facts.commands is not None
    command = s.facts.commands.state_command
    assert command is not None and command.arg
    number = command.arg
    ref = Reference(f"[LPSE Support #{number}]", "tag", number)
    s.change(lkpp_ref=ref.text, lkpp_ref_form=LPSE_SUPPORT, lkpp_ticket=number)
    s.record("lpse_support_filed", {"number": number, "note": s.body})
    for key in dict.fromkeys((ref.key, Reference(number, "number", number).key, f"hash:{number.upper()}",
                              f"osticket:{number.upper()}")):
        s.record("lkpp_ref_recorded", {"ref": ref.text, "form": LPSE_SUPPORT, "key": key, "number": number})


def _tell_escalated(s: Draft) -> None:
    s.send("escalated_user", Audience.REQUESTER, auto=AUTO_REPLIED)


def _relay_solution(s: Draft) -> None:
    s.send("resolved", Audience.REQUESTER, attach="inbound", text=s.body)


def _mark_resolved(s: Draft) -> None:
    """`resolved_by` is whom a rejected solution goes back to: staff, never LKPP's address
    (LKPP's solution rejected is the unit's staff's case again, E4)."""
    assert s.ticket is not None
    s.change(resolved_at=s.now, resolved_by=s.ticket.assignee if s.facts.role is Role.LKPP else s.actor)


def _mark_closed(s: Draft) -> None:
    s.change(closed_at=s.now)


def _relay_lkpp(s: Draft) -> None:
    """E12: the latest LKPP message goes to the requester, as staff decided."""
    s.send("relay", Audience.REQUESTER, attach="lkpp")


def _relay_lkpp_request(s: Draft) -> None:
    """E12a: staff say the latest LKPP message asks for data: it goes on as a data request."""
    s.send("need_info", Audience.REQUESTER, attach="lkpp")


def _request_info(s: Draft) -> None:
    """E12g (seed 002): the unit asks the requester for the data or documents it needs, in its
    own name; the ticket waits for them (`awaiting_info`), which the 3x24h standard leaves out."""
    s.send("request_info", Audience.REQUESTER, attach="inbound", text=s.body)
    s.record("info_requested", {"note": s.body})


def _reject_command(s: Draft) -> None:
    """E18: only the sender hears why; nothing else happens."""
    errors = list(s.facts.errors) or [_refusal(s)]
    s.record("command_rejected", {"errors": [str(e) for e in errors]})  # the history keeps the English
    intake = any(e.code.startswith("intake_") for e in errors)  # a call's form: the form to copy, not the commands
    s.send("command_error", Audience.SENDER, auto=AUTO_REPLIED, context={"errors": errors, "intake": intake})


def _refusal(s: Draft) -> Refusal:
    """A state command at the wrong time: the command as its sender typed it, the state."""
    command = s.facts.commands.state_command if s.facts.commands else None
    state = str(s.ticket.state) if s.ticket else "missing"
    if command is None:
        return Refusal("reply_not_in_state", value=state)
    return Refusal("not_in_state", command=command.shown, value=state, name=command.name)


# --- calls and visits (SPEC 3; seeds 000, 003, 004 section 1) -------------------------------


def _tell_no_ticket(s: Draft) -> None:
    s.record("staff_mail_unmatched", {})
    s.send("staff_no_ticket", Audience.SENDER, auto=AUTO_REPLIED)


# --- LKPP ------------------------------------------------------------------------------


def _lkpp_reply(s: Draft) -> None:
    assert s.ticket is not None
    s.record("lkpp_replied", {"class": s.facts.lkpp_class, "rule": s.facts.lkpp_rule})
    if s.facts.role is Role.LKPP and s.trust.authenticated:
        _learn_references(s)
    number = s.facts.lkpp_ticket
    if number and number != s.ticket.lkpp_ticket and s.ticket.lkpp_ref is None:
        s.change(lkpp_ticket=number)
        s.record("lkpp_ticket_recorded", {"lkpp_ticket": number})


def _learn_references(s: Draft) -> None:
    """The counterpart's references from LKPP's verified mail, each recorded to match
    its later mail by; the first one written in a subject since the escalation is the one every
    later mail to LKPP on the ticket carries, exactly as LKPP's system wrote it, so that system
    adds our mail to the same ticket (one counterpart ticket per escalation)."""
    assert s.ticket is not None
    for ref in s.facts.counterpart:
        s.record("lkpp_ref_recorded", {"ref": ref.text, "form": ref.form, "key": ref.key, "number": ref.number})
        if s.ticket.lkpp_ref is None and ref.in_subject:
            s.change(lkpp_ref=ref.text, lkpp_ref_form=ref.form, lkpp_ticket=ref.number)
            s.record("lkpp_ticket_recorded", {"lkpp_ticket": ref.number, "ref": ref.text, "form": ref.form})


def _relay_request(s: Draft) -> None:
    """SOP-015 step 7: LKPP's data request goes on to the requester."""
    s.send("need_info", Audience.REQUESTER, attach="inbound", text=s.text)


def _relay_lkpp_solution(s: Draft) -> None:
    """SOP-015 step 13."""
    s.send("resolved_lkpp", Audience.REQUESTER, attach="inbound", text=s.text)


def _tell_status(s: Draft) -> None:
    """SOP-015 steps 12, 14: the requester hears of LKPP's progress (escalation.relay_status)."""
    if s.policy.relay_status:
        s.send("status_user", Audience.REQUESTER, auto=AUTO_GENERATED, text=s.text)


def _notify_lkpp(s: Draft) -> None:
    s.send("staff_lkpp", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text,
           context={"event": str(s.event)})


def _pass_unmatched(s: Draft) -> None:
    s.record("lkpp_unmatched", {})
    s.send("staff_unmatched", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text)


# --- trust and automatic mail ----------------------------------------------------------


def _unverified_note(s: Draft) -> None:
    s.record("unverified_note", {"reason": s.trust.reason})


def _alert_unverified(s: Draft) -> None:
    """E19: the coordinators (for LKPP mail, staff too) hear who tried what, and why it failed;
    a staff member, coordinator or head is told too that their mail was not run, why, and what
    to do: at the address the configuration lists, which is the From that gave the
    role (never a Reply-To). Where the From was forged, the real owner learns of it."""
    to, cc = (Audience.STAFF, (Audience.COORDINATORS,)) if s.facts.role is Role.LKPP else (Audience.COORDINATORS, ())
    s.send("unverified", to, cc=cc, auto=AUTO_GENERATED, text=s.text,
           context={"reason": s.trust.why or s.trust.reason, "sender": s.actor,
                    "from_lkpp": s.facts.role is Role.LKPP})  # staff who read it pass it on
    if s.facts.role in (Role.STAFF, Role.COORDINATOR, Role.HEAD):
        s.send("not_run", Audience.SENDER, auto=AUTO_REPLIED, text=s.text,
               context={"reason": s.trust.why or s.trust.reason,
                        "leaked": s.trust.why is not None and s.trust.why.code == "leaked"})


def _note_outside_reply(s: Draft) -> None:
    """SPEC 9: someone outside the unit (a personal or system address, not a participant)
    replied to the unit's mail that went to its own people alone: recorded on that mail's
    ticket, whose participant they do not become, and answered with nothing (no ack, no ticket)."""
    s.record("outside_reply", {"sender": s.actor, "cited": list(s.facts.leaked)})


def _alert_outside_reply(s: Draft) -> None:
    """Staff and the coordinators hear at once who replied from outside, what they wrote, and
    that the mail's key proves no one any more; this alert is itself the fresh key, to staff
    and coordinators alone, so the ticket is never left that nobody can work by mail."""
    s.send("staff_alert", Audience.STAFF, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, attach="inbound",
           text=s.text, context={"alert": "outside_reply", "outsider": s.actor})


def _record_automatic(s: Draft) -> None:
    kind = LABELS[Event.AUTOMATIC] if s.ticket is not None else AUTOMATIC_UNMATCHED
    msg = s.facts.message
    s.record(kind, {"reason": msg.auto_reason, "subject": msg.subject[:200], "role": str(s.facts.role)})
    rotation = s.facts.rotation
    if rotation is not None:  # a responder's round, on its first round's ticket: the coordinators hear once a day
        s.send("rate_limited", Audience.COORDINATORS, auto=AUTO_GENERATED, attach="inbound", text=msg.text,
               context={"burst": f"loop:{rotation.domain}", "reason": rotation.why, "held": False, "until": "",
                        "address": msg.from_addr.addr, "waiting": False,
                        "rounds": ", ".join(t.number for t in rotation.tickets)})


def _delivery(s: Draft) -> dict[str, object]:
    """What a delivery report says, for the history: the mail it is about, its action, status,
    addresses and the server's words."""
    report = s.facts.message.delivery
    kind, mid = s.facts.bounced or ("", "")
    detail: dict[str, object] = {"reason": s.facts.message.auto_reason}
    if kind:
        detail.update(mail=kind, returned=mid)
    if report is not None:
        detail.update(action=report.action, status=report.status, to=list(report.recipients),
                      answer=report.diagnostic)
    return detail


def _record_bounce(s: Draft) -> None:
    s.record("bounce_received", _delivery(s))


def _record_delivery(s: Draft) -> None:
    """A delay warning ("THIS IS A WARNING ONLY") or a delivery report: recorded, shown to
    staff in their next notice on the ticket; the mail system goes on trying (SPEC 5)."""
    s.record("delivery_reported", _delivery(s))


def _alert_lkpp_bounce(s: Draft) -> None:
    """SOP-015 steps 1, 9: the escalation (or the requester's data) did not reach LKPP. Staff
    and coordinators hear so with the address and the server's reason; an escalation's
    ticket is back with staff (`open`) for their decision, the data's waits for the
    requester again (`awaiting_info`)."""
    report = s.facts.message.delivery
    kind = s.facts.bounced[0] if s.facts.bounced else ""
    reason = " ".join(x for x in (report.status, report.diagnostic) if x) if report else ""
    moved = s.ticket is not None and s.ticket.state is State.ESCALATED
    s.send("staff_alert", Audience.STAFF, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, attach="inbound",
           text=s.facts.message.text,
           context={"alert": "lkpp_bounce", "failed_kind": kind, "reason": reason or s.facts.message.auto_reason,
                    "failed_to": list(report.recipients) if report else [], "moved": moved})


# Our mail that only ever answered whoever was in From: its bounce says the address was made up.
_FIRST_ANSWERS = frozenset({"ack", "message_refused"})


def _alert_bounce(s: Draft) -> None:
    """SPEC 5: staff hear that mail of a ticket did not arrive. A bounced ack is what forged
    senders cause by the hundred: those are one alert a day (`burst`), each bounce
    recorded on its ticket."""
    kind = s.facts.bounced[0] if s.facts.bounced else ""
    burst = {"burst": "ack_bounces", "alert": "ack_bounces"} if kind in _FIRST_ANSWERS else {"alert": "bounce"}
    s.send("staff_alert", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.facts.message.text,
           context={**burst, "reason": s.facts.message.auto_reason})


EFFECTS: dict[str, Effect] = {
    "open_ticket": _open_ticket, "acknowledge": _acknowledge, "notify_new": _notify_new, "append": _append,
    "reopen": _reopen, "notify_requester": _notify("requester"), "notify_reopened": _notify("reopened"),
    "notify_confirmed": _notify("confirmed", attach=False), "notify_rejected": _notify("rejected"),
    "notify_silent": _notify("silent", attach=False), "rate_late": _rate_late,
    "notify_late_confirmed": _notify("confirmed_late", attach=False), "note_silent": _note_silent,
    "forward_info": _forward_info,
    "confirm_closing": _confirm_closing, "tell_closed": _tell_closed, "assign_back": _assign_back,
    "relay_reply": _relay_reply, "first_response": _first_response, "tell_empty": _tell_empty, "note": _note,
    "keep_text": _keep_text,
    "apply_meta": _apply_meta, "set_contact": _set_contact, "confirm_commands": _confirm_commands,
    "escalate": _escalate, "file_lpse_support": _file_lpse_support, "tell_escalated": _tell_escalated,
    "relay_solution": _relay_solution,
    "mark_resolved": _mark_resolved, "mark_closed": _mark_closed, "relay_lkpp": _relay_lkpp,
    "relay_lkpp_request": _relay_lkpp_request, "request_info": _request_info, "reject_command": _reject_command,
    "tell_no_ticket": _tell_no_ticket,
    "lkpp_reply": _lkpp_reply, "relay_request": _relay_request,
    "relay_lkpp_solution": _relay_lkpp_solution, "tell_status": _tell_status, "notify_lkpp": _notify_lkpp,
    "pass_unmatched": _pass_unmatched, "unverified_note": _unverified_note, "alert_unverified": _alert_unverified,
    "note_outside_reply": _note_outside_reply, "alert_outside_reply": _alert_outside_reply,
    "send_ack": _send_ack, "send_history": _send_history, "record_automatic": _record_automatic,
    "record_bounce": _record_bounce, "alert_bounce": _alert_bounce,
    "record_delivery": _record_delivery, "alert_lkpp_bounce": _alert_lkpp_bounce,
    **INTAKE_EFFECTS, **DIRECTION_EFFECTS, **REUSE_EFFECTS,
}
