"""Quota reports: the text table, GitHub annotations, the monthly report (md/csv/docx) and the
/thong-ke/ page, on small sites built in tmp_path."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cchc_site.config import QuotaConfig, parse_config
from cchc_site.quota import compute_quota
from cchc_site.reports import (format_quota_text, github_annotations, make_monthly_report, quota_table,
                               report_csv, report_markdown)
from sitekit import MINIMAL_CONFIG, parse_html, post, run_cli, write_site

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REASON = "Cán bộ phụ trách đi tập huấn cả tháng"
CAT = "Hoạt động cải cách hành chính"
PROCEDURE = """\
---
code: "1.000001"
title: "Thủ tục thử nghiệm"
field: "Hoạt động xây dựng"
updated: "2021-09-10"
---

Nội dung thủ tục.
"""
PAGE = """\
---
title: "Giới thiệu"
---

Trang giới thiệu.
"""


def quota_config(start: str = "2021-08", end: str | None = None, waivers: dict[str, str] | None = None) -> str:
    lines = ["quota:", f'  start: "{start}"']
    if end:
        lines.append(f'  end: "{end}"')
    lines.append("  min_posts: 2")
    if waivers:
        lines.append("  waivers:")
        lines += [f'    "{k}": "{v}"' for k, v in waivers.items()]
    return MINIMAL_CONFIG + "\n".join(lines) + "\n"


def office_site(root: Path, waivers: dict[str, str] | None = None) -> Path:
    """Aug 2021: 2 posts; Sep: none (pages and procedures only); Oct: 1 post, a draft and a future post."""
    return write_site(root, {
        "content/posts/2021/08/khai-mac.md": post("Khai mạc đợt tuyên truyền | CCHC", "2021-08-05", category=CAT),
        "content/posts/2021/08/tap-huan.md": post("Tập huấn một cửa", "2021-08-31T16:30:00Z"),  # 23:30 in VN
        "content/posts/2021/10/so-ket.md": post("Sơ kết quý III", "2021-10-04 08:00", category=CAT),
        "content/posts/2021/10/nhap.md": post("Bản nháp chưa duyệt", "2021-10-05", draft=True),
        "content/posts/2021/10/hen-gio.md": post("Bài hẹn giờ", "2021-10-25"),
        "content/procedures/1.000001.md": PROCEDURE,
        "content/pages/gioi-thieu.md": PAGE,
    }, quota_config(waivers={"2021-09": REASON} if waivers is None else waivers))


# --- the text report (pure) -----------------------------------------------------------------------

def report_for(tmp_path: Path, as_of: str, waivers: dict[str, str] | None = None, strict: bool = False):  # noqa: ANN201
    from cchc_site.check import run_check

    site = office_site(tmp_path / "site", waivers)
    now = datetime.fromisoformat(as_of + "T23:59:59").replace(tzinfo=VN)
    return run_check(site, now, strict)


def table_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Tháng ") and "Số bài" in line)
    rows = []
    for line in lines[start + 2:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip(), maxsplit=3))
    return rows


def test_text_table_has_the_vietnamese_status_labels(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-11-10", waivers={"2021-09": REASON})
    text = format_quota_text(outcome.quota)
    assert table_rows(text) == [
        ["08/2021", "2", "2", "đạt"],
        ["09/2021", "0", "2", f"miễn ({REASON})"],
        ["10/2021", "2", "2", "đạt"],  # the future-dated post is now published; the draft never counts
        ["11/2021", "0", "2", "đang diễn ra (còn 21 ngày, cần thêm 2 bài)"],
    ]
    assert "Tháng 11/2021 đang diễn ra: 0/2 bài, cần thêm 2 bài, còn 21 ngày." in text
    assert f"Tháng 09/2021: 0/2 bài — miễn, lý do: {REASON}" in text
    assert text.rstrip().endswith("KẾT QUẢ: ĐẠT")


def test_text_report_of_short_months_says_what_is_missing_and_never_to_backdate(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-11-10", waivers={})
    text = format_quota_text(outcome.quota)
    assert [row[3].split(" (")[0] for row in table_rows(text)] == ["đạt", "thiếu", "đạt", "đang diễn ra"]
    lines = text.splitlines()
    assert "Tháng 09/2021: 0/2 bài — thiếu 2 bài" in lines
    assert not any(line.startswith("Tháng 10/2021: ") for line in lines)
    assert "KHÔNG đăng bài lùi ngày" in text
    assert 'quota:\n  waivers:\n    "2021-09": "Lý do' in text
    assert "KẾT QUẢ: KHÔNG ĐẠT — 1 tháng thiếu bài (mã lỗi E060)." in text


def test_quota_table_lists_months_with_zero_posts(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-09-30", waivers={})
    table = quota_table(outcome.quota)
    assert [r[:2] for r in table_rows("\n" + table + "\n")] == [["08/2021", "2"], ["09/2021", "0"]]


def test_strict_current_month_is_reported_short(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-10-20", waivers={"2021-09": REASON}, strict=True)
    text = format_quota_text(outcome.quota)
    assert "Tháng 10/2021: 1/2 bài — thiếu 1 bài (tháng hiện tại, còn 12 ngày)" in text.splitlines()


# --- GitHub annotations (pure) -------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.+)$")


def parse_annotations(text: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in text.splitlines():
        match = ANNOTATION.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in match.group(2).split(",")) if match.group(2) else {}
        found.append((match.group(1), props, match.group(3)))
    return found


def test_github_annotations_for_short_waived_and_current_months(tmp_path: Path) -> None:
    from cchc_site.errors import SiteError

    outcome = report_for(tmp_path, "2021-11-10", waivers={"2021-09": "Lý do, có dấu phẩy: và hai chấm"})
    outcome2 = report_for(tmp_path / "b", "2021-11-10", waivers={})
    warning = SiteError("content/posts/a.md", 7, "W070", "Nội dung có <script>", "warning")
    notes = parse_annotations(github_annotations(outcome.quota, [warning], prefix="site/", quota_line=9))
    kinds = [(k, p.get("title", "")) for k, p, _ in notes]
    assert ("warning", "W070") in kinds
    assert ("warning", "Tháng 11/2021 đang diễn ra") in kinds
    waived = next(m for k, p, m in notes if k == "notice" and "miễn" in p.get("title", ""))
    assert "Lý do, có dấu phẩy: và hai chấm" in waived
    w070 = next(p for k, p, _ in notes if p.get("title") == "W070")
    assert w070 == {"file": "site/content/posts/a.md", "line": "7", "title": "W070"}

    short = [(p, m) for k, p, m in parse_annotations(github_annotations(outcome2.quota, [], quota_line=9))
             if k == "error"]
    assert len(short) == 1
    props, message = short[0]
    assert props["file"] == "site.yaml" and props["line"] == "9" and props["title"].startswith("E060 Tháng 09/2021")
    assert "%3A" in props["title"]  # ':' in a property is escaped
    assert message.startswith("Tháng 09/2021: 0/2 bài — thiếu 2 bài.") and "KHÔNG đăng bài lùi ngày" in message
    assert "%0Aquota:%0A  waivers:%0A" in message  # the site.yaml snippet, on its own lines


def test_github_summary_notice_counts_months(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-11-10", waivers={})
    last = parse_annotations(github_annotations(outcome.quota, []))[-1]
    assert last[0] == "notice" and last[2] == "Không đạt: 2 tháng đạt, 0 tháng miễn, 1 tháng thiếu (tính đến 10/11/2021)."


# --- the monthly report -----------------------------------------------------------------------------

def test_monthly_report_markdown_and_csv_pure(tmp_path: Path) -> None:
    outcome = report_for(tmp_path, "2021-10-31", waivers={"2021-09": REASON})
    config = parse_config(quota_config(waivers={"2021-09": REASON}))
    assert not isinstance(config, list)
    report = make_monthly_report(outcome.quota, (2021, 8), config)
    assert report is not None
    md = report_markdown(report)
    assert md.startswith("**SỞ THỬ NGHIỆM**\n\n# Báo cáo tin, bài cải cách hành chính tháng 08/2021\n")
    assert "Kính gửi: Sở Nội vụ." in md
    assert ("| 1 | 05/08/2021 | Khai mạc đợt tuyên truyền \\| CCHC | Hoạt động cải cách hành chính | "
            "https://example.gov.vn/cchc/tin-tuc/2021/08/khai-mac/ |") in md
    assert "| 2 | 31/08/2021 | Tập huấn một cửa |  | https://example.gov.vn/cchc/tin-tuc/2021/08/tap-huan/ |" in md
    assert "— đạt." in md
    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert rows[0] == ["STT", "Ngày đăng", "Tiêu đề", "Chuyên mục", "Địa chỉ (URL)"]
    assert rows[1] == ["1", "05/08/2021", "Khai mạc đợt tuyên truyền | CCHC", CAT,
                       "https://example.gov.vn/cchc/tin-tuc/2021/08/khai-mac/"]
    assert report_csv(report).startswith(b"\xef\xbb\xbf")

    september = make_monthly_report(outcome.quota, (2021, 9), config)
    assert september is not None
    md9 = report_markdown(september)
    assert "Không có tin, bài nào trong tháng." in md9
    assert f"lý do miễn: {REASON}" in md9
    assert "Từ đầu năm 2021 đến hết tháng 09/2021: 2 tin, bài; 1 tháng đạt, 1 tháng được miễn" in md9
    assert make_monthly_report(outcome.quota, (2021, 7), config) is None
    assert make_monthly_report(outcome.quota, (2021, 11), config) is None


def test_report_command_writes_a_word_document_with_the_posts(tmp_path: Path) -> None:
    from docx import Document

    site = office_site(tmp_path / "site")
    target = tmp_path / "bao-cao.docx"
    result = run_cli("report", "--site", site, "--month", "2021-10", "--format", "docx", "--output", target,
                     "--as-of", "2021-10-31")
    assert result.code == 0, result.err
    doc = Document(str(target))
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert texts[0] == "SỞ THỬ NGHIỆM"
    assert headings == ["Báo cáo tin, bài cải cách hành chính tháng 10/2021", "1. Kết quả tháng 10/2021",
                        "2. Danh sách tin, bài đã đăng trong tháng 10/2021", "3. Tình hình thực hiện từ đầu năm"]
    assert "Kính gửi: Sở Nội vụ." in texts
    posts_table, year_table = doc.tables
    rows = [[c.text for c in r.cells] for r in posts_table.rows]
    assert rows == [
        ["STT", "Ngày đăng", "Tiêu đề", "Chuyên mục", "Địa chỉ (URL)"],
        ["1", "04/10/2021", "Sơ kết quý III", CAT, "https://example.gov.vn/cchc/tin-tuc/2021/10/so-ket/"],
        ["2", "25/10/2021", "Bài hẹn giờ", "", "https://example.gov.vn/cchc/tin-tuc/2021/10/hen-gio/"],
    ]  # the draft is not in the report
    year = [[c.text for c in r.cells] for r in year_table.rows]
    assert year == [["Tháng", "Số bài", "Yêu cầu", "Tình trạng", "Ghi chú"],
                    ["08/2021", "2", "2", "đạt", ""],
                    ["09/2021", "0", "2", "miễn", f"lý do miễn: {REASON}"],
                    ["10/2021", "2", "2", "đạt", ""]]
    assert doc.core_properties.title == "Báo cáo tin, bài cải cách hành chính tháng 10/2021"
    assert any("Số liệu tính đến ngày 31/10/2021." == t for t in texts)


def test_report_of_the_current_month_excludes_posts_not_yet_published(tmp_path: Path) -> None:
    site = office_site(tmp_path / "site")
    target = tmp_path / "r.docx"
    result = run_cli("report", "--site", site, "--month", "2021-10", "--format", "docx", "--output", target,
                     "--as-of", "2021-10-12")
    assert result.code == 0, result.err
    from docx import Document

    doc = Document(str(target))
    titles = [r.cells[2].text for r in doc.tables[0].rows[1:]]
    assert titles == ["Sơ kết quý III"]
    assert any("đang diễn ra (còn 20 ngày, cần thêm 1 bài)" in p.text for p in doc.paragraphs)


def test_report_markdown_to_stdout_and_csv_to_file(tmp_path: Path) -> None:
    site = office_site(tmp_path / "site")
    md = run_cli("report", "--site", site, "--month", "2021-08", "--as-of", "2021-12-01")
    assert md.code == 0, md.err
    assert "# Báo cáo tin, bài cải cách hành chính tháng 08/2021" in md.out
    assert "https://example.gov.vn/cchc/tin-tuc/2021/08/tap-huan/" in md.out
    target = tmp_path / "r.csv"
    out = run_cli("report", "--site", site, "--month", "2021-09", "--format", "csv", "--output", target,
                  "--as-of", "2021-12-01")
    assert out.code == 0, out.err
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[1] == []  # no posts in September: pages and procedures never count
    assert ["Tình trạng tháng 09/2021", "0/2", "miễn", f"lý do miễn: {REASON}"] in rows


@pytest.mark.parametrize("month", ["2021-07", "2022-01", "2021-13", "tháng 9"])
def test_report_of_a_month_outside_the_quota_is_a_usage_error(tmp_path: Path, month: str) -> None:
    site = office_site(tmp_path / "site")
    result = run_cli("report", "--site", site, "--month", month, "--as-of", "2021-12-01")
    assert result.code == 2
    assert result.err.startswith("cchc-site: ")


# --- the /thong-ke/ page --------------------------------------------------------------------------

class _Tables(HTMLParser):
    """Rows of the <table>s and the <svg> attributes/texts of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.svg: dict[str, str] = {}
        self.svg_title = ""
        self.svg_texts: list[str] = []
        self._cell: list[str] | None = None
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)
        if tag == "svg":
            self.svg = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        while self._stack and self._stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if "svg" in self._stack:
            if self._stack[-1] == "title":
                self.svg_title += data
            elif self._stack[-1] == "text":
                self.svg_texts.append(data)


def test_statistics_page_has_an_accessible_chart_and_a_table(tmp_path: Path) -> None:
    site = office_site(tmp_path / "site")
    result = run_cli("build", "--site", site, "--as-of", "2021-11-10")
    assert result.code == 0, result.err
    html = (site / "output" / "thong-ke" / "index.html").read_text(encoding="utf-8")
    parsed = _Tables()
    parsed.feed(html)
    assert parsed.svg.get("role") == "img"
    assert parsed.svg_title.strip() == "Số bài mỗi tháng so với mức tối thiểu"
    assert parsed.svg.get("aria-labelledby") and f'id="{parsed.svg["aria-labelledby"]}"' in html
    # Readable without colour: every bar carries its value and its status as text.
    assert parsed.svg_texts == ["≥2", "2", "08/21", "đạt", "0", "09/21", "miễn", "2", "10/21", "đạt",
                                "0", "11/21", "đang", "diễn ra"]
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert parsed.rows == [
        ["Tháng", "Số bài", "Yêu cầu", "Tình trạng", "Ghi chú"],
        ["Tháng 08/2021", "2", "2", "đạt", ""],
        ["Tháng 09/2021", "0", "2", "miễn", f"Miễn: {REASON}"],
        ["Tháng 10/2021", "2", "2", "đạt", ""],
        ["Tháng 11/2021", "0", "2", "đang diễn ra", "Còn 21 ngày, cần thêm 2 bài"],
    ]
    page = parse_html(html)
    assert "/cchc/tin-tuc/2021/08/" in page.links and "/cchc/tin-tuc/2021/09/" not in page.links
    assert "4 tháng áp dụng: 2 tháng đạt, 1 tháng được miễn, tháng 11/2021 đang diễn ra." in page.main_text


def test_statistics_page_is_linked_from_every_footer(tmp_path: Path) -> None:
    site = office_site(tmp_path / "site")
    assert run_cli("build", "--site", site, "--as-of", "2021-11-10").code == 0
    for rel in ("index.html", "tin-tuc/2021/08/khai-mac/index.html", "gioi-thieu/index.html"):
        html = (site / "output" / rel).read_text(encoding="utf-8")
        footer = re.search(r"<footer\b.*?</footer>", html, re.S)
        assert footer, rel
        assert "/cchc/thong-ke/" in parse_html(footer.group(0)).links, rel


def test_statistics_chart_marks_short_months_in_text() -> None:
    from cchc_site.charts import bar_chart

    svg = str(bar_chart("Biểu đồ", ["08/21", "09/21"], [0, 3], ["thiếu", "đạt"], 2))
    assert 'role="img"' in svg and "<title" in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts == ["≥2", "0", "08/21", "thiếu", "3", "09/21", "đạt"]
    rects = re.findall(r"<rect [^>]*/>", svg)
    assert "stroke-dasharray" in rects[0] and "stroke-dasharray" not in rects[1]


def test_quota_json_and_text_survive_a_site_without_posts() -> None:
    config = QuotaConfig((2021, 8), (2021, 9), 2, ())
    report = compute_quota([], config, datetime(2021, 12, 1, tzinfo=VN))
    text = format_quota_text(report)
    assert [r[:4] for r in table_rows(text)] == [["08/2021", "0", "2", "thiếu"], ["09/2021", "0", "2", "thiếu"]]


def test_statistics_page_is_valid_html(tmp_path: Path) -> None:
    from tools import format_vnu, run_vnu

    site = office_site(tmp_path / "site")
    assert run_cli("build", "--site", site, "--as-of", "2021-11-10").code == 0
    errors = run_vnu([site / "output" / "thong-ke" / "index.html"])
    assert errors == [], format_vnu(errors)


@pytest.mark.browser
def test_statistics_page_passes_axe(tmp_path: Path, browser, serve_dir, artifacts_dir) -> None:  # noqa: ANN001
    from tools import format_axe, run_axe

    site = office_site(tmp_path / "site")
    assert run_cli("build", "--site", site, "--as-of", "2021-11-10").code == 0
    base = serve_dir(site / "output", "/cchc/")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN", bypass_csp=True)
    try:
        page = context.new_page()
        response = page.goto(base + "thong-ke/")
        assert response is not None and response.status == 200
        chart = page.get_by_role("img", name="Số bài mỗi tháng so với mức tối thiểu")
        assert chart.count() == 1
        assert page.get_by_role("table", name="Số tin, bài theo tháng").count() == 1
        violations = run_axe(page)
        assert violations == [], format_axe(violations)
        page.screenshot(path=str(artifacts_dir / "thong-ke.png"), full_page=True)
    finally:
        context.close()


def test_statistics_page_follows_the_date_even_when_content_is_unchanged(tmp_path: Path) -> None:
    site = office_site(tmp_path / "site")
    assert run_cli("build", "--site", site, "--as-of", "2021-11-10").code == 0
    assert run_cli("build", "--site", site, "--as-of", "2021-11-25").code == 0
    text = parse_html(site / "output" / "thong-ke" / "index.html").main_text
    assert "Số liệu tính đến 25/11/2021." in text and "Còn 6 ngày, cần thêm 2 bài" in text
