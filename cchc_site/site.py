"""Turn the files read from ``content/`` into a validated :class:`Site` (pure)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .config import SiteConfig
from .content import SiteFiles
from .errors import SiteError
from .frontmatter import parse_front_matter
from .indices import IndexEntry, parse_indices
from .models import Document, Page, Post, Procedure, Source, is_shown
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


def first_future_date(posts: Iterable[Post], now: datetime) -> datetime | None:
    """The date of the first post still in the future at ``now`` (it appears then), or None."""
    return min((p.date for p in posts if p.date > now), default=None)


def shown_documents(site: Site, now: datetime, drafts: bool = False, future: bool = False) -> list[Document]:
    """Every document a build publishes: posts (newest first), pages, procedures."""
    docs: tuple[Document, ...] = (*site.posts, *site.pages, *site.procedures)
    return [d for d in docs if is_shown(d, now, drafts, future)]


def parse_source(source: Source, config: SiteConfig, static_files: frozenset[str]) -> Document | list[SiteError]:
    """One Markdown file -> its typed document, or every problem found in it."""
    fm = parse_front_matter(source.text, source.path)
    if isinstance(fm, list):
        return fm
    if source.kind == "post":
        return parse_post(fm, source.path, source.digest, config, static_files)
    if source.kind == "page":
        return parse_page(fm, source.path, source.digest)
    return parse_procedure(fm, source.path, source.digest, config, static_files)


def parse_data_files(data_files: Iterable[tuple[str, str]]) -> tuple[list[IndexEntry], list[SiteError]]:
    indices: list[IndexEntry] = []
    errors: list[SiteError] = []
    for rel, text in data_files:
        if rel in ("chi-so.yaml", "chi-so.yml"):
            parsed, problems = parse_indices(text, f"content/data/{rel}")
            indices.extend(parsed)
            errors.extend(problems)
    return indices, errors


def in_site_order(procedures: Iterable[Procedure]) -> list[Procedure]:
    """Procedures in the order :class:`Site` keeps them (by code, then path)."""
    return sorted(procedures, key=lambda p: (p.code, p.path))


def assemble_site(config: SiteConfig, docs: Iterable[Document], static_files: frozenset[str],
                  indices: Iterable[IndexEntry]) -> tuple[Site, list[SiteError]]:
    """Sort the documents and run the checks that span files (duplicate URLs and codes)."""
    posts = sorted((d for d in docs if isinstance(d, Post)), key=lambda p: (p.date, p.path), reverse=True)
    pages = sorted((d for d in docs if isinstance(d, Page)), key=lambda p: p.path)
    procedures = in_site_order(d for d in docs if isinstance(d, Procedure))
    errors = (check_unique_urls([(doc.url, doc.path) for doc in (*posts, *pages)],
                                [(page.slug, page.url, page.path) for page in pages])
              + check_unique_codes([(proc.code, proc.path) for proc in procedures]))
    return Site(config, tuple(posts), tuple(pages), tuple(procedures), static_files, tuple(indices)), errors


def parse_site(files: SiteFiles, config: SiteConfig) -> tuple[Site, list[SiteError]]:
    """Parse every source; the site holds what parsed, the list every problem found."""
    errors: list[SiteError] = list(files.errors)
    docs: list[Document] = []
    for source in files.sources:
        doc = parse_source(source, config, files.static_files)
        if isinstance(doc, list):
            errors.extend(doc)
        else:
            docs.append(doc)
    indices, data_errors = parse_data_files(files.data_files)
    site, cross = assemble_site(config, docs, files.static_files, indices)
    return site, errors + data_errors + cross


def _clashes(owned: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(key, path) pairs -> (key, path, the other paths, sorted) for every path whose key is not
    its alone (the same message whatever order the pairs come in)."""
    pairs = list(owned)
    shared = {key for key, count in Counter(key for key, _ in pairs).items() if count > 1}
    if not shared:  # (nearly always: no list of owners made for ten thousand keys)
        return []
    owners: dict[str, list[str]] = {}
    for key, path in pairs:
        if key in shared:
            owners.setdefault(key, []).append(path)
    return [(key, path, ", ".join(sorted(p for p in paths if p != path)))
            for key, paths in owners.items() for path in paths]


def check_unique_urls(owned: Iterable[tuple[str, str]], page_slugs: Iterable[tuple[str, str, str]]) -> list[SiteError]:
    """Two documents may not share a URL (``owned``: each post's and page's (url, path)), and no
    page may take one the generator makes itself (``page_slugs``: (slug, url, path)); each file
    of a clash is named."""
    # A procedure's URL is its code: a clash there is a duplicate code, reported once as E018.
    errors = [SiteError(path, 1, "E010", f"Địa chỉ {url} trùng với {others}. Đổi tên tệp hoặc đặt 'slug:' khác cho một trong hai.")
              for url, path, others in _clashes(owned)]
    for slug, url, path in page_slugs:
        if slug in RESERVED_SLUGS:
            errors.append(SiteError(path, 1, "E010", f"Địa chỉ {url} trùng với một trang do hệ thống tạo. Đặt 'slug:' khác."))
    return errors


def check_unique_codes(owned: Iterable[tuple[str, str]]) -> list[SiteError]:
    """Each procedure's code (``owned``: (code, path)) is its own."""
    return [SiteError(path, 1, "E018", f"Mã thủ tục {code} đã dùng trong {others}. Mỗi thủ tục một mã riêng.")
            for code, path, others in _clashes(owned)]
