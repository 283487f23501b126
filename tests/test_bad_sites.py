"""Every folder in tests/bad_sites/ is a small broken site and the exact error lines it must give.

``expected.txt`` holds one expected line per problem, ``path:line: CODE text``: the output must
have a line that starts with ``path:line: CODE `` and contains ``text`` (the stable part of the
message).  A first line ``# commands: build`` limits the case to some commands (template
errors are only found by ``build``; ``check`` does not render pages).

Each case runs the real command line in a subprocess on a copy of the folder, so a crash would
show up as a traceback in what the tool printed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BAD_SITES = Path(__file__).parent / "bad_sites"
CASES = sorted(p.name for p in BAD_SITES.iterdir() if (p / "expected.txt").is_file())
_LINE = re.compile(r"^(?P<where>\S+:\d+): (?P<code>[EW]\d{3})(?: (?P<text>.*))?$")


def read_expected(folder: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    commands = ["build", "check"]
    expected: list[tuple[str, str, str]] = []
    for raw in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        if raw.startswith("# commands:"):
            commands = raw.split(":", 1)[1].split()
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        match = _LINE.match(raw)
        assert match, f"bad line in {folder.name}/expected.txt: {raw!r}"
        expected.append((match["where"], match["code"], match["text"] or ""))
    assert expected, f"{folder.name}/expected.txt lists no error"
    return commands, expected


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "cchc_site", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=cwd, timeout=300)


def test_there_are_cases_for_every_required_code() -> None:
    codes = set()
    for name in CASES:
        codes.update(code for _, code, _ in read_expected(BAD_SITES / name)[1])
    required = {"E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008", "E009", "E010", "E011", "E012",
                "E013", "E014", "E030", "E031", "E040", "E041", "E042", "E043", "W070"}
    assert required <= codes, sorted(required - codes)


@pytest.mark.parametrize("name", CASES)
def test_bad_site(name: str, tmp_path: Path) -> None:
    site = tmp_path / name
    shutil.copytree(BAD_SITES / name, site, ignore=shutil.ignore_patterns("expected.txt"))
    commands, expected = read_expected(BAD_SITES / name)
    for command in commands:
        result = run(command, "--site", site)
        printed = result.stdout + result.stderr
        assert "Traceback" not in printed, printed
        assert result.returncode == 1, f"{command}: exit {result.returncode}\n{printed}"
        lines = printed.splitlines()
        for where, code, text in expected:
            prefix = f"{where}: {code} "
            assert any(line.startswith(prefix) and text in line for line in lines), (
                f"{command}: no line '{prefix}…{text}…' in:\n{printed}")
        if command == "build":
            assert not (site / "output").exists(), "a failed build must not create output/"


def test_all_problems_of_a_site_are_reported_together(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(BAD_SITES / "nhieu-loi-cung-luc", site)
    for command in ("build", "check"):
        result = run(command, "--site", site)
        files = {m["where"].rsplit(":", 1)[0] for m in map(_LINE.match, (result.stdout + result.stderr).splitlines())
                 if m}
        assert len(files) >= 6, files
        assert "Tìm thấy 6 lỗi" in result.stdout + result.stderr


def test_a_failed_build_keeps_the_previous_output(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(BAD_SITES / "e005-e006-ngay-sai", site)
    broken = sorted((site / "content").rglob("*.md"))
    moved = {p: p.read_bytes() for p in broken if p.name != "bai-dung.md"}
    for path in moved:
        path.unlink()
    assert run("build", "--site", site, "--as-of", "2022-01-01").returncode == 0
    before = {p.relative_to(site / "output"): p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()}
    assert len(before) > 10
    for path, data in moved.items():
        path.write_bytes(data)
    result = run("build", "--site", site, "--as-of", "2022-01-01")
    assert result.returncode == 1 and "E005" in result.stderr
    after = {p.relative_to(site / "output"): p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()}
    assert after == before


def test_messages_say_how_to_fix_in_vietnamese(tmp_path: Path) -> None:
    """Every message of every case is Vietnamese (has Vietnamese letters) and is more than a code."""
    vietnamese = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.I)
    for name in CASES:
        site = tmp_path / name
        shutil.copytree(BAD_SITES / name, site)
        commands, _ = read_expected(BAD_SITES / name)
        result = run(commands[0], "--site", site)
        for line in (result.stdout + result.stderr).splitlines():
            match = _LINE.match(line)
            if match:
                assert vietnamese.search(match["text"] or ""), line
                assert len(match["text"] or "") > 30, line


def test_error_table_documents_every_code() -> None:
    from cchc_site.errors import CODES

    table = (Path(__file__).parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| ([EW]\d{3}) \|", table, re.M))
    assert documented == set(CODES), (sorted(set(CODES) - documented), sorted(documented - set(CODES)))
    used = set()
    for path in (Path(__file__).parent.parent / "cchc_site").glob("*.py"):
        used.update(re.findall(r"\"([EW]\d{3})\"", path.read_text(encoding="utf-8")))
    assert used <= set(CODES), sorted(used - set(CODES))
