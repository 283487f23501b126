"""The pager: which page numbers a list page shows, and that a long list costs what its length does."""
from __future__ import annotations

from cchc_site.plan import Pager, paginate


def shown_by_rule(current: int, total: int) -> list[tuple[int, str]]:
    """The rule spelled out over every page number (what the theme did before the window)."""
    out = []
    for n in range(1, total + 1):
        if n == current:
            out.append((n, "current"))
        elif n in (1, total) or abs(n - current) <= 2:
            out.append((n, "link"))
        elif abs(n - current) == 3:
            out.append((n, "gap"))
    return out


def test_the_window_follows_the_rule_for_every_page_of_lists_up_to_40_pages() -> None:
    for total in range(1, 41):
        for current in range(1, total + 1):
            pager = Pager(current, total, "/tin-tuc/")
            assert [(item.number, item.kind) for item in pager.window] == shown_by_rule(current, total)
            assert all(item.url == pager.urls[item.number - 1] for item in pager.window)


def test_urls_and_neighbours() -> None:
    pager = Pager(2, 3, "/the/mot-cua/")
    assert pager.urls == ("/the/mot-cua/", "/the/mot-cua/trang/2/", "/the/mot-cua/trang/3/")
    assert (pager.prev_url, pager.url, pager.next_url) == ("/the/mot-cua/", "/the/mot-cua/trang/2/",
                                                           "/the/mot-cua/trang/3/")
    assert Pager(1, 1, "/").prev_url is None and Pager(1, 1, "/").next_url is None


def test_a_long_list_keeps_each_pager_small() -> None:
    """5,000 pages: each page's pager holds three numbers, not 5,000 URLs (planning,
    fingerprinting and rendering a list stay linear in its length)."""
    pages = paginate(list(range(50_000)), 10, "/tin-tuc/")
    assert len(pages) == 5_000
    assert all(len(repr(pager)) < 80 for pager, _ in pages)
    assert [item.number for item in pages[2_499][0].window] == [1, 2497, 2498, 2499, 2500, 2501, 2502, 2503, 5000]
