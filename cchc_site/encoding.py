"""Decode Markdown sources: UTF-8 first, legacy Vietnamese encodings on failure.

Authors work on Windows, so a source file may be UTF-8 (with or without BOM,
CRLF or lone-CR line ends, NFD text) or one of the pre-Unicode Vietnamese
encodings:

* ``"windows-1258"`` -- Microsoft's code page.  Windows writes toned letters
  as a base letter plus a *combining* tone byte (``0xCC`` grave, ``0xD2`` hook
  above, ``0xDE`` tilde, ``0xEC`` acute, ``0xF2`` dot below); Python's
  ``cp1258`` codec decodes it and NFC composes the result.
* ``"tcvn3"`` -- TCVN 5712:1993 VN3, the "ABC" encoding of the ``.VnTime``
  fonts.  One byte per letter, but only *lower-case* toned letters exist; the
  upper-case ``.VnTimeH`` fonts draw the same bytes as capitals.  Only
  ``Ă Â Ê Ô Ơ Ư Đ`` have upper-case bytes (``0xA1``-``0xA7``).
* ``"vni"`` -- VNI-Windows (``VNI-Times`` fonts).  Windows-1252 bytes whose
  glyphs were redrawn: a vowel is followed by a byte for its mark(s)
  (``"a" + 0xF8`` = ``à``), with single bytes for ``đ ơ ư`` and the toned
  ``i``/``ỵ`` letters.

All functions are pure: no I/O, no printing, standard library only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Decoded",
    "NotUtf8",
    "ENCODINGS",
    "decode_source",
    "guess_legacy_encoding",
    "convert_legacy",
    "normalize_text",
    "LEGACY_NAMES",
    "not_utf8_message",
]

ENCODINGS = ("windows-1258", "tcvn3", "vni")


@dataclass(frozen=True)
class Decoded:
    """A source file that was valid UTF-8."""

    text: str  # NFC, "\n" line ends, BOM removed
    had_bom: bool
    had_crlf: bool  # CRLF or lone CR seen
    was_nfd: bool  # text changed under NFC


@dataclass(frozen=True)
class NotUtf8:
    """A source file that is not valid UTF-8."""

    line: int  # 1-based line of the first invalid byte
    guess: str | None  # "windows-1258" | "tcvn3" | "vni" | None (unknown)


_BOM = "\ufeff"
_UTF8_BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------------------
# UTF-8 path
# ---------------------------------------------------------------------------

def normalize_text(text: str) -> str:
    """Strip one leading BOM, turn CRLF and lone CR into LF, then NFC."""
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def decode_source(data: bytes) -> Decoded | NotUtf8:
    """Decode a source file as UTF-8; on failure say where and what it may be.

    The happy path is one ``bytes.decode`` plus cheap checks.  Zero-width and
    other unusual characters are kept as they are (only one leading BOM goes).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return NotUtf8(line=_line_of(data, exc.start), guess=guess_legacy_encoding(data))
    had_bom = text.startswith(_BOM)
    if had_bom:
        text = text[1:]
    had_crlf = "\r" in text
    if had_crlf:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    was_nfd = not unicodedata.is_normalized("NFC", text)
    if was_nfd:
        text = unicodedata.normalize("NFC", text)
    return Decoded(text=text, had_bom=had_bom, had_crlf=had_crlf, was_nfd=was_nfd)


def _line_of(data: bytes, offset: int) -> int:
    """1-based line number of ``data[offset]``; LF, CRLF and lone CR end lines."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

# Tone marks in the order every table below lists them.
_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_TONE_ORDER = (_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)
_TONE_MARKS = frozenset(_TONE_ORDER)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# TCVN3 (ABC): byte of each toned lower-case letter, per base, in
# _TONE_ORDER (grave, hook above, tilde, acute, dot below).
_TCVN3_TONED: dict[str, tuple[int, int, int, int, int]] = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
# Untoned letters with their own bytes (the only upper-case ones TCVN3 has).
_TCVN3_PLAIN: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
}


def _build_tcvn3() -> dict[int, str]:
    table = dict(_TCVN3_PLAIN)
    for base, codes in _TCVN3_TONED.items():
        for tone, code in zip(_TONE_ORDER, codes):
            table[code] = _nfc(base + tone)
    return table


#: byte -> Unicode letter for every Vietnamese letter TCVN3 encodes.
TCVN3_TO_UNICODE: dict[int, str] = _build_tcvn3()
_TCVN3_UPPER_BYTES = frozenset(range(0xA1, 0xA8))
# Lower-case letter bytes: .VnTimeH fonts show these as capitals.
_TCVN3_CASELESS_BYTES = frozenset(TCVN3_TO_UNICODE) - _TCVN3_UPPER_BYTES

# VNI-Windows, written as the Windows-1252 characters of its bytes.
# Mark characters following a vowel: (lower-case form, upper-case form).
_VNI_TONE = {  # tone only
    _GRAVE: ("ø", "Ø"), _HOOK: ("û", "Û"), _TILDE: ("õ", "Õ"),
    _ACUTE: ("ù", "Ù"), _DOT: ("ï", "Ï"),
}
_VNI_CIRC = {  # circumflex (â ê ô), alone or with a tone
    "": ("â", "Â"), _GRAVE: ("à", "À"), _HOOK: ("å", "Å"), _TILDE: ("ã", "Ã"),
    _ACUTE: ("á", "Á"), _DOT: ("ä", "Ä"),
}
_VNI_BREVE = {  # breve (ă), alone or with a tone
    "": ("ê", "Ê"), _GRAVE: ("è", "È"), _HOOK: ("ú", "Ú"), _TILDE: ("ü", "Ü"),
    _ACUTE: ("é", "É"), _DOT: ("ë", "Ë"),
}
# Letters that are a single VNI byte: (lower, upper) character -> letter.
_VNI_SINGLE_SPEC = {
    "đ": ("ñ", "Ñ"), "ơ": ("ô", "Ô"), "ư": ("ö", "Ö"),
    "ì": ("ì", "Ì"), "ỉ": ("æ", "Æ"), "ĩ": ("ó", "Ó"), "í": ("í", "Í"), "ị": ("ò", "Ò"),
    "ỵ": ("î", "Î"),
}


def _build_vni() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(letter -> VNI string, VNI pair -> letter, VNI single char -> letter)."""
    encode: dict[str, str] = {}
    pairs: dict[str, str] = {}
    singles: dict[str, str] = {}

    def add_pair(base: str, marks: str, lower_mark: str, upper_mark: str) -> None:
        letter = _nfc(base + marks)
        encode[letter] = base + lower_mark
        encode[letter.upper()] = base.upper() + upper_mark
        # Decoding accepts either case of the mark byte; the base decides the case.
        for b in (base, base.upper()):
            for m in (lower_mark, upper_mark):
                pairs[b + m] = _nfc(b + marks)

    for base in "aeouy":
        for tone, (lo, up) in _VNI_TONE.items():
            add_pair(base, tone, lo, up)
    for base in "aeo":
        for tone, (lo, up) in _VNI_CIRC.items():
            add_pair(base, "\u0302" + tone, lo, up)
    for tone, (lo, up) in _VNI_BREVE.items():
        add_pair("a", "\u0306" + tone, lo, up)
    for letter, (lo, up) in _VNI_SINGLE_SPEC.items():
        encode[letter] = lo
        encode[letter.upper()] = up
        singles[lo] = letter
        singles[up] = letter.upper()
    # ơ and ư are single bytes that take a tone byte after them.
    for letter in "ơư":
        lo, up = _VNI_SINGLE_SPEC[letter]
        for tone, (tlo, tup) in _VNI_TONE.items():
            toned = _nfc(letter + tone)
            encode[toned] = lo + tlo
            encode[toned.upper()] = up + tup
            for b, res in ((lo, toned), (up, toned.upper())):
                for m in (tlo, tup):
                    pairs[b + m] = res
    # Some converters write ỵ as "y" + dot below; accept it when decoding.
    pairs.setdefault("yï", "ỵ")
    pairs.setdefault("yÏ", "ỵ")
    pairs.setdefault("Yï", "Ỵ")
    pairs.setdefault("YÏ", "Ỵ")
    return encode, pairs, singles


#: Unicode letter -> VNI-Windows text (as Windows-1252 characters).
UNICODE_TO_VNI, _VNI_PAIRS, _VNI_SINGLES = _build_vni()
_VNI_MARK_CHARS = frozenset(p[1] for p in _VNI_PAIRS)


def _cp_table(codec: str, strict: bool) -> dict[int, str]:
    """``str.translate`` table turning Latin-1-decoded bytes into ``codec``.

    Bytes the codec leaves undefined become U+FFFD when ``strict`` (used to
    score guesses) and keep their Latin-1 code point otherwise, as Windows does.
    """
    table: dict[int, str] = {}
    for b in range(0x80, 0x100):
        try:
            ch = bytes([b]).decode(codec)
        except UnicodeDecodeError:
            ch = "\ufffd" if strict else chr(b)
        if ch != chr(b):
            table[b] = ch
    return table


_CP1252 = {strict: _cp_table("cp1252", strict) for strict in (False, True)}
_CP1258 = {strict: _cp_table("cp1258", strict) for strict in (False, True)}


def _build_tcvn3_tables() -> dict[bool, dict[int, str]]:
    tables = {}
    for strict in (False, True):
        table = {b: ch for b, ch in _CP1252[strict].items() if b < 0xA0}
        for b in range(0xA1, 0x100):
            if b in TCVN3_TO_UNICODE:
                table[b] = TCVN3_TO_UNICODE[b]
            elif strict:
                table[b] = "\ufffd"
        tables[strict] = table
    return tables


_TCVN3 = _build_tcvn3_tables()


# ---------------------------------------------------------------------------
# Legacy decoders
# ---------------------------------------------------------------------------

def _decode_cp1258(data: bytes, strict: bool = False) -> str:
    return _nfc(data.decode("latin-1").translate(_CP1258[strict]))


def _decode_vni(data: bytes, strict: bool = False) -> str:
    src = data.decode("latin-1").translate(_CP1252[strict])
    out: list[str] = []
    i, n = 0, len(src)
    pairs, singles, marks = _VNI_PAIRS, _VNI_SINGLES, _VNI_MARK_CHARS
    while i < n:
        ch = src[i]
        if ch < "\x80" and ch not in "aeouyAEOUY":
            out.append(ch)
            i += 1
            continue
        letter = pairs.get(src[i:i + 2])
        if letter is not None:
            out.append(letter)
            i += 2
            continue
        letter = singles.get(ch)
        if letter is not None:
            out.append(letter)
        elif strict and ch in marks:
            out.append("\ufffd")  # a mark byte with no vowel before it
        else:
            out.append(ch)
        i += 1
    return _nfc("".join(out))


_LINE = re.compile(r"[^\r\n]+")
_WORD = re.compile(r"[^\W\d_]+")


def _decode_tcvn3(data: bytes, strict: bool = False) -> str:
    text = data.decode("latin-1").translate(_TCVN3[strict])
    if not strict and any(b in _TCVN3_CASELESS_BYTES for b in data):
        text = _tcvn3_restore_capitals(text, data)
    return _nfc(text)


def _tcvn3_restore_capitals(text: str, data: bytes) -> str:
    """Upper-case the toned letters of words written in capitals.

    TCVN3 text is one character per byte, so ``text[i]`` comes from
    ``data[i]``.  A word is taken as written in capitals (``.VnTimeH`` font)
    when it has no letter that is unambiguously lower-case and either two or
    more unambiguous capitals, or its line has two or more unambiguous
    capitals and no unambiguous lower-case letter.
    """
    caseless = _TCVN3_CASELESS_BYTES
    chars = list(text)
    for line in _LINE.finditer(text):
        words = []
        line_up = line_lo = 0
        for word in _WORD.finditer(text, line.start(), line.end()):
            up = lo = 0
            has_caseless = False
            for k in range(word.start(), word.end()):
                if data[k] in caseless:
                    has_caseless = True
                elif chars[k].isupper():
                    up += 1
                elif chars[k].islower():
                    lo += 1
            line_up += up
            line_lo += lo
            if has_caseless:
                words.append((word, up, lo))
        line_caps = line_up >= 2 and line_lo == 0
        for word, up, lo in words:
            if lo == 0 and (up >= 2 or line_caps):
                for k in range(word.start(), word.end()):
                    if data[k] in caseless:
                        chars[k] = chars[k].upper()
    return "".join(chars)


_DECODERS = {
    "windows-1258": _decode_cp1258,
    "tcvn3": _decode_tcvn3,
    "vni": _decode_vni,
}
_ALIASES = {
    "windows-1258": "windows-1258", "cp1258": "windows-1258", "windows1258": "windows-1258",
    "tcvn3": "tcvn3", "tcvn": "tcvn3", "abc": "tcvn3", "tcvn-3": "tcvn3",
    "vni": "vni", "vni-windows": "vni",
}


def convert_legacy(data: bytes, encoding: str) -> str:
    """Convert legacy Vietnamese bytes to NFC Unicode text.

    ``encoding`` is one of ``"windows-1258"``, ``"tcvn3"``, ``"vni"`` (case
    does not matter; ``"cp1258"``, ``"abc"`` and ``"vni-windows"`` are
    accepted too).  Line ends are kept as they are (``normalize_text`` turns
    them into ``"\\n"``).  Bytes that are not Vietnamese letters are read as
    Windows-1252 (smart quotes, dashes...).  Never fails on odd bytes.

    TCVN3 has no upper-case toned letters except ``Ă Â Ê Ô Ơ Ư Đ``: a toned
    letter becomes upper-case only inside a word (or line) written in
    capitals, e.g. ``b"TH\\xf1 T\\xf4C"`` -> ``"THỦ TỤC"``; a single capital
    toned letter in ordinary text (``"Ủy ban"``) comes back lower-case.
    """
    name = _ALIASES.get(encoding.strip().lower())
    if name is None:
        raise ValueError(f"unknown legacy encoding {encoding!r}; expected one of {ENCODINGS}")
    return _DECODERS[name](data)


# ---------------------------------------------------------------------------
# Guessing
# ---------------------------------------------------------------------------

_SAMPLE_BYTES = 256 * 1024
_MIN_RATIO = 0.6

_VI_LETTERS = frozenset("abcdeghiklmnopqrstuvxyăâđêôơư")
# Lower-case letters a Vietnamese word may contain (tones only on vowels).
_VI_CHARS = _VI_LETTERS | frozenset(
    _nfc(v + t) for v in "aăâeêioôơuưy" for t in _TONE_ORDER
)
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
# Vowel clusters that take a final consonant, and those that end the syllable.
_NUCLEUS_CLOSED = "a ă â e ê i o ô ơ u ư y oa oă oe oo uâ uê uô uơ ươ iê yê uyê uy"
_NUCLEUS_OPEN = (
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu "
    "iêu oai oao oay oeo uây uôi uya uyu ươi ươu yêu"
)


def _alt(words: str) -> str:
    return "|".join(sorted(words.split(), key=len, reverse=True))


_SYLLABLE = re.compile(
    rf"{_ONSET}(?:(?:{_alt(_NUCLEUS_CLOSED)})(?P<final>ch|ng|nh|[cmnpt])?|(?:{_alt(_NUCLEUS_OPEN)}))"
)
_STOP_TONES = frozenset({"", _ACUTE, _DOT})  # syllables ending in p t c ch

_COMMON_WORDS = frozenset(
    "của và các được hành chính thủ tục là có cho trong người những không với một "
    "này theo đã để về tại năm ngày số nhà nước quy định xã tỉnh huyện cấp công dân "
    "đơn hồ sơ giấy phép thành phố việc sở ban điều khoản thông tư nghị quyết".split()
)

# Token: a run of anything but white space, ASCII punctuation/digits and the
# General Punctuation block (quotes and dashes from Windows-1252).
_TOKEN = re.compile(r"[^\s\x00-\x40\x5b-\x60\x7b-\x7f\u00a0\u2000-\u206f]+")


def _is_vietnamese_syllable(word: str) -> bool:
    """Whether a lower-case NFC word is a well-formed Vietnamese syllable."""
    if not _VI_CHARS.issuperset(word):
        return False
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return False
    base = _nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
    m = _SYLLABLE.fullmatch(base)
    if m is None:
        return False
    final = m.group("final")
    if final in ("c", "ch", "p", "t"):
        return (tones[0] if tones else "") in _STOP_TONES
    return True


def _strip_symbols(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PSZC":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PSZC":
        end -= 1
    return token[start:end]


def _score(text: str) -> tuple[int, int, int]:
    """(good, bad, common) counts over the non-ASCII words of ``text``."""
    good = bad = common = 0
    for token in _TOKEN.findall(text):
        if token.isascii():
            continue
        if "\ufffd" in token:  # a byte the candidate does not define
            bad += 1
            continue
        word = _strip_symbols(token).lower()
        if not word or word.isascii():
            continue
        if _is_vietnamese_syllable(word):
            good += 1
            if word in _COMMON_WORDS:
                common += 1
        else:
            bad += 1
    return good, bad, common


def guess_legacy_encoding(data: bytes) -> str | None:
    """Which legacy Vietnamese encoding ``data`` looks like, or ``None``.

    Each candidate decodes (the first 256 KiB of) the bytes; the words that
    are not plain ASCII are checked against Vietnamese syllable structure
    (onset, vowel cluster, final consonant, one tone, tone allowed with the
    final).  The candidate with the highest share of well-formed syllables
    wins (common words such as "của", "và", "được" break ties) if that share
    is at least 60 % and no other candidate scores the same.  Plain ASCII,
    UTF-8, other languages, binary data and anything with a NUL byte (such
    as UTF-16) give ``None``.
    """
    sample = data[:_SAMPLE_BYTES]
    if sample.isascii() or b"\x00" in sample:
        return None  # nothing to go on, or binary / UTF-16
    scored = []
    for name, decode in _DECODERS.items():
        good, bad, common = _score(decode(sample, strict=True))
        if good == 0:
            continue
        scored.append((good / (good + bad), common, good, name))
    if not scored:
        return None
    scored.sort(reverse=True)
    ratio, common, good, name = scored[0]
    if ratio < _MIN_RATIO:
        return None
    if len(scored) > 1 and scored[1][:2] == (ratio, common):
        return None  # indistinguishable
    return name


# ---------------------------------------------------------------------------
# What to tell the author
# ---------------------------------------------------------------------------

LEGACY_NAMES = {
    "windows-1258": "Windows-1258 (CP1258)",
    "tcvn3": "TCVN3 (ABC, phông .VnTime)",
    "vni": "VNI (phông VNI-Times)",
}
_UNIKEY_NAMES = {"windows-1258": "Vietnamese Locale CP 1258", "tcvn3": "TCVN3 (ABC)", "vni": "VNI Windows"}


def not_utf8_message(path: str, problem: NotUtf8, data: bytes = b"") -> str:
    """Vietnamese explanation of a :class:`NotUtf8` file and how to convert it."""
    where = f"Tệp không phải UTF-8 (byte lỗi đầu tiên ở dòng {problem.line})."
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (f"{where} Tệp được lưu với mã UTF-16 (mục 'Unicode' của Notepad). Mở tệp bằng Notepad, chọn "
                "File > Save As, mục Encoding chọn UTF-8, rồi lưu lại.")
    if problem.guess:
        name = LEGACY_NAMES.get(problem.guess, problem.guess)
        return (f"{where} Tệp có vẻ dùng bảng mã cũ {name}. Chuyển sang Unicode bằng lệnh "
                f"'cchc-site fix-encoding {path}' (bản cũ được giữ ở {path}.bak), hoặc dùng Unikey Toolkit "
                f"(Ctrl+Shift+F6): nguồn {_UNIKEY_NAMES.get(problem.guess, name)}, đích Unicode, rồi lưu với mã UTF-8.")
    return (f"{where} Không nhận ra bảng mã. Mở tệp bằng Notepad, chọn File > Save As, mục Encoding chọn UTF-8, "
            f"rồi lưu lại; nếu chữ tiếng Việt bị lỗi, thử 'cchc-site fix-encoding --from tcvn3 {path}' "
            "(hoặc --from vni, --from windows-1258).")
