"""What ``check`` keeps of each content file to judge the whole site again without reading it
(pure).

A check after an edit reads the edited files only: every other file is known by its facts
(:class:`FileFacts`: its problems, and what the checks that span files need: its URL, its
procedure code, a post's date and month, whether it is a draft), kept in the cache file by file
by the last check.  A check that read every file judges from the same facts, so both give the
same outcome by construction.
"""
from __future__ import annotations

import marshal
from collections import Counter
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable, Mapping, NamedTuple

from .config import QuotaConfig
from .errors import SiteError
from .models import Page, Post, Procedure
from .parsed import Parsed
from .quota import enforced_months
from .site import check_unique_codes, check_unique_urls

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_LAYOUT = b"F2"  # bump the digit when the tuple layout of FileFacts changes


ErrorFields = tuple[str, int, str, str, str]  # a SiteError's fields (made into one only when reported)


class FileFacts(NamedTuple):
    """One content file as the check judges it (a plain tuple: ten thousand of them are read
    back on every check after an edit)."""

    path: str
    stamp: str  # size and modification time when it was read (files.stamp_of)
    content_hash: str
    kind: str  # "post", "page" or "procedure"; "" when the file gave errors instead of a document
    url: str  # a post's or page's URL ("" otherwise)
    slug: str  # a page's slug ("" otherwise)
    code: str  # a procedure's code ("" otherwise)
    when: int  # a post's date, in microseconds since 1970 UTC (0 otherwise)
    month: int  # a post's month in the site timezone, as YYYYMM (0 otherwise)
    draft: bool
    errors: tuple[ErrorFields, ...]  # the file's own errors (it gave no document)
    warnings: tuple[ErrorFields, ...]  # shown while its document is published


def instant(moment: datetime) -> int:
    """An aware datetime as microseconds since 1970 UTC (exact, unlike a float timestamp)."""
    return (moment - _EPOCH) // _MICROSECOND


def moment_of(micros: int, zone: tzinfo) -> datetime:
    """The datetime in ``zone`` of an :func:`instant`."""
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


def facts_of(item: Parsed, stamp: str) -> FileFacts:
    """What a file's parse tells the check (``stamp``: the file's when it was read)."""
    doc = item.result
    warnings = tuple(map(_fields, item.warnings))
    if isinstance(doc, list):
        return FileFacts(item.path, stamp, item.content_hash, "", "", "", "", 0, 0, False, tuple(map(_fields, doc)),
                         warnings)
    if isinstance(doc, Post):
        return FileFacts(item.path, stamp, item.content_hash, "post", doc.url, "", "", instant(doc.date),
                         doc.date.year * 100 + doc.date.month, doc.draft, (), warnings)
    if isinstance(doc, Page):
        return FileFacts(item.path, stamp, item.content_hash, "page", doc.url, doc.slug, "", 0, 0, doc.draft, (),
                         warnings)
    assert isinstance(doc, Procedure)
    return FileFacts(item.path, stamp, item.content_hash, "procedure", "", "", doc.code, 0, 0, doc.draft, (),
                     warnings)


def is_published(facts: FileFacts, now: int) -> bool:
    """Whether a build publishes the file's document at ``now`` (an :func:`instant`): no draft,
    and no post dated later (as :func:`cchc_site.models.is_shown`)."""
    return bool(facts.kind) and not facts.draft and (facts.kind != "post" or facts.when <= now)


def check_facts(files: Iterable[FileFacts], now: datetime) -> list[SiteError]:
    """Every problem of the files at ``now``: their own errors, the warnings of the published
    ones (a draft's wait), and the checks that span files (URLs and procedure codes shared)."""
    moment = instant(now)
    problems: list[SiteError] = []
    urls: list[tuple[str, str]] = []
    slugs: list[tuple[str, str, str]] = []
    codes: list[tuple[str, str]] = []
    for f in files:
        if f.errors:
            problems.extend(SiteError(*e) for e in f.errors)
        if f.warnings and is_published(f, moment):
            problems.extend(SiteError(*w) for w in f.warnings)
        if f.kind == "post":
            urls.append((f.url, f.path))
        elif f.kind == "page":
            urls.append((f.url, f.path))
            slugs.append((f.slug, f.url, f.path))
        elif f.kind == "procedure":
            codes.append((f.code, f.path))
    return problems + check_unique_urls(urls, slugs) + check_unique_codes(codes)


def first_future(files: Iterable[FileFacts], now: datetime) -> datetime | None:
    """The date (in ``now``'s timezone) of the first post, drafts included, still in the future
    at ``now`` (as :func:`cchc_site.site.first_future_date`), or None."""
    moment = instant(now)
    later = min((f.when for f in files if f.kind == "post" and f.when > moment), default=None)
    return None if later is None or now.tzinfo is None else moment_of(later, now.tzinfo)


def counted_posts(files: Iterable[FileFacts], quota: QuotaConfig, now: datetime) -> list[FileFacts]:
    """The posts the quota counts at ``now``: published, in an enforced month."""
    moment = instant(now)
    months = {year * 100 + month for year, month in enforced_months(quota, now)}
    return [f for f in files if f.kind == "post" and f.month in months and is_published(f, moment)]


def quota_counts(files: Iterable[FileFacts], quota: QuotaConfig, now: datetime) -> dict[tuple[int, int], int]:
    """The number of posts the quota counts at ``now`` in each enforced month that has any."""
    counts = Counter(f.month for f in counted_posts(files, quota, now))
    return {(month // 100, month % 100): count for month, count in counts.items()}


def encode_facts(facts: FileFacts) -> bytes:
    """One file's facts as bytes (its path aside: the cache keys them by it)."""
    return _LAYOUT + marshal.dumps(tuple(facts)[1:])


def decode_facts(path: str, blob: bytes) -> FileFacts | None:
    """The facts :func:`encode_facts` made of the file at ``path``; None when ``blob`` is not
    such facts (another layout, damaged): the file is then read again."""
    if blob[:2] != _LAYOUT:
        return None
    try:
        return FileFacts(path, *marshal.loads(blob[2:]))
    except Exception:  # noqa: BLE001 - a broken entry is simply not there
        return None


def _fields(error: SiteError) -> tuple[str, int, str, str, str]:
    return (error.path, error.line, error.code, error.message, error.severity)


def updated(known: Mapping[str, FileFacts], fresh: Iterable[FileFacts], present: Iterable[str]) -> list[FileFacts]:
    """The facts of the files ``present`` now: ``fresh`` ones for the files read again, the
    ``known`` ones for the rest, in the order of ``present``."""
    now = {f.path: f for f in fresh}
    return [now.get(path) or known[path] for path in present]
