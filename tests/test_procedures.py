"""Administrative procedures (issue 4): parsing and validation of every key, Vietnamese
order, the index (complete without JavaScript), field and record pages, ``tthc:`` links,
JSON/CSV exports, sitemap/feed/quota behaviour."""
from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cchc_site.config import SiteConfig, parse_config
from cchc_site.errors import SiteError
from cchc_site.frontmatter import FrontMatter, parse_front_matter
from cchc_site.models import Procedure
from cchc_site.validate import PROCEDURE_KEYS, parse_procedure
from sitekit import MINIMAL_CONFIG, parse_html, post, write_site
from test_e2e_build import (build, built, link_problems, page, rss_items, sitemap_entries, url_file)

PATH = "content/procedures/hoat-dong-xay-dung/1.013225.md"
STATIC = frozenset({"mau/don-de-nghi.docx", "mau/to-khai.pdf"})

FULL = """\
---
code: "1.013225"
title: "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV và nhà ở riêng lẻ"
field: "Hoạt động xây dựng"
decision:
  number: "123/QĐ-UBND"
  date: "15/01/2025"
  issuer: "Chủ tịch UBND tỉnh Bình Thuận"
level: xã
online: "một phần"
channels:
  - method: trực tiếp
    time: "10 ngày làm việc"
    fee: "Theo quy định của HĐND tỉnh"
  - method: trực tuyến
    time: "10 ngày làm việc"
    fee: "Theo quy định của HĐND tỉnh"
    note: "Nộp trên Cổng Dịch vụ công"
  - method: bưu chính công ích
    time: "10 ngày làm việc"
applicants: ["Công dân Việt Nam", "Doanh nghiệp"]
agency: "Ủy ban nhân dân cấp xã"
competent_agency: "Chủ tịch Ủy ban nhân dân cấp xã"
address: "Trung tâm phục vụ hành chính công cấp xã"
result: "Giấy phép xây dựng"
legal_basis:
  - "Luật Xây dựng số 50/2014/QH13"
  - "Nghị định số 175/2024/NĐ-CP"
conditions:
  - "Phù hợp với quy hoạch"
dossier:
  - name: "Đơn đề nghị cấp giấy phép xây dựng"
    copies: 1
    form: "mau/don-de-nghi.docx"
  - "Giấy tờ hợp pháp về đất đai"
steps:
  - "Nộp hồ sơ tại Trung tâm phục vụ hành chính công."
  - "Cơ quan có thẩm quyền thẩm định hồ sơ."
  - "Trả kết quả."
forms: ["mau/to-khai.pdf"]
keywords: "giấy phép xây dựng, xây nhà"
updated: 2025-01-20
draft: false
---

Ghi chú thêm về thủ tục.

## Nguồn

Cơ sở dữ liệu quốc gia về thủ tục hành chính.
"""


def config(text: str = "") -> SiteConfig:
    result = parse_config(text or "fields: ['Hoạt động xây dựng', 'Nhà ở']\n")
    assert isinstance(result, SiteConfig), result
    return result


def parse(text: str, path: str = PATH) -> Procedure | list[SiteError]:
    fm = parse_front_matter(textwrap.dedent(text), path)
    assert isinstance(fm, FrontMatter), fm
    return parse_procedure(fm, path, "d", config(), STATIC)


def good(text: str) -> Procedure:
    result = parse(text)
    assert isinstance(result, Procedure), result
    return result


def bad(text: str) -> list[SiteError]:
    result = parse(text)
    assert isinstance(result, list) and result, result
    assert all(e.path == PATH for e in result)
    return result


def minimal(**extra: str) -> str:
    lines = ["---", 'code: "1.013225"', "title: Cấp giấy phép xây dựng", "field: Hoạt động xây dựng"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join([*lines, "---", ""])


# ---------------------------------------------------------------------------
# parsing and validation of every key


def test_every_key_parsed() -> None:
    p = good(FULL)
    assert p.code == "1.013225" and p.url == "/thu-tuc-hanh-chinh/1.013225/"
    assert p.title.startswith("Cấp giấy phép xây dựng mới")
    assert p.field.name == "Hoạt động xây dựng" and p.field.slug == "hoat-dong-xay-dung"
    assert p.decision is not None
    assert (p.decision.number, p.decision.date, p.decision.issuer) == (
        "123/QĐ-UBND", "15/01/2025", "Chủ tịch UBND tỉnh Bình Thuận")
    assert str(p.decision) == "Quyết định số 123/QĐ-UBND ngày 15/01/2025 của Chủ tịch UBND tỉnh Bình Thuận"
    assert p.level == "xã"
    assert (p.online, p.online_legacy) == ("một phần", "")
    assert [c.method for c in p.channels] == ["trực tiếp", "trực tuyến", "bưu chính công ích"]
    assert p.channels[1].note == "Nộp trên Cổng Dịch vụ công" and p.channels[2].fee == ""
    assert p.processing_time == "10 ngày làm việc"
    assert p.applicants == ("Công dân Việt Nam", "Doanh nghiệp")
    assert p.agency == "Ủy ban nhân dân cấp xã" and p.competent_agency == "Chủ tịch Ủy ban nhân dân cấp xã"
    assert p.address == "Trung tâm phục vụ hành chính công cấp xã" and p.result == "Giấy phép xây dựng"
    assert p.legal_basis == ("Luật Xây dựng số 50/2014/QH13", "Nghị định số 175/2024/NĐ-CP")
    assert p.conditions == ("Phù hợp với quy hoạch",)
    assert [(d.name, d.copies, d.form) for d in p.dossier] == [
        ("Đơn đề nghị cấp giấy phép xây dựng", "1", "/static/mau/don-de-nghi.docx"),
        ("Giấy tờ hợp pháp về đất đai", "", "")]
    assert p.steps[0] == "Nộp hồ sơ tại Trung tâm phục vụ hành chính công." and len(p.steps) == 3
    assert p.forms == ("/static/mau/to-khai.pdf",)
    assert p.keywords == ("giấy phép xây dựng", "xây nhà")
    assert p.updated == date(2025, 1, 20)
    assert p.draft is False
    assert p.body.strip().startswith("Ghi chú thêm về thủ tục.")


def test_procedure_keys_cover_the_issue_table() -> None:
    for key in ("code", "title", "field", "decision", "level", "online", "channels", "applicants", "agency",
                "competent_agency", "address", "result", "legal_basis", "conditions", "dossier", "steps", "forms",
                "keywords", "updated"):
        assert key in PROCEDURE_KEYS, key


def test_minimal_procedure() -> None:
    p = good(minimal())
    assert p.decision is None and p.level == "" and p.online == "" and p.channels == () and p.dossier == ()
    assert p.processing_time == "" and p.updated is None


@pytest.mark.parametrize("code", ['"1.013225"', '"1.012753.H19"', '"2.002153"', "1.013225"])
def test_code_formats_accepted(code: str) -> None:
    assert good(minimal(code=code).replace('code: "1.013225"\n', "", 1)).code == code.strip('"')


@pytest.mark.parametrize("code", ['"1.13225"', '"01.013225"', '"1-013225"', '"1.013225."', '"1.0132250"', '"abc"',
                                  "1.013220"])  # unquoted, YAML reads a number and drops the trailing 0
def test_bad_code_format(code: str) -> None:
    text = minimal().replace('code: "1.013225"', f"code: {code}")
    errs = bad(text)
    assert [(e.code, e.line) for e in errs] == [("E017", 2)]
    assert "1.013225" in errs[0].message and "1.012753.H19" in errs[0].message


def test_missing_required_keys_all_reported() -> None:
    errs = bad("---\nlevel: tỉnh\n---\n")
    assert sorted(e.code for e in errs) == ["E004", "E004", "E004"]
    text = " ".join(e.message for e in errs)
    assert "'code'" in text and "'title'" in text and "'field'" in text


def test_unknown_field_lists_fields() -> None:
    errs = bad(minimal().replace("field: Hoạt động xây dựng", "field: Giao thông"))
    assert [(e.code, e.line) for e in errs] == [("E009", 4)]
    assert "Giao thông" in errs[0].message and "Hoạt động xây dựng" in errs[0].message and "Nhà ở" in errs[0].message


def test_field_by_unaccented_name() -> None:
    assert good(minimal().replace("field: Hoạt động xây dựng", "field: nha o")).field.name == "Nhà ở"


@pytest.mark.parametrize("key, suggestion", [("feild", "field"), ("chanels", "channels"), ("dosier", "dossier"),
                                             ("legal_bases", "legal_basis"), ("competent_agncy", "competent_agency")])
def test_unknown_key_with_suggestion(key: str, suggestion: str) -> None:
    errs = bad(minimal(**{key: "x"}))
    assert [(e.code, e.line) for e in errs] == [("E007", 5)]
    assert f"'{key}'" in errs[0].message and f"'{suggestion}'" in errs[0].message


def test_unknown_nested_keys_with_suggestion() -> None:
    errs = bad(minimal()[: -len("---\n")] + textwrap.dedent("""\
        channels:
          - methd: trực tiếp
        dossier:
          - name: Đơn
            copes: 1
        decision: {number: "1/QĐ", isuer: UBND}
        ---
        """))
    found = {(e.code, e.line) for e in errs}
    assert found == {("E007", 5), ("E007", 7), ("E007", 10)}, errs
    text = " ".join(e.message for e in errs)
    assert "'method'" in text and "'copies'" in text and "'issuer'" in text


@pytest.mark.parametrize("value, online, legacy", [
    ("4", "toàn trình", "mức độ 4"), ("3", "một phần", "mức độ 3"), ("2", "không", "mức độ 2"),
    ("mức độ 4", "toàn trình", "mức độ 4"), ("muc do 3", "một phần", "mức độ 3"),
    ("toàn trình", "toàn trình", ""), ("Một phần", "một phần", ""), ("khong", "không", ""),
])
def test_online_levels_new_and_old(value: str, online: str, legacy: str) -> None:
    p = good(minimal(online=f'"{value}"'))
    assert (p.online, p.online_legacy) == (online, legacy)


def test_unquoted_old_level_number() -> None:
    assert good(minimal(online="4")).online_legacy == "mức độ 4"


@pytest.mark.parametrize("field, value, code", [
    ("online", "'mức độ 5'", "E021"), ("online", "'trực tuyến'", "E021"), ("level", "huyện xã", "E021"),
    ("channels", "'trực tiếp'", "E015"), ("dossier", "'Đơn'", "E015"), ("decision", "[1, 2]", "E015"),
    ("updated", "'hôm qua'", "E006"), ("forms", "['khong-co.pdf']", "E014"), ("forms", "['../x.pdf']", "E013"),
    ("draft", "'có'", "E015"), ("legal_basis", "{a: 1}", "E015"),
])
def test_invalid_values(field: str, value: str, code: str) -> None:
    errs = bad(minimal(**{field: value}))
    assert [(e.code, e.line) for e in errs] == [(code, 5)], errs


def test_bad_channel_method_and_dossier_form() -> None:
    errs = bad(minimal()[: -len("---\n")] + textwrap.dedent("""\
        channels:
          - method: qua điện thoại
        dossier:
          - name: Đơn
            form: mau/khong-co.docx
        ---
        """))
    assert sorted((e.code, e.line) for e in errs) == [("E014", 9), ("E021", 5)]  # the value's line
    assert "bưu chính công ích" in next(e for e in errs if e.code == "E021").message


@pytest.mark.parametrize("value, level", [("tỉnh", "tỉnh"), ("Xã", "xã"), ("bộ", "bộ"), ("Cấp tỉnh", "tỉnh")])
def test_levels(value: str, level: str) -> None:
    assert good(minimal(level=value)).level == level


def test_decision_as_text() -> None:
    p = good(minimal(decision='"1234/QĐ-UBND ngày 01/08/2021"'))
    assert p.decision is not None and str(p.decision) == "Quyết định số 1234/QĐ-UBND ngày 01/08/2021"


def test_all_problems_of_one_file_together() -> None:
    errs = bad('---\ncode: "1.23"\ntitle: ""\nfield: Giao thông\nonline: 5\nfeild: x\n---\n')
    assert sorted((e.line, e.code) for e in errs) == [(2, "E017"), (3, "E004"), (4, "E009"), (5, "E021"), (6, "E007")]


# ---------------------------------------------------------------------------
# a small site with procedures

CONFIG = MINIMAL_CONFIG + """\
fields: ["Hoạt động xây dựng", "Nhà ở", "Kinh doanh bất động sản"]
portals:
  provincial: "https://dichvucong.binhthuan.gov.vn/"
quota:
  start: "2021-08"
  end: "2021-08"
  min_posts: 1
"""

TITLES = {  # code -> (field folder, title, online)
    "1.013227": ("Hoạt động xây dựng", "Gia hạn giấy phép xây dựng", "'toàn trình'"),
    "1.013226": ("Hoạt động xây dựng", "Điều chỉnh giấy phép xây dựng", "3"),
    "1.013225": ("Hoạt động xây dựng", "Cấp giấy phép xây dựng mới", "4"),
    "1.013228": ("Hoạt động xây dựng", "Cấp lại giấy phép xây dựng", "'không'"),
    "1.012753.H19": ("Hoạt động xây dựng", "Ưu tiên xử lý hồ sơ (thủ tục địa phương)", "'một phần'"),
    "1.010001": ("Hoạt động xây dựng", "Úy thác quản lý dự án", "2"),
    "1.010002": ("Hoạt động xây dựng", "Ơn định ranh giới (thử)", "'không'"),
    "1.010003": ("Hoạt động xây dựng", "Ôn tập quy chuẩn (thử)", "'không'"),
    "1.010004": ("Hoạt động xây dựng", "Ông bà (thử)", "'không'"),
    "1.010005": ("Hoạt động xây dựng", "Ẩn danh (thử)", "'không'"),
    "1.010006": ("Hoạt động xây dựng", "Ăn ở (thử)", "'không'"),
    "1.010007": ("Hoạt động xây dựng", "An toàn (thử)", "'không'"),
    "1.010008": ("Hoạt động xây dựng", "Ê kíp (thử)", "'không'"),
    "1.010009": ("Hoạt động xây dựng", "Em (thử)", "'không'"),
    "1.010010": ("Hoạt động xây dựng", "Uốn nắn (thử)", "'không'"),
    "1.010011": ("Hoạt động xây dựng", "Dự án (thử)", "'không'"),
    "1.010012": ("Hoạt động xây dựng", "Đất (thử)", "'không'"),
    "1.010013": ("Hoạt động xây dựng", "Oản (thử)", "'không'"),
    "1.011111": ("Nhà ở", "Công nhận chủ đầu tư dự án nhà ở", "'toàn trình'"),
}
INDEX_ORDER = ["An toàn (thử)", "Ăn ở (thử)", "Ẩn danh (thử)", "Cấp giấy phép xây dựng mới",
               "Cấp lại giấy phép xây dựng", "Dự án (thử)", "Đất (thử)", "Điều chỉnh giấy phép xây dựng",
               "Em (thử)", "Ê kíp (thử)", "Gia hạn giấy phép xây dựng", "Oản (thử)", "Ôn tập quy chuẩn (thử)",
               "Ông bà (thử)", "Ơn định ranh giới (thử)", "Uốn nắn (thử)", "Úy thác quản lý dự án",
               "Ưu tiên xử lý hồ sơ (thủ tục địa phương)"]


def procedure_file(code: str, field: str, title: str, online: str, time: str = "15 ngày làm việc") -> str:
    return (f'---\ncode: "{code}"\ntitle: "{title}"\nfield: "{field}"\nonline: {online}\n'
            f'channels:\n  - method: trực tiếp\n    time: "{time}"\n---\n')


def site_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        f"content/procedures/{code}.md": procedure_file(code, *values) for code, values in TITLES.items()}
    files["content/procedures/hoat-dong-xay-dung/1.013225.md"] = FULL.replace(
        "Hoạt động xây dựng", "Hoạt động xây dựng").replace(
        'title: "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV và nhà ở riêng lẻ"',
        'title: "Cấp giấy phép xây dựng mới"').replace('online: "một phần"', "online: 4")
    del files["content/procedures/1.013225.md"]
    files["content/static/mau/don-de-nghi.docx"] = b"PK docx"
    files["content/static/mau/to-khai.pdf"] = b"%PDF"
    files["content/posts/2021/08/huong-dan.md"] = post(
        "Hướng dẫn xin phép xây dựng", "2021-08-05",
        "Đoạn đầu.\n\nXem thủ tục [cấp giấy phép xây dựng](tthc:1.013225) và\n"
        "[gia hạn](tthc:1.013227), [thủ tục địa phương](tthc:1.012753.H19).\n")
    files["content/procedures/nhap.md"] = procedure_file("1.099999", "Nhà ở", "Thủ tục nháp", "'không'").replace(
        "---\n", "---\ndraft: true\n", 1)
    return files


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_site(tmp_path_factory.mktemp("proc"), site_files(), CONFIG)


@pytest.fixture(scope="module")
def out(site: Path) -> Path:
    return built(site)


class _Items(HTMLParser):
    """The procedure list of an index page: (field heading id, title, code, badge, time) per item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[dict[str, str]] = []
        self.headings: list[str] = []
        self.filter_hidden: bool | None = None
        self._stack: list[str] = []
        self._field = ""
        self._in_item = False
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and "data-filter-target" in a:
            self.filter_hidden = "hidden" in a
        if tag == "h2" and a.get("id", "").startswith("lv-"):
            self._field = a["id"][3:]
            self._in_h2 = True
            self.headings.append("")
        if tag == "li" and "proc-item" in a.get("class", ""):
            self._in_item = True
            self.items.append({"field": self._field, "text": "", "href": "", "hidden": str("hidden" in a)})
        if self._in_item and tag == "a" and not self.items[-1]["href"]:
            self.items[-1]["href"] = a.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._in_item = False
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_item:
            self.items[-1]["text"] += data
        if self._in_h2:
            self.headings[-1] += data


def index_items(path: Path) -> _Items:
    parser = _Items()
    parser.feed(path.read_text(encoding="utf-8"))
    for item in parser.items:
        item["text"] = " ".join(item["text"].split())
    parser.headings = [" ".join(h.split()) for h in parser.headings]
    return parser


def test_index_grouped_by_field_in_vietnamese_order_complete_without_js(out: Path) -> None:
    parsed = index_items(url_file(out, "/thu-tuc-hanh-chinh/"))
    assert parsed.filter_hidden is True  # the filter box appears only when JavaScript runs
    assert parsed.headings == ["Hoạt động xây dựng (18 thủ tục)", "Nhà ở (1 thủ tục)"]  # empty field left out
    building = [i for i in parsed.items if i["field"] == "hoat-dong-xay-dung"]
    titles = [next(t for t in INDEX_ORDER if i["text"].startswith(t)) for i in building]
    assert titles == INDEX_ORDER
    assert all(i["hidden"] == "False" for i in parsed.items)
    assert len(parsed.items) == len(TITLES)  # every procedure is in the HTML, the draft is not
    assert "Thủ tục nháp" not in url_file(out, "/thu-tuc-hanh-chinh/").read_text(encoding="utf-8")
    doc = page(out, "/thu-tuc-hanh-chinh/")
    assert "19 thủ tục" in doc.main_text


def test_index_items_show_code_badge_and_time(out: Path) -> None:
    items = {i["href"]: i["text"] for i in index_items(url_file(out, "/thu-tuc-hanh-chinh/")).items}
    permit = items["/cchc/thu-tuc-hanh-chinh/1.013225/"]
    assert "Mã 1.013225" in permit and "Trực tuyến toàn trình" in permit and "Thời hạn: 10 ngày làm việc" in permit
    assert "Trực tuyến một phần" in items["/cchc/thu-tuc-hanh-chinh/1.013226/"]  # old level 3
    assert "Không trực tuyến" in items["/cchc/thu-tuc-hanh-chinh/1.013228/"]
    local = items["/cchc/thu-tuc-hanh-chinh/1.012753.H19/"]
    assert "Mã 1.012753.H19" in local and "Thời hạn: 15 ngày làm việc" in local


def test_field_page(out: Path) -> None:
    parsed = index_items(url_file(out, "/thu-tuc-hanh-chinh/nha-o/"))
    assert [i["href"] for i in parsed.items] == ["/cchc/thu-tuc-hanh-chinh/1.011111/"]
    doc = page(out, "/thu-tuc-hanh-chinh/nha-o/")
    assert "Nhà ở" in doc.title and "/cchc/thu-tuc-hanh-chinh/" in doc.links  # breadcrumb back to the index
    assert not url_file(out, "/thu-tuc-hanh-chinh/kinh-doanh-bat-dong-san/").exists()  # no empty field page
    assert len(index_items(url_file(out, "/thu-tuc-hanh-chinh/hoat-dong-xay-dung/")).items) == 18


def test_record_page(out: Path) -> None:
    path = url_file(out, "/thu-tuc-hanh-chinh/1.013225/")
    html = path.read_text(encoding="utf-8")
    doc = parse_html(path)
    text = doc.main_text
    # order of the national database: code, decision, title, level, field, steps, channels, dossier, ...
    labels = ["Mã thủ tục", "Quyết định công bố", "Tên thủ tục", "Cấp thực hiện", "Lĩnh vực", "Trình tự thực hiện",
              "Cách thức thực hiện", "Thành phần hồ sơ", "Đối tượng thực hiện", "Cơ quan thực hiện",
              "Cơ quan có thẩm quyền", "Địa chỉ tiếp nhận hồ sơ", "Kết quả thực hiện", "Căn cứ pháp lý",
              "Yêu cầu, điều kiện thực hiện"]
    shown = [" ".join(re.sub(r"<[^>]+>", "", m).split())
             for m in re.findall(r"<(?:h2|th scope=\"row\")[^>]*>(.*?)</(?:h2|th)>", html, re.S)]
    assert [s for s in shown if s in labels] == labels, shown
    assert "Quyết định số 123/QĐ-UBND ngày 15/01/2025 của Chủ tịch UBND tỉnh Bình Thuận" in text
    assert "Cấp xã" in text
    assert "Trực tuyến toàn trình" in text and "mức độ 4" in text  # old level shown
    # channels as a table
    table = re.search(r"<table class=\"bang channels\">.*?</table>", html, re.S)
    assert table
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
    assert len(rows) == 4  # header + 3 channels
    assert "Bưu chính công ích" in rows[3] and "Nộp trên Cổng Dịch vụ công" in rows[2]
    # dossier as a checklist with labels, the form linked
    assert html.count('type="checkbox"') == 2
    assert re.search(r'<input type="checkbox" id="hs-1"><label for="hs-1">Đơn đề nghị cấp giấy phép xây dựng', html)
    assert "/cchc/static/mau/don-de-nghi.docx" in doc.links and "/cchc/static/mau/to-khai.pdf" in doc.links
    # numbered steps
    steps = re.search(r"<ol class=\"steps\">(.*?)</ol>", html, re.S)
    assert steps and steps.group(1).count("<li>") == 3
    # portals: national (a search for the code) and provincial
    national = [link for link in doc.links if "dichvucong.gov.vn" in link]
    assert national and all("1.013225" in link for link in national)
    assert "https://dichvucong.binhthuan.gov.vn/" in doc.links
    assert "Cập nhật: 20/01/2025" in text
    # the body: its opening paragraph before the record, its own sections after it
    assert text.index("Ghi chú thêm về thủ tục.") < text.index("Trình tự thực hiện")
    assert text.index("Căn cứ pháp lý") < text.index("Nguồn") < text.index("Cơ sở dữ liệu quốc gia về thủ tục")
    assert "nguon" in doc.ids
    # breadcrumb: home, procedures, field
    assert "/cchc/thu-tuc-hanh-chinh/hoat-dong-xay-dung/" in doc.links
    assert "Mô tả" not in re.sub(r"<[^>]+>", " ", rows[0]) or "Ghi chú" in rows[0]


def test_record_page_leaves_out_unknown_sections(out: Path) -> None:
    html = url_file(out, "/thu-tuc-hanh-chinh/1.013227/").read_text(encoding="utf-8")
    doc = parse_html(html)
    for empty in ("Quyết định công bố", "Thành phần hồ sơ", "Trình tự thực hiện", "Căn cứ pháp lý",
                  "Đối tượng thực hiện", "Cơ quan thực hiện", "Mẫu đơn", "Cấp thực hiện"):
        assert empty not in doc.main_text, empty
    assert not re.search(r"<h2>[^<]*</h2>\s*<table[^>]*>\s*<caption[^>]*>[^<]*</caption>\s*<tbody>\s*</tbody>", html)
    assert "<td></td>" not in html and "<th scope=\"col\">Ghi chú</th>" not in html  # no empty note column


def test_record_page_for_offline_procedure_does_not_say_file_online(out: Path) -> None:
    doc = page(out, "/thu-tuc-hanh-chinh/1.013228/")
    assert "Không trực tuyến" in doc.main_text
    assert "Nộp hồ sơ trực tuyến" not in doc.main_text
    assert any("dichvucong.gov.vn" in link and "1.013228" in link for link in doc.links)


def test_print_stylesheet_linked(out: Path) -> None:
    html = url_file(out, "/thu-tuc-hanh-chinh/1.013225/").read_text(encoding="utf-8")
    assert re.search(r'<link rel="stylesheet" href="/cchc/assets/print.css" media="print">', html)
    css = (out / "assets" / "print.css").read_text(encoding="utf-8")
    assert "A4" in css or "@page" in css


def test_tthc_links_render_to_procedure_pages(out: Path) -> None:
    doc = page(out, "/tin-tuc/2021/08/huong-dan/")
    for code in ("1.013225", "1.013227", "1.012753.H19"):
        assert f"/cchc/thu-tuc-hanh-chinh/{code}/" in doc.links
    assert not any(link.startswith("tthc:") for link in doc.links)


def test_links_resolve(out: Path) -> None:
    assert link_problems(out, "https://example.gov.vn/cchc/") == []


def test_unknown_tthc_code_is_an_error_naming_post_line_and_code(site: Path, tmp_path: Path) -> None:
    other = write_site(tmp_path / "s", {**site_files(), "content/posts/2021/08/sai.md": post(
        "Sai mã", "2021-08-06", "Đoạn đầu.\n\nXem [thủ tục](tthc:1.999999).\n")}, CONFIG)
    result, _ = build(other)
    assert result.code == 1
    assert re.search(r"content/posts/2021/08/sai\.md:8: E019 .*1\.999999", result.err), result.err
    # a link to a draft procedure is unknown too (the page does not exist)
    other2 = write_site(tmp_path / "s2", {**site_files(), "content/posts/2021/08/nhap.md": post(
        "Nháp", "2021-08-06", "[x](tthc:1.099999)")}, CONFIG)
    result, _ = build(other2)
    assert result.code == 1 and "E019" in result.err and "1.099999" in result.err


def test_errors_all_reported_together_and_output_untouched(site: Path, tmp_path: Path) -> None:
    ok_site = write_site(tmp_path / "s", site_files(), CONFIG)
    out = built(ok_site)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (ok_site / "content/procedures/a.md").write_text(procedure_file("1.0132", "Nhà ở", "A", "'không'"), "utf-8")
    (ok_site / "content/procedures/b.md").write_text(procedure_file("1.011111", "Nhà ở", "B", "'không'"), "utf-8")
    (ok_site / "content/procedures/c.md").write_text(procedure_file("1.020000", "Giao thông", "C", "'không'"), "utf-8")
    (ok_site / "content/procedures/d.md").write_text("---\ncode: '1.020001'\nfeild: Nhà ở\n---\n", "utf-8")
    result, _ = build(ok_site, out=out)
    assert result.code == 1
    err = result.err
    assert "content/procedures/a.md:2: E017" in err
    assert "content/procedures/b.md:1: E018" in err and "content/procedures/1.011111.md:1: E018" in err
    assert "content/procedures/1.011111.md" in err.split("content/procedures/b.md:1: E018", 1)[1].split("\n", 1)[0]
    assert "content/procedures/c.md:4: E009" in err
    assert "content/procedures/d.md:3: E007" in err and "'field'" in err
    assert "content/procedures/d.md:1: E004" in err  # title and field missing
    assert "E010" not in err  # a duplicate code is reported once, as E018
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


# ---------------------------------------------------------------------------
# exports


def test_json_export(out: Path) -> None:
    data = json.loads((out / "thu-tuc-hanh-chinh" / "index.json").read_text(encoding="utf-8"))
    assert data["count"] == len(TITLES) == len(data["procedures"])
    assert data["site"] == "https://example.gov.vn/cchc/"
    by_code = {p["code"]: p for p in data["procedures"]}
    assert set(by_code) == set(TITLES)  # the draft is not exported
    full = by_code["1.013225"]
    assert full["title"] == "Cấp giấy phép xây dựng mới"
    assert full["field"] == {"name": "Hoạt động xây dựng", "slug": "hoat-dong-xay-dung"}
    assert full["url"] == "https://example.gov.vn/cchc/thu-tuc-hanh-chinh/1.013225/"
    assert full["decision"] == {"number": "123/QĐ-UBND", "date": "15/01/2025", "issuer": "Chủ tịch UBND tỉnh Bình Thuận"}
    assert (full["level"], full["online"], full["online_legacy"]) == ("xã", "toàn trình", "mức độ 4")
    assert full["channels"][1] == {"method": "trực tuyến", "time": "10 ngày làm việc",
                                   "fee": "Theo quy định của HĐND tỉnh", "note": "Nộp trên Cổng Dịch vụ công"}
    assert full["dossier"][0] == {"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": "1",
                                  "form": "https://example.gov.vn/cchc/static/mau/don-de-nghi.docx"}
    assert full["forms"] == ["https://example.gov.vn/cchc/static/mau/to-khai.pdf"]
    assert full["steps"][2] == "Trả kết quả." and full["legal_basis"][0] == "Luật Xây dựng số 50/2014/QH13"
    assert full["applicants"] == ["Công dân Việt Nam", "Doanh nghiệp"] and full["keywords"] == ["giấy phép xây dựng", "xây nhà"]
    assert full["updated"] == "2025-01-20"
    assert (full["agency"], full["competent_agency"], full["address"], full["result"], full["conditions"]) == (
        "Ủy ban nhân dân cấp xã", "Chủ tịch Ủy ban nhân dân cấp xã", "Trung tâm phục vụ hành chính công cấp xã",
        "Giấy phép xây dựng", ["Phù hợp với quy hoạch"])
    assert by_code["1.013227"]["decision"] is None and by_code["1.013227"]["dossier"] == []
    # Vietnamese order in the export too
    titles = [p["title"] for p in data["procedures"] if p["field"]["slug"] == "hoat-dong-xay-dung"]
    assert titles == INDEX_ORDER


def test_csv_export(out: Path) -> None:
    raw = (out / "thu-tuc-hanh-chinh" / "danh-sach.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[0] == "Mã thủ tục" and "Tên thủ tục" in header and "Thời hạn giải quyết" in header
    assert len(body) == len(TITLES)
    codes = {r[0] for r in body}
    assert codes == set(TITLES)
    row = dict(zip(header, next(r for r in body if r[0] == "1.013225")))
    assert row["Tên thủ tục"] == "Cấp giấy phép xây dựng mới" and row["Lĩnh vực"] == "Hoạt động xây dựng"
    assert row["Thời hạn giải quyết"] == "10 ngày làm việc"
    assert row["Phí, lệ phí"] == "Theo quy định của HĐND tỉnh"  # the same fee on two channels, once
    assert "toàn trình" in row["Dịch vụ công trực tuyến"] and "mức độ 4" in row["Dịch vụ công trực tuyến"]
    assert "123/QĐ-UBND" in row["Quyết định công bố"]
    assert row["Địa chỉ trang"] == "https://example.gov.vn/cchc/thu-tuc-hanh-chinh/1.013225/"
    assert all(len(r) == len(header) for r in body)


def test_csv_tolerates_commas_quotes_and_newlines(tmp_path: Path) -> None:
    title = 'Thủ tục có dấu phẩy, "ngoặc kép" và; chấm phẩy'
    s = write_site(tmp_path / "s", {"content/procedures/x.md": procedure_file("1.000001", "Nhà ở", title.replace('"', '\\"'),
                                                                             "'không'")}, MINIMAL_CONFIG + "fields: ['Nhà ở']\n")
    out = built(s)
    rows = list(csv.reader(io.StringIO((out / "thu-tuc-hanh-chinh/danh-sach.csv").read_bytes().decode("utf-8-sig"),
                                       newline="")))
    assert rows[1][1] == title


# ---------------------------------------------------------------------------
# sitemap, feed, quota


def test_procedures_in_sitemap_not_in_feed(out: Path) -> None:
    entries = sitemap_entries(out)
    for code in TITLES:
        assert f"https://example.gov.vn/cchc/thu-tuc-hanh-chinh/{code}/" in entries
        assert entries[f"https://example.gov.vn/cchc/thu-tuc-hanh-chinh/{code}/"]
    assert "https://example.gov.vn/cchc/thu-tuc-hanh-chinh/" in entries
    assert "https://example.gov.vn/cchc/thu-tuc-hanh-chinh/nha-o/" in entries
    assert not any(loc.endswith((".json", ".csv")) for loc in entries)
    assert "https://example.gov.vn/cchc/thu-tuc-hanh-chinh/1.099999/" not in entries  # draft
    assert [i.findtext("title") for i in rss_items(out)] == ["Hướng dẫn xin phép xây dựng"]
    assert "thu-tuc-hanh-chinh" not in (out / "rss.xml").read_text(encoding="utf-8")


def test_procedures_do_not_count_for_the_quota(tmp_path: Path) -> None:
    config = MINIMAL_CONFIG + "fields: ['Nhà ở']\nquota:\n  start: '2021-08'\n  end: '2021-08'\n  min_posts: 2\n"
    files: dict[str, str | bytes] = {
        f"content/procedures/{n}.md": procedure_file(f"1.00000{n}", "Nhà ở", f"Thủ tục {n}", "'không'").replace(
            "---\n", "---\nupdated: 2021-08-10\n", 1) for n in range(1, 4)}
    files["content/posts/a.md"] = post("Tin một", "2021-08-02")
    s = write_site(tmp_path / "s", files, config)
    result, _ = build(s)
    assert result.code == 1 and "E060" in result.err  # 1 post + 3 procedures in August: still 1 of 2
    write_site(s, {"content/posts/b.md": post("Tin hai", "2021-08-03")}, config=None)
    result, out = build(s)
    assert result.code == 0, result.err
    assert re.search(r"Tháng 08/2021\s*2\s*2\s*đạt", page(out, "/thong-ke/").main_text)


def test_drafts_option_shows_draft_procedure(site: Path, tmp_path: Path) -> None:
    out = built(site, "--drafts", out=tmp_path / "out")
    assert "Thủ tục nháp" in page(out, "/thu-tuc-hanh-chinh/1.099999/").main_text
    assert "Bản nháp" in page(out, "/thu-tuc-hanh-chinh/1.099999/").main_text


# ---------------------------------------------------------------------------
# the shipped procedures


def test_shipped_procedures_parse_with_real_codes() -> None:
    repo = Path(__file__).resolve().parent.parent
    cfg = parse_config((repo / "site.yaml").read_text(encoding="utf-8"))
    assert isinstance(cfg, SiteConfig)
    files = sorted((repo / "content" / "procedures").rglob("*.md"))
    codes = set()
    for file in files:
        rel = file.relative_to(repo).as_posix()
        fm = parse_front_matter(file.read_text(encoding="utf-8"), rel)
        assert isinstance(fm, FrontMatter), fm
        proc = parse_procedure(fm, rel, "d", cfg, frozenset())
        assert isinstance(proc, Procedure), proc
        codes.add(proc.code)
        assert proc.title and proc.channels and proc.steps and proc.dossier, rel
    assert {"1.013225", "1.013227", "1.013228", "1.013229", "1.013232"} <= codes


# ---------------------------------------------------------------------------
# in a real browser: the index without and with JavaScript


@pytest.mark.browser
def test_index_in_browser_without_and_with_javascript(out: Path, browser, serve_dir) -> None:  # noqa: ANN001
    base = serve_dir(out, "/cchc/")
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        pg = context.new_page()
        pg.goto(base + "thu-tuc-hanh-chinh/")
        assert pg.locator(".proc-item").count() == len(TITLES)
        assert all(pg.locator(".proc-item").nth(i).is_visible() for i in range(len(TITLES)))
        assert not pg.locator("#loc-thu-tuc").is_visible()  # no dead filter box without JavaScript
        pg.locator("a", has_text="Điều chỉnh giấy phép xây dựng").click()
        pg.wait_for_url("**/thu-tuc-hanh-chinh/1.013226/")
    finally:
        context.close()
    context = browser.new_context(locale="vi-VN")
    try:
        pg = context.new_page()
        pg.goto(base + "thu-tuc-hanh-chinh/")
        box = pg.locator("#loc-thu-tuc")
        box.wait_for(state="visible")
        box.fill("dieu chinh")  # without diacritics
        visible = [t for t in pg.locator(".proc-item:visible a").all_inner_texts()]
        assert visible == ["Điều chỉnh giấy phép xây dựng"]
        box.fill("giấy phép")  # with diacritics
        assert pg.locator(".proc-item:visible").count() == 4
        box.fill("1.012753")  # by code
        assert pg.locator(".proc-item:visible").count() == 1
        assert not pg.locator("#lv-nha-o").is_visible()  # empty groups hide
        box.fill("")
        assert pg.locator(".proc-item:visible").count() == len(TITLES)
    finally:
        context.close()


def test_national_portal_from_site_yaml(tmp_path: Path) -> None:
    config = MINIMAL_CONFIG + "fields: ['Nhà ở']\nportals:\n  national: 'https://dvc.example.gov.vn'\n"
    s = write_site(tmp_path / "s", {"content/procedures/x.md": procedure_file("1.000001", "Nhà ở", "A", "4")}, config)
    doc = page(built(s), "/thu-tuc-hanh-chinh/1.000001/")
    national = [link for link in doc.links if link.startswith("https://dvc.example.gov.vn/")]
    assert national and "1.000001" in national[0]
    assert not any("binhthuan" in link for link in doc.links)  # no provincial portal configured: no button
