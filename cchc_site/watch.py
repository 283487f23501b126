"""Which file-system changes trigger a preview rebuild, and when (pure).

The watcher thread (``devserver``) turns each watchdog event into a :class:`Change`;
:func:`classify` says whether it concerns the site's sources (``content/``,
``templates/``, ``site.yaml``) and :class:`Pending` collects a burst of them until
the files have been quiet for a moment.  An editor that saves by writing a temp
file and renaming it produces several events; they give one rebuild.

No threads and no clock here: ``now`` (seconds, monotonic) is passed in.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from .files import CONFIG_FILE, is_ignored

Area = Literal["content", "templates", "config"]

#: Seconds without a new event before a burst is rebuilt (MkDocs waits 0.1 s).
QUIET_SECONDS = 0.15
#: A never-ending stream of events (a big copy) still rebuilds this often.
MAX_WAIT_SECONDS = 2.0

#: watchdog event types that mean "something was written"; ``opened`` and
#: ``closed_no_write`` come from the build reading files and must never count.
WRITE_EVENTS = frozenset({"created", "modified", "deleted", "moved", "closed"})
#: vim probes a folder with a file named 4913 before saving.
EDITOR_PROBES = frozenset({"4913"})


@dataclass(frozen=True)
class Change:
    """One watchdog event, reduced to plain values."""

    event_type: str  # watchdog's: created, modified, deleted, moved, closed, opened, ...
    src_path: str
    dest_path: str = ""  # for "moved"
    is_directory: bool = False


def relative_path(site_root: str, path: str) -> str | None:
    """``path`` relative to ``site_root`` with ``/`` separators, or None when outside it."""
    if not path:
        return None
    root = os.path.normcase(os.path.abspath(site_root))
    full = os.path.normcase(os.path.abspath(path))
    if full == root:
        return ""
    if not full.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return full[len(root.rstrip(os.sep)) + 1:].replace(os.sep, "/")


def classify_path(rel: str) -> Area | None:
    """The area of a site-relative path, or None when the path is not a source.

    Hidden files and folders (``.git``, ``.cchc-preview``, ``.cchc-cache``), editor
    temporaries (``~$a.docx``, ``a.md~``, ``.a.md.swp``, ``4913``) and everything
    outside ``content/``, ``templates/`` and ``site.yaml`` (``output/`` included)
    are ignored.
    """
    if not rel:
        return None
    parts = rel.split("/")
    if any(not part or is_ignored(part) or part in EDITOR_PROBES for part in parts):
        return None
    if parts == [CONFIG_FILE]:
        return "config"
    if parts[0] == "content":
        return "content"
    if parts[0] == "templates":
        return "templates"
    return None


def classify(site_root: str, change: Change) -> tuple[Area, str] | None:
    """``(area, site-relative path)`` of a change that needs a rebuild, else None.

    A move counts when either end is a source: renaming ``a.md.tmp`` to ``a.md``
    is a save of ``a.md``; renaming ``a.md`` to ``a.md.bak`` removes ``a.md``.
    A folder's "modified" event only echoes a change of a file inside it (which
    has its own event, possibly an ignored temp file), so it never counts.
    """
    if change.event_type not in WRITE_EVENTS:
        return None
    if change.is_directory and change.event_type in ("modified", "closed"):
        return None
    candidates = [change.dest_path, change.src_path] if change.event_type == "moved" else [change.src_path]
    for path in candidates:
        rel = relative_path(site_root, path)
        if rel is None:
            continue
        area = classify_path(rel)
        if area is not None:
            return area, rel
    return None


@dataclass(frozen=True)
class Batch:
    """What one rebuild is for."""

    paths: frozenset[str]
    areas: frozenset[str]


@dataclass(frozen=True)
class Pending:
    """Changes seen since the last rebuild (immutable; each method returns a new value)."""

    first: float | None = None  # when the first change of the burst arrived
    last: float | None = None  # when the latest one arrived
    paths: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return self.first is None

    def add(self, now: float, area: str, path: str) -> "Pending":
        return Pending(self.first if self.first is not None else now, now,
                       self.paths | {path}, self.areas | {area})

    def wait(self, now: float, quiet: float = QUIET_SECONDS, max_wait: float = MAX_WAIT_SECONDS) -> float | None:
        """Seconds until the burst is due (0 when due now), None when nothing is pending."""
        if self.first is None or self.last is None:
            return None
        due_at = min(self.last + quiet, self.first + max_wait)
        return max(due_at - now, 0.0)

    def take(self, now: float, quiet: float = QUIET_SECONDS,
             max_wait: float = MAX_WAIT_SECONDS) -> tuple["Pending", Batch | None]:
        """``(empty, batch)`` when the burst is due, else ``(self, None)``."""
        wait = self.wait(now, quiet, max_wait)
        if wait is None or wait > 0:
            return self, None
        return Pending(), Batch(self.paths, self.areas)


def feed(pending: Pending, site_root: str, change: Change, now: float) -> Pending:
    """Add ``change`` to ``pending`` when it needs a rebuild."""
    found = classify(site_root, change)
    if found is None:
        return pending
    area, rel = found
    pending = pending.add(now, area, rel)
    if change.event_type == "moved" and rel != relative_path(site_root, change.src_path):
        # temp file renamed over the real one: report the real file, not the temp name
        src = relative_path(site_root, change.src_path)
        if src in pending.paths:
            pending = Pending(pending.first, pending.last, pending.paths - {src}, pending.areas)
    return pending


def describe(batch: Batch, limit: int = 3) -> str:
    """``content/posts/a.md, site.yaml`` (at most ``limit`` paths, then ``và N tệp khác``)."""
    paths = sorted(batch.paths)
    text = ", ".join(paths[:limit])
    if len(paths) > limit:
        text += f" và {len(paths) - limit} tệp khác"
    return text
