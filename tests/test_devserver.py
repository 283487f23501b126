"""``cchc-site serve``: the preview server, in process and end to end (a real subprocess)."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from sitekit import MINIMAL_CONFIG, parse_html, post, write_site

from cchc_site.devserver import (
    LIVERELOAD_PATH,
    PREVIEW_DIR,
    BuildReport,
    Builder,
    PreviewServer,
    PreviewState,
    QuotaTracker,
    build_preview,
    inject_livereload,
    quota_banner,
    request_path,
    resolve,
)
from cchc_site.errors import SiteError
from cchc_site.watch import Batch

REPO = Path(__file__).resolve().parents[1]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
POST_PATH = "content/posts/2021/08/bai-thu-nghiem.md"
POST_URL = "/tin-tuc/2021/08/bai-thu-nghiem/"
SECRET = "bi-mat-khong-duoc-lo"


# ---------------------------------------------------------------------------
# helpers (also used by test_devserver_browser.py)
# ---------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def http_get(port: int, path: str, method: str = "GET", timeout: float = 10) -> Response:
    """One request with the path sent exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def wait_until(probe: Callable[[], object], timeout: float = 10.0, what: str = "", details: Callable[[], str] = str) -> object:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {last!r}\n{details()}")


def save(path: Path, text: str) -> None:
    """Save as most editors do: write a temp file beside it, then rename it over the file.

    (A write in place passes through an empty file; the preview then shows E012 for a moment
    and rebuilds again, which would make the assertions below depend on timing.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """``python -m cchc_site serve`` on a free port, stopped with SIGINT."""

    def __init__(self, site: Path, logs: Path) -> None:
        self.site = site
        self.port = free_port()
        self.out_path = logs / "serve.out"
        self.err_path = logs / "serve.err"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        read = lambda p: p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""  # noqa: E731
        return f"--- stdout ---\n{read(self.out_path)}\n--- stderr ---\n{read(self.err_path)}"

    def __enter__(self) -> "ServeProcess":
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PYTHONIOENCODING": "utf-8"}
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cchc_site", "serve", "--site", str(self.site), "--port", str(self.port)],
                stdout=out, stderr=err, cwd=REPO, env=env)
        wait_until(lambda: self._ready(), 30, "the preview server to start", self.output)
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"serve exited with {self.proc.returncode}\n{self.output()}")
        return http_get(self.port, "/__cchc/status", timeout=2).status == 200

    def get(self, path: str, method: str = "GET") -> Response:
        return http_get(self.port, path, method)

    def wait_for(self, path: str, check: Callable[[Response], bool], what: str, timeout: float = 10.0) -> Response:
        return wait_until(lambda: (lambda r: r if check(r) else None)(self.get(path)), timeout, what,
                          self.output)  # type: ignore[return-value]

    def stop(self) -> int:
        """Ctrl+C, as a user would; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=20)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def sample_site(root: Path, body: str = "Nội dung ban đầu của bài.") -> Path:
    return write_site(root, {
        POST_PATH: post("Bài thử nghiệm", "2021-08-02 08:00", body, category="Hoạt động cải cách hành chính"),
        "content/posts/2021/08/ban-nhap.md": post("Bản nháp đang viết", "2021-08-03", "Chưa xong.", draft=True),
        "content/pages/gioi-thieu.md": "---\ntitle: \"Giới thiệu\"\n---\n\nTrang giới thiệu.\n",
    }, config=MINIMAL_CONFIG + f"# {SECRET}\n")


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("/", "/"),
    ("/tin-tuc/2021/08/bai/", "/tin-tuc/2021/08/bai/"),
    ("/tim-kiem/?q=m%E1%BB%99t+c%E1%BB%ADa", "/tim-kiem/"),
    ("/static/v%C4%83n%20b%E1%BA%A3n.pdf", "/static/văn bản.pdf"),
    ("http://127.0.0.1:8000/assets/style.css", "/assets/style.css"),
    ("/../site.yaml", None),
    ("/%2e%2e/site.yaml", None),
    ("/%2E%2E/%2E%2E/etc/passwd", None),
    ("/assets/..%2f..%2fsite.yaml", None),
    ("/assets/%2e%2e%5csite.yaml", None),
    ("/a/./b", None),
    ("/a%00b", None),
    ("/a\\..\\b", None),
    ("/%ff%fe", None),
    ("site.yaml", None),
])
def test_request_path(raw: str, expected: str | None) -> None:
    assert request_path(raw) == expected


def test_inject_livereload_stamps_or_adds_the_script() -> None:
    themed = b'<html><head><script src="/__cchc/livereload.js" defer></script></head><body></body></html>'
    assert b'src="/__cchc/livereload.js?v=ab-3"' in inject_livereload(themed, "ab-3")
    custom = b"<html><HEAD><title>x</title></HEAD><body>x</body></html>"
    out = inject_livereload(custom, "ab-4")
    assert out.index(b"/__cchc/livereload.js?v=ab-4") < out.index(b"</HEAD>")
    no_head = b"<p>x</p></body>"
    assert inject_livereload(no_head, "t").index(b"livereload.js?v=t") < no_head.index(b"</body>") + 60
    assert inject_livereload(b"<p>x</p>", "t").endswith(b'<script src="/__cchc/livereload.js?v=t" defer></script>')


def test_resolve_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "tin-tuc").mkdir(parents=True)
    (root / "tin-tuc" / "index.html").write_text("x", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    assert resolve(root, "/tin-tuc/").kind == "file"
    assert resolve(root, "/tin-tuc").kind == "redirect"
    assert resolve(root, "/khong-co/").kind == "missing"
    try:
        (root / "link.txt").symlink_to(tmp_path / "secret.txt")
        (root / "thu-muc").symlink_to(tmp_path, target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks not available here")
    assert resolve(root, "/link.txt").kind == "missing"
    assert resolve(root, "/thu-muc/secret.txt").kind == "missing"
    assert resolve(root, "/thu-muc/").kind == "missing"


def test_quota_banner_without_quota() -> None:
    assert quota_banner(None, datetime(2021, 9, 1, tzinfo=VN)) == ("", False)


# ---------------------------------------------------------------------------
# the preview build
# ---------------------------------------------------------------------------

QUOTA_CONFIG = MINIMAL_CONFIG + """\
quota:
  start: "2021-07"
  min_posts: 2
"""


def test_preview_build_has_banners_quota_and_its_own_folder(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/posts/2021/07/a.md": post("Bài tháng bảy một", "2021-07-05"),
        "content/posts/2021/07/b.md": post("Bài tháng bảy hai", "2021-07-06"),
        "content/posts/2021/08/c.md": post("Bài tháng tám", "2021-08-06"),
        "content/posts/2021/09/d.md": post("Bài tháng chín", "2021-09-02"),
        "content/posts/2021/09/nhap.md": post("Bài nháp tháng chín", "2021-09-03", draft=True),
        "content/posts/2021/09/hen.md": post("Bài hẹn giờ", "2021-09-20"),
    }, config=QUOTA_CONFIG)
    now = datetime(2021, 9, 10, 9, 0, tzinfo=VN)
    out = site / PREVIEW_DIR
    report = build_preview(site, out, "http://127.0.0.1:8123/", now)
    assert report.ok, report.errors  # a short month warns, it does not fail the preview
    assert report.quota_warning
    assert "Tháng 08/2021: 1/2 bài, THIẾU 1 bài" in report.quota_text
    assert "Tháng 09/2021: 1/2 bài, còn thiếu 1 bài; còn 21 ngày" in report.quota_text
    assert "Tháng 07/2021" not in report.quota_text  # only the last and the current month
    assert not (site / "output").exists()

    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="preview-bar"' in home and "THIẾU 1 bài" in parse_html(home).text
    draft = parse_html(out / "tin-tuc/2021/09/nhap/index.html")
    assert "Bản nháp" in draft.main_text
    future = parse_html(out / "tin-tuc/2021/09/hen/index.html")
    assert "Bài hẹn giờ: chưa đến ngày đăng" in future.main_text
    assert LIVERELOAD_PATH in future.sources
    assert any(link.startswith("http://127.0.0.1:8123/tin-tuc/2021/09/hen/") for link in future.links)


def test_quota_tracker_follows_edits(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/09/a.md": post("Bài một", "2021-09-02")},
                      config=QUOTA_CONFIG)
    now = datetime(2021, 9, 10, 9, 0, tzinfo=VN)
    tracker = QuotaTracker()
    assert "Tháng 09/2021: 1/2 bài, còn thiếu 1 bài" in tracker.banner(site, now)[0]
    second = site / "content/posts/2021/09/b.md"
    second.write_text(post("Bài hai", "2021-09-05"), encoding="utf-8")
    assert "Tháng 09/2021: 2/2 bài, đạt." in tracker.banner(site, now)[0]
    second.write_text(post("Bài hai", "2021-09-05", draft=True), encoding="utf-8")
    assert "Tháng 09/2021: 1/2 bài" in tracker.banner(site, now)[0]  # a draft does not count
    second.unlink()
    (site / "content/posts/2021/09/c.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert "Tháng 09/2021: 1/2 bài" in tracker.banner(site, now)[0]  # a broken file is not counted
    (site / "site.yaml").write_text(MINIMAL_CONFIG, encoding="utf-8")
    assert tracker.banner(site, now) == ("", False)  # no quota configured: no banner


def test_preview_build_returns_errors(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {POST_PATH: "---\ntitle: Bài: lỗi\ndate: 2021-08-02\n---\n"})
    report = build_preview(site, site / PREVIEW_DIR, "http://127.0.0.1:8123/", datetime(2021, 9, 1, tzinfo=VN))
    assert not report.ok
    assert [(e.path, e.line, e.code) for e in report.errors] == [(POST_PATH, 2, "E002")]


def test_builder_survives_a_crashing_build(tmp_path: Path) -> None:
    state = PreviewState(tmp_path / "out", tmp_path)
    logs: list[tuple[str, bool]] = []
    outcomes = iter([RuntimeError("hỏng giữa chừng"), BuildReport(True, pages=3)])

    def build(now: datetime) -> BuildReport:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    builder = Builder(build, state, lambda: datetime(2021, 9, 1, tzinfo=VN),
                      lambda message, error=False: logs.append((message, error)))
    first_tag = state.tag
    assert not builder.rebuild().ok
    tag, errors = state.snapshot()
    assert tag != first_tag and len(errors) == 1 and "RuntimeError: hỏng giữa chừng" in errors[0].message
    assert any(error and "RuntimeError" in message for message, error in logs)
    assert builder.rebuild().ok
    assert state.snapshot()[1] == () and state.tag != tag


def test_a_rebuild_that_changes_nothing_does_not_reload(tmp_path: Path) -> None:
    state = PreviewState(tmp_path / "out", tmp_path)
    failed = BuildReport(False, (SiteError(POST_PATH, 2, "E002", "Lỗi cú pháp YAML."),))
    same = BuildReport(True, unchanged=True)
    outcomes = iter([BuildReport(True, pages=3), same, failed, same])
    builder = Builder(lambda now: next(outcomes), state, lambda: datetime(2021, 9, 1, tzinfo=VN))
    batch = Batch(frozenset({POST_PATH}), frozenset({"content"}))
    builder.rebuild()
    tag = state.tag
    builder.rebuild(batch)
    assert state.tag == tag  # open tabs are not reloaded for nothing
    builder.rebuild(batch)
    assert state.tag != tag and state.snapshot()[1] == failed.errors
    builder.rebuild(batch)  # fixed back to the previous output: the error page must go away
    assert state.snapshot()[1] == ()


# ---------------------------------------------------------------------------
# the HTTP side, in process
# ---------------------------------------------------------------------------

@dataclass
class Preview:
    site: Path
    state: PreviewState
    port: int

    def get(self, path: str, method: str = "GET") -> Response:
        return http_get(self.port, path, method)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    site = sample_site(tmp_path / "site")
    root = site / PREVIEW_DIR
    report = build_preview(site, root, "http://127.0.0.1:8123/", datetime(2021, 9, 1, tzinfo=VN))
    assert report.ok, report.errors
    state = PreviewState(root, site)
    state.publish()
    server = PreviewServer(("127.0.0.1", 0), state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Preview(site, state, server.server_address[1])
    finally:
        state.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_serves_pages_with_types_and_the_reload_script(preview: Preview) -> None:
    page = preview.get(POST_URL)
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    parsed = parse_html(page.text)
    assert "Nội dung ban đầu của bài." in parsed.main_text
    assert f"{LIVERELOAD_PATH}?v={preview.state.tag}" in parsed.sources
    assert preview.get("/assets/style.css").headers["content-type"] == "text/css; charset=utf-8"
    assert preview.get("/rss.xml").headers["content-type"] == "application/xml; charset=utf-8"
    script = preview.get(LIVERELOAD_PATH)
    assert script.status == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "EventSource" in script.text and "sessionStorage" in script.text
    head = preview.get(POST_URL, "HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) > 0


def test_folders_redirect_and_unknown_paths_get_the_site_404(preview: Preview) -> None:
    moved = preview.get("/tin-tuc?trang=2")
    assert moved.status == 301 and moved.headers["location"] == "/tin-tuc/?trang=2"
    missing = preview.get("/khong-co-trang-nay/")
    assert missing.status == 404
    assert "Không tìm thấy trang" in parse_html(missing.text).main_text
    assert any(src.startswith(LIVERELOAD_PATH) for src in parse_html(missing.text).sources)


@pytest.mark.parametrize("path", ["/../site.yaml", "/%2e%2e/site.yaml", "/..%2fsite.yaml",
                                  "/assets/..%2f..%2fsite.yaml", "/%2E%2E/%2E%2E/site.yaml",
                                  "/assets/%2e%2e%5c%2e%2e%5csite.yaml", "/../../../../etc/passwd"])
def test_no_escape_from_the_build_folder(preview: Preview, path: str) -> None:
    response = preview.get(path)
    assert response.status in (400, 404)
    assert SECRET not in response.text and "base_url" not in response.text


def test_symlinks_out_of_the_build_folder_are_not_followed(preview: Preview) -> None:
    try:
        (preview.state.root / "lo.txt").symlink_to(preview.site / "site.yaml")
    except (OSError, NotImplementedError):
        pytest.skip("symlinks not available here")
    response = preview.get("/lo.txt")
    assert response.status == 404 and SECRET not in response.text


def test_error_state_serves_the_error_page_for_every_html_request(preview: Preview) -> None:
    (preview.site / POST_PATH).write_text("---\ndate: 2021-08-02\ntitle: Bài: lỗi\n---\n\nx\n", encoding="utf-8")
    error = SiteError(POST_PATH, 3, "E002", "Lỗi cú pháp YAML: có dấu ':' ở chỗ không được phép.")
    preview.state.publish((error,))
    for path in (POST_URL, "/", "/khong-co/", "/gioi-thieu/index.html"):
        response = preview.get(path)
        assert response.status == 500, path
        page = parse_html(response.text)
        assert page.lang == "vi"
        assert POST_PATH in page.text and "dòng 3" in page.text and "E002" in page.text
        assert "có dấu ':' ở chỗ không được phép" in page.text
        assert "title: Bài: lỗi" in page.text  # the offending line is quoted
        assert f"{LIVERELOAD_PATH}?v={preview.state.tag}" in page.sources
        assert "script-src 'self'" in page.meta["Content-Security-Policy"]
    assert preview.get("/assets/style.css").status == 200  # assets of the last good build still load
    assert preview.get("/__cchc/preview.css").headers["content-type"] == "text/css; charset=utf-8"
    status = json.loads(preview.get("/__cchc/status").text)
    assert status["ok"] is False and status["errors"] == [error.format()]
    preview.state.publish(())
    assert preview.get(POST_URL).status == 200


def test_events_announce_every_build(preview: Preview) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    try:
        conn.request("GET", "/__cchc/events")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type", "").startswith("text/event-stream")

        def next_event() -> str:
            data = None
            while True:
                line = resp.fp.readline().decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    data = line[len("data: "):]
                elif line == "" and data is not None:
                    return data

        first = next_event()
        assert first == preview.state.tag
        preview.state.publish()
        second = next_event()
        assert second != first and second == preview.state.tag
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# end to end: `python -m cchc_site serve`
# ---------------------------------------------------------------------------

def test_serve_rebuilds_on_save_shows_errors_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    site = sample_site(tmp_path / "site")
    post_file = site / POST_PATH
    with ServeProcess(site, tmp_path) as server:
        first = server.get(POST_URL)
        assert first.status == 200
        assert "Nội dung ban đầu của bài." in parse_html(first.text).main_text
        assert "Bản nháp đang viết" in parse_html(server.get("/").text).main_text  # drafts are previewed

        # Notepad saves in place (the file is empty for a moment); only the final text matters
        post_file.write_text(post("Bài thử nghiệm", "2021-08-02 08:00", "Nội dung đã sửa lần một."), encoding="utf-8")
        server.wait_for(POST_URL, lambda r: r.status == 200 and "Nội dung đã sửa lần một." in r.text,
                        "the edited text")

        save(post_file, "---\ndate: 2021-08-02\ntitle: Bài: lỗi\n---\n\nNội dung.\n")
        broken = server.wait_for(POST_URL, lambda r: r.status == 500 and "E002" in r.text, "the error page")
        text = parse_html(broken.text).text
        assert POST_PATH in text and "dòng 3" in text and "E002" in text
        assert server.get("/").status == 500  # every page shows it
        assert server.get("/assets/style.css").status == 200
        kept = (site / PREVIEW_DIR / "tin-tuc/2021/08/bai-thu-nghiem/index.html").read_text(encoding="utf-8")
        assert "Nội dung đã sửa lần một." in kept  # the last good build stays on disk

        save(post_file, post("Bài thử nghiệm", "2021-08-02 08:00", "Nội dung sau khi sửa lỗi."))
        fixed = server.wait_for(POST_URL, lambda r: r.status == 200 and "Nội dung sau khi sửa lỗi." in r.text,
                                "the fixed page")
        assert "Nội dung sau khi sửa lỗi." in parse_html(fixed.text).main_text

        for path in ("/../site.yaml", "/%2e%2e/site.yaml", "/assets/..%2f..%2fsite.yaml"):
            escaped = server.get(path)
            assert escaped.status in (400, 404) and SECRET not in escaped.text

        assert server.stop() == 0
    out = server.output()
    assert f"{POST_PATH}:3: E002" in out  # the terminal shows path:line: CODE message
    assert "Đã dừng bản xem trước." in out
    assert not (site / "output").exists()


def test_serve_template_error_new_page_and_404(tmp_path: Path) -> None:
    site = sample_site(tmp_path / "site")
    with ServeProcess(site, tmp_path) as server:
        missing = server.get("/tin-tuc/2021/08/bai-moi/")
        assert missing.status == 404 and "Không tìm thấy trang" in missing.text

        save(site / "content/posts/2021/08/bai-moi.md", post("Bài mới viết", "2021-08-10", "Tin mới."))
        server.wait_for("/tin-tuc/2021/08/bai-moi/", lambda r: r.status == 200 and "Tin mới." in r.text,
                        "the new post")

        save(site / "templates/post.html",
             '{% extends "base.html" %}\n{% block content %}\n<h1>{{ title }</h1>\n{% endblock %}\n')
        broken = server.wait_for(POST_URL, lambda r: r.status == 500 and "E030" in r.text, "the template error page")
        text = parse_html(broken.text).text
        assert "templates/post.html" in text and "E030" in text

        (site / "templates/post.html").unlink()
        server.wait_for(POST_URL, lambda r: r.status == 200 and "Nội dung ban đầu của bài." in r.text,
                        "the page after removing the broken template")
        assert server.stop() == 0


def test_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    site = sample_site(tmp_path / "site")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
        result = subprocess.run([sys.executable, "-m", "cchc_site", "serve", "--site", str(site), "--port", str(port)],
                                capture_output=True, timeout=60, cwd=REPO, env=env)
    assert result.returncode == 2
    assert f"Không mở được cổng {port}" in result.stderr.decode("utf-8")
    assert not (site / PREVIEW_DIR).exists()  # nothing built for nothing
