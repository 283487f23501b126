"""What a build leaves for a later build in which only a few posts were edited
(:class:`QuickState`, read by :func:`cchc_site.quickbuild.quick_build`), and how it is kept in
the cache.

The state names every content file, post and output file: megabytes on a large site.  An edit
changes little of it (the edited files' stamps, seldom the order of posts or the paths the
output holds), so it is kept in parts: each large part is a record of its own, written again
only when it differs from the part the build read, and the files' stamps are kept as a base
with the files changed since.  The small record that ties the parts together is written by
every build, for the output it made; a part is read back only under the tag that record names,
so a part written by another build is never taken for this one's.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .cache import Cache, differences, with_differences
from .publish import manifest_key

if TYPE_CHECKING:
    from .config import MenuItem

# More files changed since the stamps' base was written: a new base (an edit writes its
# stamps anew only when its site has changed that much since the last one).
STAMPS_DELTA_LIMIT = 200


@dataclass(frozen=True)
class QuickState:
    """What the build that made the live output leaves for a later build in which only a few
    posts were edited (see :func:`cchc_site.quickbuild.quick_build`)."""

    frame: str  # input_frame() of that build
    sources: dict[str, str]  # content file -> its stamp then
    order: tuple[str, ...]  # visible posts, newest first (a post page links to its neighbours)
    known: frozenset[str]  # every path of the output (link targets)
    codes: frozenset[str]  # procedure codes (link targets)
    linked: frozenset[str]  # paths the documents' links name (with those of later edits: a page they name stays)
    salt: str  # what every page fingerprint starts with
    menu: tuple[MenuItem, ...]
    listed: str  # tag of the build's ListedPages record (see listed_key), "" when it has none
    unlisted: frozenset[str]  # URLs of the posts and pages not published (drafts...): a new post may not take them


_PARTS = ("order", "known", "linked")  # the large parts kept as records of their own, with the stamps' base
_SMALL = {f.name for f in fields(QuickState)} - {*_PARTS, "sources"}  # kept in the record that ties them


@dataclass(frozen=True)
class _Head:
    """The record that ties a state's parts together (its small fields kept in it whole)."""

    small: dict[str, Any]  # the state's other fields: name -> value
    tags: dict[str, str]  # part ("stamps" for the base of the sources' stamps) -> the tag of its record
    changed: dict[str, str]  # content file -> its stamp, where it differs from the base
    removed: list[str]  # files of the base that are gone


@dataclass(frozen=True)
class KeptState:
    """A state as read from the cache, with its parts as they are kept (so that a build that
    writes the state again writes only the parts that changed)."""

    state: QuickState
    head: _Head
    stamps: Mapping[str, str]  # the base of the sources' stamps


def quick_key(output_dir: Path) -> str:
    return "quick:" + manifest_key(output_dir)


def load_quick_state(cache: Cache, output_dir: Path, output_id: str | None) -> KeptState | None:
    """The state kept for the output folder content ``output_id``; None when there is none or a
    part of it is missing."""
    key = quick_key(output_dir)
    head = cache.record(key, output_id)
    if not isinstance(head, _Head) or set(head.tags) != {*_PARTS, "stamps"} or set(head.small) != _SMALL:
        return None  # (none, or kept by a version of this code with other fields)
    parts: dict[str, Any] = {}
    for name, tag in head.tags.items():
        value = cache.record(f"{key}#{name}", tag)
        if value is None:
            return None
        parts[name] = value
    stamps = parts.pop("stamps")
    if not isinstance(stamps, dict):
        return None
    sources = with_differences(stamps, head.changed, head.removed)
    return KeptState(QuickState(sources=sources, **head.small, **parts), head, stamps)


def keep_quick_state(cache: Cache, output_dir: Path, state: QuickState, output_id: str,
                     kept: KeptState | None = None) -> None:
    """Keep ``state`` for the output folder content ``output_id``.  ``kept``: the state this build
    started from, whose parts are kept again as they are when equal."""
    key = quick_key(output_dir)
    tags: dict[str, str] = {}
    for name in _PARTS:
        value = getattr(state, name)
        if kept is not None and getattr(kept.state, name) == value:
            tags[name] = kept.head.tags[name]
        else:
            tags[name] = f"{output_id}/{name}"
            cache.put_record(f"{key}#{name}", value, tags[name])
    changed, removed = differences(kept.stamps, state.sources) if kept is not None else ({}, [])
    if kept is not None and len(changed) + len(removed) <= STAMPS_DELTA_LIMIT:
        tags["stamps"] = kept.head.tags["stamps"]
    else:
        tags["stamps"] = f"{output_id}/stamps"
        cache.put_record(f"{key}#stamps", dict(state.sources), tags["stamps"])
        changed, removed = {}, []
    small = {name: getattr(state, name) for name in _SMALL}
    cache.put_record(key, _Head(small, tags, changed, removed), output_id)  # (last: it names the parts above)
