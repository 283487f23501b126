"""Work that runs in a process pool: reading + parsing + Markdown, and rendering + writing.

On Linux the pool forks, so workers inherit the build's state (set in ``_STATE`` just
before the pool starts) and tasks carry only small lists.  Elsewhere (Windows) the same
functions run in the main process.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

from .config import SiteConfig
from .content import source_from_bytes
from .errors import SiteError
from .files import SourceEntry, content_hash, read_all
from .links import check_unsafe_html
from .models import Document, Rendered
from .output import OlderOutput, libc, read_ahead, write_file
from .parsed import Parsed, decode_parsed, encode_parsed
from .site import parse_source

T = TypeVar("T")
R = TypeVar("R")
_STATE: dict[str, Any] = {}


def parse_entry(entry: SourceEntry, data: bytes, config: SiteConfig, static_files: frozenset[str]) -> Parsed:
    """One content file's parse, from its bytes."""
    digest = content_hash(data)
    source = source_from_bytes(entry.path, entry.kind, data, digest)
    if isinstance(source, SiteError):
        return Parsed(entry.path, digest, [source], ())
    result = parse_source(source, config, static_files)
    warnings: tuple[SiteError, ...] = ()
    if not isinstance(result, list):
        warnings = tuple(check_unsafe_html([result], config.security == "strict"))
    return Parsed(entry.path, digest, result, warnings)


# Work on a parsed document (its Markdown body still in hand) done in the parsing worker: the
# build converts the Markdown there instead of reading every file a second time.  Its result
# travels back to the main process (None: nothing).
AlongParse = Callable[[Document], Any]


def _parse_chunk(entries: list[SourceEntry]) -> list[tuple[bytes, Any]]:
    """Parsed files without their Markdown bodies, encoded (compact to send back from a worker,
    quick to decode, and the very bytes the cache keeps), each with what ``along`` made of it."""
    site_dir, config, static, along = _STATE["site_dir"], _STATE["config"], _STATE["static"], _STATE["along"]
    out: list[tuple[bytes, Any]] = []
    for entry, data in zip(entries, read_all([os.path.join(site_dir, e.path) for e in entries],
                                             [e.size for e in entries])):
        if isinstance(data, OSError):
            raise data
        item = parse_entry(entry, data, config, static)
        if isinstance(item.result, list):
            out.append((encode_parsed(item), None))
        else:
            made = along(item.result) if along is not None else None
            out.append((encode_parsed(item, body=False), made))
    return out


Converted = tuple[str, Rendered, Any]  # digest, its Markdown rendered, what ``along`` made of it (or None)
AlongConversion = Callable[[Document, Rendered], Any]  # more work on a converted document, in its worker


def _convert_chunk(indices: list[int]) -> list[Converted]:
    """Documents' Markdown bodies rendered (each body read again), with what ``along`` makes of
    each while its HTML is at hand (a later pass would have to read it back)."""
    from .mdrender import render_markdown  # imported here: parsing and ``check`` never load Markdown

    docs, base_path, load, along = _STATE["docs"], _STATE["base_path"], _STATE["load"], _STATE["along"]
    out: list[Converted] = []
    for i in indices:
        doc = docs[i]
        rendered = render_markdown(load(doc.path, doc.digest), base_path)
        out.append((doc.digest, rendered, along(doc, rendered) if along is not None else None))
    return out


def _render_chunk(indices: list[int]) -> list[tuple[int, bytes | SiteError | None]]:
    """Render pages and write them into the staging folder; only errors travel back."""
    renderer, pages, staging, rendered = _STATE["renderer"], _STATE["pages"], _STATE["staging"], _STATE["rendered"]
    like = _STATE["like"]
    if like is not None:  # its files will be compared with the pages: fetched while these render
        read_ahead(os.path.join(like.root, pages[i].output_path) for i in indices
                   if pages[i].output_path in like.files)
    out: list[tuple[int, bytes | SiteError | None]] = []
    for i in indices:
        result = rendered[i] if i in rendered else renderer.render(pages[i])
        if isinstance(result, SiteError):
            out.append((i, result))
        else:
            if _orphaned():  # the build was killed: never write into a folder another build may reuse
                os._exit(1)
            write_file(staging, pages[i].output_path, result, like)
            out.append((i, None))
    return out


def _die_with_parent(parent: int) -> None:
    """Run first in every forked worker: on Linux the kernel kills it when the build process dies
    (a build killed with SIGKILL alone would otherwise leave its workers waiting forever on
    their pipes); a worker whose build is already gone stops at once."""
    if sys.platform.startswith("linux"):
        try:
            libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


@contextmanager
def _frozen() -> Iterator[None]:
    """The build's objects so far frozen while workers fork: the workers' collections then never
    walk (nor write to, so copy) the documents and pages they inherit.  This process unfreezes
    them afterwards, so its own garbage can still be collected."""
    if sys.platform.startswith("linux"):
        try:
            libc()  # loaded once here (ctypes with it): each forked worker asks for it (prctl)
        except OSError:
            pass
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _orphaned() -> bool:
    """True in a pool worker whose build process has died (it was killed with SIGKILL alone)."""
    parent = _STATE.get("parent", os.getpid())
    return os.getpid() != parent and os.getppid() != parent


def _call_chunk(indices: list[int]) -> list[tuple[int, Any]]:
    make = _STATE["make"]
    return [(i, make(i)) for i in indices]


def pool_size() -> int:
    return min(os.cpu_count() or 1, 8)


def can_fork() -> bool:
    import multiprocessing  # (loaded when there is work for a pool: a check after an edit has none)

    return "fork" in multiprocessing.get_all_start_methods() and pool_size() > 1


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def run_parallel(func: Callable[[list[T]], list[R]], items: Sequence[T], state: dict[str, Any],
                 min_items: int, chunk_size: int,
                 consume: Callable[[list[R]], list[Any]] | None = None) -> list[Any]:
    """``func`` over ``items`` in a forked pool when there is enough work, else inline.
    ``consume`` sees each chunk's results as they arrive and returns what to keep (so large
    results can be stored away instead of piling up in memory)."""
    _STATE.clear()
    _STATE.update(state, parent=os.getpid())
    keep = consume or (lambda part: part)
    try:
        if len(items) < min_items or not can_fork():
            results: list[Any] = []
            for part in chunks(items, chunk_size):
                results.extend(keep(func(part)))
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        results = []
        with _frozen(), ProcessPoolExecutor(max_workers=pool_size(), mp_context=context,
                                            initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            for part in pool.map(func, chunks(items, chunk_size)):
                results.extend(keep(part))
        return results
    finally:
        _STATE.clear()


def parse_all(site_dir: Path, entries: list[SourceEntry], config: SiteConfig, static: frozenset[str],
              along: AlongParse | None = None,
              keep_along: Callable[[list[Any]], None] | None = None,
              keep_parsed: Callable[[list[Parsed]], None] | None = None) -> list[tuple[Parsed, bytes]]:
    """Parse files (in the pool when there are many): each result and its encoded form.  What
    ``along`` makes of each document goes to ``keep_along``, and the results to ``keep_parsed``,
    chunk by chunk (while the pool parses the next chunks)."""
    state = {"site_dir": site_dir, "config": config, "static": static, "along": along}

    def keep(part: list[tuple[bytes, Any]]) -> list[tuple[Parsed, bytes]]:
        if keep_along is not None:
            made = [m for _, m in part if m is not None]
            if made:
                keep_along(made)
        results = [(_decoded(blob), blob) for blob, _ in part]
        if keep_parsed is not None:
            keep_parsed([item for item, _ in results])
        return results

    # Converting Markdown too makes each file worth the pool from far fewer files.
    return run_parallel(_parse_chunk, entries, state, min_items=60 if along is not None else 400,
                        chunk_size=40 if along is not None and len(entries) < 4000 else 100, consume=keep)


def hash_files(site_dir: Path, paths: list[str]) -> list[str]:
    """The content hash of each file (see :func:`cchc_site.files.content_hash`; "" when it
    cannot be read), in the pool when there are many: after a fresh clone every file's time
    changed, and the cache is trusted file by file on these hashes."""
    return run_parallel(_hash_chunk, paths, {"site_dir": site_dir}, min_items=1000, chunk_size=250)


def _hash_chunk(paths: list[str]) -> list[str]:
    site_dir = _STATE["site_dir"]
    return ["" if isinstance(data, OSError) else content_hash(data)
            for data in read_all([os.path.join(site_dir, path) for path in paths], [-1] * len(paths))]


def _decoded(blob: bytes) -> Parsed:
    item = decode_parsed(blob)
    if item is None:  # the encoding is this package's own: failing to read it back is a bug
        raise RuntimeError("a parse result could not be decoded")
    return item


def convert_all(docs: Sequence[Document], base_path: str, load: Callable[[str, str], str],
                consume: Callable[[list[Converted]], list[Converted]] | None = None,
                along: AlongConversion | None = None) -> list[Converted]:
    """Markdown -> HTML of each document; ``load(path, digest)`` reads a file's body."""
    state = {"docs": docs, "base_path": base_path, "load": load, "along": along}
    return run_parallel(_convert_chunk, list(range(len(docs))), state, min_items=60, chunk_size=40, consume=consume)


def render_all(renderer: Any, pages: Sequence[Any], indices: list[int], staging: Path,
               rendered: dict[int, bytes | SiteError] | None = None,
               like: OlderOutput | None = None) -> list[tuple[int, bytes | SiteError | None]]:
    """Render the pages at ``indices`` and write them into ``staging``; ``rendered`` holds pages
    rendered already (only written); ``like``: see :func:`cchc_site.output.write_file`."""
    return run_parallel(_render_chunk, indices, {"renderer": renderer, "pages": pages, "staging": staging,
                                                 "rendered": rendered or {}, "like": like},
                        min_items=400, chunk_size=200)


def map_indices(make: Callable[[int], Any], indices: list[int],
                consume: Callable[[list[tuple[int, Any]]], list[tuple[int, Any]]] | None = None,
                min_items: int = 200, chunk_size: int = 100) -> list[tuple[int, Any]]:
    """``(i, make(i))`` for each index, in the pool when there are many (``consume`` as in
    :func:`run_parallel`).  ``make`` runs in forked workers: it must not use a SQLite
    connection opened before the fork (the rendered Markdown store reopens its own)."""
    return run_parallel(_call_chunk, indices, {"make": make}, min_items=min_items, chunk_size=chunk_size,
                        consume=consume)


class Background(Generic[R]):
    """``func()`` computed in a forked process while the build goes on (the child sees the
    build's memory as it was at the fork, so nothing is sent to it); :meth:`result` waits for
    it.  Without fork (Windows, one core) ``func`` runs when the result is asked for."""

    def __init__(self, func: Callable[[], R], fork: bool = True) -> None:
        self._func = func
        self._process: Any = None
        if fork and can_fork():
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            self._process = context.Process(target=_background_child, args=(func, send, os.getpid()), daemon=True)
            with _frozen():
                self._process.start()
            send.close()

    def ready(self) -> bool:
        """Whether :meth:`result` would return without waiting."""
        return self._process is None or bool(self._receive.poll())

    def result(self) -> R:
        if self._process is None:
            return self._func()
        try:
            ok, value = self._receive.recv()
        except EOFError:
            raise RuntimeError("a background part of the build stopped without a result") from None
        except BaseException:  # interrupted while waiting (Ctrl+C): the child is not waited for
            self._process.terminate()
            raise
        finally:
            self._receive.close()
            self._process.join()
            self._process = None
        if not ok:
            raise RuntimeError(f"a background part of the build failed: {value}")
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Not needed any more (the build failed): end the child."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._receive.close()
            self._process = None


def _background_child(func: Callable[[], Any], send: Any, parent: int) -> None:
    _die_with_parent(parent)
    try:
        outcome: tuple[bool, Any] = (True, func())
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        outcome = (False, f"{type(exc).__name__}: {exc}")
    send.send(outcome)
    send.close()

