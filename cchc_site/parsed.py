"""What one content file gave (a document or its errors, and its warnings), and a compact
encoding of it for the cache and the worker pool.

Posts are nearly every file of a large site and are read back on every build and every
``check``, so they are stored as plain tuples (:mod:`marshal`), which decode about four
times faster than pickled dataclasses; everything else is pickled.  Decoding returns
None for anything unreadable: the cache then treats the entry as missing.
"""
from __future__ import annotations

import marshal
import pickle
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .config import Term
from .errors import SiteError
from .models import Post
from .site import Document

_POST = b"M2"  # bump the digit when the tuple layout below changes
_PICKLE = b"P2"


@dataclass(frozen=True)
class Parsed:
    """What one content file gave: a document or its errors, and its warnings."""

    path: str
    content_hash: str  # of the file's bytes (see files.content_hash)
    result: Document | list[SiteError]
    warnings: tuple[SiteError, ...]


_term = lru_cache(maxsize=8192)(Term)  # one object per distinct category or tag


@lru_cache(maxsize=64)
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


def _term_tuple(term: Term) -> tuple[str, str, str]:
    return (term.name, term.slug, term.description)


def encode_parsed(item: Parsed, body: bool = True) -> bytes:
    """``item`` as bytes that :func:`decode_parsed` turns back into an equal value (without
    its document's Markdown body when ``body`` is False: see :func:`slim`)."""
    post = item.result
    if isinstance(post, Post) and isinstance(post.date.tzinfo, ZoneInfo) and post.date.tzinfo.key:
        d = post.date
        fields = (
            item.path, item.content_hash, post.path, post.title,
            (d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, d.fold, d.tzinfo.key),
            _term_tuple(post.category) if post.category else None,
            tuple(_term_tuple(t) for t in post.tags),
            post.summary, post.author, post.image, post.attachments, post.slug, post.draft, post.sample,
            post.body if body else "", post.body_line, post.digest,
            tuple((w.path, w.line, w.code, w.message, w.severity) for w in item.warnings),
        )
        return _POST + marshal.dumps(fields)
    if not body and not isinstance(post, list):
        item = replace(item, result=slim(post))
    return _PICKLE + pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)


def decode_parsed(blob: bytes) -> Parsed | None:
    """The value :func:`encode_parsed` made, or None when ``blob`` is not one."""
    try:
        head, body = blob[:2], blob[2:]
        if head == _POST:
            (path, file_hash, post_path, title, (year, month, day, hour, minute, second, micro, fold, zone),
             category, tags, summary, author, image, attachments, slug, draft, sample, text, body_line, digest,
             warnings) = marshal.loads(body)
            date = datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone(zone), fold=fold)
            post = Post(post_path, title, date, _term(*category) if category else None,
                        tuple(_term(*t) for t in tags), summary, author, image, attachments, slug, draft, sample,
                        text, body_line, digest)
            return Parsed(path, file_hash, post, tuple(SiteError(*w) for w in warnings))
        if head == _PICKLE:
            value = pickle.loads(body)
            return value if isinstance(value, Parsed) else None
    except Exception:  # noqa: BLE001 - a broken entry is simply a cache miss
        return None
    return None


def slim(doc: Document) -> Document:
    """The document without its Markdown body: once rendered, only the HTML (in the cache) is
    used, and ten thousand bodies are worth not keeping in memory or in the cache."""
    return replace(doc, body="") if doc.body else doc
