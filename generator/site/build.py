"""Build the public site: phase 1 gathers a context, phase 2 renders it through the writer.

Pipeline (docs/site.md §4)::

    content/ + results + draws/  ─load─▶  SiteData (indexes, metrics)     phase 1
    SiteData ─PageSet─▶ [Page(path, template, context, key)]
    pages ─claim─▶ SiteWriter (a second claim of one path fails)
    pages ─render (big sites: this process + 1 forked worker)─▶ staging dir  phase 2
          └─ every rendered page's links are checked; a broken link fails the build
    staging ─commit─▶ output (full build: atomic directory swap;
                              incremental: only changed files, journalled)

Every page is rendered with Jinja2 (autoescape on, ``StrictUndefined``) from ``site_templates/``
(found by :mod:`generator.site.templates_dir`, also in an installed wheel).
Links are relative, so the site works under any sub-path and from ``file://``. The output embeds
no wall-clock time: the same inputs give byte-identical files.

**Incremental builds.** ``.gongkai-manifest.json`` in the output maps each output path to the
hash of its inputs (:mod:`generator.site.pages`). A rebuild renders only pages whose key changed
(plus the few pages that depend on everything, which are rewritten only if their bytes changed).
A change of templates, site code, site configuration, departments, plan or task names, or a
removed page forces a full build.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Lock
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from generator.content.model import Content
from generator.content.results import InspectionResult
from generator.site import links
from generator.site.cache import (
    cache_dir_for,
    calendar_key,
    library_digests,
    load_content_cached,
    load_deadlines,
    load_derived,
    load_lines,
    load_memo,
    paused_gc,
    store_deadlines,
    store_derived,
    store_lines,
    store_memo,
)
from generator.site.cache import content_key as content_hash
from generator.site.data import (
    LedgerRecord,
    SiteData,
    derive,
    read_ledger,
)
from generator.site.ledgerfiles import draw_proofs, ledger_info, publish_into, verified_ledger
from generator.site.page import BulkPages
from generator.site.pages import Page, PageSet, digest
from generator.site.renderer import Renderer
from generator.site.search import (
    bundles_for,
    pagefind_available,
    run_pagefind,
    search_shards,
)
from generator.site.templates_dir import default_templates
from generator.site.urls import base_path, relative_url
from generator.site.writer import JOURNAL, SiteWriter, write_file

if TYPE_CHECKING:
    from ledger.verified import VerifiedLedger

__all__ = ["BuildReport", "build_site", "default_templates", "relative_url"]

#: Templates of bulk pages (one per business): their ids are not kept for the fragment check
#: (no page links into them with a ``#fragment``), which keeps the parent's memory flat.
BULK = frozenset({"entity.html"})
#: The incremental-build manifest, inside the output directory.
MANIFEST = ".gongkai-manifest.json"
MANIFEST_VERSION = 2
#: Below this many pages to render, render in this process (forking costs more than it saves).
PARALLEL_THRESHOLD = 2000
#: The fewest pages a render process takes at once (from the shared list of spans).
MIN_SPAN = 200


@dataclass(frozen=True)
class BuildReport:
    """What a build produced.

    Attributes:
        pages: HTML pages in the site.
        files: all files in the site (excluding the search index).
        rendered: outputs produced by this build (the rest were unchanged and skipped).
        written: outputs whose bytes changed and were written.
        incremental: whether the build reused the previous output.
        output: the output directory.
        search: whether a Pagefind index was built.
    """

    pages: int
    files: int
    rendered: int
    written: int
    incremental: bool
    output: Path
    search: bool = False


def templates_hash(templates: Path) -> str:
    """Hash of every template and static file, and of the site generator's own code."""
    h = hashlib.blake2b(digest_size=16)
    code = Path(__file__).resolve().parent
    files = sorted(p for p in templates.rglob("*") if p.is_file())
    files += sorted(code.rglob("*.py"))  # the page types of pagetypes/ included
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def build_site(
    content_dir: Path,
    output: Path,
    templates: Path | None = None,
    *,
    results: Sequence[InspectionResult] = (),
    task_facts: Mapping[str, Any] | None = None,
    record: LedgerRecord | None = None,
    draws_dir: Path | None = None,
    search: bool | None = None,
    incremental: bool = True,
    jobs: int | None = None,
) -> BuildReport:
    """Validate ``content_dir`` and build the site into ``output``.

    Args:
        content_dir: the ``content/`` directory.
        output: the site directory; replaced atomically (full build) or updated file by file
            after the whole build succeeded (incremental build).
        templates: the template directory (default :func:`default_templates`).
        results: the published inspection results (from the ledger).
        task_facts: ledger events and drawn lists by task (generator.workflow.timeline).
        record: published plans, as-of date and preview flag (:class:`LedgerRecord`); a plan
            changed after ``plan.publish`` stops the build (ContentError).
        draws_dir: the ledger directory (``checkpoint``, ``trust.txt``); default
            ``content_dir/../draws`` when it exists.
        search: build the Pagefind index (None: when ``pagefind`` is installed).
        incremental: reuse unchanged outputs of a previous build (see the module docstring).
        jobs: processes that render, this one included (default: up to 2).

    Raises:
        ContentError: when the content has errors (nothing is written).
        jinja2.TemplateError: when a template is broken (the previous site is kept).
        links.BrokenLinkError: when a page links to a file the site does not have.
        SiteWriteError: when two pages map to one path.
    """
    try:
        if incremental:
            content, content_key = load_content_cached(content_dir, cache_dir_for(output))
        else:
            from generator.content.loader import load_content  # (a republish never needs it)

            content, _ = load_content(content_dir)
            content_key = content_hash(content_dir).hex()
        if draws_dir is None and (content_dir.parent / "draws").is_dir():
            draws_dir = content_dir.parent / "draws"
        return build_from_content(
            content,
            output,
            templates,
            results=results,
            task_facts=task_facts,
            record=record,
            draws_dir=draws_dir,
            search=search,
            incremental=incremental,
            jobs=jobs,
            content_key=content_key,
            cache_dir=cache_dir_for(output) if incremental else None,
        )
    finally:
        gc.unfreeze()  # the content cache froze the records it built (cache.paused_gc)


def build_from_content(
    content: Content,
    output: Path,
    templates: Path | None = None,
    *,
    results: Sequence[InspectionResult] = (),
    task_facts: Mapping[str, Any] | None = None,
    record: LedgerRecord | None = None,
    draws_dir: Path | None = None,
    search: bool | None = None,
    incremental: bool = True,
    jobs: int | None = None,
    content_key: str | None = None,
    cache_dir: Path | None = None,
) -> BuildReport:
    """:func:`build_site` for content that is already loaded.

    ``content_key`` (a hash of the content directory) and ``cache_dir`` enable the memo of
    content-only page keys (:class:`PageSet`); without them every key is computed.
    """
    try:
        return _build(
            content,
            output,
            templates,
            results=results,
            task_facts=task_facts,
            record=record,
            draws_dir=draws_dir,
            search=search,
            incremental=incremental,
            jobs=jobs,
            content_key=content_key,
            cache_dir=cache_dir,
        )
    finally:
        gc.unfreeze()  # phase 1 froze the site data (cache.paused_gc)


def _build(
    content: Content,
    output: Path,
    templates: Path | None,
    *,
    results: Sequence[InspectionResult],
    task_facts: Mapping[str, Any] | None,
    record: LedgerRecord | None,
    draws_dir: Path | None,
    search: bool | None,
    incremental: bool,
    jobs: int | None,
    content_key: str | None,
    cache_dir: Path | None,
) -> BuildReport:
    templates = templates or default_templates()
    if search is None:
        search = pagefind_available()
    code_key = templates_hash(templates)
    derived_id = digest(content_key, code_key) if content_key else None
    derived = _derived(content, cache_dir, derived_id)
    calendar = calendar_key() if cache_dir is not None else None
    deadlines = load_deadlines(cache_dir, calendar) if cache_dir and calendar else None
    if record is not None:  # the content must be what the ledger published (docs/site.md §8.1)
        record.check_content(
            content, library_digests(content, record.library, cache_dir, content_key)
        )
    verified = verified_ledger(draws_dir, record)  # the one audit of this build
    # Phase 1 builds many small acyclic objects that live until the end (cache.paused_gc).
    with paused_gc():
        data = _site_data(content, results, draws_dir, verified, derived, deadlines, record)
        if task_facts is not None:
            data.task_facts = task_facts
        shared = _shared_key(content, data, code_key, search)
        memo_id = digest(content_key, shared) if content_key else None
        memo = load_memo(cache_dir, memo_id) if cache_dir is not None and memo_id else None
        lines = load_lines(cache_dir, shared) if cache_dir is not None else None
        page_set = PageSet(
            data, shared, search=search, content_key=content_key, memo=memo, lines=lines
        )
        pages = page_set.build()
        bulk = page_set.bulk
        keys = {p.path: p.key for p in pages if p.key}
        bulk_paths = "\n".join(bulk.paths)
        old = _old_manifest(output, shared) if incremental else None
        old, old_bulk = _reusable(old, keys, bulk, bulk_paths)
    writer = SiteWriter(output)
    try:
        previous = output.resolve() if old is not None else None
        ledger_files = publish_into(verified, writer, _existing(output), previous is not None)
        data.ledger_files = frozenset(ledger_files)
        for p in pages:
            writer.claim(p.path)
        writer.claim_many(bulk.paths)
        writer.claim(MANIFEST)
        old_pages = old.pages if old is not None else {}
        todo = [p for p in pages if old is None or p.key is None or old_pages.get(p.path) != p.key]
        bulk_todo = _bulk_todo(old, old_bulk, bulk)
        for p in todo:
            if p.path in page_set.eager and p.data is not None:
                p.data = _const(p.data())  # produced here: it fills a cache of this process
        page_set.release()
        renderer = Renderer(templates, data, cache_dir)
        exists = frozenset(writer.claimed) | _generated(search)
        state = _State(
            renderer,
            todo,
            bulk.make,
            bulk_todo,
            writer.staging,
            exists,
            base_path(content.site.base_url),
            previous,
        )
        written, check = _render(state, jobs)
        writer.mark_staged(written)
        broken = check.broken + links.check_fragments(check.fragments, check.ids)
        if broken:
            raise links.BrokenLinkError(broken)
        _stage_manifest(writer, previous, _manifest_body(shared, keys, bulk_paths, bulk))
        reindex = _index_and_commit(writer, data, search, old is None, written)
    except BaseException:
        writer.abort()
        raise
    if cache_dir is not None and memo_id and page_set.memo and memo != page_set.memo:
        store_memo(cache_dir, memo_id, page_set.memo)
    if cache_dir is not None and calendar and data.deadlines != (deadlines or {}):
        store_deadlines(cache_dir, calendar, data.deadlines)
    if cache_dir is not None and page_set.lines is not lines and page_set.lines != lines:
        store_lines(cache_dir, shared, page_set.lines)
    html = sum(1 for p in pages if p.path.endswith(".html")) + len(bulk.paths)
    return BuildReport(
        pages=html,
        files=len(pages) + len(bulk.paths) + 1,
        rendered=len(todo) + len(bulk_todo),
        written=len(written),
        incremental=old is not None,
        output=output,
        search=bool(search) and (old is None or bool(reindex)),
    )


def _site_data(
    content: Content,
    results: Sequence[InspectionResult],
    draws_dir: Path | None,
    verified: VerifiedLedger | None,
    derived: dict[str, Any] | None,
    deadlines: dict[int, tuple[int | None, str]] | None,
    record: LedgerRecord | None,
) -> SiteData:
    """The site data: content, results and what the audited ledger proves (with the draw
    proofs); without an audited ledger, the checkpoint of ``draws_dir`` as it is, if any."""
    info = ledger_info(verified) if verified is not None else read_ledger(draws_dir)
    data = SiteData(content, results, info, derived, deadlines, record)
    if verified is not None:
        data.draw_proofs = draw_proofs(verified)
    return data


def _derived(
    content: Content, cache_dir: Path | None, derived_id: str | None
) -> dict[str, Any] | None:
    """The values derived from ``content`` (:func:`derive`), from the cache entry ``derived_id``
    (made and stored when missing); ``None`` without a cache."""
    if cache_dir is None or not derived_id:
        return None
    derived = load_derived(cache_dir, derived_id)
    if derived is None:
        derived = derive(content)
        store_derived(cache_dir, derived_id, derived)
    return derived


def _shared_key(content: Content, data: SiteData, code_key: str, search: bool) -> str:
    """The hash of what every page depends on (templates, code, site config, departments …)."""
    return digest(
        MANIFEST_VERSION,
        code_key,
        content.site,
        content.departments,
        [(p.id, p.year, p.title) for p in content.plans],
        data.preview,
        sorted(data.unpublished),
        [(t.task.id, t.task.name) for t in data.tasks],
        search,
    )


def _reusable(
    old: _Manifest | None, keys: dict[str, str], bulk: BulkPages, bulk_paths: str
) -> tuple[_Manifest | None, list[str] | dict[str, str]]:
    """The previous manifest ``old`` if an incremental build may reuse it, and its business-page
    keys (a list by position if the business pages are the same, else a dict by path).

    ``old`` is dropped (full build) when a page disappeared: unchanged pages may link to it.
    """
    if old is None:
        return None, []
    old_bulk: list[str] | dict[str, str]
    if old.bulk_paths == bulk_paths:  # the same business pages: compare keys by position
        old_bulk = old.bulk_keys
        gone = not keys.keys() >= old.pages.keys()
    else:
        old_bulk = dict(zip(old.bulk_paths.split("\n"), old.bulk_keys, strict=False))
        now = set(bulk.paths)
        gone = not (keys.keys() | now) >= (old.pages.keys() | old_bulk.keys())
    return (None, old_bulk) if gone else (old, old_bulk)


def _bulk_todo(
    old: _Manifest | None, old_bulk: list[str] | dict[str, str], bulk: BulkPages
) -> Sequence[int]:
    """Business pages to render, by position (their Page objects are made by the process
    that renders them: a full build does not hold 100,000 of them)."""
    if old is None:
        return range(len(bulk.paths))
    if isinstance(old_bulk, list):
        return [
            i for i, (was, key) in enumerate(zip(old_bulk, bulk.keys, strict=True)) if was != key
        ]
    get = old_bulk.get
    return [
        i
        for i, (path, key) in enumerate(zip(bulk.paths, bulk.keys, strict=True))
        if get(path) != key
    ]


def _manifest_body(shared: str, keys: dict[str, str], bulk_paths: str, bulk: BulkPages) -> bytes:
    """The bytes of the incremental-build manifest."""
    manifest = {
        "version": MANIFEST_VERSION,
        "shared": shared,
        "pages": {k: keys[k] for k in sorted(keys)},
        # The business pages as two newline-separated strings (fast to read and write).
        "bulk": {"paths": bulk_paths, "keys": "\n".join(bulk.keys)},
    }
    return json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode()


def _stage_manifest(writer: SiteWriter, previous: Path | None, body: bytes) -> None:
    """Stage the manifest ``body`` unless the previous output (``previous``) has these bytes."""
    if previous is None or not _same(previous / MANIFEST, body):
        write_file(writer.staging, MANIFEST, body)
        writer.mark_staged([MANIFEST])


def _index_and_commit(
    writer: SiteWriter, data: SiteData, search: bool, full: bool, written: list[str]
) -> set[str] | None:
    """Build the Pagefind index (all of it in a full build, else the bundles of the ``written``
    pages and the missing ones) and commit the staged output; the bundles indexed, if any.

    Raises what :func:`run_pagefind` and the writer's commit raise (the caller aborts)."""
    reindex: set[str] | None = None
    if search:
        reindex = {b for b, _ in search_shards()}
        if not full:
            reindex &= bundles_for(written) | _missing_bundles(writer.target, reindex)
        if full:
            run_pagefind(writer.staging)
    if full:
        writer.commit_full()
    else:
        writer.commit_incremental()
        if reindex:
            run_pagefind(writer.target, only=reindex)
    return reindex


def _const(body: bytes | str) -> Callable[[], bytes | str]:
    return lambda: body


def _missing_bundles(output: Path, bundles: set[str]) -> set[str]:
    return {b for b in bundles if not (output / b / "pagefind-entry.json").is_file()}


def _existing(output: Path) -> Path | None:
    return output.resolve() if output.is_dir() else None


@dataclass(frozen=True)
class _Manifest:
    """The previous build's keys: other pages by path; business pages as parallel lists."""

    pages: dict[str, str]
    bulk_paths: str
    bulk_keys: list[str]


def _old_manifest(output: Path, shared: str) -> _Manifest | None:
    path = output / MANIFEST
    if not path.is_file() or (output / JOURNAL).exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != MANIFEST_VERSION
        or data.get("shared") != shared
    ):
        return None
    pages, bulk = data.get("pages"), data.get("bulk")
    if not isinstance(pages, dict) or not isinstance(bulk, dict):
        return None
    paths, keys = bulk.get("paths"), bulk.get("keys")
    if not isinstance(paths, str) or not isinstance(keys, str):
        return None
    key_list = keys.split("\n") if keys else []
    if len(key_list) != (paths.count("\n") + 1 if paths else 0):
        return None
    return _Manifest(pages, paths, key_list)


# ---- rendering -------------------------------------------------------------------------------


@dataclass
class _State:
    renderer: Renderer
    pages: list[Page]
    make: Callable[[int], Page]  # makes the business page at a position
    bulk: Sequence[int]  # positions of the business pages to render (after ``pages``)
    staging: Path
    exists: frozenset[str]
    base_path: str
    previous: Path | None  # the old site (incremental builds compare bytes against it)

    def __len__(self) -> int:
        return len(self.pages) + len(self.bulk)

    def page(self, i: int) -> Page:
        """The ``i``-th page to render: ``pages``, then the business pages."""
        pages = self.pages
        return pages[i] if i < len(pages) else self.make(self.bulk[i - len(pages)])


@dataclass
class _Check:
    broken: list[tuple[str, str]]
    fragments: list[tuple[str, str, str, str]]
    ids: dict[str, frozenset[str]]


_STATE: _State | None = None
#: A span's result: (its first page, paths written, what the link check found).
_Done = tuple[int, list[str], _Check]


class RenderWorkerError(Exception):
    """A render worker process died without reporting (killed, out of memory)."""


def _render(state: _State, jobs: int | None) -> tuple[list[str], _Check]:
    """Render every page of ``state`` into the staging directory.

    Big builds render in this process and ``jobs - 1`` forked workers at once; they take spans
    of pages from a shared counter. (The workers inherit the site data copy-on-write; this
    process renders too instead of waiting, which saves a copy of its memory.)

    Raises:
        Exception: what rendering a page raised (in any process), e.g. ``jinja2.TemplateError``.
        RenderWorkerError: when a worker process died without reporting.
    """
    global _STATE  # inherited by forked workers
    n = len(state)
    jobs = jobs or min(2, os.cpu_count() or 1)
    if jobs <= 1 or n < PARALLEL_THRESHOLD or sys.platform == "win32":
        return _merge([_render_span(state, 0, n, set())])
    size = max(MIN_SPAN, n // (jobs * 32))  # small spans: the processes end together
    spans = [(i, min(n, i + size)) for i in range(0, n, size)]
    ctx = multiprocessing.get_context("fork")
    queue = _Spans(spans, ctx.RawValue("q", 0), ctx.Lock())
    workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    gc.freeze()  # collections in the workers then leave the inherited objects alone
    _trim_heap()
    _STATE = state
    finished = False
    try:
        for _ in range(jobs - 1):
            recv, send = ctx.Pipe(duplex=False)
            worker = ctx.Process(target=_worker, args=(queue, send), daemon=True)
            worker.start()
            send.close()
            workers.append((worker, recv))
        done = queue.render(state)
        for proc, recv in workers:
            try:
                status, payload = recv.recv()
            except EOFError:
                proc.join()
                raise RenderWorkerError(f"渲染子进程意外退出（退出码 {proc.exitcode}）") from None
            if status == "error":
                raise payload
            done += payload
        finished = True
    finally:
        _STATE = None
        if not finished:
            queue.stop()
        for proc, recv in workers:
            recv.close()
            if not finished:
                proc.terminate()
            proc.join()
    return _merge(done)


def _trim_heap() -> None:
    """Give the C heap's free memory back to the system (glibc ``malloc_trim``) before forking:
    the load phase freed tens of MiB of big strings and buffers, which a forked worker would
    otherwise map (and count) as well. Does nothing where ``malloc_trim`` is missing."""
    if sys.platform != "linux":
        return
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


class _Counter(Protocol):
    value: int


@dataclass
class _Spans:
    """Spans of pages to render, taken in order by every render process (shared memory)."""

    spans: list[tuple[int, int]]
    next: _Counter  # the next span to take (under ``lock``)
    lock: Lock

    def render(self, state: _State) -> list[_Done]:
        """Render spans (:func:`_render_span`) until none is left."""
        made: set[str] = set()
        done: list[_Done] = []
        while True:
            with self.lock:
                k = self.next.value
                self.next.value = k + 1
            if k >= len(self.spans):
                return done
            done.append(_render_span(state, *self.spans[k], made))

    def stop(self) -> None:
        """Leave no span to take (the other processes stop after their current span)."""
        with self.lock:
            self.next.value = len(self.spans)


def _worker(queue: _Spans, send: Connection) -> None:
    """A forked render worker: render spans until none is left; send the results, or the
    exception, back to the parent."""
    state = _STATE
    assert state is not None
    try:
        send.send(("ok", queue.render(state)))
    except BaseException as exc:  # the parent raises it
        queue.stop()
        try:
            send.send(("error", exc))
        except Exception:  # an exception that does not pickle: send its text
            text = "".join(traceback.format_exception(exc))
            send.send(("error", RuntimeError(text)))
    finally:
        send.close()


def _merge(done: list[_Done]) -> tuple[list[str], _Check]:
    written: list[str] = []
    check = _Check([], [], {})
    for _, w, c in sorted(done, key=_first):
        written += w
        check.broken += c.broken
        check.fragments += c.fragments
        check.ids.update(c.ids)
    return written, check


def _first(done: _Done) -> int:
    return done[0]


def _render_span(state: _State, start: int, end: int, made: set[str]) -> _Done:
    """Render, check and write the pages ``start`` to ``end`` (exclusive) of ``state``.

    ``made`` holds the staging subdirectories this process created or found (it grows).
    """
    written: list[str] = []
    check = _Check([], [], {})
    staging = f"{state.staging}/"
    render = state.renderer.render
    exists, base = state.exists, state.base_path
    known: dict[str, set[str]] = {}
    for i in range(start, end):
        page = state.page(i)
        if page.template is not None:
            text = render(page.template, page.path, page.context())
            result = links.check_page(
                page.path, text, exists, base, page.template not in BULK, known
            )
            if result.broken:
                check.broken += result.broken
            if result.fragments:
                check.fragments += result.fragments
            if result.ids:
                check.ids[page.path] = result.ids
            body = text.encode("utf-8")
        else:
            assert page.data is not None
            raw = page.data()
            body = raw.encode("utf-8") if isinstance(raw, str) else raw
        if (
            state.previous is not None
            and page.key is None
            and _same(state.previous / page.path, body)
        ):
            continue
        _write(staging, page.path, body, made)
        written.append(page.path)
    return start, written, check


def _write(staging: str, rel: str, body: bytes, made: set[str]) -> None:
    """Write ``body`` to ``staging + rel`` (``staging`` ends with ``/``), creating the parent
    directory unless it is in ``made`` (the directories known to exist; updated).

    The staging directory starts empty, so a new directory is created without first failing
    to open the file (two system calls per business page, not three).
    """
    folder = rel.rpartition("/")[0]
    if folder and folder not in made:
        try:
            os.mkdir(staging + folder)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(staging + folder, exist_ok=True)
        made.add(folder)
    fd = os.open(staging + rel, _CREATE, 0o666)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _same(path: Path, body: bytes) -> bool:
    try:
        return path.stat().st_size == len(body) and path.read_bytes() == body
    except OSError:
        return False


# ---- ledger and search ----------------------------------------------------------------------


def _generated(search: bool) -> frozenset[str]:
    """Files produced after rendering that pages may link to."""
    if not search:
        return frozenset()
    return frozenset({"pagefind/pagefind.js"})
