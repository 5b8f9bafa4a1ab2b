"""Mail plans into the outbox: render, sign and record, in the caller's transaction.

The core decided who gets what and when (`core.plan`, called by the pipeline, the
timekeeper and `notices`); this shell decides nothing and turns each plan into the
finished message: the template rendered, the attachments read back from the
archive where the plan names them, a Message-ID signed with its audience, the raw
message queued in the outbox, the history told. It never talks SMTP. The archive
file of the mail is named here and written by the sender once the mail is done with
(`Outbox`): the mail as it went out, and no file to create on the intake's path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from mailbot.core.counterpart import without_references
from mailbot.core.files import for_requester
from mailbot.core.matching import tag
from mailbot.core.plan import MailPlan, Planned
from mailbot.core.plan_inputs import Setup
from mailbot.core.similar import first_lines
from mailbot.core.tokens import (
    escalation_code,
    escalation_mark,
    key_id,
    make_message_id,
    without_escalation_keys,
)
from mailbot.core.web_tokens import status_token
from mailbot.io import solved, ticket_views
from mailbot.io.archive import Archive
from mailbot.io.render import Outgoing, Renderer
from mailbot.io.store import Store, ts
from mailbot.io.store.history import Event
from mailbot.io.ticket_story import story
from mailbot.io.words import language_of, words
from mailbot.model import Attachment, Audience, InboundMessage, OutboxRow, Send, Ticket
from mailbot.parsers import content_hash
from mailbot.settings import MailboxConfig

# Notices that list similar solved cases, and the only audiences that may see
# them: the unit's memory holds other requesters' cases, never for requesters or LKPP.
SIMILAR_SHOWN = frozenset({"staff_new", "coordinator_case"})
INTERNAL = frozenset({Audience.STAFF, Audience.COORDINATORS})
# E12h: the mail that carries a ticket's history to the staff member who asked (`#riwayat`), alone
HISTORY = ticket_views.HISTORY_MAIL


# The Message-ID a mail went out with in the record, by (mailbox, ticket number, kind,
# recipients, moment), for the shadow's mail to carry it too; None where the record has none.
RecordedIds = Callable[[str, str | None, str, tuple[str, ...], datetime], str | None]


class Composer:
    """Renders and queues the mail plans of one configuration."""

    def __init__(self, store: Store, renderer: Renderer, archive: Archive, key: bytes,
                 log: structlog.typing.FilteringBoundLogger, status_url: str | None = None,
                 message_ids: RecordedIds | None = None) -> None:
        """`status_url`: `web.url` (SPEC 13): mail to a requester about a ticket links to its
        status page there; None (no `web.url`): no link, the mail as it always was.
        `message_ids`: `mailbot shadow`'s record of the Message-IDs the same mail went out
        with (replies in the record cite them); None: every mail a new one."""
        self.store = store
        self.renderer = renderer
        self.archive = archive
        self.key = key
        self.log = log
        self.status_url = status_url
        self.message_ids = message_ids

    def queue(self, setup: Setup, planned: Planned, ticket: Ticket | None, msg: InboundMessage | None,
              now: datetime, arrived: datetime | None = None) -> list[str]:
        """Every plan of a decision into the outbox, with the saved `ticket` (its number, its id);
        `arrived`: when the message that caused them reached the mailbox (None: a timer's)."""
        box = setup.box
        # the plan's events and each mail's `mail_queued`, written together at the end
        events: list[Event] = [(ticket.id if ticket else None, now, e.actor, e.kind, dict(e.detail))
                               for e in planned.events]
        kinds = []
        for mail in planned.mails:
            own = None if mail.ticket is None or ticket is None else (replace(ticket, id=None) if mail.detached
                                                                      else ticket)
            if mail.send.kind in SIMILAR_SHOWN and mail.send.to in INTERNAL and own is not None and own.id is not None:
                mail = replace(mail, context={**mail.context, "similar": self.similar_cases(setup, own, mail)})
            if mail.send.kind == HISTORY:
                self.store.history.add_events(box.name, events)  # the story is read from the history
                events = []
                mail = self.with_history(setup, mail, own)
            kinds.append(self.put(box, mail, own, msg, now, arrived, events))
        self.store.history.add_events(box.name, events)
        return kinds

    def similar_cases(self, setup: Setup, ticket: Ticket, mail: MailPlan) -> list[dict[str, str]]:
        """The solved cases of the mailbox like this ticket's problem, for staff's
        eyes: looked up by the subject and the requester's words (the new mail's, for
        `staff_new`; all the requester wrote, for `coordinator_case`)."""
        assert ticket.id is not None
        texts = self.store.memory.solved_material(ticket.id)[0]
        if mail.send.kind == "staff_new" and mail.context.get("text"):
            texts = [*texts, str(mail.context["text"])]
        found = solved.similar(self.store, setup.rules.similar, ticket.mailbox,
                               solved.query_text(ticket.subject, list(dict.fromkeys(texts))), exclude=ticket.id)
        tz = setup.cfg.timezone
        return [{"number": s.case.number, "subject": s.case.subject,
                 "solved": s.case.solved_at.astimezone(tz).strftime("%d-%m-%Y"),
                 "solution": first_lines(s.case.solution)} for s in found]

    def with_history(self, setup: Setup, mail: MailPlan, ticket: Ticket | None) -> MailPlan:
        """E12h: the `#riwayat` mail tells the ticket's story in the mailbox's
        language (`io/story`), read in this unit of work, and carries the full record as a file."""
        saved = self.store.tickets.ticket_by_id(ticket.id) if ticket is not None and ticket.id is not None else None
        if saved is None or saved.id is None:
            return mail
        said = words(language_of(mail.language), self.renderer.templates_dir)
        told = story(self.store.history.events_of(saved.id), self.store.messages.messages_of(saved.id),
                     setup.cfg.timezone, said,
                     mail.send_at.astimezone(setup.cfg.timezone).year)
        code = escalation_code(self.key, setup.box.name, saved.number)  # LKPP's alone, as in the record
        told = [{k: _masked(v, code) if isinstance(v, str) else v for k, v in item.items()} for item in told]
        full = self.history(setup, saved)  # also `history` in the context, for an operator's older template
        record = Attachment(f"{said.table['history_file']}-{saved.number}.txt", "text/plain",
                            ("\n".join(full) + "\n").encode("utf-8"))
        return replace(mail, context={**mail.context, "story": told, "history": full},
                       send=replace(mail.send, files=(*mail.send.files, record)))

    def history(self, setup: Setup, ticket: Ticket | None) -> list[str]:
        """E12h: the ticket's history as `mailbot ticket N --full` prints it (the CLI's own view,
        80 columns wide, in the unit's time zone), read in this unit of work: the message that
        asked and what it caused are on it. Control characters are visible escapes there already.
        The ticket's escalation key stands masked where LKPP's subjects carry it: it goes to
        LKPP alone, and a mail is forwarded more easily than a terminal's screen."""
        saved = self.store.tickets.ticket_by_id(ticket.id) if ticket is not None and ticket.id is not None else None
        if saved is None or saved.id is None:
            return []
        lines = ticket_views.ticket_detail(saved, self.store.history.events_of(saved.id),
                                    self.store.messages.messages_of(saved.id),
                                    setup.cfg.timezone, full=True, width=ticket_views.MIN_WIDTH,
                                    archive_dir=setup.cfg.archive_dir)
        code = escalation_code(self.key, setup.box.name, saved.number)
        return [_masked(line, code) for line in lines]

    def put(self, box: MailboxConfig, mail: MailPlan, ticket: Ticket | None, msg: InboundMessage | None,
            now: datetime, arrived: datetime | None = None, events: list[Event] | None = None) -> str:
        """One plan rendered, queued and recorded (with the archive file the sender writes);
        its `mail_queued` event joins `events`, which the caller writes (else written now).

        After a restore, the same mail (kind, ticket, recipients) that went out after the
        backup is recorded as that mail, sent then, and not sent again (`Restored.claim_restored`):
        a requester whose request comes back through the INBOX gets no second ack."""
        number = ticket.number if ticket else None
        out, attachments = self.render(box, mail, ticket, msg, message_id=self.recorded_id(box, mail, number, now))
        self.key_shown(box, mail, number, out, attachments, now)
        prior = self.store.restored.claim_restored(box.name, number, mail.send.kind, out.rcpt, now, arrived)
        if prior is not None:
            return self.sent_before(box, mail, ticket, msg, now, prior)
        ticket_id = ticket.id if ticket else None
        path = self.archive.place(box.name, "out", out.raw, now)
        self.store.outbox.enqueue(mailbox=box.name, ticket_id=ticket_id, message_id=out.message_id, kind=mail.send.kind,
                                  mail_from=box.address, rcpt=out.rcpt, raw=out.raw, auto=mail.limited, now=now,
                                  audience=str(mail.send.to), slot_at=mail.send_at, held=mail.held,
                                  uncounted=frozenset(a.lower() for a in out.rcpt if box.own(a)))
        self.record(box, mail, ticket, out, len(attachments), path, now)
        detail: dict[str, Any] = {"mail": mail.send.kind, "to": list(out.rcpt), "message_id": out.message_id}
        if mail.held:
            detail["held_until"] = ts(mail.send_at)
        queued: Event = (ticket_id, now, "mailbot", "mail_queued", detail)
        if events is None:
            self.store.history.add_events(box.name, [queued])
        else:
            events.append(queued)
        return mail.send.kind

    def key_shown(self, box: MailboxConfig, mail: MailPlan, number: str | None, out: Outgoing,
                  attachments: list[Attachment], now: datetime) -> None:
        """What the requester receives still holds the ticket's key (inside a file LKPP sent):
        from now on it proves nothing (a red team's finding), as a Message-ID they saw."""
        if number and mail.send.to is Audience.REQUESTER and _carries(escalation_code(self.key, box.name, number),
                                                                     out.text, attachments):
            self.store.messages.expose(box.name, [(key_id(number), frozenset("r"))], now)

    def recorded_id(self, box: MailboxConfig, mail: MailPlan, number: str | None, now: datetime) -> str | None:
        """The Message-ID the record gave this mail (`mailbot shadow`), else None: a new one."""
        if self.message_ids is None:
            return None
        rcpt = tuple(dict.fromkeys(a.lower() for a in (*mail.to, *mail.cc)))  # as `Renderer.build` lists them
        return self.message_ids(box.name, number, mail.send.kind, rcpt, now)

    def record(self, box: MailboxConfig, mail: MailPlan, ticket: Ticket | None, out: Outgoing, attachments: int,
               path: str, at: datetime) -> None:
        body = mail.context.get("text") or None
        self.store.messages.record_message(
            mailbox=box.name, message_id=out.message_id, direction="out", role=str(mail.send.to),
            ticket_id=ticket.id if ticket else None, kind=mail.send.kind, sender=box.address,
            recipients=",".join(out.rcpt), subject=out.subject, at=ts(at), archive_path=path, size=len(out.raw),
            attachments=attachments, body=body, full_text=out.text if mail.send.to is Audience.LKPP else None,
            content_hash=content_hash(out.raw))  # its copy coming back is the same mail (`same_or_reused`)

    def sent_before(self, box: MailboxConfig, mail: MailPlan, ticket: Ticket | None, msg: InboundMessage | None,
                    now: datetime, prior: dict[str, Any]) -> str:
        """A mail that went out after the backup a restore put back, made again: recorded
        under the Message-ID it went out with (replies citing it find and authenticate on
        its ticket, whose number it carries) and as sent then; never sent again. Its
        archived copy is kept; where there is none, the mail as made now is archived by
        the sender's next pass (its bytes stay in the row until then)."""
        sent_at: datetime = prior["at"]
        out, attachments = self.render(box, mail, ticket, msg, message_id=str(prior["message_id"]))
        ticket_id = ticket.id if ticket else None
        kept = str(prior["archive_path"] or "")
        archived = bool(kept) and (self.archive.root / kept).is_file()
        path = kept if archived else self.archive.place(box.name, "out", out.raw, sent_at)
        row = self.store.outbox.enqueue(mailbox=box.name, ticket_id=ticket_id, message_id=out.message_id,
                                        kind=mail.send.kind, mail_from=box.address, rcpt=out.rcpt, raw=out.raw,
                                        auto=False, now=sent_at, audience=str(mail.send.to))
        self.store.outbox.outbox_finish(row, sent_at, None, out.rcpt, drop_raw=archived, retried=False)
        self.record(box, mail, ticket, out, len(attachments), path, sent_at)
        self.store.history.add_event(box.name, ticket_id, now, "mailbot", "mail_sent_before_restore",
                                     mail=mail.send.kind, to=list(out.rcpt), message_id=out.message_id,
                                     sent_at=ts(sent_at))
        self.log.info("mail_sent_before_restore", mailbox=box.name, kind=mail.send.kind, message_id=out.message_id,
                      ticket=ticket.number if ticket else None)
        return mail.send.kind

    def render(self, box: MailboxConfig, mail: MailPlan, ticket: Ticket | None,
               msg: InboundMessage | None, message_id: str | None = None) -> tuple[Outgoing, list[Attachment]]:
        """The finished message of a plan and the files it carries (under `message_id`: the
        one it went out with before a restore; else a new signed one)."""
        send = mail.send
        attachments = [*self.attachments(mail, msg), *send.files]
        if send.attach == "ticket" and msg is not None:
            # SPEC E8: what staff attach to their #eskalasi (#koordinator, #tugaskan) goes along
            # with the case; their own signature, contact card or attached mail does not
            attachments += for_requester(list(msg.attachments), box)
        context = dict(mail.context)
        if send.to is Audience.REQUESTER:
            attachments = for_requester(attachments, box)
            if ticket is not None and ticket.number:
                # LKPP's desk may write our subject, key and all, into its answer or a file's name:
                # the key goes to LKPP alone, so it is taken out of whatever a requester reads
                code = escalation_code(self.key, box.name, ticket.number)
                context = {k: _without_code(v, code) for k, v in context.items()}
                attachments = [replace(a, filename=_without_code(a.filename, code)) for a in attachments]
                if self.status_url:  # SPEC 13: the ticket's status page, signed for it and its requester
                    context["status_link"] = self.status_url + "status/" + status_token(
                        self.key, box.name, ticket.number, ticket.requester.addr)
        context["attachment_names"] = [a.filename for a in attachments]
        if "subject" in context:  # the "Subjek :" line of the escalation: no foreign reference either
            context["subject"] = _title(box, send, str(context["subject"] or ""))
        language = mail.language if self.renderer.has(send.kind, mail.language) else "id"
        number = ticket.number if ticket else None
        if number:
            context.update(number=number, tag=tag(box.tag_prefix, number))
        subject = self.renderer.subject(send.kind, language, _subject_tag(box, send, ticket, self.key, mail.audience),
                                        _title(box, send, mail.title),
                                        neutral=bool(mail.context.get("unproven")),
                                        case=str(mail.context.get("subject_case") or ""))
        message_id = message_id or make_message_id(self.key, box.name, number, send.kind,
                                                   box.address.split("@", 1)[1], mail.audience)
        out = self.renderer.build(
            kind=send.kind, language=language, context=context, from_name=box.display_name, from_addr=box.address,
            to=mail.to, cc=mail.cc, subject=subject, message_id=message_id, in_reply_to=mail.in_reply_to,
            references=mail.references, date=mail.send_at, auto=send.auto, attachments=attachments,
            inline=send.inline, extra_headers={"X-Mailbot-Ticket": number} if number else None)
        return out, attachments

    def attachments(self, mail: MailPlan, msg: InboundMessage | None) -> list[Attachment]:
        """The files a plan names: this message's, or those kept in the archive."""
        if mail.send.attach == "inbound":
            return list(msg.attachments) if msg else []
        found: list[Attachment] = []
        for path in mail.attach_from:
            archived = self.archive.load(path)
            if archived is not None:
                found += archived.attachments
        return found

    def detached(self, setup: Setup, mail: MailPlan, now: datetime) -> OutboxRow:
        """A planned mail for SMTP that never touches the store (alerts about the store itself)."""
        send = mail.send
        out, _ = self.render(setup.box, mail, None, None)
        return OutboxRow(0, setup.box.name, None, out.message_id, send.kind, setup.box.address, out.rcpt, out.raw, 0,
                         now, str(send.to))


def _without_code(value: object, code: str) -> Any:
    """A context value (a text, a list of texts) with the escalation key's code taken out,
    however it is wrapped ("[ref:code]", "[ref_code]" of a file saved under the subject)."""
    if isinstance(value, str):
        return re.sub(re.escape(code), "", without_escalation_keys(value), flags=re.IGNORECASE) \
            if code in value.lower() else value
    if isinstance(value, list):
        return [_without_code(v, code) for v in value]
    return value


def _masked(line: str, code: str) -> str:
    """A line with the escalation key's code written as asterisks of its length (the columns stay)."""
    return re.sub(re.escape(code), "*" * len(code), line, flags=re.IGNORECASE) if code in line.lower() else line


def _carries(code: str, text: str, attachments: list[Attachment]) -> bool:
    """Whether the code still stands in a mail's text or in the bytes of a file it carries."""
    needle = code.encode("ascii")
    return code in text.lower() or any(needle in a.data.lower() for a in attachments)


def _subject_tag(box: MailboxConfig, send: Send, ticket: Ticket | None, key: bytes,
                 audience: frozenset[str]) -> str | None:
    """Our tag; next to it, on mail to LKPP, LKPP's own reference exactly as its system wrote
    it ("[lkpp.test #5]", "[Ticket#2026...]", "(SD-123)"), else the number its text
    named as [Ticket#...], so its desk adds our mail to the same case (SOP-015); then the
    ticket's escalation key, on mail that went to LKPP and no requester: the
    desk carries it back in its replies' subjects, and it proves them LKPP's (SPEC 9)."""
    if ticket is None or not ticket.number:
        return None
    ours = tag(box.tag_prefix, ticket.number)
    if send.to is Audience.LKPP and ticket.lkpp_ref:
        ours = f"{ours} {ticket.lkpp_ref}"
    elif send.to is Audience.LKPP and ticket.lkpp_ticket:
        ours = f"{ours} [Ticket#{ticket.lkpp_ticket}]"
    if "l" in audience and "r" not in audience:
        ours = f"{ours} {escalation_mark(key, box.name, ticket.number)}"
    return ours


def _title(box: MailboxConfig, send: Send, title: str) -> str:
    """The title of a mail: to LKPP without any counterpart reference (the one learned from
    LKPP's verified mail stands next to our tag): a requester who wrote "[lkpp.test #3]" into
    their subject never sends our case onto another case of LKPP's (SPEC 9)."""
    return title if send.to is not Audience.LKPP else without_references(title, (box.tag_prefix,))
