"""The reports' shell: from the store and the config to a recap file, a page, a mail.

Reads the store through `queries` only, computes with the pure `rekap` and `figures`,
renders with `charts`, `present` and the `monthly_summary` templates. The summary
mail is a `Send` that the Mailer puts in the outbox like every other mail; the
caller owns the transaction and the sending.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from mailbot.core.worktime import WorkCalendar, build_calendar
from mailbot.io.render import Renderer
from mailbot.io.store import Store
from mailbot.model import AUTO_GENERATED, Attachment, Audience, InlineImage, Send
from mailbot.reports import charts, figures, labels, present, queries, recurring, rekap
from mailbot.reports.values import Month, RekapRow, Summary, TicketRecord
from mailbot.rules import PRIORITIES, Deadlines, Rules
from mailbot.settings import Config, MailboxConfig

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND = "monthly_summary"


def unit_name(cfg: Config, box: MailboxConfig | None) -> str:
    """The unit a report is about: the mailbox's display name, or every mailbox's."""
    boxes = [box] if box else list(cfg.mailboxes)
    return " / ".join(b.display_name for b in boxes)


def records(store: Store, cfg: Config, month: Month, box: MailboxConfig | None, *,
            texts: bool = False) -> list[TicketRecord]:
    return queries.month_tickets(store, month.start(cfg.timezone), month.end(cfg.timezone),
                                 box.name if box else None, texts=texts)


def rekap_rows(store: Store, cfg: Config, month: Month, box: MailboxConfig | None, *,
               loaded: list[TicketRecord] | None = None, channel: str | None = None) -> list[RekapRow]:
    """The recap's rows, of `loaded` (the month's tickets with texts) when given; of one
    `channel` (email, telepon, datang) when given."""
    names = {b.name: b for b in cfg.mailboxes}

    def staff_name(mailbox: str, address: str) -> str:
        found = names.get(mailbox)
        return found.staff_name(address) if found else address

    month_records = loaded if loaded is not None else records(store, cfg, month, box, texts=True)
    waiting = held_records(store, cfg, month, box)  # SPEC 3: a call written down is never lost
    shown = [r for r in (*month_records, *waiting) if channel in (None, r.channel)]
    return rekap.rows(sorted(shown, key=lambda r: r.created_at), cfg.timezone, staff_name)


def held_records(store: Store, cfg: Config, month: Month, box: MailboxConfig | None) -> list[TicketRecord]:
    """The month's calls and visits still held for their sender's `#buka`."""
    boxes = [box.name] if box else [b.name for b in cfg.mailboxes]
    return queries.held_forms(store, month.start(cfg.timezone), month.end(cfg.timezone), boxes)


# Seed 003 names the phone log "Rekap Penanganan Permasalahan Melalui Telepon"; the others alike.
CHANNEL_TITLES = {"email": "Melalui E-mail", "telepon": "Melalui Telepon", "datang": "Melalui Kunjungan Langsung"}


def rekap_title(cfg: Config, month: Month, box: MailboxConfig | None, channel: str | None = None) -> str:
    """The XLSX title row: the form's name (seed 003), for one channel when given, the unit
    and the month."""
    name = f"Rekap Penanganan Permasalahan {CHANNEL_TITLES[channel]}" if channel else "Rekap Penanganan Permasalahan"
    return f"{name} – {unit_name(cfg, box)} – {labels.month_label(month, 'id')}"


def rekap_file(rows: list[RekapRow], cfg: Config, month: Month, box: MailboxConfig | None, fmt: str,
               paper: str = "a4", channel: str | None = None) -> bytes:
    """The recap as `fmt`: "xlsx" (printed on `paper`), "csv" (for programs) or "excel" (CSV
    for Excel under Indonesian regional settings)."""
    queue = channel == "datang"  # the recap of visits keeps each one's Nomor Antrian
    if fmt == "xlsx":
        return rekap.to_xlsx(rows, rekap_title(cfg, month, box, channel), f"Rekap {month}", paper=paper, queue=queue)
    return rekap.to_csv(rows, excel=fmt == "excel", queue=queue)


def run_guestbook(cfg: Config, month: Month, mailbox: str | None, fmt: str, output: Path | None) -> None:
    """`mailbot report tamu`: the month's guest book of walk-ins (seed 000)."""
    box = cfg.mailbox(mailbox) if mailbox else None
    store = Store.of(cfg, readonly=True)
    try:
        data = guestbook_file(store, cfg, month, box, fmt)
    finally:
        store.close()
    write_out(data, output)


def guestbook_file(store: Store, cfg: Config, month: Month, box: MailboxConfig | None, fmt: str) -> bytes:
    """The month's guest book as `fmt` ("xlsx", "csv", "excel"), for `report tamu` and the window."""
    from mailbot.reports import guestbook

    names = {b.name: b for b in cfg.mailboxes}

    def staff_name(mailbox: str, address: str) -> str:
        found = names.get(mailbox)
        return found.staff_name(address) if found else address

    visits = [*records(store, cfg, month, box, texts=True), *held_records(store, cfg, month, box)]
    book = guestbook.rows(visits, cfg.timezone, staff_name)
    if fmt == "xlsx":
        return guestbook.to_xlsx(book, f"Buku Tamu – {unit_name(cfg, box)} – {labels.month_label(month, 'id')}")
    return guestbook.to_csv(book, excel=fmt == "excel")


def deadlines_table(rules: Rules) -> dict[str, Deadlines]:
    return {p: rules.deadlines(p) for p in PRIORITIES}


def summarize(store: Store, cfg: Config, rules: Rules, cal: WorkCalendar, month: Month,
              box: MailboxConfig | None, now: datetime, *, loaded: list[TicketRecord] | None = None) -> Summary:
    """The month's figures and its recurring topics (which read the requesters' texts), of
    `loaded` (the month's tickets with texts) when given."""
    month_records = loaded if loaded is not None else records(store, cfg, month, box, texts=True)
    summary = figures.summarize(month_records, month, cal, rules.deadlines, now)
    held = tuple(r.number for r in held_records(store, cfg, month, box))
    return replace(summary, topics=recurring.topics(month_records, rules.similar), held_forms=held)


def summary_page(summary: Summary, cfg: Config, rules: Rules, renderer: Renderer, box: MailboxConfig | None) -> str:
    """The standalone page: one file, charts as data: URIs, no outside resource."""
    drawn = charts.draw(summary, cfg.language)
    images = {c.name: "data:image/png;base64," + base64.b64encode(c.png).decode("ascii") for c in drawn}
    context = present.context(summary, unit=unit_name(cfg, box), unit_address=box.address if box else "",
                              language=cfg.language, deadlines=deadlines_table(rules), images=images,
                              tz=cfg.timezone, mail=False)
    _, html = renderer.body(KIND, labels.lang_of(cfg.language), {**context, "attachment_names": []})
    assert html is not None, "templates/<lang>/monthly_summary.html is missing"
    return html


def summary_send(store: Store, cfg: Config, rules: Rules, cal: WorkCalendar, box: MailboxConfig, month: Month,
                 now: datetime) -> Send:
    """The summary mail to the heads (coordinators in copy): HTML with the charts inline
    (cid:), a plain-text alternative, and the month's recap as XLSX."""
    month_records = records(store, cfg, month, box, texts=True)  # read once: summary and recap
    summary = summarize(store, cfg, rules, cal, month, box, now, loaded=month_records)
    domain = box.address.rpartition("@")[2]
    drawn = charts.draw(summary, cfg.language)
    inline = tuple(InlineImage(f"{c.name}.{month}.{box.name}@{domain}", f"{c.name}.png", "image/png", c.png)
                   for c in drawn)
    images = {c.name: f"cid:{image.cid}" for c, image in zip(drawn, inline, strict=True)}
    context = present.context(summary, unit=box.display_name, unit_address=box.address, language=cfg.language,
                              deadlines=deadlines_table(rules), images=images, tz=cfg.timezone, mail=True)
    recap = rekap_file(rekap_rows(store, cfg, month, box, loaded=month_records), cfg, month, box, "xlsx")
    return Send(KIND, Audience.HEADS, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, context=context,
                title=labels.subject(month, cfg.language), inline=inline,
                files=(Attachment(f"rekap-{box.name}-{month}.xlsx", XLSX_TYPE, recap),))


# --- the command line --------------------------------------------------------------------


def write_out(data: bytes, output: Path | None) -> None:
    """To the file, or to standard output."""
    if output is not None:
        output.write_bytes(data)
        return
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def run_rekap(cfg: Config, month: Month, mailbox: str | None, fmt: str, output: Path | None, *,
              paper: str = "a4", channel: str | None = None) -> None:
    """`mailbot report rekap`. `channel`: one channel's recap (seed 003 keeps the phone log as
    its own), numbered and titled for it."""
    box = cfg.mailbox(mailbox) if mailbox else None
    store = Store.of(cfg, readonly=True)
    try:
        data = rekap_file(rekap_rows(store, cfg, month, box, channel=channel), cfg, month, box, fmt, paper,
                          channel=channel)
    finally:
        store.close()
    write_out(data, output)


def run_summary(cfg: Config, month: Month, mailbox: str | None, output: Path | None, send: bool,
                now: datetime, send_to: Callable[[list[MailboxConfig]], str] | None = None) -> bool:
    """`mailbot report summary`: the page to --output (or stdout unless --send), and with
    --send one mail per mailbox to its heads and coordinators, queued and sent at once by
    `send_to` (the command's wiring: the mailer, the outbox and SMTP are the daemon's
    parts, which a report does not build), which says how the sending went. False when a
    summary asked to be sent had nobody to read it (`with_readers` names the mailbox)."""
    box = cfg.mailbox(mailbox) if mailbox else None
    if output is not None or not send:
        from mailbot.rules import load_rules

        store, rules = Store.of(cfg, readonly=True), load_rules(cfg.rules_dir)
        try:
            summary = summarize(store, cfg, rules, build_calendar(cfg), month, box, now)
        finally:
            store.close()
        write_out(summary_page(summary, cfg, rules, Renderer(cfg.templates_dir), box).encode("utf-8"), output)
    boxes = [box] if box else list(cfg.mailboxes)
    targets = with_readers(cfg, boxes) if send else []
    if targets:
        if send_to is None:
            raise ValueError("run_summary: --send needs send_to")
        print(f"mailbot: summary {month} queued; {send_to(targets)}", file=sys.stderr)
    return not send or len(targets) == len(boxes)


def with_readers(cfg: Config, boxes: list[MailboxConfig]) -> list[MailboxConfig]:
    """The mailboxes whose summary has someone to read it; each one without heads or
    coordinators is named (its mail would go nowhere, and "queued" would be untrue)."""
    readers = [b for b in boxes if b.heads or b.coordinators]
    for b in boxes:
        if b not in readers:
            index = cfg.mailboxes.index(b)
            print(f"mailbot: mailboxes[{index}].heads: mailbox {b.name!r} has no heads or coordinators; "
                  f"its summary was not sent", file=sys.stderr)
    return readers
