"""The pages that show other posts, kept between builds so that an edit of what they show of a
post (its title, summary, author...) plans only them again (pure).

Besides a post's own page, three kinds of pages show a post: the pages of its neighbours
(their links to it carry its title), the lists and the feed (its card), and the statistics
page (the quota lists every published post).  The whole build keeps the lists as
:class:`ListedPages`, each card replaced by the place of its post in the order of visible
posts; when only such fields of a few posts changed, :func:`lists_showing` finds the lists to
plan again and :func:`with_cards` puts the new cards back in.  ``tests/test_listed.py``
checks on a planned site that no other page holds a post or a card.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Collection, Mapping, Sequence

from .models import Post
from .plan import Card, PlannedPage
from .quota import QuotaReport

# Fields that decide where a post is: its URL, its order, its lists, archives, counts and quota.
PLACE_FIELDS = ("path", "date", "category", "tags", "slug", "draft")


@dataclass(frozen=True)
class ListedPages:
    """The lists of a build (pages with ``cards``: home, archives, categories, tags, the feed),
    each card replaced by the place of its post in the order of visible posts."""

    lists: tuple[PlannedPage, ...]
    statistics_lastmod: datetime | None  # of the statistics page, when the site has one
    has_statistics: bool


def same_place(old: Post, new: Post) -> bool:
    """Whether ``new`` is where ``old`` was in every list, archive, count and month of the quota:
    only what pages show of it (title, summary, author, image...) may differ."""
    return same_date(old, new) and all(getattr(old, name) == getattr(new, name) for name in PLACE_FIELDS)


def same_date(old: Post, new: Post) -> bool:
    """Whether the two dates are the same instant *and* are shown the same: Python compares two
    datetimes of one time zone by their clock only, so 02:30+02:00 equals 02:30+01:00 on the
    night a summer time ends (``fold``), although pages show the offset."""
    return old.date == new.date and old.date.utcoffset() == new.date.utcoffset()


def detach_lists(pages: Sequence[PlannedPage], places: Mapping[str, int]) -> ListedPages | None:
    """The lists among ``pages``; ``places``: post URL -> place in the order of visible posts.
    None when a card is not one of them (then no list can be planned again alone)."""
    lists: list[PlannedPage] = []
    statistics: PlannedPage | None = None
    for page in pages:
        cards = page.context.get("cards")
        if cards is not None:
            at = tuple(places.get(card.url, -1) for card in cards)
            if -1 in at:
                return None
            lists.append(replace(page, context={**page.context, "cards": at}))
        elif "quota" in page.context:
            statistics = page
    return ListedPages(tuple(lists), statistics.lastmod if statistics else None, statistics is not None)


def lists_showing(listed: ListedPages, places: Collection[int]) -> list[PlannedPage]:
    """The lists that show a post at one of ``places`` (cards still as places)."""
    wanted = set(places)
    return [page for page in listed.lists if not wanted.isdisjoint(page.context["cards"])]


def with_cards(page: PlannedPage, cards: Mapping[int, Card]) -> PlannedPage:
    """A list of :class:`ListedPages` with its cards back (``cards``: by place)."""
    return replace(page, context={**page.context, "cards": tuple(cards[i] for i in page.context["cards"])})


def quota_with(quota: QuotaReport, posts: Mapping[str, Post]) -> QuotaReport:
    """``quota`` with the posts of the same paths as ``posts`` replaced by them (same places:
    the counts stay)."""
    months = tuple(replace(m, posts=tuple(posts.get(p.path, p) for p in m.posts))
                   if any(p.path in posts for p in m.posts) else m for m in quota.months)
    return replace(quota, months=months)
