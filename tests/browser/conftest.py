"""Browser tests: the real app served by uvicorn on a free port, driven by Debian's Chromium through Playwright.

The server runs in a thread with its own event loop and its own database (committed data, so each test
uses fresh e-mail addresses instead of a rollback). Screenshots of every visited page go to
test-artifacts/screenshots/ so people can look at what the tests saw.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.settings import Settings
from tests.conftest import (
    ARTIFACTS,
    SECRET,
    _drop_database,
    _recreate_database,
    _with_database,
    run_async,
    worker_id,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = ARTIFACTS / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One worker runs all browser tests: they share one server and one Chromium.
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Lets the page fixture know the test failed, to keep a screenshot of where it stopped.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        from app.main import create_app

        self.port = _free_port()
        self.settings = settings.replace(base_url=f"http://127.0.0.1:{self.port}")
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


# The one live server of a test process. Other folders (tests/security/) import these fixtures, which makes
# pytest hold a second copy of each; both copies then share this server and its database instead of the
# second dropping the database under the first.
_RUNNING: list[LiveServer] = []


@pytest.fixture(scope="session")
def live_server(servers: dict[str, str]) -> Iterator[LiveServer]:
    from app.platform.migrations import upgrade

    if _RUNNING:
        yield _RUNNING[0]
        return
    name = f"tremplin_browser_{worker_id()}"
    run_async(lambda: _recreate_database(servers["database"], name))
    database_url = _with_database(servers["database"], name)
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        redis_url=servers["redis"],
        secret_key=SECRET,
        data_dir=ARTIFACTS / "browser-data",
        redis_prefix=f"browser-{worker_id()}",
        worker_in_process=True,
    )
    # Screenshots of this run only: an old failure's picture must not be mistaken for a new one.
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    server = LiveServer(settings)
    server.start()
    _RUNNING.append(server)
    yield server
    _RUNNING.remove(server)
    server.stop()
    run_async(lambda: _drop_database(servers["database"], name))


async def load_demo(live_server: LiveServer) -> None:
    """The demo (app.demo) committed into the live server's database; loading it again adds nothing."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app import demo
    from app.db import async_url, make_session_maker

    engine = create_async_engine(async_url(live_server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            await demo.load_demo(session, live_server.settings)
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    # The async API shares the tests' event loop; the sync one would own the thread's loop for the session.
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


class Shooter:
    """Saves a numbered screenshot of the page at each step of a journey."""

    def __init__(self, page: object, name: str) -> None:
        self.page = page
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def path(self, step: str) -> Path:
        """The next numbered file name, for screenshots of another page of the same journey."""
        self.count += 1
        return SCREENSHOTS / f"{self.name}-{self.count:02d}-{step}.png"

    async def __call__(self, step: str) -> Path:
        path = self.path(step)
        await self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.fixture
async def page(live_server, browser, request):
    context = await browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    errors: list[str] = []
    page = await context.new_page()
    # Pages here answer in milliseconds: a missing element should fail soon, yet survive a loaded CI machine.
    page.set_default_timeout(15000)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None,
    )
    page.shoot = Shooter(page, request.node.name)
    page.console_errors = errors
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        await page.shoot("failure")
    await context.close()
    # A CSP violation or a script error is a defect even when the journey completes.
    assert errors == [], f"browser console errors: {errors}"
