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
from array import array
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence
from bisect import bisect_left
from itertools import accumulate, repeat
from operator import add, rshift

from .files import content_hash as file_digest  # the digest the build's manifest keeps for output files
from .models import Page, Post, Procedure, RenderedLike
from .options import BuildOptions
from .plan import card_for, shown_with, visible_posts
from .site import Site
from .text import fold, html_text, nfc

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


_TRAILING = ",.;:!?)\"'”’…"  # punctuation that ends a word: "hành," "2021." "(sipas)"


def words(text: str) -> list[str]:
    """The words of ``text`` as written (NFC, lower case, diacritics kept).

    Exactly ``WORD.findall`` of the text, faster: no match spans white space, so each
    space-separated piece is matched alone, and a piece that is letters and digits only (most
    of them, once a trailing comma or full stop is set aside) is one word as it is."""
    out: list[str] = []
    add = out.append
    for piece in nfc(text).lower().split():
        if piece.isalnum():
            add(piece)
        else:
            out.extend(_piece_words(piece))
    return out


def _piece_words(piece: str) -> Sequence[str]:
    """The words of one space-separated piece that is not letters and digits only."""
    stem = piece.rstrip(_TRAILING)
    # what is cut off holds no digit, so no number goes on past the stem
    return (stem,) if stem.isalnum() else WORD.findall(piece)


def word_counts(text: str) -> Counter[str]:
    """``Counter(words(text))``, faster: the pieces are counted first (in C), and only the few
    distinct pieces that are not a word as they are get split."""
    counts = Counter(nfc(text).lower().split())
    for piece in [p for p in counts if not p.isalnum()]:
        n = counts.pop(piece)
        for word in _piece_words(piece):
            counts[word] += n
    return counts


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


def indexed_documents(site: Site, options: BuildOptions) -> list[Page | Procedure | Post]:
    """The documents the index holds, in index order: pages, procedures, then posts oldest
    first, so that a new post only appends (document numbers of the others stay the same)."""
    pages = [p for p in site.pages if shown_with(p, options)]
    procedures = [p for p in site.procedures if shown_with(p, options)]
    return [*pages, *procedures, *reversed(visible_posts(site.posts, options))]


def search_doc(doc: Page | Procedure | Post, rendered: Mapping[str, RenderedLike], options: BuildOptions) -> SearchDoc:
    """What one document shows in results and what of it is indexed."""
    if isinstance(doc, Page):
        summary = doc.summary or rendered[doc.digest].summary
        return SearchDoc(doc.title, doc.url, KIND_PAGE, "", shorten(summary), doc.title,
                         f"{doc.summary}\n{html_text(rendered[doc.digest].html)}")
    if isinstance(doc, Procedure):
        summary = f"Mã {doc.code} · Lĩnh vực {doc.field.name}"
        if doc.processing_time:
            summary += f" · Thời hạn: {doc.processing_time}"
        body = f"{_procedure_text(doc)}\n{html_text(rendered[doc.digest].html)}"
        return SearchDoc(doc.title, doc.url, KIND_PROCEDURE, doc.updated.isoformat() if doc.updated else "",
                         shorten(summary), f"{doc.title} {doc.code}", body)
    summary = card_for(doc, rendered, options.now).summary
    return SearchDoc(doc.title, doc.url, KIND_POST, doc.date.date().isoformat(), shorten(summary), doc.title,
                     f"{doc.summary}\n{html_text(rendered[doc.digest].html)}")


@dataclass(frozen=True)
class DocTerms:
    """One document's part of the index: its result row and its words with their flags.
    Depends on that document only, so the build caches it by the document's content."""

    row: tuple[str, str, str, str, str]  # title, url, kind, date, summary
    # its words as written, in the order they first appear, joined by "\n" (one string: cheap
    # to keep, send and store)
    joined: str
    flags: bytes  # flags[i] belongs to the i-th word: 4 if in the title, plus the count bucket

    @property
    def forms(self) -> list[str]:
        return self.joined.split("\n") if self.joined else []

    @property
    def terms(self) -> Iterable[tuple[str, int]]:
        return zip(self.forms, self.flags)


def _bucket(count: int) -> int:
    return 0 if count <= 1 else 1 if count <= 3 else 2 if count <= 7 else 3


_BUCKETS = {n: _bucket(n) for n in range(1, 8)}  # 8 or more: 3


def doc_terms(doc: SearchDoc) -> DocTerms:
    strong = Counter(words(doc.strong))
    counts = word_counts(doc.body)
    counts.update(strong)
    # Words in the order they first appear: the index sorts what it writes, so their order
    # here changes nothing (and sorting them cost a quarter of the time).
    in_title = dict.fromkeys(counts, 0)
    in_title.update(dict.fromkeys(strong, 4))
    buckets = map(_BUCKETS.get, counts.values(), repeat(3))
    flags = bytes(map(add, buckets, in_title.values()))  # no Python call per word
    return DocTerms((doc.title, doc.url, doc.kind, doc.date, doc.summary), "\n".join(counts), flags)


# ---------------------------------------------------------------------------
# building the index
# ---------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)  # one, not one per call


def _dumps(data: object) -> bytes:
    return _ENCODER.encode(data).encode("utf-8")


def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def build_index(docs: Iterable[SearchDoc]) -> dict[str, bytes]:
    """The index files (output-relative path -> bytes) for ``docs`` (ids in the given order)."""
    return index_files([doc_terms(d) for d in docs])


def index_files(entries: Sequence[DocTerms]) -> dict[str, bytes]:
    """The index files for documents already split into terms (ids in the given order)."""
    return sized_index_files(entries)[0]


def _shard_count(total: int) -> int:
    """How many shard files an index of this size measure has."""
    return min(MAX_SHARDS, _next_pow2(max(1, math.ceil(total / TARGET_SHARD_BYTES))))


def sized_index_files(entries: Sequence[DocTerms]) -> tuple[dict[str, bytes], int, int]:
    """:func:`index_files`, with the size measure and the shard count it used (what a later
    patch needs), so that nobody has to read them back from the files."""
    # Machine integers, not Python ints: 50,000 documents make about 15 million postings.
    postings: dict[str, array[int]] = {}
    last: dict[str, int] = {}
    for doc_id, entry in enumerate(entries):
        for form, flags in entry.terms:
            found = postings.get(form)
            if found is None:
                postings[form] = array("q", (doc_id * 8 + flags,))
            else:
                found.append((doc_id - last[form]) * 8 + flags)
            last[form] = doc_id

    by_key: dict[str, list[str]] = {}  # folded key -> its written forms
    for form in postings:
        by_key.setdefault(fold(form), []).append(form)
    encoded = {key: _encode_forms({form: postings[form].tolist() for form in forms}) for key, forms in by_key.items()}
    del postings, last
    total = sum(len(k.encode("utf-8")) + len(v) + 4 for k, v in encoded.items())
    shard_count = _shard_count(total)
    shards: list[list[str]] = [[] for _ in range(shard_count)]
    for k in sorted(encoded):
        shards[shard_of(k, shard_count)].append(k)

    files: dict[str, bytes] = {}
    for n, members in enumerate(shards):
        files[f"{INDEX_DIR}/t/{n}.json"] = _shard_bytes((k, encoded[k]) for k in members)
    for start in range(0, len(entries), DOCS_PER_CHUNK):
        chunk = [list(e.row) for e in entries[start:start + DOCS_PER_CHUNK]]
        files[f"{INDEX_DIR}/d/{start // DOCS_PER_CHUNK}.json"] = _dumps(chunk)
    files[META_FILE] = meta_file({path: file_digest(data) for path, data in files.items()}, len(entries), shard_count)
    return files, total, shard_count


META_FILE = f"{INDEX_DIR}/meta.json"


def meta_file(digests: Mapping[str, str], docs: int, shard_count: int) -> bytes:
    """``meta.json``; its ``id`` changes whenever any index file does (browsers use it to never
    mix shards of two builds)."""
    digest = hashlib.sha1()
    for path in sorted(digests):
        if path != META_FILE:
            digest.update(f"{path}\0{digests[path]}\n".encode())
    meta = {"v": FORMAT_VERSION, "id": digest.hexdigest()[:12], "docs": docs, "shards": shard_count,
            "chunk": DOCS_PER_CHUNK, "batch": BATCH, "words": MAX_QUERY_WORDS}
    return _dumps(meta)


def _encode_forms(forms: Mapping[str, list[int]]) -> bytes:
    """One key's object in a shard: its forms (sorted) and their posting lists."""
    return b"{" + b",".join(_dumps(form) + b":" + _dumps(forms[form]) for form in sorted(forms)) + b"}"


def _shard_bytes(items: Iterable[tuple[str, bytes]]) -> bytes:
    """A shard file from its keys (in order) and their encoded objects."""
    return b"{" + b",".join(_dumps(key) + b":" + encoded for key, encoded in items) + b"}"


@dataclass(frozen=True)
class IndexPatch:
    """A change to an existing index: documents replaced in place, added at the end or removed
    from the end."""

    docs: int  # number of documents after the change
    shard_count: int
    total: int  # size measure before the change
    old_terms: Mapping[int, DocTerms]  # replaced and removed documents as they were
    new_terms: Mapping[int, DocTerms]  # replaced and added documents as they are now


@dataclass(frozen=True)
class PatchedIndex:
    """What :func:`patch_index` gives: the files that change, those that go, the size measure."""

    files: dict[str, bytes]
    gone: frozenset[str]
    total: int


def _patch_postings(gaps: list[int], changes: list[tuple[int, int | None]],
                    tokens: list[bytes] | None = None) -> None:
    """Apply (document, new flags or None to remove) to a gap-encoded posting list, in place.
    Prefix sums and searches run in C, so a long list costs little.  ``tokens``, the list's
    JSON numbers as written, is kept equal to the new list (so it is never encoded again)."""
    docs = list(accumulate(map(rshift, gaps, repeat(3))))
    for doc, flags in changes:
        i = bisect_left(docs, doc)
        present = i < len(docs) and docs[i] == doc
        if present and flags is not None:
            gaps[i] = (gaps[i] & ~7) | flags
            if tokens is not None:
                tokens[i] = b"%d" % gaps[i]
        elif present:
            if i + 1 < len(gaps):
                gaps[i + 1] += (gaps[i] >> 3) * 8
                if tokens is not None:
                    tokens[i + 1] = b"%d" % gaps[i + 1]
            del gaps[i]
            del docs[i]
            if tokens is not None:
                del tokens[i]
        elif flags is not None:
            previous = docs[i - 1] if i > 0 else 0
            if i < len(gaps):
                gaps[i] = (docs[i] - doc) * 8 + (gaps[i] & 7)
                if tokens is not None:
                    tokens[i] = b"%d" % gaps[i]
            gaps.insert(i, (doc - previous) * 8 + flags)
            docs.insert(i, doc)
            if tokens is not None:
                tokens.insert(i, b"%d" % gaps[i])


def _array_span(shard: bytes, form: str) -> tuple[int, int] | None:
    """Where the posting list of ``form`` is written in a shard file: the bytes between its
    ``[`` and ``]`` (None when the file does not look as this module writes it)."""
    needle = _dumps(form) + b":["
    at = shard.find(needle)
    if at <= 0 or shard[at - 1:at] not in (b"{", b",") or shard.find(needle, at + 1) != -1:
        return None
    start = at + len(needle)
    end = shard.find(b"]", start)
    return (start, end) if end > start else None


def _key_forms(raw: bytes, key: str) -> dict[str, list[int]]:
    """A key's forms and posting lists in a shard file, decoding that key alone.  Its object
    ``"key":{"form":[...],...}`` is found by its bytes: inside the objects only ``"form":[``
    occurs, and words hold no braces; a key whose bytes are not there is not in the shard.
    Bytes not as this module writes them (never seen: the live file's digest was checked):
    the whole shard is decoded."""
    needle = _dumps(key) + b":{"
    at = raw.find(needle)
    if at == -1:
        return {}
    start = at + len(needle) - 1
    end = raw.find(b"}", start)
    if raw[at - 1:at] in (b"{", b",") and end != -1 and raw.find(needle, at + 1) == -1:
        try:
            found = json.loads(raw[start:end + 1])
            if isinstance(found, dict):
                return found
        except ValueError:
            pass
    return json.loads(raw).get(key, {})


def patch_index(patch: IndexPatch, read: Callable[[str], bytes], digests: Mapping[str, str]) -> PatchedIndex | None:
    """The index files that change, those that go (documents removed from the end), and the new
    size measure; None when the change moves the shard count (then the whole index is built
    again).  ``read`` gives a current file's bytes; ``digests`` the digests of all current files.
    The result is byte-identical to :func:`index_files` on the changed documents."""
    changes: dict[str, dict[int, int | None]] = {}  # form -> document -> new flags (None: remove)
    for doc, terms in patch.old_terms.items():
        for form in terms.forms:
            changes.setdefault(form, {})[doc] = None
    for doc, terms in patch.new_terms.items():
        for form, flags in terms.terms:
            changes.setdefault(form, {})[doc] = flags
    # An edited document keeps most of its words with the same flags: those lists do not change.
    before = {(doc, form): flags for doc, terms in patch.old_terms.items() for form, flags in terms.terms}
    for form in list(changes):
        per_doc = changes[form]
        for doc in [d for d, flags in per_doc.items() if flags is not None and before.get((d, form)) == flags]:
            del per_doc[doc]
        if not per_doc:
            del changes[form]
    by_key: dict[str, list[str]] = {}
    for form in changes:
        by_key.setdefault(fold(form), []).append(form)
    by_shard: dict[int, list[str]] = {}
    for key in by_key:
        by_shard.setdefault(shard_of(key, patch.shard_count), []).append(key)
    total = patch.total
    out: dict[str, bytes] = {}
    for n, shard_keys in sorted(by_shard.items()):
        path = f"{INDEX_DIR}/t/{n}.json"
        raw = read(path)
        # Only the keys that change are decoded (a shard holds thousands); the whole shard only
        # when it is written again.
        shard = {key: _key_forms(raw, key) for key in shard_keys}
        # Posting lists that only change inside are spliced into the file's bytes (a common
        # word's list is long: encoding it again would cost most of an edit); a form or key
        # that appears or disappears makes the whole file be written again.
        splices: list[tuple[int, int, bytes]] = []
        rewrite = False
        for key in shard_keys:
            forms = shard.get(key, {})
            base = len(key.encode("utf-8")) + 6  # quotes, colon, braces and the comma counted by index_files
            total -= (base + len(forms) - 1) if forms else 0
            for form in by_key[key]:
                gaps = forms.get(form)
                span = _array_span(raw, form) if gaps is not None and not rewrite else None
                tokens = raw[span[0]:span[1]].split(b",") if span is not None else None
                if gaps is not None:
                    total -= len(_dumps(form)) + 1 + (span[1] - span[0] + 2 if span else len(_dumps(gaps)))
                else:
                    gaps = []
                _patch_postings(gaps, sorted(changes[form].items()), tokens)
                if gaps:
                    forms[form] = gaps
                    written = b",".join(tokens) if tokens is not None else _dumps(gaps)[1:-1]
                    total += len(_dumps(form)) + 1 + len(written) + 2
                    if span is not None:
                        splices.append((span[0], span[1], written))
                    else:
                        rewrite = True
                else:
                    forms.pop(form, None)
                    rewrite = True
            if forms:
                shard[key] = forms
                total += base + len(forms) - 1
            else:
                shard.pop(key, None)
        if rewrite:
            whole: dict[str, dict[str, list[int]]] = json.loads(raw)
            for key in shard_keys:
                if key in shard:
                    whole[key] = shard[key]
                else:
                    whole.pop(key, None)
            out[path] = _shard_bytes((k, _encode_forms(whole[k])) for k in sorted(whole))
        else:
            pieces: list[bytes] = []
            position = 0
            for start, end, written in sorted(splices):
                pieces += [raw[position:start], written]
                position = end
            out[path] = b"".join(pieces) + raw[position:]
    if _shard_count(total) != patch.shard_count:
        return None
    gone: set[str] = set()
    removed = [doc for doc in patch.old_terms if doc >= patch.docs]
    for chunk in sorted({doc // DOCS_PER_CHUNK for doc in (*patch.new_terms, *removed)}):
        path = f"{INDEX_DIR}/d/{chunk}.json"
        start = chunk * DOCS_PER_CHUNK
        if start >= patch.docs:  # every document of it removed
            gone.add(path)
            continue
        rows = json.loads(read(path)) if path in digests else []
        del rows[patch.docs - start:]  # (documents removed from the end)
        for doc, terms in patch.new_terms.items():
            if doc // DOCS_PER_CHUNK == chunk:
                while len(rows) <= doc - start:
                    rows.append(None)
                rows[doc - start] = list(terms.row)
        out[path] = _dumps(rows)
    all_digests = {path: digest for path, digest in digests.items() if path not in gone}
    all_digests.update({path: file_digest(data) for path, data in out.items()})
    out[META_FILE] = meta_file(all_digests, patch.docs, patch.shard_count)
    return PatchedIndex(out, frozenset(gone), total)


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
    e.g. the result of :func:`index_files`.
    """
    outcome = query_index(index_files, query)
    return sum(len(index_files[path]) for path in outcome.loaded)
