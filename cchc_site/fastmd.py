"""An exact shortcut for the Markdown that most posts are written in (pure).

Paragraphs, ``#`` headings, one-level ``-`` and ``1.`` lists, pipe tables, ``*em*``,
``**strong**``, ``***both***``, ``****strong in strong****`` (a phrase made bold twice, common in
pasted text) and ``[text](url)`` links are turned into exactly the HTML, summary and
links that :mod:`cchc_site.mdrender` (Python-Markdown with the site's extensions) gives,
in a tenth of the time.  Anything else in a body — raw HTML, entities, escapes, code,
images, footnotes, attribute lists, nested or loose lists, underscores, a line that could
start another kind of block — returns None, and Python-Markdown converts the body.  A
differential test (tests/test_fastmd.py) holds the two equal on generated bodies.
"""
from __future__ import annotations

import re

from .models import Link, Rendered
from .text import slugify

# Characters whose meaning in Markdown this module does not handle: the whole body goes to
# Python-Markdown.  ("\x02"/"\x03" are Python-Markdown's placeholder markers.)
_REFUSED = re.compile(r"[<&\\`_{}~\t\x02\x03\r\x0b\x0c\u2028\u2029\x1c-\x1f\x85]|\*\*\*\*\*|\[\^|!\[")
_HEADING = re.compile(r"(#{1,6}) (\S(?:.*\S)?)")
_UL_ITEM = re.compile(r"- (\S.*)")
_OL_ITEM = re.compile(r"(\d+)\. (\S.*)")
_SEPARATOR_CELL = re.compile(r":?-+:?")
# A paragraph line may not start like another block: heading, list, quote, table, rule,
# setext underline, indented code (refused above), HTML (refused above).
_OTHER_BLOCK = re.compile(r"[#>|=+-]|\d+[.)]|\*(?!\*?[^*\s])")
# Inline: links first (as in Python-Markdown), then strong, then emphasis.
_LINK = re.compile(r"\[([^\[\]*\n]+)\]\(((?:https?://|/|tthc:|#)[^\s()\"'*\[\]>]*)\)")
# Each starts with a literal star, so that the regex engine skips to the next star at C speed;
# "not after a star" is the look-behind that follows it ("\*(?<!\*\*)" = a star not after a star).
# "****x****" (a phrase made bold twice, common in pasted text): strong inside strong
_DOUBLE_STRONG = re.compile(r"\*(?<!\*\*)\*\*\*([^*\s](?:[^*\n]*[^*\s])?)\*\*\*\*(?!\*)")
_GLUED_QUAD = re.compile(r"[^\s*]\*{4}[^\s*]")  # four stars between two letters
_STRONG_EM = re.compile(r"\*(?<!\*\*)\*\*([^*\s](?:[^*\n]*[^*\s])?)\*\*\*(?!\*)")
_STRONG = re.compile(r"\*(?<!\*\*)\*([^*\s<](?:[^*\n<]*[^*\s<])?)\*\*(?!\*)")
_EM = re.compile(r"\*(?<!\*\*)([^*\s<](?:[^*\n<]*[^*\s<])?)\*(?!\*)")
_LEFTOVER = re.compile(r"[\[\]|>]")  # markup left outside the known patterns (and stars after them): refuse
_INLINE_MARKUP = re.compile(r"[\[\]|>*]")  # a span without any of these is its own HTML and text


class _Refused(Exception):
    """The body uses something this module does not render exactly."""


def procedure_path(code: str) -> str:
    return f"thu-tuc-hanh-chinh/{code}/"


def site_href(value: str, base_path: str) -> str | None:
    """A link to a place in the site (``/path`` or ``tthc:<code>``) as it is written in the
    output, under the base path; None for any other link (kept as written, not checked)."""
    if value.startswith("tthc:"):
        return base_path + procedure_path(value[5:].strip())
    if value.startswith("/") and not value.startswith("//"):
        return base_path + value[1:]
    return None


class _Inline:
    """Inline Markdown of one document: HTML, plain text, and the internal links in order."""

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path
        self.found: list[str] = []

    def render(self, text: str) -> tuple[str, str]:
        """(html, text without markup) of a span."""
        if not _INLINE_MARKUP.search(text):
            return text, text
        html_parts: list[str] = []
        text_parts: list[str] = []
        position = 0
        for match in _LINK.finditer(text):
            self._plain(text[position:match.start()], html_parts, text_parts)
            label, href = match.group(1), match.group(2)  # the label has no stars: no markup inside
            if label != label.strip() or _LEFTOVER.search(label):
                raise _Refused
            internal = site_href(href, self.base_path)
            if internal is not None:
                self.found.append(href)
            html_parts.append(f'<a href="{internal or href}">{label}</a>')
            text_parts.append(label)
            position = match.end()
        self._plain(text[position:], html_parts, text_parts)
        return "".join(html_parts), "".join(text_parts)

    def _plain(self, text: str, html_parts: list[str], text_parts: list[str]) -> None:
        html, plain = self._emphasis(text)
        html_parts.append(html)
        text_parts.append(plain)

    @staticmethod
    def _emphasis(text: str) -> tuple[str, str]:
        if _LEFTOVER.search(text):
            raise _Refused
        if "*" not in text:
            return text, text
        html = text
        if "****" in html:
            if _GLUED_QUAD.search(html) and "***" in _DOUBLE_STRONG.sub("", html):
                raise _Refused  # "***a****b****c***": Python-Markdown pairs the stars otherwise
            html = _DOUBLE_STRONG.sub(lambda m: f"<strong><strong>{m[1]}</strong></strong>", html)
            if "****" in html:
                raise _Refused
        if "***" in html:
            html = _STRONG_EM.sub(lambda m: f"<strong><em>{m[1]}</em></strong>", html)
        if "**" in html:
            html = _STRONG.sub(lambda m: f"<strong>{m[1]}</strong>", html)
        if "**" in html:
            raise _Refused  # e.g. "*a**b*": one emphasis in Python-Markdown
        html = _EM.sub(lambda m: f"<em>{m[1]}</em>", html)
        if "*" in html:
            raise _Refused
        return html, html.replace("<strong>", "").replace("</strong>", "").replace("<em>", "").replace("</em>", "")


def _blocks(body: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in body.split("\n"):
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _list_kind(line: str) -> str | None:
    if _UL_ITEM.fullmatch(line):
        return "ul"
    if _OL_ITEM.fullmatch(line):
        return "ol"
    return None


def _table(lines: list[str], inline: _Inline) -> str:
    rows = []
    for line in lines:
        if len(line) < 2 or not (line.startswith("|") and line.endswith("|")):
            raise _Refused
        rows.append([cell.strip(" ") for cell in line[1:-1].split("|")])  # spaces only, as Python-Markdown
    header, separator, body = rows[0], rows[1], rows[2:]
    if not body or any(len(row) != len(header) for row in rows):
        raise _Refused
    aligns: list[str] = []
    for cell in separator:
        if not _SEPARATOR_CELL.fullmatch(cell):
            raise _Refused
        left, right = cell.startswith(":"), cell.endswith(":")
        aligns.append("center" if left and right else "left" if left else "right" if right else "")
    out = ['<table class="bang">', "<thead>", "<tr>"]

    def cells(row: list[str], tag: str) -> None:
        for cell, align in zip(row, aligns):
            style = f' style="text-align: {align};"' if align else ""
            out.append(f"<{tag}{style}>{inline.render(cell)[0]}</{tag}>")

    cells(header, "th")
    out += ["</tr>", "</thead>", "<tbody>"]
    for row in body:
        out.append("<tr>")
        cells(row, "td")
        out.append("</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render_simple(body: str, base_path: str) -> Rendered | None:
    """The body rendered as Python-Markdown would, or None when it uses anything this module
    does not handle."""
    if _REFUSED.search(body) or not body.strip():
        return None
    if any(line != line.strip() for line in body.split("\n")):
        return None  # indented code, hard line breaks, lines of spaces: Python-Markdown's rules
    inline = _Inline(base_path)
    out: list[str] = []
    summary = ""
    used: set[str] = set()
    blocks = _blocks(body)
    previous = ""  # "quote" after a block quote
    try:
        for index, lines in enumerate(blocks):
            first = lines[0]
            if first.startswith("#"):
                heading = _HEADING.fullmatch(first)
                if len(lines) != 1 or heading is None or heading.group(2).endswith("#"):
                    raise _Refused
                level = len(heading.group(1))
                html, text = inline.render(heading.group(2))
                out.append(f'<h{level} id="{heading_id(text, used)}">{html}</h{level}>')
            elif first.startswith(">"):
                # one paragraph quoted; Python-Markdown joins a quote to a quote just before it
                if previous == "quote" or any(not line.startswith("> ") for line in lines):
                    raise _Refused
                content = [line[2:] for line in lines]
                if any(_OTHER_BLOCK.match(line) or line != line.strip() for line in content):
                    raise _Refused
                out.append(f"<blockquote>\n<p>{inline.render(chr(10).join(content))[0]}</p>\n</blockquote>")
                previous = "quote"
                continue
            elif first.startswith("|"):
                if len(lines) < 3:
                    raise _Refused
                out.append(_table(lines, inline))
            elif (kind := _list_kind(first)) is not None:
                if any(_list_kind(line) != kind for line in lines):
                    raise _Refused  # a continuation line, or the other kind of list
                following = blocks[index + 1][0] if index + 1 < len(blocks) else ""
                if _list_kind(following) is not None or (kind == "ol" and _OL_ITEM.fullmatch(first).group(1) != "1"):  # type: ignore[union-attr]
                    raise _Refused  # a loose list, two lists in a row, or a numbered list not from 1
                pattern = _UL_ITEM if kind == "ul" else _OL_ITEM
                contents = [pattern.fullmatch(line).group(pattern.groups) for line in lines]  # type: ignore[union-attr]
                if any(_OTHER_BLOCK.match(content) for content in contents):
                    raise _Refused  # "- - -" is a rule, "- 1. x" a nested list...
                items = [inline.render(content)[0] for content in contents]
                out.append(f"<{kind}>\n" + "\n".join(f"<li>{item}</li>" for item in items) + f"\n</{kind}>")
            else:
                if any(_OTHER_BLOCK.match(line) for line in lines):
                    raise _Refused
                html, text = inline.render("\n".join(lines))
                out.append(f"<p>{html}</p>")
                if not summary:
                    summary = " ".join(text.split())
            previous = ""
    except _Refused:
        return None
    links = tuple(Link(target, line_of(body, target)) for target in dict.fromkeys(inline.found))
    return Rendered("\n".join(out), summary, links)


def heading_id(text: str, used: set[str]) -> str:
    """An ASCII id for a heading, not among ``used`` (added to it): what the toc extension
    does, without its cost."""
    base = slugify(text, "muc")
    candidate, n = base, 1
    while candidate in used:
        candidate = f"{base}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def line_of(body: str, target: str) -> int:
    index = body.find(target)
    return body.count("\n", 0, index) + 1 if index >= 0 else 1
