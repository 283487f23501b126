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
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Mapping

from .cache import Cache
from .config import MenuItem, SiteConfig, load_config
from .content import ContentScan, load_body, scan_content, walk_files
from .errors import BuildFailed, SiteError, only_errors
from .incremental import Fingerprinter, fingerprint_pages
from .links import check_links
from .models import STATIC_DIR, Post
from .output import MARKER, check_output_dir, copy_file, recover_output, write_file
from .parsed import decode_parsed
from .plan import BuildOptions, PlannedPage, card_for, plan_post, plan_site, visible_posts
from .publish import live_manifest, manifest_key, publish, reusable_files
from .quota import QuotaReport, check_quota, compute_quota
from .render import SITE_TEMPLATES, THEME_DIR, Renderer, Theme
from .rendered import RenderedStore, markdown_key, render_markdown_all
from .searchfiles import (SearchState, TermStore, cached_search_files, patched_search_files, search_key,
                          search_settings, state_key, terms_row)
from .site import Site, is_shown, shown_documents
from .sources import collect_site, load_valid_config, open_cache, parse_sources, tool_version
from .sources import stable_hash as _hash
from .workers import render_all


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


@dataclass(frozen=True)
class SitePlan:
    """Every page of a build, the theme's asset files, and what links may point to."""

    pages: list[PlannedPage]
    assets: dict[str, Path]
    known: frozenset[str]  # every path of the output
    codes: frozenset[str]  # procedure codes


def plan_and_check(loaded: LoadedSite, site_dir: Path, options: BuildOptions,
                   extra_files: list[str] = ()) -> SitePlan:  # type: ignore[assignment]
    site = loaded.site
    pages = plan_site(site, loaded.rendered, options, loaded.quota)
    assets = asset_files(site_dir)
    known = known_paths(pages, site, assets, list(extra_files))
    shown = shown_documents(site, options.now, options.drafts, options.future)
    codes = frozenset(p.code for p in site.procedures if is_shown(p, options.now, options.drafts))
    errors = check_links(shown, loaded.rendered, known, codes)
    if errors:
        raise BuildFailed(errors)
    return SitePlan(pages, assets, known, codes)


def template_syntax_errors(site_dir: Path, options: BuildOptions) -> list[SiteError]:
    """Syntax errors of every template, without needing valid content (and no error if
    the configuration itself is unreadable: that is reported on its own)."""
    config = load_config(site_dir)
    if isinstance(config, list):
        return []
    return Renderer(Theme(site_dir), config, options, {"menu": (), "preview_quota": ""}).check_templates()


def make_renderer(site_dir: Path, config: SiteConfig, menu: tuple[MenuItem, ...], rendered: RenderedStore,
                  options: BuildOptions, extra_globals: dict[str, object] | None = None,
                  cache: Cache | None = None) -> Renderer:
    return Renderer(Theme(site_dir), config, options, {"menu": menu, "preview_quota": "", **(extra_globals or {})},
                    html_for=rendered.html, bytecode_dir=template_cache_dir(cache, config))


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
        output_key = manifest_key(output_dir)
        scan = scan_content(site_dir)
        frame = input_frame(site_dir, scan, options, base_url, enforce_quota, extra_globals)
        stamp = input_stamp(frame, scan)
        last = cache.record("last-build:" + output_key)
        if not isinstance(last, LastBuild) or not (options.now < last.valid_until and options.now.date() == last.day
                                                   and (output_dir / MARKER).is_file()):
            last = None  # the last build's output cannot be trusted as it is: its dates may have passed
        if last is not None and last.stamp == stamp:
            return BuildResult(0, last.files, time.perf_counter() - started, last.quota, last.warnings,
                               reused=last.files, unchanged=True)
        result = None
        if last is not None:
            result = _quick_build(site_dir, output_dir, options, base_url, extra_globals, cache, scan, last, frame,
                                  stamp, started)
        if result is None:
            result = _build(site_dir, output_dir, options, base_url, enforce_quota, extra_globals, cache, started,
                            scan, frame, stamp)
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


@dataclass(frozen=True)
class QuickState:
    """What the last build of an output leaves for a later build in which only a few posts
    were edited (see :func:`_quick_build`)."""

    stamp: str  # input_stamp() of that build
    frame: str  # input_frame() of that build
    sources: dict[str, str]  # content file -> its stamp then
    order: tuple[str, ...]  # visible posts, newest first (a post page links to its neighbours)
    known: frozenset[str]  # every path of the output (link targets)
    codes: frozenset[str]  # procedure codes (link targets)
    salt: str  # what every page fingerprint starts with
    menu: tuple[MenuItem, ...]


def input_frame(site_dir: Path, scan: ContentScan, options: BuildOptions, base_url: str | None,
                enforce_quota: bool, extra_globals: dict[str, object] | None) -> str:
    """Every input of a build except the content files, by name, size and modification time
    (stat only: cheap)."""
    theme = Theme(site_dir)
    parts: list[object] = [tool_version(), options.drafts, options.future, options.preview, base_url, enforce_quota,
                           repr(sorted((extra_globals or {}).items()))]
    config = site_dir / "site.yaml"
    parts.append(file_stamp(config) if config.exists() else "-")
    parts += scan.static
    for folder in (site_dir / "content" / "data", *map(Path, theme.search_path)):
        parts += [(str(folder), rel, file_stamp(folder / rel)) for rel in walk_files(folder)]
    return _hash(*parts)


def input_stamp(frame: str, scan: ContentScan) -> str:
    """Every input of a build: its frame and the content files."""
    return _hash(frame, [(e.path, e.stamp) for e in scan.sources])


def quick_key(output_dir: Path) -> str:
    return "quick:" + manifest_key(output_dir)


def _build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool,
           extra_globals: dict[str, object] | None, cache: Cache, started: float,
           scan: ContentScan, frame: str, stamp: str) -> BuildResult:
    try:
        loaded = load_site(site_dir, options, base_url, enforce_quota, cache=cache, scan=scan)
    except BuildFailed as failed:
        # Report template syntax errors in the same run as content errors: all problems at once.
        raise BuildFailed([*failed.errors, *template_syntax_errors(site_dir, options)]) from None
    site = loaded.site
    config = site.config
    menu = default_menu(site)
    renderer = make_renderer(site_dir, config, menu, loaded.rendered, options, extra_globals, cache)
    errors = renderer.check_templates()
    if errors:
        raise BuildFailed(errors)
    recover_output(output_dir)
    live = live_manifest(cache, output_dir)
    search_files, search_state = cached_search_files(site, loaded.rendered, options, cache, output_dir, live)
    plan = plan_and_check(loaded, site_dir, options, list(search_files))
    pages = plan.pages

    # What each output file is made from; equal fingerprints mean equal bytes.
    salt = _hash(tool_version(), pickle.dumps(config), options.drafts, options.future, options.preview,
                 templates_digest(renderer.theme), repr(sorted((extra_globals or {}).items())))
    wanted: dict[str, str] = {}
    for page, fp in zip(pages, fingerprint_pages(pages, salt)):
        wanted[page.output_path] = fp
    for rel, (digest, _) in search_files.items():
        wanted[rel] = "S:" + digest
    for rel, source in plan.assets.items():
        wanted[rel] = f"A:{source}:{file_stamp(source)}"
    for rel in site.static_files:
        wanted[f"static/{rel}"] = f"F:{file_stamp(site_dir / STATIC_DIR / rel)}"

    reusable = reusable_files(wanted, live, output_dir)
    unchanged = len(reusable) == len(wanted) == len(live)
    made = 0
    if not unchanged:
        def produce(work: Path, make: set[str]) -> None:
            todo = [i for i, page in enumerate(pages) if page.output_path in make]
            errors = _render_errors(render_all(renderer, pages, todo, work))
            if errors:
                raise BuildFailed(errors)
            for rel, (_, data) in search_files.items():
                if rel in make:
                    if data is None:  # cannot happen: cached_search_files checked that the live file is there
                        raise RuntimeError(f"search index file {rel} missing")
                    write_file(work, rel, data)
            for rel, source in plan.assets.items():
                if rel in make:
                    copy_file(work, rel, source)
            for rel in site.static_files:
                if f"static/{rel}" in make:
                    copy_file(work, f"static/{rel}", site_dir / STATIC_DIR / rel)

        made = publish(output_dir, cache, wanted, live, reusable, produce)
        cache.put_record(state_key(output_dir), search_state)
        if loaded.rendered.converted:  # something new went into the cache: forget what no document uses
            cache.prune_markdown(set(loaded.rendered.cache_keys.values()))
    cache.put_record(quick_key(output_dir), QuickState(
        stamp, frame, {e.path: e.stamp for e in scan.sources}, tuple(p.path for p in visible_posts(site.posts, options)),
        plan.known, plan.codes, salt, menu))
    return BuildResult(made, len(wanted), time.perf_counter() - started, loaded.quota, loaded.warnings,
                       reused=len(wanted) - made, unchanged=unchanged,
                       next_event=next_event(site, options))


QUICK_LIMIT = 20  # more content files changed than this: the whole build


def _quick_build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None,
                 extra_globals: dict[str, object] | None, cache: Cache, scan: ContentScan, last: LastBuild,
                 frame: str, stamp: str, started: float) -> BuildResult | None:
    """The build after a few posts were edited in a way no other page shows: same title, date,
    category, tags, summary, every front matter field the same, only the body changed.  Then
    only those posts' own pages and the search index files holding their words change; the
    rest of the output is the last build's.  None (do the whole build) in every other case,
    and whenever anything is wrong with the edited files: the whole build reports problems."""
    state = cache.record(quick_key(output_dir))
    if not isinstance(state, QuickState) or state.stamp != last.stamp or state.frame != frame:
        return None
    entries = {e.path: e for e in scan.sources}
    if entries.keys() != state.sources.keys():
        return None  # files added, deleted or renamed
    changed = [e for path, e in entries.items() if state.sources[path] != e.stamp]
    if not changed or len(changed) > QUICK_LIMIT or any(e.kind != "post" for e in changed):
        return None
    config = load_valid_config(site_dir, base_url)  # unchanged since that build (the frame says so)
    # what the last build showed of each edited post: its parse then, if the cache still has it
    before = _cached_posts(cache, {e.path: state.sources[e.path] for e in changed})
    static = frozenset(rel for rel, _ in scan.static)
    parsed = parse_sources(site_dir, config, changed, static, cache, complete=False)
    posts = [item.result for item in parsed if isinstance(item.result, Post)]
    if len(posts) != len(changed):
        return None
    rendered = render_markdown_all(posts, config.base_path, cache, lambda path: load_body(site_dir, path))
    for post in posts:
        old = before.get(post.path)
        if old is None or not _same_for_other_pages(old, _old_summary(old, cache, config), post, rendered):
            return None
    shown = [p for p in posts if is_shown(p, options.now, options.drafts, options.future)]
    shown_paths = {p.path for p in shown}
    new_warnings = [w for item in parsed if item.path in shown_paths for w in item.warnings]
    if only_errors(new_warnings) or check_links(shown, rendered, state.known, state.codes):
        return None

    live = live_manifest(cache, output_dir)
    search = cache.record(state_key(output_dir))
    if not live or not isinstance(search, SearchState):
        return None
    renderer = make_renderer(site_dir, config, state.menu, rendered, options, extra_globals, cache)
    fingerprints = Fingerprinter(state.salt)
    wanted = dict(live)
    made: dict[str, bytes] = {}
    neighbours = {p.path: p for p in posts}
    for post in shown:
        page = _plan_post_again(post, state.order, neighbours, state.sources, rendered, options, cache)
        if page is None:
            return None
        wanted[page.output_path] = fingerprints.page(page)
        if live.get(page.output_path) != wanted[page.output_path]:
            body = renderer.render(page)
            if isinstance(body, SiteError):
                return None
            made[page.output_path] = body

    settings = search_settings(config)
    position = {path: i for i, path in enumerate(search.paths)}
    keys = list(search.keys)
    by_position: dict[int, Post] = {}
    for post in shown:
        i = position.get(post.path)
        if i is None:
            return None
        keys[i] = search_key(settings, post)
        by_position[i] = post
    store = TermStore(cache, lambda i: terms_row(by_position[i], rendered, options))
    patched = patched_search_files(search, search.paths, tuple(keys), store, output_dir, live)
    if patched is None:
        return None
    search_files, search_state = patched
    for rel, (digest, data) in search_files.items():
        wanted[rel] = "S:" + digest
        if data is not None:
            made[rel] = data

    reusable = reusable_files(wanted, live, output_dir)
    if set(wanted) - reusable - set(made):
        return None  # files of the live output were deleted or changed by hand: the whole build

    def produce(work: Path, make: set[str]) -> None:
        for rel in sorted(make):
            write_file(work, rel, made[rel])

    count = publish(output_dir, cache, wanted, live, reusable, produce)
    cache.put_record(state_key(output_dir), search_state)
    cache.put_record(quick_key(output_dir), replace(state, stamp=stamp, sources={e.path: e.stamp for e in scan.sources}))
    changed_paths = {e.path for e in changed}
    warnings = [w for w in last.warnings if w.path not in changed_paths]
    return BuildResult(count, len(wanted), time.perf_counter() - started, last.quota,
                       tuple(sorted(set(warnings + new_warnings))), reused=len(wanted) - count,
                       next_event=None if last.valid_until == _FAR_FUTURE else last.valid_until)


def _cached_posts(cache: Cache, stamps: Mapping[str, str]) -> dict[str, Post]:
    """Posts as parsed from their files when they had the given stamps (those the cache has)."""
    found: dict[str, Post] = {}
    for path, (key, blob) in cache.source_rows(sorted(stamps)).items():
        parts = key.split("|")  # settings | stamp | content hash
        item = decode_parsed(blob) if len(parts) == 3 and parts[1] == stamps[path] else None
        if item is not None and isinstance(item.result, Post):
            found[path] = item.result
    return found


def _old_summary(post: Post, cache: Cache, config: SiteConfig) -> str | None:
    """The summary a post showed in lists at the last build (None: no longer known)."""
    if post.summary:
        return post.summary
    meta = cache.markdown_meta([markdown_key(post.digest, config.base_path)])
    return next((summary for summary, _ in meta.values()), None)


def _same_for_other_pages(old: Post, old_summary: str | None, new: Post, rendered: RenderedStore) -> bool:
    """Whether every page but the post's own shows the same of ``new`` as of ``old``: all its
    fields but the body are equal, and so is the summary lists show."""
    return (old_summary is not None and old_summary == (new.summary or rendered[new.digest].summary)
            and replace(old, digest="", body="") == replace(new, digest="", body=""))


def _plan_post_again(post: Post, order: tuple[str, ...], known: dict[str, Post], stamps: Mapping[str, str],
                     rendered: RenderedStore, options: BuildOptions, cache: Cache) -> PlannedPage | None:
    """A post's page as the whole build plans it, its neighbours read from the cache."""
    try:
        i = order.index(post.path)
    except ValueError:
        return None
    wanted = [order[j] for j in (i - 1, i + 1) if 0 <= j < len(order)]
    known.update(_cached_posts(cache, {path: stamps[path] for path in wanted if path not in known}))
    if any(path not in known for path in wanted):
        return None
    newer = known[order[i - 1]] if i > 0 else None
    older = known[order[i + 1]] if i + 1 < len(order) else None
    return plan_post(post, card_for(post, rendered, options.now), newer, older)


def next_event(site: Site, options: BuildOptions) -> datetime | None:
    """The date of the first post still in the future (it will appear then)."""
    future = [p.date for p in site.posts if p.date > options.now]
    return min(future) if future else None
