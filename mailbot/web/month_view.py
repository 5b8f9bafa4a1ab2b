"""The month's summary and its downloads in the window (SPEC 13): the reports' own.

The summary page is `report summary`'s page itself (`reports.outputs.summary_page`: the
same figures, the same charts as data: images), for one mailbox the person belongs to,
made by the worker (`month_worker`) and kept (`month_cache`); `windowed` fits it to a
phone. The recap and the guest book are `report rekap` and `report tamu`'s files, every
cell through `reports/cells.py` as there. The page carries its own inline stylesheet,
which the window's policy allows by its hash alone (`page_policy`): nothing else inline runs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

from mailbot.io.store import Store
from mailbot.reports import outputs
from mailbot.reports.values import Month
from mailbot.settings import Config, MailboxConfig
from mailbot.web.guard import CSP

FORMATS = {"xlsx": (outputs.XLSX_TYPE, "xlsx"), "csv": ("text/csv; charset=utf-8", "csv")}
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
# The report's wide tables (the steps, the recurring problems): not its cards (`<table class=`)
# nor the narrow ones side by side (in `<div class="side">`)
_WIDE_TABLE = re.compile(r'(?<!<div class="side">)<table>.*?</table>', re.DOTALL)
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
BODY = '<body class="report">'  # the window's stylesheet (gaya.css) knows the summary by it


def month_of(text: str | None, now: datetime, cfg: Config) -> Month:
    """The month asked for (YYYY-MM), else the current month in the unit's time zone."""
    try:
        return Month.parse(text or "")
    except ValueError:
        return Month.of(now, cfg.timezone)


def windowed(html: str) -> tuple[str, str]:
    """The report's page as the window serves it, and its policy: sized to the device (the
    viewport meta the standalone file goes without), each wide table in a box of its own that
    scrolls sideways on a phone's width while the page does not (the box takes the keyboard's
    focus, so it scrolls without a mouse too). The report writes these tags itself: no value
    can (every value is escaped)."""
    html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n' + VIEWPORT, 1).replace("<body>", BODY, 1)
    html = _WIDE_TABLE.sub(lambda m: f'<div class="wide" tabindex="0">{m[0]}</div>', html)
    return html, page_policy(html)


def headed(html: str, header: str) -> str:
    """A `windowed` page with the window's header (links, who is signed in, the month asked for) on top."""
    return html.replace(BODY, BODY + "\n" + header, 1)


def page_policy(html: str) -> str:
    """The window's policy, its `style-src` naming the page's own inline styles by hash
    (the template's, never a value: every value is escaped, so none can add a style)."""
    hashes = [_hash(found) for found in (*_STYLE.findall(html), *_STYLE_ATTRIBUTE.findall(html))]
    own = " ".join(f"'sha256-{h}'" for h in dict.fromkeys(hashes))
    extra = " 'unsafe-hashes'" if _STYLE_ATTRIBUTE.search(html) else ""
    return CSP.replace("style-src 'self'", f"style-src 'self' {own}{extra}" if own else "style-src 'self'")


def _hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def report_file(store: Store, cfg: Config, box: MailboxConfig, month: Month, report: str,
                fmt: str) -> tuple[bytes, str, str]:
    """A recap (`rekap`) or guest book (`tamu`) file: its bytes, type and file name."""
    media, suffix = FORMATS[fmt]
    if report == "rekap":
        data = outputs.rekap_file(outputs.rekap_rows(store, cfg, month, box), cfg, month, box, fmt)
    else:
        data = outputs.guestbook_file(store, cfg, month, box, fmt)
    return data, media, f"{report}-{box.name}-{month}.{suffix}"
