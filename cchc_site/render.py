"""Jinja2 environment and page rendering (template errors become SiteErrors)."""
from __future__ import annotations

import traceback
from datetime import date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from .config import SiteConfig
from .dates import format_vn_date, format_vn_short
from .errors import SiteError
from .mdrender import HtmlRef
from .options import BuildOptions
from .plan import PlannedPage
from .themepath import Theme


def _absolute(config: SiteConfig) -> Callable[[str], str]:
    def abs_url(path: str) -> str:
        if "://" in path:
            return path
        return config.base_url + path.lstrip("/")
    return abs_url


def make_environment(theme: Theme, config: SiteConfig, options: BuildOptions,
                     bytecode_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment; with ``bytecode_dir``, compiled templates are kept there
    (keyed by each template's source, so an edited template is compiled again)."""
    bytecode = None
    if bytecode_dir is not None:
        try:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            bytecode = jinja2.FileSystemBytecodeCache(str(bytecode_dir))
        except OSError:
            bytecode = None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(theme.search_path),
        bytecode_cache=bytecode,
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: templates cannot change under it (no stat per page)
    )
    base_path = config.base_path

    def url(path: str) -> str:
        if "://" in path or path.startswith("#"):
            return path
        return base_path + path.lstrip("/")

    env.filters.update(
        url=url, abs_url=_absolute(config), vndate=format_vn_date, vndate_short=format_vn_short,
        rfc822=lambda d: format_datetime(d), iso=lambda d: d.isoformat(),
        isodate=lambda d: d.date().isoformat() if isinstance(d, datetime) else d.isoformat(),
    )
    env.globals.update(site=config, options=options, preview=options.preview)
    return env


def render_procedures_json(context: dict[str, Any], config: SiteConfig) -> bytes:
    from .exports import procedures_json
    return procedures_json(context["procedures"], config)


def render_procedures_csv(context: dict[str, Any], config: SiteConfig) -> bytes:
    from .exports import procedures_csv
    return procedures_csv(context["procedures"], config)


PRODUCERS: dict[str, Callable[[dict[str, Any], SiteConfig], bytes]] = {
    "procedures.json": render_procedures_json,
    "procedures.csv": render_procedures_csv,
}


def _undefined_vi(message: str | None) -> str:
    """Jinja's "'x' is undefined" / "'Post object' has no attribute 'y'" in Vietnamese."""
    import re

    text = message or ""
    match = re.fullmatch(r"'(.+)' is undefined", text)
    if match:
        return f"biến '{match.group(1)}' không có"
    match = re.fullmatch(r"'(.+)' has no attribute '(.+)'", text)
    if match:
        return f"'{match.group(1)}' không có thuộc tính '{match.group(2)}'"
    return text


class Renderer:
    """Renders planned pages; template problems come back as SiteErrors."""

    def __init__(self, theme: Theme, config: SiteConfig, options: BuildOptions,
                 extra_globals: dict[str, Any] | None = None,
                 html_for: Callable[[str], str] | None = None, bytecode_dir: Path | None = None) -> None:
        self.theme = theme
        self.html_for = html_for or (lambda digest: "")
        self.config = config
        self.env = make_environment(theme, config, options, bytecode_dir)
        if extra_globals:
            self.env.globals.update(extra_globals)
        self._reuse_macro_output()

    def _reuse_macro_output(self) -> None:
        """Macros of ``_macros.html`` (imported without context, so they see only their
        arguments and the site's constants) give the same HTML for the same arguments: a card
        shown on five list pages is rendered once per process."""
        try:
            module = self.env.get_template(MACROS_TEMPLATE).module
        except Exception:  # noqa: BLE001 - a broken or missing _macros.html is reported when a page uses it
            return
        for name, value in vars(module).items():
            if isinstance(value, jinja2.runtime.Macro) and not value.caller:
                setattr(module, name, _memoised(value))

    def check_templates(self) -> list[SiteError]:
        """Compile every template once, so syntax errors are all reported up front."""
        errors: list[SiteError] = []
        for name in sorted(set(self.env.list_templates(extensions=["html", "xml", "txt"]))):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                errors.append(SiteError(self.theme.display_path(exc.filename or name), exc.lineno or 1, "E030",
                                        f"Lỗi cú pháp trong mẫu: {_syntax_hint(exc.message)} Kiểm tra các cặp {{% ... %}} và {{{{ ... }}}}."))
        return errors

    def render(self, page: PlannedPage) -> bytes | SiteError:
        producer = PRODUCERS.get(page.template)
        if producer is not None:
            return producer(dict(page.context), self.config)
        try:
            template = self.env.get_template(page.template)
            context = {key: Markup(self.html_for(value.digest)) if isinstance(value, HtmlRef) else value
                       for key, value in page.context.items()}
            text = template.render({**context, "page_url": page.url})
        except jinja2.TemplateSyntaxError as exc:
            return SiteError(self.theme.display_path(exc.filename or page.template), exc.lineno or 1, "E030",
                             f"Lỗi cú pháp trong mẫu: {_syntax_hint(exc.message)}")
        except jinja2.UndefinedError as exc:
            where, line = self._template_frame(exc, page.template)
            return SiteError(where, line, "E031", f"Biến không xác định trong mẫu: {_undefined_vi(exc.message)} "
                                                  f"(khi dựng trang {page.url}). Kiểm tra tên biến trong mẫu, hoặc "
                                                  "dùng {% if ten_bien is defined %}...{% endif %}.")
        except jinja2.TemplateNotFound as exc:
            return SiteError(page.template, 1, "E032", f"Không tìm thấy mẫu '{exc.name}'.")
        except Exception as exc:  # a template error of any other kind: still file and line
            where, line = self._template_frame(exc, page.template)
            return SiteError(where, line, "E032", f"Lỗi khi dựng trang {page.url}: {type(exc).__name__}: {exc}")
        return text.encode("utf-8")

    def _template_frame(self, exc: BaseException, fallback: str) -> tuple[str, int]:
        search = [Path(p).resolve() for p in self.theme.search_path]
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            path = Path(frame.filename)
            if path.suffix in (".html", ".xml", ".txt") and any(base in path.resolve().parents for base in search):
                return self.theme.display_path(frame.filename), frame.lineno or 1
        return fallback, 1


MACROS_TEMPLATE = "_macros.html"


def _reusable_argument(value: Any) -> bool:
    """A plain value whose equal copies always print the same: text, numbers, dates, tuples of
    them, and the frozen dataclasses the build puts in pages (cards, terms...).  Not a loop,
    ``namespace()``, ``cycler``, an undefined name, a list or a dict: those are never reused."""
    if value is None or isinstance(value, (str, int, float, date)):  # Markup is a str; datetime a date
        return True
    if isinstance(value, tuple):
        return all(_reusable_argument(item) for item in value)
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and params.frozen


def _argument_key(value: Any) -> Any:
    """Equal keys print the same: the type too (1, 1.0 and True are equal but print otherwise),
    and a date-time with its offset (equal instants in two time zones print otherwise)."""
    if isinstance(value, datetime):
        return datetime, value.isoformat()
    return type(value), value


def _memoised(macro: jinja2.runtime.Macro) -> Callable[..., Any]:
    """``macro`` with its output kept per arguments, when they are all plain values."""
    outputs: dict[Any, Any] = {}

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            if not all(_reusable_argument(v) for v in (*args, *kwargs.values())):
                return macro(*args, **kwargs)
            key = (tuple(_argument_key(a) for a in args),
                   tuple((k, _argument_key(v)) for k, v in sorted(kwargs.items())))
            found = outputs.get(key)
        except Exception:  # noqa: BLE001 - e.g. a value that cannot be hashed: no reuse, just the call
            return macro(*args, **kwargs)
        if found is None:
            found = outputs[key] = macro(*args, **kwargs)
        return found

    return call


def _syntax_hint(message: str | None) -> str:
    """Jinja's message with a Vietnamese explanation first, ending with one full stop."""
    text = (message or "").strip().rstrip(".")
    if "Unexpected end of template" in text:
        return f"mẫu kết thúc khi một thẻ {{% ... %}} chưa được đóng (ví dụ thiếu {{% endif %}} hoặc {{% endfor %}}) ({text})."
    if "unknown tag" in text.lower():
        return f"thẻ không hợp lệ hoặc thẻ đóng không khớp ({text})."
    if "expected token" in text or "unexpected" in text:
        return f"biểu thức viết sai ({text})."
    return text + "."
