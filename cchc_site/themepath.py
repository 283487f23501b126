"""Where a site's templates come from (no Jinja2 here: a build that renders nothing never loads it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["SITE_TEMPLATES", "THEME_DIR", "Theme"]

THEME_DIR = Path(__file__).parent / "theme"
SITE_TEMPLATES = "templates"


@dataclass(frozen=True)
class Theme:
    """Where templates come from: the site's ``templates/`` first, then the default theme."""

    site_dir: Path

    @property
    def search_path(self) -> list[str]:
        paths = [str(self.site_dir / SITE_TEMPLATES)] if (self.site_dir / SITE_TEMPLATES).is_dir() else []
        return [*paths, str(THEME_DIR)]

    def display_path(self, filename: str) -> str:
        """A template file as the user should see it in an error."""
        path = Path(filename)
        for base, label in ((self.site_dir, ""), (THEME_DIR, "(giao diện mặc định) cchc_site/theme/")):
            try:
                rel = path.resolve().relative_to(base.resolve())
                return f"{label}{rel.as_posix()}"
            except ValueError:
                continue
        return filename
