"""Unit tests for cchc_site.frontmatter: splitting, YAML parsing, lines of keys, errors."""
from __future__ import annotations

import pytest

from cchc_site.frontmatter import FrontMatter, find_key_lines, parse_front_matter, split_front_matter


def parsed(text: str) -> FrontMatter:
    result = parse_front_matter(text, "content/posts/a.md")
    assert isinstance(result, FrontMatter), result
    return result


def test_split_and_lines() -> None:
    text = "---\ntitle: \"A\"\ndate: 2021-07-28\ntags:\n  - x\n  - y\n---\n\nĐoạn một.\n"
    fm = parsed(text)
    assert fm.data == {"title": "A", "date": "2021-07-28", "tags": ["x", "y"]}
    assert fm.first_yaml_line == 2
    assert fm.key_lines == {"title": 2, "date": 3, "tags": 4}
    assert fm.line_of("tags") == 4
    assert fm.line_of("missing") == 1  # the opening --- line
    # body starts right after the closing ---, line 8; "Đoạn một." is line 9
    assert fm.body_line == 8
    assert fm.body.split("\n")[9 - fm.body_line] == "Đoạn một."


def test_dates_stay_text_for_our_own_parser() -> None:
    fm = parsed("---\ndate: 2021-07-28\nupdated: 2021-07-28 08:30:00\n---\n")
    assert fm.data["date"] == "2021-07-28"
    assert isinstance(fm.data["updated"], str)


def test_leading_blank_lines_shift_lines() -> None:
    fm = parsed("\n\n---\ntitle: A\n---\nB\n")
    assert fm.key_lines["title"] == 4
    assert fm.body_line == 6 and fm.body == "B\n"


def test_dots_close_the_block() -> None:
    fm = parsed("---\ntitle: A\n...\nBody\n")
    assert fm.data == {"title": "A"} and fm.body == "Body\n"


def test_empty_front_matter_is_empty_mapping() -> None:
    fm = parsed("---\n---\nBody\n")
    assert fm.data == {}


def test_tab_after_colon_is_tolerated() -> None:
    assert parsed("---\ntitle:\tTiêu đề\n---\n").data["title"] == "Tiêu đề"


def test_split_returns_none_without_front_matter() -> None:
    assert split_front_matter("Chỉ có nội dung.\n") is None
    with pytest.raises(ValueError):
        split_front_matter("---\ntitle: A\n")


def test_no_front_matter_is_an_error_unless_optional() -> None:
    errs = parse_front_matter("Chỉ có nội dung.\n", "content/posts/a.md")
    assert isinstance(errs, list) and errs[0].code == "E004" and errs[0].line == 1
    fm = parse_front_matter("Chỉ có nội dung.\n", "x.md", require=False)
    assert isinstance(fm, FrontMatter) and fm.data == {} and fm.body == "Chỉ có nội dung.\n"


def test_unclosed_block() -> None:
    errs = parse_front_matter("---\ntitle: A\n\nNội dung\n", "content/posts/a.md")
    assert isinstance(errs, list)
    assert errs[0].code == "E001" and errs[0].path == "content/posts/a.md" and "---" in errs[0].message


@pytest.mark.parametrize("yaml_text, line, words", [
    ("title: Tiêu đề: phần phụ\n", 2, "ngoặc kép"),
    ("title: A\ntags: [a, b\n", 3, "[ ... ]"),
    ("title: A\n  date: x\n   - y\n", 3, ""),
    ('title: A\nsummary: "chưa đóng ngoặc\n', 3, "ngoặc kép"),  # not the closing --- line
])
def test_yaml_errors_name_the_line(yaml_text: str, line: int, words: str) -> None:
    errs = parse_front_matter(f"---\n{yaml_text}---\n", "content/posts/a.md")
    assert isinstance(errs, list) and len(errs) == 1
    e = errs[0]
    assert e.code == "E002" and e.path == "content/posts/a.md"
    assert e.line == line, e
    assert words in e.message
    assert e.message.startswith("Lỗi cú pháp YAML")


def test_front_matter_must_be_a_mapping() -> None:
    errs = parse_front_matter("---\n- a\n- b\n---\n", "p.md")
    assert isinstance(errs, list) and errs[0].code == "E003" and "danh sách" in errs[0].message
    errs = parse_front_matter("---\n1: a\n---\n", "p.md")
    assert isinstance(errs, list) and errs[0].code == "E003"


def test_find_key_lines_ignores_nested_and_comments() -> None:
    text = "# ghi chú: x\ntitle: A\nchannels:\n  - method: trực tiếp\n    time: 5 ngày\ncode: '1.0'\n"
    assert find_key_lines(text, 2) == {"title": 3, "channels": 4, "code": 7}
