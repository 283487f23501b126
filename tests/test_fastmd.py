"""The Markdown shortcut (fastmd) gives exactly what Python-Markdown gives, or declines.

Differential tests: bodies are generated from pieces that include everything the shortcut
must refuse (lone stars, four stars, brackets, a line that starts another block, trailing
spaces, quotes after quotes, loose lists...), and for each one the shortcut's result must be
None or equal — HTML, summary and links — to the converter it stands in for.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_site import fastmd
from cchc_site.fastmd import render_simple
from cchc_site.mdrender import converter_for

BASE = "/cchc/"
ROOT = Path(__file__).resolve().parent.parent

WORDS = ["Sở", "Xây", "dựng", "cải", "cách", "hành", "chính", "a", "B", "2021", "2021.", "1.", "3)", "#", "##x", "*",
         "**", "***", "****", "-", "+", ">", "|", "[", "]", "(", ")", "[l](/tin-tuc/x/)", "[ngoài](https://a.vn/b)",
         "[tt](tthc:1.013225)", "[neo](#muc)", "[x](/a/ \"t\")", "[a *b*](/y/)", "[r](x.html)", "[m](mailto:a@b.vn)",
         "*em*", "**đậm**", "***cả hai***", "*“trích”*", "x*y*z", "**a**b**c**", "*a**b*", "* x *", "“q”", ":", "=",
         "---", "!", "'", '"', "%", "0", "—", "\u00a0", "*a* *b*", "**[l](/z/)**", "[l](/z/)[m](/w/)", "(/t/)",
         "Nghị định 61/2018/NĐ-CP", "*a", "b*", "**a", "a**", "****Đề án 06****", "****a****b", "*****", "****a***",
         "x ***a****b****c***", "***Quyết định****số 06****năm 2022***"]
PREFIXES = ["", "", "", "", "# ", "## ", "### ", "###### ", "####### ", "#", "- ", "1. ", "2. ", "> ", "* ", "+ ",
            " ", "    ", "| ", "=", "-", "1) "]
SUFFIXES = ["", "", "", "", " ", "  ", " #", "|", "\u00a0"]


def line(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(1, 6))
    text = " ".join(words) if rng.random() < 0.85 else "".join(words)
    return rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)


def plain_line(rng: random.Random) -> str:
    """A line the shortcut should take: words, emphasis, links."""
    safe = ["Sở", "Xây", "dựng", "cải", "cách", "2021", "*em*", "**đậm**", "***cả hai***", "[l](/tin-tuc/x/)",
            "[ngoài](https://a.vn/b)", "[tt](tthc:1.013225)", "“q”", "(ghi chú)", "61/2018/NĐ-CP", "—", "x*y*z",
            "****Đề án 06****"]
    return " ".join(rng.choices(safe, k=rng.randint(1, 8)))


def table(rng: random.Random, safe: bool) -> list[str]:
    columns = rng.randint(1, 4)
    aligns = ["---", ":---", "---:", ":---:", "-"] + ([] if safe else ["--x", ":", ""])
    def make(rng: random.Random) -> str:  # cells pasted from Word keep non-breaking spaces
        return (plain_line(rng) if safe else line(rng)) + rng.choice(["", "", "", "\u00a0", " a\u2003b"])

    rows = [[make(rng) for _ in range(columns)]]
    rows.append([rng.choice(aligns) for _ in range(columns)])
    rows += [[make(rng) if rng.random() < 0.8 else "" for _ in range(columns if safe or rng.random() < 0.8 else columns + 1)]
             for _ in range(rng.randint(0 if not safe else 1, 3))]
    return ["| " + " | ".join(row) + " |" for row in rows]


def block(rng: random.Random, safe: bool) -> list[str]:
    kind = rng.choice(["p", "p", "p", "h", "ul", "ol", "quote", "table"])
    make = plain_line if safe else line
    if kind == "h":
        return [f"{'#' * rng.randint(1, 6)} {plain_line(rng)}"] if safe else [line(rng)]
    if kind in ("ul", "ol"):
        marks = ["- "] * 5 if kind == "ul" else [f"{n}. " for n in range(1, 6)]
        return [marks[i] + make(rng) for i in range(rng.randint(1, 4))]
    if kind == "quote":
        return ["> " + make(rng) for _ in range(rng.randint(1, 2))]
    if kind == "table":
        return table(rng, safe)
    return [make(rng) for _ in range(rng.randint(1, 3))]


def body(rng: random.Random, safe: bool) -> str:
    parts = ["\n".join(block(rng, safe)) for _ in range(rng.randint(1, 6))]
    separators = ["\n\n"] * 6 + ([] if safe else ["\n", "\n\n\n", "\n \n"])
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(separators) + part
    return text


def reference(text: str):  # type: ignore[no-untyped-def]
    return converter_for(BASE).convert(text)


def test_generated_bodies_are_rendered_exactly_or_declined() -> None:
    rng = random.Random(20261127)
    taken = 0
    for i in range(2500):
        text = body(rng, safe=i % 3 == 0)
        fast = render_simple(text, BASE)
        if fast is not None:
            taken += 1
            assert fast == reference(text), text
    assert taken > 400  # the comparison is not vacuous: many bodies do take the shortcut


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS + PREFIXES + SUFFIXES + ["\n", "\n\n", "\n\n", " ", " "]), min_size=1, max_size=40))
def test_any_mix_of_pieces_is_rendered_exactly_or_declined(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast = render_simple(text, BASE)
    if fast is not None:
        assert fast == reference(text)


def test_the_usual_post_takes_the_shortcut() -> None:
    text = ("Thực hiện Kế hoạch *cải cách hành chính* năm 2021, Sở đã ban hành **nhiều giải pháp**.\n"
            "Xem thêm [bài trước](/tin-tuc/2021/12/bai/) và [Cổng DVC](https://dichvucong.gov.vn/).\n\n"
            "## Đẩy mạnh dịch vụ công\n\n- Một [thủ tục](tthc:1.013225)\n- Hai ***điểm***\n\n"
            "| STT | Lĩnh vực | Tỷ lệ |\n|---:|---|:---:|\n| 1 | Xây dựng | 92,2% |\n\n"
            "> *Nội dung mẫu minh họa.*\n\n## Đẩy mạnh dịch vụ công\n\n1. Một\n2. Hai")
    fast = render_simple(text, BASE)
    assert fast is not None
    assert fast == reference(text)
    assert fast.summary.startswith("Thực hiện Kế hoạch cải cách hành chính năm 2021")
    assert [link.target for link in fast.links] == ["/tin-tuc/2021/12/bai/", "tthc:1.013225"]
    assert 'id="day-manh-dich-vu-cong-1"' in fast.html and '<table class="bang">' in fast.html


def test_what_it_does_not_know_goes_to_python_markdown() -> None:
    for text in ("<b>x</b>", "a &amp; b", "`code`", "x_y_", "![ảnh](/static/a.png)", "chú thích[^1]\n\n[^1]: x",
                 "    mã", "dòng  \nngắt", "* mục", "- a\n\n- b", "> a\n\n> b", "*****x*****", "[tham chiếu]", "{: #id}",
                 "a\n===", "1. a\n  2. b", "3. ba", "para\n- a", "# Tiêu đề #", "**đậm***em***đậm**", "Theo ***Quyết định****số 06****năm 2022***", ""):
        assert render_simple(text, BASE) is None, text


def test_differences_found_in_review_are_gone() -> None:
    """Table cells keep non-breaking spaces (Python-Markdown trims spaces only), a separator
    cell with one is not a table, ">" in a link is escaped: each taken exactly or declined."""
    for text in ("| Tỷ lệ | Ghi chú |\n|---|---|\n| 92% | \u00a0 |", "| a\u00a0| b |\n|---|---|\n| c | d |",
                 "| a | b |\n|\u00a0---|---|\n| c | d |", "[a](/x>y)", "| ### 2021\u00a0 |\n| - |\n|  |"):
        fast = render_simple(text, BASE)
        assert fast is None or fast == reference(text), text
    assert render_simple("| a\u00a0| b |\n|---|---|\n| c | d |", BASE) == reference("| a\u00a0| b |\n|---|---|\n| c | d |")


def test_the_department_content_agrees() -> None:
    """Every content file of the shipped site: the shortcut (when it takes a file) equals Python-Markdown."""
    taken = 0
    for path in sorted((ROOT / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        fast = render_simple(text, BASE)
        if fast is not None:
            taken += 1
            assert fast == reference(text), path
    assert taken >= 5


def test_an_empty_body_has_no_summary_or_links_of_the_body_before() -> None:
    converter = converter_for(BASE)
    converter.convert("Tóm tắt [l](/x/) cũ <b>.</b>")
    empty = converter.convert("")
    assert empty.summary == "" and empty.links == () and empty.html == ""


# The emphasis patterns as first written (a look-behind first): the faster ones, which start
# with a literal star, must find exactly the same matches.
_FIRST_WRITTEN = {
    "_DOUBLE_STRONG": r"(?<!\*)\*\*\*\*([^*\s](?:[^*\n]*[^*\s])?)\*\*\*\*(?!\*)",
    "_STRONG_EM": r"(?<!\*)\*\*\*([^*\s](?:[^*\n]*[^*\s])?)\*\*\*(?!\*)",
    "_STRONG": r"(?<!\*)\*\*([^*\s<](?:[^*\n<]*[^*\s<])?)\*\*(?!\*)",
    "_EM": r"(?<!\*)\*([^*\s<](?:[^*\n<]*[^*\s<])?)\*(?!\*)",
}


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="**** ab\n<", max_size=40))
def test_the_emphasis_patterns_match_as_first_written(text: str) -> None:
    for name, first in _FIRST_WRITTEN.items():
        now = getattr(fastmd, name)
        assert [(m.span(), m.groups()) for m in now.finditer(text)] == \
            [(m.span(), m.groups()) for m in re.finditer(first, text)], name
