"""The build cache (``<site>/.cchc-cache/``): parsed sources, rendered Markdown, each
document's search terms, the manifest of the last output and small records (last build,
search index state), in one SQLite file.

The cache is an optimisation only: every entry is keyed by what produced it (tool
version, settings, file size and mtime, content digest), and a corrupt, stale or
foreign cache is thrown away and rebuilt, never trusted.
"""
from __future__ import annotations

import marshal
import pickle
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:  # (loaded by the build that stores Markdown: a build with nothing to do needs no model)
    from .models import Link, Rendered

SCHEMA_VERSION = "cchc-cache-11"
CACHE_DIR = ".cchc-cache"
CACHE_FILE = "cache.sqlite"  # in CACHE_DIR
# Most rows are a few kilobytes of HTML: with SQLite's default 4 KiB pages each one spills into
# overflow pages, and a build from nothing writes twice as many pages (measured: 0.74 s -> 0.41 s
# to store a 10,000-post site's rows with 16 KiB pages).
PAGE_SIZE = 16384
MANIFEST_BASE = "base:"  # the base of an output's manifests is the row of this + that output (an absolute path)
MANIFEST_DELTA_LIMIT = 2000  # entries changed: more, and a manifest is recorded whole

# What a cache folder holds besides the cache, so that it says what it is: git ignores
# everything in it whatever the repository's own .gitignore says (a department's site is often a
# repository of its own), and backup tools that follow the Cache Directory Tagging Specification
# (https://bford.info/cachedir/) skip it.
FOLDER_TAGS = {
    ".gitignore": "# Bộ nhớ đệm của cchc-site (tự tạo lại khi dựng): không đưa vào git.\n*\n",
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"
                    "# This file is a cache directory tag created by cchc-site.\n"
                    "# For information about cache directory tags, see https://bford.info/cachedir/\n",
}


def tag_cache_folder(folder: Path) -> None:
    """Write those of :data:`FOLDER_TAGS` that ``folder`` lacks (nothing when it cannot be written:
    the cache works without them)."""
    for name, text in FOLDER_TAGS.items():
        target = folder / name
        if not target.exists():
            try:
                with open(target, "x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except OSError:
                pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sources_before (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS markdown (key TEXT PRIMARY KEY, html TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS markdown_meta (key TEXT PRIMARY KEY, summary TEXT NOT NULL, links BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS search_terms (key TEXT PRIMARY KEY, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS manifest (output TEXT PRIMARY KEY, tag TEXT NOT NULL, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, tag TEXT NOT NULL, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS check_facts (path TEXT PRIMARY KEY, frame TEXT NOT NULL, blob BLOB NOT NULL);
"""


class Cache:
    """A SQLite-backed cache; ``Cache(None)`` keeps nothing (no writable cache folder, tests)."""

    def __init__(self, path: Path | None, read_only: bool = False) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        self._bases: dict[str, tuple[str, dict[str, str]] | None] = {}  # see manifest()
        if path is not None:
            self.db = self._open_read_only(path) if read_only else self._open(path)

    @property
    def keeps(self) -> bool:
        """Whether anything written is kept (a cache file is open)."""
        return self.db is not None

    @staticmethod
    def _open_read_only(path: Path) -> sqlite3.Connection | None:
        """A reader beside the build's own connection (a forked worker): never creates,
        changes or deletes the file; None when it cannot be read as this version's cache."""
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if row is not None and row[0] == SCHEMA_VERSION:
                return db
            db.close()
        except (sqlite3.DatabaseError, OSError, ValueError):
            pass
        return None

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only when the file is new
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if row is None:
            db.execute("INSERT INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise sqlite3.DatabaseError("other version")
        return db

    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(path)
        except (sqlite3.DatabaseError, OSError):
            for suffix in ("", "-wal", "-shm"):
                try:
                    Path(str(path) + suffix).unlink()
                except OSError:
                    pass
            try:
                return self._connect(path)
            except (sqlite3.DatabaseError, OSError):
                return None  # a cache we cannot use is no cache

    def _safe(self, query: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        if self.db is None:
            return []
        try:
            return self.db.execute(query, tuple(params)).fetchall()
        except sqlite3.DatabaseError:
            self.db = None
            return []

    def _write_many(self, query: str, rows: list[tuple[Any, ...]], *more: tuple[str, list[tuple[Any, ...]]]) -> bool:
        """Run ``query`` for every row (and each further query for its rows) in one transaction;
        False when nothing was written (no cache, or it failed: then the cache is dropped for
        the rest of the run)."""
        if self.db is None:
            return False
        if not rows and not any(other for _, other in more):
            return True
        try:
            self.db.execute("BEGIN")
            for sql, batch in ((query, rows), *more):
                self.db.executemany(sql, batch)
            self.db.execute("COMMIT")
            return True
        except sqlite3.DatabaseError:
            self.db = None
            return False

    def _select_in(self, query: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``query`` (ending in ``IN``) for ``keys``, asked for 900 at a time (SQLite's
        limit on parameters)."""
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            yield from self._safe(f"{query} ({','.join('?' * len(chunk))})", chunk)

    def _keys(self, table: str) -> set[str]:
        return {key for (key,) in self._safe(f"SELECT key FROM {table}")}

    def _prune(self, keep: set[str], table: str, *also: str) -> None:
        """Delete the rows of ``table`` whose key is not in ``keep``, and the rows of the same keys
        in the tables ``also`` (in one transaction)."""
        gone = [(k,) for k in self._keys(table) - keep]
        self._write_many(f"DELETE FROM {table} WHERE key = ?", gone,
                         *((f"DELETE FROM {other} WHERE key = ?", gone) for other in also))

    # --- parsed sources ------------------------------------------------------------------------
    def sources(self) -> dict[str, tuple[str, bytes]]:
        """path -> (stamp, encoded parse result: see :mod:`cchc_site.parsed`)."""
        return {path: (stamp, blob) for path, stamp, blob in self._safe("SELECT path, stamp, blob FROM sources")}

    def source_keys(self) -> dict[str, str]:
        """path -> its row's key (settings | stamp | content hash), without the parse results."""
        return dict(self._safe("SELECT path, stamp FROM sources"))

    def source_rows(self, paths: list[str]) -> dict[str, tuple[str, bytes]]:
        """Like :meth:`sources`, for the given paths only."""
        return {path: (stamp, blob) for path, stamp, blob in
                self._select_in("SELECT path, stamp, blob FROM sources WHERE path IN", paths)}

    def put_sources(self, rows: list[tuple[str, str, bytes]], earlier: Iterable[str] = ()) -> None:
        """Store rows.  The current rows of the files in ``earlier`` are kept as their rows before
        (:meth:`earlier_source_rows`): the last build of one output may have read them, while
        ``check`` or a build of another output (the ``serve`` preview) read the files since."""
        self._write_many("INSERT OR REPLACE INTO sources_before SELECT path, stamp, blob FROM sources WHERE path = ?",
                         [(path,) for path in earlier], ("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)", rows))

    def earlier_source_rows(self, paths: list[str]) -> dict[str, tuple[str, bytes]]:
        """Like :meth:`source_rows`, each file's row before its current one."""
        return {path: (stamp, blob) for path, stamp, blob in
                self._select_in("SELECT path, stamp, blob FROM sources_before WHERE path IN", paths)}

    def drop_sources(self, paths: Iterable[str]) -> None:
        gone = [(p,) for p in paths]
        self._write_many("DELETE FROM sources WHERE path = ?", gone, ("DELETE FROM sources_before WHERE path = ?", gone))

    # --- rendered Markdown ---------------------------------------------------------------------
    def markdown_meta(self, keys: list[str]) -> dict[str, tuple[str, tuple[Link, ...]]]:
        """key -> (summary, links) for the keys present (HTML is loaded on demand).  They sit in
        a table of their own, away from the HTML: a build reads every document's."""
        if len(keys) > 2000:  # most of the table: one pass over it beats asking key by key
            wanted = set(keys)
            rows: Iterable[tuple[Any, ...]] = (row for row in self._safe("SELECT key, summary, links FROM markdown_meta")
                                               if row[0] in wanted)
        else:
            rows = self._select_in("SELECT key, summary, links FROM markdown_meta WHERE key IN", keys)
        found: dict[str, tuple[str, tuple[Link, ...]]] = {}
        for key, summary, blob in rows:
            links = _links(blob)
            if links is not None:  # (an unreadable row is simply not there)
                found[key] = (summary, links)
        return found

    def markdown_html(self, key: str) -> str | None:
        rows = self._safe("SELECT html FROM markdown WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def put_markdown(self, rows: list[tuple[str, Rendered]]) -> bool:
        """True when the rows are stored (and can be read back with :meth:`markdown_html`)."""
        return self._write_many(
            "INSERT OR REPLACE INTO markdown VALUES (?, ?)", [(key, r.html) for key, r in rows],
            ("INSERT OR REPLACE INTO markdown_meta VALUES (?, ?, ?)",
             [(key, r.summary, marshal.dumps(tuple((link.target, link.line) for link in r.links)) if r.links else b"")
              for key, r in rows]))

    def markdown_keys(self) -> set[str]:
        """Every key of stored Markdown (without loading any of it)."""
        return self._keys("markdown_meta")

    def prune_markdown(self, keep: set[str]) -> None:
        """Forget Markdown no document uses any more (keeps the file from growing forever)."""
        self._prune(keep, "markdown_meta", "markdown")

    # --- search index terms of each document -------------------------------------------------------
    def search_terms(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, blob in self._select_in("SELECT key, blob FROM search_terms WHERE key IN", keys):
            try:
                found[key] = marshal.loads(blob)
            except (EOFError, ValueError, TypeError):
                pass
        return found

    def search_term_keys(self) -> set[str]:
        """Every key of stored search terms (without loading any of them)."""
        return self._keys("search_terms")

    def put_search_terms(self, rows: list[tuple[str, Any]]) -> None:
        self._write_many("INSERT OR REPLACE INTO search_terms VALUES (?, ?)",
                         [(key, marshal.dumps(value)) for key, value in rows])

    def drop_search_terms(self, keys: Iterable[str]) -> None:
        self._write_many("DELETE FROM search_terms WHERE key = ?", [(k,) for k in keys])

    def prune_search_terms(self, keep: set[str]) -> None:
        self._prune(keep, "search_terms")

    # --- what check keeps of each content file (see checkfacts) ----------------------------------
    def check_facts(self, frame: str) -> dict[str, bytes]:
        """path -> the encoded facts of that file, as a check with the same ``frame`` found them."""
        return dict(self._safe("SELECT path, blob FROM check_facts WHERE frame = ?", (frame,)))

    def check_fact_paths(self, frame: str) -> set[str]:
        """The files whose facts a check (or a build) kept with this ``frame``."""
        return {path for (path,) in self._safe("SELECT path FROM check_facts WHERE frame = ?", (frame,))}

    def put_check_facts(self, frame: str, rows: list[tuple[str, bytes]], gone: Iterable[str] = (),
                        every: bool = False, other_frames: bool = False) -> None:
        """Store the facts of files (path, encoded facts) found with ``frame``; forget the files
        ``gone`` (``every``: ``rows`` are every file's, so forget all others; ``other_frames``:
        forget the facts found with another frame)."""
        if every:
            self._write_many("DELETE FROM check_facts", [()], ("INSERT INTO check_facts VALUES (?, ?, ?)",
                                                            [(path, frame, blob) for path, blob in rows]))
            return
        self._write_many("INSERT OR REPLACE INTO check_facts VALUES (?, ?, ?)",
                         [(path, frame, blob) for path, blob in rows],
                         ("DELETE FROM check_facts WHERE path = ?", [(path,) for path in gone]),
                         ("DELETE FROM check_facts WHERE frame != ?", [(frame,)] if other_frames else []))

    # --- per output folder: its manifest and small records ------------------------------------
    # Each is stored with the id of the folder content it describes (see output.folder_id) and
    # read back only with that id: an output changed after the record was written (a build
    # killed or unable to write the cache after its swap) is never described by a stale record.
    # A manifest names every file of an output (megabytes on a large site), and an edit changes a
    # few of its entries: the manifests of an output and of its spare are kept as the entries
    # that differ from a base (the whole manifest of one of that output's builds, in a row of its
    # own), written again only after a change too large for that.
    def manifest(self, output: str, tag: str | None, family: str = "") -> dict[str, str] | None:
        """Output file -> fingerprint, as recorded for the folder content ``tag``; None when unknown.
        ``family``: the output whose base it shares (that of its spare; itself by default)."""
        if not tag:
            return None
        rows = self._safe("SELECT blob FROM manifest WHERE output = ? AND tag = ?", (output, tag))
        value = _unmarshal(rows[0][0]) if rows else None
        if isinstance(value, dict):
            return value
        if not (isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], dict)
                and isinstance(value[2], list)):
            return None
        base_tag, changed, removed = value
        base = self._manifest_base(family or output)
        if base is None or base[0] != base_tag:
            return None  # (its base was replaced since: unknown)
        return with_differences(base[1], changed, removed)

    def put_manifest(self, output: str, entries: dict[str, str], tag: str, family: str = "") -> None:
        """Record the manifest of the folder content ``tag`` of ``output`` (one row per output):
        as its differences from the base of its ``family`` (see :meth:`manifest`) when they are
        few; else whole, and the manifest of the family's own output then becomes the new base."""
        family = family or output
        base = self._manifest_base(family)
        changed, removed = differences(base[1], entries) if base is not None else ({}, [])
        new_base = None
        if base is not None and len(changed) + len(removed) <= MANIFEST_DELTA_LIMIT:
            rows = [(output, tag, marshal.dumps((base[0], changed, removed)))]
        elif output != family:  # (a spare far from its output's base: whole)
            rows = [(output, tag, marshal.dumps(dict(entries)))]
        else:
            new_base = (tag, dict(entries))
            rows = [(MANIFEST_BASE + family, tag, marshal.dumps(new_base[1])), (output, tag, marshal.dumps((tag, {}, [])))]
        if self._write_many("INSERT OR REPLACE INTO manifest VALUES (?, ?, ?)", rows) and new_base is not None:
            self._bases[family] = new_base

    def _manifest_base(self, family: str) -> tuple[str, dict[str, str]] | None:
        """(tag, entries) of the base of the manifests of ``family`` (an output and its spare), read once."""
        if family not in self._bases:
            rows = self._safe("SELECT tag, blob FROM manifest WHERE output = ?", (MANIFEST_BASE + family,))
            value = _unmarshal(rows[0][1]) if rows else None
            self._bases[family] = (rows[0][0], value) if isinstance(value, dict) else None
        return self._bases[family]

    def record(self, key: str, tag: str | None) -> Any | None:
        if not tag:
            return None
        rows = self._safe("SELECT blob FROM records WHERE key = ? AND tag = ?", (key, tag))
        return load_blob(rows[0][0]) if rows else None

    def records_named(self, prefix: str, but: str = "") -> dict[str, Any]:
        """Every readable record whose key starts with ``prefix`` (except ``but``), whatever its tag."""
        rows = self._safe("SELECT key, blob FROM records WHERE substr(key, 1, ?) = ? AND key != ?",
                          (len(prefix), prefix, but))
        found = {key: load_blob(blob) for key, blob in rows}
        return {key: value for key, value in found.items() if value is not None}

    def record_tag(self, key: str) -> str | None:
        """The tag the record ``key`` is stored with (without reading the record), or None."""
        rows = self._safe("SELECT tag FROM records WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def put_record(self, key: str, value: Any, tag: str, *more: tuple[str, str]) -> None:
        """Store ``value`` as the record ``key`` for ``tag``, and under each further (key, tag)."""
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._write_many("INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                         [(name, label, blob) for name, label in ((key, tag), *more)])

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.DatabaseError:
                pass
            self.db = None


def load_blob(blob: bytes) -> Any | None:
    """Unpickle a cached record; None when it is unreadable."""
    try:
        return pickle.loads(blob)
    except Exception:  # noqa: BLE001 - any broken entry is simply a cache miss
        return None


def differences(base: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What turns ``base`` into ``new``: the entries changed or added, the keys removed (see
    :func:`with_differences`)."""
    return {key: value for key, value in new.items() if base.get(key) != value}, [key for key in base if key not in new]


def with_differences(base: Mapping[str, str], changed: Mapping[str, str], removed: Iterable[str]) -> dict[str, str]:
    """``base`` with the :func:`differences` to another mapping applied: that mapping."""
    gone = set(removed)
    result = {key: value for key, value in base.items() if key not in gone}
    result.update(changed)
    return result


def _unmarshal(blob: bytes) -> Any:
    try:
        return marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None


def _links(blob: bytes) -> tuple[Link, ...] | None:
    """Links as :meth:`Cache.put_markdown` stored them (b"": none); None when unreadable."""
    from .models import Link

    if not blob:
        return ()
    try:
        return tuple(Link(target, line) for target, line in marshal.loads(blob))
    except Exception:  # noqa: BLE001 - a broken entry is simply a cache miss
        return None
