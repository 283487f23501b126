"""Static, sharded search index for ``/tim-kiem/`` (read by ``theme/assets/search.js``).

Why not Pagefind: its index does not fold ``đ`` to ``d``, it is rebuilt whole on every
build and it adds an outside binary.  This index is plain JSON made at build time:

``tim-kiem/chi-muc/meta.json``
    ``{"v": 1, "id": <content hash>, "docs": D, "shards": S, "chunk": C, "batch": B, "words": W}``
``tim-kiem/chi-muc/t/<n>.json`` (``n < S``)
    postings of the folded words whose FNV-1a hash is ``n`` mod ``S``, split by the form
    the word was written in: ``{"duong": {"dương": [p, ...], "đường": [p, ...]}}``.
    Each posting is one integer ``(doc - previous doc) * 8 + flags`` (documents in rising
    order), ``flags = 4 * in_title + tf`` where ``tf`` is the quantised count (0: once,
    1: 2-3 times, 2: 4-7, 3: 8 or more).
``tim-kiem/chi-muc/d/<k>.json``
    metadata of documents ``k*C .. k*C+C-1``: ``[[title, url, kind, date, summary], ...]``.

A query folds its words, loads only the shards of those words, ranks the documents
(every word must match, else any word; words written with the exact diacritics typed
first; title matches next; rarer words weigh more), then loads the metadata chunks of
the first ``B`` results only.

:func:`query_index` is the reference implementation of that algorithm (the tests check
the browser gives the same order) and :func:`bytes_for_query` says how many index bytes a
query loads before its first results are shown.  Everything here is pure.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from .mdrender import Rendered
from .models import Page, Post, Procedure
from .plan import BuildOptions, card_for, visible_posts
from .site import Site
from .text import fold, nfc, strip_html

INDEX_DIR = "tim-kiem/chi-muc"
FORMAT_VERSION = 1
TARGET_SHARD_BYTES = 16_000  # average shard size the shard count aims at
MAX_SHARDS = 4096
DOCS_PER_CHUNK = 16  # documents per metadata file
BATCH = 10  # results shown (and metadata fetched) at a time
MAX_QUERY_WORDS = 8  # further words of a query are ignored
SUMMARY_CHARS = 180

KIND_POST, KIND_PAGE, KIND_PROCEDURE = "tin", "trang", "thu-tuc"

# Words: runs of letters, digits, "_" (and any stray combining mark); a number with inner
# dots or commas (a procedure code 1.013225, 30.000, 92,7) stays one word.
# search.js uses the same expression: /[0-9]+(?:[.,][0-9]+)+|[\p{L}\p{N}_\u0300-\u036f]+/gu
WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)+|[\w\u0300-\u036f]+")


@dataclass(frozen=True)
class SearchDoc:
    """One searchable document: what is shown in results and what is indexed."""

    title: str
    url: str  # site path, e.g. /tin-tuc/2021/08/x/ (the page adds the base path)
    kind: str  # KIND_*
    date: str  # YYYY-MM-DD or ""
    summary: str
    strong: str  # text whose words carry the "in title" flag (title; code for procedures)
    body: str  # every other indexed text


def words(text: str) -> list[str]:
    """The words of ``text`` as written (NFC, lower case, diacritics kept)."""
    return WORD.findall(nfc(text).lower())


def tokens(text: str) -> list[str]:
    """The index keys of ``text``: its words folded (no diacritics, ``đ`` -> ``d``)."""
    return [fold(w) for w in words(text)]


def fnv1a(token: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes (search.js computes the same)."""
    h = 0x811C9DC5
    for byte in token.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def shard_of(token: str, shards: int) -> int:
    return fnv1a(token) % shards


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


# ---------------------------------------------------------------------------
# documents
# ---------------------------------------------------------------------------

def _procedure_text(proc: Procedure) -> str:
    parts: list[str] = [proc.field.name, *proc.keywords, proc.level, proc.online, proc.agency, proc.competent_agency,
                        proc.address, proc.result, *proc.applicants, *proc.legal_basis, *proc.conditions, *proc.steps]
    if proc.decision is not None:
        parts.append(str(proc.decision))
    for channel in proc.channels:
        parts += [channel.method, channel.time, channel.fee, channel.note]
    parts += [item.name for item in proc.dossier]
    return "\n".join(p for p in parts if p)


def documents(site: Site, rendered: Mapping[str, Rendered], options: BuildOptions) -> list[SearchDoc]:
    """Every document the build shows, in index order: pages, procedures, then posts oldest
    first, so that a new post only appends (document numbers of the others stay the same)."""
    docs: list[SearchDoc] = []
    for page in site.pages:
        if page.draft and not options.drafts:
            continue
        summary = page.summary or rendered[page.digest].summary
        docs.append(SearchDoc(page.title, page.url, KIND_PAGE, "", shorten(summary), page.title,
                              f"{page.summary}\n{strip_html(rendered[page.digest].html)}"))
    for proc in site.procedures:
        if proc.draft and not options.drafts:
            continue
        summary = f"Mã {proc.code} · Lĩnh vực {proc.field.name}"
        if proc.processing_time:
            summary += f" · Thời hạn: {proc.processing_time}"
        body = f"{_procedure_text(proc)}\n{strip_html(rendered[proc.digest].html)}"
        docs.append(SearchDoc(proc.title, proc.url, KIND_PROCEDURE,
                              proc.updated.isoformat() if proc.updated else "", shorten(summary),
                              f"{proc.title} {proc.code}", body))
    for post in reversed(visible_posts(site.posts, options)):
        summary = card_for(post, rendered, options.now).summary
        body = strip_html(rendered[post.digest].html)
        docs.append(SearchDoc(post.title, post.url, KIND_POST, post.date.date().isoformat(), shorten(summary),
                              post.title, f"{post.summary}\n{body}"))
    return docs


# ---------------------------------------------------------------------------
# building the index
# ---------------------------------------------------------------------------

def _dumps(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def build_index(docs: Iterable[SearchDoc]) -> dict[str, bytes]:
    """The index files (output-relative path -> bytes) for ``docs`` (ids in the given order)."""
    docs = list(docs)
    number_of: dict[str, int] = {}  # word as written -> its number (the vocabulary is small)
    forms: list[str] = []
    postings: list[list[int]] = []
    last: list[int] = []

    def counted(text: str) -> Counter[int]:
        found = WORD.findall(nfc(text).lower())
        for w in set(found).difference(number_of):
            number_of[w] = len(forms)
            forms.append(w)
            postings.append([])
            last.append(0)
        return Counter(map(number_of.__getitem__, found))

    for doc_id, doc in enumerate(docs):
        strong = counted(doc.strong)
        counts = counted(doc.body)
        counts.update(strong)
        for k, count in counts.items():
            flags = (4 if k in strong else 0) + (0 if count <= 1 else 1 if count <= 3 else 2 if count <= 7 else 3)
            postings[k].append((doc_id - last[k]) * 8 + flags)
            last[k] = doc_id

    by_key: dict[str, list[int]] = {}  # folded key -> numbers of its written forms
    for n, form in enumerate(forms):
        by_key.setdefault(fold(form), []).append(n)
    encoded = {key: b"{" + b",".join(_dumps(forms[n]) + b":" + _dumps(postings[n])
                                     for n in sorted(numbers, key=forms.__getitem__)) + b"}"
               for key, numbers in by_key.items()}
    total = sum(len(k.encode("utf-8")) + len(v) + 4 for k, v in encoded.items())
    shard_count = min(MAX_SHARDS, _next_pow2(max(1, math.ceil(total / TARGET_SHARD_BYTES))))
    shards: list[list[str]] = [[] for _ in range(shard_count)]
    for k in sorted(encoded):
        shards[shard_of(k, shard_count)].append(k)

    files: dict[str, bytes] = {}
    for n, members in enumerate(shards):
        body = b",".join(_dumps(k) + b":" + encoded[k] for k in members)
        files[f"{INDEX_DIR}/t/{n}.json"] = b"{" + body + b"}"
    for start in range(0, len(docs), DOCS_PER_CHUNK):
        chunk = [[d.title, d.url, d.kind, d.date, d.summary] for d in docs[start:start + DOCS_PER_CHUNK]]
        files[f"{INDEX_DIR}/d/{start // DOCS_PER_CHUNK}.json"] = _dumps(chunk)
    digest = hashlib.sha1()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path])
    meta = {"v": FORMAT_VERSION, "id": digest.hexdigest()[:12], "docs": len(docs), "shards": shard_count,
            "chunk": DOCS_PER_CHUNK, "batch": BATCH, "words": MAX_QUERY_WORDS}
    files[f"{INDEX_DIR}/meta.json"] = _dumps(meta)
    return files


def search_outputs(site: Site, rendered: Mapping[str, Rendered], options: BuildOptions) -> list[tuple[str, bytes]]:
    """Files of the search index as (output-relative path, bytes). Pure."""
    return sorted(build_index(documents(site, rendered, options)).items())


# ---------------------------------------------------------------------------
# querying (reference implementation of search.js)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    doc: int
    title: str
    url: str
    kind: str
    date: str
    summary: str


@dataclass(frozen=True)
class QueryOutcome:
    hits: tuple[Hit, ...]  # the requested batch, in display order
    total: int  # documents found
    all_words: bool  # False when no document had every word (any word then)
    loaded: tuple[str, ...]  # index files fetched, in order (output-relative paths)


def query_words(query: str, limit: int = MAX_QUERY_WORDS) -> tuple[list[str], list[str]]:
    """(keys, typed): the distinct folded keys of the query's words (at most ``limit``;
    words with digits are kept first) and the distinct words as typed (NFC, lower case)
    whose key is among them."""
    typed = list(dict.fromkeys(words(query)))
    keys = list(dict.fromkeys(fold(w) for w in typed))
    if len(keys) > limit:  # keep numbers (codes, years) first: they are the most selective
        chosen = set(([k for k in keys if any(c.isdigit() for c in k)] + [k for k in keys if not any(c.isdigit() for c in k)])[:limit])
        keys = [k for k in keys if k in chosen]
    return keys, [w for w in typed if fold(w) in keys]


Postings = dict[str, list[tuple[int, int]]]  # written form -> [(doc id, flags)]


def decode_postings(entry: Mapping[str, list[int]]) -> Postings:
    """{written form: [(doc id, flags)]} from a shard entry's delta-coded integers."""
    out: Postings = {}
    for form, values in entry.items():
        doc = 0
        plist = []
        for value in values:
            doc += value >> 3
            plist.append((doc, value & 7))
        out[form] = plist
    return out


def rank(postings: Mapping[str, Postings], keys: list[str], typed: list[str], docs: int) -> tuple[list[int], bool]:
    """Document ids in rank order, and whether they hold every word (else any word).

    Order: more query words matched; then more words written exactly as typed (2 in the
    title, 1 in the text); then more words in the title; then the score (rarer words and
    title words weigh more); then the later document first (newer posts first).
    """
    stats: dict[int, list[int]] = {}  # doc -> [matched, exact, in_title, score]
    for key in keys:
        forms = postings.get(key, {})
        merged: dict[int, int] = {}  # doc -> flags, written forms merged (title: any; count: most)
        for plist in forms.values():
            for doc, flags in plist:
                old = merged.get(doc)
                merged[doc] = flags if old is None else ((old | flags) & 4) | max(old & 3, flags & 3)
        if not merged:
            continue
        idf = math.floor(100 * math.log(1 + docs / len(merged)) + 0.5)
        for doc, flags in merged.items():
            s = stats.get(doc)
            if s is None:
                s = stats[doc] = [0, 0, 0, 0]
            title = flags >> 2
            s[0] += 1
            s[2] += title
            s[3] += idf * (4 * title + 1 + (flags & 3))
        for word in typed:
            if fold(word) == key:
                for doc, flags in forms.get(word, ()):
                    stats[doc][1] += 2 if flags & 4 else 1
    needed = len(keys)
    every = [d for d, s in stats.items() if s[0] == needed]
    all_words = bool(every) or not stats
    pool = every if every else list(stats)
    pool.sort(key=lambda d: (-stats[d][0], -stats[d][1], -stats[d][2], -stats[d][3], -d))
    return pool, all_words


def _json(files: Mapping[str, bytes], path: str, loaded: list[str]) -> object:
    loaded.append(path)
    return json.loads(files[path].decode("utf-8"))


def query_index(files: Mapping[str, bytes], query: str, batch: int = 0) -> QueryOutcome:
    """Run ``query`` against the index files the way search.js does; ``batch`` 0 is the
    first results, 1 what "more results" shows next, ..."""
    loaded: list[str] = []
    meta = _json(files, f"{INDEX_DIR}/meta.json", loaded)
    assert isinstance(meta, dict)
    keys, typed = query_words(query, meta["words"])
    if not keys:
        return QueryOutcome((), 0, True, tuple(loaded))
    shards: dict[int, dict[str, dict[str, list[int]]]] = {}
    for key in keys:
        n = shard_of(key, meta["shards"])
        if n not in shards:
            shards[n] = _json(files, f"{INDEX_DIR}/t/{n}.json", loaded)  # type: ignore[assignment]
    postings = {k: decode_postings(shards[shard_of(k, meta["shards"])].get(k, {})) for k in keys}
    order, all_words = rank(postings, keys, typed, meta["docs"])
    size, chunk_size = meta["batch"], meta["chunk"]
    chunks: dict[int, list[list[str]]] = {}
    hits: list[Hit] = []
    for doc in order[batch * size:(batch + 1) * size]:
        c = doc // chunk_size
        if c not in chunks:
            chunks[c] = _json(files, f"{INDEX_DIR}/d/{c}.json", loaded)  # type: ignore[assignment]
        title, url, kind, date, summary = chunks[c][doc % chunk_size]
        hits.append(Hit(doc, title, url, kind, date, summary))
    return QueryOutcome(tuple(hits), len(order), all_words, tuple(loaded))


def bytes_for_query(index_files: Mapping[str, bytes], query: str) -> int:
    """Index bytes a browser loads for ``query`` before its first results are shown
    (meta.json, the shards of the query's words, the metadata of the first batch).

    ``index_files`` maps output-relative paths (``tim-kiem/chi-muc/...``) to their bytes,
    e.g. ``dict(search_outputs(...))``.
    """
    outcome = query_index(index_files, query)
    return sum(len(index_files[path]) for path in outcome.loaded)
