"""Late review: regressions of 9fd4386..HEAD, each proved by running it."""

from __future__ import annotations


def test_head_general_remark_with_a_count_is_not_a_ticket_recommendation(fresh_mailboxes, tmp_path):
    """'Mohon semua tiket 1 minggu terakhir dicek' is general direction about no one ticket;
    the short form reads it as ticket 1 (this year's 2026-00001). Nothing reaches the
    requester either way (SPEC: direction is internal)."""
    from tests.test_ladder import HEAD
    from tests.test_ladder_mail_redteam import (
        at,
        deliver,
        events,
        kinds_in,
        latest,
        open_ticket,
        outlook,
        sweep,
        the_ticket,
        write_config,
    )
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    assert ticket.number.endswith("-00001")
    sweep(config, at("2026-11-24T08:05"))
    digest = latest(servers, HEAD, "digest")
    deliver(servers, config, outlook(digest, HEAD, "Mohon semua tiket 1 minggu terakhir dicek ulang.\n\nKepala"))
    assert kinds_in(servers, "budi@vendor.test") == ["ack"]
    assert "recommendation" not in [k for k, _ in events(config, ticket)]
