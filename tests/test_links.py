"""Internal links (pure): which paths name a page, as the link check reads them."""
from __future__ import annotations

import pytest

from cchc_site.links import link_paths, resolves, targets_of
from cchc_site.models import Link, Post, Rendered

URLS = ["/", "/the/mot-cua/", "/the/mot-cua/trang/2/", "/rss.xml", "/static/a.pdf", "/chuyen-muc/van-ban/"]
PATHS = ["/", "/index.html", "", "/the/mot-cua/", "/the/mot-cua", "/the/mot-cua/index.html", "/the/mot-cua/trang/2",
         "/the/mot-cua/trang/2/index.html", "/the/mot-cua/trang/", "/the/mot-cua/trang/2/index", "/rss.xml",
         "/rss.xml/", "/static/a.pdf", "/static/a.pdf/index.html", "/chuyen-muc/van-ban", "/chuyen-muc/"]


@pytest.mark.parametrize("url", URLS)
def test_the_paths_that_name_a_page_are_exactly_those_that_resolve_to_it(url: str) -> None:
    """A quick build drops a page only when no link names it: ``targets_of`` must find every way
    of writing a link to it (and only those)."""
    for path in filter(None, PATHS):
        assert resolves(path, frozenset({url})) == (path in targets_of(url)), path


def test_link_paths_are_read_as_the_check_reads_them() -> None:
    links = (Link("/the/m%E1%BB%99t-c%E1%BB%ADa/?a=1#x", 3), Link("tthc:1.013225", 4), Link("#top", 5),
             Link("/static/a.pdf", 6))
    doc = Post("content/posts/a.md", "A", None, None, (), "", "", "", (), "a", False, False, "", 1, "d")  # type: ignore[arg-type]
    assert link_paths([doc], {"d": Rendered("", "", links)}) == frozenset({"/the/một-cửa/", "/static/a.pdf"})
