"""The requester's identity for an escalation, as far as the mail tells it. Pure.

SOP-015 step 1 forwards the problem to LKPP; LKPP needs to know who is affected,
the fields of the "Formulir Konsultasi" (seed 003): name, agency or company,
address, phone. Requesters often write these as "Nama: ..." lines or in their
signature; we take what is there and never guess beyond it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from mailbot.core.model import Address, InboundMessage

_FIELD = {
    "name": r"nama(?: lengkap| pengguna)?|name",
    "organisation": r"(?:nama )?(?:instansi|perusahaan|badan usaha|satker|dinas|organisasi|company|agency)",
    "address": r"alamat|address",
    "phone": r"(?:no(?:mor)?\.? ?)?(?:telp|telepon|telpon|hp|handphone|wa|whatsapp|phone|ponsel)(?:/hp|/wa)?",
}
_LINE = {key: re.compile(rf"^\s*(?:{pattern})\s*[:=]\s*(?P<value>.+?)\s*$", re.IGNORECASE | re.MULTILINE) for key, pattern in _FIELD.items()}
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)8\d{1,3}[-\s.]?\d{3,4}[-\s.]?\d{3,5}(?!\d)")
_ORG = re.compile(r"^\s*((?:PT|CV|UD|Koperasi|Dinas|Badan|Kantor|Sekretariat|Rumah Sakit|RSUD)\b[^\n]{2,80})$", re.MULTILINE)


@dataclass(frozen=True)
class Identity:
    name: str = ""
    organisation: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def identify_texts(texts: tuple[str, ...], requester: Address) -> Identity:
    """The identity the requester's own texts state (earliest first), with their From."""
    found = _fields(texts)
    found.setdefault("email", requester.addr)
    if requester.name:
        found.setdefault("name", requester.name)
    return Identity(**found)


def _fields(texts: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in texts:
        for key, pattern in _LINE.items():
            match = pattern.search(text)
            if match and key not in found:
                found[key] = match.group("value")[:120]
        if "phone" not in found and (phone := _PHONE.search(text)):
            found["phone"] = phone.group(0)
        if "organisation" not in found and (org := _ORG.search(text)):
            found["organisation"] = org.group(1).strip()
    return found


def identify(messages: list[InboundMessage]) -> Identity:
    """Collect the requester's identity from their messages, earliest first."""
    found = _fields(tuple(m.new_text or m.text for m in messages))
    if messages:
        found.setdefault("email", messages[0].from_addr.addr)
        name = next((m.from_addr.name for m in messages if m.from_addr.name), "")
        if name:
            found.setdefault("name", name)
    return Identity(**found)
