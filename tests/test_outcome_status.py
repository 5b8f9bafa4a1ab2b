"""An outcome's status is a closed type that knows the folder its message goes to."""

from mailbot.flow.pipeline import Status
from mailbot.settings import ImapConfig

IMAP = ImapConfig(host="imap.test", port=993, security="tls", username="u", password=None,
                  processed_folder="Selesai", quarantine_folder="Karantina")


def test_each_status_knows_its_folder():
    assert Status("processed").folder(IMAP) == "Selesai"
    assert Status("duplicate").folder(IMAP) == "Selesai"
    assert Status("quarantined").folder(IMAP) == "Karantina"
    assert Status("unreadable").folder(IMAP) == "Karantina"
    assert Status("deferred").folder(IMAP) is None  # stays in the INBOX for the next pass


def test_the_statuses_are_the_words_the_records_and_replay_say():
    assert sorted(s.value for s in Status) == ["deferred", "duplicate", "processed", "quarantined", "unreadable"]
    assert Status.PROCESSED == "processed"  # replay --json and the arrival rows keep the word
