"""The window's routes (SPEC 13): a Starlette application over one read-only store.

`Window` holds what the pages read (the read-only stores, the key, the rules and the
calendar, the pages' templates, the sign-ins, the months' summaries) and `build_app` maps
paths to it. Every handler is a plain function Starlette runs in its thread pool, reading
through a store of its own while it reads (`Window.reading`), so no page waits for another's
reads; the summaries are made in a process of their own and kept (`month_cache`). Nothing
here writes the store.

Paths (Bahasa Indonesia, as the unit reads them): `/masuk` (sign in), `/masuk/<link>`,
`/keluar`, `/` (the open tickets), `/tiket/<mailbox>/<number>`, `/ringkasan` (the month's
summary), `/ringkasan/tren` (twelve months side by side), `/unduh/<rekap|tamu>.<xlsx|csv>`,
`/arahan` (directions waiting),
`/status/<link>` (a requester's page), `/gaya.css`.
"""

from __future__ import annotations

import base64
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
from mailbot.reports import trend as trend_table
from mailbot.reports.values import Month
from mailbot.rules import load_rules
from mailbot.settings import Config, MailboxConfig
from mailbot.web import desk, month_view, status
from mailbot.web.guard import Guard
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
        html = self.pages.render(name, base=self.base, person=person, **context)
        return HTMLResponse(html, status_code=status_code)

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


def build_app(window: Window) -> Starlette:
    """The application: every route, behind `Guard` (headers, the masked access log)."""
    def on(handler: Callable[..., Any]) -> Callable[..., Any]:
        return partial(handler, window)  # async handlers stay async: Starlette awaits a partial of one

    routes = [
        Route("/", on(overview)),
        Route("/masuk", on(signin_form), methods=["GET"]),
        Route("/masuk", on(signin_request), methods=["POST"]),
        Route("/masuk/{token:path}", on(signin_link)),
        Route("/keluar", on(signout), methods=["POST"]),
        Route("/tiket/{mailbox}/{number}", on(ticket)),
        Route("/ringkasan", on(summary)),
        Route("/ringkasan/tren", on(trend)),
        Route("/unduh/{report:str}.{fmt:str}", on(download)),
        Route("/arahan", on(waiting_directions)),
        Route("/status/{token:path}", on(requester_status)),
        Route("/gaya.css", on(stylesheet)),
    ]
    app = Starlette(routes=routes)
    app.add_exception_handler(404, lambda r, exc: window.page("not_found.html", 404))
    return Guard(app)  # type: ignore[return-value]


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


def overview(window: Window, request: Request) -> Response:
    person = window.person(request)
    if person is None:
        return window.to_signin()
    boxes = window.boxes(person)
    filters = desk.Filters.of(request.query_params, boxes)
    with window.reading() as store:
        context = desk.overview(store, window.cfg, window.rules, window.calendar, window.said, boxes, filters,
                                window.clock())
    return window.page("overview.html", person=person, **context)


def ticket(window: Window, request: Request) -> Response:
    person = window.person(request)
    if person is None:
        return window.to_signin()
    name, number = request.path_params["mailbox"], request.path_params["number"]
    if name not in {b.name for b in window.boxes(person)}:
        return window.page("not_found.html", 404, person=person)
    with window.reading() as store:
        found = store.tickets.ticket_by_number(name, number)
        story = (desk.ticket_page(store, window.cfg, window.key, found, window.said, window.clock())
                 if found is not None else None)
    if story is None:
        return window.page("not_found.html", 404, person=person)
    return window.page("ticket.html", person=person, ticket=story)


def _box_and_month(window: Window, request: Request, person: Signed) -> tuple[MailboxConfig, Month]:
    boxes = window.boxes(person)
    box = next((b for b in boxes if b.name == request.query_params.get("kotak")), boxes[0])
    return box, month_view.month_of(request.query_params.get("bulan"), window.clock(), window.cfg)


def summary(window: Window, request: Request) -> Response:
    """The month's summary, kept until its month's data changes (`month_cache`)."""
    return _kept_page(window, request, "summary", window.months.summary, _summary_shown)


def trend(window: Window, request: Request) -> Response:
    """The twelve months up to the month asked for, side by side (the summary's figures)."""
    return _kept_page(window, request, "trend", window.months.trend, _trend_shown)


KEPT_PATHS = {"summary": "ringkasan", "trend": "ringkasan/tren"}
Shown = Callable[[Window, Signed, MailboxConfig, Month, Any, Kept[Any]], Response]


def _kept_page(window: Window, request: Request, what: str, make: Callable[[str, Month, datetime], Kept[Any]],
               shown: Shown) -> Response:
    """A page the worker makes (`month_cache`): shown when made; while it is being made the
    first time, a page that says so (202), or that it failed (500)."""
    person = window.person(request)
    if person is None:
        return window.to_signin()
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


def download(window: Window, request: Request) -> Response:
    person = window.person(request)
    if person is None:
        return window.to_signin()
    report, fmt = request.path_params["report"], request.path_params["fmt"]
    if report not in ("rekap", "tamu") or fmt not in month_view.FORMATS:
        return window.page("not_found.html", 404, person=person)
    box, month = _box_and_month(window, request, person)
    with window.reading() as store:
        data, media, filename = month_view.report_file(store, window.cfg, box, month, report, fmt)
    return Response(data, media_type=media, headers={"content-disposition": f'attachment; filename="{filename}"'})


def waiting_directions(window: Window, request: Request) -> Response:
    person = window.person(request)
    if person is None:
        return window.to_signin()
    with window.reading() as store:
        found = desk.directions(store.timers, window.cfg, window.boxes(person))
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
