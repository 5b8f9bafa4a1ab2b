"""The configuration as frozen values (SPEC section 12): what every part reads.

Pure types: `mailbot.config.load` builds them from YAML and validates them; the core and
the shells only read them. A `Secret` never shows its value, so it cannot leak into logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.errors import ConfigError


@dataclass(frozen=True)
class Secret:
    """A password; never printed."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate credential in place of a client secret (Microsoft's app registrations
    take one, and tenants that forbid secrets require it): the private key signs each token
    request's client assertion (RFC 7523); the provider knows the client by the certificate's
    thumbprint and refuses it after `ends`."""

    key: Secret  # the private key, PEM
    x5t: str  # the certificate's SHA-1 thumbprint, base64url, the assertion header's `x5t`
    ends: date  # the certificate's notAfter, as a date


@dataclass(frozen=True)
class OAuth2Config:
    """Where mailbot gets its own OAuth2 access tokens: a token endpoint, the
    unit's registered client, and for delegated access the refresh token an administrator's
    one-time login left in `refresh_token_file` (rotated tokens are written back there).
    Without one, the client's own credentials (Microsoft's app-only access)."""

    provider: str  # microsoft | google | generic
    client_id: str
    client_secret: Secret | None
    token_url: str
    scope: str
    refresh_token_file: Path | None = None
    tenant: str | None = None  # Microsoft's directory (tenant) id or domain
    device_url: str | None = None  # the device authorization endpoint (`mailbot oauth login`)
    secret_expires: date | None = None  # the client secret's end (the portal shows it), or the certificate's
    cache_dir: Path | None = None  # access tokens kept between processes (0700; each file 0600)
    certificate: ClientCertificate | None = None  # in place of client_secret (Microsoft, RFC 7523)

    @property
    def credential(self) -> str:
        """What proves the client, as `check` and the digest name it."""
        return "client certificate" if self.certificate is not None else "client secret"


SECRET_WARNING_DAYS = 14  # a client secret's end is said this long before


def secret_days_left(server: ServerConfig, today: date) -> int | None:
    """Days until the server's OAuth2 client secret ends (negative: past its end), when it
    ends within `SECRET_WARNING_DAYS`; None when it does not, or its end is not written.
    `check` and the daily digest say it: once it ended, the provider refuses every token."""
    expires = server.oauth2.secret_expires if server.oauth2 else None
    if expires is None:
        return None
    left = (expires - today).days
    return left if left <= SECRET_WARNING_DAYS else None


@dataclass(frozen=True)
class ServerConfig:
    """How to reach and log in to one IMAP or SMTP server.

    `auth` is `password` (LOGIN/PLAIN with `password`) or `xoauth2` (Microsoft 365,
    Google: an OAuth2 access token read at each login from `token_file`, printed by
    `token_command`, or obtained and refreshed by mailbot itself from `oauth2`, since
    tokens expire within the hour). TLS certificates are
    verified against the system CAs, or against `ca_file` alone when it is set.
    """

    host: str
    port: int
    security: str
    username: str | None
    password: Secret | None
    ca_file: Path | None = None
    auth: str = "password"
    token_file: Path | None = None
    token_command: tuple[str, ...] | None = None
    oauth2: OAuth2Config | None = None  # tokens mailbot obtains and refreshes itself


@dataclass(frozen=True)
class SmtpConfig(ServerConfig):
    max_connections: int = 1  # kept connections to this server at once
    max_retry_hours: float = 120.0  # temporary failures are retried this long (SPEC 5)
    timeout: float = 30.0  # seconds a reply (and the TCP connect) may take
    greeting_timeout: float = 300.0  # seconds the server's 220 greeting may take (RFC 5321 4.5.3.2.1)
    key: str = field(default="smtp", compare=False)  # where the config gives it: "smtp", "mailboxes[1].smtp"


@dataclass(frozen=True)
class ImapConfig(ServerConfig):
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    # where a copy of each mail mailbot sent is kept: what a restore reads when the
    # database and the archive are lost with the host; None: no copies kept
    sent_folder: str | None = "Sent"
    idle: bool = True
    poll_seconds: int = 60


@dataclass(frozen=True)
class MailboxConfig:
    name: str
    address: str
    display_name: str
    tag_prefix: str
    imap: ImapConfig
    smtp: SmtpConfig
    staff: tuple[str, ...]
    staff_notify: str | None
    coordinators: tuple[str, ...]
    heads: tuple[str, ...]
    staff_names: tuple[tuple[str, str], ...] = ()  # (address, display name) for the reports

    @property
    def notify_addresses(self) -> tuple[str, ...]:
        """Where staff notifications go: the list address or every staff member."""
        return (self.staff_notify,) if self.staff_notify else self.staff

    def own(self, address: str) -> bool:
        """The unit's own address or one of its people (staff, list, coordinators, heads)."""
        address = address.lower()
        return (address == self.address or address in self.staff or address == self.staff_notify
                or address in self.coordinators or address in self.heads)

    def staff_name(self, address: str) -> str:
        """The name the reports show for a staff address ("Petugas"); the address if unnamed."""
        wanted = address.lower()
        return next((name for addr, name in self.staff_names if addr == wanted), address)


@dataclass(frozen=True)
class CalendarConfig:
    """`hours`: one day's ranges for every working day, or (weekday, ranges) pairs;
    `periods`: dated periods with hours of their own, each as (key, value) pairs."""

    workdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    hours: str | tuple[tuple[str, str], ...] = "08:00-16:00"
    country_holidays: str | None = "ID"
    holiday_categories: tuple[str, ...] = ("public", "government")
    extra_holidays: tuple[str, ...] = ()
    periods: tuple[tuple[tuple[str, Any], ...], ...] = ()

    def week_hours(self) -> str | dict[str, str]:
        return self.hours if isinstance(self.hours, str) else dict(self.hours)

    def period_maps(self) -> list[dict[str, Any]]:
        return [{key: (dict(value) if isinstance(value, tuple) else value) for key, value in period}
                for period in self.periods]


@dataclass(frozen=True)
class AuthConfig:
    mode: str = "token"
    trusted_authserv_id: str | None = None


@dataclass(frozen=True)
class EscalationConfig:
    address: str | None = None
    senders: tuple[str, ...] = ()
    relay_status: bool = True


@dataclass(frozen=True)
class LimitsConfig:
    max_message_bytes: int = 25 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    message_seconds: float = 30.0
    ticket_mails_per_hour: int = 10
    max_parts: int = 500  # MIME parts in one message
    max_attachments: int = 100  # attachments in one message
    # acks to addresses the unit never wrote to and its server does not vouch for, unit-wide an hour
    # (a fifth of it at most to one domain): past it tickets still open and their acks are held,
    # going by themselves in turn, so forged senders make no backscatter and deny no one
    acks_per_hour: int = 60

    def parse_options(self) -> dict[str, int]:
        """The caps `parsers.parse_message` applies."""
        return {"max_header_bytes": self.max_header_bytes, "max_size": self.max_message_bytes,
                "max_parts": self.max_parts, "max_attachments": self.max_attachments}


@dataclass(frozen=True)
class ReportsConfig:
    monthly: bool = True  # the monthly summary to heads and coordinators, by the daemon


@dataclass(frozen=True)
class SimilarConfig:
    """What a solved case's solution may carry to another requester (`#jawab-seperti`):
    links to these domains and their subdomains (None: the unit's mailbox
    domains, LKPP's and `escalation`'s, `core/personal_data.link_domains`), and the unit's own
    phone numbers and street addresses, which name no requester."""

    allowed_link_domains: tuple[str, ...] | None = None
    public_contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebConfig:
    """`web:` the window (SPEC 13): where `mailbot web` listens (behind the host's reverse
    proxy), the address people open (`url`, ending in "/": the links in mail start with it;
    None: no link is mailed, neither a requester's status link nor a sign-in link), and how
    long a requester's status link works after the ticket closes."""

    host: str = "127.0.0.1"
    port: int = 8025
    url: str | None = None
    status_link_days: int = 30
    # On PostgreSQL, the window's own login (a role with SELECT alone), used by `mailbot web` only;
    # None: the top level's `database`. The password file is read when the window opens the store.
    database_url: str | None = None
    database_password_file: Path | None = None

    @property
    def listen(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LogConfig:
    format: str = "json"
    level: str = "info"


@dataclass(frozen=True)
class Config:
    path: Path
    timezone: ZoneInfo
    database: Path
    archive_dir: Path
    rules_dir: Path | None
    templates_dir: Path | None
    language: str
    log: LogConfig
    calendar: CalendarConfig
    auth: AuthConfig
    autoreply_limit: int
    ack_max_age_hours: float
    alert_after_minutes: float
    reopen_days: int
    secret_key_file: Path
    escalation: EscalationConfig
    limits: LimitsConfig
    smtp: SmtpConfig | None
    mailboxes: tuple[MailboxConfig, ...]
    reports: ReportsConfig = ReportsConfig()
    similar: SimilarConfig = SimilarConfig()
    # PostgreSQL as the shared store: `database_url` instead of the file `database`
    database_url: str | None = None
    database_password: Secret | None = None
    lease_seconds: float = 30.0
    web: WebConfig | None = None  # absent: no `mailbot web`, no links in mail (SPEC 12, 13)
    web_problem: str | None = None  # `check` alone: what is wrong with `web:` (then web is None), said by its row

    @property
    def store_location(self) -> Path | str:
        """Where the store lives: the PostgreSQL URL, else the SQLite file."""
        return self.database_url or self.database

    def mailbox(self, name: str) -> MailboxConfig:
        for box in self.mailboxes:
            if box.name == name:
                return box
        raise ConfigError(f"mailboxes: no mailbox named {name!r}")
