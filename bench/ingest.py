"""Ingest rate, ack latency under IDLE, memory and scale, with their anchors in the same run.

A private Dovecot (tests/localmail.py) and an SMTP sink (a plain asyncio protocol that
accepts everything and keeps only arrival times; `--aiosmtpd-sink` for aiosmtpd) on
loopback; `mailbot run` as a real process, as systemd starts it (READY=1 read from a
NOTIFY_SOCKET).

* ingest: a deterministic backlog (Indonesian helpdesk mail: 10 % with a ~100 KB
  attachment, a third HTML, encoded subjects) in the unit INBOX; from READY=1 until
  the INBOX is empty and every ack and staff notice is accepted by the sink, 3 runs
  (median and range; the machine's load drifts by a fifth from run to run). Anchors:
  the stdlib parse + extract rate (before each run) and the IMAP fetch rate on the
  same messages; SQL
  statements per message (an in-process pass with SQLite's trace hook). With
  `--anchor django-helpdesk`, another helpdesk's intake on the same backlog in every
  run, interleaved (bench/anchor_django_helpdesk.py: django-helpdesk 2.6.1's
  `get_email` over IMAP, in a virtualenv of its own made once outside the repository),
  each run's figures and the medians side by side with their ratio.
* latency: a request appended to one of 1, 2 or 20 mailboxes (all on IDLE) until
  its ack reaches the sink, 50 trials each, and 50 more with mail arriving 0-300 ms
  after the previous ack; anchor: Dovecot's own IDLE notification time (a bare
  IMAP client in IDLE, same run).
* send: the outbox alone (the mail of 300 requests), the sink offering PIPELINING and
  not: mails a second and CPU per mail.
* compose: rendering and MIME of the acks and staff notices of 300 requests, in-process,
  against the standard library's floor for the same mail (`EmailMessage`, `as_bytes`).
* memory: peak RSS of `run --once` over a 10,000-message backlog.
* scale: 600 mailboxes (one per LPSE unit in Indonesia) on IDLE in one process: RSS,
  ack p50.

  With --solved N, each mailbox's memory holds N solved cases first (every new
  ticket's staff notice lists the similar ones), made as bench/similar_cases.py makes them.

Run: .venv/bin/python bench/ingest.py [--only ingest,send,compose,latency,memory,scale] [--messages N] [--repeat N]
     [--solved N] [--unauthenticated] [--anchor django-helpdesk [--anchor-staff-notice] [--anchor-sqlite-wal]]
     [--compile-each-start]

mailbot's modules are compiled once before the sections run and read compiled by every process
the bench starts, as an installed mailbot reads them (`compiled_as_installed`).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.compiled_files import keep_compiled_files
from tests.localmail import HOST, LocalMailServers, _free_port

UNIT = "lpse@lpse.test"
STAFF = ("staff1@lpse.test", "staff2@lpse.test")
LKPP = "helpdesk@lkpp.test"
AUTHSERV = "mx.lpse.test"  # the unit's own MX, which writes Authentication-Results
WORDS = ("akun", "penyedia", "tender", "dokumen", "penawaran", "unggah", "gagal", "kode", "paket", "SPSE",
         "verifikasi", "agregasi", "login", "kata sandi", "sertifikat", "pokja", "kualifikasi", "jadwal")


# --- the SMTP sink ----------------------------------------------------------------------


class Sink:
    """An SMTP sink on loopback: accepts everything, keeps (arrival time, recipients,
    X-Mailbot-Kind) per mail.

    A plain asyncio protocol in a thread of this process rather than aiosmtpd: the sink
    shares the machine's two cores with mailbot, and aiosmtpd spends about 1 ms of CPU
    on each mail it accepts (`--aiosmtpd-sink` measures with it, for comparison). It
    speaks what mailbot uses: EHLO (SIZE, 8BITMIME, SMTPUTF8, and PIPELINING unless
    turned off), MAIL, RCPT, DATA, RSET, NOOP, QUIT; commands sent as a pipelined group
    are answered in order.
    """

    aiosmtpd = False  # set by --aiosmtpd-sink

    def __init__(self) -> None:
        self.port = _free_port()
        self.mails: list[tuple[float, tuple[str, ...], str]] = []
        self.lock = threading.Lock()
        self.pipelining = True  # offered in the EHLO answer
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.controller: Any = None

    def start(self) -> None:
        if self.aiosmtpd:
            from aiosmtpd.controller import Controller

            self.controller = Controller(_AiosmtpdHandler(self), hostname=HOST, port=self.port, ready_timeout=10)
            self.controller.start()
            return
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), name="sink", daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP sink did not start")

    def _serve(self, ready: threading.Event) -> None:
        loop = self.loop = asyncio.new_event_loop()
        server = loop.run_until_complete(loop.create_server(lambda: _SinkSession(self), HOST, self.port))
        ready.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
        elif self.loop is not None and self.thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def keep(self, rcpts: list[str], content: bytes) -> None:
        head = content.split(b"\r\n\r\n", 1)[0]
        kind = re.search(rb"(?im)^X-Mailbot-Kind:\s*(\S+)", head)
        with self.lock:
            self.mails.append((time.monotonic(), tuple(a.lower() for a in rcpts),
                               kind.group(1).decode() if kind else ""))

    def count(self) -> int:
        with self.lock:
            return len(self.mails)

    def wait_for(self, rcpt: str, after: int, timeout: float) -> float | None:
        """Arrival time of the first mail to `rcpt` among those after index `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for when, rcpts, _ in self.mails[after:]:
                    if rcpt in rcpts:
                        return when
            time.sleep(0.002)
        return None


class _SinkSession(asyncio.Protocol):
    """One SMTP session of the sink: lines until DATA, then bytes until CRLF.CRLF."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buffer = b""
        self.scanned = 0  # how far the DATA terminator has been looked for
        self.in_data = False
        self.rcpts: list[str] = []
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"220 sink.test ESMTP\r\n")

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        replies: list[bytes] = []
        while self._step(replies):
            pass
        if replies:
            self.transport.write(b"".join(replies))

    def _step(self, replies: list[bytes]) -> bool:
        if self.in_data:
            return self._content(replies)
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            offers = [b"sink.test", b"SIZE 33554432", b"8BITMIME", b"SMTPUTF8"]
            offers += [b"PIPELINING"] if self.sink.pipelining else []
            replies.append(b"".join(b"250-" + o + b"\r\n" for o in offers[:-1]) + b"250 " + offers[-1] + b"\r\n")
        elif verb in (b"MAIL", b"RSET"):
            self.rcpts = []
            replies.append(b"250 2.1.0 OK\r\n")
        elif verb == b"RCPT":
            self.rcpts.append(line[line.find(b"<") + 1:line.rfind(b">")].decode())
            replies.append(b"250 2.1.5 OK\r\n")
        elif verb == b"DATA":
            self.in_data, self.scanned = True, 0
            replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            replies.append(b"221 2.0.0 Bye\r\n")
            self.transport.write(b"".join(replies))
            replies.clear()
            self.transport.close()
            return False
        else:
            replies.append(b"250 2.0.0 OK\r\n" if verb == b"NOOP" else b"502 5.5.2 Not implemented\r\n")
        return True

    def _content(self, replies: list[bytes]) -> bool:
        if self.buffer.startswith(b".\r\n"):
            end, content = 0, b""
        else:
            end = self.buffer.find(b"\r\n.\r\n", max(0, self.scanned - 4))
            if end < 0:
                self.scanned = len(self.buffer)
                return False
            content, end = self.buffer[:end], end + 2
        self.buffer = self.buffer[end + 3:]
        self.in_data = False
        self.sink.keep(self.rcpts, content)
        replies.append(b"250 2.0.0 OK\r\n")
        return True


class _AiosmtpdHandler:
    """The sink's bookkeeping behind aiosmtpd (`--aiosmtpd-sink`)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        """PIPELINING offered, as Postfix offers it (aiosmtpd serves a pipelined group in order)."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.sink.pipelining else responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sink.keep(envelope.rcpt_tos, envelope.content)
        return "250 2.0.0 OK"


# --- mail ----------------------------------------------------------------------------------


def request(rng: random.Random, i: int, sender: str, to: str = UNIT) -> bytes:
    """One helpdesk request as a mail client writes it (deterministic for a given rng state)."""
    msg = EmailMessage()
    # the unit's own MX vouches for the sender, as OpenDMARC on a unit's Postfix does: issue
    # 44's ack budget holds only acks to senders it cannot tell apart (`auth.trusted_authserv_id`)
    msg["Authentication-Results"] = f"{AUTHSERV}; dmarc=pass header.from={sender.rpartition('@')[2]}"
    msg["From"] = str(Address(f"Pengguna {i}", addr_spec=sender))
    msg["To"] = to
    words = " ".join(rng.choice(WORDS) for _ in range(4))
    msg["Subject"] = f"Kendala {words} – nomor {i}"  # non-ASCII: an encoded subject
    msg["Date"] = format_datetime(time_of(i))
    msg["Message-ID"] = make_msgid(idstring=f"b{i}", domain="vendor.test")
    body = "\n".join(f"Selamat pagi, saya mengalami kendala {rng.choice(WORDS)} pada paket {rng.randint(1, 10**8)}."
                     for _ in range(rng.randint(3, 12)))
    msg.set_content(body + "\n\nTerima kasih,\nPengguna " + str(i))
    if i % 3 == 0:
        msg.add_alternative("<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines())
                            + "</body></html>", subtype="html")
    if i % 10 == 0:
        data = rng.randbytes(100_000)
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=f"bukti-{i}.pdf")
    return msg.as_bytes()


def time_of(i: int) -> datetime:
    return datetime(2026, 11, 23, 1, 0, tzinfo=UTC) + timedelta(seconds=i)


def stdlib_rate(raws: list[bytes]) -> float:
    """Messages a second the standard library parses and extracts (text, attachments), best of 3."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for raw in raws:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            if body is not None:
                body.get_content()
            for part in msg.iter_attachments():
                part.get_content()
        best = min(best, time.perf_counter() - start)
    return len(raws) / best


# --- servers and the daemon ------------------------------------------------------------------


def config_for(servers: LocalMailServers, sink: Sink, tmp: Path, mailboxes: list[str], *,
               top: dict[str, Any] | None = None, **imap: Any) -> Path:
    """A config of these mailboxes; `top` replaces top-level keys (bench/shared_store.py:
    the database's URL, a shared archive, the lease)."""
    boxes = [{"name": f"b{i}", "address": addr, "display_name": f"LPSE {i}", "tag_prefix": f"LPSE-{i}",
              "imap": {"host": HOST, "port": servers.imap_port, "security": "none", "username": addr,
                       "password": servers.password_for(addr), "idle": True, "poll_seconds": 60, **imap},
              "staff": list(STAFF)} for i, addr in enumerate(mailboxes)]
    data = {"database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
            "secret_key_file": str(tmp / "secret.key"), "log": {"format": "json", "level": "warning"},
            "escalation": {"address": LKPP, "senders": ["*@lkpp.test"]}, "auth": {"trusted_authserv_id": AUTHSERV},
            "smtp": {"host": HOST, "port": sink.port, "security": "none"}, "mailboxes": boxes, **(top or {})}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Daemon:
    """`mailbot run` with a NOTIFY_SOCKET the bench reads."""

    def __init__(self, config: Path, tmp: Path) -> None:
        self.notify_path = tmp / f"notify-{time.monotonic_ns()}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.notify_path))
        self.sock.settimeout(0.5)
        env = dict(os.environ, NOTIFY_SOCKET=str(self.notify_path))
        self.proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if b"READY=1" in self.sock.recv(4096):
                    ready = time.monotonic()
                    threading.Thread(target=self.drain, daemon=True).start()
                    return ready
            except TimeoutError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()[-3000:] if self.proc.stderr else "exited")
        raise RuntimeError("no READY=1")

    def drain(self) -> None:
        """Keep reading the notification socket, as systemd does."""
        while True:
            try:
                self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return

    def pids(self) -> list[int]:
        """The daemon and its children (the sender process): all of mailbot's processes."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                todo += [int(c) for c in task.read_text().split()]
        return found

    def rss_mb(self) -> tuple[float, float]:
        """RSS and peak RSS, summed over the daemon's processes."""
        rss = hwm = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            hwm += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return rss / 1024, hwm / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU, summed over the daemon's processes."""
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.sock.close()


def folder_size(servers: LocalMailServers, user: str, folder: str = "INBOX") -> int:
    with servers.imap(user) as client:
        return int(client.select_folder(folder, readonly=True)[b"EXISTS"])


# --- sections ------------------------------------------------------------------------------------


def ingest(n: int, repeat: int, anchor: str = "", staff_cc: bool = False, wal: bool = False,
           unauthenticated: bool = False) -> None:
    """`repeat` runs, each after its own stdlib anchor (interleaved, as the machine's
    load drifts): medians and ranges, the ratio of the medians. With `anchor`
    ("django-helpdesk"), each run also times django-helpdesk's `get_email` on the same
    backlog in a fresh INBOX (bench/anchor_django_helpdesk.py), mailbot first in even
    runs and the anchor first in odd ones. `unauthenticated`: the backlog carries no
    Authentication-Results (a unit whose server adds none): every ack counts against the
    hour's budget, so most wait, and a run ends when every staff notice is accepted."""
    rng = random.Random(20261122)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(n)]
    if unauthenticated:
        raws = [_without_results(raw) for raw in raws]
    runs, anchored = [], []
    with ExitStack() as kept:  # every run's files stay until the last run is measured
        project = anchor_project(anchor, staff_cc, wal, Path(kept.enter_context(tempfile.TemporaryDirectory())))
        for i in range(repeat):
            if project is not None and i % 2:
                anchored.append(project.run(raws, Sinked(Path(kept.enter_context(tempfile.TemporaryDirectory())),
                                                         [UNIT])))
            parse_rate = stdlib_rate(raws)
            runs.append((parse_rate, *ingest_run(raws, Path(kept.enter_context(tempfile.TemporaryDirectory())),
                                                 notices_only=unauthenticated)))
            print(f"run {i + 1}: mailbot {runs[-1][1]:.1f} msg/s, {runs[-1][4] / n * 1000:.1f} ms CPU per message "
                  f"({runs[-1][2]:.1f} s); stdlib {parse_rate:.0f} msg/s", flush=True)
            if project is not None and not i % 2:
                anchored.append(project.run(raws, Sinked(Path(kept.enter_context(tempfile.TemporaryDirectory())),
                                                         [UNIT])))
    parse, rate, elapsed, fetch, cpu, hwm, left = (sorted(column) for column in zip(*runs, strict=True))

    until = "every staff notice is accepted (acks wait for the budget)" if unauthenticated else \
        "every ack and staff notice is accepted"
    print(f"\n== ingest: {n} messages in the INBOX, `mailbot run` until {until}; median of {repeat} runs")
    print(f"mailbot ingest            {spread(rate, '.0f')} msg/s   (median {elapsed[len(elapsed) // 2]:.1f} s; "
          f"INBOX left: {max(left)})")
    print(f"stdlib parse + extract    {spread(parse, '.0f')} msg/s   ratio of the medians "
          f"{rate[len(rate) // 2] / parse[len(parse) // 2]:.2f}")
    print(f"IMAP fetch (Dovecot)      {spread(fetch, '.0f')} msg/s")
    print(f"CPU per message           {spread([c / n * 1000 for c in cpu], '.1f')} ms   "
          "(user+sys, all of mailbot's processes)")
    print(f"peak RSS                  {spread(hwm, '.0f')} MB   (daemon + sender process)")
    if project is not None:
        project.side_by_side([(run[1], run[4]) for run in runs], anchored)
    statements(raws[:200])


def spread(values: list[float], fmt: str) -> str:
    """The median of sorted `values` and their range."""
    return f"{format(values[len(values) // 2], fmt)} (range {format(values[0], fmt)}-{format(values[-1], fmt)})"


def anchor_project(anchor: str, staff_cc: bool, wal: bool, place: Path) -> Any:
    """The anchor's Django project (its virtualenv made on first use), or None without `--anchor`."""
    if not anchor:
        return None
    from bench import anchor_django_helpdesk

    return anchor_django_helpdesk.Project(anchor_django_helpdesk.prepare(), place, UNIT,
                                          ",".join(STAFF) if staff_cc else "", wal)


def _without_results(raw: bytes) -> bytes:
    """A message without its Authentication-Results field (the unit's server vouches for no one)."""
    head, _, body = raw.partition(b"\n\n")
    return b"\n".join(line for line in head.split(b"\n") if not line.startswith(b"Authentication-Results:")) \
        + b"\n\n" + body


def ingest_run(raws: list[bytes], place: Path, top: dict[str, Any] | None = None,
               notices_only: bool = False) -> tuple[float, float, float, float, float, int]:
    """One run in `place`: (ingest rate, seconds, IMAP fetch rate, CPU seconds, peak RSS MB, INBOX left).

    `place` is removed after the last run, not after this one: deleting a run's 5,000
    files just before the next run is measured made that run's file creations slower
    (ext4 without a journal skips inodes freed in the last 30 seconds, and looks at each
    one it skips), which taxed the second and third runs with the first one's clean-up."""
    n = len(raws)
    with Sinked(place, [UNIT]) as (servers, sink, tmp):
        with servers.imap(UNIT) as client:
            for raw in raws:
                client.append("INBOX", raw)
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            start = time.perf_counter()
            for at in range(0, len(uids), 50):
                client.fetch(uids[at:at + 50], ["BODY.PEEK[]"])
            fetch_rate = len(uids) / (time.perf_counter() - start)
        config = config_for(servers, sink, tmp, [UNIT], top=top)
        daemon = Daemon(config, tmp)
        ready = daemon.wait_ready()
        deadline = time.monotonic() + 1800
        wanted = (lambda: sum(kind == "staff_new" for _, _, kind in sink.mails) >= n) if notices_only \
            else (lambda: sink.count() >= 2 * n)
        while not wanted() and time.monotonic() < deadline:
            time.sleep(0.05)
        done = sink.mails[-1][0] if wanted() else float("nan")
        cpu = daemon.cpu_seconds()
        _, hwm = daemon.rss_mb()
        daemon.stop()
        left = folder_size(servers, UNIT)
    return n / (done - ready), done - ready, fetch_rate, cpu, hwm, left


def statements(raws: list[bytes]) -> None:
    """SQL statements per message: handling (one pass) and sending, counted by SQLite's trace hook."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from mailbot.io import logs

    logs.configure("console", "error")
    with tempfile.TemporaryDirectory() as tmp_name, Sinked(Path(tmp_name), [UNIT]) as (servers, sink, tmp):
        with servers.imap(UNIT) as client:
            for raw in raws:
                client.append("INBOX", raw)
        app = App(load_config(config_for(servers, sink, tmp, [UNIT])))
        counted: list[str] = []
        app.store.db.conn.set_trace_callback(counted.append)
        app.poll_all()
        handling = len(counted)
        counted.clear()
        app.flush_outbox()
        sending = len(counted)
        print(f"SQL statements per message: {handling / len(raws):.1f} handling, {sending / len(raws):.1f} sending "
              f"({len(raws)} messages, in-process pass)")


def send(requests: int, repeat: int) -> None:
    """The outbox alone, in this process: the mail of `requests` handled requests sent to
    the sink with PIPELINING offered and not (interleaved runs). The CPU is this
    process's: the sending and the sink's side of it."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from mailbot.io import logs

    logs.configure("console", "error")
    rng = random.Random(20261123)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(requests)]
    found: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(repeat):
        for pipelining in (True, False):
            with tempfile.TemporaryDirectory() as tmp_name, Sinked(Path(tmp_name), [UNIT]) as (servers, sink, tmp):
                sink.pipelining = pipelining
                with servers.imap(UNIT) as client:
                    for raw in raws:
                        client.append("INBOX", raw)
                app = App(load_config(config_for(servers, sink, tmp, [UNIT])))
                app.poll_all()
                start, cpu = time.perf_counter(), time.process_time()
                sent, _ = app.flush_outbox()
                found[pipelining].append((sent / (time.perf_counter() - start),
                                          (time.process_time() - cpu) / sent * 1000))
                app.store.close()
    print(f"\n== send: the mail of {requests} requests from the outbox to the sink, {repeat} runs each way")
    for pipelining, runs in found.items():
        rates = sorted(r for r, _ in runs)
        cpus = sorted(c for _, c in runs)
        label = "PIPELINING offered" if pipelining else "without PIPELINING"
        print(f"{label:24s}  {rates[len(rates) // 2]:5.0f} mails/s (range {rates[0]:.0f}-{rates[-1]:.0f})   "
              f"CPU {cpus[len(cpus) // 2]:.2f} ms per mail (sender and sink)")


def compose(requests: int) -> None:
    """Rendering and MIME of the mail of `requests` handled requests (acks and staff notices),
    in this process, against the standard library's floor for the same mail: each mail's
    template context and headers are taken as the pass made them, then made again, three ways,
    each best of 3: mailbot's template (`Renderer.body`), mailbot's MIME (`_mime_body` and
    `_write`), and the standard library's `EmailMessage` holding the same text, HTML and
    headers, written by `as_bytes` (the floor: the least a program writing such mail with the
    standard library does)."""
    from email.policy import SMTP

    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from mailbot.io import logs, render

    logs.configure("console", "error")
    rng = random.Random(20261124)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(requests)]
    made: list[dict[str, Any]] = []
    build = render.Renderer.build

    def kept(self: Any, **kw: Any) -> Any:
        made.append(kw)
        return build(self, **kw)

    with tempfile.TemporaryDirectory() as tmp_name, Sinked(Path(tmp_name), [UNIT]) as (servers, sink, tmp):
        with servers.imap(UNIT) as client:
            for raw in raws:
                client.append("INBOX", raw)
        app = App(load_config(config_for(servers, sink, tmp, [UNIT])))
        render.Renderer.build = kept  # type: ignore[method-assign]
        try:
            app.poll_all()
        finally:
            render.Renderer.build = build  # type: ignore[method-assign]
        renderer = render.Renderer(app.cfg.templates_dir)
        bodies = [renderer.body(kw["kind"], kw["language"], kw["context"]) for kw in made]

        def ours_template() -> None:
            for kw in made:
                renderer.body(kw["kind"], kw["language"], kw["context"])

        def ours_mime() -> None:
            for kw, (text, html) in zip(made, bodies, strict=True):
                render._write(BytesIO(), render._mime_body(text, html, (), (), ()), _headers(kw))

        def floor() -> None:
            for kw, (text, html) in zip(made, bodies, strict=True):
                msg = EmailMessage(policy=SMTP)
                for name, value in _headers(kw):
                    msg[name] = value
                msg.set_content(text)
                if html is not None:
                    msg.add_alternative(html, subtype="html")
                msg.as_bytes()

        found = {name: min(_timed(job) for _ in range(3)) / len(made) * 1000
                 for name, job in (("template", ours_template), ("mime", ours_mime), ("floor", floor))}
        app.store.close()
    print(f"\n== compose: the {len(made)} mails of {requests} requests (acks and staff notices), in-process, best of 3")
    print(f"mailbot's template (jinja2, Renderer.body)   {found['template']:.3f} ms a mail")
    print(f"mailbot's MIME (_mime_body, _write)          {found['mime']:.3f} ms a mail")
    print(f"standard library: EmailMessage + as_bytes    {found['floor']:.3f} ms a mail (the MIME floor; "
          f"mailbot's MIME is {found['mime'] / found['floor']:.2f} of it)")


def _headers(kw: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers of one made mail, as `Renderer.build` was asked for them (`compose`)."""
    headers = [("From", f"{kw['from_name']} <{kw['from_addr']}>"), ("To", ", ".join(kw["to"])),
               ("Subject", kw["subject"]), ("Date", format_datetime(kw["date"])),
               ("Message-ID", f"<{kw['message_id']}>")]
    if kw["in_reply_to"]:
        headers.append(("In-Reply-To", f"<{kw['in_reply_to']}>"))
    return headers


def _timed(job: Any) -> float:
    start = time.process_time()
    job()
    return time.process_time() - start


def latency(trials: int, solved: int = 0) -> None:
    print("\n== ack latency: a request appended to one mailbox until its ack reaches the SMTP sink"
          + (f" ({solved:,} solved cases in each mailbox's memory)" if solved else ""))
    floor = idle_floor(trials)
    print(f"Dovecot IDLE notification (bare client)  p50 {pct(floor, 50):.3f} s  p99 {pct(floor, 99):.3f} s")
    late_total = 0
    for count in (1, 2, 20):
        times, after_ack = ack_trials(count, trials, trials if count == 20 else 0, solved)
        late = sum(t > 2.0 for t in times + after_ack)
        late_total += late
        line = (f"{count:3} mailbox(es) on IDLE  p50 {pct(times, 50):.3f} s  p99 {pct(times, 99):.3f} s  "
                f"max {max(times):.3f} s")
        print(line + f"   ratio p50/floor {pct(times, 50) / pct(floor, 50):.1f}")
        if after_ack:
            print(f"    mail 0-300 ms after an ack  p50 {pct(after_ack, 50):.3f} s  p99 {pct(after_ack, 99):.3f} s"
                  f"  max {max(after_ack):.3f} s")
    print(f"trials over 2 s: {late_total} of {3 * trials + trials}")


def idle_floor(trials: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp_name, Sinked(Path(tmp_name), [UNIT]) as (servers, _, _):
        watcher, writer = servers.imap(UNIT), servers.imap(UNIT)
        watcher.select_folder("INBOX")
        rng = random.Random(1)
        out = []
        for i in range(trials):
            watcher.idle()
            time.sleep(0.05)
            start = time.monotonic()
            writer.append("INBOX", request(rng, i, f"floor{i}@vendor.test"))
            seen = False
            while not seen and time.monotonic() - start < 30:
                seen = any(len(r) > 1 and r[1] == b"EXISTS" for r in watcher.idle_check(timeout=1))
            out.append(time.monotonic() - start)
            watcher.idle_done()
            time.sleep(rng.uniform(0.1, 0.3))
        watcher.logout()
        writer.logout()
        return out


def seed_solved(config: Path, mailboxes: int, count: int) -> None:
    """`count` solved cases in each mailbox's memory (every new ticket's staff
    notice looks up the similar ones), made as bench/similar_cases.py makes its bulk, and
    the index marked as built with the daemon's words so that it keeps them."""
    from bench.similar_cases import bulk, load
    from mailbot.config.load import load_config
    from mailbot.io.solved import _INDEXED_WITH, _signature, row_of
    from mailbot.io.store import Store
    from mailbot.rules import load_rules

    cfg = load_config(config)
    words = load_rules(cfg.rules_dir).similar
    made = bulk(load()[0], count)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    store = Store(cfg.database)
    with store.unit_of_work():
        n = 10**7  # no ticket of the run has such an id
        for box in range(mailboxes):
            for subject, problem, solution in made:
                n += 1
                store.memory.remember_solved(row_of(words, n, f"b{box}", f"2025-{n:08d}", subject,
                                                    start - timedelta(minutes=n - 10**7), [problem], solution))
        store.metadata.set_meta(_INDEXED_WITH, _signature(words))
    store.close()


def ack_trials(count: int, trials: int, after_ack: int, solved: int = 0,
               top: dict[str, Any] | None = None) -> tuple[list[float], list[float]]:
    boxes = [f"box{i}@lpse.test" for i in range(count)]
    with (tempfile.TemporaryDirectory() as tmp_name,
          Sinked(Path(tmp_name), boxes, connections=count) as (servers, sink, tmp)):
        config = config_for(servers, sink, tmp, boxes, top=top)
        if solved:
            seed_solved(config, count, solved)
        daemon = Daemon(config, tmp)
        daemon.wait_ready()
        time.sleep(2 + count * 0.05)  # every watcher in IDLE
        clients = [servers.imap(b) for b in boxes]
        rng = random.Random(count)
        times = [one_trial(clients[i % count], sink, rng, i, count) for i in range(trials)]
        followed = []
        for i in range(after_ack):
            arrived = sink.mails[-1][0]
            pause = rng.uniform(0, 0.3) - (time.monotonic() - arrived)
            time.sleep(max(0.0, pause))
            followed.append(one_trial(clients[i % count], sink, rng, trials + i, count, pause=False))
        for client in clients:
            client.logout()
        daemon.stop()
        return times, followed


def one_trial(client: Any, sink: Sink, rng: random.Random, i: int, count: int, pause: bool = True) -> float:
    sender = f"t{count}x{i}@vendor.test"
    raw = request(rng, i, sender)
    before = sink.count()
    start = time.monotonic()
    client.append("INBOX", raw)
    arrived = sink.wait_for(sender, before, 60)
    if pause:
        time.sleep(rng.uniform(0.2, 0.5))
    return (arrived - start) if arrived is not None else 60.0


def memory(n: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp_name, Sinked(Path(tmp_name), [UNIT]) as (servers, sink, tmp):
        with servers.imap(UNIT) as client:
            for i in range(n):
                client.append("INBOX", request(rng, i, f"m{i}@vendor.test"))
        config = config_for(servers, sink, tmp, [UNIT])
        start = time.monotonic()
        peak = peak_rss_kb([sys.executable, "-m", "mailbot", "--config", str(config), "run", "--once"])
        print(f"\n== memory: `run --once` over a {n}-message backlog")
        print(f"peak RSS {peak / 1024:.0f} MB   ({time.monotonic() - start:.0f} s, "
              f"{sink.count()} mails sent, INBOX left {folder_size(servers, UNIT)})")


_PEAK_PROBE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(os.wait4(proc.pid, 0)[2].ru_maxrss)
"""


def peak_rss_kb(command: list[str]) -> int:
    """The peak RSS of `command` (and of the children it waits for), in KiB.

    Started from a small Python in between: a child's ru_maxrss also counts the image
    it was forked from until its exec, and this bench process grows to about 100 MB
    by the time the memory section runs (it printed 99-100 MB where mailbot peaks at
    75 MB)."""
    out = subprocess.run([sys.executable, "-c", _PEAK_PROBE, *command], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


INOTIFY = Path("/proc/sys/fs/inotify/max_user_instances")


def inotify_room(count: int) -> int | None:
    """Dovecot notifies an IDLE session through one inotify instance per session, all
    under its mail user; past `fs.inotify.max_user_instances` (128 by default) it falls
    back to looking every 30 s ("Inotify instance limit ... exceeded" in its log). A
    host serving hundreds of mailboxes raises it; so does this run, restoring it after.
    Returns the value to restore, or None when nothing was changed."""
    try:
        before = int(INOTIFY.read_text())
        if before >= count + 64:
            return None
        INOTIFY.write_text(str(2 * count + 128))
    except (OSError, ValueError):
        print(f"note: {INOTIFY} could not be raised for {count} IDLE sessions; Dovecot polls beyond it")
        return None
    print(f"note: {INOTIFY} raised from {before} to {2 * count + 128} for this run (Dovecot's IDLE needs one"
          " inotify instance per session); restored at the end")
    return before


def scale(count: int, trials: int) -> None:
    restore = inotify_room(count)
    try:
        scale_run(count, trials)
    finally:
        if restore is not None:
            INOTIFY.write_text(str(restore))


def scale_run(count: int, trials: int) -> None:
    boxes = [f"unit{i}@lpse.test" for i in range(count)]
    with (tempfile.TemporaryDirectory() as tmp_name,
          Sinked(Path(tmp_name), boxes, connections=count) as (servers, sink, tmp)):
        daemon = Daemon(config_for(servers, sink, tmp, boxes), tmp)
        ready = daemon.wait_ready()
        time.sleep(10 + count * 0.02)
        rss, _ = daemon.rss_mb()
        rng = random.Random(600)
        times = []
        for i in range(trials):
            with servers.imap(boxes[rng.randrange(count)]) as client:
                times.append(one_trial(client, sink, rng, i, count))
        rss2, hwm = daemon.rss_mb()
        daemon.stop()
        print(f"\n== scale: {count} mailboxes on IDLE in one process")
        print(f"RSS {max(rss, rss2):.0f} MB (peak {hwm:.0f} MB) after {time.monotonic() - ready:.0f} s;"
              f" ack p50 {pct(times, 50):.3f} s, p99 {pct(times, 99):.3f} s over {trials} trials")


# --- helpers ------------------------------------------------------------------------------------


class Sinked:
    """A private Dovecot with these users, and the SMTP sink."""

    def __init__(self, tmp: Path, users: list[str], connections: int = 0) -> None:
        self.tmp = tmp
        self.servers = LocalMailServers(tmp / "mail", [*users, *STAFF, LKPP], catchall="catchall@lpse.test",
                                        connections=max(connections + 50, 150) if connections > 50 else 0)
        self.sink = Sink()

    def __enter__(self) -> tuple[LocalMailServers, Sink, Path]:
        self.servers.start()
        self.sink.start()
        return self.servers, self.sink, self.tmp

    def __exit__(self, *exc: object) -> None:
        self.sink.stop()
        self.servers.stop()


def compiled_as_installed() -> None:
    """mailbot's modules compiled once, as `scripts/install`'s pip compiles them into
    /opt/mailbot, and read so by every process the bench starts: where PYTHONDONTWRITEBYTECODE
    is set (sandboxes, CI images), each `mailbot run` and its sender process compiled every
    module from its source again at start (about 0.4 s of CPU each, 0.8 ms a message of a
    1,000-mail backlog), where django-helpdesk's virtualenv, installed by pip, has its own."""
    keep_compiled_files()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mailbot")], check=True, cwd=ROOT)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="ingest,send,latency,memory,scale")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="ingest runs (median and range)")
    parser.add_argument("--anchor", choices=["", "django-helpdesk"], default="",
                        help="ingest: time django-helpdesk 2.6.1's get_email on the same backlog in every run "
                             "(interleaved; its virtualenv is made once under $MAILBOT_BENCH_CACHE or "
                             "~/.cache/mailbot-bench)")
    parser.add_argument("--anchor-staff-notice", action="store_true",
                        help="the anchor's queue also mails new tickets to the staff (new_ticket_cc), "
                             "as mailbot's staff notice does")
    parser.add_argument("--unauthenticated", action="store_true",
                        help="the backlog carries no Authentication-Results: acks wait for the hour's budget "
                             "(the measurement); a run ends when every staff notice is accepted")
    parser.add_argument("--anchor-sqlite-wal", action="store_true",
                        help="the anchor's SQLite in WAL mode with synchronous=FULL, as mailbot's store "
                             "(Django's default: a rollback journal)")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--mailboxes", type=int, default=600)
    parser.add_argument("--solved", type=int, default=0,
                        help="latency: this many solved cases in each mailbox's memory before the daemon starts")
    parser.add_argument("--aiosmtpd-sink", action="store_true",
                        help="the SMTP sink on aiosmtpd (about 1 ms of CPU a mail) instead of the plain one")
    parser.add_argument("--compile-each-start", action="store_true",
                        help="where PYTHONDONTWRITEBYTECODE is set, leave it: each mailbot process compiles its "
                             "modules again (about 0.4 s of CPU each), as no installed mailbot does")
    args = parser.parse_args()
    if not args.compile_each_start:
        compiled_as_installed()
    only = set(args.only.split(","))
    Sink.aiosmtpd = args.aiosmtpd_sink
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}")
    if "ingest" in only:
        ingest(args.messages, args.repeat, args.anchor, args.anchor_staff_notice, args.anchor_sqlite_wal,
               args.unauthenticated)
    if "send" in only:
        send(300, 3)
    if "compose" in only:
        compose(300)
    if "latency" in only:
        latency(args.trials, args.solved)
    if "memory" in only:
        memory(args.backlog)
    if "scale" in only:
        scale(args.mailboxes, 30)


if __name__ == "__main__":
    main()
