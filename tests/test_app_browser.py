"""Real-browser tests of the teaching demo in headless Chromium.

The demo server runs as ``alliance-sim demo`` would run it (:func:`sim.app.server.server_command`:
production mode, offline CDN cache) on a free 127.0.0.1 port; Playwright drives Debian's
``/usr/bin/chromium``. With ``CI=true`` these tests must run: a missing browser fails them.
Elsewhere they skip with a note on how to install it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sim.app.assets import missing_assets
from sim.app.server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOST,
    free_port,
    server_command,
    server_env,
    stop_server,
    wait_ready,
    warm_up,
)

pytestmark = pytest.mark.browser

ON_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_TIMEOUT = 120.0
PAGE_TIMEOUT_MS = 120_000
UPDATE_TIMEOUT_MS = 60_000
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _unavailable(reason: str) -> None:
    if ON_CI:
        pytest.fail(f"browser tests must run on CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_api():
    """Playwright's sync API, or a skip (a failure on CI) when it or Chromium is missing."""
    if not CHROMIUM.exists():
        _unavailable(
            f"Chromium not found at {CHROMIUM}; install it with: sudo apt-get install chromium"
        )
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("the playwright package is missing; install it with: pip install playwright")
    missing = missing_assets()
    if missing:
        _unavailable(
            f"Solara assets missing ({', '.join(missing)}); start 'alliance-sim demo' once "
            "while online, or run: python scripts/fetch_solara_assets.py"
        )
    return sync_api


@pytest.fixture(scope="module")
def server(sync_api) -> Iterator[str]:
    """The demo served on a free loopback port; yields its URL."""
    ARTIFACTS.mkdir(exist_ok=True)
    warm_up()  # compile the model here, so the server loads it from the disk cache
    port = free_port()
    url = f"http://{HOST}:{port}/"
    log_path = ARTIFACTS / "demo-server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            server_command(port),
            env=server_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            try:
                wait_ready(process, url, SERVER_START_TIMEOUT)
            except RuntimeError as err:
                pytest.fail(f"{err}; see {log_path}")
            yield url
        finally:
            stop_server(process, timeout=15)


@dataclass
class Session:
    """An open page and everything it did."""

    page: object
    load_seconds: float
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def session(sync_api, server) -> Iterator[Session]:
    """Chromium with the demo open and loaded, recording requests and console output."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.set_default_timeout(UPDATE_TIMEOUT_MS)
            record = Session(page=page, load_seconds=float("nan"))
            page.on("request", lambda request: record.requests.append(request.url))
            page.on("console", lambda msg: record.console.append((msg.type, msg.text)))
            page.on("pageerror", lambda err: record.console.append(("pageerror", str(err))))
            page.on(
                "requestfailed",
                lambda request: record.failures.append(f"failed: {request.url}"),
            )
            page.on(
                "response",
                lambda response: (
                    record.failures.append(f"HTTP {response.status}: {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            start = time.monotonic()
            page.goto(server, timeout=PAGE_TIMEOUT_MS)
            page.locator(".alliance-performance img").wait_for(timeout=PAGE_TIMEOUT_MS)
            page.locator(".alliance-network img").first.wait_for(timeout=PAGE_TIMEOUT_MS)
            record.load_seconds = time.monotonic() - start
            page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
            (ARTIFACTS / "page-load-seconds.txt").write_text(f"{record.load_seconds:.2f}\n")
            yield record
        finally:
            browser.close()


def _month(page) -> str:
    return page.locator(".alliance-month").inner_text()


def _image(page, selector: str) -> str:
    return page.locator(f"{selector} img").first.get_attribute("src") or ""


def _wait_changed(page, selector: str, before: str) -> str:
    """Wait until the image under ``selector`` differs from ``before``; returns it."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        now = _image(page, selector)
        if now and now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} did not change")


def _image_bytes(page, selector: str) -> bytes:
    return page.locator(f"{selector} img").first.screenshot()


def test_page_loads_offline_without_console_errors(session):
    """The page loads, nothing fails, and every request goes to the local server."""
    hosts = {urlsplit(url).hostname for url in session.requests if "://" in url}
    outside = sorted(
        url
        for url in session.requests
        if urlsplit(url).scheme in ("http", "https", "ws", "wss")
        and urlsplit(url).hostname not in LOOPBACK
    )
    assert not outside, f"requests to outside hosts: {outside}"
    assert hosts <= LOOPBACK | {None}, hosts
    errors = [(kind, text) for kind, text in session.console if kind in ("error", "pageerror")]
    assert not errors, f"console errors: {errors}"
    assert not session.failures, f"failed requests: {session.failures}"
    assert session.load_seconds < 60, f"page took {session.load_seconds:.1f}s to load"
    print(f"page load: {session.load_seconds:.2f}s")


def test_step_changes_counter_and_charts(session):
    """Step advances the month counter and redraws the charts."""
    page = session.page
    month = _month(page)
    performance = _image(page, ".alliance-performance")
    trends = _image(page, ".alliance-trends")
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(
        "before => document.querySelector('.alliance-month').innerText !== before",
        arg=month,
    )
    assert _month(page) != month
    _wait_changed(page, ".alliance-performance", performance)
    _wait_changed(page, ".alliance-trends", trends)


def test_crisis_button_changes_performance_chart(session):
    """Firing a global crisis redraws the performance chart with the crisis on it."""
    page = session.page
    before_src = _image(page, ".alliance-performance")
    before = _image_bytes(page, ".alliance-performance")
    page.get_by_role("button", name="Global crisis", exact=True).click()
    _wait_changed(page, ".alliance-performance", before_src)
    page.wait_for_timeout(300)
    assert _image_bytes(page, ".alliance-performance") != before


def test_screenshot_shows_the_demo(session):
    """A few months on, a screenshot is saved and the main area shows the network."""
    page = session.page
    for _ in range(3):
        month = _month(page)
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(
            "before => document.querySelector('.alliance-month').innerText !== before",
            arg=month,
        )
    height = page.evaluate("document.querySelector('.alliance-app').scrollHeight")
    page.set_viewport_size({"width": 1920, "height": max(1080, int(height) + 60)})
    page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "demo.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert path.stat().st_size > 50_000
    network = page.locator(".alliance-network img").first.bounding_box()
    assert network is not None and network["width"] > 300 and network["height"] > 300
    errors = [(kind, text) for kind, text in session.console if kind in ("error", "pageerror")]
    assert not errors, f"console errors: {errors}"
    assert not session.failures, f"failed requests: {session.failures}"
