"""Helpers for tests: write small sites into a temporary folder, run the CLI, parse HTML."""
from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from cchc_site.cli import main

MINIMAL_CONFIG = """\
title: "Chuyên mục CCHC thử nghiệm"
organization: "Sở Thử nghiệm"
base_url: "https://example.gov.vn/cchc/"
categories:
  - name: "Hoạt động cải cách hành chính"
    slug: hoat-dong-cchc
  - name: "Văn bản chỉ đạo, điều hành"
    slug: van-ban-chi-dao
"""


def post(title: str, date: str, body: str = "Nội dung bài viết.", **extra: object) -> str:
    """Text of a post file with the given front matter."""
    lines = ["---", f'title: "{title}"', f'date: "{date}"']
    for key, value in extra.items():
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, list):
            lines.append(f"{key}: [{', '.join(repr(v) for v in value)}]")
        else:
            lines.append(f'{key}: "{value}"')
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def write_site(root: Path, files: dict[str, str | bytes], config: str | None = MINIMAL_CONFIG) -> Path:
    """Create a site folder: ``files`` maps site-relative paths to text (dedented) or bytes."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "site.yaml").write_text(textwrap.dedent(config), encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str | Path) -> CliResult:
    """Run ``cchc-site`` in-process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


def modules_loaded(*args: str | Path) -> tuple[CliResult, set[str]]:
    """Run ``cchc-site`` as authors do (a new Python process): what it printed and the modules it
    imported (as ``python -X importtime`` lists them)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "cchc_site", *map(str, args)],
                         capture_output=True, text=True, encoding="utf-8")
    lines = run.stderr.splitlines()
    modules = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    err = "\n".join(line for line in lines if not line.startswith("import time:"))
    return CliResult(run.returncode, run.stdout, err), modules


# What a build or check that finds nothing changed never loads (parsing, planning, rendering).
HEAVY_MODULES = frozenset({"cchc_site.wholebuild", "cchc_site.quickbuild", "cchc_site.plan", "cchc_site.render",
                           "cchc_site.site", "cchc_site.validate", "cchc_site.sources", "cchc_site.workers",
                           "jinja2", "markdown"})
# ... nor, once site.yaml's timezone is remembered, the code that reads site.yaml and content.
CONFIG_MODULES = frozenset({"yaml", "cchc_site.config", "cchc_site.frontmatter", "cchc_site.models",
                            "cchc_site.content"})


@dataclass
class ParsedPage:
    links: list[str] = field(default_factory=list)  # href of <a> and <link>
    sources: list[str] = field(default_factory=list)  # src of <script>, <img>
    ids: set[str] = field(default_factory=set)
    meta: dict[str, str] = field(default_factory=dict)  # name/property -> content
    text: str = ""
    title: str = ""
    main_text: str = ""
    lang: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._chunks: list[str] = []
        self._main: list[str] = []
        self._in_title = False
        self._main_depth = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.lang = a.get("lang", "")
        if tag in ("a", "link") and "href" in a:
            self.page.links.append(a["href"])
        if tag in ("script", "img", "source") and "src" in a:
            self.page.sources.append(a["src"])
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "meta":
            key = a.get("name") or a.get("property") or a.get("http-equiv")
            if key:
                self.page.meta[key] = a.get("content", "")
        if tag == "title":
            self._in_title = True
        if tag == "main":
            self._main_depth = 1
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "main":
            self._main_depth = 0
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title += data
        if self._skip:
            return
        self._chunks.append(data)
        if self._main_depth:
            self._main.append(data)


def parse_html(path_or_text: Path | str) -> ParsedPage:
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    parser = _Parser()
    parser.feed(text)
    parser.page.text = " ".join("".join(parser._chunks).split())
    parser.page.main_text = " ".join("".join(parser._main).split())
    return parser.page
