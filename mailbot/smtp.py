"""The only module that talks SMTP (through aiosmtplib): it drains the outbox.

A row is marked sent only after the server accepted it. Temporary failures (4xx,
connection problems) are retried with exponential backoff; a permanent rejection of
every recipient (5xx) marks the row failed and is recorded.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib

from mailbot import servers
from mailbot.config import ServerConfig
from mailbot.errors import LoginRefusedError, UnreachableError
from mailbot.store import OutboxRow

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class SendResult:
    row: OutboxRow
    ok: bool
    permanent: bool = False
    error: str = ""


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts, 0)), BACKOFF_MAX)


def _client(cfg: ServerConfig, timeout: float) -> aiosmtplib.SMTP:
    """A client that verifies the certificate against the system CAs or `ca_file`."""
    return aiosmtplib.SMTP(
        hostname=cfg.host, port=cfg.port, use_tls=cfg.security == "ssl",
        start_tls=cfg.security == "starttls", tls_context=servers.tls_context(cfg), timeout=timeout,
    )


async def _login(client: aiosmtplib.SMTP, cfg: ServerConfig) -> None:
    """AUTH with a password (PLAIN/LOGIN) or an OAuth2 token (XOAUTH2, Microsoft 365).

    Every refusal, a missing token included, is an SMTPAuthenticationError.
    """
    if cfg.auth != "xoauth2":
        await client.login(cfg.username or "", servers.password(cfg))
        return
    try:
        initial = servers.xoauth2_initial_response(cfg.username or "", servers.access_token(cfg))
    except LoginRefusedError as exc:
        raise aiosmtplib.SMTPAuthenticationError(535, str(exc)) from None
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    response = await client.execute_command(b"AUTH", b"XOAUTH2", initial.encode("ascii"))
    if response.code == 334:  # a base64 JSON error challenge; an empty line fetches the verdict
        response = await client.execute_command(b"")
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


async def _send_all(cfg: ServerConfig, rows: list[OutboxRow], timeout: float) -> list[SendResult]:
    results: list[SendResult] = []
    client = _client(cfg, timeout)
    try:
        await client.connect()
        if cfg.username:
            await _login(client, cfg)
    except (aiosmtplib.SMTPException, OSError) as exc:
        permanent = isinstance(exc, aiosmtplib.SMTPAuthenticationError)
        return [SendResult(r, False, False, f"{'login refused' if permanent else 'connect failed'}: {exc}")
                for r in rows]
    try:
        for row in rows:
            try:
                errors, _ = await client.sendmail(row.mail_from, list(row.rcpt), row.raw)
                # partial rejections: the accepted recipients have it; record the rest
                failed = ", ".join(f"{a}: {e}" for a, e in errors.items()) if errors else ""
                results.append(SendResult(row, True, False, failed))
            except aiosmtplib.SMTPRecipientsRefused as exc:
                results.append(SendResult(row, False, True, f"all recipients refused: {exc}"))
            except aiosmtplib.SMTPResponseException as exc:
                results.append(SendResult(row, False, exc.code >= 500, f"{exc.code} {exc.message}"))
            except (aiosmtplib.SMTPException, OSError) as exc:
                results.append(SendResult(row, False, False, str(exc) or type(exc).__name__))
                break
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            pass
    done = {r.row.id for r in results}
    results += [SendResult(r, False, False, "not tried: connection lost") for r in rows if r.id not in done]
    return results


def send_rows(cfg: ServerConfig, rows: list[OutboxRow], timeout: float = 30.0) -> list[SendResult]:
    """Send rows over one connection; one result per row."""
    if not rows:
        return []
    return asyncio.run(_send_all(cfg, rows, timeout))


def probe(cfg: ServerConfig, timeout: float = 10.0) -> str:
    """Connect (and log in); a description, or UnreachableError."""

    async def run() -> str:
        client = _client(cfg, timeout)
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:  # after STARTTLS the extensions are known only anew
                await client.ehlo()
            if cfg.username and client.supports_extension("auth"):
                await _login(client, cfg)
            return f"SMTP {cfg.host}:{cfg.port} ok ({cfg.security}{', ' + cfg.auth if cfg.username else ''})"
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass

    try:
        return asyncio.run(run())
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise LoginRefusedError(
            f"SMTP login to {cfg.host}:{cfg.port} as {cfg.username} refused: {exc.code} {exc.message}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise UnreachableError(f"SMTP server {cfg.host}:{cfg.port} unreachable: {_text(exc)}") from None


def _text(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # aiosmtplib wraps the ssl error of a refused certificate
        if isinstance(cause, ssl.SSLCertVerificationError):
            return servers.certificate_problem(cause)
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


def retry_at(now: datetime, attempts: int, permanent: bool) -> datetime | None:
    """When to try again, or None to give up."""
    if permanent or attempts + 1 >= MAX_ATTEMPTS:
        return None
    return now + backoff(attempts)
