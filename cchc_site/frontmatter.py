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
from .simpleyaml import KeyRows, read_simple_yaml

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

_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
# A line that looks like a mistyped closing fence: "----", "--", "—", "– – –", "___".
_NEAR_FENCE = re.compile(r"^[ \t]*(?:-{2}|-{4,}|[—–]+|(?:[-—–][ \t]+){2,}[-—–]|_{3,}|\*{3,})[ \t]*$")
# A tab right after "key:" or a list dash is common from Word/Notepad; YAML 1.2 allows it
# there as separation, PyYAML does not always: make it a space.
_TAB_AFTER_COLON = re.compile(r"^([^\s#][^:\n]*:)\t+", re.M)
_TAB_AFTER_DASH = re.compile(r"^([ ]*(?:-[ ]+)*-)\t+", re.M)
_TOP_KEY = re.compile(r"^([^\s#:][^:\n]*?)[ \t]*:(?:[ \t]|$)", re.M)
# "key: “value”" or "- ‘value’" as Word's AutoCorrect types it.
_SMART_VALUE = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)*(?:(?:[^\s#\-'\"“”‘’][^:\n]*?|\"[^\"\n]*\"|'[^'\n]*'):[ \t]+)?(?:-[ \t]+)*)"
    r"(?P<open>[“”„‟‘’‚‛])(?P<value>[^\n]*)(?P<close>[“”‟‘’‛])(?P<tail>[ \t]*(?:#[^\n]*)?)$"
)
# "key: “Triển khai” và “Kết quả”: tổng hợp": a text that starts with a smart quote.
_SMART_START = re.compile(_SMART_VALUE.pattern.split("(?P<open>")[0]
                          + r"(?P<open>[“”„‟‘’‚‛])(?P<value>[^\n]*?)(?P<close>)(?P<tail>[ \t]*)$")
_DOUBLE_SMART = "“”„‟"
_SINGLE_SMART = "‘’‚‛"
_ANY_SMART = re.compile(f"[{_DOUBLE_SMART}{_SINGLE_SMART}]")
_BLOCK_SCALAR = re.compile(r"(?:^|[:\-][ \t]+)[|>][0-9+\-]*[ \t]*(?:#.*)?$")


# One item of a one-line flow list written in smart quotes: [CCHC, “Một cửa”, ‘Dịch vụ công’]
_SMART_IN_FLOW = re.compile(r"(?<=[\[,])(?P<space>[ \t]*)(?P<open>[“”„‟‘’‚‛])(?P<value>[^“”„‟‘’‚‛\n,\[\]]*)"
                            r"(?P<close>[“”‟‘’‛])(?=[ \t]*[,\]])")


def _quote_flow_item(match: re.Match[str]) -> str:
    value = match.group("value")
    return match.group("space") + '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote_smart(match: re.Match[str]) -> str:
    """One smart-quoted YAML value -> the same value in ASCII quotes."""
    lead, opening, value, closing, tail = match.group("lead", "open", "value", "close", "tail")
    if not lead.strip():  # a bare line (continuation of a text): leave it alone
        return match.group(0)
    double = opening in _DOUBLE_SMART and closing in _DOUBLE_SMART
    single = opening in _SINGLE_SMART and closing in _SINGLE_SMART
    inner_smart = any(ch in value for ch in (_DOUBLE_SMART if double else _SINGLE_SMART))
    if not closing or not (double or single) or inner_smart:
        # “A” và “B”: the quotes are part of the text; quote the whole text so a ':' inside is harmless.
        text = opening + value + closing
        return lead + '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' + tail
    if double:
        return lead + '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' + tail
    return lead + "'" + value.replace("'", "''") + "'" + tail


def normalise_yaml(yaml_text: str) -> str:
    """Accept what Word and Notepad produce where YAML allows it, line for line.

    * a tab after ``key:`` or a list ``-`` becomes a space;
    * a value written in smart quotes (``“Tiêu đề: phụ”``, ``‘…’``) becomes an ordinary
      quoted YAML string (outside block scalars ``|`` / ``>``).

    The number of lines never changes, so error lines stay right.
    """
    text = yaml_text
    if "\t" in text:
        text = _TAB_AFTER_COLON.sub(lambda m: m.group(1) + " ", text)
        text = _TAB_AFTER_DASH.sub(lambda m: m.group(1) + " ", text)
    if _ANY_SMART.search(text) is None:
        return text
    out: list[str] = []
    block_indent: int | None = None  # indentation of the line that opened a block scalar
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                out.append(line)
                continue
            block_indent = None
        if _BLOCK_SCALAR.search(line.rstrip()):
            block_indent = indent
        converted, count = _SMART_VALUE.subn(_quote_smart, line)
        if not count:
            converted = _SMART_START.sub(_quote_smart, line)
        if "[" in converted:  # tags: [CCHC, “Một cửa”]
            converted = _SMART_IN_FLOW.sub(_quote_flow_item, converted)
        out.append(converted)
    return "\n".join(out)


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
    no opening ``---``.  Raises ValueError when the block is never closed.

    (It runs once for every file of every build and check: the text is sliced only for the
    YAML and the body, never copied whole.)"""
    stripped = text.lstrip("\n")
    skipped = len(text) - len(stripped)
    first_nl = stripped.find("\n")
    if (stripped[:first_nl] if first_nl >= 0 else stripped).rstrip(" \t") != "---":
        return None
    if first_nl < 0:
        raise ValueError("unclosed")
    close = _CLOSE.search(stripped, first_nl + 1)  # ('^' matches there: the start of a line)
    if close is None:
        raise ValueError("unclosed")
    yaml_text = stripped[first_nl + 1:close.start()]
    body_start = close.end()
    if stripped.startswith("\n", body_start):
        body_start += 1
    first_yaml_line = skipped + 2
    body_line = first_yaml_line + yaml_text.count("\n") + 1
    return yaml_text, first_yaml_line, stripped[body_start:], body_line


def parse_front_matter(text: str, path: str, require: bool = True) -> FrontMatter | list[SiteError]:
    """Split and parse; problems come back as a list of errors, never raised."""
    try:
        parts = split_front_matter(text)
    except ValueError:
        return [_unclosed(text, path)]
    if parts is None:
        if not require:
            return FrontMatter({}, "", 1, text, 1, {})
        return [SiteError(path, 1, "E004",
                          "Tệp không có front matter. Dòng đầu tiên phải là '---', tiếp theo là "
                          "các dòng như 'title: Tiêu đề' và 'date: 28/07/2021', rồi một dòng '---'.")]
    yaml_text, first_line, body, body_line = parts
    cleaned = normalise_yaml(yaml_text)
    rows: KeyRows | None = None
    try:
        simple = read_simple_yaml(cleaned, Loader.yaml_implicit_resolvers) if cleaned.strip() else ({}, None)
        if simple is None:  # not the simple kind: PyYAML reads it (and reports its errors)
            data = yaml.load(cleaned, Loader=Loader)
        else:
            data, rows = simple
    except yaml.YAMLError as exc:
        return [yaml_syntax_error(exc, cleaned, path, first_line)]
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
    # The simple reader saw every line: its key lines are the ones the finders would give.
    duplicates = (find_duplicate_keys(cleaned, first_line, data) if rows is None else
                  {key: [first_line + n for n in numbers] for key, numbers in rows.items() if len(numbers) > 1})
    if duplicates:
        return duplicates_errors(duplicates, path)
    key_lines = (find_key_lines(yaml_text, first_line) if rows is None else
                 {key: first_line + numbers[0] for key, numbers in rows.items()})
    return FrontMatter(data, yaml_text, first_line, body, body_line, key_lines)


def yaml_syntax_error(exc: yaml.YAMLError, text: str, path: str, first_line: int) -> SiteError:
    """E002 at the line of the file (``first_line`` is the file line of the YAML's first line)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return SiteError(path, first_line, "E002", f"Lỗi cú pháp YAML: {exc}.")
    mark = exc.problem_mark or exc.context_mark
    if mark is not None and exc.context_mark is not None and (
            mark.line >= text.count("\n") or _OPENED_CONTEXT.search(exc.context or "")):
        mark = exc.context_mark  # unclosed quote/bracket: point at where it was opened, not at '---'
    line0 = mark.line if mark else 0
    unbalanced = _unbalanced_quote_line(text, line0)
    if unbalanced is not None and unbalanced < line0:
        return SiteError(path, first_line + unbalanced, "E002",
                         "Lỗi cú pháp YAML: ngoặc kép mở nhưng chưa đóng trên dòng này, nên các dòng sau bị đọc "
                         "nhầm vào giá trị. Thêm dấu \" ở cuối giá trị (mỗi dấu \" mở phải có dấu đóng trên cùng dòng).")
    problem = _translate_yaml_problem((exc.problem or "").strip())
    hint = _yaml_hint(f"{problem} {exc.context or ''}", text, line0)
    return SiteError(path, first_line + line0, "E002", f"Lỗi cú pháp YAML: {problem}. {hint}")


def _unbalanced_quote_line(text: str, upto: int) -> int | None:
    """Index of the first line up to ``upto`` whose value opens a double quote it never closes."""
    for index, line in enumerate(text.split("\n")[: upto + 1]):
        if line.lstrip().startswith("#"):
            continue
        value = line.split(":", 1)[1] if ":" in line and not line.lstrip().startswith('"') else line
        if value.lstrip(" -\t").startswith("'"):
            continue  # single-quoted: a " inside is just a character
        if len(re.findall(r'(?<!\\)"', value)) % 2 == 1:
            return index
    return None


# Contexts in which PyYAML reports the error far from its cause (at the end of the block).
_OPENED_CONTEXT = re.compile(r"quoted scalar|flow sequence|flow mapping")


def _unclosed(text: str, path: str) -> SiteError:
    """E001, pointing at a line that looks like a mistyped closing ``---`` when there is one."""
    lines = text.lstrip("\n").split("\n")
    skipped = len(text) - len(text.lstrip("\n"))
    for index, line in enumerate(lines[1:], start=2):
        if _NEAR_FENCE.match(line):
            return SiteError(path, skipped + index, "E001",
                             f"Front matter chưa được đóng: dòng '{line.strip()}' có vẻ là dòng đóng nhưng viết sai. "
                             "Dòng đóng phải gồm đúng ba dấu gạch ngang '---' (gõ phím '-', không dùng dấu gạch dài).")
    return SiteError(path, skipped + 1, "E001",
                     "Front matter mở bằng dòng '---' nhưng không có dòng '---' đóng lại. "
                     "Thêm một dòng chỉ gồm '---' ngay sau các dòng khóa: giá trị (trước nội dung bài).")


def find_duplicate_keys(yaml_text: str, first_line: int, data: dict[Any, Any]) -> dict[str, list[int]]:
    """Top-level keys written more than once (YAML keeps the last one silently)."""
    seen: dict[str, list[int]] = {}
    for match in _TOP_KEY.finditer(yaml_text):
        key = match.group(1).strip().strip("'\"")
        if key in data:
            seen.setdefault(key, []).append(first_line + yaml_text.count("\n", 0, match.start()))
    return {key: lines for key, lines in seen.items() if len(lines) > 1}


def duplicates_errors(duplicates: dict[str, list[int]], path: str) -> list[SiteError]:
    return [SiteError(path, lines[1], "E002",
                      f"Khóa '{key}' xuất hiện {len(lines)} lần (các dòng {', '.join(map(str, lines))}). "
                      "Mỗi khóa chỉ viết một lần; xóa các dòng thừa.")
            for key, lines in sorted(duplicates.items())]


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "danh sách"
    if isinstance(value, str):
        return "đoạn văn bản"
    return type(value).__name__


def _yaml_hint(problem: str, text: str, line0: int) -> str:
    lines = text.split("\n")
    current = lines[line0] if 0 <= line0 < len(lines) else ""
    value = current.split(":", 1)[1].strip() if ":" in current else current.strip().lstrip("- ")
    if "\t" in current or "tab" in problem:
        return "Dùng dấu cách thay cho phím Tab để thụt lề (YAML không cho thụt lề bằng Tab)."
    if value[:1] in ("@", "`", "%", "*", "&", "!", "|", ">") and "cannot start" in problem or "alias" in problem:
        return f"Giá trị không được bắt đầu bằng '{value[:1]}'; hãy đặt cả giá trị trong ngoặc kép, ví dụ \"{value}\"."
    if current.count('"') > 2 and value.startswith('"'):
        return ("Trong giá trị đặt giữa hai dấu \" không được có thêm dấu \"; dùng ngoặc đơn bên ngoài, "
                "ví dụ title: 'Quyết định \"số 1\"', hoặc dùng dấu “ ” bên trong.")
    if "end of stream" in problem or "quoted scalar" in problem:
        return "Thêm dấu ngoặc đóng ở cuối giá trị trên dòng này (mỗi dấu \" hoặc ' mở phải có dấu đóng trên cùng dòng)."
    if "',' or ']'" in problem:
        return "Danh sách viết trong [ ] phải có dấu ']' đóng trên cùng dòng, ví dụ tags: [CCHC, Một cửa]."
    if "',' or '}'" in problem:
        return "Bảng viết trong { } phải có dấu '}' đóng trên cùng dòng."
    if ": " in value:
        return "Giá trị có dấu ':' cần đặt trong ngoặc kép, ví dụ title: \"Tiêu đề: phần phụ\"."
    if "mapping values" in problem:
        return "Giá trị có dấu ':' cần đặt trong ngoặc kép, hoặc kiểm tra thụt lề của dòng này."
    return "Kiểm tra dấu ngoặc kép, dấu ':' và thụt lề của dòng này (dùng dấu cách, không dùng Tab)."


_YAML_PROBLEMS = {
    "mapping values are not allowed": "có dấu ':' ở chỗ không được phép",
    "could not find expected ':'": "thiếu dấu ':' sau tên khóa",
    "found character '\\t' that cannot start any token": "có ký tự Tab ở đầu giá trị",
    "found character that cannot start any token": "giá trị bắt đầu bằng ký tự không được phép",
    "that cannot start any token": "giá trị bắt đầu bằng ký tự không được phép",
    "found unexpected end of stream": "ngoặc kép mở nhưng chưa đóng",
    "found undefined alias": "dấu '*' ở đầu giá trị",
    "expected <block end>, but found": "thụt lề không khớp với các dòng trên",
    "did not find expected key": "thụt lề không khớp, thiếu dấu ':' hoặc thừa dấu ngoặc kép",
    "found a tab character": "có ký tự Tab dùng để thụt lề",
    "did not find expected node content": "thiếu giá trị",
    "found unknown escape character": "có ký tự '\\' không hợp lệ trong ngoặc kép",
    "expected ',' or ']'": "danh sách [ ... ] chưa được đóng",
    "expected ',' or '}'": "bảng { ... } chưa được đóng",
    "did not find expected '-' indicator": "thụt lề của danh sách không khớp",
    "found duplicate": "khóa bị lặp",
}


def _translate_yaml_problem(problem: str) -> str:
    for english, vietnamese in _YAML_PROBLEMS.items():
        if problem.startswith(english) or english in problem:
            return f"{vietnamese} ({problem})"
    return problem
