"""``cchc-site check``: content validation and the quota, without rendering Markdown."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .build import load_valid_config
from .content import load_site_files
from .errors import BuildFailed, SiteError
from .links import check_unsafe_html
from .models import Post
from .quota import QuotaReport, check_quota, compute_quota
from .site import parse_site


@dataclass(frozen=True)
class CheckOutcome:
    problems: tuple[SiteError, ...]  # errors and warnings, quota shortfalls included
    quota: QuotaReport | None
    posts: tuple[Post, ...]


def run_check(site_dir: Path, now: datetime, strict: bool = False) -> CheckOutcome:
    try:
        config = load_valid_config(site_dir)
    except BuildFailed as failed:
        return CheckOutcome(failed.errors, None, ())
    site, problems = parse_site(load_site_files(site_dir), config)
    published = [p for p in site.posts if p.is_published(now)]
    problems += check_unsafe_html([*published, *site.pages, *site.procedures], config.security == "strict")
    quota = compute_quota(site.posts, config.quota, now, strict) if config.quota else None
    if quota is not None:
        problems += check_quota(quota, config.path)
    return CheckOutcome(tuple(sorted(set(problems))), quota, site.posts)
