"""``cchc-site new``: the created files carry every key and build without errors."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sitekit import parse_html, post, run_cli, write_site

from cchc_site.config import parse_config
from cchc_site.frontmatter import parse_front_matter
from cchc_site.scaffold import MAX_SLUG, Existing, NewDocument, plan_document
from cchc_site.validate import PAGE_KEYS, POST_KEYS, PROCEDURE_KEYS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = parse_config("""\
title: "Thử"
base_url: "https://example.gov.vn/cchc/"
categories:
  - name: "Hoạt động cải cách hành chính"
    slug: hoat-dong-cchc
  - name: "Văn bản chỉ đạo, điều hành"
    slug: van-ban-chi-dao
fields:
  - "Hoạt động xây dựng"
  - "Nhà ở"
""")
assert not isinstance(CONFIG, list)


def keys_in(text: str) -> set[str]:
    """Top-level keys written in the front matter, filled (``key:``) or commented (``# key:``)."""
    head = text.split("\n---\n", 1)[0]
    return set(re.findall(r"^(?:# )?([a-z_]+):", head, re.M))


def filled_keys(text: str, path: str) -> dict:
    fm = parse_front_matter(text, path)
    assert not isinstance(fm, list), fm
    return fm.data


def created_path(result) -> Path:  # noqa: ANN001
    assert result.code == 0, result.err
    path = Path(result.out.strip())
    assert path.is_file()
    return path


# ---- pure planning --------------------------------------------------------

def test_post_goes_to_the_month_of_now_in_the_site_timezone() -> None:
    # 31/07/2021 20:30 UTC is already 01/08/2021 03:30 in Viet Nam
    now = datetime(2021, 7, 31, 20, 30, 59, tzinfo=timezone.utc)
    doc = plan_document(CONFIG, "post", "Đẩy mạnh cải cách hành chính", now)
    assert isinstance(doc, NewDocument)
    assert doc.path == "content/posts/2021/08/day-manh-cai-cach-hanh-chinh.md"
    data = filled_keys(doc.text, doc.path)
    assert data["date"] == "01/08/2021 03:30"
    assert data["title"] == "Đẩy mạnh cải cách hành chính"
    assert data["category"] == "Hoạt động cải cách hành chính"  # the first category by default


def test_post_has_every_key_filled_or_commented() -> None:
    doc = plan_document(CONFIG, "post", "Tiêu đề", datetime(2021, 8, 2, 9, 0, tzinfo=VN))
    assert isinstance(doc, NewDocument)
    assert keys_in(doc.text) >= set(POST_KEYS)
    assert set(filled_keys(doc.text, doc.path)) == {"title", "date", "category"}
    assert "Văn bản chỉ đạo, điều hành" in doc.text  # the other categories are listed in a comment


def test_post_category_and_date_options() -> None:
    doc = plan_document(CONFIG, "post", "Kế hoạch năm", datetime(2021, 8, 2, tzinfo=VN),
                        category="van ban chi dao", date_text="2021-07-28 08:30")
    assert isinstance(doc, NewDocument)
    assert doc.path == "content/posts/2021/07/ke-hoach-nam.md"
    data = filled_keys(doc.text, doc.path)
    assert data["category"] == "Văn bản chỉ đạo, điều hành"
    assert data["date"] == "28/07/2021 08:30"


@pytest.mark.parametrize("kwargs, message", [
    ({"category": "Thể thao"}, "Chuyên mục 'Thể thao' không có trong site.yaml"),
    ({"date_text": "hôm qua"}, "Không đọc được ngày 'hôm qua'"),
    ({"date_text": "30/02/2021"}, "Ngày '30/02/2021' không tồn tại"),
    ({"code": "1.013225"}, "--code chỉ dùng với 'new procedure'"),
])
def test_post_option_errors(kwargs: dict, message: str) -> None:
    result = plan_document(CONFIG, "post", "Tiêu đề", datetime(2021, 8, 2, tzinfo=VN), **kwargs)
    assert isinstance(result, str) and message in result


def test_empty_title_is_refused() -> None:
    result = plan_document(CONFIG, "post", "   ", datetime(2021, 8, 2, tzinfo=VN))
    assert isinstance(result, str) and "Tiêu đề đang để trống" in result


def test_long_titles_give_short_file_names() -> None:
    title = "Hội nghị " + " ".join(["tổng kết công tác cải cách hành chính"] * 6)
    doc = plan_document(CONFIG, "post", title, datetime(2021, 8, 2, tzinfo=VN))
    assert isinstance(doc, NewDocument)
    stem = Path(doc.path).stem
    assert len(stem) <= MAX_SLUG and not stem.endswith("-")
    assert title.startswith("Hội nghị") and stem.startswith("hoi-nghi-tong-ket")


def test_clash_with_an_existing_url_is_refused() -> None:
    existing = Existing(urls=frozenset({"/tin-tuc/2021/08/tieu-de/"}),
                        owners=(("/tin-tuc/2021/08/tieu-de/", "content/posts/2021/08/khac.md"),))
    result = plan_document(CONFIG, "post", "Tiêu đề", datetime(2021, 8, 2, tzinfo=VN), existing)
    assert isinstance(result, str) and "content/posts/2021/08/khac.md" in result


def test_procedure_plan() -> None:
    now = datetime(2021, 8, 2, 10, 0, tzinfo=VN)
    doc = plan_document(CONFIG, "procedure", "Cấp giấy phép xây dựng", now, code="1.013225")
    assert isinstance(doc, NewDocument)
    assert doc.path == "content/procedures/khac/1.013225.md"
    assert keys_in(doc.text) >= set(PROCEDURE_KEYS)
    data = filled_keys(doc.text, doc.path)
    assert data["code"] == "1.013225" and data["field"] == "Hoạt động xây dựng"
    assert data["updated"] == "02/08/2021"
    with_field = plan_document(CONFIG, "procedure", "Công nhận nhà ở", now, code="1.012753.H19", field="nha o")
    assert isinstance(with_field, NewDocument)
    assert with_field.path == "content/procedures/nha-o/1.012753.H19.md"
    assert filled_keys(with_field.text, with_field.path)["field"] == "Nhà ở"


@pytest.mark.parametrize("code, field, message", [
    (None, None, "Cần mã thủ tục"),
    ("1013225", None, "sai định dạng"),
    ("1.01322", None, "sai định dạng"),
    ("1.013225", "Giao thông", "Lĩnh vực 'Giao thông' không có trong site.yaml"),
])
def test_procedure_errors(code: str | None, field: str | None, message: str) -> None:
    result = plan_document(CONFIG, "procedure", "Tên", datetime(2021, 8, 2, tzinfo=VN), code=code, field=field)
    assert isinstance(result, str) and message in result


def test_existing_procedure_code_is_refused() -> None:
    existing = Existing(codes=frozenset({"1.013225"}), owners=(("1.013225", "content/procedures/a/x.md"),))
    result = plan_document(CONFIG, "procedure", "Tên", datetime(2021, 8, 2, tzinfo=VN), existing, code="1.013225")
    assert isinstance(result, str) and "content/procedures/a/x.md" in result


def test_page_plan() -> None:
    doc = plan_document(CONFIG, "page", "Liên hệ, góp ý", datetime(2021, 8, 2, tzinfo=VN))
    assert isinstance(doc, NewDocument)
    assert doc.path == "content/pages/lien-he-gop-y.md"
    assert keys_in(doc.text) >= set(PAGE_KEYS)
    reserved = plan_document(CONFIG, "page", "Tin tức", datetime(2021, 8, 2, tzinfo=VN))
    assert isinstance(reserved, str) and "/tin-tuc/" in reserved


# ---- the command, end to end ---------------------------------------------

def test_new_post_builds_and_shows(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    title = 'Hội nghị: "Một cửa" & dịch vụ công năm 2021'
    path = created_path(run_cli("new", "post", title, "--site", site, "--date", "28/07/2021 08:30",
                                "--category", "Văn bản chỉ đạo, điều hành"))
    assert path.resolve() == (site / "content/posts/2021/07/hoi-nghi-mot-cua-dich-vu-cong-nam-2021.md").resolve()
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw  # UTF-8 without BOM, LF

    assert run_cli("check", "--site", site).code == 0
    built = run_cli("build", "--site", site, "--output", tmp_path / "out")
    assert built.code == 0, built.err
    page = parse_html(tmp_path / "out/tin-tuc/2021/07/hoi-nghi-mot-cua-dich-vu-cong-nam-2021/index.html")
    assert title in page.main_text
    assert "Văn bản chỉ đạo, điều hành" in page.main_text


def test_new_post_now_builds_in_the_current_month(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    path = created_path(run_cli("new", "post", "Tin hôm nay", "--site", site))
    now = datetime.now(VN)
    assert path.parent.as_posix().endswith(f"content/posts/{now.year:04d}/{now.month:02d}")
    built = run_cli("build", "--site", site, "--output", tmp_path / "out")
    assert built.code == 0, built.err
    assert list((tmp_path / "out/tin-tuc").glob("*/*/tin-hom-nay/index.html"))


def test_new_never_overwrites(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    path = created_path(run_cli("new", "post", "Bài trùng", "--site", site, "--date", "02/08/2021"))
    path.write_text(post("Bài trùng", "2021-08-02", "Nội dung tác giả đã viết."), encoding="utf-8")
    again = run_cli("new", "post", "Bài trùng", "--site", site, "--date", "05/08/2021")
    assert again.code == 2
    assert "không ghi đè" in again.err and "content/posts/2021/08/bai-trung.md" in again.err
    assert "Nội dung tác giả đã viết." in path.read_text(encoding="utf-8")


def test_new_post_refuses_a_url_taken_by_a_slug(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/posts/2021/08/mot-bai-khac.md": post("Một bài khác", "2021-08-01", slug="so-ket-quy-3"),
    })
    result = run_cli("new", "post", "Sơ kết quý 3", "--site", site, "--date", "2021-08-20")
    assert result.code == 2
    assert "content/posts/2021/08/mot-bai-khac.md" in result.err
    assert not (site / "content/posts/2021/08/so-ket-quy-3.md").exists()


def test_new_post_with_unknown_category_writes_nothing(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    result = run_cli("new", "post", "Tiêu đề", "--site", site, "--category", "Thể thao")
    assert result.code == 2
    assert "Hoạt động cải cách hành chính" in result.err  # the valid ones are listed
    assert not (site / "content").exists()


def test_new_procedure_and_page_build(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    proc = created_path(run_cli("new", "procedure", "--code", "1.013225", "Cấp giấy phép xây dựng",
                                "--site", site))
    assert proc.as_posix().endswith("content/procedures/khac/1.013225.md")
    proc2 = created_path(run_cli("new", "procedure", "--code", "1.013226", "Cấp phép nhà ở", "--site", site,
                                 "--field", "Nhà ở"))
    assert proc2.as_posix().endswith("content/procedures/nha-o/1.013226.md")
    page = created_path(run_cli("new", "page", "Liên hệ", "--site", site))
    assert page.as_posix().endswith("content/pages/lien-he.md")
    created_path(run_cli("new", "post", "Tin mới", "--site", site, "--date", "2021-08-02"))

    duplicate = run_cli("new", "procedure", "--code", "1.013225", "Lại", "--site", site, "--field", "Nhà ở")
    assert duplicate.code == 2 and "content/procedures/khac/1.013225.md" in duplicate.err
    bad = run_cli("new", "procedure", "--code", "12345", "Sai mã", "--site", site)
    assert bad.code == 2 and "sai định dạng" in bad.err

    checked = run_cli("check", "--site", site)
    assert checked.code == 0, checked.out
    built = run_cli("build", "--site", site, "--output", tmp_path / "out")
    assert built.code == 0, built.err
    assert "Cấp giấy phép xây dựng" in parse_html(tmp_path / "out/thu-tuc-hanh-chinh/1.013225/index.html").main_text
    assert "Liên hệ" in parse_html(tmp_path / "out/lien-he/index.html").main_text


def test_new_in_a_site_with_a_broken_file_still_works(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/posts/2021/08/hong.md": "---\ntitle: [\n---\n"})
    result = run_cli("new", "page", "Giới thiệu", "--site", site)
    assert result.code == 0, result.err
    assert (site / "content/pages/gioi-thieu.md").is_file()
