"""Tests for cchc_site.encoding: UTF-8 decoding and legacy Vietnamese encodings.

The legacy encoders below are written here, from tables typed independently of
the module (they follow the published TCVN3/VNI conversion tables used by
open-source converters), so a round trip checks the module's tables against
a second copy rather than against themselves.
"""
from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_site.encoding import (
    Decoded,
    NotUtf8,
    convert_legacy,
    decode_source,
    guess_legacy_encoding,
    normalize_text,
)


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# ---------------------------------------------------------------------------
# Test data
# ---------------------------------------------------------------------------

LOWER_LETTERS = (
    "àáảãạ ăằắẳẵặ âầấẩẫậ đ èéẻẽẹ êềếểễệ ìíỉĩị òóỏõọ ôồốổỗộ ơờớởỡợ "
    "ùúủũụ ưừứửữự ỳýỷỹỵ"
).replace(" ", "")
UPPER_LETTERS = LOWER_LETTERS.upper()

SENTENCES = [
    "Thủ tục cấp giấy phép xây dựng",
    "Đẩy mạnh cải cách hành chính năm 2021",
    "Cổng Dịch vụ công Quốc gia",
    "Sở Xây dựng tỉnh Bình Thuận",
]

PARAGRAPH = (
    "Thủ tục cấp giấy phép xây dựng\n"
    "\n"
    "Đẩy mạnh cải cách hành chính năm 2021, nâng cao chất lượng phục vụ người dân "
    "và doanh nghiệp. Hồ sơ được tiếp nhận tại Bộ phận Một cửa của Sở Xây dựng tỉnh "
    "Bình Thuận hoặc qua Cổng Dịch vụ công Quốc gia.\n"
    "- Thời hạn giải quyết: 15 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.\n"
    "- Lệ phí: theo quy định của Hội đồng nhân dân tỉnh.\n"
)

LETTERS_TEXT = " ".join(LOWER_LETTERS) + "\n" + " ".join(UPPER_LETTERS) + "\n"

# Every text here round-trips through all three legacy encodings.
SAMPLES = [*SENTENCES, PARAGRAPH, PARAGRAPH + LETTERS_TEXT]


def test_letter_inventory():
    assert len(LOWER_LETTERS) == 67 and len(set(LOWER_LETTERS)) == 67
    assert len(set(LOWER_LETTERS + UPPER_LETTERS)) == 134
    assert all(len(c) == 1 and nfc(c) == c for c in LOWER_LETTERS + UPPER_LETTERS)


# ---------------------------------------------------------------------------
# Encoders written for the tests
# ---------------------------------------------------------------------------

# TCVN3 (ABC): "<byte as Latin-1 char><letter>" pairs.
_TCVN3_PAIRS = (
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ "
    "Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ ×ì Ýí Øỉ Üĩ Þị "
    "ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ "
    "ïù óú ñủ òũ ôụ \xadư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ "
    "¡Ă ¢Â £Ê ¤Ô ¥Ơ ¦Ư §Đ"
)
TCVN3_ENC = {pair[1]: pair[0].encode("latin-1") for pair in _TCVN3_PAIRS.split()}

# VNI-Windows, lower case; upper case is str.upper() of both sides.
_VNI_LOWER = dict(
    pair.split("=")
    for pair in (
        "à=aø á=aù ả=aû ã=aõ ạ=aï ă=aê ằ=aè ắ=aé ẳ=aú ẵ=aü ặ=aë "
        "â=aâ ầ=aà ấ=aá ẩ=aå ẫ=aã ậ=aä đ=ñ "
        "è=eø é=eù ẻ=eû ẽ=eõ ẹ=eï ê=eâ ề=eà ế=eá ể=eå ễ=eã ệ=eä "
        "ì=ì í=í ỉ=æ ĩ=ó ị=ò "
        "ò=oø ó=où ỏ=oû õ=oõ ọ=oï ô=oâ ồ=oà ố=oá ổ=oå ỗ=oã ộ=oä "
        "ơ=ô ờ=ôø ớ=ôù ở=ôû ỡ=ôõ ợ=ôï "
        "ù=uø ú=uù ủ=uû ũ=uõ ụ=uï ư=ö ừ=öø ứ=öù ử=öû ữ=öõ ự=öï "
        "ỳ=yø ý=yù ỷ=yû ỹ=yõ ỵ=î"
    ).split()
)
VNI_ENC = {**_VNI_LOWER, **{k.upper(): v.upper() for k, v in _VNI_LOWER.items()}}

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def encode_tcvn3(text: str) -> bytes:
    """As typed with .VnTime/.VnTimeH: capital toned letters use the lower-case byte."""
    out = bytearray()
    for ch in nfc(text):
        code = TCVN3_ENC.get(ch) or TCVN3_ENC.get(ch.lower())
        out += code if code is not None and not ch.isascii() else ch.encode("ascii")
    return bytes(out)


def encode_vni(text: str) -> bytes:
    return "".join(VNI_ENC.get(ch, ch) for ch in nfc(text)).encode("cp1252")


def encode_cp1258(text: str) -> bytes:
    """As Windows does: letter-with-vowel-mark precomposed if the code page has it,
    tone as a combining byte otherwise."""
    out = bytearray()
    for ch in nfc(text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = nfd(ch)
        tones = "".join(c for c in parts if c in _TONES)
        base = nfc("".join(c for c in parts if c not in _TONES))
        out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


ENCODERS = {"windows-1258": encode_cp1258, "tcvn3": encode_tcvn3, "vni": encode_vni}


def test_test_tables_are_complete():
    assert set(TCVN3_ENC) == set(LOWER_LETTERS) | set("ĂÂÊÔƠƯĐ")
    assert len(set(TCVN3_ENC.values())) == len(TCVN3_ENC)
    assert set(VNI_ENC) == set(LOWER_LETTERS + UPPER_LETTERS)
    assert len(set(VNI_ENC.values())) == 134
    for letter in LOWER_LETTERS + UPPER_LETTERS:
        assert encode_cp1258(letter).decode("cp1258") in (letter, nfd(letter), _win(letter))


def _win(letter: str) -> str:
    parts = nfd(letter)
    return nfc("".join(c for c in parts if c not in _TONES)) + "".join(c for c in parts if c in _TONES)


# ---------------------------------------------------------------------------
# normalize_text / decode_source (UTF-8)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("", ""),
        ("abc", "abc"),
        ("\ufeffabc", "abc"),
        ("a\r\nb\rc\n", "a\nb\nc\n"),
        ("\r\r\n\n", "\n\n\n"),
        (nfd("Thủ tục"), "Thủ tục"),
        ("\ufeff" + nfd("Đẩy mạnh\r\ncải cách\r"), "Đẩy mạnh\ncải cách\n"),
        ("a\u200bb\u200dc\ufeffd", "a\u200bb\u200dc\ufeffd"),  # odd chars kept
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_decode_plain_utf8():
    text = PARAGRAPH
    assert decode_source(text.encode("utf-8")) == Decoded(
        text=text, had_bom=False, had_crlf=False, was_nfd=False
    )


def test_decode_empty():
    assert decode_source(b"") == Decoded(text="", had_bom=False, had_crlf=False, was_nfd=False)


def test_decode_bom():
    result = decode_source(b"\xef\xbb\xbf" + "Cổng Dịch vụ công".encode())
    assert result == Decoded(text="Cổng Dịch vụ công", had_bom=True, had_crlf=False, was_nfd=False)


def test_decode_only_one_bom_removed():
    result = decode_source(b"\xef\xbb\xbf\xef\xbb\xbfx")
    assert isinstance(result, Decoded)
    assert result.text == "\ufeffx" and result.had_bom


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_decode_crlf_and_cr(eol):
    text = "# Thủ tục\n\nNội dung\n"
    result = decode_source(text.replace("\n", eol).encode())
    assert result == Decoded(text=text, had_bom=False, had_crlf=True, was_nfd=False)


def test_decode_nfd():
    result = decode_source(nfd(PARAGRAPH).encode())
    assert result == Decoded(text=PARAGRAPH, had_bom=False, had_crlf=False, was_nfd=True)


def test_decode_everything_at_once():
    data = b"\xef\xbb\xbf" + nfd("Sở Xây dựng\r\ntỉnh Bình Thuận\r").encode()
    assert decode_source(data) == Decoded(
        text="Sở Xây dựng\ntỉnh Bình Thuận\n", had_bom=True, had_crlf=True, was_nfd=True
    )


def test_decode_keeps_zero_width_and_odd_characters():
    text = "Thủ\u200btục\u00a0hành\u00adchính \u2028 \x0c \U0001f600 \ufeff"
    result = decode_source(text.encode())
    assert isinstance(result, Decoded)
    assert result.text == text


def test_results_are_frozen():
    result = decode_source(b"x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "y"  # type: ignore[misc]
    bad = decode_source(b"\xff")
    assert isinstance(bad, NotUtf8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bad.line = 2  # type: ignore[misc]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_invalid_utf8_on_line_3(eol):
    data = eol.join(["# Tiêu đề".encode(), "Dòng hai".encode(), b"D\xf2ng ba", b"bon"])
    result = decode_source(data)
    assert isinstance(result, NotUtf8)
    assert result.line == 3


@pytest.mark.parametrize(
    "data, line",
    [
        (b"\xff", 1),
        (b"abc\xc3", 1),  # truncated sequence at the end
        (b"a\nb\n\xed\xa0\x80", 3),  # encoded surrogate
        (b"a\n\n\n\xc0\xaf", 4),  # overlong
        ("đúng\n".encode() + b"sai \xe0 \n", 2),
    ],
)
def test_invalid_utf8_line_numbers(data, line):
    result = decode_source(data)
    assert isinstance(result, NotUtf8)
    assert result.line == line


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_never_flagged(text):
    data = text.encode("ascii")
    result = decode_source(data)
    assert isinstance(result, Decoded)
    assert not result.had_bom and not result.was_nfd
    assert result.text == text.replace("\r\n", "\n").replace("\r", "\n")
    assert guess_legacy_encoding(data) is None


@given(st.text())
def test_any_utf8_decodes_to_nfc_with_lf(text):
    result = decode_source(text.encode("utf-8"))
    assert isinstance(result, Decoded)
    body = text[1:] if text.startswith("\ufeff") else text
    expected = nfc(body.replace("\r\n", "\n").replace("\r", "\n"))
    assert result.text == expected
    assert "\r" not in result.text
    assert unicodedata.is_normalized("NFC", result.text)
    assert result.had_bom == text.startswith("\ufeff")
    assert result.had_crlf == ("\r" in body)
    assert result.text == normalize_text(text)


@given(st.text())
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    # A second pass only differs if the text began with two BOMs.
    assert normalize_text(once) == (once[1:] if once.startswith("\ufeff") else once)


# ---------------------------------------------------------------------------
# Legacy encodings: round trips
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", list(ENCODERS))
@pytest.mark.parametrize("text", SAMPLES, ids=lambda t: t[:30])
def test_legacy_round_trip(encoding, text):
    data = ENCODERS[encoding](text)
    assert not data.isascii()
    assert guess_legacy_encoding(data) == encoding
    assert convert_legacy(data, encoding) == text
    result = decode_source(data)
    assert isinstance(result, NotUtf8)
    assert result.guess == encoding


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_all_134_letters_round_trip(encoding):
    data = ENCODERS[encoding](LETTERS_TEXT)
    assert convert_legacy(data, encoding) == LETTERS_TEXT
    assert guess_legacy_encoding(data) == encoding


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_crlf_kept_by_convert(encoding):
    text = "Thủ tục\r\nhành chính\r\n"
    data = ENCODERS[encoding](text)
    converted = convert_legacy(data, encoding)
    assert converted == text
    assert normalize_text(converted) == "Thủ tục\nhành chính\n"


def test_invalid_line_reported_for_legacy_file():
    data = encode_tcvn3("# Tiêu đề\n\nThủ tục hành chính\n")
    result = decode_source(data)
    assert result == NotUtf8(line=1, guess="tcvn3")
    data = encode_vni("Title\nSecond line\nĐẩy mạnh cải cách hành chính\n")
    assert decode_source(data) == NotUtf8(line=3, guess="vni")


# ---------------------------------------------------------------------------
# Legacy encodings: text as real converters/fonts produced it
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("B¶o Th¾ng", "Bảo Thắng"),
        ("M\xadêng Kh\xad¬ng", "Mường Khương"),
        ("B¸t X¸t", "Bát Xát"),
        ("Ninh B×nh", "Ninh Bình"),
        ("§¶ng Céng s¶n ViÖt Nam", "Đảng Cộng sản Việt Nam"),
        ("Uû ban nh©n d©n", "Uỷ ban nhân dân"),  # old-style "uỷ" spelling
    ],
)
def test_tcvn3_known_strings(raw, expected):
    assert convert_legacy(raw.encode("latin-1"), "tcvn3") == expected


def test_tcvn3_capitals_restored_in_upper_case_words_and_lines():
    # .VnTimeH: headings typed in capitals reuse the lower-case toned bytes.
    heading = "THỦ TỤC HÀNH CHÍNH"
    assert convert_legacy(encode_tcvn3(heading), "tcvn3") == heading
    line = "Điều 5. THỦ TỤC HÀNH CHÍNH (sửa đổi)\nÝ KIẾN\n"
    assert convert_legacy(encode_tcvn3(line), "tcvn3") == line


def test_tcvn3_lone_capital_toned_letter_is_ambiguous():
    # "Ủy" typed with a .VnTimeH "Ủ" in ordinary text: the byte is that of "ủ".
    assert convert_legacy(encode_tcvn3("Ủy ban nhân dân"), "tcvn3") == "ủy ban nhân dân"
    assert encode_tcvn3("Ủ") == encode_tcvn3("ủ")


def test_tcvn3_other_bytes_read_as_windows_1252():
    data = b"\x93Th\xf1 t\xf4c\x94 \x96 100\xb0C"
    assert convert_legacy(data, "tcvn3") == "\u201cThủ tục\u201d \u2013 100\u00b0C"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("ngöôøi daân", "người dân"),
        ("Quoác hoäi nöôùc Coäng hoøa", "Quốc hội nước Cộng hòa"),
        ("ÑAÛNG COÄNG SAÛN VIEÄT NAM", "ĐẢNG CỘNG SẢN VIỆT NAM"),
        ("Tæ leä, kyõ thuaät, tò", "Tỉ lệ, kỹ thuật, tị"),
        ("Aáp Baéc, Ñaék Laék", "Ấp Bắc, Đắk Lắk"),
        ("AÁP, Aáp, aÁp", "ẤP, Ấp, ấp"),  # either case of the mark byte is accepted
    ],
)
def test_vni_known_strings(raw, expected):
    assert convert_legacy(raw.encode("cp1252"), "vni") == expected


def test_vni_other_bytes_kept():
    data = "\u201cVieät Nam\u201d \u2013 \u00a9 2021".encode("cp1252")
    assert convert_legacy(data, "vni") == "\u201cViệt Nam\u201d \u2013 \u00a9 2021"


def test_cp1258_precomposed_and_combining_both_work():
    with pytest.raises(UnicodeEncodeError):
        "ủ".encode("cp1258")  # no precomposed "ủ" in the code page
    windows = encode_cp1258("Thủ tục hành chính")
    assert b"\xd2" in windows and b"\xf2" in windows  # hook above, dot below
    assert convert_legacy(windows, "windows-1258") == "Thủ tục hành chính"
    fully_decomposed = nfd("Thủ tục hành chính").encode("cp1258")
    assert convert_legacy(fully_decomposed, "windows-1258") == "Thủ tục hành chính"
    assert guess_legacy_encoding(fully_decomposed) == "windows-1258"


@pytest.mark.parametrize("name", ["CP1258", "Windows-1258", "ABC", "TCVN3", "VNI-Windows", " vni "])
def test_convert_accepts_aliases(name):
    assert convert_legacy(b"abc", name) == "abc"


def test_convert_rejects_unknown_encoding():
    with pytest.raises(ValueError):
        convert_legacy(b"abc", "latin-1")


@settings(max_examples=200)
@given(st.binary(), st.sampled_from(["windows-1258", "tcvn3", "vni"]))
def test_convert_never_fails(data, encoding):
    text = convert_legacy(data, encoding)
    assert unicodedata.is_normalized("NFC", text)


@settings(max_examples=200)
@given(st.binary())
def test_guess_never_fails(data):
    assert guess_legacy_encoding(data) in (None, "windows-1258", "tcvn3", "vni")


@given(st.text(alphabet=st.sampled_from(list(LOWER_LETTERS + UPPER_LETTERS + "abcdhmnt \n"))))
def test_vni_and_cp1258_round_trip_any_letters(text):
    assert convert_legacy(encode_vni(text), "vni") == text
    assert convert_legacy(encode_cp1258(text), "windows-1258") == text


# ---------------------------------------------------------------------------
# Guessing: negatives
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Plain ASCII text, nothing to see here.\n" * 20,
        PARAGRAPH.encode("utf-8"),
        b"\xef\xbb\xbf" + PARAGRAPH.encode("utf-8"),
        "Le café est très bon à Genève, déjà noté. Ça coûte cher.".encode("latin-1"),
        "Größere Übungen für Straßenbahnführer in München.".encode("latin-1"),
        bytes(range(256)) * 4,
        b"\x00\x01\x02\xff\xfe\xfd" * 50,
    ],
    ids=["empty", "ascii", "utf8", "utf8-bom", "french", "german", "all-bytes", "binary"],
)
def test_guess_none_for_non_vietnamese_legacy(data):
    assert guess_legacy_encoding(data) is None


def test_utf16_is_not_guessed_as_legacy():
    data = "\ufeffThủ tục hành chính".encode("utf-16-le")
    result = decode_source(data)
    assert isinstance(result, NotUtf8)
    assert result.line == 1 and result.guess is None


def test_mostly_ascii_file_with_a_few_legacy_words():
    body = "---\ntitle: x\ndate: 2021-05-01\n---\n\n" + "Some ASCII. " * 50
    for encoding, encode in ENCODERS.items():
        data = encode(body + "Thủ tục hành chính của tỉnh.\n")
        assert guess_legacy_encoding(data) == encoding
