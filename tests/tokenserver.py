"""An OAuth 2.0 token endpoint on loopback, answering as Microsoft's and Google's do.

Grants: `client_credentials` (a client's own secret, Microsoft's app-only access) and
`refresh_token` (delegated access), each giving an access token for the client's mailbox
user; a refresh token is rotated on every use by default (the old one is void at once, as
Microsoft and Google may do). Each access token granted is handed to `grant(token, user)`,
so the local Dovecot's oauth2 passdb (its tokeninfo endpoint) and SMTP server accept it:
the mail servers check the tokens this server issued, as a provider's do. `refuse` makes
every request fail with the error a provider sends (`invalid_client` with an AADSTS code).
Requests are kept, their grant types and whether a secret came, never to be asserted on
as the only evidence: the mail servers' acceptance is.
"""

from __future__ import annotations

import http.server
import itertools
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Client:
    secret: str | None
    user: str
    certificate: bytes | None = None  # PEM: a certificate credential (RFC 7523 client assertions)


@dataclass
class TokenServer:
    grant: Callable[[str, str], None]
    revoke: Callable[[str], None] | None = None  # called when a token expires: the servers refuse it then
    lifetime: int = 3600  # seconds, the `expires_in` of each access token
    rotate: bool = True
    delay: float = 0.0  # seconds each token request takes (two refreshes at once overlap)
    clients: dict[str, Client] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> client id
    refuse: tuple[str, str] | None = None  # (error, error_description) for every request
    requests: list[dict[str, str]] = field(default_factory=list)
    # device code -> (client id, the code a person enters, whether they signed in)
    devices: dict[str, tuple[str, str, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                status, answer = owner.device(form) if self.path.endswith("/devicecode") else owner.answer(form)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="tokenserver", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/oauth2/v2.0/token"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def device_url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/oauth2/v2.0/devicecode"

    def device(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        """RFC 8628 3.1-3.2: a device code for the client, and the code a person enters."""
        if form.get("client_id") not in self.clients:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found"}
        device_code, user_code = secrets.token_urlsafe(16), f"{next(self._ids):04d}-TEST"
        self.devices[device_code] = (form["client_id"], user_code, False)
        return 200, {"device_code": device_code, "user_code": user_code, "verification_uri": "https://login.test/device",
                     "expires_in": 120, "interval": 1}

    def sign_in(self, user_code: str) -> None:
        """The person entered `user_code` in a browser, signed in and consented."""
        for device_code, (client_id, code, _done) in list(self.devices.items()):
            if code == user_code:
                self.devices[device_code] = (client_id, code, True)

    def register(self, client_id: str, user: str, secret: str | None = None, certificate: bytes | None = None) -> None:
        self.clients[client_id] = Client(secret, user, certificate)

    def _assertion_refused(self, client: Client, form: dict[str, str]) -> str | None:
        """Why Microsoft would refuse the request's client assertion (an AADSTS line), or None:
        a JWT signed (RS256) by the key of the certificate registered for the client, naming it
        by its SHA-1 thumbprint (`x5t`), for this endpoint, issued by and about the client, not
        expired; and the certificate not past its end."""
        import base64
        import datetime

        import jwt
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        assert client.certificate is not None
        certificate = x509.load_pem_x509_certificate(client.certificate)
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return "AADSTS7000218: The request body must contain the following parameter: 'client_assertion'."
        thumbprint = base64.urlsafe_b64encode(certificate.fingerprint(hashes.SHA1())).rstrip(b"=").decode()
        try:
            header = jwt.get_unverified_header(form.get("client_assertion", ""))
            claims = jwt.decode(form["client_assertion"], certificate.public_key(), algorithms=["RS256"],  # type: ignore[arg-type]
                                audience=self.url, issuer=form.get("client_id"),
                                options={"require": ["exp", "nbf", "jti", "sub"]})
        except (jwt.InvalidTokenError, KeyError):
            return "AADSTS700027: Client assertion failed signature validation."
        if header.get("x5t") != thumbprint or claims.get("sub") != form.get("client_id"):
            return "AADSTS700027: Client assertion contains an invalid signature. Key was not found."
        if certificate.not_valid_after_utc < datetime.datetime.now(datetime.UTC):
            return ("AADSTS700027: The certificate with identifier used to sign the client assertion is expired "
                    "on application.")
        return None

    def refresh_token_for(self, client_id: str) -> str:
        """What an administrator's one-time login leaves: a refresh token of `client_id`."""
        token = f"rt-{next(self._ids)}-{secrets.token_urlsafe(8)}"
        self.refresh_tokens[token] = client_id
        return token

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        time.sleep(self.delay)
        self.requests.append({"grant_type": form.get("grant_type", ""), "secret": str("client_secret" in form)})
        if self.refuse is not None:
            return 400, {"error": self.refuse[0], "error_description": self.refuse[1]}
        client = self.clients.get(form.get("client_id", ""))
        if client is not None and client.certificate is not None:
            refused = self._assertion_refused(client, form)
            if refused:
                return 401, {"error": "invalid_client", "error_description": refused + "\r\nTrace ID: 2a3b"}
        elif client is None or (client.secret is not None and form.get("client_secret") != client.secret):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret "
                                                                         "provided.\r\nTrace ID: 1f2e"}
        answer: dict[str, object] = {}
        if form.get("grant_type") == "refresh_token":
            old = form.get("refresh_token", "")
            if self.refresh_tokens.get(old) != form.get("client_id"):
                return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The provided "
                                                                            "authorization code or refresh token has "
                                                                            "expired due to inactivity."}
            if self.rotate:
                del self.refresh_tokens[old]
                answer["refresh_token"] = self.refresh_token_for(form["client_id"])
        elif form.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
            client_id, _code, signed_in = self.devices.get(form.get("device_code", ""), ("", "", False))
            if client_id != form.get("client_id"):
                return 400, {"error": "invalid_grant", "error_description": "unknown device code"}
            if not signed_in:
                return 400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending"}
            del self.devices[form["device_code"]]
            answer["refresh_token"] = self.refresh_token_for(client_id)
        elif form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": form.get("grant_type", "")}
        token = f"at-{next(self._ids)}-{secrets.token_urlsafe(12)}"
        self.grant(token, client.user)
        if self.revoke is not None:
            expiry = threading.Timer(self.lifetime, self.revoke, (token,))
            expiry.daemon = True
            expiry.start()
        answer.update({"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime})
        return 200, answer
