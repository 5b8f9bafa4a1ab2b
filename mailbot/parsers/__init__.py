"""Everything that reads received mail: MIME, quoted replies, automatic mail, names.

The daemon calls `parse_message` once per message at the edge; nothing downstream
touches `email.message.Message` (STYLE, "parse once, at the edge").

`mime` reads a message with the modules of its steps (`raw_mending`, `raw_structure`,
`lifted_bodies`, `mime_tree`, `part_content`, `attachments`, `bounce_parts`) and the
readers of its fields (`headers`, `charsets`, `names`, `html`, `flowed`, `tnef`);
`quotes` tells the writer's words from quoted history with `reply_headers`,
`header_blocks`, `history`, `signatures`, `reply_blocks`, `our_mail` and the words of
`quote_words`; `auto` recognises automatic mail and bounces, with the words of
`report_words` (whose voice a failure is told in); `authres` reads Authentication-Results.
"""

from mailbot.parsers.auto import automatic_reason, bounce_reason
from mailbot.parsers.html import html_to_text
from mailbot.parsers.mime import content_hash, parse_message, synthetic_message_id
from mailbot.parsers.names import safe_filename
from mailbot.parsers.quotes import is_forward, new_text, strip_reply

__all__ = [
    "automatic_reason",
    "bounce_reason",
    "content_hash",
    "html_to_text",
    "is_forward",
    "new_text",
    "parse_message",
    "safe_filename",
    "strip_reply",
    "synthetic_message_id",
]
