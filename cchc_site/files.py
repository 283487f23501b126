"""The site folder's files by name, stamp and bytes: listing, stamping, reading, hashing.

Nothing here knows what a file means, and nothing of parsing is loaded: a build with nothing
to do and a check answered from its record need only this (with the cache), so they start
quickly.  What the files hold is read by :mod:`cchc_site.content`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

CONFIG_FILE = "site.yaml"
POSTS_DIR = "content/posts"
PAGES_DIR = "content/pages"
PROCEDURES_DIR = "content/procedures"
STATIC_DIR = "content/static"
DATA_DIR = "content/data"
KIND_DIRS = ((POSTS_DIR, "post"), (PAGES_DIR, "page"), (PROCEDURES_DIR, "procedure"))


def is_ignored(name: str) -> bool:
    """Hidden files, Word lock files and editor temporaries are never content."""
    return (name.startswith((".", "~$", "#")) or name.endswith(("~", ".tmp", ".swp", ".swx", ".bak"))
            or name in ("Thumbs.db", "desktop.ini"))


def walk_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files under ``root``, sorted, ignoring temporaries."""
    return [rel for rel, _ in walk_stamped(root, stamps=False)]


def stamp_of(st: os.stat_result) -> str:
    """A file's stamp: size and modification time (changes whenever the file does)."""
    return f"{st.st_size}:{st.st_mtime_ns}"


def file_stamp(path: Path) -> str:
    return stamp_of(os.stat(path))


def read_bytes(path: str | Path, size: int = -1) -> bytes:
    """A file's bytes with as few system calls as can be (this runs for every file): ``size``,
    the size the file had when it was listed, lets one read take it all."""
    fd = os.open(path, _READ_FLAGS)
    try:
        return _read_open(fd, size)
    finally:
        os.close(fd)


def read_all(paths: Sequence[str], sizes: Sequence[int]) -> Iterator[bytes | OSError]:
    """The bytes of each file in turn (as :func:`read_bytes` reads them), or the error that
    reading it gave.  Every file is opened first and the system told that it will be read
    (``POSIX_FADV_WILLNEED``): files that are no longer in memory (a large site built again some
    minutes later, once the system has reclaimed their pages) are then fetched from the disk
    together while the first ones are processed, instead of one after another (a cold 10,000-post
    site parsed twice as slowly).  One system call more a file when they are in memory.  Where
    there is no such advice (Windows) each file is opened only when its turn comes: a file held
    open there cannot be replaced by an editor saving it."""
    if not reads_ahead():
        for path, size in zip(paths, sizes):
            try:
                yield read_bytes(path, size)
            except OSError as error:
                yield error
        return
    opened: list[int | OSError] = []
    try:
        for path in paths:
            try:
                fd = os.open(path, _READ_FLAGS)
            except OSError as error:
                opened.append(error)
                continue
            opened.append(fd)
            advise_reading(fd)
        for i, size in enumerate(sizes):
            fd = opened[i]
            if isinstance(fd, OSError):
                yield fd
                continue
            try:
                data: bytes | OSError = _read_open(fd, size)
            except OSError as error:
                data = error
            finally:
                os.close(fd)
                opened[i] = OSError()  # closed
            yield data
    finally:  # (the caller stopped early, or an error): close what is still open
        for fd in opened:
            if isinstance(fd, int):
                os.close(fd)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_ADVISE = getattr(os, "posix_fadvise", None)  # (not on Windows)


def reads_ahead() -> bool:
    """Whether this system takes the advice of :func:`advise_reading`."""
    return _ADVISE is not None


def advise_reading(fd: int) -> None:
    """Tell the system that the open file ``fd`` is about to be read whole
    (``POSIX_FADV_WILLNEED``): it fetches it while other work goes on.  Only advice: a refusal
    (a pipe, a file system that takes none) changes nothing."""
    if _ADVISE is not None:
        try:
            _ADVISE(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass


def _read_open(fd: int, size: int) -> bytes:
    parts = [os.read(fd, size + 1 if size >= 0 else 1 << 16)]
    while parts[-1]:  # until the end of the file, even if it grew since it was listed
        parts.append(os.read(fd, 1 << 16))
    return parts[0] if len(parts) == 2 else b"".join(parts)


def walk_stamped(root: Path, stamps: bool = True) -> list[tuple[str, str]]:
    """``(relative POSIX path, stamp)`` of the files under ``root``, sorted by path, ignoring
    temporaries.  The stamp (size and modification time; "" without ``stamps``) changes
    whenever the file does."""
    found: list[tuple[str, str]] = []
    if not root.is_dir():
        return found
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if is_ignored(entry.name):
                    continue
                rel = prefix + entry.name
                if entry.is_dir():
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file():
                    if stamps:
                        found.append((rel, stamp_of(entry.stat())))
                    else:
                        found.append((rel, ""))
    found.sort()
    return found


def content_hash(data: bytes) -> str:
    """Hash of a file's bytes: what the cache compares when a file's stamp changed but its
    content may not have (a fresh clone, a branch switch, a copied folder)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class SourceEntry:
    """A content file found on disk, before it is read: enough to ask the cache about it."""

    path: str
    kind: str
    stamp: str  # size and modification time; a changed file has a new stamp

    @property
    def size(self) -> int:
        """The size the file had when it was listed (-1 when it was listed without a stamp)."""
        return int(self.stamp.split(":", 1)[0]) if self.stamp else -1


def scan_sources(site_dir: Path) -> list[SourceEntry]:
    """Every post, page and procedure file with its stamp (stat only, no reading)."""
    entries: list[SourceEntry] = []
    for folder, kind in KIND_DIRS:
        for rel, stamp in walk_stamped(site_dir / folder):
            if rel.lower().endswith(".md"):
                entries.append(SourceEntry(f"{folder}/{rel}", kind, stamp))
    return entries


@dataclass(frozen=True)
class ContentScan:
    """What ``content/`` holds, by stat only: read once per build, used for the no-change check
    and for the cache lookups alike."""

    sources: tuple[SourceEntry, ...]
    static: tuple[tuple[str, str], ...]  # (path under content/static/, stamp)


def scan_content(site_dir: Path) -> ContentScan:
    return ContentScan(tuple(scan_sources(site_dir)), tuple(walk_stamped(site_dir / STATIC_DIR)))
