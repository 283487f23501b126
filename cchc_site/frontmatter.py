"""Split a Markdown file into its YAML front matter and body; parse the YAML.

Pure: works on text that :mod:`cchc_site.encoding` has already decoded and
normalised (LF line ends, NFC, no BOM).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import SiteError

try:  # the C loader is ~7x faster
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that keeps dates as text (we parse them ourselves, with the
    site timezone and Vietnamese formats) and rejects nothing else."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

_FENCE = re.compile(r"^---[ \t]*$", re.M)
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
# A tab right after "key:" is common from Word/Notepad; YAML rejects it there.
_TAB_AFTER_COLON = re.compile(r"^([^\s#][^:\n]*:)\t+", re.M)
_TOP_KEY = re.compile(r"^([^\s#:][^:\n]*?)[ \t]*:(?:[ \t]|$)", re.M)


@dataclass(frozen=True, eq=False)
class FrontMatter:
    """The parsed front matter of one file, with where things are in the file."""

    data: dict[str, Any]
    yaml_text: str
    first_yaml_line: int  # file line of the first YAML line
    body: str
    body_line: int  # file line of the first body line
    key_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        """File line of a top-level key (the opening ``---`` if unknown)."""
        return self.key_lines.get(key, max(self.first_yaml_line - 1, 1))


def find_key_lines(yaml_text: str, first_line: int) -> dict[str, int]:
    """Top-level ``key:`` -> its line in the file (first occurrence)."""
    lines: dict[str, int] = {}
    for match in _TOP_KEY.finditer(yaml_text):
        key = match.group(1).strip().strip("'\"")
        if key not in lines:
            lines[key] = first_line + yaml_text.count("\n", 0, match.start())
    return lines


def split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """``(yaml_text, first_yaml_line, body, body_line)``, or None when the file has
    no opening ``---``.  Raises ValueError when the block is never closed."""
    stripped = text.lstrip("\n")
    skipped = len(text) - len(stripped)
    if not (stripped.startswith("---\n") or stripped.rstrip(" \t") == "---" or
            _FENCE.match(stripped.split("\n", 1)[0] + "\n")):
        return None
    first_nl = stripped.find("\n")
    if first_nl < 0:
        raise ValueError("unclosed")
    rest = stripped[first_nl + 1:]
    close = _CLOSE.search(rest)
    if close is None:
        raise ValueError("unclosed")
    yaml_text = rest[: close.start()]
    after = rest[close.end():]
    if after.startswith("\n"):
        after = after[1:]
    first_yaml_line = skipped + 2
    body_line = first_yaml_line + yaml_text.count("\n") + 1
    return yaml_text, first_yaml_line, after, body_line


def parse_front_matter(text: str, path: str, require: bool = True) -> FrontMatter | list[SiteError]:
    """Split and parse; problems come back as a list of errors, never raised."""
    try:
        parts = split_front_matter(text)
    except ValueError:
        return [SiteError(path, 1, "E001",
                          "Front matter mở bằng dòng '---' nhưng không có dòng '---' đóng lại. "
                          "Thêm một dòng chỉ gồm '---' ngay sau các dòng khóa: giá trị.")]
    if parts is None:
        if not require:
            return FrontMatter({}, "", 1, text, 1, {})
        return [SiteError(path, 1, "E004",
                          "Tệp không có front matter. Dòng đầu tiên phải là '---', tiếp theo là "
                          "các dòng như 'title: Tiêu đề' và 'date: 28/07/2021', rồi một dòng '---'.")]
    yaml_text, first_line, body, body_line = parts
    cleaned = _TAB_AFTER_COLON.sub(lambda m: m.group(1) + " ", yaml_text)
    try:
        data = yaml.load(cleaned, Loader=Loader) if cleaned.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = _translate_yaml_problem((exc.problem or "").strip())
        hint = _yaml_hint(problem, cleaned, mark.line if mark else 0)
        return [SiteError(path, line, "E002", f"Lỗi cú pháp YAML: {problem}. {hint}")]
    except yaml.YAMLError as exc:
        return [SiteError(path, first_line, "E002", f"Lỗi cú pháp YAML: {exc}.")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [SiteError(path, first_line, "E003",
                          "Front matter phải là các dòng 'khóa: giá trị' (ví dụ 'title: Tiêu đề'), "
                          f"không phải một {_kind(data)}.")]
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        return [SiteError(path, first_line, "E003",
                          f"Khóa {bad_keys[0]!r} không phải là chữ. Mỗi dòng phải có dạng 'khóa: giá trị'.")]
    return FrontMatter(data, yaml_text, first_line, body, body_line, find_key_lines(yaml_text, first_line))


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "danh sách"
    if isinstance(value, str):
        return "đoạn văn bản"
    return type(value).__name__


def _yaml_hint(problem: str, text: str, line0: int) -> str:
    lines = text.split("\n")
    current = lines[line0] if 0 <= line0 < len(lines) else ""
    if "\t" in current or "tab" in problem:
        return "Dùng dấu cách thay cho phím Tab để thụt lề."
    if ": " in current.split(":", 1)[-1]:
        return "Giá trị có dấu ':' cần đặt trong ngoặc kép, ví dụ title: \"Tiêu đề: phần phụ\"."
    if "mapping values" in problem:
        return "Giá trị có dấu ':' cần đặt trong ngoặc kép, hoặc kiểm tra thụt lề của dòng này."
    return "Kiểm tra dấu ngoặc kép, dấu ':' và thụt lề của dòng này (dùng dấu cách, không dùng Tab)."


_YAML_PROBLEMS = {
    "mapping values are not allowed": "có dấu ':' ở chỗ không được phép",
    "could not find expected ':'": "thiếu dấu ':' sau tên khóa",
    "found character '\\t' that cannot start any token": "có ký tự Tab ở đầu giá trị",
    "found unexpected end of stream": "tệp kết thúc khi chưa đóng ngoặc kép",
    "found undefined alias": "dấu '*' ở đầu giá trị (hãy đặt giá trị trong ngoặc kép)",
    "expected <block end>, but found": "thụt lề không khớp với các dòng trên",
    "did not find expected key": "thụt lề không khớp hoặc thiếu dấu ':'",
    "found a tab character": "có ký tự Tab dùng để thụt lề",
    "did not find expected node content": "thiếu giá trị",
    "found unknown escape character": "có ký tự '\\' không hợp lệ trong ngoặc kép",
    "expected ',' or ']'": "danh sách [ ... ] chưa được đóng đúng",
    "expected ',' or '}'": "bảng { ... } chưa được đóng đúng",
    "found duplicate": "khóa bị lặp",
}


def _translate_yaml_problem(problem: str) -> str:
    for english, vietnamese in _YAML_PROBLEMS.items():
        if problem.startswith(english) or english in problem:
            return f"{vietnamese} ({problem})"
    return problem
