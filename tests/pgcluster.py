"""A private PostgreSQL cluster for the tests, as `localmail` runs a private Dovecot:
Debian's own binaries (`/usr/lib/postgresql/N/bin`), `initdb` and `pg_ctl` in a temporary
directory, a loopback port of its own and its socket in that directory; never the host's
cluster or service. Trust authentication on loopback only: nothing but the tests reaches it; `passwords=True`
asks every role but the superuser for its password (scram-sha-256), as a production server
does, for the tests of refused logins.

PostgreSQL refuses to run as root; as root (CI) the cluster runs as the `postgres` user the
Debian package made, in a directory it owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self


class ClusterError(RuntimeError):
    pass


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory, None without one."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _real_clock() -> dict[str, str]:
    """This environment without libfaketime (`scripts/test-at`): under it PostgreSQL's timeouts
    never fire (an `idle_session_timeout` of 2 s still held its session after 15 s), and with
    them the lease that ends a stopped host's session. mailbot never reads the server's clock,
    so the server keeps the real one while mailbot's processes run on the shifted clock."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FAKETIME")}
    preload = ":".join(lib for lib in env.pop("LD_PRELOAD", "").split(":") if lib and "libfaketime" not in lib)
    if preload:
        env["LD_PRELOAD"] = preload
    return env


class PgCluster:
    """initdb, start, `database(name)` URLs, stop; the directory removed at the end."""

    def __init__(self, *, durable: bool = False, passwords: bool = False, superuser: str = "mailbot") -> None:
        """`durable`: fsync and synchronous commits on, as a production server has them (the
        benches); the tests' cluster skips them. `passwords`: roles other than `superuser`
        log in with their password only (scram-sha-256), the superuser is trusted on
        loopback (what makes the tests' roles and databases)."""
        self.durable = durable
        self.passwords = passwords
        self.superuser = superuser
        bindir = binaries()
        if bindir is None:
            raise ClusterError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin); apt-get install postgresql")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = None if os.getuid() else "postgres"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._made = 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False,
                              env=_real_clock())
        if done.returncode:
            raise ClusterError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> Self:
        """`init`, then `serve`."""
        return self.init().serve()

    def init(self) -> Self:
        """The cluster's files, not started yet (a database host still booting: `serve` later);
        its port is chosen already, so a URL to it can be given before it listens."""
        self._run("initdb", "-D", str(self.data), "-U", self.superuser, "--auth=trust", "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")
        if self.passwords:
            hba = (f"local all all trust\nhost all {self.superuser} 127.0.0.1/32 trust\n"
                   "host all all 127.0.0.1/32 scram-sha-256\n")
            (self.root / "pg_hba.conf").write_text(hba)
            if self.user:
                entry = pwd.getpwnam(self.user)
                os.chown(self.root / "pg_hba.conf", entry.pw_uid, entry.pw_gid)
        return self

    def serve(self) -> Self:
        """Start the cluster made by `init`, and wait until it takes connections."""
        hba = f"-c hba_file={self.root / 'pg_hba.conf'} " if self.passwords else ""
        fast = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} {fast}{hba}-c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "-t", "60",
                  "start")
        return self

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        self._made += 1
        name = f"t{self._made}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return self.url(name)

    def owned_database(self, role: str, password: str) -> str:
        """A new role that logs in with `password`, and a new, empty database it owns (as
        several-hosts.md has an operator make them): the URL the role reaches it by."""
        import psycopg
        from psycopg import sql

        self._made += 1
        name = f"o{self._made}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(role),
                                                                            sql.Literal(password)))
            conn.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(role)))
        return self.url(name, role)

    def halt(self) -> None:
        """Stop the server and keep its files (a database host restarting): `serve` starts it again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # started (`init` alone starts nothing)
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def waiting_for_locks(url: str) -> int:
    """How many sessions of the database at `url` wait for a lock another holds: queued for
    it in the server (advisory or not), or asking for the writer lock again and again, as
    units of work do (`PostgresDatabase._writer_turn`). This query's own session is left out
    (its text names the ask too)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return int(conn.execute(
            "select count(distinct a.pid) from pg_stat_activity a where a.datname = current_database() "
            "and a.pid != pg_backend_pid() "
            "and (exists (select 1 from pg_locks l where l.pid = a.pid and not l.granted) "
            "or (a.state in ('active', 'idle in transaction') and a.query like '%pg_try_advisory_xact_lock%'))"
        ).fetchone()[0])
