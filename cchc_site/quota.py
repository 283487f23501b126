"""The monthly quota of plan 2477/KH-SXD (mục III.3): at least N posts a month.

Pure: the clock (``now``) is passed in.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Literal, Mapping

from .dates import month_label
from .errors import SiteError

if TYPE_CHECKING:  # (a check answered from its record shows a report without loading them)
    from .config import QuotaConfig
    from .models import Post

Status = Literal["ok", "short", "waived", "in_progress"]
STATUS_LABELS: dict[str, str] = {"ok": "đạt", "short": "thiếu", "waived": "miễn", "in_progress": "đang diễn ra"}
Month = tuple[int, int]


@dataclass(frozen=True)
class MonthStatus:
    month: Month
    count: int
    required: int
    status: Status
    posts: tuple[Post, ...]
    reason: str  # the waiver's reason, or ""
    days_left: int  # days left in the month, today included (current month only)

    @property
    def key(self) -> str:
        return f"{self.month[0]:04d}-{self.month[1]:02d}"

    @property
    def label(self) -> str:
        return month_label(*self.month)

    @property
    def missing(self) -> int:
        return max(self.required - self.count, 0)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class QuotaReport:
    as_of: datetime
    min_posts: int
    months: tuple[MonthStatus, ...]

    @property
    def ok(self) -> bool:
        return not self.short_months

    @property
    def short_months(self) -> tuple[MonthStatus, ...]:
        return tuple(m for m in self.months if m.status == "short")

    @property
    def current(self) -> MonthStatus | None:
        return next((m for m in self.months if m.status == "in_progress"), None)


def next_month(month: Month) -> Month:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def previous_month(month: Month) -> Month:
    year, m = month
    return (year - 1, 12) if m == 1 else (year, m - 1)


def month_range(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive (empty when last < first)."""
    months: list[Month] = []
    current = first
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def published_posts(posts: Iterable[Post], now: datetime) -> list[Post]:
    """Posts that count: not drafts, not dated after ``now``."""
    from .models import is_shown

    return [p for p in posts if is_shown(p, now)]


def enforced_months(quota: QuotaConfig, now: datetime) -> list[Month]:
    """The months the gate looks at as of ``now``: ``start`` .. ``end``, cut at the current month.

    Without ``end`` this is every month from ``start`` to the last complete month before
    ``now``, plus the current month (reported as in progress).  Months with no posts are
    included.  Months after the current one are never reported.
    """
    current: Month = (now.year, now.month)
    last = min(quota.end, current) if quota.end else current
    return month_range(quota.start, last)


def compute_quota(posts: Iterable[Post], quota: QuotaConfig, now: datetime, strict: bool = False) -> QuotaReport:
    """Status of every enforced month as of ``now`` (an aware datetime in the site timezone).

    Only published posts count (no drafts, none dated after ``now``); a post counts for the
    month of its date in the site timezone (``Post.date`` is already in it).  A month is
    "ok" with at least ``min_posts`` posts, else "waived" when ``waivers`` names it, else
    "in_progress" when it is the current month (unless ``strict``), else "short".
    """
    by_month: dict[Month, list[Post]] = {}
    for post in published_posts(posts, now):
        by_month.setdefault(post.month, []).append(post)
    return _report({month: tuple(sorted(found, key=lambda p: (p.date, p.path))) for month, found in by_month.items()},
                   {month: len(found) for month, found in by_month.items()}, quota, now, strict)


def count_quota(counts: Mapping[Month, int], quota: QuotaConfig, now: datetime, strict: bool = False) -> QuotaReport:
    """The report :func:`compute_quota` makes, from the number of published posts of each month,
    without the posts themselves (each month's ``posts`` empty): for a report that only counts
    (``check``'s text), a site of ten thousand posts need not load them."""
    return _report({}, counts, quota, now, strict)


def _report(posts: Mapping[Month, tuple[Post, ...]], counts: Mapping[Month, int], quota: QuotaConfig,
            now: datetime, strict: bool) -> QuotaReport:
    current: Month = (now.year, now.month)
    statuses: list[MonthStatus] = []
    for month in enforced_months(quota, now):
        count = counts.get(month, 0)
        reason = quota.waiver(month) or ""
        days_left = calendar.monthrange(*month)[1] - now.day + 1 if month == current else 0
        if count >= quota.min_posts:
            status: Status = "ok"
        elif reason:
            status = "waived"
        elif month == current and not strict:
            status = "in_progress"
        else:
            status = "short"
        statuses.append(MonthStatus(month, count, quota.min_posts, status, posts.get(month, ()), reason, days_left))
    return QuotaReport(now, quota.min_posts, tuple(statuses))


_QUOTA_KEY = re.compile(r"^quota[ \t]*:", re.M)


def quota_line(config_text: str) -> int:
    """The line of the top-level ``quota:`` key in the text of site.yaml, or 0."""
    match = _QUOTA_KEY.search(config_text)
    return config_text.count("\n", 0, match.start()) + 1 if match else 0


def check_quota(report: QuotaReport, config_path: str = "site.yaml", line: int = 0) -> list[SiteError]:
    """One E060 error per short month, saying what to do about it (``line``: the ``quota:`` line)."""
    return [SiteError(config_path, line, "E060", shortfall_message(month, report.as_of))
            for month in report.short_months]


def shortfall_line(month: MonthStatus) -> str:
    """``Tháng 09/2021: 1/2 bài — thiếu 1 bài``."""
    return f"{month.label}: {month.count}/{month.required} bài — thiếu {month.missing} bài"


def waiver_snippet(months: Iterable[MonthStatus]) -> str:
    """The lines to add to site.yaml to waive ``months`` (with a reason to fill in)."""
    lines = ["quota:", "  waivers:"]
    lines += [f'    "{m.key}": "Lý do ... (ví dụ: cán bộ phụ trách nghỉ ốm cả tháng)"' for m in months]
    return "\n".join(lines)


NO_BACKDATING = ("KHÔNG đăng bài lùi ngày (ghi ngày cũ) để bù cho tháng đã qua: ngày đăng phải là ngày thật. "
                 "Nếu tháng đó thiếu bài vì lý do chính đáng, ghi miễn trừ kèm lý do vào site.yaml "
                 "(mục quota → waivers); lý do sẽ hiện trong mọi báo cáo và trên trang /thong-ke/.")


def shortfall_message(month: MonthStatus, now: datetime) -> str:
    """One line: what is missing and how to fix it honestly."""
    head = shortfall_line(month) + "."
    if (now.year, now.month) == month.month:
        return (f"{head} Còn {month.days_left} ngày: đăng thêm {month.missing} bài trong tháng này "
                "(content/posts/), hoặc tạo nhanh bằng 'cchc-site new post \"Tiêu đề\"'.")
    return (f"{head} Tháng đã qua: KHÔNG đăng bài lùi ngày để bù. Nếu có lý do chính đáng, thêm miễn trừ vào "
            f"site.yaml, dưới 'quota:' → 'waivers:', dòng  \"{month.key}\": \"Lý do ...\"  — lý do sẽ hiện "
            "trong mọi báo cáo.")
