"""What of a staff or LKPP message's files a requester may receive.

Both the composer (a relayed answer's files) and the look-up (whether LKPP's latest
reply holds anything to relay) ask the same question; the answer depends only on the
files and the mailbox, so it lives here, in the core, for both.
"""

from __future__ import annotations

from dataclasses import replace

from mailbot.core.internal import redact
from mailbot.model import Attachment
from mailbot.settings import MailboxConfig

# Contact cards a mail client attaches by itself (Thunderbird's "Attach my vCard",
# Outlook's business card): they hold the staff member's own address and phone.
_CONTACT_CARDS = ("text/vcard", "text/x-vcard", "text/directory")
# The signature part of a signed message (S/MIME, e.g. a BSrE certificate; OpenPGP): it
# carries the signer's certificate with their own address, and proves nothing once the
# text it signed is relayed in a new mail.
_SIGNATURES = ("application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature")
# A whole mail attached (Outlook's "forward as attachment", LKPP's desk attaching our own
# escalation): its headers carry staff addresses and mailbot's signed Message-IDs sent to
# staff or LKPP, and its text the internal notes; a requester holding such a Message-ID
# could act in that role (SPEC 9), so none reaches a requester.
_EMBEDDED = ("message/rfc822", "message/global", "message/partial", "message/external-body",
             "message/rfc822-headers", "text/rfc822-headers", "message/global-headers", "application/vnd.ms-outlook")
_EMBEDDED_NAMES = (".eml", ".msg")


def for_requester(attachments: list[Attachment], box: MailboxConfig) -> list[Attachment]:
    """What of a staff or LKPP message's files a requester may receive: no contact cards,
    no signature parts, no attached mail, and no internal address in a file name (SPEC 1:
    none in any header or body)."""
    kept = []
    for part in attachments:
        ctype, name = part.content_type.lower(), part.filename.lower()
        if ctype in _CONTACT_CARDS or name.endswith((".vcf", ".vcard")):
            continue
        if ctype in _SIGNATURES or name.endswith(".p7s"):
            continue
        if ctype in _EMBEDDED or name.endswith(_EMBEDDED_NAMES):
            continue
        name = _redacted_name(part.filename, box)
        kept.append(part if name == part.filename else replace(part, filename=name))
    return kept


def _redacted_name(filename: str, box: MailboxConfig) -> str:
    """A file name without internal addresses, one that ends the name before its extension
    ("panduan dari staff1@lpse.go.id.pdf") included: `redact` alone reads ".pdf" there as
    more of a longer address and leaves it."""
    name = redact(filename, box)
    stem, dot, extension = name.rpartition(".")
    return redact(stem, box) + dot + extension if dot and stem else name
