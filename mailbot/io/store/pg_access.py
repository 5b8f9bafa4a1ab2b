"""Why a PostgreSQL store could not be opened, in the terms of SPEC 10's exit statuses
: a server that cannot be reached now, a login it refused, or a URL that names
no database mailbot can use; and what `mailbot check` reads of the store before anything
is made in it.

Why it matters: a database host that boots after mailbot's (a power cut) used to stop the
daemon with 78, "configuration error", which systemd does not restart into. A server that
cannot be reached is waited out, as an IMAP server is (69 for a command); only a refused
login (77) and a wrong URL (78) are the operator's to mend.

libpq gives no SQLSTATE for a failed connection, only its text (and the server's, in the
server's `lc_messages`): the refusals and the configuration faults are known by their
English words, as libpq and PostgreSQL write them. Anything not known is taken for a
server that cannot be reached: waited out and said in the log with the server's own words,
never a stop that waits for a person.
"""

from __future__ import annotations

import re
from typing import Any

from mailbot.errors import ConfigError, DatabaseUnreachableError, LoginRefusedError, MailbotError

# libpq's prefix of each address it tried ("connection to server at "10.0.0.5", port 5432
# failed: "); the address is in the URL the message names already
_TRIED = re.compile(r'^(?:connection failed: )?(?:connection to server (?:at|on) .*? failed: )?', re.IGNORECASE)

# What the words of a failed connection say, in order: the first row whose words one of
# its lines holds names it ({line}: that line; {hint}: what to set when no password reached
# the server). Refused logins (77): no password given, a wrong password, a role that does
# not exist or may not log in, a host pg_hba.conf does not let in, no CONNECT right. What no
# wait mends (78): a database the server does not have, TLS the server does not speak, a
# certificate file that is not there, a URL libpq cannot read.
_ROWS: tuple[tuple[re.Pattern[str], type[MailbotError], str], ...] = (
    (re.compile(r"no password supplied", re.IGNORECASE), LoginRefusedError,
     "refused the login: no password was given ({hint})"),
    (re.compile(r"password authentication failed", re.IGNORECASE), LoginRefusedError,
     "refused the login: the password was refused ({line})"),
    (re.compile(r"authentication failed|no pg_hba\.conf entry|role \S+ does not exist|is not permitted to log in|"
                r"permission denied for database", re.IGNORECASE), LoginRefusedError, "refused the login: {line}"),
    (re.compile(r"database \S+ does not exist|does not support SSL|certificate file .* does not exist|"
                r"could not read root certificate|invalid (?:URI|connection option|sslmode|integer value)|"
                r"missing \"=\"", re.IGNORECASE), ConfigError, "cannot be used as configured: {line}"),
)


def failure(where: str, exc: BaseException, *, password_given: bool) -> MailbotError:
    """The error a failed connection to the database `where` (its URL as shown) is: a
    `LoginRefusedError` (77), a `ConfigError` (78), else a `DatabaseUnreachableError` (69,
    waited out by the daemon). `password_given`: whether mailbot handed libpq a password
    (`database_password_file`), to say what to mend when none reached the server."""
    import psycopg

    lines = [_TRIED.sub("", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line] or [type(exc).__name__]
    hint = ("database_password_file was read but libpq sent no password" if password_given
            else "set database_password_file, or libpq's PGPASSFILE")
    for words, kind, named in _ROWS:
        if found := next((line for line in lines if words.search(line)), None):
            return kind(f"database {where} " + named.format(line=found, hint=hint))
    if isinstance(exc, psycopg.ProgrammingError):  # psycopg's for a URL libpq cannot read
        return ConfigError(f"database {where} cannot be used as configured: {lines[0]}")
    return DatabaseUnreachableError(f"database {where} cannot be reached: {lines[0]}")


def unmade(db: Any) -> str | None:
    """What `check` says of a database that holds no table yet (the daemon's first start
    makes mailbot's schema in it), or None when it holds tables (the caller compares their
    schema). A role that may not create tables in it (PostgreSQL 15 lets only the
    database's owner create in its `public` schema) is refused here, not at the first start."""
    if db.tables():
        return None
    schema, may = db.execute("select current_schema(), has_schema_privilege(current_schema(), 'CREATE')").fetchone()
    if not may:
        raise ConfigError(f"database {db.path}: the role may not create tables in schema {schema}, and mailbot makes "
                          "its schema at the first start: make the role the database's owner "
                          "(createdb --owner=ROLE, or ALTER DATABASE ... OWNER TO ROLE)")
    return "empty; the daemon's first start makes mailbot's schema in it"


def role_writes(db: Any) -> bool:
    """Whether the session's role may change the tickets (INSERT, UPDATE or DELETE), once the
    tickets were read as the window reads them (a role that may not read them raises here):
    `check` warns of a window's role (`web.database`) that is more than SELECT alone."""
    _count, writes = db.execute(
        "select (select count(*) from tickets), has_table_privilege('tickets', 'INSERT') "
        "or has_table_privilege('tickets', 'UPDATE') or has_table_privilege('tickets', 'DELETE')").fetchone()
    return bool(writes)
