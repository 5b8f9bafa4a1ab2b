"""A red team (seed 004 section 1 steps 7-8; SPEC 6 `coordinator_direction`,
SPEC 9): only the head's own word ends the head's wait. Over the suite's Dovecot and SMTP in
the default `auth.mode: token`, mail read back over IMAP.

The head oversees how staff handle the case reported to them. The one reminder of that
request went to the head with staff in copy, one mail under one Message-ID signed for both,
so every staff member held a Message-ID that proves the head (SPEC 9: a Message-ID proves
what its least trusted recipient could not write). A staff member who answered it under the
head's address ("Setuju.") ended the head's wait, and the monthly summary counted the head's
answer. Staff are still told, by a copy of their own; the head's own answer to the reminder
still ends the wait, and the forgery is an `unverified` note the coordinators hear of.

A small unit lists its head among the coordinators too. The head's reminder then carried the
coordinators' letter alone (an address's roles were read as the first list it is on, unless
it was staff), and the head's answer to it ended the coordinators' wait, not the head's: the
summary counted the head's request unanswered.
"""

from __future__ import annotations

import yaml

from tests import mailfactory as mf
from tests.test_flow_direction_waits import (  # noqa: F401
    MONDAY,
    REQUESTER,
    arrive,
    ask,
    at,
    case,
    reminders,
    summary_figures,
)


def _reminded(servers, config, notice):  # type: ignore[no-untyped-def]
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    mf.sweep(config, at("2026-11-24T10:05"))
    [to_head] = mf.of_kind(mf.inbox(servers, mf.HEAD), "direction_reminder")
    [to_staff] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "direction_reminder")
    return to_head, to_staff


def test_a_staff_member_who_answers_the_reminder_as_the_head_ends_no_wait(case, tmp_path):  # noqa: F811
    servers, config, notice = case
    _, to_staff = _reminded(servers, config, notice)
    forged = mf.reply_as_client(to_staff, mf.HEAD, "Setuju, kasus ini sudah saya pantau.")[0]
    arrive(servers, config, forged, at("2026-11-24T11:00"))
    assert summary_figures(config, tmp_path) == (1, 0)
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "unverified")  # the forgery is told


def test_the_heads_own_answer_to_the_reminder_still_ends_the_wait(case, tmp_path):  # noqa: F811
    servers, config, notice = case
    to_head, to_staff = _reminded(servers, config, notice)
    assert to_head["Message-ID"] != to_staff["Message-ID"]  # staff are told by a copy of their own
    arrive(servers, config, mf.reply_as_client(to_head, mf.HEAD, "Setuju, lanjutkan eskalasi.")[0],
           at("2026-11-24T11:00"))
    assert "lanjutkan eskalasi" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert summary_figures(config, tmp_path) == (1, 1)


def test_a_head_who_is_also_a_coordinator_ends_the_heads_wait_by_answering_the_reminder(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    data = mf.config_data(servers, tmp_path, timezone="Asia/Jakarta")
    data["mailboxes"][0]["coordinators"] = [mf.COORDINATOR, mf.HEAD]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    monday = at(f"{MONDAY}T10:00")
    arrive(servers, config, mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani", "Adendum tidak bisa diunggah.",
                                    date=monday)[0], monday)
    ask(servers, config, mf.latest(servers, mf.STAFF[0], "staff_new"), "#lapor-kepala", monday)
    mf.sweep(config, at("2026-11-24T10:05"))
    [reminder] = reminders(servers, mf.HEAD)
    arrive(servers, config, mf.reply_as_client(reminder, mf.HEAD, "Setuju, lanjutkan eskalasi.")[0],
           at("2026-11-24T11:00"))
    assert summary_figures(config, tmp_path) == (1, 1)
