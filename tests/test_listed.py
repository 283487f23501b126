"""The pages that show other posts (issue 6): what a title edit plans again without the whole site."""
from __future__ import annotations

import dataclasses
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from cchc_site.wholebuild import load_site
from cchc_site.cache import Cache
from cchc_site.files import scan_content
from cchc_site.config import Term
from cchc_site.listed import PLACE_FIELDS, detach_lists, lists_showing, quota_with, same_place, with_cards
from cchc_site.models import Post
from cchc_site.options import BuildOptions
from cchc_site.plan import Card, PlannedPage, plan_site, visible_posts
from cchc_site.quota import compute_quota
from cchc_site.config import QuotaConfig

from readers_site import kitchen_site
from tools import REPO_ROOT

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def planned(site_dir: Path, drafts: bool = False) -> tuple[list[PlannedPage], list[Post]]:
    options = BuildOptions(now=datetime(2021, 12, 31, tzinfo=TZ), drafts=drafts)
    loaded = load_site(site_dir, options, None, False, Cache(None), scan_content(site_dir))
    return plan_site(loaded.site, loaded.rendered, options, loaded.quota), visible_posts(loaded.site.posts, options)


def held(value: Any, where: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...], Any]]:
    """Every post and card inside ``value``, with where it is (keys, places, field names)."""
    if isinstance(value, (Post, Card)):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from held(item, (*where, key))
    elif isinstance(value, (tuple, list, set, frozenset)):
        for i, item in enumerate(value):
            yield from held(item, (*where, i))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from held(getattr(value, f.name), (*where, f.name))


@pytest.mark.parametrize("which", ["shipped", "kitchen", "kitchen with drafts"])
def test_only_lists_the_feed_the_statistics_and_posts_own_pages_hold_posts(tmp_path: Path, which: str) -> None:
    """What the quick build relies on: a post's title, summary... reach no other page."""
    site_dir = REPO_ROOT if which == "shipped" else kitchen_site(tmp_path / "site")
    pages, posts = planned(site_dir, drafts=which.endswith("drafts"))
    by_url = {post.url: post for post in posts}
    seen_lists = 0
    for page in pages:
        found = list(held(dict(page.context)))
        if page.template == "post.html":
            own = by_url[page.url]
            assert [where for where, value in found] == [("post",), ("card",)]
            assert found[0][1] is own and found[1][1].url == page.url
        else:
            roots = {where[0] for where, _ in found}
            assert roots <= {"cards", "quota"}, (page.url, roots)
            seen_lists += "cards" in roots
    assert seen_lists >= 4  # home, a month, a category, the feed at least
    listed = detach_lists(pages, {post.url: i for i, post in enumerate(posts)})
    assert listed is not None and listed.has_statistics
    assert len(listed.lists) == sum(1 for page in pages if "cards" in page.context)


def test_lists_come_back_exactly_with_their_cards(tmp_path: Path) -> None:
    pages, posts = planned(kitchen_site(tmp_path / "site"))
    places = {post.url: i for i, post in enumerate(posts)}
    listed = detach_lists(pages, places)
    assert listed is not None
    cards = {places[card.url]: card for page in pages for card in page.context.get("cards", ())}
    lists = [page for page in pages if "cards" in page.context]
    assert [with_cards(page, cards) for page in listed.lists] == lists
    first = places[posts[0].url]
    showing = lists_showing(listed, {first})
    assert showing and all(first in page.context["cards"] for page in showing)
    assert len(showing) < len(listed.lists)  # a month's list does not show the newest post of another
    assert lists_showing(listed, set()) == []


def test_a_card_of_no_visible_post_gives_no_lists(tmp_path: Path) -> None:
    pages, posts = planned(kitchen_site(tmp_path / "site"))
    assert detach_lists(pages, {post.url: i for i, post in enumerate(posts[1:])}) is None


def post(**changes: object) -> Post:
    base = Post("content/posts/2021/08/a.md", "Tiêu đề", datetime(2021, 8, 2, 8, 0, tzinfo=TZ),
                Term("Hoạt động", "hoat-dong"), (Term("Một cửa", "mot-cua"),), "", "Tác giả", "", (), "a", False,
                False, "", 6, "d1")
    return replace(base, **changes)


OTHER_VALUES = {
    "path": "content/posts/2021/08/b.md", "date": datetime(2021, 8, 3, 8, 0, tzinfo=TZ),
    "category": Term("Văn bản", "van-ban"), "tags": (), "slug": "b", "draft": True,
    "title": "Tiêu đề khác", "summary": "Tóm tắt", "author": "Người khác", "image": "/static/a.png",
    "attachments": ("/static/a.pdf",), "sample": True, "body": "Thân bài", "body_line": 9, "digest": "d2",
}


def test_every_field_of_a_post_is_judged() -> None:
    assert set(OTHER_VALUES) == {f.name for f in dataclasses.fields(Post)}


@pytest.mark.parametrize("name", sorted(OTHER_VALUES))
def test_a_post_stays_in_place_unless_its_url_order_lists_or_visibility_change(name: str) -> None:
    assert same_place(post(), post(**{name: OTHER_VALUES[name]})) == (name not in PLACE_FIELDS)


def test_the_quota_takes_the_edited_posts_and_keeps_its_counts() -> None:
    posts = [post(), post(path="content/posts/2021/09/c.md", slug="c", date=datetime(2021, 9, 1, tzinfo=TZ))]
    quota = compute_quota(posts, QuotaConfig(start=(2021, 8), end=None, min_posts=1, waivers=()),
                          datetime(2021, 9, 30, tzinfo=TZ))
    edited = replace(posts[0], title="Tiêu đề mới")
    after = quota_with(quota, {edited.path: edited})
    assert [m.count for m in after.months] == [m.count for m in quota.months]
    assert after.months[0].posts == (edited,)
    assert after.months[1] is quota.months[1]  # a month without edits is kept as it was
    assert after == compute_quota([edited, posts[1]], QuotaConfig(start=(2021, 8), end=None, min_posts=1,
                                                                  waivers=()), datetime(2021, 9, 30, tzinfo=TZ))


SHOWN_CHANGES = {"title": "Tiêu đề đã sửa", "summary": "Tóm tắt đã sửa", "author": "Tác giả khác", "sample": True,
                 "image": ""}


@pytest.mark.parametrize("field", sorted(SHOWN_CHANGES))
def test_what_lists_show_of_a_post_changes_no_page_but_those_the_quick_build_plans_again(tmp_path: Path,
                                                                                         field: str) -> None:
    """Planned and fingerprinted twice, with one field of one post changed: only its own page, its
    neighbours', the lists and feed that hold its card and the statistics page may differ.  (Finds a
    post's title copied into any other page, however it is held.)"""
    from cchc_site.incremental import fingerprint_pages

    site_dir = kitchen_site(tmp_path / "site")
    options = BuildOptions(now=datetime(2021, 12, 31, tzinfo=TZ))
    loaded = load_site(site_dir, options, None, False, Cache(None), scan_content(site_dir))
    posts = visible_posts(loaded.site.posts, options)
    target = next(p for p in posts if getattr(p, field) != SHOWN_CHANGES[field])
    edited = replace(target, **{field: SHOWN_CHANGES[field]}, digest="another file")  # (its text changed)
    assert same_place(target, edited)
    site = replace(loaded.site, posts=tuple(edited if p is target else p for p in loaded.site.posts))
    quota = quota_with(loaded.quota, {edited.path: edited}) if loaded.quota else None
    before = plan_site(loaded.site, loaded.rendered, options, loaded.quota)
    rendered = {**{digest: loaded.rendered[digest] for digest in loaded.rendered},
                "another file": loaded.rendered[target.digest]}
    after = plan_site(site, rendered, options, quota)
    assert [p.url for p in before] == [p.url for p in after]
    changed = {b.url for b, a, fb, fa in zip(before, after, fingerprint_pages(before, "s"), fingerprint_pages(after, "s"))
               if fb != fa}
    i = posts.index(target)
    allowed = {target.url, "/thong-ke/"} | {posts[j].url for j in (i - 1, i + 1) if 0 <= j < len(posts)}
    allowed |= {page.url for page in before if any(card.url == target.url for card in page.context.get("cards", ()))}
    assert target.url in changed
    assert changed <= allowed, changed - allowed


MOVES_CONFIG = """\
title: "CCHC thử"
organization: "Sở Thử"
base_url: "https://example.gov.vn/cchc/"
posts_per_page: 3
quota:
  min_posts: 1
  start: "2021-01"
categories:
  - name: "Hoạt động"
    slug: hoat-dong
  - name: "Văn bản"
    slug: van-ban
  - name: "Số hóa"
    slug: so-hoa
"""
TAG_NAMES = ("Một cửa", "Dịch vụ công", "Đề án 06", "Chuyển đổi số")


def moves_site(root: Path) -> Path:
    from sitekit import post as post_text, write_site

    rng = random.Random(2021)
    files = {}
    for n in range(17):
        month, day = 1 + n % 6, 1 + n
        files[f"content/posts/2021/{month:02d}/bai-{n}.md"] = post_text(
            f"Bài {n}", f"{day:02d}/{month:02d}/2021", f"Nội dung bài {n}.",
            category=rng.choice(["Hoạt động", "Văn bản", "Số hóa"]),
            tags=rng.sample(TAG_NAMES, k=rng.randint(0, 3)))
    return write_site(root, files, MOVES_CONFIG)


def relisted_if_named_alike(relisted: Any, posts: list[Post]) -> Any:
    """``relisted``, or None when a tag's list would show the tag written otherwise (as the quick
    build decides: then the whole build)."""
    from cchc_site.listed import same_tag_names

    if relisted is None or not same_tag_names(relisted.listed, {url: posts[j] for url, j in relisted.firsts.items()}):
        return None
    return relisted


def test_a_post_moved_to_other_categories_or_tags_changes_no_page_but_those_relisted(tmp_path: Path) -> None:
    """Random moves of one post, each planned and fingerprinted twice: every page whose
    fingerprint changed is one the quick build plans again, and each page it plans again from
    the lists it kept (cards put back) is the page the whole build plans, the pages of lists that
    appear or go included.  A list that appears or empties, or a tag written otherwise, gives
    None: the whole build."""
    from cchc_site.incremental import fingerprint_pages
    from cchc_site.listed import lists_again, pages_again, relist
    from cchc_site.plan import card_for, term_lists

    site_dir = moves_site(tmp_path / "site")
    options = BuildOptions(now=datetime(2021, 12, 31, tzinfo=TZ))
    loaded = load_site(site_dir, options, None, False, Cache(None), scan_content(site_dir))
    posts = visible_posts(loaded.site.posts, options)
    places = {post.url: i for i, post in enumerate(posts)}
    before = plan_site(loaded.site, loaded.rendered, options, loaded.quota)
    fingerprints_before = dict(zip([p.url for p in before], fingerprint_pages(before, "s")))
    listed = detach_lists(before, places)
    assert listed is not None and listed.sitemap is not None and len(listed.terms) == 2
    tags = {tag.slug: tag for post in posts for tag in reversed(post.tags)}  # (a tag as its posts write it)
    choices = sorted(tags.values(), key=lambda t: t.slug)
    choices += [Term("Thẻ mới", "the-moi"), Term(choices[0].name.upper(), choices[0].slug)]  # a new tag, a new spelling
    rng = random.Random(6)
    outcomes = {"relisted": 0, "whole": 0, "pages come or go": 0}
    for _ in range(60):
        target = rng.choice(posts)
        edited = replace(target, category=rng.choice(loaded.site.config.categories),
                         tags=tuple({t.slug: t for t in rng.sample(choices, k=rng.randint(0, 3))}.values()))
        site = replace(loaded.site, posts=tuple(edited if p is target else p for p in loaded.site.posts))
        quota = quota_with(loaded.quota, {edited.path: edited}) if loaded.quota else None
        after = plan_site(site, loaded.rendered, options, quota)
        after_by_url = {page.url: page for page in after}
        fingerprints_after = dict(zip([p.url for p in after], fingerprint_pages(after, "s")))
        i = places[target.url]
        new_posts = [edited if p is target else p for p in posts]
        relisted = relisted_if_named_alike(relist(listed, {i: (term_lists(target), term_lists(edited))}, 3), new_posts)
        if relisted is None:
            outcomes["whole"] += 1
            continue
        urls = [p.url for p in before]
        new_urls = [page.url for page in relisted.lists if page.url not in urls]
        assert set(after_by_url) == set(urls) - set(relisted.removed) | set(new_urls)  # pages of lists come and go
        outcomes["relisted"] += 1
        outcomes["pages come or go"] += bool(relisted.removed or new_urls)
        cards = {j: card_for(p, loaded.rendered, options.now) for j, p in enumerate(new_posts)}
        made = pages_again(lists_again(listed, relisted, {i}), cards, relisted)  # as the quick build plans them
        assert made is not None and made[1] is not None
        again, kept = made
        assert kept.listed.sitemap in again
        for page in again:
            assert page == after_by_url[page.url], page.url
        planned_again = {page.url for page in again} | {target.url, "/thong-ke/"}
        planned_again |= {posts[j].url for j in (i - 1, i + 1) if 0 <= j < len(posts)}
        changed = {url for url, fp in fingerprints_after.items() if fingerprints_before.get(url) != fp}
        assert changed <= planned_again, changed - planned_again
    assert outcomes["relisted"] >= 25 and outcomes["whole"] >= 5 and outcomes["pages come or go"] >= 5, outcomes


def test_posts_given_new_places_change_no_page_but_those_relisted(tmp_path: Path) -> None:
    """Random new dates (in the same month), new posts and deleted ones, each planned and
    fingerprinted twice:
    the pages planned again from the lists kept (renumbered, the lists the posts are on sorted
    again) are those the whole build plans, sitemap.xml included; the lists kept are those the
    whole build would keep; every page whose fingerprint changed is one the quick build plans
    again.  A new month, a new tag or a tag written otherwise on the newest post gives None."""
    from cchc_site.incremental import fingerprint_pages
    from cchc_site.listed import lists_again, order_key, pages_again, relist, reorder
    from cchc_site.plan import card_for, post_lists

    site_dir = moves_site(tmp_path / "site")
    options = BuildOptions(now=datetime(2021, 12, 31, tzinfo=TZ))
    loaded = load_site(site_dir, options, None, False, Cache(None), scan_content(site_dir))
    config = loaded.site.config
    assert config.quota is not None
    posts = visible_posts(loaded.site.posts, options)
    order = [post.path for post in posts]
    before = plan_site(loaded.site, loaded.rendered, options, loaded.quota)
    fingerprints_before = dict(zip([p.url for p in before], fingerprint_pages(before, "s")))
    listed = detach_lists(before, {post.url: i for i, post in enumerate(posts)})
    assert listed is not None
    tags = sorted({tag.slug: tag for post in posts for tag in reversed(post.tags)}.values(), key=lambda t: t.slug)
    rng = random.Random(7)
    outcomes = {"relisted": 0, "whole": 0, "new newest": 0, "pages come": 0, "removed": 0}
    for round_ in range(120):
        placed: list[Post] = []
        for _ in range(rng.choice((1, 1, 2))):
            month = rng.randint(1, 7)  # July has no posts: a new month's list
            date = datetime(2021, month, rng.randint(1, 28), rng.randint(0, 23), rng.choice((0, 30)), tzinfo=TZ)
            if rng.random() < 0.5:
                target = rng.choice([p for p in posts if p.path not in {q.path for q in placed}])
                placed.append(replace(target, date=target.date.replace(day=rng.randint(1, 28), hour=rng.randint(0, 23))))
            else:
                n = f"moi-{round_}-{len(placed)}"
                picked = rng.sample([*tags, Term("Thẻ mới", "the-moi"), Term(tags[0].name.upper(), tags[0].slug)],
                                    k=rng.randint(0, 2))
                placed.append(replace(posts[0], path=f"content/posts/2021/{month:02d}/{n}.md", slug=n, date=date,
                                      title=f"Bài {n}", category=rng.choice(config.categories),
                                      tags=tuple({t.slug: t for t in picked}.values()), digest=posts[0].digest))
        by_path = {post.path: post for post in posts}
        olds = {post.path: by_path[post.path] for post in placed if post.path in by_path}
        removed = {rng.choice([p.path for p in posts if p.path not in olds])} if rng.random() < 0.3 else set()
        new_all = tuple(sorted([*(p for p in loaded.site.posts if p.path not in {q.path for q in placed} | removed),
                                *placed], key=order_key, reverse=True))
        site = replace(loaded.site, posts=new_all)
        quota = compute_quota(site.posts, config.quota, options.now)
        after = plan_site(site, loaded.rendered, options, quota)
        after_by_url = {page.url: page for page in after}
        new_posts = visible_posts(site.posts, options)
        found = reorder(order, placed, lambda path: order_key({**by_path, **{p.path: p for p in placed}}[path]),
                        removed, lambda path: True)  # (no draft or future post: all published)
        assert found is not None
        new_order, reordered = found
        assert new_order == [post.path for post in new_posts]
        place = {path: i for i, path in enumerate(new_order)}
        moves = {place[post.path]: (post_lists(olds[post.path]) if post.path in olds else {}, post_lists(post))
                 for post in placed}
        relisted = relisted_if_named_alike(relist(listed, moves, 3, reordered), new_posts)
        if relisted is None:
            outcomes["whole"] += 1
            continue
        outcomes["relisted"] += 1
        outcomes["new newest"] += new_posts[0].path not in by_path
        cards = {j: card_for(p, loaded.rendered, options.now) for j, p in enumerate(new_posts)}
        edited = {place[post.path] for post in placed}
        made = pages_again(lists_again(listed, relisted, edited), cards, relisted)
        assert made is not None and made[1] is not None
        again, kept = made
        outcomes["pages come"] += any(page.url not in fingerprints_before for page in again)
        outcomes["removed"] += bool(removed)
        for page in again:
            assert page == after_by_url[page.url], page.url
        whole = detach_lists(after, {post.url: i for i, post in enumerate(new_posts)})
        assert whole is not None
        def undated(page: PlannedPage) -> tuple[object, ...]:  # (dates come back with the cards: see with_cards)
            return page.url, page.template, {k: v for k, v in page.context.items() if k != "last_build"}

        assert list(map(undated, kept.listed.lists)) == list(map(undated, whole.lists))
        assert replace(kept.listed, lists=()) == replace(whole, lists=())
        neighbours = {j for i in edited for j in (i - 1, i + 1)}
        neighbours |= {reordered.renumber[j] for path in [*olds, *removed]
                       for i in [order.index(path)] for j in (i - 1, i + 1) if 0 <= j < len(order)}
        planned_again = {page.url for page in again} | {post.url for post in placed} | {"/thong-ke/"}
        planned_again |= {new_posts[j].url for j in neighbours if 0 <= j < len(new_posts)}
        fingerprints_after = dict(zip([p.url for p in after], fingerprint_pages(after, "s")))
        changed = {url for url, fp in fingerprints_after.items() if fingerprints_before.get(url) != fp}
        assert changed <= planned_again, changed - planned_again
    assert outcomes["relisted"] >= 25 and outcomes["whole"] >= 10 and outcomes["new newest"] >= 3, outcomes
    assert outcomes["pages come"] >= 3 and outcomes["removed"] >= 5, outcomes
