"""The pure parts of the audit: UIDPLUS COPYUID answers read into where each
message went (RFC 4315 section 3), how a finding is named, where the next audit starts."""

from __future__ import annotations

from mailbot.core.audit import ARCHIVE_MISSING, UNRECORDED, Finding, pinned
from mailbot.io.imap import Placed, copyuid, head_of, uid_set


def test_copyuid_maps_each_source_uid_to_its_uid_in_the_target_folder():
    """RFC 4315's example: "COPYUID 38505 304,319:320 3956:3958"."""
    assert copyuid([b"38505 304,319:320 3956:3958"]) == Placed(38505, {304: 3956, 319: 3957, 320: 3958})


def test_copyuid_of_a_move_split_into_several_answers_is_merged():
    """Dovecot answers a large MOVE with several untagged OK [COPYUID ...]."""
    found = copyuid([b"7 1:2 10:11", b"7 5 12"])
    assert found == Placed(7, {1: 10, 2: 11, 5: 12})


def test_a_copyuid_answer_that_does_not_add_up_is_ignored():
    assert copyuid([b"7 1:3 10:11", b"garbage", b"x 1 2"]) == Placed(None, {})
    assert copyuid([]) == Placed(None, {})


def test_uid_sets_with_ranges_either_way():
    assert uid_set("4:6,9") == [4, 5, 6, 9]
    assert uid_set("6:4") == [4, 5, 6]


def test_a_header_block_names_the_message_as_a_mail_client_shows_it():
    head = head_of(12, b"Message-ID: <abc@vendor.test>\r\nFrom: =?utf-8?q?Sari_W?= <sari@dinas.test>\r\n"
                       b"Subject: =?utf-8?b?SmFkd2FsIHRlbmRlcg==?=\r\nDate: Tue, 24 Nov 2026 09:00:00 +0700\r\n\r\n",
                   None)
    assert (head.uid, head.message_id, head.subject) == (12, "abc@vendor.test", "Jadwal tender")
    assert head.sender == "Sari W <sari@dinas.test>" and head.date == "Tue, 24 Nov 2026 09:00:00 +0700"
    assert head_of(3, b"Subject: x\r\n\r\n", None).message_id is None


def test_a_finding_line_names_folder_uid_message_id_date_sender_and_subject():
    line = Finding(UNRECORDED, "Processed", 41, 99, "m-1@vendor.test", "Tue, 24 Nov 2026 09:00:00 +0700",
                   "budi@vendor.test", 'Akun "terkunci"\nlagi').line()
    assert line == ('unrecorded: Processed UID 41 Message-ID <m-1@vendor.test> date Tue, 24 Nov 2026 09:00:00 +0700 '
                    "from budi@vendor.test subject \"Akun 'terkunci' lagi\"")
    missing = Finding(ARCHIVE_MISSING, message_id="m-2@x", path="t/in/2026/11/ab.eml").line()
    assert missing.startswith("archive missing: record Message-ID <m-2@x>") and "t/in/2026/11/ab.eml" in missing


def test_the_same_finding_has_the_same_key_in_two_audits():
    a = Finding(UNRECORDED, "Processed", 41, 99, "m@x", "d1", "s", "subject")
    b = Finding(UNRECORDED, "Processed", 41, 99, "m@x", "d1", "s", "subject", repaired=True)
    assert a.key == b.key and a.key != Finding(UNRECORDED, "Processed", 42, 99).key


def test_the_next_audit_starts_before_the_first_message_still_unrecorded():
    assert pinned(10, [11, 12, 15], []) == 15
    assert pinned(10, [11, 12, 15], [12, 15]) == 11
    assert pinned(10, [], []) == 10
