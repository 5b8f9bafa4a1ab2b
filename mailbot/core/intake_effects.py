"""The lifecycle's effects for calls and visits staff write down (SPEC 3, 9; seeds 000, 003,
004 section 1): the ticket a form opens, held or confirmed, and the mail about it. Pure.

`lifecycle._ROWS` names these effects; `lifecycle.EFFECTS` maps the names to them. The
timers' reminder of a held form (`remind_held`) and the ticket it would open
(`held_ticket`) are here too: they read the same form.
"""

from __future__ import annotations

from datetime import datetime

from mailbot.core.decision import Draft, Effect
from mailbot.core.intake_form import Consultation, form_detail, title_of
from mailbot.model import (
    AUTO_GENERATED,
    AUTO_REPLIED,
    Address,
    Audience,
    Send,
    State,
    Ticket,
    has_mailbox,
    no_mailbox,
)


def _intake_ticket(s: Draft, intake: Consultation) -> Ticket:
    """The ticket of a call or visit: the caller is its requester (by a placeholder that never
    receives mail when they gave no e-mail), opened at the call's time (SPEC 6's timers)."""
    f, form = s.facts, intake.form
    return Ticket(
        id=None, mailbox="", number=intake.number or "", state=State.OPEN,
        requester=Address(form.email or no_mailbox(intake.channel), form.contact.name),
        subject=f.title, created_at=intake.called_at, updated_at=s.now, language=s.policy.language,
        category=f.category[0] if f.category else None, priority=f.priority[0] if f.priority else None,
        participants=frozenset({form.email}) if form.email else frozenset(), contact=form.contact,
        channel=intake.channel, taken_by=intake.staff, queue_number=form.queue or None,
        rating=form.rating,  # `Nilai` given at the counter or on the phone (seed 002)
        first_response_at=intake.called_at)  # SPEC 3: a call or visit is its own first response


def _open_intake(s: Draft) -> None:
    """A call or visit written down by staff becomes a ticket with the form on it."""
    intake = s.facts.intake
    assert intake is not None
    s.ticket = _intake_ticket(s, intake)
    s.opened = True
    s.adopt = intake.adopt
    s.record("ticket_opened", {"subject": s.ticket.subject, "channel": intake.channel, "by": intake.staff})
    s.record("intake_recorded", {**form_detail(intake.form), "channel": intake.channel,
                                 "called_at": intake.called_at.isoformat()}, actor=intake.staff)
    for name, guess in (("category", s.facts.category), ("priority", s.facts.priority)):
        if guess:
            s.record(f"{name}_guessed", {"value": guess[0], "rule": guess[1]}, actor="mailbot")
    if intake.form.notes:
        s.record("note", {"text": intake.form.notes}, actor=intake.staff)
    if intake.number is not None:  # SPEC 9: its sender confirmed the held intake
        s.record("intake_confirmed", {"number": intake.number})
        said = s.facts.message.new_text.strip()
        if said:
            s.record("note", {"text": said})


def _acknowledge_caller(s: Draft) -> None:
    """SOP-003 step 8: the caller who gave an e-mail gets the number (the form's number
    too) and how to follow up by mail; one who gave none has it from staff by phone."""
    assert s.ticket is not None
    if not has_mailbox(s.ticket.requester.addr):
        s.record("ack_skipped", {"reason": "no e-mail address given"}, actor="mailbot")
        return
    contact = s.ticket.contact  # what the form gave is not asked for again
    missing = [key for key in ("name", "organisation", "phone") if not getattr(contact, key)]
    s.send("ack", Audience.REQUESTER, auto=AUTO_REPLIED, context={"channel": s.ticket.channel,
                                                                  "contact_missing": missing})


def _relay_intake_answer(s: Draft) -> None:
    """SOP-003 steps 6-7: the answer given on the spot goes to the caller as a solution, with
    the consultation it answers; they confirm it or reopen the ticket by replying (E4)."""
    assert s.ticket is not None and s.facts.intake is not None
    form = s.facts.intake.form
    if not has_mailbox(s.ticket.requester.addr):
        return
    s.send("resolved", Audience.REQUESTER, attach="inbound", text=form.answer or "",
           context={"channel": s.ticket.channel, "problem": form.problem})


def _tell_intake(s: Draft) -> None:
    """The number back to the staff member who took the call, at once, to read out on the
    phone (SOP-003 step 8), and the new ticket to the other staff."""
    assert s.ticket is not None and s.facts.intake is not None
    intake = s.facts.intake
    s.send("intake_opened", Audience.SENDER, cc=(Audience.STAFF,), auto=AUTO_GENERATED, attach="inbound",
           text=intake.form.problem, context=_intake_context(s, intake))


def _intake_context(s: Draft, intake: Consultation) -> dict[str, object]:
    return intake_context(intake)


def intake_context(intake: Consultation) -> dict[str, object]:
    """What the mails about a call or visit show of it: the whole form, who took it, when."""
    form = intake.form
    return {"channel": intake.channel, "typed": intake.typed, "solution": form.answer, "answered": form.answered,
            "caller_email": form.email, "form": form_detail(form), "taken_by": intake.staff,
            "called_at": intake.called_at.isoformat(), "notes": form.notes}


def _hold_intake(s: Draft) -> None:
    """SPEC 9: the From of a new mail proves nothing, and the mail cites no mail of ours. The
    call is held under a reserved number that goes back to the staff address alone: it is
    the number to read out, and the ticket opens, and the caller hears of it, only when that
    address answers (`Decision.held`). A forged mail reaches no one but the real staff member."""
    intake = s.facts.intake
    assert intake is not None
    s.ticket = _intake_ticket(s, intake)
    s.held = True
    s.record("intake_held", {**intake.detail(), "reason": s.trust.reason})
    s.send("intake_confirm", Audience.SENDER, auto=AUTO_REPLIED, text=intake.form.problem,
           context=_intake_context(s, intake))


def held_ticket(intake: Consultation, number: str, language: str, now: datetime) -> Ticket:
    """The ticket a held call or visit (SPEC 3, 9) would open, never saved: what mail about it
    is numbered, addressed (its sender, `taken_by`) and titled by while it waits."""
    form = intake.form
    return Ticket(id=None, mailbox="", number=number, state=State.OPEN,
                  requester=Address(form.email or no_mailbox(intake.channel), form.contact.name),
                  subject=title_of(form.problem), created_at=intake.called_at, updated_at=now, language=language,
                  contact=form.contact, channel=intake.channel, taken_by=intake.staff,
                  queue_number=form.queue or None, rating=form.rating)


def remind_held(intake: Consultation, number: str) -> Send:
    """SPEC 3, 6: a held call or visit not answered within `HELD_FORM_REMINDER`
    is asked about again, once, at the staff address that sent it: the same request as the
    first (`intake_confirm`, so that its `#buka` opens the form as an answer to the first
    would), marked as a reminder. A call written down is never forgotten: the digest lists it
    until it is opened or cancelled."""
    return Send("intake_confirm", Audience.SENDER, auto=AUTO_GENERATED, text=intake.form.problem,
                context={**intake_context(intake), "reminder": True})


def _cancel_intake(s: Draft) -> None:
    """SPEC 3, 9: the staff address a held form's confirmation request went to
    answered anything but `#buka`: the form is cancelled for good (its reserved number stays
    used, nothing else is freed), nobody outside hears of it, and the coordinators are told,
    with the whole form and the answer: a form its own sender disowns was forged. The staff
    member who answered hears that it is cancelled, at the address the form's
    confirmation request went to."""
    intake = s.facts.intake
    assert intake is not None and intake.number is not None
    s.record("intake_cancelled", {"number": intake.number, "channel": intake.channel, "staff": intake.staff,
                                  "sender": s.facts.message.from_addr.addr, "answer": s.facts.message.new_text})
    context = {**_intake_context(s, intake), "number": intake.number, "staff_answer": s.facts.message.new_text,
               "answered_by": s.facts.message.from_addr.addr}
    title = title_of(intake.form.problem)  # no ticket: the form's problem, not the subject of the reply
    s.send("intake_cancelled", Audience.COORDINATORS, auto=AUTO_GENERATED, text=intake.form.problem, context=context,
           title=title)
    # the staff member who cancelled it hears that it is done (at the configured address)
    s.send("intake_cancelled", Audience.SENDER, auto=AUTO_REPLIED, text=intake.form.problem,
           context={**context, "to_sender": True}, title=title)


def _refuse_intake(s: Draft) -> None:
    """SPEC 3, 9: a call or visit written down from an address that is not the unit's staff
    opens nothing: no ticket for the caller it names (a forger's way to have the unit mail a
    victim), nor one for its sender, whose From may be forged too (no reply: no backscatter).
    Staff see it, with the mail attached, in case a colleague wrote from an address the
    configuration does not list."""
    s.record("intake_not_staff", {"sender": s.facts.message.from_addr.addr})
    s.send("intake_not_staff", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text)


# The names `lifecycle._ROWS` gives these effects.
INTAKE_EFFECTS: dict[str, Effect] = {
    "open_intake": _open_intake, "acknowledge_caller": _acknowledge_caller,
    "relay_intake_answer": _relay_intake_answer, "tell_intake": _tell_intake, "hold_intake": _hold_intake,
    "cancel_intake": _cancel_intake, "refuse_intake": _refuse_intake,
}
