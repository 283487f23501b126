"""Quota reports as text, JSON and GitHub annotations, and the monthly report to
Sở Nội vụ as Markdown, CSV and Word (pure, except ``write_docx``)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .config import SiteConfig
from .dates import format_vn_short, month_label
from .errors import SiteError
from .models import Post
from .quota import MonthStatus, QuotaReport, shortfall_message


def quota_table(report: QuotaReport) -> str:
    """The month table: month, posts, required, status."""
    rows = [("Tháng", "Số bài", "Yêu cầu", "Tình trạng")]
    for m in report.months:
        status = m.status_label
        if m.status == "waived":
            status += f" ({m.reason})"
        if m.status == "in_progress":
            status += f" (còn {m.days_left} ngày, cần thêm {m.missing} bài)" if m.missing else " (đã đủ)"
        rows.append((f"{m.month[1]:02d}/{m.month[0]}", str(m.count), str(m.required), status))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 10)
    return "\n".join(lines)


def format_quota_text(report: QuotaReport) -> str:
    head = (f"Chỉ tiêu: ít nhất {report.min_posts} tin, bài mỗi tháng (Kế hoạch 2477/KH-SXD, mục III.3). "
            f"Tính đến ngày {format_vn_short(report.as_of)}.")
    parts = [head, "", quota_table(report)]
    short = report.short_months
    if short:
        parts.append("")
        parts += [shortfall_message(m, report.as_of) for m in short]
    current = report.current
    if current and current.missing:
        parts.append("")
        parts.append(f"{current.label} đang diễn ra: {current.count}/{current.required} bài, cần thêm {current.missing} bài, "
                     f"còn {current.days_left} ngày.")
    parts.append("")
    parts.append("KẾT QUẢ: ĐẠT" if report.ok else f"KẾT QUẢ: KHÔNG ĐẠT — {len(short)} tháng thiếu bài.")
    return "\n".join(parts)


def quota_json(report: QuotaReport, config: SiteConfig, errors: Iterable[SiteError] = ()) -> dict[str, Any]:
    error_list = [e for e in errors if e.code != "E060"]
    return {
        "ok": report.ok and not any(e.severity == "error" for e in error_list),
        "as_of": report.as_of.date().isoformat(),
        "min_posts": report.min_posts,
        "months": [{
            "month": m.key, "count": m.count, "required": m.required, "status": m.status,
            "posts": [{"title": p.title, "date": p.date.isoformat(), "url": config.base_url + p.url.lstrip("/"),
                       "path": p.path} for p in m.posts],
            "reason": m.reason or None,
            **({"days_left": m.days_left, "missing": m.missing} if m.status == "in_progress" else {}),
        } for m in report.months],
        "errors": [{"path": e.path, "line": e.line, "code": e.code, "message": e.message, "severity": e.severity}
                   for e in error_list],
    }


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotations(report: QuotaReport | None, errors: Iterable[SiteError]) -> str:
    lines = []
    for e in errors:
        if e.code == "E060":
            continue
        kind = "error" if e.severity == "error" else "warning"
        where = f"file={e.path},line={e.line}" if e.line else f"file={e.path}"
        lines.append(f"::{kind} {where},title={e.code}::{_escape_annotation(e.message)}")
    if report is not None:
        for m in report.months:
            if m.status == "short":
                lines.append(f"::error file=site.yaml,title=E060 {m.label}::{_escape_annotation(shortfall_message(m, report.as_of))}")
            elif m.status == "in_progress" and m.missing:
                lines.append(f"::warning title={m.label} đang diễn ra::{m.count}/{m.required} bài, cần thêm {m.missing} bài, "
                             f"còn {m.days_left} ngày.")
            elif m.status == "waived":
                lines.append(f"::notice title={m.label} được miễn::{_escape_annotation(m.reason)}")
        lines.append(f"::notice title=Chỉ tiêu tin bài::{'Đạt' if report.ok else 'Không đạt'}: "
                     f"{sum(1 for m in report.months if m.status == 'ok')} tháng đạt, {len(report.short_months)} tháng thiếu.")
    return "\n".join(lines)


# --- the monthly report to Sở Nội vụ ------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReport:
    organization: str
    month: MonthStatus
    year_months: tuple[MonthStatus, ...]  # the enforced months of the same year up to this one
    posts: tuple[Post, ...]
    base_url: str

    @property
    def title(self) -> str:
        return f"Báo cáo tin, bài cải cách hành chính {month_label(*self.month.month).lower()}"

    def url(self, post: Post) -> str:
        return self.base_url + post.url.lstrip("/")

    @property
    def year_total(self) -> int:
        return sum(m.count for m in self.year_months)


def make_monthly_report(report: QuotaReport, month: tuple[int, int], config: SiteConfig,
                        posts: Iterable[Post]) -> MonthlyReport | None:
    statuses = {m.month: m for m in report.months}
    if month not in statuses:
        return None
    year = tuple(m for m in report.months if m.month[0] == month[0] and m.month <= month)
    month_posts = tuple(p for p in statuses[month].posts)
    return MonthlyReport(config.organization or config.title, statuses[month], year, month_posts, config.base_url)


def _year_line(r: MonthlyReport) -> str:
    met = sum(1 for m in r.year_months if m.status in ("ok", "waived"))
    return (f"Từ đầu năm {r.month.month[0]} đến {month_label(*r.month.month).lower()}: {r.year_total} tin, bài; "
            f"{met}/{len(r.year_months)} tháng đạt hoặc được miễn.")


def report_markdown(r: MonthlyReport) -> str:
    m = r.month
    lines = [f"# {r.title}", "", f"**Đơn vị:** {r.organization}", "",
             f"**Tình trạng tháng:** {m.count}/{m.required} bài — {m.status_label}"
             + (f" (lý do miễn: {m.reason})" if m.reason else ""), "", _year_line(r), "",
             "## Danh sách tin, bài đã đăng", ""]
    if r.posts:
        lines += ["| STT | Ngày đăng | Tiêu đề | Chuyên mục | Địa chỉ |", "|---:|---|---|---|---|"]
        for n, p in enumerate(r.posts, 1):
            title = p.title.replace("|", "\\|")
            lines.append(f"| {n} | {format_vn_short(p.date)} | {title} | {p.category.name if p.category else ''} | {r.url(p)} |")
    else:
        lines.append("Không có tin, bài nào trong tháng.")
    lines += ["", "## Tình hình thực hiện trong năm", "", "| Tháng | Số bài | Yêu cầu | Tình trạng |", "|---|---:|---:|---|"]
    for ym in r.year_months:
        lines.append(f"| {ym.month[1]:02d}/{ym.month[0]} | {ym.count} | {ym.required} | {ym.status_label} |")
    return "\n".join(lines) + "\n"


def report_csv(r: MonthlyReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["STT", "Ngày đăng", "Tiêu đề", "Chuyên mục", "Địa chỉ"])
    for n, p in enumerate(r.posts, 1):
        writer.writerow([n, format_vn_short(p.date), p.title, p.category.name if p.category else "", r.url(p)])
    writer.writerow([])
    writer.writerow(["Tình trạng tháng", f"{r.month.count}/{r.month.required}", r.month.status_label, r.month.reason])
    writer.writerow(["Lũy kế năm", r.year_total, _year_line(r)])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_docx(r: MonthlyReport, path: Path) -> None:
    """A real Word document (python-docx), as the office files it."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    doc.add_paragraph(r.organization.upper())
    doc.add_heading(r.title, level=1)
    m = r.month
    doc.add_paragraph(f"Tình trạng tháng: {m.count}/{m.required} tin, bài — {m.status_label}"
                      + (f" (lý do miễn: {m.reason})" if m.reason else "") + ".")
    doc.add_paragraph(_year_line(r))
    doc.add_heading("Danh sách tin, bài đã đăng", level=2)
    if r.posts:
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("STT", "Ngày đăng", "Tiêu đề", "Chuyên mục", "Địa chỉ")):
            cell.text = text
        for n, p in enumerate(r.posts, 1):
            cells = table.add_row().cells
            for cell, text in zip(cells, (str(n), format_vn_short(p.date), p.title,
                                          p.category.name if p.category else "", r.url(p))):
                cell.text = text
    else:
        doc.add_paragraph("Không có tin, bài nào trong tháng.")
    doc.add_heading("Tình hình thực hiện trong năm", level=2)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Tháng", "Số bài", "Yêu cầu", "Tình trạng")):
        cell.text = text
    for ym in r.year_months:
        cells = table.add_row().cells
        for cell, text in zip(cells, (f"{ym.month[1]:02d}/{ym.month[0]}", str(ym.count), str(ym.required),
                                      ym.status_label + (f": {ym.reason}" if ym.reason else ""))):
            cell.text = text
    core = doc.core_properties
    core.title = r.title
    core.author = r.organization
    from datetime import datetime, timezone
    fixed = datetime(2000, 1, 1, tzinfo=timezone.utc)
    core.created = fixed
    core.modified = fixed
    doc.save(str(path))
