"""What the site folder's files hold: content files decoded into sources, data files read.
(Listing, stamping and reading bytes: :mod:`cchc_site.files`.)"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .encoding import NotUtf8, decode_source, not_utf8_message
from .errors import SiteError
from .files import DATA_DIR, KIND_DIRS, STATIC_DIR, content_hash, read_bytes, walk_files
from .frontmatter import split_front_matter
from .models import Source


@dataclass(frozen=True)
class SiteFiles:
    """Everything the build needs from ``content/``, read once."""

    sources: tuple[Source, ...]
    static_files: frozenset[str]  # paths relative to content/static/
    data_files: tuple[tuple[str, str], ...]  # (path relative to content/data/, text)
    errors: tuple[SiteError, ...]


_BLANK = b" \t\r\n\xef\xbb\xbf"  # white space, and the bytes of a BOM


def decode_file(data: bytes, path: str) -> str | SiteError:
    """Decoded, normalised text of a content file, or the error explaining why not."""
    if data[:1] in _BLANK and not data.strip(_BLANK):  # (a file that starts with text is not blank)
        return SiteError(path, 1, "E012", "Tệp rỗng. Viết nội dung cho tệp hoặc xóa tệp đi.")
    decoded = decode_source(data)
    if isinstance(decoded, NotUtf8):
        return SiteError(path, decoded.line, "E011", not_utf8_message(path, decoded, data))
    return decoded.text


def load_source(site_dir: Path, path: str, kind: str) -> Source | SiteError:
    """Read one Markdown file (``path`` site-relative, as on disk)."""
    return source_from_bytes(path, kind, read_bytes(site_dir / path))


def source_from_bytes(path: str, kind: str, data: bytes, digest: str = "") -> Source | SiteError:
    """A file's bytes as a Source, or why they cannot be one.  The Source keeps ``path`` as on
    disk, so the build can read the file again; its text is normalised (NFC), and a file named
    in NFD (as macOS writes names) gives the same URL as its NFC twin, since slugs fold.  Its
    digest is the content hash of ``data`` (``digest``, when the caller has it already)."""
    result = decode_file(data, path)
    if isinstance(result, SiteError):
        return result
    return Source(path, kind, result, digest or content_hash(data))


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
    data, data_errors = load_data_files(site_dir)
    return SiteFiles(tuple(sources), static, tuple(data), tuple(errors + data_errors))


def load_data_files(site_dir: Path) -> tuple[list[tuple[str, str]], list[SiteError]]:
    """The YAML data files under content/data/ (e.g. chi-so.yaml)."""
    data: list[tuple[str, str]] = []
    errors: list[SiteError] = []
    for rel in walk_files(site_dir / DATA_DIR):
        if rel.endswith((".yaml", ".yml")):
            text = decode_file((site_dir / DATA_DIR / rel).read_bytes(), f"{DATA_DIR}/{rel}")
            if isinstance(text, SiteError):
                if text.code != "E012":
                    errors.append(text)
            else:
                data.append((rel, text))
    return data, errors


class SourceChanged(Exception):
    """A content file is no longer what the build parsed (saved again during the build)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path

    def error(self) -> SiteError:
        return SiteError(self.path, 1, "E051", "Tệp đã thay đổi trong khi đang dựng (vừa được lưu lại?). "
                                               "Chạy lại lệnh dựng.")


def load_body(site_dir: Path, path: str, digest: str) -> str:
    """The Markdown body of a content file (its text after the front matter), read again for
    converting it; raises SourceChanged unless the file is still the one parsed (its content
    hash is ``digest``), so that HTML is never stored under another text's digest."""
    data = read_bytes(site_dir / path)
    text = decode_file(data, path) if content_hash(data) == digest else None
    if not isinstance(text, str):
        raise SourceChanged(path)
    parts = split_front_matter(text)  # it parsed before with this very text
    return parts[2] if parts else text
