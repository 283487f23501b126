"""The whole build: every page planned from every document, the files whose fingerprint
changed rendered and written (see :mod:`cchc_site.build`, which starts it).
"""
from __future__ import annotations

import hashlib
import pickle
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .build import BuildResult
from .cache import Cache
from .check import BuildFacts
from .config import MenuItem, SiteConfig, load_config, load_valid_config
from .content import load_body
from .errors import BuildFailed, SiteError, only_errors
from .files import ContentScan, STATIC_DIR, file_stamp, walk_files
from .incremental import fingerprint_pages
from .links import check_links, link_paths
from .listed import detach_lists
from .models import is_shown
from .options import BuildOptions
from .output import OlderOutput, copy_file, discard, write_file
from .plan import PlannedPage, plan_site, visible_posts
from .publish import SpareMirror, SpareSkeleton, manifest_key, publish, reusable_files, spare_skeleton
from .quickstate import QuickState, keep_quick_state
from .quota import QuotaReport, check_quota, compute_quota
from .rendered import ConvertWhileParsing, KeepConverted, RenderedStore, render_markdown_all
from .searchfiles import (FINGERPRINT_PREFIX, IndexedDocuments, PatchOrWhole, TermStore, cached_search_files,
                          indexed_with_keys, load_search_state, record_search_state)
from .site import Site, first_future_date, shown_documents
from .sources import collect_site, read_quota_line, shown_warnings
from .stamps import tool_version
from .stamps import stable_hash as _hash
from .themepath import SITE_TEMPLATES, THEME_DIR, Theme
from .workers import Background, render_all

if TYPE_CHECKING:
    from .render import Renderer


@dataclass(frozen=True)
class LoadedSite:
    """A validated site with its Markdown rendered: everything needed to plan pages."""

    site: Site
    rendered: RenderedStore
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...]
    indexed: IndexedDocuments  # what the search index holds
    terms: TermStore  # their search terms (those made along with the Markdown are in it)
    converted: bool  # this build converted some Markdown (so the cache changed)


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


def load_site(site_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool, cache: Cache,
              scan: ContentScan) -> LoadedSite:
    """Read, validate, render Markdown and apply the quota; raise BuildFailed with every problem."""
    config = load_valid_config(site_dir, base_url)
    terms = TermStore(cache)
    new_terms = terms.with_markdown(config, options)
    # Markdown is converted (and search terms made) in the workers that parse the files
    converting = ConvertWhileParsing(config.base_path, cache.markdown_keys(), new_terms)
    kept = KeepConverted(cache, terms.keep)
    facts = BuildFacts(site_dir, scan, cache)
    parsed, site, problems = collect_site(site_dir, config, cache, scan, converting, kept, keep_parsed=facts.keep)
    facts.finish(parsed)
    problems += shown_warnings(parsed, shown_documents(site, options.now, options.drafts, options.future))
    indexed = indexed_with_keys(site, options)
    rendered = render_markdown_all([*site.posts, *site.pages, *site.procedures], config.base_path, cache,
                                   lambda path, digest: load_body(site_dir, path, digest),
                                   along=new_terms, keep_along=terms.keep, known=kept.stored,
                                   held=kept.held)
    quota = compute_quota(site.posts, config.quota, options.now) if config.quota else None
    if quota is not None and enforce_quota:
        problems += check_quota(quota, config.path, read_quota_line(site_dir))
    errors = only_errors(problems)
    if errors:
        raise BuildFailed(errors, quota)
    warnings = tuple(sorted(set(p for p in problems if p.severity == "warning")))
    return LoadedSite(site, rendered, quota, warnings, indexed, terms, rendered.converted or kept.count > 0)


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
    linked: frozenset[str]  # the paths the documents' internal links name


def check_site_links(loaded: LoadedSite, pages: list[PlannedPage], assets: dict[str, Path], options: BuildOptions,
                     extra_files: list[str]) -> SitePlan:
    """Every internal link of the shown documents must point to a path of the output."""
    site = loaded.site
    known = known_paths(pages, site, assets, extra_files)
    shown = shown_documents(site, options.now, options.drafts, options.future)
    codes = frozenset(p.code for p in site.procedures if is_shown(p, options.now, options.drafts))
    errors = check_links(shown, loaded.rendered, known, codes)
    if errors:
        raise BuildFailed(errors)
    return SitePlan(pages, assets, known, codes, link_paths(shown, loaded.rendered))


def template_syntax_errors(site_dir: Path, options: BuildOptions) -> list[SiteError]:
    """Syntax errors of every template, without needing valid content (and no error if
    the configuration itself is unreadable: that is reported on its own)."""
    config = load_config(site_dir)
    if isinstance(config, list):
        return []
    from .render import Renderer  # noqa: PLC0415 (Jinja2 is loaded only by builds that render)

    return Renderer(Theme(site_dir), config, options, {"menu": (), "preview_quota": ""}).check_templates()


def make_renderer(site_dir: Path, config: SiteConfig, menu: tuple[MenuItem, ...], rendered: RenderedStore,
                  options: BuildOptions, extra_globals: dict[str, object] | None = None,
                  cache: Cache | None = None) -> Renderer:
    from .render import Renderer  # noqa: PLC0415 (Jinja2 is loaded only by builds that render)

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


def _render_errors(results: list[tuple[int, bytes | SiteError | None]]) -> list[SiteError]:
    errors: list[SiteError] = []
    seen: set[tuple[str, int, str]] = set()
    for _, result in results:
        if isinstance(result, SiteError) and (result.path, result.line, result.code) not in seen:
            seen.add((result.path, result.line, result.code))  # one report per template problem
            errors.append(result)
    return errors


def listed_key(output_dir: Path) -> str:
    return "listed:" + manifest_key(output_dir)


def whole_build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool,
                extra_globals: dict[str, object] | None, cache: Cache, started: float,
                scan: ContentScan, frame: str, live: Mapping[str, str], spare: PendingSpare) -> BuildResult:
    """Every document parsed (from the cache when unchanged), validated, planned and rendered;
    only the files whose fingerprint changed are written (see :func:`cchc_site.publish.publish`).
    It leaves what a later quick build needs (:class:`cchc_site.quickstate.QuickState`, the lists' layout, the search
    index's state)."""
    folders = SpareFolders()
    try:
        return _whole_build(site_dir, output_dir, options, base_url, enforce_quota, extra_globals, cache, started,
                            scan, frame, live, spare, folders)
    finally:
        folders.close()


class SpareFolders:
    """The folders of the spare of a build from nothing (:class:`cchc_site.publish.SpareSkeleton`),
    made in a forked process from the moment the pages are planned; :meth:`close` ends that
    process if it still runs and removes what a failed build leaves of them."""

    def __init__(self) -> None:
        self.skeleton: SpareSkeleton | None = None
        self._job: Background[bool] | None = None

    def start(self, skeleton: SpareSkeleton | None) -> None:
        if skeleton is not None:
            self.skeleton, self._job = skeleton, Background(skeleton.make)

    def made(self) -> bool:
        """Waits for the folders; False when they could not be made."""
        job, self._job = self._job, None
        try:
            return job is not None and job.result()
        except RuntimeError:  # the forked process died
            return False

    def close(self) -> None:
        if self._job is not None:
            self._job.stop()
            self._job = None
        if self.skeleton is not None:
            discard(self.skeleton.folder)  # (nothing there once it became the spare)


def _whole_build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool,
                 extra_globals: dict[str, object] | None, cache: Cache, started: float,
                 scan: ContentScan, frame: str, live: Mapping[str, str], spare: PendingSpare,
                 folders: SpareFolders) -> BuildResult:
    try:
        loaded = load_site(site_dir, options, base_url, enforce_quota, cache, scan)
    except BuildFailed as failed:
        # Report template syntax errors in the same run as content errors: all problems at once.
        raise BuildFailed([*failed.errors, *template_syntax_errors(site_dir, options)], failed.quota) from None
    site = loaded.site
    config = site.config
    menu = default_menu(site)
    renderer = make_renderer(site_dir, config, menu, loaded.rendered, options, extra_globals, cache)
    errors = renderer.check_templates()
    if errors:
        raise BuildFailed(errors)
    previous_search = load_search_state(cache, output_dir)
    search_job = cached_search_files(loaded.indexed, loaded.terms, loaded.rendered, options, cache, output_dir, live,
                                     previous_search)
    try:  # while the search index is being built
        pages = plan_site(site, loaded.rendered, options, loaded.quota)
        # What each output file is made from; equal fingerprints mean equal bytes.
        # (the menu lists the pages: a page added, renamed or deleted changes every page)
        salt = _hash(tool_version(), pickle.dumps(config), pickle.dumps(menu), options.drafts, options.future,
                     options.preview, templates_digest(renderer.theme), repr(sorted((extra_globals or {}).items())))
        wanted: dict[str, str] = {}
        for page, fp in zip(pages, fingerprint_pages(pages, salt)):
            wanted[page.output_path] = fp
        if not live:  # a build from nothing: its spare's folders are made meanwhile (before any page is written)
            folders.start(spare_skeleton(output_dir, wanted))
        early = render_while_waiting(renderer, pages, wanted, live, search_job)
        search_files, search_state = search_job.result()
    finally:
        search_job.stop()
    plan = check_site_links(loaded, pages, asset_files(site_dir), options, list(search_files))
    for rel, (digest, _) in search_files.items():
        wanted[rel] = FINGERPRINT_PREFIX + digest
    for rel, source in plan.assets.items():
        wanted[rel] = f"A:{source}:{file_stamp(source)}"
    for rel, stamp in scan.static:
        wanted[f"static/{rel}"] = f"F:{stamp}"

    def produce(work: Path, make: set[str], like: OlderOutput | None) -> None:
        todo = [i for i, page in enumerate(pages) if page.output_path in make]
        errors = _render_errors(render_all(renderer, pages, todo, work, early, like))
        if errors:
            raise BuildFailed(errors)
        for rel, (_, data) in search_files.items():
            if rel in make:
                if data is None:  # cannot happen: cached_search_files checked that the live file is there
                    raise RuntimeError(f"search index file {rel} missing")
                write_file(work, rel, data, like)
        for rel, source in plan.assets.items():
            if rel in make:
                copy_file(work, rel, source, like)
        for rel in site.static_files:
            if f"static/{rel}" in make:
                copy_file(work, f"static/{rel}", site_dir / STATIC_DIR / rel, like)

    spare.settle(cache)
    published = publish(output_dir, cache, wanted, live, reusable_files(wanted, live, output_dir), produce,
                        folders.skeleton, folders.made)
    if published.output_id:
        record_search_state(cache, output_dir, previous_search, search_state, published.output_id)
        visible = visible_posts(site.posts, options)
        listed = detach_lists(pages, {post.url: i for i, post in enumerate(visible)})
        if listed is not None:
            cache.put_record(listed_key(output_dir), listed, published.output_id)
        keep_quick_state(cache, output_dir, QuickState(
            frame, {e.path: e.stamp for e in scan.sources}, tuple(p.path for p in visible),
            plan.known, plan.codes, plan.linked, salt, menu, published.output_id if listed is not None else "",
            frozenset(doc.url for doc in site.posts).union(doc.url for doc in site.pages).difference(plan.known)),
            published.output_id)
    if loaded.converted:  # something new went into the cache: forget what no document uses
        cache.prune_markdown(set(loaded.rendered.cache_keys.values()))
    return BuildResult(published.made, len(wanted), time.perf_counter() - started, loaded.quota, loaded.warnings,
                       reused=len(wanted) - published.made, unchanged=published.unchanged,
                       next_event=next_event(site, options))


class PendingSpare:
    """The spare being made (see :class:`cchc_site.publish.SpareMirror`) in a forked process
    while the build goes on; :meth:`settle` waits for it and records it: before the build
    publishes (which then updates it in place) and, whatever happens, before the build ends."""

    def __init__(self, mirror: SpareMirror | None) -> None:
        self._mirror = mirror
        self._job: Background[bool] | None = Background(mirror.make) if mirror is not None else None

    def settle(self, cache: Cache) -> None:
        job, self._job = self._job, None
        if job is None or self._mirror is None:  # (both or neither)
            return
        try:
            made = job.result()
        except RuntimeError:  # the forked process died: no spare (the build makes a new folder)
            made = False
        if made:
            self._mirror.record(cache)


EARLY_LIMIT = 4000  # pages rendered ahead while the search index is built (kept in memory until written)


def render_while_waiting(renderer: Renderer, pages: list[PlannedPage], wanted: Mapping[str, str],
                          live: Mapping[str, str], search_job: Background[Any] | PatchOrWhole) -> dict[int, bytes | SiteError]:
    """Pages that will have to be made (not as in the live output), rendered in this process
    while the search index is built in the background: the core would be idle otherwise."""
    early: dict[int, bytes | SiteError] = {}
    for i, page in enumerate(pages):
        if search_job.ready() or len(early) >= EARLY_LIMIT:
            break
        if live.get(page.output_path) != wanted[page.output_path]:
            early[i] = renderer.render(page)
    return early


def next_event(site: Site, options: BuildOptions) -> datetime | None:
    """The date of the first post still in the future (it will appear then)."""
    return first_future_date(site.posts, options.now)
