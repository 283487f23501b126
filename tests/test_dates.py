"""Unit tests for cchc_site.dates: the date forms authors write and the forms readers see."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cchc_site.dates import (DateError, format_vn_date, format_vn_short, month_label, parse_date,
                             parse_month)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize("text, expected", [
    ("2021-07-28", datetime(2021, 7, 28, tzinfo=VN)),
    ("2021-7-8", datetime(2021, 7, 8, tzinfo=VN)),
    ("2021-07-28 08:30", datetime(2021, 7, 28, 8, 30, tzinfo=VN)),
    ("2021-07-28T08:30:15", datetime(2021, 7, 28, 8, 30, 15, tzinfo=VN)),
    ("28/07/2021", datetime(2021, 7, 28, tzinfo=VN)),
    ("8/7/2021", datetime(2021, 7, 8, tzinfo=VN)),
    ("28/07/2021 14:05", datetime(2021, 7, 28, 14, 5, tzinfo=VN)),
    ("28/07/2021 14h05", datetime(2021, 7, 28, 14, 5, tzinfo=VN)),
    ("  2021-07-28  ", datetime(2021, 7, 28, tzinfo=VN)),
])
def test_naive_dates_are_in_site_timezone(text: str, expected: datetime) -> None:
    parsed = parse_date(text, VN)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize("text, offset", [
    ("2021-07-28 08:30+07:00", 7 * 60),
    ("2021-07-28 08:30 +0000", 0),
    ("2021-07-28T08:30:00Z", 0),
    ("2021-07-28 08:30-05:30", -(5 * 60 + 30)),
])
def test_explicit_offset_wins(text: str, offset: int) -> None:
    parsed = parse_date(text, VN)
    assert parsed.utcoffset() == timedelta(minutes=offset)
    assert (parsed.hour, parsed.minute) == (8, 30)


def test_offset_is_compared_as_instant() -> None:
    utc = parse_date("2021-07-28 01:30Z", VN)
    local = parse_date("2021-07-28 08:30", VN)
    assert utc == local


def test_yaml_native_values() -> None:
    assert parse_date(date(2021, 7, 28), VN) == datetime(2021, 7, 28, tzinfo=VN)
    assert parse_date(datetime(2021, 7, 28, 9), VN) == datetime(2021, 7, 28, 9, tzinfo=VN)
    aware = datetime(2021, 7, 28, 9, tzinfo=timezone.utc)
    assert parse_date(aware, VN) is aware


@pytest.mark.parametrize("text", ["2021-02-30", "31/04/2021", "2021-13-01", "2021-07-28 25:00", "29/02/2021"])
def test_impossible_dates(text: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, VN)
    assert info.value.kind == "impossible"
    assert info.value.text == text


@pytest.mark.parametrize("text", ["hôm qua", "28-07-2021", "2021/07/28", "July 28, 2021", "", "28/07/21"])
def test_unreadable_dates(text: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, VN)
    assert info.value.kind == "unreadable"


def test_leap_day() -> None:
    assert parse_date("29/02/2024", VN).day == 29


@pytest.mark.parametrize("day, text", [
    (date(2021, 7, 28), "Thứ Tư, 28/07/2021"),
    (date(2021, 8, 1), "Chủ Nhật, 01/08/2021"),
    (date(2021, 8, 2), "Thứ Hai, 02/08/2021"),
    (date(2021, 8, 7), "Thứ Bảy, 07/08/2021"),
    (datetime(2021, 12, 31, 23, 0, tzinfo=VN), "Thứ Sáu, 31/12/2021"),
])
def test_format_vn_date(day: date, text: str) -> None:
    assert format_vn_date(day) == text


def test_format_short_and_month_label() -> None:
    assert format_vn_short(date(2021, 7, 8)) == "08/07/2021"
    assert month_label(2021, 9) == "Tháng 09/2021"


@pytest.mark.parametrize("text, expected", [("2021-08", (2021, 8)), ("2021-8", (2021, 8)), ("08/2021", (2021, 8)),
                                            ("12/2021", (2021, 12))])
def test_parse_month(text: str, expected: tuple[int, int]) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2021-13", "2021-00", "tháng 8", "2021", "1800-01"])
def test_parse_month_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_month(text)


def test_an_impossible_utc_offset_is_named_in_the_reason() -> None:
    with pytest.raises(DateError) as info:
        parse_date("2021-07-28T08:00:00+25:00", VN)
    assert info.value.kind == "impossible"
    assert info.value.reason == "múi giờ '+25:00' không tồn tại"
