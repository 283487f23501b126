"""Unit tests for cchc_site.validate (posts and pages; procedures: tests/test_procedures.py)
and for cchc_site.site (whole-site checks: duplicate URLs, reserved slugs)."""
from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cchc_site.config import SiteConfig, parse_config
from cchc_site.content import SiteFiles
from cchc_site.files import content_hash
from cchc_site.errors import SiteError
from cchc_site.frontmatter import FrontMatter, parse_front_matter
from cchc_site.models import Page, Post, Source
from cchc_site.site import is_shown, parse_site
from cchc_site.validate import POST_KEYS, parse_page, parse_post

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PATH = "content/posts/2021/08/ke-hoach.md"
STATIC = frozenset({"van-ban/ke-hoach.pdf", "anh/hop.jpg"})


def config(text: str = "") -> SiteConfig:
    result = parse_config(text or textwrap.dedent("""\
        categories:
          - name: "Văn bản chỉ đạo, điều hành"
            slug: van-ban-chi-dao
          - "Hoạt động cải cách hành chính"
        """))
    assert isinstance(result, SiteConfig), result
    return result


def front(text: str) -> FrontMatter:
    fm = parse_front_matter(textwrap.dedent(text), PATH)
    assert isinstance(fm, FrontMatter), fm
    return fm


def post_of(text: str, cfg: SiteConfig | None = None, path: str = PATH) -> Post | list[SiteError]:
    return parse_post(front(text), path, "digest", cfg or config(), STATIC)


def good(text: str, **kw: object) -> Post:
    result = post_of(text, **kw)  # type: ignore[arg-type]
    assert isinstance(result, Post), result
    return result


def bad(text: str) -> list[SiteError]:
    result = post_of(text)
    assert isinstance(result, list) and result, result
    assert all(e.path == PATH for e in result)
    return result


def test_every_post_key() -> None:
    p = good("""\
        ---
        title: "Kế hoạch tuyên truyền CCHC năm 2021"
        date: "28/07/2021 08:30"
        category: "Văn bản chỉ đạo, điều hành"
        tags: ["Tuyên truyền", "Kế hoạch", "Tuyên truyền"]
        summary: "Tóm tắt của tác giả."
        author: "Văn phòng Sở"
        image: "anh/hop.jpg"
        attachments:
          - "van-ban/ke-hoach.pdf"
        slug: "ke-hoach-2477"
        draft: false
        sample: true
        ---

        Nội dung.
        """)
    assert p.title == "Kế hoạch tuyên truyền CCHC năm 2021"
    assert p.date == datetime(2021, 7, 28, 8, 30, tzinfo=VN)
    assert p.category is not None and p.category.slug == "van-ban-chi-dao"
    assert [(t.name, t.slug) for t in p.tags] == [("Tuyên truyền", "tuyen-truyen"), ("Kế hoạch", "ke-hoach")]
    assert p.summary == "Tóm tắt của tác giả."
    assert p.author == "Văn phòng Sở"
    assert p.image == "/static/anh/hop.jpg"
    assert p.attachments == ("/static/van-ban/ke-hoach.pdf",)
    assert p.slug == "ke-hoach-2477"
    assert p.draft is False and p.sample is True
    assert p.url == "/tin-tuc/2021/07/ke-hoach-2477/"
    assert p.body.strip() == "Nội dung." and p.body_line == 15


def test_minimal_post_defaults() -> None:
    p = good("---\ntitle: A\ndate: 2021-08-02\n---\nB\n")
    assert p.category is None and p.tags == () and p.summary == "" and p.author == "" and p.image == ""
    assert p.attachments == () and p.draft is False and p.sample is False
    assert p.slug == "ke-hoach"  # the file name
    assert p.url == "/tin-tuc/2021/08/ke-hoach/"


def test_slug_from_vietnamese_file_name_and_override() -> None:
    p = good("---\ntitle: A\ndate: 2021-08-02\n---\n",
             path="content/posts/Đẩy mạnh cải cách hành chính năm 2021.md")
    assert p.slug == "day-manh-cai-cach-hanh-chinh-nam-2021"
    assert good("---\ntitle: A\ndate: 2021-08-02\nslug: Họp giao ban tháng 8\n---\n").slug == "hop-giao-ban-thang-8"
    # the check "has a letter or digit" and the slug itself agree (upper-case compatibility letters)
    assert good("---\ntitle: A\ndate: 2021-08-02\nslug: ℝℍ 2021\n---\n").slug == "rh-2021"


@pytest.mark.parametrize("value", ["Văn bản chỉ đạo, điều hành", "van-ban-chi-dao", "van ban chi dao, dieu hanh",
                                   "Hoạt động cải cách hành chính", "hoat-dong-cai-cach-hanh-chinh"])
def test_category_by_name_or_slug(value: str) -> None:
    assert good(f"---\ntitle: A\ndate: 2021-08-02\ncategory: '{value}'\n---\n").category is not None


def test_tags_as_comma_text() -> None:
    p = good("---\ntitle: A\ndate: 2021-08-02\ntags: Một cửa, PAR Index\n---\n")
    assert [t.slug for t in p.tags] == ["mot-cua", "par-index"]


def test_a_tag_written_twice_is_one_tag_as_first_written() -> None:
    """Two spellings of one tag would list the post twice under it (and count it twice)."""
    p = good("---\ntitle: A\ndate: 2021-08-02\ntags: [Một cửa, Số hóa, MỘT CỬA, Một cửa]\n---\n")
    assert [(t.name, t.slug) for t in p.tags] == [("Một cửa", "mot-cua"), ("Số hóa", "so-hoa")]


def test_date_without_offset_in_site_timezone_and_with_offset_converted() -> None:
    cfg = config("timezone: Asia/Ho_Chi_Minh\n")
    p = good("---\ntitle: A\ndate: '2021-07-31 20:00+00:00'\n---\n", cfg=cfg)
    assert p.date.tzinfo == VN and (p.date.month, p.date.day, p.date.hour) == (8, 1, 3)
    assert p.url.startswith("/tin-tuc/2021/08/")  # the month of the site timezone


def test_unknown_key_with_suggestion_and_line() -> None:
    errs = bad("---\ntitle: A\ndate: 2021-08-02\ncatgory: x\n---\n")
    assert [(e.code, e.line) for e in errs] == [("E007", 4)]
    assert "'catgory'" in errs[0].message and "'category'" in errs[0].message


@pytest.mark.parametrize("key, suggestion", [("tag", "tags"), ("atachments", "attachments"), ("summery", "summary"),
                                             ("titel", "title"), ("dates", "date")])
def test_near_miss_suggestions(key: str, suggestion: str) -> None:
    errs = bad(f"---\ntitle: A\ndate: 2021-08-02\n{key}: x\n---\n")
    assert errs[0].code == "E007" and f"'{suggestion}'" in errs[0].message


def test_all_problems_of_one_file_together() -> None:
    errs = bad("""\
        ---
        title: ""
        date: "2021-02-30"
        catgory: x
        category: "Chỉ số"
        tags: {a: 1}
        image: "../ngoai.jpg"
        attachments: ["khong-co.pdf"]
        draft: "có"
        slug: "../x"
        ---
        """)
    found = sorted((e.line, e.code) for e in errs)
    assert found == [(2, "E004"), (3, "E005"), (4, "E007"), (5, "E008"), (6, "E015"), (7, "E013"), (8, "E014"),
                     (9, "E015"), (10, "E013")]
    cat = next(e for e in errs if e.code == "E008")
    assert "Văn bản chỉ đạo, điều hành" in cat.message  # lists the valid categories


def test_missing_required_keys() -> None:
    errs = bad("---\nsummary: x\n---\n")
    assert sorted(e.code for e in errs) == ["E004", "E004"]
    text = " ".join(e.message for e in errs)
    assert "'title'" in text and "'date'" in text


@pytest.mark.parametrize("value, code", [("hôm qua", "E006"), ("31/04/2021", "E005"), ("2021/08/02", "E006")])
def test_bad_dates(value: str, code: str) -> None:
    errs = bad(f"---\ntitle: A\ndate: '{value}'\n---\n")
    assert [(e.code, e.line) for e in errs] == [(code, 3)]
    assert value in errs[0].message


def test_wrong_types() -> None:
    assert bad("---\ntitle: [a, b]\ndate: 2021-08-02\n---\n")[0].code == "E015"
    assert bad("---\ntitle: A\ndate: 2021-08-02\nattachments: [[a]]\n---\n")[0].code == "E015"
    assert bad("---\ntitle: A\ndate: 2021-08-02\nsample: 1\n---\n")[0].code == "E015"


def test_static_paths_accept_common_spellings() -> None:
    for spelling in ("van-ban/ke-hoach.pdf", "/static/van-ban/ke-hoach.pdf", "content/static/van-ban/ke-hoach.pdf",
                     "static\\van-ban\\ke-hoach.pdf"):
        p = good(f"---\ntitle: A\ndate: 2021-08-02\nattachments: ['{spelling}']\n---\n")
        assert p.attachments == ("/static/van-ban/ke-hoach.pdf",), spelling


def test_post_keys_cover_the_issue_table() -> None:
    for key in ("title", "date", "category", "tags", "summary", "author", "image", "attachments", "slug", "draft"):
        assert key in POST_KEYS


def test_a_post_is_shown_from_its_date_and_never_as_a_draft() -> None:
    p = good("---\ntitle: A\ndate: 2021-08-02 10:00\n---\n")
    assert is_shown(p, datetime(2021, 8, 2, 10, 0, tzinfo=VN))
    assert not is_shown(p, datetime(2021, 8, 2, 9, 59, tzinfo=VN))
    d = good("---\ntitle: A\ndate: 2021-08-02\ndraft: true\n---\n")
    assert not is_shown(d, datetime(2030, 1, 1, tzinfo=VN))


# ---- pages -----------------------------------------------------------------

def page_of(text: str, path: str = "content/pages/gioi-thieu.md") -> Page | list[SiteError]:
    fm = parse_front_matter(textwrap.dedent(text), path)
    assert isinstance(fm, FrontMatter)
    return parse_page(fm, path, "d")


def test_page_keys() -> None:
    page = page_of("---\ntitle: Giới thiệu\nsummary: Về chuyên mục\n---\nNội dung\n")
    assert isinstance(page, Page)
    assert (page.title, page.slug, page.url, page.summary, page.draft) == (
        "Giới thiệu", "gioi-thieu", "/gioi-thieu/", "Về chuyên mục", False)
    page = page_of("---\ntitle: A\nslug: Liên hệ\ndraft: true\n---\n")
    assert isinstance(page, Page) and page.url == "/lien-he/" and page.draft


def test_page_errors() -> None:
    errs = page_of("---\ntitel: A\ndate: 2021-01-01\n---\n")
    assert isinstance(errs, list)
    assert sorted((e.code, e.line) for e in errs) == [("E004", 1), ("E007", 2), ("E007", 3)]
    assert any("'title'" in e.message and "titel" in e.message for e in errs)


# ---- whole site --------------------------------------------------------------

def files_of(docs: dict[str, str], static: frozenset[str] = frozenset()) -> SiteFiles:
    kinds = {"posts": "post", "pages": "page", "procedures": "procedure"}
    sources = tuple(Source(path, kinds[path.split("/")[1]], textwrap.dedent(text), content_hash(text.encode()))
                    for path, text in docs.items())
    return SiteFiles(sources, static, (), ())


def test_duplicate_url_names_both_files() -> None:
    site, errs = parse_site(files_of({
        "content/posts/a/hop.md": "---\ntitle: A\ndate: 2021-08-02\n---\n",
        "content/posts/b/hop.md": "---\ntitle: B\ndate: 2021-08-20\n---\n",
        "content/posts/c/hop.md": "---\ntitle: C\ndate: 2021-09-20\n---\n",  # another month: fine
    }), config())
    assert sorted((e.path, e.code) for e in errs) == [("content/posts/a/hop.md", "E010"),
                                                     ("content/posts/b/hop.md", "E010")]
    for e in errs:
        other = "content/posts/b/hop.md" if e.path.startswith("content/posts/a") else "content/posts/a/hop.md"
        assert other in e.message and "/tin-tuc/2021/08/hop/" in e.message


def test_slug_override_clash_and_page_clash() -> None:
    _, errs = parse_site(files_of({
        "content/posts/x.md": "---\ntitle: A\ndate: 2021-08-02\nslug: hop\n---\n",
        "content/posts/hop.md": "---\ntitle: B\ndate: 2021-08-03\n---\n",
        "content/pages/a.md": "---\ntitle: A\nslug: lien-he\n---\n",
        "content/pages/lien-he.md": "---\ntitle: B\n---\n",
        "content/pages/tin-tuc.md": "---\ntitle: Trùng trang hệ thống\n---\n",
    }), config())
    assert sorted(e.path for e in errs if e.code == "E010") == [
        "content/pages/a.md", "content/pages/lien-he.md", "content/pages/tin-tuc.md",
        "content/posts/hop.md", "content/posts/x.md"]


def test_parse_site_collects_every_file_and_sorts_newest_first() -> None:
    site, errs = parse_site(files_of({
        "content/posts/a.md": "---\ntitle: A\ndate: 2021-08-02\n---\n",
        "content/posts/b.md": "---\ntitle: B\ndate: 2021-09-02\n---\n",
        "content/posts/bad1.md": "---\ntitle: C\n---\n",
        "content/posts/bad2.md": "---\ntitle: D\ndate: x\ncatgory: y\n---\n",
        "content/posts/bad3.md": "no front matter\n",
        "content/pages/p.md": "---\ntitle: P\n---\n",
    }), config())
    assert [p.title for p in site.posts] == ["B", "A"]
    assert [p.title for p in site.pages] == ["P"]
    assert sorted({e.path for e in errs}) == ["content/posts/bad1.md", "content/posts/bad2.md", "content/posts/bad3.md"]
    assert len([e for e in errs if e.path == "content/posts/bad2.md"]) == 2


def test_a_broken_data_file_is_an_error_not_a_crash() -> None:
    from cchc_site.indices import parse_indices

    for text in ("entries:\n  - year: 2021\x07\n", "entries: [a, b\n"):
        entries, errors = parse_indices(text, "content/data/chi-so.yaml")
        assert entries == [] and [e.code for e in errors] == ["E002"]
        assert errors[0].path == "content/data/chi-so.yaml" and errors[0].message.startswith("Lỗi cú pháp YAML")
