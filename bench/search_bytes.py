#!/usr/bin/env python3
"""Index bytes a search query loads before its first results, on a built site.

    python bench/make_site.py --n 10000 --out /tmp/bench-site
    python -m cchc_site build --site /tmp/bench-site --output /tmp/bench-out
    python bench/search_bytes.py /tmp/bench-out                  # the default queries
    python bench/search_bytes.py /tmp/bench-out "thu tuc" "Đà Nẵng"

Prints one line per query (bytes, files fetched, documents found) and the index's
shard/chunk sizes; exits 1 when a query loads more than --limit bytes (default 1 MB).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cchc_site.search import INDEX_DIR, bytes_for_query, query_index  # noqa: E402

DEFAULT_QUERIES = [
    "thu tuc xay dung", "thủ tục hành chính", "và", "đường", "duong", "Da Nang", "1.013225",
    "cải cách hành chính một cửa liên thông dịch vụ công trực tuyến toàn trình",
]


def read_index(output_dir: Path) -> dict[str, bytes]:
    root = output_dir / INDEX_DIR
    return {p.relative_to(output_dir).as_posix(): p.read_bytes() for p in root.rglob("*.json")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the built site (output folder)")
    parser.add_argument("queries", nargs="*", help="queries (default: a fixed list)")
    parser.add_argument("--limit", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    files = read_index(args.output)
    if f"{INDEX_DIR}/meta.json" not in files:
        print(f"no search index under {args.output / INDEX_DIR}", file=sys.stderr)
        return 2
    meta = json.loads(files[f"{INDEX_DIR}/meta.json"])
    shards = [len(v) for k, v in files.items() if "/t/" in k]
    chunks = [len(v) for k, v in files.items() if "/d/" in k]
    rows = []
    for q in args.queries or DEFAULT_QUERIES:
        outcome = query_index(files, q)
        rows.append({"query": q, "bytes": bytes_for_query(files, q), "files": len(outcome.loaded),
                     "found": outcome.total})
    summary = {"docs": meta["docs"], "shards": meta["shards"], "shard_bytes_total": sum(shards),
               "shard_bytes_max": max(shards), "shard_bytes_median": statistics.median(shards),
               "chunks": len(chunks), "chunk_bytes_max": max(chunks, default=0), "queries": rows}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print(f"{meta['docs']} documents; {meta['shards']} shards ({sum(shards)} B, max {max(shards)} B, "
              f"median {statistics.median(shards):.0f} B); {len(chunks)} metadata chunks (max {max(chunks, default=0)} B)")
        for r in rows:
            print(f"{r['bytes']:>9} B  {r['files']:>3} files  {r['found']:>6} found  {r['query']}")
    return 1 if any(r["bytes"] > args.limit for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
