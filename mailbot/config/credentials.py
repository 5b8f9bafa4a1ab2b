"""The systemd credentials a config names (`${CREDENTIALS_DIRECTORY}/NAME`), and which unit
reads each: what `check` compares with the units' `LoadCredential=` lines.

Under systemd a secret reaches mailbot only if the unit that runs it loads it: the daemon's
(`mailbot.service`) reads every server's secret and the database's password; the window's
(`mailbot-web.service`) sends its sign-in links through the mailboxes' SMTP servers, so it
reads the SMTP secrets too (an OAuth2 client secret or certificate included), and the
database's password unless `web.database` names a role of its own. `check`, run through
the installed wrapper, reads the files themselves and found them all: it said ok where a
unit could not start (the window without the OAuth2 secret; a second mailbox's own IMAP
password that no unit loaded). Read from the config's own text (the references, before
`${...}` is expanded), after the loader has checked it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REFERENCE = "${CREDENTIALS_DIRECTORY}/"
DAEMON, WINDOW = "mailbot.service", "mailbot-web.service"
SERVER_FILES = ("password_file", "token_file", "ca_file")
OAUTH2_FILES = ("client_secret_file", "client_certificate_file", "refresh_token_file")


@dataclass(frozen=True)
class Credential:
    """One `${CREDENTIALS_DIRECTORY}/NAME` of the config: the key that names it, its name,
    and the units whose processes read it."""

    key: str
    name: str
    units: tuple[str, ...]


def named(data: Mapping[str, Any]) -> list[Credential]:
    """Every credential the config names, in the config's order."""
    found: list[Credential] = []
    window = isinstance(data.get("web"), Mapping)
    web: Mapping[str, Any] = data["web"] if window else {}
    smtp_readers = (DAEMON, WINDOW) if window else (DAEMON,)

    def add(key: str, value: Any, units: tuple[str, ...]) -> None:
        if isinstance(value, str) and value.strip().startswith(REFERENCE):
            name = value.strip()[len(REFERENCE):]
            if name and "/" not in name:
                found.append(Credential(key, name, units))

    def server(block: Any, key: str, units: tuple[str, ...]) -> None:
        if not isinstance(block, Mapping):
            return
        for field in SERVER_FILES:
            add(f"{key}.{field}", block.get(field), units)
        if isinstance(oauth2 := block.get("oauth2"), Mapping):
            for field in OAUTH2_FILES:
                add(f"{key}.oauth2.{field}", oauth2.get(field), units)

    server(data.get("smtp"), "smtp", smtp_readers)
    for i, box in enumerate(data.get("mailboxes") or []):
        if isinstance(box, Mapping):
            server(box.get("imap"), f"mailboxes[{i}].imap", (DAEMON,))
            server(box.get("smtp"), f"mailboxes[{i}].smtp", smtp_readers)
    own_login = bool(web.get("database"))
    add("database_password_file", data.get("database_password_file"),
        (DAEMON, WINDOW) if window and not own_login else (DAEMON,))
    if window:
        add("web.database_password_file", web.get("database_password_file"), (WINDOW,))
    return found
