"""Pure tests of cchc_site.quota: the clock is a fixed ``now`` in the site timezone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cchc_site.config import QuotaConfig
from cchc_site.dates import parse_date
from cchc_site.models import Post
from cchc_site.quota import (check_quota, compute_quota, enforced_months, month_range, shortfall_line,
                             shortfall_message, waiver_snippet)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    """A moment as validate.py makes it: parsed with the site timezone, then converted to it."""
    return parse_date(text, VN).astimezone(VN)


def mkpost(date: str, name: str = "", draft: bool = False) -> Post:
    name = name or f"bai-{date.replace(':', '').replace(' ', '-')}"
    return Post(path=f"content/posts/{name}.md", title=f"Bài {name}", date=at(date), category=None, tags=(),
                summary="", author="", image="", attachments=(), slug=name, draft=draft, sample=False,
                body="Nội dung.", body_line=5, digest=name)


def quota(start: tuple[int, int], end: tuple[int, int] | None = None, min_posts: int = 2,
          waivers: dict[tuple[int, int], str] | None = None) -> QuotaConfig:
    return QuotaConfig(start, end, min_posts, tuple(sorted((waivers or {}).items())))


def by_key(report) -> dict[str, tuple[int, str]]:  # noqa: ANN001
    return {m.key: (m.count, m.status) for m in report.months}


# --- which months are enforced -------------------------------------------------------------------

def test_months_from_start_to_end_include_months_without_posts() -> None:
    posts = [mkpost("2021-08-02"), mkpost("2021-08-20"), mkpost("2021-10-05")]
    report = compute_quota(posts, quota((2021, 8), (2021, 11)), at("2022-03-01 10:00"))
    assert by_key(report) == {"2021-08": (2, "ok"), "2021-09": (0, "short"), "2021-10": (1, "short"),
                              "2021-11": (0, "short")}
    assert not report.ok
    assert [m.key for m in report.short_months] == ["2021-09", "2021-10", "2021-11"]
    assert report.current is None  # end is in the past: no month in progress


def test_no_end_runs_to_last_complete_month_plus_current_in_progress() -> None:
    posts = [mkpost(d) for d in ("2021-08-02", "2021-08-03", "2021-09-01", "2021-09-30", "2021-10-01")]
    report = compute_quota(posts, quota((2021, 8)), at("2021-10-12 09:00"))
    assert by_key(report) == {"2021-08": (2, "ok"), "2021-09": (2, "ok"), "2021-10": (1, "in_progress")}
    assert report.ok  # the current month does not fail
    current = report.current
    assert current is not None and current.key == "2021-10"
    assert (current.missing, current.days_left) == (1, 31 - 12 + 1)


def test_end_in_the_future_stops_at_the_current_month() -> None:
    report = compute_quota([], quota((2021, 8), (2021, 12)), at("2021-09-15"))
    assert [m.key for m in report.months] == ["2021-08", "2021-09"]
    assert enforced_months(quota((2021, 8), (2021, 12)), at("2021-09-15")) == [(2021, 8), (2021, 9)]


def test_start_in_the_future_enforces_nothing() -> None:
    report = compute_quota([mkpost("2021-07-01")], quota((2021, 8)), at("2021-07-20"))
    assert report.months == () and report.ok


def test_month_range_crosses_years() -> None:
    assert month_range((2021, 11), (2022, 2)) == [(2021, 11), (2021, 12), (2022, 1), (2022, 2)]
    assert month_range((2022, 2), (2021, 11)) == []


# --- which month a post counts for ----------------------------------------------------------------

@pytest.mark.parametrize("date, month", [
    ("2021-08-31T20:00:00Z", "2021-09"),  # 03:00 on 1 September in Hà Nội
    ("2021-08-31T16:59:59Z", "2021-08"),  # 23:59:59 on 31 August
    ("2021-08-31T17:00:00Z", "2021-09"),  # exactly midnight
    ("2021-09-30T23:30:00-05:00", "2021-10"),
    ("2021-09-01T06:00:00+09:00", "2021-09"),  # 04:00 in Hà Nội, same day
    ("2021-09-01 00:30", "2021-09"),  # naive: the site timezone
])
def test_post_counts_for_its_month_in_the_site_timezone(date: str, month: str) -> None:
    report = compute_quota([mkpost(date)], quota((2021, 8), (2021, 10), min_posts=1), at("2021-12-01"))
    assert {m.key: m.count for m in report.months if m.count} == {month: 1}


def test_timezone_shift_makes_a_short_month_and_a_full_one() -> None:
    # Two posts written "on the 31st" in UTC evening are September posts in Vietnam.
    posts = [mkpost("2021-08-10"), mkpost("2021-08-31T20:00:00Z", "a"), mkpost("2021-08-31T21:00:00Z", "b")]
    report = compute_quota(posts, quota((2021, 8), (2021, 9)), at("2021-10-01"))
    assert by_key(report) == {"2021-08": (1, "short"), "2021-09": (2, "ok")}


def test_leap_day_post_counts_for_february() -> None:
    posts = [mkpost("2024-02-29"), mkpost("29/02/2024 23:59"), mkpost("2024-02-29T17:00:00Z", "sang-thang-3")]
    report = compute_quota(posts, quota((2024, 2), (2024, 3)), at("2024-04-01"))
    assert by_key(report) == {"2024-02": (2, "ok"), "2024-03": (1, "short")}


@pytest.mark.parametrize("now, days_left", [
    ("2024-02-29 08:00", 1), ("2024-02-01", 29), ("2023-02-01", 28), ("2021-12-31 23:59", 1), ("2021-11-30", 1),
])
def test_days_left_in_the_current_month(now: str, days_left: int) -> None:
    moment = at(now)
    report = compute_quota([], quota((moment.year, moment.month)), moment)
    assert report.current is not None and report.current.days_left == days_left


# --- which posts count -----------------------------------------------------------------------------

def test_drafts_never_count() -> None:
    posts = [mkpost("2021-08-02"), mkpost("2021-08-03", "nhap", draft=True)]
    report = compute_quota(posts, quota((2021, 8), (2021, 8)), at("2021-12-01"))
    assert by_key(report) == {"2021-08": (1, "short")}
    assert [p.slug for p in report.months[0].posts] == ["bai-2021-08-02"]


def test_posts_dated_after_now_do_not_count_yet() -> None:
    posts = [mkpost("2021-10-01 08:00"), mkpost("2021-10-12 09:00", "dung-luc"), mkpost("2021-10-12 09:01", "hen-gio"),
             mkpost("2021-10-20", "hen-ngay")]
    report = compute_quota(posts, quota((2021, 10)), at("2021-10-12 09:00"))
    assert by_key(report) == {"2021-10": (2, "ok")}  # the post dated exactly "now" counts
    later = compute_quota(posts, quota((2021, 10)), at("2021-10-31 23:59"))
    assert by_key(later) == {"2021-10": (4, "ok")}


def test_future_posts_of_a_future_month_are_not_reported() -> None:
    report = compute_quota([mkpost("2021-11-05")], quota((2021, 10)), at("2021-10-20"))
    assert [m.key for m in report.months] == ["2021-10"]


def test_posts_are_listed_oldest_first() -> None:
    posts = [mkpost("2021-08-20", "b"), mkpost("2021-08-03", "a"), mkpost("2021-08-20", "a2")]
    report = compute_quota(posts, quota((2021, 8), (2021, 8)), at("2021-09-01"))
    assert [p.slug for p in report.months[0].posts] == ["a", "a2", "b"]


# --- waivers, strict, min_posts -------------------------------------------------------------------

def test_waived_month_never_fails_and_keeps_its_reason() -> None:
    reason = "Cán bộ phụ trách nghỉ ốm cả tháng"
    report = compute_quota([mkpost("2021-09-05")], quota((2021, 8), (2021, 9), waivers={(2021, 8): reason}),
                           at("2021-12-01"))
    august, september = report.months
    assert (august.status, august.reason, august.count) == ("waived", reason, 0)
    assert september.status == "short"
    assert [m.key for m in report.short_months] == ["2021-09"]
    full = compute_quota([mkpost("2021-08-01"), mkpost("2021-08-02")],
                         quota((2021, 8), (2021, 8), waivers={(2021, 8): reason}), at("2021-12-01"))
    assert full.months[0].status == "ok" and full.ok  # enough posts: "đạt", the waiver is not needed


def test_waiver_for_every_short_month_makes_the_report_ok() -> None:
    waivers = {(2021, 8): "Lý do một", (2021, 9): "Lý do hai"}
    report = compute_quota([], quota((2021, 8), (2021, 9), waivers=waivers), at("2021-12-01"))
    assert report.ok and [m.status for m in report.months] == ["waived", "waived"]
    assert check_quota(report) == []


def test_current_month_with_a_waiver_is_waived() -> None:
    report = compute_quota([], quota((2021, 10), waivers={(2021, 10): "Nghỉ Tết"}), at("2021-10-05"))
    assert report.months[0].status == "waived"


def test_strict_fails_the_current_month_when_short() -> None:
    posts = [mkpost("2021-10-01")]
    loose = compute_quota(posts, quota((2021, 10)), at("2021-10-12"))
    strict = compute_quota(posts, quota((2021, 10)), at("2021-10-12"), strict=True)
    assert loose.months[0].status == "in_progress" and loose.ok
    assert strict.months[0].status == "short" and not strict.ok
    met = compute_quota(posts + [mkpost("2021-10-02")], quota((2021, 10)), at("2021-10-12"), strict=True)
    assert met.months[0].status == "ok" and met.ok


def test_current_month_already_met_is_ok() -> None:
    report = compute_quota([mkpost("2021-10-01"), mkpost("2021-10-02")], quota((2021, 10)), at("2021-10-03"))
    assert report.months[0].status == "ok" and report.current is None


def test_min_posts_is_respected() -> None:
    posts = [mkpost("2021-08-01"), mkpost("2021-08-02")]
    assert by_key(compute_quota(posts, quota((2021, 8), (2021, 8), min_posts=3), at("2021-09-01"))) == {
        "2021-08": (2, "short")}
    zero = compute_quota([], quota((2021, 8), (2021, 8), min_posts=0), at("2021-09-01"))
    assert by_key(zero) == {"2021-08": (0, "ok")}


# --- the messages -------------------------------------------------------------------------------

def test_shortfall_line_and_message_for_a_past_month() -> None:
    report = compute_quota([mkpost("2021-09-03")], quota((2021, 9), (2021, 9)), at("2021-11-01"))
    month = report.short_months[0]
    assert shortfall_line(month) == "Tháng 09/2021: 1/2 bài — thiếu 1 bài"
    message = shortfall_message(month, report.as_of)
    assert message.startswith("Tháng 09/2021: 1/2 bài — thiếu 1 bài.")
    assert "KHÔNG đăng bài lùi ngày" in message
    assert "waivers" in message and '"2021-09": "Lý do ..."' in message and "site.yaml" in message


def test_shortfall_message_for_the_current_month_in_strict_mode() -> None:
    report = compute_quota([], quota((2021, 10)), at("2021-10-30"), strict=True)
    message = shortfall_message(report.months[0], report.as_of)
    assert "Còn 2 ngày" in message and "đăng thêm 2 bài" in message and "cchc-site new post" in message


def test_check_quota_gives_one_e060_per_short_month_at_the_quota_line() -> None:
    report = compute_quota([], quota((2021, 8), (2021, 9), waivers={(2021, 8): "x"}), at("2021-12-01"))
    errors = check_quota(report, "site.yaml", 12)
    assert [(e.path, e.line, e.code, e.severity) for e in errors] == [("site.yaml", 12, "E060", "error")]
    assert errors[0].message.startswith("Tháng 09/2021: 0/2 bài — thiếu 2 bài.")


def test_waiver_snippet_is_valid_yaml_for_site_yaml() -> None:
    import yaml

    report = compute_quota([], quota((2021, 8), (2021, 9)), at("2021-12-01"))
    data = yaml.safe_load(waiver_snippet(report.short_months))
    assert list(data["quota"]["waivers"]) == ["2021-08", "2021-09"]
    assert all(reason.startswith("Lý do") for reason in data["quota"]["waivers"].values())


@pytest.mark.parametrize("seed", range(20))
def test_counting_gives_the_report_of_the_posts_without_them(seed: int) -> None:
    """``count_quota`` (what ``check`` prints as text) says what ``compute_quota`` says, month by
    month, from the number of published posts of each month."""
    import random
    from dataclasses import replace

    from cchc_site.models import is_shown
    from cchc_site.quota import count_quota

    rng = random.Random(seed)
    posts = [mkpost(f"2021-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00",
                    name=f"p{i}", draft=rng.random() < 0.2) for i in range(rng.randint(0, 40))]
    config = quota((2021, rng.randint(5, 9)), rng.choice([None, (2021, 11)]), rng.randint(1, 4),
                   {(2021, 8): "Nghỉ"} if rng.random() < 0.5 else None)
    now = at(f"2021-{rng.randint(8, 12):02d}-{rng.randint(1, 28):02d} 12:00")
    strict = rng.random() < 0.5
    counts: dict[tuple[int, int], int] = {}
    for post in posts:
        if is_shown(post, now):
            counts[post.month] = counts.get(post.month, 0) + 1
    full = compute_quota(posts, config, now, strict)
    assert count_quota(counts, config, now, strict) == replace(full, months=tuple(replace(m, posts=()) for m in full.months))
    assert sum(m.count for m in full.months) == sum(len(m.posts) for m in full.months)
