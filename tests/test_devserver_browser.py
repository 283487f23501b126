"""``cchc-site serve`` in a real browser (headless Debian Chromium through Playwright).

The test opens a post, edits its file on disk and waits, without navigating, until the
open tab shows the new text: the live-reload script (same origin, CSP 'self') did it.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import tools
from sitekit import post
from test_devserver import POST_PATH, POST_URL, ServeProcess, sample_site, save

pytestmark = pytest.mark.browser

def wait_js(page, expression: str, timeout: float = 15.0) -> None:  # noqa: ANN001
    """Poll a JS expression until true, across reloads.

    (``page.wait_for_function`` polls with ``new Function`` inside the page, which the site's
    CSP forbids; a plain ``evaluate`` goes through the debugger protocol and is not affected.)
    """
    errors = tools.require_module("playwright.sync_api").Error
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = page.evaluate(expression)
        except errors as exc:  # the page is reloading
            last = exc
        if last is True:
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {expression}; last value {last!r}")


LONG_BODY = "\n\n".join(f"Đoạn {i}: nội dung dài để trang cuộn được." for i in range(1, 80))


def test_open_tab_reloads_after_save_keeps_scroll_and_shows_errors(tmp_path: Path, page) -> None:  # noqa: ANN001
    expect = tools.require_module("playwright.sync_api").expect
    site = sample_site(tmp_path / "site", body="Câu mở đầu ban đầu.\n\n" + LONG_BODY)
    post_file = site / POST_PATH
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    with ServeProcess(site, tmp_path) as server:
        page.goto(server.base + POST_URL)
        main = page.locator("main")
        expect(main).to_contain_text("Câu mở đầu ban đầu.")
        page.evaluate("window.scrollTo(0, 600)")
        wait_js(page, "window.scrollY === 600")
        page.evaluate("window.__cchcMarker = 'chua-tai-lai'")  # gone once the tab reloads

        save(post_file, post("Bài thử nghiệm", "2021-08-02 08:00", "Câu mở đầu đã sửa.\n\n" + LONG_BODY))
        expect(main).to_contain_text("Câu mở đầu đã sửa.", timeout=15_000)
        wait_js(page, "window.__cchcMarker === undefined")  # the page reloaded by itself
        assert page.url == server.base + POST_URL
        wait_js(page, "window.scrollY === 600")  # scroll position kept

        save(post_file, "---\ndate: 2021-08-02\ntitle: Bài: lỗi\n---\n\nx\n")
        expect(page.locator("h1")).to_contain_text("Chưa dựng được trang", timeout=15_000)
        expect(page.locator("body")).to_contain_text(POST_PATH)
        expect(page.locator("body")).to_contain_text("E002")

        save(post_file, post("Bài thử nghiệm", "2021-08-02 08:00", "Đã sửa xong lỗi.\n\n" + LONG_BODY))
        expect(main).to_contain_text("Đã sửa xong lỗi.", timeout=15_000)
        wait_js(page, "window.scrollY === 600")  # kept across the error page too
        assert page.url == server.base + POST_URL

        # the error page answers 500 (Chromium logs it); anything else (a CSP refusal, a 404) is a bug
        expected = {f"500 {server.base}{POST_URL}",
                    "Failed to load resource: the server responded with a status of 500 (Internal Server Error)"}
        unexpected = [p for p in problems if p not in expected]
        assert unexpected == [], unexpected
        assert server.stop() == 0
