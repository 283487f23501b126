"""Pages that work for everyone, checked in headless Chromium and by parsing the output.

* axe-core: zero WCAG 2.1 A/AA violations on every main page type, at 1280 and 360 px;
* layout: no horizontal page overflow at 360 px, wide tables scroll inside their box;
* keyboard: skip link, menu button on a phone, procedure filter, visible focus;
* print stylesheet: no menus, link addresses shown;
* Open Graph tags on every page; the index rankings page and its chart.

Screenshots of the main page types at 360x800 and 1280x800 go to ``test-artifacts/``.
"""
from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import tools
from readers_site import build_kitchen, build_shipped, html_files

from cchc_site.charts import RANK_DASHES, rank_chart
from cchc_site.indices import parse_indices

WIDTHS = (1280, 360)


# ---------------------------------------------------------------------------
# sites and servers
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shipped(tmp_path_factory.mktemp("shipped") / "out")


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kitchen(tmp_path_factory.mktemp("kitchen"))


@pytest.fixture(scope="module")
def bases(shipped: Path, kitchen: Path):
    with contextlib.ExitStack() as stack:
        yield {"shipped": stack.enter_context(tools.static_server(shipped, "/cchc/")),
               "kitchen": stack.enter_context(tools.static_server(kitchen, "/cchc/"))}


@pytest.fixture
def open_page(browser):
    """Factory: a page in a fresh context of the given width (``bypass_csp`` for axe, whose
    injected script the pages' CSP would block)."""
    contexts = []

    def _open(url: str, width: int = 1280, bypass_csp: bool = False, wait_search: bool = False):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN",
                                      bypass_csp=bypass_csp)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        if wait_search:
            page.wait_for_selector("#ket-qua-tim-kiem[data-state=done]", state="attached")
        return page

    yield _open
    for context in contexts:
        context.close()


def first(out: Path, pattern: str) -> str:
    found = sorted(p.parent.relative_to(out).as_posix() + "/" for p in out.glob(pattern))
    assert found, pattern
    return found[0]


def shipped_pages(out: Path) -> dict[str, str]:
    return {
        "trang-chu": "",
        "bai-viet": first(out, "tin-tuc/*/*/*/index.html"),
        "chuyen-muc": first(out, "chuyen-muc/*/index.html"),
        "tin-theo-thang": first(out, "tin-tuc/*/*/index.html"),
        "tin-theo-nam": first(out, "tin-tuc/*/index.html"),
        "the": first(out, "the/*/index.html"),
        "thu-tuc": first(out, "thu-tuc-hanh-chinh/[0-9]*/index.html"),
        "danh-muc-thu-tuc": "thu-tuc-hanh-chinh/",
        "linh-vuc": first(out, "thu-tuc-hanh-chinh/[a-z]*/index.html"),
        "tim-kiem": "tim-kiem/?q=thu+tuc+xay+dung",
        "thong-ke": "thong-ke/",
        "chi-so": "chi-so-cchc/",
        "trang": first(out, "gioi-thieu/index.html"),
        "404": "404.html",
    }


KITCHEN_PAGES = {
    "bai-co-bang": "tin-tuc/2021/08/bai-co-bang/",
    "trang-2": "trang/2/",
    "chuyen-muc-trang-2": "chuyen-muc/hoat-dong-cchc/trang/2/",
    "ban-nhap": "tin-tuc/2021/10/ban-nhap/",
    "thu-tuc": "thu-tuc-hanh-chinh/1.013225/",
    "danh-muc-thu-tuc": "thu-tuc-hanh-chinh/",
    "chi-so": "chi-so-cchc/",
    "thong-ke": "thong-ke/",
    "tim-kiem": "tim-kiem/?q=giay+phep",
}

SCREENSHOTS = {"trang-chu", "bai-viet", "danh-muc-thu-tuc", "thu-tuc", "tim-kiem", "thong-ke", "chi-so"}

CASES = ([("shipped", name) for name in ("trang-chu", "bai-viet", "chuyen-muc", "tin-theo-thang", "tin-theo-nam",
                                          "the", "thu-tuc", "danh-muc-thu-tuc", "linh-vuc", "tim-kiem", "thong-ke",
                                          "chi-so", "trang", "404")]
         + [("kitchen", name) for name in KITCHEN_PAGES])


# ---------------------------------------------------------------------------
# axe, overflow, screenshots
# ---------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("site, name", CASES)
def test_page_is_accessible_and_fits(open_page, bases, shipped, artifacts_dir, site, name, width) -> None:
    path = shipped_pages(shipped)[name] if site == "shipped" else KITCHEN_PAGES[name]
    page = open_page(bases[site] + path, width, bypass_csp=True, wait_search=name == "tim-kiem")
    assert page.evaluate("document.documentElement.lang") == "vi"
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{path}: page is {scroll_width}px wide at {width}px"
    if site == "shipped" and name in SCREENSHOTS:
        shot = artifacts_dir / f"readers-{name}-{width}x800.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
        if width == 360:
            full = artifacts_dir / f"readers-{name}-{width}-full.png"
            page.screenshot(path=str(full), full_page=True)
    violations = tools.run_axe(page)
    assert not violations, f"{path} at {width}px:\n" + tools.format_axe(violations)


@pytest.mark.browser
def test_wide_tables_scroll_inside_their_box_on_a_phone(open_page, bases) -> None:
    for path in ("tin-tuc/2021/08/bai-co-bang/", "thu-tuc-hanh-chinh/1.013225/"):
        page = open_page(bases["kitchen"] + path, 360)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('main .table-scroll')).map(b => ({
            scroll: b.scrollWidth, client: b.clientWidth, tab: b.tabIndex, role: b.getAttribute('role'),
            label: b.getAttribute('aria-label'), inside: b.getBoundingClientRect().right <= 360}))""")
        assert boxes, path
        assert all(b["inside"] and b["tab"] == 0 and b["role"] == "region" and b["label"] for b in boxes), boxes
        if path.startswith("tin-tuc"):
            # the Markdown table is wider than the phone: it scrolls in its box, not the page
            assert boxes[0]["scroll"] > boxes[0]["client"], boxes


# ---------------------------------------------------------------------------
# keyboard
# ---------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName, id: e.id, cls: e.className, text: (e.textContent || '').trim(),
                outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), top: e.getBoundingClientRect().top}; }""")


def tab_until(page, predicate, limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if predicate(info):
            return info
    raise AssertionError("element never received focus with Tab")


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_skip_link_is_first_and_moves_focus_to_main(open_page, bases, shipped, width) -> None:
    page = open_page(bases["shipped"] + shipped_pages(shipped)["bai-viet"], width)
    page.keyboard.press("Tab")
    info = focused(page)
    assert "skip-link" in info["cls"] and info["text"].startswith("Bỏ qua")
    assert info["top"] >= 0  # shown on screen when focused
    assert info["outline"] != "none" and info["outlineWidth"] >= 2  # visible focus
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "noi-dung"
    assert page.url.endswith("#noi-dung")
    # the next Tab goes into the content, not back to the menu
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('noi-dung').contains(document.activeElement)")


@pytest.mark.browser
def test_focus_is_visible_on_links_buttons_and_fields(open_page, bases) -> None:
    page = open_page(bases["kitchen"] + "thu-tuc-hanh-chinh/", 1280)
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        info = focused(page)
        if info["tag"] in ("A", "BUTTON", "INPUT"):
            seen.add(info["tag"])
            assert info["outline"] != "none" and info["outlineWidth"] >= 2, info
    assert {"A", "BUTTON", "INPUT"} <= seen


@pytest.mark.browser
def test_menu_button_works_with_the_keyboard_on_a_phone(open_page, bases) -> None:
    page = open_page(bases["shipped"], 360)
    menu = page.locator("#menu-chinh")
    assert not menu.is_visible()
    info = tab_until(page, lambda i: "menu-toggle" in i["cls"])
    assert info["outline"] != "none"
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert menu.is_visible()
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('menu-chinh').contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert not menu.is_visible()
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "false"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    # on a desktop the menu is simply shown, no button
    wide = open_page(bases["shipped"], 1280)
    assert wide.locator("#menu-chinh").is_visible() and not wide.locator(".menu-toggle").is_visible()


@pytest.mark.browser
def test_procedure_filter_by_keyboard_with_or_without_diacritics(open_page, bases) -> None:
    page = open_page(bases["kitchen"] + "thu-tuc-hanh-chinh/", 360)
    tab_until(page, lambda i: i["id"] == "loc-thu-tuc")

    def visible() -> list[str]:
        return page.evaluate("""() => Array.from(document.querySelectorAll('#ds-thu-tuc [data-search]'))
            .filter(li => li.offsetParent !== null).map(li => li.querySelector('a').textContent.trim())""")

    assert len(visible()) == 3
    for query, expected in [("giay phep", 2), ("giấy phép", 2), ("GIẤY PHÉP XÂY", 1), ("1.009999", 1),
                            ("nha chung cu", 1), ("không có", 0)]:
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(query)
        shown = visible()
        assert len(shown) == expected, (query, shown)
        status = page.inner_text("#loc-ket-qua")
        assert f"Có {expected} thủ tục" in status, (query, status)
    assert page.get_attribute("#loc-ket-qua", "role") == "status"
    # a field group with nothing left is hidden as a whole
    page.keyboard.press("Control+A")
    page.keyboard.type("1.009999")
    assert not page.locator("#lv-hoat-dong-xay-dung").is_visible()


# ---------------------------------------------------------------------------
# print
# ---------------------------------------------------------------------------

def after_content(page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r}), '::after').content")


def display(page, selector: str) -> str:
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).display")


@pytest.mark.browser
def test_print_hides_menus_and_shows_link_addresses(open_page, bases) -> None:
    base = bases["kitchen"]
    page = open_page(base + "tin-tuc/2021/08/bai-co-bang/")
    assert display(page, ".site-header") != "none"
    assert after_content(page, '.prose a[href^="https://dichvucong"]') in ("none", "normal")
    page.emulate_media(media="print")
    for selector in (".site-header", ".main-nav", ".breadcrumb", ".site-footer", ".post-nav", ".skip-link"):
        assert display(page, selector) == "none", selector
    assert "https://dichvucong.gov.vn/" in after_content(page, '.prose a[href^="https://dichvucong"]')
    internal = after_content(page, '.prose a[href="/cchc/tin-tuc/2021/08/"]')
    assert base + "tin-tuc/2021/08/" in internal  # the full address, not just the path
    assert after_content(page, ".prose a.footnote-ref") in ("none", "normal")  # no address for in-page links
    assert "ke-hoach.pdf" in after_content(page, ".attachments a")
    assert display(page, ".print-only") != "none"

    proc = open_page(base + "thu-tuc-hanh-chinh/1.013225/")
    proc.emulate_media(media="print")
    for selector in (".site-header", ".main-nav", ".breadcrumb", ".file-online"):
        assert display(proc, selector) == "none", selector
    assert "https://vbpl.vn/" in after_content(proc, '.procedure a[href^="https://vbpl"]')
    assert proc.evaluate("document.scrollingElement.scrollWidth") <= 1280


# ---------------------------------------------------------------------------
# Open Graph
# ---------------------------------------------------------------------------

class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("property", "").startswith(("og:", "article:")):
            self.meta[a["property"]] = a.get("content", "")
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href", "")


def head_of(path: Path) -> _Head:
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("which, base_url", [("shipped", "https://sxd.binhthuan.gov.vn/cchc/"),
                                             ("kitchen", "https://example.gov.vn/cchc/")])
def test_open_graph_on_every_page(request, which: str, base_url: str) -> None:
    out: Path = request.getfixturevalue(which)
    pages = html_files(out)
    assert len(pages) > 20
    for path in pages:
        head = head_of(path)
        rel = path.relative_to(out).as_posix()
        for key in ("og:title", "og:description", "og:image", "og:url", "og:type", "og:locale"):
            assert head.meta.get(key, "").strip(), (rel, key)
        assert head.meta["og:url"] == head.canonical, rel
        expected_url = base_url + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        assert head.canonical == expected_url, rel
        image = head.meta["og:image"]
        assert image.startswith(base_url), (rel, image)
        assert (out / image[len(base_url):]).is_file(), (rel, image)
    post = head_of(out / "tin-tuc/2021/08/bai-co-bang/index.html") if which == "kitchen" else None
    if post:
        assert post.meta["og:image"] == base_url + "static/anh.png"
        assert post.meta["og:type"] == "article" and post.meta["article:published_time"].startswith("2021-08-10")
        assert post.meta["og:title"] == "Bài có bảng rộng và chú thích"


# ---------------------------------------------------------------------------
# index rankings (/chi-so-cchc/)
# ---------------------------------------------------------------------------

def test_shipped_index_data_cites_a_source_for_every_value() -> None:
    path = tools.REPO_ROOT / "content" / "data" / "chi-so.yaml"
    entries, errors = parse_indices(path.read_text(encoding="utf-8"), "content/data/chi-so.yaml")
    assert not errors
    assert entries, "the shipped file has at least one sourced value"
    for e in entries:
        assert re.match(r"https://[^/\s]+\.[a-z]{2,}/\S+", e.source), e
        assert e.rank is not None or e.score is not None, e


def test_shipped_index_page_links_every_source(shipped: Path) -> None:
    html = (shipped / "chi-so-cchc/index.html").read_text(encoding="utf-8")
    path = tools.REPO_ROOT / "content" / "data" / "chi-so.yaml"
    entries, _ = parse_indices(path.read_text(encoding="utf-8"), "content/data/chi-so.yaml")
    for e in entries:
        assert f'href="{e.source}"' in html.replace("&amp;", "&")


def test_index_page_has_a_table_per_index_and_a_chart(kitchen: Path) -> None:
    html = (kitchen / "chi-so-cchc/index.html").read_text(encoding="utf-8")
    captions = re.findall(r"<caption>(.*?)</caption>", html)
    assert captions == ["PAR INDEX qua các năm", "SIPAS qua các năm"]
    svg = re.search(r"<svg[^>]*bieu-do-xep-hang.*?</svg>", html, re.S)
    assert svg, "rank chart"
    chart = svg.group(0)
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert "PAR INDEX: năm 2019 hạng 30, năm 2020 hạng 25" in chart
    assert "SIPAS: năm 2020 hạng 40, năm 2021 hạng 12" in chart
    for rank in (30, 25, 40, 12):  # every point labelled with its rank, as text
        assert re.search(rf">{rank}</text>", chart), rank
    assert 'class="chart-scroll" role="region"' in html and 'tabindex="0"' in html
    assert "số liệu thử" in html  # notes are shown


def test_rank_chart_is_readable_without_colour() -> None:
    svg = str(rank_chart("Thứ hạng", [("A", [(2018, 5), (2019, 3), (2022, 9)]), ("B", [(2018, 40), (2019, 41)]),
                                      ("C", [(2020, 20)])]))
    lines = re.findall(r'<polyline points="([^"]+)"[^>]*?(?: stroke-dasharray="([^"]+)")?/>', svg)
    assert len(lines) == 2  # C has one point: a marker, no line
    assert lines[0][1] != lines[1][1]  # different dash patterns
    assert len(set(RANK_DASHES)) == len(RANK_DASHES)
    # three different marker shapes: circle, square, triangle (path)
    assert "<circle" in svg and "<rect x=" in svg and "Z\" fill=" in svg
    # years are placed by value: 2019 -> 2022 is three times 2018 -> 2019
    xs = [float(p.split(",")[0]) for p in lines[0][0].split()]
    assert abs((xs[2] - xs[1]) - 3 * (xs[1] - xs[0])) < 0.5
    # rank 1 is at the top: rank 3 above rank 5
    ys = [float(p.split(",")[1]) for p in lines[0][0].split()]
    assert ys[1] < ys[0] < ys[2]
    assert str(rank_chart("x", [])) == ""
