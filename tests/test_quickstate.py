"""The quick build's state as kept in the cache (``cchc_site.quickstate``): read back exactly as
written, whatever parts a build wrote again, and never a part of another build's."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cchc_site.cache import Cache
from cchc_site.config import MenuItem
from cchc_site.quickstate import (STAMPS_DELTA_LIMIT, KeptState, QuickState, keep_quick_state, load_quick_state,
                                  quick_key)


def make_state(n: int = 500) -> QuickState:
    sources = {f"content/posts/2021/{i % 12 + 1:02d}/bai-{i}.md": f"{1000 + i}:{i * 7}" for i in range(n)}
    order = tuple(sorted(sources, reverse=True))
    known = frozenset(f"/tin-tuc/bai-{i}/" for i in range(n)) | {"/", "/tin-tuc/"}
    return QuickState("frame-1", sources, order, known, frozenset({"1.001"}), frozenset(list(known)[:50]),
                      "salt", (MenuItem("Trang chủ", "/"),), "", frozenset({"/nhap/"}))


@pytest.fixture()
def cache(tmp_path: Path) -> Cache:
    opened = Cache(tmp_path / "cache.sqlite")
    yield opened
    opened.close()


def written_keys(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records written through ``cache.put_record`` from now on (their keys, in order)."""
    keys: list[str] = []
    real = cache.put_record

    def spy(key: str, value: object, tag: str, *more: tuple[str, str]) -> None:
        keys.append(key)
        real(key, value, tag, *more)

    monkeypatch.setattr(cache, "put_record", spy)
    return keys


def kept_state(cache: Cache, out: Path, state: QuickState) -> tuple[QuickState, KeptState]:
    """``state`` kept by a build from nothing (output folder content "id-1"), and read back."""
    keep_quick_state(cache, out, state, "id-1")
    kept = load_quick_state(cache, out, "id-1")
    assert kept is not None
    return state, kept


def test_a_state_reads_back_as_written(cache: Cache, tmp_path: Path) -> None:
    out = tmp_path / "output"
    state = make_state()
    keep_quick_state(cache, out, state, "id-1")
    kept = load_quick_state(cache, out, "id-1")
    assert kept is not None and kept.state == state
    assert load_quick_state(cache, out, "id-2") is None  # another output folder content: nothing
    assert load_quick_state(cache, tmp_path / "other", "id-1") is None


def test_an_edit_writes_the_small_record_only_and_reads_back_exactly(cache: Cache, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    state, kept = kept_state(cache, out, make_state())
    edited = "content/posts/2021/03/bai-2.md"
    new_sources = dict(state.sources, **{edited: "9999:1"})
    new_sources.pop("content/posts/2021/05/bai-4.md")  # a file deleted
    new_sources["content/posts/2021/06/moi.md"] = "10:10"  # and one added
    # equal parts as new objects (as a quick build makes them): not written again
    new = replace(state, sources=new_sources, known=frozenset(set(state.known)), linked=state.linked | set())
    keys = written_keys(cache, monkeypatch)
    keep_quick_state(cache, out, new, "id-2", kept)
    assert keys == [quick_key(out)]
    again = load_quick_state(cache, out, "id-2")
    assert again is not None and again.state == new
    assert load_quick_state(cache, out, "id-1") is None  # the record names the live folder's content only


def test_a_changed_part_is_written_again_and_an_older_record_no_longer_reads(cache: Cache, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    state, kept = kept_state(cache, out, make_state())
    moved = replace(state, order=state.order[1:] + state.order[:1], known=state.known | {"/tin-tuc/moi/"})
    keys = written_keys(cache, monkeypatch)
    keep_quick_state(cache, out, moved, "id-2", kept)
    assert sorted(keys) == sorted([f"{quick_key(out)}#order", f"{quick_key(out)}#known", quick_key(out)])
    assert keys[-1] == quick_key(out)  # the record that names the parts comes last
    again = load_quick_state(cache, out, "id-2")
    assert again is not None and again.state == moved
    # a record that names a part since written by another build is not read (no mixed state)
    monkeypatch.undo()
    keep_quick_state(cache, out, state, "id-1", None)  # (id-1's parts again, then id-1's record)
    keep_quick_state(cache, out, moved, "id-3", None)  # another build replaces every part
    assert load_quick_state(cache, out, "id-1") is None


def test_the_stamps_base_is_written_again_after_many_changes(cache: Cache, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "output"
    state, kept = kept_state(cache, out, make_state(STAMPS_DELTA_LIMIT + 50))
    many = replace(state, sources={path: stamp + "0" for path, stamp in state.sources.items()})
    keys = written_keys(cache, monkeypatch)
    keep_quick_state(cache, out, many, "id-2", kept)
    assert keys == [f"{quick_key(out)}#stamps", quick_key(out)]
    again = load_quick_state(cache, out, "id-2")
    assert again is not None and again.state == many and again.stamps == many.sources
