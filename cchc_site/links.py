"""Internal link checking and unsafe-HTML scanning (pure)."""
from __future__ import annotations

import html as html_lib
import re
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from .errors import SiteError
from .models import Page, Post, Procedure, RenderedLike

_SCRIPT = re.compile(r"<\s*script\b", re.I)
# An attribute named on...= inside a tag: onclick=, onerror=, onload= ...
_HANDLER = re.compile(r"<[a-z][^>]*?[\s/\"']on[a-z]+\s*=", re.I)
# A javascript: (or vbscript:) URL in an attribute, a Markdown link or an autolink.  Browsers
# ignore tabs, newlines and entities inside the scheme, so those are removed first.
_JS_URL = re.compile(r"(?:=\s*[\"']?|\]\(\s*<?|<|\]:\s*)\s*(?:java|vb)script:", re.I)
_FENCE_LINE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1")

def resolves(target: str, known: frozenset[str]) -> bool:
    """Whether a site path (as written by an author) names a page or file of the site."""
    path = unquote(urlsplit(target).path)
    if not path:
        return True
    if path in known:
        return True
    if path.endswith("/index.html") and path[: -len("index.html")] in known:
        return True
    return not path.endswith("/") and (path + "/") in known


def targets_of(url: str) -> tuple[str, ...]:
    """The paths (as :func:`resolves` reads a link) that name the page at ``url`` and no other
    path of the site: ``/a/``, ``/a/index.html`` and ``/a``."""
    if url.endswith("/"):
        return (url, url + "index.html", url[:-1]) if len(url) > 1 else (url, url + "index.html")
    return (url,)


def link_paths(docs: Iterable[Post | Page | Procedure], rendered: Mapping[str, RenderedLike]) -> frozenset[str]:
    """The site paths that the documents' internal links name (as :func:`resolves` reads them)."""
    return frozenset(path for doc in docs for link in rendered[doc.digest].links
                     if not link.target.startswith("tthc:") and (path := unquote(urlsplit(link.target).path)))


def check_links(docs: Iterable[Post | Page | Procedure], rendered: Mapping[str, RenderedLike],
                known: frozenset[str], codes: frozenset[str]) -> list[SiteError]:
    """Every ``/site/path`` and ``tthc:code`` link in the documents must exist."""
    errors: list[SiteError] = []
    for doc in docs:
        for link in rendered[doc.digest].links:
            line = doc.body_line + link.line - 1
            if link.target.startswith("tthc:"):
                code = link.target[5:].strip()
                if code not in codes:
                    errors.append(SiteError(doc.path, line, "E019",
                                            f"Liên kết '{link.target}': không có thủ tục mã {code} trong content/procedures/. "
                                            "Kiểm tra lại mã, hoặc thêm thủ tục bằng 'cchc-site new procedure'."))
            elif not resolves(link.target, known):
                errors.append(SiteError(doc.path, line, "E016",
                                        f"Liên kết '{link.target}' trỏ tới trang hoặc tệp không có trong trang. Kiểm tra "
                                        "địa chỉ (ví dụ /tin-tuc/2021/08/ten-bai/ hoặc /static/ten-tep.pdf)."))
    return errors


def _unsafe_in(line: str) -> list[str]:
    """What kinds of script a line of Markdown/HTML carries ("" parts in code spans excluded)."""
    text = _CODE_SPAN.sub("\x01", line)  # a code span is shown, not run; it also splits what is around it
    if "<" not in text and ":" not in text:
        return []
    plain = html_lib.unescape(text)
    squeezed = re.sub(r"[\t\n\r\x00]", "", plain)
    found = []
    if _SCRIPT.search(plain):
        found.append("thẻ <script>")
    if _HANDLER.search(plain):
        found.append("thuộc tính sự kiện (onclick=, onerror=, ...)")
    if _JS_URL.search(squeezed):
        found.append("địa chỉ javascript:")
    return found


def _may_be_unsafe(body: str) -> bool:
    """False only when no line of ``body`` can hold a script: a quick look that finds at least
    what the line-by-line scan below finds (tags need a '<'; a script URL needs the letters
    ``script`` right before a ':', once tabs and line breaks are ignored)."""
    if "<" not in body and ":" not in body:
        return False
    plain = html_lib.unescape(body) if "&" in body else body
    if "<" in plain and (_SCRIPT.search(plain) or _HANDLER.search(plain)):
        return True
    colon = plain.find(":")
    while colon >= 0:
        if _letters_before(plain, colon, 6).translate(_REGEX_CASE).lower() == "script":
            return True
        colon = plain.find(":", colon + 1)
    return False


# Letters that the regular expressions' IGNORECASE also takes for s and i (long s, dotted and
# dotless i), so the quick look is never stricter than the scan.
_REGEX_CASE = str.maketrans({"ſ": "s", "İ": "i", "ı": "i"})


def _letters_before(text: str, end: int, count: int) -> str:
    """The ``count`` characters before ``end`` that are not tabs, line breaks or NULs."""
    found: list[str] = []
    index = end - 1
    while index >= 0 and len(found) < count:
        if text[index] not in "\t\n\r\x00":
            found.append(text[index])
        index -= 1
    return "".join(reversed(found))


def unsafe_lines(body: str) -> list[tuple[int, list[str]]]:
    """(line offset, kinds of script) for each line of Markdown outside code that carries one."""
    found: list[tuple[int, list[str]]] = []
    fence: str | None = None
    for offset, line in enumerate(body.split("\n")):
        opening = _FENCE_LINE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        kinds = _unsafe_in(line)
        if kinds:
            found.append((offset, kinds))
    return found


def check_unsafe_html(docs: Iterable[Post | Page | Procedure], strict: bool) -> list[SiteError]:
    """``<script>``, inline event handlers (``onclick=``) and ``javascript:`` URLs in content.

    Warnings (W070) by default; errors with ``security: strict`` in site.yaml.  Code shown
    as code (fenced blocks, `code spans`) is not flagged: it is displayed, not run.
    """
    problems: list[SiteError] = []
    severity = "error" if strict else "warning"
    for doc in docs:
        if not _may_be_unsafe(doc.body):
            continue
        for offset, found in unsafe_lines(doc.body):
            fix = ("Trang đang đặt 'security: strict' nên đây là lỗi. " if strict else "") + (
                "Hãy xóa đoạn mã này (trình duyệt sẽ chặn mã JavaScript trong bài); muốn nhúng nội dung, "
                "dùng liên kết hoặc ảnh thông thường. Muốn hiện mã để minh họa, đặt nó trong cặp ``` ```.")
            problems.append(SiteError(doc.path, doc.body_line + offset, "W070",
                                      f"Nội dung có {', '.join(found)}. {fix}", severity))  # type: ignore[arg-type]
    return problems
