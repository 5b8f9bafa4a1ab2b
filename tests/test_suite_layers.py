"""The test layers: `scripts/test --quick` runs the tests that start no slow
server and a handful of smoke tests over the real Dovecot and SMTP; `scripts/test` alone
runs everything, as CI does. These pin what the quick layer may start and what it holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.localmail import LocalMailError, LocalMailServers

ROOT = Path(__file__).resolve().parents[1]

# One of each kind the issue names: intake and ack over real servers, a staff command,
# an escalation, a report.
SMOKE = {
    "tests/test_flow_core.py::test_requester_mail_becomes_ticket_ack_and_staff_notice",
    "tests/test_flow_core.py::test_staff_command_from_an_outlook_html_reply_acts_and_relays_only_the_answer",
    "tests/test_flow_escalation.py::test_whole_sop_015_path",
    "tests/test_reports_flow.py::test_summary_send_reaches_the_head_with_charts",
}


def test_a_test_not_marked_integration_cannot_start_the_mail_servers(tmp_path: Path) -> None:
    """This test is not marked integration: starting Dovecot from it is refused before
    anything starts, naming the test, so the quick layer never starts it by accident."""
    servers = LocalMailServers(tmp_path, ["lpse@lpse.test"])
    with pytest.raises(LocalMailError, match="test_suite_layers.py::test_a_test_not_marked.*not marked integration"):
        servers.start()
    assert servers.dovecot_pid is None
    assert not (tmp_path / "dovecot.conf").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.integration  # collects the whole suite in another pytest
def test_the_quick_layer_runs_exactly_the_smoke_tests_over_the_servers() -> None:
    """Of the tests that need the servers, `-m "not integration or smoke"` keeps the four
    smoke tests; each of them is an integration test (it starts the real servers)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "integration and smoke"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    collected = {line for line in listed.splitlines() if "::" in line}
    assert collected == SMOKE


# The fixtures that start a server: the mail servers and the private PostgreSQL cluster
# (its tests ran in the quick layer, a cluster started and stopped each run).
SERVER_FIXTURES = {"mailservers", "fresh_mailboxes", "dovecot_installed", "pg_cluster"}


def test_every_test_of_this_run_that_starts_a_server_is_marked_integration(request: pytest.FixtureRequest) -> None:
    """Of the tests this run selected (the whole suite, or the quick layer, where a test so
    marked is left out unless it is a smoke test), each that asks for the mail servers or
    for PostgreSQL, by fixture or as the `postgresql` leg of the engines, is marked
    integration; the quick layer so runs no PostgreSQL test at all."""
    starting = [item for item in request.session.items
                if SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
                or getattr(getattr(item, "callspec", None), "params", {}).get("store_locations") == "postgresql"]
    unmarked = [item.nodeid for item in starting if item.get_closest_marker("integration") is None]
    assert unmarked == []
    quick = request.config.getoption("markexpr") == "not integration or smoke"
    if quick:
        assert {item.nodeid for item in starting} <= SMOKE
