"""Which file changes trigger a preview rebuild, and debouncing (pure; no watcher threads)."""
from __future__ import annotations

import os
import queue
import threading

import pytest

from cchc_site.devserver import watch_loop
from cchc_site.watch import (
    MAX_WAIT_SECONDS,
    QUIET_SECONDS,
    Batch,
    Change,
    Pending,
    classify,
    classify_path,
    describe,
    feed,
    relative_path,
)

ROOT = os.path.abspath(os.path.join(os.sep, "srv", "site"))


def p(rel: str) -> str:
    """An absolute path under the fake site root, as watchdog reports it."""
    return os.path.join(ROOT, *rel.split("/"))


@pytest.mark.parametrize("rel, area", [
    ("content/posts/2021/08/bai-moi.md", "content"),
    ("content/pages/gioi-thieu.md", "content"),
    ("content/procedures/nha-o/1.013225.md", "content"),
    ("content/static/van-ban/ke-hoach.pdf", "content"),
    ("content/data/chi-so.yaml", "content"),
    ("content", "content"),  # the folder itself created or removed
    ("templates/post.html", "templates"),
    ("templates/assets/style.css", "templates"),
    ("site.yaml", "config"),
])
def test_sources_trigger_a_rebuild(rel: str, area: str) -> None:
    assert classify_path(rel) == area


@pytest.mark.parametrize("rel", [
    "output/index.html",
    ".cchc-preview/index.html",
    ".cchc-preview",
    ".cchc-cache/preview/cache.db",
    ".output.cchc-tmp-123/index.html",
    ".git/index",
    "README.md",
    "site.yaml.bak",
    "site.yaml~",
    ".site.yaml.swp",
    "content/posts/2021/08/.bai-moi.md.swp",
    "content/posts/2021/08/bai-moi.md~",
    "content/posts/2021/08/~$bai-moi.docx",
    "content/posts/2021/08/bai-moi.md.tmp",
    "content/posts/2021/08/4913",
    "content/posts/2021/08/#bai-moi.md#",
    "content/static/Thumbs.db",
    "content/.hidden/bai.md",
    "templates/.post.html.swp",
    "",
])
def test_ignored_paths(rel: str) -> None:
    assert classify_path(rel) is None


def test_relative_path_outside_the_site_is_none() -> None:
    assert relative_path(ROOT, p("content/posts/a.md")) == "content/posts/a.md"
    assert relative_path(ROOT, ROOT) == ""
    assert relative_path(ROOT, ROOT + "-other" + os.sep + "site.yaml") is None
    assert relative_path(ROOT, os.path.join(os.sep, "tmp", "x.md")) is None
    assert relative_path(ROOT, "") is None


def test_reading_files_never_triggers() -> None:
    # the build itself opens every file: those events must not start another build (a loop)
    for event_type in ("opened", "closed_no_write"):
        assert classify(ROOT, Change(event_type, p("content/posts/a.md"))) is None
        assert classify(ROOT, Change(event_type, p("site.yaml"))) is None
    assert classify(ROOT, Change("modified", p("content/posts/a.md"))) == ("content", "content/posts/a.md")
    assert classify(ROOT, Change("closed", p("site.yaml"))) == ("config", "site.yaml")


def test_folder_modified_events_are_echoes() -> None:
    # creating a swap file changes the folder's mtime; that alone is no reason to rebuild
    assert classify(ROOT, Change("modified", p("content/posts/2021"), is_directory=True)) is None
    assert classify(ROOT, Change("created", p("content/posts/2022"), is_directory=True)) == ("content", "content/posts/2022")
    assert classify(ROOT, Change("deleted", p("templates"), is_directory=True)) == ("templates", "templates")


def test_moves_count_when_either_end_is_a_source() -> None:
    save = Change("moved", p("content/posts/.a.md.tmp123"), p("content/posts/a.md"))
    assert classify(ROOT, save) == ("content", "content/posts/a.md")
    backup = Change("moved", p("content/posts/a.md"), p("content/posts/a.md~"))
    assert classify(ROOT, backup) == ("content", "content/posts/a.md")
    both_ignored = Change("moved", p("content/posts/a.md.tmp"), p("content/posts/a.md~"))
    assert classify(ROOT, both_ignored) is None
    into_site = Change("moved", os.path.join(os.sep, "tmp", "x.md"), p("content/posts/x.md"))
    assert classify(ROOT, into_site) == ("content", "content/posts/x.md")


def test_a_burst_gives_one_rebuild_after_quiet() -> None:
    # gedit/VS Code style save: temp file written, then renamed over the post
    events = [
        (10.00, Change("created", p("content/posts/.goutputstream-ABC"))),
        (10.01, Change("modified", p("content/posts/.goutputstream-ABC"))),
        (10.02, Change("moved", p("content/posts/.goutputstream-ABC"), p("content/posts/a.md"))),
        (10.03, Change("modified", p("content/posts"), is_directory=True)),
        (10.04, Change("opened", p("content/posts/a.md"))),
    ]
    pending = Pending()
    batches: list[Batch] = []
    for now, change in events:
        pending = feed(pending, ROOT, change, now)
        pending, batch = pending.take(now)
        if batch:
            batches.append(batch)
    assert batches == []  # never while events keep coming
    assert pending.wait(10.02) == pytest.approx(QUIET_SECONDS)
    pending, batch = pending.take(10.02 + QUIET_SECONDS / 2)
    assert batch is None
    pending, batch = pending.take(10.02 + QUIET_SECONDS)
    assert batch == Batch(frozenset({"content/posts/a.md"}), frozenset({"content"}))
    assert pending.empty and pending.wait(11.0) is None
    assert pending.take(99.0) == (pending, None)  # nothing more to build


def test_vim_save_sequence_is_one_change_of_the_post() -> None:
    sequence = [
        Change("created", p("content/posts/4913")), Change("deleted", p("content/posts/4913")),
        Change("moved", p("content/posts/a.md"), p("content/posts/a.md~")),
        Change("created", p("content/posts/a.md")), Change("modified", p("content/posts/a.md")),
        Change("closed", p("content/posts/a.md")), Change("deleted", p("content/posts/a.md~")),
        Change("modified", p("content/posts/.a.md.swp")),
    ]
    pending = Pending()
    for i, change in enumerate(sequence):
        pending = feed(pending, ROOT, change, 5.0 + i * 0.001)
    _, batch = pending.take(6.0)
    assert batch is not None and batch.paths == frozenset({"content/posts/a.md"})


def test_only_ignored_events_never_rebuild() -> None:
    pending = Pending()
    for i, change in enumerate([Change("modified", p("content/posts/.a.md.swp")),
                                Change("created", p("output/index.html")),
                                Change("moved", p(".cchc-preview"), p(".cchc-preview.old")),
                                Change("opened", p("site.yaml"))]):
        pending = feed(pending, ROOT, change, float(i))
    assert pending.empty
    assert pending.take(100.0)[1] is None


def test_new_events_restart_the_quiet_time() -> None:
    pending = Pending().add(0.0, "content", "content/posts/a.md")
    pending = pending.add(0.1, "config", "site.yaml")
    assert pending.take(0.1 + QUIET_SECONDS - 0.01)[1] is None
    _, batch = pending.take(0.1 + QUIET_SECONDS)
    assert batch is not None
    assert batch.paths == frozenset({"content/posts/a.md", "site.yaml"})
    assert batch.areas == frozenset({"content", "config"})


def test_an_endless_stream_still_rebuilds_every_max_wait() -> None:
    pending = Pending()
    builds: list[float] = []
    now = 0.0
    while now < 3 * MAX_WAIT_SECONDS:
        pending = pending.add(now, "content", f"content/static/anh-{int(now * 100)}.jpg")
        pending, batch = pending.take(now)
        if batch:
            builds.append(now)
        now = round(now + QUIET_SECONDS / 2, 6)  # events closer together than the quiet time
    assert builds, "a long copy must not postpone the rebuild for ever"
    assert builds[0] == pytest.approx(MAX_WAIT_SECONDS, abs=QUIET_SECONDS)
    assert len(builds) >= 2


def test_describe_lists_a_few_paths() -> None:
    batch = Batch(frozenset({"content/posts/a.md", "content/posts/b.md", "site.yaml", "templates/x.html"}),
                  frozenset({"content"}))
    text = describe(batch)
    assert text.startswith("content/posts/a.md, content/posts/b.md, site.yaml")
    assert "và 1 tệp khác" in text


def test_watch_loop_turns_a_burst_into_one_build() -> None:
    """The loop of ``serve`` fed from a queue, with a fake clock (no watchdog thread)."""
    changes: "queue.Queue[Change]" = queue.Queue()
    for change in [Change("created", p("content/posts/.a.md.tmp")),
                   Change("modified", p("content/posts/.a.md.tmp")),
                   Change("moved", p("content/posts/.a.md.tmp"), p("content/posts/a.md")),
                   Change("modified", p("site.yaml")),
                   Change("opened", p("content/posts/a.md"))]:
        changes.put(change)
    ticks = iter(i * 0.01 for i in range(100_000))
    stop = threading.Event()
    clock_now = [0.0]

    def clock() -> float:
        clock_now[0] = next(ticks)
        if clock_now[0] > 5.0:  # five fake seconds: long after the burst
            stop.set()
        return clock_now[0]

    batches: list[Batch] = []
    watch_loop(changes, ROOT, batches.append, monotonic=clock, stop=stop, idle=0.0005)
    assert batches == [Batch(frozenset({"content/posts/a.md", "site.yaml"}), frozenset({"content", "config"}))]
