"""Helpers that locate and drive the real external test tools.

Tools (installed by ``.ci/run``; see the env vars it exports):

* headless Chromium (Debian package ``chromium``)  -- ``CCHC_CHROMIUM``
* W3C Nu HTML Checker (npm ``vnu-jar``, run with ``java``) -- ``CCHC_VNU_JAR``
* axe-core (npm ``axe-core``, ``axe.min.js``)              -- ``CCHC_AXE_JS``

When a tool is missing, tests are *skipped*, unless ``CCHC_REQUIRE_TOOLS=1``
(set in CI), in which case they *fail*.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Flags Chromium needs on this (root, offline, GPU-less) machine.
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # otherwise it dials Google, gets refused
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

#: WCAG tags checked by :func:`run_axe` by default.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

VNU_REL = Path("node_modules/vnu-jar/build/dist/vnu.jar")
AXE_REL = Path("node_modules/axe-core/axe.min.js")


# --------------------------------------------------------------------------
# locating tools
# --------------------------------------------------------------------------

def tools_required() -> bool:
    return os.environ.get("CCHC_REQUIRE_TOOLS", "").strip().lower() in {"1", "true", "yes"}


def _tools_dir() -> Path:
    if os.environ.get("CCHC_TOOLS"):
        return Path(os.environ["CCHC_TOOLS"])
    return Path(os.environ.get("HOME") or Path.home()) / ".cache" / "cchc-tools"


@functools.lru_cache(maxsize=1)
def _npm_global_root() -> Path | None:
    npm = shutil.which("npm")
    if not npm:
        return None
    try:
        out = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    root = out.stdout.strip()
    return Path(root) if out.returncode == 0 and root else None


def _first_existing(candidates: Iterable[Path | str | None]) -> Path | None:
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def _npm_tool(env_var: str, rel: Path) -> Path | None:
    if os.environ.get(env_var):  # explicit setting wins, even if wrong (reported as missing)
        p = Path(os.environ[env_var])
        return p if p.is_file() else None
    found = _first_existing([_tools_dir() / rel, REPO_ROOT / rel])
    if found:
        return found
    groot = _npm_global_root()
    return _first_existing([groot / rel.relative_to("node_modules")]) if groot else None


def chromium_path() -> Path | None:
    if os.environ.get("CCHC_CHROMIUM"):
        p = Path(os.environ["CCHC_CHROMIUM"])
        return p if p.is_file() else None
    return _first_existing(
        [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
        + ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
    )


def vnu_jar_path() -> Path | None:
    return _npm_tool("CCHC_VNU_JAR", VNU_REL)


def axe_js_path() -> Path | None:
    return _npm_tool("CCHC_AXE_JS", AXE_REL)


def java_path() -> Path | None:
    return _first_existing([os.environ.get("CCHC_JAVA"), shutil.which("java")])


def require_or_skip(name: str, path: Path | str | None) -> Path:
    """Return ``path`` if it exists; otherwise skip (or fail under CCHC_REQUIRE_TOOLS=1)."""
    if path and Path(path).exists():
        return Path(path)
    msg = (f"required test tool {name!r} not found (got {path!r}); install it as .ci/run does, "
           "or set CCHC_CHROMIUM / CCHC_VNU_JAR / CCHC_AXE_JS / CCHC_JAVA")
    if tools_required():
        pytest.fail(msg + " [CCHC_REQUIRE_TOOLS=1]", pytrace=False)
    pytest.skip(msg)


def require_module(modname: str):
    """``pytest.importorskip`` that fails instead under CCHC_REQUIRE_TOOLS=1."""
    try:
        return __import__(modname, fromlist=["_"])
    except ImportError as exc:
        if tools_required():
            pytest.fail(f"python module {modname!r} missing: {exc} [CCHC_REQUIRE_TOOLS=1]", pytrace=False)
        pytest.skip(f"python module {modname!r} missing: {exc}")


# --------------------------------------------------------------------------
# Nu HTML Checker
# --------------------------------------------------------------------------

def _expand_html(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in {".html", ".htm"} and q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            # vnu silently ignores a missing file, so catch it here.
            raise FileNotFoundError(f"run_vnu: no such file: {p}")
    return files


def _file_url_to_path(url: str) -> str:
    if url.startswith("file:"):
        return urllib.parse.unquote(urllib.parse.urlparse(url).path)
    return url


def run_vnu(
    paths: Iterable[Path | str],
    *,
    errors_only: bool = True,
    extra_args: Iterable[str] = (),
    timeout: float = 900,
) -> list[dict]:
    """Check HTML files with the Nu HTML Checker in ONE java process (startup is ~1-2 s).

    ``paths`` may contain files or directories (searched for *.html/*.htm).
    Returns the error messages (type ``error`` / ``non-document-error``; with
    ``errors_only=False`` also warnings) as dicts with keys ``url`` (file URL as
    vnu gives it), ``path``, ``line``, ``column``, ``message``, ``extract``, ``type``.
    Skips/fails (see :func:`require_or_skip`) when java or vnu.jar is missing.
    """
    files = _expand_html(paths)
    if not files:
        return []
    java = require_or_skip("java", java_path())
    jar = require_or_skip("vnu.jar", vnu_jar_path())
    base = [str(java), "-Xss4m", "-jar", str(jar), "--format", "json", *extra_args]
    if errors_only:
        base.append("--errors-only")

    messages: list[dict] = []
    # one call unless the argument list gets huge (ARG_MAX safety)
    chunk: list[str] = []
    size = 0
    chunks: list[list[str]] = []
    for f in files:
        s = str(f.resolve())
        if chunk and size + len(s) > 100_000:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(s)
        size += len(s) + 1
    chunks.append(chunk)

    for ch in chunks:
        proc = subprocess.run(base + ch, capture_output=True, text=True, timeout=timeout)
        # vnu writes its JSON report to stderr; the JVM may print notes before it.
        raw = proc.stderr.strip() or proc.stdout.strip()
        start = raw.find('{"')
        try:
            report = json.loads(raw[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            report = None
        if report is None:
            raise RuntimeError(
                f"vnu produced no JSON (exit {proc.returncode}):\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
            )
        for m in report.get("messages", []):
            mtype = m.get("type")
            is_error = mtype in {"error", "non-document-error"} or m.get("subType") == "fatal"
            if errors_only and not is_error:
                continue
            url = m.get("url", "")
            messages.append(
                {
                    "type": mtype if mtype != "info" else m.get("subType", "info"),
                    "url": url,
                    "path": _file_url_to_path(url),
                    "line": m.get("lastLine"),
                    "column": m.get("firstColumn"),
                    "message": m.get("message", ""),
                    "extract": m.get("extract", ""),
                }
            )
    return messages


def format_vnu(messages: list[dict]) -> str:
    return "\n".join(f"{m['path']}:{m['line']}:{m['column']}: {m['type']}: {m['message']}" for m in messages)


# --------------------------------------------------------------------------
# Playwright / Chromium / axe
# --------------------------------------------------------------------------

def launch_chromium(playwright, **kwargs):
    """Launch Debian's Chromium headless through Playwright (no browser download)."""
    exe = require_or_skip("chromium", chromium_path())
    args = list(CHROMIUM_ARGS) + list(kwargs.pop("args", []))
    return playwright.chromium.launch(executable_path=str(exe), headless=True, args=args, **kwargs)


@functools.lru_cache(maxsize=4)
def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def run_axe(page, tags: Iterable[str] = AXE_TAGS, *, context: str | dict | None = None,
            options: dict | None = None) -> list[dict]:
    """Inject axe-core into ``page`` and return its violations for the WCAG 2.0/2.1 A+AA tags.

    ``context`` is an axe context (CSS selector or include/exclude dict), default ``document``.
    Each violation is axe's dict: ``id``, ``impact``, ``help``, ``helpUrl``, ``nodes`` ...
    """
    axe_js = require_or_skip("axe.min.js", axe_js_path())
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_read_text(str(axe_js)))
    opts = {"runOnly": {"type": "tag", "values": list(tags)}}
    if options:
        opts.update(options)
    result = page.evaluate(
        "async ([ctx, opts]) => { const r = await axe.run(ctx === null ? document : ctx, opts);"
        " return r.violations; }",
        [context, opts],
    )
    return result


def format_axe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v.get('impact')}] {v['id']}: {v.get('help')} ({v.get('helpUrl')})")
        for n in v.get("nodes", [])[:10]:
            lines.append(f"    {n.get('target')}: {n.get('html', '')[:200]}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# static HTTP server (site is deployed under a subpath, e.g. /cchc/)
# --------------------------------------------------------------------------

class _PrefixHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"  # overridden per server; always starts and ends with "/"
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".htm": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".xml": "application/xml",
        ".svg": "image/svg+xml",
        ".webmanifest": "application/manifest+json",
        ".txt": "text/plain; charset=utf-8",
        ".woff2": "font/woff2",
        ".pdf": "application/pdf",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def _strip_prefix(self) -> bool:
        path = self.path
        pfx = self.prefix
        if pfx != "/" and path.split("?", 1)[0] == pfx.rstrip("/"):
            self.send_response(301)
            self.send_header("Location", pfx + (("?" + path.split("?", 1)[1]) if "?" in path else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        if not path.startswith(pfx):
            self.send_error(404, "outside the served prefix")
            return False
        return True

    def translate_path(self, path):
        pfx = self.prefix
        if pfx != "/" and path.startswith(pfx):
            path = "/" + path[len(pfx):]
        return super().translate_path(path)

    def do_GET(self):
        if self._strip_prefix():
            super().do_GET()

    def do_HEAD(self):
        if self._strip_prefix():
            super().do_HEAD()

    def send_error(self, code, message=None, explain=None):
        # Like most static hosts: serve <root>/404.html as the body of a 404.
        page404 = Path(self.directory) / "404.html"
        if code == 404 and self.command != "HEAD" and page404.is_file():
            body = page404.read_bytes()
            self.send_response(404, message)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)


@contextlib.contextmanager
def static_server(root: Path | str, prefix: str = "/cchc/") -> Iterator[str]:
    """Serve ``root`` at ``http://127.0.0.1:PORT{prefix}``; yields that base URL (ends with '/')."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(root)
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = type("Handler", (_PrefixHandler,), {"prefix": prefix})
    factory = functools.partial(handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name=f"static-server{prefix}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def artifacts_dir() -> Path:
    """Folder for screenshots etc.: $CCHC_ARTIFACTS or <repo>/test-artifacts (git-ignored)."""
    d = Path(os.environ.get("CCHC_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d
