"""How a build is asked for: the moment it builds as of, and what it shows besides published
posts.  Its own small module, so that a build with nothing to do loads no planning code."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BuildOptions:
    now: datetime  # aware, site timezone: what "published" means
    drafts: bool = False
    future: bool = False
    preview: bool = False  # the `serve` preview: banners and live reload
