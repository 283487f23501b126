"""load -> validate -> quota -> plan -> render -> write.

``build_site`` gathers and checks everything before writing anything; any problem
raises :class:`BuildFailed` carrying all of them, and the output folder is untouched.

Speed: parsed sources and rendered Markdown come from the cache when their inputs are
unchanged; Markdown and page rendering use every core; a page whose fingerprint (what
it shows) is unchanged is reused from the previous output by a hard link; when nothing
changed at all, nothing is written.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import markdown as markdown_lib

from .cache import Cache
from .config import MenuItem, SiteConfig, load_config
from .content import ContentScan, content_hash, load_body, scan_content, walk_files
from .errors import BuildFailed, SiteError, only_errors
from .incremental import fingerprint_pages
from .links import check_links
from .mdrender import RENDERER_VERSION, Link, Rendered
from .models import STATIC_DIR
from .output import (MARKER, check_output_dir, copy_file, discard, link_or_copy, new_staging, recover_output,
                     remove_file, spare_dir, swap_in, write_file)
from .plan import BuildOptions, PlannedPage, plan_site
from .quota import QuotaReport, check_quota, compute_quota
from .render import SITE_TEMPLATES, THEME_DIR, Renderer, Theme
from .search import DocTerms, IndexPatch, doc_terms, indexed_documents, patch_index, search_doc, sized_index_files
from .site import Document, Site, is_shown, shown_documents
from .sources import collect_site, load_valid_config, open_cache, tool_version
from .sources import stable_hash as _hash
from .workers import convert_all, map_indices, render_all


@dataclass(frozen=True)
class BuildResult:
    pages: int  # pages and generated files rendered by this build
    files: int  # every file in the output
    seconds: float
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...] = ()
    reused: int = 0  # files taken unchanged from the previous output
    unchanged: bool = False  # nothing changed: the output was left as it was
    next_event: datetime | None = None  # when the first future post becomes visible


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
            # dropped after a failed write: what was stored before is still in the file
            self._cache = Cache(self._cache.path)
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


@dataclass(frozen=True)
class LoadedSite:
    """A validated site with its Markdown rendered: everything needed to plan pages."""

    site: Site
    rendered: RenderedStore
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...]


def default_menu(site: Site) -> tuple[MenuItem, ...]:
    if site.config.menu:
        return site.config.menu
    items = [MenuItem("Trang chủ", "/"), MenuItem("Tin tức", "/tin-tuc/"),
             MenuItem("Thủ tục hành chính", "/thu-tuc-hanh-chinh/"), MenuItem("Chuyên mục", "/chuyen-muc/"),
             MenuItem("Chỉ số CCHC", "/chi-so-cchc/")]
    if site.config.quota:  # /thong-ke/ exists only with a quota
        items.append(MenuItem("Thống kê", "/thong-ke/"))
    items += [MenuItem(p.title, p.url) for p in site.pages if not p.draft]
    return tuple(items)


def asset_files(site_dir: Path) -> dict[str, Path]:
    """``assets/...`` files of the theme, overridden file by file by ``templates/assets/``."""
    files = {f"assets/{rel}": THEME_DIR / "assets" / rel for rel in walk_files(THEME_DIR / "assets")}
    site_assets = site_dir / SITE_TEMPLATES / "assets"
    files.update({f"assets/{rel}": site_assets / rel for rel in walk_files(site_assets)})
    return files


def markdown_key(digest: str, base_path: str) -> str:
    return _hash(tool_version(), RENDERER_VERSION, markdown_lib.__version__, base_path, digest)


def render_markdown_all(docs: list[Document], base_path: str, cache: Cache,
                        reload: Callable[[str], str]) -> RenderedStore:
    """Rendered Markdown of every document; a document whose HTML is not in the cache has its
    body read again with ``reload``, in the worker that converts it (so the bodies of a large
    site are never all in memory at once)."""
    keys = {d.digest: markdown_key(d.digest, base_path) for d in docs}
    meta_by_key = cache.markdown_meta(sorted(set(keys.values())))
    todo: dict[str, str] = {}  # digest -> path
    for doc in docs:
        if keys[doc.digest] not in meta_by_key and doc.digest not in todo:
            todo[doc.digest] = doc.path
    stored: set[str] = set()

    def store_away(part: list[tuple[str, Rendered]]) -> list[tuple[str, Rendered]]:
        """Each chunk goes into the cache as it arrives; only summaries and links stay in memory
        (the HTML too for a chunk the cache could not take)."""
        if not cache.put_markdown([(keys[digest], r) for digest, r in part]):
            return part
        stored.update(digest for digest, _ in part)
        return [(digest, Rendered("", r.summary, r.links)) for digest, r in part]

    converted = convert_all(sorted(todo.items()), base_path, reload, store_away)
    del todo
    meta = {digest: meta_by_key[key] for digest, key in keys.items() if key in meta_by_key}
    meta.update({digest: (r.summary, r.links) for digest, r in converted})
    fresh = {digest: r.html for digest, r in converted if digest not in stored}
    return RenderedStore(meta, fresh, keys, cache, converted=bool(converted))


@dataclass(frozen=True)
class SearchState:
    """The search index of the last build of an output, as the next build needs it."""

    keys: tuple[str, ...]  # document keys, in index order
    shard_count: int
    total: int


def _doc_terms_from_cache(value: object, intern: dict[str, str]) -> DocTerms | None:
    """A cached entry, or None when it is not in the expected shape (then it is recomputed)."""
    try:
        row, forms, flags = value  # type: ignore[misc]
        if len(row) != 5 or len(forms) != len(flags) or not isinstance(flags, bytes):
            return None
        return DocTerms(tuple(row), tuple(intern.setdefault(f, f) for f in forms), flags)
    except (TypeError, ValueError):
        return None


SearchFiles = dict[str, tuple[str, "bytes | None"]]  # rel -> (digest, bytes; None: as in the live output)


def cached_search_files(loaded: LoadedSite, options: BuildOptions, cache: Cache, output_dir: Path,
                        live: Mapping[str, str]) -> tuple[SearchFiles, SearchState]:
    """The search index.  When documents were only edited or added since the last build,
    only the index files they touch are made again (from the live output); otherwise the
    whole index is built, with each document's terms from the cache when unchanged."""
    config = loaded.site.config
    settings = _hash(tool_version(), RENDERER_VERSION, pickle.dumps(config))  # base path, timezone, fields
    docs = indexed_documents(loaded.site, options)
    keys = tuple(_hash(settings, type(d).__name__, d.path, d.digest) for d in docs)
    intern: dict[str, str] = {}

    def terms_for(positions: list[int], key_list: tuple[str, ...], compute: bool) -> dict[int, DocTerms] | None:
        cached = cache.search_terms(sorted({key_list[i] for i in positions}))
        found: dict[int, DocTerms] = {}
        missing: list[int] = []
        for i in positions:
            value = cached.get(key_list[i])
            entry = _doc_terms_from_cache(value, intern) if value is not None else None
            if entry is not None:
                found[i] = entry
            elif compute:
                missing.append(i)
            else:
                return None
        def keep(part: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
            """Each chunk as it arrives goes into the cache, and its words shared with earlier
            documents become the same string object (documents repeat the same few thousand words)."""
            fresh: list[tuple[str, object]] = []
            for i, (row, joined, flags) in part:
                forms = tuple(intern.setdefault(f, f) for f in joined.split("\n")) if joined else ()
                found[i] = DocTerms(row, forms, flags)
                fresh.append((key_list[i], (row, forms, flags)))
            cache.put_search_terms(fresh)
            return []

        map_indices(make_terms, missing, keep)  # in the pool: a full build has 10,000s
        return found

    def make_terms(i: int) -> tuple[tuple[str, str, str, str, str], str, bytes]:
        """One document's terms, its words joined in one string (one object to send back, not hundreds)."""
        computed = doc_terms(search_doc(docs[i], loaded.rendered, options))
        return computed.row, "\n".join(computed.forms), computed.flags

    previous = cache.record("search:" + str(output_dir.resolve()))
    digests = {rel: fp[2:] for rel, fp in live.items() if fp.startswith("S:")}
    if isinstance(previous, SearchState) and digests and len(keys) >= len(previous.keys):
        changed = [i for i, key in enumerate(previous.keys) if keys[i] != key]
        added = list(range(len(previous.keys), len(keys)))
        old_terms = terms_for(changed, previous.keys, compute=False) if len(changed) <= 200 else None
        if old_terms is not None and len(added) <= 200:
            new_terms = terms_for(changed + added, keys, compute=True) or {}

            def read(rel: str) -> bytes:
                data = (output_dir / rel).read_bytes()
                if content_hash(data) != digests.get(rel):
                    raise FileNotFoundError(rel)  # the live output was changed by hand
                return data

            try:
                patched = patch_index(IndexPatch(len(keys), previous.shard_count, previous.total, old_terms, new_terms),
                                      read, digests)
            except (OSError, ValueError):
                patched = None
            if patched is not None:
                changed_files, total = patched
                files: SearchFiles = {rel: (digest, None) for rel, digest in digests.items()}
                files.update({rel: (content_hash(data), data) for rel, data in changed_files.items()})
                # Files kept "as in the live output" must be there (one deleted by hand: build the whole index).
                live_root = str(output_dir)
                if all(data is not None or os.path.isfile(os.path.join(live_root, rel)) for rel, (_, data) in files.items()):
                    return files, SearchState(keys, previous.shard_count, total)
    entries = terms_for(list(range(len(keys))), keys, compute=True) or {}
    index, total, shard_count = sized_index_files([entries[i] for i in range(len(keys))])
    cache.prune_search_terms(set(keys) | set(previous.keys if isinstance(previous, SearchState) else ()))
    state = SearchState(keys, shard_count, total)
    return {rel: (content_hash(data), data) for rel, data in index.items()}, state


def load_site(site_dir: Path, options: BuildOptions, base_url: str | None = None, enforce_quota: bool = True,
              strict: bool = False, cache: Cache | None = None, scan: ContentScan | None = None) -> LoadedSite:
    """Read, validate, render Markdown and apply the quota; raise BuildFailed with every problem."""
    cache = cache or Cache(None)
    config = load_valid_config(site_dir, base_url)
    parsed, site, problems = collect_site(site_dir, config, cache, scan)
    shown = shown_documents(site, options.now, options.drafts, options.future)
    shown_paths = {d.path for d in shown}
    problems += [w for item in parsed if item.path in shown_paths for w in item.warnings]
    rendered = render_markdown_all([*site.posts, *site.pages, *site.procedures], config.base_path, cache,
                                   lambda path: load_body(site_dir, path))
    quota = compute_quota(site.posts, config.quota, options.now, strict) if config.quota else None
    if quota is not None and enforce_quota:
        problems += check_quota(quota, config.path)
    errors = only_errors(problems)
    if errors:
        raise BuildFailed(errors)
    warnings = tuple(sorted(set(p for p in problems if p.severity == "warning")))
    return LoadedSite(site, rendered, quota, warnings)


def known_paths(pages: list[PlannedPage], site: Site, assets: Mapping[str, Path],
                extra: list[str]) -> frozenset[str]:
    paths = {p.url for p in pages}
    paths.update(f"/static/{rel}" for rel in site.static_files)
    paths.update(f"/{rel}" for rel in assets)
    paths.update(f"/{rel}" for rel in extra)
    return frozenset(paths)


def plan_and_check(loaded: LoadedSite, site_dir: Path, options: BuildOptions,
                   extra_files: list[str] = ()) -> tuple[list[PlannedPage], dict[str, Path]]:  # type: ignore[assignment]
    site = loaded.site
    pages = plan_site(site, loaded.rendered, options, loaded.quota)
    assets = asset_files(site_dir)
    known = known_paths(pages, site, assets, list(extra_files))
    shown = shown_documents(site, options.now, options.drafts, options.future)
    codes = frozenset(p.code for p in site.procedures if is_shown(p, options.now, options.drafts))
    errors = check_links(shown, loaded.rendered, known, codes)
    if errors:
        raise BuildFailed(errors)
    return pages, assets


def template_syntax_errors(site_dir: Path, options: BuildOptions) -> list[SiteError]:
    """Syntax errors of every template, without needing valid content (and no error if
    the configuration itself is unreadable: that is reported on its own)."""
    config = load_config(site_dir)
    if isinstance(config, list):
        return []
    return Renderer(Theme(site_dir), config, options, {"menu": (), "preview_quota": ""}).check_templates()


def make_renderer(site_dir: Path, loaded: LoadedSite, options: BuildOptions,
                  extra_globals: dict[str, object] | None = None, cache: Cache | None = None) -> Renderer:
    renderer = Renderer(Theme(site_dir), loaded.site.config, options,
                        {"menu": default_menu(loaded.site), "preview_quota": "", **(extra_globals or {})},
                        html_for=loaded.rendered.html,
                        bytecode_dir=template_cache_dir(cache, loaded.site.config))
    errors = renderer.check_templates()
    if errors:
        raise BuildFailed(errors)
    return renderer


def template_cache_dir(cache: Cache | None, config: SiteConfig) -> Path | None:
    """Where compiled templates are kept: beside the cache file, one folder per version of this
    code and configuration (Jinja2 computes filters of constants such as
    ``"/assets/style.css" | url`` when it compiles, so the base path is inside the compiled
    code); other folders are removed."""
    if cache is None or cache.path is None:
        return None
    folder = cache.path.parent / f"templates-{_hash(tool_version(), pickle.dumps(config))[:16]}"
    for old in cache.path.parent.glob("templates-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def templates_digest(theme: Theme) -> str:
    h = hashlib.blake2b(digest_size=16)
    for base in theme.search_path:
        for rel in walk_files(Path(base)):
            if rel.startswith("assets/"):
                continue
            h.update(rel.encode() + b"\0" + (Path(base) / rel).read_bytes() + b"\0")
    return h.hexdigest()


def file_stamp(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def _render_errors(results: list[tuple[int, bytes | SiteError | None]]) -> list[SiteError]:
    errors: list[SiteError] = []
    seen: set[tuple[str, int, str]] = set()
    for _, result in results:
        if isinstance(result, SiteError) and (result.path, result.line, result.code) not in seen:
            seen.add((result.path, result.line, result.code))  # one report per template problem
            errors.append(result)
    return errors


def build_site(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None = None,
               enforce_quota: bool = True, extra_globals: dict[str, object] | None = None,
               clean: bool = False, cache_dir: Path | None = None) -> BuildResult:
    """Build the whole site into ``output_dir``, atomically and incrementally."""
    started = time.perf_counter()
    problems = check_output_dir(output_dir, site_dir)
    if problems:
        raise BuildFailed(problems)
    cache = open_cache(site_dir, cache_dir, clean)
    try:
        output_key = str(output_dir.resolve())
        scan = scan_content(site_dir)
        stamp = input_stamp(site_dir, scan, options, base_url, enforce_quota, extra_globals)
        last = cache.record("last-build:" + output_key)
        if (isinstance(last, LastBuild) and last.stamp == stamp and options.now < last.valid_until
                and options.now.date() == last.day and (output_dir / MARKER).is_file()):
            return BuildResult(0, last.files, time.perf_counter() - started, last.quota, last.warnings,
                               reused=last.files, unchanged=True)
        result = _build(site_dir, output_dir, options, base_url, enforce_quota, extra_globals, cache, started, scan)
        cache.put_record("last-build:" + output_key, LastBuild(stamp, result.next_event or _FAR_FUTURE,
                                                                options.now.date(), result.files, result.quota,
                                                                result.warnings))
        return result
    finally:
        cache.close()


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class LastBuild:
    """What a successful build saw, so an identical later build can stop at once."""

    stamp: str  # input_stamp() of that build
    valid_until: datetime  # the first future post's date: it becomes visible then
    day: date  # pages show the day (statistics), so a new day means a new build
    files: int
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...]


def input_stamp(site_dir: Path, scan: ContentScan, options: BuildOptions, base_url: str | None,
                enforce_quota: bool, extra_globals: dict[str, object] | None) -> str:
    """Every input of a build, by name, size and modification time (stat only: cheap)."""
    theme = Theme(site_dir)
    parts: list[object] = [tool_version(), options.drafts, options.future, options.preview, base_url, enforce_quota,
                           repr(sorted((extra_globals or {}).items()))]
    config = site_dir / "site.yaml"
    parts.append(file_stamp(config) if config.exists() else "-")
    parts += [(e.path, e.stamp) for e in scan.sources]
    parts += scan.static
    for folder in (site_dir / "content" / "data", *map(Path, theme.search_path)):
        parts += [(str(folder), rel, file_stamp(folder / rel)) for rel in walk_files(folder)]
    return _hash(*parts)


def _build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool,
           extra_globals: dict[str, object] | None, cache: Cache, started: float,
           scan: ContentScan) -> BuildResult:
    try:
        loaded = load_site(site_dir, options, base_url, enforce_quota, cache=cache, scan=scan)
    except BuildFailed as failed:
        # Report template syntax errors in the same run as content errors: all problems at once.
        raise BuildFailed([*failed.errors, *template_syntax_errors(site_dir, options)]) from None
    renderer = make_renderer(site_dir, loaded, options, extra_globals, cache)
    recover_output(output_dir)
    output_key = str(output_dir.resolve())
    live = cache.manifest(output_key) if (output_dir / MARKER).is_file() else {}
    search_files, search_state = cached_search_files(loaded, options, cache, output_dir, live)
    pages, assets = plan_and_check(loaded, site_dir, options, list(search_files))
    config = loaded.site.config

    # What each output file is made from; equal fingerprints mean equal bytes.
    salt = _hash(tool_version(), pickle.dumps(config), options.drafts, options.future, options.preview,
                 templates_digest(renderer.theme), repr(sorted((extra_globals or {}).items())))
    wanted: dict[str, str] = {}
    for page, fp in zip(pages, fingerprint_pages(pages, salt)):
        wanted[page.output_path] = fp
    for rel, (digest, _) in search_files.items():
        wanted[rel] = "S:" + digest
    for rel, source in assets.items():
        wanted[rel] = f"A:{source}:{file_stamp(source)}"
    for rel in loaded.site.static_files:
        wanted[f"static/{rel}"] = f"F:{file_stamp(site_dir / STATIC_DIR / rel)}"

    spare_key = output_key + "#spare"
    live_root = str(output_dir)
    reusable = {rel for rel, fp in wanted.items() if live.get(rel) == fp and os.path.isfile(os.path.join(live_root, rel))}
    if len(reusable) == len(wanted) == len(live):
        return BuildResult(0, len(wanted), time.perf_counter() - started, loaded.quota, loaded.warnings,
                           reused=len(wanted), unchanged=True, next_event=next_event(loaded.site, options))

    spare = spare_dir(output_dir)
    # An empty record means none: the spare was being changed when a build stopped (forgotten below).
    previous = (cache.manifest(spare_key) or None) if live and (spare / MARKER).is_file() else None
    cache.forget_manifest(spare_key)  # from here on the spare folder is being changed
    if previous is None:
        # First build, or no trustworthy spare: a fresh folder, unchanged files linked from the live output.
        if spare.exists():
            shutil.rmtree(spare)
        work = new_staging(output_dir)
        have: dict[str, str] = {}
    else:
        # Update the spare (the output before the live one) to the wanted state, then swap.
        work = spare
        have = previous
        for rel in sorted(set(have) - set(wanted)):
            remove_file(work, rel)
    stale = [rel for rel, fp in wanted.items() if have.get(rel) != fp]
    from_live = sorted(rel for rel in stale if rel in reusable)
    make = {rel for rel in stale if rel not in reusable}
    try:
        todo = [i for i, page in enumerate(pages) if page.output_path in make]
        errors = _render_errors(render_all(renderer, pages, todo, work))
        if errors:
            raise BuildFailed(errors)
        for rel, (_, data) in search_files.items():
            if rel in make:
                if data is None:  # cannot happen: cached_search_files checked that the live file is there
                    raise RuntimeError(f"search index file {rel} missing")
                write_file(work, rel, data)
        for rel, source in assets.items():
            if rel in make:
                copy_file(work, rel, source)
        for rel in loaded.site.static_files:
            if f"static/{rel}" in make:
                copy_file(work, f"static/{rel}", site_dir / STATIC_DIR / rel)
        _link_unchanged(output_dir, work, from_live)
        swap_in(work, output_dir, keep_old_as=spare if live else None)
    except BaseException:
        if work != spare:
            discard(work)
        raise
    cache.put_manifest(output_key, wanted)
    cache.put_record("search:" + output_key, search_state)
    if live:
        cache.put_manifest(spare_key, live)
    if loaded.rendered.converted:  # something new went into the cache: forget what no document uses
        cache.prune_markdown(set(loaded.rendered.cache_keys.values()))
    return BuildResult(len(make), len(wanted), time.perf_counter() - started, loaded.quota, loaded.warnings,
                       reused=len(wanted) - len(make), next_event=next_event(loaded.site, options))


def next_event(site: Site, options: BuildOptions) -> datetime | None:
    """The date of the first post still in the future (it will appear then)."""
    future = [p.date for p in site.posts if p.date > options.now]
    return min(future) if future else None


def _link_unchanged(output_dir: Path, staging: Path, rels: list[str]) -> None:
    """Hard-link the files that did not change from the previous output (threads overlap the syscalls)."""
    if not rels:
        return

    def link(part: list[str]) -> None:
        for rel in part:
            link_or_copy(staging, rel, output_dir / rel)

    size = max(1, len(rels) // 4 + 1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(link, [rels[i:i + size] for i in range(0, len(rels), size)]))
