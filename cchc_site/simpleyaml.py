"""A fast reader for the simple front matter nearly every file has, exact or silent.

Front matter as authors write it is a handful of ``key: value`` lines and a list or two.
Reading that with PyYAML (even its C loader) costs about 50 µs a file, a fifth of all the
work ``check`` does per post.  :func:`read_simple_yaml` reads the common forms directly
and gives **the same value PyYAML would**, using PyYAML's own rules for what a plain
word means (``true``, ``null``, ``~``...); for anything else, or anything it is not sure
of (numbers, comments after a value, escapes, anchors, multi-line values, nesting,
unusual characters), it returns None and the caller uses PyYAML.  Errors are therefore
always PyYAML's: this module never reports one.  ``tests/test_simpleyaml.py`` compares
both readers on generated inputs.

Pure.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

# Characters a plain (unquoted) value may not start with, or that change its meaning.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`=~ ")
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$")
_ITEM_LINE = re.compile(r"( *)- +(.*)$")
_DOUBLE = re.compile(r'"([^"\\]*)" *$')
_SINGLE = re.compile(r"'((?:[^']|'')*)' *$")
_FLOW = re.compile(r"\[(.*)\] *$")
# One item of a one-line flow list and the comma after it: "quoted", 'quoted' or plain.
_FLOW_ITEM = re.compile(r""" *(?:"([^"\\]*)"|'((?:[^']|'')*)'|([^,\[\]{}:#'" ][^,\[\]{}:#'"]*?)) *(?:,|$)""")
# Anything but LF, printable ASCII and ordinary non-ASCII text: control characters (NEL
# too), line and paragraph separators, surrogates, the BOM and the non-characters U+FFFE/F.
# (Written as the few ranges it matches: the same class written as "not the allowed ranges"
# took 9 ms to compile, on every start of the program.)
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _Unsure(Exception):
    """The text uses a form this reader leaves to PyYAML."""


KeyRows = dict[str, list[int]]  # top-level key -> the 0-based lines it is written on, in order


def read_simple_yaml(text: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]
                     ) -> tuple[dict[str, Any], KeyRows | None] | None:
    """The mapping PyYAML would read from ``text`` and, from the same pass, the lines of each
    top-level key, as ``frontmatter.find_key_lines`` and ``find_duplicate_keys`` would find them;
    None when ``text`` is not the simple kind.  The lines are None when a list item holds a ':'
    (those finders read such a line as a key).

    ``resolvers`` is the loader's ``yaml_implicit_resolvers`` (the loader in use may leave
    some out, e.g. timestamps), so plain words resolve exactly as that loader resolves them.
    """
    if _UNUSUAL.search(text):
        return None
    data: dict[str, Any] = {}
    rows: KeyRows | None = {}
    try:
        open_key: str | None = None  # a "key:" with nothing after it yet (a block list may follow)
        items: list[Any] | None = None
        indent = -1
        for number, line in enumerate(text.split("\n")):
            stripped = line.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            item = _ITEM_LINE.match(line) if stripped[0] == "-" else None
            if item is not None:
                if open_key is None or (items and len(item.group(1)) != indent):
                    raise _Unsure
                if items is None:
                    items, indent = [], len(item.group(1))
                    data[open_key] = items
                items.append(_value(item.group(2), resolvers, allow_flow=False))
                if ":" in line:
                    rows = None
                continue
            if stripped is not line:  # an indented line that is not a list item
                raise _Unsure
            match = _KEY_LINE.match(line)
            if match is None:
                raise _Unsure
            key = match.group(1)
            if _resolve(key, resolvers) is not key:
                raise _Unsure  # a key such as 'yes' or 'null' is not text in YAML
            value = (match.group(2) or "").rstrip(" ")
            open_key, items, indent = (key, None, -1) if not value else (None, None, -1)
            data[key] = _value(value, resolvers, allow_flow=True) if value else None
            if rows is not None:
                rows.setdefault(key, []).append(number)
    except _Unsure:
        return None
    return data, rows


def _value(value: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]], allow_flow: bool) -> Any:
    value = value.rstrip(" ")
    first = value[:1]
    if first == '"':
        match = _DOUBLE.match(value)
        if match is None:
            raise _Unsure
        return match.group(1)
    if first == "'":
        match = _SINGLE.match(value)
        if match is None:
            raise _Unsure
        return match.group(1).replace("''", "'")
    if first == "[" and allow_flow:
        match = _FLOW.match(value)
        if match is None:
            raise _Unsure
        return _flow_items(match.group(1).strip(" "), resolvers)
    return _plain(value, resolvers)


def _flow_items(inner: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> list[Any]:
    """The items of ``[a, "b", 'c']`` (the text between the brackets)."""
    if inner.endswith(","):
        raise _Unsure  # a trailing comma: left to PyYAML
    found: list[Any] = []
    position = 0
    while position < len(inner):
        match = _FLOW_ITEM.match(inner, position)
        if match is None or match.end() == position:
            raise _Unsure
        double, single, plain = match.groups()
        if double is not None:
            found.append(double)
        elif single is not None:
            found.append(single.replace("''", "'"))
        else:
            found.append(_plain(plain.rstrip(" "), resolvers))
        position = match.end()
    return found


def _plain(value: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    if not value or value[0] in _INDICATORS or ": " in value or " #" in value or value.endswith(":"):
        raise _Unsure
    resolved = _resolve(value, resolvers)
    if resolved is _NOT_TEXT:
        raise _Unsure
    return resolved


_NOT_TEXT = object()


def _resolve(value: str, resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Any:
    """A plain word as the loader reads it: the text itself, True/False, None, or _NOT_TEXT
    for what this module leaves to PyYAML (numbers and the rest)."""
    for tag, regexp in (*resolvers.get(value[0], ()), *resolvers.get(None, ())):
        if regexp.match(value):
            if tag == _BOOL:
                return yaml.constructor.SafeConstructor.bool_values[value.lower()]
            if tag == _NULL:
                return None
            return value if tag == _STR else _NOT_TEXT
    return value
