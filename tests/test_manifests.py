"""Manifests in the cache (``Cache.manifest``/``put_manifest``): an output's and its spare's are
kept as their differences from a base, and always read back exactly as written, or as unknown."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cchc_site.cache import MANIFEST_DELTA_LIMIT, Cache

OUT = "/srv/site/output"
SPARE = OUT + "#spare"


def manifest(n: int, salt: str = "") -> dict[str, str]:
    return {f"tin-tuc/bai-{i}/index.html": f"fp-{i}{salt}" for i in range(n)}


def row_size(path: Path, output: str) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT length(blob) FROM manifest WHERE output = ?", (output,)).fetchone()[0]
    finally:
        db.close()


@pytest.fixture()
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite"


def test_manifests_read_back_as_written_and_an_edit_stores_only_what_changed(path: Path) -> None:
    live = manifest(3000)
    cache = Cache(path)
    cache.put_manifest(OUT, live, "id-1")
    assert cache.manifest(OUT, "id-1") == live
    assert cache.manifest(OUT, "id-2") is None  # another folder content: unknown
    edited = dict(live, **{"tin-tuc/bai-7/index.html": "fp-new", "tin-tuc/moi/index.html": "fp-moi"})
    del edited["tin-tuc/bai-9/index.html"]
    cache.put_manifest(OUT, edited, "id-2")
    cache.put_manifest(SPARE, live, "id-1", family=OUT)  # the old live folder is the spare now
    cache.close()
    assert row_size(path, OUT) < 200 and row_size(path, SPARE) < 200  # (the whole manifest: ~100 KB)
    again = Cache(path)  # another process
    assert again.manifest(OUT, "id-2") == edited
    assert again.manifest(SPARE, "id-1", family=OUT) == live
    assert again.manifest(OUT, "id-1") is None
    again.close()


def test_a_large_change_makes_a_new_base_and_what_named_the_old_one_is_unknown(path: Path) -> None:
    cache = Cache(path)
    first = manifest(MANIFEST_DELTA_LIMIT + 500)
    cache.put_manifest(OUT, first, "id-1")
    cache.put_manifest(SPARE, dict(first, extra="x"), "id-0", family=OUT)
    templates_edited = manifest(MANIFEST_DELTA_LIMIT + 500, salt="'")  # every page changed
    cache.put_manifest(OUT, templates_edited, "id-2")
    assert cache.manifest(OUT, "id-2") == templates_edited
    assert cache.manifest(SPARE, "id-0", family=OUT) is None  # its base is gone: unknown, never wrong
    cache.put_manifest(SPARE, first, "id-1", family=OUT)  # far from the new base: kept whole
    cache.close()
    again = Cache(path)
    assert again.manifest(SPARE, "id-1", family=OUT) == first
    assert again.manifest(OUT, "id-2") == templates_edited
    again.close()


def test_a_spare_alone_keeps_its_manifest_whole(path: Path) -> None:
    """A spare written before its output has any base (a build from nothing keeps its folders as
    the spare) is stored whole, and read back."""
    cache = Cache(path)
    cache.put_manifest(SPARE, manifest(100), "id-9", family=OUT)
    assert cache.manifest(SPARE, "id-9", family=OUT) == manifest(100)
    cache.close()
    assert row_size(path, SPARE) > 1000


@pytest.mark.parametrize("damaged", [OUT, "base:" + OUT])
def test_a_damaged_manifest_row_or_base_is_unknown(path: Path, damaged: str) -> None:
    cache = Cache(path)
    cache.put_manifest(OUT, manifest(50), "id-1")
    cache.put_manifest(OUT, dict(manifest(50), a="b"), "id-2")
    assert cache.manifest(OUT, "id-2") == dict(manifest(50), a="b")
    cache.close()
    db = sqlite3.connect(path)
    assert db.execute("UPDATE manifest SET blob = x'00ff' WHERE output = ?", (damaged,)).rowcount == 1
    db.commit()
    db.close()
    again = Cache(path)
    assert again.manifest(OUT, "id-2") is None
    again.close()
