"""The content model: frozen dataclasses, complete when built (no placeholders)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Protocol

from .config import Term


@dataclass(frozen=True)
class Source:
    """One Markdown file as read from disk, decoded and normalised."""

    path: str  # site-relative, POSIX separators, e.g. content/posts/2021/08/a.md
    kind: str  # "post" | "page" | "procedure"
    text: str
    digest: str  # content hash of the file's bytes (files.content_hash)


@dataclass(frozen=True)
class Post:
    path: str
    title: str
    date: datetime  # aware, in the site timezone
    category: Term | None
    tags: tuple[Term, ...]
    summary: str  # the author's summary, "" when derived from the body
    author: str
    image: str  # site path such as /static/anh.jpg, or ""
    attachments: tuple[str, ...]  # site paths under /static/
    slug: str
    draft: bool
    sample: bool
    body: str
    body_line: int
    digest: str

    @cached_property
    def url(self) -> str:  # (asked for many times in every build: planning, links, search)
        return f"/tin-tuc/{self.date.year}/{self.date.month:02d}/{self.slug}/"

    @property
    def month(self) -> tuple[int, int]:
        return (self.date.year, self.date.month)


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    slug: str
    summary: str
    draft: bool
    body: str
    body_line: int
    digest: str

    @property
    def url(self) -> str:
        return f"/{self.slug}/"


@dataclass(frozen=True)
class Decision:
    """Quyết định công bố: number, date and issuer (each may be empty)."""

    number: str
    date: str
    issuer: str

    def __str__(self) -> str:
        parts = [f"Quyết định số {self.number}" if self.number else "Quyết định"]
        if self.date:
            parts.append(f"ngày {self.date}")
        if self.issuer:
            parts.append(f"của {self.issuer}")
        return " ".join(parts)


@dataclass(frozen=True)
class Channel:
    method: str
    time: str
    fee: str
    note: str


@dataclass(frozen=True)
class DossierItem:
    name: str
    copies: str
    form: str  # site path of the form, or ""


@dataclass(frozen=True)
class Procedure:
    path: str
    code: str
    title: str
    field: Term
    decision: Decision | None
    level: str
    online: str  # "toàn trình" | "một phần" | "không" | ""
    online_legacy: str  # e.g. "mức độ 4" when the author wrote an old level
    channels: tuple[Channel, ...]
    applicants: tuple[str, ...]
    agency: str
    competent_agency: str
    address: str
    result: str
    legal_basis: tuple[str, ...]
    conditions: tuple[str, ...]
    dossier: tuple[DossierItem, ...]
    steps: tuple[str, ...]
    forms: tuple[str, ...]
    keywords: tuple[str, ...]
    updated: date | None
    draft: bool
    body: str
    body_line: int
    digest: str

    @property
    def url(self) -> str:
        return f"/thu-tuc-hanh-chinh/{self.code}/"

    @property
    def processing_time(self) -> str:
        """The first channel's time limit (what the index shows)."""
        for channel in self.channels:
            if channel.time:
                return channel.time
        return ""


@dataclass(frozen=True)
class Link:
    """An internal link as written (``/tin-tuc/...`` or ``tthc:1.013225``) and its body line."""

    target: str
    line: int  # 1-based line within the body


@dataclass(frozen=True)
class Rendered:
    html: str
    summary: str  # the first paragraph, as plain text
    links: tuple[Link, ...]


class RenderedLike(Protocol):
    """What pages, links and the search index read of a document's rendered Markdown: a
    :class:`Rendered`, or the build's view of one in the cache (``rendered.LazyRendered``, which
    fetches ``html`` only when it is read)."""

    @property
    def html(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def links(self) -> tuple[Link, ...]: ...


Document = Post | Page | Procedure


def is_shown(doc: Document, now: datetime, drafts: bool = False, future: bool = False) -> bool:
    """Whether a build publishes ``doc``: drafts only with ``drafts``, posts dated after ``now``
    only with ``future``."""
    if not drafts and doc.draft:
        return False
    return future or not isinstance(doc, Post) or doc.date <= now
