"""Nothing is lost: builds are atomic, refuse dangerous output folders and never touch content.

The kill test starts real ``python -m cchc_site build`` processes on a site with 3000 posts and
kills them with SIGKILL at several moments; the output folder must always be one complete build
(the previous one, or the new one if the swap had already happened), never a mix.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable

import pytest

import cchc_site.build
import cchc_site.output
import cchc_site.publish
import cchc_site.quickbuild
import cchc_site.wholebuild
from sitekit import MINIMAL_CONFIG, post, run_cli, write_site

AS_OF = "2022-01-01"
N_POSTS = 3000


def tree_hashes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    hashes: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if path.is_file():
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cchc_site", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=600, env={**os.environ, **(env or {})})


def big_site(root: Path) -> Path:
    files: dict[str, str | bytes] = {}
    for i in range(N_POSTS):
        month, day = 1 + i % 12, 1 + i % 28
        files[f"content/posts/2020/{month:02d}/bai-{i:04d}.md"] = post(
            f"Bài viết số {i} về cải cách hành chính", f"2020-{month:02d}-{day:02d}",
            f"Nội dung **bài {i}**.\n\n## Kết quả\n\nĐoạn thứ hai của bài {i}, có [liên kết](/tin-tuc/).",
            category="Hoạt động cải cách hành chính", tags=["CCHC", f"thẻ {i % 40}"])
    return write_site(root, files)


def change_everything(site: Path) -> None:
    """A change that makes every page different (the site title is on every page) plus a new post."""
    config = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(config.replace("Chuyên mục CCHC thử nghiệm", "Chuyên mục CCHC (bản mới)"),
                                    encoding="utf-8")
    (site / "content/posts/2021/06/bai-moi.md").parent.mkdir(parents=True, exist_ok=True)
    (site / "content/posts/2021/06/bai-moi.md").write_text(post("Bài mới", "2021-06-01"), encoding="utf-8")


def siblings(output: Path) -> set[str]:
    return {p.name for p in output.parent.iterdir()} - {output.name}


def kill_quietly(kill: Callable[[int, int], None], pid: int) -> None:
    """SIGKILL ``pid`` (a process or a group); nothing to do when it has already ended."""
    try:
        kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.slow
def test_kill_9_during_a_build_never_damages_the_output(tmp_path: Path) -> None:
    site = big_site(tmp_path / "site")
    output = site / "output"
    first = cli("build", "--site", site, "--as-of", AS_OF)
    assert first.returncode == 0, first.stderr
    before = tree_hashes(output)
    assert len(before) > N_POSTS
    # A build from nothing leaves a spare of links beside output/; deleted here, the next build
    # first makes one (a new folder of hard links, which this test sees appear) and writes into it.
    shutil.rmtree(site / ".output.cchc-spare")

    # What a complete build of the changed content gives (built in a copy of the site).
    change_everything(site)
    copy = tmp_path / "copy"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("output", ".cchc-cache"))
    assert cli("build", "--site", copy, "--as-of", AS_OF).returncode == 0
    after = tree_hashes(copy / "output")
    assert after != before
    baseline_siblings = siblings(output)

    moments: list[tuple[str, float]] = [("time", 0.5), ("time", 0.9), ("time", 1.3), ("staging", 0.0),
                                        ("staging", 0.15), ("parent-only", 0.05)]
    landed_mid_write = 0
    for kind, delay in moments:
        process = subprocess.Popen([sys.executable, "-m", "cchc_site", "build", "--site", str(site),
                                    "--as-of", AS_OF], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            if kind in ("staging", "parent-only"):  # wait until the build starts writing its new folder
                deadline = time.monotonic() + 120
                while not (siblings(output) - baseline_siblings) and process.poll() is None:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
            time.sleep(delay)
            still_running = process.poll() is None
            # A build that had already finished is a valid moment too: the kill finds nothing.
            if kind == "parent-only":
                kill_quietly(os.kill, process.pid)  # the pool workers survive their parent a moment
                process.wait(timeout=60)
                time.sleep(0.3)
            else:
                kill_quietly(os.killpg, process.pid)
                process.wait(timeout=60)
        finally:
            kill_quietly(os.killpg, process.pid)
        if still_running and siblings(output) - baseline_siblings:
            landed_mid_write += 1
        now = tree_hashes(output)
        assert now in (before, after), f"kill ({kind}, {delay}s) left a mixed output folder"
        if now == after:
            before = after  # the swap had happened: that is now the previous build
    assert landed_mid_write >= 1, "no kill landed while the new folder was being written"

    final = cli("build", "--site", site, "--as-of", AS_OF)
    assert final.returncode == 0, final.stderr
    assert tree_hashes(output) == after
    # Half-written folders of the killed builds are gone (a kept spare copy of the previous
    # output, ".output.cchc-spare", is part of the design).
    leftovers = {n for n in siblings(output) - baseline_siblings if "cchc-tmp" in n or "cchc-old" in n}
    assert not leftovers, f"staging folders left beside output/: {leftovers}"


@pytest.mark.slow
def test_kill_9_during_a_build_from_nothing_leaves_no_output_or_a_whole_one(tmp_path: Path) -> None:
    """A build from nothing also makes its spare (folders while it renders, links once the files are
    written): killed at any moment, there is no output or a complete one, and the next build
    leaves the right output, its spare and nothing half made."""
    site = big_site(tmp_path / "site")
    reference = tmp_path / "reference"
    shutil.copytree(site, reference)
    assert cli("build", "--site", reference, "--as-of", AS_OF).returncode == 0
    expected = tree_hashes(reference / "output")
    output = site / "output"
    seen_spare = 0
    for kind, delay in (("time", 0.8), ("time", 2.0), ("spare", 0.0), ("spare", 0.2), ("spare", 0.6)):
        for leftover in (output, site / ".output.cchc-spare", site / ".cchc-cache"):
            shutil.rmtree(leftover, ignore_errors=True)
        process = subprocess.Popen([sys.executable, "-m", "cchc_site", "build", "--site", str(site),
                                    "--as-of", AS_OF], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            if kind == "spare":  # once the spare's folders are being made
                deadline = time.monotonic() + 120
                while process.poll() is None and time.monotonic() < deadline:
                    if any(p.name.endswith("-spare") and "cchc-tmp" in p.name for p in site.iterdir()):
                        seen_spare += process.poll() is None
                        break
                    time.sleep(0.005)
            time.sleep(delay)
        finally:
            kill_quietly(os.killpg, process.pid)
            process.wait(timeout=60)
        assert not output.exists() or tree_hashes(output) == expected, f"killed ({kind}, {delay}s): a mixed output"
    assert seen_spare >= 1, "no kill landed while the spare was being made"
    final = cli("build", "--site", site, "--as-of", AS_OF)
    assert final.returncode == 0, final.stderr
    assert tree_hashes(output) == expected
    assert not [p.name for p in site.iterdir() if "cchc-tmp" in p.name or "cchc-old" in p.name]


def test_a_failed_render_keeps_the_previous_output(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28")})
    assert run_cli("build", "--site", site, "--as-of", AS_OF).code == 0
    before = tree_hashes(site / "output")
    (site / "content/posts/2021/07/b.md").write_text(post("Bài B", "2021-07-29"), encoding="utf-8")
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n{{ khong_co_bien_nay }}\n{% endblock %}\n', encoding="utf-8")
    result = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert result.code == 1 and "templates/post.html:3: E031" in result.err
    assert tree_hashes(site / "output") == before
    assert sorted(p.name for p in site.iterdir()) == sorted(["content", "output", "site.yaml", "templates",
                                                             *[p.name for p in site.iterdir()
                                                               if p.name in (".cchc-cache", ".output.cchc-lock",
                                                                             ".output.cchc-spare")]])


def test_a_build_from_nothing_that_fails_leaves_nothing(tmp_path: Path) -> None:
    """A first build whose pages fail to render leaves no output, no spare and no folder half made
    (its spare's folders were being made while it rendered)."""
    files: dict[str, str | bytes] = {f"content/posts/2021/07/bai-{i}.md": post(f"Bài {i}", "2021-07-28")
                                     for i in range(30)}
    files["templates/post.html"] = '{% extends "base.html" %}\n{% block content %}\n{{ khong_co_bien_nay }}\n{% endblock %}\n'
    site = write_site(tmp_path / "site", files)
    result = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert result.code == 1 and "templates/post.html:3: E031" in result.err
    assert sorted(p.name for p in site.iterdir() if p.name not in (".cchc-cache", ".output.cchc-lock")) == \
        ["content", "site.yaml", "templates"]


def test_files_of_deleted_posts_disappear(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/posts/2021/07/a.md": post("Bài A", "2021-07-28", tags=["Thẻ riêng"]),
        "content/posts/2021/08/b.md": post("Bài B", "2021-08-02"),
    })
    assert run_cli("build", "--site", site, "--as-of", AS_OF).code == 0
    out = site / "output"
    assert (out / "tin-tuc/2021/07/a/index.html").is_file()
    assert (out / "tin-tuc/2021/07/index.html").is_file()
    assert (out / "the/the-rieng/index.html").is_file()
    (site / "content/posts/2021/07/a.md").unlink()
    assert run_cli("build", "--site", site, "--as-of", AS_OF).code == 0
    assert not (out / "tin-tuc/2021/07/a").exists()
    assert not (out / "tin-tuc/2021/07").exists()  # the month had only that post
    assert not (out / "the/the-rieng").exists()
    assert (out / "tin-tuc/2021/08/b/index.html").is_file()
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/tin-tuc/2021/07/a/" not in sitemap and "/tin-tuc/2021/08/b/" in sitemap
    assert all("tin-tuc/2021/07/a" not in p.read_text(encoding="utf-8", errors="replace")
               for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".xml", ".json"))


@pytest.fixture
def no_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to write an output fail loudly, so a refused folder is never touched
    even if the check regressed (these tests point --output at / and the home folder)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the build tried to write: {args}")
    for module in (cchc_site.output, cchc_site.publish, cchc_site.build, cchc_site.wholebuild, cchc_site.quickbuild):
        for name in ("new_staging", "swap_in", "recover_output", "write_file", "copy_file", "link_or_copy",
                     "remove_file", "discard", "mark_folder"):
            monkeypatch.setattr(module, name, refuse, raising=False)


@pytest.mark.parametrize("target", ["site", "content", "templates", "content/posts", "home", "root", "parent",
                                    "foreign", "file"])
def test_dangerous_output_is_refused(target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     no_writes: None) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28"),
                                          "templates/ghi-chu.txt": "mẫu của đơn vị"})
    home = tmp_path / "nha"
    home.mkdir()
    (home / "tai-lieu.docx").write_bytes(b"quan trong")
    monkeypatch.setenv("HOME", str(home))
    foreign = tmp_path / "du-lieu"
    foreign.mkdir()
    (foreign / "bao-cao.xlsx").write_bytes(b"du lieu khac")
    a_file = tmp_path / "mot-tep.txt"
    a_file.write_text("x", encoding="utf-8")
    output = {"site": site, "content": site / "content", "templates": site / "templates",
              "content/posts": site / "content/posts", "home": home, "root": Path("/"), "parent": tmp_path,
              "foreign": foreign, "file": a_file}[target]
    watched = [site, home, foreign]
    before = [tree_hashes(p) for p in watched]
    result = run_cli("build", "--site", site, "--output", output, "--as-of", AS_OF)
    assert result.code in (1, 2), result
    assert "E050" in result.err + result.out
    assert "Traceback" not in result.err + result.out
    assert [tree_hashes(p) for p in watched] == before
    assert a_file.read_text(encoding="utf-8") == "x"


def test_an_empty_or_own_output_folder_is_accepted(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28")})
    empty = tmp_path / "trong"
    empty.mkdir()
    assert run_cli("build", "--site", site, "--output", empty, "--as-of", AS_OF).code == 0
    assert (empty / "index.html").is_file() and (empty / cchc_site.output.MARKER).is_file()
    # the folder is now ours: building into it again is fine
    assert run_cli("build", "--site", site, "--output", empty, "--as-of", AS_OF).code == 0


def test_build_and_check_never_modify_content(tmp_path: Path) -> None:
    text = post("Đẩy mạnh cải cách hành chính", "2021-07-28", "Nội dung có **chữ đậm**.\n\n---\n\nĐoạn sau.")
    site = write_site(tmp_path / "site", {
        "content/posts/2021/07/bom.md": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "content/posts/2021/07/crlf.md": text.replace("Đẩy", "Một").replace("\n", "\r\n").encode("utf-8"),
        "content/posts/2021/07/cr.md": text.replace("Đẩy", "Hai").replace("\n", "\r").encode("utf-8"),
        "content/posts/2021/07/nfd.md": unicodedata.normalize("NFD", text.replace("Đẩy", "Ba")).encode("utf-8"),
        unicodedata.normalize("NFD", "content/posts/2021/07/tên-tệp-nfd.md"):
            unicodedata.normalize("NFD", text.replace("Đẩy", "Bốn")).encode("utf-8"),
        "content/posts/2021/07/tab.md": text.replace('title: "', 'title:\t"').encode("utf-8"),
        "content/static/van-ban.pdf": b"%PDF-1.4 thu nghiem",
        "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\n\nTrang giới thiệu.\n",
        "content/data/chi-so.yaml": "# trống\n",
    })
    skip = ("output", ".cchc-cache", ".output.cchc-spare", ".output.cchc-lock")  # the build's own, beside content
    before = tree_hashes(site, skip)
    names_before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    for args in (("build",), ("build",), ("build", "--clean"), ("check",)):
        result = run_cli(*args, "--site", site, "--as-of", AS_OF)
        assert result.code == 0, result.err + result.out
    assert (site / "output/tin-tuc/2021/07/ten-tep-nfd/index.html").is_file()
    assert tree_hashes(site, skip) == before
    names_after = sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                         if not any(p.relative_to(site).as_posix().startswith(s) for s in skip))
    assert names_after == names_before
    assert MINIMAL_CONFIG.encode("utf-8") == (site / "site.yaml").read_bytes()


def test_a_second_build_into_the_same_output_stops_and_changes_nothing(tmp_path: Path) -> None:
    """Two builds never work on one output at once (another window, another CI job): the second
    stops with E052, the output and its spare stay as they were; the next build runs normally."""
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28")})
    output = site / "output"
    assert run_cli("build", "--site", site, "--as-of", AS_OF).code == 0
    (site / "content/posts/2021/07/b.md").write_text(post("Bài B", "2021-07-29"), encoding="utf-8")
    before = tree_hashes(output)
    around = siblings(output)
    with cchc_site.output.output_lock(output):  # as a build running in another process holds it
        result = run_cli("build", "--site", site, "--as-of", AS_OF)
        assert result.code == 1
        assert "E052" in result.out + result.err
        assert tree_hashes(output) == before
        assert siblings(output) == around
    result = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert tree_hashes(output) != before  # the post added meanwhile is built now


def test_a_build_killed_while_holding_the_lock_leaves_nothing_locked(tmp_path: Path) -> None:
    """The lock belongs to the open file: when its process dies, the next build may start."""
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28")})
    output = site / "output"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from cchc_site.output import output_lock\n"
        "with output_lock(Path(sys.argv[1])):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"), str(output)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert "E052" in run_cli("build", "--site", site, "--as-of", AS_OF).err
    finally:
        holder.kill()
        holder.wait()
    assert run_cli("build", "--site", site, "--as-of", AS_OF).code == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_forked_worker_never_keeps_the_output_locked(tmp_path: Path) -> None:
    """The lock belongs to the open file, which forked workers share: each closes its copy, so a
    worker outliving its build (killed with SIGKILL alone) cannot lock the output for good."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    output = tmp_path / "output"
    started = context.Event()
    child = context.Process(target=_signal_then_sleep, args=(started,))
    with cchc_site.output.output_lock(output):
        child.start()
    try:
        assert started.wait(30) and child.is_alive()  # running its own code: forked and set up
        with cchc_site.output.output_lock(output):  # the child is alive, the lock is free
            pass
    finally:
        child.kill()
        child.join()


def _signal_then_sleep(started: Any) -> None:
    started.set()
    time.sleep(60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_the_workers_of_a_killed_build_go_too_and_the_next_build_runs(tmp_path: Path) -> None:
    files = {f"content/posts/2021/{m:02d}/p{i}.md": post(f"Bài {i} tháng {m}", f"2021-{m:02d}-10", "Chữ. " * 200)
             for m in range(1, 13) for i in range(150)}
    site = write_site(tmp_path / "site", files)
    cmd = [sys.executable, "-m", "cchc_site", "build", "--site", str(site), "--as-of", AS_OF]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    deadline = time.monotonic() + 30
    while not children and proc.poll() is None and time.monotonic() < deadline:  # until the pool starts
        children = {pid for pid, parent in _processes().items() if parent == proc.pid}
        time.sleep(0.02)
    assert children, "the build ended before its workers were seen: nothing was tested"
    kill_quietly(os.kill, proc.pid)
    proc.wait()
    deadline = time.monotonic() + 10
    while children & set(_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not children & set(_processes())
    result = run_cli("build", "--site", site, "--as-of", AS_OF)
    assert result.code == 0, result.err


def _processes() -> dict[int, int]:
    """Every living process (zombies left out) and its parent, from /proc."""
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat_line.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                found[int(entry)] = int(fields[1])
    return found
