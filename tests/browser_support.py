"""Serving the app in-process and driving Debian chromium through Playwright, as DESIGN.md prescribes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers import free_port, serve_asgi

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000  # generous: the machine has two cores and other suites may be running


@contextmanager
def serve_app(assistant, report_dir: Path | None = None, mounted: bool = False, feedback=None) -> Iterator[str]:
    """Serve build_ui(assistant) on a free 127.0.0.1 port in this process; yield its URL.

    mounted=True serves it the way `python app.py` does when the HTTP API exists: mounted into
    that FastAPI app under uvicorn (falling back to Gradio's own server when it does not).
    """
    import app
    from assistant.http.limits import RateLimiter

    unlimited = RateLimiter(per_minute=60_000, burst=10_000)  # the browser tests ask faster than a person
    options = {"report_dir": report_dir} if report_dir else {}
    demo = app.build_ui(assistant, feedback=feedback, questions=unlimited, **options)
    port = free_port()
    asgi = app.asgi_app(assistant, demo) if mounted else None
    if asgi is None:
        demo.queue().launch(
            prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **app.LAUNCH_OPTIONS
        )
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()
        return
    with serve_asgi(asgi, port=port, ready_timeout=60) as url:
        yield f"{url}/"


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian chromium, or a skip when it (or playwright) is not installed; in CI (CI=true) a
    missing browser fails the tests instead: `make test` installs it, so its absence is a broken setup."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian chromium is missing in CI: `make system-deps` should have installed it")
        pytest.skip("Debian chromium is not installed (run `make system-deps`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


DESKTOP, PHONE = 1366, 390  # the widths the UI is checked at: a laptop, and a phone held upright


def open_page(browser, url: str, width: int = DESKTOP):
    """A fresh browser context (its own Gradio session and localStorage) on the app, ready for input."""
    phone = width <= PHONE
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        locale="zh-CN",
        accept_downloads=True,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#pqa-question textarea")
    page.wait_for_selector(".pqa-header")
    return page


def ask(page, question: str) -> object:
    """Type a question, send it, and return the locator of the finished answer message."""
    before = page.locator(".pqa-final").count()
    page.fill("#pqa-question textarea", question)
    page.click("#pqa-ask")
    done = page.locator(".pqa-final")
    done.nth(before).wait_for()
    return done.nth(before)


def settle(page) -> None:
    """Wait until no Gradio component shows its loading overlay."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=status-tracker]')].every(e => e.classList.contains('hide'))"
    )
    page.wait_for_timeout(300)  # the overlay fades out


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ once the page has settled."""
    settle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path
