"""``cchc-site new``: a new post, procedure or page with every front matter key.

Each key is either filled (title, date, category, ...) or present as a YAML comment
with a short Vietnamese hint, so that authors see everything they may write.
The text is made by pure functions (:func:`plan_document`); :func:`create_document`
reads the site to avoid clashes and writes the file, never over an existing one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .config import SiteConfig, Term
from .dates import DateError, parse_date
from .files import PAGES_DIR, POSTS_DIR, PROCEDURES_DIR
from .models import Document
from .site import RESERVED_SLUGS
from .text import nfc, slugify
from .validate import CODE_RE

KINDS = ("post", "procedure", "page")
MAX_SLUG = 80  # keeps paths well under Windows' 260-character limit
OTHER_FIELD_DIR = "khac"


@dataclass(frozen=True)
class Existing:
    """What the site already has, to refuse a new file that would clash."""

    files: frozenset[str] = frozenset()  # site-relative paths of existing documents
    urls: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    owners: tuple[tuple[str, str], ...] = ()  # (url or code, path) for messages

    def owner(self, key: str) -> str:
        return dict(self.owners).get(key, "")


@dataclass(frozen=True)
class NewDocument:
    path: str  # site-relative, POSIX separators
    text: str


def quote(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def short_slug(title: str) -> str:
    """The file name of a new document: the slug of its title, cut at a word."""
    slug = slugify(title)
    if len(slug) <= MAX_SLUG:
        return slug
    cut = slug[:MAX_SLUG]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut


def format_datetime(moment: datetime) -> str:
    """``28/07/2021 08:30``."""
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year} {moment.hour:02d}:{moment.minute:02d}"


def clean_title(title: str) -> str:
    return " ".join(nfc(title).split())


def _others(terms: tuple[Term, ...], chosen: Term, label: str) -> list[str]:
    """Comment lines listing the other names, one a line, ready to copy."""
    others = [t.name for t in terms if t != chosen]
    if not others:
        return []
    return [f"# {label} khác (chép một tên vào thay):"] + [f"#   {quote(name)}" for name in others]


def post_text(title: str, moment: datetime, category: Term, config: SiteConfig) -> str:
    lines = [
        "---",
        f"title: {quote(title)}",
        f"date: {quote(format_datetime(moment))}  # ngày giờ đăng, dạng DD/MM/YYYY HH:MM; ngày sau hôm nay = bài hẹn giờ",
        f"category: {quote(category.name)}  # chuyên mục, phải có trong site.yaml",
        *_others(config.categories, category, "Các chuyên mục"),
    ]
    lines += [
        "# tags:  # thẻ (từ khóa) của bài, mỗi dòng một thẻ; bỏ dấu # ở đầu các dòng để dùng",
        '#   - "Tuyên truyền cải cách hành chính"',
        '# summary: "Một, hai câu tóm tắt, hiện trong danh sách tin (mặc định lấy đoạn đầu bài)."',
        '# author: "Văn phòng Sở"  # người viết hoặc đơn vị',
        '# image: "anh/ten-anh.jpg"  # ảnh đại diện, chép ảnh vào content/static/ trước',
        "# attachments:  # tệp đính kèm, chép tệp vào content/static/ trước",
        '#   - "van-ban/ke-hoach.pdf"',
        f'# slug: "{short_slug(title)}"  # đổi địa chỉ bài (mặc định theo tên tệp)',
        "# draft: true  # bản nháp: xem trước được nhưng chưa đăng, không tính vào chỉ tiêu",
        "# sample: true  # chỉ dùng cho bài mẫu minh họa",
        "---",
        "",
        "Viết nội dung bài ở đây (xóa đoạn hướng dẫn này).",
        "",
        "Mỗi đoạn cách nhau một dòng trống. Viết `## Tiêu đề mục` để có tiêu đề mục, "
        "`**chữ đậm**` để in đậm, `- ` ở đầu dòng để liệt kê.",
        "",
    ]
    return "\n".join(lines)


def procedure_text(code: str, title: str, field: Term, config: SiteConfig, today: datetime) -> str:
    lines = [
        "---",
        f"code: {quote(code)}  # mã thủ tục trên Cơ sở dữ liệu quốc gia, luôn đặt trong ngoặc kép",
        f"title: {quote(title)}",
        f"field: {quote(field.name)}  # lĩnh vực, phải có trong site.yaml",
        *_others(config.fields, field, "Các lĩnh vực"),
    ]
    lines += [
        "# Bỏ dấu # ở đầu dòng của các mục dưới đây để dùng (giữ nguyên thụt lề bằng dấu cách).",
        "# decision:  # quyết định công bố thủ tục",
        '#   number: "1234/QĐ-UBND"',
        '#   date: "28/07/2021"',
        '#   issuer: "Chủ tịch UBND tỉnh"',
        '# level: "tỉnh"  # cấp thực hiện: tỉnh, xã, bộ, huyện hoặc trung ương',
        '# online: "toàn trình"  # dịch vụ công trực tuyến: toàn trình, một phần hoặc không',
        "# channels:  # cách nộp hồ sơ, mỗi cách một mục",
        '#   - method: "trực tiếp"  # trực tiếp, trực tuyến hoặc bưu chính công ích',
        '#     time: "10 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ"  # thời hạn giải quyết',
        '#     fee: "Không"  # phí, lệ phí',
        '#     note: ""  # ghi chú',
        "# applicants:  # đối tượng thực hiện",
        '#   - "Tổ chức, cá nhân"',
        '# agency: "Sở Xây dựng"  # cơ quan thực hiện',
        '# competent_agency: "UBND tỉnh"  # cơ quan có thẩm quyền quyết định',
        '# address: "Trung tâm Phục vụ hành chính công tỉnh"  # nơi tiếp nhận hồ sơ',
        '# result: "Giấy phép ..."  # kết quả thực hiện',
        "# legal_basis:  # căn cứ pháp lý, mỗi dòng một văn bản",
        '#   - "Luật Xây dựng số 50/2014/QH13"',
        "# conditions:  # yêu cầu, điều kiện thực hiện",
        '#   - "..."',
        "# dossier:  # thành phần hồ sơ",
        '#   - name: "Đơn đề nghị theo mẫu"',
        "#     copies: 1  # số bộ",
        '#     form: "bieu-mau/don-de-nghi.docx"  # mẫu đơn, chép vào content/static/ trước',
        "# steps:  # trình tự thực hiện, mỗi bước một dòng",
        '#   - "Tổ chức, cá nhân nộp hồ sơ ..."',
        "# forms:  # biểu mẫu tải về, chép vào content/static/ trước",
        '#   - "bieu-mau/don-de-nghi.docx"',
        '# keywords: "giấy phép, xây dựng"  # từ khóa tìm kiếm, cách nhau bằng dấu phẩy',
        f"updated: {quote(f'{today.day:02d}/{today.month:02d}/{today.year}')}  # ngày cập nhật thông tin thủ tục",
        "# draft: true  # bản nháp: xem trước được nhưng chưa đăng",
        "---",
        "",
        "Giới thiệu ngắn về thủ tục (xóa đoạn hướng dẫn này). Ghi nguồn: Cơ sở dữ liệu quốc gia "
        "về thủ tục hành chính.",
        "",
    ]
    return "\n".join(lines)


def page_text(title: str) -> str:
    lines = [
        "---",
        f"title: {quote(title)}",
        f'# slug: "{short_slug(title)}"  # đổi địa chỉ trang (mặc định theo tên tệp: /{short_slug(title)}/)',
        '# summary: "Một, hai câu giới thiệu trang."',
        "# draft: true  # bản nháp: xem trước được nhưng chưa đăng",
        "---",
        "",
        "Viết nội dung trang ở đây (xóa đoạn hướng dẫn này).",
        "",
    ]
    return "\n".join(lines)


def _date_error(text: str, exc: DateError) -> str:
    if exc.kind == "impossible":
        return f"Ngày '{text}' không tồn tại. Kiểm tra lại ngày và tháng."
    return f"Không đọc được ngày '{text}'. Viết dạng 28/07/2021, 28/07/2021 08:30 hoặc 2021-07-28."


def _wrong_options(kind: str, category: str | None, date_text: str | None, code: str | None,
                   field: str | None) -> str | None:
    allowed = {"post": {"category", "date"}, "procedure": {"code", "field"}, "page": set()}[kind]
    given = {"category": category, "date": date_text, "code": code, "field": field}
    for name, value in given.items():
        if value is not None and name not in allowed:
            where = {"category": "new post", "date": "new post", "code": "new procedure", "field": "new procedure"}[name]
            return f"--{name} chỉ dùng với '{where}', không dùng với 'new {kind}'."
    return None


def plan_document(config: SiteConfig, kind: str, title: str, now: datetime, existing: Existing = Existing(),
                  category: str | None = None, date_text: str | None = None, code: str | None = None,
                  field: str | None = None) -> NewDocument | str:
    """The path and text of a new document, or why it cannot be made (pure)."""
    if kind not in KINDS:
        return f"Loại '{kind}' không có; dùng post, procedure hoặc page."
    problem = _wrong_options(kind, category, date_text, code, field)
    if problem:
        return problem
    title = clean_title(title)
    if not title:
        return "Tiêu đề đang để trống; viết tiêu đề trong ngoặc kép, ví dụ: cchc-site new post \"Tiêu đề bài viết\"."
    now = now.astimezone(config.tz)

    if kind == "post":
        moment = now.replace(second=0, microsecond=0)
        if date_text is not None:
            try:
                moment = parse_date(date_text, config.tz).astimezone(config.tz)
            except DateError as exc:
                return _date_error(date_text, exc)
        term = config.categories[0]
        if category is not None:
            found = config.find_category(category)
            if found is None:
                return (f"Chuyên mục '{category}' không có trong site.yaml. Các chuyên mục: "
                        + "; ".join(t.name for t in config.categories) + ".")
            term = found
        slug = short_slug(title)
        rel = f"{POSTS_DIR}/{moment.year:04d}/{moment.month:02d}/{slug}.md"
        url = f"/tin-tuc/{moment.year}/{moment.month:02d}/{slug}/"
        clash = _clash(existing, rel, url)
        if clash:
            return clash
        return NewDocument(rel, post_text(title, moment, term, config))

    if kind == "page":
        slug = short_slug(title)
        if slug in RESERVED_SLUGS:
            return (f"Địa chỉ /{slug}/ dành cho trang do hệ thống tạo; đặt tiêu đề khác "
                    "(sau đó có thể đổi tiêu đề trong tệp).")
        rel = f"{PAGES_DIR}/{slug}.md"
        clash = _clash(existing, rel, f"/{slug}/")
        if clash:
            return clash
        return NewDocument(rel, page_text(title))

    # procedure
    if not code or not code.strip():
        return "Cần mã thủ tục, ví dụ: cchc-site new procedure --code 1.013225 \"Tên thủ tục\"."
    code = code.strip()
    if not CODE_RE.fullmatch(code):
        return (f"Mã thủ tục '{code}' sai định dạng. Mã có dạng N.NNNNNN (ví dụ 1.013225), có thể thêm "
                "hậu tố địa phương (ví dụ 1.012753.H19).")
    if code in existing.codes:
        return f"Mã thủ tục {code} đã có trong {existing.owner(code) or 'một tệp khác'}; mở tệp đó để sửa."
    if field is not None:
        named = config.find_field(field)
        if named is None:
            return (f"Lĩnh vực '{field}' không có trong site.yaml. Các lĩnh vực: "
                    + "; ".join(t.name for t in config.fields) + ".")
        term, folder = named, named.slug
    else:
        term, folder = config.fields[0], OTHER_FIELD_DIR
    rel = f"{PROCEDURES_DIR}/{folder}/{code}.md"
    clash = _clash(existing, rel, f"/thu-tuc-hanh-chinh/{code}/")
    if clash:
        return clash
    return NewDocument(rel, procedure_text(code, title, term, config, now))


def _clash(existing: Existing, rel: str, url: str) -> str | None:
    if rel in existing.files:
        return (f"Tệp {rel} đã có; cchc-site không ghi đè tệp. Mở tệp đó để sửa, "
                "hoặc đặt tiêu đề khác cho bài mới.")
    if url in existing.urls:
        return (f"Địa chỉ {url} đã dùng cho {existing.owner(url) or 'một tệp khác'}; "
                "đặt tiêu đề khác cho tài liệu mới.")
    return None


def existing_documents(site_dir: Path, config: SiteConfig) -> Existing:
    """Paths, URLs and procedure codes already in ``content/``."""
    from .content import load_site_files
    from .site import parse_site

    files = load_site_files(site_dir)
    site, _ = parse_site(files, config)
    paths = {s.path for s in files.sources}
    owners: list[tuple[str, str]] = []
    docs: tuple[Document, ...] = (*site.posts, *site.pages, *site.procedures)
    for doc in docs:
        owners.append((doc.url, doc.path))
    owners += [(p.code, p.path) for p in site.procedures]
    urls = {doc.url for doc in docs}
    return Existing(frozenset(paths), frozenset(urls), frozenset(p.code for p in site.procedures), tuple(owners))


def create_document(site_dir: Path, config: SiteConfig, kind: str, title: str, now: datetime,
                    category: str | None = None, date_text: str | None = None, code: str | None = None,
                    field: str | None = None) -> Path | str:
    """Write the new document; return its path, or an error message (nothing written)."""
    planned = plan_document(config, kind, title, now, existing_documents(site_dir, config),
                            category=category, date_text=date_text, code=code, field=field)
    if isinstance(planned, str):
        return planned
    target = site_dir / planned.path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite
            handle.write(planned.text)
    except FileExistsError:
        return f"Tệp {planned.path} đã có; cchc-site không ghi đè tệp. Mở tệp đó để sửa, hoặc đặt tiêu đề khác."
    return target
