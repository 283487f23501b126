"""End-to-end tests of ``cchc-site build`` (issue 2, "Done when"): real small sites in
``tmp_path``, built with the CLI, and the produced HTML/XML parsed.

The helpers at the top (``build``, ``url_file``, ``link_problems`` ...) are reused by
tests/test_procedures.py.
"""
from __future__ import annotations

import email.utils
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitekit import MINIMAL_CONFIG, CliResult, ParsedPage, parse_html, post, run_cli, write_site

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2021-12-31"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

# ---------------------------------------------------------------------------
# helpers


def build(site: Path, *args: str, out: Path | None = None, as_of: str | None = AS_OF) -> tuple[CliResult, Path]:
    """Run ``cchc-site build`` on ``site`` into ``out`` (default ``site/out``)."""
    out = out or site / "out"
    extra = ["--as-of", as_of] if as_of else []
    result = run_cli("build", "--site", site, "--output", out, *extra, *args)
    return result, out


def built(site: Path, *args: str, out: Path | None = None, as_of: str | None = AS_OF) -> Path:
    result, out = build(site, *args, out=out, as_of=as_of)
    assert result.code == 0, result.err + result.out
    return out


def url_file(out: Path, url: str) -> Path:
    """Output file of a site path (``/x/`` -> ``x/index.html``)."""
    rel = url.lstrip("/")
    return out / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def page(out: Path, url: str) -> ParsedPage:
    path = url_file(out, url)
    assert path.is_file(), f"{url} missing ({path})"
    return parse_html(path)


def listing_text(out: Path, url: str) -> str:
    """Main text of a paginated list: ``url`` and its ``trang/N/`` pages."""
    texts, n = [page(out, url).main_text], 2
    while url_file(out, f"{url}trang/{n}/").is_file():
        texts.append(page(out, f"{url}trang/{n}/").main_text)
        n += 1
    return " ".join(texts)


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def site_url(out: Path, file: Path) -> str:
    rel = file.relative_to(out).as_posix()
    if rel == "index.html":
        return "/"
    return "/" + rel[: -len("index.html")] if rel.endswith("/index.html") else "/" + rel


def all_text(out: Path) -> dict[str, str]:
    """Every text file of the output (HTML, XML, JSON, CSV, JS, TXT) by relative path."""
    texts = {}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".csv", ".txt", ".js"):
            texts[path.relative_to(out).as_posix()] = path.read_text(encoding="utf-8-sig")
    return texts


def link_problems(out: Path, base_url: str) -> list[str]:
    """Every internal href/src of every HTML file must name a file of the output.

    Site links must start with the base path (``/cchc/``), which is stripped; absolute
    links to the site itself (canonical, og:url) are checked too; ``#fragment`` targets
    must be ids of the target page.  External links are not followed.
    """
    base = urlsplit(base_url)
    base_path = base.path or "/"
    pages: dict[Path, ParsedPage] = {}

    def parsed(path: Path) -> ParsedPage:
        if path not in pages:
            pages[path] = parse_html(path)
        return pages[path]

    problems: list[str] = []
    for file in html_files(out):
        doc = parsed(file)
        for link in [*doc.links, *doc.sources]:
            where = f"{file.relative_to(out)}: {link!r}"
            if link.startswith(("mailto:", "tel:", "data:")):
                continue
            if link.startswith("#"):
                if link[1:] and unquote(link[1:]) not in doc.ids:
                    problems.append(f"{where}: no id {link}")
                continue
            parts = urlsplit(link)
            if parts.scheme in ("http", "https") or link.startswith("//"):
                if parts.netloc != base.netloc:
                    continue  # external
                if not parts.path.startswith(base_path):
                    problems.append(f"{where}: absolute link outside {base_url}")
                    continue
            elif parts.scheme:
                problems.append(f"{where}: unexpected scheme")
                continue
            if not parts.path.startswith("/"):
                problems.append(f"{where}: relative link (breaks under a subpath)")
                continue
            if not parts.path.startswith(base_path):
                problems.append(f"{where}: not under the base path {base_path}")
                continue
            rel = unquote(parts.path[len(base_path):])
            target = out / rel
            if rel == "" or rel.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{where}: {target.relative_to(out)} does not exist")
                continue
            if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parsed(target).ids:
                problems.append(f"{where}: no id #{parts.fragment} in {target.relative_to(out)}")
    return problems


def rss_items(out: Path) -> list[ET.Element]:
    root = ET.parse(out / "rss.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel.findall("item")


def sitemap_entries(out: Path) -> dict[str, str | None]:
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    entries = {}
    for url in root.findall(f"{SM}url"):
        loc = url.findtext(f"{SM}loc")
        assert loc
        entries[loc] = url.findtext(f"{SM}lastmod")
    return entries


# ---------------------------------------------------------------------------
# the small site

CONFIG = MINIMAL_CONFIG + """\
posts_per_page: 5
fields: ["Hoạt động xây dựng", "Nhà ở"]
portals:
  provincial: "https://dichvucong.binhthuan.gov.vn/"
quota:
  start: "2021-08"
  end: "2021-12"
  min_posts: 1
"""

XSS = "<script>alert(1)</script>"
PROCEDURE = """\
---
code: "1.013225"
title: "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV"
field: "Hoạt động xây dựng"
online: "toàn trình"
channels:
  - method: trực tuyến
    time: "10 ngày làm việc"
---
"""


def small_site_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "content/posts/2021/07/Đẩy mạnh cải cách hành chính năm 2021.md": post(
            "Đẩy mạnh cải cách hành chính năm 2021", "28/07/2021",
            "Kế hoạch tuyên truyền.\n\n## Nội dung chủ yếu của kế hoạch\n\n"
            "Tải [kế hoạch](/static/van-ban/ke-hoach.pdf), xem [tin tháng 8](/tin-tuc/2021/08/tin-08-1/), "
            "[thủ tục](tthc:1.013225), [mục](#noi-dung-chu-yeu-cua-ke-hoach) và [trang](/gioi-thieu/).\n\n"
            "Ghi chú[^1].\n\n[^1]: Nguồn: Sở.\n",
            category="Văn bản chỉ đạo, điều hành", tags=["Kế hoạch", "Tuyên truyền"]),
        "content/posts/2021/08/xss.md": post(XSS, "2021-08-20 09:00", "Tiêu đề có mã.", category="hoat-dong-cchc"),
        "content/posts/2021/12/nhap.md": post("Bài nháp chưa duyệt", "2021-12-01", draft=True),
        "content/posts/2022/01/tuong-lai.md": post("Bài hẹn ngày đăng", "2022-01-05"),
        "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\n\nVề chuyên mục.\n",
        "content/static/van-ban/ke-hoach.pdf": b"%PDF-1.4 test",
        "content/procedures/hoat-dong-xay-dung/1.013225.md": PROCEDURE,
    }
    # 22 more posts, Aug..Dec, so that lists paginate and the feed is capped at 20
    for month in range(8, 13):
        for n in range(1, 5 if month != 12 else 7):
            files[f"content/posts/2021/{month:02d}/tin-{month:02d}-{n}.md"] = post(
                f"Tin tháng {month} số {n}", f"2021-{month:02d}-{n + 1:02d} 08:00",
                f"Đoạn đầu của tin {month}-{n}.",
                category="Hoạt động cải cách hành chính" if n % 2 else "van-ban-chi-dao",
                tags=["Một cửa"] if n <= 2 else [])
    return files


PUBLISHED = 1 + 1 + 4 * 4 + 6  # 24 posts visible as of 2021-12-31


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_site(tmp_path_factory.mktemp("small"), small_site_files(), CONFIG)
    built(site)
    return site


@pytest.fixture(scope="module")
def out(small: Path) -> Path:
    return small / "out"


# ---------------------------------------------------------------------------
# URL map

URL_MAP = [
    "/", "/trang/2/", "/trang/5/",
    "/tin-tuc/2021/07/day-manh-cai-cach-hanh-chinh-nam-2021/", "/tin-tuc/2021/08/tin-08-1/",
    "/tin-tuc/2021/07/", "/tin-tuc/2021/08/", "/tin-tuc/2021/12/", "/tin-tuc/2021/", "/tin-tuc/",
    "/chuyen-muc/", "/chuyen-muc/hoat-dong-cchc/", "/chuyen-muc/hoat-dong-cchc/trang/2/",
    "/chuyen-muc/van-ban-chi-dao/", "/the/", "/the/mot-cua/", "/the/mot-cua/trang/2/", "/the/ke-hoach/",
    "/gioi-thieu/", "/thu-tuc-hanh-chinh/", "/thu-tuc-hanh-chinh/hoat-dong-xay-dung/",
    "/thu-tuc-hanh-chinh/1.013225/", "/thu-tuc-hanh-chinh/index.json", "/thu-tuc-hanh-chinh/danh-sach.csv",
    "/thong-ke/", "/chi-so-cchc/", "/tim-kiem/", "/rss.xml", "/sitemap.xml", "/404.html", "/robots.txt",
    "/assets/style.css", "/assets/site.js", "/static/van-ban/ke-hoach.pdf",
]


def test_summary_line_and_exit_code(small: Path) -> None:
    result, out = build(small, out=small / "again")
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    assert len(lines) == 1, result.out
    assert re.search(r"\d+ trang", lines[0]) and "giây" in lines[0]
    assert result.err == ""


@pytest.mark.parametrize("url", URL_MAP)
def test_every_url_of_the_map_exists(out: Path, url: str) -> None:
    assert url_file(out, url).is_file(), url


def test_no_pages_beyond_the_last(out: Path) -> None:
    assert not url_file(out, "/trang/6/").exists()  # 24 posts / 5 per page = 5 pages
    assert not url_file(out, "/trang/1/").exists()  # page 1 is "/"


def test_every_page_is_a_folder_with_index_html(out: Path) -> None:
    for file in html_files(out):
        assert file.name == "index.html" or file.relative_to(out).as_posix() == "404.html", file


def test_404_page_is_self_contained_under_subpath(out: Path) -> None:
    # 404.html is served at any depth: its links must be absolute site paths.
    doc = page(out, "/404.html")
    assert doc.links and all(link.startswith(("/cchc/", "https://", "#")) for link in doc.links), doc.links


# ---------------------------------------------------------------------------
# posts, dates, lists


def test_post_page(out: Path) -> None:
    doc = page(out, "/tin-tuc/2021/07/day-manh-cai-cach-hanh-chinh-nam-2021/")
    assert doc.lang == "vi"
    assert "Đẩy mạnh cải cách hành chính năm 2021" in doc.title
    assert "Thứ Tư, 28/07/2021" in doc.main_text
    assert "/cchc/chuyen-muc/van-ban-chi-dao/" in doc.links
    assert "/cchc/the/ke-hoach/" in doc.links and "/cchc/the/tuyen-truyen/" in doc.links
    assert "Content-Security-Policy" in doc.meta and "'self'" in doc.meta["Content-Security-Policy"]
    # heading anchors, footnotes
    assert "noi-dung-chu-yeu-cua-ke-hoach" in doc.ids and "fn:1" in doc.ids
    # breadcrumb: home, news, month
    assert "/cchc/tin-tuc/2021/07/" in doc.links


def test_heading_ids_are_ascii(out: Path) -> None:
    for file in html_files(out):
        for ident in parse_html(file).ids:
            assert re.fullmatch(r"[A-Za-z0-9_:.-]+", ident), (file, ident)


def test_static_links_rewritten_under_subpath(out: Path) -> None:
    doc = page(out, "/tin-tuc/2021/07/day-manh-cai-cach-hanh-chinh-nam-2021/")
    assert "/cchc/static/van-ban/ke-hoach.pdf" in doc.links
    assert "/cchc/tin-tuc/2021/08/tin-08-1/" in doc.links
    assert "/cchc/thu-tuc-hanh-chinh/1.013225/" in doc.links
    assert not any(link.startswith(("/static/", "/tin-tuc/", "tthc:")) for link in doc.links)


def test_home_pagination(out: Path) -> None:
    home, second, last = page(out, "/"), page(out, "/trang/2/"), page(out, "/trang/5/")
    assert "Tin tháng 12 số 6" in home.main_text  # newest first
    assert "/cchc/trang/2/" in home.links
    assert "/cchc/" in second.links and "/cchc/trang/3/" in second.links
    assert "Đẩy mạnh cải cách hành chính năm 2021" in last.main_text  # the oldest, on the last page
    titles = lambda doc: set(re.findall(r"Tin tháng \d+ số \d", doc.main_text))  # noqa: E731
    assert len(titles(home)) == 5 and not titles(home) & titles(second)


def test_month_year_and_all_months_archives_with_counts(out: Path) -> None:
    months = page(out, "/tin-tuc/")
    assert "Tháng 12/2021 (6 bài)" in months.main_text
    assert "Tháng 08/2021 (5 bài)" in months.main_text  # 4 + the <script> one
    assert "Tháng 07/2021 (1 bài)" in months.main_text
    assert "Năm 2021 (24 bài)" in months.main_text
    year = page(out, "/tin-tuc/2021/")
    for m in range(7, 13):
        assert f"/cchc/tin-tuc/2021/{m:02d}/" in year.links
    aug = page(out, "/tin-tuc/2021/08/")
    assert "Tin tháng 8 số 1" in aug.main_text and "Tin tháng 9" not in aug.main_text


def test_category_by_name_or_slug_and_tag_pages(out: Path) -> None:
    cat = listing_text(out, "/chuyen-muc/van-ban-chi-dao/")
    # "Văn bản chỉ đạo, điều hành" by name (July post) and "van-ban-chi-dao" by slug (even-numbered posts)
    assert "Đẩy mạnh cải cách hành chính năm 2021" in cat and "Tin tháng 8 số 2" in cat
    assert "Tin tháng 8 số 1" not in cat
    act = page(out, "/chuyen-muc/hoat-dong-cchc/")
    assert "Tin tháng 12 số 5" in act.main_text and "/cchc/chuyen-muc/hoat-dong-cchc/trang/2/" in act.links
    tag = page(out, "/the/mot-cua/")
    assert "Tin tháng 12 số 1" in tag.main_text and "Tin tháng 12 số 3" not in tag.main_text
    terms = page(out, "/chuyen-muc/")
    assert "/cchc/chuyen-muc/hoat-dong-cchc/" in terms.links


# ---------------------------------------------------------------------------
# feed and sitemap


def test_feed_is_rss2_with_20_newest_absolute_items(out: Path) -> None:
    root = ET.parse(out / "rss.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") and channel.findtext("description")
    assert channel.findtext("link") == "https://example.gov.vn/cchc/"
    items = rss_items(out)
    assert len(items) == 20
    dates = [email.utils.parsedate_to_datetime(i.findtext("pubDate") or "") for i in items]
    assert dates == sorted(dates, reverse=True)
    assert items[0].findtext("title") == "Tin tháng 12 số 6"
    for item in items:
        link = item.findtext("link") or ""
        assert item.findtext("title") and link.startswith("https://example.gov.vn/cchc/tin-tuc/")
        assert item.findtext("guid") == link
        assert url_file(out, link[len("https://example.gov.vn/cchc"):]).is_file()
    # the oldest posts fall off the 20-item feed
    assert "Đẩy mạnh" not in (out / "rss.xml").read_text(encoding="utf-8")


def test_sitemap_lists_every_html_page_with_lastmod_and_nothing_else(out: Path) -> None:
    entries = sitemap_entries(out)
    expected = {"https://example.gov.vn/cchc" + site_url(out, f) for f in html_files(out)
                if f.name != "404.html"}
    assert set(entries) == expected
    for loc, lastmod in entries.items():
        assert lastmod, f"{loc} has no lastmod"
        datetime.fromisoformat(lastmod)
    assert not any(loc.endswith((".xml", ".json", ".csv", ".pdf", ".css", ".js")) for loc in entries)


def test_robots_points_to_sitemap(out: Path) -> None:
    assert "Sitemap: https://example.gov.vn/cchc/sitemap.xml" in (out / "robots.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# links under every base URL


def test_internal_links_resolve_with_configured_subpath(out: Path) -> None:
    assert link_problems(out, "https://example.gov.vn/cchc/") == []


@pytest.mark.parametrize("base_url", ["https://x.gov.vn/cchc/", "https://x.gov.vn/", "https://x.gov.vn/so/cchc/"])
def test_internal_links_resolve_with_base_url_option(small: Path, tmp_path: Path, base_url: str) -> None:
    out = built(small, "--base-url", base_url, out=tmp_path / "out")
    assert link_problems(out, base_url) == []
    home = page(out, "/")
    canonical = [link for link in home.links if link.startswith("https://")]
    assert base_url in canonical  # <link rel="canonical">
    path = urlsplit(base_url).path
    doc = page(out, "/tin-tuc/2021/07/day-manh-cai-cach-hanh-chinh-nam-2021/")
    assert f"{path}static/van-ban/ke-hoach.pdf" in doc.links
    assert all(i.findtext("link", "").startswith(base_url) for i in rss_items(out))
    assert all(loc.startswith(base_url) for loc in sitemap_entries(out))


def test_link_checker_catches_broken_links(out: Path, tmp_path: Path) -> None:
    """The checker above is honest: a copy of the output with a broken link fails it."""
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "static" / "van-ban" / "ke-hoach.pdf").unlink()
    problems = link_problems(copy, "https://example.gov.vn/cchc/")
    assert any("ke-hoach.pdf" in p for p in problems)
    assert link_problems(out, "https://example.gov.vn/") != []  # wrong base path: everything is outside


# ---------------------------------------------------------------------------
# escaping, drafts, future posts


def test_script_title_is_text(out: Path) -> None:
    doc = page(out, "/tin-tuc/2021/08/xss/")
    assert XSS in doc.title and XSS in doc.main_text  # shown as text...
    for rel, text in all_text(out).items():
        if rel.endswith((".html", ".xml")):
            assert "<script>alert" not in text, rel  # ...never as markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in url_file(out, "/tin-tuc/2021/08/xss/").read_text(encoding="utf-8")
    assert any(i.findtext("title") == XSS for i in rss_items(out))


def _mentions(out: Path, needle: str) -> list[str]:
    return [rel for rel, text in all_text(out).items() if needle in text]


def test_drafts_and_future_posts_absent_everywhere(out: Path) -> None:
    for needle in ("Bài nháp chưa duyệt", "nhap/", "Bài hẹn ngày đăng", "tuong-lai", "2022"):
        assert _mentions(out, needle) == [], needle
    assert not (out / "tin-tuc" / "2021" / "12" / "nhap").exists()
    assert not (out / "tin-tuc" / "2022").exists()


def test_drafts_included_with_drafts_option(small: Path, tmp_path: Path) -> None:
    out = built(small, "--drafts", out=tmp_path / "out")
    doc = page(out, "/tin-tuc/2021/12/nhap/")
    assert "Bài nháp chưa duyệt" in doc.main_text and "Bản nháp" in doc.main_text
    assert "Bài nháp chưa duyệt" in listing_text(out, "/tin-tuc/2021/12/")
    assert "Bài nháp chưa duyệt" in listing_text(out, "/")
    assert "https://example.gov.vn/cchc/tin-tuc/2021/12/nhap/" in sitemap_entries(out)
    assert "Tháng 12/2021 (7 bài)" in page(out, "/tin-tuc/").main_text
    assert not (out / "tin-tuc" / "2022").exists()  # --drafts does not show future posts
    # The feed is for subscribers: a preview build never puts drafts there.
    assert all(i.findtext("title") != "Bài nháp chưa duyệt" for i in rss_items(out))
    assert link_problems(out, "https://example.gov.vn/cchc/") == []


def test_future_included_with_future_option(small: Path, tmp_path: Path) -> None:
    out = built(small, "--future", out=tmp_path / "out")
    doc = page(out, "/tin-tuc/2022/01/tuong-lai/")
    assert "Bài hẹn ngày đăng" in doc.main_text and "Chưa đến ngày đăng" in page(out, "/").main_text
    assert "https://example.gov.vn/cchc/tin-tuc/2022/01/tuong-lai/" in sitemap_entries(out)
    assert url_file(out, "/tin-tuc/2022/").is_file()
    assert not (out / "tin-tuc" / "2021" / "12" / "nhap").exists()
    assert link_problems(out, "https://example.gov.vn/cchc/") == []


def test_as_of_makes_future_deterministic(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {
        "content/posts/a.md": post("Bài ngày 10", "2021-10-10 08:00"),
        "content/posts/b.md": post("Bài ngày 9", "2021-10-09"),
    })
    before = built(site, out=tmp_path / "o1", as_of="2021-10-09")
    assert not url_file(before, "/tin-tuc/2021/10/a/").exists() and url_file(before, "/tin-tuc/2021/10/b/").is_file()
    assert "Bài ngày 10" not in (before / "rss.xml").read_text(encoding="utf-8")
    on_the_day = built(site, out=tmp_path / "o2", as_of="2021-10-10")
    assert url_file(on_the_day, "/tin-tuc/2021/10/a/").is_file()
    # the same --as-of gives the same bytes
    again = built(site, out=tmp_path / "o3", as_of="2021-10-10")
    for rel in ("index.html", "rss.xml", "sitemap.xml", "tin-tuc/index.html"):
        assert (again / rel).read_bytes() == (on_the_day / rel).read_bytes(), rel


# ---------------------------------------------------------------------------
# errors


def test_bad_files_all_reported_with_file_and_line_and_output_untouched(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {
        "content/posts/tot.md": post("Bài tốt", "2021-08-02"),
        "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\nVề chúng tôi.\n",
    })
    out = built(site, out=tmp_path / "out")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    (site / "content/posts/a.md").write_text(post("A", "2021-02-30"), encoding="utf-8")  # line 3
    (site / "content/posts/b.md").write_text("---\ntitle: B\ndate: 2021-08-03\ncatgory: x\n---\n", encoding="utf-8")
    (site / "content/posts/c.md").write_text("---\ntitle: C: phụ\ndate: 2021-08-03\n---\n", encoding="utf-8")
    (site / "content/posts/d.md").write_text(post("D", "2021-08-04", "Đoạn.\n\n[x](/tin-tuc/khong-co/)"),
                                             encoding="utf-8")
    (site / "content/pages/e.md").write_text("---\nslug: e\n---\n", encoding="utf-8")
    result, _ = build(site, out=out)
    assert result.code == 1
    err = result.err
    assert "Traceback" not in err and "Traceback" not in result.out
    expected = [
        "content/posts/a.md:3: E005",
        "content/posts/b.md:4: E007",
        "content/posts/c.md:2: E002",
        "content/pages/e.md:1: E004",
    ]
    for line in expected:
        assert line in err, f"{line!r} not in:\n{err}"
    assert "'category'" in err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # output untouched

    # with the front matter fixed, the link error shows (file, line, link)
    for name in ("a", "b", "c"):
        (site / f"content/posts/{name}.md").unlink()
    (site / "content/pages/e.md").unlink()
    result, _ = build(site, out=out)
    assert result.code == 1
    assert re.search(r"content/posts/d\.md:8: E016 .*/tin-tuc/khong-co/", result.err), result.err


def test_link_to_missing_page_or_file_names_file_line_and_link(tmp_path: Path) -> None:
    body = "Đoạn một.\n\nĐoạn hai có [tệp](/static/khong-co.pdf).\n\n[bài](/tin-tuc/2021/08/khong-co/)\n"
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("X", "2021-08-02", body)})
    result, _ = build(site)
    assert result.code == 1
    # the body starts on line 6 of the file (after 4 front matter lines and a blank line)
    assert "content/posts/x.md:8: E016" in result.err and "/static/khong-co.pdf" in result.err
    assert "content/posts/x.md:10: E016" in result.err and "/tin-tuc/2021/08/khong-co/" in result.err
    assert not (site / "out").exists()


def test_links_to_existing_pages_in_all_spellings_pass(tmp_path: Path) -> None:
    body = ("[a](/tin-tuc/2021/08/y/) [b](/tin-tuc/2021/08/y) [c](/tin-tuc/2021/08/y/index.html) "
            "[d](/tin-tuc/2021/08/y/#muc) [e](/) [f](/rss.xml) [g](/thu-tuc-hanh-chinh/) [h](/static/t%E1%BB%87p.pdf)")
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("X", "2021-08-02", body),
                                       "content/posts/y.md": post("Y", "2021-08-03", "## Mục\n"),
                                       "content/static/tệp.pdf": b"%PDF"})
    result, out = build(site)
    assert result.code == 0, result.err
    assert "/cchc/tin-tuc/2021/08/y/" in page(out, "/tin-tuc/2021/08/x/").links


@pytest.mark.parametrize("config, key, suggestion", [
    (MINIMAL_CONFIG + "catgory: x\n", "catgory", "categories"),
    (MINIMAL_CONFIG + "tittle: x\n", "tittle", "title"),
])
def test_unknown_site_yaml_key(tmp_path: Path, config: str, key: str, suggestion: str) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("X", "2021-08-02")}, config)
    result, _ = build(site)
    assert result.code == 1
    line = len(config.splitlines())
    assert f"site.yaml:{line}: E040" in result.err
    assert f"'{key}'" in result.err and f"'{suggestion}'" in result.err


def test_unknown_front_matter_key(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("X", "2021-08-02", catgory="Một cửa")})
    result, _ = build(site)
    assert result.code == 1
    assert "content/posts/x.md:4: E007" in result.err
    assert "'catgory'" in result.err and "'category'" in result.err


def test_unknown_category(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("X", "2021-08-02", category="Tin khác")})
    result, _ = build(site)
    assert result.code == 1
    assert "content/posts/x.md:4: E008" in result.err and "Hoạt động cải cách hành chính" in result.err


def test_duplicate_url_names_both_files(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {
        "content/posts/2021/08/hop-giao-ban.md": post("A", "2021-08-02"),
        "content/posts/cu/hop-giao-ban.md": post("B", "2021-08-30"),
    })
    result, _ = build(site)
    assert result.code == 1
    assert "content/posts/2021/08/hop-giao-ban.md" in result.err and "content/posts/cu/hop-giao-ban.md" in result.err
    assert result.err.count("E010") == 2 and "/tin-tuc/2021/08/hop-giao-ban/" in result.err


def test_slug_from_vietnamese_file_name(out: Path) -> None:
    assert url_file(out, "/tin-tuc/2021/07/day-manh-cai-cach-hanh-chinh-nam-2021/").is_file()


# ---------------------------------------------------------------------------
# themes


def test_site_without_templates_uses_default_theme(out: Path, small: Path) -> None:
    assert not (small / "templates").exists()
    assert (out / "assets" / "style.css").read_bytes() == (REPO / "cchc_site/theme/assets/style.css").read_bytes()
    assert "/cchc/assets/style.css" in page(out, "/").links


def test_site_template_overrides_only_that_file(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {
        "content/posts/x.md": post("Bài X", "2021-08-02"),
        "templates/post.html": ('{% extends "base.html" %}{% block content %}'
                                '<p class="rieng">MẪU RIÊNG: {{ post.title }}</p>{{ content }}{% endblock %}'),
        "templates/assets/style.css": "body { color: #123456; }\n",
    })
    out = built(site)
    assert "MẪU RIÊNG: Bài X" in page(out, "/tin-tuc/2021/08/x/").main_text
    assert "MẪU RIÊNG" not in page(out, "/").main_text  # the home page keeps the default theme
    assert "Menu chính" in url_file(out, "/tin-tuc/2021/08/x/").read_text(encoding="utf-8")  # default base.html
    assert (out / "assets" / "style.css").read_text(encoding="utf-8") == "body { color: #123456; }\n"
    assert (out / "assets" / "site.js").is_file()  # other assets still from the theme


def test_template_error_names_template_file_and_line(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {
        "content/posts/x.md": post("Bài X", "2021-08-02"),
        "templates/post.html": '{% extends "base.html" %}\n{% block content %}\n{{ post.khong_co }}\n{% endblock %}\n',
    })
    result, _ = build(site)
    assert result.code == 1
    assert "templates/post.html:3: E031" in result.err, result.err


# ---------------------------------------------------------------------------
# CLI


def test_python_dash_m(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("Bài X", "2021-08-02")})
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "cchc_site", "build", "--site", str(site), "--output",
                           str(tmp_path / "out"), "--as-of", AS_OF], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1
    assert (tmp_path / "out" / "tin-tuc" / "2021" / "08" / "x" / "index.html").is_file()
    proc = subprocess.run([sys.executable, "-m", "cchc_site", "build", "--khong-co"], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=120)
    assert proc.returncode == 2


@pytest.mark.parametrize("args", [
    [], ["build", "--khong-co"], ["lam-gi-do"], ["build", "--as-of", "31/12/2021"],
    ["build", "--site", "/khong/co/thu/muc/nay"], ["build", "--base-url", "sxd.binhthuan.gov.vn/cchc"],
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("Bài X", "2021-08-02")})
    if args[:1] == ["build"] and "--site" not in args:
        args = [*args, "--site", str(site), "--output", str(tmp_path / "out")]
    result = run_cli(*args)
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_default_site_is_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "s", {"content/posts/x.md": post("Bài X", "2021-08-02")})
    monkeypatch.chdir(site)
    result = run_cli("build", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert (site / "output" / "tin-tuc" / "2021" / "08" / "x" / "index.html").is_file()


# ---------------------------------------------------------------------------
# the shipped site (this repository)

SHIPPED_URLS = [
    "/", "/trang/2/", "/tin-tuc/", "/tin-tuc/2021/", "/tin-tuc/2021/07/", "/tin-tuc/2021/08/", "/tin-tuc/2021/12/",
    "/chuyen-muc/", "/the/", "/gioi-thieu/", "/thu-tuc-hanh-chinh/", "/thu-tuc-hanh-chinh/hoat-dong-xay-dung/",
    "/thu-tuc-hanh-chinh/1.013225/", "/thu-tuc-hanh-chinh/1.013227/", "/thu-tuc-hanh-chinh/1.013228/",
    "/thu-tuc-hanh-chinh/1.013229/", "/thu-tuc-hanh-chinh/1.013232/", "/thu-tuc-hanh-chinh/index.json",
    "/thu-tuc-hanh-chinh/danh-sach.csv", "/thong-ke/", "/chi-so-cchc/", "/tim-kiem/", "/rss.xml",
    "/sitemap.xml", "/404.html", "/robots.txt", "/assets/style.css",
]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The repository's own site, copied (so the build writes no cache into the repo) and built
    with the README's command (no --as-of: the real clock)."""
    root = tmp_path_factory.mktemp("shipped")
    site = root / "site"
    site.mkdir()
    shutil.copy2(REPO / "site.yaml", site / "site.yaml")
    for folder in ("content", "templates"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    out = built(site, out=root / "output", as_of=None)
    text = (REPO / "site.yaml").read_text(encoding="utf-8")
    base_url = re.search(r'^base_url:\s*"?([^"\s]+)"?', text, re.M).group(1)  # type: ignore[union-attr]
    return out, base_url


@pytest.mark.parametrize("url", SHIPPED_URLS)
def test_shipped_site_has_every_url(shipped: tuple[Path, str], url: str) -> None:
    out, _ = shipped
    assert url_file(out, url).is_file(), url


def test_shipped_site_months_and_categories(shipped: tuple[Path, str]) -> None:
    out, _ = shipped
    plan = page(out, "/tin-tuc/2021/07/")
    assert "Thứ Tư, 28/07/2021" in plan.main_text and "2477" in plan.main_text
    months = page(out, "/tin-tuc/").main_text
    for month in range(8, 13):
        count = re.search(rf"Tháng {month:02d}/2021 \((\d+) bài\)", months)
        assert count and int(count.group(1)) >= 2, month
    for file in (out / "chuyen-muc").glob("*/index.html"):
        assert parse_html(file).main_text


def test_shipped_site_links_feed_sitemap(shipped: tuple[Path, str]) -> None:
    out, base_url = shipped
    assert link_problems(out, base_url) == []
    items = rss_items(out)
    assert 1 <= len(items) <= 20
    assert all((i.findtext("link") or "").startswith(base_url) for i in items)
    entries = sitemap_entries(out)
    expected = {base_url.rstrip("/") + site_url(out, f) for f in html_files(out) if f.name != "404.html"}
    assert set(entries) == expected and all(entries.values())


def test_shipped_site_under_another_subpath_and_root(shipped: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = shipped
    site = out.parent / "site"
    for n, base_url in enumerate(("https://x.gov.vn/cchc/", "https://x.gov.vn/")):
        other = built(site, "--base-url", base_url, out=tmp_path / f"out{n}", as_of=None)
        assert link_problems(other, base_url) == []
