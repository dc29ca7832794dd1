"""A department's own 检查结果 (docs/workflow.md §10, issue #18): 卫健 (wsjk) publishes its own
findings with ``gongkai vocabulary publish``; its result form offers them, its import accepts
them, the verifier accepts them in its results only, and the site shows them escaped, with their
own category page and statistics. A word the department has not published is refused by the
import (exit 10) and, in a forged ledger, by the verifier (exit 4).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from fresh_site import TASK, Site, confirm_joint, fill_row, new_site

from generator.content.errors import ContentError
from generator.errors import WorkflowError
from generator.workflow import forms
from generator.workflow.site import SiteRepo
from generator.workflow.vocabularies import load_vocabulary
from ledger import canonical
from ledger.entries import make_entry
from ledger.keys import read_private_key
from ledger.store import LedgerStore
from ledger.trust import parse_trust

#: Hostile text in a word: it must reach the site as text, never as markup.
HOSTILE = '<img src=x onerror="alert(1)">公共场所卫生许可证未按规定悬挂'
SMOKING = "未设置禁止吸烟警语标志"
NOT_APPLICABLE = "本年度未开展公共场所经营"
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"
VOCABULARY = f"""\
vocabularies:
  wsjk:
    - word: '{HOSTILE}'
      problem: true
    - word: {SMOKING}
      problem: true
    - word: {NOT_APPLICABLE}
      problem: false
"""


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    """wsjk publishes its words (version 1), then a joint task is drawn and confirmed."""
    s = new_site(tmp_path_factory.mktemp("vocabulary"))
    (s.content / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    out = s.site("vocabulary", "publish", "--dept", "wsjk", "--at", "2024-01-05", dept="wsjk")
    assert "已发布部门“wsjk”的本部门检查结果用语第 1 版" in out.output
    return s, confirm_joint(s)


def _options(form: Path) -> list[str]:
    sheet = openpyxl.load_workbook(form)[forms.OPTIONS_SHEET]
    column = [c.value for c in next(sheet.iter_cols(min_col=1, max_col=1))]
    assert column[0] == "检查结果"
    return [str(v) for v in column[1:] if v is not None]


def _row(word: str, measure: str = RECTIFY) -> dict[str, object]:
    return {
        forms.COL_INSPECTED: dt.date(2024, 4, 8),
        forms.COL_COMPLETED: dt.date(2024, 4, 8),
        forms.COL_METHODS[0]: "现场检查",
        forms.COL_CATEGORIES[0]: word,
        forms.COL_DETAIL: "现场检查发现的问题。",
        forms.COL_MEASURE: measure,
        forms.COL_STATE: "未完结",
    }


def _import(
    confirmed: tuple[Site, Path],
    tmp: Path,
    dept: str,
    row: int,
    values: dict[str, object],
    at: str,
    ok: bool = True,
) -> str:
    """Fill ``row`` of a copy of ``dept``'s form with ``values`` and import it at ``at``; the
    command's output (with ``ok``, its exit code is 0; otherwise it must be 10)."""
    s, forms_dir = confirmed
    form = tmp / f"{dept}.xlsx"
    if not form.exists():
        shutil.copyfile(forms_dir / TASK / f"{dept}.xlsx", form)
    fill_row(form, row, values)
    result = s.site("results", "import", TASK, str(form), "--dept", dept, "--at", at, dept=dept,
                    ok=ok)  # fmt: skip
    if not ok:
        assert result.exit_code == 10, result.output
        assert "Traceback" not in result.output
    return result.output


def test_the_version_is_recorded_and_an_unchanged_list_is_refused(
    confirmed: tuple[Site, Path],
) -> None:
    s, _ = confirmed
    book = SiteRepo.open(s.root).state().tasks.vocabularies
    ((_, body),) = book.versions["wsjk"]
    assert body.id == "vocabulary.publish/wsjk/v1"
    assert [(f.word, f.problem) for f in body.findings] == [
        (HOSTILE, True), (SMOKING, True), (NOT_APPLICABLE, False),
    ]  # fmt: skip
    again = s.site("vocabulary", "publish", "--dept", "wsjk", "--at", "2024-01-06", dept="wsjk",
                   ok=False)  # fmt: skip
    assert again.exit_code == 11, again.output
    assert "自第 1 版发布以来没有变化" in again.output


def test_the_departments_form_offers_its_own_words_and_only_its_own(
    confirmed: tuple[Site, Path],
) -> None:
    _, forms_dir = confirmed
    wsjk = _options(forms_dir / TASK / "wsjk.xlsx")
    scjg = _options(forms_dir / TASK / "scjg.xlsx")
    assert wsjk[-3:] == [HOSTILE, SMOKING, NOT_APPLICABLE]
    assert wsjk[:-3] == scjg
    assert HOSTILE not in scjg


def test_a_word_of_another_department_is_refused_on_import(
    confirmed: tuple[Site, Path], tmp_path: Path
) -> None:
    out = _import(confirmed, tmp_path, "scjg", 2, _row(SMOKING), "2024-04-15", ok=False)
    assert f"不是有效的检查结果：“{SMOKING}”" in out


def test_an_own_word_is_published_verified_and_shown_escaped(
    confirmed: tuple[Site, Path], tmp_path: Path
) -> None:
    s, _ = confirmed
    # A word that records no problem contradicts 责令改正 (the consistency rule of §10).
    out = _import(confirmed, tmp_path, "wsjk", 2, _row(NOT_APPLICABLE), "2024-04-15", ok=False)
    assert "须有违反本部门规定的检查结果" in out
    out = _import(confirmed, tmp_path, "wsjk", 2, _row(HOSTILE), "2024-04-15")
    assert "新公示 1 条" in out
    s.run("verify", str(s.root / "draws"))
    s.run("status", "--site", str(s.root), "--at", "2024-04-20")  # reads the word (exit 0)
    public = tmp_path / "public"
    s.run("build", "--content", str(s.content), "--output", str(public))
    page = public / "results" / "category" / "wsjk-1" / "index.html"
    html = page.read_text("utf-8")
    assert "&lt;img src=x onerror=" in html
    assert "<img src=x" not in html
    assert "县卫健局本部门用语" in html or "崇信县卫生健康局本部门用语" in html
    for path in public.rglob("*.html"):
        assert "<img src=x" not in path.read_text("utf-8"), path
    stats = (public / "results" / "stats" / "index.html").read_text("utf-8")
    assert "本部门用语" in stats
    # The vocabulary page links the word to its results (docs/site.md §8.1).
    words = (public / "results" / "vocabulary" / "index.html").read_text("utf-8")
    assert 'href="../../results/category/wsjk-1/">1 条</a>' in words


def test_a_forged_result_with_an_unpublished_word_fails_verification(
    confirmed: tuple[Site, Path], tmp_path: Path
) -> None:
    """scjg (which published no words) signs a result with wsjk's word; the writer's checks are
    bypassed by appending the signed line directly: ``gongkai verify`` refuses it (exit 4)."""
    s, _ = confirmed
    copy = tmp_path / "draws"
    shutil.copytree(s.root / "draws", copy)
    trust = parse_trust((copy / "trust.txt").read_bytes())
    state = SiteRepo.open(s.root).state()
    record = state.tasks.tasks[TASK]
    entity = sorted(record.drawn)[0]
    team = sorted(record.teams[entity]["scjg"])
    result = {
        "entity": entity, "items": [], "methods": ["现场检查"], "categories": [SMOKING],
        "detail": "x", "inspectors": team[:1], "inspected_on": "2024-04-08",
        "completed_on": "2024-04-08", "followup": {"measure": RECTIFY, "state": "未完结"},
    }  # fmt: skip
    body = {
        "type": "result.publish", "id": f"result.publish/{TASK}/scjg/{entity}",
        "ts": "2024-04-16T02:00:00Z", "dept": "scjg", "task_id": TASK, "result": result,
    }  # fmt: skip
    store = LedgerStore(copy, trust.origin, trust.log_keys)
    line = make_entry(trust.origin, body, [read_private_key(s.dept_key("scjg"))])
    store.append([line], [read_private_key(s.log_key)])
    refused = s.run("verify", str(copy), ok=False)
    assert refused.exit_code == 4, refused.output
    assert f"检查结果“{SMOKING}”不是省级检查结果录入表的用语" in refused.output
    assert "部门 scjg 也未发布本部门检查结果用语（vocabulary.publish）" in refused.output


def test_a_new_version_through_a_signing_request(confirmed: tuple[Site, Path]) -> None:
    """``--request``: prepared without the key, signed in the office, appended; a word may not
    change its meaning (problem) in a later version."""
    s, _ = confirmed
    path = s.content / "vocabulary.yaml"
    saved = path.read_bytes()
    try:
        path.write_text(VOCABULARY.replace("problem: false", "problem: true"), "utf-8")
        changed = s.site("vocabulary", "publish", "--dept", "wsjk", "--at", "2024-05-01",
                         dept="wsjk", ok=False)  # fmt: skip
        assert changed.exit_code == 11, changed.output
        assert f"用语“{NOT_APPLICABLE}”已发布为 problem: false" in changed.output
        path.write_text(VOCABULARY + "    - word: 从业人员未取得健康合格证明\n      problem: true\n",
                        "utf-8")  # fmt: skip
        work = s.root.parent / "vocab-request"
        work.mkdir()
        request = work / "request.json"
        s.run("vocabulary", "publish", "--dept", "wsjk", "--request", str(request), "--site",
              str(s.root), "--at", "2024-05-01")  # fmt: skip
        summary = json.loads(request.read_bytes())["summary"]
        assert "签署申请：发布本部门检查结果用语（vocabulary.publish" in summary
        assert "  从业人员未取得健康合格证明（发现问题）" in summary
        assert f"  {NOT_APPLICABLE}（未发现问题）" in summary
        s.run("sign", str(request), "--key", s.dept_key("wsjk"), "--ledger",
              str(s.root / "draws"), "--out", str(work), "--at", "2024-05-01")  # fmt: skip
        s.site("request", "append", str(request), "--signatures", str(work), "--at", "2024-05-01")
    finally:
        path.write_bytes(saved)
    book = SiteRepo.open(s.root).state().tasks.vocabularies
    assert [b.version for _, b in book.versions["wsjk"]] == [1, 2]
    last = canonical.loads((s.root / "draws" / "entries.jsonl").read_bytes().splitlines()[-1])
    assert last["body"]["id"] == "vocabulary.publish/wsjk/v2"


def test_content_errors_are_located(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "vocabulary.yaml").write_text(
        "vocabularies:\n"
        "  wsjk:\n"
        "    - word: 未悬挂、未公示\n"
        "      problem: true\n"
        "    - word: 未发现问题\n"
        "      problem: false\n"
        "    - word: 未悬挂许可证\n"
        "    - word: 未悬挂许可证\n"
        "      problem: yes-ish\n"
        "  nobody:\n"
        "    - word: 某项用语\n"
        "      problem: true\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_vocabulary(content, "wsjk", frozenset({"wsjk", "scjg"}))
    lines = caught.value.report().splitlines()
    for line, field, message in (
        (3, "vocabularies.wsjk[0].word", "不能含有“、”"),
        (5, "vocabularies.wsjk[1].word", "是省级检查结果录入表的用语"),
        (7, "vocabularies.wsjk[2].problem", "缺少必填字段"),
        (8, "vocabularies.wsjk[3].word", "重复（首次出现在第 7 行）"),
        (9, "vocabularies.wsjk[3].problem", "应为 true 或 false"),
        (10, "vocabularies.nobody", "部门“nobody”不在"),
    ):
        located = [x for x in lines if x.startswith(f"content/vocabulary.yaml:{line}:")]
        assert any(field in x and message in x for x in located), (line, lines)
    (content / "vocabulary.yaml").write_text("vocabularies:\n  scjg:\n    - word: 甲\n"
                                             "      problem: true\n", "utf-8")  # fmt: skip
    with pytest.raises(WorkflowError, match="没有部门“wsjk”的本部门检查结果用语"):
        load_vocabulary(content, "wsjk", frozenset({"wsjk", "scjg"}))


def test_a_case_needs_an_own_word_that_records_a_problem(
    confirmed: tuple[Site, Path], tmp_path: Path
) -> None:
    """立案 (docs/workflow.md §7) reads whether the department's own word records a problem."""
    s, _ = confirmed
    none_needed = "未发现问题或相关问题已规范、已改正，无需后续处置"
    closed = {forms.COL_STATE: "已完结", forms.COL_CLOSED: dt.date(2024, 4, 9)}
    _import(confirmed, tmp_path, "wsjk", 3, {**_row(NOT_APPLICABLE, none_needed), **closed},
            "2024-05-02")  # fmt: skip
    record = SiteRepo.open(s.root).state().tasks.tasks[TASK]
    # the result just imported: wsjk's latest
    entity_id = max((e for d, e in record.results if d == "wsjk"),
                    key=lambda e: record.results[("wsjk", e)])  # fmt: skip
    refused = s.site("case", "open", TASK, entity_id, "--dept", "wsjk", "--from-dept", "wsjk",
                     "--case-no", "崇卫立〔2024〕1号", "--summary", "案由", "--at", "2024-05-03",
                     dept="wsjk", ok=False)  # fmt: skip
    assert refused.exit_code != 0, refused.output
    assert "立案须针对发现问题的检查结果" in refused.output
    assert "Traceback" not in refused.output
