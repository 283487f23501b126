"""The search index patched in place equals the index built from nothing (issue 6: an edit
re-makes only the index files it touches, with byte-identical results)."""
from __future__ import annotations

import json
import random

from cchc_site.search import (INDEX_DIR, IndexPatch, SearchDoc, _encode_forms, doc_terms, file_digest, index_files,
                              patch_index, sized_index_files)

WORDS = ("thủ tục hành chính cải cách đường Đà Nẵng dương xây dựng cấp giấy phép một cửa dịch vụ công "
         "trực tuyến bưu chính 1.013225 năm 2021 kế hoạch").split()


def index_total(files: dict[str, bytes]) -> int:
    """The size measure that sets the shard count, recomputed from the shard files (an oracle
    independent of the builder's own bookkeeping)."""
    total = 0
    for path, data in files.items():
        if path.startswith(f"{INDEX_DIR}/t/"):
            for key, forms in json.loads(data).items():
                total += len(key.encode("utf-8")) + len(_encode_forms(forms)) + 4
    return total


def word(rng: random.Random) -> str:
    """Mostly the common words; sometimes one of thousands of rarer ones (so indexes have several shards)."""
    return rng.choice(WORDS) if rng.random() < 0.6 else f"từ{rng.randint(0, 4000)}"


def make_doc(rng: random.Random, n: int) -> SearchDoc:
    title = " ".join(word(rng) for _ in range(rng.randint(2, 6)))
    body = " ".join(word(rng) for _ in range(rng.randint(5, 60)))
    return SearchDoc(title.capitalize(), f"/tin-tuc/2021/01/bai-{n}/", "tin", "2021-01-01", body[:80], title, body)


def small_edit(doc: SearchDoc, rng: random.Random) -> SearchDoc:
    """The usual edit: a paragraph added (most words keep their flags), a word dropped, or the body emptied."""
    words = doc.body.split()
    choice = rng.random()
    if choice < 0.5:
        body = doc.body + " " + " ".join(word(rng) for _ in range(rng.randint(1, 4)))
    elif choice < 0.85 and words:
        words.pop(rng.randrange(len(words)))
        body = " ".join(words)
    else:
        body = ""
    return SearchDoc(doc.title, doc.url, doc.kind, doc.date, doc.summary, doc.strong, body)


def full(docs: list[SearchDoc]) -> dict[str, bytes]:
    return index_files([doc_terms(d) for d in docs])


def test_patch_equals_full_build_for_edits_appends_and_removals() -> None:
    rng = random.Random(7)
    seen: set[int] = set()
    seen_removed: set[bool] = set()
    for trial in range(40):
        docs = [make_doc(rng, i) for i in range(rng.randint(1, 160))]
        before, size, shards = sized_index_files([doc_terms(d) for d in docs])
        assert size == index_total(before) and shards == sum(1 for p in before if p.startswith(f"{INDEX_DIR}/t/"))
        seen.add(shards)
        after_docs = list(docs)
        changed = rng.sample(range(len(docs)), k=min(len(docs), rng.randint(0, 3)))
        for i in changed:
            after_docs[i] = rng.choice([make_doc(rng, 1000 + i), small_edit(docs[i], rng), small_edit(docs[i], rng)])
        if rng.random() < 0.3:  # documents removed from the end (a post deleted shifts the older ones down)
            after_docs = after_docs[:max(0, len(after_docs) - rng.randint(1, 20))]
            changed = [i for i in changed if i < len(after_docs)]
        else:
            after_docs += [make_doc(rng, 2000 + k) for k in range(rng.randint(0, 3))]
        removed = range(len(after_docs), len(docs))
        patch = IndexPatch(len(after_docs), shards, index_total(before),
                           {i: doc_terms(docs[i]) for i in [*changed, *removed]},
                           {i: doc_terms(after_docs[i]) for i in [*changed, *range(len(docs), len(after_docs))]})
        result = patch_index(patch, before.__getitem__, {p: file_digest(d) for p, d in before.items()})
        expected = full(after_docs)
        if result is None:  # the shard count moved: the caller builds the whole index
            assert sum(1 for p in expected if p.startswith(f"{INDEX_DIR}/t/")) != shards
            continue
        merged = {path: data for path, data in {**before, **result.files}.items() if path not in result.gone}
        assert merged == expected, f"trial {trial}"
        assert result.total == index_total(expected)
        seen_removed.add(bool(removed))
    assert len(seen) > 2 and max(seen) > 1  # indexes of one and of several shards were patched
    assert seen_removed == {False, True}


def test_a_patch_that_moves_the_shard_count_is_refused() -> None:
    rng = random.Random(11)
    docs = [make_doc(rng, 0)]
    while True:  # grow until one more document needs another shard
        extra = make_doc(rng, len(docs))
        _, _, now = sized_index_files([doc_terms(d) for d in docs])
        _, _, after = sized_index_files([doc_terms(d) for d in [*docs, extra]])
        if after != now:
            break
        docs.append(extra)
    before, size, shards = sized_index_files([doc_terms(d) for d in docs])
    patch = IndexPatch(len(docs) + 1, shards, size, {}, {len(docs): doc_terms(extra)})
    assert patch_index(patch, before.__getitem__, {p: file_digest(d) for p, d in before.items()}) is None
