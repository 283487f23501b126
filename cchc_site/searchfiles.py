"""The search index files of a build: patched in place when a few documents changed since the
last build of the same output, built whole otherwise; each document's terms come from the
cache when the document is unchanged."""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .cache import Cache
from .config import SiteConfig
from .files import content_hash
from .mdrender import RENDERER_VERSION
from .models import Document, Rendered, RenderedLike
from .options import BuildOptions
from .output import folder_id, own_files
from .plan import shown_with
from .publish import manifest_key
from .search import DocTerms, IndexPatch, doc_terms, indexed_documents, patch_index, search_doc, sized_index_files
from .site import Site
from .stamps import stable_hash, tool_version
from .workers import Background, map_indices

PATCH_LIMIT = 200  # more changed or added documents than this: build the whole index


@dataclass(frozen=True)
class SearchState:
    """The search index of the last build of an output, as the next build needs it."""

    paths: tuple[str, ...]  # document paths, in index order
    keys: tuple[str, ...]  # document keys (what each document's terms were made from), same order
    shard_count: int
    total: int


SearchFiles = dict[str, tuple[str, "bytes | None"]]  # rel -> (digest, bytes; None: as in the live output)
TermsRow = tuple[tuple[str, str, str, str, str], str, bytes]  # a DocTerms as plain values (sent and stored)


FINGERPRINT_PREFIX = "S:"  # the manifest's fingerprint of a search file: this prefix and the file's digest


def state_key(output_dir: Path) -> str:
    return "search:" + manifest_key(output_dir)


def load_search_state(cache: Cache, output_dir: Path) -> SearchState | None:
    """The search index state recorded for the live output (None when unknown)."""
    state = cache.record(state_key(output_dir), folder_id(output_dir))
    return state if isinstance(state, SearchState) else None


def record_search_state(cache: Cache, output_dir: Path, before: SearchState | None, after: SearchState,
                        output_id: str) -> None:
    """After publishing: the new state, and the terms of document versions no index holds any more
    (the index of another output folder sharing the cache, such as the ``serve`` preview's, may
    still hold an earlier version: its next patch needs that version's terms)."""
    cache.put_record(state_key(output_dir), after, output_id)
    if before is not None:
        gone = set(before.keys) - set(after.keys)
        if gone:
            cache.drop_search_terms(gone - held_elsewhere(cache, output_dir))


def held_elsewhere(cache: Cache, output_dir: Path) -> set[str]:
    """The terms keys that the indexes of the other output folders sharing the cache hold."""
    held: set[str] = set()
    for state in cache.records_named("search:", but=state_key(output_dir)).values():
        if isinstance(state, SearchState):
            held.update(state.keys)
    return held


def search_settings(config: SiteConfig) -> str:
    """Everything besides a document that its terms depend on (base path, timezone, fields)."""
    return stable_hash(tool_version(), RENDERER_VERSION, pickle.dumps(config))


def search_key(settings: str, doc: Document) -> str:
    return stable_hash(settings, type(doc).__name__, doc.path, doc.digest)


def terms_row(doc: Document, rendered: Mapping[str, RenderedLike], options: BuildOptions) -> TermsRow:
    """One document's terms as plain values (what a worker sends back and the cache keeps)."""
    computed = doc_terms(search_doc(doc, rendered, options))
    return computed.row, computed.joined, computed.flags


def _doc_terms_from(value: object) -> DocTerms | None:
    """Terms from their plain values, or None when they are not in the expected shape (a cache
    entry: then they are made again)."""
    try:
        row, joined, flags = value  # type: ignore[misc]
        if (len(row) != 5 or not isinstance(joined, str) or not isinstance(flags, bytes)
                or len(flags) != (joined.count("\n") + 1 if joined else 0)):
            return None
        return DocTerms(tuple(row), joined, flags)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class IndexedDocuments:
    """The documents the search index holds, in index order, and each one's terms cache key."""

    docs: tuple[Document, ...]
    paths: tuple[str, ...]
    keys: tuple[str, ...]


def indexed_with_keys(site: Site, options: BuildOptions) -> IndexedDocuments:
    settings = search_settings(site.config)
    docs = tuple(indexed_documents(site, options))
    return IndexedDocuments(docs, tuple(d.path for d in docs), tuple(search_key(settings, d) for d in docs))


class TermsWithMarkdown:
    """Search terms made right after a document's Markdown is converted, in the worker that holds
    its HTML (while parsing: :class:`cchc_site.rendered.ConvertWhileParsing`; or in
    :func:`cchc_site.rendered.render_markdown_all`), so that no pass reads the HTML back.  Only
    for documents the index holds whose terms are not cached."""

    def __init__(self, config: SiteConfig, options: BuildOptions, cached: set[str]) -> None:
        self._settings, self._options, self._cached = search_settings(config), options, cached

    def __call__(self, doc: Document, rendered: Rendered) -> list[tuple[str, TermsRow]]:
        if not shown_with(doc, self._options):  # the index holds what the build publishes
            return []
        key = search_key(self._settings, doc)
        if key in self._cached:
            return []
        return [(key, terms_row(doc, {doc.digest: rendered}, self._options))]


class TermStore:
    """Documents' terms by cache key: made this run (kept in memory), from the cache, else made
    with ``make(i)`` (in the worker pool when there are many) and stored."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._made: dict[str, DocTerms] = {}  # made this run (also stored in the cache)

    def with_markdown(self, config: SiteConfig, options: BuildOptions) -> TermsWithMarkdown:
        """Terms to make where Markdown is converted (every key cached before this build is skipped)."""
        return TermsWithMarkdown(config, options, self._cache.search_term_keys())

    def keep(self, parts: list[list[tuple[str, TermsRow]]]) -> None:
        """Terms made elsewhere (by :class:`TermsWithMarkdown`): kept, and stored in the cache."""
        fresh: list[tuple[str, TermsRow]] = [item for part in parts for item in part]
        for key, (row, joined, flags) in fresh:
            self._made[key] = DocTerms(row, joined, flags)
        self._cache.put_search_terms(fresh)

    def get(self, positions: list[int], keys: tuple[str, ...], make: Callable[[int], TermsRow] | None,
            ) -> dict[int, DocTerms] | None:
        """Terms of the documents at ``positions`` (``keys`` gives each one's cache key); None
        when one is neither made nor cached and there is no ``make``."""
        made = self._made
        cached = self._cache.search_terms(sorted({keys[i] for i in positions if keys[i] not in made}))
        found: dict[int, DocTerms] = {}
        missing: list[int] = []
        for i in positions:
            entry = made.get(keys[i])
            if entry is None:
                value = cached.get(keys[i])
                entry = _doc_terms_from(value) if value is not None else None
            if entry is not None:
                found[i] = entry
            elif make is not None:
                missing.append(i)
            else:
                return None

        def keep(part: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
            """Each chunk goes into the cache as it arrives."""
            self.keep([[(keys[i], row) for i, row in part]])
            found.update((i, self._made[keys[i]]) for i, _ in part)
            return []

        if make is not None:
            map_indices(make, missing, keep)
        return found


PatchWork = Callable[[], "tuple[SearchFiles, SearchState] | None"]


def search_patch(previous: SearchState, paths: tuple[str, ...], keys: tuple[str, ...], store: TermStore,
                 make: Callable[[int], TermsRow], output_dir: Path, live: Mapping[str, str]) -> PatchWork | None:
    """The index after documents were edited in place, added at the end or removed from the end
    since ``previous`` (documents that took other places count as edited there), in two steps:
    the terms of the changed documents are gathered here (from the cache, or made), and the work
    returned makes the files that change, from the live output (it reads only that: it may run
    in a forked process).  None when no patch can do (too many changes, a file missing or
    changed by hand)."""
    digests = {rel: fp[len(FINGERPRINT_PREFIX):] for rel, fp in live.items() if fp.startswith(FINGERPRINT_PREFIX)}
    if not digests:
        return None
    changed = [i for i, key in enumerate(previous.keys[:len(keys)]) if keys[i] != key]
    added = list(range(len(previous.keys), len(keys)))
    removed = list(range(len(keys), len(previous.keys)))
    if len(changed) + len(removed) > PATCH_LIMIT or len(added) > PATCH_LIMIT:
        return None
    old_terms = store.get(changed + removed, previous.keys, None)
    if old_terms is None:
        return None
    new_terms = store.get(changed + added, keys, make) or {}
    return lambda: _patched(previous, paths, keys, old_terms, new_terms, digests, output_dir)


def _patched(previous: SearchState, paths: tuple[str, ...], keys: tuple[str, ...], old_terms: dict[int, DocTerms],
             new_terms: dict[int, DocTerms], digests: dict[str, str],
             output_dir: Path) -> tuple[SearchFiles, SearchState] | None:
    def read(rel: str) -> bytes:
        data = (output_dir / rel).read_bytes()
        if content_hash(data) != digests.get(rel):
            raise FileNotFoundError(rel)  # the live output was changed by hand
        return data

    try:
        patched = patch_index(IndexPatch(len(keys), previous.shard_count, previous.total, old_terms, new_terms),
                              read, digests)
    except (OSError, ValueError):
        return None
    if patched is None:
        return None
    files: SearchFiles = {rel: (digest, None) for rel, digest in digests.items() if rel not in patched.gone}
    files.update({rel: (content_hash(data), data) for rel, data in patched.files.items()})
    # Files kept "as in the live output" must be there (one deleted by hand: build the whole index).
    kept = [rel for rel, (_, data) in files.items() if data is None]
    if len(own_files(output_dir, kept)) != len(kept):  # the same test as the pages' (publish.reusable_files)
        return None
    return files, SearchState(paths, keys, previous.shard_count, patched.total)


def cached_search_files(indexed: IndexedDocuments, store: TermStore, rendered: Mapping[str, RenderedLike],
                        options: BuildOptions, cache: Cache, output_dir: Path, live: Mapping[str, str],
                        previous: SearchState | None) -> "Background[tuple[SearchFiles, SearchState]] | PatchOrWhole":
    """The search index.  When few documents changed since the last build (see
    :func:`search_patch`), only the index files they touch are made again (from the live
    output); otherwise the whole index is built, in the background (a forked process: the build
    plans its pages meanwhile), with each document's terms made this run or from the cache."""
    docs, paths, keys = indexed.docs, indexed.paths, indexed.keys

    def make(i: int) -> TermsRow:
        """Runs in forked workers: the rendered Markdown store reopens its own SQLite connection."""
        return terms_row(docs[i], rendered, options)

    def whole() -> Background[tuple[SearchFiles, SearchState]]:
        found = store.get(list(range(len(keys))), keys, make) or {}
        entries = [found[i] for i in range(len(keys))]
        del found
        cache.prune_search_terms(set(keys) | set(previous.keys if previous is not None else ())
                                 | held_elsewhere(cache, output_dir))

        def whole_index() -> tuple[SearchFiles, SearchState]:
            index, total, shard_count = sized_index_files(entries)
            files = {rel: (content_hash(data), data) for rel, data in index.items()}
            return files, SearchState(paths, keys, shard_count, total)

        return Background(whole_index)

    work = search_patch(previous, paths, keys, store, make, output_dir, live) if previous is not None else None
    if work is None:
        return whole()
    # Documents that moved (a new date) shift the places of others: patching may take a
    # few tenths of a second, done meanwhile in a forked process.
    return PatchOrWhole(Background(work, fork=len(keys) >= BACKGROUND_PATCH), whole)


BACKGROUND_PATCH = 2000  # documents in the index from which a patch is made in a forked process


class PatchOrWhole:
    """A patch of the index made in the background, or (when it cannot be made: the live files
    were changed by hand, the shard count moves) the whole index, made when asked for."""

    def __init__(self, patch: Background[tuple[SearchFiles, SearchState] | None],
                 whole: Callable[[], Background[tuple[SearchFiles, SearchState]]]) -> None:
        self._patch, self._whole = patch, whole

    def ready(self) -> bool:
        return self._patch.ready()

    def result(self) -> tuple[SearchFiles, SearchState]:
        try:
            patched = self._patch.result()
        except RuntimeError:  # the forked process died or failed: the whole index, as if no patch could do
            patched = None
        return patched if patched is not None else self._whole().result()

    def stop(self) -> None:
        self._patch.stop()


def edited_search_patch(previous: SearchState, edited: Sequence[Document], rendered: Mapping[str, RenderedLike],
                        config: SiteConfig, options: BuildOptions, cache: Cache, output_dir: Path,
                        live: Mapping[str, str], order: tuple[Sequence[str], Sequence[str]] | None = None,
                        ) -> PatchWork | None:
    """The index after the ``edited`` documents changed, as the work that makes its files (see
    :func:`search_patch`: it may run in a forked process): all in the index already, in the same
    places, unless ``order`` gives the order of posts (paths, newest first) before and now (posts
    moved, added or deleted: the index holds the posts oldest first, after the other documents).  None
    when a document is not where it should be or the index cannot be patched."""
    settings = search_settings(config)
    paths = previous.paths
    if order is not None:
        before, now = order
        start = len(paths) - len(before)
        if start < 0 or paths[start:] != tuple(reversed(before)):
            return None
        paths = (*paths[:start], *reversed(now))
    key_of = dict(zip(previous.paths, previous.keys))
    by_path = {doc.path: doc for doc in edited}
    keys: list[str] = []
    by_position: dict[int, Document] = {}
    for i, path in enumerate(paths):
        doc = by_path.pop(path, None)
        if doc is not None:
            keys.append(search_key(settings, doc))
            by_position[i] = doc
        elif path in key_of:
            keys.append(key_of[path])
        else:
            return None
    if by_path:  # an edited document the index does not hold
        return None
    return search_patch(previous, paths, tuple(keys), TermStore(cache),
                        lambda i: terms_row(by_position[i], rendered, options), output_dir, live)
