"""Search: the index builder (pure Python) and the real search.js in headless Chromium."""
from __future__ import annotations

import itertools
import json
import random
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_site.search import (
    INDEX_DIR, SearchDoc, build_index, bytes_for_query, decode_postings, fnv1a, query_index, query_words,
    doc_terms, shard_of, tokens, word_counts, words,
)
from sitekit import post, run_cli, write_site

TZ = "+07:00"


def doc(title: str, body: str = "", url: str | None = None, kind: str = "tin", summary: str = "",
        strong: str | None = None) -> SearchDoc:
    return SearchDoc(title, url or f"/x/{abs(hash(title)) % 10**8}/", kind, "2021-08-01", summary,
                     title if strong is None else strong, body)


def titles(files: dict[str, bytes], query: str, batch: int = 0) -> list[str]:
    return [h.title for h in query_index(files, query, batch).hits]


# ---------------------------------------------------------------------------
# words and folding
# ---------------------------------------------------------------------------

def test_tokens_fold_diacritics_and_keep_codes_whole() -> None:
    assert tokens("Thủ tục 1.013225: ĐÀ NẴNG, đường") == ["thu", "tuc", "1.013225", "da", "nang", "duong"]
    assert words("Đà Nẵng") == ["đà", "nẵng"]
    assert tokens("phí 30.000 đồng, đạt 92,7%") == ["phi", "30.000", "dong", "dat", "92,7"]
    # decomposed input (NFD) folds the same as composed
    assert tokens("Vie\u0302\u0323t Nam") == ["viet", "nam"]


def test_fnv1a_matches_reference_values() -> None:
    # FNV-1a 32-bit test vectors; search.js must compute the same
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C
    assert fnv1a("foobar") == 0xBF9CF968
    assert shard_of("duong", 1) == 0


def test_query_words_dedupe_and_limit() -> None:
    keys, typed = query_words("Đường duong ĐƯỜNG a b c d e f g h", limit=4)
    assert keys == ["duong", "a", "b", "c"]
    assert typed == ["đường", "duong", "a", "b", "c"]
    # numbers (years, codes) are kept first when the query is too long
    keys, _ = query_words("kế hoạch cải cách hành chính của sở năm 2019", limit=4)
    assert keys == ["ke", "hoach", "cai", "2019"]


# ---------------------------------------------------------------------------
# index files
# ---------------------------------------------------------------------------

def test_index_layout_postings_and_metadata() -> None:
    docs = [doc("Thủ tục xây dựng", "đường đường đường", summary="Tóm tắt"), doc("Khác", "Dương xây")]
    files = build_index(docs)
    meta = json.loads(files[f"{INDEX_DIR}/meta.json"])
    assert meta["docs"] == 2 and meta["v"] == 1
    shards = [p for p in files if p.startswith(f"{INDEX_DIR}/t/")]
    assert len(shards) == meta["shards"]
    shard = json.loads(files[f"{INDEX_DIR}/t/{shard_of('duong', meta['shards'])}.json"])
    forms = decode_postings(shard["duong"])
    # written forms kept apart; doc 0 has "đường" 3 times (tf bucket 1), not in title
    assert forms == {"đường": [(0, 1)], "dương": [(1, 0)]}
    xay = decode_postings(json.loads(files[f"{INDEX_DIR}/t/{shard_of('xay', meta['shards'])}.json"])["xay"])
    assert xay == {"xây": [(0, 4), (1, 0)]}  # in doc 0's title (flag 4), in doc 1's text
    chunk = json.loads(files[f"{INDEX_DIR}/d/0.json"])
    assert chunk[0] == ["Thủ tục xây dựng", docs[0].url, "tin", "2021-08-01", "Tóm tắt"]
    assert build_index(docs) == files  # deterministic


def test_shard_count_grows_with_the_corpus() -> None:
    rng = random.Random(1)
    vocab = [f"tu{i}" for i in range(3000)]
    small = build_index([doc("a", "b c")])
    big = build_index([doc(f"bài {i}", " ".join(rng.choices(vocab, k=200))) for i in range(600)])
    assert json.loads(small[f"{INDEX_DIR}/meta.json"])["shards"] == 1
    meta = json.loads(big[f"{INDEX_DIR}/meta.json"])
    assert meta["shards"] >= 8
    # a one-word query loads meta, exactly one shard and the metadata of one batch only
    outcome = query_index(big, "tu5")
    assert outcome.loaded[0] == f"{INDEX_DIR}/meta.json"
    assert sum(p.startswith(f"{INDEX_DIR}/t/") for p in outcome.loaded) == 1
    assert sum(p.startswith(f"{INDEX_DIR}/d/") for p in outcome.loaded) <= meta["batch"]
    assert outcome.total > meta["batch"] and len(outcome.hits) == meta["batch"]
    assert bytes_for_query(big, "tu5") == sum(len(big[p]) for p in outcome.loaded)
    assert bytes_for_query(big, "tu5") < sum(len(v) for v in big.values()) / 4


def test_a_new_post_only_touches_the_files_of_its_words() -> None:
    rng = random.Random(2)
    vocab = [f"tu{i}" for i in range(2000)]
    docs = [doc(f"bài {i}", " ".join(rng.choices(vocab, k=100))) for i in range(300)]
    before = build_index(docs)
    after = build_index([*docs, doc("bài mới", "tu1 tu2 tu3")])
    changed = {p for p in after if before.get(p) != after[p]}
    meta = json.loads(after[f"{INDEX_DIR}/meta.json"])
    shards = {f"{INDEX_DIR}/t/{shard_of(k, meta['shards'])}.json" for k in ("bai", "moi", "tu1", "tu2", "tu3")}
    last_chunk = f"{INDEX_DIR}/d/{(len(docs)) // meta['chunk']}.json"
    assert changed <= shards | {last_chunk, f"{INDEX_DIR}/meta.json"}, changed
    assert json.loads(before[f"{INDEX_DIR}/meta.json"])["shards"] == meta["shards"]


# ---------------------------------------------------------------------------
# ranking (reference implementation)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_files() -> dict[str, bytes]:
    return build_index([
        doc("Hướng dẫn thủ tục xây dựng nhà ở", "Nội dung hướng dẫn."),
        doc("Sửa chữa đường giao thông nông thôn", "Tuyến đường mới."),
        doc("Hội nghị tại Đà Nẵng", "Đại biểu thành phố Đà Nẵng."),
        doc("Cấp giấy phép xây dựng", "Thủ tục cấp phép.", kind="thu-tuc", strong="Cấp giấy phép xây dựng 1.013225"),
        doc("Tin không liên quan", "Nội dung khác hẳn."),
    ])


@pytest.mark.parametrize("query, expected", [
    ("thu tuc xay dung", "Hướng dẫn thủ tục xây dựng nhà ở"),
    ("duong", "Sửa chữa đường giao thông nông thôn"),
    ("Da Nang", "Hội nghị tại Đà Nẵng"),
    ("1.013225", "Cấp giấy phép xây dựng"),
    ("ĐÀ NẴNG", "Hội nghị tại Đà Nẵng"),
])
def test_required_examples(sample_files: dict[str, bytes], query: str, expected: str) -> None:
    assert titles(sample_files, query)[0] == expected


def test_all_words_must_match_else_any_word(sample_files: dict[str, bytes]) -> None:
    both = query_index(sample_files, "thủ tục xây dựng")
    assert both.all_words and set(h.title for h in both.hits) == {"Hướng dẫn thủ tục xây dựng nhà ở",
                                                                   "Cấp giấy phép xây dựng"}
    either = query_index(sample_files, "Đà Nẵng giao thông")
    assert not either.all_words and len(either.hits) == 2
    assert query_index(sample_files, "khongcotu").total == 0
    assert query_index(sample_files, "  ,; ").hits == ()


def test_exact_diacritics_rank_before_folded_only_matches() -> None:
    files = build_index([
        doc("Dương Văn A nhận khen thưởng", "Dương dương dương dương dương."),  # folded-only, higher count
        doc("Sửa đường liên xã", "Nội dung."),
    ])
    assert titles(files, "đường") == ["Sửa đường liên xã", "Dương Văn A nhận khen thưởng"]
    assert titles(files, "dương") == ["Dương Văn A nhận khen thưởng", "Sửa đường liên xã"]
    # without diacritics nothing is exact: the higher count wins
    assert titles(files, "duong") == ["Dương Văn A nhận khen thưởng", "Sửa đường liên xã"]


def test_title_match_ranks_above_body_only() -> None:
    files = build_index([
        doc("Tin mới nhất", "một cửa một cửa một cửa một cửa một cửa một cửa một cửa một cửa"),
        doc("Cơ chế một cửa", "Nội dung."),
    ])
    assert titles(files, "một cửa") == ["Cơ chế một cửa", "Tin mới nhất"]
    assert titles(files, "mot cua") == ["Cơ chế một cửa", "Tin mới nhất"]


def test_batches_continue_the_order() -> None:
    files = build_index([doc(f"Bài số {i:02d} về dịch vụ công", "") for i in range(25)])
    first, second, third = (titles(files, "dich vu cong", b) for b in range(3))
    assert len(first) == 10 and len(second) == 10 and len(third) == 5
    assert len(set(first + second + third)) == 25
    assert first[0] == "Bài số 24 về dịch vụ công"  # same score: the later document (newer post) first


# ---------------------------------------------------------------------------
# size at scale: 10,000 documents, at most 1 MB before the first results
# ---------------------------------------------------------------------------

SYLLABLES = ("thủ tục hành chính cải cách một cửa liên thông dịch vụ công trực tuyến toàn trình "
             "hồ sơ giải quyết đúng hạn người dân doanh nghiệp sở ban ngành tỉnh huyện xã cơ quan "
             "đường dây nóng phản ánh kiến nghị số hóa kết quả chuyển đổi số chính quyền điện tử "
             "kiểm soát quy định công bố danh mục rà soát đơn giản hóa Đà Nẵng Bình Dương Quảng Nam "
             "năm kế hoạch triển khai thực hiện chỉ số hài lòng tuyên truyền phổ biến pháp luật và của "
             "các được cho với trong tại theo đã đang sẽ là có không những này").split()


def big_corpus(n: int = 10_000, seed: int = 20240601) -> list[SearchDoc]:
    """A corpus shaped like the benchmark site: ~650-word posts over a Zipf-like vocabulary."""
    rng = random.Random(seed)
    rare = [f"tu{i}" for i in range(4000)]
    vocab = list(SYLLABLES) + rare
    cum = list(itertools.accumulate(1 / (r + 1) ** 0.9 for r in range(len(vocab))))
    out = []
    for i in range(n):
        title = " ".join(rng.choices(SYLLABLES, k=12))
        body = " ".join(rng.choices(vocab, cum_weights=cum, k=650))
        out.append(SearchDoc(title, f"/tin-tuc/2021/01/bai-{i:05d}/", "tin", "2021-01-01",
                             " ".join(rng.choices(SYLLABLES, k=30)), title, body))
    return out


@pytest.mark.slow
def test_a_query_loads_at_most_1_mb_on_10000_documents() -> None:
    files = build_index(big_corpus())
    meta = json.loads(files[f"{INDEX_DIR}/meta.json"])
    total = sum(len(v) for v in files.values())
    assert total > 10_000_000  # the whole index is far bigger than the budget ...
    queries = ["thủ tục hành chính", "và", "thu tuc xay dung", "duong", "Da Nang", "1.013225", "tu17",
               "thủ tục hành chính của sở tại tỉnh có những cải cách một cửa liên thông trực tuyến"]
    for q in queries:
        assert bytes_for_query(files, q) <= 1_000_000, q  # ... but a query loads at most 1 MB
    assert meta["shards"] >= 256


# ---------------------------------------------------------------------------
# the build writes the index
# ---------------------------------------------------------------------------

PROC = """\
---
code: "1.013225"
title: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
field: "Hoạt động xây dựng"
keywords: ["giấy phép xây dựng", "xây nhà"]
---

Thủ tục dành cho hộ gia đình.
"""


def search_site(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        "content/posts/2021/08/thu-tuc-xay-dung.md": post("Hướng dẫn thủ tục xây dựng nhà ở", f"2021-08-02T08:00:00{TZ}",
                                                        "Người dân cần chuẩn bị hồ sơ.", category="hoat-dong-cchc"),
        "content/posts/2021/08/duong.md": post("Sửa chữa tuyến đường liên xã", f"2021-08-03T08:00:00{TZ}",
                                             "Công trình giao thông.", category="hoat-dong-cchc"),
        "content/posts/2021/08/dan-so.md": post("Tin về Dương Văn Minh", f"2021-08-05T08:00:00{TZ}",
                                              "Dương dương dương dương dương.", category="hoat-dong-cchc"),
        "content/posts/2021/08/da-nang.md": post("Học tập kinh nghiệm tại Đà Nẵng", f"2021-08-04T08:00:00{TZ}",
                                               "Đoàn công tác đến Đà Nẵng.", category="hoat-dong-cchc"),
        "content/posts/2021/08/nhap.md": post("Bản nháp về đường sắt", f"2021-08-06T08:00:00{TZ}",
                                            "Chưa đăng.", category="hoat-dong-cchc", draft=True),
        "content/posts/2021/09/mot-cua-body.md": post("Tin tổng hợp tháng chín", f"2021-09-02T08:00:00{TZ}",
                                                    "Bộ phận một cửa, một cửa, một cửa, một cửa, một cửa.",
                                                    category="hoat-dong-cchc"),
        "content/posts/2021/09/mot-cua-title.md": post("Cơ chế một cửa liên thông", f"2021-08-20T08:00:00{TZ}",
                                                     "Nội dung.", category="hoat-dong-cchc"),
        "content/procedures/hoat-dong-xay-dung/1.013225.md": PROC,
        "content/pages/gioi-thieu.md": "---\ntitle: \"Giới thiệu\"\n---\n\nTrang giới thiệu về Sở.\n",
    }
    for i in range(14):
        files[f"content/posts/2021/10/dich-vu-cong-{i:02d}.md"] = post(
            f"Dịch vụ công trực tuyến số {i:02d}", f"2021-10-{i + 1:02d}T08:00:00{TZ}", "Nội dung.",
            category="hoat-dong-cchc")
    return write_site(root, files)


def built_index(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / INDEX_DIR).rglob("*.json")}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    site = search_site(root / "site")
    out = root / "out"
    result = run_cli("build", "--site", site, "--output", out, "--as-of", "2021-12-31")
    assert result.code == 0, result.err
    return out


def test_build_writes_index_without_drafts(built_site: Path, tmp_path: Path) -> None:
    files = built_index(built_site)
    meta = json.loads(files[f"{INDEX_DIR}/meta.json"])
    assert meta["docs"] == 22  # 20 published posts, 1 procedure, 1 page
    urls = [row[1] for k, v in files.items() if "/d/" in k for row in json.loads(v)]
    assert "/thu-tuc-hanh-chinh/1.013225/" in urls and "/gioi-thieu/" in urls
    assert not any("nhap" in u for u in urls)
    assert titles(files, "sắt") == []  # the draft is not searchable
    assert titles(files, "1.013225") == ["Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"]
    assert titles(files, "xay nha")[0] == "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"  # keywords
    site = tmp_path / "site"
    search_site(site)
    out = tmp_path / "out"
    assert run_cli("build", "--site", site, "--output", out, "--as-of", "2021-12-31", "--drafts").code == 0
    assert titles(built_index(out), "duong sat") == ["Bản nháp về đường sắt"]
    assert query_index(built_index(out), "duong sat").all_words


# ---------------------------------------------------------------------------
# the real search.js in headless Chromium, under a subpath, with the CSP enforced
# ---------------------------------------------------------------------------

def open_search(page, base: str, query: str) -> list[str]:
    page.goto(base + "tim-kiem/?q=" + urllib.parse.quote(query))
    page.wait_for_selector("#ket-qua-tim-kiem[data-state=done], #ket-qua-tim-kiem[data-state=error]", state="attached")
    assert page.get_attribute("#ket-qua-tim-kiem", "data-state") == "done"
    return [a.inner_text() for a in page.query_selector_all("main .results a")]


@pytest.mark.browser
def test_search_page_in_browser(page, serve_dir, built_site: Path) -> None:
    base = serve_dir(built_site, "/cchc/")
    origin = base.split("/cchc/")[0]
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    files = built_index(built_site)
    cases = {
        "thu tuc xay dung": "Hướng dẫn thủ tục xây dựng nhà ở",
        "duong": "Sửa chữa tuyến đường liên xã",
        "Da Nang": "Học tập kinh nghiệm tại Đà Nẵng",
        "1.013225": "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
    }
    for query, expected in cases.items():
        shown = open_search(page, base, query)
        assert expected in shown, (query, shown)
        assert shown == titles(files, query), query  # the browser ranks like the reference
        status = page.inner_text("#trang-thai-tim-kiem")
        assert f"Tìm thấy {len(shown)} kết quả" in status
        assert page.input_value("#q-tim-kiem") == query
        assert page.get_attribute("#trang-thai-tim-kiem", "role") == "status"
    # exact diacritics first, title above text
    assert open_search(page, base, "đường")[0] == "Sửa chữa tuyến đường liên xã"
    assert open_search(page, base, "dương")[0] == "Tin về Dương Văn Minh"
    assert open_search(page, base, "một cửa")[:2] == ["Cơ chế một cửa liên thông", "Tin tổng hợp tháng chín"]
    # results are real links under the base path
    href = page.get_attribute("main .results a", "href")
    assert href.startswith("/cchc/tin-tuc/2021/")
    assert open_search(page, base, "khongcotunay") == []
    assert "Không tìm thấy" in page.inner_text("#trang-thai-tim-kiem")
    assert all(u.startswith(origin + "/cchc/") for u in requests), [u for u in requests if not u.startswith(origin)]
    assert not problems, problems


@pytest.mark.browser
def test_search_keyboard_header_box_and_more_results(page, serve_dir, built_site: Path) -> None:
    base = serve_dir(built_site, "/cchc/")
    page.goto(base)
    page.focus("#q-dau-trang")
    page.keyboard.type("dich vu cong")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ket-qua-tim-kiem[data-state=done]", state="attached")
    assert "/cchc/tim-kiem/?q=dich+vu+cong" in page.url
    assert len(page.query_selector_all("main .results li")) == 10
    assert "Tìm thấy 14 kết quả" in page.inner_text("#trang-thai-tim-kiem")
    more = page.locator("button.more-results")
    assert "còn 4" in more.inner_text()
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('main .results li').length === 14")
    # focus moved to the first new result; the button is gone when everything is shown
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == page.locator("main .results li").nth(10).locator("a").inner_text()
    assert page.locator("button.more-results").count() == 0
    page.wait_for_function("document.getElementById('trang-thai-tim-kiem').textContent.includes('14 trên 14')")
    # matched words are marked
    assert page.locator("main .results mark").count() >= 14


@pytest.mark.browser
def test_browser_fold_and_hash_match_python(page, serve_dir, built_site: Path) -> None:
    base = serve_dir(built_site, "/cchc/")
    page.goto(base + "tim-kiem/")
    page.wait_for_selector("#ket-qua-tim-kiem[data-state=idle]", state="attached")
    samples = ["Thủ tục 1.013225: ĐÀ NẴNG, đường", "phí 30.000 đồng, đạt 92,7%", "Vie\u0302\u0323t Nam",
               "Quyết định số 2477/KH-SXD", "Ủy ban nhân dân_tỉnh"]
    for text in samples:
        got = page.evaluate("t => cchcSearch.words(t).map(cchcSearch.fold)", text)
        assert got == tokens(text), text
    for token in ["duong", "1.013225", "thu", "xay", "đ", "漢字"]:
        assert page.evaluate("t => cchcSearch.fnv1a(t)", token) == fnv1a(token)
    for query in ["Đường duong ĐƯỜNG a b c d e f g h", "kế hoạch cải cách hành chính của sở năm 2019 về 1.013225"]:
        got = page.evaluate("q => { const r = cchcSearch.queryWords(q, 8); return [r.keys, r.typed]; }", query)
        assert got == list(query_words(query, 8)), query


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâbđeêhiơưxyÁẢđĐ0159.,;:!?)\"'”’…-_(/ \n\t\u00a0\u0301\u0300²½٣")),
               max_size=40))
def test_words_are_exactly_what_the_expression_finds(text: str) -> None:
    """``words`` splits at spaces first and takes plain pieces as they are (fast); it must give
    exactly the words the regular expression (which search.js also uses) finds."""
    from cchc_site.search import WORD
    from cchc_site.text import nfc

    assert words(text) == WORD.findall(nfc(text).lower())


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâbđeêhiơưxyÁẢđĐ0159.,;:!?)\"'”’…-_(/ \n\t\u00a0\u0301\u0300²½٣")),
               max_size=60))
def test_word_counts_count_exactly_the_words(text: str) -> None:
    """``word_counts`` counts distinct pieces first and splits only the odd ones: the counts
    must be those of ``words`` (a piece such as "x," and the word "x" fall together)."""
    from collections import Counter

    assert word_counts(text) == Counter(words(text))


def test_doc_terms_flags_count_buckets_and_title_words() -> None:
    """Each word's flags: 4 when it is in the title, plus its count bucket over title and body
    (0: once, 1: 2-3, 2: 4-7, 3: 8 or more)."""
    body = "một hai, hai ba ba ba. bốn bốn bốn bốn " + "tám " * 8
    terms = dict(doc_terms(SearchDoc("Hai và hai", "/x/", "tin", "", "", "Hai và hai", body)).terms)
    assert terms == {"một": 0, "hai": 4 + 2, "ba": 1, "bốn": 2, "tám": 3, "và": 4 + 0}
