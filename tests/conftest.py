"""Shared pytest fixtures.

Real-tool fixtures (headless Chromium via Playwright, static server) -- see tests/tools.py.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

# Make `import tools` work however pytest imports this folder (rootdir / package mode).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tools  # noqa: E402


# ---- real-tool fixtures (browser / server / artifacts) ---------------------

@pytest.fixture(scope="session")
def playwright_instance():
    """A started sync Playwright (its bundled driver; no browser download)."""
    sync_api = tools.require_module("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """Session-wide headless Debian Chromium (``tools.CHROMIUM_ARGS``)."""
    b = tools.launch_chromium(playwright_instance)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context + page per test (1280x800, vi-VN), closed afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def serve_dir():
    """Factory: ``serve_dir(path, prefix="/cchc/") -> base_url`` (e.g. ``http://127.0.0.1:PORT/cchc/``).

    Serves ``path`` with a threaded http.server on 127.0.0.1 (free port) under ``prefix``;
    requests outside the prefix get 404 (the site's 404.html if present). Stopped at teardown.
    """
    with contextlib.ExitStack() as stack:
        def _serve(path, prefix: str = "/cchc/") -> str:
            return stack.enter_context(tools.static_server(path, prefix))

        yield _serve


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``<repo>/test-artifacts`` (or $CCHC_ARTIFACTS), created; for screenshots."""
    return tools.artifacts_dir()
