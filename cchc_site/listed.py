"""The pages that show other posts, kept between builds so that an edit of what they show of a
post (its title, summary, author...) plans only them again (pure).

Besides a post's own page, three kinds of pages show a post: the pages of its neighbours
(their links to it carry its title), the lists and the feed (its card), and the statistics
page (the quota lists every published post).  The whole build keeps the lists as
:class:`ListedPages`, each card replaced by the place of its post in the order of visible
posts; when only such fields of a few posts changed, :func:`lists_showing` finds the lists to
plan again and :func:`with_cards` puts the new cards back in.  ``tests/test_listed.py``
checks on a planned site that no other page holds a post or a card.

A post moved to other categories or tags (same URL, same date: same place in the order) leaves
some lists and joins others: :func:`relist` takes it out of and into the lists' places, cuts
them into pages again (a list whose number of pages changes is planned again page by page) and
gives the pages whose places changed and the pages that go, with the pages of categories and
tags counted again; ``sitemap.xml`` takes their dates and pages (:func:`resitemap`).  A list
that would appear (a new tag) or empty is left to the whole build.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Collection, Mapping, Sequence

from .models import Post
from .plan import (Card, PlannedPage, in_sitemap_xml, list_page, listing_context, listing_extra, paginate,
                   term_lists)
from .quota import QuotaReport

# Fields that decide where a post is in the order of posts: its URL, its date, its visibility.
ORDER_FIELDS = ("path", "date", "slug", "draft")
# ... and in lists, archives, counts and the quota.
PLACE_FIELDS = (*ORDER_FIELDS, "category", "tags")


@dataclass(frozen=True)
class ListedPages:
    """The lists of a build (pages with ``cards``: home, archives, categories, tags, the feed),
    each card replaced by the place of its post in the order of visible posts."""

    lists: tuple[PlannedPage, ...]
    statistics_lastmod: datetime | None  # of the statistics page, when the site has one
    has_statistics: bool
    terms: tuple[PlannedPage, ...]  # the pages of categories and of tags: rows (term, list URL, count)
    sitemap: PlannedPage | None  # sitemap.xml


@dataclass(frozen=True)
class Relisted:
    """The lists after posts moved to other categories or tags (see :func:`relist`)."""

    listed: ListedPages
    lists: tuple[PlannedPage, ...]  # the pages of lists whose places changed, new ones too (cards as places)
    terms: tuple[PlannedPage, ...]  # the pages of categories or tags whose counts changed
    firsts: dict[str, int]  # base URL of each list a moved post left or joined -> the place of its first card
    removed: tuple[str, ...]  # URLs of pages of lists that now have fewer pages


def same_place(old: Post, new: Post) -> bool:
    """Whether ``new`` is where ``old`` was in every list, archive, count and month of the quota:
    only what pages show of it (title, summary, author, image...) may differ."""
    return same_date(old, new) and all(getattr(old, name) == getattr(new, name) for name in PLACE_FIELDS)


def same_order(old: Post, new: Post) -> bool:
    """Whether ``new`` is where ``old`` was in the order of posts (and has its URL): its
    categories and tags, and what pages show of it, may differ."""
    return same_date(old, new) and all(getattr(old, name) == getattr(new, name) for name in ORDER_FIELDS)


def same_date(old: Post, new: Post) -> bool:
    """Whether the two dates are the same instant *and* are shown the same: Python compares two
    datetimes of one time zone by their clock only, so 02:30+02:00 equals 02:30+01:00 on the
    night a summer time ends (``fold``), although pages show the offset."""
    return old.date == new.date and old.date.utcoffset() == new.date.utcoffset()


def detach_lists(pages: Sequence[PlannedPage], places: Mapping[str, int]) -> ListedPages | None:
    """The lists among ``pages``; ``places``: post URL -> place in the order of visible posts.
    None when a card is not one of them (then no list can be planned again alone)."""
    lists: list[PlannedPage] = []
    terms: list[PlannedPage] = []
    statistics: PlannedPage | None = None
    sitemap: PlannedPage | None = None
    for page in pages:
        cards = page.context.get("cards")
        if cards is not None:
            at = tuple(places.get(card.url, -1) for card in cards)
            if -1 in at:
                return None
            lists.append(replace(page, context={**page.context, "cards": at}))
        elif "quota" in page.context:
            statistics = page
        elif "rows" in page.context:
            terms.append(page)
        elif "entries" in page.context:
            sitemap = page
    return ListedPages(tuple(lists), statistics.lastmod if statistics else None, statistics is not None,
                       tuple(terms), sitemap)


def lists_showing(listed: ListedPages, places: Collection[int]) -> list[PlannedPage]:
    """The lists that show a post at one of ``places`` (cards still as places)."""
    wanted = set(places)
    return [page for page in listed.lists if not wanted.isdisjoint(page.context["cards"])]


def with_cards(page: PlannedPage, cards: Mapping[int, Card]) -> PlannedPage:
    """A list of :class:`ListedPages` with its cards back (``cards``: by place); a page of a
    paginated list takes the date of its newest card, as the whole build plans it."""
    shown = [cards[i] for i in page.context["cards"]]
    if "pager" in page.context:
        return list_page(page.url, page.template, page.context, shown)
    return replace(page, context={**page.context, "cards": tuple(shown)})


def relist(listed: ListedPages, moves: Mapping[int, tuple[Collection[str], Collection[str]]],
           per_page: int) -> Relisted | None:
    """The lists after the posts at some places moved (``moves``: place -> the base URLs of the
    category and tag lists it was on, and of those it is on now); None when a list would appear
    (a new tag) or become empty: only the whole build plans those.  A list whose number of pages
    changes is planned again page by page (each page shows the count).  None too without a
    sitemap.xml to keep in step."""
    if listed.sitemap is None:
        return None
    families: dict[str, list[PlannedPage]] = {}
    for page in listed.lists:
        pager = page.context.get("pager")
        if pager is not None:
            families.setdefault(pager.base_url, []).append(page)
    members: dict[str, list[int]] = {}
    for place, (was, now) in moves.items():
        for url in set(was) ^ set(now):
            if url not in families:
                return None
            if url not in members:
                members[url] = [i for page in families[url] for i in page.context["cards"]]
            if url in was:
                if place not in members[url]:
                    return None
                members[url].remove(place)
            elif place not in members[url]:
                members[url].append(place)
    changed: dict[str, PlannedPage] = {}
    after: dict[str, list[PlannedPage]] = {}  # base URL -> its pages now
    removed: list[str] = []
    for url, places in members.items():
        if not places:
            return None
        places.sort()
        pages = families[url]
        chunks = paginate(places, per_page, url)
        if len(chunks) == len(pages):
            after[url] = [page if tuple(chunk) == page.context["cards"]
                          else replace(page, context={**page.context, "cards": tuple(chunk)})
                          for (_, chunk), page in zip(chunks, pages)]
        else:
            first = pages[0]
            context = first.context
            after[url] = [PlannedPage(pager.url, first.template, {
                **listing_context(context["heading"], pager, context["crumbs"], listing_extra(context)),
                "cards": tuple(chunk)}) for pager, chunk in chunks]
            removed += [page.url for page in pages[len(chunks):]]
        changed.update((page.url, page) for i, page in enumerate(after[url]) if i >= len(pages) or page is not pages[i])
    counts = {url: len(places) for url, places in members.items()}
    terms = tuple(with_counts(page, counts) for page in listed.terms)
    recounted = tuple(new for new, old in zip(terms, listed.terms) if new is not old)
    touched = {url for was, now in moves.values() for url in (*was, *now)}
    firsts = {url: families[url][0].context["cards"][0] for url in touched - members.keys()
              if url in families and families[url][0].context["cards"]}
    firsts.update((url, places[0]) for url, places in members.items())
    lists: list[PlannedPage] = []
    for page in listed.lists:
        pager = page.context.get("pager")
        if pager is None or pager.base_url not in after:
            lists.append(page)
        elif pager.current == 1:  # a list's pages, as they are now, where its first page was
            lists += after[pager.base_url]
    return Relisted(replace(listed, lists=tuple(lists), terms=terms), tuple(changed.values()), recounted, firsts,
                    tuple(removed))


def lists_again(listed: ListedPages, relisted: Relisted | None, places: Collection[int]) -> list[PlannedPage]:
    """The lists to plan again (cards as places): those that show a post at one of ``places``
    (edited), and those a move changed (``relisted``: see :func:`relist`)."""
    lists = lists_showing(relisted.listed if relisted is not None else listed, places)
    if relisted is not None:
        showing = {page.url for page in lists}
        lists += [page for page in relisted.lists if page.url not in showing]
    return lists


def pages_again(lists: Sequence[PlannedPage], cards: Mapping[int, Card],
                relisted: Relisted | None) -> tuple[list[PlannedPage], Relisted | None] | None:
    """The pages of :func:`lists_again` with their cards back (``cards``: by place), and after a
    move the pages of categories and tags and sitemap.xml too; with ``relisted`` holding that
    sitemap.  None when the sitemap cannot follow (see :func:`resitemap`)."""
    pages = [with_cards(page, cards) for page in lists]
    if relisted is None:
        return pages, None
    assert relisted.listed.sitemap is not None  # (relist gives none without it)
    sitemap = resitemap(relisted.listed.sitemap, pages, relisted.removed)
    if sitemap is None:
        return None
    return [*pages, *relisted.terms, sitemap], replace(relisted, listed=replace(relisted.listed, sitemap=sitemap))


def same_tag_names(listed: ListedPages, first_posts: Mapping[str, Post]) -> bool:
    """Whether each tag's list still shows the tag as it did: a tag is written as on the newest
    post that has it (``first_posts``: the first post of lists, by base URL, as in
    :attr:`Relisted.firsts`)."""
    heads = {page.context["pager"].base_url: page.context.get("term") for page in listed.lists
             if "pager" in page.context and page.context["pager"].current == 1}
    for url, post in first_posts.items():
        slug = term_lists(post).get(url)
        if slug is None:  # not on that list: the lists kept are not this site's
            return False
        if slug:  # a tag's list (a category's shows the category of site.yaml)
            term = next((tag for tag in post.tags if tag.slug == slug), None)
            if term is None or heads.get(url) != term:
                return False
    return True


def with_counts(page: PlannedPage, counts: Mapping[str, int]) -> PlannedPage:
    """A page of categories or tags with the counts of the lists in ``counts`` (by base URL);
    the same object when none of them is on it."""
    rows = page.context["rows"]
    if not any(url in counts for _, url, _ in rows):
        return page
    return replace(page, context={**page.context,
                                  "rows": tuple((term, url, counts.get(url, n)) for term, url, n in rows)})


def resitemap(sitemap: PlannedPage, pages: Sequence[PlannedPage], removed: Collection[str] = ()) -> PlannedPage | None:
    """sitemap.xml with the dates of ``pages`` planned again, a new page of a list right after
    the page before it, and without the pages ``removed`` (None when a page has no date, which
    the whole build would give it, or a new page is not the next of its list)."""
    dates = {page.url: page.lastmod for page in pages if in_sitemap_xml(page)}
    if None in dates.values():
        return None
    gone = set(removed)
    entries = [(url, dates.get(url, lastmod)) for url, lastmod in sitemap.context["entries"] if url not in gone]
    present = {url for url, _ in entries}
    new = [page for page in pages if page.url in dates and page.url not in present]
    if any("pager" not in page.context for page in new):
        return None
    for page in sorted(new, key=lambda page: (page.context["pager"].base_url, page.context["pager"].current)):
        pager = page.context["pager"]
        if pager.current == 1:
            return None
        before = pager.url_of(pager.current - 1)
        at = next((i for i, (url, _) in enumerate(entries) if url == before), None)
        if at is None:
            return None
        entries.insert(at + 1, (page.url, page.lastmod))
    return replace(sitemap, context={**sitemap.context, "entries": tuple(entries)})


def quota_with(quota: QuotaReport, posts: Mapping[str, Post]) -> QuotaReport:
    """``quota`` with the posts of the same paths as ``posts`` replaced by them (same places:
    the counts stay)."""
    months = tuple(replace(m, posts=tuple(posts.get(p.path, p) for p in m.posts))
                   if any(p.path in posts for p in m.posts) else m for m in quota.months)
    return replace(quota, months=months)
