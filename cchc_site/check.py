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
from typing import TYPE_CHECKING, Mapping

from .cache import Cache
from .config import CONFIG_FILE, SiteConfig, load_valid_config
from .content import ContentScan, content_hash, file_stamp, read_bytes, scan_content, walk_files, walk_stamped
from .errors import BuildFailed, SiteError
from .models import DATA_DIR, Document, Post
from .quota import QuotaReport
from .stamps import open_cache, stable_hash, stamps_hash, tool_version

if TYPE_CHECKING:  # (loaded only by a check that reads documents)
    from .checkfacts import FileFacts
    from .parsed import Parsed


@dataclass(frozen=True)
class CheckOutcome:
    problems: tuple[SiteError, ...]  # errors and warnings, quota shortfalls (E060) included
    quota: QuotaReport | None
    quota_line: int = 0  # line of 'quota:' in site.yaml (0 when unknown)


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
    """Every input of a check but the content files, by name, size and modification time (stat
    only): this code, site.yaml, the static files (documents name them) and the data files."""
    config = site_dir / CONFIG_FILE
    return stable_hash(tool_version(), file_stamp(config) if config.exists() else "-", scan.static,
                       walk_stamped(site_dir / DATA_DIR))


def check_stamp(site_dir: Path, scan: ContentScan, frame: str | None = None) -> str:
    """Every input of a check (its ``frame``, :func:`check_frame`, and the content files) by
    name, size and modification time."""
    return stamps_hash(frame or check_frame(site_dir, scan), scan.sources)


def content_key(site_dir: Path, scan: ContentScan, hashes: Mapping[str, str]) -> str:
    """Every input of a check by content, as a fresh clone keeps it whatever the files' times: this
    code, site.yaml, the content files (``hashes``: path -> content hash), the names and sizes of
    the static files and the data files."""
    data = [(rel, _hash_of(site_dir / DATA_DIR / rel)) for rel in walk_files(site_dir / DATA_DIR)]
    return stable_hash(tool_version(), _hash_of(site_dir / CONFIG_FILE),
                       [(rel, stamp.split(":", 1)[0]) for rel, stamp in scan.static], data, sorted(hashes.items()))


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
    try:
        config = load_valid_config(site_dir)
    except BuildFailed as failed:
        return CheckOutcome(failed.errors, None)
    cache = open_cache(site_dir, None, clean=False) if use_cache else Cache(None)
    try:
        scan = scan_content(site_dir)
        frame = check_frame(site_dir, scan)
        stamp = check_stamp(site_dir, scan, frame)
        key = "check" + (":strict" if strict else "") + ("" if with_posts else ":counts")
        kept = cache.record(key, stamp)
        if isinstance(kept, CheckRecord) and kept.holds(now):
            return kept.answer(now)
        # Only now the code that reads documents is loaded (a check answered from what the last
        # one found, above, is a program that starts, compares stamps and stops).
        from .checkfacts import check_facts, first_future, quota_counts, quota_posts
        from .quota import check_quota, compute_quota, count_quota
        from .sources import content_hashes, read_quota_line

        hashes: dict[str, str] | None = None
        content = ""
        if cache.record_tag(key + ":content") and cache.record_tag(FACTS_KEY) != frame:
            # (hashing every file is worth it only then: not when the last check's facts can serve)
            hashes = content_hashes(site_dir, scan.sources, cache)
            content = content_key(site_dir, scan, hashes)
            kept = cache.record(key + ":content", content)
            if isinstance(kept, CheckRecord) and kept.holds(now):
                cache.put_record(key, kept, stamp)  # the next check of these files needs no hashing
                return kept.answer(now)
        files, others, parsed = read_facts(site_dir, config, scan, cache, frame, hashes)
        problems = check_facts(files, now) + list(others)
        quota: QuotaReport | None = None
        line = 0
        if config.quota:
            if with_posts:
                wanted = quota_posts(files, config.quota, now)
                posts = [doc for doc in read_documents(site_dir, config, scan, cache, wanted, parsed)
                         if isinstance(doc, Post)]
                quota = compute_quota(posts, config.quota, now, strict)
            else:
                quota = count_quota(quota_counts(files, config.quota, now), config.quota, now, strict)
            line = read_quota_line(site_dir)
            problems += check_quota(quota, config.path, line)
        outcome = CheckOutcome(tuple(sorted(set(problems))), quota, line)
        if use_cache:
            content = content or content_key(site_dir, scan, {f.path: f.content_hash for f in files})
            cache.put_record(key, CheckRecord(now, first_future(files, now), outcome), stamp,
                             (key + ":content", content))
        return outcome
    finally:
        cache.close()


FACTS_KEY = "check:others"  # the data files' problems, kept with the facts of the content files


def read_facts(site_dir: Path, config: SiteConfig, scan: ContentScan, cache: Cache, frame: str,
               hashes: Mapping[str, str] | None) -> tuple[list[FileFacts], tuple[SiteError, ...], dict[str, Parsed]]:
    """The facts of every content file (in the order of ``scan``) and the problems of the data
    files, with the files read to find them (path -> parse).  After the last check (same
    ``frame``: same code, site.yaml, static and data files), only the files changed since are
    read; otherwise every file is, through the build's source cache.  The facts of the files
    read are kept for the next check."""
    from .checkfacts import decode_facts, encode_facts, facts_of, updated
    from .sources import load_indices, parse_sources

    kept = cache.record(FACTS_KEY, frame)
    known: dict[str, FileFacts] = {}
    if isinstance(kept, tuple):
        others: tuple[SiteError, ...] = kept
        for path, blob in cache.check_facts(frame).items():
            facts = decode_facts(path, blob)
            if facts is not None:
                known[path] = facts
    else:
        others = tuple(load_indices(site_dir)[1])
    changed = [e for e in scan.sources if (f := known.get(e.path)) is None or f.stamp != e.stamp]
    whole = len(changed) == len(scan.sources)
    static = frozenset(rel for rel, _ in scan.static)
    parsed = parse_sources(site_dir, config, changed, static, cache, complete=whole, hashes=hashes)
    stamps = {e.path: e.stamp for e in changed}
    fresh = [facts_of(item, stamps[item.path]) for item in parsed]
    files = updated(known, fresh, [e.path for e in scan.sources])
    gone = known.keys() - {e.path for e in scan.sources}
    if fresh or gone:
        cache.put_check_facts(frame, [(f.path, encode_facts(f)) for f in fresh], gone, every=whole)
    if not isinstance(kept, tuple):
        cache.put_record(FACTS_KEY, others, frame)
    return files, others, {item.path: item for item in parsed}


def read_documents(site_dir: Path, config: SiteConfig, scan: ContentScan, cache: Cache, paths: list[str],
                   parsed: Mapping[str, Parsed]) -> list[Document | list[SiteError]]:
    """The documents of the files at ``paths`` (or their errors): from ``parsed`` when read just
    now, else from the source cache (or read again when it lacks them)."""
    from .sources import parse_sources

    entries = {e.path: e for e in scan.sources}
    missing = [entries[path] for path in paths if path not in parsed]
    static = frozenset(rel for rel, _ in scan.static)
    found = {item.path: item for item in parse_sources(site_dir, config, missing, static, cache, complete=False)}
    return [(parsed.get(path) or found[path]).result for path in paths]
