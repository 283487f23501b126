"""The compact encoding of parse results (cache rows and worker replies)."""
from __future__ import annotations

import marshal
import pickle
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cchc_site.config import Term
from cchc_site.errors import SiteError
from cchc_site.models import Page, Post
from cchc_site.parsed import _PICKLE, _POST, Parsed, decode_parsed, encode_parsed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def make_post(**changes: object) -> Post:
    fields: dict[str, object] = dict(
        path="content/posts/2021/08/a.md", title="Đẩy mạnh cải cách hành chính",
        date=datetime(2021, 8, 31, 23, 59, 58, 123456, tzinfo=TZ),
        category=Term("Tin tức", "tin-tuc-cchc", "Tin hoạt động"),
        tags=(Term("Một cửa", "mot-cua"), Term("Dịch vụ công", "dich-vu-cong")),
        summary="Tóm tắt", author="Văn phòng Sở", image="/static/a.jpg", attachments=("/static/kh.pdf",),
        slug="day-manh", draft=True, sample=False, body="Nội dung **đậm**", body_line=9, digest="abc123",
    )
    fields.update(changes)
    return Post(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("post", [
    make_post(),
    make_post(category=None, tags=(), attachments=(), draft=False, sample=True, body=""),
    make_post(date=datetime(2021, 3, 28, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"), fold=1)),
])
def test_post_round_trip_is_equal_and_keeps_the_zone(post: Post) -> None:
    warning = SiteError(post.path, 12, "W070", "Nội dung có thẻ <script>.", "warning")
    item = Parsed(post.path, "120:99", post, (warning,))
    blob = encode_parsed(item)
    assert blob.startswith(_POST)  # the compact form, not a pickle
    back = decode_parsed(blob)
    assert back == item
    assert isinstance(back.result, Post)
    assert back.result.date.tzinfo is post.date.tzinfo  # the same ZoneInfo, not a fixed offset
    assert back.result.date.fold == post.date.fold
    assert back.result.url == post.url


def test_terms_are_shared_between_decoded_posts() -> None:
    one = decode_parsed(encode_parsed(Parsed("a", "1", make_post(path="a"), ())))
    two = decode_parsed(encode_parsed(Parsed("b", "1", make_post(path="b"), ())))
    assert one is not None and two is not None
    assert one.result.category is two.result.category  # type: ignore[union-attr]


def test_errors_and_other_documents_round_trip() -> None:
    errors = Parsed("content/posts/x.md", "1:2", [SiteError("content/posts/x.md", 3, "E004", "Thiếu 'title'.")], ())
    page = Parsed("content/pages/gioi-thieu.md", "3:4",
                  Page("content/pages/gioi-thieu.md", "Giới thiệu", "gioi-thieu", "", False, "x", 5, "d"), ())
    for item in (errors, page):
        assert decode_parsed(encode_parsed(item)) == item


_GOOD_POST = encode_parsed(Parsed("a", "1", make_post(), ()))
_GOOD_PAGE = encode_parsed(Parsed("p", "1", Page("p", "T", "t", "", False, "", 5, "d"), ()))


@pytest.mark.parametrize("blob", [
    b"", _POST, _POST + b"not marshal", _PICKLE + b"not a pickle", b"X1" + _GOOD_POST[2:],
    _POST + marshal.dumps(("too", "short")), _GOOD_POST[:-5], _GOOD_PAGE[:-5],
    _PICKLE + pickle.dumps(("not", "a parse result")), b"M1" + _GOOD_POST[2:],  # an older layout
])
def test_a_broken_entry_is_a_miss(blob: bytes) -> None:
    assert decode_parsed(_GOOD_POST) is not None and decode_parsed(_GOOD_PAGE) is not None
    assert decode_parsed(blob) is None
