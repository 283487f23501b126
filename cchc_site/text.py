"""Vietnamese text helpers: NFC, slugs, diacritic folding and alphabetical order.

All functions are pure.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a slug already: its own slug
# Letters whose diacritic is part of the letter (not a tone) in Vietnamese.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve (ă), circumflex (â ê ô), horn (ơ ư)
# Tone marks in dictionary order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_ALPHA_INDEX = {ch: i for i, ch in enumerate(_ALPHABET)}


def nfc(text: str) -> str:
    """Unicode NFC, the form every text is compared and written in."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case without any diacritic, ``đ`` -> ``d``: the form used for matching.

    >>> fold("Đà Nẵng")
    'da nang'
    """
    if text.isascii():
        return text.lower()
    # NFC first, so NFC and NFD input give the same result even for rare case mappings.
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "d")


@lru_cache(maxsize=16384)  # terms and categories repeat in every post
def slugify(text: str, fallback_prefix: str = "bai") -> str:
    """ASCII lower-case slug: tone marks removed, ``đ`` -> ``d``, other runs -> ``-``.

    Never empty: text without any Latin letter or digit gets ``<prefix>-<hash>``.

    >>> slugify("Đẩy mạnh cải cách hành chính năm 2021")
    'day-manh-cai-cach-hanh-chinh-nam-2021'
    """
    slug = ascii_slug(text)
    if slug:
        return slug
    digest = hashlib.sha1(nfc(text).encode("utf-8")).hexdigest()[:8]
    return f"{fallback_prefix}-{digest}"


def ascii_slug(text: str) -> str:
    """The slug of ``text``, or "" when it has no Latin letter or digit at all."""
    if _SLUG.fullmatch(text):  # (as most front matter writes it: nothing to fold)
        return text
    return folded_slug(text)


def folded_slug(text: str) -> str:
    """What :func:`ascii_slug` computes for any text (it skips this for a slug already)."""
    # NFKD on top of the fold: compatibility forms (ﬁ, ², full-width Ａ) become plain ASCII.
    ascii_text = unicodedata.normalize("NFKD", fold(text)).encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALNUM.sub("-", ascii_text).strip("-")


def is_valid_slug(slug: str) -> bool:
    """True for a slug made of ``a-z``, ``0-9`` and single inner hyphens."""
    return bool(_SLUG.fullmatch(slug))


def collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Sort key for Vietnamese alphabetical order (a ă â b c d đ e ê …).

    Letters first (primary), then tones in dictionary order (secondary), then the
    text itself so the order is total and stable.
    """
    primary: list[int] = []
    tones: list[int] = []
    decomposed = unicodedata.normalize("NFD", text.lower())
    i = 0
    n = len(decomposed)
    while i < n:
        base = decomposed[i]
        i += 1
        letter = base
        tone = 0
        while i < n and unicodedata.combining(decomposed[i]):
            mark = decomposed[i]
            if mark in _LETTER_MARKS:
                letter = unicodedata.normalize("NFC", letter + mark)
            elif mark in _TONES:
                tone = _TONES[mark]
            i += 1
        index = _ALPHA_INDEX.get(letter)
        primary.append(1000 + index if index is not None else ord(letter) if ord(letter) < 1000 else 2000 + ord(letter))
        tones.append(tone)
    return tuple(primary), tuple(tones), text


_TAG = re.compile(r"<[^>]+>")


def html_text(html: str) -> str:
    """The text of an HTML fragment: each tag replaced by a space, entities decoded, white
    space as it is (enough to find its words)."""
    return html_lib.unescape(_TAG.sub(" ", html))


def strip_html(html: str) -> str:
    """Plain text of an HTML fragment (tags dropped, whitespace collapsed)."""
    return " ".join(html_text(html).split())
