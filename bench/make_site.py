#!/usr/bin/env python3
"""Turn the deterministic benchmark corpus (gen_corpus.py, --format yaml) into a cchc-site
site folder: content/posts/YYYY/MM/*.md, site.yaml with the corpus' five categories, and
internal links rewritten to this generator's URL scheme (/tin-tuc/YYYY/MM/slug/).

    python bench/make_site.py --n 10000 --out /tmp/bench-site
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SITE_YAML = """\
title: "Chuyên mục Cải cách hành chính (benchmark)"
organization: "Benchmark"
base_url: "https://example.gov.vn/cchc/"
posts_per_page: 20
categories:
  - "Tin hoạt động"
  - "Cải cách thủ tục hành chính"
  - "Chính quyền số"
  - "Văn bản chỉ đạo điều hành"
  - "Kiểm soát thủ tục hành chính"
"""


def make_site(n: int, out: Path, seed: int = 20240601) -> dict:
    raw = out.parent / f".{out.name}-raw"
    if raw.exists():
        shutil.rmtree(raw)
    subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), "--n", str(n), "--seed", str(seed),
                    "--format", "yaml", "--out", str(raw)], check=True, stdout=subprocess.DEVNULL)
    meta = json.loads((raw / "bench-meta.json").read_text(encoding="utf-8"))
    if out.exists():
        shutil.rmtree(out)
    posts = out / "content" / "posts"
    for src in sorted((raw / "posts").rglob("*.md")):
        rel = src.relative_to(raw / "posts")
        dst = posts / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8").replace("](/posts/", "](/tin-tuc/")
        dst.write_text(text, encoding="utf-8")
    (out / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    shutil.rmtree(raw)
    edit = meta["edit_target"].replace("posts/", "content/posts/", 1)
    info = {"posts": n, "edit_target": edit, "expected": meta}
    (out / "bench-meta.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    info = make_site(args.n, args.out, args.seed)
    print(f"{args.out}: {info['posts']} posts; edit target {info['edit_target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
