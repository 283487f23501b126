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

Posts that change places in the order (a new date in the same month, a new post, a deleted
one) renumber every list (:func:`reorder`, :class:`Reorder`): the lists they are on are sorted and
cut into pages again, and the feed, the counts of the archives, the posts' entries in
``sitemap.xml`` and the dates there of the pages dated by the newest post follow them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Collection, Mapping, Sequence

from .models import Post
from .plan import (FEED_SIZE, Card, PlannedPage, in_sitemap_xml, list_page, listing_context, listing_extra, paginate,
                   post_lists)
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
    archives: tuple[PlannedPage, ...]  # the pages of years and /tin-tuc/: months with their counts
    site_lastmod: datetime | None  # the newest visible post's date
    site_dated: frozenset[str]  # URLs whose date in sitemap.xml is site_lastmod


@dataclass(frozen=True)
class Reorder:
    """Posts that changed places in the order of visible posts (a new date, new or deleted posts)."""

    renumber: tuple[int, ...]  # old place -> new place of every post of the last build (-1: removed)
    placed: frozenset[int]  # new places of the posts that moved or are new
    feed: tuple[int, ...]  # the places of the feed's posts now (the newest published ones)
    count: int  # visible posts now


@dataclass(frozen=True)
class Relisted:
    """The lists after posts moved to other categories or tags (see :func:`relist`)."""

    listed: ListedPages
    lists: tuple[PlannedPage, ...]  # the pages of lists whose places changed, new ones too (cards as places)
    terms: tuple[PlannedPage, ...]  # the pages of categories or tags whose counts changed
    firsts: dict[str, int]  # base URL of each list a moved post left or joined -> the place of its first card
    removed: tuple[str, ...]  # URLs of pages of lists that now have fewer pages
    archives: tuple[PlannedPage, ...] = ()  # the pages of years and /tin-tuc/ whose counts or dates changed
    heads: dict[str, int] = field(default_factory=dict)  # a year's page -> the place of its newest post
    reorder: Reorder | None = None
    sitemap_posts: int = 0  # where the posts' entries start in sitemap.xml (after the home list's pages)


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
    return shown_alike(old.date, new.date)


def shown_alike(a: datetime | None, b: datetime | None) -> bool:
    """Whether two dates are the same instant shown with the same offset (see :func:`same_date`)."""
    if a is None or b is None:
        return a is b
    return a == b and a.utcoffset() == b.utcoffset()


def order_key(post: Post) -> tuple[datetime, str]:
    """Posts are shown newest first, by this key (as :func:`cchc_site.site.assemble_site` sorts them)."""
    return post.date, post.path


def reorder(order: Sequence[str], placed: Sequence[Post], key_of: Callable[[str], tuple[datetime, str] | None],
            removed: Collection[str], published: Callable[[str], bool | None]) -> tuple[list[str], Reorder] | None:
    """The order of posts (paths, newest first) after the posts ``placed`` (at new dates, or new)
    took their places and those ``removed`` (paths) left, found by halving: ``key_of`` gives the
    :func:`order_key` of a post of ``order`` (read from the cache: a few per post placed); and
    the feed's places in it: the first :data:`FEED_SIZE` posts ``published`` says are published
    (drafts and future posts never are, though a build may show them).  None when either cannot
    say."""
    moving = {post.path for post in placed}
    rest = [path for path in order if path not in moving and path not in removed]
    for post in sorted(placed, key=order_key, reverse=True):
        key = order_key(post)
        low, high = 0, len(rest)
        while low < high:  # the first place whose post is older than ``post``
            middle = (low + high) // 2
            other = key_of(rest[middle])
            if other is None:
                return None
            if other > key:
                low = middle + 1
            else:
                high = middle
        rest.insert(low, post.path)
    feed: list[int] = []
    for i, path in enumerate(rest):
        if len(feed) == FEED_SIZE:
            break
        shown = published(path)
        if shown is None:
            return None
        if shown:
            feed.append(i)
    at = {path: i for i, path in enumerate(rest)}
    return rest, Reorder(tuple(at.get(path, -1) for path in order), frozenset(at[path] for path in moving),
                         tuple(feed), len(rest))


def detach_lists(pages: Sequence[PlannedPage], places: Mapping[str, int]) -> ListedPages | None:
    """The lists among ``pages``; ``places``: post URL -> place in the order of visible posts.
    None when a card is not one of them (then no list can be planned again alone)."""
    lists: list[PlannedPage] = []
    terms: list[PlannedPage] = []
    statistics: PlannedPage | None = None
    sitemap: PlannedPage | None = None
    archives: list[PlannedPage] = []
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
        elif "months" in page.context or "years" in page.context:
            archives.append(page)
    site_lastmod = next((page.lastmod for page in pages if page.site_dated), None)
    site_dated = frozenset(page.url for page in pages
                           if in_sitemap_xml(page) and (page.site_dated or page.lastmod is None))
    return ListedPages(tuple(lists), statistics.lastmod if statistics else None, statistics is not None,
                       tuple(terms), sitemap, tuple(archives), site_lastmod, site_dated)


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
    context = {**page.context, "cards": tuple(shown)}
    if "last_build" in context:  # the feed: the date of its newest post
        context["last_build"] = max((card.date for card in shown), default=None)
    return replace(page, context=context)


def relist(listed: ListedPages, moves: Mapping[int, tuple[Collection[str], Collection[str]]],
           per_page: int, reorder: Reorder | None = None) -> Relisted | None:
    """The lists after the posts at some places moved (``moves``: place -> the base URLs of the
    lists it was on, and of those it is on now); None when a list would appear (a new tag or
    month) or become empty: only the whole build plans those.  A list whose number of pages
    changes is planned again page by page (each page shows the count).  None too without a
    sitemap.xml to keep in step.

    With ``reorder`` every list is renumbered first and ``moves`` are by new places: a post
    that moved leaves and joins its lists again (sorted back into them), a new one only joins
    (``was`` empty), a removed one leaves every list it was on; the feed takes its new places."""
    if listed.sitemap is None:
        return None
    lists = listed.lists if reorder is None else tuple(_renumbered(page, reorder.renumber) for page in listed.lists)
    families: dict[str, list[PlannedPage]] = {}
    for page in lists:
        pager = page.context.get("pager")
        if pager is not None:
            families.setdefault(pager.base_url, []).append(page)
    members: dict[str, list[int]] = {}

    def members_of(url: str) -> list[int]:
        if url not in members:  # (-1: a post removed)
            members[url] = [i for page in families[url] for i in page.context["cards"] if i >= 0]
        return members[url]

    if reorder is not None and -1 in reorder.renumber:  # the lists that showed a post removed
        for url, pages in families.items():
            if any(-1 in page.context["cards"] for page in pages):
                members_of(url)

    for place, (was, now) in moves.items():
        for url in set(was) | set(now):
            if url not in families:
                return None
            if (url in was) == (url in now):
                if reorder is not None:  # still on it, maybe elsewhere: sorted again
                    members_of(url)
                continue
            places = members_of(url)
            if url in was:
                if place not in places:
                    return None
                places.remove(place)
            elif place not in places:
                places.append(place)
    changed: dict[str, PlannedPage] = {}
    after: dict[str, list[PlannedPage]] = {}  # base URL -> its pages now
    removed: list[str] = []
    counts: dict[str, int] = {}
    for url, places in members.items():
        if not places:
            return None
        places.sort()
        pages = families[url]
        if len(places) != sum(len(page.context["cards"]) for page in pages):
            counts[url] = len(places)
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
    terms = tuple(with_counts(page, counts) for page in listed.terms)
    recounted = tuple(new for new, old in zip(terms, listed.terms) if new is not old)
    touched = {url for was, now in moves.values() for url in (*was, *now)}
    firsts = {url: families[url][0].context["cards"][0] for url in touched - members.keys()
              if url in families and families[url][0].context["cards"]}
    firsts.update((url, places[0]) for url, places in members.items())
    new_lists: list[PlannedPage] = []
    for page in lists:
        pager = page.context.get("pager")
        if pager is None:  # the feed
            if reorder is not None and page.context["cards"] != reorder.feed:
                page = changed[page.url] = replace(page, context={**page.context, "cards": reorder.feed})
            new_lists.append(page)
        elif pager.base_url not in after:
            new_lists.append(page)
        elif pager.current == 1:  # a list's pages, as they are now, where its first page was
            new_lists += after[pager.base_url]
    archives, heads = _archives_again(listed.archives, counts, members.keys(),
                                      {url: pages[0].context["cards"] for url, pages in families.items()}, firsts)
    kept = replace(listed, lists=tuple(new_lists), terms=terms,
                   archives=tuple({page.url: page for page in (*listed.archives, *archives)}.values()))
    return Relisted(kept, tuple(changed.values()), recounted, firsts, tuple(removed), archives, heads, reorder,
                    len(families.get("/", ())))


def _renumbered(page: PlannedPage, renumber: Sequence[int]) -> PlannedPage:
    return replace(page, context={**page.context, "cards": tuple(renumber[i] for i in page.context["cards"])})


def _archives_again(archives: Sequence[PlannedPage], counts: Mapping[str, int], touched: Collection[str],
                    first_cards: Mapping[str, Sequence[int]], firsts: Mapping[str, int],
                    ) -> tuple[tuple[PlannedPage, ...], dict[str, int]]:
    """The pages of years and /tin-tuc/ whose months' counts changed, and the pages of years
    one of whose months' lists changed, with the place of that year's newest post (its date is
    the page's date)."""
    again: list[PlannedPage] = []
    heads: dict[str, int] = {}
    for page in archives:
        context = page.context
        if "months" in context:  # a year: (label, month URL, count)
            months = context["months"]
            if any(url in touched for _, url, _ in months):
                newest = [firsts[url] if url in firsts else first_cards[url][0] for _, url, _ in months
                          if url in firsts or first_cards.get(url)]
                if newest:
                    heads[page.url] = min(newest)
            if any(url in counts for _, url, _ in months):
                page = replace(page, context={**context, "months": _recount(months, counts)})
            if page.url in heads or page.context is not context:
                again.append(page)
        elif any(url in counts for _, _, months in context["years"] for _, url, _ in months):  # /tin-tuc/
            recounted = [(year, _recount(months, counts)) for year, _, months in context["years"]]
            years = tuple((year, sum(n for _, _, n in months), months) for year, months in recounted)
            again.append(replace(page, context={**context, "years": years}))
    return tuple(again), heads


def _recount(rows: tuple[tuple[str, str, int], ...], counts: Mapping[str, int]) -> tuple[tuple[str, str, int], ...]:
    return tuple((label, url, counts.get(url, n)) for label, url, n in rows)


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
    move the pages of categories and tags, of years and sitemap.xml too; with ``relisted``
    holding that sitemap.  After a reorder ``cards`` must hold the newest post's (place 0) and
    those of the posts placed.  None when the sitemap cannot follow (see :func:`resitemap`)."""
    pages = [with_cards(page, cards) for page in lists]
    if relisted is None:
        return pages, None
    listed = relisted.listed
    assert listed.sitemap is not None  # (relist gives none without it)
    heads = relisted.heads
    archives = [replace(page, lastmod=cards[heads[page.url]].date) if page.url in heads else page
                for page in relisted.archives]
    sitemap: PlannedPage | None = listed.sitemap
    site_lastmod = listed.site_lastmod
    reorder = relisted.reorder
    if reorder is not None:
        if site_lastmod is None or 0 not in cards:
            return None
        site_lastmod = cards[0].date
        sitemap = _posts_reordered(listed.sitemap, relisted.sitemap_posts, reorder, cards)
        if sitemap is None:
            return None
    terms = [_dated(page, site_lastmod) for page in relisted.terms]
    archives = [_dated(page, site_lastmod) for page in archives]
    again = [*pages, *archives]
    sitemap = resitemap(sitemap, [*again, *terms], relisted.removed)
    if sitemap is None:
        return None
    planned = {page.url: page for page in (*again, *terms) if in_sitemap_xml(page)}
    if not shown_alike(site_lastmod, listed.site_lastmod):
        sitemap = replace(sitemap, context={**sitemap.context, "entries": tuple(
            (url, site_lastmod if url in listed.site_dated and url not in planned else lastmod)
            for url, lastmod in sitemap.context["entries"])})
        listed = replace(listed, terms=tuple(_dated(page, site_lastmod) for page in listed.terms),
                         statistics_lastmod=site_lastmod if listed.has_statistics else None)
    kept_archives = {page.url: _dated(page, site_lastmod) for page in listed.archives}
    kept_archives.update((page.url, page) for page in archives)
    site_dated = frozenset(url for url in listed.site_dated if url not in planned) | {
        url for url, page in planned.items() if page.site_dated or page.lastmod is None}
    listed = replace(listed, sitemap=sitemap, archives=tuple(kept_archives.values()), site_lastmod=site_lastmod,
                     site_dated=site_dated)
    return [*again, *terms, sitemap], replace(relisted, listed=listed)


def _dated(page: PlannedPage, site_lastmod: datetime | None) -> PlannedPage:
    """``page`` with the newest post's date when that is its date."""
    return replace(page, lastmod=site_lastmod) if page.site_dated and not shown_alike(page.lastmod, site_lastmod) else page


def _posts_reordered(sitemap: PlannedPage, start: int, reorder: Reorder,
                     cards: Mapping[int, Card]) -> PlannedPage | None:
    """sitemap.xml with the posts' entries (from ``start``, in the order of posts) in their new
    order, the posts placed dated anew, those removed gone (None when the entries are not where
    they should be)."""
    entries = sitemap.context["entries"]
    renumber = reorder.renumber
    if len(entries) < start + len(renumber):
        return None
    if any(new not in cards for new in reorder.placed):
        return None
    block: list[tuple[str, datetime | None] | None] = [None] * reorder.count
    for new in reorder.placed:
        block[new] = (cards[new].url, cards[new].date)
    for i, new in enumerate(renumber):
        if new >= 0 and new not in reorder.placed:  # (a post removed: its entry goes)
            block[new] = entries[start + i]
        elif new >= 0 and cards[new].url != entries[start + i][0]:  # a post that moved keeps its URL
            return None
    if None in block:
        return None
    return replace(sitemap, context={**sitemap.context, "entries": (
        *entries[:start], *block, *entries[start + len(renumber):])})


def same_tag_names(listed: ListedPages, first_posts: Mapping[str, Post]) -> bool:
    """Whether each tag's list still shows the tag as it did: a tag is written as on the newest
    post that has it (``first_posts``: the first post of lists, by base URL, as in
    :attr:`Relisted.firsts`)."""
    heads = {page.context["pager"].base_url: page.context.get("term") for page in listed.lists
             if "pager" in page.context and page.context["pager"].current == 1}
    for url, post in first_posts.items():
        slug = post_lists(post).get(url)
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
