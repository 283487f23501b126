"""Front matter -> typed documents, with every problem reported (pure)."""
from __future__ import annotations

import difflib
import posixpath
import re
import unicodedata
from functools import lru_cache
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

from .config import SiteConfig, Term, suggest
from .dates import DateError, parse_date
from .errors import SiteError
from .frontmatter import FrontMatter
from .models import Channel, Decision, DossierItem, Page, Post, Procedure
from .text import ascii_slug, slugify

POST_KEYS = ("title", "date", "category", "tags", "summary", "author", "image",
             "attachments", "slug", "draft", "sample")
PAGE_KEYS = ("title", "slug", "summary", "draft")
PROCEDURE_KEYS = (
    "code", "title", "field", "decision", "level", "online", "channels", "applicants", "agency",
    "competent_agency", "address", "result", "legal_basis", "conditions", "dossier", "steps",
    "forms", "keywords", "updated", "draft",
)
CODE_RE = re.compile(r"\d\.\d{6}(?:\.[A-Za-z0-9]{1,10})?")
ONLINE_LEVELS = {"toàn trình": "toàn trình", "toan trinh": "toàn trình", "một phần": "một phần",
                 "mot phan": "một phần", "không": "không", "khong": "không"}
LEGACY_LEVELS = {1: "không", 2: "không", 3: "một phần", 4: "toàn trình"}
METHODS = ("trực tiếp", "trực tuyến", "bưu chính công ích")
LEVELS = ("tỉnh", "xã", "bộ", "huyện", "trung ương")


class _Checker:
    """Collects the problems of one file while its fields are converted."""

    def __init__(self, fm: FrontMatter, path: str) -> None:
        self.fm = fm
        self.path = path
        self.errors: list[SiteError] = []

    def error(self, key: str, code: str, message: str, line: int | None = None) -> None:
        self.errors.append(SiteError(self.path, line or self.fm.line_of(key), code, message))

    def value_line(self, key: str, value: str) -> int:
        """File line of one item of a list value (the key's line when not found below it)."""
        start = self.fm.line_of(key)
        lines = self.fm.yaml_text.split("\n")
        first = self.fm.first_yaml_line
        for index in range(start - first + 1, len(lines)):
            line = lines[index]
            if line[:1] not in (" ", "\t", "-", "") and not line.startswith("#"):
                break  # the next top-level key
            if value in line:
                return first + index
        return start

    def unknown_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.fm.data:
            if key not in allowed:
                self.error(key, "E007", f"Khóa '{key}' không được hỗ trợ.{suggest(key, allowed)}")

    def text(self, key: str, required: bool = False) -> str:
        value = self.fm.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, "E004", f"Thiếu '{key}' hoặc để trống. Thêm dòng '{key}: ...' vào front matter.")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(key, "E015", f"'{key}' phải là một đoạn văn bản (hiện là {_kind(value)}).")
            return ""
        return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()

    def boolean(self, key: str) -> bool:
        value = self.fm.data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(key, "E015", f"'{key}' chỉ nhận true hoặc false (hiện là '{value}').")
            return False
        return value

    def text_list(self, key: str, split_commas: bool = False) -> tuple[str, ...]:
        value = self.fm.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            items = value.split(",") if split_commas else [value]
            return tuple(i.strip() for i in items if i.strip())
        if not isinstance(value, list) or not all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in value):
            self.error(key, "E015", f"'{key}' phải là danh sách, mỗi mục một dòng bắt đầu bằng '- '.")
            return ()
        return tuple(str(i).strip() for i in value if str(i).strip())

    def date(self, key: str, config: SiteConfig, required: bool) -> datetime | None:
        value = self.fm.data.get(key)
        if value is None or value == "":
            if required:
                self.error(key, "E004", f"Thiếu '{key}'. Thêm ví dụ '{key}: 28/07/2021' hoặc '{key}: 2021-07-28'.")
            return None
        try:
            tz = config.tz
            return parse_date(value, tz).astimezone(tz)
        except DateError as exc:
            if exc.kind == "impossible":
                why = f" ({exc.reason})" if exc.reason else ""
                self.error(key, "E005", f"Ngày '{exc.text}' không tồn tại{why}. Kiểm tra lại ngày và tháng; "
                                        "viết ngày trước, tháng sau, ví dụ 28/07/2021 hoặc 2021-07-28.")
            else:
                self.error(key, "E006", f"Không đọc được ngày '{exc.text}'. Viết theo dạng 28/07/2021, "
                                        "28/07/2021 08:30 hoặc 2021-07-28 (ngày/tháng/năm bằng số).")
            return None

    def slug(self, fallback: str) -> str:
        value = self.fm.data.get("slug")
        if value is None or value == "":
            return slugify(fallback)
        raw = str(value)
        if "/" in raw or "\\" in raw or ".." in raw:
            self.error("slug", "E013", f"slug '{raw}' chứa '/', '\\' hoặc '..', sẽ trỏ ra ngoài thư mục trang. "
                                       "Chỉ dùng chữ thường không dấu, số và dấu '-'.")
            return slugify(fallback)
        slug = ascii_slug(raw)  # what slugify gives when there is a letter or digit
        if not slug:
            self.error("slug", "E020", f"slug '{raw}' không có chữ hay số nào. Chỉ dùng chữ thường không dấu, số "
                                       "và dấu '-', ví dụ slug: ket-qua-cchc-2021.")
            return slugify(fallback)
        return slug

    def site_file(self, key: str, value: str, static_files: frozenset[str]) -> str:
        """A file under content/static/ as its site path (``/static/...``)."""
        line = self.value_line(key, value)
        raw = value.strip().replace("\\", "/")
        rel = raw
        for prefix in ("/static/", "static/", "content/static/", "/content/static/"):
            if rel.startswith(prefix):
                rel = rel[len(prefix):]
                break
        normal = posixpath.normpath(rel) if rel else ""
        if (not normal or normal.startswith("../") or normal == ".." or rel.startswith("/")
                or PurePosixPath(rel).is_absolute() or re.match(r"^[a-zA-Z]:", rel)):
            self.error(key, "E013", line=line, message=f"'{key}': '{value}' trỏ ra ngoài thư mục content/static/. "
                                    "Đặt tệp vào content/static/ và ghi đường dẫn tính từ đó, ví dụ 'van-ban/ke-hoach.pdf'.")
            return ""
        if "://" in raw:
            if key == "image":
                self.error(key, "E013", line=line, message=f"'image': '{value}' là ảnh ở trang khác; trang chỉ hiện ảnh của chính nó "
                                        "(chính sách an toàn CSP). Tải ảnh về, chép vào content/static/ và ghi tên tệp.")
                return ""
            return raw
        if normal not in static_files:
            on_disk = _static_lookup(static_files).get(unicodedata.normalize("NFC", normal).casefold())
            if on_disk is not None and unicodedata.normalize("NFC", on_disk) == unicodedata.normalize("NFC", normal):
                return "/static/" + on_disk  # same name, other Unicode form (NFD from macOS)
            hint = f" Có phải là '{on_disk}'?" if on_disk else ""
            self.error(key, "E014", line=line, message=f"'{key}': không tìm thấy tệp content/static/{normal}.{hint} Kiểm tra tên tệp "
                                    "(chữ hoa, chữ thường, phần mở rộng) hoặc chép tệp vào content/static/.")
            return ""
        return "/static/" + normal

    def term(self, key: str, value: str, find: Callable[[str], Term | None], terms: tuple[Term, ...],
             code: str, what: str) -> Term | None:
        found = find(value)
        if found is None:
            names = [t.name for t in terms]
            close = [n for n in names if slugify(n).startswith(slugify(value)[:6])][:1]
            if not close:
                by_slug = {slugify(n): n for n in names}
                close = [by_slug[m] for m in difflib.get_close_matches(slugify(value), list(by_slug), n=1, cutoff=0.6)]
            hint = f" Có phải ý bạn là '{close[0]}'?" if close else ""
            self.error(key, code, f"{what} '{value}' không có trong site.yaml.{hint} Các giá trị hợp lệ: "
                                  + "; ".join(names) + ".")
        return found


def _stem(path: str) -> str:
    """``PurePosixPath(path).stem``, without making a path object for every file."""
    name = posixpath.basename(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


@lru_cache(maxsize=8)
def _static_lookup(static_files: frozenset[str]) -> dict[str, str]:
    """NFC, case-folded name -> name on disk, to explain near misses."""
    return {unicodedata.normalize("NFC", name).casefold(): name for name in sorted(static_files)}


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "danh sách"
    if isinstance(value, dict):
        return "bảng khóa: giá trị"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def _distinct_tags(names: Iterable[str]) -> tuple[Term, ...]:
    """One tag per slug, as first written: "Một cửa" and "MỘT CỬA" on one post are one tag (the
    post is listed once under it)."""
    tags: dict[str, Term] = {}
    for name in names:
        term = _tag(name)
        tags.setdefault(term.slug, term)
    return tuple(tags.values())


@lru_cache(maxsize=4096)
def _tag(name: str) -> Term:
    """A tag as written, with its slug (a site has a few dozen tags, each on many posts: slugs are
    made once per process, not once per post)."""
    return Term(name, slugify(name, "the"))


def parse_post(fm: FrontMatter, path: str, digest: str, config: SiteConfig,
               static_files: frozenset[str]) -> Post | list[SiteError]:
    """A post from its front matter; semantic checks included."""
    c = _Checker(fm, path)
    c.unknown_keys(POST_KEYS)
    title = c.text("title", required=True)
    moment = c.date("date", config, required=True)
    category = None
    cat_text = c.text("category")
    if cat_text:
        category = c.term("category", cat_text, config.find_category, config.categories, "E008", "Chuyên mục")
    tags = _distinct_tags(c.text_list("tags", split_commas=True))
    image_text = c.text("image")
    image = c.site_file("image", image_text, static_files) if image_text else ""
    attachments = tuple(a for a in (c.site_file("attachments", a, static_files) for a in c.text_list("attachments")) if a)
    stem = _stem(path)
    slug = c.slug(stem)
    post_fields: dict[str, Any] = dict(
        title=title, summary=c.text("summary"), author=c.text("author"), draft=c.boolean("draft"),
        sample=c.boolean("sample"),
    )
    if c.errors or moment is None:
        return c.errors
    return Post(path=path, date=moment, category=category, tags=tags, image=image, attachments=attachments,
                slug=slug, body=fm.body, body_line=fm.body_line, digest=digest, **post_fields)


def parse_page(fm: FrontMatter, path: str, digest: str) -> Page | list[SiteError]:
    c = _Checker(fm, path)
    c.unknown_keys(PAGE_KEYS)
    title = c.text("title", required=True)
    slug = c.slug(_stem(path))
    summary = c.text("summary")
    draft = c.boolean("draft")
    if c.errors:
        return c.errors
    return Page(path, title, slug, summary, draft, fm.body, fm.body_line, digest)


def parse_procedure(fm: FrontMatter, path: str, digest: str, config: SiteConfig,
                    static_files: frozenset[str]) -> Procedure | list[SiteError]:
    c = _Checker(fm, path)
    data = fm.data
    c.unknown_keys(PROCEDURE_KEYS)
    code = c.text("code", required=True)
    if code and not CODE_RE.fullmatch(code):
        c.error("code", "E017", f"Mã thủ tục '{code}' sai định dạng. Mã có dạng N.NNNNNN (ví dụ 1.013225), "
                                "có thể thêm hậu tố địa phương (ví dụ 1.012753.H19). Nhớ đặt mã trong ngoặc kép.")
    title = c.text("title", required=True)
    field_text = c.text("field", required=True)
    field = c.term("field", field_text, config.find_field, config.fields, "E009", "Lĩnh vực") if field_text else None

    decision = None
    raw_decision = data.get("decision")
    if isinstance(raw_decision, dict):
        unknown = set(raw_decision) - {"number", "date", "issuer"}
        if unknown:
            for key in sorted(map(str, unknown)):
                c.error("decision", "E007", f"decision: khóa '{key}' không được hỗ trợ; decision chỉ có number, date, "
                                            f"issuer.{suggest(key, ('number', 'date', 'issuer'))}")
        decision = Decision(*(str(raw_decision.get(k) or "").strip() for k in ("number", "date", "issuer")))
    elif isinstance(raw_decision, (str, int)) and str(raw_decision).strip():
        decision = Decision(str(raw_decision).strip(), "", "")
    elif raw_decision is not None:
        c.error("decision", "E015", "decision có dạng: number: \"...\", date: \"...\", issuer: \"...\".")

    level = c.text("level").lower()
    if level.startswith("cấp "):  # "Cấp tỉnh", as the national database writes it
        level = level[4:].strip()
    if level and level not in LEVELS:
        c.error("level", "E021", f"Cấp thực hiện '{level}' không hợp lệ; dùng: {', '.join(LEVELS)}.")

    online, legacy = "", ""
    raw_online = data.get("online")
    if raw_online is not None:
        text = str(raw_online).strip().lower()
        legacy_match = re.fullmatch(r"(?:mức(?: độ)?\s*|muc(?: do)?\s*|level\s*)?([1-4])", text)
        if legacy_match:
            number = int(legacy_match.group(1))
            online, legacy = LEGACY_LEVELS[number], f"mức độ {number}"
        elif text in ONLINE_LEVELS:
            online = ONLINE_LEVELS[text]
        else:
            c.error("online", "E021", f"online '{raw_online}' không hợp lệ; dùng 'toàn trình', 'một phần' hoặc 'không' "
                                      "(mức độ cũ 2, 3, 4 cũng được chấp nhận).")

    channels: list[Channel] = []
    raw_channels = data.get("channels") or []
    if not isinstance(raw_channels, list):
        c.error("channels", "E015", "channels là danh sách các mục có method, time, fee, note.")
    else:
        for item in raw_channels:
            if not isinstance(item, dict):
                c.error("channels", "E015", "Mỗi mục của channels có dạng '- method: trực tiếp' kèm time, fee, note.")
                continue
            unknown = set(item) - {"method", "time", "fee", "note"}
            for key in sorted(map(str, unknown)):
                c.error("channels", "E007", f"channels: khóa '{key}' không được hỗ trợ; dùng method, time, fee, note."
                                            f"{suggest(key, ('method', 'time', 'fee', 'note'))}")
            method = str(item.get("method") or "").strip()
            if method and method.lower() not in METHODS:
                c.error("channels", "E021", f"Hình thức nộp '{method}' không hợp lệ; dùng: " + ", ".join(METHODS) + ".")
            channels.append(Channel(method, *(str(item.get(k) or "").strip() for k in ("time", "fee", "note"))))

    dossier: list[DossierItem] = []
    raw_dossier = data.get("dossier") or []
    if not isinstance(raw_dossier, list):
        c.error("dossier", "E015", "dossier là danh sách giấy tờ; mỗi mục là tên, hoặc có name, copies, form.")
    else:
        for item in raw_dossier:
            if isinstance(item, str):
                dossier.append(DossierItem(item.strip(), "", ""))
            elif isinstance(item, dict) and item.get("name"):
                unknown = set(item) - {"name", "copies", "form"}
                for key in sorted(map(str, unknown)):
                    c.error("dossier", "E007", f"dossier: khóa '{key}' không được hỗ trợ; dùng name, copies, form."
                                               f"{suggest(key, ('name', 'copies', 'form'))}")
                form = str(item.get("form") or "").strip()
                form_path = c.site_file("dossier", form, static_files) if form else ""
                dossier.append(DossierItem(str(item["name"]).strip(), str(item.get("copies") or "").strip(), form_path))
            else:
                c.error("dossier", "E015", "Mỗi giấy tờ trong dossier cần có 'name'.")

    forms = tuple(f for f in (c.site_file("forms", f, static_files) for f in c.text_list("forms")) if f)
    updated = None
    moment = c.date("updated", config, required=False)
    if moment is not None:
        updated = moment.date()

    fields: dict[str, Any] = dict(
        applicants=c.text_list("applicants"), agency=c.text("agency"), competent_agency=c.text("competent_agency"),
        address=c.text("address"), result=c.text("result"), legal_basis=c.text_list("legal_basis"),
        conditions=c.text_list("conditions"), steps=c.text_list("steps"), keywords=c.text_list("keywords", True),
        draft=c.boolean("draft"),
    )
    if c.errors or field is None:
        return c.errors
    return Procedure(path=path, code=code, title=title, field=field, decision=decision, level=level, online=online,
                     online_legacy=legacy, channels=tuple(channels), dossier=tuple(dossier), forms=forms,
                     updated=updated, body=fm.body, body_line=fm.body_line, digest=digest, **fields)
