"""``cchc-site check``: content validation and the quota, without rendering.

It reads and validates front matter only: no Markdown is rendered here.  Parsing goes
through the build's worker pool and the build's source cache ``<site>/.cchc-cache/``
(made here when missing), so only the files that changed are parsed again; a cache
restored in CI onto a fresh clone still counts, as files are compared by content when
their modification time changed.  The speed is measured by benchmarks, not by tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .sources import collect_site, load_valid_config, open_cache, read_quota_line, shown_warnings
from .cache import Cache
from .errors import BuildFailed, SiteError
from .models import Post
from .quota import QuotaReport, check_quota, compute_quota
from .site import shown_documents


@dataclass(frozen=True)
class CheckOutcome:
    problems: tuple[SiteError, ...]  # errors and warnings, quota shortfalls (E060) included
    quota: QuotaReport | None
    posts: tuple[Post, ...]  # every post, drafts and future ones included
    quota_line: int = 0  # line of 'quota:' in site.yaml (0 when unknown)


def run_check(site_dir: Path, now: datetime, strict: bool = False, use_cache: bool = True) -> CheckOutcome:
    """Validate every document and compute the quota as of ``now`` (site timezone)."""
    try:
        config = load_valid_config(site_dir)
    except BuildFailed as failed:
        return CheckOutcome(failed.errors, None, ())
    cache = open_cache(site_dir, None, clean=False) if use_cache else Cache(None)
    try:
        parsed, site, problems = collect_site(site_dir, config, cache)
    finally:
        cache.close()
    problems += shown_warnings(parsed, shown_documents(site, now))
    quota = compute_quota(site.posts, config.quota, now, strict) if config.quota else None
    line = read_quota_line(site_dir) if config.quota else 0
    if quota is not None:
        problems += check_quota(quota, config.path, line)
    return CheckOutcome(tuple(sorted(set(problems))), quota, site.posts, line)
