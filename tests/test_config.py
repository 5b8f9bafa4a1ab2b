"""Configuration loading and validation (SPEC section 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mailbot.config import load_config, parse_config
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
    data["smtp"]["password"] = "${SMTP_PW}"
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


def test_invalid_yaml(tmp_path):
    """Broken YAML is a ConfigError, not a traceback."""
    path = tmp_path / "c.yaml"
    path.write_text("mailboxes: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


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
