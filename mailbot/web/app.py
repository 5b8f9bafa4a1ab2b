"""The window's routes (SPEC 13): a Starlette application over one read-only store.

`Window` holds what the pages read (the read-only stores, the key, the rules and the
calendar, the kept lateness, the pages' templates, the sign-ins, the months' summaries) and
`build_app` maps paths to it in one table that also says who may see each page (`ROUTES`):
a page for the signed in is handed the person, and asked for without a session it is never
run (the answer is the way to `/masuk`). Every handler is a plain function Starlette runs
in its thread pool, reading through a store of its own while it reads (`Window.reading`),
so no page waits for another's reads; the summaries are made in a process of their own and
kept (`month_cache`). Nothing here writes the store.
"""

from __future__ import annotations

import base64
import inspect
import secrets
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mailbot.core.web_tokens import Signed, form_token, form_valid, session_token, session_verified
from mailbot.core.worktime import build_calendar
from mailbot.io.store import Store
from mailbot.io.words import words
from mailbot.model import Ticket
from mailbot.reports import cells
from mailbot.reports import trend as trend_table
from mailbot.reports.values import Month
from mailbot.rules import load_rules
from mailbot.settings import Config, MailboxConfig
from mailbot.web import desk, month_view, status, ticket_page
from mailbot.web.guard import Guard
from mailbot.web.lateness import Lateness
from mailbot.web.listing import Filters, Reader, export_header, export_rows, page_of
from mailbot.web.month_cache import Kept, Months
from mailbot.web.month_worker import SummaryPage, Trend
from mailbot.web.pages import Pages
from mailbot.web.readers import StorePool, open_store
from mailbot.web.signin import SignIns, boxes_of

BROWSER, SESSION = "mb_browser", "mb_session"
FORM_BYTES = 4096  # the sign-in form is one address: a longer body is refused unread


class Window:
    """What the window's pages read, for one configuration."""

    def __init__(self, cfg: Config, store: Store, key: bytes, *, used_file: Path | None,
                 clock: Callable[[], datetime] | None = None, signins: SignIns | None = None) -> None:
        """`store`: the first of the window's read-only stores (opened by the caller, where a
        wrong config shows at once); more like it are opened as requests come at once."""
        assert cfg.web is not None
        self.cfg = cfg
        self.web = cfg.web
        self.store = store
        self.stores = StorePool(store, lambda: open_store(cfg))
        self.months = Months(cfg, self.stores)
        self.key = key
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rules = load_rules(cfg.rules_dir)
        self.calendar = build_calendar(cfg)
        self.pages = Pages(cfg.language, cfg.templates_dir)
        self.signins = signins or SignIns(cfg, key, used_file)
        self.base = urllib.parse.urlsplit(self.web.url).path if self.web.url else "/"
        self.said = words(self.pages.language, cfg.templates_dir)
        self.lateness = Lateness(self.rules, self.calendar)

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A store of this request's own while it reads (no page waits for another's reads)."""
        with self.stores.borrow() as store:
            yield store

    def close(self) -> None:
        """The stores and the summaries' worker, when the window stops."""
        self.months.close()
        self.stores.close()

    # --- helpers every page uses ---------------------------------------------------------

    def page(self, name: str, status_code: int = 200, person: Signed | None = None, **context: Any) -> HTMLResponse:
        boxes = self.boxes(person) if person is not None else list(self.cfg.mailboxes)
        unit = boxes[0].display_name if len(boxes) == 1 else ""
        html = self.pages.render(name, base=self.base, person=person, unit=unit, **context)
        return HTMLResponse(html, status_code=status_code)

    def reader(self, store: Store) -> Reader:
        """What one request's lists read through its store, as of now."""
        return Reader(store, self.key, self.lateness, self.cfg.timezone, self.said, self.calendar.day_length,
                      self.clock())

    def own_ticket(self, person: Signed, request: Request, store: Store) -> Ticket | None:
        """The ticket the path names, when it is of one of the person's mailboxes."""
        name, number = request.path_params["mailbox"], request.path_params["number"]
        if name not in {b.name for b in self.boxes(person)}:
            return None
        return store.tickets.ticket_by_number(name, number)

    def cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        """A cookie as SPEC 13 asks: Secure, HttpOnly, SameSite (Lax: the link in a mail is a
        navigation from another site, and must carry the browser's cookie to be used)."""
        response.set_cookie(name, value, max_age=max_age, path=self.base, secure=True, httponly=True, samesite="lax")

    def person(self, request: Request) -> Signed | None:
        """Who is signed in on this browser now, when their address still names a mailbox."""
        signed = session_verified(self.key, request.cookies.get(SESSION, ""), request.cookies.get(BROWSER, ""),
                                  self.clock())
        return signed if signed is not None and boxes_of(self.cfg, signed.address) else None

    def boxes(self, person: Signed) -> list[MailboxConfig]:
        return boxes_of(self.cfg, person.address)

    def to_signin(self) -> RedirectResponse:
        return RedirectResponse(self.base + "masuk", status_code=303)


PUBLIC, SIGNED_IN = "anyone", "signed in"  # who may see a page


def build_app(window: Window) -> Starlette:
    """The application: every route of `ROUTES` as its table says who may see it, behind
    `Guard` (headers, the masked access log)."""
    routes = [Route(path, _guarded(window, handler, who), methods=list(methods))
              for path, handler, who, methods in ROUTES]
    app = Starlette(routes=routes)
    app.add_exception_handler(404, lambda r, exc: window.page("not_found.html", 404))
    return Guard(app)  # type: ignore[return-value]


def _guarded(window: Window, handler: Callable[..., Any], who: str) -> Callable[..., Any]:
    """The endpoint of a route: a public handler as it is (async handlers stay async:
    Starlette awaits a partial of one); a signed-in one behind the one sign-in check,
    handed the person it found."""
    if who == PUBLIC:
        return partial(handler, window)
    assert who == SIGNED_IN and not inspect.iscoroutinefunction(handler), handler

    def signed_in(request: Request) -> Response:
        person = window.person(request)
        if person is None:
            return window.to_signin()
        response: Response = handler(window, request, person)
        return response

    return signed_in


# --- signing in -----------------------------------------------------------------------------


def _browser(request: Request) -> tuple[str, bool]:
    """This browser's cookie value, and whether it is new (to be set on the answer)."""
    found = request.cookies.get(BROWSER, "")
    if len(found) == 32 and all(c in "0123456789abcdef" for c in found):
        return found, False
    return secrets.token_hex(16), True


def signin_form(window: Window, request: Request, said: str | None = None, code: int = 200) -> Response:
    browser, new = _browser(request)
    response = window.page("masuk.html", code, form=form_token(window.key, browser), said=said,
                           can_send=window.web.url is not None)
    if new:
        window.cookie(response, BROWSER, browser, None)
    return response


async def signin_request(window: Window, request: Request) -> Response:
    """A link asked for: the same answer for every address; a mail only for a configured one."""
    body = await request.body()
    fields = dict(urllib.parse.parse_qsl(body[:FORM_BYTES].decode("utf-8", "replace")))
    browser = request.cookies.get(BROWSER, "")
    if len(body) > FORM_BYTES or not form_valid(window.key, browser, fields.get("form", "")):
        return signin_form(window, request, "link_unusable", 400)
    client = request.client.host if request.client else "-"
    asked = window.signins.request(fields.get("alamat", "")[:254], browser, client, window.clock())
    response = signin_form(window, request, "link_sent")
    if asked is not None:
        response.background = BackgroundTask(window.signins.mail, asked, window.clock())
    return response


def signin_link(window: Window, request: Request) -> Response:
    browser = request.cookies.get(BROWSER, "")
    now = window.clock()
    signed = window.signins.use(request.path_params["token"], browser, now)
    if signed is None:
        return signin_form(window, request, "link_unusable", 400)
    ends = now + window.calendar.day_length  # SPEC 13: the session lasts a working day
    response = RedirectResponse(window.base, status_code=303)
    window.cookie(response, SESSION, session_token(window.key, signed.address, browser, ends),
                  int(window.calendar.day_length.total_seconds()))
    return response


def signout(window: Window, request: Request) -> Response:
    response = window.to_signin()
    response.delete_cookie(SESSION, path=window.base, secure=True, httponly=True, samesite="lax")
    return response


# --- the pages of the signed in ------------------------------------------------------------


def overview(window: Window, request: Request, person: Signed) -> Response:
    boxes = window.boxes(person)
    filters = Filters.of(request.query_params, boxes)
    with window.reading() as store:
        context = desk.overview(window.reader(store), boxes, filters)
    return window.page("overview.html", person=person, **context)


def list_file(window: Window, request: Request, person: Signed) -> Response:
    """The filtered list as CSV or XLSX, every cell through the reports' cells."""
    fmt = request.path_params["fmt"]
    if fmt not in month_view.FORMATS:
        return window.page("not_found.html", 404, person=person)
    boxes = window.boxes(person)
    with window.reading() as store:
        reader = window.reader(store)
        rows = export_rows(reader, boxes, Filters.of(request.query_params, boxes), window.pages.words)
    header, widths = export_header(window.pages.words)
    title = f"{window.pages.words['web']['tickets']} – {' / '.join(b.display_name for b in boxes)}"
    data = cells.xlsx_table(title, "Tiket", header, widths, rows) if fmt == "xlsx" else cells.csv_file(header, rows)
    name = f"tiket-{reader.now.astimezone(window.cfg.timezone):%Y-%m-%d}.{fmt}"
    return Response(data, media_type=month_view.FORMATS[fmt][0],
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def staff_page(window: Window, request: Request, person: Signed) -> Response:
    with window.reading() as store:
        context = desk.staff(window.reader(store), window.boxes(person))
    return window.page("staff.html", person=person, **context)


def person_page(window: Window, request: Request, person: Signed) -> Response:
    boxes = window.boxes(person)
    with window.reading() as store:
        context = desk.person(window.reader(store), boxes, request.path_params["address"],
                              Filters.of(request.query_params, boxes))
    if context is None:
        return window.page("not_found.html", 404, person=person)
    return window.page("person.html", person=person, all_boxes=boxes, **context)


def lkpp_page(window: Window, request: Request, person: Signed) -> Response:
    with window.reading() as store:
        context = desk.lkpp(window.reader(store), window.boxes(person), page_of(request.query_params))
    return window.page("lkpp.html", person=person, **context)


def ticket(window: Window, request: Request, person: Signed) -> Response:
    with window.reading() as store:
        found = window.own_ticket(person, request, store)
        story = (ticket_page.ticket_page(store, window.cfg, window.key, found, window.said, window.lateness,
                                         window.clock()) if found is not None else None)
    if story is None:
        return window.page("not_found.html", 404, person=person)
    return window.page("ticket.html", person=person, ticket=story)


def attachment_file(window: Window, request: Request, person: Signed) -> Response:
    """A file of one of the ticket's mails: downloaded under its safe name, as bytes no
    browser shows or runs (octet-stream, an attachment, a sandboxing policy)."""
    with window.reading() as store:
        found = window.own_ticket(person, request, store)
        file = (ticket_page.attachment(store, window.cfg, found, request.path_params["message"],
                                       request.path_params["index"]) if found is not None else None)
    if file is None:
        return window.page("not_found.html", 404, person=person)
    return Response(file.data, media_type="application/octet-stream",
                    headers={"content-disposition": ticket_page.disposition(file.filename),
                             "content-security-policy": "default-src 'none'; sandbox"})


def _box_and_month(window: Window, request: Request, person: Signed) -> tuple[MailboxConfig, Month]:
    boxes = window.boxes(person)
    box = next((b for b in boxes if b.name == request.query_params.get("kotak")), boxes[0])
    return box, month_view.month_of(request.query_params.get("bulan"), window.clock(), window.cfg)


def summary(window: Window, request: Request, person: Signed) -> Response:
    """The month's summary, kept until its month's data changes (`month_cache`)."""
    return _kept_page(window, request, person, "summary", window.months.summary, _summary_shown)


def trend(window: Window, request: Request, person: Signed) -> Response:
    """The twelve months up to the month asked for, side by side (the summary's figures)."""
    return _kept_page(window, request, person, "trend", window.months.trend, _trend_shown)


KEPT_PATHS = {"summary": "ringkasan", "trend": "ringkasan/tren"}
Shown = Callable[[Window, Signed, MailboxConfig, Month, Any, Kept[Any]], Response]


def _kept_page(window: Window, request: Request, person: Signed, what: str,
               make: Callable[[str, Month, datetime], Kept[Any]], shown: Shown) -> Response:
    """A page the worker makes (`month_cache`): shown when made; while it is being made the
    first time, a page that says so (202), or that it failed (500)."""
    box, month = _box_and_month(window, request, person)
    kept = make(box.name, month, window.clock())
    if kept.value is not None:
        return shown(window, person, box, month, kept.value, kept)
    again = f"{window.base}{KEPT_PATHS[what]}?" + urllib.parse.urlencode({"kotak": box.name, "bulan": str(month)})
    return window.page("preparing.html", 500 if kept.failed else 202, person=person, failed=kept.failed,
                       again=again, what=what)


def _summary_shown(window: Window, person: Signed, box: MailboxConfig, month: Month, page: SummaryPage,
                   kept: Kept[Any]) -> Response:
    nav = window.pages.render("summary_nav.html", base=window.base, person=person, boxes=window.boxes(person),
                              box=box.name, month=str(month), kept=kept)
    return HTMLResponse(month_view.headed(page.html, nav), headers={"content-security-policy": page.policy})


def _trend_shown(window: Window, person: Signed, box: MailboxConfig, month: Month, trend: Trend,
                 kept: Kept[Any]) -> Response:
    chart = "data:image/png;base64," + base64.b64encode(trend.chart).decode("ascii")
    return window.page("trend.html", person=person, boxes=window.boxes(person), box=box, month=str(month),
                       kept=kept, chart=chart, **trend_table.table(trend.months, window.cfg.language))


def download(window: Window, request: Request, person: Signed) -> Response:
    report, fmt = request.path_params["report"], request.path_params["fmt"]
    if report not in ("rekap", "tamu") or fmt not in month_view.FORMATS:
        return window.page("not_found.html", 404, person=person)
    box, month = _box_and_month(window, request, person)
    with window.reading() as store:
        data, media, filename = month_view.report_file(store, window.cfg, box, month, report, fmt)
    return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{filename}"'})


def waiting_directions(window: Window, request: Request, person: Signed) -> Response:
    with window.reading() as store:
        found = desk.directions(store.timers, window.cfg.timezone, window.boxes(person))
    return window.page("directions.html", person=person, audiences=found)


# --- a requester's page ------------------------------------------------------------------


def requester_status(window: Window, request: Request) -> Response:
    """The ticket a requester's link opens, or the one neutral page (SPEC 13)."""
    with window.reading() as store:
        found = status.ticket_of_link(store.tickets, window.key, request.path_params["token"], window.clock(),
                                      window.web.status_link_days)
        context = None
        if found is not None:  # its deadlines read as every notice reads them (`core/shown_deadlines`)
            clock = status.StatusClock(window.calendar, window.rules.deadlines(found.priority), window.clock(),
                                       window.said)
            context = status.status_context(store.messages, store.timers, window.key, found, clock,
                                            window.cfg.archive_dir)
    if context is None:
        return window.page("status_unknown.html", 404)
    return window.page("status.html", ticket=context)


def stylesheet(window: Window, request: Request) -> Response:
    css = resources.files("mailbot.web").joinpath("static").joinpath("gaya.css").read_text("utf-8")
    return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})


def favicon(window: Window, request: Request) -> Response:
    icon = resources.files("mailbot.web").joinpath("static").joinpath("favicon.ico").read_bytes()
    return Response(icon, media_type="image/x-icon", headers={"cache-control": "max-age=86400"})


# Every route, and who may see it: the one place a page is guarded.
GET, POST = ("GET",), ("POST",)
ROUTES: tuple[tuple[str, Callable[..., Any], str, tuple[str, ...]], ...] = (
    ("/", overview, SIGNED_IN, GET),
    ("/petugas", staff_page, SIGNED_IN, GET),
    ("/petugas/{address}", person_page, SIGNED_IN, GET),
    ("/lkpp", lkpp_page, SIGNED_IN, GET),
    ("/tiket/{mailbox}/{number}", ticket, SIGNED_IN, GET),
    ("/tiket/{mailbox}/{number}/lampiran/{message:int}/{index:int}", attachment_file, SIGNED_IN, GET),
    ("/ringkasan", summary, SIGNED_IN, GET),
    ("/ringkasan/tren", trend, SIGNED_IN, GET),
    ("/unduh/daftar.{fmt:str}", list_file, SIGNED_IN, GET),
    ("/unduh/{report:str}.{fmt:str}", download, SIGNED_IN, GET),
    ("/arahan", waiting_directions, SIGNED_IN, GET),
    ("/masuk", signin_form, PUBLIC, GET),
    ("/masuk", signin_request, PUBLIC, POST),
    ("/masuk/{token:path}", signin_link, PUBLIC, GET),
    ("/keluar", signout, PUBLIC, POST),
    ("/status/{token:path}", requester_status, PUBLIC, GET),
    ("/gaya.css", stylesheet, PUBLIC, GET),
    ("/favicon.ico", favicon, PUBLIC, GET),
)
