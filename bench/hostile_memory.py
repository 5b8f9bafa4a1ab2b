"""Peak memory and time of `mailbot run --once` on one hostile message each (issue 8).

Three messages: 100,000 MIME parts (11 MB), 10,000 parts (1.1 MB) and a 25 MB
attachment. Each goes alone into the unit INBOX of private Dovecot/SMTP servers on
loopback, and a fresh `mailbot run --once` process handles it; its peak RSS comes
from the kernel (wait4). A plain message is the anchor: the same process, the same
pass, nothing hostile. Goal: at most 200 MB each, the 100,000-part mail quarantined
within 5 s.
Run: .venv/bin/python bench/hostile_memory.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import CATCHALL, USERS, empty_mailbox
from tests.localmail import LocalMailServers
from tests.mailfactory import STAFF, UNIT, mail, write_config

REQUESTER = "budi@vendor.test"


def many_parts(n: int) -> bytes:
    filler = "Dokumen kualifikasi terlampir, mohon diperiksa. " * 1  # ~110 bytes a part, as in the issue
    parts = "".join(f"--B\r\nContent-Type: text/plain\r\n\r\nbagian {i}: {filler}\r\n" for i in range(n))
    return (f"From: {REQUESTER}\r\nTo: {UNIT}\r\nSubject: Berkas {n}\r\nMessage-ID: <parts{n}@vendor.test>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n{parts}--B--\r\n").encode()


CHILD = """
import sys
from mailbot import cli
code = cli.main(["--config", sys.argv[1], "run", "--once"])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print("VmHWM", int(hwm.split()[1]) // 1024)
sys.exit(code)
"""


def run_once(config: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `mailbot run --once` process.

    The peak is the child's own high-water mark (VmHWM, reset at exec), not
    ru_maxrss, which Linux carries over from the forking parent.
    """
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(config)], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    seconds = time.perf_counter() - start
    return seconds, float(out.rsplit("VmHWM", 1)[1].split()[0])


def main() -> None:
    cases = [
        ("plain message (anchor)", mail(REQUESTER, "Tidak bisa login", "Mohon bantuan.")[0]),
        ("100,000 MIME parts", many_parts(100_000)),
        ("10,000 MIME parts", many_parts(10_000)),
        ("25 MB attachment", mail(REQUESTER, "Dokumen", "Terlampir.",
                                  attachments=(("dok.zip", "application/zip", os.urandom(25 * 2 ** 20)),))[0]),
        # Under the 25 MB cap: handled, and the file goes on to staff in their notice (issue 13: ~4x its size).
        ("15 MB attachment, relayed", mail(REQUESTER, "Dokumen penawaran", "Terlampir dokumen penawaran.",
                                           attachments=(("penawaran.zip", "application/zip",
                                                         os.urandom(15 * 2 ** 20)),))[0]),
    ]
    with tempfile.TemporaryDirectory() as tmp, LocalMailServers(Path(tmp) / "mail", USERS, catchall=CATCHALL) as servers:
        print(f"{'message':<26} {'size':>9} {'seconds':>8} {'peak RSS':>10}  outcome")
        anchor = 0.0
        for i, (name, raw) in enumerate(cases):
            for user in servers.users:
                empty_mailbox(servers, user)
            run_dir = Path(tmp) / f"run{i}"
            run_dir.mkdir()
            config = write_config(servers, run_dir)
            servers.append(UNIT, raw)
            seconds, rss = run_once(config)
            where = "Quarantine" if servers.fetch(UNIT, "Quarantine") else "Processed"
            told = len(servers.fetch(REQUESTER))
            anchor = anchor if i else rss
            staff = servers.fetch(STAFF[0])
            relayed = max((len(m) for m in staff), default=0) / 2 ** 20
            print(f"{name:<26} {len(raw) / 2 ** 20:>7.1f}MB {seconds:>8.2f} {rss:>8.0f}MB  {where}, "
                  f"{told} mail to the requester, staff notice {relayed:.1f} MB; "
                  f"above the anchor: {(rss - anchor) / (len(raw) / 2 ** 20):.1f}x the message")


if __name__ == "__main__":
    main()
