"""``cchc-site serve``: a local preview that rebuilds on save and reloads the browser.

Design (after MkDocs' livereload server):

* the site is built with drafts and future posts (each with its banner) into a
  folder of its own, ``<site>/.cchc-preview/``, never ``output/``; ``build_site``
  writes a staging folder and swaps it in atomically, and the request handler
  resolves every file against that folder path at request time, so a page is
  never served half-built;
* a stdlib ``ThreadingHTTPServer`` serves that folder (nothing outside it), with
  the build function injected (:class:`Builder`);
* watchdog events go through the pure rules of :mod:`cchc_site.watch`: a burst of
  saves gives one rebuild after a short quiet time;
* every build attempt bumps an epoch; each page loads ``/__cchc/livereload.js``
  (same origin, allowed by the page CSP) which listens to server-sent events at
  ``/__cchc/events`` and reloads the tab, keeping its scroll position;
* a failed build keeps the last good build on disk but answers every HTML request
  with an error page (file, line, code, message) until the files are fixed.

Nothing here prints: messages go to the ``log`` callback given by ``cli.py``.
"""
from __future__ import annotations

import html
import json
import mimetypes
import os
import queue
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from .config import SiteConfig
from .content import load_source
from .errors import BuildFailed, SiteError
from .files import POSTS_DIR, STATIC_DIR, walk_files
from .models import Post
from .quota import QuotaReport, previous_month
from .watch import Batch, Change, Pending, describe, feed

PREVIEW_DIR = ".cchc-preview"
CACHE_SUBDIR = Path(".cchc-cache") / "preview"
LIVERELOAD_PATH = "/__cchc/livereload.js"
EVENTS_PATH = "/__cchc/events"
STATUS_PATH = "/__cchc/status"
STYLE_PATH = "/__cchc/preview.css"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
KEEPALIVE_SECONDS = 15.0

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8", ".md": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".avif": "image/avif",
    ".pdf": "application/pdf", ".woff2": "font/woff2", ".woff": "font/woff",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip", ".webmanifest": "application/manifest+json",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")


class Log(Protocol):
    def __call__(self, message: str, error: bool = False) -> None: ...


def _silent(message: str, error: bool = False) -> None:
    return None


# --------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildReport:
    """The outcome of one preview build."""

    ok: bool
    errors: tuple[SiteError, ...] = ()
    warnings: tuple[SiteError, ...] = ()
    pages: int = 0  # files written (unchanged ones are reused)
    seconds: float = 0.0
    quota_text: str = ""
    quota_warning: bool = False
    unchanged: bool = False  # the output is byte for byte the previous one


def quota_banner(report: QuotaReport | None, now: datetime) -> tuple[str, bool]:
    """The quota line of the preview bar for the last and the current month, and whether it warns."""
    if report is None:
        return "", False
    current = (now.year, now.month)
    by_month = {m.month: m for m in report.months}
    parts: list[str] = []
    warn = False
    for month in (previous_month(current), current):
        status = by_month.get(month)
        if status is None:
            continue
        head = f"{status.label}: {status.count}/{status.required} bài"
        if status.status == "ok":
            parts.append(f"{head}, đạt.")
        elif status.status == "waived":
            parts.append(f"{head}, được miễn ({status.reason}).")
        elif status.status == "in_progress":
            parts.append(f"{head}, còn thiếu {status.missing} bài; còn {status.days_left} ngày.")
        else:
            warn = True
            parts.append(f"⚠ {head}, THIẾU {status.missing} bài.")
    if not parts:
        return "", False
    text = (f"Chỉ tiêu {report.min_posts} bài/tháng (chỉ tính bài đã đăng; bản nháp, bài hẹn giờ không tính) — "
            + " ".join(parts))
    return text, warn


class QuotaTracker:
    """The quota banner from the posts' front matter, re-reading only the files that changed.

    Parsing every post again at each save would cost as much as an incremental build;
    posts are kept by (size, mtime) stamp, and all of them are dropped when site.yaml or
    the static files change.  A file with an error is simply not counted (the build
    reports it).
    """

    def __init__(self) -> None:
        self._key: object = None
        self._posts: dict[str, tuple[tuple[int, int], Post | None]] = {}

    def banner(self, site_dir: Path, now: datetime) -> tuple[str, bool]:
        from .config import load_valid_config
        from .quota import compute_quota

        try:
            config = load_valid_config(site_dir)
        except BuildFailed:
            return "", False
        if config.quota is None:
            return "", False
        static = frozenset(walk_files(site_dir / STATIC_DIR))
        if (config, static) != self._key:
            self._key, self._posts = (config, static), {}
        current: dict[str, tuple[tuple[int, int], Post | None]] = {}
        for rel in walk_files(site_dir / POSTS_DIR):
            if not rel.lower().endswith(".md"):
                continue
            path = f"{POSTS_DIR}/{rel}"
            try:
                st = os.stat(site_dir / path)
            except OSError:
                continue
            stamp = (st.st_size, st.st_mtime_ns)
            known = self._posts.get(path)
            current[path] = known if known is not None and known[0] == stamp else (
                stamp, _parse_post_file(site_dir, path, config, static))
        self._posts = current
        posts = [post for _, post in current.values() if post is not None]
        return quota_banner(compute_quota(posts, config.quota, now), now)


def _parse_post_file(site_dir: Path, path: str, config: SiteConfig, static: frozenset[str]) -> Post | None:
    from .site import parse_source

    try:
        source = load_source(site_dir, path, "post")
    except OSError:
        return None
    if isinstance(source, SiteError):
        return None
    post = parse_source(source, config, static)
    return post if isinstance(post, Post) else None


def build_preview(site_dir: Path, output_dir: Path, base_url: str, now: datetime,
                  quota: QuotaTracker | None = None) -> BuildReport:
    """Build the preview (drafts, future posts, banners, live reload); errors are returned, not raised."""
    from .build import build_site
    from .options import BuildOptions

    quota_text, quota_warning = (quota or QuotaTracker()).banner(site_dir, now)
    options = BuildOptions(now=now, drafts=True, future=True, preview=True)
    try:
        result = build_site(site_dir, output_dir, options, base_url=base_url, enforce_quota=False,
                            extra_globals={"preview_quota": quota_text}, cache_dir=site_dir / CACHE_SUBDIR)
    except BuildFailed as failed:
        return BuildReport(False, failed.errors, quota_text=quota_text, quota_warning=quota_warning)
    return BuildReport(True, (), tuple(result.warnings), result.pages, result.seconds, quota_text, quota_warning,
                       bool(getattr(result, "unchanged", False)))


def site_now(site_dir: Path, clock: Callable[[], datetime]) -> datetime:
    """The clock in the site's timezone (the default one while site.yaml is broken)."""
    from .config import load_config

    try:
        config = load_config(site_dir)
        tz = ZoneInfo(DEFAULT_TZ) if isinstance(config, list) else config.tz
    except (OSError, ValueError):
        tz = ZoneInfo(DEFAULT_TZ)
    return clock().astimezone(tz)


# --------------------------------------------------------------------------
# shared state: the epoch and the errors of the latest build
# --------------------------------------------------------------------------

class PreviewState:
    """What request threads need to know about the builds; thread-safe."""

    def __init__(self, root: Path, site_dir: Path, instance: str | None = None) -> None:
        self.root = Path(root)  # the build folder; its content is swapped atomically
        self.site_dir = Path(site_dir)
        self.instance = instance or secrets.token_hex(4)
        self._cond = threading.Condition()
        self._epoch = 0
        self._errors: tuple[SiteError, ...] = ()
        self._built = False
        self._closed = False

    def _tag(self) -> str:
        return f"{self.instance}-{self._epoch}"

    @property
    def tag(self) -> str:
        """Changes at every build attempt (and differs between server runs)."""
        with self._cond:
            return self._tag()

    def snapshot(self) -> tuple[str, tuple[SiteError, ...]]:
        with self._cond:
            return self._tag(), self._errors

    @property
    def built(self) -> bool:
        with self._cond:
            return self._built

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def publish(self, errors: tuple[SiteError, ...] = ()) -> str:
        """Record a finished build attempt (after its folder swap) and wake every listener."""
        with self._cond:
            self._epoch += 1
            self._errors = tuple(errors)
            self._built = True
            self._cond.notify_all()
            return self._tag()

    def wait_for_change(self, tag: str, timeout: float) -> str | None:
        """The current tag once it differs from ``tag`` or ``timeout`` passed; None when closing."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._tag() != tag, timeout)
            return None if self._closed else self._tag()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


# --------------------------------------------------------------------------
# pure helpers of the HTTP side
# --------------------------------------------------------------------------

def request_path(raw: str) -> str | None:
    """The decoded URL path of a request target, or None when it is unsafe or malformed.

    ``..`` and ``.`` segments (also written ``%2e%2e``, ``..%2f``), backslashes and NUL
    bytes are refused: the preview serves only files under its build folder.
    """
    if raw.startswith("/"):
        target = raw.split("?", 1)[0].split("#", 1)[0]
    else:  # absolute-form (a proxy request): keep only the path
        target = urlsplit(raw).path
    if not target.startswith("/"):
        return None
    try:
        decoded = unquote(target, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return None
    return decoded


@dataclass(frozen=True)
class Resolved:
    kind: str  # "file", "redirect" (a folder without its trailing slash) or "missing"
    path: str = ""


def resolve(root: Path, url_path: str) -> Resolved:
    """The file a URL path names under ``root``; folders give their index.html.

    Resolved with symlinks followed, and refused unless it stays inside ``root``.
    """
    base = os.path.realpath(root)
    segments = [s for s in url_path.split("/") if s]
    candidate = os.path.realpath(os.path.join(base, *segments)) if segments else base

    def inside(path: str) -> bool:
        return path == base or path.startswith(base.rstrip(os.sep) + os.sep)

    if not inside(candidate):
        return Resolved("missing")
    if os.path.isdir(candidate):
        if not url_path.endswith("/"):
            return Resolved("redirect")
        candidate = os.path.realpath(os.path.join(candidate, "index.html"))
        if not inside(candidate):
            return Resolved("missing")
    if os.path.isfile(candidate):
        return Resolved("file", candidate)
    return Resolved("missing")


def content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")


def is_html_request(url_path: str) -> bool:
    """Whether the URL is a page (``/x/``, ``/x.html``, ``/x``) rather than an asset."""
    last = url_path.rsplit("/", 1)[-1]
    return not last or last.lower().endswith((".html", ".htm")) or "." not in last


def livereload_src(tag: str) -> str:
    return f"{LIVERELOAD_PATH}?v={tag}"


def inject_livereload(page: bytes, tag: str) -> bytes:
    """Stamp the page's live-reload script with the build it was served from.

    The theme includes ``/__cchc/livereload.js`` in preview builds; a site template
    that lacks it gets the script added before ``</head>`` (or ``</body>``).
    """
    src = livereload_src(tag).encode("ascii")
    marker = f'{LIVERELOAD_PATH}"'.encode("ascii")
    if marker in page:
        return page.replace(marker, src + b'"', 1)
    tag_html = b'<script src="' + src + b'" defer></script>'
    lower = page.lower()
    for closing in (b"</head>", b"</body>"):
        at = lower.find(closing)
        if at >= 0:
            return page[:at] + tag_html + b"\n" + page[at:]
    return page + tag_html


def _excerpt(site_dir: Path, error: SiteError, around: int = 2) -> list[tuple[int, str]]:
    """Lines around the error, from a file of the site (never outside it)."""
    if error.line <= 0:
        return []
    try:
        base = site_dir.resolve()
        path = (site_dir / error.path).resolve()
        path.relative_to(base)
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except (OSError, ValueError):
        return []
    first = max(error.line - around, 1)
    last = min(error.line + around, len(lines))
    return [(n, lines[n - 1]) for n in range(first, last + 1)]


def error_page(errors: tuple[SiteError, ...], tag: str, site_dir: Path, url_path: str) -> bytes:
    """The page shown for every HTML request while the build fails (Vietnamese, CSP-clean)."""
    esc = html.escape
    items: list[str] = []
    for error in errors:
        where = f"<code>{esc(error.path)}</code>" + (f", dòng <strong>{error.line}</strong>" if error.line else "")
        code = f' <span class="cchc-code">{esc(error.code)}</span>' if error.code else ""
        kind = "Cảnh báo" if error.severity == "warning" else "Lỗi"
        block = [f'<li><p class="cchc-where">{kind}: {where}{code}</p>',
                 f'<p class="cchc-message">{esc(error.message)}</p>',
                 f'<p class="cchc-raw"><code>{esc(error.format())}</code></p>']
        lines = _excerpt(site_dir, error)
        if lines:
            rows = "".join(
                f'<span class="cchc-line{" cchc-bad" if n == error.line else ""}">'
                f'<span class="cchc-n">{n}</span>{esc(text) or " "}</span>\n' for n, text in lines)
            block.append(f'<pre class="cchc-source" aria-label="Đoạn tệp quanh dòng {error.line}">{rows}</pre>')
        block.append("</li>")
        items.append("".join(block))
    count = sum(1 for e in errors if e.severity == "error") or len(errors)
    body = f"""<!DOCTYPE html>
<html lang="vi" data-cchc-error="1">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Lỗi khi dựng trang — bản xem trước</title>
<link rel="stylesheet" href="{STYLE_PATH}">
<link rel="icon" href="data:,">
<script src="{esc(livereload_src(tag))}" defer></script>
</head>
<body>
<main class="cchc-error">
<h1>Chưa dựng được trang: {count} lỗi</h1>
<p>Mở tệp ở dòng được chỉ ra, sửa rồi <strong>lưu lại</strong>. Trang này tự tải lại khi hết lỗi
(địa chỉ đang mở: <code>{esc(url_path)}</code>).</p>
<ol class="cchc-errors">
{"".join(items)}
</ol>
<p class="cchc-note">Bản xem trước lần dựng thành công gần nhất vẫn được giữ, nhưng chưa hiện cho tới khi sửa xong.
Dòng <code>tệp:dòng: MÃ</code> cũng được in ở cửa sổ dòng lệnh đang chạy <code>cchc-site serve</code>.</p>
</main>
</body>
</html>
"""
    return body.encode("utf-8")


LIVERELOAD_JS = r"""/* cchc-site preview: reload this tab after every rebuild (served by `cchc-site serve` only). */
(function () {
  "use strict";
  var KEY = "cchc-preview-scroll";
  var here = location.pathname + location.search;
  var onErrorPage = document.documentElement.hasAttribute("data-cchc-error");
  var pageTag = null;
  try {
    var script = document.currentScript;
    if (script && script.src) { pageTag = new URL(script.src, location.href).searchParams.get("v"); }
  } catch (e) { pageTag = null; }

  function readSaved() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function forget() {
    try { sessionStorage.removeItem(KEY); } catch (e) { /* storage disabled */ }
  }
  function restore() {
    var saved = readSaved();
    if (!saved) { return; }
    if (saved.path !== here) { forget(); return; }
    if (onErrorPage) { return; }  /* keep it for the fixed page */
    var apply = function () { window.scrollTo(saved.x || 0, saved.y || 0); };
    apply();
    /* again once images are in; scrollRestoration stays "manual" on this entry, or the
       browser would restore the error page's position after the load event */
    window.addEventListener("load", function () { apply(); forget(); });
  }
  function reload() {
    try {
      /* the error page keeps the position saved by the page before it */
      if (!onErrorPage) {
        sessionStorage.setItem(KEY, JSON.stringify({ path: here, x: window.scrollX, y: window.scrollY }));
      }
      history.scrollRestoration = "manual";  /* the browser's own restoring would fight ours */
    } catch (e) { /* storage disabled: reload anyway */ }
    location.reload();
  }

  var source = null;
  function connect() {
    if (source || typeof EventSource === "undefined") { return; }
    source = new EventSource("/__cchc/events");
    source.addEventListener("build", function (event) {
      if (pageTag === null) { pageTag = event.data; return; }
      if (event.data !== pageTag) {
        source.close();
        source = null;
        reload();
      }
    });
  }
  function disconnect() {
    if (source) { source.close(); source = null; }
  }
  /* A hidden tab lets its connection go (browsers allow few per server) and checks again when shown. */
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { disconnect(); } else { connect(); }
  });
  restore();
  if (!document.hidden) { connect(); }
})();
"""

PREVIEW_CSS = """/* cchc-site preview: the build-error page. */
body { margin: 0; font-family: "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  font-size: 1.0625rem; line-height: 1.55; color: #1a1a1a; background: #fff; }
.cchc-error { max-width: 60rem; margin: 0 auto; padding: 1rem; }
.cchc-error h1 { color: #8a1111; font-size: 1.6rem; margin: 0.5rem 0 0.75rem; }
.cchc-errors { padding-left: 1.25rem; }
.cchc-errors li { margin: 0 0 1.25rem; padding: 0.5rem 0.75rem; border-left: 4px solid #a51c1c; background: #fdf1f1; }
.cchc-where, .cchc-message, .cchc-raw { margin: 0.25rem 0; }
.cchc-code { display: inline-block; background: #a51c1c; color: #fff; padding: 0 0.4rem; border-radius: 3px;
  font-family: Consolas, "DejaVu Sans Mono", monospace; }
.cchc-raw { color: #555; font-size: 0.9rem; word-break: break-word; }
.cchc-source { background: #fff; border: 1px solid #d9b3b3; padding: 0.5rem; overflow-x: auto; margin: 0.5rem 0 0; }
.cchc-line { display: block; white-space: pre; }
.cchc-bad { background: #ffe1e1; font-weight: bold; }
.cchc-n { display: inline-block; min-width: 3ch; margin-right: 1ch; color: #666; text-align: right; }
.cchc-note { color: #444; font-size: 0.95rem; }
code { font-family: Consolas, "DejaVu Sans Mono", monospace; }
"""


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

class PreviewHandler(BaseHTTPRequestHandler):
    """GET/HEAD of the preview folder plus the live-reload endpoints."""

    server: "PreviewServer"
    server_version = "cchc-site-preview"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the terminal readable
        return None

    def do_GET(self) -> None:  # noqa: N802
        self._handle(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle(head=True)

    # -- responses ---------------------------------------------------------

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _plain(self, status: int, text: str, head: bool) -> None:
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8", head)

    def _handle(self, head: bool) -> None:
        state = self.server.state
        path = request_path(self.path)
        if path is None:
            self._plain(400, "Địa chỉ không hợp lệ.", head)
            return
        try:
            if path == LIVERELOAD_PATH:
                self._send(200, LIVERELOAD_JS.encode("utf-8"), CONTENT_TYPES[".js"], head)
            elif path == STYLE_PATH:
                self._send(200, PREVIEW_CSS.encode("utf-8"), CONTENT_TYPES[".css"], head)
            elif path == EVENTS_PATH:
                self._events(head)
            elif path == STATUS_PATH:
                tag, errors = state.snapshot()
                data = {"tag": tag, "ok": not errors, "errors": [e.format() for e in errors]}
                self._send(200, json.dumps(data, ensure_ascii=False).encode("utf-8"), CONTENT_TYPES[".json"], head)
            else:
                self._file(path, head)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass

    def _file(self, path: str, head: bool) -> None:
        state = self.server.state
        tag, errors = state.snapshot()  # read before the file: a newer file with an older tag only reloads twice
        if errors and is_html_request(path):
            self._send(500, error_page(errors, tag, state.site_dir, path), CONTENT_TYPES[".html"], head)
            return
        found = resolve(state.root, path)
        if found.kind == "missing" and state.built and not state.root.is_dir():
            found = self._wait_for_swap(path)  # a non-atomic swap (not Linux) is in progress
        if found.kind == "redirect":
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            location = path + "/" + (f"?{query}" if query else "")
            self._send(301, b"", "text/plain; charset=utf-8", head, {"Location": location})
            return
        if found.kind == "missing":
            self._not_found(path, tag, head)
            return
        try:
            with open(found.path, "rb") as handle:
                body = handle.read()
        except OSError:
            self._not_found(path, tag, head)
            return
        ctype = content_type(found.path)
        if ctype.startswith("text/html"):
            body = inject_livereload(body, tag)
        self._send(200, body, ctype, head)

    def _wait_for_swap(self, path: str) -> Resolved:
        root = self.server.state.root
        for _ in range(50):
            time.sleep(0.02)
            if root.is_dir():
                break
        return resolve(root, path)

    def _not_found(self, path: str, tag: str, head: bool) -> None:
        page = resolve(self.server.state.root, "/404.html")
        if page.kind == "file":
            try:
                with open(page.path, "rb") as handle:
                    body = inject_livereload(handle.read(), tag)
                self._send(404, body, CONTENT_TYPES[".html"], head)
                return
            except OSError:
                pass
        self._plain(404, f"Không tìm thấy {path}.", head)

    def _events(self, head: bool) -> None:
        state = self.server.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if head:
            return
        tag = state.tag
        self.wfile.write(f"retry: 1000\nevent: build\ndata: {tag}\n\n".encode("ascii"))
        self.wfile.flush()
        while True:
            current = state.wait_for_change(tag, KEEPALIVE_SECONDS)
            if current is None:  # the server is stopping
                return
            if current != tag:
                tag = current
                self.wfile.write(f"event: build\ndata: {tag}\n\n".encode("ascii"))
            else:
                self.wfile.write(b": ping\n\n")  # also notices a closed tab
            self.wfile.flush()


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would let two servers share a port

    def __init__(self, address: tuple[str, int], state: PreviewState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, PreviewHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a tab closed or a reload cut a response short: normal during a preview
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for the host name (getfqdn), which can hang offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


def display_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


# --------------------------------------------------------------------------
# rebuilding and watching
# --------------------------------------------------------------------------

class Builder:
    """Runs the injected build function, publishes the result, reports it."""

    def __init__(self, build: Callable[[datetime], BuildReport], state: PreviewState,
                 now: Callable[[], datetime], log: Log = _silent) -> None:
        self.build = build
        self.state = state
        self.now = now
        self.log = log
        self._last_quota = ""

    def rebuild(self, batch: Batch | None = None) -> BuildReport:
        if batch is not None:
            self.log(f"Thay đổi: {describe(batch)} — đang dựng lại…")
        try:
            report = self.build(self.now())
        except Exception as exc:  # a bug must not stop the preview; show it like a build error
            self.log(traceback.format_exc(), error=True)
            report = BuildReport(False, (SiteError("cchc-site", 0, "", f"Lỗi không mong đợi khi dựng trang: "
                                                                      f"{type(exc).__name__}: {exc}"),))
        if report.ok and report.unchanged and batch is not None and self.state.built and not self.state.snapshot()[1]:
            # a save that changed nothing (or a second event of the same save): no reload needed
            self.log(f"Không có trang nào thay đổi ({report.seconds:.2f} giây).")
            return report
        self.state.publish(() if report.ok else report.errors)
        if report.ok:
            for warning in report.warnings:
                self.log(warning.format(), error=True)
            reload = "; trình duyệt tự tải lại" if batch is not None else ""
            self.log(f"Đã dựng xong ({report.pages} tệp được ghi mới) trong {report.seconds:.2f} giây{reload}.")
        else:
            for error in report.errors:
                self.log(error.format(), error=True)
            count = sum(1 for e in report.errors if e.severity == "error") or len(report.errors)
            self.log(f"Dựng trang thất bại: {count} lỗi. Trình duyệt hiện trang báo lỗi cho tới khi bạn sửa "
                     "và lưu tệp.", error=True)
        if report.quota_text and report.quota_text != self._last_quota:
            self.log(report.quota_text, error=report.quota_warning)
        self._last_quota = report.quota_text
        return report


class Watcher:
    """watchdog observer on ``site.yaml`` (the site folder, not recursive), ``content/`` and ``templates/``."""

    def __init__(self, site_dir: Path, sink: Callable[[Change], None]) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class Forward(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: ANN001
                src = event.src_path.decode() if isinstance(event.src_path, bytes) else event.src_path
                dest = getattr(event, "dest_path", "") or ""
                dest = dest.decode() if isinstance(dest, bytes) else dest
                sink(Change(event.event_type, src, dest, bool(event.is_directory)))

        self.site_dir = site_dir
        self.handler = Forward()
        self.observer = Observer()
        self.watches: dict[str, object] = {}

    def ensure(self) -> None:
        """Watch the folders that exist now (``content/`` may be created later)."""
        for path, recursive in ((self.site_dir, False), (self.site_dir / "content", True),
                                (self.site_dir / "templates", True)):
            key = str(path)
            if path.is_dir() and key not in self.watches:
                try:
                    self.watches[key] = self.observer.schedule(self.handler, key, recursive=recursive)
                except OSError:
                    continue
            elif not path.is_dir() and key in self.watches:
                try:
                    self.observer.unschedule(self.watches.pop(key))  # type: ignore[arg-type]
                except (KeyError, OSError, ValueError):
                    pass

    def start(self) -> None:
        self.ensure()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def watch_loop(changes: "queue.Queue[Change]", site_root: str, on_batch: Callable[[Batch], None],
               monotonic: Callable[[], float] = time.monotonic, stop: threading.Event | None = None,
               idle: float = 0.5) -> None:
    """Feed changes into :class:`Pending` and rebuild each burst once it is quiet; runs until ``stop``.

    ``idle`` caps each wait, so that Ctrl+C is noticed promptly (Windows) and ``stop`` is checked.
    """
    pending = Pending()
    while stop is None or not stop.is_set():
        wait = pending.wait(monotonic())
        timeout = idle if wait is None else min(wait, idle)
        try:
            change = changes.get(timeout=timeout) if timeout > 0 else changes.get_nowait()
            pending = feed(pending, site_root, change, monotonic())
        except queue.Empty:
            pass
        pending, batch = pending.take(monotonic())
        if batch is not None:
            on_batch(batch)


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------

def serve(site_dir: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False, *,
          log: Log = _silent, clock: Callable[[], datetime] | None = None,
          build: Callable[[datetime], BuildReport] | None = None) -> int:
    """Build, serve and rebuild on change until Ctrl+C; returns the exit code."""
    site_dir = Path(site_dir).absolute()
    output = site_dir / PREVIEW_DIR
    state = PreviewState(output, site_dir)
    try:
        server = PreviewServer((host, port), state)
    except OSError as exc:
        log(f"Không mở được cổng {port} trên {host}: {exc.strerror or exc}. Có thể một 'cchc-site serve' khác "
            f"đang chạy; đóng nó, hoặc chọn cổng khác, ví dụ --port {port + 1 if port else 8001}.", error=True)
        return 2
    bound_port = server.server_address[1]
    url = f"http://{display_host(host)}:{bound_port}/"
    clock = clock or (lambda: datetime.now(timezone.utc))
    if build is None:
        tracker = QuotaTracker()

        def build(now: datetime) -> BuildReport:
            return build_preview(site_dir, output, url, now, tracker)
    builder = Builder(build, state, lambda: site_now(site_dir, clock), log)

    restore: list[tuple[int, object]] = []
    if threading.current_thread() is threading.main_thread():
        # Ctrl+C must stop the preview even if the parent process ignores SIGINT; SIGTERM too.
        restore.append((signal.SIGINT, signal.signal(signal.SIGINT, signal.default_int_handler)))
        if hasattr(signal, "SIGTERM"):
            restore.append((signal.SIGTERM, signal.signal(signal.SIGTERM, _raise_interrupt)))

    changes: "queue.Queue[Change]" = queue.Queue()
    watcher: Watcher | None = None
    thread: threading.Thread | None = None
    try:
        # Watch first: a file saved during the first build is queued and rebuilt, never missed.
        candidate = Watcher(site_dir, changes.put)
        try:
            candidate.start()
            watcher = candidate
        except OSError as exc:
            log(f"Không theo dõi được thay đổi của tệp ({exc}); trang sẽ không tự dựng lại, hãy chạy lại "
                "'cchc-site serve' sau khi sửa.", error=True)
        log(f"Đang dựng bản xem trước của {site_dir} (gồm cả bản nháp và bài hẹn giờ)…")
        builder.rebuild()
        thread = threading.Thread(target=server.serve_forever, name="cchc-preview-http", daemon=True)
        thread.start()
        log(f"Xem trước tại {url}  — lưu tệp là trang tự cập nhật. Nhấn Ctrl+C để dừng.")
        if open_browser:
            import webbrowser
            webbrowser.open(url)

        def on_batch(batch: Batch) -> None:
            if watcher is not None:
                watcher.ensure()
            builder.rebuild(batch)

        watch_loop(changes, str(site_dir), on_batch)
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        if watcher is not None:
            watcher.stop()
        if thread is not None:
            server.shutdown()
        server.server_close()
        for signum, handler in restore:
            signal.signal(signum, handler)  # type: ignore[arg-type]
    log("Đã dừng bản xem trước.")
    return 0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
