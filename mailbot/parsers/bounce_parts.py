"""What a message's parts say of it: automatic or not, a bounce or not, and what it returns.

A delivery report is a multipart/report (RFC 3464), but gateways put the delivery-status
part in a multipart/mixed, MTAs write DSN fields in plain text, and some write a bounce
like a reply; a person's mail that carries a report among its files (a forwarded bounce:
"my mail to the pokja keeps failing") is a complaint, not a bounce (SPEC 5). A bounce's
parts also carry the Message-IDs of the mail it returns, which tell the daemon whether
that mail was mailbot's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from mailbot.model import Attachment
from mailbot.parsers.attachments import body_and_attachments
from mailbot.parsers.auto import automatic_reason, bounce_reason, dsn_fields, evidence_bounce, is_list_reason
from mailbot.parsers.header_blocks import quoted_parties
from mailbot.parsers.headers import header_text, message_id
from mailbot.parsers.mime_tree import (
    DSN_PARTS,
    EMBEDDED,
    REPORT_PARTS,
    Leaf,
    Message,
    inner_message,
    raw_field,
)
from mailbot.parsers.part_content import part_text, payload_bytes

_BODY_MSGID = re.compile(
    r"^[ \t>]*(?:x-)?(?:original-)?message-id[ \t]*:[ \t]*(<[^<>\r\n]{1,998}>|[^\s<>]{1,998}@[^\s<>]{1,998})",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_PARTS = ("text/rfc822-headers", "message/rfc822-headers")


@dataclass(frozen=True)
class Body:
    """A message's body and files, and whether (and why) it is automatic or a bounce."""

    text: str
    attachments: tuple[Attachment, ...]
    auto_reason: str | None
    is_bounce: bool


def body_and_kind(leaves: list[Leaf], headers: Mapping[str, str], defects: dict[str, None],
                  sender: str = "") -> Body:
    """Body, attachments, and whether (and why) the message is automatic or a bounce (SPEC 5).

    `sender`: the From address, empty when there is none. Header signs decide first; then
    DSN fields in the body's text; then the evidence of its words and its parts."""
    is_bounce = _reports_delivery(leaves, headers, sender)
    auto_reason = automatic_reason(headers)
    if auto_reason is None and is_bounce:
        auto_reason = "bounce: delivery-status part"
    text, attachments = body_and_attachments(leaves, is_bounce, defects)
    if auto_reason is not None and not is_bounce and not _person_behind(auto_reason):
        return _a_report_among(leaves, headers, defects, Body(text, attachments, auto_reason, False))
    if auto_reason is not None:
        return Body(text, attachments, auto_reason, is_bounce)
    if dsn_fields(text):
        return Body(text, attachments, "bounce: DSN fields", True)
    return _by_evidence(leaves, headers, defects, Body(text, attachments, None, False))


def _reports_delivery(leaves: list[Leaf], headers: Mapping[str, str], sender: str) -> bool:
    """A delivery report by its headers, or by a delivery-status part in a report, alone, or
    from no address at all (McAfee, OpenSMTPD put it in a multipart/mixed, from
    MAILER-DAEMON or from nobody)."""
    return bounce_reason(headers) is not None or any(
        leaf.ctype in DSN_PARTS
        and (leaf.in_report or len(leaves) == 1 or not sender) for leaf in leaves)


def _by_evidence(leaves: list[Leaf], headers: Mapping[str, str], defects: dict[str, None], plain: Body) -> Body:
    """`plain` (a message no header sign made automatic), judged by the evidence of its words
    and of a copy of a mail among its parts (`auto.evidence_bounce`)."""
    copy = any(leaf.ctype in EMBEDDED or leaf.ctype in REPORT_PARTS for leaf in leaves)
    reason = evidence_bounce(headers, plain.text, copy, carried(leaves) if copy else None)
    if reason is None or not reason.startswith("bounce"):
        return Body(plain.text, plain.attachments, reason, False)
    # the returned mail is no file of the sender's, as in any bounce
    text, attachments = body_and_attachments(leaves, True, defects)
    return Body(text, attachments, reason, True)


def _person_behind(reason: str) -> bool:
    """Whether automatic mail may carry a person's words: a list's post, a web form's mail
    from a no-reply address on someone's behalf (`core.classify.on_behalf`)."""
    return is_list_reason(reason) or reason == "noreply sender"


def _a_report_among(leaves: list[Leaf], headers: Mapping[str, str], defects: dict[str, None], auto: Body) -> Body:
    """Automatic mail no header calls a bounce (`Precedence: bulk`, the null return path, from
    no address: `"Jetmail System" <>`): a bounce when its evidence says so (`_by_evidence`),
    recorded as one and attached to the ticket of the mail it returns; else as it was."""
    found = _by_evidence(leaves, headers, defects, Body(auto.text, auto.attachments, None, False))
    return found if found.is_bounce else auto


def carried(leaves: list[Leaf]) -> tuple[frozenset[str], frozenset[str]] | None:
    """The sender and recipients of the first mail a message attaches (message/rfc822) or
    returns as headers (text/rfc822-headers): what `auto.returns_a_mail` weighs."""
    for leaf in leaves:
        head = _carried_head(leaf)
        found = quoted_parties(head) if head else (frozenset(), frozenset())
        if found[0] and found[1]:
            return found
    return None


def _carried_head(leaf: Leaf) -> str:
    """The header fields of the mail a leaf carries, as text; "" for a leaf that carries none."""
    if leaf.ctype in EMBEDDED:
        inner = inner_message(leaf.part)
        if inner is None:
            return ""
        return "\n".join(f"{name}: {header_text(str(value))}" for name, value in inner.raw_items())
    if leaf.ctype in _HEADER_PARTS:
        return part_text(leaf.part, {})
    return ""


def bounced_ids(top: Message, leaves: list[Leaf], body: str) -> list[str]:
    """Message-IDs of the original mail a bounce reports on, in order of discovery: the ids in
    the parts' fields first, then those quoted in the parts' texts and in the body."""
    seen: dict[str, None] = {}
    for leaf in leaves:
        seen.update(dict.fromkeys(_field_ids(top, leaf)))
    sink: dict[str, None] = {}
    texts = [_leaf_text(leaf, sink) for leaf in leaves]
    for text in [*(t for t in texts if t is not None), body]:
        seen.update(dict.fromkeys(_quoted_ids(text)))
    return list(seen)


def _field_ids(top: Message, leaf: Leaf) -> Iterator[str]:
    """The Message-ID fields of a part (some MTAs paste the original headers as a part's own
    MIME headers) and of the message an embedded part carries."""
    if leaf.part is not top:
        found = message_id(raw_field(leaf.part, "message-id"))
        if found:
            yield found
    inner = inner_message(leaf.part) if leaf.ctype in EMBEDDED else None
    if inner is not None:
        found = message_id(raw_field(inner, "message-id"))
        if found:
            yield found


def _leaf_text(leaf: Leaf, sink: dict[str, None]) -> str | None:
    """The text of a part that may quote the returned mail's id: an attached message's bytes,
    a report or any text part; None for another part."""
    if leaf.ctype in EMBEDDED:
        return payload_bytes(leaf.part, sink).decode("utf-8", "replace")
    if leaf.ctype in REPORT_PARTS or leaf.ctype.startswith("text/"):
        return part_text(leaf.part, sink)
    return None


def _quoted_ids(text: str) -> Iterator[str]:
    """The Message-IDs a text quotes in a (X-)(Original-)Message-ID field line."""
    for match in _BODY_MSGID.finditer(text):
        found = message_id(match.group(1))
        if found and "@" in found:
            yield found
