"""The requester's identity for an escalation, as far as the mail tells it. Pure.

SOP-015 step 1 forwards the problem to LKPP; LKPP needs to know who is affected,
the fields of the "Formulir Konsultasi" (seed 003): name, agency or company,
address, phone. Requesters often write these as "Nama: ..." lines or in their
signature; we take what is there and never guess beyond it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from mailbot.core.model import InboundMessage

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


def identify(messages: list[InboundMessage]) -> Identity:
    """Collect the requester's identity from their messages, earliest first."""
    found: dict[str, str] = {}
    for msg in messages:
        text = msg.new_text or msg.text
        for key, pattern in _LINE.items():
            match = pattern.search(text)
            if match and key not in found:
                found[key] = match.group("value")[:120]
        if "phone" not in found and (phone := _PHONE.search(text)):
            found["phone"] = phone.group(0)
        if "organisation" not in found and (org := _ORG.search(text)):
            found["organisation"] = org.group(1).strip()
        found.setdefault("email", msg.from_addr.addr)
        if msg.from_addr.name:
            found.setdefault("name", msg.from_addr.name)
    return Identity(**found)
