"""Rendered Markdown of a build: converted where the cache does not have it (in the worker
pool), kept in the cache, and handed to pages by content digest (HTML loaded on demand)."""
from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Mapping

from .cache import Cache
from .mdrender import RENDERER_VERSION, render_markdown
from .models import Document, Link, Rendered
from .stamps import stable_hash, tool_version
from .workers import AlongConversion, Converted, convert_all


class RenderedStore(Mapping[str, "LazyRendered"]):
    """Rendered Markdown by content digest; HTML stays in the cache until a page needs it."""

    def __init__(self, meta: dict[str, tuple[str, tuple[Link, ...]]], fresh: dict[str, str],
                 keys: dict[str, str], cache: Cache, converted: bool) -> None:
        self._meta = meta  # digest -> (summary, links)
        self._fresh = fresh  # digest -> html kept in memory (only when the cache cannot hold it)
        self.cache_keys: Mapping[str, str] = keys  # digest -> cache key
        self._cache = cache
        self.converted = converted  # this build rendered some Markdown (so the cache changed)
        self._pid = os.getpid()

    def __getitem__(self, digest: str) -> "LazyRendered":
        summary, links = self._meta[digest]
        return LazyRendered(self, digest, summary, links)

    def __iter__(self) -> Iterator[str]:
        return iter(self._meta)

    def __len__(self) -> int:
        return len(self._meta)

    def html(self, digest: str) -> str:
        if digest in self._fresh:
            return self._fresh[digest]
        if os.getpid() != self._pid or self._cache.db is None:
            # a forked worker (SQLite connections do not survive fork), or the connection was
            # dropped after a failed write: what was stored before is still in the file (read
            # only: a reader must never create or delete the cache the build is using)
            self._cache = Cache(self._cache.path, read_only=True)
            self._pid = os.getpid()
        html = self._cache.markdown_html(self.cache_keys[digest])
        if html is None:
            raise RuntimeError("bộ nhớ đệm bị thay đổi trong khi dựng; hãy chạy lại với --clean")
        return html


class LazyRendered:
    """Looks like :class:`Rendered`; ``html`` is fetched on first use."""

    __slots__ = ("_store", "digest", "summary", "links")

    def __init__(self, store: RenderedStore, digest: str, summary: str, links: tuple[Link, ...]) -> None:
        self._store, self.digest, self.summary, self.links = store, digest, summary, links

    @property
    def html(self) -> str:
        return self._store.html(self.digest)


def markdown_key(digest: str, base_path: str) -> str:
    return markdown_prefix(base_path) + digest


def markdown_prefix(base_path: str) -> str:
    """What a document's HTML depends on besides its content (its digest ends the key)."""
    return stable_hash(tool_version(), RENDERER_VERSION, base_path) + ":"  # (the tool version holds Markdown's)


def render_markdown_all(docs: list[Document], base_path: str, cache: Cache, reload: Callable[[str, str], str],
                        along: AlongConversion | None = None,
                        keep_along: Callable[[list[Any]], None] | None = None,
                        known: Mapping[str, tuple[str, tuple[Link, ...]]] | None = None,
                        held: Mapping[str, Rendered] | None = None) -> RenderedStore:
    """Rendered Markdown of every document; a document whose HTML is not in the cache has its
    body read again with ``reload(path, digest)``, in the worker that converts it (so the bodies of a large
    site are never all in memory at once).  ``along`` is more work done in that worker on each
    converted document; ``keep_along`` receives its results, chunk by chunk.  ``known``: the
    summary and links of Markdown this run put into the cache already, by key (not read back);
    ``held``: Markdown this run converted but the cache could not take (kept in memory)."""
    prefix = markdown_prefix(base_path)
    keys = {d.digest: prefix + d.digest for d in docs}
    held = held or {}
    meta_by_key = dict(known or {})
    meta_by_key.update((key, (r.summary, r.links)) for key, r in held.items())
    meta_by_key.update(cache.markdown_meta(sorted(set(keys.values()) - meta_by_key.keys())))
    todo: dict[str, Document] = {}  # digest -> a document with that content
    for doc in docs:
        if keys[doc.digest] not in meta_by_key and doc.digest not in todo:
            todo[doc.digest] = doc
    stored: set[str] = set()

    def store_away(part: list[Converted]) -> list[Converted]:
        """Each chunk goes into the cache as it arrives; only summaries and links stay in memory
        (the HTML too for a chunk the cache could not take)."""
        if keep_along is not None:
            keep_along([made for _, _, made in part if made is not None])
        if not cache.put_markdown([(keys[digest], r) for digest, r, _ in part]):
            return [(digest, r, None) for digest, r, _ in part]
        stored.update(digest for digest, _, _ in part)
        return [(digest, Rendered("", r.summary, r.links), None) for digest, r, _ in part]

    converted = convert_all([todo[digest] for digest in sorted(todo)], base_path, reload, store_away, along)
    del todo
    meta = {digest: meta_by_key[key] for digest, key in keys.items() if key in meta_by_key}
    meta.update({digest: (r.summary, r.links) for digest, r, _ in converted})
    fresh = {digest: r.html for digest, r, _ in converted if digest not in stored}
    fresh.update((digest, held[key].html) for digest, key in keys.items() if key in held)
    return RenderedStore(meta, fresh, keys, cache, converted=bool(converted))


class ConvertWhileParsing:
    """Markdown converted in the worker that parses the file (see
    :class:`cchc_site.workers.AlongParse`): the body is in hand there, so no file is read twice.
    Content whose HTML is stored already is skipped; ``terms`` makes the search terms of the
    document while its HTML is at hand."""

    def __init__(self, base_path: str, stored: set[str],
                 terms: Callable[[Document, Rendered], list[Any]] | None = None) -> None:
        self._base_path, self._stored, self._terms = base_path, stored, terms
        self._prefix = markdown_prefix(base_path)

    def __call__(self, doc: Document) -> tuple[str, Rendered, list[Any]] | None:
        key = self._prefix + doc.digest
        if key in self._stored:
            return None
        rendered = render_markdown(doc.body, self._base_path)
        return key, rendered, self._terms(doc, rendered) if self._terms is not None else []


class KeepConverted:
    """Where what :class:`ConvertWhileParsing` made goes, chunk by chunk: the HTML into the cache
    (what the cache cannot take is converted again by :func:`render_markdown_all`), the terms
    to ``keep_terms``."""

    def __init__(self, cache: Cache, keep_terms: Callable[[list[Any]], None]) -> None:
        self._cache, self._keep_terms = cache, keep_terms
        self.count = 0  # documents converted
        self.stored: dict[str, tuple[str, tuple[Link, ...]]] = {}  # key -> summary and links, of what the cache took
        self.held: dict[str, Rendered] = {}  # key -> rendered, what the cache could not take (kept in memory)

    def __call__(self, made: list[tuple[str, Rendered, list[Any]]]) -> None:
        self.count += len(made)
        if self._cache.put_markdown([(key, rendered) for key, rendered, _ in made]):
            self.stored.update((key, (rendered.summary, rendered.links)) for key, rendered, _ in made)
        else:
            self.held.update((key, rendered) for key, rendered, _ in made)
        self._keep_terms([terms for _, _, terms in made if terms])
