"""Finding content files on disk (stat only), and reading them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cchc_site.content import SourceEntry, read_bytes, scan_sources, walk_files, walk_stamped


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
