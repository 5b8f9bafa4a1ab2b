"""A loopback TCP front before the suite's Dovecot, ending sessions as Zimbra does.

Zimbra's IMAP server ends an authenticated session whose client has sent nothing for
`imap_authenticated_max_idle_time` (30 minutes by default; some units set less, and NAT
boxes and load balancers in front of other servers do the same), and one whose client
got `imap_max_consecutive_error` (5) failed commands in a row. Dovecot can be configured
to do neither: in IDLE it sends keep-alives and waits for ever, and it ends a session only
after 20 bad commands, a number built in. So this front relays every byte between the
client and the real Dovecot and adds exactly those two endings, each with Zimbra's untagged
BYE before the close: after `idle_drop` seconds without a byte from the client, and after
`errors_drop` tagged NO or BAD answers in a row. `refusal` is the front's own answer to
every tagged command past the login: `MAINTENANCE`, as a Zimbra mailbox being moved or
backed up says it, which is how a run of errors comes about; `NOT_CONNECTED`, Exchange
Online's answer when it took a login that may not open the mailbox. The front counts the
sessions it accepted, the ones it ended and the most open at once, for the tests to compare
with what the client did.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

HOST = "127.0.0.1"
_COMMAND = re.compile(rb"^([A-Za-z0-9.]+) ([A-Za-z]+)")
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n?$")  # a line announcing N bytes of literal (RFC 3501, 7888)
# what a mailbox in maintenance still answers: the login, and the session's own commands
_LET_THROUGH = (b"CAPABILITY", b"LOGIN", b"AUTHENTICATE", b"STARTTLS", b"ID", b"NOOP", b"LOGOUT", b"DONE")
_TAGGED = re.compile(rb"^([A-Za-z0-9.]+) (OK|NO|BAD)\b", re.IGNORECASE)
MAINTENANCE = b"NO [UNAVAILABLE] mailbox in maintenance mode"
NOT_CONNECTED = b"BAD User is authenticated but not connected."  # Exchange Online, word for word


@dataclass
class ImapFront:
    backend_port: int
    idle_drop: float | None = None  # seconds of client silence after which the session is ended
    errors_drop: int | None = None  # failed commands in a row after which the session is ended
    refusal: bytes | None = None  # the front's own answer to every tagged command past the login
    accepted: int = 0
    open: int = 0
    most_open: int = 0
    ended_idle: int = 0
    ended_errors: int = 0
    failed: list[bytes] = field(default_factory=list)  # each failed command, in order, for the report
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._listener = socket.create_server((HOST, 0))
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, name="imapfront", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.open += 1
                self.most_open = max(self.most_open, self.open)
            _Session(self, client).start()


class _Session:
    """One client's session: two pumps and a watch on the client's silence."""

    def __init__(self, front: ImapFront, client: socket.socket) -> None:
        self.front = front
        self.client = client
        self.backend = socket.create_connection((HOST, front.backend_port))
        self.last_heard = time.monotonic()
        self.errors = 0
        self.literal = 0  # bytes of a client's literal (an APPEND's message) still to pass through
        self.ended = threading.Event()
        self.send_lock = threading.Lock()
        self.end_lock = threading.Lock()

    def start(self) -> None:
        for target in (partial(self._pump, self.client, self._client_line),
                       partial(self._pump, self.backend, self._backend_line), self._watch):
            threading.Thread(target=target, daemon=True).start()

    def _to_client(self, data: bytes) -> None:
        with self.send_lock, contextlib.suppress(OSError):
            self.client.sendall(data)

    def _end(self, why: bytes) -> None:
        with self.end_lock:  # both pumps and the watch may end the session at once
            if self.ended.is_set():
                return
            self.ended.set()
        with self.front._lock:
            self.front.open -= 1
        self._to_client(b"* BYE " + why + b"\r\n")
        for sock in (self.client, self.backend):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _pump(self, source: socket.socket, handle: Callable[[bytes], None]) -> None:
        """Each line from `source` to `handle` until either side closes; then the session ends."""
        reader = source.makefile("rb")
        try:
            while not self.ended.is_set() and (line := reader.readline()):
                handle(line)
        except OSError:
            pass
        finally:
            self._end(b"Connection closed")

    def _client_line(self, line: bytes) -> None:
        self.last_heard = time.monotonic()
        if self.literal > 0:  # a message's own lines are data, never commands ("Email ini ...")
            self.literal -= len(line)
            if self.literal < 0 and (more := _LITERAL.search(line)):
                self.literal = int(more.group(1))
            self.backend.sendall(line)
            return
        if announced := _LITERAL.search(line):
            self.literal = int(announced.group(1))
        command = _COMMAND.match(line)
        refusal = self.front.refusal
        if (refusal and command and command.group(2).upper() not in _LET_THROUGH
                and not line.rstrip().endswith(b"}")):
            self._to_client(command.group(1) + b" " + refusal + b"\r\n")
            self._failed(line)
            return
        self.backend.sendall(line)

    def _backend_line(self, line: bytes) -> None:
        self._to_client(line)
        tagged = _TAGGED.match(line)
        if tagged and tagged.group(2).upper() == b"OK":
            self.errors = 0
        elif tagged:
            self._failed(line)

    def _failed(self, line: bytes = b"") -> None:
        with self.front._lock:
            self.front.failed.append(line.rstrip()[:80])
        self.errors += 1
        limit = self.front.errors_drop
        if limit is not None and self.errors >= limit:
            with self.front._lock:
                self.front.ended_errors += 1
            self._end(b"too many consecutive errors")

    def _watch(self) -> None:
        limit = self.front.idle_drop
        while limit is not None and not self.ended.wait(0.2):
            if time.monotonic() - self.last_heard > limit:
                with self.front._lock:
                    self.front.ended_idle += 1
                self._end(b"Auto-logout; idle for too long")
