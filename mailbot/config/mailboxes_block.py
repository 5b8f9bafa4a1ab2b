"""`mailboxes:` of `config.yaml`: each mailbox's address, name, tag prefix, people and its
IMAP and SMTP blocks (`config/server_blocks.py`); no two with one name, no two reading one folder.
Errors name the key (`mailboxes[1].imap.host`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailbot.config.fields import check_keys, expect_mapping, read_address, read_addresses, read_str
from mailbot.config.server_blocks import imap_block, smtp_block
from mailbot.errors import ConfigError
from mailbot.settings import MailboxConfig, SmtpConfig

MAILBOX_KEYS = {
    "name", "address", "display_name", "tag_prefix", "imap", "smtp", "staff", "staff_notify",
    "coordinators", "heads", "staff_names",
}


def _mailbox(data: Any, key: str, base: Path, smtp: SmtpConfig | None) -> MailboxConfig:
    data = expect_mapping(data, key)
    check_keys(data, MAILBOX_KEYS, key)
    if "address" not in data:
        raise ConfigError(f"{key}.address: required")
    address = read_address(data["address"], f"{key}.address")
    name, tag_prefix = _box_name(data, key, address), _tag_prefix(data, key)
    if "imap" not in data:
        raise ConfigError(f"{key}.imap: required")
    box_smtp = _box_smtp(data, key, base, smtp)
    staff, notify = _staff(data, key)
    display = read_str(data, "display_name", key, f"Helpdesk {tag_prefix}")
    if re.search(r"[\r\n]", display):
        raise ConfigError(f"{key}.display_name: must be one line")
    return MailboxConfig(
        name=name,
        address=address,
        display_name=display,
        tag_prefix=tag_prefix,
        imap=imap_block(data["imap"], f"{key}.imap", base, address),
        smtp=box_smtp,
        staff=staff,
        staff_notify=notify,
        coordinators=read_addresses(data, "coordinators", key),
        heads=read_addresses(data, "heads", key),
        staff_names=_staff_names(data.get("staff_names"), f"{key}.staff_names"),
    )


def _box_name(data: Mapping[str, Any], key: str, address: str) -> str:
    """SPEC 12: only the address and the servers have no default; the name (what the CLI,
    the database and the logs call the mailbox) defaults to the address, spelled as a name."""
    name: str = read_str(data, "name", key, re.sub(r"[^A-Za-z0-9_-]+", "-", address)[:32].strip("-"))
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", name):
        raise ConfigError(f"{key}.name: {name!r} must be 1-32 letters, digits, '-' or '_'")
    return name


def _tag_prefix(data: Mapping[str, Any], key: str) -> str:
    tag_prefix: str = read_str(data, "tag_prefix", key, "LPSE")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", tag_prefix):
        raise ConfigError(f"{key}.tag_prefix: {tag_prefix!r} must be letters, digits, '.', '_' or '-'")
    return tag_prefix


def _box_smtp(data: Mapping[str, Any], key: str, base: Path, smtp: SmtpConfig | None) -> SmtpConfig:
    """The mailbox's own SMTP block, else the global one."""
    box_smtp = smtp_block(data["smtp"], f"{key}.smtp", base) if data.get("smtp") else smtp
    if box_smtp is None:
        raise ConfigError(f"{key}.smtp: required (no global smtp block either)")
    return box_smtp


def _staff(data: Mapping[str, Any], key: str) -> tuple[tuple[str, ...], str | None]:
    """The staff addresses and the shared notify address: one of them at least."""
    staff = read_addresses(data, "staff", key)
    notify = read_address(data["staff_notify"], f"{key}.staff_notify") if data.get("staff_notify") else None
    if not staff and not notify:
        raise ConfigError(f"{key}.staff: at least one staff address (or staff_notify) is required")
    return staff, notify


def _staff_names(data: Any, key: str) -> tuple[tuple[str, str], ...]:
    """`{address: name}`: who answered, by name, in the recap's "Petugas" column."""
    names = expect_mapping(data, key)
    found: list[tuple[str, str]] = []
    for address, name in names.items():
        addr = read_address(address, f"{key}.{address}")
        if not isinstance(name, str) or not name.strip() or re.search(r"[\r\n]", name):
            raise ConfigError(f"{key}.{address}: expected a one-line name")
        found.append((addr, name.strip()))
    return tuple(found)



def mailboxes_block(boxes: Any, base: Path, smtp: SmtpConfig | None) -> tuple[MailboxConfig, ...]:
    if isinstance(boxes, Mapping):  # one mailbox written without its "- "
        raise ConfigError("mailboxes: expected a list of mailboxes, got one mapping: start each mailbox with "
                          "'- ' (e.g. '  - name: btm')")
    if not isinstance(boxes, list) or not boxes:
        raise ConfigError("mailboxes: at least one mailbox is required")
    mailboxes = tuple(_mailbox(b, f"mailboxes[{i}]", base, smtp) for i, b in enumerate(boxes))
    _unique_names(mailboxes)
    _one_reader_a_folder(mailboxes)
    return mailboxes


def _unique_names(mailboxes: tuple[MailboxConfig, ...]) -> None:
    names = [b.name for b in mailboxes]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"mailboxes[{i}].name: {name!r} is the name of mailboxes[{names.index(name)}] too;"
                              " mailbox names must be unique")


def _one_reader_a_folder(mailboxes: tuple[MailboxConfig, ...]) -> None:
    """Two mailboxes reading one folder would each take the other's mail."""
    read = [f"{b.imap.username or b.address}@{b.imap.host}:{b.imap.port}/{b.imap.folder}" for b in mailboxes]
    twice = sorted({r for r in read if read.count(r) > 1})
    if twice:
        raise ConfigError(f"mailboxes: two mailboxes read the same IMAP folder: {', '.join(twice)}")


