"""Reproducible builds: the same content gives byte-identical output, every file compared.

Same content in two folders, a rebuild in the same folder (cached), after touching every
mtime, a ``--clean`` build, other hash seeds, other build moments: always the same bytes.
Nothing embeds the build time (``SOURCE_DATE_EPOCH`` is the only way to set "now").
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from sitekit import post, run_cli, write_site

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2022-06-30"
EPOCH_2022 = int(datetime(2022, 6, 30, 12, 0, tzinfo=timezone.utc).timestamp())
EPOCH_2024 = int(datetime(2024, 2, 29, 3, 17, 45, tzinfo=timezone.utc).timestamp())


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(set(a) ^ set(b) | {k for k in set(a) & set(b) if a[k] != b[k]})


def shipped_site(dest: Path, quota: bool = True, posts: bool = True) -> Path:
    """A copy of the site shipped in the repository (posts, pages, procedures, data, templates).

    ``quota=False`` drops the quota (and the links to its /thong-ke/ page); ``posts=False``
    keeps only the procedures and one page."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "content", dest / "content")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", dest / "templates")
    config = (REPO / "site.yaml").read_text(encoding="utf-8")
    if not quota:
        config = config.split("\nquota:")[0] + "\n"
        for path in (dest / "content").rglob("*.md"):
            path.write_text(path.read_text(encoding="utf-8").replace("/thong-ke/", "/tin-tuc/"), encoding="utf-8")
    if not posts:
        shutil.rmtree(dest / "content/posts")
        shutil.rmtree(dest / "content/pages")
        (dest / "content/pages").mkdir()
        (dest / "content/pages/gioi-thieu.md").write_text("---\ntitle: Giới thiệu\n---\n\nTrang giới thiệu.\n",
                                                          encoding="utf-8")
    (dest / "site.yaml").write_text(config, encoding="utf-8")
    return dest


def build_cli(site: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    environment.update(env or {})
    result = subprocess.run([sys.executable, "-m", "cchc_site", "build", "--site", str(site), *extra],
                            capture_output=True, text=True, encoding="utf-8", env=environment, timeout=600)
    assert result.returncode == 0, result.stderr
    return read_tree(site / "output")


def build(site: Path, *extra: str) -> dict[str, bytes]:
    result = run_cli("build", "--site", site, "--as-of", AS_OF, *extra)
    assert result.code == 0, result.err
    return read_tree(site / "output")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return build(shipped_site(tmp_path_factory.mktemp("ref") / "site"))


def test_reference_is_a_real_site(reference: dict[str, bytes]) -> None:
    assert len(reference) > 30
    assert any(k.startswith("tin-tuc/2021/") for k in reference)
    assert any(k.startswith("thu-tuc-hanh-chinh/1.") for k in reference)
    assert "sitemap.xml" in reference and "rss.xml" in reference


def test_same_content_in_another_folder_gives_the_same_bytes(reference: dict[str, bytes], tmp_path: Path) -> None:
    assert differing(build(shipped_site(tmp_path / "somewhere" / "else")), reference) == []


def test_rebuilds_in_the_same_folder_give_the_same_bytes(reference: dict[str, bytes], tmp_path: Path) -> None:
    site = shipped_site(tmp_path / "site")
    assert differing(build(site), reference) == []
    assert differing(build(site), reference) == []  # cached, nothing changed
    later = time.time() + 3600
    for path in site.rglob("*"):
        if path.is_file() and "output" not in path.parts:
            os.utime(path, (later, later))
    assert differing(build(site), reference) == []  # every stamp changed, no content did
    assert differing(build(site, "--clean"), reference) == []  # cache thrown away


def test_a_changed_post_then_changed_back_gives_the_same_bytes(reference: dict[str, bytes], tmp_path: Path) -> None:
    site = shipped_site(tmp_path / "site")
    build(site)
    target = sorted((site / "content/posts").rglob("*.md"))[0]
    original = target.read_bytes()
    target.write_bytes(original.replace(b"\n---\n", "\n---\n\nMột đoạn thêm vào.\n".encode(), 1))
    changed = build(site)
    assert differing(changed, reference) != []
    target.write_bytes(original)
    assert differing(build(site), reference) == []


def test_other_hash_seeds_give_the_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        site = shipped_site(tmp_path / f"seed-{seed}")
        outputs.append(build_cli(site, "--as-of", AS_OF, env={"PYTHONHASHSEED": seed}))
    assert differing(*outputs) == []


def test_nothing_embeds_the_build_moment(tmp_path: Path) -> None:
    """Two builds at different moments (given by SOURCE_DATE_EPOCH, after every post) are identical,
    on a site without quota (whose page legitimately says 'as of')."""
    first = build_cli(shipped_site(tmp_path / "a", quota=False), env={"SOURCE_DATE_EPOCH": str(EPOCH_2022)})
    second = build_cli(shipped_site(tmp_path / "b", quota=False), env={"SOURCE_DATE_EPOCH": str(EPOCH_2024)})
    assert differing(first, second) == []


def test_with_quota_only_the_statistics_page_depends_on_the_day(tmp_path: Path) -> None:
    first = build_cli(shipped_site(tmp_path / "a"), env={"SOURCE_DATE_EPOCH": str(EPOCH_2022)})
    second = build_cli(shipped_site(tmp_path / "b"), env={"SOURCE_DATE_EPOCH": str(EPOCH_2024)})
    assert set(differing(first, second)) <= {"thong-ke/index.html"}
    assert "30/06/2022".encode() in first["thong-ke/index.html"]


def test_a_site_without_posts_embeds_no_build_moment(tmp_path: Path) -> None:
    """With no post to date the pages, nothing may fall back to the clock: two builds with the
    real clock (no --as-of, no SOURCE_DATE_EPOCH) a few seconds apart are identical, and today's
    date appears nowhere."""
    site = shipped_site(tmp_path / "a", quota=False, posts=False)
    first = build_cli(site)
    time.sleep(1.1)  # not an assertion on time: only makes "now" differ by whole seconds
    second = build_cli(shipped_site(tmp_path / "b", quota=False, posts=False))
    assert differing(first, second) == []
    assert_no_today(first)


def assert_no_today(output: dict[str, bytes]) -> None:
    today = date.today()
    needles = [today.isoformat(), today.strftime("%d/%m/%Y"), today.strftime("%d %b %Y")]
    for rel, data in output.items():
        text = data.decode("utf-8", errors="replace")
        for needle in needles:
            assert needle not in text, f"{rel} contains today's date {needle}"


def test_the_wall_clock_never_reaches_the_output(tmp_path: Path) -> None:
    """Built with the real clock, or 'as of' 2022, or SOURCE_DATE_EPOCH 2022: today's date appears in no file."""
    site = write_site(tmp_path / "site", {"content/posts/2021/07/a.md": post("Bài A", "2021-07-28"),
                                          "content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\n\nTrang.\n"})
    for output in (build(site), build_cli(site), build_cli(site, env={"SOURCE_DATE_EPOCH": str(EPOCH_2022)})):
        assert_no_today(output)
