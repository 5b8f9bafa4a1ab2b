"""How a requester's answer to a solution is read (SPEC E4; SOP-002 step 12). Pure.

People answer as they talk: a greeting first ("Siang pak, sudah bisa"), thanks on one
line and the real answer on the next ("Terima kasih pak," + "namun masih belum bisa"),
a rating anywhere, a signature below. The first line that says more than a greeting
decides by the closing rules; the lines after it, up to a sign-off, a signature or a
disclaimer, may still reject.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mailbot.core.greetings import only_greets, rests_after_greeting
from mailbot.core.identity import is_signature
from mailbot.core.lifecycle import Event
from mailbot.model import InboundMessage

if TYPE_CHECKING:
    from mailbot.rules import Rules

# The short answer ends at a sign-off ("Salam,", "Hormat saya", "Regards", "--") or a
# disclaimer; its later lines may only reject ("Terima kasih" + "namun masih belum bisa").
_SIGN_OFF = re.compile(
    r"^\W*(?:salam(?:\s+hormat|\s+sejahtera)?|hormat\s+(?:saya|kami)|wass?alam\w*(?:\W+alaikum)?(?:\W+wr\W*wb)?|"
    r"(?:best\s+|kind\s+|warm\s+|warmest\s+)?regards|best|cheers|sincerely|thanks\s+(?:and|&)\s+regards|ttd)\W*$"
    r"|^\s*(?:--+|__+|==+)\s*$",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"disclaimer|confidential|rahasia|privileged|intended (?:only |solely )?for|intended recipient|"
    r"notify the sender|penerima yang (?:dituju|berhak|dimaksud)|(?:beri ?tahu|hubungi|informasikan)\w* "
    r"(?:kepada )?pengirim|dilarang (?:menyebarkan|mengungkapkan|menggunakan|menyalin)|"
    r"consider the environment|before (?:you )?print|sebelum mencetak",
    re.IGNORECASE,
)
_ANSWER_LINES = 5  # lines after the first that the short answer holds, at most
_LONE_NUMBER = re.compile(r"^\W*\d{1,2}\W*$")  # "5" on a line of its own: a rating
_RATING_WORD = re.compile(r"\b(nilai|rating|rate|skor|score|bintang|stars?)\b|/ ?5\b|\bdari 5\b", re.IGNORECASE)
# A yes that confirms by its first word alone, whatever follows ("Ya pak, ...", "OK, ..."):
# on a closed ticket what follows it must say nothing more
_YES_WORD = re.compile(
    r"^\W*(?:ya+|iya+|yoi|yup|y|yes|yep|yeah|ok|oke+|okeh|okey|okay|siap|baik|sip+|setuju|benar|betul|beres|mantap|"
    r"mantul|tutup|selesai|close|closed|done|confirm|confirmed|agree|agreed|perfect|great)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?<=[,.;!])\s+")
# Thanks first, then the answer in its own clause: "Terima kasih, berhasil", "Makasih pak,
# sdh ok", "Thanks, it works now"; what follows the thanks decides
_THANKS_FIRST = re.compile(
    r"^\W*(?:terima ?kasih|terimakasih|trima ?kasih|trimakasih|makasih|makasi|mksh|trims|tks|thx|tq|ty"
    r"|thanks?(?: you| u)?)(?: (?:banyak|sekali|ya|yaa|so much|very much|a lot))*"
    r"(?: (?:pak|bu|bapak|ibu|mas|mbak|mba|kak|min|gan|admin|sir|madam))?\s*[,.;!:-]+\s*(?P<rest>\w.*)$",
    re.IGNORECASE,
)
# A postscript below the sign-off and the name, where a requester adds what is wrong now
_POSTSCRIPT = re.compile(r"^\W*(?:n\.?\s?b\.?|p\.?\s?s\.?|catatan|tambahan|oh ya|satu lagi|btw|by the way)\b\W",
                         re.IGNORECASE)
# What else a late thanks says, whole clause by clause: it is noted ("Ok noted", "Baik,
# dimengerti", "sudah saya terima"), it helped ("sangat membantu"), good wishes ("semoga
# sukses selalu"), thanks for something ("terima kasih atas informasinya"), an apology
# for the trouble; a form of address may follow ("noted pak")
_COURTESY = re.compile(
    r"^\W*(?:(?:(?:sudah|sdh|udah|telah) )?(?:(?:saya|sy|kami) )?(?:di)?(?:terima|catat|pahami|mengerti)"
    r"|noted|paham|understood|(?:well )?received|(?:siap )?laksanakan"
    r"|(?:sangat|sungguh|cukup|sgt) (?:membantu|jelas|bermanfaat)|(?:very )?helpful|mantap\w*|luar biasa"
    r"|(?:semoga |moga )?(?:(?:sehat|sukses|lancar|berkah)(?: dan | & )?){1,3} (?:selalu|terus)"
    r"|(?:terima ?kasih|terimakasih|makasih|trims|thanks?(?: you)?)(?: banyak| sekali)* (?:atas|untuk|for)(?: \w+){1,2}"
    r"|(?:mohon |minta )?maaf (?:sudah |telah )?merepotkan|sorry for the trouble)"
    r"(?: (?:pak|bu|bapak|ibu|mas|mbak|mba|kak|min|gan|ya|yaa))*\W*$",
    re.IGNORECASE,
)


def closing(msg: InboundMessage, rules: Rules, names: tuple[str, ...] = ()) -> tuple[Event, int | None]:
    """SPEC E4: a requester's answer to a solution.

    The first line that is more than a greeting decides, by the closing rules (after a
    greeting on that line, the text that follows it); the `reject` rules also read the
    lines after it up to a sign-off, a signature or a disclaimer ("Terima kasih pak," +
    "namun masih belum bisa"). A rating may stand on any later line ("YA" and then
    "Nilai: 4"). A reply with nothing new (a greeting, a signature, an empty reply) is
    neither confirmation nor rejection: staff are asked; `names` are the requester's
    names the ticket knows, to tell their signature.
    """
    lines = _after_greetings([line for line in msg.new_text.splitlines() if line.strip()], rules)
    if not lines:
        return (Event.REQUESTER_REJECT, None) if msg.attachments else (Event.REQUESTER_SILENT, None)
    signer = " ".join((msg.from_addr.name, *names))
    confirmed, rating = _confirms(lines[0], _short_answer(lines[1:], signer), rules)
    if not confirmed and _only_signed(lines, signer, rules):
        return Event.REQUESTER_SILENT, None  # only a signature: neither yes nor no
    if not confirmed:
        return Event.REQUESTER_REJECT, None
    if rating is None:
        rating = _rating_below(lines[1:], rules)
    return Event.REQUESTER_CONFIRM, rating


def _rating_below(lines: list[str], rules: Rules) -> int | None:
    """A rating on a later line ("YA", then "Nilai: 4"): the first that the rules read as one."""
    for line in lines:
        if _RATING_WORD.search(line) or _LONE_NUMBER.match(line):
            rating = rules.rating(line)
            if rating is not None:
                return rating
    return None


def _only_signed(lines: list[str], signer: str, rules: Rules) -> bool:
    """Whether the reply is only a signature: its shape says so and no line of it says a
    word the closing rules read ("Masih Gagal Upload" above a name is an answer)."""
    return is_signature(lines, signer) and all(rules.closing_verdict(line) is None for line in lines)


def _confirms(first: str, more: tuple[str, ...], rules: Rules) -> tuple[bool, int | None]:
    """`rules.is_confirmation`, and when no rule reads the line at all, the clause after
    leading thanks ("Terima kasih, berhasil"): a reject rule that read it still decides."""
    confirmed, rating = rules.is_confirmation(first, more)
    thanked = _THANKS_FIRST.match(first)
    if confirmed or thanked is None or rules.closing_verdict(first, more) is not None:
        return confirmed, rating
    return rules.is_confirmation(thanked["rest"], more)


def after_closing(msg: InboundMessage, rules: Rules, names: tuple[str, ...] = ()) -> tuple[Event, int | None] | None:
    """SPEC E5 on a closed ticket: a reply that only confirms or thanks ("YA 5" after the
    automatic close, "Terima kasih pak, sudah bisa" to the closing notice) or says nothing new
    (a signature) is no reopening: the event for it, with its rating. None for anything more
    (a rejection, a further line, an attachment): that reopens the ticket or opens a new one."""
    event, rating = closing(msg, rules, names)
    if event is Event.REQUESTER_SILENT:
        return event, None
    if event is not Event.REQUESTER_CONFIRM or msg.attachments:
        return None
    lines = _after_greetings([line for line in msg.new_text.splitlines() if line.strip()], rules)
    signer = " ".join((msg.from_addr.name, *names))
    said = (lines[0], *_short_answer(lines[1:], signer))
    if any(_POSTSCRIPT.match(line) for line in lines[1:]):  # "NB: sekarang tidak bisa login lagi" under the name
        return None
    return (Event.REQUESTER_LATE_CONFIRM, rating) if all(_nothing_more(line, rules) for line in said) else None


def _nothing_more(text: str, rules: Rules) -> bool:
    """Whether a line only confirms, thanks, rates or greets, clause by clause: "Terima kasih
    pak, sudah bisa" does; "Ya pak, akun saya terkunci lagi" goes on to a new problem."""
    clauses = _clauses(text)
    if len(clauses) > 1:
        return all(_nothing_more(clause, rules) for clause in clauses)
    if not clauses or only_greets(clauses[0]) or _courtesy(text):
        return True
    if not rules.is_confirmation(text)[0]:
        return any(_nothing_more(rest, rules) for rest in rests_after_greeting(text)[:1] if rest != text)
    return _nothing_after_yes(text, rules)


def _clauses(text: str) -> list[str]:
    """A line's clauses, split after a comma or a full stop ("Terima kasih pak, sudah bisa"), trimmed."""
    return [c.strip() for c in _CLAUSE.split(text) if c.strip(" \t,.;!")]


def _courtesy(text: str) -> bool:
    """A courtesy ("Ok noted", "sangat membantu") or a rating: nothing more by itself."""
    return bool(_COURTESY.match(text) or _RATING_WORD.search(text) or _LONE_NUMBER.match(text))


def _nothing_after_yes(text: str, rules: Rules) -> bool:
    """A confirmation says nothing more unless it is a yes by its first word with more after it."""
    yes = _YES_WORD.match(text)
    return yes is None or _nothing_more(text[yes.end():].strip(" \t,.;!:-"), rules)


def _after_greetings(lines: list[str], rules: Rules) -> list[str]:
    """The lines from the first that says more than a greeting, that one without it.

    A greeting may be followed by a name ("Pak Andi,"); of the readings of a line, the
    shortest greeting whose rest a closing rule reads wins ("Pak, masih error" is "masih
    error", "Pak Andi, sudah bisa" is "sudah bisa").
    """
    lines = list(lines)
    while lines:
        rests = rests_after_greeting(lines[0])
        if not rests:
            return lines
        readable = next((rest for rest in rests if rest and rules.closing_verdict(rest) is not None), None)
        if readable is not None or rests[-1]:
            return [readable if readable is not None else rests[0], *lines[1:]]
        lines.pop(0)  # only greetings and a name
    return lines


def _short_answer(lines: list[str], signer: str) -> tuple[str, ...]:
    """The lines after the first of a short answer: up to a sign-off, a signature or a disclaimer."""
    answer: list[str] = []
    for line in lines[:_ANSWER_LINES]:
        if _SIGN_OFF.match(line) or _DISCLAIMER.search(line):
            break
        if is_signature([line], signer) and ("@" not in line or len(line.split()) <= 3):
            break
        answer.append(line)
    return tuple(answer)
