"""``content/vocabulary.yaml`` under ``gongkai check`` and ``gongkai build`` (docs/workflow.md §10):
every field is validated with a located Chinese error (exit code 10), a department's list must be
the version the ledger published last, and the site lists every version, escaped.

The site: 卫健 (wsjk) publishes version 1 (three words, one with markup), then version 2 (one
word dropped, one added). Every hostile file below is refused naming its line and field.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fresh_site import MINI, Site, new_site

from generator.cli import main

#: Markup in a word: the site must show it as text.
MARKUP = '<script>alert("词")</script>公共场所卫生许可证未按规定悬挂'
SMOKING = "未设置禁止吸烟警语标志"
HEALTH = "从业人员未取得有效健康合格证明"
CLEANING = "顾客用品用具未按规定清洗消毒"
V1 = f"""\
vocabularies:
  wsjk:
    - word: '{MARKUP}'
      problem: true
    - word: {SMOKING}
      problem: true
    - word: {HEALTH}
      problem: true
"""
#: Version 2: SMOKING dropped, CLEANING added (lines: wsjk at 2, CLEANING's item at 7).
V2 = f"""\
vocabularies:
  wsjk:
    - word: '{MARKUP}'
      problem: true
    - word: {HEALTH}
      problem: true
    - word: {CLEANING}
      problem: true
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    s = new_site(tmp_path_factory.mktemp("vocabulary-check"))
    path = s.content / "vocabulary.yaml"
    for text, at in ((V1, "2024-01-05"), (V2, "2024-02-01")):
        path.write_text(text, "utf-8")
        s.site("vocabulary", "publish", "--dept", "wsjk", "--at", at, dept="wsjk")
    return s


@pytest.fixture
def file(site: Site) -> Iterator[Path]:
    """The site's ``content/vocabulary.yaml``, restored (version 2) after the test."""
    path = site.content / "vocabulary.yaml"
    yield path
    path.write_text(V2, "utf-8")


def test_the_published_file_checks_and_an_unpublished_list_is_a_warning(
    site: Site, file: Path
) -> None:
    assert "检查通过" in site.run("check", "--content", str(site.content)).output
    file.write_text(V2 + "  scjg:\n    - word: 进货查验记录不全\n      problem: true\n", "utf-8")
    result = site.runner.invoke(main, ["check", "--content", str(site.content)])
    assert result.exit_code == 0, result.output
    warning = "content/vocabulary.yaml:9: vocabularies.scjg: 警告: 部门“scjg”的本部门检查结果用语尚未记入账本"
    assert warning in result.output


@pytest.mark.parametrize(
    ("text", "where", "how"),
    [
        (V2.replace("problem: true\n    - word: 从业", "problem: false\n    - word: 从业", 1),
         "content/vocabulary.yaml:2: vocabularies.wsjk",
         "vocabularies.wsjk[0]（第 3 行）为“<script>"),
        (V2.replace(CLEANING, "顾客用品用具未清洗"), "content/vocabulary.yaml:2: vocabularies.wsjk",
         "vocabularies.wsjk[2]（第 7 行）为“顾客用品用具未清洗”（problem: true），账本为“顾客用品用具未按规定清洗消毒”"),
        (V2 + f"    - word: {SMOKING}\n      problem: true\n",
         "content/vocabulary.yaml:2: vocabularies.wsjk",
         f"vocabularies.wsjk[3]（第 9 行）“{SMOKING}”不在账本记录的版本中"),
        ("\n".join(V2.splitlines()[:-2]) + "\n", "content/vocabulary.yaml:2: vocabularies.wsjk",
         f"账本记录的版本还有第 3 项“{CLEANING}”，文件中没有"),
        ("vocabularies: {}\n", "content/vocabulary.yaml: vocabularies.wsjk", "文件中没有该部门的用语"),
        (None, "content/vocabulary.yaml: vocabularies.wsjk", "文件中没有该部门的用语"),
    ],
    ids=["meaning", "word", "added", "removed", "no-list", "no-file"],
)  # fmt: skip
def test_check_refuses_a_list_that_differs_from_the_ledger(
    site: Site, file: Path, text: str | None, where: str, how: str
) -> None:
    if text is None:
        file.unlink()
    else:
        file.write_text(text, "utf-8")
    result = site.run("check", "--content", str(site.content), ok=False)
    assert result.exit_code == 10, result.output
    line = next(x for x in result.output.splitlines() if x.startswith(where + ":"))
    assert "与账本最新发布的版本（vocabulary.publish 第 2 版）不同" in line
    assert how in line
    assert "gongkai vocabulary publish --dept wsjk" in line
    assert "Traceback" not in result.output


def test_build_refuses_a_list_that_differs_from_the_ledger(
    site: Site, file: Path, tmp_path: Path
) -> None:
    file.write_text(V1, "utf-8")  # the previous version
    out = tmp_path / "public"
    result = site.run("build", "--content", str(site.content), "--output", str(out), ok=False)
    assert result.exit_code == 10, result.output
    assert "content/vocabulary.yaml:2: vocabularies.wsjk" in result.output
    assert "第 2 版" in result.output
    assert not (out / "index.html").exists()


def test_the_site_lists_every_version_escaped(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "public"
    site.run("build", "--content", str(site.content), "--output", str(out))
    html = (out / "results" / "vocabulary" / "index.html").read_text("utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;词&#34;)&lt;/script&gt;公共场所卫生许可证未按规定悬挂" in html
    assert "崇信县卫生健康局本部门检查结果用语（第 2 版，3 个）" in html
    assert "第 2 版（现行）" in html
    assert "第 1 版" in html
    assert f"删去“{SMOKING}”" in html
    assert f"新增“{CLEANING}”（发现问题）" in html
    assert "首次发布，共 3 个用语" in html
    assert "vocabulary.publish/wsjk/v2" in html
    assert "vocabulary.publish/wsjk/v1" in html
    # the dropped word is named as such; no word has a result yet
    assert f"现行版本已删去的用语（已公示的结果照常显示，新的结果不能再用）：{SMOKING}" in html
    assert "results/category/" not in html
    # readable on a phone: every cell is labelled by its column (docs/site.md §1)
    cells = re.findall(r"<td[^>]*>", html)
    assert cells
    assert all("data-label=" in c for c in cells)
    listing = (out / "results" / "index.html").read_text("utf-8")
    assert 'href="../results/vocabulary/">本部门检查结果用语</a>' in listing


def _mini(tmp: Path, text: str) -> Path:
    content = tmp / "content"
    shutil.copytree(MINI, content)
    (content / "vocabulary.yaml").write_text(text, "utf-8")
    return content


HOSTILE = [
    ("- wsjk\n", 1, "", "文件顶层应为映射"),
    ("vocabularies:\n  wsjk: []\nwords: 1\n", 3, "words", "未知字段"),
    ("vocabularies: 卫健\n", 1, "vocabularies", "应为映射"),
    ("vocabularies:\n  '<b>scjg</b>':\n    - word: 甲\n      problem: true\n", 2,
     "vocabularies.<b>scjg</b>", "部门“<b>scjg</b>”不在 content/departments.yaml 中"),
    ("vocabularies:\n  wsjk: []\n", 2, "vocabularies.wsjk", "列表为空"),
    ("vocabularies:\n  wsjk: 未悬挂\n", 2, "vocabularies.wsjk", "应为列表"),
    ("vocabularies:\n  wsjk:\n    - 未悬挂\n", 3, "vocabularies.wsjk[0]", "应为映射"),
    ("vocabularies:\n  wsjk:\n    - word: 甲\n      problem: true\n      note: x\n", 5,
     "vocabularies.wsjk[0].note", "未知字段"),
    ("vocabularies:\n  wsjk:\n    - problem: true\n", 3, "vocabularies.wsjk[0].word", "缺少必填字段"),
    ("vocabularies:\n  wsjk:\n    - word: 12\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "应为文本"),
    ("vocabularies:\n  wsjk:\n    - word: '" + "甲" * 61 + "'\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "过长（61 字符，上限 60）"),
    ("vocabularies:\n  wsjk:\n    - word: \"未悬挂\\u202e许可证\"\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "U+202E"),
    ("vocabularies:\n  wsjk:\n    - word: |\n        未悬挂\n        许可证\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "不能换行"),
    ("vocabularies:\n  wsjk:\n    - word: 未悬挂;未公示\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "不能含有“;”"),
    ("vocabularies:\n  wsjk:\n    - word: 违反本部门相关规定\n      problem: true\n", 3,
     "vocabularies.wsjk[0].word", "是省级检查结果录入表的用语"),
    ("vocabularies:\n  wsjk:\n    - word: 甲\n      problem: true\n    - word: 甲\n      problem: true\n",
     5, "vocabularies.wsjk[1].word", "重复（首次出现在第 3 行）"),
    ("vocabularies:\n  wsjk:\n    - word: 甲\n", 3, "vocabularies.wsjk[0].problem", "缺少必填字段"),
    ("vocabularies:\n  wsjk:\n    - word: 甲\n      problem: 'true'\n", 4,
     "vocabularies.wsjk[0].problem", "应为 true 或 false"),
    ("vocabularies:\n  wsjk:\n    - word: 甲\n      problem: 1\n", 4,
     "vocabularies.wsjk[0].problem", "应为 true 或 false"),
    ("vocabularies:\n  wsjk:\n    - word: [甲\n", 4, "", "第 3 行的“[”是否未闭合"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "field", "message"), HOSTILE)
def test_check_locates_every_hostile_field(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    content = _mini(tmp_path, text)
    result = Site(tmp_path).run("check", "--content", str(content), ok=False)
    assert result.exit_code == 10, result.output
    where = f"content/vocabulary.yaml:{line}:" + (f" {field}:" if field else "")
    located = [x for x in result.output.splitlines() if where in x]
    assert any(message in x for x in located), (where, result.output)
    assert "Traceback" not in result.output
