"""Debian's Request Tracker 5 (request-tracker5 + rt5-db-sqlite) as Helpdesk LKPP's desk.

A fresh RT per test in a temporary directory: SQLite database, the stock initial data, the
rights an email desk grants (Everyone: CreateTicket, ReplyToTicket, CommentOnTicket on
queue General) and one agent. No web server runs: mail goes in through RT's gateway code
(what rt-mailgate posts to), agents answer through the code of RT's web UI and of its REST
1.0 CLI (`tests/rt/desk.pl`), and RT sends through `$SendmailPath` (`tests/rt/sendmail.py`)
to the tests' SMTP server, which delivers into Dovecot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

RT_LIB = Path("/usr/share/request-tracker5/lib")
SETUP_DATABASE = Path("/usr/sbin/rt-setup-database-5")
HERE = Path(__file__).parent / "rt"


def rt_available() -> bool:
    """Whether Debian's request-tracker5 with its SQLite backend is installed."""
    return RT_LIB.is_dir() and SETUP_DATABASE.exists() and shutil.which("perl") is not None and _dbd_sqlite()


def _dbd_sqlite() -> bool:
    try:
        return subprocess.run(["perl", "-MDBD::SQLite", "-e", "1"], check=False, capture_output=True).returncode == 0
    except OSError:
        return False


class RTDesk:
    """One Request Tracker; `precedence=False` turns its `Precedence: bulk` off."""

    def __init__(self, directory: Path, smtp: tuple[str, int], *, precedence: bool = True,
                 rtname: str = "lkpp.test", address: str = "helpdesk@lkpp.test") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "etc.d").mkdir(exist_ok=True)
        config = directory / "RT_SiteConfig.pm"
        lines = [
            f"Set($rtname, '{rtname}');",
            f"Set($Organization, '{rtname}');",
            "Set($DatabaseType, 'SQLite');",
            f"Set($DatabaseName, '{directory / 'rt.db'}');",
            f"Set($CorrespondAddress, '{address}');",
            f"Set($CommentAddress, '{address}');",
            "Set($MailCommand, 'sendmailpipe');",
            f"Set($SendmailPath, '{HERE / 'sendmail.py'}');",
            "Set($SendmailArguments, '-oi');",
            "Set($LogToSTDERR, 'error');",
            "Set($LogToSyslog, undef);",
            "Set($LogToFile, undef);",
            "Set($Timezone, 'Asia/Jakarta');",
        ]
        if not precedence:
            lines.append("Set($DefaultMailPrecedence, undef);")
        config.write_text("\n".join(lines) + "\n1;\n")
        self.env = {**os.environ, "RT_SITE_CONFIG": str(config), "RT_SITE_CONFIG_DIR": str(directory / "etc.d"),
                    "RT32_SMTP": f"{smtp[0]}:{smtp[1]}", "RT32_SENDER": address}
        self._run([str(SETUP_DATABASE), "--action", "init", "--skip-create"])
        self.desk("init")

    def _run(self, argv: list[str], stdin: bytes | None = None) -> str:
        done = subprocess.run(argv, input=stdin, capture_output=True, env=self.env, cwd=self.directory, timeout=120,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:3])}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()

    def desk(self, *args: str, stdin: bytes | None = None) -> str:
        return self._run(["perl", str(HERE / "desk.pl"), *args], stdin)

    def receive(self, raw: bytes) -> int:
        """A mail to the desk's address, as rt-mailgate hands it over; the RT ticket it went to."""
        return int(self.desk("mail", stdin=raw).strip())

    def answer_web(self, ticket: int, text: str) -> None:
        self.desk("web", str(ticket), text)

    def answer_cli(self, ticket: int, text: str) -> None:
        self.desk("cli", str(ticket), text)

    def resolve(self, ticket: int) -> None:
        self.desk("resolve", str(ticket))

    def tickets(self) -> list[tuple[int, str, str]]:
        """(id, subject, status) of every RT ticket."""
        rows = [line.split("\t") for line in self.desk("tickets").splitlines() if line.strip()]
        return [(int(r[0]), r[1], r[2]) for r in rows]
