#!/usr/bin/env python3
"""Time cchc-site builds on the deterministic Vietnamese benchmark corpus (standard library only, Linux).

    python bench/run.py                                   # 1,000 and 10,000 posts, 3 runs each
    python bench/run.py --sizes 1000,10000,50000 --runs 3 --peers --json results.json --markdown-table

For every size the site is generated once (bench/make_site.py, cached in the work folder) and
these scenarios are timed, each as a whole process (`python -m cchc_site ...`), one warm-up run
not counted, then --runs counted runs:

  full        `build --site S --clean`, the previous output, its spare and the cache moved away
              first (cold: no cache, no output; the OS page cache is warm)
  clean       `build --site S --clean` with the previous output (and its spare) left in place: how
              a user rebuilds from nothing (the cache is thrown away; the old output is not deleted
              in the build but kept as the spare, then reused)
  noop        `build --site S` right after a build
  edit        append "\\nCập nhật lần <n>.\\n" to one post, then `build --site S`; afterwards the
              edit must show in the post's page and the output must be byte-identical (sha256 of
              every file) to a `--clean` build of the same content into another folder
  edit-after-clean
              the same edit right after an untimed `build --clean`: the spare that build leaves
              (the output before it) has no record, so every unchanged file is linked over it
  edit-after-full
              the same edit right after an untimed build from nothing (as `full`): that build leaves
              its spare (hard links to every file of its output, made while it writes), which this
              build updates in place (before session 15 this build had to make the spare first)
  edit-title  change the same post's title, then `build --site S`: an edit that other pages show
              (its neighbours' pages, the lists it is on, the feed, the search index); those are
              planned again from the lists the last build kept, not only the post's page
  edit-move   move the same post to the next of the corpus' five categories (never back to what
              the spare holds), then `build --site S`: it leaves one category's list and joins
              another's; both are cut into pages again from the lists the last build kept (the
              whole site is planned again only when a list's number of pages changes)
  edit-tags   give the same post two other tags of the corpus (the next pair of its fifteen, never
              back to what the spare holds), then `build --site S`: it leaves and joins tag lists
  edit-date   move the same post one day earlier (it passes the posts of that day in every list:
              its place in the order of posts changes; the lists it is on are sorted again from
              the lists the last build kept, and the search index shifts the posts it passed)
  add-post    add one new post, the newest (in the corpus' last month: every page of the home list
              and of its category's and tag's lists shifts by one), then `build --site S`
  delete-post delete the newest of the posts add-post added (added untimed when add-post is not
              run), then `build --site S`: every page of those lists shifts back; afterwards no
              added post is left (without delete-post they are deleted and the site built, untimed)
  check       `check --site S` (exit 0 or 1 both accepted: the corpus has no quota)
  check-edit  append one paragraph to the same post, then `check --site S`: that file alone is read
              (the others are judged on what the last check kept of each: its problems, URL, code,
              date; see cchc_site/checkfacts.py)
  check-cold  the same with the site's cache moved away first (a fresh clone in CI)
  check-after-full
              `check` right after an untimed build from nothing, with no check ever before (a
              fresh clone built, then checked: the build keeps what a check needs of each file)

Per run: wall time (monotonic clock, start to reap), CPU time of the process tree (wait4
rusage: user + sys of the process and the children it waited for, i.e. the pool workers) and
peak RSS (ru_maxrss: the largest single process among them).  Medians are reported with min-max.

With --peers, Hugo (`hugo` on PATH) and Pelican (`pelican` on PATH, in <work>/venv, or
importable by --python) are timed on the same corpus with the exact commands of the shared
harness (../shared/bench/run_peers.sh): cold, noop and edit.
With --paired, cchc-site's `full` and Hugo's `cold` are also timed by turns (rows `full-paired`
and `cold-paired`, one of each per round): the machine's speed drifts over minutes, and the
median of the rounds' ratios compares the two at the same moments.
With --growth, cchc-site's build from nothing is timed at every size of --sizes by turns (rows
`full-by-turns`, one of each size per round), and each round compares the time per post at the
largest size with the next smaller one: growth shown within minutes, not across a drifting hour.

Before every run (warm-up included) dirty pages are flushed (sync), so one run's writes are not
written back during the next.  Outputs and caches moved away before a run go to a trash folder
(a rename), which is emptied only when the whole benchmark is over (never between timed runs).
Deleting whole outputs made the runs after it slower for minutes, whichever system ran: ext4 does
not reuse an inode freed in the last minutes, so each new file or folder is found by walking past
the recently freed ones (a kernel profile of a slow build showed recently_deleted, find_inode_bit
and find_get_block_common at the top).  --delete-between deletes after each scenario instead,
as ../shared/bench/run_peers.sh does, then waits SETTLE_SECONDS.

All cchc-site processes get SOURCE_DATE_EPOCH (the benchmark's start, unless already set) so
"today" cannot change in the middle of a run, and bytecode is enabled (PYTHONDONTWRITEBYTECODE
removed; PYTHONPYCACHEPREFIX=<work>/pycache) so that they start like an installed cchc-site.  Exit status: 0 when every run succeeded, every
edit verification matched and every search query stayed within 1 MB; 1 otherwise.
"""
from __future__ import annotations

import argparse
import calendar
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable


HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from gen_corpus import TAGS  # noqa: E402
from make_site import make_site  # noqa: E402  (standard library only)

CATEGORIES = ("Tin hoạt động", "Cải cách thủ tục hành chính", "Chính quyền số", "Văn bản chỉ đạo điều hành",
              "Kiểm soát thủ tục hành chính")  # the corpus' categories (bench/make_site.py)
SCENARIOS = ("full", "clean", "noop", "edit", "edit-after-clean", "edit-after-full", "edit-title", "edit-move",
             "edit-tags", "edit-date", "add-post", "delete-post", "check", "check-edit",
             "check-cold", "check-after-full")
PEER_SYSTEMS = ("hugo", "pelican", "pelican-cache")
SEARCH_QUERIES = ("thu tuc hanh chinh", "cải cách hành chính", "Đà Nẵng", "1.013225")
SEARCH_LIMIT = 1_000_000
SETTLE_SECONDS = 5  # after deleting what the trash held (see the module docstring)
INDEX_DIR = "tim-kiem/chi-muc"

BUILT = re.compile(r"Đã dựng (\d+) trang, dùng lại (\d+) tệp không đổi \((\d+) tệp\)")
UNCHANGED = re.compile(r"Không có thay đổi: .* \((\d+) tệp\)")


# --------------------------------------------------------------------------- timing


@dataclass
class Run:
    rc: int | str  # exit code, or "timeout"
    wall: float
    cpu: float
    user: float
    sys: float
    peak_mib: float


def run_once(cmd: list[str], cwd: Path, env: dict[str, str] | None, timeout: float,
             log: Path | None = None) -> Run:
    """Start ``cmd`` as a new session, wait for it with wait4() and return its costs.
    Output goes to ``log`` (or is discarded); stdin is empty; no shell."""
    sink = open(log, "wb") if log else subprocess.DEVNULL
    fired = threading.Event()

    def kill(pid: int) -> None:
        fired.set()
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    try:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                stderr=subprocess.STDOUT if log else subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, kill, (proc.pid,))
        timer.start()
        try:
            while True:
                try:
                    _, status, ru = os.wait4(proc.pid, 0)
                    break
                except InterruptedError:
                    continue
        finally:
            timer.cancel()
        wall = time.monotonic() - t0
    finally:
        if log:
            sink.close()  # type: ignore[union-attr]
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc  # reaped by wait4; tell Popen so it does not wait again
    try:  # leftovers of the process group (none expected) are ended: a clean slate for the next run
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return Run("timeout" if fired.is_set() else rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_utime, ru.ru_stime,
               ru.ru_maxrss / 1024.0)


@dataclass
class Row:
    system: str
    n: int
    scenario: str
    command: str
    runs: list[Run] = field(default_factory=list)
    warmup: list[Run] = field(default_factory=list)
    ok_codes: tuple[int, ...] = (0,)
    rendered: int | None = None  # pages the last counted run rendered (cchc-site's own message)
    files: int | None = None  # files in the output after the last run
    html_xml: int | None = None  # .html + .xml files in the output after the last run
    load_before: float = 0.0  # 1-minute load average when the scenario started
    source_changed: bool = False  # cchc_site/ was edited while the scenario ran: numbers not valid
    note: str = ""

    def col(self, name: str) -> list[float]:
        return [getattr(r, name) for r in self.runs]

    @property
    def ok(self) -> bool:
        return (bool(self.runs) and not self.source_changed
                and all(r.rc in self.ok_codes for r in self.runs + self.warmup))

    def median(self, name: str) -> float | None:
        return statistics.median(self.col(name)) if self.runs else None

    def summary(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("runs", "warmup", "ok_codes")}
        for name in ("wall", "cpu", "peak_mib"):
            values = self.col(name)
            out[name] = ({"median": round(statistics.median(values), 4), "min": round(min(values), 4),
                          "max": round(max(values), 4)} if values else None)
        out["exit_codes"] = [r.rc for r in self.runs]
        out["warmup_exit_codes"] = [r.rc for r in self.warmup]
        out["ok"] = self.ok
        out["runs_counted"] = len(self.runs)
        out["us_per_post"] = self.us_per_post()
        out["runs_raw"] = [asdict(r) for r in self.runs]
        return out

    def us_per_post(self) -> float | None:
        if self.scenario not in ("full", "clean", "cold", "full-by-turns") or not self.runs:
            return None
        return round(statistics.median(self.col("wall")) / self.n * 1e6, 1)


def source_stamp() -> str:
    """Names, sizes and mtimes of every file of the cchc_site package in this checkout."""
    h = hashlib.sha256()
    for dirpath, dirs, names in os.walk(REPO / "cchc_site"):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            st = os.stat(Path(dirpath) / name)
            h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def measure(row: Row, cmd: list[str], cwd: Path, env: dict[str, str] | None, runs: int, warmup: int,
            timeout: float, log: Path | None, before=None) -> Row:  # noqa: ANN001
    """One scenario: ``before(i)`` (not timed) then the command, ``warmup`` + ``runs`` times."""
    row.load_before = round(os.getloadavg()[0], 2)
    guard = row.system == "cchc-site"
    stamp = source_stamp() if guard else ""
    for i in range(warmup + runs):
        if before:
            before(i)
        os.sync()  # every run starts with no dirty pages waiting to be written back
        run = run_once(cmd, cwd, env, timeout, log)
        (row.warmup if i < warmup else row.runs).append(run)
        status = "" if run.rc in row.ok_codes else f"  EXIT {run.rc}" + (f" (see {log})" if log else "")
        kind = "warm-up" if i < warmup else f"run {i - warmup + 1}/{runs}"
        progress(f"  {row.system} {row.n} {row.scenario} {kind}: {run.wall:.3f} s wall, {run.cpu:.3f} s cpu, "
                 f"{run.peak_mib:.0f} MiB{status}")
    if guard and source_stamp() != stamp:  # e.g. a template edited mid-run: every page is rebuilt, numbers are void
        row.source_changed = True
        progress(f"  WARNING: cchc_site/ changed while {row.system} {row.n} {row.scenario} ran; rerun it")
    if log and log.exists():
        text = log.read_text(encoding="utf-8", errors="replace")
        m = BUILT.search(text)
        if m:
            row.rendered = int(m.group(1))
        elif UNCHANGED.search(text):
            row.rendered = 0
    return row


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- files


def file_hashes(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def count_files(root: Path) -> tuple[int, int]:
    """(all files, .html + .xml files) under ``root``."""
    total = pages = 0
    for _dirpath, _dirs, names in os.walk(root):
        total += len(names)
        pages += sum(1 for n in names if n.endswith((".html", ".xml")))
    return total, pages


class Trash:
    """A folder on the work filesystem: moving things into it is a rename (instant).  What it
    holds is deleted by :meth:`empty` only when ``between`` (after each scenario), else by
    :meth:`empty_at_end` (see the module docstring)."""

    def __init__(self, root: Path, between: bool = False) -> None:
        self.root = root
        self.between = between
        self.count = 0
        root.mkdir(parents=True, exist_ok=True)

    def move(self, path: Path) -> None:
        if path.exists() or path.is_symlink():
            self.count += 1
            os.replace(path, self.root / f"{self.count}-{path.name}-{os.getpid()}-{time.time_ns()}")

    def empty(self) -> None:
        """After a scenario (never timed): delete what was moved here, then let the disk settle,
        when deleting between scenarios; otherwise nothing yet."""
        if self.between and self._delete():
            os.sync()
            time.sleep(SETTLE_SECONDS)

    def empty_at_end(self) -> None:
        self._delete()

    def _delete(self) -> bool:
        removed = False
        for child in self.root.iterdir():
            removed = True
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        return removed


def digest_files(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- sites


def ensure_site(n: int, base: Path) -> dict:
    """The cchc-site site for ``n`` posts, generated once and cached; its edit target restored."""
    site = base / "site"
    stamp_file = base / "site.stamp"
    stamp = f"{n}:{digest_files(HERE / 'gen_corpus.py', HERE / 'make_site.py')}"
    meta_file = site / "bench-meta.json"
    pristine = base / "edit-target.orig"
    if not (meta_file.is_file() and pristine.is_file() and stamp_file.is_file()
            and stamp_file.read_text() == stamp):
        progress(f"generating the cchc-site corpus, {n} posts: {site}")
        base.mkdir(parents=True, exist_ok=True)
        with open(base / "generate.log", "wb") as log:  # gen_corpus.py reports on stderr: keep it out of ours
            saved = os.dup(2)
            os.dup2(log.fileno(), 2)
            try:
                info = make_site(n, site)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        shutil.copyfile(site / info["edit_target"], pristine)
        stamp_file.write_text(stamp)
    info = json.loads(meta_file.read_text(encoding="utf-8"))
    (site / info["edit_target"]).write_bytes(pristine.read_bytes())
    return info


def ensure_peer_site(n: int, fmt: str, base: Path) -> dict:
    """The Hugo or Pelican site, made with gen_corpus.py exactly like run_peers.sh."""
    site = base / fmt
    stamp_file = base / f"{fmt}.stamp"
    stamp = f"{n}:{digest_files(HERE / 'gen_corpus.py')}"
    pristine = base / f"{fmt}-edit-target.orig"
    if not ((site / "bench-meta.json").is_file() and pristine.is_file() and stamp_file.is_file()
            and stamp_file.read_text() == stamp):
        progress(f"generating the {fmt} corpus, {n} posts: {site}")
        base.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), "--n", str(n), "--format", fmt,
                        "--out", str(site)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        meta = json.loads((site / "bench-meta.json").read_text(encoding="utf-8"))
        shutil.copyfile(site / meta["edit_target"], pristine)
        stamp_file.write_text(stamp)
    meta = json.loads((site / "bench-meta.json").read_text(encoding="utf-8"))
    (site / meta["edit_target"]).write_bytes(pristine.read_bytes())
    return {"site": site, "edit_target": meta["edit_target"]}


def post_output_path(post: Path) -> str:
    """Output path of a post: /tin-tuc/YYYY/MM/<slug>/ from its front matter (slug, date)."""
    text = post.read_text(encoding="utf-8")
    front = text.split("\n---", 1)[0]
    date = re.search(r"^date:\s*\"?(\d{4})-(\d{2})", front, re.M)
    slug = re.search(r"^slug:\s*\"?([^\"\n]+?)\"?\s*$", front, re.M)
    name = slug.group(1) if slug else post.stem
    assert date, f"no date in {post}"
    return f"tin-tuc/{date.group(1)}/{date.group(2)}/{name}/index.html"


# --------------------------------------------------------------------------- cchc-site


def move_all_built(site: Path, trash: Trash) -> None:
    """Before a build from nothing: the output, its spare, the cache and any staging folder an
    interrupted build left go into the trash."""
    for leftover in site.iterdir():
        if leftover.name.startswith((".output.cchc-tmp-", ".output.cchc-old-")):
            trash.move(leftover)
    for path in (site / "output", site / ".output.cchc-spare", site / ".cchc-cache"):
        trash.move(path)


def hugo_cold_command(trash: Trash, hugo: list[str]) -> list[str]:
    """Hugo's build from nothing as ../shared/bench/run_peers.sh runs it: public/ moved away first."""
    return ["sh", "-c", '[ ! -e public ] || mv public "$0/public.$$"; exec "$@"', str(trash.root), *hugo, "--quiet"]


def bench_cchc(n: int, args: argparse.Namespace, work: Path, trash: Trash, env: dict[str, str],
               result: dict) -> list[Row]:
    base = work / f"n{n}"
    info = ensure_site(n, base)
    site = base / "site"
    output = site / "output"
    edit_target = site / info["edit_target"]
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    py = [args.python, "-m", "cchc_site"]
    rows: list[Row] = []
    scenarios = args.scenarios

    def cold(_i: int) -> None:
        move_all_built(site, trash)

    def timed(scenario: str, argv: list[str], before=None, ok=(0,), note="") -> Row:  # noqa: ANN001
        row = Row("cchc-site", n, scenario, "python -m cchc_site " + shlex.join(argv), ok_codes=ok, note=note)
        progress(f"cchc-site {n} {scenario}: {row.command}")
        measure(row, py + argv, site, env, args.runs, args.warmup, args.timeout, logs / f"cchc-{n}-{scenario}.log",
                before)
        if output.is_dir() and argv[0] == "build":
            row.files, row.html_xml = count_files(output)
        rows.append(row)
        return row

    if "full" in scenarios:
        timed("full", ["build", "--site", str(site), "--clean"], before=cold,
              note="output, spare and .cchc-cache moved away first")
        trash.empty()
    if "clean" in scenarios:
        if not (output / ".cchc-site").is_file():
            progress(f"cchc-site {n}: a first build for the --clean scenario")
            run_once(py + ["build", "--site", str(site)], site, env, args.timeout, logs / f"cchc-{n}-prepare-clean.log")
        timed("clean", ["build", "--site", str(site), "--clean"],
              note="the previous output and its spare left in place; the cache is thrown away")
    if not (output / ".cchc-site").is_file() and ({"noop", "edit"} & set(scenarios)):
        progress(f"cchc-site {n}: a first build for the no-change and edit scenarios")
        run_once(py + ["build", "--site", str(site)], site, env, args.timeout, logs / f"cchc-{n}-prepare.log")
    if "noop" in scenarios:
        timed("noop", ["build", "--site", str(site)], note="right after a build")
    counter = {"n": 0}

    def append(_i: int) -> None:
        counter["n"] += 1
        with open(edit_target, "a", encoding="utf-8", newline="\n") as f:
            f.write(f"\nCập nhật lần {counter['n']}.\n")

    if "edit" in scenarios:
        timed("edit", ["build", "--site", str(site)], before=append, note=f"append 1 paragraph to {info['edit_target']}")
        result.setdefault("verify", {})[str(n)] = verify_edit(n, site, output, edit_target, counter["n"], base,
                                                              trash, env, args, source_stamp())
    if "edit-after-clean" in scenarios:
        def clean_then_append(i: int) -> None:
            run_once(py + ["build", "--site", str(site), "--clean"], site, env, args.timeout,
                     logs / f"cchc-{n}-edit-after-clean-prepare.log")
            append(i)

        timed("edit-after-clean", ["build", "--site", str(site)], before=clean_then_append,
              note="append 1 paragraph right after an untimed build --clean (the spare it leaves has no record)")
    if "edit-after-full" in scenarios:
        def full_then_append(i: int) -> None:
            cold(i)
            run_once(py + ["build", "--site", str(site), "--clean"], site, env, args.timeout,
                     logs / f"cchc-{n}-edit-after-full-prepare.log")
            append(i)

        timed("edit-after-full", ["build", "--site", str(site)], before=full_then_append,
              note="append 1 paragraph right after an untimed build from nothing (and the spare it leaves)")
        trash.empty()
    def timed_and_checked(scenario: str, before, note: str) -> None:  # noqa: ANN001
        """A build after ``before`` changed the content; its output is compared with a --clean build."""
        timed(scenario, ["build", "--site", str(site)], before=before, note=note)
        result.setdefault("verify", {})[f"{n} {scenario}"] = verify_edit(
            n, site, output, edit_target, None, base, trash, env, args, source_stamp(), scenario)

    if "edit-title" in scenarios:
        def retitle(_i: int) -> None:
            counter["n"] += 1
            rewrite_line(edit_target, r'^title: "', lambda _old: f'title: "Sửa {counter["n"]}: ')

        timed_and_checked("edit-title", retitle,
                          "change the title of the same post (its page, its neighbours', lists, feed and search index change)")
    if "edit-move" in scenarios:
        def move(_i: int) -> None:
            # round the five categories: never back to the state the spare (the output before) holds
            rewrite_line(edit_target, r'^category: "([^"]*)"$', lambda old: 'category: "{}"'.format(
                CATEGORIES[(CATEGORIES.index(old.group(1)) + 1) % len(CATEGORIES)]
                if old.group(1) in CATEGORIES else CATEGORIES[0]))

        timed_and_checked("edit-move", move,
                          "move the same post to another category (it leaves one category's list and joins another's)")
    if "edit-tags" in scenarios:
        def retag(_i: int) -> None:
            counter["tags"] = counter.get("tags", 0) + 1
            k = counter["tags"]
            pair = (TAGS[(2 * k) % len(TAGS)], TAGS[(2 * k + 1) % len(TAGS)])
            rewrite_line(edit_target, r"^tags: \[.*\]$", lambda _old: "tags: [" + ", ".join(f'"{t}"' for t in pair) + "]")

        timed_and_checked("edit-tags", retag, "give the same post two other tags (it leaves and joins tag lists)")
    if "edit-date" in scenarios:
        def redate(_i: int) -> None:
            def earlier(old: re.Match[str]) -> str:
                day = datetime.date(*map(int, old.group(1, 2, 3))) - datetime.timedelta(days=1)
                return f"date: {day.isoformat()}{old.group(4)}"

            rewrite_line(edit_target, r"^date: (\d{4})-(\d\d)-(\d\d)(T.*)$", earlier)

        timed_and_checked("edit-date", redate,
                          "move the same post one day earlier (its place in the order changes: the lists it is on are sorted again)")
    if "add-post" in scenarios or "delete-post" in scenarios:
        added: list[Path] = []

        newest = max((site / "content/posts").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]"))  # the corpus' last month
        year, month = int(newest.parent.name), int(newest.name)
        last_day = calendar.monthrange(year, month)[1]

        def add(i: int) -> None:
            path = newest / f"bench-bai-moi-{i:02d}.md"
            path.write_text(f'---\ntitle: "Bài mới số {i} về cải cách hành chính"\n'
                            f'date: {year}-{month:02d}-{last_day}T23:{i:02d}:00+07:00\n'
                            f'category: "{CATEGORIES[0]}"\ntags: ["Một cửa"]\n---\n\nNội dung bài mới số {i}.\n',
                            encoding="utf-8", newline="\n")
            added.append(path)

        if "add-post" in scenarios:
            timed_and_checked("add-post", add,
                              "add one post, the newest (every page of the home list shifts by one card)")
        else:  # the posts the delete-post runs delete
            for i in range(args.warmup + args.runs):
                add(i)
            run_once(py + ["build", "--site", str(site)], site, env, args.timeout, logs / f"cchc-{n}-add-posts.log")
        if "delete-post" in scenarios:
            def delete(i: int) -> None:
                added[-1 - i].unlink()  # the newest left

            timed_and_checked("delete-post", delete, "delete the newest post (every page of the home list shifts back)")
        else:
            for path in added:
                path.unlink()
            run_once(py + ["build", "--site", str(site)], site, env, args.timeout, logs / f"cchc-{n}-add-post-undo.log")
    if output.is_dir():
        result.setdefault("search", {})[str(n)] = search_bytes(output, args.python, env)
    if "check" in scenarios:
        timed("check", ["check", "--site", str(site)], ok=(0, 1), note="front matter only; exit 0 or 1 accepted")
    if "check-edit" in scenarios:
        timed("check-edit", ["check", "--site", str(site)], ok=(0, 1), before=append,
              note=f"append 1 paragraph to {info['edit_target']}, then check")
    if "check-cold" in scenarios:
        timed("check-cold", ["check", "--site", str(site)], ok=(0, 1),
              before=lambda _i: trash.move(site / ".cchc-cache"),
              note="no .cchc-cache (a fresh clone)")
        trash.empty()
    if "check-after-full" in scenarios:
        def full_build(i: int) -> None:
            cold(i)
            run_once(py + ["build", "--site", str(site), "--clean"], site, env, args.timeout,
                     logs / f"cchc-{n}-check-after-full-prepare.log")

        timed("check-after-full", ["check", "--site", str(site)], ok=(0, 1), before=full_build,
              note="right after an untimed build from nothing (no check before it)")
        trash.empty()
    return rows


def rewrite_line(path: Path, pattern: str, make: Callable[[re.Match[str]], str]) -> None:
    """Replace the first line of ``path`` that matches ``pattern`` with ``make(match)``."""
    text = path.read_text(encoding="utf-8")
    old = re.search(pattern, text, re.M)
    if old is None:
        raise SystemExit(f"no line matching {pattern!r} in {path}")
    path.write_text(text[:old.start()] + make(old) + text[old.end():], encoding="utf-8", newline="\n")


def verify_edit(n: int, site: Path, output: Path, edit_target: Path, last: int | None, base: Path, trash: Trash,
                env: dict[str, str], args: argparse.Namespace, stamp: str, scenario: str = "edit") -> dict:
    """The edit shows in the post's page (``last``: the number of the paragraph appended; None:
    not checked), and the incremental output equals a --clean build."""
    page = post_output_path(edit_target)
    needle = f"Cập nhật lần {last}." if last is not None else ""
    html = (output / page).read_text(encoding="utf-8", errors="replace") if (output / page).is_file() else ""
    shown = needle in html
    ref = base / "ref-output"
    trash.move(ref)
    trash.empty()
    cmd = [args.python, "-m", "cchc_site", "build", "--site", str(site), "--clean", "--output", str(ref)]
    progress(f"cchc-site {n} verify: {shlex.join(cmd[1:])}")
    log = work_log(args, f"cchc-{n}-reference.log")
    run = run_once(cmd, site, env, args.timeout, log)
    got, want = file_hashes(output), (file_hashes(ref) if ref.is_dir() else {})
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(k for k in set(got) & set(want) if got[k] != want[k])
    identical = run.rc == 0 and bool(want) and not (missing or extra or differ)
    diff_file = None
    if differ:
        diff_file = work_log(args, f"cchc-{n}-{scenario}-vs-clean.diff")
        write_diffs(diff_file, output, ref, differ[:5])
    changed = source_stamp() != stamp  # the reference was built by other code: a difference means nothing
    if changed:
        progress("  WARNING: cchc_site/ changed between the last edit build and the reference build; rerun")
    out = {"scenario": scenario, "page": page, "paragraph": needle, "edit_shown": shown, "identical": identical,
           "source_changed": changed,
           "files_compared": len(want), "missing_in_incremental": missing[:20], "extra_in_incremental": extra[:20],
           "different": differ[:20], "counts": [len(missing), len(extra), len(differ)],
           "diff_file": str(diff_file) if diff_file else None,
           "reference_build": {"command": shlex.join(cmd[1:]), "exit": run.rc, "wall": round(run.wall, 3)},
           "reference_output": str(ref)}
    said = f"edit shown in {page}: {'yes' if shown else 'NO'}; " if needle else ""
    progress(f"cchc-site {n} verify {scenario}: {said}identical to a --clean "
             f"build: {'yes' if identical else 'NO'} ({len(want)} files; missing {len(missing)}, extra {len(extra)}, "
             f"different {len(differ)})")
    return out


def write_diffs(target: Path, got: Path, want: Path, names: list[str]) -> None:
    """Unified diffs (incremental output against the clean build) of a few differing files."""
    import difflib

    parts = []
    for rel in names:
        a = (got / rel).read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
        b = (want / rel).read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
        if len(a) == 1 and len(b) == 1:  # one long line (JSON, minified): split it to see where
            a = re.findall(r".{1,120}", a[0], re.S)
            b = re.findall(r".{1,120}", b[0], re.S)
        parts += list(difflib.unified_diff(b, a, f"clean/{rel}", f"incremental/{rel}", n=2))[:200]
    target.write_text("".join(parts), encoding="utf-8")


def work_log(args: argparse.Namespace, name: str) -> Path:
    return Path(args.work) / "logs" / name


SEARCH_CODE = r"""
import json, sys
from pathlib import Path
from cchc_site.search import INDEX_DIR, bytes_for_query, query_index
out = Path(sys.argv[1])
files = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / INDEX_DIR).rglob("*") if p.is_file()}
rows = []
for q in sys.argv[2:]:
    o = query_index(files, q)
    rows.append({"query": q, "bytes": bytes_for_query(files, q), "files": len(o.loaded), "found": o.total})
print(json.dumps({"index_files": len(files), "index_bytes": sum(map(len, files.values())), "queries": rows}))
"""


def search_bytes(output: Path, python: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([python, "-c", SEARCH_CODE, str(output), *SEARCH_QUERIES], env=env, cwd=REPO,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-2000:], "ok": False}
    data = json.loads(proc.stdout)
    data["limit"] = SEARCH_LIMIT
    data["ok"] = all(q["bytes"] <= SEARCH_LIMIT for q in data["queries"])
    return data


# --------------------------------------------------------------------------- peers


def find_peers(args: argparse.Namespace, work: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    hugo = args.hugo or shutil.which("hugo")
    if hugo:
        found["hugo"] = [hugo]
    if args.pelican:
        found["pelican"] = shlex.split(args.pelican)
    elif shutil.which("pelican"):
        found["pelican"] = [shutil.which("pelican")]  # type: ignore[list-item]
    elif (work / "venv" / "bin" / "pelican").is_file():
        found["pelican"] = [str(work / "venv" / "bin" / "pelican")]
    elif subprocess.run([args.python, "-c", "import pelican"], capture_output=True).returncode == 0:
        found["pelican"] = [args.python, "-m", "pelican"]
    return found


def peer_version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd + ["version" if cmd[-1].endswith("hugo") else "--version"], capture_output=True,
                              text=True, timeout=60)
        return (proc.stdout or proc.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def bench_peers(n: int, args: argparse.Namespace, work: Path, trash: Trash, peers: dict[str, list[str]]) -> list[Row]:
    """Hugo and Pelican with the exact commands of ../shared/bench/run_peers.sh."""
    base = work / f"n{n}"
    rows: list[Row] = []
    t = str(trash.root)

    def go(system: str, scenario: str, site: Path, outdir: str, cmd: list[str], note: str) -> None:
        row = Row(system, n, scenario, shlex.join(cmd), note=note)
        progress(f"{system} {n} {scenario}: {row.command}")
        measure(row, cmd, site, None, args.runs, args.warmup, args.timeout, None)  # the command moves its output away
        trash.empty()
        if (site / outdir).is_dir():
            row.files, row.html_xml = count_files(site / outdir)
        rows.append(row)

    for system in args.peer_systems:
        exe = peers.get("hugo" if system == "hugo" else "pelican")
        if not exe:
            progress(f"{system}: not installed, skipped")
            continue
        if system == "hugo":
            p = ensure_peer_site(n, "hugo", base)
            site, edit = p["site"], p["edit_target"]
            go("hugo", "cold", site, "public", hugo_cold_command(trash, exe), "clean public/")
            go("hugo", "noop", site, "public", [*exe, "--quiet"], "")
            go("hugo", "edit", site, "public",
               ["sh", "-c", 'printf "\\nCập nhật lần %s.\\n" "$$" >>"$0"; exec "$@"', edit, *exe, "--quiet"],
               "append 1 paragraph to 1 post")
        else:
            p = ensure_peer_site(n, "pelican", base)
            site, edit = p["site"], p["edit_target"]
            extra = ["-e", "CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true"] if system == "pelican-cache" else []
            run = [*exe, "content", "-s", "pelicanconf.py", "-q", *extra]
            go(system, "cold", site, "output",
               ["sh", "-c", 'for d in output cache; do [ ! -e $d ] || mv $d "$0/$d.$$"; done; exec "$@"', t, *run],
               "clean output/ and cache/")
            go(system, "noop", site, "output", run, "")
            go(system, "edit", site, "output",
               ["sh", "-c", 'printf "\\nCập nhật lần %s.\\n" "$$" >>"$0"; exec "$@"', edit, *run],
               "append 1 paragraph to 1 post")
    return rows


def bench_paired(n: int, args: argparse.Namespace, work: Path, trash: Trash, env: dict[str, str],
                 peers: dict[str, list[str]]) -> list[Row]:
    """cchc-site's `full` and Hugo's `cold` by turns, one of each per round (warm-up round first):
    both then see the same moments of the machine, whose speed drifts by tens of percent over
    minutes (file system, neighbours on the host), so each round's ratio compares like with like."""
    if "hugo" not in peers:
        progress("--paired: Hugo not installed, skipped")
        return []
    base = work / f"n{n}"
    ensure_site(n, base)
    site, hugo_site = base / "site", ensure_peer_site(n, "hugo", base)["site"]
    logs = work / "logs"
    ours = Row("cchc-site", n, "full-paired", f"python -m cchc_site build --site {site} --clean",
               note="output, spare and .cchc-cache moved away first; by turns with Hugo's cold build")
    cmd = hugo_cold_command(trash, peers["hugo"])
    theirs = Row("hugo", n, "cold-paired", shlex.join(cmd), note="clean public/; by turns with cchc-site's full build")

    def cold(_i: int) -> None:
        move_all_built(site, trash)

    for i in range(args.warmup + args.runs):
        counted = i >= args.warmup
        progress(f"cchc-site and Hugo {n}, by turns: " + (f"round {i - args.warmup + 1}/{args.runs}" if counted
                                                          else "warm-up round") + " (each line below: one run)")
        measure(ours, [args.python, "-m", "cchc_site", "build", "--site", str(site), "--clean"], site, env,
                int(counted), int(not counted), args.timeout, logs / f"cchc-{n}-full-paired.log", cold)
        measure(theirs, cmd, hugo_site, None, int(counted), int(not counted), args.timeout, None)
    trash.empty()
    return [ours, theirs]


def bench_growth(sizes: list[int], args: argparse.Namespace, work: Path, trash: Trash,
                 env: dict[str, str]) -> list[Row]:
    """cchc-site's build from nothing at every size by turns, one of each per round (warm-up round
    first): the machine's speed drifts by tens of percent over minutes, so the time per post at
    two sizes is compared within each round (see :func:`growth_lines`)."""
    logs = work / "logs"
    sites: dict[int, Path] = {}
    for n in sizes:
        ensure_site(n, work / f"n{n}")
        sites[n] = work / f"n{n}" / "site"
    rows = {n: Row("cchc-site", n, "full-by-turns", f"python -m cchc_site build --site {sites[n]} --clean",
                   note="output, spare and .cchc-cache moved away first; the sizes by turns") for n in sizes}
    for i in range(args.warmup + args.runs):
        counted = i >= args.warmup
        progress("cchc-site, sizes by turns: " + (f"round {i - args.warmup + 1}/{args.runs}" if counted
                                                  else "warm-up round") + " (each line below: one run)")
        for n in sizes:
            site = sites[n]
            measure(rows[n], [args.python, "-m", "cchc_site", "build", "--site", str(site), "--clean"], site, env,
                    int(counted), int(not counted), args.timeout, logs / f"cchc-{n}-full-by-turns.log",
                    lambda _i, site=site: move_all_built(site, trash))
    trash.empty()
    return list(rows.values())


def growth_lines(rows: list[Row]) -> list[str]:
    """Per round of :func:`bench_growth`: the build's time per post at each size, and its ratio
    at the largest size to the next smaller one."""
    by_size = sorted((r for r in rows if r.scenario == "full-by-turns" and r.ok), key=lambda r: r.n)
    if len(by_size) < 2:
        return []
    lines = []
    rounds = min(len(r.runs) for r in by_size)
    big, mid = by_size[-1], by_size[-2]
    ratios = []
    for i in range(rounds):
        per_post = [(r.n, r.runs[i].wall / r.n * 1e6) for r in by_size]
        ratios.append(per_post[-1][1] / per_post[-2][1])
        lines.append(f"round {i + 1}: " + ", ".join(f"{n:,}: {u:,.0f} µs a post" for n, u in per_post)
                     + f" ({big.n:,} / {mid.n:,}: {ratios[-1]:.2f})")
    lines.append(f"time per post at {big.n:,} / at {mid.n:,}, median of {rounds} rounds' ratios: "
                 f"{statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)})")
    return lines


# --------------------------------------------------------------------------- report


def machine_info(args: argparse.Namespace, peers: dict[str, list[str]]) -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1048576
    except OSError:
        pass
    probe = subprocess.run([args.python, "-c", (
        "import sys, importlib.metadata as m\n"
        "v = {'python': sys.version.split()[0]}\n"
        "for p in ('markdown', 'jinja2', 'pyyaml'):\n"
        "    try: v[p] = m.version(p)\n"
        "    except Exception: v[p] = 'not installed'\n"
        "try:\n    import yaml; v['libyaml'] = bool(getattr(yaml, '__with_libyaml__', False))\n"
        "except Exception: pass\n"
        "import json; print(json.dumps(v))")], capture_output=True, text=True, cwd=REPO)
    libs = json.loads(probe.stdout) if probe.returncode == 0 else {"python": "unknown"}

    def git(*a: str) -> str:
        p = subprocess.run(["git", "-C", str(REPO), *a], capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    info = {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu_model": model, "cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
        "mem_gib": round(mem, 1), "kernel": f"{platform.system()} {platform.release()}",
        "python_exe": args.python, **libs,
        "git_commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    for name, cmd in peers.items():
        info[name] = peer_version(cmd)
    return info


def fmt_wall(row: Row) -> str:
    if not row.runs:
        return "–"
    w = row.col("wall")
    return f"{statistics.median(w):.3f} ({min(w):.3f}–{max(w):.3f})"


def table_rows(rows: list[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        status = ""
        if not all(x.rc in r.ok_codes for x in r.warmup + r.runs):
            status += " FAILED (exit " + ",".join(str(x.rc) for x in r.warmup + r.runs) + ")"
        if r.source_changed:
            status += " INVALID: cchc_site/ changed during the runs"
        cpu, peak = r.median("cpu"), r.median("peak_mib")
        out.append([r.system, str(r.n), r.scenario, fmt_wall(r), "–" if cpu is None else f"{cpu:.3f}",
                    "–" if peak is None else f"{peak:.0f}",
                    "–" if r.rendered is None else str(r.rendered),
                    "–" if r.html_xml is None else f"{r.html_xml}/{r.files}",
                    "–" if r.us_per_post() is None else f"{r.us_per_post():,.0f}",
                    (r.note + status).strip()])
    return out


HEADER = ["system", "N", "scenario", "wall median s (min–max)", "cpu s", "peak MiB", "pages rendered",
          "html+xml/files", "µs/post", "note"]


def print_text_table(rows: list[Row]) -> None:
    data = [HEADER] + table_rows(rows)
    widths = [max(len(r[i]) for r in data) for i in range(len(HEADER) - 1)]
    for i, r in enumerate(data):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
        if i == 0:
            print("  ".join("-" * w for w in widths) + "  ----")


def print_markdown_table(rows: list[Row]) -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in table_rows(rows):
        print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")


def find(rows: list[Row], system: str, n: int, scenario: str) -> Row | None:
    for r in rows:
        if r.system == system and r.n == n and r.scenario == scenario and r.ok:
            return r
    return None


def comparisons(rows: list[Row], sizes: list[int]) -> list[dict]:
    """Ratios of medians: ours against Pelican and Hugo, and the issue's targets."""
    out = []
    for n in sizes:
        ours = {s: find(rows, "cchc-site", n, s) for s in SCENARIOS}
        mine, peer = find(rows, "cchc-site", n, "full-paired"), find(rows, "hugo", n, "cold-paired")
        if mine and peer:
            ratios = [a.wall / b.wall for a, b in zip(mine.runs, peer.runs)]
            ratio = statistics.median(ratios)
            out.append({"n": n, "what": "full vs hugo, by turns", "ratio": round(ratio, 3),
                        "text": f"cchc-site full / Hugo full, run by turns: median of {len(ratios)} rounds' ratios "
                                f"{ratio:.2f} ({', '.join(f'{r:.2f}' for r in ratios)}) (target ≤ 1.25)",
                        "met": ratio <= 1.25})
        for system in ("pelican", "hugo"):
            peer = find(rows, system, n, "cold")
            for name in ("full", "clean"):
                mine = ours[name]
                if not (mine and peer):
                    continue
                if system == "pelican":
                    ratio = peer.median("wall") / mine.median("wall")
                    text = f"Pelican full / cchc-site {name} = {ratio:.2f}× (target ≥ 4)"
                else:
                    ratio = mine.median("wall") / peer.median("wall")
                    text = f"cchc-site {name} / Hugo full = {ratio:.2f} (target ≤ 1.25)"
                out.append({"n": n, "what": f"{name} vs {system}", "ratio": round(ratio, 3), "text": text,
                            "met": ratio >= 4 if system == "pelican" else ratio <= 1.25})
            for scen in ("noop", "edit"):
                peer_s = find(rows, system, n, scen)
                mine = ours[scen]
                if mine and peer_s:
                    ratio = peer_s.median("wall") / mine.median("wall")
                    out.append({"n": n, "what": f"{scen} vs {system}", "ratio": round(ratio, 3),
                                "text": f"{system} {scen} / cchc-site {scen} = {ratio:.1f}×", "met": None})
        limits = (("noop", "wall", 0.5, "s"), ("edit", "wall", 1.0, "s"), ("edit-after-clean", "wall", 1.0, "s"),
                  ("edit-after-full", "wall", 1.0, "s"),
                  ("edit-title", "wall", 1.0, "s"), ("edit-move", "wall", 1.0, "s"), ("edit-tags", "wall", 1.0, "s"),
                  ("edit-date", "wall", 1.0, "s"), ("add-post", "wall", 1.0, "s"),
                  ("delete-post", "wall", 1.0, "s"),
                  ("check", "wall", 0.5, "s"), ("check-edit", "wall", 0.5, "s"), ("check-cold", "wall", 0.5, "s"),
                  ("check-after-full", "wall", 0.5, "s"))
        for scen, col, limit, unit in limits:
            r = ours.get(scen)
            if r:
                v = r.median(col)
                out.append({"n": n, "what": f"{scen} < {limit} {unit}", "ratio": round(v, 3),
                            "text": f"{scen} median {v:.3f} {unit} (target < {limit} {unit})", "met": v < limit})
        peaks = [r.median("peak_mib") for r in ours.values() if r]
        if peaks:
            top = max(peaks)  # type: ignore[type-var]
            out.append({"n": n, "what": "peak < 400 MB", "ratio": round(top, 1),
                        "text": f"peak RSS over all scenarios {top:.0f} MiB (target < 400 MB ≈ 381 MiB)",
                        "met": top < 400e6 / 2**20})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="post counts, comma-separated (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs per scenario (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted warm-up runs (default 1)")
    parser.add_argument("--work", default=str(Path(os.environ.get("TMPDIR") or "/tmp") / "cchc-bench"),
                        help="work folder: generated sites, outputs, logs (default $TMPDIR/cchc-bench)")
    parser.add_argument("--python", default=sys.executable, help="Python that runs cchc-site (default: this one)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"subset of {','.join(SCENARIOS)}")
    parser.add_argument("--peers", action="store_true", help="also time Hugo and Pelican when installed")
    parser.add_argument("--peer-systems", default="hugo,pelican", help=f"subset of {','.join(PEER_SYSTEMS)}")
    parser.add_argument("--paired", action="store_true",
                        help="also time cchc-site's full build and Hugo's cold build by turns (needs Hugo; "
                             "--scenarios '' times only these)")
    parser.add_argument("--growth", action="store_true",
                        help="also time cchc-site's build from nothing at every size by turns, and compare the "
                             "time per post within each round (--scenarios '' times only these)")
    parser.add_argument("--hugo", help="Hugo executable (default: hugo on PATH)")
    parser.add_argument("--pelican", help="Pelican command (default: pelican on PATH, <work>/venv/bin/pelican, "
                                          "or `--python -m pelican`)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed for one process")
    parser.add_argument("--json", help="write every number (raw runs included) to this file")
    parser.add_argument("--delete-between", action="store_true",
                        help="delete moved-away outputs after each scenario, as run_peers.sh does (default: at the end)")
    parser.add_argument("--markdown-table", action="store_true", help="also print the table as GitHub Markdown")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: write numbers separated by commas, e.g. 1000,10000")
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.peer_systems = [s.strip() for s in args.peer_systems.split(",") if s.strip()]
    bad = [s for s in args.scenarios if s not in SCENARIOS] + [s for s in args.peer_systems if s not in PEER_SYSTEMS]
    if bad or args.runs < 1 or args.warmup < 0 or not sizes:
        parser.error(f"bad --scenarios/--peer-systems/--runs/--warmup/--sizes ({', '.join(bad)})")

    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    (work / "logs").mkdir(exist_ok=True)
    trash = Trash(work / "trash", between=args.delete_between)  # what an earlier run left is deleted at the end
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("SOURCE_DATE_EPOCH", str(int(time.time())))
    # Time cchc-site as installed: with bytecode.  PYTHONDONTWRITEBYTECODE (set on some CI and dev
    # machines) would make every process compile all of cchc_site again (~0.1 s cpu); the warm-up
    # run writes the bytecode under the work folder instead of the repository.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    peers = find_peers(args, work) if args.peers or args.paired else {}
    if args.peers:
        progress("peers found: " + (", ".join(f"{k} = {shlex.join(v)}" for k, v in peers.items()) or "none"))
    result: dict = {"machine": machine_info(args, peers),
                    "options": {"sizes": sizes, "runs": args.runs, "warmup": args.warmup, "work": str(work),
                                "scenarios": args.scenarios, "paired": args.paired, "growth": args.growth,
                                "peers": sorted(peers) if args.peers or args.paired else [],
                                "source_date_epoch": env["SOURCE_DATE_EPOCH"],
                                "command": shlex.join([sys.executable, *sys.argv])}}
    rows: list[Row] = []
    for n in sizes:
        rows += bench_cchc(n, args, work, trash, env, result)
        if args.peers:
            rows += bench_peers(n, args, work, trash, peers)
        if args.paired:
            rows += bench_paired(n, args, work, trash, env, peers)
    if args.growth:
        rows += bench_growth(sizes, args, work, trash, env)
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["rows"] = [r.summary() for r in rows]
    result["comparisons"] = comparisons(rows, sizes)

    m = result["machine"]
    print()
    print(f"Machine: {m['cpu_model']}, {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['mem_gib']} GiB RAM, "
          f"{m['kernel']}")
    print(f"Python {m['python']} (markdown {m.get('markdown')}, jinja2 {m.get('jinja2')}, PyYAML {m.get('pyyaml')}"
          f"{', libyaml' if m.get('libyaml') else ', no libyaml'}); cchc-site at git {m['git_commit']}")
    for name in peers:
        print(f"{name}: {m[name]}")
    print(f"Date {m['date_utc']}; load average at start {m['loadavg_start']}, at end {m['loadavg_end']}; "
          f"{args.runs} counted run(s) after {args.warmup} warm-up")
    print()
    print_text_table(rows)
    fulls = [(r.n, r.us_per_post()) for r in rows if r.system == "cchc-site" and r.scenario == "full" and r.ok]
    if len(fulls) > 1:
        print("\nGrowth, cchc-site full build per post: " + ", ".join(f"{n:,}: {u:,.0f} µs" for n, u in fulls)
              + f" (largest / smallest size: {fulls[-1][1] / fulls[0][1]:.2f})")
    if args.growth:
        result["growth"] = growth_lines(rows)
        print("\nGrowth, cchc-site's builds from nothing with the sizes by turns:")
        for line in result["growth"]:
            print("  " + line)
    if result.get("verify"):
        print()
        for n, v in result["verify"].items():
            if v["source_changed"]:
                print(f"Edit check at {n}: INCONCLUSIVE, cchc_site/ changed before the reference build")
            shown = f"paragraph shown in {v['page']}: {'yes' if v['edit_shown'] else 'NO'}; " if v["paragraph"] else ""
            print(f"Edit check at {n}: {shown}"
                  f"identical to a --clean build: {'yes' if v['identical'] else 'NO'} ({v['files_compared']} files"
                  + ("" if v["identical"] else f"; missing {v['counts'][0]}, extra {v['counts'][1]}, different "
                     f"{v['counts'][2]}: {(v['missing_in_incremental'] + v['extra_in_incremental'] + v['different'])[:5]}")
                  + ")" + (f"; diffs in {v['diff_file']}" if v.get("diff_file") else ""))
    if result.get("search"):
        print()
        for n, s in result["search"].items():
            if "error" in s:
                print(f"Search index at {n}: ERROR {s['error']}")
                continue
            print(f"Search index at {n}: {s['index_files']} files, {s['index_bytes']:,} bytes in all; "
                  "bytes loaded before the first results (limit 1,000,000):")
            for q in s["queries"]:
                print(f"  {q['bytes']:>9,} B  {q['files']:>3} files  {q['found']:>6} found  {q['query']}")
    if result["comparisons"]:
        print()
        for c in result["comparisons"]:
            mark = "" if c["met"] is None else ("  [met]" if c["met"] else "  [NOT met]")
            print(f"N={c['n']}: {c['text']}{mark}")
    if args.markdown_table:
        print()
        print_markdown_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nJSON: {args.json}")
    trash.empty_at_end()  # every number is printed and saved: deleting now slows no timed run
    failed = [f"{r.system} {r.n} {r.scenario}" for r in rows if not r.ok]
    failed += [f"verify {n}" for n, v in result.get("verify", {}).items()
               if not (v["identical"] and v["edit_shown"]) or v["source_changed"]]
    failed += [f"search {n}" for n, s in result.get("search", {}).items() if not s.get("ok")]
    if failed:
        print("\nProblems: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
