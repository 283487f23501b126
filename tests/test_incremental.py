"""Incremental builds give exactly the output of a full build (issue 6), after every kind of change."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from sitekit import post, run_cli, write_site

CONFIG = """\
title: "CCHC thử"
organization: "Sở Thử"
base_url: "https://example.gov.vn/cchc/"
posts_per_page: 3
categories:
  - name: "Hoạt động"
    slug: hoat-dong
  - name: "Văn bản"
    slug: van-ban
"""


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes (hidden marker included)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def empty_dirs(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]


def make_site(root: Path) -> Path:
    files = {}
    for month in range(1, 5):
        for day in (3, 17):
            files[f"content/posts/2021/{month:02d}/bai-{month}-{day}.md"] = post(
                f"Bài {day}/{month} về cải cách hành chính", f"{day:02d}/{month:02d}/2021",
                f"Nội dung **tháng {month}**, ngày {day}.\n\n## Mục {day}\n\nThêm chữ."
                + ("\n\nXem [trang giới thiệu](/gioi-thieu/)." if month == 1 else ""),  # base path in the HTML
                category="Hoạt động" if day == 3 else "Văn bản", tags=["Một cửa", f"Tháng {month}"])
    files["content/pages/gioi-thieu.md"] = "---\ntitle: Giới thiệu\n---\n\nTrang giới thiệu.\n"
    files["templates/_footer_contact.html"] = "<p>Chân trang A của Sở</p>\n"  # edited in place below
    return write_site(root, files, CONFIG)


def build(site: Path, output: Path, *extra: str) -> None:
    result = run_cli("build", "--site", site, "--output", output, "--as-of", "2021-12-31", *extra)
    assert result.code == 0, result.err


def assert_same_as_full(site: Path, tmp: Path) -> None:
    """The incremental output equals a build made from nothing: a copy of the site without its
    cache (so that nothing stale in the cache can be on both sides), and ``--clean`` in the site."""
    fresh = tmp / "fresh-site"
    for folder in (fresh, tmp / "full-output"):
        if folder.exists():
            shutil.rmtree(folder)
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
    build(fresh, fresh / "output")
    assert tree(site / "output") == tree(fresh / "output")
    assert empty_dirs(site / "output") == []
    build(site, tmp / "full-output", "--clean")
    assert tree(tmp / "full-output") == tree(fresh / "output")
    # the --clean build threw the cache away: the next normal build starts over and agrees too
    build(site, site / "output")
    assert tree(site / "output") == tree(fresh / "output")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new stamp even on coarse clocks


CHANGES = {
    "post edited": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "Thêm chữ.", "Đoạn đã sửa."),
    "title edited": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "Bài 3/2", "Bài đổi tên 3/2"),
    "post added": lambda s: (s / "content/posts/2021/04/moi.md").write_text(
        post("Bài mới", "20/04/2021", "Mới."), encoding="utf-8"),
    "post deleted": lambda s: (s / "content/posts/2021/03/bai-3-17.md").unlink(),
    "post renamed": lambda s: (s / "content/posts/2021/03/bai-3-17.md").rename(s / "content/posts/2021/03/ten-moi.md"),
    "moved to another month": lambda s: edit(s / "content/posts/2021/01/bai-1-3.md", "03/01/2021", "03/04/2021"),
    "moved to another category": lambda s: edit(s / "content/posts/2021/01/bai-1-3.md", '"Hoạt động"', '"Văn bản"'),
    "made a draft": lambda s: edit(s / "content/posts/2021/01/bai-1-17.md", "---\n\n", "draft: true\n---\n\n"),
    # the menu on every page lists the pages
    "page added": lambda s: (s / "content/pages/lien-he.md").write_text(
        "---\ntitle: Liên hệ\n---\n\nĐịa chỉ.\n", encoding="utf-8"),
    "page title edited": lambda s: edit(s / "content/pages/gioi-thieu.md", "title: Giới thiệu", "title: Về chuyên mục"),
    "page deleted": lambda s: (s / "content/pages/gioi-thieu.md").unlink() or [edit(
        s / f"content/posts/2021/01/bai-1-{day}.md", "\n\nXem [trang giới thiệu](/gioi-thieu/).", "") for day in (3, 17)],
    # the same name and size: only the compiled template's source check can tell
    "template edited": lambda s: edit(s / "templates/_footer_contact.html", "trang A", "trang B"),
    "template added": lambda s: (s / "templates/404.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Không có trang này (mẫu riêng)</h1>{% endblock %}\n',
        encoding="utf-8"),
    "site.yaml edited": lambda s: edit(s / "site.yaml", "posts_per_page: 3", "posts_per_page: 2"),
    "base_url edited": lambda s: edit(s / "site.yaml", "https://example.gov.vn/cchc/", "https://example.gov.vn/"),
    "static file added": lambda s: (s / "content/static").mkdir(parents=True, exist_ok=True) or (
        s / "content/static/a.txt").write_text("tệp", encoding="utf-8"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_equals_full_build(tmp_path: Path, change: str) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    before = tree(site / "output")
    CHANGES[change](site)
    build(site, site / "output")
    assert tree(site / "output") != before  # the change is visible in the output
    assert_same_as_full(site, tmp_path)


def test_two_changes_in_a_row_use_the_spare_and_stay_exact(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    for name in ("post edited", "post added", "title edited", "post deleted"):
        CHANGES[name](site)
        build(site, site / "output")
    assert (site / ".output.cchc-spare").is_dir()  # the previous output, kept to update next time
    assert_same_as_full(site, tmp_path)


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    stamps = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    result = run_cli("build", "--site", site, "--as-of", "2021-12-31")
    assert result.code == 0
    assert "Không có thay đổi" in result.out
    assert {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()} == stamps


def test_a_build_with_nothing_to_do_loads_no_code_of_parsing_or_rendering(tmp_path: Path) -> None:
    """A no-change build is a program that starts, compares stamps and stops: importing the code
    that parses, plans and renders was a quarter of its time.  Run as authors run it (a new
    process), it loads none of that; a build with an edit does."""
    from sitekit import CONFIG_MODULES, HEAVY_MODULES, modules_loaded

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    args = ("build", "--site", site, "--as-of", "2021-12-31")
    result, loaded = modules_loaded(*args)
    assert result.code == 0 and "Không có thay đổi" in result.out, result.err
    assert loaded & (HEAVY_MODULES | CONFIG_MODULES) == set()  # (the first build remembered the timezone)
    CHANGES["post edited"](site)
    result, loaded = modules_loaded(*args)
    assert result.code == 0 and "Không có thay đổi" not in result.out, result.err
    assert HEAVY_MODULES - {"markdown"} <= loaded  # (the edit is a simple body: no Python-Markdown)


def test_the_timezone_remembered_serves_only_the_site_yaml_it_was_read_from(tmp_path: Path) -> None:
    """The command line takes "now" in the site's timezone before anything else; it reads
    site.yaml for it only when no timezone is remembered for the file's present bytes, so a
    site.yaml changed or broken since is always read (and its problems reported)."""
    from cchc_site.stamps import config_tag, remembered_timezone

    def remembered(site: Path) -> str | None:
        return remembered_timezone(site, config_tag(site))

    site = make_site(tmp_path / "site")
    assert remembered(site) is None
    build(site, site / "output")
    assert remembered(site) == "Asia/Ho_Chi_Minh"
    config = site / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "timezone: Asia/Bangkok\n", encoding="utf-8")
    assert remembered(site) is None  # other bytes: read again
    build(site, site / "output")
    assert remembered(site) == "Asia/Bangkok"
    config.write_text(text + "timezone: Sao/Hoa\n", encoding="utf-8")
    for command in ("build", "check"):
        result = run_cli(command, "--site", site, "--as-of", "2021-12-31")
        assert result.code == 1 and "site.yaml:" in result.err + result.out and "E042" in result.err + result.out
    assert remembered(site) is None  # a broken site.yaml is never remembered
    config.write_text(text + "timezone: Asia/Bangkok\n", encoding="utf-8")
    os.utime(config, ns=(1, 1))  # the same bytes as before, another time: still known
    assert remembered(site) == "Asia/Bangkok"


@pytest.mark.parametrize("saved", ["before it is parsed", "after it is parsed"])
def test_a_site_yaml_saved_while_it_is_read_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              saved: str) -> None:
    """The timezone is remembered only for the bytes site.yaml had when it was parsed: saved again
    meanwhile (another timezone), whether just before or just after the parse, nothing is
    remembered for either version, and the next command reads it."""
    import cchc_site.config as config_module
    from cchc_site.stamps import config_tag, remembered_timezone

    site = make_site(tmp_path / "site")
    config = site / "site.yaml"
    first = config.read_text(encoding="utf-8")
    assert "timezone" not in first  # (the default: Asia/Ho_Chi_Minh)
    second = first + "timezone: Asia/Bangkok\n"
    real = config_module.load_config

    def saved_meanwhile(site_dir: Path) -> object:
        once = "timezone" not in config.read_text(encoding="utf-8")  # (saved at the first read only)
        if once and saved == "before it is parsed":
            config.write_text(second, encoding="utf-8")
        found = real(site_dir)
        if once and saved == "after it is parsed":
            config.write_text(second, encoding="utf-8")
        return found

    monkeypatch.setattr(config_module, "load_config", saved_meanwhile)
    result = run_cli("check", "--site", site, "--as-of", "2021-12-31")
    assert result.code in (0, 1) and "Traceback" not in result.err
    monkeypatch.setattr(config_module, "load_config", real)
    assert remembered_timezone(site, config_tag(site)) is None
    config.write_text(first, encoding="utf-8")
    assert remembered_timezone(site, config_tag(site)) is None
    build(site, site / "output")
    assert remembered_timezone(site, config_tag(site)) == "Asia/Ho_Chi_Minh"


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    cache_file = site / ".cchc-cache" / "cache.sqlite"
    assert cache_file.exists()
    cache_file.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(cache_file) + suffix).unlink(missing_ok=True)
    CHANGES["post edited"](site)
    build(site, site / "output")
    assert_same_as_full(site, tmp_path)


def test_the_cache_folder_is_ignored_by_git_and_tagged_as_a_cache(tmp_path: Path) -> None:
    """A department's site may be a repository without our .gitignore: the cache says itself that
    git should ignore it (like .pytest_cache); a folder named by the caller that exists is left alone."""
    import subprocess

    from cchc_site.cache import FOLDER_TAGS
    from cchc_site.stamps import open_cache

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    cache = site / ".cchc-cache"
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    (cache / ".gitignore").unlink()
    run_cli("check", "--site", site, "--as-of", "2021-12-31")  # check uses the same cache
    assert (cache / ".gitignore").read_text(encoding="utf-8") == FOLDER_TAGS[".gitignore"]
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(site)], check=True)
        ignored = subprocess.run(["git", "-C", str(site), "check-ignore", "-q", ".cchc-cache/cache.sqlite"])
        assert ignored.returncode == 0
        shown = subprocess.run(["git", "-C", str(site), "status", "--porcelain", "--untracked-files=all"],
                               capture_output=True, text=True, check=True).stdout
        assert ".cchc-cache" not in shown and "content/" in shown
    mine = tmp_path / "mine"
    mine.mkdir()
    open_cache(site, mine, clean=False).close()
    assert sorted(p.name for p in mine.iterdir()) == ["cache.sqlite"]
    open_cache(site, tmp_path / "new-folder", clean=False).close()
    assert (tmp_path / "new-folder" / ".gitignore").is_file()


def test_a_new_cache_has_large_pages_and_an_old_one_keeps_working(tmp_path: Path) -> None:
    """A new cache file gets 16 KiB pages (rows of HTML fit in them); a cache made with SQLite's
    default 4 KiB pages (an earlier version) is still used as it is, not rebuilt or broken."""
    import sqlite3

    from cchc_site.cache import PAGE_SIZE, Cache

    new = tmp_path / "new.sqlite"
    Cache(new).close()
    with sqlite3.connect(new) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 16384
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as db:
        db.execute("PRAGMA page_size=4096")
        db.execute("CREATE TABLE t (x)")
    cache = Cache(old)
    cache.put_record("k", {"a": 1}, "tag")
    assert cache.record("k", "tag") == {"a": 1}
    cache.close()
    with sqlite3.connect(old) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == 4096


def test_hand_deleted_output_file_comes_back(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    victim = site / "output" / "gioi-thieu" / "index.html"  # a page the edit below does not change
    victim.unlink()
    CHANGES["post edited"](site)  # any change makes the build look at the output again
    build(site, site / "output")
    assert victim.is_file()
    assert_same_as_full(site, tmp_path)


def test_a_build_stopped_while_changing_the_spare_leaves_nothing_behind(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_site.wholebuild as build_module

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    CHANGES["post edited"](site)
    build(site, site / "output")  # now the previous output is kept as the spare
    added = site / "content/posts/2021/04/moi.md"
    added.write_text(post("Bài mới", "20/04/2021", "Mới.", tags=["Thẻ lạ"]), encoding="utf-8")
    real = build_module.render_all

    def stopped(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)  # the new pages are written into the spare, then the build dies
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "render_all", stopped)
    try:
        stopped_run = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
        assert stopped_run.code != 0
    except KeyboardInterrupt:
        pass
    monkeypatch.setattr(build_module, "render_all", real)
    added.unlink()
    CHANGES["title edited"](site)
    build(site, site / "output")
    assert not [rel for rel in tree(site / "output") if "moi" in rel or "the-la" in rel]
    assert_same_as_full(site, tmp_path)


def test_markdown_the_cache_could_not_store_is_still_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cchc_site.cache import Cache

    files = {f"content/posts/2021/01/b{i}.md": post(f"Bài {i}", "03/01/2021", f"Nội dung RIÊNG{i} ở đây.")
             for i in range(100)}
    site = write_site(tmp_path / "site", files, CONFIG)
    real = Cache.put_markdown
    calls: list[int] = []

    def full_disk_once(self: Cache, rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) == 1:  # e.g. the disk was full when the Markdown converted while parsing was stored
            self.db = None
            return False
        return real(self, rows)

    monkeypatch.setattr(Cache, "put_markdown", full_disk_once)
    build(site, site / "output")
    assert sum(calls) == 100  # each converted once, where it was parsed, and kept in memory
    for i in range(100):
        page = (site / "output" / f"tin-tuc/2021/01/b{i}/index.html").read_text(encoding="utf-8")
        assert f"<p>Nội dung RIÊNG{i} ở đây.</p>" in page, i


def test_a_search_index_file_deleted_by_hand_comes_back(tmp_path: Path) -> None:
    files = {f"content/posts/2021/01/b{i:02d}.md": post(f"Bài {i}", f"{i % 28 + 1:02d}/01/2021", f"Nội dung {i}.")
             for i in range(40)}
    site = write_site(tmp_path / "site", files, CONFIG)
    build(site, site / "output")
    victim = site / "output/tim-kiem/chi-muc/d/0.json"
    victim.unlink()
    edit(site / "content/posts/2021/01/b27.md", "Nội dung 27.", "Nội dung sửa.")  # an edit that patches the index
    build(site, site / "output")
    assert victim.is_file()
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("change", ["moved to another month", "a tag new to the site", "slug given"])
def test_the_search_index_patched_in_a_forked_process_equals_a_full_build(tmp_path: Path, change: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Large sites patch the index in the background while pages are planned (here: every site).
    (Changes the whole build handles: a body or title edit patches the index in the quick build.)"""
    import cchc_site.searchfiles as searchfiles

    monkeypatch.setattr(searchfiles, "BACKGROUND_PATCH", 0)
    ran_in = tmp_path / "patched-in"
    real = searchfiles.search_patch

    def spied(*args: object) -> object:
        work = real(*args)  # type: ignore[arg-type]
        if work is None:
            return None

        def noted() -> object:
            ran_in.write_text(str(os.getpid()), encoding="utf-8")
            return work()
        return noted

    monkeypatch.setattr(searchfiles, "search_patch", spied)
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    (MOVES.get(change) or CHANGES[change])(site)
    build(site, site / "output")
    assert ran_in.is_file(), "the index was not patched"
    assert int(ran_in.read_text(encoding="utf-8")) != os.getpid()  # in a forked process
    assert_same_as_full(site, tmp_path)


def test_a_patch_that_fails_in_its_process_makes_the_whole_index(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_site.searchfiles as searchfiles

    def broken(*args: object) -> None:
        raise MemoryError("no memory left in the forked process")

    monkeypatch.setattr(searchfiles, "BACKGROUND_PATCH", 0)
    monkeypatch.setattr(searchfiles, "_patched", broken)
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    CHANGES["moved to another month"](site)
    build(site, site / "output")
    monkeypatch.undo()
    assert_same_as_full(site, tmp_path)


def test_a_search_file_changed_by_hand_makes_the_whole_index_again(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_site.searchfiles as searchfiles

    monkeypatch.setattr(searchfiles, "BACKGROUND_PATCH", 0)  # the patch fails in the forked process
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    shards = sorted((site / "output/tim-kiem/chi-muc/t").glob("*.json"))
    assert shards
    for shard in shards:
        shard.write_bytes(shard.read_bytes() + b" ")
    CHANGES["moved to another month"](site)
    build(site, site / "output")
    assert_same_as_full(site, tmp_path)


# --- the quick path: only post bodies changed ---------------------------------------------------

@pytest.fixture
def whole_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds that planned the whole site (the quick path did not apply)."""
    import cchc_site.wholebuild as build_module

    real = build_module.whole_build
    calls: list[int] = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "whole_build", counted)
    return calls


def test_a_body_edit_rebuilds_only_that_post_and_equals_a_full_build(tmp_path: Path, whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    assert len(whole_builds) == 1
    page = site / "output/tin-tuc/2021/02/bai-2-3/index.html"
    listing = (site / "output/index.html").read_bytes()
    CHANGES["post edited"](site)  # the last paragraph: the summary in lists stays the same
    edit(site / "content/posts/2021/03/bai-3-17.md", "Thêm chữ.", "Chữ mới về **một cửa liên thông**.")
    build(site, site / "output")
    assert len(whole_builds) == 1  # no second whole build
    assert "Đoạn đã sửa." in page.read_text(encoding="utf-8")
    assert "một cửa liên thông" in (site / "output/tin-tuc/2021/03/bai-3-17/index.html").read_text(encoding="utf-8")
    assert (site / "output/index.html").read_bytes() == listing
    assert_same_as_full(site, tmp_path)


def posts_of(site: Path, *names: str) -> list[Path]:
    return [site / f"content/posts/2021/{name.split('-')[1].zfill(2)}/{name}.md" for name in names]


MOVES = {
    "slug given": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "---\n\n", "slug: ten-khac\n---\n\n"),
    # a list that would appear or empty
    "a tag new to the site": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "'Tháng 2'", "'Tháng 9'"),
    "a tag's list emptied": lambda s: [edit(p, "'Tháng 2'", "'Tháng 3'") for p in posts_of(s, "bai-2-3", "bai-2-17")],
    # a tag is named as on its newest post: the heading of its list and the list of tags change
    "a tag spelled otherwise on its newest post": lambda s: edit(
        s / "content/posts/2021/04/bai-4-17.md", "'Một cửa'", "'MỘT CỬA'"),
}


def new_post(name: str, date: str, **extra: object):  # type: ignore[no-untyped-def]
    month = date.split("/")[1]

    def add(site: Path) -> None:
        (site / f"content/posts/2021/{month}").mkdir(exist_ok=True)
        (site / f"content/posts/2021/{month}/{name}.md").write_text(
            post(f"Bài {name}", date, f"Nội dung bài {name}.", **extra), encoding="utf-8")
    return add


WHOLE_REORDERS = {  # a post takes a new place, but what only the whole build plans changes with it
    "a new post in a month with no posts": new_post("moi", "05/05/2021", category="Hoạt động"),
    "a new post with a tag new to the site": new_post("moi", "05/04/2021", tags=["Thẻ mới"]),
    "a new post dated after today": new_post("moi", "30/12/2021"),
    "a new draft": new_post("moi", "05/04/2021", draft=True),
    # a tag is named as on its newest post
    "a new newest post spelling a tag otherwise": new_post("moi", "30/04/2021", tags=["MỘT CỬA"]),
    "a date moved after today": lambda s: edit(s / "content/posts/2021/04/bai-4-17.md", "17/04/2021", "31/12/2099"),
    "a month's posts deleted": lambda s: [p.unlink() for p in posts_of(s, "bai-3-3", "bai-3-17")],
}


@pytest.mark.parametrize("change", ["moved to another month", "made a draft", *MOVES, *WHOLE_REORDERS])
def test_changes_that_move_a_post_take_the_whole_build(tmp_path: Path, whole_builds: list[int], change: str) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    (MOVES.get(change) or WHOLE_REORDERS.get(change) or CHANGES[change])(site)
    build(site, site / "output")
    assert len(whole_builds) == 2
    assert_same_as_full(site, tmp_path)


def redate(name: str, old: str, new: str):  # type: ignore[no-untyped-def]
    return lambda s: edit(s / f"content/posts/2021/{old.split('/')[1]}/{name}.md", old, new)


QUICK_REORDERS = {  # change: (the edit, a page that changes)
    "post added": (CHANGES["post added"], "tin-tuc/2021/04/bai-4-17/index.html"),
    "the newest post added": (new_post("moi", "30/04/2021", category="Văn bản", tags=["Tháng 1"]),
                              "the/thang-1/index.html"),
    "the oldest post added": (new_post("moi", "01/01/2021", category="Hoạt động"), "tin-tuc/2021/01/bai-1-3/index.html"),
    "two posts added: the home list gets a page": (
        lambda s: (new_post("moi", "10/02/2021")(s), new_post("moi-2", "11/03/2021", tags=["Một cửa"])(s)),
        "trang/4/index.html"),
    "a date moved within its month": (redate("bai-2-3", "03/02/2021", "20/02/2021"), "tin-tuc/2021/02/index.html"),
    "the newest post made older": (redate("bai-4-17", "17/04/2021", "02/04/2021"), "tin-tuc/2021/04/bai-4-3/index.html"),
    "an older post made the newest": (redate("bai-4-3", "03/04/2021", "28/04/2021"), "index.html"),
    "two posts swap dates": (lambda s: (redate("bai-3-3", "03/03/2021", "17/03/2021 08:00")(s),
                                        redate("bai-3-17", "17/03/2021", "03/03/2021")(s)), "tin-tuc/2021/03/index.html"),
    "a date moved, a category and a title changed": (lambda s: (
        redate("bai-2-3", "03/02/2021", "27/02/2021")(s),
        edit(s / "content/posts/2021/02/bai-2-3.md", '"Hoạt động"', '"Văn bản"'),
        edit(s / "content/posts/2021/02/bai-2-3.md", "Bài 3/2", "Bài chuyển 3/2")), "chuyen-muc/van-ban/index.html"),
    "post deleted": (CHANGES["post deleted"], "tin-tuc/2021/03/index.html"),
    "post renamed": (CHANGES["post renamed"], "tin-tuc/2021/03/ten-moi/index.html"),
    "the newest post deleted": (lambda s: (s / "content/posts/2021/04/bai-4-17.md").unlink(), "index.html"),
    "two posts deleted, one added": (lambda s: ([p.unlink() for p in posts_of(s, "bai-1-3", "bai-2-17")],
                                                new_post("moi", "09/04/2021")(s)), "trang/2/index.html"),
    "a post added and another edited": (lambda s: (new_post("moi", "12/01/2021")(s), CHANGES["title edited"](s)),
                                        "tin-tuc/2021/01/index.html"),
}


def make_draft(path: Path) -> None:
    edit(path, "---\n\n", "draft: true\n---\n\n")


PREVIEW_REORDERS = {  # in a build that shows drafts and future posts (as `serve` does): (before the first build, change)
    "a new draft": (None, new_post("moi", "05/04/2021", draft=True)),
    "a draft made public": (lambda s: make_draft(s / "content/posts/2021/02/bai-2-3.md"),
                            lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "draft: true\n", "")),
    "the newest published post made a draft": (None, lambda s: make_draft(s / "content/posts/2021/04/bai-4-17.md")),
    "a date moved within its month": (None, QUICK_REORDERS["a date moved within its month"][0]),
    "post deleted": (None, CHANGES["post deleted"]),
}


@pytest.mark.parametrize("change", sorted(PREVIEW_REORDERS))
def test_a_reorder_where_drafts_and_future_posts_show_is_planned_again_alone(tmp_path: Path, whole_builds: list[int],
                                                                             change: str) -> None:
    """The feed then holds the newest published posts, not the first places (the preview of
    `serve` shows drafts and future posts)."""
    site = make_site(tmp_path / "site")
    new_post("tuong-lai", "05/01/2022")(site)  # a future post, first in the order
    flags = ("--drafts", "--future")
    setup, change_it = PREVIEW_REORDERS[change]
    if setup is not None:
        setup(site)
    build(site, site / "output", *flags)
    calls = len(whole_builds)
    change_it(site)
    build(site, site / "output", *flags)
    assert len(whole_builds) == calls  # the quick path
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
    build(fresh, fresh / "output", *flags)
    assert tree(site / "output") == tree(fresh / "output")


def test_reorders_in_a_row_keep_the_lists_of_the_last_one(tmp_path: Path, whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    steps = ["post added", "a date moved within its month", "the newest post added", "an older post made the newest",
             "two posts added: the home list gets a page"]
    for step in steps:
        QUICK_REORDERS[step][0](site)
        build(site, site / "output")
    assert len(whole_builds) == 1
    assert_same_as_full(site, tmp_path)


def test_deleting_a_post_another_links_to_fails_as_the_whole_build_does(tmp_path: Path,
                                                                        whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    edit(site / "content/posts/2021/04/bai-4-17.md", "Thêm chữ.", "Xem [bài](/tin-tuc/2021/03/bai-3-17/).")
    build(site, site / "output")
    before = tree(site / "output")
    CHANGES["post deleted"](site)  # bai-3-17
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert result.code != 0 and "E016" in result.err and "/tin-tuc/2021/03/bai-3-17/" in result.err
    assert len(whole_builds) == 2
    assert tree(site / "output") == before


@pytest.mark.parametrize("other", ["published", "draft"])
def test_a_new_post_on_the_url_of_another_fails_as_the_whole_build_does(tmp_path: Path, whole_builds: list[int],
                                                                         other: str) -> None:
    """Also when that post is a draft (its URL is in no page of the output)."""
    site = make_site(tmp_path / "site")
    if other == "draft":
        CHANGES["made a draft"](site)  # bai-1-17
    build(site, site / "output")
    before = tree(site / "output")
    new_post("khac", "05/04/2021" if other == "published" else "05/01/2021",
             slug="bai-4-17" if other == "published" else "bai-1-17")(site)
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert result.code != 0 and "E010" in result.err
    assert len(whole_builds) == 2
    assert tree(site / "output") == before


QUOTA = """quota:
  start: "2021-01"
  min_posts: 2
"""


@pytest.mark.parametrize("change", ["post added", "a date moved within its month", "the newest post added"])
def test_a_reorder_counts_the_quota_again(tmp_path: Path, whole_builds: list[int], change: str) -> None:
    """The statistics page counts the posts placed (the same as a build from nothing)."""
    site = make_site(tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8") + QUOTA, encoding="utf-8")
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    before = (site / "output/thong-ke/index.html").read_bytes()
    QUICK_REORDERS[change][0](site)
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    assert len(whole_builds) == 1
    statistics = (site / "output/thong-ke/index.html").read_bytes()
    assert (statistics != before) == change.endswith("added")
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
    result = run_cli("build", "--site", fresh, "--output", fresh / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    assert tree(site / "output") == tree(fresh / "output")


QUICK_MOVES = {  # change: (the edit, a page that changes)
    "tags edited": (lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "'Tháng 2'", "'Tháng 3'"),
                    "the/thang-3/index.html"),
    # 4 + 4 posts, 3 a page: "Hoạt động" loses its second page
    "moved to another category": (CHANGES["moved to another category"], "chuyen-muc/van-ban/trang/2/index.html"),
    "a tag's list gets a second page": (
        lambda s: [edit(p, "'Tháng 1'", "'Tháng 1', 'Tháng 2'") for p in posts_of(s, "bai-1-3", "bai-1-17")],
        "the/thang-2/trang/2/index.html"),
    "categories swapped": (lambda s: (edit(s / "content/posts/2021/01/bai-1-3.md", '"Hoạt động"', '"Văn bản"'),
                                      edit(s / "content/posts/2021/01/bai-1-17.md", '"Văn bản"', '"Hoạt động"')),
                           "chuyen-muc/hoat-dong/trang/2/index.html"),
    "the newest post joins an older tag": (
        lambda s: edit(s / "content/posts/2021/04/bai-4-17.md", "'Tháng 4'", "'Tháng 4', 'Tháng 1'"),
        "the/thang-1/index.html"),
    "a tag spelled otherwise on an older post": (
        lambda s: edit(s / "content/posts/2021/01/bai-1-3.md", "'Một cửa'", "'MỘT CỬA'"),
        "tin-tuc/2021/01/bai-1-3/index.html"),
    "a tag dropped, categories swapped, a title changed": (lambda s: (
        edit(s / "content/posts/2021/03/bai-3-3.md", "'Một cửa', ", ""),
        edit(s / "content/posts/2021/03/bai-3-3.md", '"Hoạt động"', '"Văn bản"'),
        edit(s / "content/posts/2021/03/bai-3-3.md", "Bài 3/3", "Bài chuyển 3/3"),
        edit(s / "content/posts/2021/03/bai-3-17.md", '"Văn bản"', '"Hoạt động"')), "the/mot-cua/index.html"),
}


@pytest.mark.parametrize("change", sorted(QUICK_MOVES) + sorted(QUICK_REORDERS))
def test_a_post_that_moves_in_the_lists_is_planned_again_alone(tmp_path: Path, whole_builds: list[int],
                                                                change: str) -> None:
    """The lists it left or joined (page by page when their number of pages changes), the pages
    of categories and tags and sitemap.xml are planned again from the lists the last build kept.
    (The same for a post added or given another date: see QUICK_REORDERS.)"""
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    before = tree(site / "output")
    move, page = {**QUICK_MOVES, **QUICK_REORDERS}[change]
    move(site)
    build(site, site / "output")
    assert len(whole_builds) == 1
    changed = {path for path, digest in tree(site / "output").items() if before.get(path) != digest}
    assert page in changed
    assert "gioi-thieu/index.html" not in changed
    assert_same_as_full(site, tmp_path)


def test_a_move_that_removes_a_page_a_post_links_to_fails_as_the_whole_build_does(tmp_path: Path,
                                                                                   whole_builds: list[int]) -> None:
    """A list with fewer pages loses its last page: a link to it is broken (E016), as a build
    from nothing would report, and the output stays as it was."""
    site = make_site(tmp_path / "site")
    edit(site / "content/posts/2021/04/bai-4-17.md", "Thêm chữ.", "Xem [trang 2](/chuyen-muc/hoat-dong/trang/2/).")
    build(site, site / "output")
    before = tree(site / "output")
    CHANGES["moved to another category"](site)  # "Hoạt động": 4 posts -> 3, one page
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert result.code != 0 and "E016" in result.err and "/chuyen-muc/hoat-dong/trang/2/" in result.err
    assert len(whole_builds) == 2
    assert tree(site / "output") == before


def test_moves_in_a_row_keep_the_lists_of_the_last_one(tmp_path: Path, whole_builds: list[int]) -> None:
    """Each quick move keeps the lists as it left them for the next edit."""
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    for change in ("tags edited", "categories swapped", "the newest post joins an older tag",
                   "a tag's list gets a second page"):
        QUICK_MOVES[change][0](site)
        build(site, site / "output")
    edit(site / "content/posts/2021/01/bai-1-17.md", '"Hoạt động"', '"Văn bản"')  # "Hoạt động" loses a page
    build(site, site / "output")
    assert not (site / "output/chuyen-muc/hoat-dong/trang/2").exists()
    SHOWN["title edited"](site)  # a title on the lists as they are now
    build(site, site / "output")
    edit(site / "content/posts/2021/02/bai-2-3.md", "'Tháng 3'", "'Tháng 2'")  # and back
    build(site, site / "output")
    assert len(whole_builds) == 1
    assert "Bài đổi tên 3/2" in (site / "output/the/thang-2/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


SHOWN = {  # what other pages show of a post, edited where it stays
    "title edited": lambda s: CHANGES["title edited"](s),
    "summary edited": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "ngày 3.", "ngày 3, đã sửa."),
    "summary written": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "---\n\n",
                                      'summary: "Tóm tắt do tác giả viết"\n---\n\n'),
    "marked as sample": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", "---\n\n", "sample: true\n---\n\n"),
    "author and title": lambda s: edit(s / "content/posts/2021/02/bai-2-3.md", 'title: "Bài 3/2',
                                       'author: "Phòng Quản lý"\ntitle: "Bài sửa 3/2'),
}


@pytest.mark.parametrize("change", sorted(SHOWN))
def test_what_lists_show_of_a_post_is_planned_again_alone(tmp_path: Path, whole_builds: list[int],
                                                          change: str) -> None:
    """The post's page, its neighbours', the lists and the feed that show it change; no whole build."""
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    before = tree(site / "output")
    SHOWN[change](site)
    build(site, site / "output")
    assert len(whole_builds) == 1
    changed = {path for path, digest in tree(site / "output").items() if before.get(path) != digest}
    assert "tin-tuc/2021/02/bai-2-3/index.html" in changed
    assert "tin-tuc/2021/02/index.html" in changed  # its month's list
    assert "tin-tuc/2021/01/index.html" not in changed  # a list it is not on
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("between", ["check", "another output"])
def test_a_file_read_by_another_command_since_the_last_build_keeps_the_quick_path(
        tmp_path: Path, whole_builds: list[int], between: str) -> None:
    """``check``, or a build of another output (``serve`` builds its preview), parse an edited
    file before the next build of ``output/`` does: that build still knows the file as it was."""
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    build(site, tmp_path / "other")
    SHOWN["title edited"](site)
    if between == "check":
        assert run_cli("check", "--site", site, "--as-of", "2021-12-31").code == 0
    else:
        build(site, tmp_path / "other")
    calls = len(whole_builds)
    build(site, site / "output")
    assert len(whole_builds) == calls  # the quick path
    assert "Bài đổi tên 3/2" in (site / "output/tin-tuc/2021/02/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


def test_a_new_title_reaches_lists_neighbours_and_the_feed_without_a_whole_build(tmp_path: Path,
                                                                                 whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    edit(site / "content/posts/2021/04/bai-4-3.md", "Bài 3/4", "Bài đổi tên 3/4")
    build(site, site / "output")
    edit(site / "content/posts/2021/04/bai-4-3.md", "Bài đổi tên 3/4", "Bài đổi tên lần hai 3/4")
    edit(site / "content/posts/2021/01/bai-1-17.md", "Thêm chữ.", "Thân bài mới.")  # and a body elsewhere
    build(site, site / "output")
    assert len(whole_builds) == 1
    out = site / "output"
    for page in ("index.html", "tin-tuc/2021/04/index.html", "chuyen-muc/hoat-dong/index.html",
                 "the/mot-cua/index.html", "rss.xml", "tin-tuc/2021/04/bai-4-17/index.html",  # newer neighbour
                 "tin-tuc/2021/03/bai-3-17/index.html"):  # older neighbour
        text = (out / page).read_text(encoding="utf-8")
        assert "Bài đổi tên lần hai 3/4" in text, page
        assert "Bài đổi tên 3/4" not in text, page
    assert "Thân bài mới." in (out / "tin-tuc/2021/01/bai-1-17/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


def test_a_statistics_page_that_lists_titles_follows_a_title_edit(tmp_path: Path, whole_builds: list[int]) -> None:
    """The quota holds every published post: a department's own statistics page may list them."""
    site = make_site(tmp_path / "site")
    edit(site / "site.yaml", "posts_per_page: 3", 'posts_per_page: 3\nquota:\n  min_posts: 2\n  start: "2021-01"')
    (site / "templates/statistics.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>{{ title }}</h1><ul>{% for m in quota.months %}'
        "{% for p in m.posts %}<li>{{ p.title }}</li>{% endfor %}{% endfor %}</ul>{% endblock %}\n",
        encoding="utf-8")
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    edit(site / "content/posts/2021/01/bai-1-3.md", "Thêm chữ.", "Thân bài mới.")  # a body first
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    edit(site / "content/posts/2021/03/bai-3-17.md", "Bài 17/3", "Bài 17/3 đã đổi tên")
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-04-30")
    assert result.code == 0, result.err
    assert len(whole_builds) == 1
    items = (site / "output/thong-ke/index.html").read_text(encoding="utf-8")
    assert "<li>Bài 17/3 đã đổi tên về cải cách hành chính</li>" in items and "<li>Bài 17/3 về" not in items
    full = run_cli("build", "--site", site, "--output", tmp_path / "full", "--as-of", "2021-04-30", "--clean")
    assert full.code == 0, full.err
    assert tree(site / "output") == tree(tmp_path / "full")


def test_the_quick_path_compares_with_the_last_good_build_not_a_failed_one(tmp_path: Path,
                                                                         whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    target = site / "content/posts/2021/02/bai-2-3.md"
    edit(target, "Bài 3/2", "Bài đổi tên 3/2")
    edit(target, "Thêm chữ.", "Xem [trang không có](/khong-co/).")
    failed = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert failed.code != 0 and "E016" in failed.err + failed.out
    assert "Bài đổi tên" not in (site / "output/index.html").read_text(encoding="utf-8")
    # the failed build cached the new parse; only the link is fixed now, the new title stays
    edit(target, "Xem [trang không có](/khong-co/).", "Thêm chữ.")
    build(site, site / "output")
    # the first and the failed one were whole builds; this one compares with the parse of the last
    # good build (kept as the file's row before), sees a new title, and plans what shows it
    assert len(whole_builds) == 2
    assert "Bài đổi tên 3/2" in (site / "output/tin-tuc/2021/02/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


def test_a_body_edit_with_a_broken_link_fails_and_keeps_the_output(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    before = tree(site / "output")
    edit(site / "content/posts/2021/02/bai-2-3.md", "Thêm chữ.", "Xem [trang không có](/khong-co/).")
    failed = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert failed.code != 0
    assert "content/posts/2021/02/bai-2-3.md" in failed.err + failed.out and "E016" in failed.err + failed.out
    assert tree(site / "output") == before


def test_warnings_follow_a_quick_edit(tmp_path: Path, whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    target = site / "content/posts/2021/02/bai-2-3.md"
    edit(target, "Thêm chữ.", "Thêm chữ.\n\n<script>alert(1)</script>")
    warned = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert warned.code == 0, warned.err
    assert "W070" in warned.err and "bai-2-3.md" in warned.err
    edit(target, "<script>alert(1)</script>", "Hết.")
    clean = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert clean.code == 0 and "W070" not in clean.err
    assert len(whole_builds) == 1
    assert_same_as_full(site, tmp_path)


def test_two_bodies_edited_then_one_again_stay_exact(tmp_path: Path, whole_builds: list[int]) -> None:
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    edit(site / "content/posts/2021/01/bai-1-3.md", "Thêm chữ.", "Một.")
    edit(site / "content/posts/2021/01/bai-1-17.md", "Thêm chữ.", "Hai.")
    build(site, site / "output")
    edit(site / "content/posts/2021/01/bai-1-3.md", "Một.", "Ba.")
    build(site, site / "output")
    edit(site / "content/posts/2021/01/bai-1-3.md", "Ba.", "Thêm chữ.")  # back as it was at first
    build(site, site / "output")
    assert len(whole_builds) == 1
    assert "Hai." in (site / "output/tin-tuc/2021/01/bai-1-17/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("date, other", [("2021-10-31 02:30+02:00", "2021-10-31 02:30+01:00"),
                                         ("2021-10-31 02:30+01:00", "2021-10-31 02:30+02:00")])
def test_a_date_moved_across_the_end_of_summer_time_reaches_the_lists(tmp_path: Path, whole_builds: list[int],
                                                                       date: str, other: str) -> None:
    """02:30 summer time and 02:30 winter time, one hour apart, are equal as Python datetimes of
    one zone (found in review)."""
    site = make_site(tmp_path / "site")
    edit(site / "site.yaml", "posts_per_page: 3", "posts_per_page: 3\ntimezone: Europe/Berlin")
    (site / "content/posts/2021/10").mkdir(parents=True)
    (site / "content/posts/2021/10/doi-gio.md").write_text(post("Bài đổi giờ", date, "Nội dung."), encoding="utf-8")
    build(site, site / "output")
    edit(site / "content/posts/2021/10/doi-gio.md", date, other)
    build(site, site / "output")
    assert len(whole_builds) == 1  # a new place in the order of posts (its own page and sitemap.xml show the offset)
    assert other.replace(" ", "T").replace("+", ":00+") in (site / "output/sitemap.xml").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


# --- what the cache says about an output is trusted only for that output ---------------------------

def test_an_output_whose_records_could_not_be_written_is_not_trusted(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A build swaps its output in and then cannot record it (disk full, database locked, killed):
    the next builds must not take the records of the output before for this one."""
    from cchc_site.cache import Cache

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    CHANGES["post edited"](site)
    build(site, site / "output")  # a spare exists from now on
    with monkeypatch.context() as patched:
        patched.setattr(Cache, "put_manifest", lambda *args, **kwargs: None)
        patched.setattr(Cache, "put_record", lambda *args, **kwargs: None)
        CHANGES["title edited"](site)
        build(site, site / "output")
    assert "Bài đổi tên 3/2" in (site / "output/tin-tuc/2021/02/index.html").read_text(encoding="utf-8")
    edit(site / "content/posts/2021/02/bai-2-3.md", "Bài đổi tên 3/2", "Bài 3/2")  # back as before
    build(site, site / "output")
    assert "Bài đổi tên" not in "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert_same_as_full(site, tmp_path)


def test_a_touched_file_changes_nothing(tmp_path: Path, whole_builds: list[int]) -> None:
    from cchc_site.output import folder_id

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    before, marker = tree(site / "output"), folder_id(site / "output")
    target = site / "content/posts/2021/02/bai-2-3.md"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000))  # saved unchanged
    result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert result.code == 0 and "Không có thay đổi" in result.out
    assert folder_id(site / "output") == marker  # not even swapped
    assert tree(site / "output") == before and len(whole_builds) == 1


def test_a_file_saved_during_the_build_is_not_cached_under_its_old_text(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_site.quickbuild as quick_module
    import cchc_site.wholebuild as whole_module

    site = make_site(tmp_path / "site")
    target = site / "content/posts/2021/02/bai-2-3.md"
    real = whole_module.load_body
    # A whole build converts each body in the worker that parsed it (one read); a build that
    # parses a file from the cache or on its own (an edit) reads the body again to convert it.
    reads: list[str] = []
    for module in (whole_module, quick_module):
        monkeypatch.setattr(module, "load_body", lambda *args: (reads.append(args[1]), real(*args))[1])
    build(site, site / "output")
    assert reads == []  # every body was converted where it was parsed
    edit(target, "Thêm chữ.", "Thêm chữ mới.")

    def saved_meanwhile(site_dir: Path, path: str, digest: str) -> str:
        if path.endswith("bai-2-3.md") and "ĐANG GÕ" not in target.read_text(encoding="utf-8"):
            edit(target, "Thêm chữ mới.", "ĐANG GÕ.")  # the author saves between parsing and converting
        return real(site_dir, path, digest)

    for module in (whole_module, quick_module):
        monkeypatch.setattr(module, "load_body", saved_meanwhile)
    failed = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31")
    assert failed.code != 0 and "E051" in failed.err + failed.out and "bai-2-3.md" in failed.err + failed.out
    assert "Traceback" not in failed.err
    for module in (whole_module, quick_module):
        monkeypatch.setattr(module, "load_body", real)
    edit(target, "ĐANG GÕ.", "Thêm chữ mới.")  # back to the text that was parsed
    build(site, site / "output")
    assert "ĐANG GÕ" not in (site / "output/tin-tuc/2021/02/bai-2-3/index.html").read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


def test_clean_ignores_what_the_cache_holds(tmp_path: Path) -> None:
    import sqlite3

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    db = sqlite3.connect(site / ".cchc-cache" / "cache.sqlite")
    db.execute("UPDATE markdown SET html = '<p>ĐỘC</p>'")
    db.execute("UPDATE markdown_meta SET summary = 'ĐỘC'")
    db.commit()
    db.close()
    CHANGES["title edited"](site)
    build(site, site / "output", "--clean")
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "ĐỘC" not in html and "Nội dung" in html


def test_unreadable_links_in_the_cache_are_a_miss_not_a_crash(tmp_path: Path) -> None:
    import sqlite3

    site = make_site(tmp_path / "site")
    build(site, site / "output")
    db = sqlite3.connect(site / ".cchc-cache" / "cache.sqlite")
    assert db.execute("UPDATE markdown_meta SET links = x'ff00ff'").rowcount == 9
    db.commit()
    db.close()
    CHANGES["post edited"](site)
    build(site, site / "output")
    assert_same_as_full(site, tmp_path)


def test_search_terms_made_with_the_markdown_equal_those_made_from_cached_html(tmp_path: Path) -> None:
    """A build from nothing makes each document's search terms in the Markdown worker, right
    after converting it; a build whose cache has the Markdown but not the terms makes them from
    the cached HTML in a pass of its own.  Both give the same index files."""
    import sqlite3

    site = make_site(tmp_path / "site")
    build(site, site / "output", "--clean")
    made_along = tree(site / "output")
    cache_file = next((site / ".cchc-cache").glob("*.sqlite*"))
    with sqlite3.connect(cache_file) as db:
        assert db.execute("SELECT COUNT(*) FROM search_terms").fetchone()[0] == 9  # 8 posts and the page
        assert db.execute("SELECT COUNT(*) FROM markdown").fetchone()[0] == 9
        db.execute("DELETE FROM search_terms")
    shutil.rmtree(site / "output")
    build(site, site / "output")
    assert tree(site / "output") == made_along
    with sqlite3.connect(cache_file) as db:
        assert db.execute("SELECT COUNT(*) FROM search_terms").fetchone()[0] == 9  # made again, and stored
    # Another base path: the parses are reused, the Markdown is converted again (it holds the base
    # path) and the terms made with it; the same as a build from nothing with that base path.
    other = ("--base-url", "https://khac.gov.vn/mot/")
    build(site, tmp_path / "moved", *other)
    build(site, tmp_path / "moved-clean", "--clean", *other)
    assert tree(tmp_path / "moved") == tree(tmp_path / "moved-clean")


def test_folder_levels_put_parents_before_children() -> None:
    from cchc_site.output import folder_levels
    levels = folder_levels(["trang/10/index.html", "a/b/c/index.html", "a/x.html", "top.html", "d/e/f.txt"])
    assert levels == [["a", "d", "trang"], ["a/b", "d/e", "trang/10"], ["a/b/c"]]
    assert folder_levels(["index.html"]) == []


@pytest.mark.parametrize("fresh", [True, False])
def test_unchanged_files_are_linked_not_copied(tmp_path: Path, fresh: bool) -> None:
    """The first edit after a full build links every unchanged file into a fresh folder (its
    folders made level by level); a spare being updated may already hold an older file."""
    from cchc_site.publish import link_unchanged
    live, work = tmp_path / "live", tmp_path / "work"
    rels = [f"tin-tuc/2021/{m:02d}/bai-{i}/index.html" for m in range(1, 13) for i in range(8)] + ["index.html"]
    for rel in rels:
        (live / rel).parent.mkdir(parents=True, exist_ok=True)
        (live / rel).write_text(rel, encoding="utf-8")
    work.mkdir()
    if not fresh:  # an older version of one file, and its folder, already there
        (work / rels[0]).parent.mkdir(parents=True)
        (work / rels[0]).write_text("cũ", encoding="utf-8")
    link_unchanged(live, work, rels, fresh=fresh)
    for rel in rels:
        assert os.path.samefile(live / rel, work / rel), rel
    assert (work / rels[0]).read_text(encoding="utf-8") == rels[0]
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()) == sorted(rels)


def test_linking_a_file_that_is_gone_fails(tmp_path: Path) -> None:
    """A missing source is an error, not a new empty folder."""
    from cchc_site.output import link_or_copy
    with pytest.raises(FileNotFoundError):
        link_or_copy(tmp_path, "a/b/index.html", str(tmp_path / "khong-co.html"))
    assert not (tmp_path / "a").exists()


def files_of(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name != ".cchc-site")


def count_spares_made(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Each spare made as a mirror of the live output (:class:`SpareMirror`) writes a '1' to ``log``."""
    import cchc_site.publish as publish_module

    real_make = publish_module.SpareMirror.make

    def make_and_count(self: publish_module.SpareMirror) -> bool:
        with open(log, "a", encoding="utf-8") as out:  # (in the forked process that makes it)
            out.write("1")
        return real_make(self)

    monkeypatch.setattr(publish_module.SpareMirror, "make", make_and_count)


def test_a_build_from_nothing_leaves_a_spare_of_links_that_the_first_edit_updates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build from nothing makes its spare's folders while its pages are planned and rendered in
    memory, then links each file it wrote into them: the first edit after it (even right after it)
    updates that spare in place and swaps it in, with no spare to make then."""
    from cchc_site.output import folder_id

    made = tmp_path / "spares-made"
    count_spares_made(monkeypatch, made)
    site = make_site(tmp_path / "site")
    output, spare = site / "output", site / ".output.cchc-spare"
    build(site, output)
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    files = files_of(output)
    assert files_of(spare) == files  # every file, and nothing else (no empty folder either)
    assert sorted(p.relative_to(spare) for p in spare.rglob("*") if p.is_dir()) == \
        sorted(p.relative_to(output) for p in output.rglob("*") if p.is_dir())
    assert all((spare / rel).stat().st_ino == (output / rel).stat().st_ino for rel in files)  # links, not copies
    assert folder_id(spare) not in (None, folder_id(output))  # a marker of its own
    page = output / "tin-tuc/2021/02/bai-2-3/index.html"
    old_page = page.read_bytes()
    CHANGES["post edited"](site)
    build(site, output)
    assert not made.exists()  # no mirror was made: the spare was there
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    assert page.read_bytes() != old_page
    assert (spare / "tin-tuc/2021/02/bai-2-3/index.html").read_bytes() == old_page  # the output before
    assert_same_as_full(site, tmp_path)
    CHANGES["title edited"](site)
    build(site, output)
    assert_same_as_full(site, tmp_path)


def test_a_spare_deleted_by_hand_is_made_again_as_links_by_the_next_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a spare (deleted by hand, or not made), the first build that changes the output
    makes it as hard links to the live files (while it reads and plans) and writes into that, not
    into a whole second tree of new files."""
    made = tmp_path / "spares-made"
    count_spares_made(monkeypatch, made)
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    output, spare = site / "output", site / ".output.cchc-spare"
    shutil.rmtree(spare)
    files = files_of(output)
    build(site, output)  # nothing changed: no spare is made for it
    assert not spare.exists() and not made.exists()
    page = output / "tin-tuc/2021/02/bai-2-3/index.html"
    old_page = page.read_bytes()
    inodes = {rel: (output / rel).stat().st_ino for rel in files}
    CHANGES["post edited"](site)
    build(site, output)
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    assert (spare / "tin-tuc/2021/02/bai-2-3/index.html").read_bytes() == old_page  # the spare: the output before
    # the spare holds the files of the output before, as links: not one of them was written again
    assert files_of(spare) == files
    assert all((spare / rel).stat().st_ino == inodes[rel] for rel in files)
    kept = [rel for rel in files if (output / rel).stat().st_ino == inodes[rel]]
    assert len(kept) > len(files) // 2  # the unchanged files are shared by the two folders
    assert made.read_text() == "1"
    assert_same_as_full(site, tmp_path)
    CHANGES["title edited"](site)  # the next edit updates that spare in place
    build(site, output)
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    assert made.read_text() == "1"
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("failure", ["folders", "links"])
def test_a_build_from_nothing_whose_spare_cannot_be_made_still_builds(
        failure: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spare is a saving, never a cause of failure: folders that cannot be made (in the
    forked process), or files that cannot be linked into them (a full disk), leave no spare and
    nothing half made; the output is complete, and the next edit makes the spare as a mirror."""
    import cchc_site.publish as publish_module

    made = tmp_path / "spares-made"
    count_spares_made(monkeypatch, made)
    if failure == "folders":
        real_folders = publish_module.make_folders

        def no_folders(root: Path, folders: object) -> None:
            real_folders(root, list(folders)[:2])  # type: ignore[call-overload]
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(publish_module, "make_folders", no_folders)
    else:
        real_link = publish_module.link_unchanged

        def links_fail(output_dir: Path, staging: Path, rels: list[str], fresh: bool) -> None:
            if staging.name.endswith("-spare"):
                real_link(output_dir, staging, rels[:3], fresh)
                raise OSError(28, "No space left on device")
            real_link(output_dir, staging, rels, fresh)

        monkeypatch.setattr(publish_module, "link_unchanged", links_fail)
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    assert not (site / ".output.cchc-spare").exists()
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    monkeypatch.undo()
    count_spares_made(monkeypatch, made)
    CHANGES["post edited"](site)
    build(site, site / "output")
    assert made.read_text() == "1"
    assert (site / ".output.cchc-spare").is_dir()
    assert_same_as_full(site, tmp_path)


def test_a_spare_that_cannot_be_made_costs_nothing_but_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cchc_site.publish as publish_module

    real_make = publish_module.SpareMirror.make
    real_link = publish_module.link_unchanged

    def full_disk(output_dir: Path, staging: Path, rels: list[str], fresh: bool) -> None:
        real_link(output_dir, staging, rels[:3], fresh)
        raise OSError(28, "No space left on device")

    tried = tmp_path / "spares-tried"

    def make_on_a_full_disk(self: publish_module.SpareMirror) -> bool:
        tried.write_text("1", encoding="utf-8")
        publish_module.link_unchanged = full_disk  # (in the forked process that makes the spare)
        try:
            return real_make(self)
        finally:
            publish_module.link_unchanged = real_link

    monkeypatch.setattr(publish_module.SpareMirror, "make", make_on_a_full_disk)
    site = make_site(tmp_path / "site")
    build(site, site / "output")
    shutil.rmtree(site / ".output.cchc-spare")  # (deleted by hand: the next edit makes one)
    CHANGES["post edited"](site)
    build(site, site / "output")
    assert tried.exists()
    assert not [p for p in site.iterdir() if "cchc-tmp" in p.name]
    assert_same_as_full(site, tmp_path)
    CHANGES["title edited"](site)
    build(site, site / "output")
    assert_same_as_full(site, tmp_path)


def test_clean_over_an_existing_output_keeps_it_as_the_spare_and_reuses_it_exactly(tmp_path: Path) -> None:
    """``--clean`` keeps the output it replaces as the spare instead of deleting it (seconds of file
    system work on a large site); the next build writes into that folder, which no record describes:
    files already right are kept, everything else is written, and strays go."""
    site = make_site(tmp_path / "site")
    output, spare = site / "output", site / ".output.cchc-spare"
    build(site, output)
    old_page = (output / "tin-tuc/2021/02/bai-2-3/index.html").read_text(encoding="utf-8")
    CHANGES["post edited"](site)
    build(site, output, "--clean")
    assert (spare / "tin-tuc/2021/02/bai-2-3/index.html").read_text(encoding="utf-8") == old_page
    assert "Đoạn đã sửa" in (output / "tin-tuc/2021/02/bai-2-3/index.html").read_text(encoding="utf-8")
    # what no record can know about: a stray file, a stray folder, a file with other bytes
    (spare / "rac").mkdir()
    (spare / "rac/tep.html").write_text("rác", encoding="utf-8")
    (spare / "thu-muc-rong/con").mkdir(parents=True)
    (spare / "404.html").write_text("khác", encoding="utf-8")
    (spare / "index.html").unlink()
    (spare / "index.html").symlink_to(output / "index.html")  # the same bytes, but through a link
    unchanged = (spare / "gioi-thieu/index.html").stat().st_ino
    CHANGES["post added"](site)
    build(site, output, "--clean")
    assert (output / "gioi-thieu/index.html").stat().st_ino == unchanged  # kept, not written again
    assert not (output / "rac").exists() and not (output / "thu-muc-rong").exists()
    assert "khác" not in (output / "404.html").read_text(encoding="utf-8")
    assert not (output / "index.html").is_symlink()
    CHANGES["title edited"](site)
    build(site, output)  # the spare (the output before) has no record either
    assert_same_as_full(site, tmp_path)


def test_clean_links_the_files_that_equal_the_output_before(tmp_path: Path) -> None:
    """``--clean`` (no record of the live output) compares each file it makes with the output it
    replaces and links the equal ones instead of writing them: the two folders share them, so the
    next build, which updates that output as its spare, frees no file (10,000 posts: 2.1 s -> 0.7 s
    for the first edit after ``build`` then ``build --clean``)."""
    site = make_site(tmp_path / "site")
    CHANGES["static file added"](site)
    output, spare = site / "output", site / ".output.cchc-spare"
    build(site, output)
    CHANGES["post edited"](site)
    build(site, output, "--clean")
    assert os.path.samefile(output / "gioi-thieu/index.html", spare / "gioi-thieu/index.html")
    assert os.path.samefile(output / "static/a.txt", spare / "static/a.txt")
    assert os.path.samefile(output / "assets/style.css", spare / "assets/style.css")
    edited = "tin-tuc/2021/02/bai-2-3/index.html"
    assert not os.path.samefile(output / edited, spare / edited)
    assert "Đoạn đã sửa" in (output / edited).read_text(encoding="utf-8")
    assert "Đoạn đã sửa" not in (spare / edited).read_text(encoding="utf-8")
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("clean", [True, False])
def test_links_put_into_the_output_by_hand_are_never_followed(tmp_path: Path, clean: bool) -> None:
    """A file, or a whole folder, of the output replaced by hand with a link to a copy elsewhere
    (the very bytes of the page) is not followed by the next build, with or without --clean: the
    new output gets files of its own, never a link or a hard link to the outside files."""
    site = make_site(tmp_path / "site")
    CHANGES["static file added"](site)
    output = site / "output"
    build(site, output)
    elsewhere = tmp_path / "noi-khac"
    shutil.copytree(output, elsewhere)
    page = "gioi-thieu/index.html"
    (output / page).unlink()
    (output / page).symlink_to(elsewhere / page)
    shutil.rmtree(output / "static")
    (output / "static").symlink_to(elsewhere / "static", target_is_directory=True)
    CHANGES["post added"](site)
    build(site, output, *(["--clean"] if clean else []))
    for rel in (page, "static/a.txt"):
        path = output / rel
        assert not path.is_symlink() and not path.parent.is_symlink(), rel
        assert not os.path.samefile(path, elsewhere / rel), rel
        assert path.read_bytes() == (elsewhere / rel).read_bytes()
    assert_same_as_full(site, tmp_path)


def test_the_edit_after_clean_links_unchanged_files_instead_of_comparing_them(tmp_path: Path) -> None:
    """A spare no record describes may hold files of its own with the same bytes as the live ones
    (made by another file system or an older version): the next build replaces each by a link to
    the live file (two system calls) rather than reading both to compare them."""
    site = make_site(tmp_path / "site")
    output, spare = site / "output", site / ".output.cchc-spare"
    build(site, output)
    build(site, output, "--clean")
    page = "gioi-thieu/index.html"
    for path in [p for p in spare.rglob("*") if p.is_file() and p.name != ".cchc-site"]:
        copy = path.with_name(path.name + ".copy")
        shutil.copyfile(path, copy)
        os.replace(copy, path)  # the same bytes in a file of the spare's own
    assert not os.path.samefile(output / page, spare / page)
    live_inode = (output / page).stat().st_ino
    CHANGES["post edited"](site)
    build(site, output)
    assert (output / page).stat().st_ino == live_inode  # linked from the output before
    assert os.path.samefile(output / page, spare / page)
    assert_same_as_full(site, tmp_path)


def test_clearing_a_folder_removes_what_will_be_linked_again_but_keeps_its_folders(tmp_path: Path) -> None:
    from cchc_site.output import clear_strays
    for rel in ("a/b/x.html", "a/b/y.html", "a/z.html", "c/d.html", "rac.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel, encoding="utf-8")
    clear_strays(tmp_path, ["a/b/x.html", "a/b/y.html", "a/z.html"], relinked={"a/b/x.html", "a/b/y.html"})
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["a", "a/b", "a/z.html"]


def test_clearing_a_folder_keeps_what_already_is_the_live_file(tmp_path: Path) -> None:
    """A file of the spare that is a hard link to the live one needs no new link: it stays."""
    from cchc_site.output import clear_strays
    live, spare = tmp_path / "live", tmp_path / "spare"
    for rel in ("a/x.html", "a/y.html"):
        for root in (live, spare):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (live / rel).write_text(rel, encoding="utf-8")
    os.link(live / "a/x.html", spare / "a/x.html")
    (spare / "a/y.html").write_text("a/y.html", encoding="utf-8")  # the same bytes, another file
    shared = clear_strays(spare, ["a/x.html", "a/y.html"], relinked={"a/x.html", "a/y.html"}, linked_from=live)
    assert shared == {"a/x.html"}
    assert os.path.samefile(live / "a/x.html", spare / "a/x.html")
    assert not (spare / "a/y.html").exists()


def test_writing_keeps_equal_bytes_and_never_changes_a_shared_file(tmp_path: Path) -> None:
    from cchc_site.output import write_file
    write_file(tmp_path, "a/b.html", b"cu")
    os.link(tmp_path / "a/b.html", tmp_path / "live.html")  # shared with "the live output"
    inode = (tmp_path / "a/b.html").stat().st_ino
    write_file(tmp_path, "a/b.html", b"cu")
    assert (tmp_path / "a/b.html").stat().st_ino == inode
    write_file(tmp_path, "a/b.html", b"moi")
    assert (tmp_path / "a/b.html").read_bytes() == b"moi"
    assert (tmp_path / "live.html").read_bytes() == b"cu"
    write_file(tmp_path, "a/b.html", b"mo")  # a prefix of what is there is not the same
    assert (tmp_path / "a/b.html").read_bytes() == b"mo"


def test_marking_a_folder_again_gives_it_a_new_id(tmp_path: Path) -> None:
    """The marker's bytes never change, but records about a folder must not survive a re-mark."""
    from cchc_site.output import folder_id, mark_folder
    mark_folder(tmp_path)
    first = folder_id(tmp_path)
    mark_folder(tmp_path)
    assert first is not None and folder_id(tmp_path) not in (None, first)


def _spare_after_clean(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A site built, edited and built with --clean: its old output is now a spare no record describes."""
    site = make_site(tmp_path / "site")
    output, spare = site / "output", site / ".output.cchc-spare"
    build(site, output)
    CHANGES["post edited"](site)
    build(site, output, "--clean")
    return site, output, spare


def test_a_stray_folder_that_cannot_be_removed_is_never_published(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Clearing the spare fails loudly inside, and the build starts from a fresh folder instead."""
    import cchc_site.output
    site, output, spare = _spare_after_clean(tmp_path)
    (spare / "rac").mkdir()
    (spare / "rac/khoa.txt").write_text("không xóa được", encoding="utf-8")
    real_rmtree = shutil.rmtree

    def stubborn(path: str | Path, *args: object, **kwargs: object) -> None:
        if Path(path).name == "rac":
            raise PermissionError(13, "Operation not permitted", str(path))
        real_rmtree(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cchc_site.output.shutil, "rmtree", stubborn)
    CHANGES["post added"](site)
    build(site, output, "--clean")
    monkeypatch.undo()
    assert not (output / "rac").exists()
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("name", [".cchc-site", ".cchc-site.new"])
def test_a_folder_in_place_of_the_marker_does_not_break_builds(tmp_path: Path, name: str) -> None:
    site, output, spare = _spare_after_clean(tmp_path)
    (spare / name).unlink(missing_ok=True)
    (spare / name / "con").mkdir(parents=True)
    CHANGES["post added"](site)
    build(site, output, "--clean")
    assert (output / ".cchc-site").is_file()
    assert_same_as_full(site, tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_in_the_spare_is_removed_not_read(tmp_path: Path) -> None:
    """A FIFO at a wanted name would block a reader forever: it is removed like any stray."""
    import subprocess
    import sys
    site, output, spare = _spare_after_clean(tmp_path)
    (spare / "404.html").unlink()
    os.mkfifo(spare / "404.html")
    CHANGES["post added"](site)
    done = subprocess.run([sys.executable, "-m", "cchc_site", "build", "--site", str(site), "--output", str(output),
                           "--as-of", "2021-12-31", "--clean"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (output / "404.html").is_file()
    assert_same_as_full(site, tmp_path)


def test_files_are_compared_to_their_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One read may return fewer bytes than asked (2 GiB at most on Linux): compare them all."""
    import cchc_site.output as out
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * 100 + b"A")
    b.write_bytes(b"x" * 100 + b"B")
    real = os.read
    monkeypatch.setattr(out.os, "read", lambda fd, n: real(fd, min(n, 64)))
    assert not out._same_content(str(a), str(b))
    assert out._same_content(str(a), str(a))
    b.write_bytes(a.read_bytes())
    assert out._same_content(str(a), str(b))
    assert out.same_bytes(str(a), a.read_bytes()) and not out.same_bytes(str(a), b"x" * 100 + b"B")


def test_read_ahead_advises_each_file_it_can_open_and_leaves_none_open(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An older output's files are announced before they are compared: advice only, skipping
    what is not there, never waiting on a named pipe."""
    import cchc_site.files as files
    import cchc_site.output as out
    advised: list[tuple[int, int]] = []
    monkeypatch.setattr(files, "_ADVISE", lambda fd, offset, length, advice: advised.append((fd, advice)))
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    paths = [str(tmp_path / "a"), str(tmp_path / "missing"), str(tmp_path / "b")]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        paths.append(str(tmp_path / "pipe"))  # opened without waiting (O_NONBLOCK)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    out.read_ahead(paths)
    assert len(advised) == len(paths) - 1 and {advice for _, advice in advised} == {os.POSIX_FADV_WILLNEED}
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
    monkeypatch.setattr(files, "_ADVISE", None)  # (Windows: nothing to do)
    out.read_ahead(iter(lambda: pytest.fail("no path is opened without the advice to give"), None))


def test_a_library_installed_anew_changes_the_tool_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upgrading Markdown or Jinja2 may change the HTML of unchanged content: what the cache holds
    and what an earlier build skipped must not be trusted then (the libraries' versions are part of
    the tool version).  The same version installed again (a new virtual environment in CI, with
    the cache restored) keeps the cache."""
    from cchc_site.stamps import LIBRARIES, library_stamps
    assert {"markdown", "jinja2"} <= set(LIBRARIES)
    libraries = {"thu_vien_thu": "Thu-Vien.Thu", "thu_vien_khac": "thu_vien_khac"}
    for module in libraries:
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text("__version__ = '1.0'\n", encoding="utf-8")
    info = tmp_path / "thu_vien.thu-1.0.dist-info"
    info.mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    before = library_stamps(libraries)
    assert "thu_vien_thu=1.0" in before.splitlines()

    import cchc_site.sources
    cchc_site.stamps._folder_names.cache_clear()
    for module in libraries:  # installed again, the same versions: new files, new times
        init = tmp_path / module / "__init__.py"
        init.unlink()
        init.write_text("__version__ = '1.0'\n", encoding="utf-8")
        os.utime(init, ns=(1, 1))
    (tmp_path / "thu_vien_khac" / "__init__.py").write_text("__version__ = '1.0'  # khac\n", encoding="utf-8")
    after_reinstall = library_stamps(libraries)
    assert after_reinstall.splitlines()[0] == before.splitlines()[0]  # dist-info: the version alone counts
    assert after_reinstall.splitlines()[1] != before.splitlines()[1]  # no dist-info: the file's stamp

    info.rename(tmp_path / "thu_vien.thu-1.1.dist-info")
    cchc_site.stamps._folder_names.cache_clear()
    assert "thu_vien_thu=1.1" in library_stamps(libraries).splitlines()
    assert library_stamps({"khong_co_thu_vien_nay": "x"}) == "khong_co_thu_vien_nay=?"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_repository_gitignore_hides_everything_builds_make(tmp_path: Path) -> None:
    """A department keeps its site in git: after builds, a --clean build, an edit and a preview
    build, `git status` lists only what the authors wrote (the .gitignore shipped with the tool)."""
    import subprocess
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cchc_site.devserver import PREVIEW_DIR, build_preview

    site = make_site(tmp_path / "site")
    shutil.copyfile(Path(__file__).resolve().parent.parent / ".gitignore", site / ".gitignore")
    git = ["git", "-C", str(site), "-c", "user.name=t", "-c", "user.email=t@example.vn"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "nội dung"], check=True)
    build(site, site / "output")
    build(site, site / "output", "--clean")
    CHANGES["post edited"](site)
    build(site, site / "output")
    report = build_preview(site, site / PREVIEW_DIR, "http://127.0.0.1:8000/",
                           datetime(2021, 12, 31, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    assert report.ok, report.errors
    assert (site / ".output.cchc-spare").is_dir() and (site / ".output.cchc-lock").is_file()
    status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=all"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    assert status == [" M content/posts/2021/02/bai-2-3.md"], status


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_search_index_replaced_by_links_is_made_again(tmp_path: Path, what: str) -> None:
    """Index files (or the whole index folder) replaced by hand with links to copies: the next
    build makes them again as files of the output's own (it used to stop with an internal error
    when a file it meant to keep was one the pages' check refused)."""
    files = {f"content/posts/2021/{m:02d}/bai-{m}-{d}.md":
             post(f"Bài {d}/{m} từ{m * 31 + d}", f"{d:02d}/{m:02d}/2021", f"Nội dung số {m * 100 + d} từ{d * 7}.",
                  category="Hoạt động cải cách hành chính")
             for m in range(1, 4) for d in range(1, 20)}
    site = write_site(tmp_path / "site", files)
    output = site / "output"
    build(site, output)
    copies = tmp_path / "ban-sao"
    shutil.copytree(output / "tim-kiem", copies)
    if what == "folder":
        shutil.rmtree(output / "tim-kiem")
        (output / "tim-kiem").symlink_to(copies, target_is_directory=True)
    else:
        for path in [p for p in (output / "tim-kiem").rglob("*") if p.is_file()]:
            path.unlink()
            path.symlink_to(copies / path.relative_to(output / "tim-kiem"))
    edit(site / "content/posts/2021/01/bai-1-2.md", "Nội dung", "Nội dung đã sửa từmới")
    build(site, output)
    assert not (output / "tim-kiem").is_symlink()
    assert not [p for p in (output / "tim-kiem").rglob("*") if p.is_symlink()]
    assert_same_as_full(site, tmp_path)


def test_a_folder_linked_into_the_output_by_hand_is_never_written_through(tmp_path: Path) -> None:
    """A top folder of the output replaced by a link to a folder elsewhere: the next builds make
    that folder again, and when that output has become the spare, they remove the link instead of
    updating the spare through it (the folder elsewhere is never changed)."""
    site = make_site(tmp_path / "site")
    output = site / "output"
    build(site, output)
    elsewhere = tmp_path / "tin-tuc-noi-khac"
    shutil.copytree(output / "tin-tuc", elsewhere)
    shutil.rmtree(output / "tin-tuc")
    (output / "tin-tuc").symlink_to(elsewhere, target_is_directory=True)
    before = tree(elsewhere)
    for change in ("post edited", "title edited", "post added"):
        CHANGES[change](site)
        build(site, output)
        assert tree(elsewhere) == before, change
    assert not (output / "tin-tuc").is_symlink()
    assert not (site / ".output.cchc-spare" / "tin-tuc").is_symlink()
    assert_same_as_full(site, tmp_path)


@pytest.mark.parametrize("flags", [(), ("--drafts", "--future")], ids=["published", "drafts and future"])
def test_random_changes_in_a_row_each_equal_a_build_from_nothing(tmp_path: Path, whole_builds: list[int],
                                                                 flags: tuple[str, ...]) -> None:
    """Twenty random changes, each followed by a build that must equal a build of the same content
    from nothing: new posts (in a month with posts or not, newest or not), new dates (in the same
    month or another), titles, categories, tags, drafts, deleted posts.  Most take a quick path.
    Also as the `serve` preview builds: drafts and future posts shown."""
    import random

    site = make_site(tmp_path / "site")
    edit(site / "site.yaml", "posts_per_page: 3",
         'posts_per_page: 2\nquota:\n  start: "2021-01"\n  end: "2021-04"\n  min_posts: 1')
    build(site, site / "output", *flags)
    rng = random.Random(int(os.environ.get("CCHC_TEST_SEED", "11")))  # other seeds: explore by hand
    posts_dir = site / "content/posts/2021"

    def pick() -> Path:
        return rng.choice(sorted(posts_dir.rglob("*.md")))

    def new_date(path: Path, same_month: bool) -> None:
        text = path.read_text(encoding="utf-8")
        line = next(line for line in text.splitlines() if line.startswith("date: "))
        month = int(path.parent.name) if same_month else rng.randint(1, 4)
        edit(path, line, f'date: "{rng.randint(1, 28):02d}/{month:02d}/2021 {rng.randint(0, 23):02d}:00"')

    def retitle(path: Path) -> None:
        line = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("title: "))
        edit(path, line, f'title: "Tiêu đề {rng.randint(0, 999)}"')

    def recategorise(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        old = '"Hoạt động"' if '"Hoạt động"' in text else '"Văn bản"'
        edit(path, old, '"Văn bản"' if old == '"Hoạt động"' else '"Hoạt động"')

    def retag(path: Path) -> None:
        line = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("tags: "))
        edit(path, line, f"tags: {rng.sample(['Một cửa', 'Tháng 1', 'Tháng 2', 'Tháng 3', 'Tháng 4'], k=2)}")

    def make_draft(path: Path) -> None:
        if "draft:" not in path.read_text(encoding="utf-8"):
            edit(path, "---\n\n", "draft: true\n---\n\n")

    counter = iter(range(1000))

    def add() -> None:
        month = rng.choice([1, 2, 3, 4, 4, 4, 5])
        folder = posts_dir / f"{month:02d}"
        folder.mkdir(exist_ok=True)
        n = next(counter)
        (folder / f"moi-{n}.md").write_text(post(
            f"Bài mới {n}", f"{rng.randint(1, 28):02d}/{month:02d}/2021", f"Nội dung mới {n}.",
            category=rng.choice(["Hoạt động", "Văn bản"]), tags=rng.sample(["Một cửa", "Tháng 1", "Tháng 4"], k=1)),
            encoding="utf-8")

    changes = {
        "add": add,
        "date in its month": lambda: new_date(pick(), True),
        "date in any month": lambda: new_date(pick(), False),
        "title": lambda: retitle(pick()),
        "category": lambda: recategorise(pick()),
        "tags": lambda: retag(pick()),
        "draft": lambda: make_draft(pick()),
        "delete": lambda: pick().unlink() if len(list(posts_dir.rglob("*.md"))) > 6 else add(),
    }
    weights = {"add": 4, "date in its month": 4, "date in any month": 1, "title": 2, "category": 1, "tags": 1,
               "draft": 1, "delete": 1}
    done = []
    quick = 0  # incremental builds that took a quick path
    for step in range(20):
        name = rng.choices(list(weights), weights=list(weights.values()))[0]
        changes[name]()
        done.append(name)
        before = tree(site / "output")
        calls = len(whole_builds)
        result = run_cli("build", "--site", site, "--output", site / "output", "--as-of", "2021-12-31", *flags)
        quick += len(whole_builds) == calls
        fresh = tmp_path / f"fresh-{step}"
        shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
        full = run_cli("build", "--site", fresh, "--output", fresh / "output", "--as-of", "2021-12-31", *flags)
        assert result.code == full.code, (done, result.err, full.err)
        if result.code == 0:
            assert tree(site / "output") == tree(fresh / "output"), done
        else:  # a month emptied (E060): both fail alike, and the output stays as it was
            assert "E060" in result.err and tree(site / "output") == before, (done, result.err)
        shutil.rmtree(fresh)
    assert quick >= 5, (quick, done)  # (after a failed build every build is whole until one succeeds)


def test_a_file_deleted_from_the_output_by_hand_is_made_again_even_with_nothing_changed(tmp_path: Path) -> None:
    """The sources did not change, but the output no longer holds what its record says: the build
    does not answer "nothing changed" (a network administrator who deleted a file by mistake
    builds again to get it back)."""
    site = make_site(tmp_path / "site")
    output = site / "output"
    build(site, output)
    (output / "gioi-thieu/index.html").unlink()
    (output / "index.html").unlink()
    (output / "index.html").symlink_to(tmp_path / "elsewhere.html")
    result = run_cli("build", "--site", site, "--output", output, "--as-of", "2021-12-31")
    assert result.code == 0, result.err
    assert "Không có thay đổi" not in result.out
    assert (output / "gioi-thieu/index.html").is_file() and not (output / "index.html").is_symlink()
    assert_same_as_full(site, tmp_path)
    again = run_cli("build", "--site", site, "--output", output, "--as-of", "2021-12-31")
    assert "Không có thay đổi" in again.out  # and now it is as its record says


def test_a_file_deleted_from_the_output_by_hand_never_goes_missing_when_that_output_becomes_the_spare(
        tmp_path: Path) -> None:
    """The damaged output, replaced by the next build, becomes the spare: its record must not name
    the file it lost, or the build after, which updates that spare in place, leaves it out."""
    site = make_site(tmp_path / "site")
    output = site / "output"
    build(site, output)
    CHANGES["post edited"](site)
    build(site, output)  # (a spare with a record exists from now on)
    lost = ["robots.txt", "tin-tuc/2021/01/bai-1-3/index.html"]  # files none of these edits change
    for rel in lost:
        (output / rel).unlink()
    CHANGES["title edited"](site)
    build(site, output)  # (not compared with a --clean build here: that one would clear the cache's records)
    assert all((output / rel).is_file() for rel in lost)
    CHANGES["post added"](site)
    build(site, output)  # updates the folder that lost the files
    assert all((output / rel).is_file() for rel in lost)
    assert_same_as_full(site, tmp_path)


REPO = Path(__file__).resolve().parent.parent


def shipped_site(root: Path) -> Path:
    """A copy of the department's site: its content (posts, pages, procedures, the data file),
    templates and site.yaml."""
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


PROCEDURE = "content/procedures/hoat-dong-xay-dung/1.013225.md"
PAGE = "content/pages/gioi-thieu.md"


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


TEXT_EDITS = {  # (the change, the page that shows it)
    "a procedure's text": (lambda s: append(s / PROCEDURE, "\nĐoạn mới về **hồ sơ trực tuyến**.\n"),
                           "thu-tuc-hanh-chinh/1.013225/index.html"),
    "a page's text": (lambda s: append(s / PAGE, "\nĐoạn mới về **hồ sơ trực tuyến**.\n"), "gioi-thieu/index.html"),
    "a procedure's and a post's text": (lambda s: [append(s / PROCEDURE, "\nĐoạn mới về **hồ sơ trực tuyến**.\n"),
                                                   append(next(s.glob("content/posts/2021/10/*.md")), "\nThêm.\n")],
                                        "thu-tuc-hanh-chinh/1.013225/index.html"),
}


@pytest.mark.parametrize("change", sorted(TEXT_EDITS))
def test_the_text_of_a_page_or_procedure_edited_makes_its_pages_again_alone(tmp_path: Path, whole_builds: list[int],
                                                                             change: str) -> None:
    """Only the text changed, not the front matter: no other page shows it (lists show titles,
    fields and codes), so the build makes its page, the lists that hold it and the search index
    files again, not the whole site; the result equals a build from nothing."""
    site = shipped_site(tmp_path / "site")
    build(site, site / "output")
    home = (site / "output/index.html").read_bytes()
    make, shown_on = TEXT_EDITS[change]
    make(site)
    build(site, site / "output")
    assert len(whole_builds) == 1
    assert "<strong>hồ sơ trực tuyến</strong>" in (site / "output" / shown_on).read_text(encoding="utf-8")
    assert (site / "output/index.html").read_bytes() == home
    assert_same_as_full(site, tmp_path)


UNLINKED = "content/procedures/hoat-dong-xay-dung/1.013232.md"  # one post links to it: see unlink_it


def unlink_it(site: Path) -> None:
    """The link to the procedure 1.013232 taken out of the post that has it (a link to a procedure
    that is gone or a draft fails the build)."""
    edit(site / "content/posts/2021/12/tra-cuu-thu-tuc-linh-vuc-hoat-dong-xay-dung.md",
         "[Cấp giấy phép di dời](tthc:1.013232)", "Cấp giấy phép di dời")


FRONT_MATTER_EDITS = {
    "a procedure's title": lambda s: edit(s / PROCEDURE, "title: \"Cấp giấy phép", "title: \"Cấp mới giấy phép"),
    "a procedure made a draft": lambda s: edit(s / UNLINKED, "\n---\n", "\ndraft: true\n---\n") or unlink_it(s),
    "a page's title": lambda s: edit(s / PAGE, 'title: "Giới thiệu"', 'title: "Về chuyên mục"'),
    "a new procedure": lambda s: (s / PROCEDURE).with_name("9.000001.md").write_text(
        (s / PROCEDURE).read_text(encoding="utf-8").replace('code: "1.013225"', 'code: "9.000001"'), encoding="utf-8"),
    "a procedure deleted": lambda s: (s / UNLINKED).unlink() or unlink_it(s),
}


@pytest.mark.parametrize("change", sorted(FRONT_MATTER_EDITS))
def test_the_front_matter_of_a_page_or_procedure_edited_takes_the_whole_build(tmp_path: Path, whole_builds: list[int],
                                                                               change: str) -> None:
    site = shipped_site(tmp_path / "site")
    build(site, site / "output")
    FRONT_MATTER_EDITS[change](site)
    build(site, site / "output")
    assert len(whole_builds) == 2
    assert_same_as_full(site, tmp_path)


def tree_difference(ours: Path, theirs: Path, done: list[str]) -> str:
    """What differs between two outputs, for the message of a failed comparison: the changes made
    so far, the files on one side only, and the first lines that differ in each differing file."""
    import difflib

    a, b = tree(ours), tree(theirs)
    lines = [f"changes: {done}", f"only in the incremental output: {sorted(a.keys() - b.keys())}",
             f"only in the build from nothing: {sorted(b.keys() - a.keys())}"]
    for rel in sorted(k for k in a.keys() & b.keys() if a[k] != b[k])[:6]:
        diff = difflib.unified_diff((theirs / rel).read_text("utf-8", "replace").splitlines(),
                                    (ours / rel).read_text("utf-8", "replace").splitlines(), "from nothing", "incremental",
                                    n=0, lineterm="")
        lines += [f"--- {rel}", *list(diff)[2:14]]
    return "\n".join(lines)


# Ways to build the same site: as of two moments (posts dated between them are in the future at the
# first), as the preview server does (drafts and future posts shown), for another address.
BUILD_OPTIONS = (("--as-of", "2021-12-31"), ("--as-of", "2021-10-20 08:00"),
                 ("--as-of", "2021-12-31", "--drafts", "--future"),
                 ("--as-of", "2021-12-31", "--base-url", "https://sxd.example.gov.vn/"))


@pytest.mark.parametrize("seed", [int(os.environ.get("CCHC_TEST_SEED", "5"))])  # other seeds: explore by hand
@pytest.mark.parametrize("switching", [False, True], ids=["one way to build", "switching ways to build"])
def test_random_changes_of_every_kind_on_the_shipped_site_each_equal_a_build_from_nothing(
        tmp_path: Path, whole_builds: list[int], seed: int, switching: bool) -> None:
    """The department's own site (a copy), then random changes of every kind an office makes, one
    after another, each followed by a build that must equal a build of the same content from
    nothing: bodies, titles, dates, categories, tags and drafts of posts; posts added, deleted,
    renamed and linked to from others; procedures and pages edited, added and deleted; the data
    file, a template, the site's own theme asset, static files, posts' images and site.yaml
    (a new category too) edited; a file touched but unchanged; a file broken (both builds fail
    alike and the output stays as it was) and mended at the next step; a file of the output or
    the whole cache deleted by hand.
    ``switching``: now and then the next build is made another way (:data:`BUILD_OPTIONS`), with
    ``--clean``, or after a build of the same site and cache into another folder (compared too)."""
    import random
    import re

    site = shipped_site(tmp_path / "site")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    assert "min_posts: 2" in config
    (site / "site.yaml").write_text(config.replace("min_posts: 2", "min_posts: 1"), encoding="utf-8")
    as_of = BUILD_OPTIONS[0]
    build(site, site / "output", *as_of)
    rng = random.Random(seed + switching)
    categories = re.findall(r'^  - name: "(.+)"$', config, re.M)[:5]
    posts_dir = site / "content/posts"
    counter = iter(range(10_000))

    def files(folder: str) -> list[Path]:
        return sorted((site / "content" / folder).rglob("*.md"))

    def linked(path: Path) -> bool:
        """Another file names this one's slug (in a link): deleting or moving it would break that."""
        return any(path.stem in other.read_text(encoding="utf-8") for other in site.joinpath("content").rglob("*.md")
                   if other != path)

    def free_posts() -> list[Path]:
        return [p for p in files("posts") if not linked(p)]

    def line_of(path: Path, key: str) -> str:
        return next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(key + ":"))

    def set_line(path: Path, key: str, value: str) -> None:
        """``key: value`` in the front matter, in place of the key's line and the lines of a list below it."""
        text = path.read_text(encoding="utf-8")
        old = re.search(rf"^{key}:.*\n(?:[ \t]+\S.*\n)*", text, re.M)
        if old is not None:
            edit(path, old[0], f"{key}: {value}\n")
        else:
            edit(path, "\n---\n", f"\n{key}: {value}\n---\n")

    def post_url(path: Path) -> str:
        found = re.search(r"(\d{4})-(\d{2})-\d{2}|\d{2}/(\d{2})/(\d{4})", line_of(path, "date"))
        assert found is not None
        year, month = (found[1], found[2]) if found[1] else (found[4], found[3])
        return f"/tin-tuc/{year}/{month}/{path.stem}/"

    def body(path: Path) -> None:
        """A paragraph appended, linking now and then to another post (by its URL)."""
        target = rng.choice(files("posts"))
        link = f" Xem [bài liên quan]({post_url(target)})." if rng.random() < 0.4 and target != path else ""
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f"\nĐoạn thêm {next(counter)}.{link}\n", encoding="utf-8")

    def add_post() -> None:
        month = rng.randint(7, 12)
        n = next(counter)
        folder = posts_dir / "2021" / f"{month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"tin-moi-{n}.md").write_text(post(
            f"Tin mới số {n} về cải cách hành chính", f"{rng.randint(1, 28):02d}/{month:02d}/2021",
            f"Nội dung tin mới {n}: một cửa, dịch vụ công trực tuyến.",
            category=rng.choice(categories), tags=rng.sample(["Một cửa", "Dịch vụ công", "Tuyên truyền"], k=2)),
            encoding="utf-8")

    def add_procedure() -> None:
        source = rng.choice(files("procedures"))
        n = next(counter)
        text = source.read_text(encoding="utf-8")
        text = re.sub(r'^code: .*$', f'code: "9.{n:06d}"', text, count=1, flags=re.M)
        text = re.sub(r'^title: .*$', f'title: "Thủ tục thử số {n}"', text, count=1, flags=re.M)
        (source.parent / f"9.{n:06d}.md").write_text(text, encoding="utf-8")

    def add_page() -> None:
        n = next(counter)
        (site / f"content/pages/trang-{n}.md").write_text(
            f'---\ntitle: "Trang thêm {n}"\n---\n\nNội dung trang {n}.\n', encoding="utf-8")

    def delete_added(folder: str, prefix: str) -> None:
        added = [p for p in files(folder) if p.name.startswith(prefix) and not linked(p)]
        if added:
            rng.choice(added).unlink()

    def rename_post() -> None:
        path = rng.choice(free_posts())
        path.rename(path.with_name(f"doi-ten-{next(counter)}.md"))

    def new_date(same_month: bool) -> None:
        path = rng.choice(files("posts") if same_month else free_posts())
        month = int(post_url(path).split("/")[3]) if same_month else rng.randint(7, 12)
        set_line(path, "date", f'"{rng.randint(1, 28):02d}/{month:02d}/2021 {rng.randint(0, 23):02d}:30"')

    def toggle_draft() -> None:
        path = rng.choice(free_posts())
        text = path.read_text(encoding="utf-8")
        if "\ndraft: true\n" in text:
            edit(path, "\ndraft: true\n", "\n")
        else:
            edit(path, "\n---\n", "\ndraft: true\n---\n")

    def data_file() -> None:
        path = site / "content/data/chi-so.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"score: [\d.]+", f"score: {rng.randint(40, 90)}.{rng.randint(10, 99)}", text, count=1),
                        encoding="utf-8")

    def template() -> None:
        path = site / "templates/_footer_contact.html"
        path.write_text(path.read_text(encoding="utf-8") + f"<p>Dòng thêm {next(counter)}</p>\n", encoding="utf-8")

    def static_file() -> None:
        folder = site / "content/static"
        folder.mkdir(exist_ok=True)
        present = sorted(folder.glob("tep-*.txt"))
        if present and rng.random() < 0.5:
            rng.choice(present).unlink()
        else:
            (folder / f"tep-{next(counter)}.txt").write_text("tệp tĩnh", encoding="utf-8")

    def site_yaml() -> None:
        path = site / "site.yaml"
        text = path.read_text(encoding="utf-8")
        if rng.random() < 0.5:
            old = re.search(r"^posts_per_page: \d+$", text, re.M)
            assert old is not None
            edit(path, old[0], f"posts_per_page: {rng.choice([2, 3, 4, 10])}")
        else:
            old = re.search(r"^description: .*$", text, re.M)
            assert old is not None
            edit(path, old[0], f'description: "Mô tả số {next(counter)}"')

    def touch() -> None:
        path = rng.choice(files("posts") + files("procedures") + files("pages"))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000))

    def asset() -> None:
        """The site's own copy of a theme asset (templates/assets/), added, changed or removed."""
        path = site / "templates/assets/print.css"
        if path.exists() and rng.random() < 0.3:
            path.unlink()
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(f"/* bản in {next(counter)} */\nbody {{ color: #000; }}\n", encoding="utf-8")

    def image() -> None:
        """A post given a static image (made first), or its image taken away."""
        path = rng.choice(files("posts"))
        if "\nimage:" in path.read_text(encoding="utf-8"):
            edit(path, line_of(path, "image") + "\n", "")
        else:
            (site / "content/static/anh").mkdir(parents=True, exist_ok=True)
            name = f"anh/hinh-{next(counter)}.png"
            (site / "content/static" / name).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(32)))
            set_line(path, "image", f'"{name}"')

    def category_added() -> None:
        path = site / "site.yaml"
        n = next(counter)
        edit(path, "\ncategories:\n", f'\ncategories:\n  - name: "Chuyên mục thêm {n}"\n    slug: chuyen-muc-them-{n}\n')

    def output_file_deleted() -> None:
        """A file of the output deleted by hand (the next build must bring it back)."""
        html = sorted((site / "output").rglob("*.html"))
        if html:
            rng.choice(html).unlink()

    broken: list[tuple[Path, str]] = []

    def break_file() -> None:
        path = rng.choice(files("posts") + files("procedures"))
        text = path.read_text(encoding="utf-8")
        broken.append((path, text))
        path.write_text(text.replace("title:", "title: [chưa đóng", 1), encoding="utf-8")

    changes: dict[str, Callable[[], object]] = {
        "post body": lambda: body(rng.choice(files("posts"))),
        "post title": lambda: set_line(rng.choice(files("posts")), "title", f'"Tiêu đề {next(counter)}"'),
        "post date in its month": lambda: new_date(True),
        "post date in another month": lambda: new_date(False),
        "post category": lambda: set_line(rng.choice(files("posts")), "category", f'"{rng.choice(categories)}"'),
        "post tags": lambda: set_line(rng.choice(files("posts")), "tags",
                                      str(rng.sample(["Một cửa", "Dịch vụ công", "Tuyên truyền", "PAPI"], k=2))),
        "post draft": toggle_draft,
        "post added": add_post,
        "post deleted": lambda: rng.choice(free_posts()).unlink(),
        "post renamed": rename_post,
        "procedure body": lambda: body(rng.choice(files("procedures"))),
        "procedure title": lambda: set_line(rng.choice(files("procedures")), "title", f'"Thủ tục {next(counter)}"'),
        "procedure added": add_procedure,
        "procedure deleted": lambda: delete_added("procedures", "9."),
        "page body": lambda: body(rng.choice(files("pages"))),
        "page added": add_page,
        "page deleted": lambda: delete_added("pages", "trang-"),
        "data file": data_file,
        "template": template,
        "static file": static_file,
        "site.yaml": site_yaml,
        "touched": touch,
        "broken": break_file,
        "theme asset of the site": asset,
        "post image": image,
        "category added": category_added,
        "output file deleted by hand": output_file_deleted,
        "cache deleted": lambda: shutil.rmtree(site / ".cchc-cache", ignore_errors=True),
    }
    weights = {name: 1 for name in changes}
    weights.update({"post body": 4, "post title": 2, "post added": 3, "post date in its month": 2, "procedure body": 2})
    done: list[str] = []
    quick = 0
    for step in range(24):
        mended = bool(broken)
        while broken:  # last step's broken file, mended
            path, text = broken.pop()
            path.write_text(text, encoding="utf-8")
        name = rng.choices(list(weights), weights=list(weights.values()))[0]
        changes[name]()
        if switching and rng.random() < 0.3:
            as_of = rng.choice(BUILD_OPTIONS)
            name += f" (then built with {' '.join(as_of)})"
        clean = ("--clean",) if switching and rng.random() < 0.1 else ()
        if switching and rng.random() < 0.15:  # first a build of the same site, with its cache, into another folder
            side = rng.choice(BUILD_OPTIONS)
            name += f" (also built into another folder with {' '.join(side)})"
            built = run_cli("build", "--site", site, "--output", tmp_path / "elsewhere", *side)
            alone = tmp_path / "alone"
            shutil.copytree(site, alone, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
            assert built.code == run_cli("build", "--site", alone, "--output", alone / "output", *side).code
            if built.code == 0:
                assert tree(tmp_path / "elsewhere") == tree(alone / "output"), tree_difference(
                    tmp_path / "elsewhere", alone / "output", done + [name])
            shutil.rmtree(alone)
        done.append(name + (" (and the broken file mended)" if mended else "") + (" (--clean)" if clean else ""))
        before = tree(site / "output")
        calls = len(whole_builds)
        result = run_cli("build", "--site", site, "--output", site / "output", *as_of, *clean)
        quick += len(whole_builds) == calls
        fresh = tmp_path / f"fresh-{step}"
        shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".cchc-cache", "output", ".output.*"))
        full = run_cli("build", "--site", fresh, "--output", fresh / "output", *as_of)
        assert result.code == full.code, (done, result.err, full.err)
        if result.code == 0:
            assert tree(site / "output") == tree(fresh / "output"), tree_difference(site / "output", fresh / "output", done)
        else:
            assert tree(site / "output") == before, (done, result.err)
            assert sorted(set(re.findall(r"\bE\d{3}\b", result.err))) == sorted(set(re.findall(r"\bE\d{3}\b", full.err)))
        shutil.rmtree(fresh)
    assert quick >= (2 if switching else 4), (quick, done)
