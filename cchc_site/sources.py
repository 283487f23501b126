"""Content files -> parsed documents, through the cache (the part of a build that ``check``
also needs; it imports nothing of rendering, so ``check`` starts quickly)."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import shutil
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import __version__
from .cache import CACHE_DIR, Cache, tag_cache_folder
from .config import CONFIG_FILE, SiteConfig, check_base_url, load_config
from .content import ContentScan, SourceEntry, load_data_files, scan_content
from .errors import BuildFailed, SiteError
from .site import Document, Site, assemble_site, parse_data_files
from .parsed import Parsed, decode_parsed
from .quota import quota_line
from .workers import AlongParse, hash_files, parse_all


def read_quota_line(site_dir: Path) -> int:
    """The line of ``quota:`` in the site's site.yaml (0 when unknown): quota errors point at it."""
    try:
        return quota_line((site_dir / CONFIG_FILE).read_text(encoding="utf-8-sig", errors="replace"))
    except OSError:
        return 0


def load_valid_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    config = load_config(site_dir)
    if isinstance(config, list):
        raise BuildFailed(config)
    if base_url:
        problem = check_base_url(base_url)
        if problem:
            raise BuildFailed([SiteError("--base-url", 0, "E041", f"base_url {problem}.")])
        config = config.with_base_url(base_url)
    return config


# Libraries whose code shapes what a build makes (HTML, parsed front matter): module -> distribution.
LIBRARIES = {"markdown": "markdown", "jinja2": "jinja2", "markupsafe": "markupsafe", "yaml": "pyyaml"}


@lru_cache(maxsize=1)
def tool_version() -> str:
    """The version plus a hash of this package's own code and the versions of the libraries it
    builds with: anything cached or skipped by an earlier build is trusted only if it was made
    by exactly this code (a developer's edit counts as a new version, and so does upgrading
    Markdown or Jinja2, which may change the HTML of pages whose content did not change)."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(library_stamps(LIBRARIES).encode())
    return f"{__version__}+{digest.hexdigest()}"


def library_stamps(libraries: Mapping[str, str]) -> str:
    """Each library's installed version, from its ``NAME-VERSION.dist-info`` folder beside it,
    found without importing it (``check`` never loads Markdown or Jinja2).  The same version
    installed again (a fresh virtual environment in CI, where the cache is restored) gives the
    same stamp.  A library installed without that folder is stamped by the size and time of
    its ``__init__`` file instead."""
    parts = []
    for module, distribution in libraries.items():
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        if not origin:
            parts.append(f"{module}=?")
            continue
        version = _installed_version(os.path.dirname(os.path.dirname(origin)), distribution)
        if version is None:
            try:
                st = os.stat(origin)
                version = f"{origin}:{st.st_size}:{st.st_mtime_ns}"
            except OSError:
                version = "?"
        parts.append(f"{module}={version}")
    return "\n".join(parts)


def _installed_version(folder: str, distribution: str) -> str | None:
    """The version in the name of ``distribution``'s ``.dist-info`` folder in ``folder``."""
    wanted = _normalise_name(distribution)
    try:
        names = _folder_names(folder)
    except OSError:
        return None
    for name in names:
        if name.endswith(".dist-info") and "-" in name:
            project, version = name[: -len(".dist-info")].rsplit("-", 1)
            if _normalise_name(project) == wanted:
                return version
    return None


@lru_cache(maxsize=8)
def _folder_names(folder: str) -> tuple[str, ...]:
    return tuple(os.listdir(folder))


def _normalise_name(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def stable_hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def stamps_hash(head: str, entries: Iterable[SourceEntry]) -> str:
    """A hash of ``head`` and the content files' names and stamps (what :func:`stable_hash` of
    them would tell apart), made for the 10,000 entries of every build and check: joined with
    NUL, which no name or stamp holds (the repr of 10,000 tuples took three times as long)."""
    text = "\0".join([head, *(f"{e.path}\0{e.stamp}" for e in entries)])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def open_cache(site_dir: Path, cache_dir: Path | None, clean: bool) -> Cache:
    """The site's cache; ``clean`` throws it away first, so the build starts from nothing.  Its
    folder is tagged (:func:`cchc_site.cache.tag_cache_folder`: git ignores it) when it is the
    site's own ``.cchc-cache/``, or one this call makes; a folder the caller names that exists
    already is left as it is."""
    folder = cache_dir or site_dir / CACHE_DIR
    ours = cache_dir is None or not os.path.lexists(folder)
    path = folder / "cache.sqlite"
    if clean:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        for old in folder.glob("templates-*"):  # compiled templates
            shutil.rmtree(old, ignore_errors=True)
    cache = Cache(path)
    if ours and cache.db is not None:
        tag_cache_folder(folder)
    return cache


def parse_sources(site_dir: Path, config: SiteConfig, entries: Sequence[SourceEntry], static: frozenset[str],
                  cache: Cache, complete: bool = True, along: AlongParse | None = None,
                  keep_along: Callable[[list[Any]], None] | None = None,
                  hashes: Mapping[str, str] | None = None) -> list[Parsed]:
    """Every content file parsed (documents without their Markdown body), from the cache when the
    settings match and the file is unchanged: same stamp, or (after a fresh clone or a branch
    switch) same bytes.  ``complete``: ``entries`` are all the files of the site (the cache
    forgets the others).  ``along``/``keep_along``: see :func:`cchc_site.workers.parse_all`
    (files taken from the cache are not parsed, so nothing is made for them).  ``hashes``: the
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
    fresh = parse_all(site_dir, misses, config, static, along, keep_along)
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
                 hashes: Mapping[str, str] | None = None) -> tuple[list[Parsed], Site, list[SiteError]]:
    """Every content and data file parsed (from the cache where unchanged) and assembled into
    a site, with every problem found on the way (warnings kept per file in ``parsed``).
    Documents come without their Markdown body: ``along`` may use it in the worker that parses
    a file (the build converts the Markdown there); otherwise the build reads it again."""
    scan = scan or scan_content(site_dir)
    static = frozenset(rel for rel, _ in scan.static)
    parsed = parse_sources(site_dir, config, scan.sources, static, cache, along=along, keep_along=keep_along,
                           hashes=hashes)
    problems: list[SiteError] = []
    docs: list[Document] = []
    for item in parsed:
        if isinstance(item.result, list):
            problems.extend(item.result)
        else:
            docs.append(item.result)
    data_files, data_errors = load_data_files(site_dir)
    indices, index_errors = parse_data_files(data_files)
    site, cross = assemble_site(config, docs, static, indices)
    return parsed, site, problems + data_errors + index_errors + cross
