"""``cchc-site check``: content validation and the quota, without rendering.

It reads and validates front matter only: no Markdown is rendered here (that is what keeps
``check`` fast on large sites; the speed is measured by benchmarks, not by tests).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .build import load_valid_config
from .config import CONFIG_FILE
from .content import load_site_files
from .errors import BuildFailed, SiteError
from .links import check_unsafe_html
from .models import Post
from .quota import QuotaReport, check_quota, compute_quota
from .site import parse_site

_QUOTA_KEY = re.compile(r"^quota[ \t]*:", re.M)


@dataclass(frozen=True)
class CheckOutcome:
    problems: tuple[SiteError, ...]  # errors and warnings, quota shortfalls (E060) included
    quota: QuotaReport | None
    posts: tuple[Post, ...]  # every post, drafts and future ones included
    quota_line: int = 0  # line of 'quota:' in site.yaml (0 when unknown)


def quota_line(config_text: str) -> int:
    """The line of the top-level ``quota:`` key in the text of site.yaml, or 0."""
    match = _QUOTA_KEY.search(config_text)
    return config_text.count("\n", 0, match.start()) + 1 if match else 0


def _read_quota_line(site_dir: Path) -> int:
    try:
        return quota_line((site_dir / CONFIG_FILE).read_text(encoding="utf-8-sig", errors="replace"))
    except OSError:
        return 0


def run_check(site_dir: Path, now: datetime, strict: bool = False) -> CheckOutcome:
    """Validate every document and compute the quota as of ``now`` (site timezone)."""
    try:
        config = load_valid_config(site_dir)
    except BuildFailed as failed:
        return CheckOutcome(failed.errors, None, ())
    site, problems = parse_site(load_site_files(site_dir), config)
    published = [p for p in site.posts if p.is_published(now)]
    problems += check_unsafe_html([*published, *site.pages, *site.procedures], config.security == "strict")
    quota = compute_quota(site.posts, config.quota, now, strict) if config.quota else None
    line = _read_quota_line(site_dir) if config.quota else 0
    if quota is not None:
        problems += check_quota(quota, config.path, line)
    return CheckOutcome(tuple(sorted(set(problems))), quota, site.posts, line)
