"""Content files -> parsed documents, through the cache (the part of a build that ``check``
also needs; it imports nothing of rendering, so ``check`` starts quickly)."""
from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .cache import Cache
from .config import SiteConfig
from .content import load_data_files
from .errors import SiteError
from .files import CONFIG_FILE, ContentScan, SourceEntry, scan_content
from .indices import IndexEntry
from .parsed import Parsed, decode_parsed
from .quota import quota_line
from .site import Document, Site, assemble_site, parse_data_files
from .stamps import stable_hash, tool_version
from .workers import AlongParse, hash_files, parse_all


def read_quota_line(site_dir: Path) -> int:
    """The line of ``quota:`` in the site's site.yaml (0 when unknown): quota errors point at it."""
    try:
        return quota_line((site_dir / CONFIG_FILE).read_text(encoding="utf-8-sig", errors="replace"))
    except OSError:
        return 0


def parse_sources(site_dir: Path, config: SiteConfig, entries: Sequence[SourceEntry], static: frozenset[str],
                  cache: Cache, complete: bool = True, along: AlongParse | None = None,
                  keep_along: Callable[[list[Any]], None] | None = None,
                  hashes: Mapping[str, str] | None = None,
                  keep_parsed: Callable[[list[Parsed]], None] | None = None) -> list[Parsed]:
    """Every content file parsed (documents without their Markdown body), from the cache when the
    settings match and the file is unchanged: same stamp, or (after a fresh clone or a branch
    switch) same bytes.  ``complete``: ``entries`` are all the files of the site (the cache
    forgets the others).  ``along``/``keep_along``/``keep_parsed``: see
    :func:`cchc_site.workers.parse_all` (files taken from the cache are not parsed, so nothing is
    made for them, and they do not go to ``keep_parsed``).  ``hashes``: the
    content hash of files read just before (:func:`content_hashes`), not read again."""
    settings = parse_settings(config, static)
    cached = cache.sources() if complete else cache.source_rows([e.path for e in entries])
    results: list[Parsed] = []
    misses: list[SourceEntry] = []
    touched: list[tuple[SourceEntry, str, bytes]] = []
    for entry in entries:
        key, blob = cached.get(entry.path, ("", b""))
        parts = _key_parts(key)
        if parts is None or parts[0] != settings:
            misses.append(entry)
        elif parts[1] != entry.stamp:
            touched.append((entry, parts[2], blob))
        elif (value := decode_parsed(blob)) is not None:
            results.append(value)
        else:
            misses.append(entry)
    restamped: list[tuple[str, str, bytes]] = []
    paths = [entry.path for entry, _, _ in touched]
    known = hashes or {}
    now_hashes = [known[p] for p in paths] if all(p in known for p in paths) else hash_files(site_dir, paths)
    for (entry, old_hash, blob), new_hash in zip(touched, now_hashes):
        value = decode_parsed(blob) if new_hash == old_hash else None
        if value is None:
            misses.append(entry)
        else:
            results.append(value)
            restamped.append((entry.path, f"{settings}|{entry.stamp}|{old_hash}", blob))
    fresh = parse_all(site_dir, misses, config, static, along, keep_along, keep_parsed)
    # a file whose row has these settings and another stamp: that row is kept as its row before
    # (the last build of an output may have read it; only rows of the same settings can serve)
    cache.put_sources(restamped + [(entry.path, f"{settings}|{entry.stamp}|{item.content_hash}", blob)
                                   for entry, (item, blob) in zip(misses, fresh)],
                      earlier=[entry.path for entry, _, _ in touched])
    gone = set(cached) - {e.path for e in entries}
    if gone and complete:
        cache.drop_sources(gone)
    return results + [item for item, _ in fresh]


def content_hashes(site_dir: Path, entries: Sequence[SourceEntry], cache: Cache) -> dict[str, str]:
    """The content hash of each file: the one its cached row holds when the row was made from the
    file as it is (same stamp, whatever the settings), else read and hashed ("" when it cannot be
    read): on a fresh clone, where every file has a new time, all of them."""
    keys = cache.source_keys()
    found: dict[str, str] = {}
    unknown: list[str] = []
    for entry in entries:
        parts = _key_parts(keys.get(entry.path, ""))
        if parts is not None and parts[1] == entry.stamp and parts[2]:
            found[entry.path] = parts[2]
        else:
            unknown.append(entry.path)
    found.update(zip(unknown, hash_files(site_dir, unknown)))
    return found


def parse_settings(config: SiteConfig, static: frozenset[str]) -> str:
    """What a file's parse depends on besides the file: this code, the configuration (not its
    base_url, which no parse reads: ``check`` and ``build --base-url`` share rows) and the static
    files that documents may name."""
    return stable_hash(tool_version(), pickle.dumps(replace(config, base_url="")), sorted(static))


def _key_parts(key: str) -> tuple[str, str, str] | None:
    """A cached row's key: settings | stamp | content hash."""
    parts = key.split("|")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def cached_parses(cache: Cache, config: SiteConfig, static: frozenset[str], stamps: Mapping[str, str]) -> dict[str, Parsed]:
    """The cached parse of each file, if the cache has it for these settings and the given stamp
    (its current row, or the one before)."""
    settings = parse_settings(config, static)
    found: dict[str, Parsed] = {}
    for rows in (cache.source_rows, cache.earlier_source_rows):
        for path, (key, blob) in rows(sorted(set(stamps) - found.keys())).items():
            parts = _key_parts(key)
            item = decode_parsed(blob) if parts is not None and parts[:2] == (settings, stamps[path]) else None
            if item is not None:
                found[path] = item
        if len(found) == len(stamps):
            break
    return found


def shown_warnings(parsed: Sequence[Parsed], shown: Iterable[Document]) -> list[SiteError]:
    """The warnings of the files whose documents are published (a draft's problems wait)."""
    paths = {doc.path for doc in shown}
    return [w for item in parsed if item.path in paths for w in item.warnings]


def collect_site(site_dir: Path, config: SiteConfig, cache: Cache, scan: ContentScan | None = None,
                 along: AlongParse | None = None,
                 keep_along: Callable[[list[Any]], None] | None = None,
                 hashes: Mapping[str, str] | None = None,
                 keep_parsed: Callable[[list[Parsed]], None] | None = None) -> tuple[list[Parsed], Site, list[SiteError]]:
    """Every content and data file parsed (from the cache where unchanged) and assembled into
    a site, with every problem found on the way (warnings kept per file in ``parsed``).
    Documents come without their Markdown body: ``along`` may use it in the worker that parses
    a file (the build converts the Markdown there); otherwise the build reads it again."""
    scan = scan or scan_content(site_dir)
    static = frozenset(rel for rel, _ in scan.static)
    parsed = parse_sources(site_dir, config, scan.sources, static, cache, along=along, keep_along=keep_along,
                           hashes=hashes, keep_parsed=keep_parsed)
    problems: list[SiteError] = []
    docs: list[Document] = []
    for item in parsed:
        if isinstance(item.result, list):
            problems.extend(item.result)
        else:
            docs.append(item.result)
    indices, data_problems = load_indices(site_dir)
    site, cross = assemble_site(config, docs, static, indices)
    return parsed, site, problems + data_problems + cross


def load_indices(site_dir: Path) -> tuple[list[IndexEntry], list[SiteError]]:
    """The entries of the site's data files (content/data/), and every problem found in them."""
    data_files, data_errors = load_data_files(site_dir)
    indices, index_errors = parse_data_files(data_files)
    return indices, data_errors + index_errors
