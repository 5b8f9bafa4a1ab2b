"""Configuration loading and validation (SPEC section 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mailbot.config.load import load_config, parse_config
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def minimal() -> dict:
    return {
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
        "mailboxes": [{
            "name": "btm", "address": "lpse@batam.go.id", "tag_prefix": "LPSE-BTM",
            "imap": {"host": "imap.batam.go.id", "username": "lpse@batam.go.id", "password": "x"},
            "staff": ["helpdesk1@batam.go.id"],
        }],
    }


def test_repository_config_is_valid(tmp_path):
    """The config.yaml shipped for the demo loads (with the password file the demo writes)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo-imap.pass").write_text("secret\n")
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text())
    cfg = load_config(tmp_path / "config.yaml")
    assert cfg.mailboxes[0].address == "lpse@lpse.test"
    assert cfg.mailboxes[0].imap.password.value == "secret"
    assert cfg.database == tmp_path / "data" / "mailbot.db"


def test_defaults_fill_every_other_key(tmp_path):
    """Only address and servers are required; the rest has SPEC defaults."""
    cfg = parse_config(minimal(), tmp_path / "c.yaml")
    box = cfg.mailboxes[0]
    assert str(cfg.timezone) == "Asia/Jakarta"
    assert cfg.autoreply_limit == 5 and cfg.ack_max_age_hours == 72 and cfg.reopen_days == 14
    assert cfg.auth.mode == "token"
    assert box.imap.port == 993 and box.imap.processed_folder == "Processed"
    assert box.notify_addresses == ("helpdesk1@batam.go.id",)
    assert cfg.calendar.holiday_categories == ("public", "government")


def test_the_sent_folder_is_on_by_default_and_null_turns_it_off(tmp_path):
    """A default install keeps a copy of what it sends in `Sent` (the promise a
    restore rests on); `sent_folder: null` keeps none; an empty name is refused."""
    assert parse_config(minimal(), tmp_path / "c.yaml").mailboxes[0].imap.sent_folder == "Sent"
    data = minimal()
    data["mailboxes"][0]["imap"]["sent_folder"] = None
    assert parse_config(data, tmp_path / "c.yaml").mailboxes[0].imap.sent_folder is None
    data["mailboxes"][0]["imap"]["sent_folder"] = "Sent Items"
    assert parse_config(data, tmp_path / "c.yaml").mailboxes[0].imap.sent_folder == "Sent Items"
    data["mailboxes"][0]["imap"]["sent_folder"] = " "
    with pytest.raises(ConfigError, match=r"mailboxes\[0\]\.imap\.sent_folder: expected a non-empty string"):
        parse_config(data, tmp_path / "c.yaml")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d.update(autoreply_limt=3), "autoreply_limt"),
        (lambda d: d["mailboxes"][0]["imap"].update(proccessed_folder="X"), "mailboxes[0].imap.proccessed_folder"),
        (lambda d: d.update(language="fr"), "language"),
        (lambda d: d.update(reopen_days=-1), "reopen_days"),
        (lambda d: d["mailboxes"][0].update(address="not-an-address"), "mailboxes[0].address"),
        (lambda d: d["mailboxes"][0]["imap"].update(security="none"), "mailboxes[0].imap.security"),
        (lambda d: d.update(timezone="Asia/Batam"), "timezone"),
        (lambda d: d.update(calendar={"hours": "16:00-08:00"}), "calendar.hours"),
        (lambda d: d.update(calendar={"workdays": ["mon", "funday"]}), "calendar.workdays[1]"),
        (lambda d: d["mailboxes"][0].pop("imap"), "mailboxes[0].imap"),
        (lambda d: d.update(auth={"mode": "authres"}), "auth.trusted_authserv_id"),
    ],
)
def test_bad_values_name_the_key(tmp_path, mutate, key):
    """Every rejected value names its dotted key."""
    data = minimal()
    mutate(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, tmp_path / "c.yaml")
    assert str(err.value).startswith(key + ":"), str(err.value)


def test_typo_suggests_the_key(tmp_path):
    """A typo'd key is named and the intended key suggested."""
    data = minimal()
    data["reopen_dayz"] = 3
    with pytest.raises(ConfigError, match=r"reopen_dayz: unknown key \(did you mean 'reopen_days'\?\)"):
        parse_config(data, tmp_path / "c.yaml")


def test_secrets_from_env_and_file_never_printed(tmp_path, monkeypatch):
    """${ENV} and password_file fill secrets; their repr hides them."""
    monkeypatch.setenv("SMTP_PW", "s3cr3t-env")
    (tmp_path / "imap.pass").write_text("s3cr3t-file\n")
    data = minimal()
    data["smtp"].update(username="lpse@batam.go.id", password="${SMTP_PW}")
    data["mailboxes"][0]["imap"] = {"host": "imap.x.go.id", "username": "u", "password_file": "imap.pass"}
    cfg = parse_config(data, tmp_path / "c.yaml")
    assert cfg.smtp.password.value == "s3cr3t-env"
    assert cfg.mailboxes[0].imap.password.value == "s3cr3t-file"
    assert "s3cr3t" not in repr(cfg)


def test_missing_env_and_missing_file(tmp_path):
    """A missing variable or config file is a ConfigError naming it."""
    data = minimal()
    data["smtp"]["password"] = "${NO_SUCH_VARIABLE_X}"
    with pytest.raises(ConfigError, match="smtp.password: environment variable NO_SUCH_VARIABLE_X is not set"):
        parse_config(data, tmp_path / "c.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize("content, said", [
    ("", "is empty: write the password into it"),  # `install ... /dev/stdin FILE` and Ctrl-D at once
    ("\n", "is empty: write the password into it"),
    ("Rahasia-Imap-2026\nRahasia-Imap-2026\n", "holds more than one line"),  # pasted twice
    ("lpse@batam.go.id\nRahasia-Imap-2026\n", "holds more than one line"),  # user name and password
])
def test_a_password_file_that_holds_no_usable_password_names_the_key(tmp_path, content, said):
    """The server would refuse it as a wrong password (77, 'Authentication failed', or a BAD
    from IMAP for the line break), sending the operator to the wrong place: 78 names the file."""
    (tmp_path / "imap.pass").write_text(content)
    data = minimal()
    data["mailboxes"][0]["imap"] = {**data["mailboxes"][0]["imap"], "password": None, "password_file": "imap.pass"}
    with pytest.raises(ConfigError) as failed:
        parse_config(data, tmp_path / "c.yaml")
    message = str(failed.value)
    assert message.startswith(f"mailboxes[0].imap.password_file: {tmp_path / 'imap.pass'} ") and said in message
    assert "Rahasia" not in message


def test_invalid_yaml(tmp_path):
    """Broken YAML is a ConfigError, not a traceback."""
    path = tmp_path / "c.yaml"
    path.write_text("mailboxes: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


@pytest.mark.parametrize("line", [
    'smtp: {host: mail.test, port: 587, security: starttls, username: u, password: "S3cretSMTPpass}\n',
    "smtp:\n  password: S3cret\tSMTPpass: x\n",
    "smtp: {password: 'S3cretSMTPpass\n",
])
def test_a_yaml_error_never_shows_the_line_that_may_hold_a_password(tmp_path, line):
    """SPEC 12: secrets never reach the log; the error names the line and column, not the text."""
    path = tmp_path / "c.yaml"
    path.write_text(line)
    with pytest.raises(ConfigError, match=r"not valid YAML: line \d+, column \d+") as raised:
        load_config(path)
    assert "S3cret" not in str(raised.value)


def test_files_that_are_not_utf8_are_configuration_errors(tmp_path):
    """A config saved as Windows-1252, a password file with a stray byte: exit 78 with the reason."""
    path = tmp_path / "c.yaml"
    path.write_bytes("mailboxes:\n  - display_name: Helpdesk LPSE \u2013 Batam\n".encode("cp1252"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
    secret = tmp_path / "smtp.password"
    secret.write_bytes(b"p\xe9ss\n")
    data = minimal()
    data["smtp"] = {**data["smtp"], "password_file": str(secret), "username": "u"}
    with pytest.raises(ConfigError, match="password_file: .* is not UTF-8"):
        parse_config(data, path)


def test_a_bad_database_value_names_the_key(tmp_path):
    data = minimal()
    data["database"] = 5
    with pytest.raises(ConfigError, match=r"^database: "):
        parse_config(data, tmp_path / "c.yaml")


@pytest.mark.parametrize("url", ["mysql://db/mailbot", "sqlite:///var/lib/mailbot.db",
                                 "mysql://mailbot:S3cret@db.lpse.test/mailbot"])
def test_a_database_url_of_another_kind_is_refused_by_name_never_taken_for_a_path(tmp_path, url):
    """A URL in `database:` was taken as a file path, and two daemons meant to
    share one database each made their own SQLite file under `postgresql:/`. A URL that is
    not PostgreSQL's is a configuration error (78) naming the key and the kind, never
    echoing the URL (it may hold a password)."""
    data = minimal()
    data["database"] = url
    with pytest.raises(ConfigError, match=r"^database: ") as raised:
        parse_config(data, tmp_path / "c.yaml")
    assert "S3cret" not in str(raised.value) and "db.lpse.test" not in str(raised.value)
    assert f"{url.split(':')[0]}://" in str(raised.value)
    assert not any(tmp_path.rglob("*.db"))


@pytest.mark.parametrize("url", ["postgresql://mailbot@db.lpse.test:5432/mailbot", "postgres://db/mailbot",
                                 "POSTGRESQL://db/mailbot?sslmode=verify-full"])
def test_a_postgresql_url_names_the_shared_store(tmp_path, url):
    """Libpq's URL syntax; the password beside it in database_password_file (under
    systemd a credential), never in the configuration."""
    (tmp_path / "db.pw").write_text("S3cret\n")
    data = minimal()
    data["database"] = url
    data["database_password_file"] = "db.pw"
    cfg = parse_config(data, tmp_path / "c.yaml")
    assert cfg.database_url == "postgresql://" + url.split("://", 1)[1]
    assert cfg.store_location == cfg.database_url
    assert cfg.database_password is not None and cfg.database_password.value == "S3cret"
    assert "S3cret" not in repr(cfg)
    assert cfg.lease_seconds == 30
    assert not (tmp_path / "postgresql:").exists()


def test_a_password_in_the_url_is_refused_and_not_echoed(tmp_path):
    data = minimal()
    data["database"] = "postgresql://mailbot:S3cret@db.lpse.test/mailbot"
    with pytest.raises(ConfigError, match=r"^database: .*database_password_file") as raised:
        parse_config(data, tmp_path / "c.yaml")
    assert "S3cret" not in str(raised.value)


def test_a_database_password_file_beside_sqlite_is_migrate_tos_and_a_lease_a_sane_length(tmp_path):
    """Beside a SQLite file, database_password_file is the password `migrate --to`
    logs in to the new PostgreSQL database with (it was refused, and the copy needed
    PGPASSWORD); read, and checked, as the daemon reads it."""
    (tmp_path / "db.pw").write_text("S3cret\n")
    data = minimal()
    data["database_password_file"] = "db.pw"
    cfg = parse_config(data, tmp_path / "c.yaml")
    assert cfg.database_url is None and cfg.database_password is not None
    assert cfg.database_password.value == "S3cret"
    (tmp_path / "db.pw").write_text("")
    with pytest.raises(ConfigError, match=r"^database_password_file: .* is empty"):
        parse_config(data, tmp_path / "c.yaml")
    data = minimal()
    data["database"] = "postgresql://db/mailbot"
    data["lease_seconds"] = 2
    with pytest.raises(ConfigError, match=r"^lease_seconds: "):
        parse_config(data, tmp_path / "c.yaml")


@pytest.mark.parametrize("path", ["data/mailbot.db", "/var/lib/mailbot/mailbot.db", "data/a:b.db"])
def test_a_database_path_stays_sqlite(tmp_path, path):
    data = minimal()
    data["database"] = path
    assert parse_config(data, tmp_path / "c.yaml").database == (tmp_path / path if not path.startswith("/")
                                                                 else Path(path))


def test_a_key_given_twice_is_an_error_not_the_last_one_silently(tmp_path):
    """A second `smtp:` block pasted below the first used to replace it without a word."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(minimal()) + "smtp:\n  host: 127.0.0.1\n  port: 25\n  security: none\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: the key 'smtp' is given twice"):
        load_config(path)


@pytest.mark.parametrize(("where", "value", "said"), [
    (("ack_max_age_hours",), float("nan"), "ack_max_age_hours: expected a number"),
    (("reopen_days",), float("inf"), "reopen_days: expected a number"),
    (("calendar", "hours"), "08:00-24:00", "calendar.hours: '08:00-24:00' is not HH:MM-HH:MM within one day"),
])
def test_values_that_would_fail_later_stop_start_up(tmp_path, where, value, said):
    """`.nan` passed the number checks and turned every ack off; 24:00 passed and failed later."""
    data = minimal()
    target = data
    for key in where[:-1]:
        target = target.setdefault(key, {})
    target[where[-1]] = value
    with pytest.raises(ConfigError, match=re.escape(said)):
        parse_config(data, tmp_path / "c.yaml")


def test_two_mailboxes_reading_one_folder_are_refused(tmp_path):
    """Each would take the other's mail; the same account on two folders is fine."""
    data = minimal()
    second = {**data["mailboxes"][0], "name": "btm2", "tag_prefix": "LPSE-B2"}
    data["mailboxes"].append(second)
    with pytest.raises(ConfigError, match="two mailboxes read the same IMAP folder"):
        parse_config(data, tmp_path / "c.yaml")
    second["imap"] = {**second["imap"], "folder": "Helpdesk2"}
    assert len(parse_config(data, tmp_path / "c.yaml").mailboxes) == 2


def test_a_mailbox_name_given_twice_names_the_name_and_both_entries(tmp_path):
    """A second unit's block copied from the first and its name left as it was: the error says
    which name and which two entries, so the operator knows which block to edit."""
    data = minimal()
    second = {**data["mailboxes"][0], "address": "lpse@tanjungpinang.go.id", "tag_prefix": "LPSE-TPI",
              "imap": {**data["mailboxes"][0]["imap"], "username": "lpse@tanjungpinang.go.id"}}
    data["mailboxes"].append(second)
    with pytest.raises(ConfigError) as failed:
        parse_config(data, tmp_path / "c.yaml")
    assert str(failed.value).startswith("mailboxes[1].name: 'btm' is the name of mailboxes[0] too")


def test_config_is_frozen(tmp_path):
    """Loaded once, never changed."""
    cfg = parse_config(minimal(), tmp_path / "c.yaml")
    with pytest.raises(AttributeError):
        cfg.reopen_days = 3  # type: ignore[misc]


def test_round_trip_of_yaml_dates(tmp_path):
    """extra_holidays given as YAML dates are accepted."""
    path = tmp_path / "c.yaml"
    data = minimal()
    data["calendar"] = {"extra_holidays": ["2026-12-31"]}
    path.write_text(yaml.safe_dump(data).replace("'2026-12-31'", "2026-12-31"))
    assert load_config(path).calendar.extra_holidays == ("2026-12-31",)


# --- operations: systemd paths, credentials, TLS and OAuth2 ---------------


def test_relative_data_paths_follow_state_directory(tmp_path, monkeypatch):
    """Under systemd (StateDirectory=) relative data paths land in $STATE_DIRECTORY."""
    state = tmp_path / "var-lib-mailbot"
    monkeypatch.setenv("STATE_DIRECTORY", f"{state}:/var/lib/other")
    data = minimal() | {"database": "mailbot.db", "archive_dir": "archive", "secret_key_file": "secret.key",
                        "rules_dir": "rules", "templates_dir": "/etc/mailbot/templates"}
    cfg = parse_config(data, tmp_path / "etc" / "config.yaml")
    assert cfg.database == state / "mailbot.db"
    assert cfg.archive_dir == state / "archive"
    assert cfg.secret_key_file == state / "secret.key"
    assert cfg.rules_dir == state / "rules"
    assert cfg.templates_dir == Path("/etc/mailbot/templates")  # absolute stays absolute


def test_relative_data_paths_follow_the_config_folder_without_systemd(tmp_path, monkeypatch):
    """Outside systemd they are relative to the config file's folder."""
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    cfg = parse_config(minimal(), tmp_path / "etc" / "config.yaml")
    assert cfg.database == tmp_path / "etc" / "data" / "mailbot.db"
    assert cfg.secret_key_file == tmp_path / "etc" / "data" / "secret.key"


def test_password_file_from_credentials_directory(tmp_path, monkeypatch):
    """`password_file: ${CREDENTIALS_DIRECTORY}/imap` reads what LoadCredential= put there."""
    creds = tmp_path / "run-credentials-mailbot.service"
    creds.mkdir()
    (creds / "imap").write_text("imap-secret\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    data = minimal()
    imap = data["mailboxes"][0]["imap"]
    del imap["password"]
    imap["password_file"] = "${CREDENTIALS_DIRECTORY}/imap"
    cfg = parse_config(data, tmp_path / "config.yaml")
    assert cfg.mailboxes[0].imap.password.value == "imap-secret"


def test_credentials_directory_unset_says_where_it_comes_from(tmp_path, monkeypatch):
    """Outside the unit the error names the key and explains CREDENTIALS_DIRECTORY."""
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    data = minimal()
    imap = data["mailboxes"][0]["imap"]
    del imap["password"]
    imap["password_file"] = "${CREDENTIALS_DIRECTORY}/imap"
    with pytest.raises(ConfigError) as err:
        parse_config(data, tmp_path / "config.yaml")
    assert str(err.value).startswith("mailboxes[0].imap.password_file: environment variable CREDENTIALS_DIRECTORY")
    assert "LoadCredential" in str(err.value)


def test_auth_mode_off_unquoted_in_yaml_is_mode_off(tmp_path):
    """YAML reads a bare `off` as false; `auth: {mode: off}` still means mode off."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(minimal()) + "auth: {mode: off}\n")
    assert load_config(path).auth.mode == "off"


def test_auth_mode_false_is_not_a_typo_trap_for_true(tmp_path):
    """Only false maps to off; `mode: on` (true) is still an error naming the key."""
    with pytest.raises(ConfigError, match=r"^auth\.mode: expected a non-empty string"):
        parse_config(minimal() | {"auth": {"mode": True}}, tmp_path / "c.yaml")


def test_ca_file_is_read_relative_to_the_config(tmp_path):
    """ca_file names a PEM bundle of the unit's private CA, checked at load."""
    (tmp_path / "unit-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    data = minimal()
    data["mailboxes"][0]["imap"]["ca_file"] = "unit-ca.pem"
    cfg = parse_config(data, tmp_path / "config.yaml")
    assert cfg.mailboxes[0].imap.ca_file == tmp_path / "unit-ca.pem"
    assert cfg.mailboxes[0].smtp.ca_file is None


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"ca_file": "missing.pem"}, "mailboxes[0].imap.ca_file: cannot read"),
        ({"security": "none", "host": "127.0.0.1", "ca_file": "x.pem"}, "mailboxes[0].imap.ca_file: only used with"),
        ({"auth": "xoauth2"}, "mailboxes[0].imap.auth: xoauth2 logs in with a token, not a password"),
        ({"auth": "xoauth2", "password": None, "token_file": "t", "token_command": "x"},
         "mailboxes[0].imap.auth: xoauth2 needs exactly one of token_file, token_command or oauth2"),
        ({"auth": "xoauth2", "password": None, "token_file": "t", "oauth2": {"provider": "generic"}},
         "mailboxes[0].imap.auth: xoauth2 needs exactly one of token_file, token_command or oauth2"),
        ({"oauth2": {"provider": "google"}}, "mailboxes[0].imap.oauth2: only used with auth: xoauth2"),
        ({"auth": "xoauth2", "password": None}, "mailboxes[0].imap.auth: xoauth2 needs exactly one"),
        ({"token_file": "t"}, "mailboxes[0].imap.token_file: only used with auth: xoauth2"),
        ({"auth": "oauth"}, "mailboxes[0].imap.auth: 'oauth' is not one of password, xoauth2"),
    ],
)
def test_bad_tls_and_login_settings_name_the_key(tmp_path, server, message):
    """Every TLS or login mistake stops start-up naming the key."""
    data = minimal()
    data["mailboxes"][0]["imap"].update(server)
    with pytest.raises(ConfigError) as err:
        parse_config(data, tmp_path / "config.yaml")
    assert str(err.value).startswith(message)


def test_xoauth2_with_token_file_or_command(tmp_path):
    """Microsoft 365: auth xoauth2 with a token file, or a command that prints the token."""
    data = minimal()
    data["mailboxes"][0]["imap"].update(auth="xoauth2", password=None, token_file="m365.token")
    data["smtp"] = {"host": "smtp.office365.com", "port": 587, "security": "starttls",
                    "username": "lpse@batam.go.id", "auth": "xoauth2",
                    "token_command": "/usr/local/bin/m365-token --tenant 'Kota Batam'"}
    cfg = parse_config(data, tmp_path / "config.yaml")
    box = cfg.mailboxes[0]
    assert box.imap.auth == "xoauth2" and box.imap.token_file == tmp_path / "m365.token"
    assert box.smtp.token_command == ("/usr/local/bin/m365-token", "--tenant", "Kota Batam")
    assert box.smtp.token_file is None and box.smtp.password is None


def test_example_config_for_production_is_valid(tmp_path, monkeypatch):
    """config.example.yaml (what scripts/install puts in /etc/mailbot) loads under systemd's variables."""
    state, creds = tmp_path / "var-lib-mailbot", tmp_path / "credentials"
    creds.mkdir()
    (creds / "imap").write_text("imap-secret\n")
    (creds / "smtp").write_text("smtp-secret\n")
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    (tmp_path / "config.yaml").write_text((ROOT / "config.example.yaml").read_text())
    cfg = load_config(tmp_path / "config.yaml")
    assert (cfg.database, cfg.archive_dir, cfg.secret_key_file) == (
        state / "mailbot.db", state / "archive", state / "secret.key")
    box = cfg.mailboxes[0]
    assert box.imap.password.value == "imap-secret" and box.smtp.password.value == "smtp-secret"
    assert box.imap.security == "ssl" and box.smtp.security == "starttls" and box.imap.ca_file is None
    assert cfg.log.format == "json" and cfg.auth.mode == "token"


@pytest.mark.parametrize("value", [["rahasia", "lain"], {"value": "rahasia"}, True])
def test_a_password_that_is_not_a_string_is_refused(tmp_path, value):
    """A YAML list or mapping under `password:` is no password: it was turned into the text
    "['rahasia', 'lain']" and the login failed later, far from the mistake."""
    data = minimal()
    data["mailboxes"][0]["imap"]["password"] = value
    with pytest.raises(ConfigError, match=r"imap\.password: give the password as a quoted string"):
        parse_config(data, tmp_path / "config.yaml")
    data["mailboxes"][0]["imap"]["password"] = 12345678  # digits only: what the operator typed
    assert parse_config(data, tmp_path / "config.yaml").mailboxes[0].imap.password.value == "12345678"


@pytest.mark.parametrize("typed", ["01234567", "0777", "12:30", "1_000", "1e5", "0x1F", "yes", "off"])
def test_a_bare_password_is_the_text_typed_not_a_yaml_number(tmp_path, typed):
    """`password: 01234567` written without quotes: YAML 1.1 reads it as the octal number
    342391 (`12:30` as 750, `1_000` as 1000), and the server refused a password the operator
    never typed. The password is what stands in the file."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "smtp:\n"
        "  host: 127.0.0.1\n"
        "  security: none\n"
        "  username: lpse@batam.go.id\n"
        f"  password: {typed}\n"
        "mailboxes:\n"
        "  - address: lpse@batam.go.id\n"
        "    imap: {host: imap.batam.go.id, username: lpse@batam.go.id, password: " + typed + "}\n"
        "    staff: [helpdesk1@batam.go.id]\n")
    cfg = load_config(path)
    assert cfg.mailboxes[0].imap.password is not None and cfg.mailboxes[0].imap.password.value == typed
    assert cfg.smtp is not None and cfg.smtp.password is not None and cfg.smtp.password.value == typed


def test_the_imap_login_defaults_to_the_mailbox_address(tmp_path):
    """An IMAP server always wants a login: without `username:` it is the mailbox's address
    (with a password or an XOAUTH2 token); the global SMTP block has no address to default to."""
    data = minimal()
    del data["mailboxes"][0]["imap"]["username"]
    assert parse_config(data, tmp_path / "config.yaml").mailboxes[0].imap.username == "lpse@batam.go.id"
    data["mailboxes"][0]["imap"].update(auth="xoauth2", password=None, token_file="t")
    assert parse_config(data, tmp_path / "config.yaml").mailboxes[0].imap.username == "lpse@batam.go.id"
    data["smtp"].update(auth="xoauth2", token_file="t", host="smtp.batam.go.id", security="starttls")
    with pytest.raises(ConfigError, match=r"^smtp\.username: required with auth: xoauth2"):
        parse_config(data, tmp_path / "config.yaml")


@pytest.mark.parametrize("secret", [{"password": "Rahasia-Smtp-2026"}, {"password_file": "smtp.pass"}])
def test_an_smtp_password_without_a_username_names_the_missing_key(tmp_path, secret):
    """`smtp: {host, port: 587, security: starttls, password: ...}` with the username forgotten:
    mailbot never logged in, `check` printed "SMTP ... ok (starttls)" and the unit's submission
    server refused every mail (530 authentication required) once the daemon ran."""
    (tmp_path / "smtp.pass").write_text("Rahasia-Smtp-2026\n")
    data = minimal()
    data["smtp"] = {"host": "smtp.batam.go.id", "port": 587, "security": "starttls", **secret}
    with pytest.raises(ConfigError) as err:
        parse_config(data, tmp_path / "config.yaml")
    assert str(err.value).startswith("smtp.username: required with a password")
    assert "Rahasia" not in str(err.value)


@pytest.mark.parametrize(("value", "said"), [
    ("", "smtp.password: empty: give the password"),
    ("${MAILBOT_TEST_EMPTY_PW}", "smtp.password: environment variable MAILBOT_TEST_EMPTY_PW is empty"),
])
def test_an_empty_password_names_the_key_not_a_refused_login(tmp_path, monkeypatch, value, said):
    """`password: "${MAILBOT_SMTP_PASSWORD}"` with the variable set to nothing (an
    `Environment=` line left blank, an EnvironmentFile with `MAILBOT_SMTP_PASSWORD=`), or an
    empty quoted password: `check` said the server refused the login (77), as for a wrong
    password. An empty password file is refused by name (78); so are these."""
    monkeypatch.setenv("MAILBOT_TEST_EMPTY_PW", "")
    data = minimal()
    data["smtp"].update(username="lpse@batam.go.id", password=value)
    with pytest.raises(ConfigError) as err:
        parse_config(data, tmp_path / "config.yaml")
    assert str(err.value).startswith(said)


def test_a_mailbox_written_without_its_dash_is_named_as_such(tmp_path):
    """`mailboxes:` followed by `name: btm` ... without the `- `: YAML reads one mapping, and
    the operator who wrote a whole mailbox was told "at least one mailbox is required"."""
    path = tmp_path / "config.yaml"
    path.write_text("smtp: {host: 127.0.0.1, port: 2525, security: none}\n"
                    "mailboxes:\n"
                    "  name: btm\n"
                    "  address: lpse@batam.go.id\n"
                    "  imap: {host: imap.batam.go.id, password: x}\n"
                    "  staff: [helpdesk1@batam.go.id]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith("mailboxes: expected a list of mailboxes") and "'- '" in str(err.value)


@pytest.mark.parametrize("value", ["", "${MAILBOT_TEST_EMPTY_PW}"])
def test_an_empty_password_without_a_username_is_no_login_as_before(tmp_path, monkeypatch, value):
    """A unit that sends through the server's own relay on loopback, which takes mail without
    AUTH: `smtp: {host: 127.0.0.1, port: 25, security: none, username: null, password: ""}`, or
    `password: "${MAILBOT_SMTP_PASSWORD}"` kept from config.example.yaml with the variable left
    blank. It started and sent before; it was refused at start-up (exit 78, "give the
    password"), though with no login name there is nothing to give a password for. With a
    username an empty password is still refused by name."""
    monkeypatch.setenv("MAILBOT_TEST_EMPTY_PW", "")
    data = minimal()
    data["smtp"] = {"host": "127.0.0.1", "port": 25, "security": "none", "username": None, "password": value}
    cfg = parse_config(data, tmp_path / "config.yaml")
    assert (cfg.smtp.username, cfg.smtp.password) == (None, None)
    data["mailboxes"][0]["imap"]["password"] = value  # an IMAP login (the address by default) needs one
    with pytest.raises(ConfigError, match=r"^mailboxes\[0\]\.imap\.password: "):
        parse_config(data, tmp_path / "config.yaml")
