"""From the wanted state of an output (file -> fingerprint) to the live output folder,
atomically: files whose fingerprint is unchanged are taken from the previous output, only
the others are made.

The folder is never changed in place: the work happens in the spare (the output before
the live one: updated to the wanted state when the cache describes it, else cleared of
strays and written in full, keeping files whose bytes are already right) or in a fresh
staging folder, which is then swapped in; the replaced output is kept as the next spare (a
build from nothing, which replaces none, leaves a spare of links to its files: see
:class:`SpareSkeleton`).  The manifests in the cache say what each folder holds.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .cache import Cache
from .output import (OlderOutput, clear_strays, discard, folder_id, folder_levels, is_plain_folder, link_or_copy,
                     linked_tops, make_folders, mark_folder, new_staging, older_output, own_files, remove_file,
                     remove_link, spare_dir, swap_in)

LINK_THREADS = 4  # link and mkdir wait on the file system, not on Python

# (folder, files to make there, an older output whose files with the same bytes may be linked
# instead of written, or None) -> writes them; raises on failure
Producer = Callable[[Path, set[str], OlderOutput | None], None]


@dataclass(frozen=True)
class Published:
    made: int  # files made (the others were taken from the previous output)
    unchanged: bool  # the output already was as wanted: nothing was done
    output_id: str | None  # the id of the live output now (records about it are stored with it)


SPARE_SUFFIX = "#spare"  # the key of an output's spare in the cache: the output's and this


def manifest_key(output_dir: Path) -> str:
    return str(output_dir.resolve())


def live_manifest(cache: Cache, output_dir: Path) -> dict[str, str]:
    """What the live output holds, by the cache; empty when unknown (no record for the id in
    its marker: a first build, or a build that could not record what it swapped in)."""
    return cache.manifest(manifest_key(output_dir), folder_id(output_dir)) or {}


def output_intact(output_dir: Path, live: Mapping[str, str]) -> bool:
    """Whether the live output has a record (``live``) and still holds every file it names as a
    file of its own (none deleted, or replaced by a link, by hand since): then a build whose
    inputs did not change has nothing to do."""
    return bool(live) and len(own_files(output_dir, live)) == len(live)


def reusable_files(wanted: Mapping[str, str], live: Mapping[str, str], output_dir: Path) -> set[str]:
    """Files of the live output that are already as wanted (and still there as files of its own:
    one deleted by hand, or replaced by a link to a file elsewhere, or under a top folder
    replaced by a link, is made again)."""
    return own_files(output_dir, [rel for rel, fp in wanted.items() if live.get(rel) == fp])


def publish(output_dir: Path, cache: Cache, wanted: Mapping[str, str], live: Mapping[str, str],
            reusable: set[str], produce: Producer, skeleton: SpareSkeleton | None = None,
            skeleton_made: Callable[[], bool] = lambda: False) -> Published:
    """Make the output hold exactly ``wanted``.  ``skeleton``: the folders of a spare being made
    for a build from nothing (see :func:`spare_skeleton`); ``skeleton_made`` waits for them (False:
    they could not be made).  Once the files are written they are linked into it, and it is kept
    as the spare."""
    live_id = folder_id(output_dir)
    if live and len(reusable) == len(wanted) == len(live):
        return Published(0, True, live_id)
    output_key = manifest_key(output_dir)
    spare_key = output_key + SPARE_SUFFIX
    spare = spare_dir(output_dir)
    previous = cache.manifest(spare_key, folder_id(spare), family=output_key) if live else None
    if previous is not None and linked_tops(spare):
        previous = None  # a link put into it by hand: never updated in place (through the link)
    have: dict[str, str] = {}
    shared: set[str] = set()  # files of the work folder that already are the live ones (hard links)
    if previous is None:
        # A spare no record describes (the output before a --clean build, or a build that was
        # stopped) is reused as it is, not deleted and made again (on a large site both cost
        # seconds of file system work): everything is written into it, files already right are
        # kept.  Otherwise (a first build, or a spare that cannot be cleared) a fresh folder.
        work, shared = _reused_spare(spare, wanted, reusable, output_dir) or (new_staging(output_dir), set())
    else:
        # Update the spare (the output before the live one) to the wanted state, then swap.  Its
        # marker changes first: a build stopped half way leaves a spare no record describes.
        work = spare
        have = previous
        mark_folder(work)
        for rel in sorted(set(have) - set(wanted)):
            remove_file(work, rel)
    new_id = folder_id(work)
    stale = [rel for rel, fp in wanted.items() if have.get(rel) != fp]
    from_live = sorted(rel for rel in stale if rel in reusable and rel not in shared)
    make = {rel for rel in stale if rel not in reusable}
    # An output no record describes (after --clean, or without a cache) is compared with what a
    # new folder gets: its equal files are linked, not written, so that the two folders share them
    # (the next build, which updates it as the spare, then frees no file in it).
    like = older_output(output_dir) if not live and work != spare and is_plain_folder(output_dir) else None
    try:
        produce(work, make, like)
        link_unchanged(output_dir, work, from_live, fresh=work != spare)
        linked = skeleton is not None and work != spare and _linked_into(skeleton, skeleton_made, work, wanted)
        swap_in(work, output_dir, keep_old_as=spare)  # the old output is the next build's spare
    except BaseException:
        if work != spare:
            discard(work)
        raise
    if linked and skeleton is not None:
        _keep_as_spare(skeleton, spare, cache, output_key, wanted)
    if new_id:
        cache.put_manifest(output_key, dict(wanted), new_id)
    if live and live_id:  # the old live folder is the spare now: its record names the files it holds
        cache.put_manifest(spare_key, held_files(spare, live, reusable), live_id, family=output_key)
    return Published(len(make), False, new_id)


def held_files(folder: Path, manifest: Mapping[str, str], known: set[str]) -> dict[str, str]:
    """``manifest`` without the files that ``folder`` no longer holds as files of its own (deleted,
    or replaced by a link, by hand); ``known``: files already found there.  A build that updates
    the folder later then makes those files again, instead of trusting the record and leaving
    them out."""
    present = known | own_files(folder, [rel for rel in manifest if rel not in known])
    return {rel: fp for rel, fp in manifest.items() if rel in present}


def missing_spare(output_dir: Path, live: Mapping[str, str]) -> SpareMirror | None:
    """The spare to make when the live output has a record (``live``) but there is no spare at
    all: deleted by hand, or a build from nothing that could not make its own."""
    spare = spare_dir(output_dir)
    if not live or os.path.lexists(spare):
        return None
    return SpareMirror(output_dir, spare, live, manifest_key(output_dir))


@dataclass(frozen=True)
class SpareSkeleton:
    """The folders of the spare that a build from nothing leaves beside its output, made while
    its pages are rendered in memory and its search index is built, before any page is written
    (a new folder waits on the file system's journal: 12,600 of them, for 10,000 posts, cost
    0.6 s on a quiet disk and seconds once the output is being written, or right after).  The
    files are linked into it once written (:func:`publish`).  Without it the first build that
    changes that output would have to make the spare (:class:`SpareMirror`), and an edit saved
    right after a build from nothing would wait for it."""

    folder: Path  # a staging name: a build killed meanwhile leaves nothing the next one keeps
    folders: tuple[str, ...]  # parents first

    def make(self) -> bool:
        """The folders made (in a forked process); False, and nothing left, when they cannot be."""
        try:
            if os.path.lexists(self.folder):
                shutil.rmtree(self.folder)
            os.mkdir(self.folder)
            mark_folder(self.folder)  # a marker of its own: the spare's id is not the output's
            make_folders(self.folder, self.folders)
            return True
        except OSError:
            discard(self.folder)
            return False


def spare_skeleton(output_dir: Path, files: Iterable[str]) -> SpareSkeleton | None:
    """The folders ``files`` need, for the spare of a build from nothing (no output, no spare);
    None for any other build."""
    if os.path.lexists(output_dir) or os.path.lexists(spare_dir(output_dir)):
        return None
    folder = output_dir.parent / f".{output_dir.name}.cchc-tmp-{os.getpid()}-spare"
    return SpareSkeleton(folder, tuple(name for level in folder_levels(files) for name in level))


def _linked_into(skeleton: SpareSkeleton, made: Callable[[], bool], work: Path, wanted: Mapping[str, str]) -> bool:
    """Every file of ``work`` linked into the skeleton's folders (the few folders it lacks made on
    the way); False, and the skeleton gone, when that fails."""
    if not made():
        return False
    try:
        link_unchanged(work, skeleton.folder, sorted(wanted), fresh=False)
        return True
    except OSError:
        discard(skeleton.folder)
        return False


def _keep_as_spare(skeleton: SpareSkeleton, spare: Path, cache: Cache, output_key: str,
                   wanted: Mapping[str, str]) -> None:
    try:
        os.replace(skeleton.folder, spare)
    except OSError:
        discard(skeleton.folder)
        return
    spare_id = folder_id(spare)
    if spare_id:
        cache.put_manifest(output_key + SPARE_SUFFIX, dict(wanted), spare_id, family=output_key)


@dataclass(frozen=True)
class SpareMirror:
    """A spare for the next build to update in place, made as a tree of hard links to the live
    output's files (``manifest``: its record), when there is none: deleted by hand, or a build
    from nothing could not make its own (:class:`SpareSkeleton`).  The next build that changes
    the output runs :meth:`make` in a forked process while it reads and plans; :meth:`record`
    tells the cache.  Nothing is lost when it cannot be made: that build makes a new folder."""

    output_dir: Path
    spare: Path
    manifest: Mapping[str, str]
    output_key: str  # the output's key in the cache (see manifest_key)

    def make(self) -> bool:
        """False, and nothing made, when it cannot be made, or when files of the output were
        deleted or replaced by links by hand (the build then makes a new folder)."""
        rels = sorted(self.manifest)
        if len(own_files(self.output_dir, rels)) != len(rels):
            return False
        work = None
        try:
            work = new_staging(self.output_dir)
            link_unchanged(self.output_dir, work, rels, fresh=True)
            os.replace(work, self.spare)
            return True
        except OSError:
            if work is not None:
                discard(work)
            return False

    def record(self, cache: Cache) -> None:
        spare_id = folder_id(self.spare)
        if spare_id:
            cache.put_manifest(self.output_key + SPARE_SUFFIX, dict(self.manifest), spare_id, family=self.output_key)


def _reused_spare(spare: Path, wanted: Mapping[str, str], reusable: set[str],
                  output_dir: Path) -> tuple[Path, set[str]] | None:
    """``spare`` marked anew and cleared of everything ``wanted`` does not name, and of the
    ``reusable`` files (they will be linked from the live output) except those that already are
    the live files (returned with it); None when there is no usable spare (then whatever is
    there is deleted, and errors are raised)."""
    if is_plain_folder(spare):
        try:
            mark_folder(spare)
            return spare, clear_strays(spare, wanted, reusable, output_dir)
        except OSError:
            shutil.rmtree(spare)
    elif os.path.lexists(spare):
        remove_link(spare)
    return None


def link_unchanged(output_dir: Path, staging: Path, rels: list[str], fresh: bool) -> None:
    """Hard-link the files that did not change from the previous output.  In a ``fresh`` folder
    their folders are made first, level by level, so that each file costs one system call;
    threads overlap the system calls."""
    if not rels:
        return
    source = str(output_dir)

    def link(part: list[str]) -> None:
        for rel in part:
            link_or_copy(staging, rel, os.path.join(source, rel))

    if len(rels) < 64:
        link(rels)
        return
    from concurrent.futures import ThreadPoolExecutor  # (loaded only for many: a build with nothing to do has none)

    with ThreadPoolExecutor(max_workers=LINK_THREADS) as pool:
        if fresh:
            for level in folder_levels(rels):
                list(pool.map(partial(make_folders, staging), _split(level, LINK_THREADS)))
        list(pool.map(link, _split(rels, LINK_THREADS)))


def _split(items: list[str], parts: int) -> list[list[str]]:
    size = max(1, len(items) // parts + 1)
    return [items[i:i + size] for i in range(0, len(items), size)]
