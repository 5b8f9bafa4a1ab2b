"""Attacks 1 and 2, pure layer: a time budget that no library can swallow, and
decoders (TNEF, HTML, nested messages) with their own caps on work and size."""

from __future__ import annotations

import signal
import time

import pytest

from mailbot.errors import RefusedMessageError
from mailbot.flow.pipeline import MessageTimeout, time_budget
from mailbot.parsers.html import html_to_text
from mailbot.parsers.mime import parse_message
from tests import hostile


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_budget_is_not_swallowed_by_a_broad_except_exception():
    """The TNEF wrapper's `except Exception` swallowed the budget's exception and its second
    stream then decoded with no budget at all (143 s): the budget must still end the work."""
    started = time.monotonic()
    with pytest.raises(MessageTimeout), time_budget(0.3):
        try:
            _spin(5)
        except Exception:  # noqa: BLE001, S110 - what a library does
            pass
        _spin(5)
    assert time.monotonic() - started < 1.5


def test_the_budget_fires_again_after_code_that_swallows_even_base_exceptions():
    started = time.monotonic()
    with pytest.raises(MessageTimeout), time_budget(0.3):
        try:
            _spin(5)
        except BaseException:  # noqa: BLE001, S110 - the worst a library can do, once
            pass
        _spin(5)
    assert time.monotonic() - started < 1.5


def test_the_budget_leaves_no_alarm_behind():
    before = signal.getsignal(signal.SIGALRM)
    with time_budget(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(MessageTimeout), time_budget(0.2):
        _spin(2)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    _spin(0.6)  # nothing fires after the block


@pytest.mark.parametrize("counts", [(300_000, 200_000), (900_000,)])
def test_a_winmail_dat_padded_with_one_byte_attributes_is_refused_as_too_complex(counts):
    with pytest.raises(RefusedMessageError) as refused:
        parse_message(hostile.tnef_mail(*counts))
    assert refused.value.notice == "too_complex"
    assert "TNEF" in str(refused.value)


def test_a_winmail_dat_with_thousands_of_attributes_is_still_opened():
    """Below the cap a winmail.dat is opened as before: the file inside is the attachment."""
    msg = parse_message(hostile.tnef_mail(4_900))
    assert [a.filename for a in msg.attachments] == ["panduan.pdf"]


def test_a_winmail_dat_nesting_many_streams_is_refused():
    with pytest.raises(RefusedMessageError) as refused:
        parse_message(hostile.nested_tnef_mail(20))
    assert refused.value.notice == "too_complex"


def test_a_mapi_block_claiming_four_billion_properties_is_refused():
    with pytest.raises(RefusedMessageError) as refused:
        parse_message(hostile.many_mapi_properties_mail())
    assert refused.value.notice == "too_complex"


def test_an_html_body_over_four_million_characters_is_refused_before_it_is_parsed():
    with pytest.raises(RefusedMessageError) as refused:
        parse_message(hostile.unclosed_tags_mail(4))
    assert refused.value.notice == "too_complex"
    assert "HTML body of" in str(refused.value)


def test_markup_that_never_closes_is_read_as_text():
    """`<a <b <i ` with no `>` anywhere: the standard parser rescanned the rest of the body
    for each `<` (10 s for 40 KB); now each is text, and the rest of the body is still read."""
    assert html_to_text("<p>Halo</p><a <b <i ") == "Halo\n\n<a <b <i"
    assert html_to_text("<p>Halo</p><!-- tidak ditutup <b>tebal</b>") == "Halo\n\n<!-- tidak ditutup tebal"
    assert html_to_text("<p>a</p><!-- catatan --><p>b</p>") == "a\n\nb"


def test_forwarded_messages_nested_deeper_than_the_cap_are_refused():
    with pytest.raises(RefusedMessageError) as refused:
        parse_message(hostile.nested_rfc822_mail(200))
    assert refused.value.notice == "too_complex"
