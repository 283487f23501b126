"""A check after an edit reads only the edited files (the others are known by the facts the last
check kept, :mod:`cchc_site.checkfacts`), and finds exactly what a check that reads every file
finds, after every kind of change."""
from __future__ import annotations

import marshal
import os
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import cchc_site.check as check
import cchc_site.sources as sources
from cchc_site.cache import Cache
import cchc_site.checkfacts as checkfacts
from cchc_site.checkfacts import (FileFacts, check_facts, decode_facts, encode_facts, facts_of,
                                  first_future, instant, moment_of)
from cchc_site.config import SiteConfig, parse_config
from cchc_site.content import SiteFiles, source_from_bytes
from cchc_site.links import check_unsafe_html
from cchc_site.models import Source
from cchc_site.parsed import Parsed
from cchc_site.site import parse_site, parse_source, shown_documents
from cchc_site.stamps import open_cache
from sitekit import MINIMAL_CONFIG, post, write_site

VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUOTA = MINIMAL_CONFIG + 'quota:\n  start: "2021-08"\n  min_posts: 2\n'
SCRIPT = 'Bài có mã: <script>alert("x")</script>'


def procedure(code: str, title: str = "Cấp giấy phép xây dựng", draft: bool = False) -> str:
    return (f'---\ncode: "{code}"\ntitle: "{title}"\nfield: "Hoạt động xây dựng"\n'
            + ("draft: true\n" if draft else "") + "channels:\n  - method: trực tiếp\n    time: \"15 ngày\"\n---\n")


def page(title: str, slug: str = "") -> str:
    return f'---\ntitle: "{title}"\n' + (f"slug: {slug}\n" if slug else "") + "---\n\nNội dung trang.\n"


START = {
    "content/posts/2021/08/a.md": post("A", "2021-08-02"),
    "content/posts/2021/08/b.md": post("B", "2021-08-20", body=SCRIPT),  # a warning (W070)
    "content/posts/2021/09/c.md": post("C", "2021-09-01 10:00"),
    "content/posts/2021/09/d.md": post("D", "2021-09-03 10:00"),
    "content/pages/gioi-thieu.md": page("Giới thiệu"),
    "content/procedures/1.000001.md": procedure("1.000001"),
    "content/procedures/1.000002.md": procedure("1.000002", "Gia hạn giấy phép"),
}


class Spy:
    """The content files each check read: to parse them, or to hash them (a file whose time
    changed is compared by content with what the source cache holds)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[list[str]] = []
        parse, hash_files = sources.parse_all, sources.hash_files

        def parsing(site_dir, entries, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.asked.append([e.path for e in entries])
            return parse(site_dir, entries, *args, **kwargs)

        def hashing(site_dir, paths):  # type: ignore[no-untyped-def]
            self.asked.append(list(paths))
            return hash_files(site_dir, paths)

        monkeypatch.setattr(sources, "parse_all", parsing)
        monkeypatch.setattr(sources, "hash_files", hashing)

    def take(self) -> list[str]:
        asked = sorted({path for batch in self.asked for path in batch})
        self.asked.clear()
        return asked


def without_posts(outcome: check.CheckOutcome) -> check.CheckOutcome:
    """The outcome as a check that only counts gives it: each month's count, not its posts."""
    assert outcome.quota is not None
    months = tuple(replace(m, posts=()) for m in outcome.quota.months)
    return replace(outcome, quota=replace(outcome.quota, months=months))


def touch_later(path: Path) -> None:
    """A new modification time (a quick test may write twice within the clock's resolution)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_after_each_kind_of_change_only_the_changed_files_are_read_and_the_outcome_is_a_full_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    spy = Spy(monkeypatch)
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)

    asked: list[str] = []  # the files the last check read

    def outcome() -> check.CheckOutcome:
        found = check.run_check(site, now)
        asked[:] = spy.take()
        truth = check.run_check(site, now, use_cache=False)
        counted = check.run_check(site, now, with_posts=False)  # as the text report asks
        spy.take()
        assert found == truth and counted == without_posts(truth)
        return found

    def change(rel: str, text: str | None) -> check.CheckOutcome:
        path = site / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.exists()
            path.write_text(text, encoding="utf-8")
            if existed:
                touch_later(path)
        found = outcome()
        assert asked == ([] if text is None else [rel]), rel
        return found

    def codes() -> set[tuple[str, str]]:
        return {(e.path.rsplit("/", 1)[-1], e.code) for e in current.problems if e.code != "E060"}

    current = outcome()
    assert len(asked) == len(START)  # the first check reads every file
    assert ("b.md", "W070") in codes()
    counts = {m.key: m.count for m in current.quota.months}  # type: ignore[union-attr]
    assert counts == {"2021-08": 2, "2021-09": 1}  # D is not out yet

    current = change("content/posts/2021/08/a.md", post("A", "2021-08-02", body="Sửa thân bài."))
    current = change("content/posts/2021/08/a.md", post("A", "2021-09-02"))  # another month
    assert {m.key: m.count for m in current.quota.months} == {"2021-08": 1, "2021-09": 2}  # type: ignore[union-attr]
    current = change("content/posts/2021/08/b.md", post("B", "2021-08-20", body=SCRIPT, draft=True))
    assert ("b.md", "W070") not in codes()  # a draft's warnings wait
    assert {m.key: m.count for m in current.quota.months}["2021-08"] == 0  # type: ignore[union-attr]
    current = change("content/posts/2021/09/e.md", post("E", "2021-09-10", slug="a"))  # the same URL as a.md
    assert {("a.md", "E010"), ("e.md", "E010")} <= codes()
    current = change("content/posts/2021/09/e.md", None)
    assert not any(code == "E010" for _, code in codes())
    current = change("content/pages/lien-he.md", page("Liên hệ", slug="tin-tuc"))  # a URL the site makes
    assert ("lien-he.md", "E010") in codes()
    current = change("content/procedures/1.000003.md", procedure("1.000001", "Thủ tục trùng mã"))
    assert {("1.000001.md", "E018"), ("1.000003.md", "E018")} <= codes()
    current = change("content/procedures/1.000003.md", procedure("1.000003", "Thủ tục trùng mã"))
    assert not any(code == "E018" for _, code in codes())
    current = change("content/posts/2021/09/c.md", "---\ntitle: C\ndate: hôm qua\n---\n")  # an error
    assert any(e.path.endswith("c.md") and e.severity == "error" for e in current.problems)
    current = change("content/posts/2021/09/c.md", post("C", "2021-09-01 10:00"))  # mended
    assert not any(e.path.endswith("c.md") for e in current.problems)
    current = change("content/posts/2021/09/c.md", post("C", "2021-09-30", body=SCRIPT))
    assert ("c.md", "W070") not in codes()  # not out yet: its warning waits
    current = change("content/posts/2021/09/c.md", post("C", "2021-09-02", body=SCRIPT, image="/static/khac.jpg"))
    assert ("c.md", "E009") in codes() or any(e.path.endswith("c.md") and e.severity == "error"
                                              for e in current.problems)  # no such image
    (site / "content/posts/2021/09/c.md").write_bytes(b"---\ntitle: C\ndate: 2021-09-02\n---\nC\xe1c b\xe0i\n")  # Latin-1
    touch_later(site / "content/posts/2021/09/c.md")
    current = outcome()
    assert asked == ["content/posts/2021/09/c.md"] and ("c.md", "E011") in codes()


def test_what_else_a_check_depends_on_makes_it_read_every_file_again(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """site.yaml, static files and data files are not in the facts: any change there and every
    file is judged again (static files change what a post may name: every file is parsed again;
    a data file changes no document: their parses come from the source cache)."""
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    spy = Spy(monkeypatch)
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)
    check.run_check(site, now)
    spy.take()
    (site / "content/posts/2021/09/c.md").write_text(post("C", "2021-09-01", image="/static/anh.jpg"), encoding="utf-8")
    touch_later(site / "content/posts/2021/09/c.md")
    assert any(e.path.endswith("c.md") for e in check.run_check(site, now).problems)  # no such image
    spy.take()
    (site / "content/static").mkdir(parents=True)
    (site / "content/static/anh.jpg").write_bytes(b"\xff\xd8\xff")
    found = check.run_check(site, now)
    assert len(spy.take()) == len(START) and not any(e.path.endswith("c.md") for e in found.problems)
    (site / "content/data").mkdir(parents=True)
    (site / "content/data/chi-so.yaml").write_text('entries:\n  - year: "hai nghìn"\n    index: "PCI"\n',
                                                   encoding="utf-8")
    found = check.run_check(site, now)  # judged again, the documents taken from the source cache
    assert spy.take() == [] and any(e.path.startswith("content/data/") for e in found.problems)
    assert found == check.run_check(site, now, use_cache=False)
    spy.take()  # (a check that keeps nothing reads every file)
    (site / "content/posts/2021/08/a.md").write_text(post("A", "2021-08-03"), encoding="utf-8")
    touch_later(site / "content/posts/2021/08/a.md")
    again = check.run_check(site, now)  # the data file's problem is kept with the facts
    assert spy.take() == ["content/posts/2021/08/a.md"] and again.problems == found.problems
    assert again == check.run_check(site, now, use_cache=False)


def test_facts_that_cannot_be_read_back_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose kept facts are damaged is judged again (its parse from the source cache); the
    others' facts still serve; a check with no record of the data files judges every file again."""
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    spy = Spy(monkeypatch)
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)
    first = check.run_check(site, now)
    spy.take()
    cache = open_cache(site, None, clean=False)
    frame = cache.record_tag(check.FACTS_KEY)
    assert frame and set(cache.check_facts(frame)) == set(START)
    cache.put_check_facts(frame, [("content/posts/2021/09/c.md", b"F2\x00garbage"),
                                  ("content/procedures/1.000001.md", b"F9" + b"\x00" * 8)])
    cache.close()
    judged: list[str] = []
    real = checkfacts.facts_of
    monkeypatch.setattr(checkfacts, "facts_of", lambda item, stamp: judged.append(item.path) or real(item, stamp))
    (site / "content/posts/2021/08/a.md").write_text(post("A", "2021-08-02", body="Sửa."), encoding="utf-8")
    touch_later(site / "content/posts/2021/08/a.md")
    found = check.run_check(site, now)
    assert spy.take() == ["content/posts/2021/08/a.md"]  # the only file read
    assert sorted(judged) == ["content/posts/2021/08/a.md", "content/posts/2021/09/c.md",
                              "content/procedures/1.000001.md"]
    assert found == check.run_check(site, now, use_cache=False) and found.problems == first.problems
    spy.take()
    cache = open_cache(site, None, clean=False)
    assert all(decode_facts(path, blob) is not None for path, blob in cache.check_facts(frame).items())
    cache.put_record(check.FACTS_KEY, "not the data files' problems", frame)
    cache.close()
    judged.clear()
    (site / "content/posts/2021/08/a.md").write_text(post("A", "2021-08-02", body="Sửa lần nữa."), encoding="utf-8")
    touch_later(site / "content/posts/2021/08/a.md")
    again = check.run_check(site, now)
    assert sorted(judged) == sorted(START) and again == check.run_check(site, now, use_cache=False)


# --- the facts themselves (pure) -------------------------------------------------------------


@pytest.mark.parametrize("moment", [
    datetime(2021, 9, 3, 8, 0, tzinfo=VN),
    datetime(2021, 9, 3, 8, 0, 0, 999_999, tzinfo=VN),
    datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=timezone.utc),
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc) - timedelta(days=1),
])
def test_an_instant_is_exact_to_the_microsecond(moment: datetime) -> None:
    back = moment_of(instant(moment), VN)
    assert back == moment and back.tzinfo is VN
    assert instant(moment + timedelta(microseconds=1)) == instant(moment) + 1


KINDS = {"posts": "post", "pages": "page", "procedures": "procedure"}


def parsed_site(files: dict[str, str], config: SiteConfig) -> tuple[list[Parsed], SiteFiles]:
    """Each file's parse (with its W070 warnings, as the build's workers make them) and the files
    as :func:`parse_site` takes them."""
    items: list[Parsed] = []
    sources_read: list[Source] = []
    for path, text in files.items():
        source = source_from_bytes(path, KINDS[path.split("/")[1]], text.encode("utf-8"))
        assert isinstance(source, Source)
        sources_read.append(source)
        result = parse_source(source, config, frozenset())
        warnings = () if isinstance(result, list) else tuple(check_unsafe_html([result], strict=False))
        items.append(Parsed(path, source.digest, result, warnings))
    return items, SiteFiles(tuple(sources_read), frozenset(), (), ())


def random_site(rng: random.Random) -> dict[str, str]:
    """Posts, pages and procedures whose URLs and codes clash now and then, some broken."""
    files: dict[str, str] = {}
    for i in range(rng.randint(5, 25)):
        kind = rng.choice(["post", "post", "post", "page", "procedure", "broken"])
        if kind == "post":
            slug = rng.choice(["hop", "hop-ban", f"tin-{i}"])
            files[f"content/posts/{i}/{slug}.md"] = post(f"Tin {i}", f"2021-0{rng.randint(8, 9)}-0{rng.randint(1, 3)}",
                                                         body=rng.choice([SCRIPT, "Nội dung."]), draft=rng.random() < 0.2)
        elif kind == "page":
            files[f"content/pages/{i}.md"] = page(f"Trang {i}", slug=rng.choice(["lien-he", "tin-tuc", f"trang-{i}"]))
        elif kind == "procedure":
            files[f"content/procedures/{i}.md"] = procedure(rng.choice(["1.000001", "1.000002", f"2.{i:06d}"]),
                                                            draft=rng.random() < 0.2)
        else:
            files[f"content/posts/{i}/hong.md"] = "---\ntitle: Hỏng\ndate: x\n---\n"
    return files


@pytest.mark.parametrize("seed", range(30))
def test_judging_facts_finds_what_parsing_the_whole_site_finds(seed: int) -> None:
    """Errors of each file and the clashes of URLs and codes, as :func:`parse_site` (the build's
    way) reports them, message for message; warnings of published documents only."""
    config = parse_config(MINIMAL_CONFIG)
    assert not isinstance(config, list)
    items, site_files = parsed_site(random_site(random.Random(seed)), config)
    site, expected = parse_site(site_files, config)
    now = datetime(2021, 9, 2, 12, 0, tzinfo=VN)
    published = {doc.path for doc in shown_documents(site, now)}
    expected += [w for item in items if item.path in published for w in item.warnings]
    facts = [facts_of(item, "1:1") for item in items]
    assert sorted(set(check_facts(facts, now))) == sorted(set(expected))
    assert [decode_facts(f.path, encode_facts(f)) for f in facts] == facts
    assert first_future(facts, now) == min((p.date for p in site.posts if p.date > now), default=None)


def test_the_random_sites_hold_every_kind_of_problem_facts_are_judged_on() -> None:
    config = parse_config(MINIMAL_CONFIG)
    assert not isinstance(config, list)
    codes: set[str] = set()
    for seed in range(30):
        items, site_files = parsed_site(random_site(random.Random(seed)), config)
        codes |= {e.code for e in parse_site(site_files, config)[1]}
        codes |= {w.code for item in items for w in item.warnings}
    assert {"E010", "E018", "W070", "E006"} <= codes


def test_unreadable_facts_decode_to_none() -> None:
    facts = FileFacts("content/posts/a.md", "1:2", "h", "post", "/a/", "", "", 5, 202108, False, (),
                      (("content/posts/a.md", 3, "W070", "mã", "warning"),))
    good = encode_facts(facts)
    assert decode_facts(facts.path, good) == facts
    for blob in (b"", b"F2", b"F1" + good[2:], good[:-3], b"F2" + b"\x00" * 10,
                 b"F2" + marshal.dumps(((1, 2),)), b"F2" + marshal.dumps(tuple(facts))):
        assert decode_facts(facts.path, blob) is None, blob


@pytest.mark.parametrize("fmt, loads_posts", [("text", False), ("github", False), ("json", True)])
def test_only_the_json_report_loads_the_posts_the_quota_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               fmt: str, loads_posts: bool) -> None:
    """The text and GitHub reports print each month's count; only JSON lists the posts, so only
    it loads them (a check after an edit of a site of ten thousand posts with a quota would
    otherwise load them all)."""
    from sitekit import run_cli

    site = write_site(tmp_path / "site", dict(START), QUOTA)
    args = ("check", "--site", site, "--as-of", "2021-09-02", "--format", fmt)
    first = run_cli(*args)
    loaded: list[list[str]] = []
    real = check.read_documents
    monkeypatch.setattr(check, "read_documents", lambda *a: loaded.append(list(a[4])) or real(*a))
    (site / "content/posts/2021/08/a.md").write_text(post("A", "2021-08-02", body="Sửa."), encoding="utf-8")
    touch_later(site / "content/posts/2021/08/a.md")
    again = run_cli(*args)
    assert (again.code, again.out) == (first.code, first.out) and first.code in (0, 1) and first.out
    assert (loaded != []) is loads_posts
    if loads_posts:
        assert sorted(loaded[0]) == ["content/posts/2021/08/a.md", "content/posts/2021/08/b.md",
                                     "content/posts/2021/09/c.md"]  # (D is dated 3 September)


def test_a_cache_that_cannot_be_written_still_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)
    monkeypatch.setattr(check, "open_cache", lambda *a, **k: Cache(None))
    assert check.run_check(site, now) == check.run_check(site, now, use_cache=False)



def test_files_with_new_times_and_the_same_content_keep_their_facts(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone whose CI kept the cache (every file has a new time), or a file saved again
    unchanged: the files are hashed, and those with the content their facts were found on keep
    them; only a file whose content changed is parsed again.  The facts then carry the new times
    (the next check hashes nothing)."""
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    spy = Spy(monkeypatch)
    parsed: list[list[str]] = []
    real_parse = sources.parse_all
    monkeypatch.setattr(sources, "parse_all", lambda site_dir, entries, *a: parsed.append([e.path for e in entries])
                        or real_parse(site_dir, entries, *a))
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)
    check.run_check(site, now)
    parsed.clear()
    spy.take()
    touch_later(site / "content/pages/gioi-thieu.md")  # saved again, unchanged
    assert check.run_check(site, now) == check.run_check(site, now, use_cache=False)
    parsed.clear()
    assert spy.take()[:1] == ["content/pages/gioi-thieu.md"]  # hashed (then the check that keeps nothing)
    check.run_check(site, now + timedelta(hours=1))
    assert spy.take() == [] and not any(parsed)  # its new time kept with its facts
    for number, path in enumerate(sorted([*(site / "content").rglob("*.md"), site / "site.yaml"])):  # a fresh clone ...
        os.utime(path, ns=(2_000_000_000 * 10**9 + number,) * 2)
    edited = site / "content/posts/2021/09/c.md"  # ... of a commit that changed one post
    edited.write_text(post("C mới", "2021-09-01 10:00"), encoding="utf-8")
    os.utime(edited, ns=(2_100_000_000 * 10**9,) * 2)
    judged: list[str] = []
    real_facts = checkfacts.facts_of
    monkeypatch.setattr(checkfacts, "facts_of", lambda item, stamp: judged.append(item.path) or real_facts(item, stamp))
    found = check.run_check(site, now)
    reads = spy.take()
    assert judged == ["content/posts/2021/09/c.md"]  # every other file keeps its facts (site.yaml's time aside)
    assert [batch for batch in parsed if batch][0] == ["content/posts/2021/09/c.md"]
    assert reads == sorted(START)  # each file read once: hashed (and the edited one parsed)
    parsed.clear()
    truth = check.run_check(site, now, use_cache=False)
    assert found == truth and any(p.title == "C mới" for m in found.quota.months for p in m.posts)  # type: ignore[union-attr]
    parsed.clear()
    spy.take()
    (site / "content/posts/2021/08/a.md").write_text(post("A", "2021-08-02", body="Sửa."), encoding="utf-8")
    touch_later(site / "content/posts/2021/08/a.md")
    check.run_check(site, now)
    assert spy.take() == ["content/posts/2021/08/a.md"]  # the new times were kept: nothing else hashed


def test_a_check_right_after_builds_reads_no_file_and_finds_what_a_full_check_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps the facts of every file it parsed (``check.BuildFacts``): the first check
    after it, with no check ever before, reads no file; nor after a failed build, an edit built
    (a quick build), or site.yaml changed and the site built again.  Each time the outcome
    equals a check that keeps nothing."""
    from cchc_site.build import build_site
    from cchc_site.errors import BuildFailed
    from cchc_site.options import BuildOptions

    site = write_site(tmp_path / "site", dict(START), QUOTA)
    spy = Spy(monkeypatch)
    now = datetime(2021, 9, 3, 8, 0, tzinfo=VN)
    # Files whose parse a check takes, read or from the source cache: with no facts kept, a check
    # reads nothing after a build either (every parse is in the source cache), but takes them all.
    taken: list[str] = []
    parse_sources = sources.parse_sources

    def taking(site_dir, config, entries, *args, **kwargs):  # type: ignore[no-untyped-def]
        taken.extend(e.path for e in entries)
        return parse_sources(site_dir, config, entries, *args, **kwargs)

    monkeypatch.setattr(sources, "parse_sources", taking)

    def build() -> None:
        build_site(site, tmp_path / "out", BuildOptions(now=now))

    def checked() -> tuple[list[str], check.CheckOutcome]:
        spy.take()
        taken.clear()
        found = check.run_check(site, now, with_posts=False)
        asked = sorted(set(spy.take()) | set(taken))
        assert found == without_posts(check.run_check(site, now, use_cache=False))
        spy.take()
        return asked, found

    build()
    assert spy.take() == sorted(START)  # (the build read every file)
    asked, found = checked()
    assert asked == [] and {p.code for p in found.problems} == {"W070"}

    bad = site / "content/posts/2021/09/c.md"
    bad.write_text("---\ntitle: C\ndate: 2021-09-32\n---\nthân bài\n", encoding="utf-8")
    touch_later(bad)
    with pytest.raises(BuildFailed):
        build()
    asked, found = checked()
    assert asked == [] and any(p.path.endswith("c.md") and p.severity == "error" for p in found.problems)

    bad.write_text(post("C", "2021-09-01 10:00", body="Sửa lại."), encoding="utf-8")
    touch_later(bad)
    build()
    edited = site / "content/posts/2021/08/a.md"
    edited.write_text(post("A", "2021-08-02", body="Thêm một đoạn."), encoding="utf-8")
    touch_later(edited)
    build()
    asked, found = checked()
    assert asked == []  # (the edit's quick build kept the facts of the file it read)
    assert {p.code for p in found.problems} == {"W070"}

    (site / "site.yaml").write_text(QUOTA.replace("min_posts: 2", "min_posts: 1"), encoding="utf-8")
    build()
    asked, _ = checked()
    assert asked == []


def test_a_build_without_a_cache_file_keeps_no_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``BuildFacts`` on a cache that keeps nothing computes nothing (no frame, no facts); on a
    cache file it keeps the facts of every file and the data files' problems."""
    site = write_site(tmp_path / "site", dict(START), QUOTA)
    from cchc_site.config import load_valid_config
    from cchc_site.files import scan_content
    scan = scan_content(site)
    parsed = sources.parse_sources(site, load_valid_config(site), scan.sources,
                                   frozenset(rel for rel, _ in scan.static), Cache(None))

    def computed(*_args: object) -> None:
        raise AssertionError("computed for a cache that keeps nothing")

    with monkeypatch.context() as patched:
        patched.setattr(check, "check_frame", computed)
        patched.setattr(checkfacts, "facts_of", computed)
        keeper = check.BuildFacts(site, scan, Cache(None))
        keeper.keep(parsed)
        keeper.finish(parsed)
    cache = open_cache(site, None, clean=False)
    try:
        keeper = check.BuildFacts(site, scan, cache)
        frame = check.check_frame(site, scan)
        assert cache.check_fact_paths(frame) == set()
        keeper.finish(parsed)
        assert cache.check_fact_paths(frame) == set(START)
        assert isinstance(cache.record(check.FACTS_KEY, frame), tuple)
    finally:
        cache.close()
