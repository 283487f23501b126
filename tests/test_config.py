"""Unit tests for cchc_site.config: site.yaml parsing, defaults and every error."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cchc_site.config import (DEFAULT_CATEGORIES, KNOWN_KEYS, SiteConfig, load_config, parse_config,
                              suggest)
from cchc_site.errors import SiteError


def ok(text: str) -> SiteConfig:
    result = parse_config(textwrap.dedent(text))
    assert isinstance(result, SiteConfig), result
    return result


def errors(text: str) -> list[SiteError]:
    result = parse_config(textwrap.dedent(text))
    assert isinstance(result, list), f"expected errors, got {result}"
    assert all(e.path == "site.yaml" for e in result)
    return result


def test_defaults_from_empty_file() -> None:
    config = ok("")
    assert config.timezone == "Asia/Ho_Chi_Minh"
    assert config.posts_per_page == 10
    assert config.language == "vi"
    assert config.quota is None
    assert config.base_url.endswith("/")
    names = [t.name for t in config.categories]
    assert names == [n for n, _, _ in DEFAULT_CATEGORIES]
    text = " ".join(names + [t.description for t in config.categories])
    # The plan's topics: index rankings and satisfaction, procedure control / one-stop shop (468),
    # e-government and online public services, directive documents, CCHC activities.
    for topic in ("PAR Index", "SIPAS", "PAPI", "PCI", "hài lòng", "468/QĐ-TTg", "một cửa",
                  "điện tử", "trực tuyến", "Văn bản chỉ đạo", "Hoạt động cải cách hành chính"):
        assert topic.lower() in text.lower(), topic
    assert "Hoạt động xây dựng" in [f.name for f in config.fields]
    assert config.national_portal.startswith("https://")


def test_full_config() -> None:
    config = ok("""\
        title: "Chuyên mục CCHC"
        organization: "Sở Xây dựng"
        description: "Mô tả"
        base_url: "https://sxd.binhthuan.gov.vn/cchc"
        timezone: Asia/Bangkok
        posts_per_page: 5
        categories:
          - "Văn bản chỉ đạo, điều hành"
          - name: "Hoạt động cải cách hành chính"
            slug: hoat-dong
            description: "Tin hoạt động"
        fields: ["Hoạt động xây dựng", "Nhà ở"]
        portals:
          national: "https://dichvucong.gov.vn/"
          provincial: "https://dichvucong.binhthuan.gov.vn/"
        quota:
          start: "2021-08"
          end: "12/2021"
          min_posts: 3
          waivers:
            "2021-09": "Nghỉ lễ"
        menu:
          - title: "Trang chủ"
            url: "/"
        security: strict
        footer: "Chân trang"
        """)
    assert config.base_url == "https://sxd.binhthuan.gov.vn/cchc/"  # a trailing slash is added
    assert config.base_path == "/cchc/"
    assert config.timezone == "Asia/Bangkok" and str(config.tz) == "Asia/Bangkok"
    assert config.posts_per_page == 5
    assert [(c.name, c.slug) for c in config.categories] == [
        ("Văn bản chỉ đạo, điều hành", "van-ban-chi-dao-dieu-hanh"), ("Hoạt động cải cách hành chính", "hoat-dong")]
    assert config.categories[1].description == "Tin hoạt động"
    assert [f.slug for f in config.fields] == ["hoat-dong-xay-dung", "nha-o"]
    assert config.provincial_portal == "https://dichvucong.binhthuan.gov.vn/"
    assert config.quota is not None
    assert config.quota.start == (2021, 8) and config.quota.end == (2021, 12) and config.quota.min_posts == 3
    assert config.quota.waiver((2021, 9)) == "Nghỉ lễ" and config.quota.waiver((2021, 10)) is None
    assert config.menu[0].url == "/"
    assert config.security == "strict"


def test_root_base_url_has_root_path() -> None:
    assert ok("base_url: https://x.gov.vn").base_path == "/"
    assert ok("base_url: https://x.gov.vn/").base_path == "/"


def test_with_base_url_override() -> None:
    config = ok("base_url: https://a.gov.vn/").with_base_url("https://x.gov.vn/cchc")
    assert config.base_url == "https://x.gov.vn/cchc/" and config.base_path == "/cchc/"


@pytest.mark.parametrize("key, suggestion", [("catgory", "categories"), ("tittle", "title"),
                                             ("base-url", "base_url"), ("timezon", "timezone")])
def test_unknown_key_with_suggestion_and_line(key: str, suggestion: str) -> None:
    errs = errors(f"title: T\n\n{key}: x\n")
    assert len(errs) == 1
    e = errs[0]
    assert e.code == "E040" and e.line == 3
    assert f"'{key}'" in e.message and f"'{suggestion}'" in e.message


def test_suggest_lists_keys_when_nothing_is_close() -> None:
    assert "'category'" in suggest("catgory", ("title", "category"))
    text = suggest("zzzz", KNOWN_KEYS)
    assert "title" in text and "base_url" in text


def test_all_problems_reported_together_with_lines() -> None:
    errs = errors("""\
        title: T
        base_url: "sxd.binhthuan.gov.vn/cchc"
        timezone: Asia/Hanoi
        posts_per_page: 0
        catgory: x
        quota:
          start: "2021-13"
          min_post: 2
        portals:
          provincal: "https://a/"
        """)
    found = {(e.code, e.line) for e in errs}
    assert ("E041", 2) in found
    assert ("E042", 3) in found
    assert ("E044", 4) in found
    assert ("E040", 5) in found
    assert ("E043", 7) in found
    assert ("E040", 8) in found  # quota.min_post -> min_posts
    assert ("E040", 10) in found
    messages = " ".join(e.message for e in errs)
    assert "'min_posts'" in messages and "'provincial'" in messages and "Asia/Ho_Chi_Minh" in messages


@pytest.mark.parametrize("url", ["/cchc/", "ftp://x.gov.vn/", "https://x.gov.vn/cchc/?a=1", "https://x.gov.vn/#x",
                                 "https:///cchc", ""])
def test_bad_base_url(url: str) -> None:
    errs = errors(f'base_url: "{url}"\n')
    assert [e.code for e in errs] == ["E041"]


def test_yaml_syntax_error_has_line() -> None:
    errs = errors('title: "T\nbase_url: https://a/\nx: [1, 2\n')
    assert errs[0].code == "E045" and errs[0].line >= 1


def test_not_a_mapping() -> None:
    assert errors("- a\n- b\n")[0].code == "E045"


def test_category_slug_must_be_valid_and_unique() -> None:
    errs = errors("categories:\n  - name: A\n    slug: 'Có Dấu'\n")
    assert errs[0].code == "E044"
    errs = errors("categories:\n  - Một cửa\n  - Mot cua\n")
    assert any("mot-cua" in e.message for e in errs)
    errs = errors("categories: Một cửa\n")
    assert errs[0].code == "E044" and errs[0].line == 1


def test_find_category_by_name_slug_or_unaccented() -> None:
    config = ok("categories:\n  - name: 'Văn bản chỉ đạo, điều hành'\n    slug: van-ban\n  - 'Một cửa'\n")
    first, second = config.categories
    assert config.find_category("Văn bản chỉ đạo, điều hành") == first
    assert config.find_category("van-ban") == first
    assert config.find_category("van ban chi dao, dieu hanh") == first
    assert config.find_category("VĂN BẢN CHỈ ĐẠO, ĐIỀU HÀNH") == first
    assert config.find_category("mot-cua") == second
    assert config.find_category("Một cửa") == second
    assert config.find_category("Hai cửa") is None


def test_find_field() -> None:
    config = ok("fields: ['Hoạt động xây dựng', 'Nhà ở']\n")
    assert config.find_field("Nhà ở").slug == "nha-o"
    assert config.find_field("nha o").slug == "nha-o"
    assert config.find_field("Nhà ở xã hội") is None


def test_quota_errors() -> None:
    assert errors("quota:\n  end: '2021-12'\n")[0].code == "E043"
    errs = errors("quota:\n  start: '2021-08'\n  end: '2021-07'\n")
    assert errs[0].code == "E043" and errs[0].line == 3
    errs = errors("quota:\n  start: '2021-08'\n  min_posts: -1\n")
    assert errs[0].code == "E044" and errs[0].line == 3
    errs = errors("quota:\n  start: '2021-08'\n  waivers:\n    '2021-09': ''\n")
    assert errs[0].code == "E044" and errs[0].line == 4


def test_security_and_menu_and_portals_validated() -> None:
    assert errors("security: maybe\n")[0].code == "E044"
    assert errors("menu:\n  - title: A\n")[0].code == "E044"
    assert errors("portals:\n  provincial: 'dichvucong'\n")[0].code == "E044"


def test_load_config_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert isinstance(config, SiteConfig) and config.posts_per_page == 10


def test_load_config_reads_file_and_reports_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("title: 'Sở Xây dựng'\nposts_per_page: 3\n", encoding="utf-8")
    config = load_config(tmp_path)
    assert isinstance(config, SiteConfig) and config.title == "Sở Xây dựng" and config.posts_per_page == 3
    (tmp_path / "site.yaml").write_bytes("title: 'Sở Xây dựng'\n".encode("utf-8").replace(b"\xe1\xbb\x9f", b"\xfe"))
    result = load_config(tmp_path)
    assert isinstance(result, list) and result[0].code == "E011" and result[0].path == "site.yaml"


def test_load_config_accepts_bom_and_crlf(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_bytes("\ufefftitle: 'Sở'\r\nposts_per_page: 4\r\n".encode("utf-8"))
    config = load_config(tmp_path)
    assert isinstance(config, SiteConfig) and config.title == "Sở" and config.posts_per_page == 4
