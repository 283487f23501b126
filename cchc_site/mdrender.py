"""Markdown -> HTML: the exact shortcut of :mod:`cchc_site.fastmd` when a body allows it, else
Python-Markdown (:mod:`cchc_site.mdconvert`, imported only then).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fastmd import render_simple
from .models import Link, Rendered

if TYPE_CHECKING:
    from .mdconvert import Converter

RENDERER_VERSION = "md-4"  # bump when the HTML produced for the same Markdown changes
__all__ = ["HtmlRef", "Link", "RENDERER_VERSION", "Rendered", "converter_for", "render_markdown"]


def converter_for(base_path: str) -> "Converter":
    """Python-Markdown's converter for ``base_path`` (one per process)."""
    from .mdconvert import converter_for as made_for  # noqa: PLC0415 (loaded only when a body needs it)

    return made_for(base_path)


def render_markdown(body: str, base_path: str) -> Rendered:
    """Convert one document body (pure apart from reusing a cached converter): by the exact
    shortcut when the body allows it, else by Python-Markdown."""
    return render_simple(body, base_path) or converter_for(base_path).convert(body)


@dataclass(frozen=True)
class HtmlRef:
    """The rendered body of a document, by content digest: resolved only when a page
    that shows it is rendered (so planning never loads HTML)."""

    digest: str
