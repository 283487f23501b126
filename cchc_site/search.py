"""Search index for /tim-kiem/ (filled in by the search work; see README "Tìm kiếm")."""
from __future__ import annotations

from typing import Mapping

from .mdrender import Rendered
from .plan import BuildOptions
from .site import Site


def search_outputs(site: Site, rendered: Mapping[str, Rendered], options: BuildOptions) -> list[tuple[str, bytes]]:
    """Files of the search index as (output-relative path, bytes). Pure."""
    return []
