"""Turn the files read from ``content/`` into a validated :class:`Site` (pure)."""
from __future__ import annotations

from dataclasses import dataclass

from .config import SiteConfig
from .content import SiteFiles
from .errors import SiteError
from .frontmatter import parse_front_matter
from .indices import IndexEntry, parse_indices
from .models import Page, Post, Procedure
from .validate import parse_page, parse_post, parse_procedure

# URLs the generator makes itself; a page may not take them.
RESERVED_SLUGS = frozenset({
    "tin-tuc", "chuyen-muc", "the", "trang", "thu-tuc-hanh-chinh", "thong-ke", "tim-kiem",
    "chi-so-cchc", "static", "assets", "rss.xml", "sitemap.xml", "404.html", "robots.txt",
})


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    posts: tuple[Post, ...]  # every post, drafts and future ones included, newest first
    pages: tuple[Page, ...]
    procedures: tuple[Procedure, ...]
    static_files: frozenset[str]
    indices: tuple[IndexEntry, ...]


def parse_site(files: SiteFiles, config: SiteConfig) -> tuple[Site, list[SiteError]]:
    """Parse every source; the site holds what parsed, the list every problem found."""
    errors: list[SiteError] = list(files.errors)
    posts: list[Post] = []
    pages: list[Page] = []
    procedures: list[Procedure] = []
    for source in files.sources:
        fm = parse_front_matter(source.text, source.path)
        if isinstance(fm, list):
            errors.extend(fm)
            continue
        if source.kind == "post":
            doc = parse_post(fm, source.path, source.digest, config, files.static_files)
        elif source.kind == "page":
            doc = parse_page(fm, source.path, source.digest)
        else:
            doc = parse_procedure(fm, source.path, source.digest, config, files.static_files)
        if isinstance(doc, list):
            errors.extend(doc)
        elif isinstance(doc, Post):
            posts.append(doc)
        elif isinstance(doc, Page):
            pages.append(doc)
        else:
            procedures.append(doc)
    indices: list[IndexEntry] = []
    for rel, text in files.data_files:
        if rel in ("chi-so.yaml", "chi-so.yml"):
            parsed, problems = parse_indices(text, f"content/data/{rel}")
            indices.extend(parsed)
            errors.extend(problems)
    errors.extend(check_unique_urls(posts, pages, procedures))
    errors.extend(check_unique_codes(procedures))
    posts.sort(key=lambda p: (p.date, p.path), reverse=True)
    pages.sort(key=lambda p: p.path)
    procedures.sort(key=lambda p: p.code)
    site = Site(config, tuple(posts), tuple(pages), tuple(procedures), files.static_files, tuple(indices))
    return site, errors


def check_unique_urls(posts: list[Post], pages: list[Page], procedures: list[Procedure]) -> list[SiteError]:
    """Two documents may not share a URL; each file of a clash is named."""
    owners: dict[str, list[str]] = {}
    for doc in (*posts, *pages, *procedures):
        owners.setdefault(doc.url, []).append(doc.path)
    errors: list[SiteError] = []
    for url, paths in owners.items():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(p for p in paths if p != path)
                errors.append(SiteError(path, 1, "E010",
                                        f"Địa chỉ {url} trùng với {others}. Đổi tên tệp hoặc đặt 'slug:' khác cho một trong hai."))
    for page in pages:
        if page.slug in RESERVED_SLUGS:
            errors.append(SiteError(page.path, 1, "E010",
                                    f"Địa chỉ {page.url} trùng với một trang do hệ thống tạo. Đặt 'slug:' khác."))
    return errors


def check_unique_codes(procedures: list[Procedure]) -> list[SiteError]:
    owners: dict[str, list[str]] = {}
    for proc in procedures:
        owners.setdefault(proc.code, []).append(proc.path)
    errors: list[SiteError] = []
    for code, paths in owners.items():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(p for p in paths if p != path)
                errors.append(SiteError(path, 1, "E018", f"Mã thủ tục {code} đã dùng trong {others}. Mỗi thủ tục một mã riêng."))
    return errors
