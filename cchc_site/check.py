"""``cchc-site check``: content validation and the quota, without rendering.

It reads and validates front matter only: no Markdown is rendered here.  Parsing goes
through the build's worker pool and the build's source cache ``<site>/.cchc-cache/``
(made here when missing), so only the files that changed are parsed again; a cache
restored in CI onto a fresh clone still counts, as files are compared by content when
their modification time changed.  What a check found is kept too (:class:`CheckRecord`):
the next check of the same files on the same day answers from it, reading no document,
as a build with nothing to do stops at once.  The speed is measured by benchmarks, not by
tests.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Mapping

from .cache import Cache
from .config import CONFIG_FILE, load_valid_config
from .content import ContentScan, content_hash, file_stamp, read_bytes, scan_content, walk_files, walk_stamped
from .errors import BuildFailed, SiteError
from .models import DATA_DIR
from .quota import QuotaReport
from .stamps import open_cache, stable_hash, stamps_hash, tool_version


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


def check_stamp(site_dir: Path, scan: ContentScan) -> str:
    """Every input of a check, by name, size and modification time (stat only): this code,
    site.yaml, the content files, the static files (documents name them) and the data files."""
    config = site_dir / CONFIG_FILE
    return stamps_hash(stable_hash(tool_version(), file_stamp(config) if config.exists() else "-", scan.static,
                                   walk_stamped(site_dir / DATA_DIR)), scan.sources)


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


def run_check(site_dir: Path, now: datetime, strict: bool = False, use_cache: bool = True) -> CheckOutcome:
    """Validate every document and compute the quota as of ``now`` (site timezone).  What was
    found is kept under two keys: the inputs' stamps (a later check of the same files answers
    at once) and their content (on a fresh clone whose CI kept the cache, every file has a new
    time: once a check kept its outcome that way, the files are hashed to find it)."""
    try:
        config = load_valid_config(site_dir)
    except BuildFailed as failed:
        return CheckOutcome(failed.errors, None)
    cache = open_cache(site_dir, None, clean=False) if use_cache else Cache(None)
    try:
        scan = scan_content(site_dir)
        stamp = check_stamp(site_dir, scan)
        key = "check:strict" if strict else "check"
        kept = cache.record(key, stamp)
        if isinstance(kept, CheckRecord) and kept.holds(now):
            return kept.answer(now)
        # Only now the code that reads documents is loaded (a check answered from what the last
        # one found, above, is a program that starts, compares stamps and stops).
        from .quota import check_quota, compute_quota
        from .site import first_future_date, shown_documents
        from .sources import collect_site, content_hashes, read_quota_line, shown_warnings

        hashes: dict[str, str] | None = None
        content = ""
        if cache.record_tag(key + ":content"):  # (hashing every file is worth it only then)
            hashes = content_hashes(site_dir, scan.sources, cache)
            content = content_key(site_dir, scan, hashes)
            kept = cache.record(key + ":content", content)
            if isinstance(kept, CheckRecord) and kept.holds(now):
                cache.put_record(key, kept, stamp)  # the next check of these files needs no hashing
                return kept.answer(now)
        parsed, site, problems = collect_site(site_dir, config, cache, scan, hashes=hashes)
        problems += shown_warnings(parsed, shown_documents(site, now))
        quota = compute_quota(site.posts, config.quota, now, strict) if config.quota else None
        line = read_quota_line(site_dir) if config.quota else 0
        if quota is not None:
            problems += check_quota(quota, config.path, line)
        outcome = CheckOutcome(tuple(sorted(set(problems))), quota, line)
        if use_cache:
            content = content or content_key(site_dir, scan, {item.path: item.content_hash for item in parsed})
            cache.put_record(key, CheckRecord(now, first_future_date(site.posts, now), outcome), stamp,
                             (key + ":content", content))
        return outcome
    finally:
        cache.close()
