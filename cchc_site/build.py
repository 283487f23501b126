"""load -> validate -> quota -> plan -> render -> write.

``build_site`` gathers and checks everything before writing anything; any problem
raises :class:`BuildFailed` carrying all of them, and the output folder is untouched.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .config import MenuItem, SiteConfig, load_config
from .content import SiteFiles, load_site_files, walk_files
from .errors import BuildFailed, SiteError, only_errors
from .links import check_links, check_unsafe_html
from .mdrender import Rendered, render_markdown
from .models import STATIC_DIR
from .output import check_output_dir, copy_file, discard, new_staging, recover_output, swap_in, write_file
from .plan import BuildOptions, PlannedPage, plan_site, visible_posts
from .quota import QuotaReport, check_quota, compute_quota
from .render import SITE_TEMPLATES, THEME_DIR, Renderer, Theme
from .search import search_outputs
from .site import Site, parse_site


@dataclass(frozen=True)
class BuildResult:
    pages: int  # pages and generated files written
    files: int  # every file in the output
    seconds: float
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...] = ()


@dataclass(frozen=True)
class LoadedSite:
    """A validated site with its Markdown rendered: everything needed to plan pages."""

    site: Site
    rendered: Mapping[str, Rendered]
    quota: QuotaReport | None
    warnings: tuple[SiteError, ...]


def load_valid_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    config = load_config(site_dir)
    if isinstance(config, list):
        raise BuildFailed(config)
    if base_url:
        from .config import check_base_url
        problem = check_base_url(base_url)
        if problem:
            raise BuildFailed([SiteError("--base-url", 0, "E041", f"base_url {problem}.")])
        config = config.with_base_url(base_url)
    return config


def default_menu(site: Site) -> tuple[MenuItem, ...]:
    if site.config.menu:
        return site.config.menu
    items = [MenuItem("Trang chủ", "/"), MenuItem("Tin tức", "/tin-tuc/"),
             MenuItem("Thủ tục hành chính", "/thu-tuc-hanh-chinh/"), MenuItem("Chuyên mục", "/chuyen-muc/"),
             MenuItem("Chỉ số CCHC", "/chi-so-cchc/"), MenuItem("Thống kê", "/thong-ke/")]
    items += [MenuItem(p.title, p.url) for p in site.pages if not p.draft]
    return tuple(items)


def asset_files(site_dir: Path) -> dict[str, Path]:
    """``assets/...`` files of the theme, overridden file by file by ``templates/assets/``."""
    files = {f"assets/{rel}": THEME_DIR / "assets" / rel for rel in walk_files(THEME_DIR / "assets")}
    site_assets = site_dir / SITE_TEMPLATES / "assets"
    files.update({f"assets/{rel}": site_assets / rel for rel in walk_files(site_assets)})
    return files


def render_documents(site: Site, options: BuildOptions) -> dict[str, Rendered]:
    """Markdown of every document the build shows, keyed by content digest."""
    base_path = site.config.base_path
    docs = [*visible_posts(site.posts, options), *site.pages, *site.procedures]
    rendered: dict[str, Rendered] = {}
    for doc in docs:
        if doc.digest not in rendered:
            rendered[doc.digest] = render_markdown(doc.body, base_path)
    return rendered


def load_site(site_dir: Path, options: BuildOptions, base_url: str | None = None,
              enforce_quota: bool = True, strict: bool = False) -> LoadedSite:
    """Read, validate, render Markdown and apply the quota; raise BuildFailed with every problem."""
    config = load_valid_config(site_dir, base_url)
    files: SiteFiles = load_site_files(site_dir)
    site, problems = parse_site(files, config)
    shown = [*visible_posts(site.posts, options), *(p for p in site.pages if options.drafts or not p.draft),
             *(p for p in site.procedures if options.drafts or not p.draft)]
    problems += check_unsafe_html(shown, config.security == "strict")
    rendered = render_documents(site, options)
    quota = compute_quota(site.posts, config.quota, options.now, strict) if config.quota else None
    if quota is not None and enforce_quota:
        problems += check_quota(quota, config.path)
    errors = only_errors(problems)
    if errors:
        raise BuildFailed(errors)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return LoadedSite(site, rendered, quota, warnings)


def known_paths(pages: list[PlannedPage], site: Site, assets: Mapping[str, Path]) -> frozenset[str]:
    paths = {p.url for p in pages}
    paths.update(f"/static/{rel}" for rel in site.static_files)
    paths.update(f"/{rel}" for rel in assets)
    return frozenset(paths)


def plan_and_check(loaded: LoadedSite, site_dir: Path, options: BuildOptions) -> tuple[list[PlannedPage], dict[str, Path]]:
    site = loaded.site
    pages = plan_site(site, loaded.rendered, options, loaded.quota)
    assets = asset_files(site_dir)
    known = known_paths(pages, site, assets)
    docs = [*visible_posts(site.posts, options), *(p for p in site.pages if options.drafts or not p.draft),
            *(p for p in site.procedures if options.drafts or not p.draft)]
    codes = frozenset(p.code for p in site.procedures if options.drafts or not p.draft)
    errors = check_links(docs, loaded.rendered, known, codes)
    if errors:
        raise BuildFailed(errors)
    return pages, assets


def render_pages(renderer: Renderer, pages: list[PlannedPage]) -> list[tuple[str, bytes]]:
    outputs: list[tuple[str, bytes]] = []
    errors: list[SiteError] = []
    seen_template_errors: set[tuple[str, int, str]] = set()
    for page in pages:
        result = renderer.render(page)
        if isinstance(result, SiteError):
            key = (result.path, result.line, result.code)
            if key not in seen_template_errors:  # one report per template problem, not per page
                seen_template_errors.add(key)
                errors.append(result)
        else:
            outputs.append((page.output_path, result))
    if errors:
        raise BuildFailed(errors)
    return outputs


def make_renderer(site_dir: Path, loaded: LoadedSite, options: BuildOptions,
                  extra_globals: dict[str, object] | None = None) -> Renderer:
    renderer = Renderer(Theme(site_dir), loaded.site.config, options,
                        {"menu": default_menu(loaded.site), "preview_quota": "", **(extra_globals or {})})
    errors = renderer.check_templates()
    if errors:
        raise BuildFailed(errors)
    return renderer


def build_site(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None = None,
               enforce_quota: bool = True, extra_globals: dict[str, object] | None = None,
               clean: bool = False, cache_dir: Path | None = None) -> BuildResult:
    """Build the whole site into ``output_dir``, atomically."""
    started = time.perf_counter()
    problems = check_output_dir(output_dir, site_dir)
    if problems:
        raise BuildFailed(problems)
    loaded = load_site(site_dir, options, base_url, enforce_quota)
    renderer = make_renderer(site_dir, loaded, options, extra_globals)
    pages, assets = plan_and_check(loaded, site_dir, options)
    outputs = render_pages(renderer, pages)
    outputs += search_outputs(loaded.site, loaded.rendered, options)

    recover_output(output_dir)
    staging = new_staging(output_dir)
    try:
        for rel, data in outputs:
            write_file(staging, rel, data)
        for rel, source in sorted(assets.items()):
            copy_file(staging, rel, source)
        for rel in sorted(loaded.site.static_files):
            copy_file(staging, f"static/{rel}", site_dir / STATIC_DIR / rel)
        swap_in(staging, output_dir)
    except BaseException:
        discard(staging)
        raise
    files = len(outputs) + len(assets) + len(loaded.site.static_files)
    return BuildResult(len(outputs), files, time.perf_counter() - started, loaded.quota, loaded.warnings)
