"""Property-based tests (hypothesis): front matter splitting, date parsing, slugs."""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cchc_site.config import parse_config
from cchc_site.dates import DateError, parse_date
from cchc_site.frontmatter import FrontMatter, parse_front_matter
from cchc_site.text import slugify
from cchc_site.validate import parse_post
from sitekit import MINIMAL_CONFIG

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = parse_config(MINIMAL_CONFIG)
assert not isinstance(CONFIG, list)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
VIETNAMESE = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + "fjwz0123456789"
vietnamese_text = st.text(alphabet=st.sampled_from(VIETNAMESE + " ,.:;!?()-–—/\"'%&\n\t"), max_size=80)
SMART = "“”‘’„‟‚‛"
# YAML-safe values: text (any printable character except smart quotes, which are normalised),
# numbers, booleans, lists of text.
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=SMART + "\ufeff\x85\u2028\u2029"),
    max_size=40).map(lambda s: unicodedata.normalize("NFC", s))
values = st.one_of(plain_text, vietnamese_text.map(lambda s: unicodedata.normalize("NFC", s).replace("\t", " ")),
                   st.integers(-10**6, 10**6), st.booleans(), st.lists(plain_text, max_size=4))
keys = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
body_lines = st.lists(st.one_of(st.sampled_from(["---", "...", "***", "- - -", "", "title: không phải khóa",
                                                 "# Tiêu đề", "---   "]), vietnamese_text.map(
    lambda s: s.replace("\n", " "))), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(keys, values, max_size=8), lines=body_lines, leading_blank=st.integers(0, 2))
@example(data={"no": "", "title": "a: b", "date": "2021-07-28"}, lines=["---", "", "---"], leading_blank=0)
def test_front_matter_round_trip(data: dict[str, object], lines: list[str], leading_blank: int) -> None:
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=60) if data else ""
    body = "\n".join(lines) + ("\n" if lines else "")
    text = "\n" * leading_blank + "---\n" + dumped + "---\n" + body
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter), (text, fm)
    assert fm.data == data
    assert fm.body == body
    file_lines = text.split("\n")
    if body:
        assert "\n".join(file_lines[fm.body_line - 1:]) == body
    for key in data:  # (PyYAML quotes keys such as 'no' or 'on')
        assert re.match(rf"['\"]?{key}['\"]?:", file_lines[fm.line_of(key) - 1]), (key, fm.line_of(key))


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.sampled_from(VIETNAMESE + " ,.:;!?()-/%&#@*"), min_size=1, max_size=40),
       quotes=st.sampled_from(["“”", "‘’", "””", "„“"]))
@example(value="Báo cáo: kết quả", quotes="“”")
@example(value="a #b", quotes="‘’")
def test_smart_quoted_values_parse_as_their_text(value: str, quotes: str) -> None:
    assume(value.strip() == value)
    text = f"---\ntitle: {quotes[0]}{value}{quotes[1]}\ntags:\n  - {quotes[0]}{value}{quotes[1]}\n---\nx\n"
    fm = parse_front_matter(text, "a.md")
    assert isinstance(fm, FrontMatter), (text, fm)
    assert fm.data == {"title": value, "tags": [value]}


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), padded=st.booleans(),
       hour=st.none() | st.integers(0, 23), minute=st.integers(0, 59))
def test_valid_dates_parse_to_the_same_day_in_both_formats(day: date, padded: bool, hour: int | None,
                                                          minute: int) -> None:
    iso = day.isoformat()
    vn = f"{day.day:02d}/{day.month:02d}/{day.year}" if padded else f"{day.day}/{day.month}/{day.year}"
    if hour is not None:
        iso += f" {hour:02d}:{minute:02d}"
        vn += f" {hour}:{minute:02d}"
    a, b = parse_date(iso, VN), parse_date(vn, VN)
    assert a == b
    assert a.date() == day and a.tzinfo is not None
    assert (a.hour, a.minute) == ((hour, minute) if hour is not None else (0, 0))


@st.composite
def impossible_dates(draw: st.DrawFn) -> tuple[int, int, int]:
    year = draw(st.integers(1900, 2100))
    if draw(st.booleans()):
        month = draw(st.integers(1, 12))
        day = draw(st.integers(calendar.monthrange(year, month)[1] + 1, 99))
    else:
        month = draw(st.sampled_from([0, *range(13, 100)]))
        day = draw(st.integers(1, 28))
    return year, month, day


def post_errors(date_text: str) -> list[str]:
    fm = parse_front_matter(f'---\ntitle: "Bài"\ndate: {date_text}\n---\nx\n', "content/posts/a.md")
    assert isinstance(fm, FrontMatter)
    result = parse_post(fm, "content/posts/a.md", "d", CONFIG, frozenset())
    assert isinstance(result, list), result
    return [f"{e.line}:{e.code}" for e in result]


@settings(max_examples=300, deadline=None)
@given(ymd=impossible_dates(), iso=st.booleans())
def test_impossible_day_or_month_is_e005(ymd: tuple[int, int, int], iso: bool) -> None:
    year, month, day = ymd
    text = f"{year}-{month:02d}-{day:02d}" if iso else f"{day:02d}/{month:02d}/{year}"
    try:
        parse_date(text, VN)
    except DateError as exc:
        assert exc.kind == "impossible" and exc.reason
    else:
        raise AssertionError(f"{text} parsed")
    assert post_errors(text) == ["3:E005"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS + " hôm qua nay sáng chiều"), min_size=1, max_size=20))
def test_words_are_unreadable_dates_e006(text: str) -> None:
    assume(text.strip() and text.strip().lower() not in ("null", "~"))  # YAML null: a missing date, E004
    assert post_errors(text.strip()) == ["3:E006"]


@settings(max_examples=500, deadline=None)
@given(text=vietnamese_text)
@example(text="Đẩy mạnh cải cách hành chính")
@example(text="!!!")
@example(text="")
def test_slugs_of_vietnamese_text(text: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    slug = slugify(nfc)
    assert slugify(nfd) == slug
    assert slug and slug.isascii() and SLUG.fullmatch(slug), slug
    letters = [c for c in nfc.lower() if c.isalnum()]
    if letters:  # every letter and digit survives, without its marks
        assert len(slug.replace("-", "")) == len(letters)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=40))
def test_slugs_of_any_text(text: str) -> None:
    slug = slugify(text)
    assert slugify(unicodedata.normalize("NFD", text)) == slug
    assert slugify(unicodedata.normalize("NFC", text)) == slug
    assert slug and slug.isascii() and SLUG.fullmatch(slug), (text, slug)


fence_space = st.text(alphabet=" \t", max_size=3)


@settings(max_examples=300, deadline=None)
@given(leading=st.integers(0, 2), opening=fence_space, closing=st.sampled_from(["---", "..."]), after=fence_space,
       yaml_lines=st.lists(st.sampled_from(["title: A", "tags: [a, b]", "- x", "", "  ---", "--- x", "-- -"]),
                           max_size=5),
       body=st.sampled_from(["", "\n", "Nội dung.\n", "---\n", "...", "\n\nCuối"]))
def test_front_matter_fences_may_end_in_spaces_and_the_block_ends_at_the_first_fence(
        leading: int, opening: str, closing: str, after: str, yaml_lines: list[str], body: str) -> None:
    from cchc_site.frontmatter import split_front_matter

    yaml_text = "".join(line + "\n" for line in yaml_lines)
    text = "\n" * leading + "---" + opening + "\n" + yaml_text + closing + after + ("\n" + body if body else "")
    assert split_front_matter(text) == (yaml_text, leading + 2, body, leading + 2 + len(yaml_lines) + 1)
    with pytest.raises(ValueError):  # never closed (an indented '---' or '--- x' closes nothing)
        split_front_matter("\n" * leading + "---" + opening + "\n" + yaml_text)
