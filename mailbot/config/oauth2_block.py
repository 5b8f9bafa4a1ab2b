"""`oauth2:` of a server block: the unit's registered client at its provider
(Microsoft, Google or another), from which mailbot obtains and refreshes its own access
tokens; its credential (a client secret in a file, or a certificate with its key), its
endpoints and scope, checked here so that a wrong one is said at start-up."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailbot.config.fields import (
    check_keys,
    data_folder,
    expect_mapping,
    is_loopback,
    read_password_file,
    read_path,
    read_str,
)
from mailbot.errors import ConfigError
from mailbot.settings import ClientCertificate, OAuth2Config, Secret

OAUTH2_KEYS = {"provider", "client_id", "client_secret_file", "tenant", "token_url", "scope", "refresh_token_file",
               "device_url", "client_secret_expires", "token_cache_dir", "client_certificate_file"}
OAUTH2_PROVIDERS = ("microsoft", "google", "generic")
# The providers' token endpoints and the scopes of IMAP and SMTP (delegated: a person's
# one-time login; app-only: the client's own credentials, Microsoft's client credentials).
_MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
_MICROSOFT_DELEGATED = ("https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
                        "offline_access")
_MICROSOFT_APP_ONLY = "https://outlook.office365.com/.default"
_MICROSOFT_DEVICE_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"
_GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
_GOOGLE_DEVICE_URL = "https://oauth2.googleapis.com/device/code"
_GOOGLE_SCOPE = "https://mail.google.com/"


def oauth2_block(data: Any, key: str, base: Path) -> OAuth2Config:
    """`oauth2:`: the unit's registered client at its provider, from which mailbot
    obtains and refreshes its own access tokens."""
    data = expect_mapping(data, key)
    check_keys(data, OAUTH2_KEYS, key)
    provider = read_str(data, "provider", key, choices=OAUTH2_PROVIDERS)
    client_id = read_str(data, "client_id", key)
    secret, certificate = _credential(data, key, base, provider)
    refresh = read_path(data["refresh_token_file"], f"{key}.refresh_token_file", base) \
        if data.get("refresh_token_file") is not None else None
    tenant = read_str(data, "tenant", key, None)
    _provider_needs(key, provider, tenant, refresh, credential=secret is not None or certificate is not None)
    token_url, device_url, scope = _endpoints(data, key, provider, tenant, delegated=refresh is not None)
    expires = _credential_ends(data, key, certificate)
    # beside the state (the database, the secret key): a restarted daemon and each command
    # use the token the last one fetched while it is valid, instead of asking anew
    cache = read_path(data.get("token_cache_dir", "data/oauth-tokens"), f"{key}.token_cache_dir", data_folder(base))
    return OAuth2Config(provider, client_id, secret, token_url, scope, refresh, tenant, device_url, expires, cache,
                        certificate)


def _credential(data: Mapping[str, Any], key: str, base: Path,
                provider: str) -> tuple[Secret | None, ClientCertificate | None]:
    """The client's own credential, if it has one: a secret in a file, or a certificate."""
    secret = read_password_file(data, key, base, "client_secret_file") if data.get("client_secret_file") else None
    if data.get("client_certificate_file") is None:
        return secret, None
    if secret is not None:
        raise ConfigError(f"{key}.client_certificate_file: give a client secret or a certificate, not both")
    if provider == "google":
        raise ConfigError(f"{key}.client_certificate_file: Google's clients take no certificate; "
                          "use refresh_token_file")
    return None, _client_certificate(data, key, base)


def _provider_needs(key: str, provider: str, tenant: str | None, refresh: Path | None, *, credential: bool) -> None:
    """What each provider cannot do without: Microsoft a tenant, Google a refresh token, any a
    refresh token or the client's own credential."""
    if provider == "microsoft" and not tenant:
        raise ConfigError(f"{key}.tenant: required for provider microsoft (the directory id or domain)")
    if provider == "google" and refresh is None:
        raise ConfigError(f"{key}.refresh_token_file: required for provider google (run `mailbot oauth login`)")
    if refresh is None and not credential:
        raise ConfigError(f"{key}.client_secret_file: required without refresh_token_file "
                          "(the client's own credentials), unless client_certificate_file is given")


def _endpoints(data: Mapping[str, Any], key: str, provider: str, tenant: str | None,
               *, delegated: bool) -> tuple[str, str | None, str]:
    """The token and device endpoints and the scope: the provider's own unless given (a
    generic provider's token endpoint must be)."""
    default_url = {"microsoft": _MICROSOFT_TOKEN_URL.format(tenant=tenant), "google": _GOOGLE_TOKEN_URL}
    token_url = _endpoint(data, "token_url", key, default_url.get(provider))
    if token_url is None:
        raise ConfigError(f"{key}.token_url: required for provider generic")
    default_device = {"microsoft": _MICROSOFT_DEVICE_URL.format(tenant=tenant), "google": _GOOGLE_DEVICE_URL}
    device_url = _endpoint(data, "device_url", key, default_device.get(provider))
    default_scope = {"microsoft": _MICROSOFT_DELEGATED if delegated else _MICROSOFT_APP_ONLY,
                     "google": _GOOGLE_SCOPE}
    return token_url, device_url, read_str(data, "scope", key, default_scope.get(provider, ""))


def _credential_ends(data: Mapping[str, Any], key: str, certificate: ClientCertificate | None) -> dt.date | None:
    """When the client's credential ends: `client_secret_expires`, or the certificate's own end."""
    expires = data.get("client_secret_expires")
    if expires is not None and not isinstance(expires, dt.date):
        try:
            expires = dt.date.fromisoformat(str(expires))
        except ValueError:
            raise ConfigError(f"{key}.client_secret_expires: expected a date (YYYY-MM-DD), got {expires!r}") from None
    if certificate is None:
        return expires
    if expires is not None:
        raise ConfigError(f"{key}.client_secret_expires: a certificate's end is read from the certificate")
    return certificate.ends


def _client_certificate(data: Mapping[str, Any], key: str, base: Path) -> ClientCertificate:
    """`client_certificate_file:` one PEM file holding the certificate uploaded to the app
    registration and its private key (unencrypted: the file is mailbot's alone, like the
    client secret's), read and matched here so that a wrong file is said at start-up."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    label = f"{key}.client_certificate_file"
    file = read_path(data["client_certificate_file"], label, base)
    try:
        pem = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {file}: {exc.strerror}") from None
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise ConfigError(f"{label}: {file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)") from None
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{label}: {file} holds no unencrypted private key beside the certificate "
                          "(-----BEGIN PRIVATE KEY-----)") from None
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ConfigError(f"{label}: the key is not RSA: the providers sign client assertions with RS256")
    if private.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
        raise ConfigError(f"{label}: the private key in {file} is not the certificate's")
    thumbprint = certificate.fingerprint(hashes.SHA1())
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    return ClientCertificate(Secret(key_pem), base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode("ascii"),
                             certificate.not_valid_after_utc.date())


def _endpoint(data: Mapping[str, Any], name: str, key: str, default: str | None) -> str | None:
    """An OAuth2 endpoint's URL: https, or plain http on loopback (a test's, a local proxy's)."""
    url = read_str(data, name, key, default)
    if url is None:
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https" and not (parsed.scheme == "http" and is_loopback(parsed.hostname or "")):
        raise ConfigError(f"{key}.{name}: must be https:// (plain http only on loopback), got {url!r}")
    return str(url)


