"""The quick build: after a few posts (or the texts of pages and procedures) were edited, added
or deleted, only the pages that show them are made again (see :func:`quick_build`); the rest of
the output is the last whole build's.  Whenever it cannot be sure, it gives way to the whole
build (:mod:`cchc_site.wholebuild`), which reports problems.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .build import BuildResult, FAR_FUTURE, LastBuild
from .cache import Cache
from .check import BuildFacts
from .config import SiteConfig, load_valid_config
from .content import load_body
from .errors import SiteError, only_errors
from .files import ContentScan, SourceEntry
from .incremental import Fingerprinter
from .links import check_links, link_paths, targets_of
from .listed import (ListedPages, Relisted, Reorder, lists_again, order_key, pages_again, quota_with, relist, reorder,
                     same_date, same_order, same_place, same_tag_names)
from .models import Document, Page, Post, Procedure, is_shown
from .options import BuildOptions
from .output import OlderOutput, folder_id, write_file
from .parsed import Parsed
from .plan import (PlannedPage, card_for, plan_page, plan_post, plan_procedures, plan_statistics, post_lists,
                   shown_with, url_output_path)
from .publish import publish, reusable_files
from .quickstate import QuickState, keep_quick_state, load_quick_state
from .quota import QuotaReport, check_quota, compute_quota
from .rendered import RenderedStore, markdown_key, render_markdown_all
from .searchfiles import BACKGROUND_PATCH, FINGERPRINT_PREFIX, edited_search_patch, load_search_state, record_search_state
from .site import in_site_order
from .sources import cached_parses, parse_sources, shown_warnings
from .wholebuild import PendingSpare, listed_key, make_renderer
from .workers import Background, map_indices


QUICK_LIMIT = 20  # more content files changed than this: the whole build
QUICK_POOL = 60  # pages to render in a quick build from which both cores render them


def quick_build(site_dir: Path, output_dir: Path, options: BuildOptions, base_url: str | None, enforce_quota: bool,
                extra_globals: dict[str, object] | None, cache: Cache, scan: ContentScan, last: LastBuild,
                frame: str, started: float, live: Mapping[str, str], spare: PendingSpare) -> BuildResult | None:
    """The build after a few posts were edited or added: their own pages and the search index
    files holding their words are made again; when what other pages show of them changed (a
    title, a summary, categories, tags, their place in the order of posts), also the pages that
    show them (see :func:`_others_again`); the rest of the output is the last build's.  Pages and
    procedures whose text alone changed (not their front matter) are made again the same way
    (see :func:`_documents_again`).  None (do the whole build) in every other case (see
    :func:`_placed`), and whenever anything is wrong with the edited files: the whole build
    reports problems."""
    kept = load_quick_state(cache, output_dir, folder_id(output_dir))
    if kept is None or kept.state.frame != frame:
        return None
    state = kept.state
    entries = {e.path: e for e in scan.sources}
    changed = [e for path, e in entries.items() if state.sources.get(path) != e.stamp]
    deleted = [path for path in state.sources if path not in entries]
    if len(changed) + len(deleted) > QUICK_LIMIT or any(e.kind != "post" and e.path not in state.sources
                                                          for e in changed):
        return None  # (a new page or procedure: the whole build)
    config = load_valid_config(site_dir, base_url)  # unchanged since that build (the frame says so)
    static = frozenset(rel for rel, _ in scan.static)
    # what the last build showed of each edited or deleted post: its parse then, if the cache still has it
    earlier = cached_parses(cache, config, static, {path: state.sources[path] for path in
                                                    [*(e.path for e in changed if e.path in state.sources), *deleted]})
    before = _posts(earlier)
    if not _deletable(deleted, before, state, options):
        return None
    parsed = parse_sources(site_dir, config, changed, static, cache, complete=False,
                           keep_parsed=BuildFacts(site_dir, scan, cache).keep)  # (for the next check)
    posts = [item.result for item in parsed if isinstance(item.result, Post)]
    texts = [item.result for item in parsed if isinstance(item.result, (Page, Procedure))]
    if len(posts) + len(texts) != len(changed) or any(post.path in state.sources and post.path not in before
                                                      for post in posts):
        return None  # (a file with errors: the whole build reports them)
    known = {p.path: p for p in posts}  # posts by path: the edited ones, then those read from the cache
    placed = _placed(posts, before, state, options)
    # texts of pages and procedures go with posts edited in place only (the newest post's date stays)
    if placed is None or (texts and (placed or deleted or not all(_text_alone(doc, earlier.get(doc.path), options)
                                                                  for doc in texts))):
        return None
    old_order, reordered = state.order, None
    if placed or deleted:
        def is_published(path: str) -> bool | None:
            """(Every post a build without drafts or future posts shows is published.)"""
            if not (options.drafts or options.future):
                return True
            return None if _order_key(path, known, state, cache, config, static) is None else is_shown(
                known[path], options.now)

        found = reorder(state.order, placed, lambda path: _order_key(path, known, state, cache, config, static),
                        set(deleted), is_published)
        if found is None:
            return None
        new_order, reordered = found
        state = replace(state, order=tuple(new_order))
    load = lambda path, digest: load_body(site_dir, path, digest)  # noqa: E731
    rendered = render_markdown_all([*posts, *texts], config.base_path, cache, load)
    shown = [p for p in posts if is_shown(p, options.now, options.drafts, options.future)]
    new_warnings = shown_warnings(parsed, [*shown, *texts])
    new_urls = {post.url for post in posts if post.path not in before}
    gone_urls = [before[path].url for path in deleted]
    if only_errors(new_warnings) or check_links([*shown, *texts], rendered, state.known | new_urls, state.codes):
        return None
    search = load_search_state(cache, output_dir)
    if not live or search is None:
        return None
    patch_work = edited_search_patch(search, [*shown, *texts], rendered, config, options, cache, output_dir, live,
                                     None if reordered is None else (old_order, state.order))
    if patch_work is None:
        return None
    # the index files are made meanwhile (posts that took new places shift others in the index)
    search_job = Background(patch_work, fork=len(search.keys) >= BACKGROUND_PATCH)
    try:
        others: list[PlannedPage] = []  # pages besides the edited posts' own that show them
        quota = _quota_after(last.report(), posts, deleted, reordered is not None, config, options.now)
        if quota is not None and enforce_quota and check_quota(quota):
            return None  # the whole build reports it
        relisted: Relisted | None = None  # the lists after posts moved to other categories or tags
        linked = state.linked | link_paths([*shown, *texts], rendered)
        if reordered is not None or not all(_same_for_other_pages(before[post.path], post, rendered, cache, config)
                                            for post in posts):
            # what other pages show of them changed (title, summary, categories, place...)
            listed = cache.record(listed_key(output_dir), state.listed) if state.listed else None
            again = _others_again(shown, before, listed, state, quota, known, options, cache, config, static, load,
                                  reordered)
            if again is None:
                return None
            others, rendered, relisted = again
        # URLs of the pages that go: of lists that now have fewer pages, of the posts deleted
        removed = (*(relisted.removed if relisted is not None else ()), *gone_urls)
        if any(not linked.isdisjoint(targets_of(url)) for url in removed):
            return None  # a document links to a page that goes: the whole build reports it

        renderer = make_renderer(site_dir, config, state.menu, rendered, options, extra_globals, cache)
        fingerprints = Fingerprinter(state.salt)
        wanted = dict(live)
        made: dict[str, bytes] = {}
        for post in shown:
            page = _plan_post_again(post, state, known, rendered, options, cache, config, static)
            if page is None:
                return None
            others.append(page)
        if texts:
            pages = _documents_again(texts, state, known, entries, options, cache, config, static)
            if pages is None:
                return None
            others += pages
        for url in removed:
            if wanted.pop(url_output_path(url), None) is None:
                return None  # (not in the live output: the whole build)
        todo: list[PlannedPage] = []
        for page in others:
            wanted[page.output_path] = fingerprints.page(page)
            if live.get(page.output_path) != wanted[page.output_path]:
                todo.append(page)
        for i, body in map_indices(lambda i: renderer.render(todo[i]), list(range(len(todo))),
                                   min_items=QUICK_POOL, chunk_size=20):
            if isinstance(body, SiteError):
                return None
            made[todo[i].output_path] = body

        reusable = reusable_files(wanted, live, output_dir)  # (while the index is patched)
        try:
            patched = search_job.result()
        except RuntimeError:  # the forked process died or failed: the whole build
            return None
        if patched is None:
            return None
        search_files, search_state = patched
        for rel in [rel for rel, fp in live.items() if fp.startswith(FINGERPRINT_PREFIX) and rel not in search_files]:
            del wanted[rel]  # (documents removed from the end of the index: their rows' file goes)
        for rel, (digest, data) in search_files.items():
            wanted[rel] = FINGERPRINT_PREFIX + digest
            if data is not None:
                made[rel] = data

        reusable = {rel for rel in reusable if rel in wanted and wanted[rel] == live.get(rel)}  # (the index's too)
        if set(wanted) - reusable - set(made):
            return None  # files of the live output were deleted or changed by hand: the whole build

        def produce(work: Path, make: set[str], _like: OlderOutput | None) -> None:
            for rel in sorted(make):
                write_file(work, rel, made[rel])

        spare.settle(cache)
        published = publish(output_dir, cache, wanted, live, reusable, produce)
        if published.output_id:
            record_search_state(cache, output_dir, search, search_state, published.output_id)
            if relisted is not None:
                cache.put_record(listed_key(output_dir), relisted.listed, published.output_id)
            keep_quick_state(cache, output_dir, replace(
                state, sources={e.path: e.stamp for e in scan.sources}, linked=linked,
                known=state.known.difference(removed).union(page.url for page in others),
                listed=published.output_id if relisted is not None else state.listed), published.output_id, kept)
        changed_paths = {e.path for e in changed} | set(deleted)
        warnings = [w for w in last.warnings if w.path not in changed_paths]
        return BuildResult(published.made, len(wanted), time.perf_counter() - started, quota,
                           tuple(sorted(set(warnings + new_warnings))), reused=len(wanted) - published.made,
                           unchanged=published.unchanged,
                           next_event=None if last.valid_until == FAR_FUTURE else last.valid_until)
    finally:
        search_job.stop()


def _quota_after(quota: QuotaReport | None, posts: list[Post], deleted: list[str], reordered: bool,
                 config: SiteConfig, now: datetime) -> QuotaReport | None:
    """The last build's quota with the edited or new ``posts``, without the ``deleted`` ones:
    counted again when posts took new places or left (the report holds every post it counts),
    else the same counts with them in."""
    if quota is None or config.quota is None:
        return None
    if not reordered:
        return quota_with(quota, {post.path: post for post in posts})
    edited = {post.path for post in posts} | set(deleted)
    return compute_quota([*(p for m in quota.months for p in m.posts if p.path not in edited), *posts],
                         config.quota, now)


def _deletable(deleted: list[str], before: Mapping[str, Post], state: QuickState, options: BuildOptions) -> bool:
    """Whether the quick build can take the ``deleted`` files out: posts the last build showed
    (their parse still in the cache), none dated after now (the first such date is when the
    output must be built again)."""
    if not deleted:
        return True
    if any(path not in before or before[path].date > options.now for path in deleted):
        return False
    return set(deleted) <= set(state.order)


def _placed(posts: list[Post], before: Mapping[str, Post], state: QuickState,
            options: BuildOptions) -> list[Post] | None:
    """The posts among ``posts`` (edited or new) that take a new place in the order of posts: a
    new post, a post with another date in the same month (its URL stays), a draft made public or
    back in a build that shows drafts.  None when one changes what only the whole build plans: a
    URL, a post that appears or goes, a date after now (then the output must be built again at
    the first such date), a new post on the URL of another document."""
    placed: list[Post] = []
    for post in posts:
        old = before.get(post.path)
        if old is not None and same_order(old, post):
            continue
        if not is_shown(post, options.now, options.drafts, options.future) or post.date > options.now:
            return None
        if old is None:
            if post.url in state.known or post.url in state.unlisted:
                return None
        elif not (old.url == post.url and old.month == post.month and old.date <= options.now
                  and is_shown(old, options.now, options.drafts, options.future)):
            return None
        placed.append(post)
    return placed


def _order_key(path: str, known: dict[str, Post], state: QuickState, cache: Cache, config: SiteConfig,
               static: frozenset[str]) -> tuple[datetime, str] | None:
    """The :func:`order_key` of the post at ``path`` (read from the cache when not known)."""
    return order_key(known[path]) if _recall([path], known, state, cache, config, static) else None


def _others_again(shown: list[Post], before: Mapping[str, Post], listed: object, state: QuickState,
                  quota: QuotaReport | None, known: dict[str, Post], options: BuildOptions, cache: Cache,
                  config: SiteConfig, static: frozenset[str], load: Callable[[str, str], str],
                  reordered: Reorder | None) -> tuple[list[PlannedPage], RenderedStore, Relisted | None] | None:
    """The pages besides their own that show the edited posts (``known``: by path; ``shown``:
    those published; ``before``: as the last build saw them), planned again as the whole build
    plans them: the lists and the feed that hold their cards, their neighbours' pages, the
    statistics page (``quota``: with the edited posts); for posts moved to other categories or
    tags, the lists they left or joined, the pages of categories and tags (their counts) and
    sitemap.xml (the lists' dates and pages); for posts that took new places (``reordered``;
    ``state.order`` is the new order), every list they are on, their old and new neighbours, the
    archives' counts and what is dated by the newest post.  Also the rendered Markdown of every
    post these show, and the lists after the move (None: no post moved).  None when something
    needed is not in the cache, or a list appears or empties."""
    if not isinstance(listed, ListedPages) or (listed.has_statistics and quota is None):
        return None
    order = state.order
    place = {path: i for i, path in enumerate(order)}
    if any(post.path not in place for post in shown):
        return None
    edited = {place[post.path] for post in shown}
    moves = {place[post.path]: (post_lists(before[post.path]) if post.path in before else {}, post_lists(post))
             for post in shown if post.path not in before or not same_place(before[post.path], post)}
    relisted = relist(listed, moves, config.posts_per_page, reordered) if moves or reordered else None
    if (moves or reordered) and relisted is None:
        return None
    lists = lists_again(listed, relisted, edited)
    on_lists = {i for page in lists for i in page.context["cards"]}
    firsts = relisted.firsts if relisted is not None else {}
    neighbours = {j for i in edited for j in (i - 1, i + 1) if 0 <= j < len(order)}
    if reordered is not None:  # the old neighbours of the posts that moved or went are now each other's
        renumber = reordered.renumber
        left = [i for i, new in enumerate(renumber) if new < 0 or new in reordered.placed]
        neighbours |= {renumber[j] for i in left for j in (i - 1, i + 1) if 0 <= j < len(renumber) and renumber[j] >= 0}
    neighbours -= edited
    shows = on_lists | ({0} | set(reordered.placed) | set(relisted.heads.values())
                        if reordered is not None and relisted is not None else set())
    needed = shows | neighbours | set(firsts.values())
    if not _recall([order[i] for i in needed], known, state, cache, config, static):
        return None
    if relisted is not None and not same_tag_names(relisted.listed, {url: known[order[i]] for url, i in firsts.items()}):
        return None
    rendered = render_markdown_all(list(known.values()), config.base_path, cache, load)
    again = pages_again(lists, {i: card_for(known[order[i]], rendered, options.now) for i in shows}, relisted)
    if again is None:
        return None
    pages, relisted = again
    for i in sorted(neighbours):
        page = _plan_post_again(known[order[i]], state, known, rendered, options, cache, config, static)
        if page is None:
            return None
        pages.append(page)
    if listed.has_statistics and quota is not None:  # (the quota holds the edited posts already)
        lastmod = relisted.listed.statistics_lastmod if relisted is not None else listed.statistics_lastmod
        pages.append(plan_statistics(quota, lastmod))
    return pages, rendered, relisted


def _posts(parses: Mapping[str, Parsed]) -> dict[str, Post]:
    return {path: item.result for path, item in parses.items() if isinstance(item.result, Post)}


def _recall(paths: list[str], known: dict[str, Post], state: QuickState, cache: Cache, config: SiteConfig,
            static: frozenset[str]) -> bool:
    """Adds to ``known`` (posts by path) the posts at ``paths`` as the last build read them (their
    parse then, from the cache); whether every one of them is known now."""
    missing = {path: state.sources[path] for path in paths if path not in known and path in state.sources}
    if missing:
        known.update(_posts(cached_parses(cache, config, static, missing)))
    return all(path in known for path in paths)


def _same_for_other_pages(old: Post, new: Post, rendered: RenderedStore, cache: Cache, config: SiteConfig) -> bool:
    """Whether every page but the post's own shows the same of ``new`` as of ``old``: all its
    fields but the content digest are equal, and so is the summary lists show (the last build's
    from the cache: unknown there means not the same)."""
    if replace(old, digest="") != replace(new, digest="") or not same_date(old, new):
        return False
    if old.summary:  # the author's summary, equal on both sides
        return True
    meta = cache.markdown_meta([markdown_key(old.digest, config.base_path)])
    return any(summary == rendered[new.digest].summary for summary, _ in meta.values())


def _text_alone(doc: Document, old: Parsed | None, options: BuildOptions) -> bool:
    """Whether only the text of the page or procedure ``doc`` changed (its front matter as the last
    build read it: ``old``), and that build showed it: no other page shows its text."""
    return (old is not None and not isinstance(old.result, list) and shown_with(doc, options)
            and replace(old.result, digest="") == replace(doc, digest=""))


def _documents_again(texts: Sequence[Document], state: QuickState, known: dict[str, Post],
                     entries: Mapping[str, SourceEntry], options: BuildOptions, cache: Cache, config: SiteConfig,
                     static: frozenset[str]) -> list[PlannedPage] | None:
    """The pages of the edited pages and procedures (``texts``) as the whole build plans them: a
    page's own; for procedures, every page that lists procedures and their own pages (the others
    are read from the cache; fingerprints tell which of these pages changed: the edited ones' and
    the lists holding them).  None when a document needed is not in the cache."""
    newest = state.order[0] if state.order else None
    if newest is not None and not _recall([newest], known, state, cache, config, static):
        return None
    lastmod = known[newest].date if newest is not None else None  # (the newest post's: plan_site's site_lastmod)
    pages = [plan_page(doc, lastmod) for doc in texts if isinstance(doc, Page)]
    edited = {doc.path: doc for doc in texts if isinstance(doc, Procedure)}
    if edited:
        paths = {path: entry.stamp for path, entry in entries.items() if entry.kind == "procedure"}
        found = {path: item.result for path, item in
                 cached_parses(cache, config, static, {p: st for p, st in paths.items() if p not in edited}).items()}
        procedures = [doc for doc in (edited.get(path) or found.get(path) for path in paths)
                      if isinstance(doc, Procedure)]
        if len(procedures) != len(paths):
            return None
        pages += plan_procedures(config, in_site_order(procedures), options, lastmod)
    return pages


def _plan_post_again(post: Post, state: QuickState, known: dict[str, Post], rendered: RenderedStore,
                     options: BuildOptions, cache: Cache, config: SiteConfig,
                     static: frozenset[str]) -> PlannedPage | None:
    """A post's page as the whole build plans it, its neighbours read from the cache."""
    order = state.order
    try:
        i = order.index(post.path)
    except ValueError:
        return None
    if not _recall([order[j] for j in (i - 1, i + 1) if 0 <= j < len(order)], known, state, cache, config, static):
        return None
    newer = known[order[i - 1]] if i > 0 else None
    older = known[order[i + 1]] if i + 1 < len(order) else None
    return plan_post(post, card_for(post, rendered, options.now), newer, older)


