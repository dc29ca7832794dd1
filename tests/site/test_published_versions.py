"""The site shows the plans and checklists the ledger proves, with every version (docs/site.md
§8.1): a plan published twice (the A ratio changed) lists both versions and the current one; a
checklist published twice lists both with what changed; a department that published none is
named as such; ``content/checklist.yaml`` edited after publication stops check and build."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.example.ledger import build_example_ledger

ROOT = Path(__file__).resolve().parents[2]
RATIOS = 'ratios: {A: "3%", B: "3%", C: "5%", D: "10%"}'
CAP = "    name: 营业执照（登记证）规范使用情况的检查\n"


def _gk(site: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--site", str(site)])


def _build(site: Path) -> Result:
    out = site / "_site"
    return CliRunner().invoke(
        main, ["build", "--content", str(site / "content"), "--output", str(out)]
    )


def _text(page: Path) -> str:
    """The page's main text, tags dropped and entities decoded, spaces collapsed."""
    raw = page.read_text(encoding="utf-8")
    main_part = raw[raw.index("<main") : raw.index("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main_part)))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _site(tmp_path: Path, *, checklists: bool) -> Path:
    """The example content with a fresh ledger; the checklists published (version 1) or not."""
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content", root / "content")
    if checklists:
        build_example_ledger(root / "content", root / "draws")
    else:  # content outside the site directory: keys only, no checklist.publish
        build_example_ledger(ROOT / "content", root / "draws")
    return root


def test_a_plan_published_twice_shows_both_versions_and_the_current_one(tmp_path: Path) -> None:
    site = _site(tmp_path, checklists=True)
    assert _gk(site, "plan", "publish", "2024", "--at", "2024-01-10").exit_code == 0
    plan_file = site / "content" / "plans" / "2024.yaml"
    _edit(plan_file, RATIOS, 'ratios: {A: "1%", B: "3%", C: "5%", D: "10%"}')
    v2 = _gk(site, "plan", "publish", "2024", "--at", "2024-02-01")
    assert v2.exit_code == 0, v2.output
    built = _build(site)
    assert built.exit_code == 0, built.output
    text = _text(site / "_site" / "plans" / "2024" / "index.html")
    assert "现行版本：第 2 版" in text
    assert "本计划在账本中有 2 个版本" in text
    assert "第 2 版（现行）" in text
    assert "第 1 版 " in text
    assert "任务 2024-SC-DJGS：A 类抽查比例 3% → 1%" in text
    assert "首次发布，共 6 项抽查任务" in text
    assert "plan.publish/2024/v2" in text
    assert "plan.publish/2024 " in text
    assert "A类 1%" in text  # the table is the current version
    assert "可证明公开于" in text  # the example TSA stamped both entries
    raw = (site / "_site" / "plans" / "2024" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./\.\./ledger/proofs/\d+\.tlog-proof"', raw)


def test_checklist_page_shows_published_versions_only(tmp_path: Path) -> None:
    site = _site(tmp_path, checklists=False)
    v1 = _gk(site, "checklist", "publish", "--dept", "scjg", "--at", "2024-01-03T10:00:00+08:00")
    assert v1.exit_code == 0, v1.output
    checklist = site / "content" / "checklist.yaml"
    # An edit after publication: the name (with markup, to be escaped) and the cap change.
    _edit(checklist, CAP, "    name: 营业执照<i>规范</i>使用情况的检查\n")
    _edit(checklist, '    ratio_cap: "10%"\n', '    ratio_cap: "20%"\n')
    for refused in (
        _build(site),
        CliRunner().invoke(main, ["check", "--content", str(site / "content")]),
    ):
        assert refused.exit_code == 10, refused.output
        assert "content/checklist.yaml" in refused.output
        assert "部门“scjg”的抽查事项与账本最新发布的抽查事项清单（checklist.publish 第 1 版" in (
            refused.output
        )
        assert "gongkai checklist publish --dept scjg" in refused.output
    v2 = _gk(site, "checklist", "publish", "--dept", "scjg", "--at", "2024-01-04T10:00:00+08:00")
    assert v2.exit_code == 0, v2.output
    built = _build(site)
    assert built.exit_code == 0, built.output
    page = site / "_site" / "checklist" / "index.html"
    text = _text(page)
    assert "崇信县市场监督管理局抽查事项（第 2 版，20 项）" in text
    assert "第 2 版（现行）" in text
    assert "首次发布，共 20 项" in text
    assert (
        "SJ-DJ-01：名称“营业执照（登记证）规范使用情况的检查”改为“营业执照<i>规范</i>使用情况的检查”；"
        in (text)
    )
    assert "抽查比例上限 10% → 20%" in text
    assert "比例上限 20%" in text
    assert "尚未发布抽查事项清单的部门" in text
    assert "崇信县卫生健康局" in text
    raw = page.read_text(encoding="utf-8")
    assert "<i>规范</i>" not in raw
    assert "&lt;i&gt;规范&lt;/i&gt;" in raw
    assert (site / "_site" / "checklist" / "SJ-DJ-01" / "index.html").is_file()
    assert not (site / "_site" / "checklist" / "WJ-01").exists()  # wsjk published none
    assert "公布版本" in _text(site / "_site" / "checklist" / "SJ-DJ-01" / "index.html")


def test_a_department_without_a_checklist_is_not_listed_as_published(tmp_path: Path) -> None:
    site = _site(tmp_path, checklists=False)
    built = _build(site)
    assert built.exit_code == 0, built.output
    text = _text(site / "_site" / "checklist" / "index.html")
    assert "共 0 项" in text
    assert "#dept-wsjk" not in (site / "_site" / "checklist" / "index.html").read_text("utf-8")
    assert "尚未在公开账本中签署发布" in text


def test_the_library_versions_name_the_business_removed_and_an_edit_stops_the_build(
    tmp_path: Path,
) -> None:
    """Version 1 of the 检查对象名录库 is published with the checklists; one business removed
    from content/ stops check and build until version 2, whose row names it (docs/workflow.md
    §9); a hostile name is escaped."""
    site = _site(tmp_path, checklists=True)
    entities = site / "content" / "entities.csv"
    header, first, *rest = entities.read_text(encoding="utf-8").splitlines(keepends=True)
    conflicts = (site / "content" / "conflicts.yaml").read_text(encoding="utf-8")
    gone = next(r for r in reversed(rest) if r.split(",")[0] not in conflicts).split(",")
    renamed = first.replace(first.split(",")[2], "<script>x</script>饭店")
    kept = [r for r in rest if r.split(",")[0] != gone[0]]
    entities.write_text(header + renamed + "".join(kept), encoding="utf-8")
    refused = _build(site)
    assert refused.exit_code == 10, refused.output
    assert "检查对象名录库与账本最新发布的检查对象名录库（library.publish 第 1 版" in refused.output
    assert "gongkai library publish entities --dept scjg" in refused.output
    checked = CliRunner().invoke(main, ["check", "--content", str(site / "content")])
    assert checked.exit_code == 10, checked.output
    published = _gk(site, "library", "publish", "entities", "--dept", "scjg", "--at", "2024-01-09")
    assert published.exit_code == 0, published.output
    built = _build(site)
    assert built.exit_code == 0, built.output
    page = site / "_site" / "libraries" / "index.html"
    text = _text(page)
    assert "现行检查对象名录库：第 2 版" in text
    assert "现行执法检查人员名录库：第 1 版" in text
    assert f"移出 1 户：{gone[2]}（{gone[0] or gone[1]}）" in text
    assert "信息变更 1 户：<script>x</script>饭店" in text
    assert "<script>x</script>" not in page.read_text(encoding="utf-8")
    assert "第一版，共" in text


def test_the_content_library_digests_are_cached_by_content_and_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every build compares the content's two libraries with the ledger's latest versions; the
    SHA-256 of their documents (~1 s at 100,000 businesses) is kept in the build cache under
    the content key and the code that writes the documents, and computed again otherwise."""
    from generator.content.loader import load_content
    from generator.site.cache import library_digests
    from generator.workflow import library_ledger

    content, _ = load_content(ROOT / "tests" / "site" / "fixtures" / "mini")
    real = library_ledger.library_sha256
    calls: list[str] = []

    def counted(c: Any, kind: str) -> str:
        calls.append(kind)
        return real(c, kind)

    monkeypatch.setattr(library_ledger, "library_sha256", counted)
    both = library_digests(content, ["inspectors", "entities"], tmp_path, "k1")
    assert both == {k: real(content, k) for k in ("entities", "inspectors")}
    assert calls == ["entities", "inspectors"]
    assert library_digests(content, ["entities"], tmp_path, "k1") == {"entities": both["entities"]}
    assert calls == ["entities", "inspectors"]  # from libraries.bin
    assert library_digests(content, ["entities"], tmp_path, "k2") == {"entities": both["entities"]}
    assert calls == ["entities", "inspectors", "entities"]  # another content key: computed
    (tmp_path / "libraries.bin").write_bytes(b"damaged")
    assert library_digests(content, ["entities"], tmp_path, "k2") == {"entities": both["entities"]}
    assert library_digests(content, ["entities"], None, None) == {"entities": both["entities"]}
    assert calls == ["entities", "inspectors", "entities", "entities", "entities"]
    assert library_digests(content, [], tmp_path, "k2") == {}
