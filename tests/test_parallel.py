"""The worker pool gives exactly what one process gives (parse, Markdown, search terms, pages)."""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import cchc_site.workers as workers
from sitekit import post, run_cli, write_site

POSTS = 450  # above every pool threshold (parse 400, render 400, search terms 200, Markdown 60)


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def big_site(root: Path) -> Path:
    files = {}
    for n in range(POSTS):
        month, day = n % 12 + 1, n % 27 + 1
        files[f"content/posts/2021/{month:02d}/bai-{n}.md"] = post(
            f"Bài số {n} về cải cách hành chính", f"{day:02d}/{month:02d}/2021",
            f"Đoạn mở đầu của bài {n}.\n\n## Mục {n % 7}\n\n| Cột | Giá trị |\n|---|---|\n| a | {n} |\n\n"
            f"Liên kết tới [trang chủ](/) và *nhấn mạnh* {'đường ' * (n % 5)}Đà Nẵng.",
            tags=[f"Thẻ {n % 9}", "Một cửa"], category="Hoạt động cải cách hành chính")
    return write_site(root, files)


def test_pool_and_single_process_give_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = big_site(tmp_path / "site")
    pools: list[object] = []
    real_pool = concurrent.futures.ProcessPoolExecutor  # (workers import it when a pool is needed)

    def counting_pool(*args, **kwargs):  # type: ignore[no-untyped-def]
        pools.append(object())
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting_pool)
    def check_without_cache() -> str:
        shutil.rmtree(site / ".cchc-cache")  # so that check parses every file itself
        return run_cli("check", "--site", site, "--as-of", "2021-12-31", "--format", "json").out

    pooled = run_cli("build", "--site", site, "--clean", "--output", tmp_path / "pooled", "--as-of", "2021-12-31")
    assert pooled.code == 0, pooled.err
    assert len(pools) == 2  # parse (Markdown converted and search terms made there too), render
    check_pooled = check_without_cache()
    assert len(pools) == 3  # check parsed through the pool too
    monkeypatch.setattr(workers, "can_fork", lambda: False)
    single = run_cli("build", "--site", site, "--clean", "--output", tmp_path / "single", "--as-of", "2021-12-31")
    assert single.code == 0, single.err
    check_single = check_without_cache()
    assert len(pools) == 3  # nothing of the second build or check went through a pool
    a, b = tree(tmp_path / "pooled"), tree(tmp_path / "single")
    assert len(a) > POSTS and a == b
    assert json.loads(check_pooled) == json.loads(check_single)
    meta = json.loads((tmp_path / "pooled" / "tim-kiem" / "chi-muc" / "meta.json").read_text(encoding="utf-8"))
    assert meta["docs"] == POSTS


def test_background_work_gives_its_result_or_its_error() -> None:
    """The search index is built in a forked child while pages are planned: its result comes
    back whole, a failure comes back as an error (never as a half result), and a job no
    longer needed is stopped."""
    import os

    parent = os.getpid()
    job = workers.Background(lambda: (os.getpid(), {"t/0.json": b"x" * 300_000}))
    child, files = job.result()
    assert (child != parent) == workers.can_fork()  # forked where the build forks
    assert files["t/0.json"] == b"x" * 300_000  # more than a pipe holds at once

    def fails() -> None:
        raise ValueError("hỏng")

    with pytest.raises(RuntimeError, match="ValueError: hỏng"):
        workers.Background(fails).result()
    slow = workers.Background(lambda: __import__("time").sleep(30))
    process = slow._process
    started = __import__("time").monotonic()
    slow.stop()
    assert __import__("time").monotonic() - started < 10  # the child is ended, not waited for
    assert process is None or not process.is_alive()
    inline = workers.Background(lambda: os.getpid(), fork=False)
    assert inline.result() == parent


def test_macro_output_is_reused_only_for_equal_arguments_of_the_same_type(tmp_path: Path) -> None:
    from cchc_site.render import _memoised
    import jinja2

    env = jinja2.Environment()
    module = env.from_string("{% macro show(v) %}[{{ v }}]{% endmacro %}").module
    calls: list[object] = []
    real = module.show

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(*args)

    show = _memoised(counted)  # type: ignore[arg-type]
    assert [str(show(1)), str(show(True)), str(show(1.0)), str(show(1))] == ["[1]", "[True]", "[1.0]", "[1]"]
    assert len(calls) == 3  # the second 1 was reused; True and 1.0 are equal to 1 but print otherwise
    assert str(show([1])) == "[[1]]" and str(show([1])) == "[[1]]" and len(calls) == 5  # a list: never reused


def test_pages_rendered_while_the_index_is_built_are_the_same_pages(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """While the search index is built in its child process the build renders pages itself;
    those pages are written as they are, and the output equals a build without that (one
    process, nothing in the background)."""
    import time

    import cchc_site.wholebuild as build_module
    import cchc_site.searchfiles as searchfiles

    site = big_site(tmp_path / "site")
    real_index, real_early = searchfiles.sized_index_files, build_module.render_while_waiting
    early_counts: list[int] = []

    def slow_index(entries):  # type: ignore[no-untyped-def]
        time.sleep(1.5)  # the child is slow: the parent renders meanwhile
        return real_index(entries)

    def counted(*args):  # type: ignore[no-untyped-def]
        early = real_early(*args)
        early_counts.append(len(early))
        return early

    monkeypatch.setattr(searchfiles, "sized_index_files", slow_index)
    monkeypatch.setattr(build_module, "render_while_waiting", counted)
    early = run_cli("build", "--site", site, "--clean", "--output", tmp_path / "early", "--as-of", "2021-12-31")
    assert early.code == 0, early.err
    monkeypatch.setattr(workers, "can_fork", lambda: False)
    single = run_cli("build", "--site", site, "--clean", "--output", tmp_path / "single", "--as-of", "2021-12-31")
    assert single.code == 0, single.err
    assert early_counts[0] > 50 and early_counts[1] == 0  # pages were rendered early only where the index was away
    assert tree(tmp_path / "early") == tree(tmp_path / "single")


def test_a_template_error_in_a_page_rendered_early_fails_the_build(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import cchc_site.searchfiles as searchfiles

    site = big_site(tmp_path / "site")
    assert run_cli("build", "--site", site, "--as-of", "2021-12-31").code == 0
    before = tree(site / "output")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "post.html").write_text('{% extends "base.html" %}\n{% block content %}{{ khong_co }}'
                                                  '{% endblock %}\n', encoding="utf-8")
    real_index = searchfiles.sized_index_files
    monkeypatch.setattr(searchfiles, "sized_index_files", lambda entries: (time.sleep(1.5), real_index(entries))[1])
    failed = run_cli("build", "--site", site, "--clean", "--as-of", "2021-12-31")  # the whole index: in the background
    assert failed.code == 1
    assert "E031" in failed.err and "khong_co" in failed.err and "templates/post.html" in failed.err
    assert tree(site / "output") == before  # the output is left as it was


def _render_with_macros(tmp_path: Path, macros: str, page: str) -> bytes:
    from datetime import datetime, timezone

    from cchc_site.options import BuildOptions
    from cchc_site.plan import PlannedPage
    from cchc_site.render import Renderer, Theme
    from cchc_site.config import load_valid_config

    site = write_site(tmp_path / "s", {"templates/_macros.html": macros, "templates/t.html": page})
    renderer = Renderer(Theme(site), load_valid_config(site), BuildOptions(now=datetime.now(timezone.utc)))
    out = renderer.render(PlannedPage("/a/", "t.html", {}))
    assert isinstance(out, bytes), out
    return out


@pytest.mark.parametrize("macros, page, expected", [
    # a loop, a namespace: the same object, another state at each call
    ('{% macro stripe(l) %}{{ "le" if l.index is odd else "chan" }}{% endmacro %}',
     '{% import "_macros.html" as m %}{% for x in [1, 2, 3] %}{{ m.stripe(loop) }} {% endfor %}', b"le chan le "),
    ('{% macro show(ns) %}{{ ns.n }}{% endmacro %}',
     '{% import "_macros.html" as m %}{% set ns = namespace(n=1) %}{{ m.show(ns) }}{% set ns.n = 2 %}{{ m.show(ns) }}',
     b"12"),
    # an undefined name the macro tests for
    ('{% macro maybe(x) %}{% if x is defined %}{{ x }}{% else %}-{% endif %}{% endmacro %}',
     '{% import "_macros.html" as m %}[{{ m.maybe(khong_co) }}]', b"[-]"),
    # equal values that print differently
    ('{% macro v(x) %}{{ x }};{% endmacro %}', '{% import "_macros.html" as m %}{{ m.v(1) }}{{ m.v(True) }}{{ m.v(1.0) }}',
     b"1;True;1.0;"),
])
def test_a_department_macro_gives_what_it_gave_without_reuse(tmp_path: Path, macros: str, page: str,
                                                              expected: bytes) -> None:
    """Reuse of macro output (one card rendered once for every list) never changes what a
    macro of the department's own ``_macros.html`` prints (found in review)."""
    assert _render_with_macros(tmp_path, macros, page) == expected


def test_a_build_interrupted_while_waiting_for_its_background_work_ends_the_child() -> None:
    import time

    if not workers.can_fork():
        pytest.skip("no fork on this machine: nothing runs in the background")
    job = workers.Background(lambda: time.sleep(30))
    process = job._process

    def interrupted() -> None:
        raise KeyboardInterrupt

    job._receive.recv = interrupted  # type: ignore[method-assign]  # Ctrl+C while waiting
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        job.result()
    assert time.monotonic() - started < 10 and not process.is_alive()


@pytest.mark.parametrize("count", [5, 1200])  # inline, and in the pool
def test_files_are_hashed_like_content_hash_in_and_out_of_the_pool(tmp_path: Path, count: int) -> None:
    """After a fresh clone every file's time changed; the cache is then trusted on these hashes."""
    from cchc_site.files import content_hash
    from cchc_site.workers import hash_files
    paths = [f"content/posts/{i % 7}/bai-{i}.md" for i in range(count)]
    for i, rel in enumerate(paths):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(f"---\ntitle: Bài {i}\n---\n\nThân {'x' * (i % 300)}.\n".encode())
    (tmp_path / paths[3]).unlink()  # gone since it was listed
    expected = [content_hash((tmp_path / rel).read_bytes()) if (tmp_path / rel).exists() else "" for rel in paths]
    assert hash_files(tmp_path, paths) == expected
    assert expected[3] == "" and len(set(expected)) == count


def _orphan_answers(queue: Any) -> None:
    workers._STATE["parent"] = os.getppid()
    alive = workers._orphaned()
    workers._STATE["parent"] = os.getppid() + 10_000_000  # a build process that is no more
    queue.put((alive, workers._orphaned()))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="pool workers are forked")
def test_a_worker_knows_when_its_build_was_killed() -> None:
    """A worker whose build died (SIGKILL of the parent alone) must not write any more files: the
    next build may be reusing that folder."""
    import multiprocessing
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_orphan_answers, args=(queue,))
    child.start()
    answers = queue.get(timeout=30)
    child.join(30)
    assert answers == (False, True)
    workers._STATE["parent"] = os.getpid()
    try:
        assert not workers._orphaned()  # the build itself, rendering without a pool
    finally:
        workers._STATE.clear()
