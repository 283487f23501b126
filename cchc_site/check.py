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
from datetime import date, datetime
from pathlib import Path

from .sources import (collect_site, load_valid_config, open_cache, read_quota_line, shown_warnings, stable_hash,
                      tool_version)
from .cache import Cache
from .config import CONFIG_FILE
from .content import ContentScan, file_stamp, scan_content, walk_stamped
from .errors import BuildFailed, SiteError
from .models import DATA_DIR
from .quota import QuotaReport, check_quota, compute_quota
from .site import first_future_date, shown_documents


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

    since: datetime
    day: date
    until: datetime | None
    outcome: CheckOutcome

    def holds(self, now: datetime) -> bool:
        return self.since <= now and now.date() == self.day and (self.until is None or now < self.until)


def check_stamp(site_dir: Path, scan: ContentScan) -> str:
    """Every input of a check, by name, size and modification time (stat only): this code,
    site.yaml, the content files, the static files (documents name them) and the data files."""
    config = site_dir / CONFIG_FILE
    return stable_hash(tool_version(), file_stamp(config) if config.exists() else "-", scan.static,
                       walk_stamped(site_dir / DATA_DIR), [(e.path, e.stamp) for e in scan.sources])


def run_check(site_dir: Path, now: datetime, strict: bool = False, use_cache: bool = True) -> CheckOutcome:
    """Validate every document and compute the quota as of ``now`` (site timezone)."""
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
            quota = kept.outcome.quota
            return replace(kept.outcome, quota=replace(quota, as_of=now)) if quota is not None else kept.outcome
        parsed, site, problems = collect_site(site_dir, config, cache, scan)
        problems += shown_warnings(parsed, shown_documents(site, now))
        quota = compute_quota(site.posts, config.quota, now, strict) if config.quota else None
        line = read_quota_line(site_dir) if config.quota else 0
        if quota is not None:
            problems += check_quota(quota, config.path, line)
        outcome = CheckOutcome(tuple(sorted(set(problems))), quota, line)
        cache.put_record(key, CheckRecord(now, now.date(), first_future_date(site.posts, now), outcome), stamp)
        return outcome
    finally:
        cache.close()
