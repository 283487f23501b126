"""Page fingerprints (issue 6): equal exactly when what a page shows is equal, whatever objects hold it."""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cchc_site.config import MenuItem, Term
from cchc_site.incremental import fingerprint_pages
from cchc_site.plan import Card, PlannedPage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def card(**changes: object) -> Card:
    base = Card("Hội nghị về cải cách hành chính", "/tin-tuc/2021/07/hoi-nghi/", datetime(2021, 7, 28, 8, 0, tzinfo=TZ),
                Term("Hoạt động", "hoat-dong", "Tin hoạt động"), (Term("Một cửa", "mot-cua"),),
                "Tóm tắt: \"một cửa\", 'liên thông'.", False, False, False)
    return replace(base, **changes)


def page(the_card: Card, crumb: MenuItem = MenuItem("Tháng 07/2021", "/tin-tuc/2021/07/")) -> PlannedPage:
    return PlannedPage("/tin-tuc/", "index.html", {"title": "Tin tức", "cards": (the_card, card(title="Bài khác")),
                                                   "crumbs": (MenuItem("Trang chủ", "/"), crumb)})


def fingerprint(p: PlannedPage) -> str:
    return fingerprint_pages([p], "salt")[0]


def test_equal_values_in_other_objects_give_the_same_fingerprint() -> None:
    assert fingerprint(page(card())) == fingerprint(page(card()))
    assert fingerprint_pages([page(card()), page(card())], "salt") == [fingerprint(page(card()))] * 2


CHANGED = {
    "title": "Hội nghị khác", "url": "/tin-tuc/2021/07/khac/",
    "date": datetime(2021, 7, 28, 8, 0, tzinfo=TZ) + timedelta(seconds=1),
    "category": Term("Hoạt động", "hoat-dong", "Mô tả khác"), "tags": (Term("Một cửa", "mot-cua", "x"),),
    "summary": "Tóm tắt khác.", "sample": True, "draft": True, "future": True,
}


def test_every_field_of_a_card_is_covered() -> None:
    assert set(CHANGED) == {f.name for f in fields(Card)}


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_change_to_any_field_of_a_card_changes_the_fingerprint(name: str) -> None:
    assert fingerprint(page(card(**{name: CHANGED[name]}))) != fingerprint(page(card()))


def test_the_same_card_on_many_pages_is_fingerprinted_once_and_stays_exact() -> None:
    shared = card()
    first, second = fingerprint_pages([page(shared), page(card(summary="Khác"))], "salt")
    assert first != second
    assert fingerprint_pages([page(shared), page(shared)], "salt") == [first, first]


@pytest.mark.parametrize("one, other", [
    (MenuItem("a:b", "c"), MenuItem("a", "b:c")),
    (MenuItem("a'", "b"), MenuItem("a", "'b")),
    (MenuItem("Tháng 07/2021", "/tin-tuc/2021/07/"), MenuItem("Tháng 07/2021", "/tin-tuc/2021/07")),
])
def test_breadcrumbs_that_differ_give_other_fingerprints(one: MenuItem, other: MenuItem) -> None:
    assert fingerprint(page(card(), one)) != fingerprint(page(card(), other))


# --- a post's own page: its values are written out without walking the context -----------------

def post_page(**changes: object) -> PlannedPage:
    from cchc_site.mdrender import HtmlRef
    from cchc_site.models import Post

    the_post = Post("content/posts/2021/07/hoi-nghi.md", "Hội nghị", datetime(2021, 7, 28, 8, 0, tzinfo=TZ), None, (),
                    "", "", "", (), "hoi-nghi", False, False, "", 6, "d1")
    context: dict[str, object] = {
        "title": "Hội nghị", "post": the_post, "card": card(), "content": HtmlRef("h1"),
        "crumbs": (MenuItem("Trang chủ", "/"), MenuItem("Tháng 07/2021", "/tin-tuc/2021/07/")),
        "newer": MenuItem("Bài mới hơn", "/tin-tuc/2021/08/moi/"), "older": None,
    }
    for key, value in changes.items():
        context[key] = value(the_post) if callable(value) else value
    return PlannedPage("/tin-tuc/2021/07/hoi-nghi/", "post.html", context)


POST_CHANGES = {
    "title": "Hội nghị khác",
    "post": lambda p: replace(p, digest="d2"),
    "post path": lambda p: replace(p, path="content/posts/2021/07/khac.md"),
    "card": card(summary="Khác"),
    "content": None,  # filled below (HtmlRef of other HTML)
    "crumbs": (MenuItem("Trang chủ", "/"), MenuItem("Tháng 08/2021", "/tin-tuc/2021/08/")),
    "newer": None,
    "older": MenuItem("Bài cũ hơn", "/tin-tuc/2021/06/cu/"),
}


@pytest.mark.parametrize("name", sorted(POST_CHANGES))
def test_a_change_to_any_value_of_a_post_page_changes_its_fingerprint(name: str) -> None:
    from cchc_site.mdrender import HtmlRef

    value = HtmlRef("h2") if name == "content" else POST_CHANGES[name]
    key = name.split()[0]
    assert fingerprint(post_page(**{key: value})) != fingerprint(post_page())
    assert fingerprint(post_page()) == fingerprint(post_page())


def test_a_post_page_with_other_values_than_planned_is_still_fingerprinted_exactly() -> None:
    """A context the quick way does not know (another type, another key) takes the general way."""
    odd = post_page(newer=("Bài mới hơn", "/tin-tuc/2021/08/moi/"))
    assert fingerprint(odd) != fingerprint(post_page())
    assert fingerprint(odd) != fingerprint(post_page(newer=("Bài mới hơn", "/tin-tuc/2021/08/khac/")))
    extra = post_page()
    extra = PlannedPage(extra.url, extra.template, {**extra.context, "related": (card(),)})
    assert fingerprint(extra) != fingerprint(post_page())


def test_a_list_is_fingerprinted_by_its_cards_in_order_and_every_other_value() -> None:
    """Lists take a shorter way (their cards' digests in one piece): still exact."""
    one, two = card(), card(title="Bài khác")
    base = PlannedPage("/tin-tuc/", "index.html", {"title": "Tin tức", "cards": (one, two), "is_home": True})
    others = [replace(base, context={**base.context, "cards": (two, one)}),
              replace(base, context={**base.context, "cards": (one,)}),
              replace(base, context={**base.context, "cards": ()}),
              replace(base, context={**base.context, "is_home": False}),
              replace(base, context={**base.context, "title": "Tin"}),
              replace(base, context={**base.context, "cards": (one, two, "not a card")}),
              replace(base, url="/tin-tuc/trang/2/")]
    fingerprints = fingerprint_pages([base, *others], "salt")
    assert len(set(fingerprints)) == len(fingerprints)
    assert fingerprint_pages([replace(base, context=dict(reversed(base.context.items())))], "salt")[0] == fingerprints[0]


def test_sitemap_xml_is_fingerprinted_by_every_url_and_date_in_order() -> None:
    """sitemap.xml takes a shorter way (its pairs in one piece): still exact, the offset of a
    date included (02:30 summer time and 02:30 winter time compare equal in one zone)."""
    berlin = ZoneInfo("Europe/Berlin")
    summer = datetime(2021, 10, 31, 2, 30, tzinfo=berlin)
    winter = summer.replace(fold=1)
    assert summer == winter and summer.utcoffset() != winter.utcoffset()
    entries = (("/", summer), ("/tin-tuc/", None), ("/the/", datetime(2021, 7, 1, tzinfo=TZ)))
    base = PlannedPage("/sitemap.xml", "sitemap.xml", {"entries": entries}, in_sitemap=False)
    others = [replace(base, context={"entries": (("/", winter), *entries[1:])}),
              replace(base, context={"entries": (entries[1], entries[0], entries[2])}),
              replace(base, context={"entries": entries[:2]}),
              replace(base, context={"entries": (("/x/", summer), *entries[1:])}),
              replace(base, context={"entries": (*entries[:2], ("/the/", datetime(2021, 7, 2, tzinfo=TZ)))}),
              replace(base, context={"entries": entries, "extra": 1}),
              replace(base, context={"entries": (*entries, ("/a/", "2021-07-01"))}),
              replace(base, url="/khac.xml")]
    fingerprints = fingerprint_pages([base, *others], "salt")
    assert len(set(fingerprints)) == len(fingerprints)
    assert fingerprint_pages([base], "salt") == fingerprint_pages([replace(base, context={"entries": tuple(entries)})],
                                                                  "salt")
    assert fingerprint_pages([base], "salt") != fingerprint_pages([base], "other salt")
