"""Internal link checking and unsafe-HTML scanning (pure)."""
from __future__ import annotations

import re
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from .errors import SiteError
from .mdrender import Rendered
from .models import Page, Post, Procedure

_SCRIPT = re.compile(r"<\s*script\b", re.I)
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
_JS_URL = re.compile(r"javascript\s*:", re.I)


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


def check_links(docs: Iterable[Post | Page | Procedure], rendered: Mapping[str, Rendered],
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


def check_unsafe_html(docs: Iterable[Post | Page | Procedure], strict: bool) -> list[SiteError]:
    """``<script>``, inline event handlers and ``javascript:`` URLs in content."""
    problems: list[SiteError] = []
    severity = "error" if strict else "warning"
    for doc in docs:
        for offset, line in enumerate(doc.body.split("\n")):
            found = [label for pattern, label in ((_SCRIPT, "<script>"), (_HANDLER, "thuộc tính on...="),
                                                  (_JS_URL, "javascript:")) if pattern.search(line)]
            if found:
                problems.append(SiteError(doc.path, doc.body_line + offset, "W070",
                                          f"Nội dung có {', '.join(found)}: mã JavaScript trong bài có thể gây mất an toàn "
                                          "và sẽ bị trình duyệt chặn. Hãy xóa đoạn mã này.", severity))  # type: ignore[arg-type]
    return problems
