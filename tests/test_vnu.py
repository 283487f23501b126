"""Zero errors from the W3C Nu HTML Checker on every page the generator writes.

Two builds are checked in one Java run: the shipped site (``--as-of 2021-12-31``) and a
small site with drafts, pagination, a wide table, footnotes, an image, an attachment,
procedures, a page and index data (``tests/readers_site.py``).
"""
from __future__ import annotations

from pathlib import Path

import pytest

import tools
from readers_site import build_kitchen, build_shipped, html_files

# Every page type the theme has; each must be present in the builds checked.
PAGE_TYPES = [
    "index.html", "trang/2/index.html", "404.html",
    "tin-tuc/index.html", "tin-tuc/2021/index.html", "tin-tuc/2021/08/index.html",
    "tin-tuc/2021/08/bai-co-bang/index.html", "tin-tuc/2021/10/ban-nhap/index.html",
    "chuyen-muc/index.html", "chuyen-muc/hoat-dong-cchc/index.html", "chuyen-muc/hoat-dong-cchc/trang/2/index.html",
    "the/index.html", "the/mot-cua/index.html", "gioi-thieu/index.html",
    "thu-tuc-hanh-chinh/index.html", "thu-tuc-hanh-chinh/hoat-dong-xay-dung/index.html",
    "thu-tuc-hanh-chinh/1.013225/index.html", "thong-ke/index.html", "chi-so-cchc/index.html",
    "tim-kiem/index.html",
]


@pytest.mark.slow
def test_every_page_is_valid_html(tmp_path: Path) -> None:
    shipped = build_shipped(tmp_path / "shipped")
    kitchen = build_kitchen(tmp_path / "kitchen")
    for rel in PAGE_TYPES:
        assert (kitchen / rel).is_file(), rel
    files = html_files(shipped) + html_files(kitchen)
    assert len(files) > 60
    errors = tools.run_vnu(files)
    assert not errors, tools.format_vnu(errors)


def test_vnu_reports_errors_it_should(tmp_path: Path) -> None:
    """The checker really runs: a broken page gives errors."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=vi><head><title>x</title></head><body><p><div></p></span></body></html>",
                   encoding="utf-8")
    assert tools.run_vnu([bad])
