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


def console(driver: Any) -> list[str]:
    """What the page wrote to the browser's console since the last call (a blocked resource, a CSP report)."""
    return [entry["message"] for entry in driver.get_log("browser")]


def screenshot(driver: Any, path: Path) -> None:
    """The window as it shows, as a small PNG (64 colours: text and tables need no more)."""
    from PIL import Image

    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64).save(path, optimize=True)
