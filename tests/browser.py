"""A real headless browser for the window's tests: Debian's chromium through its chromedriver
(selenium), each browser with a fresh profile of its own (its own cookies).

scripts/setup installs chromium and chromium-driver for the tests; without them (a host
set up for the demo alone) these tests skip, and fail in CI. Nothing is downloaded: the
browser and the driver are the Debian packages'.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# axe-core, the accessibility engine, as scripts/setup installs it from the npm registry (its pinned version)
AXE = Path(__file__).resolve().parents[1] / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
# What works here: no sandbox (root, a container), no GPU, nothing fetched by the browser itself
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1100,760", "--lang=id")


def available() -> None:
    """Skip (fail in CI) where Debian's chromium or its driver is not installed."""
    missing = [path for path in (CHROMIUM, DRIVER) if not os.access(path, os.X_OK)]
    if missing:
        reason = f"{' and '.join(missing)} not installed (scripts/setup installs chromium and chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@contextmanager
def browser() -> Iterator[Any]:
    """A headless chromium with a fresh profile; its console log kept (CSP reports land there)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    available()
    profile = tempfile.mkdtemp(prefix="mailbot-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def made(driver: Any, url: str, seconds: float = 120) -> None:
    """Open a summary or trend page of the window once its worker has made it anew (until then
    the window says it is being prepared, or shows the figures made before under a note that
    new ones are being made, and the person reloads, as this does)."""
    import time

    deadline = time.monotonic() + seconds
    driver.get(url)
    while driver.find_elements("css selector", "p.said.preparing, p.said.updating") and time.monotonic() < deadline:
        time.sleep(0.3)
        driver.get(url)


def follow(driver: Any, element: Any, seconds: float = 20) -> None:
    """Click a link or a form's button and wait until the page it leads to has replaced this
    one (the old document gone stale, the new one loaded), as a person reads the next page
    only once it is there: without the wait, elements found right after the click may still
    be the old page's and go stale while read."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    old = driver.find_element("tag name", "html")
    element.click()
    wait = WebDriverWait(driver, seconds)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def console(driver: Any) -> list[str]:
    """What the page wrote to the browser's console since the last call (a blocked resource, a CSP report)."""
    return [entry["message"] for entry in driver.get_log("browser")]


def screenshot(driver: Any, path: Path) -> None:
    """The window as it shows, as a small PNG (64 colours: text and tables need no more)."""
    from PIL import Image

    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64).save(path, optimize=True)


def allow_downloads(driver: Any, folder: Path) -> None:
    """Files the page sends as attachments are saved into `folder` (as a person's browser saves them)."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """What axe-core finds on the page as it shows now, of these impacts: one line per rule
    (its id, impact, and the first elements it names). The engine is injected by WebDriver,
    beside the page's own policy, which allows no script of the page's."""
    if not AXE.is_file():
        reason = f"{AXE} missing (scripts/setup installs axe-core from the npm registry)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => [v.id, v.impact, v.nodes.slice(0, 3).map(n => n.target.join(' '))])),"
        " e => done([['error', String(e), []]]));")
    return [f"{rule} ({impact}): {', '.join(nodes)}" for rule, impact, nodes in found if impact in impacts or
            rule == "error"]


def scrolls_sideways(driver: Any) -> bool:
    """Whether the page is wider than the window (a person would scroll it sideways)."""
    return bool(driver.execute_script(
        "const e = document.documentElement; return e.scrollWidth > e.clientWidth + 1;"))
