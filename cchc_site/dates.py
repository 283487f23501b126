"""Dates as authors write them, and as readers read them (pure functions)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_VN = re.compile(
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<H>\d{1,2})(?::|h)(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


class DateError(ValueError):
    """``kind`` is "impossible" (2021-02-30) or "unreadable" (hôm qua)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


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
    text = str(value).strip()
    match = _ISO.fullmatch(text) or _VN.fullmatch(text)
    if not match:
        raise DateError("unreadable", text)
    parts = match.groupdict()
    try:
        result = datetime(
            int(parts["y"]), int(parts["m"]), int(parts["d"]),
            int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0),
        )
    except ValueError:
        raise DateError("impossible", text) from None
    tz = _offset(parts.get("tz"))
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
