"""Replies and new mails as eight mail clients write them with their default settings.

Each client lays a reply out its own way: where the cursor is (above or below the quote),
how the attribution line reads and where it stands, how the quote is marked, where the
signature goes. The writer's signature here never has a `-- ` line over it (a signature file
without one, a hand-typed sign-off, Outlook's signature block), which is how the staff guide's
readers sign. What each client writes, from its sources and its users' samples:

* aerc (its `quoted_reply` template, `quote` and `AddSignature`): the body opens on an empty
  line where the cursor stands, then at once "On Mon Nov 23, 2026 at 7:00 AM WIB, NAME
  wrote:", the quote ("> " before each line, ">" for an empty one), an empty line and the
  signature file appended at the bottom. Plain text, no format=flowed.
* Alpine 2.26 (`signature-at-bottom` and `enable-sigdashes` off): the new text, the signature
  under it, then "On Mon, 23 Nov 2026, NAME wrote:", an empty line and the quote;
  format=flowed (`mailfactory.reply_as_alpine`).
* NeoMutt (`attribution_intro` "On %d, %n wrote:" with its `date_format`, `sig_dashes`
  off): the attribution and the quote, the writer's text typed below them, the signature
  file at the bottom.
* Thunderbird (`reply_on_top` 0: the reply below the quote): "On 23/11/26 07.00, NAME
  wrote:", the quote, the new text and the sign-off under it; format=flowed.
* Outlook desktop: HTML with a plain-text alternative; the new text, the signature block,
  then the original under a "From:/Sent:/To:/Subject:" block, unquoted.
* Gmail's web client: HTML with a plain-text alternative; the new text and the sign-off, then
  "On Mon, Nov 23, 2026 at 7:00 AM NAME <ADDRESS>" wrapped before "wrote:", an empty line
  and the quote.
* Zimbra's web client in Indonesian (ZCS 8.8, the webmail of many *.go.id hosts; reply
  "Sertakan pesan asli" with its ">" prefix): the new text and the signature, then
  "----- Pesan Asli -----", a "Dari:/Kepada:/Terkirim:/Perihal:" block, an empty line and
  the quote. Plain text.
* Horde IMP (the webmail of many hosting panels; `attrib_text` "Quoting %f:", which IMP has
  in no Indonesian words): the new text, "Quoting NAME <ADDRESS>:", an empty line, the
  quote, and the signature appended at the bottom under it; format=flowed.

A new mail (a `#telepon` form) is the text with the signature at its bottom, as each client
adds its signature to a new message.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from zoneinfo import ZoneInfo

from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
CLIENTS = ("aerc", "alpine", "neomutt", "thunderbird", "outlook", "gmail", "zimbra", "horde")


def _when(original: EmailMessage) -> datetime:
    return parsedate_to_datetime(str(original["Date"])).astimezone(WIB)


def _display(original: EmailMessage) -> str:
    name = original["From"].addresses[0].display_name  # type: ignore[attr-defined]
    return str(name or original["From"].addresses[0].username)  # type: ignore[attr-defined]


def _address(original: EmailMessage) -> str:
    return str(original["From"].addresses[0].addr_spec)  # type: ignore[attr-defined]


def _quoted(original: EmailMessage, width: int = 0) -> str:
    """The original's text quoted line by line: "> " before a line, ">" alone for an empty one."""
    lines = mf.text_of(original).rstrip("\n").splitlines()
    if width:
        lines = [w for line in lines for w in (textwrap.wrap(line, width) or [""])]
    return "\n".join(f"> {line}".rstrip() if line.strip() else ">" for line in lines)


def _headers(original: EmailMessage, sender: str, name: str, prefix: str, agent: str) -> dict[str, str]:
    mid = str(original["Message-ID"])
    refs = " ".join([*str(original.get("References", "")).split(), mid]) if original.get("References") else mid
    return {"From": f"{name} <{sender}>" if name else sender, "To": mf.UNIT,
            "Subject": prefix + str(original["Subject"]),
            "Date": format_datetime(datetime.now(WIB)),
            "Message-ID": make_msgid(domain=sender.split("@")[1]),
            "In-Reply-To": mid, "References": refs, **({"User-Agent": agent} if agent else {})}


def _plain(heads: dict[str, str], body: str, *, flowed: bool = False) -> bytes:
    msg = EmailMessage()
    for key, value in heads.items():
        msg[key] = value
    msg.set_content(body.replace("\n", "\r\n") if flowed else body, cte="8bit" if flowed else "quoted-printable")
    if flowed:
        msg.set_param("format", "flowed")
    return msg.as_bytes()


def _alternative(heads: dict[str, str], plain: str, html_body: str) -> bytes:
    msg = EmailMessage()
    for key, value in heads.items():
        msg[key] = value
    msg.set_content(plain, cte="quoted-printable")
    msg.add_alternative(html_body, subtype="html", cte="quoted-printable")
    return msg.as_bytes()


def _paragraphs_html(text: str) -> str:
    return "".join(f"<p class=MsoNormal>{html.escape(line) or '&nbsp;'}</p>" for line in text.splitlines())


# --- replies ---------------------------------------------------------------------------------


def aerc(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    when = _when(original)
    header = f"On {when:%a %b} {when.day}, {when:%Y} at {when.hour % 12 or 12}:{when:%M %p} WIB, " \
             f"{_display(original)} wrote:"
    body = f"{text}\n{header}\n{_quoted(original, 72)}\n\n{signature}\n"
    return _plain(_headers(original, sender, name, "Re: ", ""), body)


def alpine(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    return mf.reply_as_alpine(original, sender, text, signature, name=name)


def neomutt(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    when = _when(original)
    header = f"On {when:%a, %b %d, %Y at %I:%M:%S%p} WIB, {_display(original)} wrote:"
    body = f"{header}\n{_quoted(original)}\n\n{text}\n\n{signature}\n"
    return _plain(_headers(original, sender, name, "Re: ", "NeoMutt/20231103"), body)


def thunderbird(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    when = _when(original)
    body = f"On {when:%d/%m/%y %H.%M}, {_display(original)} wrote:\n{_quoted(original)}\n\n{text}\n\n{signature}\n"
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
    return _plain(_headers(original, sender, name, "Re: ", agent), body, flowed=True)


def outlook(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    when = _when(original)
    sent = f"{when:%A, %B} {when.day}, {when:%Y} {when.hour % 12 or 12}:{when:%M %p}"
    block = (f"From: {_display(original)} <{_address(original)}>\nSent: {sent}\n"
             f"To: {name or sender} <{sender}>\nSubject: {original['Subject']}")
    history = mf.text_of(original).rstrip("\n")
    plain = f"{text}\n\n{signature}\n\n{block}\n\n{history}\n"
    markup = (f"<html><body><div class=WordSection1>{_paragraphs_html(text)}<p class=MsoNormal>&nbsp;</p>"
              f"{_paragraphs_html(signature)}<p class=MsoNormal>&nbsp;</p>"
              "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
              f"{_paragraphs_html(block)}</div>{_paragraphs_html(history)}</div></body></html>")
    heads = {**_headers(original, sender, name, "RE: ", ""), "X-Mailer": "Microsoft Outlook 16.0",
             "Thread-Index": "AdtD1Zk3x1Qe0fR2SkqJ8mV0bA=="}
    return _alternative(heads, plain, markup)


def gmail(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    when = _when(original)
    header = (f"On {when:%a, %b} {when.day}, {when:%Y} at {when.hour % 12 or 12}:{when:%M %p} "
              f"{_display(original)} <{_address(original)}> wrote:")
    wrapped = "\n".join(textwrap.wrap(header, 78, break_long_words=False, break_on_hyphens=False))
    plain = f"{text}\n\n{signature}\n\n{wrapped}\n\n{_quoted(original)}\n"
    markup = ('<div dir="ltr">' + "<br>".join(html.escape(line) for line in text.splitlines())
              + "<div><br></div><div>" + "<br>".join(html.escape(line) for line in signature.splitlines())
              + '</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
              + html.escape(header) + '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px '
              '0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
              + "<br>".join(html.escape(line) for line in mf.text_of(original).splitlines())
              + "</blockquote></div>")
    return _alternative(_headers(original, sender, name, "Re: ", ""), plain, markup)


def zimbra_block(original: EmailMessage, sender: str, name: str) -> str:
    """Zimbra's marker and header block over the original, in its Indonesian words."""
    when = _when(original)
    days = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")
    sent = f"{days[when.weekday()]}, {when.day} {months[when.month - 1]} {when.year} {when.hour}:{when:%M:%S}"
    return (f'----- Pesan Asli -----\nDari: "{_display(original)}" <{_address(original)}>\n'
            f'Kepada: "{name or sender.partition("@")[0]}" <{sender}>\nTerkirim: {sent}\n'
            f"Perihal: {original['Subject']}")


def zimbra(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    body = f"{text}\n\n{signature}\n\n{zimbra_block(original, sender, name)}\n\n{_quoted(original)}\n"
    agent = "Zimbra 8.8.15_GA_4581 (ZimbraWebClient - GC120 (Win)/8.8.15_GA_4581)"
    return _plain({**_headers(original, sender, name, "Re: ", ""), "X-Mailer": agent}, body)


def horde(original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    body = f"{text}\n\nQuoting {_display(original)} <{_address(original)}>:\n\n{_quoted(original, 74)}\n\n{signature}\n"
    agent = "Internet Messaging Program (IMP) H5 (6.2.27)"
    return _plain(_headers(original, sender, name, "Re: ", agent), body, flowed=True)


REPLIES: dict[str, Callable[..., bytes]] = {
    "aerc": aerc, "alpine": alpine, "neomutt": neomutt, "thunderbird": thunderbird, "outlook": outlook,
    "gmail": gmail, "zimbra": zimbra, "horde": horde,
}


def reply(client: str, original: EmailMessage, sender: str, text: str, signature: str, *, name: str = "") -> bytes:
    """A reply to `original` as `client` writes it: `text` typed where its cursor stands, `signature`
    (no `-- ` line) where it puts one."""
    return REPLIES[client](original, sender, text, signature, name=name)


# --- new mails -------------------------------------------------------------------------------


def new_mail(client: str, sender: str, subject: str, text: str, signature: str, *, name: str = "") -> bytes:
    """A new mail to the unit as `client` writes it, its signature at the bottom: right under the
    last line typed (aerc and NeoMutt append the signature file to the body, Thunderbird's and
    Gmail's writer signs by hand on the next line), or under an empty line (Alpine, Outlook)."""
    gap = "\n\n" if client in ("alpine", "outlook") else "\n"
    body = f"{text}{gap}{signature}\n"
    heads = {"From": f"{name} <{sender}>" if name else sender, "To": mf.UNIT, "Subject": subject,
             "Date": format_datetime(datetime.now(WIB)), "Message-ID": make_msgid(domain=sender.split("@")[1])}
    if client in ("outlook", "gmail"):
        return _alternative(heads, body, f"<html><body>{_paragraphs_html(body)}</body></html>")
    return _plain(heads, body, flowed=client in ("alpine", "thunderbird"))
