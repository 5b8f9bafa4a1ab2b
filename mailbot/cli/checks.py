"""`mailbot check` (SPEC 10): every problem of a configuration said in one run.

The checks are an ordered table, read top to bottom in the order their lines are printed:
each row names the setting it looks at, the small function that looks (it says its own
`ok`, `FAILED` or `warning` lines and returns the exit codes of what it found broken) and
why it is there. No check stops the ones after it: a bad rule or words file still lets
the servers be tried, so one run shows everything to mend. The exit status is the
gravest kind found: 78 a data location that cannot be written, a bad rule, template or
calendar, or what the window needs (its `web:` block, the key it reads, the store as it
opens it), else 69 a server that cannot be reached (a refused certificate included), else
77 a refused login; 0 when all is well.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from mailbot.errors import ConfigError, LoginRefusedError, MissingFolderError, UnreachableError
from mailbot.exit_codes import EX_CONFIG, EX_NOPERM, gravest, server_status
from mailbot.io.terminal import say

if TYPE_CHECKING:
    from mailbot.config.credentials import Credential
    from mailbot.settings import Config, MailboxConfig, ServerConfig

Check = Callable[["Config"], set[int]]


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    """Every row of `CHECKS`, in order; the exit status says the gravest kind of problem."""
    from mailbot.io import oauth

    say(f"config {cfg.path}: ok ({len(cfg.mailboxes)} mailbox(es))")
    with oauth.fresh():  # a kept token would hide a provider that refuses the client now
        return gravest(run_checks(cfg, CHECKS))


def run_checks(cfg: Config, rows: tuple[tuple[str, Check, str], ...]) -> set[int]:
    """Each row's check, in order, each whatever the ones before found: the codes of all."""
    codes: set[int] = set()
    for _setting, check, _why in rows:
        codes |= check(cfg)
    return codes


def check_local(cfg: Config) -> set[int]:
    """The rows that need no server: the config's own files and the data it keeps."""
    return run_checks(cfg, LOCAL)


# --- the config's own files -------------------------------------------------------------------


def rules_load(cfg: Config) -> set[int]:
    from mailbot.rules import load_rules

    try:
        load_rules(cfg.rules_dir)  # a ConfigError names file, rule and field
    except ConfigError as exc:
        say(f"rules: FAILED: {exc}")
        return {EX_CONFIG}
    say(f"rules: ok ({cfg.rules_dir or 'defaults'})")
    return set()


def calendar_counts(cfg: Config) -> set[int]:
    """The week's hours and the periods, as the timers will count them."""
    from mailbot.core.worktime import build_calendar

    try:
        say(f"calendar: ok ({cfg.timezone}; {build_calendar(cfg).describe()})")
    except ConfigError as exc:
        say(f"calendar: FAILED: {exc}")
        return {EX_CONFIG}
    return set()


def templates_folder_exists(cfg: Config) -> set[int]:
    if cfg.templates_dir is not None and not cfg.templates_dir.is_dir():
        say(f"templates_dir: FAILED: {cfg.templates_dir} is not a folder")
        return {EX_CONFIG}
    return set()


def templates_render(cfg: Config) -> set[int]:
    """Every template renders, and the words files have their shape."""
    from mailbot.io.render import Renderer

    try:
        broken = Renderer(cfg.templates_dir).problems()
    except ConfigError as exc:  # a words.yaml of the wrong shape
        say(f"templates: FAILED: {exc}")
        return {EX_CONFIG}
    for problem in broken:
        say(f"templates: FAILED: {problem}")
    return {EX_CONFIG} if broken else set()


# --- settings that work but leave a door open: warnings, no exit code ---------------------------


def staff_commands_need_proof(cfg: Config) -> set[int]:
    if cfg.auth.mode == "off":
        say("warning: auth.mode is off: any sender claiming a staff address can run commands")
    return set()


def server_verdicts_read(cfg: Config) -> set[int]:
    """Without it the ack budget tells no sender from another."""
    if not cfg.auth.trusted_authserv_id:
        say("warning: auth.trusted_authserv_id is not set: the unit's mail server's verdicts (dmarc, dkim, spf) "
            "are not read, so no requester can be told from a forger and every new requester's acknowledgement "
            "counts against limits.acks_per_hour")
    return set()


def lkpp_reachable(cfg: Config) -> set[int]:
    if not cfg.escalation.address:
        say("warning: escalation.address is not set: #eskalasi cannot reach LKPP")
    return set()


# --- the data mailbot keeps ---------------------------------------------------------------------


def data_locations_usable(cfg: Config) -> set[int]:
    """The database, archive and key locations can be written; an existing SQLite file is
    said once its contents are read (`sqlite_database_fits`), not before."""
    from mailbot.io.locations import data_locations

    codes: set[int] = set()
    for key, path, problem in data_locations(cfg):
        if problem:
            say(f"{key}: FAILED: {problem}")
            codes.add(EX_CONFIG)
        elif not (key == "database" and path.exists()):
            say(f"{key}: ok ({path})")
    return codes


def token_caches_writable(cfg: Config) -> set[int]:
    """Where OAuth2 tokens are kept for the next process: a warning only, as each start then
    asks the provider anew."""
    from mailbot.io.locations import location_problem

    for folder in sorted({s.oauth2.cache_dir for b in cfg.mailboxes for s in (b.imap, b.smtp)
                          if s.oauth2 is not None and s.oauth2.cache_dir is not None}):
        problem = location_problem(folder, "folder")
        if problem:
            say(f"warning: oauth2.token_cache_dir: {problem} (each start then asks the provider for a new token)")
    return set()


def sqlite_database_fits(cfg: Config) -> set[int]:
    """A SQLite file that is there, and writable: of this mailbot's schema or older, and
    kept for the mailboxes configured."""
    from mailbot.io.locations import location_problem

    if cfg.database_url or location_problem(cfg.database, "file") or not cfg.database.exists():
        return set()  # PostgreSQL's (below), said FAILED above, or none yet
    if not _database_fits(cfg):
        return {EX_CONFIG}
    say(f"database: ok ({cfg.store_location})")
    return set()


def _database_fits(cfg: Config) -> bool:
    """The database is of this mailbot's schema or older (not migrated here: an older daemon
    may still run on it) and no configured mailbox is a renamed one; prints what is not, and
    warns of work left for mailboxes removed from the config."""
    from mailbot.daemon.wiring import renamed_mailboxes, unserved_mailboxes
    from mailbot.io.migrations import SCHEMA_VERSION
    from mailbot.io.store import Store, database_errors

    try:
        store = Store.of(cfg, readonly=True, inspect=True)
    except ConfigError as exc:  # newer than this mailbot, not the shape it expects, not a database
        say(f"database: FAILED: {exc}")
        return False
    except database_errors() as exc:  # locked past the busy timeout, or unreadable: the other checks go on
        say(f"database: FAILED: {cfg.store_location}: {exc}")
        return False
    try:
        if store.versions.schema_version() < SCHEMA_VERSION:
            say(f"database: schema {store.versions.schema_version()}, older than this mailbot's ({SCHEMA_VERSION}): "
                "'mailbot migrate' or the daemon's start migrates it")
        for difference in store.versions.differences():  # a refused shape raised above: these can be mended
            say(f"database: note: {difference}; the migration adds it")
        renamed = renamed_mailboxes(cfg, store)
        for left in unserved_mailboxes(cfg, store):
            say(f"warning: {left}")
    except database_errors() as exc:  # a table the rows live in is gone, a page damaged
        say(f"database: FAILED: {cfg.store_location}: {exc}")
        return False
    finally:
        store.close()
    for problem in renamed:
        say(f"FAILED: {problem}")
    return not renamed


# --- the window (`web:`, SPEC 12 and 13): what `mailbot web` needs to start ---------------------


def web_block_valid(cfg: Config) -> set[int]:
    """The `web:` block's values (`listen` HOST:PORT, `url` an http(s) address, https beyond
    loopback, `status_link_days` 1-3650, `database` a postgresql:// URL): the loader kept
    what is wrong (`Config.web_problem`) so the rows after this one still run."""
    if cfg.web_problem is not None:
        say(f"web: FAILED: {cfg.web_problem}")
        return {EX_CONFIG}
    if cfg.web is None:
        return set()
    web = cfg.web
    say(f"web: ok (listen {web.listen}; url {web.url or 'none'}; status links {web.status_link_days} day(s) "
        "after closing)")
    if web.url is None:
        say("warning: web.url is not set: no mail carries a link (neither a requester's status link nor a sign-in "
            "link); nobody can sign in to the window")
    return set()


def web_key_readable(cfg: Config) -> set[int]:
    """The key the window signs and reads links with, read as `mailbot web` reads it (never
    made there): missing is a warning before the daemon's first start, which makes it."""
    from mailbot.web.serve import read_key

    if cfg.web is None:
        return set()
    if not cfg.secret_key_file.exists():
        say(f"warning: web: secret_key_file {cfg.secret_key_file} does not exist yet: mailbot web starts once "
            "the daemon made it (start mailbot run first)")
        return set()
    try:
        read_key(cfg.secret_key_file)
    except ConfigError as exc:
        say(f"web: FAILED: {exc}")
        return {EX_CONFIG}
    except OSError as exc:
        say(f"web: FAILED: secret_key_file: {cfg.secret_key_file} cannot be read: {exc.strerror or exc}")
        return {EX_CONFIG}
    say(f"web: secret_key_file ok ({cfg.secret_key_file}, read by the window)")
    return set()


def web_sqlite_readable(cfg: Config) -> set[int]:
    """The SQLite file opened as the window opens it (`mode=ro`, no migration)."""
    from mailbot.io.store import database_errors
    from mailbot.web.readers import open_store

    if cfg.web is None or cfg.database_url is not None:
        return set()  # no window, or PostgreSQL's (below, with the servers)
    if not cfg.database.exists():
        say(f"warning: web: database {cfg.database} does not exist yet: mailbot web starts once the daemon "
            "made it (start mailbot run first)")
        return set()
    try:
        open_store(cfg).close()
    except ConfigError as exc:
        say(f"web: FAILED: {exc}")
        return {EX_CONFIG}
    except database_errors() as exc:
        say(f"web: FAILED: database {cfg.database} cannot be opened read-only: {exc}")
        return {EX_CONFIG}
    except OSError as exc:
        say(f"web: FAILED: database {cfg.database} cannot be opened read-only: {exc.strerror or exc}")
        return {EX_CONFIG}
    say(f"web: database ok ({cfg.database}, opened read-only)")
    return set()


# --- the units: each secret the config names reaches the process that reads it ------------------

SHIPPED_DROP_INS = {"database": "database-password.conf", "oauth-secret": "oauth-secret.conf",
                    "oauth-cert.pem": "oauth-cert.conf", "web-database": "web-database-password.conf"}


def credentials_reach_units(cfg: Config) -> set[int]:
    """Each `${CREDENTIALS_DIRECTORY}/NAME` of the config is loaded by every installed unit
    whose process reads it (its `LoadCredential=` lines and drop-ins), from a file that is
    there: 78 naming the key, the unit and the drop-in to add. `check` runs through the
    wrapper, which reads /etc/mailbot/credentials itself, so without this row it said ok
    where the unit could not start."""
    from mailbot.config.credentials import WINDOW

    wanted = _credentials_named(cfg)
    units = sorted({u for c in wanted for u in c.units if u != WINDOW or cfg.web is not None})
    return {EX_CONFIG for unit in units if not _unit_receives(unit, wanted)}


def _credentials_named(cfg: Config) -> list[Credential]:
    """The credentials the config's own text names (`config/credentials.py`)."""
    import yaml

    from mailbot.config.credentials import named

    try:
        return named(yaml.safe_load(cfg.path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError):
        return []  # read and said by the loader already


def _unit_receives(unit: str, wanted: list[Credential]) -> bool:
    """Whether the installed `unit` loads each credential its process reads, each problem
    said; True for a unit not installed here (said, not compared)."""
    from mailbot.io.units import loaded_credentials, search_path

    found = loaded_credentials(unit)
    if found is None:
        say(f"credentials: not compared with {unit}: it is not installed here ({search_path()[0]})")
        return True
    problems = [(c, problem) for c in wanted if unit in c.units
                if (problem := _not_received(unit, c.name, found)) is not None]
    for credential, problem in problems:
        say(f"credentials: FAILED: {credential.key}: ${{CREDENTIALS_DIRECTORY}}/{credential.name} {problem}")
    if not problems:
        say(f"credentials: ok ({unit} loads {', '.join(sorted(found)) or 'none'})")
    return not problems


def _not_received(unit: str, name: str, loaded: dict[str, str]) -> str | None:
    """Why `unit`'s process would not find the credential `name`, with the fix; None when it would."""
    import os

    if name not in loaded:
        shipped = SHIPPED_DROP_INS.get(name)
        add = (f"copy /opt/mailbot/systemd/options/{shipped} to /etc/systemd/system/{unit}.d/" if shipped else
               f"add /etc/systemd/system/{unit}.d/{name}.conf holding the two lines '[Service]' and "
               f"'LoadCredential={name}:/etc/mailbot/credentials/{name}'")
        return (f"is not loaded by {unit} (it loads {', '.join(sorted(loaded)) or 'none'}), which would not start "
                f"with this config: write the secret to /etc/mailbot/credentials/{name}, {add}, then systemctl "
                f"daemon-reload && systemctl restart {unit} (docs/operator/install.md, the units' drop-ins)")
    source = loaded[name]
    if source.startswith("/"):
        try:
            os.stat(source)
        except FileNotFoundError:
            return (f"is loaded by {unit} from {source}, which does not exist: the unit fails to start (243); "
                    f"write the secret there")
        except OSError:
            return None  # a folder mailbot's user may not look into: systemd reads it as root
    return None


# --- the servers --------------------------------------------------------------------------------


def postgresql_reachable(cfg: Config) -> set[int]:
    """A `postgresql://` store reached, logged in to and its schema compared, as the daemon's
    start would find it: 69 unreachable, 77 the login refused, 78 a URL naming no
    usable database or a schema the daemon refuses; nothing for a SQLite store."""
    from mailbot.io.store.pg_access import unmade
    from mailbot.io.store.postgres import PostgresDatabase

    if not cfg.database_url:
        return set()
    password = cfg.database_password.value if cfg.database_password else None
    try:
        database = PostgresDatabase(cfg.database_url, password, lease_seconds=cfg.lease_seconds)
        try:
            empty = unmade(database)
        finally:
            database.close()
    except (ConfigError, LoginRefusedError, UnreachableError) as exc:
        say(f"database: FAILED: {exc}")
        return {server_status([exc]) if isinstance(exc, UnreachableError) else EX_CONFIG}
    if empty is None and not _database_fits(cfg):
        return {EX_CONFIG}
    say(f"database: ok ({cfg.store_location}{f'; {empty}' if empty else ''})")
    return set()


def key_is_the_stores(cfg: Config) -> set[int]:
    """`secret_key_file` is the key the store records (SPEC 11: one key for every process of
    a store), as the daemon's start compares it: 78 another key, or none on a host of a
    shared store that records one (the daemon makes none then). Nothing when the store
    cannot be opened (said above) or records no key yet (the first start records it)."""
    from mailbot.io import keys

    try:
        found = _recorded_key(cfg)
        key = keys.read_key(cfg.secret_key_file)
    except ConfigError as exc:
        say(f"secret_key_file: FAILED: {exc}")
        return {EX_CONFIG}
    except OSError:
        return set()  # a key or a database that cannot be read: said by the rows above
    if found is None:
        return set()
    database, recorded = found
    shared = cfg.database_url is not None
    if key is None:
        if not shared:
            say(f"warning: secret_key_file: {cfg.secret_key_file} does not exist: the daemon's start makes a new "
                "key, which ends every link mailed before")
            return set()
        say(f"secret_key_file: FAILED: {keys.missing(cfg.secret_key_file, recorded, database)}")
        return {EX_CONFIG}
    elif (problem := keys.differs(cfg.secret_key_file, key, recorded, database, shared=shared)) is not None:
        say(f"secret_key_file: FAILED: {problem}")
        return {EX_CONFIG}
    say(f"secret_key_file: ok ({cfg.secret_key_file}, the key database {database} records: "
        f"{recorded[:keys.SHOWN]})")
    return set()


def _recorded_key(cfg: Config) -> tuple[str, str] | None:
    """(the database as named, the key's fingerprint it records), or None: no store yet, one
    that cannot be opened now, or none recorded."""
    from mailbot.io import keys
    from mailbot.io.store import Store, database_errors
    from mailbot.io.store.meta import Meta
    from mailbot.io.store.postgres import PostgresDatabase

    database: Any
    try:
        if cfg.database_url is None:
            if not cfg.database.exists():
                return None
            database = Store.of(cfg, readonly=True, migrate=False, inspect=True).database
        else:
            password = cfg.database_password.value if cfg.database_password else None
            database = PostgresDatabase(cfg.database_url, password, lease_seconds=cfg.lease_seconds)
        try:
            recorded = Meta(database).meta(keys.FINGERPRINT) if "meta" in database.tables() else None
        finally:
            database.close()
    except (ConfigError, UnreachableError):
        return None  # the database's own row says why
    except database_errors():
        return None
    except OSError:  # a file mailbot's user cannot read: the data locations' row says it
        return None
    return (str(database.path), recorded) if recorded is not None else None


def web_role_reads(cfg: Config) -> set[int]:
    """On PostgreSQL, the store reached as the window logs in (`web.database` and its password
    file, else the top level's login, in a read-only session) and its tickets read: 69
    unreachable, 77 the login refused, 78 no such database, an unreadable password file or
    tables the role may not read; a warning when the window's own role may write."""
    from mailbot.io.store import database_errors
    from mailbot.io.store.pg_access import role_writes
    from mailbot.web.readers import open_store

    if cfg.web is None or cfg.database_url is None:
        return set()
    login = cfg.web.database_url or cfg.database_url
    try:
        store = open_store(cfg)
    except (ConfigError, LoginRefusedError, UnreachableError) as exc:
        say(f"web: database FAILED: {exc}")
        return {server_status([exc]) if isinstance(exc, UnreachableError) else EX_CONFIG}
    try:
        writes = role_writes(store.database)
    except database_errors() as exc:
        say(f"web: database FAILED: {login}: the window's role cannot read the tickets: {exc}".rstrip())
        return {EX_CONFIG}
    finally:
        store.close()
    say(f"web: database ok ({login}, read-only)")
    if cfg.web.database_url is not None and writes:
        say(f"warning: web.database: the role of {login} may write the tickets table: the window's role should "
            "have SELECT alone (docs/operator/web.md)")
    return set()


def mailboxes_log_in(cfg: Config) -> set[int]:
    """Each mailbox's IMAP and SMTP login, its OAuth2 client secrets first: 78 a missing
    folder or a login the server does not offer, 69 unreachable, 77 refused."""
    codes: set[int] = set()
    for box in cfg.mailboxes:
        today = datetime.now(cfg.timezone).date()
        for name, server in (("imap", box.imap), ("smtp", box.smtp)):
            codes |= _secret_in_date(box.name, name, server, today)
        codes |= _logs_in(box, "imap") | _logs_in(box, "smtp")
    return codes


def _logs_in(box: MailboxConfig, name: str) -> set[int]:
    """One server of a mailbox logged in to (`imap` also finds the folders mailbot uses)."""
    from mailbot.io import imap, smtp

    probe = partial(imap.probe, box.imap) if name == "imap" else partial(smtp.probe, box.smtp)
    try:
        say(f"{box.name}: {probe()}")
    except (MissingFolderError, ConfigError, UnreachableError) as exc:  # ConfigError: a login not offered
        say(f"{box.name}: {name} FAILED: {exc}")
        return {EX_CONFIG if isinstance(exc, ConfigError) else server_status([exc])}
    return set()


def _secret_in_date(box: str, name: str, server: ServerConfig, today: date) -> set[int]:
    """An OAuth2 client secret past its end (77), or ending within 14 days (a warning):
    the provider then refuses every token, and the mail stops."""
    from mailbot.settings import secret_days_left

    left = secret_days_left(server, today)
    oauth2 = server.oauth2
    if left is None or oauth2 is None or oauth2.secret_expires is None:
        return set()
    expires, credential = oauth2.secret_expires.isoformat(), oauth2.credential
    if left < 0:
        mend = ("upload a new certificate to the app registration and put it, with its key, in "
                "client_certificate_file") if oauth2.certificate else \
            "put a new secret in client_secret_file and its end in client_secret_expires"
        say(f"{box}: {name} FAILED: oauth2 {credential} expired on {expires}: {mend}")
        return {EX_NOPERM}
    say(f"warning: {box}: {name} oauth2 {credential} expires on {expires}, in {left} day(s): "
        "make a new one in the provider's portal before then")
    return set()


# --- the table: read top to bottom, in the order the lines are printed ----------------------------

LOCAL: tuple[tuple[str, Check, str], ...] = (
    # the setting it looks at    the check                   why it is there
    ("rules_dir",                rules_load,                 "a rule that does not load: the file, rule and field"),
    ("calendar",                 calendar_counts,            "the hours the timers will count by"),
    ("templates_dir",            templates_folder_exists,    "SPEC 12: the operator's templates, if any"),
    ("templates",                templates_render,           "every mail renders; words.yaml has its shape"),
    ("auth.mode",                staff_commands_need_proof,  "SPEC 9: off lets a forged staff address command"),
    ("auth.trusted_authserv_id", server_verdicts_read,       "no verdicts, no requester told from a forger"),
    ("escalation.address",       lkpp_reachable,             "SOP-015: #eskalasi needs LKPP's address"),
    ("database, archive_dir, secret_key_file", data_locations_usable, "each can be written by mailbot's user"),
    ("oauth2.token_cache_dir",   token_caches_writable,      "tokens kept for the next process"),
    ("database",                 sqlite_database_fits,       "a SQLite file there: its schema, its mailboxes"),
    ("web",                      web_block_valid,            "SPEC 12, 13: listen, url, status_link_days, database"),
    ("secret_key_file (web)",    web_key_readable,           "SPEC 13: the window signs and reads links with it"),
    ("database (web)",           web_sqlite_readable,        "SPEC 13: the window opens the SQLite file mode=ro"),
    ("${CREDENTIALS_DIRECTORY}", credentials_reach_units,    "each secret loaded by the unit whose process reads it"),
)
SERVERS: tuple[tuple[str, Check, str], ...] = (
    ("database",                 postgresql_reachable,       "reached, logged in to, its schema"),
    ("secret_key_file",          key_is_the_stores,          "SPEC 11: the key every process of the store signs with"),
    ("web.database",             web_role_reads,             "SPEC 13: the window's role logs in and reads alone"),
    ("mailboxes",                mailboxes_log_in,           "SPEC 10: each IMAP and SMTP login; secrets"),
)
CHECKS = LOCAL + SERVERS
