"""Which pages exist, their URLs and template contexts (pure).

Every page is planned before anything is rendered or written (MkDocs: gather first,
then write).  Contexts hold small frozen views, so a page's fingerprint (what it
shows) can be computed without rendering it: the incremental build re-renders only
pages whose fingerprint changed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from .charts import bar_chart, rank_chart
from .config import MenuItem, SiteConfig, Term
from .dates import month_label
from .mdrender import HtmlRef
from .models import Document, Page, Post, Procedure, RenderedLike, is_shown
from .options import BuildOptions
from .quota import STATUS_LABELS, QuotaReport
from .site import Site
from .text import collation_key


Crumb = MenuItem  # a breadcrumb is a titled link, like a menu item


@dataclass(frozen=True)
class Card:
    """A post as shown in a list."""

    title: str
    url: str
    date: datetime
    category: Term | None
    tags: tuple[Term, ...]
    summary: str
    sample: bool
    draft: bool
    future: bool


@dataclass(frozen=True)
class PagerLink:
    """One entry of a pager: a page number with its URL; ``kind`` is "current" (the page
    shown), "link" or "gap" (numbers left out: shown as "…")."""

    number: int
    url: str
    kind: str


@dataclass(frozen=True)
class Pager:
    """Where a page is in a paginated list.  Holds the count, not every URL, so that a list of
    N pages costs N, not N², to plan, fingerprint and render."""

    current: int
    total: int
    base_url: str  # URL of page 1; page n is ``base_url + "trang/<n>/"``

    def url_of(self, number: int) -> str:
        return self.base_url if number == 1 else f"{self.base_url}trang/{number}/"

    @property
    def urls(self) -> tuple[str, ...]:
        """URL of every page 1..total (long: templates should show :attr:`window`)."""
        return tuple(self.url_of(n) for n in range(1, self.total + 1))

    @property
    def url(self) -> str:
        return self.url_of(self.current)

    @property
    def prev_url(self) -> str | None:
        return self.url_of(self.current - 1) if self.current > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_of(self.current + 1) if self.current < self.total else None

    @property
    def window(self) -> tuple[PagerLink, ...]:
        """The numbers a pager shows: the first and last page, two either side of the current
        one, and a gap mark three away from it."""
        near = range(max(1, self.current - 3), min(self.total, self.current + 3) + 1)
        out: list[PagerLink] = []
        for n in sorted({1, self.total, *near}):
            distance = abs(n - self.current)
            if n == self.current:
                out.append(PagerLink(n, self.url_of(n), "current"))
            elif n in (1, self.total) or distance <= 2:
                out.append(PagerLink(n, self.url_of(n), "link"))
            elif distance == 3:
                out.append(PagerLink(n, self.url_of(n), "gap"))
        return tuple(out)


@dataclass(frozen=True)
class PlannedPage:
    url: str  # "/x/" for an HTML page, "/rss.xml" for a file
    template: str
    context: Mapping[str, Any] = field(hash=False)
    in_sitemap: bool = True
    lastmod: datetime | None = None
    site_dated: bool = False  # lastmod is the newest post's date (changes with any newer post)

    @property
    def output_path(self) -> str:
        """Path of the file inside the output folder."""
        return url_output_path(self.url)


def url_output_path(url: str) -> str:
    """Path inside the output folder of the page at ``url`` ("/x/" -> "x/index.html")."""
    rel = url.lstrip("/")
    return rel + "index.html" if (rel == "" or rel.endswith("/")) else rel


def shown_with(doc: Document, options: BuildOptions) -> bool:
    """Whether this build publishes ``doc`` (and its search index holds it)."""
    return is_shown(doc, options.now, options.drafts, options.future)


def visible_posts(posts: Iterable[Post], options: BuildOptions) -> list[Post]:
    """Posts shown on the site: drafts and future posts only when asked for."""
    return [p for p in posts if shown_with(p, options)]


def card_for(post: Post, rendered: Mapping[str, RenderedLike], now: datetime) -> Card:
    summary = post.summary or rendered[post.digest].summary
    return Card(post.title, post.url, post.date, post.category, post.tags, summary, post.sample, post.draft,
                post.date > now)


def paginate(items: Sequence[Any], per_page: int, base_url: str) -> list[tuple[Pager, Sequence[Any]]]:
    """Pages of a list: page 1 at ``base_url``, then ``base_url/trang/N/``."""
    count = max(1, math.ceil(len(items) / per_page))
    return [(Pager(n + 1, count, base_url), items[n * per_page:(n + 1) * per_page]) for n in range(count)]


def _lastmod(items: Sequence[Post | Card]) -> datetime | None:
    return max((p.date for p in items), default=None)


def plan_listing(template: str, base_url: str, title: str, posts: Sequence[Post], cards: Mapping[str, Card],
                 per_page: int, crumbs: tuple[Crumb, ...], extra: Mapping[str, Any] | None = None) -> list[PlannedPage]:
    return [list_page(pager.url, template, listing_context(title, pager, crumbs, extra), [cards[p.path] for p in chunk])
            for pager, chunk in paginate(posts, per_page, base_url)]


_LISTING_KEYS = frozenset({"title", "heading", "pager", "crumbs", "cards"})


def listing_context(title: str, pager: Pager, crumbs: tuple[Crumb, ...],
                    extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a page of a paginated list shows besides its cards."""
    page_title = title if pager.current == 1 else f"{title} — trang {pager.current}"
    return {"title": page_title, "heading": title, "pager": pager, "crumbs": crumbs, **(extra or {})}


def listing_extra(context: Mapping[str, Any]) -> dict[str, Any]:
    """The ``extra`` a page of a list was planned with (see :func:`listing_context`)."""
    return {key: value for key, value in context.items() if key not in _LISTING_KEYS}


def list_page(url: str, template: str, context: Mapping[str, Any], cards: Sequence[Card]) -> PlannedPage:
    """One page of a paginated list showing ``cards`` (also how a quick build puts a list it kept
    back together: see :mod:`cchc_site.listed`)."""
    return PlannedPage(url, template, {**context, "cards": tuple(cards)}, lastmod=_lastmod(cards))


FEED_SIZE = 20  # posts in rss.xml: the newest published ones


def month_url(year: int, month: int) -> str:
    return f"/tin-tuc/{year}/{month:02d}/"


def category_url(term: Term) -> str:
    return f"/chuyen-muc/{term.slug}/"


def tag_url(slug: str) -> str:
    return f"/the/{slug}/"


def term_lists(post: Post) -> dict[str, str]:
    """The lists of categories and tags that show ``post`` (when visible): base URL -> the tag's
    slug ("" for its category)."""
    found = {category_url(post.category): ""} if post.category is not None else {}
    found.update((tag_url(tag.slug), tag.slug) for tag in post.tags)
    return found


def post_lists(post: Post) -> dict[str, str]:
    """Every paginated list that shows ``post`` (when visible), as :func:`term_lists`: the home
    list and its month's too."""
    return {"/": "", month_url(*post.month): "", **term_lists(post)}


HOME = Crumb("Trang chủ", "/")
NEWS = Crumb("Tin tức", "/tin-tuc/")
PROCS = Crumb("Thủ tục hành chính", "/thu-tuc-hanh-chinh/")


def plan_post(post: Post, card: Card, newer: Post | None, older: Post | None) -> PlannedPage:
    """A post's own page; ``newer`` and ``older`` are its neighbours among the visible posts."""
    crumbs = (HOME, NEWS, Crumb(month_label(*post.month), month_url(*post.month)))
    return PlannedPage(post.url, "post.html", {
        "title": post.title, "post": post, "card": card,
        "content": HtmlRef(post.digest), "crumbs": crumbs,
        "newer": Crumb(newer.title, newer.url) if newer else None,
        "older": Crumb(older.title, older.url) if older else None,
    }, lastmod=post.date)


def plan_site(site: Site, rendered: Mapping[str, RenderedLike], options: BuildOptions,
              quota: QuotaReport | None) -> list[PlannedPage]:
    """Every page and generated file of the site, in a stable order."""
    config = site.config
    per_page = config.posts_per_page
    posts = visible_posts(site.posts, options)  # newest first
    cards = {p.path: card_for(p, rendered, options.now) for p in posts}
    site_lastmod = _lastmod(posts)
    out: list[PlannedPage] = []

    out += plan_listing("index.html", "/", config.title, posts, cards, per_page, (), {"is_home": True})

    for i, post in enumerate(posts):
        out.append(plan_post(post, cards[post.path], posts[i - 1] if i > 0 else None,
                             posts[i + 1] if i + 1 < len(posts) else None))

    by_month: dict[tuple[int, int], list[Post]] = {}
    for post in posts:
        by_month.setdefault(post.month, []).append(post)
    years: dict[int, list[tuple[tuple[int, int], int]]] = {}
    for (year, month), month_posts in sorted(by_month.items(), reverse=True):
        years.setdefault(year, []).append(((year, month), len(month_posts)))
        out += plan_listing("archive_month.html", month_url(year, month), month_label(year, month),
                            month_posts, cards, per_page, (HOME, NEWS, Crumb(f"Năm {year}", f"/tin-tuc/{year}/")))
    for year, months in years.items():
        out.append(PlannedPage(f"/tin-tuc/{year}/", "archive_year.html", {
            "title": f"Tin tức năm {year}", "year": year, "crumbs": (HOME, NEWS),
            "months": tuple((month_label(*m), month_url(*m), n) for m, n in months),
        }, lastmod=_lastmod([p for m, _ in months for p in by_month[m]])))
    out.append(PlannedPage("/tin-tuc/", "archives.html", {
        "title": "Tin tức theo tháng", "crumbs": (HOME,),
        "years": tuple((year, sum(n for _, n in months),
                        tuple((month_label(*m), month_url(*m), n) for m, n in months))
                       for year, months in years.items()),
    }, lastmod=site_lastmod, site_dated=True))

    category_rows = []
    by_category: dict[Term | None, list[Post]] = {}
    for post in posts:
        by_category.setdefault(post.category, []).append(post)
    for term in config.categories:
        cat_posts = by_category.get(term, [])
        category_rows.append((term, category_url(term), len(cat_posts)))
        out += plan_listing("term.html", category_url(term), term.name, cat_posts, cards, per_page,
                            (HOME, Crumb("Chuyên mục", "/chuyen-muc/")), {"term": term, "kind": "Chuyên mục"})
    out.append(PlannedPage("/chuyen-muc/", "terms.html", {
        "title": "Chuyên mục", "crumbs": (HOME,), "rows": tuple(category_rows), "kind": "chuyên mục"},
        lastmod=site_lastmod, site_dated=True))

    tags: dict[str, Term] = {}
    by_tag: dict[str, list[Post]] = {}
    for post in posts:
        for tag in post.tags:
            tags.setdefault(tag.slug, tag)
            by_tag.setdefault(tag.slug, []).append(post)
    tag_rows = []
    for slug in sorted(tags, key=lambda s: collation_key(tags[s].name)):
        tag = tags[slug]
        tag_rows.append((tag, tag_url(slug), len(by_tag[slug])))
        out += plan_listing("term.html", tag_url(slug), f"Thẻ: {tag.name}", by_tag[slug], cards, per_page,
                            (HOME, Crumb("Thẻ", "/the/")), {"term": tag, "kind": "Thẻ"})
    out.append(PlannedPage("/the/", "terms.html", {
        "title": "Thẻ", "crumbs": (HOME,), "rows": tuple(tag_rows), "kind": "thẻ"},
                           lastmod=site_lastmod, site_dated=True))

    out += [plan_page(page, site_lastmod) for page in site.pages if shown_with(page, options)]
    out += plan_procedures(config, site.procedures, options, site_lastmod)

    if quota is not None:
        out.append(plan_statistics(quota, site_lastmod))
    out.append(plan_indices(site, site_lastmod))
    out.append(PlannedPage("/tim-kiem/", "search.html", {"title": "Tìm kiếm", "crumbs": (HOME,)},
                           lastmod=site_lastmod, site_dated=True))
    out.append(PlannedPage("/404.html", "404.html", {"title": "Không tìm thấy trang", "crumbs": ()},
                           in_sitemap=False))
    feed_posts = [p for p in posts if is_shown(p, options.now)][:FEED_SIZE]  # no draft or future post in the feed
    out.append(PlannedPage("/rss.xml", "rss.xml", {
        "cards": tuple(cards[p.path] for p in feed_posts), "last_build": _lastmod(feed_posts)}, in_sitemap=False))
    # every sitemap entry has a lastmod (empty lists: the newest post, else the newest procedure
    # update); never the clock, so that two builds of the same content are byte-identical
    fallback = site_lastmod or max((p.updated for p in site.procedures if p.updated), default=None)
    sitemap = tuple((p.url, p.lastmod or fallback) for p in out if in_sitemap_xml(p))
    out.append(PlannedPage("/sitemap.xml", "sitemap.xml", {"entries": sitemap}, in_sitemap=False))
    out.append(PlannedPage("/robots.txt", "robots.txt", {}, in_sitemap=False))
    return out


def in_sitemap_xml(page: PlannedPage) -> bool:
    """Whether ``page`` has an entry in sitemap.xml (HTML pages that ask for one)."""
    return page.in_sitemap and page.url.endswith("/")


def procedure_order(procedures: Iterable[Procedure]) -> list[Procedure]:
    """Vietnamese alphabetical order of titles (a ă â b c d đ e ê …), code breaking ties."""
    return sorted(procedures, key=lambda p: (collation_key(p.title), p.code))


def plan_page(page: Page, site_lastmod: datetime | None) -> PlannedPage:
    """A page's own page (``site_lastmod``: the date of the newest post shown)."""
    return PlannedPage(page.url, "page.html", {
        "title": page.title, "page": page, "content": HtmlRef(page.digest), "crumbs": (HOME,),
    }, lastmod=site_lastmod, site_dated=True)


def plan_procedures(config: SiteConfig, all_procedures: Iterable[Procedure], options: BuildOptions,
                    site_lastmod: datetime | None) -> list[PlannedPage]:
    """The procedures' lists (all, and by field), their own pages and the exports
    (``all_procedures``: ordered by code and path, as :class:`~cchc_site.site.Site` keeps them)."""
    procedures = [p for p in all_procedures if is_shown(p, options.now, options.drafts)]
    groups = []
    for term in config.fields:
        members = tuple(procedure_order(p for p in procedures if p.field == term))
        if members:
            groups.append((term, f"/thu-tuc-hanh-chinh/{term.slug}/", members))
    out: list[PlannedPage] = [PlannedPage("/thu-tuc-hanh-chinh/", "procedures.html", {
        "title": "Thủ tục hành chính", "crumbs": (HOME,), "groups": tuple(groups), "total": len(procedures),
        "single_field": False}, lastmod=site_lastmod, site_dated=True)]
    for term, url, members in groups:
        out.append(PlannedPage(url, "procedures.html", {
            "title": f"Thủ tục hành chính lĩnh vực {term.name}", "crumbs": (HOME, PROCS),
            "groups": ((term, url, members),), "total": len(members), "single_field": True},
                               lastmod=site_lastmod, site_dated=True))
    for proc in procedures:
        out.append(PlannedPage(proc.url, "procedure.html", {
            "title": proc.title, "proc": proc, "content": HtmlRef(proc.digest),
            "crumbs": (HOME, PROCS, Crumb(proc.field.name, f"/thu-tuc-hanh-chinh/{proc.field.slug}/")),
        }, lastmod=(datetime(proc.updated.year, proc.updated.month, proc.updated.day, tzinfo=config.tz)
                    if proc.updated else site_lastmod), site_dated=not proc.updated))
    ordered = procedure_order(procedures)
    out.append(PlannedPage("/thu-tuc-hanh-chinh/index.json", "procedures.json", {"procedures": tuple(ordered)},
                           in_sitemap=False))
    out.append(PlannedPage("/thu-tuc-hanh-chinh/danh-sach.csv", "procedures.csv", {"procedures": tuple(ordered)},
                           in_sitemap=False))
    return out


def plan_statistics(quota: QuotaReport, lastmod: datetime | None) -> PlannedPage:
    # The page shows the day only: the same content built twice that day gives the same bytes.
    quota = replace(quota, as_of=quota.as_of.replace(hour=0, minute=0, second=0, microsecond=0))
    months = quota.months
    chart = bar_chart("Số bài mỗi tháng so với mức tối thiểu", [f"{m.month[1]:02d}/{m.month[0] % 100:02d}" for m in months],
                      [m.count for m in months], [m.status_label for m in months], quota.min_posts)
    return PlannedPage("/thong-ke/", "statistics.html", {
        "title": "Thống kê tin, bài cải cách hành chính", "crumbs": (HOME,), "quota": quota, "chart": chart,
        "labels": STATUS_LABELS}, lastmod=lastmod, site_dated=True)


def plan_indices(site: Site, lastmod: datetime | None) -> PlannedPage:
    by_index: dict[str, list[Any]] = {}
    for entry in site.indices:
        by_index.setdefault(entry.index, []).append(entry)
    series = [(name, [(e.year, e.rank) for e in entries if e.rank is not None]) for name, entries in by_index.items()]
    chart = rank_chart("Thứ hạng các chỉ số qua các năm", [s for s in series if s[1]])
    return PlannedPage("/chi-so-cchc/", "indices.html", {
        "title": "Chỉ số cải cách hành chính", "crumbs": (HOME,), "tables": tuple(by_index.items()), "chart": chart,
    }, lastmod=lastmod, site_dated=True)
