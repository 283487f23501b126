"""Unit tests for cchc_site.text: slugs, folding and Vietnamese alphabetical order."""
from __future__ import annotations

import unicodedata

import pytest

from cchc_site.text import ascii_slug, collation_key, fold, folded_slug, is_valid_slug, nfc, slugify, strip_html


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Đẩy mạnh cải cách hành chính năm 2021", "day-manh-cai-cach-hanh-chinh-nam-2021"),
        ("ĐỀ ÁN 06/CP", "de-an-06-cp"),
        ("Quyết định số 468/QĐ-TTg", "quyet-dinh-so-468-qd-ttg"),
        ("  Chỉ số PAR Index, SIPAS —  PAPI & PCI!  ", "chi-so-par-index-sipas-papi-pci"),
        ("Ứng dụng “chuyển đổi số”", "ung-dung-chuyen-doi-so"),
        ("Nhà ở riêng lẻ", "nha-o-rieng-le"),
        ("ư ơ ô â ă ê đ", "u-o-o-a-a-e-d"),
        ("already-a-slug", "already-a-slug"),
    ],
)
def test_slugify_vietnamese(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert is_valid_slug(slug)


def test_slugify_decomposed_input_equals_composed() -> None:
    composed = "Cải cách hành chính"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert slugify(decomposed) == slugify(composed) == "cai-cach-hanh-chinh"


def test_slugify_never_empty_and_stable() -> None:
    first = slugify("!!! ???", "the")
    assert first.startswith("the-") and is_valid_slug(first)
    assert slugify("!!! ???", "the") == first  # deterministic
    assert slugify("中文", "bai") != slugify("日本", "bai")


@pytest.mark.parametrize("slug, ok", [
    ("abc", True), ("a-b-c", True), ("2021", True), ("a--b", False), ("-a", False), ("a-", False),
    ("Abc", False), ("dđ", False), ("a b", False), ("", False), ("a/b", False),
])
def test_is_valid_slug(slug: str, ok: bool) -> None:
    assert is_valid_slug(slug) is ok


def test_fold_removes_all_marks_and_lowercases() -> None:
    assert fold("Đà Nẵng") == "da nang"
    assert fold("GIẤY PHÉP XÂY DỰNG") == "giay phep xay dung"
    assert fold(unicodedata.normalize("NFD", "Ưu tiên")) == "uu tien"


def test_nfc() -> None:
    assert nfc(unicodedata.normalize("NFD", "Hồ sơ")) == "Hồ sơ"
    assert len(nfc(unicodedata.normalize("NFD", "ồ"))) == 1


def vn_sorted(words: list[str]) -> list[str]:
    return sorted(words, key=collation_key)


def test_procedure_titles_in_vietnamese_order() -> None:
    titles = ["Gia hạn giấy phép xây dựng", "Điều chỉnh giấy phép xây dựng", "Cấp giấy phép xây dựng",
              "Cấp lại giấy phép xây dựng", "Di dời công trình"]
    assert vn_sorted(titles) == ["Cấp giấy phép xây dựng", "Cấp lại giấy phép xây dựng", "Di dời công trình",
                                 "Điều chỉnh giấy phép xây dựng", "Gia hạn giấy phép xây dựng"]
    # Code-point order gets this wrong ("Đ" sorts after "G"), which is the point of the key.
    assert sorted(titles)[-1].startswith("Điều")


@pytest.mark.parametrize("letters", [
    ["a", "ă", "â", "b"],
    ["d", "đ", "e"],
    ["e", "ê", "g"],
    ["o", "ô", "ơ", "p"],
    ["u", "ư", "v"],
])
def test_alphabet_letter_order(letters: list[str]) -> None:
    assert vn_sorted(list(reversed(letters))) == letters
    upper = [x.upper() for x in letters]
    assert vn_sorted(list(reversed(upper))) == upper


def test_letters_before_tones() -> None:
    # The letter decides first, the tone only breaks ties: "án" < "ăn" although á has a tone.
    assert vn_sorted(["ăn", "án", "an"]) == ["an", "án", "ăn"]
    assert vn_sorted(["ăn", "ác", "an"]) == ["ác", "an", "ăn"]
    # Tones in dictionary order: ngang, huyền, hỏi, ngã, sắc, nặng.
    assert vn_sorted(["mạ", "má", "mã", "mả", "mà", "ma"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]


def test_shorter_prefix_first_and_word_boundaries() -> None:
    assert vn_sorted(["anh", "an", "ăn", "ân"]) == ["an", "anh", "ăn", "ân"]
    assert vn_sorted(["Cấp lại", "Cấp"]) == ["Cấp", "Cấp lại"]


def test_collation_is_case_insensitive_and_normalisation_insensitive() -> None:
    assert collation_key("đất")[:2] == collation_key("ĐẤT")[:2]
    assert collation_key(unicodedata.normalize("NFD", "Hồ sơ"))[:2] == collation_key("Hồ sơ")[:2]


def test_strip_html() -> None:
    assert strip_html("<p>Một <b>hai</b>&nbsp;&amp; ba</p>\n<p>bốn</p>") == "Một hai & ba bốn"


def test_a_slug_already_is_its_own_slug_as_folding_would_make_it() -> None:
    """ascii_slug returns a text of the slug form as it is, without folding it: every short text
    over the letters that matter (two letters, a digit, '-', a capital, a space, 'đ') gives what
    folding gives, whether or not it takes that shortcut."""
    import itertools

    alphabet = "a9-Z đ"
    shortcut = 0
    for size in range(1, 6):
        for letters in itertools.product(alphabet, repeat=size):
            text = "".join(letters)
            assert ascii_slug(text) == folded_slug(text), text
            shortcut += is_valid_slug(text)
    assert shortcut > 50  # the shortcut was taken, and agreed
