"""``cchc-site check``: content validation and the quota, without rendering.

It reads and validates front matter only: no Markdown is rendered here.  Parsing goes
through the build's worker pool and the build's source cache ``<site>/.cchc-cache/``
(made here when missing), so only the files that changed are parsed again; a cache
restored in CI onto a fresh clone still counts, as files are compared by content when
their modification time changed.  What a check found is kept too (:class:`CheckRecord`):
the next check of the same files on the same day answers from it, reading no document,
as a build with nothing to do stops at once.  What it found of each file is kept as well
(:mod:`cchc_site.checkfacts`): a check after an edit reads the edited files only and judges
the others on those facts.  The speed is measured by benchmarks, not by tests.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from .cache import Cache
from .errors import BuildFailed, SiteError
from .files import CONFIG_FILE, DATA_DIR, ContentScan, SourceEntry, content_hash, read_bytes, scan_content, walk_files
from .stamps import open_cache, stable_hash, stamps_hash, tool_version

if TYPE_CHECKING:  # (loaded only by a check that reads documents)
    from .checkfacts import FileFacts
    from .config import SiteConfig
    from .models import Document
    from .parsed import Parsed
    from .quota import QuotaReport


@dataclass(frozen=True)
class CheckOutcome:
    problems: tuple[SiteError, ...]  # errors and warnings, quota shortfalls (E060) included
    quota: QuotaReport | None
    quota_line: int = 0  # line of 'quota:' in site.yaml (0 when unknown)
    config_valid: bool = True  # False: site.yaml has errors (among the problems), nothing else was checked


@dataclass(frozen=True)
class CheckRecord:
    """What a check found (kept in the cache under the stamp of its inputs, :func:`check_stamp`),
    and the moments between which it holds: from that check's "now" to the end of its day, and
    not past the date of the first post still in the future then (from that moment the post
    counts, and its warnings show)."""

    since: datetime  # that check's "now" (site timezone)
    until: datetime | None
    outcome: CheckOutcome

    def holds(self, now: datetime) -> bool:
        return self.since <= now and now.date() == self.since.date() and (self.until is None or now < self.until)

    def answer(self, now: datetime) -> CheckOutcome:
        """The outcome kept, as of ``now`` (the same day: only the report's moment changes)."""
        quota = self.outcome.quota
        return replace(self.outcome, quota=replace(quota, as_of=now)) if quota is not None else self.outcome


def check_frame(site_dir: Path, scan: ContentScan) -> str:
    """Every input of a check but the content files, as a fresh clone keeps them whatever the
    files' times: this code, site.yaml and the data files by content, the names and sizes of the
    static files (documents name them)."""
    data = [(rel, _hash_of(site_dir / DATA_DIR / rel)) for rel in walk_files(site_dir / DATA_DIR)]
    return stable_hash(tool_version(), _hash_of(site_dir / CONFIG_FILE),
                       [(rel, stamp.split(":", 1)[0]) for rel, stamp in scan.static], data)


def check_stamp(frame: str, scan: ContentScan) -> str:
    """Every input of a check: its ``frame`` (:func:`check_frame`) and the content files by name,
    size and modification time."""
    return stamps_hash(frame, scan.sources)


def content_key(frame: str, hashes: Mapping[str, str]) -> str:
    """Every input of a check by content, as a fresh clone keeps it whatever the files' times: its
    ``frame`` and the content files (``hashes``: path -> content hash)."""
    return stable_hash(frame, sorted(hashes.items()))


def _hash_of(path: Path) -> str:
    try:
        return content_hash(read_bytes(path))
    except OSError:
        return "-"


def run_check(site_dir: Path, now: datetime, strict: bool = False, use_cache: bool = True,
              with_posts: bool = True) -> CheckOutcome:
    """Validate every document and compute the quota as of ``now`` (site timezone); without
    ``with_posts`` the quota's months hold their counts only, not the posts (no post is loaded
    for them: the text report prints counts, and a site of ten thousand posts checks as
    quickly with a quota as without).  What was
    found is kept under two keys: the inputs' stamps (a later check of the same files answers
    at once) and their content (on a fresh clone whose CI kept the cache, every file has a new
    time: once a check kept its outcome that way, the files are hashed to find it).  Otherwise
    only the files changed since the last check are read (:func:`read_facts`)."""
    cache = open_cache(site_dir, None, clean=False) if use_cache else Cache(None)
    try:
        scan = scan_content(site_dir)
        frame = check_frame(site_dir, scan)
        stamp = check_stamp(frame, scan)
        key = "check" + (":strict" if strict else "") + ("" if with_posts else ":counts")
        kept = cache.record(key, stamp)
        if isinstance(kept, CheckRecord) and kept.holds(now):
            return kept.answer(now)  # (kept by a check that read this very site.yaml: it was valid)
        # Only now the code that reads documents is loaded (a check answered from what the last
        # one found, above, is a program that starts, compares stamps and stops).
        from .config import load_valid_config
        from .models import Post

        try:
            config = load_valid_config(site_dir)
        except BuildFailed as failed:
            return CheckOutcome(failed.errors, None, config_valid=False)
        from .checkfacts import check_facts, counted_posts, first_future, quota_counts
        from .quota import check_quota, compute_quota, count_quota
        from .sources import content_hashes, hash_files, read_quota_line

        hashes: dict[str, str] | None = None
        content = ""
        known, others = load_facts(cache, frame)
        retimed = [e for e in scan.sources if (f := known.get(e.path)) is not None and f.stamp != e.stamp]
        if cache.record_tag(key + ":content") and (not known or len(retimed) == len(scan.sources)
                                                   or len(retimed) > RETIMED_LIMIT):
            # (hashing every file is worth it only then: a fresh clone, whose files all have new
            # times; not after a few edits, when the last check's facts serve)
            hashes = content_hashes(site_dir, scan.sources, cache)
            content = content_key(frame, hashes)
            kept = cache.record(key + ":content", content)
            if isinstance(kept, CheckRecord) and kept.holds(now):
                cache.put_record(key, kept, stamp)  # the next check of these files needs no hashing
                return kept.answer(now)
        if hashes is None and retimed:  # files with new times: the same content keeps its facts
            hashes = (content_hashes(site_dir, retimed, cache) if len(retimed) > RETIMED_LIMIT else
                      dict(zip((e.path for e in retimed), hash_files(site_dir, [e.path for e in retimed]))))
        files, others, parsed = read_facts(site_dir, config, scan, cache, frame, known, others, hashes)
        problems = check_facts(files, now) + list(others)
        quota: QuotaReport | None = None
        line = 0
        if config.quota:
            if with_posts:
                wanted = [f.path for f in counted_posts(files, config.quota, now)]
                posts = [doc for doc in read_documents(site_dir, config, scan, cache, wanted, parsed, hashes)
                         if isinstance(doc, Post)]
                quota = compute_quota(posts, config.quota, now, strict)
            else:
                quota = count_quota(quota_counts(files, config.quota, now), config.quota, now, strict)
            line = read_quota_line(site_dir)
            problems += check_quota(quota, config.path, line)
        outcome = CheckOutcome(tuple(sorted(set(problems))), quota, line)
        if use_cache:
            content = content or content_key(frame, {f.path: f.content_hash for f in files})
            cache.put_record(key, CheckRecord(now, first_future(files, now), outcome), stamp,
                             (key + ":content", content))
        return outcome
    finally:
        cache.close()


FACTS_KEY = "check:others"  # the data files' problems, kept with the facts of the content files
RETIMED_LIMIT = 50  # more files with new times (a fresh clone, a branch switch): look for an outcome by content


def load_facts(cache: Cache, frame: str) -> tuple[dict[str, FileFacts], tuple[SiteError, ...] | None]:
    """The facts the last checks kept of each file (path -> facts) with the data files' problems,
    for this ``frame``; ({}, None) when there are none."""
    from .checkfacts import decode_facts

    kept = cache.record(FACTS_KEY, frame)
    if not isinstance(kept, tuple):
        return {}, None
    known: dict[str, FileFacts] = {}
    for path, blob in cache.check_facts(frame).items():
        facts = decode_facts(path, blob)
        if facts is not None:
            known[path] = facts
    return known, kept


def read_facts(site_dir: Path, config: SiteConfig, scan: ContentScan, cache: Cache, frame: str,
               known: Mapping[str, FileFacts], others: tuple[SiteError, ...] | None,
               hashes: Mapping[str, str] | None) -> tuple[list[FileFacts], tuple[SiteError, ...], dict[str, Parsed]]:
    """The facts of every content file (in the order of ``scan``) and the problems of the data
    files, with the files read to find them (path -> parse).  ``known``/``others``: what the last
    checks kept for this ``frame`` (:func:`load_facts`: same code, site.yaml, static and data
    files); only the files changed since are read, and a file with a new time but the same
    content (``hashes``, when given) keeps its facts.  Otherwise every file is read, through the
    build's source cache.  The facts of the files read are kept for the next check."""
    from .checkfacts import encode_facts, facts_of, updated
    from .sources import parse_sources

    same = hashes or {}
    changed: list[SourceEntry] = []
    retimed: list[FileFacts] = []
    for e in scan.sources:
        f = known.get(e.path)
        if f is not None and f.stamp != e.stamp and same.get(e.path) == f.content_hash:
            retimed.append(f._replace(stamp=e.stamp))
        elif f is None or f.stamp != e.stamp:
            changed.append(e)
    whole = len(changed) == len(scan.sources)
    static = frozenset(rel for rel, _ in scan.static)
    parsed = parse_sources(site_dir, config, changed, static, cache, complete=whole, hashes=hashes)
    stamps = {e.path: e.stamp for e in changed}
    fresh = [facts_of(item, stamps[item.path]) for item in parsed] + retimed
    files = updated(known, fresh, [e.path for e in scan.sources])
    gone = known.keys() - {e.path for e in scan.sources}
    if fresh or gone:
        cache.put_check_facts(frame, [(f.path, encode_facts(f)) for f in fresh], gone, every=whole)
    if others is None:
        others = keep_data_problems(site_dir, cache, frame)
    return files, others, {item.path: item for item in parsed}


def keep_data_problems(site_dir: Path, cache: Cache, frame: str) -> tuple[SiteError, ...]:
    """The problems of the data files, kept beside the facts of the content files (a check
    uses those facts only when this record is there for their ``frame``)."""
    from .sources import load_indices

    others = tuple(load_indices(site_dir)[1])
    cache.put_record(FACTS_KEY, others, frame)
    return others


class BuildFacts:
    """Keeps, for the next check, what a build's parse of each file tells it (its facts, as
    :func:`read_facts` keeps them): a check right after a build, even the first ever, then reads
    no file.  The files parsed anew are kept as they come (:meth:`keep`, in the main process
    while the workers parse the next ones); a whole build then keeps (:meth:`finish`) those it
    took from the source cache when no facts of them are kept under the present frame.  Facts
    of an older version of a file may stay: a check compares each file's stamp and reads it
    again."""

    def __init__(self, site_dir: Path, scan: ContentScan, cache: Cache) -> None:
        self._site_dir = site_dir
        self._cache = cache
        self._stamps = {e.path: e.stamp for e in scan.sources} if cache.keeps else {}
        self._frame = check_frame(site_dir, scan) if cache.keeps else ""

    def keep(self, parsed: Iterable[Parsed]) -> None:
        """Keep the facts of files just read (in ``scan``)."""
        from .checkfacts import encode_facts, facts_of

        stamps = self._stamps
        rows = [(item.path, encode_facts(facts_of(item, stamps[item.path]))) for item in parsed if item.path in stamps]
        if rows:
            self._cache.put_check_facts(self._frame, rows)

    def finish(self, parsed: Iterable[Parsed]) -> None:
        """Keep the facts of the files of ``parsed`` (every file of the site) not kept yet under
        the present frame, and forget the others."""
        if not self._cache.keeps:
            return
        have = self._cache.check_fact_paths(self._frame)
        self.keep([item for item in parsed if item.path not in have])
        self._cache.put_check_facts(self._frame, [], have - self._stamps.keys(), other_frames=True)
        if not isinstance(self._cache.record(FACTS_KEY, self._frame), tuple):
            keep_data_problems(self._site_dir, self._cache, self._frame)


def read_documents(site_dir: Path, config: SiteConfig, scan: ContentScan, cache: Cache, paths: list[str],
                   parsed: Mapping[str, Parsed], hashes: Mapping[str, str] | None = None
                   ) -> list[Document | list[SiteError]]:
    """The documents of the files at ``paths`` (or their errors): from ``parsed`` when read just
    now, else from the source cache (or read again when it lacks them); ``hashes``: content
    hashes of files read just before (not read again)."""
    from .sources import parse_sources

    entries = {e.path: e for e in scan.sources}
    missing = [entries[path] for path in paths if path not in parsed]
    static = frozenset(rel for rel, _ in scan.static)
    found = {item.path: item for item in parse_sources(site_dir, config, missing, static, cache, complete=False,
                                                       hashes=hashes)}
    return [(parsed.get(path) or found[path]).result for path in paths]
