"""What Windows, Word, Notepad and Unikey produce is accepted and normalised.

Each variant of the same post (BOM, CRLF, CR, NFD text and file name, tabs, DD/MM/YYYY,
smart quotes) must build a site byte-identical to the plain version: every output file is
compared.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Callable

import pytest

from cchc_site.encoding import normalize_text
from cchc_site.frontmatter import FrontMatter, parse_front_matter
from sitekit import parse_html, run_cli, write_site

POST_NAME = "đẩy-mạnh-cải-cách.md"  # the slug comes from the file name
POST_DIR = "content/posts/2021/07"
SLUG_URL = "tin-tuc/2021/07/day-manh-cai-cach/index.html"
REFERENCE = """\
---
title: "Đẩy mạnh cải cách hành chính: kết quả năm 2021"
date: 2021-07-28
category: "Hoạt động cải cách hành chính"
tags:
  - CCHC
  - Một cửa
summary: "Tóm tắt về chỉ số hài lòng của người dân"
---

Sở Xây dựng tỉnh Bình Thuận **đẩy mạnh** cải cách hành chính.

## Kết quả đạt được

Người dân, doanh nghiệp hài lòng với thủ tục hành chính.
"""
OTHER = """\
---
title: "Hội nghị sơ kết công tác"
date: 2021-07-20
---

Nội dung hội nghị.
"""

TABS = """\
---
title:\t"Đẩy mạnh cải cách hành chính: kết quả năm 2021"
date:\t2021-07-28 \t
category:\t"Hoạt động cải cách hành chính"\t# chuyên mục
tags:
-\tCCHC
-\tMột cửa
summary:\t"Tóm tắt về chỉ số hài lòng của người dân"
---

Sở Xây dựng tỉnh Bình Thuận **đẩy mạnh** cải cách hành chính.

## Kết quả đạt được

Người dân, doanh nghiệp hài lòng với thủ tục hành chính.
"""
SMART = REFERENCE.replace('"Đẩy mạnh cải cách hành chính: kết quả năm 2021"',
                          "“Đẩy mạnh cải cách hành chính: kết quả năm 2021”").replace(
    '"Hoạt động cải cách hành chính"', "“Hoạt động cải cách hành chính”").replace(
    '"Tóm tắt về chỉ số hài lòng của người dân"', "‘Tóm tắt về chỉ số hài lòng của người dân’").replace(
    "  - Một cửa", "  - “Một cửa”")
VN_DATE = REFERENCE.replace("date: 2021-07-28", "date: 28/07/2021")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


# variant -> (file name, bytes)
VARIANTS: dict[str, Callable[[], tuple[str, bytes]]] = {
    "bom": lambda: (POST_NAME, b"\xef\xbb\xbf" + utf8(REFERENCE)),
    "crlf": lambda: (POST_NAME, utf8(REFERENCE.replace("\n", "\r\n"))),
    "cr": lambda: (POST_NAME, utf8(REFERENCE.replace("\n", "\r"))),
    "nfd-text": lambda: (POST_NAME, utf8(nfd(REFERENCE))),
    "nfd-text-and-name": lambda: (nfd(POST_NAME), utf8(nfd(REFERENCE))),
    "tabs": lambda: (POST_NAME, utf8(TABS)),
    "dd-mm-yyyy": lambda: (POST_NAME, utf8(VN_DATE)),
    "smart-quotes": lambda: (POST_NAME, utf8(SMART)),
    "everything-at-once": lambda: (nfd(POST_NAME), b"\xef\xbb\xbf" + utf8(nfd(
        SMART.replace("date: 2021-07-28", "date:\t28/07/2021")).replace("\n", "\r\n"))),
}


def build(root: Path, name: str, data: bytes) -> dict[str, bytes]:
    site = write_site(root, {f"{POST_DIR}/{name}": data, "content/posts/2021/07/hoi-nghi.md": OTHER})
    result = run_cli("build", "--site", site, "--as-of", "2022-01-01")
    assert result.code == 0, result.err
    out = site / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return build(tmp_path_factory.mktemp("ref") / "site", POST_NAME, utf8(REFERENCE))


def test_reference_build_is_what_we_think(reference: dict[str, bytes]) -> None:
    page = parse_html(reference[SLUG_URL].decode("utf-8"))
    assert page.title.startswith("Đẩy mạnh cải cách hành chính: kết quả năm 2021")
    assert "Kết quả đạt được" in page.main_text
    assert "Một cửa" in page.text
    assert any("/the/mot-cua/" in link for link in page.links)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_builds_byte_identical_output(variant: str, reference: dict[str, bytes], tmp_path: Path) -> None:
    name, data = VARIANTS[variant]()
    assert data != utf8(REFERENCE)  # the variant really differs on disk
    output = build(tmp_path / "site", name, data)
    assert sorted(output) == sorted(reference)
    different = [rel for rel in reference if output[rel] != reference[rel]]
    assert different == [], f"{variant}: files differ: {different[:5]}"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_front_matter_equals_reference(variant: str) -> None:
    _, data = VARIANTS[variant]()
    expected = parse_front_matter(REFERENCE, "a.md")
    got = parse_front_matter(normalize_text(data.decode("utf-8")), "a.md")
    assert isinstance(expected, FrontMatter) and isinstance(got, FrontMatter), got
    if variant in ("dd-mm-yyyy", "everything-at-once"):
        assert got.data.pop("date") == "28/07/2021"
        expected.data.pop("date")
    assert got.data == expected.data
    assert got.body.strip() == expected.body.strip()
    assert got.key_lines == expected.key_lines


def test_output_is_nfc_even_from_nfd_source(tmp_path: Path) -> None:
    name, data = VARIANTS["nfd-text-and-name"]()
    output = build(tmp_path / "site", name, data)
    for rel, content in output.items():
        assert unicodedata.is_normalized("NFC", rel), rel
        if rel.endswith((".html", ".xml", ".json", ".txt")):
            text = content.decode("utf-8")
            assert unicodedata.is_normalized("NFC", text), rel


def test_smart_quotes_are_removed_from_values() -> None:
    fm = parse_front_matter(SMART, "a.md")
    assert isinstance(fm, FrontMatter)
    assert fm.data["title"] == "Đẩy mạnh cải cách hành chính: kết quả năm 2021"
    assert fm.data["summary"] == "Tóm tắt về chỉ số hài lòng của người dân"
    assert fm.data["tags"] == ["CCHC", "Một cửa"]


def test_smart_quotes_inside_a_value_are_kept() -> None:
    text = '---\ntitle: “Triển khai” và “Kết quả”: tổng hợp\nsummary: Theo “Kế hoạch số 12”\n---\nx\n'
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter), fm
    assert fm.data["summary"] == "Theo “Kế hoạch số 12”"
    text = '---\ntitle: “Triển khai” và “Kết quả”\n---\nx\n'
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter), fm
    assert fm.data["title"] == "“Triển khai” và “Kết quả”"


def test_smart_quotes_in_a_block_text_are_not_touched() -> None:
    text = '---\ntitle: a\nsummary: |\n  “Trích dẫn”\n  - ‘một’\n---\nx\n'
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter), fm
    assert fm.data["summary"] == "“Trích dẫn”\n- ‘một’\n"


def test_a_stray_rule_in_the_body_is_a_horizontal_rule(tmp_path: Path) -> None:
    body = "Đoạn đầu của bài.\n\n---\n\ntitle: không phải front matter\n\n---\n\nĐoạn cuối của bài.\n"
    text = '---\ntitle: "Bài có đường kẻ"\ndate: 28/07/2021\n---\n\n' + body
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter)
    assert fm.data == {"title": "Bài có đường kẻ", "date": "28/07/2021"}
    assert fm.body_line == 5 and "Đoạn cuối của bài." in fm.body
    site = write_site(tmp_path / "site", {f"{POST_DIR}/duong-ke.md": text})
    result = run_cli("build", "--site", site, "--as-of", "2022-01-01")
    assert result.code == 0, result.err
    html = (site / "output/tin-tuc/2021/07/duong-ke/index.html").read_text(encoding="utf-8")
    assert html.count("<hr") >= 2
    page = parse_html(html)
    assert "Đoạn đầu của bài." in page.main_text and "Đoạn cuối của bài." in page.main_text
    assert "title: không phải front matter" in page.main_text


def test_tab_indentation_is_refused_with_the_line(tmp_path: Path) -> None:
    """Tabs where YAML forbids them (indentation) are an error at the right line, not a crash."""
    text = '---\ntitle: "Bài"\ndate: 28/07/2021\ntags:\n\t- CCHC\n---\n\nNội dung.\n'
    site = write_site(tmp_path / "site", {f"{POST_DIR}/tab.md": text})
    result = run_cli("check", "--site", site)
    assert result.code == 1
    assert f"{POST_DIR}/tab.md:5: E002" in result.out
    assert "Tab" in result.out


def test_smart_quotes_in_a_one_line_list() -> None:
    fm = parse_front_matter("---\ntags: [CCHC, “Một cửa”, ‘Dịch vụ: công’ ]\n---\nx\n", "a.md")
    assert isinstance(fm, FrontMatter), fm
    assert fm.data["tags"] == ["CCHC", "Một cửa", "Dịch vụ: công"]
