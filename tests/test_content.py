"""Finding content files on disk (stat only), and reading them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import cchc_site.files as files
from cchc_site.files import SourceEntry, read_all, read_bytes, scan_sources, walk_files, walk_stamped


def test_walk_stamped_lists_files_sorted_with_a_stamp_that_follows_changes(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "z.md").write_text("z", encoding="utf-8")
    (tmp_path / "a.md").write_text("aa", encoding="utf-8")
    (tmp_path / "~$a.docx").write_text("lock", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("h", encoding="utf-8")
    first = walk_stamped(tmp_path)
    assert [rel for rel, _ in first] == ["a.md", "b/c/z.md"] == walk_files(tmp_path)
    assert dict(first)["a.md"].startswith("2:")
    os.utime(tmp_path / "a.md", ns=(1_000_000_000, 1_000_000_000))
    assert dict(walk_stamped(tmp_path))["a.md"] == "2:1000000000"
    assert walk_stamped(tmp_path / "missing") == []


def test_scan_sources_gives_site_paths_and_kinds(tmp_path: Path) -> None:
    (tmp_path / "content" / "posts" / "2021").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "2021" / "a.md").write_text("x", encoding="utf-8")
    (tmp_path / "content" / "posts" / "2021" / "note.txt").write_text("x", encoding="utf-8")
    (tmp_path / "content" / "pages").mkdir()
    (tmp_path / "content" / "pages" / "gioi-thieu.md").write_text("x", encoding="utf-8")
    found = {(e.path, e.kind) for e in scan_sources(tmp_path)}
    assert found == {("content/posts/2021/a.md", "post"), ("content/pages/gioi-thieu.md", "page")}


@pytest.mark.parametrize("length", [0, 1, 4096, 65536, 65537, 200_000])
def test_a_file_is_read_whole_whatever_size_was_listed(tmp_path: Path, length: int) -> None:
    """The listed size only saves system calls: a file that grew or shrank since is read whole."""
    data = bytes(range(256)) * (length // 256) + b"x" * (length % 256)
    (tmp_path / "a.md").write_bytes(data)
    for hint in (-1, 0, 3, length - 1, length, length + 10):
        assert read_bytes(tmp_path / "a.md", hint) == data, hint


def test_an_entry_knows_the_size_it_was_listed_with(tmp_path: Path) -> None:
    (tmp_path / "content/posts").mkdir(parents=True)
    (tmp_path / "content/posts/a.md").write_bytes(b"---\ntitle: A\n---\n")
    entry, = scan_sources(tmp_path)
    assert entry.size == 17
    assert SourceEntry("a.md", "post", "").size == -1


def _files(tmp_path: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = tmp_path / f"{i}.md"
        path.write_bytes(f"tệp {i} ".encode() * (i * 700 + 1))
        paths.append(str(path))
    return paths


def test_read_all_gives_each_file_in_turn_and_an_error_where_one_cannot_be_read(tmp_path: Path) -> None:
    paths = _files(tmp_path, 4)
    paths.insert(2, str(tmp_path / "missing.md"))
    sizes = [-1, 3, 0, 10**6, os.path.getsize(paths[4])]  # listed sizes are hints, as for read_bytes
    found = list(read_all(paths, sizes))
    assert isinstance(found[2], FileNotFoundError)
    assert [d for i, d in enumerate(found) if i != 2] == [read_bytes(p) for i, p in enumerate(paths) if i != 2]
    assert read_bytes(paths[3]).startswith("tệp 2 ".encode())  # (the files differ)


def test_read_all_asks_for_every_file_before_reading_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of it: files not in memory are fetched together, not one by one."""
    advised: list[int] = []
    monkeypatch.setattr(files, "_ADVISE", lambda fd, offset, length, advice: advised.append(fd))
    paths = _files(tmp_path, 5)
    reading = read_all(paths, [-1] * 5)
    assert next(reading) == read_bytes(paths[0])
    assert len(advised) == len(set(advised)) == 5
    assert list(reading) == [read_bytes(p) for p in paths[1:]]


def test_read_all_advice_that_fails_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fd: int, offset: int, length: int, advice: int) -> None:
        raise OSError("not supported here")
    monkeypatch.setattr(files, "_ADVISE", refuse)
    paths = _files(tmp_path, 3)
    assert list(read_all(paths, [-1] * 3)) == [read_bytes(p) for p in paths]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors through /proc (Linux)")
def test_read_all_leaves_no_file_open_even_when_stopped_early(tmp_path: Path) -> None:
    paths = _files(tmp_path, 6)
    before = len(os.listdir("/proc/self/fd"))
    reading = read_all(paths, [-1] * 6)
    next(reading)
    assert len(os.listdir("/proc/self/fd")) == before + 5  # the other five are open, waiting
    reading.close()
    assert len(os.listdir("/proc/self/fd")) == before
    list(read_all(paths, [-1] * 6))
    assert len(os.listdir("/proc/self/fd")) == before


def test_without_the_advice_read_all_opens_each_file_only_in_its_turn(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no such advice, and a file held open there cannot be replaced by an editor."""
    monkeypatch.setattr(files, "_ADVISE", None)
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(files.os, "open", lambda path, flags: opened.append(path) or real_open(path, flags))
    paths = _files(tmp_path, 3) + [str(tmp_path / "missing.md")]
    expected = [Path(p).read_bytes() for p in paths[:3]]  # (not through os.open)
    reading = read_all(paths, [-1] * 4)
    assert next(reading) == expected[0] and opened == paths[:1]
    rest = list(reading)
    assert rest[:2] == expected[1:] and isinstance(rest[2], FileNotFoundError)
    assert opened == paths
