"""OAuth2 access tokens mailbot obtains and refreshes itself (`oauth2:`).

Microsoft 365 takes no password for IMAP, and from the end of 2026 none for SMTP either;
Google takes an app password or a token. A token lives about an hour. Other helpdesks'
mail stopped without a word when a token went stale (osTicket kept no rotated refresh
token and stopped after ~90 days), so mailbot keeps its own:

* With `refresh_token_file` (delegated access, after an administrator's one-time login)
  the refresh token grant; a refresh token the provider rotates is written back to that
  file at once, atomically and readable by mailbot alone (0600), before the access token
  is used, so a crash can never leave the only valid refresh token in memory.
* Without one, the client credentials grant (Microsoft's app-only access to a mailbox).

The protocol is oauthlib's, a general, spec-compliant OAuth 2.0 client (no HTTP of its
own, so no further dependency): it builds each request's body and reads the answer,
an error answer too; this module only carries them over HTTPS (`urllib`, the system's
CAs) and keeps the token until shortly before it expires.

A refusal (revoked consent, a rotated or expired secret) is a `LoginRefusedError` naming
the provider's error in one line (Microsoft's AADSTS code is the first word of its
description): `check` exits 77 for that mailbox, the daemon reports the mailbox failing
and keeps the others served, and the mail waits in the INBOX. An unreachable endpoint
is an `UnreachableError`, waited out like an unreachable server. Nothing here ever logs
or says a token or a secret.

Access tokens are kept on disk too, beside the state (`oauth2.token_cache_dir`, a folder
0700 of files 0600, one per client and user): a restarted daemon, or a `mailbot report`
that sends mail beside it, logs in with the token the last process fetched while it is
valid, rather than asking the provider anew each time. `check` alone never trusts a kept
token (`fresh()`): it is there to show that the provider grants one now. A kept token a
server refuses although it has not expired (revoked, a tenant's policy) is forgotten here
and on disk (`refused`), and the login tries once more with one of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import os
import ssl
import stat
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from oauthlib.oauth2 import BackendApplicationClient, Client, DeviceClient, OAuth2Error

from mailbot.errors import LoginRefusedError, UnreachableError
from mailbot.settings import OAuth2Config

TIMEOUT_SECONDS = 30
EARLY_SECONDS = 300  # a token is renewed this long before it expires (half its life when shorter)
_DESCRIPTION_LIMIT = 200
_CACHE_LIMIT = 64 * 1024  # bytes: a kept token's file is far smaller; a larger one is not read


@dataclass(frozen=True)
class _Held:
    token: str
    renew_at: float  # time.time() from which it is renewed
    kept: bool = False  # read from disk: another process fetched it


_Key = tuple[str, str, str, str, str]  # token endpoint, client, scope, user, refresh token file
_held: dict[_Key, _Held] = {}
_fetching: dict[_Key, threading.Lock] = {}  # one per key: a slow endpoint holds up only its own logins
_refused: set[str] = set()  # kept tokens a server refused: never read from disk again
_lock = threading.Lock()  # guards the dicts and the set, never held during a request
_fresh: contextvars.ContextVar[bool] = contextvars.ContextVar("oauth_fresh", default=False)


def access_token(cfg: OAuth2Config, username: str, where: str) -> str:
    """A valid access token for `username`'s login, fetched anew shortly before the held one
    expires. `where` names the server it is for, in errors."""
    key = _key(cfg, username)
    with _lock:
        fetching = _fetching.setdefault(key, threading.Lock())
    with fetching:
        held = _held.get(key)
        if held is None or time.time() >= held.renew_at:
            held = _fetch(cfg, key, where)
            with _lock:
                _held[key] = held
        return held.token


@contextlib.contextmanager
def fresh() -> Iterator[None]:
    """Within: every token is asked of the provider, none taken from memory or disk
    (`mailbot check`: that the endpoint grants one now is what it is to show)."""
    forget()
    reset = _fresh.set(True)
    try:
        yield
    finally:
        _fresh.reset(reset)


def refused(cfg: OAuth2Config, username: str, token: str) -> bool:
    """A server refused `token`: forget it, in memory and on disk. True when it was a kept
    token another process fetched (revoked before its time, say), so that one more login
    with a token of this process's own is worth it. A token this process fetched is not
    tried again at once: its refusal is the server's verdict on the client, and a second
    login would only double the refusals the daemon's back-off keeps few."""
    key = _key(cfg, username)
    with _lock:
        held = _held.get(key)
        if held is None or held.token != token:
            return False
        del _held[key]
    path, cached = _cache_file(cfg, key), _read_cache(cfg, key)
    if path is not None and cached is not None and cached.token == token:  # not another process's newer one
        with contextlib.suppress(OSError):
            path.unlink()
    if held.kept:
        with _lock:
            _refused.add(token)  # a file that could not be removed is not read again
    return held.kept


def _key(cfg: OAuth2Config, username: str) -> _Key:
    """Whose token: two mailboxes share one only when they log in as the same user with the
    same client, scope and (delegated) refresh token."""
    return cfg.token_url, cfg.client_id, cfg.scope, username, str(cfg.refresh_token_file or "")


def forget() -> None:
    """Drop every token held in memory (a reloaded configuration may name other clients);
    the files stay, as for a restarted process."""
    with _lock:
        _held.clear()


def _fetch(cfg: OAuth2Config, key: _Key, where: str) -> _Held:
    """The token another process kept on disk while it is valid, else a new one from the
    provider, kept. A refresh runs under the refresh token file's lock, so that `mailbot
    check` and the daemon never both spend the same refresh token (a rotating provider
    voids it once used: the second would be refused); the kept token is read again under
    that lock, so the second of two processes uses the first's token."""
    with _turn(cfg.refresh_token_file):
        if not _fresh.get():
            cached = _read_cache(cfg, key)
            if cached is not None:
                return cached
        held = _fetch_unlocked(cfg, where)  # reads the refresh token by its path: one rotated meanwhile
        _write_cache(cfg, key, held)
        return held


@contextlib.contextmanager
def _turn(path: Path | None) -> Iterator[None]:
    """An exclusive lock on the refresh token file, across processes; none without one (or
    an unreadable one: the refresh then says what is wrong with the file)."""
    if path is None:
        yield
        return
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - the lock's own handle
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _cache_file(cfg: OAuth2Config, key: _Key) -> Path | None:
    if cfg.cache_dir is None:
        return None
    return cfg.cache_dir / (hashlib.sha256("\0".join(key).encode("utf-8")).hexdigest()[:32] + ".json")


def _read_cache(cfg: OAuth2Config, key: _Key) -> _Held | None:
    """The kept token of `key` while it is to be used, else None: none, another key's, one a
    server refused, or a file that is not a small regular file of mailbot's own (a link, a
    FIFO, a hostile or broken one: whatever it holds, the provider is asked instead)."""
    path = _cache_file(cfg, key)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_size > _CACHE_LIMIT:
            return None
        kept = json.loads(os.read(fd, _CACHE_LIMIT + 1).decode("utf-8"))
        held = _Held(str(kept["access_token"]), float(kept["renew_at"]), kept=True)
        if kept["key"] != list(key) or held.token in _refused:
            return None
    except Exception:  # noqa: BLE001 - any content at all: only a cache, the provider is asked instead
        return None
    finally:
        os.close(fd)
    return held if time.time() < held.renew_at else None


def _write_cache(cfg: OAuth2Config, key: _Key, held: _Held) -> None:
    """Keep `held` for the next process: a new file (0600, in a folder 0700) renamed over
    the old. A folder that cannot be written costs only a token request per start, so it
    does not fail the login; `check` warns of it."""
    path = _cache_file(cfg, key)
    if path is None:
        return
    text = json.dumps({"key": list(key), "access_token": held.token, "renew_at": held.renew_at})
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = path.parent.stat()
        if folder.st_uid == os.geteuid() and folder.st_mode & 0o077:  # made by hand, or by an older umask
            path.parent.chmod(0o700)
        _write_private(path, text)


def _client_auth(cfg: OAuth2Config) -> dict[str, str]:
    """How the client proves itself in a token request: its secret, or an assertion its
    certificate's key signed (RFC 7523 2.2, Microsoft's certificate credentials: RS256, the
    thumbprint as `x5t`, for this endpoint only, ten minutes long); a public client nothing."""
    if cfg.certificate is not None:
        import jwt  # PyJWT: the assertion is a signed JWT; oauthlib sends it but does not sign

        now = int(time.time())
        claims = {"aud": cfg.token_url, "iss": cfg.client_id, "sub": cfg.client_id, "jti": str(uuid.uuid4()),
                  "nbf": now, "iat": now, "exp": now + 600}
        assertion = jwt.encode(claims, cfg.certificate.key.value, algorithm="RS256",
                               headers={"x5t": cfg.certificate.x5t})
        return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion}
    return {"client_secret": cfg.client_secret.value} if cfg.client_secret else {}


def _fetch_unlocked(cfg: OAuth2Config, where: str) -> _Held:
    extra = _client_auth(cfg)
    client: Client
    if cfg.refresh_token_file is not None:
        client = Client(cfg.client_id)
        refresh = _read_refresh_token(cfg.refresh_token_file, where)
        body = client.prepare_refresh_body(refresh_token=refresh, scope=cfg.scope or None, client_id=cfg.client_id,
                                           **extra)
    else:
        client = BackendApplicationClient(cfg.client_id)
        refresh = None
        body = client.prepare_request_body(scope=cfg.scope or None, include_client_id=True, **extra)
    answer = _post(cfg, body, where)
    try:
        token = client.parse_request_body_response(answer)
    except OAuth2Error as exc:
        raise LoginRefusedError(_refusal(cfg, where, exc.error, exc.description)) from None
    except (ValueError, Warning) as exc:
        raise LoginRefusedError(f"{_who(cfg, where)}: the token endpoint's answer is no token: {exc}") from None
    rotated = token.get("refresh_token")
    if cfg.refresh_token_file is not None and rotated and rotated != refresh:
        _save_refresh_token(cfg.refresh_token_file, str(rotated), where)
    lifetime = float(token.get("expires_in") or 3600)
    return _Held(str(token["access_token"]), time.time() + lifetime - min(EARLY_SECONDS, lifetime / 2))


def device_login(cfg: OAuth2Config, where: str, say: Callable[[str], None], *,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """`mailbot oauth login`: the device authorization grant (RFC 8628) for a headless host.
    The provider gives a code; `say` tells the operator where to enter it (on any device
    with a browser); the token endpoint is asked every `interval` seconds until the person
    signed in and consented, and the refresh token it then gives is saved, 0600, to
    `refresh_token_file`, from which the daemon refreshes its tokens."""
    if cfg.refresh_token_file is None:
        raise LoginRefusedError(f"{_who(cfg, where)}: oauth2.refresh_token_file is not set: the login has nowhere "
                                "to keep its refresh token")
    if cfg.device_url is None:
        raise LoginRefusedError(f"{_who(cfg, where)}: oauth2.device_url is not set (provider generic)")
    client = DeviceClient(cfg.client_id)
    # oauthlib writes the request's parameters (client_id, scope) as a query; they go as a
    # form to the configured URL (https, or http on loopback: `config._endpoint`)
    request = client.prepare_request_uri("https://device-authorization.invalid/", scope=cfg.scope or None)
    answer = _post_to(cfg.device_url, urllib.parse.urlsplit(request).query, _who(cfg, where))
    try:
        granted = json.loads(answer)
    except ValueError:
        granted = {}
    if not isinstance(granted, dict) or "device_code" not in granted:
        error = granted.get("error") if isinstance(granted, dict) else None
        described = granted.get("error_description") if isinstance(granted, dict) else None
        raise LoginRefusedError(_refusal(cfg, where, str(error or "no device code"), str(described or "")))
    uri = granted.get("verification_uri") or granted.get("verification_url")  # Google spells it _url
    say(f"To sign in for {where}, open {uri} in a browser and enter the code {granted['user_code']}"
        f" (within {int(granted.get('expires_in', 900)) // 60} minutes). Waiting...")
    interval = float(granted.get("interval") or 5)
    deadline = clock() + float(granted.get("expires_in") or 900)
    while clock() < deadline:
        sleep(interval)
        body = client.prepare_request_body(str(granted["device_code"]), include_client_id=True, **_client_auth(cfg))
        try:
            token = client.parse_request_body_response(_post(cfg, body, where))
        except OAuth2Error as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":  # RFC 8628 3.5: five seconds more from now on
                interval += 5
                continue
            raise LoginRefusedError(_refusal(cfg, where, exc.error, exc.description)) from None
        refresh = token.get("refresh_token")
        if not refresh:
            raise LoginRefusedError(f"{_who(cfg, where)}: signed in, but no refresh token came "
                                    "(the scope needs offline_access)")
        _save_refresh_token(cfg.refresh_token_file, str(refresh), where)
        say(f"Signed in: the refresh token is kept in {cfg.refresh_token_file}.")
        return
    raise LoginRefusedError(f"{_who(cfg, where)}: the code expired before the sign-in was completed")


def _post(cfg: OAuth2Config, body: str, where: str) -> str:
    """The token endpoint's answer to `body`: its JSON text, an error's too (oauthlib reads both)."""
    return _post_to(cfg.token_url, body, _who(cfg, where))


def _post_to(url: str, body: str, who: str) -> str:
    """An OAuth2 endpoint's answer to a form `body`: its JSON text, an error's too."""
    request = urllib.request.Request(url, data=body.encode("utf-8"), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    context = ssl.create_default_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:
            return str(response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        if exc.code >= 500 or not _is_json(text):
            raise UnreachableError(f"{who}: the endpoint answered HTTP {exc.code}") from None
        return text
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UnreachableError(f"{who}: endpoint unreachable: {reason}") from None


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _who(cfg: OAuth2Config, where: str) -> str:
    host = urllib.parse.urlsplit(cfg.token_url).hostname or cfg.token_url
    return f"no OAuth2 token for {where} from {host} ({cfg.provider})"


def _refusal(cfg: OAuth2Config, where: str, error: str | None, description: str | None) -> str:
    """One line: the provider's error code and the first line of its description (Microsoft's
    starts with the AADSTS code that its documentation explains)."""
    said = (description or "").strip().splitlines()[:1]
    text = said[0][:_DESCRIPTION_LIMIT] if said else ""
    return f"{_who(cfg, where)}: refused: {error or 'error'}" + (f": {text}" if text else "")


def _read_refresh_token(path: Path, where: str) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise LoginRefusedError(f"no OAuth2 token for {where}: cannot read {path}: {exc.strerror}"
                                " (run `mailbot oauth login` once)") from None
    if not token:
        raise LoginRefusedError(f"no OAuth2 token for {where}: {path} is empty (run `mailbot oauth login` once)")
    return token


def _save_refresh_token(path: Path, token: str, where: str) -> None:
    """The provider's rotated refresh token in place of the old one: written to a new file
    beside it (0600), synced, then renamed over it, so the file always holds a whole token."""
    try:
        _write_private(path, token + "\n")
    except OSError as exc:
        # The old token may be void already: say so now rather than at the next refresh.
        raise LoginRefusedError(f"no OAuth2 token for {where}: cannot save the rotated refresh token to "
                                f"{path}: {exc.strerror}") from None


def _write_private(path: Path, text: str) -> None:
    """`text` in place of `path`'s: written to a new file beside it (0600 from its creation),
    synced, then renamed over it, so the file always holds a whole token."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
