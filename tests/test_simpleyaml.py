"""The fast front matter reader gives exactly PyYAML's value, or steps aside."""
from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_site.frontmatter import Loader
from cchc_site.frontmatter import find_duplicate_keys, find_key_lines, parse_front_matter
from cchc_site.simpleyaml import read_simple_yaml

RESOLVERS = Loader.yaml_implicit_resolvers


def load_simple_yaml(text: str, resolvers: object) -> object:
    """The mapping the fast reader gives, or None when it leaves the text to PyYAML."""
    read = read_simple_yaml(text, resolvers)  # type: ignore[arg-type]
    return None if read is None else read[0]


def reference(text: str) -> Any:
    data = yaml.load(text, Loader=Loader)
    return {} if data is None else data


def typed(value: Any) -> Any:
    """The value with the type of every leaf, so 'true' and True never compare equal."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("text", [
    'title: "Đẩy mạnh cải cách: kết quả"\ndate: 28/07/2021\ntags: [CCHC, "Một cửa", \'Dịch vụ công\']\n',
    "title: Hội nghị\ndraft: false\nsample: yes\nimage:\nsummary: x~\n",
    "tags:\n  - Một cửa\n  - 'It''s'\n  - \"Dịch vụ\"\nauthor: Văn phòng Sở\n",
    "tags:\n- a\n- b\n\n# chú thích\ncategory: Tin tức\n",
    "title: C# và http://x.vn/a?b=1\ncode: 1.012753.H19\nlink: /tin-tuc/2021/08/a/\n",
    "tags: []\nattachments: [ ]\nnote: null\n",
    "title: a\ntitle: b\n",
])
def test_common_front_matter_is_read_fast_and_equal(text: str) -> None:
    fast = load_simple_yaml(text, RESOLVERS)
    assert fast is not None
    assert typed(fast) == typed(reference(text))


@pytest.mark.parametrize("text", [
    "title: Tiêu đề # chú thích\n",      # a comment after a value
    "order: 3\n",                        # numbers
    "ratio: 1.5\n",
    "title: |\n  dòng 1\n  dòng 2\n",   # block scalars
    "title: dòng 1\n  dòng 2\n",        # a plain value on two lines
    'title: "a \\" b"\n',                # escapes
    "base: &a x\nother: *a\n",           # anchors
    "yes: 1\n",                          # a key that is not text
    "decision:\n  number: 12/QĐ\n",     # nesting
    "tags: [a, b,]\n",                   # trailing comma
    "tags:\n  - a\n    - b\n",           # uneven list
    "- a\n- b\n",                        # not a mapping
    "title: a\u2028b\n",                 # a Unicode line separator
    "title: -5\n", "title: ~\n", "title: 'a' # x\n", "title: a: b\n", "title: a:\n", "key:value\n",
])
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert load_simple_yaml(text, RESOLVERS) is None


KEYS = st.sampled_from(["title", "date", "tags", "slug", "draft", "on", "null", "a-b", "x_1", "Title"])
WORDS = st.sampled_from([
    "Hội nghị", "CCHC", "true", "False", "yes", "No", "null", "Null", "~", "0", "12", "1.5", "1_000", "0x1F", "1:30",
    ".inf", "-5", "+3", "2021-08-01", "28/07/2021", "a: b", "a:", "a:b", "C#", "a #b", "#x", "@x", "`x", "%x", "&a",
    "*a", "!x", "|", ">", "?", "? a", "-", "- a", "[", "]", "{a}", "a,b", "a, b", "'", "''", '"', "x'y", "=", "<<",
    " ", "  pad  ", "\u00a0nbsp", "tab\there", "\u0085", "\ufeff", "Đà Nẵng", "ﬁ", "e\u0301",
])


def quoted(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, f'"{word}"', f"'{word}'", "'" + word.replace("'", "''") + "'"])


SCALARS = WORDS.flatmap(quoted)
FLOW = st.lists(SCALARS, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
SPACES = st.sampled_from(["", " ", "  "])


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(KEYS)
        form = draw(st.sampled_from(["scalar", "flow", "block", "empty", "comment", "blank", "raw"]))
        if form == "scalar":
            lines.append(f"{key}: {draw(SCALARS)}{draw(SPACES)}")
        elif form == "flow":
            lines.append(f"{key}: {draw(FLOW)}")
        elif form == "block":
            indent = draw(SPACES)
            lines.append(f"{key}:")
            lines += [f"{indent}- {draw(SCALARS)}" for _ in range(draw(st.integers(1, 3)))]
        elif form == "empty":
            lines.append(f"{key}:{draw(SPACES)}")
        elif form == "comment":
            lines.append(f"{draw(SPACES)}# {draw(WORDS)}")
        elif form == "blank":
            lines.append(draw(SPACES))
        else:
            lines.append(draw(WORDS))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@settings(max_examples=1500, deadline=None)
@given(documents())
def test_fast_reader_agrees_with_pyyaml(text: str) -> None:
    fast = load_simple_yaml(text, RESOLVERS)
    if fast is None:
        return
    try:
        expected = reference(text)
    except yaml.YAMLError as exc:  # pragma: no cover - the assertion explains
        raise AssertionError(f"fast reader accepted what PyYAML rejects: {text!r}: {exc}") from exc
    assert typed(fast) == typed(expected), text


@settings(max_examples=1500, deadline=None)
@given(documents())
def test_key_lines_read_along_equal_what_the_finders_find(text: str) -> None:
    """The simple reader notes each key's lines as it reads; they must be what the regular
    expressions of frontmatter.py find (first line of each key; every line of a repeated key)."""
    read = read_simple_yaml(text, RESOLVERS)
    if read is None or read[1] is None:
        return
    data, rows = read
    assert {key: 7 + numbers[0] for key, numbers in rows.items()} == find_key_lines(text, 7), text
    repeated = {key: [7 + n for n in numbers] for key, numbers in rows.items() if len(numbers) > 1}
    assert repeated == find_duplicate_keys(text, 7, data), text


def test_a_list_item_with_a_colon_leaves_key_lines_to_the_finders() -> None:
    text = 'tags:\n  - "Quyết định: số 1"\ntitle: a\n'
    read = read_simple_yaml(text, RESOLVERS)
    assert read is not None and read[1] is None
    fm = parse_front_matter(f"---\n{text}---\n\nThân.\n", "a.md")
    assert not isinstance(fm, list) and fm.key_lines == find_key_lines(text, 2)
    assert fm.line_of("title") == 4


def test_the_unusual_characters_are_all_but_lf_printable_ascii_and_ordinary_text() -> None:
    """The reader steps aside for every character outside LF, printable ASCII and ordinary
    non-ASCII text (its class lists the few ranges it matches, which compiles quickly): checked on
    every code point against the class written as "not the allowed ranges"."""
    import re

    from cchc_site.simpleyaml import _UNUSUAL
    allowed = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
    text = "".join(map(chr, range(0x110000)))
    unusual = {m.start() for m in _UNUSUAL.finditer(text)}
    assert unusual == {i for i in range(0x110000) if not allowed.match(text, i)}
    assert {0x85, 0x2028, 0x2029, 0xFEFF, 0xD800, 0x0D, 0x09} <= unusual and ord("ệ") not in unusual
