"""``content/data/chi-so.yaml``: yearly index results (PAR Index, SIPAS, PAPI, PCI...)."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from .config import check_base_url
from .errors import SiteError
from .frontmatter import Loader, yaml_syntax_error

ENTRY_KEYS = ("year", "index", "score", "rank", "total", "source", "note")


@dataclass(frozen=True)
class IndexEntry:
    year: int
    index: str
    score: float | None
    rank: int | None
    total: int | None
    source: str
    note: str


def parse_indices(text: str, path: str) -> tuple[list[IndexEntry], list[SiteError]]:
    """Entries of the data file; each must cite a public source URL."""
    try:
        data = yaml.load(text, Loader=Loader) or {}
    except yaml.YAMLError as exc:  # every YAML problem (control characters too), worded as for front matter
        return [], [yaml_syntax_error(exc, text, path, 1)]
    raw = data.get("entries") if isinstance(data, dict) else None
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        return [], [SiteError(path, 1, "E015", "'entries' phải là danh sách các dòng kết quả.")]
    lines = [i + 1 for i, line in enumerate(text.split("\n")) if line.lstrip().startswith("- ") and not line.lstrip().startswith("#")]
    entries: list[IndexEntry] = []
    errors: list[SiteError] = []
    for n, item in enumerate(raw):
        line = lines[n] if n < len(lines) else 1
        if not isinstance(item, dict):
            errors.append(SiteError(path, line, "E015", "Mỗi dòng kết quả có year, index, rank, total, score, source."))
            continue
        unknown = [k for k in item if k not in ENTRY_KEYS]
        if unknown:
            errors.append(SiteError(path, line, "E007", f"Khóa '{unknown[0]}' không được hỗ trợ; dùng: " + ", ".join(ENTRY_KEYS) + "."))
        try:
            year = int(item["year"])
            index = str(item["index"]).strip()
            rank = int(item["rank"]) if item.get("rank") is not None else None
            total = int(item["total"]) if item.get("total") is not None else None
            score = float(item["score"]) if item.get("score") is not None else None
        except (KeyError, TypeError, ValueError):
            errors.append(SiteError(path, line, "E015", "Cần 'year' (năm), 'index' (tên chỉ số); 'rank', 'total' là số nguyên, 'score' là số."))
            continue
        source = str(item.get("source") or "")
        if check_base_url(source):
            errors.append(SiteError(path, line, "E004", "Mỗi kết quả phải có 'source': địa chỉ trang công bố chính thức "
                                                        "(không đưa số liệu không có nguồn)."))
            continue
        entries.append(IndexEntry(year, index, score, rank, total, source, str(item.get("note") or "")))
    entries.sort(key=lambda e: (e.index, e.year))
    return entries, errors
