"""load -> validate -> quota -> plan -> render -> write: where a build starts.

``build_site`` takes the output folder's lock, compares every input's stamp with the last
build's and, when nothing changed, stops there.  Otherwise the quick build
(:mod:`cchc_site.quickbuild`: a few posts, pages or procedures edited) or the whole build
(:mod:`cchc_site.wholebuild`) runs; these gather and check everything before writing
anything; any problem raises :class:`BuildFailed` carrying all of them, and the output folder
is untouched.

Speed: parsed sources and rendered Markdown come from the cache when their inputs are
unchanged; Markdown and page rendering use every core; a page whose fingerprint (what
it shows) is unchanged is reused from the previous output by a hard link; when nothing
changed at all, nothing is written, and nothing of parsing or rendering is even loaded.
"""
from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BuildFailed, SiteError
from .files import ContentScan, file_stamp, scan_content, walk_stamped
from .options import BuildOptions
from .output import check_output_dir, folder_id, output_lock, recover_output
from .publish import live_manifest, manifest_key, missing_spare, output_intact
from .stamps import open_cache, stamps_hash, tool_version
from .stamps import stable_hash as _hash
from .themepath import Theme

if TYPE_CHECKING:
    from .quota import QuotaReport


@dataclass(frozen=True)
class BuildResult:
    pages: int  # pages and generated files rendered by this build
    files: int  # every file in the output
    seconds: float
    quota: QuotaReport | None  # None too when nothing changed (the build stopped at once, reading no report)
    warnings: tuple[SiteError, ...] = ()
    reused: int = 0  # files taken unchanged from the previous output
    unchanged: bool = False  # nothing changed: the output was left as it was
    next_event: datetime | None = None  # when the first future post becomes visible


FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class LastBuild:
    """What the build that made the live output saw, so an identical later build can stop at once."""

    stamp: str  # input_stamp() of that build
    valid_until: datetime  # the first future post's date: it becomes visible then
    day: date  # pages show the day (statistics), so a new day means a new build
    files: int
    quota: bytes  # that build's QuotaReport or None, pickled: only a build that changes something reads it
    warnings: tuple[SiteError, ...]

    def report(self) -> QuotaReport | None:
        """That build's quota report."""
        report: QuotaReport | None = pickle.loads(self.quota)
        return report


def build_site(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None = None,
               enforce_quota: bool = True, extra_globals: dict[str, object] | None = None,
               clean: bool = False, cache_dir: Path | None = None) -> BuildResult:
    """Build the whole site into ``output_dir``, atomically and incrementally."""
    started = time.perf_counter()
    problems = check_output_dir(output_dir, site_dir)
    if problems:
        raise BuildFailed(problems)
    with output_lock(output_dir):  # one build at a time per output folder
        recover_output(output_dir)
        cache = open_cache(site_dir, cache_dir, clean)
        try:
            scan = scan_content(site_dir)
            frame = input_frame(site_dir, scan, options, base_url, enforce_quota, extra_globals)
            stamp = input_stamp(frame, scan)
            last = cache.record(last_key(output_dir), folder_id(output_dir))
            if not isinstance(last, LastBuild) or not (options.now < last.valid_until
                                                       and options.now.date() == last.day):
                last = None  # the output's dates may have passed (a post due, a new day on the statistics page)
            live = live_manifest(cache, output_dir)  # what the live output holds, by its record
            if last is not None and last.stamp == stamp and output_intact(output_dir, live):
                return BuildResult(0, last.files, time.perf_counter() - started, None, last.warnings,
                                   reused=last.files, unchanged=True)
            # Only now the code that builds is loaded: a build with nothing to do (above) is a
            # program that starts, compares stamps and stops, and importing the rest would be
            # a quarter of its time.
            from .content import SourceChanged
            from .quickbuild import quick_build
            from .wholebuild import PendingSpare, whole_build

            # the output will change: the spare it needs is made meanwhile when there is none
            spare = PendingSpare(missing_spare(output_dir, live))
            try:
                result = None
                if last is not None:
                    result = quick_build(site_dir, output_dir, options, base_url, enforce_quota, extra_globals, cache,
                                         scan, last, frame, started, live, spare)
                if result is None:
                    result = whole_build(site_dir, output_dir, options, base_url, enforce_quota, extra_globals, cache,
                                         started, scan, frame, live, spare)
            except SourceChanged as changed:
                raise BuildFailed([changed.error()]) from None
            finally:
                spare.settle(cache)
            output_id = folder_id(output_dir)
            if output_id:
                cache.put_record(last_key(output_dir), LastBuild(stamp, result.next_event or FAR_FUTURE,
                                                                  options.now.date(), result.files,
                                                                  pickle.dumps(result.quota), result.warnings), output_id)
            return result
        finally:
            cache.close()


def last_key(output_dir: Path) -> str:
    return "last-build:" + manifest_key(output_dir)


def input_frame(site_dir: Path, scan: ContentScan, options: BuildOptions, base_url: str | None,
                enforce_quota: bool, extra_globals: dict[str, object] | None) -> str:
    """Every input of a build except the content files, by name, size and modification time
    (stat only: cheap)."""
    theme = Theme(site_dir)
    parts: list[object] = [tool_version(), options.drafts, options.future, options.preview, base_url, enforce_quota,
                           repr(sorted((extra_globals or {}).items()))]
    config = site_dir / "site.yaml"
    parts.append(file_stamp(config) if config.exists() else "-")
    parts += scan.static
    for folder in (site_dir / "content" / "data", *map(Path, theme.search_path)):
        parts += [(str(folder), rel, stamp) for rel, stamp in walk_stamped(folder)]
    return _hash(*parts)


def input_stamp(frame: str, scan: ContentScan) -> str:
    """Every input of a build: its frame and the content files."""
    return stamps_hash(frame, scan.sources)


