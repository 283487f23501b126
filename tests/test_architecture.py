"""Architecture rules, checked on the source with ``ast`` (README.md, "Kiến trúc"):

* imports point down the module map: a core module imports only modules listed before it;
* ``build``, ``check``, ``scaffold`` and ``devserver`` are edges: they may import any
  module except ``cli``, and no core module imports them;
* ``cli`` may import anything and nothing but ``__main__`` imports it;
* only ``cli`` prints or exits; the core reads no clock and opens no network connection;
* every module is placed in the map (a new module must be placed on purpose);
* the theme is packaged (``pip install .`` without the templates cannot build anything).
"""
from __future__ import annotations

import ast
import fnmatch
import sys
from pathlib import Path, PurePosixPath

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cchc_site"

# Bottom to top.  Modules are placed where their imports put them:
# cache (Markdown cache) over mdrender, incremental (page fingerprints) over plan, workers (parallel
# parse/convert/write) over output, watch (file-change batching for `serve`) over content.
LAYERS = [
    "errors", "files", "text", "dates", "options", "encoding", "simpleyaml", "frontmatter", "config", "models", "validate", "indices", "content",
    "site", "parsed", "fastmd", "mdconvert", "mdrender", "cache", "quota", "checkfacts", "links", "charts", "plan", "listed", "incremental", "exports", "themepath", "render", "search",
    "output", "publish", "quickstate", "stamps", "workers", "sources", "rendered", "searchfiles", "watch", "reports",
]
EDGES = {"build", "wholebuild", "quickbuild", "check", "scaffold", "devserver"}
TOP = {"cli", "__main__"}
ALWAYS_OK = {"__init__"}  # the package itself (e.g. __version__)
CLOCK_CALLS = {("datetime", "now"), ("datetime", "today"), ("date", "today"), ("time", "time")}
NETWORK_MODULES = {"socket", "http.client", "http.server", "urllib.request", "requests", "ftplib", "smtplib",
                   "socketserver"}


def modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(PACKAGE.glob("*.py"))}


def internal_imports(name: str, tree: ast.Module, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import of a module of the package, at any depth."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] != "cchc_site":
                continue
            base = (node.module or "").removeprefix("cchc_site").lstrip(".") if node.level == 0 else (node.module or "")
            if base:
                found.append((base.split(".")[0], node.lineno))
            else:  # from . import x: a module, or an attribute of the package
                for alias in node.names:
                    found.append((alias.name if alias.name in known else "__init__", node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "cchc_site":
                    found.append((parts[1] if len(parts) > 1 else "__init__", node.lineno))
    return found


def all_external_imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = modules()
KNOWN = set(MODULES)


def test_every_module_is_placed_in_the_map() -> None:
    placed = set(LAYERS) | EDGES | TOP | ALWAYS_OK
    assert KNOWN - placed == set(), "place new modules in LAYERS/EDGES (and in the README's architecture section)"
    assert placed - KNOWN == set(), "the map names a module that does not exist"
    assert len(LAYERS) == len(set(LAYERS))


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_imports_point_down(name: str) -> None:
    problems = []
    for target, line in internal_imports(name, MODULES[name], KNOWN):
        if target in ALWAYS_OK or target == name:
            continue
        if name in TOP:
            if name == "__main__" and target != "cli":
                problems.append(f"{name}.py:{line} imports {target} (only cli)")
            continue
        if target in TOP:
            problems.append(f"{name}.py:{line} imports {target}: only __main__ imports cli")
        elif name in EDGES:
            continue  # edges may import any module below cli
        elif target in EDGES:
            problems.append(f"{name}.py:{line} imports the edge module {target}")
        elif name in ALWAYS_OK:
            problems.append(f"{name}.py:{line}: the package __init__ imports {target}")
        elif LAYERS.index(target) >= LAYERS.index(name):
            problems.append(f"{name}.py:{line} imports {target}, which is above it in the module map")
    assert problems == []


def test_the_rule_catches_an_upward_import() -> None:
    tree = ast.parse("from .plan import plan_site\nimport cchc_site.build\nfrom . import cli\n")
    found = internal_imports("text", tree, KNOWN)
    assert [t for t, _ in found] == ["plan", "build", "cli"]
    assert LAYERS.index("plan") > LAYERS.index("text")


@pytest.mark.parametrize("name", sorted(KNOWN - {"cli"}))
def test_only_cli_prints_or_exits(name: str) -> None:
    problems = []
    for node in ast.walk(MODULES[name]):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("print", "exit", "quit", "input"):
                problems.append(f"{name}.py:{node.lineno}: {func.id}()")
            if (isinstance(func, ast.Attribute) and func.attr == "exit" and isinstance(func.value, ast.Name)
                    and func.value.id == "sys" and name != "__main__"):
                problems.append(f"{name}.py:{node.lineno}: sys.exit()")
            if (isinstance(func, ast.Attribute) and func.attr == "write" and isinstance(func.value, ast.Attribute)
                    and func.value.attr in ("stdout", "stderr")):
                problems.append(f"{name}.py:{node.lineno}: sys.{func.value.attr}.write()")
    assert problems == []


@pytest.mark.parametrize("name", sorted(set(LAYERS)))
def test_core_reads_no_clock(name: str) -> None:
    """"Now" is passed in (BuildOptions.now): builds are reproducible with --as-of."""
    problems = []
    for node in ast.walk(MODULES[name]):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            if (node.func.value.id, node.func.attr) in CLOCK_CALLS:
                problems.append(f"{name}.py:{node.lineno}: {node.func.value.id}.{node.func.attr}()")
    assert problems == []


@pytest.mark.parametrize("name", sorted(KNOWN - {"devserver", "cli"}))
def test_no_network_at_build_time(name: str) -> None:
    assert all_external_imports(MODULES[name]) & NETWORK_MODULES == set()


@pytest.mark.parametrize("name", sorted(set(LAYERS) | EDGES))
def test_dataclasses_are_frozen(name: str) -> None:
    problems = []
    for node in ast.walk(MODULES[name]):
        if isinstance(node, ast.ClassDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Name) and deco.id == "dataclass":
                    problems.append(f"{name}.py:{node.lineno}: {node.name}")
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "dataclass":
                    if not any(k.arg == "frozen" and getattr(k.value, "value", False) is True for k in deco.keywords):
                        problems.append(f"{name}.py:{node.lineno}: {node.name}")
    assert problems == []


def test_theme_files_are_packaged() -> None:
    """Every file of the default theme matches a package-data pattern of pyproject.toml, so that
    ``pip install .`` (not only ``pip install -e .``) can build a site."""
    if sys.version_info < (3, 11):
        pytest.skip("tomllib")
    import tomllib

    data = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["cchc_site"]
    theme_files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "theme").rglob("*") if p.is_file()]
    assert theme_files
    missing = [f for f in theme_files if not any(glob_match(f, pat) for pat in patterns)]
    assert missing == []
    assert not glob_match("theme/base.html", "theme/templates/*.html")  # the old mistake
    assert not glob_match("theme/assets/fonts/a.woff2", "theme/assets/*")  # '*' does not cross folders
    assert glob_match("theme/assets/fonts/a.woff2", "theme/**/*")


def glob_match(path: str, pattern: str) -> bool:
    """setuptools' package-data glob: '*' stays inside one folder, '**' crosses folders."""
    if "**" in pattern:
        return fnmatch.fnmatch(path, pattern)
    return len(path.split("/")) == len(pattern.split("/")) and PurePosixPath(path).match(pattern)
