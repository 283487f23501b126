"""Command line: the only place that prints or exits.

Exit codes: 0 success, 1 content errors (all listed as ``path:line: CODE message``),
2 usage errors.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from datetime import date, datetime, time as dtime
from pathlib import Path
from typing import Sequence

from .errors import BuildFailed, SiteError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3  # 3: a fault of the program, not of the content


class UsageError(Exception):
    pass


def _configure_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


def parse_as_of(text: str | None, tz) -> datetime:  # noqa: ANN001
    """"Now" for the build: the end of ``--as-of`` day in the site timezone, or the clock."""
    if text is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():  # reproducible builds: "now" is the given moment
            return datetime.fromtimestamp(int(epoch), tz)
        return datetime.now(tz)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of '{text}' không hợp lệ; viết theo dạng YYYY-MM-DD, ví dụ 2021-12-31.") from None
    return datetime.combine(day, dtime(23, 59, 59), tz)


def print_errors(errors: Sequence[SiteError], stream=None) -> None:  # noqa: ANN001
    stream = stream or sys.stderr
    errs = [e for e in errors if e.severity == "error"]
    warns = [e for e in errors if e.severity != "error"]
    for e in (*errs, *warns):
        print(e.format(), file=stream)
    if errs:
        print(f"\nTìm thấy {len(errs)} lỗi" + (f" và {len(warns)} cảnh báo" if warns else "") + ". "
              "Sửa các lỗi trên rồi chạy lại.", file=stream)


def _site_dir(args: argparse.Namespace) -> Path:
    site = Path(args.site).expanduser()
    if not site.is_dir():
        raise UsageError(f"Không tìm thấy thư mục trang '{args.site}'.")
    return site


def _config_tz(site: Path):  # noqa: ANN202
    from .config import load_config
    config = load_config(site)
    if isinstance(config, list):
        raise BuildFailed(config)
    return config, config.tz


def _site_tz(site: Path):  # noqa: ANN202
    """The site's timezone, and a function that remembers it (for site.yaml's present bytes) once
    the command succeeded.  site.yaml is read (and a broken one raises BuildFailed) only when its
    timezone is not remembered for those bytes: a build or check with nothing to do then loads
    neither the configuration's code nor YAML."""
    from zoneinfo import ZoneInfo

    from .stamps import config_tag, remember_timezone, remembered_timezone

    tag = config_tag(site)
    name = remembered_timezone(site, tag)
    if name is not None:
        return ZoneInfo(name), lambda: None
    config, tz = _config_tz(site)
    if config_tag(site) != tag:  # saved again while it was read: remember nothing
        return tz, lambda: None
    return tz, lambda: remember_timezone(site, tag, config.timezone)


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_site
    from .options import BuildOptions

    site = _site_dir(args)
    tz, remember = _site_tz(site)
    now = parse_as_of(args.as_of, tz)
    if args.base_url:
        from .config import check_base_url
        problem = check_base_url(args.base_url)
        if problem:  # a wrong option is a usage error (exit 2), not a content error
            raise UsageError(f"--base-url {problem}.")
    output = Path(args.output) if args.output else site / "output"
    options = BuildOptions(now=now, drafts=args.drafts, future=args.future)
    try:
        result = build_site(site, output, options, base_url=args.base_url, clean=args.clean)
    except BuildFailed as failed:
        from .quota import QuotaReport
        from .reports import format_quota_text

        shown = list(failed.errors)
        if any(e.code == "E060" for e in failed.errors):
            quota = failed.quota  # the report the build enforced
            if isinstance(quota, QuotaReport):
                print(format_quota_text(quota), file=sys.stderr)
                print(file=sys.stderr)
                shown = [e for e in failed.errors if e.code != "E060"]  # the report above says it all
        print_errors(shown)
        print(f"Bản dựng thất bại; thư mục {output} được giữ nguyên như trước.", file=sys.stderr)
        return EXIT_CONTENT
    remember()  # (not before: a refused output leaves the site folder untouched, cache included)
    for warning in result.warnings:
        print(warning.format(), file=sys.stderr)
    if result.unchanged:
        print(f"Không có thay đổi: {output} đã đúng với nội dung ({result.files} tệp), {result.seconds:.2f} giây.")
    else:
        print(f"Đã dựng {result.pages} trang, dùng lại {result.reused} tệp không đổi ({result.files} tệp) "
              f"vào {output} trong {result.seconds:.2f} giây.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_check
    from .reports import format_quota_text, github_annotations, no_quota_json, quota_json

    site = _site_dir(args)
    try:
        tz, remember = _site_tz(site)
    except BuildFailed:  # a broken site.yaml: the check reports its problems
        from zoneinfo import ZoneInfo

        tz, remember = ZoneInfo("Asia/Ho_Chi_Minh"), lambda: None
    now = parse_as_of(args.as_of, tz)  # a bad --as-of is a usage error (2) even when site.yaml is broken
    outcome = run_check(site, now, strict=args.strict, with_posts=args.format == "json")  # (only JSON lists them)
    remember()
    errors = [e for e in outcome.problems if e.severity == "error"]
    if args.format == "json":
        from .config import load_config

        config = load_config(site)
        data = (quota_json(outcome.quota, config, outcome.problems)
                if outcome.quota and not isinstance(config, list) else no_quota_json(now, outcome.problems))
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.format == "github":
        prefix = os.path.relpath(site.resolve(), Path.cwd().resolve()).replace(os.sep, "/")
        prefix = "" if prefix == "." or prefix.startswith("..") else prefix + "/"
        print(github_annotations(outcome.quota, outcome.problems, prefix, quota_line=outcome.quota_line))
    else:
        others = [e for e in outcome.problems if e.code != "E060"]  # the quota report explains E060
        if others:
            print_errors(others, sys.stdout)
            print()
        if outcome.quota:
            print(format_quota_text(outcome.quota))
        elif outcome.config_valid:
            print("Chưa bật chỉ tiêu số bài (thêm mục quota: start: \"YYYY-MM\" vào site.yaml).")
    failed = bool(errors) or (outcome.quota is not None and not outcome.quota.ok)
    return EXIT_CONTENT if failed else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .check import run_check
    from .dates import parse_month
    from .reports import make_monthly_report, report_csv, report_markdown, write_docx

    site = _site_dir(args)
    config, tz = _config_tz(site)
    try:
        month = parse_month(args.month)
    except ValueError:
        raise UsageError(f"--month '{args.month}' không hợp lệ; viết dạng YYYY-MM, ví dụ 2021-09.") from None
    now = parse_as_of(args.as_of, tz)
    outcome = run_check(site, now, strict=False)
    errors = [e for e in outcome.problems if e.severity == "error" and e.code != "E060"]
    if errors:
        print_errors(errors)
        return EXIT_CONTENT
    if outcome.quota is None:
        raise UsageError("site.yaml chưa có mục quota (start: \"YYYY-MM\"), nên chưa lập được báo cáo.")
    report = make_monthly_report(outcome.quota, month, config)
    if report is None:
        months = outcome.quota.months
        window = f" (từ {months[0].label.lower()} đến {months[-1].label.lower()})" if months else ""
        raise UsageError(f"Tháng {args.month} nằm ngoài thời gian áp dụng chỉ tiêu{window} hoặc chưa đến.")
    fmt = args.format
    if fmt == "docx":
        target = Path(args.output or f"bao-cao-cchc-{month[0]}-{month[1]:02d}.docx")
        write_docx(report, target)
        print(f"Đã ghi báo cáo: {target}")
        return EXIT_OK
    data = report_csv(report) if fmt == "csv" else report_markdown(report).encode("utf-8")
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"Đã ghi báo cáo: {args.output}")
    elif hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:  # stdout replaced by a text stream (tests)
        sys.stdout.write(data.decode("utf-8-sig"))
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import create_document

    site = _site_dir(args)
    config, tz = _config_tz(site)
    result = create_document(site, config, args.kind, args.title, datetime.now(tz),
                             category=args.category, date_text=args.date, code=args.code, field=args.field)
    if isinstance(result, str):
        raise UsageError(result)
    print(result)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .devserver import serve

    site = _site_dir(args)

    def log(message: str, error: bool = False) -> None:
        print(message, file=sys.stderr if error else sys.stdout, flush=True)

    return serve(site, host=args.host, port=args.port, open_browser=args.open, log=log)


def cmd_fix_encoding(args: argparse.Namespace) -> int:
    from .encoding import NotUtf8, convert_legacy, decode_source, guess_legacy_encoding, normalize_text

    status = EXIT_OK
    for name in args.files:
        path = Path(name)
        data = path.read_bytes()
        decoded = decode_source(data)
        if not isinstance(decoded, NotUtf8):
            print(f"{name}: đã là UTF-8, không cần chuyển.")
            continue
        encoding = args.source or guess_legacy_encoding(data)
        if encoding is None:
            print(f"{name}: không nhận ra bảng mã; dùng --from tcvn3|vni|windows-1258.", file=sys.stderr)
            status = EXIT_CONTENT
            continue
        backup = path.with_name(path.name + ".bak")
        if not backup.exists():
            backup.write_bytes(data)
        path.write_text(normalize_text(convert_legacy(data, encoding)), encoding="utf-8", newline="\n")
        print(f"{name}: đã chuyển từ {encoding} sang UTF-8 (bản cũ lưu ở {backup.name}).")
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cchc-site", description="Dựng chuyên mục Cải cách hành chính từ Markdown.")
    sub = parser.add_subparsers(dest="command", required=True)

    def site_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", default=".", help="thư mục trang (mặc định: thư mục hiện tại)")

    b = sub.add_parser("build", help="dựng trang vào output/")
    site_arg(b)
    b.add_argument("--output", help="thư mục đầu ra (mặc định: <site>/output)")
    b.add_argument("--base-url", help="thay base_url của site.yaml")
    b.add_argument("--drafts", action="store_true", help="gồm cả bản nháp (để xem trước)")
    b.add_argument("--future", action="store_true", help="gồm cả bài hẹn ngày sau")
    b.add_argument("--as-of", help="coi hôm nay là ngày YYYY-MM-DD")
    b.add_argument("--clean", action="store_true", help="bỏ qua bộ nhớ đệm, dựng lại từ đầu")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("check", help="kiểm tra nội dung và chỉ tiêu số bài, không dựng trang")
    site_arg(c)
    c.add_argument("--as-of", help="coi hôm nay là ngày YYYY-MM-DD")
    c.add_argument("--strict", action="store_true", help="tháng hiện tại thiếu bài cũng là lỗi")
    c.add_argument("--format", choices=("text", "json", "github"), default="text")
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("report", help="báo cáo tháng gửi Sở Nội vụ")
    site_arg(r)
    r.add_argument("--month", required=True, help="tháng YYYY-MM")
    r.add_argument("--format", choices=("md", "csv", "docx"), default="md")
    r.add_argument("--output", help="tệp kết quả")
    r.add_argument("--as-of", help="coi hôm nay là ngày YYYY-MM-DD")
    r.set_defaults(func=cmd_report)

    n = sub.add_parser("new", help="tạo bài, thủ tục hoặc trang mới")
    site_arg(n)
    n.add_argument("kind", choices=("post", "procedure", "page"))
    n.add_argument("title", help="tiêu đề")
    n.add_argument("--category", help="chuyên mục (bài viết)")
    n.add_argument("--date", help="ngày đăng, ví dụ 28/07/2021 hoặc 2021-07-28 08:30")
    n.add_argument("--code", help="mã thủ tục, ví dụ 1.013225")
    n.add_argument("--field", help="lĩnh vực của thủ tục (mặc định: thư mục khac/, lĩnh vực đầu tiên)")
    n.set_defaults(func=cmd_new)

    s = sub.add_parser("serve", help="xem trước, tự dựng lại khi lưu tệp")
    site_arg(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--open", action="store_true", help="mở trình duyệt")
    s.set_defaults(func=cmd_serve)

    f = sub.add_parser("fix-encoding", help="chuyển tệp từ bảng mã cũ (TCVN3, VNI, Windows-1258) sang UTF-8")
    f.add_argument("files", nargs="+")
    f.add_argument("--from", dest="source", choices=("tcvn3", "vni", "windows-1258"))
    f.set_defaults(func=cmd_fix_encoding)
    return parser


# A build holds a large graph of objects that live until it ends (every document, page and
# card) and makes few reference cycles; Python's default (a collection every 700 new objects,
# each older generation every 10 of the younger) spends a third of planning a large site
# walking that graph again and again.  Collections stay on, far less often (mypy does the same).
GC_THRESHOLDS = (50_000, 20, 20)


def main(argv: Sequence[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    _configure_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"cchc-site: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed as failed:
        print_errors(failed.errors)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"cchc-site: lỗi đọc/ghi tệp: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    except Exception as exc:  # noqa: BLE001 - never a traceback for the authors
        if os.environ.get("CCHC_DEBUG"):
            raise
        kept = " Thư mục đầu ra không bị thay đổi." if args.command == "build" else ""
        print(f"cchc-site: lỗi nội bộ của chương trình ({type(exc).__name__}: {exc}).{kept} Hãy chạy lại với "
              "--clean; nếu vẫn lỗi, đặt biến môi trường CCHC_DEBUG=1, chạy lại và gửi toàn bộ thông báo cho người "
              "quản trị.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
