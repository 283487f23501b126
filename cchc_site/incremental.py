"""Page fingerprints: what a page shows, hashed without rendering it (pure).

Two builds give a page the same fingerprint exactly when its template inputs are the
same, so an unchanged page can be reused from the previous output.  Everything that
is not in a page's own context (tool version, configuration, templates, options) goes
into the ``salt`` shared by all pages.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
from datetime import date, datetime
from typing import Any, Iterable

from markupsafe import Markup

from .mdrender import HtmlRef
from .models import Page, Post, Procedure
from .config import MenuItem, Term
from .plan import Card, Pager, PlannedPage


class Fingerprinter:
    """Serialises contexts to text; cards are memoised because many pages share them.

    Values are dispatched on their exact type (one dictionary lookup instead of a chain of
    ``isinstance`` tests: this runs for every value of every page of every build)."""

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self._memo: dict[int, str] = {}
        self._keep: list[Any] = []  # memoised objects stay alive, so their ids stay theirs
        plain = lambda value, out: out.append(repr(value))  # noqa: E731
        document = lambda value, out: out.append(f"{type(value).__name__}:{value.path}:{value.digest}")  # noqa: E731
        self._by_type: dict[type, Any] = {
            str: plain, int: plain, float: plain, bool: plain, type(None): plain,
            Term: self._memo_repr, Pager: plain, Card: self._memo_digest,
            # breadcrumbs and neighbour links: most are made for one page only, so not memoised
            MenuItem: lambda value, out: out.append(f"M:{value.title!r}:{value.url!r}"),
            Post: document, Page: document, Procedure: document,
            HtmlRef: lambda value, out: out.append(f"H:{value.digest}"),
            datetime: lambda value, out: out.append(value.isoformat()),
            date: lambda value, out: out.append(value.isoformat()),
            dict: self._dict, tuple: self._sequence, list: self._sequence,
            frozenset: self._set, set: self._set, Markup: lambda value, out: out.append(str(value)),
        }

    def _shared(self, value: Any, out: list[str], make: Any) -> None:
        """Values shared by many pages are serialised once (kept alive, so their ids stay theirs)."""
        key = id(value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make(value)
            self._keep.append(value)
        out.append(found)

    def _memo_repr(self, value: Any, out: list[str]) -> None:
        """Frozen dataclasses of plain values: their repr is exact."""
        self._shared(value, out, repr)

    def _memo_digest(self, value: Card, out: list[str]) -> None:
        """Cards (with their summaries) are long and each is on several pages: a digest of
        their exact repr stands for them."""
        self._shared(value, out, _card_digest)

    def _dict(self, value: dict[Any, Any], out: list[str]) -> None:
        out.append("{")
        for k in sorted(value):
            out.append(repr(k))
            self._one(value[k], out)
        out.append("}")

    def _sequence(self, value: Any, out: list[str]) -> None:
        out.append("(")
        for item in value:
            self._one(item, out)
        out.append(")")

    def _set(self, value: Any, out: list[str]) -> None:
        self._sequence(sorted(value, key=repr), out)

    def _one(self, value: Any, out: list[str]) -> None:
        handler = self._by_type.get(type(value))
        if handler is None:
            self._text(value, out)
        else:
            handler(value, out)

    def _text(self, value: Any, out: list[str]) -> None:
        """Anything else: subclasses of the types above, other dataclasses, other values."""
        if isinstance(value, (str, int, float, bool)):  # Markup included: its subclasses are str
            out.append(repr(value))
        elif isinstance(value, (datetime, date)):
            out.append(value.isoformat())
        elif isinstance(value, dict):
            self._dict(value, out)
        elif isinstance(value, (tuple, list)):
            self._sequence(value, out)
        elif isinstance(value, (set, frozenset)):
            self._set(value, out)
        elif dataclasses.is_dataclass(value):
            out.append(type(value).__name__ + "(")
            for f in dataclasses.fields(value):
                self._one(getattr(value, f.name), out)
            out.append(")")
        else:
            out.append(repr(value))

    def page(self, page: PlannedPage) -> str:
        context = page.context
        if page.template == "post.html" and context.keys() == _POST_KEYS:
            quick = self._post_page(page)
            if quick is not None:
                return quick
        if page.template == "sitemap.xml" and context.keys() == {"entries"}:
            quick = _sitemap_digest(self.salt, page.url, context["entries"])
            if quick is not None:
                return quick
        cards = context.get("cards")
        listed = self._card_digests(cards) if type(cards) is tuple else None
        if listed is not None:  # a list's page (thousands in a large site): its cards in one piece
            parts = [self.salt, page.template, page.url, "cards", listed]
            self._dict({key: value for key, value in context.items() if key != "cards"}, parts)
        else:
            parts = [self.salt, page.template, page.url]
            self._dict(dict(context), parts)
        return hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=16).hexdigest()

    def _card_digests(self, cards: tuple[Any, ...]) -> str | None:
        """The digests of ``cards`` in order (None when one is not a :class:`Card`)."""
        memo = self._memo
        digests: list[str] = []
        for card in cards:
            if type(card) is not Card:
                return None
            digest = memo.get(id(card))
            if digest is None:
                digest = memo[id(card)] = _card_digest(card)
                self._keep.append(card)
            digests.append(digest)
        return ",".join(digests)

    def _post_page(self, page: PlannedPage) -> str | None:
        """A post's own page as planned by :func:`cchc_site.plan.plan_post` (ten thousand of them
        in a large site): its values written out in one tuple, without walking the context.
        None when any value is not of the type planned there (then the general way)."""
        c = page.context
        post, card, content, crumbs, newer, older = c["post"], c["card"], c["content"], c["crumbs"], c["newer"], c["older"]
        if not (type(c["title"]) is str and type(post) is Post and type(card) is Card and type(content) is HtmlRef
                and type(crumbs) is tuple and all(type(crumb) is MenuItem for crumb in crumbs)
                and (newer is None or type(newer) is MenuItem) and (older is None or type(older) is MenuItem)):
            return None
        digest = self._card_digests((card,))
        fields = ("post.html", self.salt, page.url, c["title"], post.path, post.digest, digest, content.digest,
                  tuple((crumb.title, crumb.url) for crumb in crumbs),
                  None if newer is None else (newer.title, newer.url), None if older is None else (older.title, older.url))
        return hashlib.blake2b(marshal.dumps(fields, _MARSHAL), digest_size=16).hexdigest()


def _sitemap_digest(salt: str, url: str, entries: object) -> str | None:
    """sitemap.xml as planned by :func:`cchc_site.plan.plan_site` (an entry for every page: tens of
    thousands in a large site): (URL, date) pairs written out in one tuple; None when an entry is
    not such a pair (then the general way)."""
    if type(entries) is not tuple:
        return None
    try:
        values = tuple((u, None if d is None else d.isoformat()) for u, d in entries
                       if type(u) is str and (d is None or type(d) is datetime))
    except (TypeError, ValueError):
        return None
    if len(values) != len(entries):
        return None
    return hashlib.blake2b(marshal.dumps(("sitemap.xml", salt, url, values), _MARSHAL), digest_size=16).hexdigest()


def _term_key(term: Term | None) -> tuple[str, str, str] | None:
    return None if term is None else (term.name, term.slug, term.description)


# marshal's format 2 writes equal values as equal bytes (later formats refer back to objects
# already written, which depends on which objects are shared, not only on the values).
_MARSHAL = 2
_POST_KEYS = frozenset({"title", "post", "card", "content", "crumbs", "newer", "older"})


def _card_digest(card: Card) -> str:
    """A digest of every field of ``card``, as a tuple of plain values (marshalled in C, unlike a
    dataclass's repr)."""
    fields = (card.title, card.url, card.date.isoformat(), _term_key(card.category),
              tuple(_term_key(t) for t in card.tags), card.summary, card.sample, card.draft, card.future)
    return "#" + hashlib.blake2b(marshal.dumps(fields, _MARSHAL), digest_size=16).hexdigest()


def fingerprint_pages(pages: Iterable[PlannedPage], salt: str) -> list[str]:
    fp = Fingerprinter(salt)
    return [fp.page(p) for p in pages]
