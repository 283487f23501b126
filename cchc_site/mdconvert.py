"""Python-Markdown configured for the site: one converter per process and base path.

Site paths written by authors (``/tin-tuc/...``, ``/static/...``) are rewritten to
live under the site's base path, ``tthc:<code>`` links become procedure links, and
every internal link is recorded (with its line) so the build can check it exists.
Imported only when a body needs it (:func:`cchc_site.mdrender.render_markdown` tries the
exact shortcut of :mod:`cchc_site.fastmd` first): loading Python-Markdown costs about 15 ms.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .fastmd import heading_id, line_of, site_href
from .models import Link, Rendered

EXTENSIONS = ("tables", "footnotes", "attr_list", "sane_lists")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_STASH = re.compile("\x02wzxhzdk:\\d+\x03")
_RAW_LINK = re.compile(r"""(?P<attr>\b(?:href|src)\s*=\s*)(?P<quote>["'])(?P<value>[^"'>]*)(?P=quote)""", re.I)


class _LinkProcessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, base_path: str) -> None:
        super().__init__(md)
        self.base_path = base_path
        self.found: list[str] = []
        self.summary = ""

    def run(self, root: etree.Element) -> None:
        self.found = []
        self.summary = ""
        for element in root.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is None:
                    continue
                internal = site_href(value, self.base_path)
                if internal is not None:
                    self.found.append(value)
                    element.set(attr, internal)
            if element.tag == "table" and "class" not in element.attrib:
                element.set("class", "bang")
        # Raw HTML written in the Markdown (e.g. <a href="/static/x.pdf">) is stashed, not in the tree.
        stash = self.md.htmlStash.rawHtmlBlocks
        for index, block in enumerate(stash):
            if isinstance(block, str) and ("/" in block or "tthc:" in block):
                stash[index] = _RAW_LINK.sub(self._rewrite_raw, block)
        self._heading_ids(root)
        for child in root:
            if child.tag == "p":
                text = "".join(child.itertext())
                self.summary = " ".join(_STASH.sub("", text).split())
                if self.summary:
                    break


    @staticmethod
    def _heading_ids(root: etree.Element) -> None:
        """ASCII ids for headings (what the toc extension does, without its cost)."""
        used: set[str] = {el.get("id", "") for el in root.iter() if el.get("id")}
        for element in root.iter():
            if element.tag in _HEADINGS and not element.get("id"):
                element.set("id", heading_id(_STASH.sub("", "".join(element.itertext())), used))


    def _rewrite_raw(self, match: re.Match[str]) -> str:
        value = match.group("value")
        internal = site_href(value, self.base_path)
        if internal is not None:
            self.found.append(value)
            value = internal
        return f"{match.group('attr')}{match.group('quote')}{value}{match.group('quote')}"


class _SiteExtension(Extension):
    def __init__(self, base_path: str) -> None:
        super().__init__()
        self.base_path = base_path
        self.processor: _LinkProcessor | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        self.processor = _LinkProcessor(md, self.base_path)
        md.treeprocessors.register(self.processor, "cchc_links", 1)


class Converter:
    """A reusable converter for one base path (reset between documents)."""

    def __init__(self, base_path: str) -> None:
        self.extension = _SiteExtension(base_path)
        self.md = markdown.Markdown(
            extensions=[*EXTENSIONS, self.extension],
            extension_configs={"footnotes": {"BACKLINK_TITLE": "Quay lại đoạn %d"}},
            output_format="html",
        )

    def convert(self, body: str) -> Rendered:
        self.md.reset()
        processor = self.extension.processor
        assert processor is not None
        processor.found, processor.summary = [], ""  # an empty body runs no tree processor
        html = self.md.convert(body)
        links = tuple(Link(target, line_of(body, target)) for target in dict.fromkeys(processor.found))
        return Rendered(html, processor.summary, links)


@lru_cache(maxsize=4)
def converter_for(base_path: str) -> Converter:
    return Converter(base_path)
