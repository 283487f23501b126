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
