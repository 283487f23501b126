"""Dates as authors write them, and as readers read them (pure functions)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_TIME = r"(?:(?:\s+|\s*,\s*|T)(?P<H>\d{1,2})(?::|h|g)(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
# 28/07/2021 (day first, as Vietnamese write it), optional time.
_VN = re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})" + _TIME)
# "ngày 28 tháng 7 năm 2021" as in official documents.
_VN_WORDS = re.compile(r"(?:ngày\s+)?(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})" + _TIME,
                       re.I)
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


class DateError(ValueError):
    """``kind`` is "impossible" (2021-02-30) or "unreadable" (hôm qua)."""

    def __init__(self, kind: str, text: str, reason: str = "") -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text
        self.reason = reason  # for "impossible": why, in Vietnamese ("tháng 2 năm 2021 chỉ có 28 ngày")


def impossible_reason(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> str:
    """Why a date/time does not exist, in Vietnamese ("" when it does exist)."""
    import calendar

    if not 1 <= month <= 12:
        return f"không có tháng {month} (tháng từ 1 đến 12)"
    if year < 1:
        return "năm phải lớn hơn 0"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"tháng {month} năm {year} chỉ có {days} ngày"
    if hour > 23 or minute > 59 or second > 59:
        return f"giờ {hour:02d}:{minute:02d} không tồn tại (giờ từ 00:00 đến 23:59)"
    return ""


@lru_cache(maxsize=64)
def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return timezone.utc
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_date(value: object, site_tz: tzinfo) -> datetime:
    """An aware datetime from a front matter value; naive times are in ``site_tz``.

    Accepts ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS]`` with an optional UTC offset,
    and the Vietnamese ``DD/MM/YYYY [HH:MM]``.  Raises :class:`DateError`.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=site_tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=site_tz)
    text = " ".join(str(value).split())
    match = _ISO.fullmatch(text) or _VN.fullmatch(text) or _VN_WORDS.fullmatch(text)
    if not match:
        raise DateError("unreadable", text)
    numbers = [int(part) if part else 0 for part in match.group("y", "m", "d", "H", "M", "S")]
    try:
        result = datetime(*numbers)
    except ValueError:  # the same dates as impossible_reason finds: it says why
        raise DateError("impossible", text, impossible_reason(*numbers)) from None
    offset = match.groupdict().get("tz")  # (only ISO dates have one)
    try:
        tz = _offset(offset)
    except ValueError:  # an offset such as +25:00
        raise DateError("impossible", text, f"múi giờ '{offset}' không tồn tại") from None
    return result.replace(tzinfo=tz or site_tz)


def parse_month(text: object) -> tuple[int, int]:
    """``"2021-08"`` (or ``08/2021``) -> ``(2021, 8)``; raises ValueError."""
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", s) or None
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m = re.fullmatch(r"(\d{1,2})/(\d{4})", s)
        if not m:
            raise ValueError(s)
        year, month = int(m.group(2)), int(m.group(1))
    if not 1 <= month <= 12 or year < 1900:
        raise ValueError(s)
    return year, month


def format_vn_date(moment: datetime | date) -> str:
    """``Thứ Tư, 28/07/2021``."""
    return f"{WEEKDAYS[moment.weekday()]}, {moment.day:02d}/{moment.month:02d}/{moment.year}"


def format_vn_short(moment: datetime | date) -> str:
    """``28/07/2021``."""
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year}"


def month_label(year: int, month: int) -> str:
    """``Tháng 09/2021``."""
    return f"Tháng {month:02d}/{year}"
