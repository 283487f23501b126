"""`cchc-site check` (text/json/github, --as-of, --strict, exit codes) and the quota gate of
`cchc-site build`, end to end on small sites in tmp_path."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitekit import MINIMAL_CONFIG, post, run_cli, write_site

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REASON = "Cán bộ phụ trách nghỉ ốm cả tháng"


def quota_config(start: str = "2021-08", end: str | None = None, waivers: dict[str, str] | None = None,
                 min_posts: int = 2) -> str:
    lines = ["quota:", f'  start: "{start}"']
    if end:
        lines.append(f'  end: "{end}"')
    lines.append(f"  min_posts: {min_posts}")
    if waivers:
        lines.append("  waivers:")
        lines += [f'    "{k}": "{v}"' for k, v in waivers.items()]
    return MINIMAL_CONFIG + "\n".join(lines) + "\n"


def site_with(tmp_path: Path, posts: dict[str, str], **quota: Any) -> Path:
    files = {f"content/posts/{name}.md": text for name, text in posts.items()}
    return write_site(tmp_path / "site", files, quota_config(**quota))


def check_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "json", *args)
    data = json.loads(result.out)
    validate_schema(data)
    return result.code, data


# --- the JSON schema of the issue, checked by hand -----------------------------------------------

STATUS_ENUM = {"ok", "short", "waived", "in_progress"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_schema(data: object) -> None:
    """``{"ok", "as_of", "min_posts", "months": [{"month", "count", "required", "status", "posts":
    [{"title", "date", "url", "path"}], "reason"}]}`` plus the documented ``errors`` list and each
    month's ``missing``/``days_left``."""
    assert isinstance(data, dict)
    assert set(data) == {"ok", "as_of", "min_posts", "months", "errors"}
    assert isinstance(data["ok"], bool)
    assert isinstance(data["as_of"], str) and DATE.fullmatch(data["as_of"])
    assert data["min_posts"] is None or _is_int(data["min_posts"])
    assert isinstance(data["months"], list)
    for month in data["months"]:
        assert isinstance(month, dict)
        assert set(month) == {"month", "count", "required", "status", "posts", "reason", "missing", "days_left"}
        assert isinstance(month["month"], str) and MONTH.fullmatch(month["month"])
        assert _is_int(month["count"]) and _is_int(month["required"])
        assert _is_int(month["missing"]) and _is_int(month["days_left"])
        assert month["status"] in STATUS_ENUM
        assert month["reason"] is None or (isinstance(month["reason"], str) and month["reason"])
        assert (month["status"] == "waived") <= (month["reason"] is not None)
        assert isinstance(month["posts"], list) and len(month["posts"]) == month["count"]
        for p in month["posts"]:
            assert isinstance(p, dict) and set(p) == {"title", "date", "url", "path"}
            assert all(isinstance(v, str) and v for v in p.values())
            assert datetime.fromisoformat(p["date"]).tzinfo is not None
            assert p["url"].startswith(("http://", "https://")) and p["path"].startswith("content/posts/")
    assert isinstance(data["errors"], list)
    for e in data["errors"]:
        assert set(e) == {"path", "line", "code", "message", "severity"}
        assert isinstance(e["path"], str) and _is_int(e["line"]) and re.fullmatch(r"[EW]\d{3}", e["code"])
        assert e["severity"] in ("error", "warning") and isinstance(e["message"], str)


def test_schema_checker_rejects_wrong_shapes() -> None:
    good = {"ok": True, "as_of": "2021-10-01", "min_posts": 2, "errors": [], "months": [
        {"month": "2021-09", "count": 0, "required": 2, "status": "waived", "posts": [], "reason": "x",
         "missing": 2, "days_left": 0}]}
    validate_schema(good)
    for bad in ({**good, "ok": "true"}, {**good, "as_of": "01/10/2021"}, {**good, "extra": 1},
                {**good, "months": [{**good["months"][0], "status": "đạt"}]},
                {**good, "months": [{**good["months"][0], "count": "0"}]},
                {**good, "months": [{**good["months"][0], "reason": None}]}):
        with pytest.raises(AssertionError):
            validate_schema(bad)


def test_json_output_matches_the_schema_and_the_content(tmp_path: Path) -> None:
    site = site_with(tmp_path, {
        "2021/08/a": post("Bài A", "2021-08-02", category="Hoạt động cải cách hành chính"),
        "2021/08/b": post("Bài B", "2021-08-31T20:00:00Z"),  # 1 September in Asia/Ho_Chi_Minh
        "2021/09/c": post("Bài C", "2021-09-15"),
        "2021/10/d": post("Bài D", "2021-10-03 07:00"),
    }, waivers={"2021-08": REASON})
    code, data = check_json("--site", site, "--as-of", "2021-10-20")
    assert code == 0
    assert (data["ok"], data["as_of"], data["min_posts"], data["errors"]) == (True, "2021-10-20", 2, [])
    months = {m["month"]: m for m in data["months"]}
    assert list(months) == ["2021-08", "2021-09", "2021-10"]
    assert (months["2021-08"]["status"], months["2021-08"]["count"], months["2021-08"]["reason"]) == ("waived", 1, REASON)
    assert [p["title"] for p in months["2021-09"]["posts"]] == ["Bài B", "Bài C"]
    assert months["2021-09"]["posts"][0] == {
        "title": "Bài B", "date": "2021-09-01T03:00:00+07:00",
        "url": "https://example.gov.vn/cchc/tin-tuc/2021/09/b/", "path": "content/posts/2021/08/b.md"}
    assert (months["2021-10"]["status"], months["2021-10"]["missing"], months["2021-10"]["days_left"]) == (
        "in_progress", 1, 12)


def test_json_without_quota_and_with_a_broken_site_yaml(tmp_path: Path) -> None:
    plain = write_site(tmp_path / "plain", {"content/posts/a.md": post("A", "2021-08-02")})
    code, data = check_json("--site", plain, "--as-of", "2021-10-20")
    assert code == 0 and data["min_posts"] is None and data["months"] == [] and data["ok"] is True
    broken = write_site(tmp_path / "broken", {}, MINIMAL_CONFIG + 'quota:\n  start: "tháng 8"\n')
    code, data = check_json("--site", broken, "--as-of", "2021-10-20")
    assert code == 1 and data["ok"] is False
    assert [(e["path"], e["code"]) for e in data["errors"]] == [("site.yaml", "E043")]


# --- exit codes, --as-of, --strict ----------------------------------------------------------------

def test_exit_0_when_every_month_is_met_or_waived_and_1_otherwise(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03"),
                                "c": post("C", "2021-09-02")}, end="2021-09")
    short = run_cli("check", "--site", site, "--as-of", "2021-12-31")
    assert short.code == 1
    assert "Tháng 09/2021: 1/2 bài — thiếu 1 bài" in short.out.splitlines()
    assert "KHÔNG đăng bài lùi ngày" in short.out and '"2021-09": "Lý do' in short.out
    waived = site_with(tmp_path / "w", {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03"),
                                        "c": post("C", "2021-09-02")}, end="2021-09", waivers={"2021-09": REASON})
    ok = run_cli("check", "--site", waived, "--as-of", "2021-12-31")
    assert ok.code == 0, ok.out
    assert f"miễn ({REASON})" in ok.out and ok.out.rstrip().endswith("KẾT QUẢ: ĐẠT")


def test_as_of_in_the_past_ignores_later_posts_and_months(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20"),
                                "c": post("C", "2021-09-30")})
    code, data = check_json("--site", site, "--as-of", "2021-08-10")
    assert code == 0
    assert [(m["month"], m["count"], m["status"]) for m in data["months"]] == [("2021-08", 1, "in_progress")]
    code, data = check_json("--site", site, "--as-of", "2021-09-29")
    assert code == 0
    assert [(m["month"], m["count"], m["status"]) for m in data["months"]] == [
        ("2021-08", 2, "ok"), ("2021-09", 0, "in_progress")]
    code, data = check_json("--site", site, "--as-of", "2021-10-01")
    assert code == 1  # September is over with one post
    assert [(m["month"], m["status"]) for m in data["months"]] == [
        ("2021-08", "ok"), ("2021-09", "short"), ("2021-10", "in_progress")]


def test_strict_fails_a_short_current_month(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02")})
    loose = run_cli("check", "--site", site, "--as-of", "2021-08-10")
    assert loose.code == 0
    assert "Tháng 08/2021 đang diễn ra: 1/2 bài, cần thêm 1 bài, còn 22 ngày." in loose.out
    strict = run_cli("check", "--site", site, "--as-of", "2021-08-10", "--strict")
    assert strict.code == 1
    assert "08/2021  1       2        thiếu" in strict.out
    code, data = check_json("--site", site, "--as-of", "2021-08-10", "--strict")
    assert code == 1 and data["months"][0]["status"] == "short"


def test_without_as_of_the_clock_gives_the_current_month_in_progress(tmp_path: Path) -> None:
    before = datetime.now(VN)
    site = site_with(tmp_path, {}, start=f"{before.year}-{before.month:02d}")
    code, data = check_json("--site", site)
    after = datetime.now(VN)
    assert code == 0
    assert data["as_of"] in {before.date().isoformat(), after.date().isoformat()}
    assert len(data["months"]) == 1
    month = data["months"][0]
    assert month["month"] in {f"{d.year}-{d.month:02d}" for d in (before, after)}
    assert (month["status"], month["count"], month["missing"]) == ("in_progress", 0, 2)
    assert month["days_left"] >= 1
    assert run_cli("check", "--site", site, "--strict").code == 1


@pytest.mark.parametrize("args", [
    ("--as-of", "2021-13-01"), ("--as-of", "2021-02-30"), ("--as-of", "31/12/2021"), ("--as-of", "hôm nay"),
    ("--format", "xml"), ("--format", "JSON"), ("--bogus",),
])
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02")})
    result = run_cli("check", "--site", site, *args)
    assert result.code == 2
    assert result.out == ""


def test_missing_site_folder_is_a_usage_error(tmp_path: Path) -> None:
    assert run_cli("check", "--site", tmp_path / "khong-co").code == 2


def test_bad_as_of_is_a_usage_error_even_with_a_broken_site_yaml(tmp_path: Path) -> None:
    broken = write_site(tmp_path / "broken", {}, MINIMAL_CONFIG + "quota: [1, 2]\n")
    assert run_cli("check", "--site", broken, "--as-of", "2021-02-30").code == 2
    assert run_cli("check", "--site", broken, "--as-of", "2021-02-28").code == 1


# --- what counts, end to end ----------------------------------------------------------------------

def test_timezone_leap_day_drafts_future_posts_pages_and_procedures(tmp_path: Path) -> None:
    files = {
        "content/posts/a.md": post("Ngày nhuận", "29/02/2024"),
        "content/posts/b.md": post("Chiều 29/2 giờ UTC", "2024-02-29T16:00:00Z"),  # 23:00 in Vietnam
        "content/posts/c.md": post("Tối 29/2 giờ UTC", "2024-02-29T17:00:00Z"),  # 1 March in Vietnam
        "content/posts/d.md": post("Nháp", "2024-03-02", draft=True),
        "content/posts/e.md": post("Hẹn ngày", "2024-03-20"),
        "content/pages/gioi-thieu.md": "---\ntitle: \"Giới thiệu\"\n---\n\nTrang.\n",
        "content/procedures/1.000001.md": ("---\ncode: \"1.000001\"\ntitle: \"Thủ tục\"\n"
                                           "field: \"Hoạt động xây dựng\"\nupdated: \"2024-03-05\"\n---\n\nNội dung.\n"),
    }
    site = write_site(tmp_path / "site", files, quota_config(start="2024-02", min_posts=1))
    code, data = check_json("--site", site, "--as-of", "2024-03-10")
    assert code == 0
    months = {m["month"]: m for m in data["months"]}
    assert [p["title"] for p in months["2024-02"]["posts"]] == ["Ngày nhuận", "Chiều 29/2 giờ UTC"]
    assert [p["title"] for p in months["2024-03"]["posts"]] == ["Tối 29/2 giờ UTC"]
    assert months["2024-03"]["status"] == "ok"


def test_content_errors_fail_check_and_are_annotated(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03"),
                                "hong": "---\ntitle: \"Hỏng\"\ndate: \"31/04/2021\"\n---\n\nx\n"}, end="2021-08")
    text = run_cli("check", "--site", site, "--as-of", "2021-09-01")
    assert text.code == 1
    assert "content/posts/hong.md:3: E005" in text.out
    code, data = check_json("--site", site, "--as-of", "2021-09-01")
    assert code == 1 and data["ok"] is False
    assert [(e["path"], e["line"], e["code"]) for e in data["errors"]] == [("content/posts/hong.md", 3, "E005")]
    assert [m["status"] for m in data["months"]] == ["ok"]


# --- GitHub format ----------------------------------------------------------------------------------

def test_github_format_is_workflow_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"),
                                "hong": "---\ntitle: \"Hỏng\"\ndate: \"31/04/2021\"\n---\n\nx\n"},
                     end="2021-09", waivers={"2021-09": REASON})
    monkeypatch.chdir(tmp_path)  # the repository root: the site lives in site/
    result = run_cli("check", "--site", "site", "--as-of", "2021-12-31", "--format", "github")
    assert result.code == 1
    lines = result.out.strip().splitlines()
    assert all(re.match(r"^::(error|warning|notice)( [^:]+)?::\S", line) for line in lines), lines
    quota_line = (site / "site.yaml").read_text(encoding="utf-8").splitlines().index("quota:") + 1
    assert "::error file=site/content/posts/hong.md,line=3,title=E005::" in result.out
    short = [line for line in lines if line.startswith("::error file=site/site.yaml")]
    assert len(short) == 1 and f"line={quota_line}," in short[0] and "Tháng 08/2021: 1/2 bài — thiếu 1 bài." in short[0]
    assert any(line.startswith("::notice") and REASON in line for line in lines)


def test_github_format_warns_about_the_current_month(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02")})
    result = run_cli("check", "--site", site, "--as-of", "2021-08-30", "--format", "github")
    assert result.code == 0
    assert any(line.startswith("::warning ") and "cần thêm 1 bài, còn 2 ngày" in line
               for line in result.out.splitlines())


# --- check reads front matter only ----------------------------------------------------------------

def test_check_does_not_render_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import markdown

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("check must not render Markdown")

    import cchc_site.mdrender

    monkeypatch.setattr(markdown.Markdown, "convert", refuse)
    monkeypatch.setattr(cchc_site.mdrender, "render_simple", refuse)  # the shortcut for simple bodies
    site = site_with(tmp_path, {"a": post("A", "2021-08-02", body="# Tiêu đề\n\n**đậm** [liên kết](/khong-co/)"),
                                "b": post("B", "2021-08-03")}, end="2021-08")
    result = run_cli("check", "--site", site, "--as-of", "2021-09-01")
    assert result.code == 0, result.out + result.err
    built = run_cli("build", "--site", site, "--as-of", "2021-09-01", "--clean")  # the patch works: build renders
    assert built.code == 3 and "must not render" in built.err and "Traceback" not in built.err  # a program fault


def test_check_loads_neither_markdown_nor_templates(tmp_path: Path) -> None:
    """In a fresh process: ``check`` reads front matter only (quick to start, nothing rendered)."""
    import subprocess
    import sys

    site = site_with(tmp_path, {"a": post("A", "2021-08-02", body="**đậm** [liên kết](/tin-tuc/)"),
                                "b": post("B", "2021-08-03")}, end="2021-08")
    script = ("import sys\nfrom cchc_site.cli import main\n"
              f"code = main(['check', '--site', {str(site)!r}, '--as-of', '2021-09-01'])\n"
              "print('LOADED', sorted(m for m in ('markdown', 'jinja2', 'cchc_site.mdrender', 'cchc_site.fastmd',"
              " 'cchc_site.render') if m in sys.modules), code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=120)
    assert "LOADED [] 0" in done.stdout, done.stdout + done.stderr


def test_a_check_answered_from_its_record_loads_nothing_of_reading_content(tmp_path: Path) -> None:
    """A second check of the same files (a new process, as authors run it) answers from what the
    first one found: it loads neither the code that parses nor that which reads site.yaml, and
    says what the first said."""
    from sitekit import CONFIG_MODULES, HEAVY_MODULES, modules_loaded

    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03")}, end="2021-08")
    args = ("check", "--site", site, "--as-of", "2021-09-01")
    first, loaded = modules_loaded(*args)
    assert first.code == 0 and "08/2021  2" in first.out, first.out + first.err
    assert CONFIG_MODULES <= loaded
    again, loaded = modules_loaded(*args)
    assert (again.code, again.out) == (first.code, first.out)
    assert loaded & (HEAVY_MODULES | CONFIG_MODULES) == set()


# --- the build gate ----------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_with_a_short_month_fails_and_leaves_output_untouched(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20"),
                                "c": post("C", "2021-09-03")})
    first = run_cli("build", "--site", site, "--as-of", "2021-09-10")  # September still in progress
    assert first.code == 0, first.err
    output = site / "output"
    before = snapshot(output)
    assert "thong-ke/index.html" in before and "tin-tuc/2021/09/c/index.html" in before
    siblings = sorted(p.name for p in site.iterdir() if p.name != ".output.cchc-spare")

    # A new post and a later date: September is over with 1 post.
    (site / "content/posts/d.md").write_text(post("D", "2021-10-02"), encoding="utf-8")
    failed = run_cli("build", "--site", site, "--as-of", "2021-10-05")
    assert failed.code == 1
    assert "Tháng 09/2021: 1/2 bài — thiếu 1 bài" in failed.err.splitlines()
    assert "09/2021  1       2        thiếu" in failed.err
    assert "KHÔNG đăng bài lùi ngày" in failed.err and '"2021-09": "Lý do' in failed.err
    assert "E060" in failed.err and "được giữ nguyên" in failed.err
    assert snapshot(output) == before  # every file, byte for byte; nothing added or removed
    # no staging folder left behind (the spare of links to the output, made by the first build or
    # by this one, is kept: the next build updates it instead of making a new folder)
    assert sorted(p.name for p in site.iterdir() if p.name != ".output.cchc-spare") == siblings

    # The honest fix: a waiver with its reason, shown on the statistics page.
    (site / "site.yaml").write_text(quota_config(waivers={"2021-09": REASON}), encoding="utf-8")
    fixed = run_cli("build", "--site", site, "--as-of", "2021-10-05")
    assert fixed.code == 0, fixed.err
    page = (output / "thong-ke/index.html").read_text(encoding="utf-8")
    assert f"Miễn: {REASON}" in page and "tin-tuc/2021/10/d/index.html" in snapshot(output)


def test_build_passes_while_the_current_month_is_short(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02")})
    result = run_cli("build", "--site", site, "--as-of", "2021-08-15")
    assert result.code == 0, result.err
    assert "đang diễn ra" in (site / "output/thong-ke/index.html").read_text(encoding="utf-8")


# --- the shipped GitHub workflow --------------------------------------------------------------------

def test_quota_workflow_runs_check_on_push_and_on_the_first_of_the_month() -> None:
    import yaml

    path = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "cchc-quota.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key 'on' as true
    assert "push" in triggers
    crons = [entry["cron"].split() for entry in triggers["schedule"]]
    assert any(fields[2] == "1" and fields[3] == "*" for fields in crons), crons  # day 1 of every month
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(re.search(r"pip install \.(\s|$)", run) for run in runs)
    assert "cchc-site check --format github" in runs


def test_check_reuses_the_build_cache_without_going_stale(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03")}, end="2021-09",
                     waivers={"2021-09": REASON})
    assert run_cli("check", "--site", site, "--as-of", "2021-10-01").code == 0
    assert (site / ".cchc-cache").is_dir()  # check keeps parsed files for the next check or build
    assert run_cli("build", "--site", site, "--as-of", "2021-10-01").code == 0
    # Move post B to September after the build: the cached parse must not be used for it.
    (site / "content/posts/b.md").write_text(post("B đã sửa ngày", "2021-09-15 10:30"), encoding="utf-8")
    code, data = check_json("--site", site, "--as-of", "2021-10-01")
    assert code == 1
    assert [(m["month"], m["count"], m["status"]) for m in data["months"]] == [
        ("2021-08", 1, "short"), ("2021-09", 1, "waived")]
    assert data["months"][1]["posts"][0]["title"] == "B đã sửa ngày"


def test_quota_gate_applies_even_when_no_content_changed(tmp_path: Path) -> None:
    # Only the date moves on: an unchanged-input short-cut must not skip the gate.
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20"),
                                "c": post("C", "2021-09-03")})
    assert run_cli("build", "--site", site, "--as-of", "2021-09-10").code == 0
    before = snapshot(site / "output")
    again = run_cli("build", "--site", site, "--as-of", "2021-10-01")
    assert again.code == 1
    assert "Tháng 09/2021: 1/2 bài — thiếu 1 bài" in again.err.splitlines()
    assert snapshot(site / "output") == before


def test_files_touched_but_unchanged_come_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone with a restored cache (CI) has new modification times and the same bytes."""
    import os
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import cchc_site.sources as sources
    from cchc_site.check import run_check

    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-03")})
    now = datetime(2021, 9, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    first = run_check(site, now)
    parsed: list[str] = []
    real = sources.parse_all

    def spy(site_dir, entries, *args):  # type: ignore[no-untyped-def]
        parsed.extend(e.path for e in entries)
        return real(site_dir, entries, *args)

    monkeypatch.setattr(sources, "parse_all", spy)
    files = sorted((site / "content" / "posts").glob("*.md"))
    for number, path in enumerate(files):
        os.utime(path, ns=(2_000_000_000 + number, 2_000_000_000 + number))
    again = run_check(site, now)
    assert parsed == []
    def seen(outcome):  # type: ignore[no-untyped-def]  # (the cache keeps posts without their Markdown body)
        return [(m.month, m.count, m.status, [(p.path, p.title, p.date, p.digest) for p in m.posts])
                for m in outcome.quota.months]

    assert seen(again) == seen(first)
    files[1].write_text(post("B mới", "2021-08-04"), encoding="utf-8")
    os.utime(files[1], ns=(2_000_000_001, 2_000_000_001))  # same time as before: the size decides
    changed = run_check(site, now)
    assert parsed == ["content/posts/b.md"]
    assert {p.title for m in changed.quota.months for p in m.posts} == {"A", "B mới"}


def test_a_build_stopped_by_the_quota_points_at_the_quota_line_and_carries_its_report(tmp_path: Path) -> None:
    """E060 from a build names site.yaml and the line of ``quota:`` (like check); the report
    printed with it is the one the build enforced (no second reading of the site)."""
    from cchc_site.build import build_site
    from cchc_site.errors import BuildFailed
    from cchc_site.options import BuildOptions
    from cchc_site.quota import QuotaReport
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20"),
                                "c": post("C", "2021-09-03")})
    lines = (site / "site.yaml").read_text(encoding="utf-8").split("\n")
    line = 1 + next(i for i, text in enumerate(lines) if text.startswith("quota:"))
    with pytest.raises(BuildFailed) as failed:
        build_site(site, site / "output", BuildOptions(now=datetime(2021, 10, 5, 12, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))))
    shortfalls = [e for e in failed.value.errors if e.code == "E060"]
    assert shortfalls and all(e.path.endswith("site.yaml") and e.line == line > 0 for e in shortfalls)
    assert isinstance(failed.value.quota, QuotaReport)
    assert [m.key for m in failed.value.quota.short_months] == ["2021-09"]


def test_a_check_answered_from_the_last_one_loads_no_code_that_reads_documents(tmp_path: Path) -> None:
    """Like a build with nothing to do: run as authors run it (a new process), a check of the same
    files answers from what the last check found (quota report included) and loads none of the
    code that parses documents; after an edit it does, and the report changes."""
    from sitekit import HEAVY_MODULES, modules_loaded

    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20")})
    args = ("check", "--site", site, "--as-of", "2021-09-03")
    first, _ = modules_loaded(*args)
    again, loaded = modules_loaded(*args)
    assert (again.code, again.out) == (first.code, first.out) and "08/2021" in first.out
    assert loaded & HEAVY_MODULES == set()
    (site / "content/posts/a.md").unlink()
    edited, loaded = modules_loaded(*args)
    assert edited.out != first.out and {"cchc_site.sources", "cchc_site.site"} <= loaded


def test_a_check_of_unchanged_files_answers_from_what_the_last_check_found(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a build with nothing to do: the same files, later the same day, give what the last
    check found without reading a document; whatever can change the outcome makes it look again
    (each outcome is compared with a check that keeps nothing)."""
    import cchc_site.check as check
    import cchc_site.checkfacts as checkfacts

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20", image="/static/anh.jpg"),
                                "c": post("C", "2021-09-03 10:00")})
    looked: list[datetime] = []
    real = checkfacts.check_facts  # (run_check imports it when it judges the documents)

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        looked.append(now)
        return real(*args, **kwargs)

    monkeypatch.setattr(checkfacts, "check_facts", spy)

    def outcome(strict: bool = False) -> check.CheckOutcome:
        found = check.run_check(site, now, strict)
        monkeypatch.setattr(checkfacts, "check_facts", real)
        fresh = check.run_check(site, now, strict, use_cache=False)
        monkeypatch.setattr(checkfacts, "check_facts", spy)
        assert found == fresh
        return found

    def looks_again(strict: bool = False) -> check.CheckOutcome:
        count = len(looked)
        found = outcome(strict)
        assert len(looked) == count + 1, now
        return found

    def answers_at_once(strict: bool = False) -> check.CheckOutcome:
        count = len(looked)
        found = outcome(strict)
        assert len(looked) == count, now
        return found

    now = datetime(2021, 9, 3, 8, 0, tzinfo=tz)
    first = looks_again()
    assert first.quota is not None and first.quota.months[-1].count == 0  # C is not out yet
    assert any(p.path == "content/posts/b.md" for p in first.problems)  # the image is missing
    assert answers_at_once() == first
    now = datetime(2021, 9, 3, 9, 30, tzinfo=tz)
    later = answers_at_once()
    assert later.quota is not None and later.quota.as_of == now and later.problems == first.problems
    now = datetime(2021, 9, 3, 10, 0, tzinfo=tz)  # C is out: it counts
    assert looks_again().quota.months[-1].count == 1  # type: ignore[union-attr]
    now = datetime(2021, 9, 3, 7, 0, tzinfo=tz)  # earlier than what was kept
    looks_again()
    now = datetime(2021, 9, 4, 7, 0, tzinfo=tz)  # another day: the days left change
    looks_again()
    answers_at_once()
    looks_again(strict=True)
    answers_at_once(strict=True)
    answers_at_once()

    (site / "content/static").mkdir(parents=True)
    (site / "content/static/anh.jpg").write_bytes(b"\xff\xd8\xff")
    assert not any(p.path == "content/posts/b.md" for p in looks_again().problems)
    (site / "content/data").mkdir(parents=True)
    (site / "content/data/chi-so.yaml").write_text('entries:\n  - year: "hai nghìn"\n    index: "PCI"\n', encoding="utf-8")
    assert any(p.path.startswith("content/data/") for p in looks_again().problems)
    (site / "content/posts/a.md").write_text(post("A", "2021-08-02", body="Sửa."), encoding="utf-8")
    looks_again()
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("min_posts: 2", "min_posts: 3"), encoding="utf-8")
    assert looks_again().quota.min_posts == 3  # type: ignore[union-attr]
    answers_at_once()


def test_on_a_fresh_clone_with_the_cache_kept_check_finds_its_last_outcome_by_content(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """CI restores .cchc-cache/ onto a fresh clone, where every file has a new time: the files are
    hashed once, and the outcome kept for the same content is the answer (no document read); a
    check with no such outcome kept hashes nothing ahead (a first check stays as quick)."""
    import os

    import cchc_site.check as check
    import cchc_site.checkfacts as checkfacts
    import cchc_site.sources as sources

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    site = site_with(tmp_path, {"a": post("A", "2021-08-02"), "b": post("B", "2021-08-20", image="/static/x.jpg"),
                                "c": post("C", "2021-09-01")})
    now = datetime(2021, 9, 3, 8, 0, tzinfo=tz)
    hashed: list[list[str]] = []
    looked: list[int] = []
    real_hash, real_judge = sources.hash_files, checkfacts.check_facts
    monkeypatch.setattr(sources, "hash_files", lambda folder, paths: hashed.append(list(paths)) or real_hash(folder, paths))
    monkeypatch.setattr(checkfacts, "check_facts", lambda *a, **k: looked.append(1) or real_judge(*a, **k))

    def truth() -> check.CheckOutcome:
        with monkeypatch.context() as m:
            m.setattr(checkfacts, "check_facts", real_judge)
            return check.run_check(site, now, use_cache=False)

    def fresh_clone(seconds: int) -> None:
        for path in site.rglob("*"):
            if path.is_file() and ".cchc-cache" not in path.parts:
                os.utime(path, ns=(seconds * 10**9, seconds * 10**9))

    first = check.run_check(site, now)
    assert (hashed, len(looked)) == ([], 1)
    fresh_clone(2_000_000_000)
    again = check.run_check(site, now)
    assert len(looked) == 1 and again == first == truth()
    assert sorted(hashed[-1]) == [f"content/posts/{n}.md" for n in "abc"]
    count = len(hashed)
    assert check.run_check(site, now) == first and len(hashed) == count and len(looked) == 1  # by stamps now

    fresh_clone(2_100_000_000)
    (site / "content/posts/c.md").write_text(post("C mới", "2021-09-02"), encoding="utf-8")
    os.utime(site / "content/posts/c.md", ns=(2_100_000_000 * 10**9,) * 2)
    changed = check.run_check(site, now)
    assert len(looked) == 2 and changed == truth() and changed != first
    assert len(hashed) == count + 1  # hashed once: the parse reused those hashes
    fresh_clone(2_200_000_000)
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").replace("min_posts: 2", "min_posts: 3"),
                                    encoding="utf-8")
    stricter = check.run_check(site, now)
    assert len(looked) == 3 and stricter == truth() and stricter.quota.min_posts == 3  # type: ignore[union-attr]
