"""SPEC 12 and 13: the `web:` block. Absent, there is no window and no link in mail; present,
its keys have the SPEC's defaults, and a bad value stops start-up naming the key."""

from __future__ import annotations

import pytest

from mailbot.config.load import parse_config
from mailbot.errors import ConfigError
from tests.test_config import minimal


def _web(tmp_path, block):
    return parse_config({**minimal(), "web": block}, tmp_path / "config.yaml").web


def test_no_web_block_no_window(tmp_path):
    assert parse_config(minimal(), tmp_path / "config.yaml").web is None


def test_the_defaults_are_the_specs(tmp_path):
    """SPEC 12: listen 127.0.0.1:8025 (behind the reverse proxy), status_link_days 30, no url."""
    web = _web(tmp_path, {})
    assert (web.host, web.port, web.url, web.status_link_days) == ("127.0.0.1", 8025, None, 30)
    assert web.listen == "127.0.0.1:8025"


def test_the_specs_example_block(tmp_path):
    web = _web(tmp_path, {"listen": "127.0.0.1:8025", "url": "https://helpdesk.lpse.batam.go.id/",
                          "status_link_days": 30})
    assert web.url == "https://helpdesk.lpse.batam.go.id/"


@pytest.mark.parametrize(("url", "kept"), [
    ("https://helpdesk.lpse.batam.go.id", "https://helpdesk.lpse.batam.go.id/"),
    ("https://lpse.batam.go.id/helpdesk", "https://lpse.batam.go.id/helpdesk/"),
    ("http://localhost:8025/", "http://localhost:8025/"),
    ("http://127.0.0.1:8025/", "http://127.0.0.1:8025/"),
])
def test_a_url_ends_in_a_slash_and_links_start_with_it(tmp_path, url, kept):
    assert _web(tmp_path, {"url": url}).url == kept


def test_an_ipv6_listen_address(tmp_path):
    web = _web(tmp_path, {"listen": "[::1]:8080"})
    assert (web.host, web.port, web.listen) == ("::1", 8080, "[::1]:8080")


@pytest.mark.parametrize(("block", "key"), [
    ([], "web"),
    ({"port": 8025}, "web.port"),
    ({"listen": "8025"}, "web.listen"),
    ({"listen": "127.0.0.1:99999"}, "web.listen"),
    ({"listen": "127.0.0.1:http"}, "web.listen"),
    ({"url": "http://helpdesk.lpse.batam.go.id/"}, "web.url"),  # a token in the clear
    ({"url": "ftp://helpdesk.lpse.batam.go.id/"}, "web.url"),
    ({"url": "https://helpdesk.lpse.batam.go.id/?a=1"}, "web.url"),
    ({"url": "https://admin:rahasia@helpdesk.lpse.batam.go.id/"}, "web.url"),
    ({"url": "helpdesk.lpse.batam.go.id"}, "web.url"),
    ({"url": ""}, "web.url"),
    ({"status_link_days": 0}, "web.status_link_days"),
    ({"status_link_days": "30"}, "web.status_link_days"),
    ({"status_link_days": True}, "web.status_link_days"),
    ({"status_link_days": 4000}, "web.status_link_days"),
])
def test_bad_values_name_the_key(tmp_path, block, key):
    with pytest.raises(ConfigError) as caught:
        _web(tmp_path, block)
    assert str(caught.value).startswith(key + ":"), caught.value


# --- the window's own PostgreSQL login (web.database, web.database_password_file) -------------

PG = "postgresql://mailbot@db.lpse.batam.go.id/mailbot"


def _on_postgresql(tmp_path, block):
    return parse_config({**minimal(), "database": PG, "web": block}, tmp_path / "config.yaml")


def test_the_windows_own_role_is_its_alone(tmp_path):
    """The window's role (SELECT alone) beside the daemon's: the daemon keeps `database:`; the
    password file is named, read by `mailbot web` when it opens the store (not at load: the
    daemon's service need not reach the window's credential)."""
    cfg = _on_postgresql(tmp_path, {"database": "postgresql://mailbot_web@db.lpse.batam.go.id/mailbot",
                                    "database_password_file": "credentials/web-database"})
    assert cfg.database_url == PG
    assert cfg.web.database_url == "postgresql://mailbot_web@db.lpse.batam.go.id/mailbot"
    assert cfg.web.database_password_file == tmp_path / "credentials" / "web-database"  # not there: not read yet


def test_without_its_own_role_the_window_uses_the_stores(tmp_path):
    web = _on_postgresql(tmp_path, {}).web
    assert (web.database_url, web.database_password_file) == (None, None)


@pytest.mark.parametrize(("block", "key"), [
    ({"database": "postgresql://mailbot_web:rahasia@db.lpse.batam.go.id/mailbot"}, "web.database"),  # a password
    ({"database": "data/mailbot.db"}, "web.database"),
    ({"database": "mysql://mailbot_web@db/mailbot"}, "web.database"),
    ({"database_password_file": "web.pass"}, "web.database_password_file"),  # whose?
])
def test_bad_own_logins_name_the_key(tmp_path, block, key):
    with pytest.raises(ConfigError) as caught:
        _on_postgresql(tmp_path, block)
    assert str(caught.value).startswith(key + ":"), caught.value


def test_the_windows_own_login_is_refused_beside_a_sqlite_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _web(tmp_path, {"database": "postgresql://mailbot_web@db.lpse.batam.go.id/mailbot"})
    assert str(caught.value).startswith("web.database:"), caught.value
