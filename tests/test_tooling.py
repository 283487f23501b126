"""Smoke tests proving the real external tools work on this machine.

They check the checkers themselves: a valid/accessible page passes and a broken
one is reported. Under CCHC_REQUIRE_TOOLS=1 (CI) a missing tool FAILS.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tools import format_axe, format_vnu, run_axe, run_vnu

GOOD_PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cải cách hành chính</title>
</head>
<body>
<header><a href="#main">Bỏ qua đến nội dung chính</a></header>
<main id="main">
<h1>Cải cách hành chính</h1>
<p>Thủ tục hành chính được công khai đầy đủ.</p>
<img src="logo.png" alt="Biểu trưng của Sở" width="10" height="10">
</main>
<footer><p>© Sở</p></footer>
</body>
</html>
"""

INVALID_PAGE = GOOD_PAGE.replace("<p>Thủ tục", "<div><span></div><p>Thủ tục")

INACCESSIBLE_PAGE = GOOD_PAGE.replace('<img src="logo.png" alt="Biểu trưng của Sở"', "<img src=x.png")


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---- Nu HTML Checker -------------------------------------------------------

def test_vnu_valid_and_invalid_in_one_call(tmp_path):
    good = _write(tmp_path, "good.html", GOOD_PAGE)
    bad = _write(tmp_path, "thủ tục lỗi.html", INVALID_PAGE)  # non-ASCII + space in name
    errors = run_vnu([good, bad])
    by_file = {}
    for e in errors:
        by_file.setdefault(e["path"], []).append(e)
    assert str(good.resolve()) not in by_file, format_vnu(errors)
    bad_errors = by_file.get(str(bad.resolve()), [])
    assert bad_errors, f"vnu found no error in an invalid page; got:\n{format_vnu(errors)}"
    assert any("span" in e["message"] or "div" in e["message"] for e in bad_errors), format_vnu(bad_errors)
    assert all(isinstance(e["line"], int) for e in bad_errors)


def test_vnu_directory_and_missing_file(tmp_path):
    _write(tmp_path, "a.html", GOOD_PAGE)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "b.html", INVALID_PAGE)
    errors = run_vnu([tmp_path])
    assert {e["path"] for e in errors} == {str((tmp_path / "sub" / "b.html").resolve())}
    with pytest.raises(FileNotFoundError):
        run_vnu([tmp_path / "missing.html"])


# ---- static server ---------------------------------------------------------

def test_serve_dir_prefix(tmp_path, serve_dir):
    _write(tmp_path, "index.html", GOOD_PAGE)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "index.html", GOOD_PAGE)
    _write(tmp_path, "404.html", "<!DOCTYPE html><title>404</title><p>Không tìm thấy</p>")
    base = serve_dir(tmp_path)
    assert base.endswith("/cchc/")
    with urllib.request.urlopen(base) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/html")
        assert "Cải cách hành chính" in r.read().decode("utf-8")
    with urllib.request.urlopen(base + "sub") as r:  # directory redirect keeps the prefix
        assert r.url == base + "sub/"
    with urllib.request.urlopen(base.rstrip("/")) as r:  # /cchc -> /cchc/
        assert r.url == base
    root = base[: -len("cchc/")]
    for url in (root + "index.html", base + "nope.html"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(url)
        assert exc.value.code == 404
        assert "Không tìm thấy" in exc.value.read().decode("utf-8")


# ---- Chromium via Playwright, axe-core ------------------------------------

@pytest.mark.browser
def test_playwright_reads_page_under_prefix_and_screenshots(tmp_path, serve_dir, page, artifacts_dir):
    _write(tmp_path, "index.html", GOOD_PAGE)
    base = serve_dir(tmp_path, "/cchc/")
    resp = page.goto(base)
    assert resp is not None and resp.status == 200
    assert page.url == base
    assert page.title() == "Cải cách hành chính"
    assert "Thủ tục hành chính được công khai đầy đủ." in page.inner_text("main")
    shot = artifacts_dir / "tooling-smoke.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
def test_axe_accessible_page_has_no_violations(tmp_path, serve_dir, page):
    _write(tmp_path, "index.html", GOOD_PAGE)
    page.goto(serve_dir(tmp_path))
    violations = run_axe(page)
    assert violations == [], format_axe(violations)
    # second run on the same page must not re-inject / break
    assert run_axe(page) == []


@pytest.mark.browser
def test_axe_reports_img_without_alt(tmp_path, serve_dir, page):
    _write(tmp_path, "index.html", INACCESSIBLE_PAGE)
    page.goto(serve_dir(tmp_path))
    violations = run_axe(page)
    ids = {v["id"] for v in violations}
    assert "image-alt" in ids, format_axe(violations)
    img = next(v for v in violations if v["id"] == "image-alt")
    assert any("x.png" in n["html"] for n in img["nodes"])
