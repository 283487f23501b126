"""What builds and checks are keyed on: the version of this code and of the libraries it
builds with, hashes of inputs by name and stamp, and the site's cache.  It imports nothing of
parsing or rendering: a build or check with nothing to do needs only this, so it starts quickly."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from . import __version__
from .cache import CACHE_DIR, CACHE_FILE, Cache, tag_cache_folder
from .files import CONFIG_FILE, SourceEntry


# Libraries whose code shapes what a build makes (HTML, parsed front matter): module -> distribution.
LIBRARIES = {"markdown": "markdown", "jinja2": "jinja2", "markupsafe": "markupsafe", "yaml": "pyyaml"}


@lru_cache(maxsize=1)
def tool_version() -> str:
    """The version plus a hash of this package's own code and the versions of the libraries it
    builds with: anything cached or skipped by an earlier build is trusted only if it was made
    by exactly this code (a developer's edit counts as a new version, and so does upgrading
    Markdown or Jinja2, which may change the HTML of pages whose content did not change)."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(library_stamps(LIBRARIES).encode())
    return f"{__version__}+{digest.hexdigest()}"


def library_stamps(libraries: Mapping[str, str]) -> str:
    """Each library's installed version, from its ``NAME-VERSION.dist-info`` folder beside it,
    found without importing it (``check`` never loads Markdown or Jinja2).  The same version
    installed again (a fresh virtual environment in CI, where the cache is restored) gives the
    same stamp.  A library installed without that folder is stamped by the size and time of
    its ``__init__`` file instead."""
    parts = []
    for module, distribution in libraries.items():
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        if not origin:
            parts.append(f"{module}=?")
            continue
        version = _installed_version(os.path.dirname(os.path.dirname(origin)), distribution)
        if version is None:
            try:
                st = os.stat(origin)
                version = f"{origin}:{st.st_size}:{st.st_mtime_ns}"
            except OSError:
                version = "?"
        parts.append(f"{module}={version}")
    return "\n".join(parts)


def _installed_version(folder: str, distribution: str) -> str | None:
    """The version in the name of ``distribution``'s ``.dist-info`` folder in ``folder``."""
    wanted = _normalise_name(distribution)
    try:
        names = _folder_names(folder)
    except OSError:
        return None
    for name in names:
        if name.endswith(".dist-info") and "-" in name:
            project, version = name[: -len(".dist-info")].rsplit("-", 1)
            if _normalise_name(project) == wanted:
                return version
    return None


@lru_cache(maxsize=8)
def _folder_names(folder: str) -> tuple[str, ...]:
    return tuple(os.listdir(folder))


def _normalise_name(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def stable_hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def stamps_hash(head: str, entries: Iterable[SourceEntry]) -> str:
    """A hash of ``head`` and the content files' names and stamps (what :func:`stable_hash` of
    them would tell apart), made for the 10,000 entries of every build and check: joined with
    NUL, which no name or stamp holds (the repr of 10,000 tuples took three times as long)."""
    text = "\0".join([head, *(f"{e.path}\0{e.stamp}" for e in entries)])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def open_cache(site_dir: Path, cache_dir: Path | None, clean: bool) -> Cache:
    """The site's cache; ``clean`` throws it away first, so the build starts from nothing.  Its
    folder is tagged (:func:`cchc_site.cache.tag_cache_folder`: git ignores it) when it is the
    site's own ``.cchc-cache/``, or one this call makes; a folder the caller names that exists
    already is left as it is."""
    folder = cache_dir or site_dir / CACHE_DIR
    ours = cache_dir is None or not os.path.lexists(folder)
    path = folder / CACHE_FILE
    if clean:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        for old in folder.glob("templates-*"):  # compiled templates
            shutil.rmtree(old, ignore_errors=True)
    cache = Cache(path)
    if ours and cache.db is not None:
        tag_cache_folder(folder)
    return cache


TIMEZONE_KEY = "site-timezone"


def remembered_timezone(site_dir: Path, tag: str | None) -> str | None:
    """The timezone site.yaml names, when it was remembered (:func:`remember_timezone`) for the
    bytes of ``tag`` (:func:`config_tag`: site.yaml as it is now) and this code; else None, and
    the caller reads site.yaml.  "Now" is taken in that timezone before anything else: a build or
    check with nothing to do then loads neither the configuration's code nor YAML."""
    if tag is None:
        return None
    cache = Cache(site_dir / CACHE_DIR / CACHE_FILE, read_only=True)
    try:
        name = cache.record(TIMEZONE_KEY, tag)
    finally:
        cache.close()
    return name if isinstance(name, str) else None


def remember_timezone(site_dir: Path, tag: str | None, name: str) -> None:
    """Remember that site.yaml with the bytes of ``tag`` (:func:`config_tag`, taken before it was
    read and found unchanged after) is valid and names the timezone ``name``."""
    if tag is None:
        return
    cache = open_cache(site_dir, None, clean=False)
    try:
        cache.put_record(TIMEZONE_KEY, name, tag)
    finally:
        cache.close()


def config_tag(site_dir: Path) -> str | None:
    """This code and the bytes of site.yaml ("" when there is none: the defaults); None when it
    cannot be read."""
    try:
        data = (site_dir / CONFIG_FILE).read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError:
        return None
    return stable_hash(tool_version(), data)
