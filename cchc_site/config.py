"""``site.yaml``: the typed site configuration and its validation.

``parse_config`` is pure (text in, config or errors out); ``load_config`` reads the file.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .dates import parse_month
from .errors import BuildFailed, SiteError
from .files import CONFIG_FILE
from .frontmatter import Loader, duplicates_errors, find_duplicate_keys, normalise_yaml, yaml_syntax_error
from .text import is_valid_slug, slugify


DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("Chỉ số cải cách hành chính và sự hài lòng", "chi-so-va-su-hai-long",
     "Kết quả PAR Index, SIPAS, PAPI, PCI và khảo sát mức độ hài lòng của người dân, doanh nghiệp."),
    ("Kiểm soát thủ tục hành chính, một cửa", "kiem-soat-tthc-mot-cua",
     "Kiểm soát TTHC; cơ chế một cửa, một cửa liên thông theo Quyết định số 468/QĐ-TTg."),
    ("Chính quyền điện tử, dịch vụ công trực tuyến", "chinh-quyen-dien-tu",
     "Dịch vụ công trực tuyến, Cổng Dịch vụ công tỉnh và quốc gia, bưu chính công ích."),
    ("Văn bản chỉ đạo, điều hành", "van-ban-chi-dao", "Kế hoạch, văn bản chỉ đạo về cải cách hành chính."),
    ("Hoạt động cải cách hành chính", "hoat-dong-cchc", "Tin hoạt động cải cách hành chính."),
)
DEFAULT_FIELDS: tuple[str, ...] = (
    "Hoạt động xây dựng", "Quy hoạch xây dựng, kiến trúc", "Nhà ở", "Kinh doanh bất động sản",
    "Vật liệu xây dựng", "Hạ tầng kỹ thuật", "Giám định nhà nước về chất lượng công trình xây dựng",
)

KNOWN_KEYS = (
    "title", "organization", "description", "base_url", "language", "timezone", "posts_per_page",
    "categories", "fields", "quota", "portals", "security", "menu", "footer", "image",
)
QUOTA_KEYS = ("start", "end", "min_posts", "waivers")
PORTAL_KEYS = ("national", "provincial")


@dataclass(frozen=True)
class Term:
    """A category, a procedure field or a tag: a display name and its URL slug."""

    name: str
    slug: str
    description: str = ""


@dataclass(frozen=True)
class QuotaConfig:
    start: tuple[int, int]
    end: tuple[int, int] | None
    min_posts: int
    waivers: tuple[tuple[tuple[int, int], str], ...]

    def waiver(self, month: tuple[int, int]) -> str | None:
        """The reason a month is waived, or None."""
        return dict(self.waivers).get(month)


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str


@dataclass(frozen=True)
class SiteConfig:
    title: str
    organization: str
    description: str
    base_url: str  # absolute, ends with "/"
    language: str
    timezone: str
    posts_per_page: int
    categories: tuple[Term, ...]
    fields: tuple[Term, ...]
    quota: QuotaConfig | None
    national_portal: str
    provincial_portal: str
    security: str  # "warn" | "strict"
    menu: tuple[MenuItem, ...]
    footer: str
    image: str
    path: str = CONFIG_FILE

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, e.g. ``/cchc/`` (always ends with ``/``)."""
        return urlsplit(self.base_url).path or "/"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def find_category(self, value: str) -> Term | None:
        """A category by name (any case, with or without diacritics) or by slug."""
        wanted = slugify(value)
        for term in self.categories:
            if value == term.name or value == term.slug or wanted == term.slug or wanted == slugify(term.name):
                return term
        return None

    def find_field(self, value: str) -> Term | None:
        wanted = slugify(value)
        for term in self.fields:
            if value == term.name or wanted == term.slug or wanted == slugify(term.name):
                return term
        return None

    def with_base_url(self, base_url: str) -> "SiteConfig":
        from dataclasses import replace

        return replace(self, base_url=normalize_base_url(base_url))


def normalize_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def check_base_url(url: object) -> str | None:
    """Why a base_url is unusable, or None when it is fine."""
    if not isinstance(url, str) or not url.strip():
        return "phải là một địa chỉ đầy đủ, ví dụ https://sxd.binhthuan.gov.vn/cchc/"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{url}' không phải địa chỉ tuyệt đối; hãy viết đầy đủ, ví dụ https://sxd.binhthuan.gov.vn/cchc/"
    if parts.query or parts.fragment or " " in url:
        return f"'{url}' không được chứa dấu cách, '?' hoặc '#'"
    return None


def suggest(key: str, known: tuple[str, ...] | list[str]) -> str:
    """`` Có phải ý bạn là 'category'?`` for a near miss, else an empty string."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f" Có phải ý bạn là '{close[0]}'?"
    return " Các khóa được dùng: " + ", ".join(known) + "."


def _node_lines(text: str) -> dict[tuple[str, ...], int]:
    """(key, subkey, ...) -> 1-based line, for every mapping key in the document."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (*prefix, str(key_node.value))
                lines.setdefault(key, key_node.start_mark.line + 1)
                walk(value_node, key)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                key = (*prefix, str(index))
                lines.setdefault(key, item.start_mark.line + 1)
                walk(item, key)

    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _terms(raw: object, kind: str, line: int, path: str, errors: list[SiteError]) -> tuple[Term, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append(SiteError(path, line, "E044", f"'{kind}' phải là một danh sách tên (mỗi dòng bắt đầu bằng '- ')."))
        return ()
    terms: list[Term] = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            terms.append(Term(item.strip(), slugify(item.strip())))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
            unknown = set(item) - {"name", "slug", "description"}
            slug = str(item.get("slug") or slugify(item["name"]))
            if unknown or not is_valid_slug(slug):
                errors.append(SiteError(path, line, "E044",
                                        f"Mục '{item['name']}' trong '{kind}': chỉ dùng name, slug (chữ thường không dấu, "
                                        "nối bằng '-') và description."))
            terms.append(Term(item["name"].strip(), slug, str(item.get("description") or "")))
        else:
            errors.append(SiteError(path, line, "E044", f"Mỗi mục của '{kind}' phải là một tên, hoặc có dạng 'name: ...'."))
    seen: set[str] = set()
    for term in terms:
        if term.slug in seen:
            errors.append(SiteError(path, line, "E044", f"Hai mục trong '{kind}' có cùng slug '{term.slug}'."))
        seen.add(term.slug)
    return tuple(terms)


def parse_config(text: str, path: str = CONFIG_FILE) -> SiteConfig | list[SiteError]:
    """Validate the text of ``site.yaml``; every problem is returned, none raised."""
    text = normalise_yaml(text)
    try:
        data = yaml.load(text, Loader=Loader) if text.strip() else {}
    except yaml.YAMLError as exc:
        problem = yaml_syntax_error(exc, text, path, 1)
        return [SiteError(path, problem.line, "E045", problem.message.replace("Lỗi cú pháp YAML", "Lỗi cú pháp YAML trong site.yaml", 1))]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [SiteError(path, 1, "E045", "site.yaml phải là các dòng 'khóa: giá trị', ví dụ 'title: \"Chuyên mục CCHC\"'.")]
    duplicates = find_duplicate_keys(text, 1, data)
    if duplicates:
        return duplicates_errors(duplicates, path)
    lines = _node_lines(text)

    def at(*key: str) -> int:
        for n in range(len(key), 0, -1):
            if key[:n] in lines:
                return lines[key[:n]]
        return 1

    errors: list[SiteError] = []
    for key in data:
        if key not in KNOWN_KEYS:
            errors.append(SiteError(path, at(str(key)), "E040", f"Khóa '{key}' không được hỗ trợ.{suggest(str(key), KNOWN_KEYS)}"))

    def text_value(key: str, default: str) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, (str, int, float)):
            errors.append(SiteError(path, at(key), "E044", f"'{key}' phải là một đoạn văn bản."))
            return default
        return str(value).strip()

    title = text_value("title", "Chuyên mục Cải cách hành chính")
    organization = text_value("organization", "")
    description = text_value("description", "")
    language = text_value("language", "vi")
    footer = text_value("footer", "")
    image = text_value("image", "")

    base_url = data.get("base_url", "http://localhost:8000/")
    problem = check_base_url(base_url)
    if problem:
        errors.append(SiteError(path, at("base_url"), "E041", f"base_url {problem}."))
        base_url = "http://localhost:8000/"

    timezone = text_value("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(SiteError(path, at("timezone"), "E042",
                                f"Múi giờ '{timezone}' không tồn tại. Dùng tên chuẩn IANA, ví dụ Asia/Ho_Chi_Minh."))
        timezone = "Asia/Ho_Chi_Minh"

    per_page = data.get("posts_per_page", 10)
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 200:
        errors.append(SiteError(path, at("posts_per_page"), "E044", "posts_per_page phải là số nguyên từ 1 đến 200."))
        per_page = 10

    if "categories" in data:
        categories = _terms(data["categories"], "categories", at("categories"), path, errors)
    else:
        categories = tuple(Term(n, s, d) for n, s, d in DEFAULT_CATEGORIES)
    if "fields" in data:
        fields = _terms(data["fields"], "fields", at("fields"), path, errors)
    else:
        fields = tuple(Term(n, slugify(n)) for n in DEFAULT_FIELDS)

    quota = _quota(data.get("quota"), at, path, errors) if "quota" in data else None

    portals = data.get("portals") or {}
    national, provincial = "https://dichvucong.gov.vn/", ""
    if not isinstance(portals, dict):
        errors.append(SiteError(path, at("portals"), "E044", "portals phải có dạng 'national: ...' và 'provincial: ...'."))
    else:
        for key in portals:
            if key not in PORTAL_KEYS:
                errors.append(SiteError(path, at("portals", str(key)), "E040",
                                        f"Khóa 'portals.{key}' không được hỗ trợ.{suggest(str(key), PORTAL_KEYS)}"))
        for key in PORTAL_KEYS:
            if key in portals and check_base_url(portals[key]):
                errors.append(SiteError(path, at("portals", key), "E044",
                                        f"portals.{key}: {check_base_url(portals[key])}."))
        national = str(portals.get("national") or national)
        provincial = str(portals.get("provincial") or "")

    security = data.get("security", "warn")
    if security not in ("warn", "strict"):
        errors.append(SiteError(path, at("security"), "E044", "security phải là 'warn' hoặc 'strict'."))
        security = "warn"

    menu: list[MenuItem] = []
    raw_menu = data.get("menu") or []
    if not isinstance(raw_menu, list) or not all(
        isinstance(i, dict) and set(i) == {"title", "url"} for i in raw_menu
    ):
        errors.append(SiteError(path, at("menu"), "E044", "menu là danh sách các mục có 'title' và 'url'."))
    else:
        menu = [MenuItem(str(i["title"]), str(i["url"])) for i in raw_menu]

    if errors:
        return errors
    return SiteConfig(
        title=title, organization=organization, description=description,
        base_url=normalize_base_url(str(base_url).strip()), language=language, timezone=timezone,
        posts_per_page=per_page, categories=categories, fields=fields, quota=quota,
        national_portal=national, provincial_portal=provincial, security=security,
        menu=tuple(menu), footer=footer, image=image, path=path,
    )


def _quota(raw: object, at: Any, path: str, errors: list[SiteError]) -> QuotaConfig | None:
    if not isinstance(raw, dict):
        errors.append(SiteError(path, at("quota"), "E044", "quota phải có dạng 'start: \"2021-08\"', 'min_posts: 2', ..."))
        return None
    for key in raw:
        if key not in QUOTA_KEYS:
            errors.append(SiteError(path, at("quota", str(key)), "E040",
                                    f"Khóa 'quota.{key}' không được hỗ trợ.{suggest(str(key), QUOTA_KEYS)}"))

    def month(key: str, value: object, where: tuple[str, ...] | None = None) -> tuple[int, int] | None:
        try:
            return parse_month(value)
        except ValueError:
            errors.append(SiteError(path, at(*(where or ("quota", key))), "E043",
                                    f"quota.{key}: '{value}' không phải tháng hợp lệ; viết dạng \"YYYY-MM\" "
                                    "trong ngoặc kép, ví dụ \"2021-08\" (tháng từ 01 đến 12)."))
            return None

    if "start" not in raw:
        errors.append(SiteError(path, at("quota"), "E043", "quota cần khóa 'start' (tháng bắt đầu áp dụng, ví dụ \"2021-08\")."))
        return None
    start = month("start", raw["start"])
    end = month("end", raw["end"]) if raw.get("end") is not None else None
    if start and end and end < start:
        errors.append(SiteError(path, at("quota", "end"), "E043", "quota.end phải sau hoặc bằng quota.start."))
    min_posts = raw.get("min_posts", 2)
    if not isinstance(min_posts, int) or isinstance(min_posts, bool) or min_posts < 0:
        errors.append(SiteError(path, at("quota", "min_posts"), "E044", "quota.min_posts phải là số nguyên không âm."))
        min_posts = 2
    waivers: list[tuple[tuple[int, int], str]] = []
    raw_waivers = raw.get("waivers") or {}
    if not isinstance(raw_waivers, dict):
        errors.append(SiteError(path, at("quota", "waivers"), "E044", "quota.waivers có dạng '\"2021-09\": \"Lý do ...\"'."))
    else:
        for key, reason in raw_waivers.items():
            m = month(f"waivers.{key}", key, ("quota", "waivers", str(key)))
            if m is None:
                continue
            if not isinstance(reason, str) or not reason.strip():
                errors.append(SiteError(path, at("quota", "waivers", str(key)), "E044",
                                        f"quota.waivers: tháng {key} cần ghi lý do được miễn."))
                continue
            waivers.append((m, reason.strip()))
    if start is None:
        return None
    return QuotaConfig(start, end, min_posts, tuple(sorted(waivers)))


def load_config(site_dir: Path) -> SiteConfig | list[SiteError]:
    """Read ``site.yaml`` (a missing file gives the defaults)."""
    from .encoding import NotUtf8, decode_source, not_utf8_message

    path = site_dir / CONFIG_FILE
    if not path.exists():
        return parse_config("", CONFIG_FILE)
    decoded = decode_source(path.read_bytes())
    if isinstance(decoded, NotUtf8):
        return [SiteError(CONFIG_FILE, decoded.line, "E011", not_utf8_message(CONFIG_FILE, decoded))]
    return parse_config(decoded.text, CONFIG_FILE)


def load_valid_config(site_dir: Path, base_url: str | None = None) -> SiteConfig:
    """The site's configuration (with ``base_url`` instead of its own, when given), or
    BuildFailed with every problem of site.yaml."""
    config = load_config(site_dir)
    if isinstance(config, list):
        raise BuildFailed(config)
    if base_url:
        problem = check_base_url(base_url)
        if problem:
            raise BuildFailed([SiteError("--base-url", 0, "E041", f"base_url {problem}.")])
        config = config.with_base_url(base_url)
    return config
