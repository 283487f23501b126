"""Unit tests for cchc_site.mdrender: Markdown features, ASCII heading ids, link rewriting."""
from __future__ import annotations

import re

from cchc_site.mdrender import Link, render_markdown
from sitekit import parse_html

BODY = """\
Đoạn **đầu** có [liên kết](/tin-tuc/2021/08/hop/).

## Kết quả thực hiện năm 2021

| Chỉ số | Điểm |
|---|---|
| PAR Index | 85,5 |

Chú thích[^1]. Tải [kế hoạch](/static/van-ban/ke-hoach.pdf) và ![ảnh](/static/anh/hop.jpg).
Xem [thủ tục](tthc:1.013225), [Cổng](https://dichvucong.gov.vn/), [mục](#ket-qua), [cdn](//x.vn/a.js).

## Ghi chú {#ghi-chu-rieng .noi-bat}

[^1]: Nguồn: Bộ Nội vụ.
"""


def test_tables_footnotes_attr_list() -> None:
    html = render_markdown(BODY, "/").html
    assert "<table" in html and "<th>Chỉ số</th>" in html and "<td>85,5</td>" in html
    assert 'class="footnote-ref"' in html and 'id="fn:1"' in html and "Nguồn: Bộ Nội vụ." in html
    assert 'id="ghi-chu-rieng"' in html and 'class="noi-bat"' in html


def test_heading_ids_are_ascii_for_vietnamese_headings() -> None:
    html = render_markdown("## Kết quả thực hiện năm 2021\n\n### Đánh giá, xếp loại\n\n## Kết quả thực hiện năm 2021\n", "/").html
    ids = re.findall(r'<h[1-6][^>]* id="([^"]+)"', html)
    assert ids[0] == "ket-qua-thuc-hien-nam-2021"
    assert ids[1] == "danh-gia-xep-loai"
    assert len(set(ids)) == 3  # duplicates made unique
    assert all(re.fullmatch(r"[a-z0-9_-]+", i) for i in ids), ids


def test_site_links_rewritten_under_base_path() -> None:
    r = render_markdown(BODY, "/cchc/")
    page = parse_html(r.html)
    assert "/cchc/tin-tuc/2021/08/hop/" in page.links
    assert "/cchc/static/van-ban/ke-hoach.pdf" in page.links
    assert "/cchc/static/anh/hop.jpg" in page.sources
    assert "/cchc/thu-tuc-hanh-chinh/1.013225/" in page.links
    # untouched: external, protocol-relative, fragment
    assert "https://dichvucong.gov.vn/" in page.links and "//x.vn/a.js" in page.links and "#ket-qua" in page.links
    assert not any(link.startswith("/tin-tuc") or link.startswith("/static") for link in page.links)
    assert "tthc:" not in r.html


def test_root_base_path_keeps_site_paths() -> None:
    page = parse_html(render_markdown(BODY, "/").html)
    assert "/tin-tuc/2021/08/hop/" in page.links and "/thu-tuc-hanh-chinh/1.013225/" in page.links


def test_links_recorded_with_body_lines() -> None:
    r = render_markdown(BODY, "/cchc/")
    assert Link("/tin-tuc/2021/08/hop/", 1) in r.links
    assert Link("/static/van-ban/ke-hoach.pdf", 9) in r.links
    assert Link("/static/anh/hop.jpg", 9) in r.links
    assert Link("tthc:1.013225", 10) in r.links
    targets = [link.target for link in r.links]
    assert "https://dichvucong.gov.vn/" not in targets and "#ket-qua" not in targets and "//x.vn/a.js" not in targets


def test_raw_html_links_rewritten_and_recorded() -> None:
    body = ('Đoạn.\n\n<div class="tai-ve"><a href="/static/x.pdf" download>Tải</a></div>\n\n'
            'Dòng có <a href=\'/tin-tuc/\'>liên kết HTML</a> và <a href="tthc:1.013227">thủ tục</a>.\n')
    r = render_markdown(body, "/cchc/")
    page = parse_html(r.html)
    assert "/cchc/static/x.pdf" in page.links and "/cchc/tin-tuc/" in page.links
    assert "/cchc/thu-tuc-hanh-chinh/1.013227/" in page.links
    assert {(link.target, link.line) for link in r.links} >= {("/static/x.pdf", 3), ("/tin-tuc/", 5),
                                                             ("tthc:1.013227", 5)}


def test_converter_is_reset_between_documents() -> None:
    first = render_markdown("[a](/a/)\n\n## Tiêu đề\n", "/cchc/")
    second = render_markdown("Không có liên kết.\n\n## Tiêu đề\n", "/cchc/")
    assert first.links and not second.links
    assert 'id="tieu-de"' in second.html  # no "-1" carried over from the previous document
    assert second.summary == "Không có liên kết."


def test_summary_is_first_paragraph_plain_text() -> None:
    assert render_markdown(BODY, "/").summary == "Đoạn đầu có liên kết."
    r = render_markdown("## Tiêu đề\n\n> trích dẫn\n\nĐoạn *thứ nhất*, có `mã`.\n\nĐoạn hai.\n", "/")
    assert r.summary == "Đoạn thứ nhất, có mã."
    assert render_markdown("## Chỉ có tiêu đề\n", "/").summary == ""


def test_html_in_text_is_kept_as_written_by_markdown() -> None:
    # Markdown passes raw HTML through; the build warns about <script> (links.check_unsafe_html).
    r = render_markdown("Giá 5 < 7 & 3 > 2\n", "/")
    assert "5 &lt; 7 &amp; 3 &gt; 2" in r.html
