"""Page fingerprints: what a page shows, hashed without rendering it (pure).

Two builds give a page the same fingerprint exactly when its template inputs are the
same, so an unchanged page can be reused from the previous output.  Everything that
is not in a page's own context (tool version, configuration, templates, options) goes
into the ``salt`` shared by all pages.
"""
from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import Any, Iterable

from markupsafe import Markup

from .mdrender import HtmlRef
from .models import Page, Post, Procedure
from .config import MenuItem, Term
from .plan import Card, Pager, PlannedPage


_PLAIN: frozenset[type] = frozenset({Term, Pager, MenuItem})


class Fingerprinter:
    """Serialises contexts to text; cards are memoised because many pages share them."""

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._memo: dict[int, str] = {}

    def _text(self, value: Any, out: list[str]) -> None:
        kind = type(value)
        if kind in _PLAIN:  # frozen dataclasses of plain values: their repr is exact and quick
            out.append(repr(value))
        elif isinstance(value, (str, int, float, bool)) or value is None:
            out.append(repr(value))
        elif isinstance(value, (Post, Page, Procedure)):
            out.append(f"{type(value).__name__}:{value.path}:{value.digest}")
        elif isinstance(value, HtmlRef):
            out.append(f"H:{value.digest}")
        elif isinstance(value, Card):
            key = id(value)
            text = self._memo.get(key)
            if text is None:
                text = repr(value)
                self._memo[key] = text
            out.append(text)
        elif isinstance(value, (datetime, date)):
            out.append(value.isoformat())
        elif isinstance(value, dict):
            out.append("{")
            for k in sorted(value):
                out.append(repr(k))
                self._text(value[k], out)
            out.append("}")
        elif isinstance(value, (tuple, list, frozenset, set)):
            out.append("(")
            items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
            for item in items:
                self._text(item, out)
            out.append(")")
        elif dataclasses.is_dataclass(value):
            out.append(type(value).__name__ + "(")
            for f in dataclasses.fields(value):
                self._text(getattr(value, f.name), out)
            out.append(")")
        elif isinstance(value, Markup):
            out.append(str(value))
        else:
            out.append(repr(value))

    def page(self, page: PlannedPage) -> str:
        parts = [self.salt, page.template, page.url]
        self._text(dict(page.context), parts)
        return hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def fingerprint_pages(pages: Iterable[PlannedPage], salt: str) -> list[str]:
    fp = Fingerprinter(salt)
    return [fp.page(p) for p in pages]


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
