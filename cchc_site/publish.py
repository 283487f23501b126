"""From the wanted state of an output (file -> fingerprint) to the live output folder,
atomically: files whose fingerprint is unchanged are taken from the previous output, only
the others are made.

The folder is never changed in place: the work happens in the spare (the output before
the live one, updated to the wanted state) or in a fresh staging folder, which is then
swapped in.  The manifests in the cache say what each folder holds.
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Mapping

from .cache import Cache
from .output import MARKER, discard, link_or_copy, new_staging, remove_file, spare_dir, swap_in

Producer = Callable[[Path, set[str]], None]  # (folder, files to make there) -> writes them; raises on failure


def manifest_key(output_dir: Path) -> str:
    return str(output_dir.resolve())


def live_manifest(cache: Cache, output_dir: Path) -> dict[str, str]:
    """What the live output holds, by the cache; empty when unknown."""
    return cache.manifest(manifest_key(output_dir)) if (output_dir / MARKER).is_file() else {}


def reusable_files(wanted: Mapping[str, str], live: Mapping[str, str], output_dir: Path) -> set[str]:
    """Files of the live output that are already as wanted (and still there: one deleted by
    hand is made again)."""
    root = str(output_dir)
    return {rel for rel, fp in wanted.items() if live.get(rel) == fp and os.path.isfile(os.path.join(root, rel))}


def publish(output_dir: Path, cache: Cache, wanted: Mapping[str, str], live: Mapping[str, str],
            reusable: set[str], produce: Producer) -> int:
    """Make the output hold exactly ``wanted``; returns how many files were made."""
    output_key = manifest_key(output_dir)
    spare_key = output_key + "#spare"
    spare = spare_dir(output_dir)
    # An empty record means none: the spare was being changed when a build stopped (forgotten below).
    previous = (cache.manifest(spare_key) or None) if live and (spare / MARKER).is_file() else None
    cache.forget_manifest(spare_key)  # from here on the spare folder is being changed
    if previous is None:
        # First build, or no trustworthy spare: a fresh folder, unchanged files linked from the live output.
        if spare.exists():
            shutil.rmtree(spare)
        work = new_staging(output_dir)
        have: dict[str, str] = {}
    else:
        # Update the spare (the output before the live one) to the wanted state, then swap.
        work = spare
        have = previous
        for rel in sorted(set(have) - set(wanted)):
            remove_file(work, rel)
    stale = [rel for rel, fp in wanted.items() if have.get(rel) != fp]
    from_live = sorted(rel for rel in stale if rel in reusable)
    make = {rel for rel in stale if rel not in reusable}
    try:
        produce(work, make)
        link_unchanged(output_dir, work, from_live)
        swap_in(work, output_dir, keep_old_as=spare if live else None)
    except BaseException:
        if work != spare:
            discard(work)
        raise
    cache.put_manifest(output_key, dict(wanted))
    if live:
        cache.put_manifest(spare_key, dict(live))
    return len(make)


def link_unchanged(output_dir: Path, staging: Path, rels: list[str]) -> None:
    """Hard-link the files that did not change from the previous output (threads overlap the syscalls)."""
    if not rels:
        return

    def link(part: list[str]) -> None:
        for rel in part:
            link_or_copy(staging, rel, output_dir / rel)

    if len(rels) < 64:
        link(rels)
        return
    size = max(1, len(rels) // 4 + 1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(link, [rels[i:i + size] for i in range(0, len(rels), size)]))
