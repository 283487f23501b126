"""Write the output folder atomically.

A build writes everything into a staging folder beside the output folder and swaps
it in only when complete, so a failed or killed build leaves the previous output
exactly as it was.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, AbstractSet, Iterable, Iterator
from pathlib import Path

from .errors import BuildFailed, SiteError
from .files import advise_reading, reads_ahead

if TYPE_CHECKING:
    import ctypes

MARKER = ".cchc-site"
MARKER_TEXT = b"This folder is written by cchc-site; it is replaced at every build.\n"
_RENAME_EXCHANGE = 2


def staging_dir(output: Path) -> Path:
    return output.parent / f".{output.name}.cchc-tmp-{os.getpid()}"


def check_output_dir(output: Path, site_dir: Path) -> list[SiteError]:
    """Refuse outputs whose replacement would destroy something that is not ours."""
    out = output.resolve()
    site = site_dir.resolve()
    home = Path.home().resolve()
    forbidden = {site: "thư mục trang", site / "content": "content/", site / "templates": "templates/",
                 home: "thư mục người dùng", Path(out.anchor): "thư mục gốc"}
    for path, label in forbidden.items():
        if out == path:
            return [SiteError(str(output), 0, "E050", f"Không thể dùng {label} làm thư mục đầu ra: nó sẽ bị xóa và "
                                                      "thay mới. Chọn thư mục khác, ví dụ --output output.")]
    for parent in (site / "content", site / "templates"):
        if parent in out.parents:
            return [SiteError(str(output), 0, "E050", "Thư mục đầu ra không được nằm trong content/ hay templates/.")]
    if out in site.parents or out in home.parents:
        return [SiteError(str(output), 0, "E050", "Thư mục đầu ra không được chứa thư mục trang hay thư mục người dùng.")]
    if out.is_file():
        return [SiteError(str(output), 0, "E050", "Đường dẫn đầu ra là một tệp, không phải thư mục.")]
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        return [SiteError(str(output), 0, "E050", "Thư mục đầu ra đã có dữ liệu không do cchc-site tạo ra; để tránh "
                                                  "mất dữ liệu, hãy chọn thư mục trống hoặc xóa thư mục này trước.")]
    return []


def lock_file(output: Path) -> Path:
    return output.parent / f".{output.name}.cchc-lock"


_HELD_LOCKS: set[int] = set()  # descriptors of the output locks this process holds


def _forget_held_locks() -> None:
    """In a forked child (a pool worker): close its copies of the lock descriptors.  A lock
    belongs to the open file, which a child shares: a worker left behind by a killed build
    would otherwise keep the output locked for every later build."""
    for fd in _HELD_LOCKS:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held_locks)


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Only one build at a time works on an output folder, its spare and its staging folders: a
    second build started meanwhile (in another window, by another CI job) stops at once with
    E052 instead of mixing its files into the first one's or removing its staging folder.  The
    lock belongs to the open file, so a build that is killed leaves nothing locked."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file(output), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise BuildFailed([SiteError(str(output), 0, "E052", (
                "Một lệnh dựng khác đang ghi vào thư mục đầu ra này (có thể ở một cửa sổ dòng lệnh khác "
                "hoặc một tác vụ CI khác). Chờ lệnh đó xong rồi chạy lại; thư mục đầu ra được giữ nguyên."))])
        _HELD_LOCKS.add(fd)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """An exclusive lock on the open file ``fd``, without waiting; False when another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def spare_dir(output: Path) -> Path:
    """The previous output, kept beside the live one so the next build only updates what
    changed in it and then swaps it in (hidden, never deployed)."""
    return output.parent / f".{output.name}.cchc-spare"


def recover_output(output: Path) -> None:
    """Finish or undo a swap that a killed build left half done; drop stale staging folders."""
    parent = output.parent
    if not parent.is_dir():
        return
    prefix_tmp = f".{output.name}.cchc-tmp-"
    prefix_old = f".{output.name}.cchc-old-"
    for entry in sorted(parent.iterdir()):
        if entry.name.startswith(prefix_old):
            if not output.exists():
                os.replace(entry, output)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(prefix_tmp) and entry.name != staging_dir(output).name:
            shutil.rmtree(entry, ignore_errors=True)


@lru_cache(maxsize=1)
def libc() -> ctypes.CDLL:
    """The C library (Linux), for the system calls Python has no function for.  (Not looked up
    with ``ctypes.util.find_library``, which runs ``ldconfig``: 3 ms in every build and worker.
    ctypes is loaded here, not with the module: ``check`` never needs it.)"""
    import ctypes

    return ctypes.CDLL(None, use_errno=True)  # the running program's symbols, the C library's among them


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False when unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = libc().renameat2
    except (OSError, AttributeError):
        return False
    import ctypes

    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def swap_in(work: Path, output: Path, keep_old_as: Path | None = None) -> None:
    """Make the complete folder ``work`` the output.  The previous output is moved to
    ``keep_old_as`` (the spare) when given, else removed."""
    if output.exists():
        if _exchange(work, output):
            old = work
        else:
            old = output.parent / f".{output.name}.cchc-old-{os.getpid()}"
            os.replace(output, old)
            os.replace(work, output)
        if keep_old_as is not None and old != keep_old_as:
            if is_plain_folder(keep_old_as):
                shutil.rmtree(keep_old_as)
            elif os.path.lexists(keep_old_as):  # a file or a link: removed, never followed
                remove_link(keep_old_as)
            os.replace(old, keep_old_as)
        elif keep_old_as is None:
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, output)


def remove_file(root: Path, rel: str) -> None:
    """Delete a file and the folders it leaves empty (up to ``root``)."""
    path = root / rel
    try:
        path.unlink()
    except FileNotFoundError:
        return
    folder = path.parent
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


@dataclass(frozen=True)
class OlderOutput:
    """An output folder no record describes, whose files may be linked into a new one."""

    root: Path
    files: frozenset[str]  # its regular files, reached without following any link


def older_output(root: Path) -> OlderOutput:
    """``root`` and its regular files, found without following links: a file reached through a
    link (to a file or a folder, put there by hand) may be anything, anywhere, and is never
    linked into a new output."""
    files: set[str] = set()
    stack = [(str(root), "")]
    while stack:
        current, prefix = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if _is_link(entry):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, prefix + entry.name + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        files.add(prefix + entry.name)
        except OSError:
            continue
    files.discard(MARKER)
    return OlderOutput(root, frozenset(files))


def linked_tops(root: Path) -> tuple[str, ...]:
    """``name/`` of each entry at the top of ``root`` that is a link (put there by hand): nothing
    under it is the folder's own.  (Links deeper down are not looked for: that would cost a walk
    of the whole folder at every build.)"""
    try:
        with os.scandir(root) as entries:
            return tuple(entry.name + "/" for entry in entries if _is_link(entry))
    except OSError:
        return ()


def own_files(root: Path, rels: Iterable[str]) -> set[str]:
    """The files of ``rels`` that are regular files of ``root`` itself: not missing, not a link
    to a file elsewhere, not under a top folder replaced by a link.  (Every build with nothing to
    do asks this of each of the output's files: one lstat each, no call besides.)"""
    prefix = os.path.join(str(root), "")
    linked = linked_tops(root)
    lstat, regular = os.lstat, stat.S_ISREG
    found: set[str] = set()
    for rel in rels:
        if linked and rel.startswith(linked):
            continue
        try:
            if regular(lstat(prefix + rel).st_mode):
                found.add(rel)
        except OSError:
            pass
    return found


def write_file(root: Path, rel: str, data: bytes, like: OlderOutput | None = None) -> None:
    """Make ``root/rel`` hold ``data``.  An existing file with the same bytes is kept; another
    is unlinked first: it may be a hard link shared with the live output, which must never
    change under its readers.  ``like``: an older output whose ``rel``, if it holds the same
    bytes, is linked instead of written (so the two folders share it: a later build that
    replaces it in one of them frees nothing)."""
    path = os.path.join(root, rel)
    if like is not None and rel in like.files:
        source = os.path.join(like.root, rel)
        if same_bytes(source, data) and _link_new(source, path):
            return
    try:  # the usual case first: a new file in a fresh folder (one system call, not three)
        handle = open(path, "xb")
    except FileNotFoundError:  # its folder is not there yet
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle = open(path, "xb")
    except FileExistsError:
        if same_bytes(path, data):
            return
        os.unlink(path)
        handle = open(path, "xb")
    with handle:
        handle.write(data)


def _link_new(source: str | Path, path: str) -> bool:
    """Hard-link ``source`` at ``path`` (its folder made if needed) when nothing is there yet;
    False when that cannot be done (something is there, ``source`` is gone, or the file system
    has no hard links)."""
    try:
        os.link(source, path)
        return True
    except FileNotFoundError:
        if not os.path.exists(source):
            return False
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except OSError:
        return False
    try:
        os.link(source, path)
        return True
    except OSError:
        return False


def same_bytes(path: str, data: bytes) -> bool:
    """Whether the regular file at ``path`` holds exactly ``data`` (False when it cannot be
    read, or is something else: a FIFO is never opened for reading and waited on)."""
    fd = _open_regular(path)
    if fd is None:
        return False
    try:
        return _read_upto(fd, len(data) + 1) == data
    finally:
        os.close(fd)


# never through a symbolic link: a build makes none, and a file compared equal may be linked
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 << 20


def read_ahead(paths: Iterable[str]) -> None:
    """Tell the system that the files at ``paths`` are about to be read (``POSIX_FADV_WILLNEED``),
    so that those no longer in memory are fetched from the disk together, while other work goes
    on, instead of one at a time when each is compared (an older output of 13,700 files out of
    memory cost a ``--clean`` build 0.5 to 1.2 s).  Only advice: nothing is read here, and what
    cannot be opened is skipped (without waiting: a FIFO is never waited on)."""
    if not reads_ahead():
        return
    for path in paths:
        try:
            fd = os.open(path, _READ_FLAGS)
        except OSError:
            continue
        try:
            advise_reading(fd)
        finally:
            os.close(fd)


def _open_regular(path: str | Path) -> int | None:
    """A descriptor of the regular file at ``path``, or None (missing, unreadable, not a file)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _read_upto(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the file (one read may return less)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = os.read(fd, min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _is_same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``b`` is the file ``a`` (a hard link to it)."""
    try:
        return os.path.samestat(os.stat(a), os.lstat(b))
    except OSError:
        return False


def _same_content(a: str | Path, b: str | Path) -> bool:
    """Whether ``b`` is the file ``a`` (a hard link) or a regular file with the same bytes,
    compared a chunk at a time to the end."""
    try:
        first, second = os.stat(a), os.lstat(b)
    except OSError:
        return False
    if os.path.samestat(first, second):
        return True
    if first.st_size != second.st_size or not stat.S_ISREG(second.st_mode):
        return False
    fd_a, fd_b = _open_regular(a), _open_regular(b)
    try:
        if fd_a is None or fd_b is None:
            return False
        while True:
            chunk = _read_upto(fd_a, _CHUNK)
            if chunk != _read_upto(fd_b, _CHUNK):
                return False
            if not chunk:
                return True
    except OSError:
        return False
    finally:
        for fd in (fd_a, fd_b):
            if fd is not None:
                os.close(fd)


def is_plain_folder(path: Path) -> bool:
    """A real folder: not a symbolic link, not a Windows junction (never followed)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and not _reparse_point(st)


def _reparse_point(st: os.stat_result) -> bool:
    return bool(getattr(st, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT)


def _is_link(entry: os.DirEntry[str]) -> bool:
    """A symbolic link, or (on Windows) a junction, which Python 3.11 reports as a folder."""
    return entry.is_symlink() or (os.name == "nt" and _reparse_point(entry.stat(follow_symlinks=False)))


def remove_link(path: str | Path) -> None:
    """Remove a link itself (a link to a folder on Windows is removed as a folder)."""
    try:
        os.unlink(path)
    except (IsADirectoryError, PermissionError):
        os.rmdir(path)


def clear_strays(root: Path, wanted: Iterable[str], relinked: AbstractSet[str] = frozenset(),
                 linked_from: Path | None = None) -> set[str]:
    """Remove from ``root`` every file and folder that no file of ``wanted`` is or needs (the
    folder's marker stays): an old folder reused for a new build then holds nothing else.  Links
    are removed, never followed; anything but a regular file at a wanted name goes too.  The
    files of ``relinked`` go as well (their folders stay): they are about to be linked from
    ``linked_from`` again, and one call to remove each now costs less than finding each in the
    way then.  Those that already are that very file (a hard link) stay: they are returned.
    Raises OSError when something cannot be removed (the caller then starts from a fresh folder)."""
    keep = (set(wanted) - relinked) | {MARKER}
    folders = needed_folders(wanted)
    shared: set[str] = set()
    source = str(linked_from) if linked_from is not None else None
    stack = [(str(root), "")]
    while stack:  # os.scandir, no os.walk: one call per folder, no path arithmetic per file
        current, prefix = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if _is_link(entry):  # a build never makes links
                    remove_link(entry.path)
                elif entry.is_dir(follow_symlinks=False):
                    if rel in folders:
                        stack.append((entry.path, rel + "/"))
                    else:
                        shutil.rmtree(entry.path)
                elif source is not None and rel in relinked and _is_same_file(os.path.join(source, rel), entry.path):
                    shared.add(rel)
                elif rel not in keep or not entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    return shared


def copy_file(root: Path, rel: str, source: Path, like: OlderOutput | None = None) -> None:
    """Copy ``source`` to ``root/rel``; a file already there with the same bytes is kept.
    ``like``: as for :func:`write_file`."""
    path = root / rel
    if (like is not None and rel in like.files and _same_content(source, like.root / rel)
            and _link_new(str(like.root / rel), str(path))):
        return
    if _same_content(source, path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    shutil.copyfile(source, path)


def link_or_copy(root: Path, rel: str, source: str | Path) -> None:
    """Reuse an unchanged file of the previous output (a hard link costs no copy).  The usual
    case first, in one system call: its folder is there and the file is not."""
    path = os.path.join(root, rel)
    if _link_new(source, path):
        return
    if not os.path.exists(source):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(source))
    if os.path.lexists(path):  # a folder reused for a new build may hold it already
        if _is_same_file(source, path):
            return
        os.unlink(path)  # (replacing it by a link costs less than comparing the bytes)
        if _link_new(source, path):
            return
    shutil.copyfile(source, path)  # no hard links here (another file system, FAT): a copy


def needed_folders(rels: Iterable[str]) -> set[str]:
    """Every folder that files ``rels`` need (their parents, up to the top)."""
    folders: set[str] = set()
    for rel in rels:
        folder = os.path.dirname(rel)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    return folders


def folder_levels(rels: Iterable[str]) -> list[list[str]]:
    """:func:`needed_folders` grouped by depth (parents in an earlier group), so that each group
    can be made in any order, or at once."""
    levels: dict[int, list[str]] = {}
    for folder in sorted(needed_folders(rels)):
        levels.setdefault(folder.count("/"), []).append(folder)
    return [levels[depth] for depth in sorted(levels)]


def make_folders(root: Path, folders: Iterable[str]) -> None:
    """Make ``folders`` under ``root`` (their parents exist); one system call each."""
    for folder in folders:
        try:
            os.mkdir(os.path.join(root, folder))
        except FileExistsError:
            pass


def new_staging(output: Path) -> Path:
    staging = staging_dir(output)
    if staging.exists():
        shutil.rmtree(staging)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    mark_folder(staging)
    return staging


def mark_folder(folder: Path) -> None:
    """Write the folder's marker anew: a new file, so a new :func:`folder_id` (whatever was
    recorded under the old id is void from now on).  The bytes stay the same, so two builds of
    the same content give the same files."""
    fresh = folder / (MARKER + ".new")  # made while the old marker exists: its inode cannot be reused
    fresh.unlink(missing_ok=True)
    write_file(folder, fresh.name, MARKER_TEXT)
    os.replace(fresh, folder / MARKER)


def folder_id(folder: Path) -> str | None:
    """Which version of a folder's content this is: its marker file's device, inode and time.
    A build marks the folder it writes and then renames it into place (a rename keeps the
    file), so records stored with this id describe exactly that folder content.  None when
    there is no marker."""
    try:
        st = os.stat(folder / MARKER)
    except OSError:
        return None
    return f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}"


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
