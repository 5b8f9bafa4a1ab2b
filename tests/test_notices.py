"""Mail that no message decided is planned in `notices` (the core's `plan`) and only rendered
by `io/compose`: the direct alert about the store itself, which never touches it."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import structlog

from mailbot.core.plan_inputs import Setup
from mailbot.core.worktime import build_calendar
from mailbot.flow.notices import Notifier
from mailbot.io.archive import Archive
from mailbot.io.compose import Composer
from mailbot.io.render import Renderer
from mailbot.io.store import Store
from mailbot.model import AUTO_GENERATED, Audience, Send
from tests.test_lifecycle import BOX, CFG, NOW, RULES


def test_a_detached_alert_goes_to_the_coordinators_and_leaves_the_store_alone(tmp_path):
    store = Store(tmp_path / "mailbot.db")
    composer = Composer(store, Renderer(CFG.templates_dir), Archive(tmp_path / "archive", CFG.limits), b"k" * 32,
                        structlog.get_logger())
    notifier = Notifier(composer, store, {BOX.name: Setup(CFG, BOX, RULES, build_calendar(CFG))})
    alert = Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                 context={"reason": "", "items": [], "alert": "storage_failing", "since": "2026-11-23 08:15",
                          "error": "disk I/O error"})
    row = notifier.detached(BOX, alert, NOW)
    assert (row.kind, row.rcpt, row.audience) == ("system_alert", ("koordinator@lpse.test",), "coordinators")
    sent = message_from_bytes(row.raw)
    assert sent["To"] == "koordinator@lpse.test" and sent["Auto-Submitted"] == "auto-generated"
    assert store.outbox.due_outbox_ids(NOW + timedelta(days=1), (BOX.name,)) == []
    store.close()
