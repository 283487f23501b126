"""Security: autoescaped templates, W070 for scripts in content, a CSP that allows only 'self'."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from cchc_site.links import check_unsafe_html
from cchc_site.models import Page
from sitekit import MINIMAL_CONFIG, parse_html, run_cli, write_site

AS_OF = "2022-01-01"
EVIL = '<script>alert("xss")</script>'


class _Collector(HTMLParser):
    """Every element with its attributes, and the text inside <script>/<style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "style" or "src" not in a:
                self.inline_scripts.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None


def collect(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def html_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.is_file())


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = MINIMAL_CONFIG.replace('organization: "Sở Thử nghiệm"', f"organization: '{EVIL}'")
    site = write_site(tmp_path_factory.mktemp("evil") / "site", {
        "content/posts/2021/07/a.md": (f"---\ntitle: '{EVIL}'\ndate: 28/07/2021\nsummary: 'Tóm tắt {EVIL}'\n"
                                       f"author: '{EVIL}'\ntags: ['{EVIL}', CCHC]\n---\n\nNội dung bình thường.\n"),
        "content/pages/gioi-thieu.md": f"---\ntitle: '{EVIL}'\n---\n\nTrang.\n",
    }, config=config)
    result = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert result.code == 0, result.err
    return site


def test_front_matter_and_site_yaml_text_is_escaped(evil_site: Path) -> None:
    out = evil_site / "output"
    files = html_files(out)
    assert len(files) > 10
    seen_text = 0
    for path in files:
        html = path.read_text(encoding="utf-8")
        assert 'alert("xss")</script>' not in html and "alert(&#34;xss&#34;)</script>" not in html, path
        for tag, attrs in collect(html).elements:
            if tag == "script":
                assert attrs.get("src", "").startswith("/cchc/assets/"), (path, attrs)
        if EVIL in parse_html(html).text:
            seen_text += 1  # shown as text, escaped
    assert seen_text >= 3
    post_html = (out / "tin-tuc/2021/07/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in post_html
    for xml in ("rss.xml", "sitemap.xml"):
        assert "<script>" not in (out / xml).read_text(encoding="utf-8")


def test_templates_autoescape() -> None:
    from datetime import datetime, timezone

    from cchc_site.config import parse_config
    from cchc_site.options import BuildOptions
    from cchc_site.render import Theme, make_environment

    config = parse_config(MINIMAL_CONFIG)
    assert not isinstance(config, list)
    env = make_environment(Theme(Path("/nonexistent")), config, BuildOptions(now=datetime.now(timezone.utc)))
    for name in ("post.html", "rss.xml", "sitemap.xml", "x.svg"):
        assert env.autoescape(name) if callable(env.autoescape) else env.autoescape, name
    assert env.from_string("{{ x }}").render(x=EVIL) == "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;"


def parse_csp(html: str) -> dict[str, list[str]]:
    metas = [a for tag, a in collect(html).elements
             if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert len(metas) == 1, "exactly one CSP meta tag"
    policy: dict[str, list[str]] = {}
    for part in metas[0]["content"].split(";"):
        words = part.split()
        if words:
            assert words[0] not in policy, f"directive {words[0]} twice"
            policy[words[0]] = words[1:]
    return policy


def test_every_page_has_a_csp_allowing_only_self(evil_site: Path) -> None:
    for path in html_files(evil_site / "output"):
        html = path.read_text(encoding="utf-8")
        policy = parse_csp(html)
        assert policy.get("default-src") == ["'self'"], path
        assert policy.get("script-src") == ["'self'"], path
        assert policy.get("style-src") == ["'self'"], path
        assert policy.get("object-src") == ["'none'"], path
        for directive, sources in policy.items():
            allowed = {"'self'", "'none'"} | ({"data:"} if directive in ("img-src", "font-src") else set())
            assert set(sources) <= allowed, (path, directive, sources)
        # and the page itself needs nothing that policy would block
        collector = collect(html)
        assert collector.inline_scripts == [], (path, "inline <script>/<style>")
        for tag, attrs in collector.elements:
            assert "style" not in attrs, (path, tag, "inline style attribute")
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            for name in ("src", "href"):
                value = attrs.get(name, "")
                assert not value.lower().startswith("javascript:"), (path, tag)
                if tag in ("script", "link", "img") and name in attrs and attrs.get("rel") not in (
                        "canonical", "alternate"):
                    assert value.startswith("/cchc/") or value.startswith("data:"), (path, tag, value)


UNSAFE_POST = """\
---
title: "Bài có mã"
date: 28/07/2021
---

Đoạn đầu.

<script src="https://example.com/x.js"></script>

<p onmouseover="alert(1)">Rê chuột</p>

[Bấm](javascript:alert(1))

Nói về javascript: ngôn ngữ lập trình, không phải liên kết.

```html
<script>minh họa</script>
```

Mã `<button onclick="x()">` trong dòng.
"""


def test_check_warns_about_scripts_in_content(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/07/ma.md": UNSAFE_POST})
    result = run_cli("check", "--site", site)
    assert result.code == 0, result.out
    lines = [line for line in result.out.splitlines() if " W070 " in line]
    where = [line.split(" W070 ")[0] for line in lines]
    assert where == ["content/posts/2021/07/ma.md:8:", "content/posts/2021/07/ma.md:10:",
                     "content/posts/2021/07/ma.md:12:"], result.out
    assert "<script>" in lines[0] and "onclick=" in lines[1] and "javascript:" in lines[2]
    built = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert built.code == 0 and built.err.count(" W070 ") == 3, built.err


def test_strict_security_makes_them_errors(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/07/ma.md": UNSAFE_POST},
                      config=MINIMAL_CONFIG + "security: strict\n")
    result = run_cli("check", "--site", site)
    assert result.code == 1
    assert result.out.count(" W070 ") == 3 and "security: strict" in result.out
    built = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert built.code == 1 and built.err.count(" W070 ") == 3
    assert not (site / "output").exists()


@pytest.mark.parametrize("line, flagged", [
    ("<script>alert(1)</script>", True),
    ("<SCRIPT SRC=//x.js>", True),
    ('<img src="a.png" onerror="alert(1)">', True),
    ("<svg/onload=alert(1)>", True),
    ('<a href="javascript:alert(1)">x</a>', True),
    ('<a href="jav&#x09;ascript:alert(1)">x</a>', True),
    ("<a href=' JavaScript:void(0)'>x</a>", True),
    ("[x](javascript:alert(1))", True),
    ("[ref]: javascript:alert(1)", True),
    ('<iframe src="vbscript:msgbox(1)">', True),
    ("Ngôn ngữ javascript: phổ biến trên web.", False),
    ("Tham gia trực tuyến (online) = tiện lợi", False),
    ("`<script>` là thẻ HTML", False),
    ('<a href="/tin-tuc/" title="on: x">Tin</a>', False),
])
def test_unsafe_patterns(line: str, flagged: bool) -> None:
    page = Page("content/pages/a.md", "A", "a", "", False, f"Đầu.\n\n{line}\n", 5, "d")
    problems = check_unsafe_html([page], strict=False)
    assert bool(problems) == flagged, problems
    if flagged:
        assert problems[0].line == 7 and problems[0].severity == "warning" and problems[0].code == "W070"


# --- the quick look before the line-by-line scan ------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cchc_site.links import _may_be_unsafe, unsafe_lines  # noqa: E402

_PIECES = st.sampled_from([
    "Nội dung", " ", "\n", "\t", "\r", "\x00", ":", "<", ">", "=", "\"", "'", "](", "]:", "`", "```\n", "~~~\n",
    "<script>", "< SCRIPT", "<img src=x onerror=alert(1)>", "<a/onclick =x>", "java", "vb", "script", "SCRIPT",
    "scr", "ipt", "javascript:", "JaVa\tScRiPt:", "java\nscript:", "&#106;avascript:", "&#x73;cript:", "&colon;",
    "&lt;script&gt;", "[x](", "[x]: ", "<http://", "javascript&#58;", "ſcript:", "scrİpt:", "scrıpt:", "onload", "on", "click=",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_the_quick_look_never_hides_what_the_line_scan_finds(body: str) -> None:
    if unsafe_lines(body):
        assert _may_be_unsafe(body), body


def test_the_quick_look_passes_plain_text_and_catches_each_kind() -> None:
    assert not _may_be_unsafe("Thời gian: 15 ngày.\n\n| Mã | Tên |\n|---|---|\n| 1 | <b>đậm</b> |\n")
    for body in ("<script>x</script>", '<img src="a" onerror="x">', "[a](java\n script:alert(1))", "[a](&#106;avascript:x)"):
        assert _may_be_unsafe(body), body


@pytest.mark.parametrize("body", ["<`Nội dung`script>", "[a](java`x`script:alert(1))", "<a on`x`click=alert(1)>"])
def test_a_code_span_splits_the_text_around_it(body: str) -> None:
    """``<`x`script`` renders as ``&lt;<code>x</code>script``: no tag.  The line scan once
    joined the two sides when it dropped the code span (and the quick look disagreed with it)."""
    assert unsafe_lines(body) == []
    assert unsafe_lines(body.replace("`x`", "").replace("`Nội dung`", "")) != []  # without the code span: flagged
