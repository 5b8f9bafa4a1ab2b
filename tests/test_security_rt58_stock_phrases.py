"""A red team, the costlier way: a person who writes the same words again
is not an autoresponder. Over the suite's Dovecot and SMTP in the default `auth.mode: token`.

"A responder answers every mail of ours with the same words", so a text of eight words or
more that its sender already sent on another ticket in the last 30 days was read as a
responder's. People repeat themselves too: a coordinator answers each case sent for direction
with the unit's stock "Setuju, silakan dieskalasi ke LKPP sesuai SOP yang berlaku." (9
words), a vendor with many tickets confirms each solution with the same thanks. The second
coordinator's answer ended no wait (reminded, the summary counting it unanswered, and the
answer to the reminder, the same words again, no better); the vendor's second "YA 5" closed
nothing and its rating was lost. A canned notice that says nothing the word lists know is a
paragraph, not a line: the same text is a responder's from sixteen words on.
"""

from __future__ import annotations

from tests import mailfactory as mf
from tests.test_flow_direction_waits import MONDAY, REQUESTER, arrive, ask, at, reminders, summary_figures

STOCK = "Setuju, silakan dieskalasi ke LKPP sesuai SOP yang berlaku."  # 9 words
THANKS = "YA 5, terima kasih banyak pak, akun saya sudah bisa dipakai lagi."  # 12 words


def _two_cases(servers, config):  # type: ignore[no-untyped-def]
    for n, subject in enumerate(("Kontrak belum bisa ditandatangani", "Jadwal pembuktian kualifikasi")):
        moment = at(f"{MONDAY}T10:0{n}")
        arrive(servers, config, mf.mail(REQUESTER, subject, f"Mohon bantuan untuk paket 1001234500{n}.",
                                        date=moment)[0], moment)
    return mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")


def test_a_coordinators_stock_direction_on_a_second_case_ends_its_wait(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    for n, notice in enumerate(_two_cases(servers, config)):
        ask(servers, config, notice, "#koordinator", at(f"{MONDAY}T11:0{n}"))
        asked = mf.latest(servers, mf.COORDINATOR, "coordinator_case")
        arrive(servers, config, mf.reply_as_client(asked, mf.COORDINATOR, STOCK)[0], at(f"{MONDAY}T13:0{n}"))
    mf.sweep(config, at("2026-11-24T11:05"))
    assert reminders(servers, mf.COORDINATOR) == []
    assert summary_figures(config, tmp_path) == (2, 2)


def test_a_vendors_usual_thanks_closes_each_solution_with_its_rating(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    for n, notice in enumerate(_two_cases(servers, config)):
        arrive(servers, config, mf.reply_as_client(notice, mf.STAFF[0], f"#selesai\nSudah kami bantu ({n}).")[0],
               at(f"{MONDAY}T11:0{n}"))
        solution = mf.latest(servers, REQUESTER, "resolved")
        arrive(servers, config, mf.reply_as_client(solution, REQUESTER, THANKS)[0], at(f"{MONDAY}T13:0{n}"))
    store = mf.store_of(config)
    try:
        assert sorted((str(t.state), t.rating) for t in store.search.tickets()) == [("closed", 5), ("closed", 5)]
    finally:
        store.close()
