"""Quota reports as text, JSON and GitHub annotations, and the monthly report to
Sở Nội vụ as Markdown, CSV and Word (pure, except ``write_docx``)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .dates import format_vn_short, month_label
from .errors import SiteError
from .quota import (NO_BACKDATING, STATUS_LABELS, Month, MonthStatus, QuotaReport, shortfall_line,
                    shortfall_message, waiver_snippet)

if TYPE_CHECKING:  # (a check answered from its record prints its report without loading them)
    from .config import SiteConfig
    from .models import Post

PLAN = "Kế hoạch số 2477/KH-SXD"
STATUSES = tuple(STATUS_LABELS)  # "ok", "short", "waived", "in_progress": the JSON status enum


def _short_month(m: MonthStatus) -> str:
    return f"{m.month[1]:02d}/{m.month[0]}"


def status_note(m: MonthStatus) -> str:
    """What a reader needs beside the status: the waiver's reason, what is missing, days left."""
    if m.status == "waived":
        return f"lý do miễn: {m.reason}"
    if m.status == "short":
        return f"thiếu {m.missing} bài"
    if m.status == "in_progress":
        return f"còn {m.days_left} ngày, cần thêm {m.missing} bài"
    return ""


# --- cchc-site check: text ----------------------------------------------------------------------

def quota_table(report: QuotaReport) -> str:
    """The month table: month, posts, required, status (đạt / thiếu / miễn / đang diễn ra)."""
    rows = [("Tháng", "Số bài", "Yêu cầu", "Tình trạng")]
    for m in report.months:
        status = m.status_label
        if m.status == "waived":
            status += f" ({m.reason})"
        elif m.status == "in_progress":
            status += f" (còn {m.days_left} ngày, cần thêm {m.missing} bài)"
        rows.append((_short_month(m), str(m.count), str(m.required), status))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 10)
    return "\n".join(lines)


def format_quota_text(report: QuotaReport) -> str:
    """The report printed by ``check`` (text) and by a failed ``build``."""
    head = (f"Chỉ tiêu: ít nhất {report.min_posts} tin, bài mỗi tháng ({PLAN}, mục III.3). "
            f"Tính đến ngày {format_vn_short(report.as_of)}.")
    parts = [head, ""]
    if not report.months:
        parts.append("Chưa có tháng nào phải tính (tháng bắt đầu áp dụng chưa đến).")
    else:
        parts.append(quota_table(report))
    short = report.short_months
    if short:
        parts += ["", "Tháng thiếu bài:"]
        for m in short:
            line = shortfall_line(m)
            if m.days_left:
                line += f" (tháng hiện tại, còn {m.days_left} ngày)"
            parts.append(line)
        parts += ["", NO_BACKDATING,
                  "Ví dụ, thêm vào mục quota: của site.yaml (nếu đã có dòng 'waivers:' thì chỉ thêm các dòng tháng):",
                  "", waiver_snippet(short)]
    waived = [m for m in report.months if m.status == "waived"]
    if waived:
        parts += ["", "Tháng được miễn:"]
        parts += [f"{m.label}: {m.count}/{m.required} bài — miễn, lý do: {m.reason}" for m in waived]
    current = report.current
    if current:
        parts += ["", f"{current.label} đang diễn ra: {current.count}/{current.required} bài, "
                      f"cần thêm {current.missing} bài, còn {current.days_left} ngày."]
    parts.append("")
    parts.append("KẾT QUẢ: ĐẠT" if report.ok else f"KẾT QUẢ: KHÔNG ĐẠT — {len(short)} tháng thiếu bài (mã lỗi E060).")
    return "\n".join(parts)


# --- cchc-site check: JSON ----------------------------------------------------------------------

def _error_json(e: SiteError) -> dict[str, Any]:
    return {"path": e.path, "line": e.line, "code": e.code, "message": e.message, "severity": e.severity}


def month_json(m: MonthStatus, base_url: str) -> dict[str, Any]:
    return {
        "month": m.key, "count": m.count, "required": m.required, "status": m.status,
        "posts": [{"title": p.title, "date": p.date.isoformat(), "url": base_url + p.url.lstrip("/"),
                   "path": p.path} for p in m.posts],
        "reason": m.reason or None,
        "missing": m.missing, "days_left": m.days_left,
    }


def quota_json(report: QuotaReport, config: SiteConfig, errors: Iterable[SiteError] = ()) -> dict[str, Any]:
    """The schema of the issue (ok, as_of, min_posts, months[...]) plus ``errors``: the content
    problems other than the quota (each month also carries ``missing`` and ``days_left``)."""
    error_list = [e for e in errors if e.code != "E060"]
    return {
        "ok": report.ok and not any(e.severity == "error" for e in error_list),
        "as_of": report.as_of.date().isoformat(),
        "min_posts": report.min_posts,
        "months": [month_json(m, config.base_url) for m in report.months],
        "errors": [_error_json(e) for e in error_list],
    }


def no_quota_json(now: datetime, errors: Iterable[SiteError]) -> dict[str, Any]:
    """``check --format json`` when site.yaml has no quota (or could not be read)."""
    error_list = list(errors)
    return {"ok": not any(e.severity == "error" for e in error_list), "as_of": now.date().isoformat(),
            "min_posts": None, "months": [], "errors": [_error_json(e) for e in error_list]}


# --- cchc-site check: GitHub annotations ---------------------------------------------------------

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, message: str, file: str = "", line: int = 0, title: str = "") -> str:
    """``::error file=F,line=L,title=T::message`` (GitHub workflow command syntax)."""
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    return f"::{kind} {','.join(props)}::{_escape_data(message)}" if props else f"::{kind}::{_escape_data(message)}"


def github_annotations(report: QuotaReport | None, errors: Iterable[SiteError], prefix: str = "",
                       config_file: str = "site.yaml", quota_line: int = 0) -> str:
    """Errors as ``::error``, warnings and the current month as ``::warning``, waived months and
    the summary as ``::notice``.  ``prefix`` is the site folder relative to the repository root
    (e.g. ``"site/"``), so GitHub can place the annotations on the files."""
    lines = []
    for e in errors:
        if e.code == "E060":
            continue
        kind = "error" if e.severity == "error" else "warning"
        file = prefix + e.path if not e.path.startswith("-") else ""
        lines.append(annotation(kind, e.message, file, e.line, e.code))
    if report is not None:
        where = prefix + config_file
        for m in report.months:
            if m.status == "short":
                message = shortfall_message(m, report.as_of)
                if (report.as_of.year, report.as_of.month) != m.month:
                    message += "\n" + waiver_snippet([m])
                lines.append(annotation("error", message, where, quota_line, f"E060 {m.label}: thiếu {m.missing} bài"))
            elif m.status == "in_progress":
                lines.append(annotation("warning", f"{m.label} đang diễn ra: {m.count}/{m.required} bài, cần thêm "
                                        f"{m.missing} bài, còn {m.days_left} ngày.", where, quota_line,
                                        f"{m.label} đang diễn ra"))
            elif m.status == "waived":
                lines.append(annotation("notice", f"{m.label}: {m.count}/{m.required} bài — miễn, lý do: {m.reason}",
                                        where, quota_line, f"{m.label} được miễn"))
        met = sum(1 for m in report.months if m.status == "ok")
        waived = sum(1 for m in report.months if m.status == "waived")
        lines.append(annotation("notice", f"{'Đạt' if report.ok else 'Không đạt'}: {met} tháng đạt, {waived} tháng miễn, "
                                f"{len(report.short_months)} tháng thiếu (tính đến {format_vn_short(report.as_of)}).",
                                title="Chỉ tiêu tin, bài CCHC"))
    return "\n".join(lines)


# --- the monthly report to Sở Nội vụ ------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReport:
    organization: str
    month: MonthStatus
    year_months: tuple[MonthStatus, ...]  # the enforced months of the same year up to this one
    posts: tuple[Post, ...]  # the month's published posts, oldest first
    base_url: str
    as_of: datetime

    @property
    def month_text(self) -> str:
        """``tháng 09/2021``."""
        return month_label(*self.month.month).lower()

    @property
    def title(self) -> str:
        return f"Báo cáo tin, bài cải cách hành chính {self.month_text}"

    def url(self, post: Post) -> str:
        return self.base_url + post.url.lstrip("/")

    @property
    def year_total(self) -> int:
        return sum(m.count for m in self.year_months)

    def post_rows(self) -> list[tuple[str, str, str, str, str]]:
        """STT, Ngày đăng, Tiêu đề, Chuyên mục, Địa chỉ."""
        return [(str(n), format_vn_short(p.date), p.title, p.category.name if p.category else "", self.url(p))
                for n, p in enumerate(self.posts, 1)]

    def year_rows(self) -> list[tuple[str, str, str, str, str]]:
        """Tháng, Số bài, Yêu cầu, Tình trạng, Ghi chú."""
        return [(_short_month(m), str(m.count), str(m.required), m.status_label, status_note(m))
                for m in self.year_months]


POST_HEADERS = ("STT", "Ngày đăng", "Tiêu đề", "Chuyên mục", "Địa chỉ (URL)")
YEAR_HEADERS = ("Tháng", "Số bài", "Yêu cầu", "Tình trạng", "Ghi chú")


def make_monthly_report(report: QuotaReport, month: Month, config: SiteConfig) -> MonthlyReport | None:
    """The report of one enforced month (None when the month is not enforced or not yet come)."""
    statuses = {m.month: m for m in report.months}
    if month not in statuses:
        return None
    year = tuple(m for m in report.months if m.month[0] == month[0] and m.month <= month)
    return MonthlyReport(config.organization or config.title, statuses[month], year, statuses[month].posts,
                         config.base_url, report.as_of)


def month_sentence(r: MonthlyReport) -> str:
    m = r.month
    text = (f"Số tin, bài đã đăng trong {r.month_text}: {m.count} (yêu cầu tối thiểu {m.required} tin, bài/tháng) "
            f"— {m.status_label}")
    note = status_note(m)
    return text + (f" ({note})." if note else ".")


def year_sentence(r: MonthlyReport) -> str:
    counts = {status: sum(1 for m in r.year_months if m.status == status) for status in STATUSES}
    parts = [f"{counts['ok']} tháng đạt"]
    if counts["waived"]:
        parts.append(f"{counts['waived']} tháng được miễn")
    if counts["short"]:
        parts.append(f"{counts['short']} tháng thiếu")
    if counts["in_progress"]:
        parts.append(f"{counts['in_progress']} tháng đang diễn ra")
    return (f"Từ đầu năm {r.month.month[0]} đến hết {r.month_text}: {r.year_total} tin, bài; "
            f"{', '.join(parts)} (trong {len(r.year_months)} tháng áp dụng chỉ tiêu).")


def intro_sentence(r: MonthlyReport) -> str:
    return (f"Thực hiện {PLAN} về thông tin, tuyên truyền cải cách hành chính (mục III.3: có ít nhất "
            f"{r.month.required:02d} tin, bài mỗi tháng trên Trang thông tin điện tử; mục V.2: hằng tháng gửi tin, "
            f"bài và báo cáo kết quả về Sở Nội vụ), {r.organization} báo cáo kết quả đăng tin, bài về cải cách "
            f"hành chính {r.month_text} như sau:")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(r: MonthlyReport) -> str:
    lines = [f"**{r.organization.upper()}**", "", f"# {r.title}", "", "Kính gửi: Sở Nội vụ.", "",
             intro_sentence(r), "", f"## 1. Kết quả {r.month_text}", "", month_sentence(r), "",
             f"## 2. Danh sách tin, bài đã đăng trong {r.month_text}", ""]
    if r.posts:
        lines += ["| " + " | ".join(POST_HEADERS) + " |", "|---:|---|---|---|---|"]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in r.post_rows()]
    else:
        lines.append("Không có tin, bài nào trong tháng.")
    lines += ["", "## 3. Tình hình thực hiện từ đầu năm", "", year_sentence(r), "",
              "| " + " | ".join(YEAR_HEADERS) + " |", "|---|---:|---:|---|---|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in r.year_rows()]
    lines += ["", f"Số liệu tính đến ngày {format_vn_short(r.as_of)}."]
    return "\n".join(lines) + "\n"


def report_csv(r: MonthlyReport) -> bytes:
    """UTF-8 with BOM and CRLF, so Excel opens the Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(POST_HEADERS)
    writer.writerows(r.post_rows())
    writer.writerow([])
    writer.writerow([f"Tình trạng {r.month_text}", f"{r.month.count}/{r.month.required}", r.month.status_label,
                     status_note(r.month)])
    writer.writerow([])
    writer.writerow(YEAR_HEADERS)
    writer.writerows(r.year_rows())
    writer.writerow(["Lũy kế năm", str(r.year_total), year_sentence(r)])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_docx(r: MonthlyReport, path: Path) -> None:
    """A real Word document (python-docx), as the office files it: A4, Times New Roman 13."""
    from datetime import timezone

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    for name, size in (("Normal", 13), ("Heading 1", 15), ("Heading 2", 13)):
        style = doc.styles[name]
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        if name != "Normal":
            style.font.bold = True
            style.font.color.rgb = RGBColor(0, 0, 0)

    org = doc.add_paragraph()
    org.add_run(r.organization.upper()).bold = True
    heading = doc.add_heading(r.title, level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("Kính gửi: Sở Nội vụ.").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(intro_sentence(r))

    def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, headers):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in rows:
            for cell, text in zip(t.add_row().cells, row):
                cell.text = text

    doc.add_heading(f"1. Kết quả {r.month_text}", level=2)
    doc.add_paragraph(month_sentence(r))
    doc.add_heading(f"2. Danh sách tin, bài đã đăng trong {r.month_text}", level=2)
    if r.posts:
        table(POST_HEADERS, r.post_rows())
    else:
        doc.add_paragraph("Không có tin, bài nào trong tháng.")
    doc.add_heading("3. Tình hình thực hiện từ đầu năm", level=2)
    doc.add_paragraph(year_sentence(r))
    table(YEAR_HEADERS, r.year_rows())
    doc.add_paragraph(f"Số liệu tính đến ngày {format_vn_short(r.as_of)}.")
    receivers = doc.add_paragraph()
    receivers.add_run("Nơi nhận:").bold = True
    receivers.add_run("\n- Sở Nội vụ (báo cáo);\n- Lưu: VT, VP.")

    core = doc.core_properties
    core.title = r.title
    core.author = r.organization
    core.language = "vi-VN"
    fixed = datetime(2000, 1, 1, tzinfo=timezone.utc)
    core.created = fixed
    core.modified = fixed
    doc.save(str(path))
