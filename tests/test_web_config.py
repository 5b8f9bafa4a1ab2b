"""SPEC 12 and 13: the `web:` block. Absent, there is no window and no link in mail; present,
its keys have the SPEC's defaults, and a bad value stops start-up naming the key."""

from __future__ import annotations

import pytest

from mailbot.config import parse_config
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
