"""Read the site folder (the only module that reads content from disk)."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .encoding import NotUtf8, decode_source
from .errors import SiteError
from .models import DATA_DIR, PAGES_DIR, POSTS_DIR, PROCEDURES_DIR, STATIC_DIR, Source

KIND_DIRS = ((POSTS_DIR, "post"), (PAGES_DIR, "page"), (PROCEDURES_DIR, "procedure"))
LEGACY_NAMES = {"windows-1258": "Windows-1258 (CP1258)", "tcvn3": "TCVN3 (ABC, phông .VnTime)",
                "vni": "VNI (phông VNI-Times)"}


@dataclass(frozen=True)
class SiteFiles:
    """Everything the build needs from ``content/``, read once."""

    sources: tuple[Source, ...]
    static_files: frozenset[str]  # paths relative to content/static/
    data_files: tuple[tuple[str, str], ...]  # (path relative to content/data/, text)
    errors: tuple[SiteError, ...]


def is_ignored(name: str) -> bool:
    """Hidden files, Word lock files and editor temporaries are never content."""
    return (name.startswith((".", "~$", "#")) or name.endswith(("~", ".tmp", ".swp", ".swx", ".bak"))
            or name in ("Thumbs.db", "desktop.ini"))


def walk_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files under ``root``, sorted, ignoring temporaries."""
    found: list[str] = []
    if not root.is_dir():
        return found
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if is_ignored(entry.name):
                    continue
                rel = prefix + entry.name
                if entry.is_dir():
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file():
                    found.append(rel)
    return sorted(found)


def decode_file(data: bytes, path: str) -> str | SiteError:
    """Decoded, normalised text of a content file, or the error explaining why not."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return SiteError(path, 1, "E012", "Tệp rỗng. Viết nội dung cho tệp hoặc xóa tệp đi.")
    decoded = decode_source(data)
    if isinstance(decoded, NotUtf8):
        if decoded.guess:
            name = LEGACY_NAMES.get(decoded.guess, decoded.guess)
            how = (f"Tệp có vẻ dùng bảng mã cũ {name}. Chuyển sang Unicode bằng lệnh "
                   f"'cchc-site fix-encoding {path}', hoặc dùng Unikey Toolkit (Ctrl+Shift+F6) chuyển mã "
                   f"{name.split(' ')[0]} sang Unicode rồi lưu với mã UTF-8.")
        else:
            how = "Mở tệp bằng Notepad, chọn File > Save As, mục Encoding chọn UTF-8, rồi lưu lại."
        return SiteError(path, decoded.line, "E011", f"Tệp không phải UTF-8 (byte lỗi ở dòng {decoded.line}). {how}")
    return decoded.text


def digest_text(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def load_source(site_dir: Path, path: str, kind: str) -> Source | SiteError:
    """Read one Markdown file."""
    result = decode_file((site_dir / path).read_bytes(), path)
    if isinstance(result, SiteError):
        return result
    return Source(path, kind, result, digest_text(result))


def load_site_files(site_dir: Path) -> SiteFiles:
    """Read every post, page and procedure, list static files and read data files."""
    sources: list[Source] = []
    errors: list[SiteError] = []
    for folder, kind in KIND_DIRS:
        for rel in walk_files(site_dir / folder):
            if not rel.lower().endswith(".md"):
                continue
            result = load_source(site_dir, f"{folder}/{rel}", kind)
            if isinstance(result, SiteError):
                errors.append(result)
            else:
                sources.append(result)
    static = frozenset(walk_files(site_dir / STATIC_DIR))
    data: list[tuple[str, str]] = []
    for rel in walk_files(site_dir / DATA_DIR):
        if rel.endswith((".yaml", ".yml")):
            text = decode_file((site_dir / DATA_DIR / rel).read_bytes(), f"{DATA_DIR}/{rel}")
            if isinstance(text, SiteError):
                if text.code != "E012":
                    errors.append(text)
            else:
                data.append((rel, text))
    return SiteFiles(tuple(sources), static, tuple(data), tuple(errors))
