"""The site build: golden output, determinism, writer guarantees, links, base URL, incremental."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from site_helpers import DRAWS, GOLDEN, REGENERATE, build_mini, copy_content, tree
from site_results import mini_results

from generator.site.build import MANIFEST, build_site
from generator.site.links import BrokenLinkError
from generator.site.writer import SiteWriteError, SiteWriter

ROOT = Path(__file__).resolve().parents[2]


def test_golden(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    got = tree(out)
    got.pop(MANIFEST)
    want = tree(GOLDEN)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    changed = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    problems = missing + extra + changed
    assert not problems, (
        f"站点输出与 tests/site/golden/ 不一致：缺少 {missing[:5]}，多出 {extra[:5]}，"
        f"内容不同 {changed[:5]}。如属有意修改，请运行 `{REGENERATE}` 重新生成并审阅差异。"
    )


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build_mini(tmp_path / "a", incremental=False)
    build_mini(tmp_path / "b", incremental=False)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_pages_are_chinese_with_banner(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in text, page
        assert "示例数据" in text, page
        assert '<a class="skip" href="#main">' in text, page


def test_required_pages_and_empty_states(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out, results=[])
    for rel in [
        "index.html",
        "404.html",
        "checklist/index.html",
        "checklist/by-industry/index.html",
        "checklist/SJ-DJ-01/index.html",
        "libraries/index.html",
        "libraries/inspectors/index.html",
        "pools/2024-YYYC-CY.csv",
        "plans/index.html",
        "plans/2024/index.html",
        "tasks/2024-YYYC-CY/index.html",
        "tasks/2024-YYYC-CY/draw/index.html",
        "entities/91620823GK0000018E/index.html",
        "entities/620823600000015/index.html",
        "results/index.html",
        "results/overdue/index.html",
        "results/stats/index.html",
        "ledger/index.html",
        "search/index.html",
        "data/index.html",
        "data/entities.csv",
        "data/results.json",
        "data/schemas/results.schema.json",
        "data/datapackage.json",
        "feeds/plans.xml",
        "feeds/results.xml",
        "sitemap.xml",
        "static/style.css",
    ]:
        assert (out / rel).is_file(), rel
    assert "暂无抽查检查结果信息" in (out / "entities/91620823GK0000018E/index.html").read_text()
    assert "尚未抽取" in (out / "tasks/2024-YYYC-CY/index.html").read_text()
    home = (out / "index.html").read_text()
    assert "暂无数据" in home  # no result is due: the publication rate is undefined
    size, root = (DRAWS / "checkpoint").read_text().split("\n")[1:3]
    assert f"共 {size} 条记录" in home
    assert root in home


def test_entity_page_lists_results_followups_and_years(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    text = (out / "entities/91620823GK0000018E/index.html").read_text()
    assert "崇信县市场监督管理局" in text
    assert "崇信县卫生健康局" in text
    # Two departments of one joint task: one 入户检查, not two (docs/workflow.md §4.2).
    assert '<td data-label="年度">2024年</td><td data-label="次数">1</td>' in text
    fixed = (out / "entities/620823600000015/index.html").read_text()
    assert "已更正" in fixed
    assert "注册号" in fixed
    assert "责令七日内改正" in (out / "entities/92620823GK0000069K/index.html").read_text()


def test_inspector_list_has_no_recusal_data(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    conflicts = (ROOT / "tests/site/fixtures/mini/conflicts.yaml").read_text(encoding="utf-8")
    reasons = re.findall(r"reason:\s*(\S.*)", conflicts)
    assert reasons
    for path, body in tree(out).items():
        text = body.decode("utf-8", "replace")
        assert "回避原因" not in text, path
        for reason in reasons:
            assert reason.strip().strip("\"'") not in text, (path, reason)


def test_overdue_and_calendar_note(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    text = (out / "results/overdue/index.html").read_text()
    assert "崇信示例酒楼有限公司" in text
    assert "2024-10-30" in text
    assert "节假日安排尚未收录" in text
    stats = (out / "results/stats/index.html").read_text()
    assert 'class="chart" role="img"' in stats
    assert "<script" not in stats


def test_open_data(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    csv = (out / "data/results.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")
    records = json.loads((out / "data/results.json").read_text())["records"]
    assert len(records) == len(mini_results())
    schema = json.loads((out / "data/schemas/results.schema.json").read_text())
    props = schema["properties"]["records"]["items"]["properties"]
    assert set(records[0]) == set(props)
    pkg = json.loads((out / "data/datapackage.json").read_text())
    assert {r["path"] for r in pkg["resources"]} >= {"entities.csv", "results.json"}
    pool = (out / "pools/2024-YYYC-CY.csv").read_text(encoding="utf-8-sig").splitlines()
    assert pool[0] == "统一社会信用代码/注册号,名称,主体类型,行政区划,行业,信用风险分类"


def test_feeds_and_sitemap_use_base_url(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    assert (
        "<loc>https://example.gov.cn/gongkai/entities/91620823GK0000018E/</loc>"
        in (out / "sitemap.xml").read_text()
    )
    feed = (out / "feeds/results.xml").read_text()
    assert "https://example.gov.cn/gongkai/entities/" in feed
    assert 'href="/gongkai/static/style.css"' in (out / "404.html").read_text()


def test_sitemap_is_split(tmp_path: Path) -> None:
    from generator.site.feeds import sitemaps

    urls = [(f"entities/{i}/", None) for i in range(5)]
    files = sitemaps("https://x.example/", urls, limit=2)
    assert sorted(files) == ["sitemap.xml", *[f"sitemaps/sitemap-{i}.xml" for i in (1, 2, 3)]]
    assert "<sitemapindex" in files["sitemap.xml"]


def test_failed_build_leaves_old_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_mini(out)
    before = tree(out)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "site_templates", templates)
    (templates / "entity.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}"
    )
    with pytest.raises(Exception, match="nope"):
        build_mini(out, templates=templates)
    assert tree(out) == before
    assert not list(tmp_path.glob(".site.build-*"))


def test_writer_refuses_second_write(tmp_path: Path) -> None:
    w = SiteWriter(tmp_path / "out")
    w.write("a/index.html", "x")
    with pytest.raises(SiteWriteError, match="重复写入"):
        w.write("a/index.html", "y")
    for bad in ["../x", "/abs", "a//b", "a\\b", ""]:
        with pytest.raises(SiteWriteError):
            w.claim(bad)
    w.abort()


def test_duplicate_page_path_fails_build(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    # An item whose id is "by-industry" collides with the checklist/by-industry/ page.
    text = (content / "checklist.yaml").read_text(encoding="utf-8")
    text = text.replace("id: SJ-DJ-01", "id: by-industry", 1)
    (content / "checklist.yaml").write_text(text, encoding="utf-8")
    (content / "plans" / "2024.yaml").write_text(
        (content / "plans" / "2024.yaml")
        .read_text(encoding="utf-8")
        .replace("SJ-DJ-01", "by-industry"),
        encoding="utf-8",
    )
    with pytest.raises(SiteWriteError, match=r"checklist/by-industry/index\.html"):
        build_mini(tmp_path / "site", content=content)


def test_broken_link_fails_build(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "site_templates", templates)
    page = templates / "inspectors.html"
    page.write_text(
        page.read_text().replace("</h1>", "</h1><a href=\"{{ url('nowhere/') }}\">x</a>")
    )
    with pytest.raises(
        BrokenLinkError, match=r"libraries/inspectors/index\.html: \.\./\.\./nowhere/"
    ):
        build_mini(tmp_path / "site", templates=templates)
    assert not (tmp_path / "site").exists()


def test_sub_path_base_url(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    cfg = content / "gongkai.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(
            "https://example.gov.cn/gongkai/", "https://example.gov.cn/a/b/c/"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build_mini(out, content=content)
    assert "https://example.gov.cn/a/b/c/plans/2024/" in (out / "sitemap.xml").read_text()
    assert 'href="/a/b/c/static/style.css"' in (out / "404.html").read_text()
    for page in out.rglob("*.html"):
        if page.name == "404.html":
            continue
        assert not re.search(r'(?:href|src)="/(?!/)', page.read_text()), page


def test_incremental_rebuild_touches_only_affected_pages(tmp_path: Path) -> None:
    out = tmp_path / "site"
    results = mini_results()
    first = build_mini(out, results=results[:-1])
    assert not first.incremental
    mtimes = {p: (out / p).stat().st_mtime_ns for p in tree(out)}
    again = build_mini(out, results=results[:-1])
    assert again.incremental
    assert again.written == 0
    assert {p: (out / p).stat().st_mtime_ns for p in tree(out)} == mtimes
    third = build_mini(out, results=results)
    assert third.incremental
    changed = {p for p in tree(out) if p not in mtimes or (out / p).stat().st_mtime_ns != mtimes[p]}
    assert "entities/91620822GK00003093/index.html" in changed
    assert "entities/91620823GK0000018E/index.html" not in changed
    assert "checklist/SJ-DJ-01/index.html" not in changed
    assert third.rendered < first.rendered // 2
    # The incremental result equals a full build.
    build_mini(tmp_path / "full", results=results, incremental=False)
    assert tree(out) == tree(tmp_path / "full")


def test_ledger_is_published_with_the_example_draws(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(ROOT / "tests/site/fixtures/mini", out, draws_dir=ROOT / "draws", search=False)
    assert (out / "ledger/checkpoint").read_bytes() == (ROOT / "draws/checkpoint").read_bytes()
    assert (out / "ledger/gongkai-verify.pyz").is_file()
    page = (out / "ledger/index.html").read_text()
    assert 'href="../ledger/trust.txt"' in page
    assert "gongkai verify" in page
    assert DRAWS.is_dir()


def test_archive_pages_are_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.site.pages as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    out = tmp_path / "site"
    results = mini_results()
    build_mini(out, results=results[:-1])  # 7 results: newest page + archive pages 1, 2
    assert (out / "results/page/2/index.html").is_file()
    assert not (out / "results/page/3/index.html").exists()
    oldest = (out / "results/page/1/index.html").read_bytes()
    report = build_mini(out, results=results)  # one more result
    assert report.incremental
    assert (out / "results/page/1/index.html").read_bytes() == oldest
    newest = (out / "results/index.html").read_text()
    assert "共 8 条" in newest
    assert "第 2 页" in newest


def test_content_cache_is_used_and_invalidated(tmp_path: Path) -> None:
    from generator.site.cache import cache_dir_for

    content = copy_content(tmp_path)
    out = tmp_path / "site"
    build_mini(out, content=content)
    cache = cache_dir_for(out) / "content.bin"
    assert cache.is_file()
    assert not str(cache).startswith(str(out.resolve()) + "/")  # never published
    stamp = cache.stat().st_mtime_ns
    build_mini(out, content=content)
    assert cache.stat().st_mtime_ns == stamp  # reused
    cfg = content / "gongkai.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("（测试）", "（测试二）"), encoding="utf-8"
    )
    build_mini(out, content=content)
    assert cache.stat().st_mtime_ns != stamp
    assert "（测试二）" in (out / "index.html").read_text(encoding="utf-8")


def test_incremental_republish_rewrites_only_changed_index_files(tmp_path: Path) -> None:
    """One new result (for …3093): of the businesses' index only its document file and the
    files of the filter values it changed are written again (docs/site.md §6.2); the posting
    shards and the 行政区划/行业 files keep their bytes and their modification times."""
    out = tmp_path / "site"
    results = mini_results()
    build_mini(out, results=results[:-1])
    index = out / "search/biz"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in index.rglob("*.json")}
    assert build_mini(out, results=results).incremental
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in index.rglob("*.json")}
    assert sorted(after) == sorted(before)
    touched = {p.relative_to(index).as_posix() for p in after if after[p][1] != before[p][1]}
    changed = {p.relative_to(index).as_posix() for p in after if after[p][0] != before[p][0]}
    assert touched == changed  # nothing rewritten with the same bytes
    assert "d/0.json" in changed
    assert changed <= {"d/0.json", "f/2.json", "f/3.json", "meta.json"}, changed


def test_record_key_covers_every_entity_field() -> None:
    import dataclasses

    from generator.content.model import MarketEntity
    from generator.site.pages import record_key

    names = [f.name for f in dataclasses.fields(MarketEntity)]
    assert names == [
        "id",
        "name",
        "entity_type",
        "division",
        "industries",
        "status",
        "risk",
        "last_inspected",
        "address",
        "legacy_code",
    ], "MarketEntity changed: update record_key() in generator/site/pages.py"
    from site_helpers import MINI

    from generator.content.loader import load_content

    content, _ = load_content(MINI)
    e = content.entities[0]
    generic = tuple(v.value if hasattr(v, "value") else v for v in e.__dict__.values())
    assert record_key(e) == generic


@pytest.mark.parametrize("search", [False, True], ids=["no-search", "search"])
def test_incremental_republish_equals_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, search: bool
) -> None:
    """Republishing after one new result gives, byte for byte, what a full build gives."""
    import generator.site.search as search_mod

    if search and not search_mod.pagefind_available():
        pytest.skip("缺少 pagefind[extended]")
    results = mini_results()
    out = tmp_path / "site"
    assert not build_mini(out, results=results[:-1], search=search).incremental
    report = build_mini(out, results=results, search=search)
    assert report.incremental
    assert 0 < report.rendered < report.files // 2
    full = tmp_path / "full"
    assert not build_mini(full, results=results, search=search, incremental=False).incremental
    # Pagefind's bundles included: they are canonicalized (generator/site/pagefind_canon.py).
    got, want = tree(out), tree(full)
    assert sorted(got) == sorted(want)
    assert [k for k in sorted(want) if got[k] != want[k]] == []
    assert any(k.startswith("search/biz/d/") for k in want)
    if search:
        assert any(k.startswith("pagefind/") for k in want)


def test_incremental_build_after_content_change_equals_full_build(tmp_path: Path) -> None:
    """A new business (the list of business pages changes) and an edited one: the
    incremental build renders them and equals a full build."""
    from generator.content.uscc import make_uscc

    content = copy_content(tmp_path)
    out = tmp_path / "site"
    build_mini(out, content=content)
    csv_path = content / "entities.csv"
    text = csv_path.read_text(encoding="utf-8")
    text = text.replace("崇信示例面馆", "崇信示例面馆（更名）")
    code = make_uscc("9", "2", "620823", "GK990009")
    text += f"{code},崇信示例新开小店,个体工商户,620823,餐饮,在业,B,,,示例路99号（合成数据）\n"
    csv_path.write_text(text, encoding="utf-8")
    report = build_mini(out, content=content)
    assert report.incremental
    assert (out / f"entities/{code}/index.html").is_file()
    assert "崇信示例面馆（更名）" in (out / "entities/92620823GK00000266/index.html").read_text()
    full = tmp_path / "full"
    build_mini(full, content=content, incremental=False)
    assert tree(out) == tree(full)


def test_result_key_covers_every_result_field() -> None:
    import dataclasses

    from generator.content.results import InspectionResult
    from generator.site.pages import record_key, result_key

    assert [f.name for f in dataclasses.fields(InspectionResult)][-1] == "compromised", (
        "InspectionResult changed: update result_key() in generator/site/pages.py"
    )
    for r in mini_results():
        assert result_key(r) == record_key(r)
        assert len(result_key(r)) == len(dataclasses.fields(InspectionResult))


def test_writer_claims_many_paths_with_the_same_checks(tmp_path: Path) -> None:
    w = SiteWriter(tmp_path / "out")
    w.claim("a/index.html")
    w.claim_many([f"e/{i}/index.html" for i in range(100)])
    assert "e/7/index.html" in w.claimed
    for bad in (["x/1", "x/1"], ["y/1", "a/index.html"], ["z/1", "../z"], [""], ["a//b"]):
        with pytest.raises(SiteWriteError):
            w.claim_many(bad)
    w.claim_many(["w/.well-known"])  # what claim() accepts, claim_many() accepts
    assert "w/.well-known" in w.claimed
    w.abort()


def test_parallel_render_equals_serial_and_fails_like_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering in this process and a forked worker gives the same files; a template error or
    a broken link on a page the worker renders fails the build and keeps the old site."""
    import generator.site.build as site_build

    build_mini(tmp_path / "serial", jobs=1)
    monkeypatch.setattr(site_build, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(site_build, "MIN_SPAN", 3)  # many spans: both processes take some
    build_mini(tmp_path / "parallel", jobs=2)
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "site_templates", templates)
    before = tree(tmp_path / "parallel")
    (templates / "entity.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}"
    )
    with pytest.raises(Exception, match="nope"):
        build_mini(tmp_path / "parallel", templates=templates, jobs=2, incremental=False)
    (templates / "entity.html").write_text(
        "{% extends 'base.html' %}{% block main %}<a href=\"{{ url('nowhere/') }}\">x</a>"
        "{% endblock %}"
    )
    with pytest.raises(BrokenLinkError, match=r"entities/[^:]+/index\.html: \.\./\.\./nowhere/"):
        build_mini(tmp_path / "parallel", templates=templates, jobs=2, incremental=False)
    assert tree(tmp_path / "parallel") == before
    assert not list(tmp_path.glob(".parallel.build-*"))
