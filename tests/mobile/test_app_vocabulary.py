"""The phone app offers the department's own 检查结果 (docs/mobile.md §8, docs/workflow.md §10):
the words of its latest ``vocabulary.publish`` when the app is generated, after the provincial
categories; ``gongkai results import`` accepts results in the words in force at import and
refuses any other (exit code 15).

The example year has 卫健 (wsjk) publish version 2 of its words before the draws; here it then
publishes version 3 (one word dropped, a hostile word added), and a wsjk inspector of the joint
catering task signs results on the phone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mobile_kit as kit

from generator.content.loader import load_content
from generator.mobile.app import app_data
from generator.mobile.formats import enrolment_from_signer, inspector_signer, sign_bundle
from generator.workflow.site import SiteRepo
from ledger.note import Signer
from ledger.payloads import FollowupState
from ledger.payloads import Result as ResultBody
from ledger.vocabulary import RESULT_CATEGORIES

TASK, DEPT = "2024-YYYC-CY", "wsjk"
#: A word that tries to leave the app's data and the page's markup.
HOSTILE = '</script><script>alert("词")</script>&lt顾客用品用具未消毒'
RECTIFY = "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit.confirmed_site(tmp_path_factory.mktemp("mobile-vocabulary"))


def _words(site: Path) -> list[str]:
    content, _ = load_content(site / "content")
    own = content.vocabulary(DEPT)
    assert own is not None
    return [f.word for f in own.findings]


def _app(site: Path, out: Path, dept: str = DEPT) -> tuple[str, dict[str, object]]:
    result = kit.gk(site, "task", "app", TASK, "--dept", dept, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = (out / TASK / f"{dept}.html").read_text("utf-8")
    found = re.search(r'<script type="application/json" id="app-data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return page, data


def _publish_v3(site: Path) -> list[str]:
    """wsjk's version 3: its first word dropped, :data:`HOSTILE` added; returns its words."""
    words = [*_words(site)[1:], HOSTILE]
    lines = ["vocabularies:", f"  {DEPT}:"]
    for word in words:
        lines += [f"    - word: {json.dumps(word, ensure_ascii=False)}", "      problem: true"]
    (site / "content" / "vocabulary.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    out = kit.gk(site, "vocabulary", "publish", "--dept", DEPT, "--at", "2024-03-01")
    assert out.exit_code == 0, out.output
    return words


def test_the_app_offers_the_words_in_force_when_it_is_generated(site: Path, tmp_path: Path) -> None:
    words = _words(site)  # version 2, published by the example year before the draws
    page, data = _app(site, tmp_path / "v2")
    categories = data["categories"]
    assert isinstance(categories, list)
    assert [c["word"] for c in categories] == [*RESULT_CATEGORIES, *words]
    own = [c for c in categories if c.get("dept_word")]
    assert [c["word"] for c in own] == words
    assert all(c["own"] and c["problem"] and not c["other"] for c in own)
    assert data["vocabulary"] == 2
    assert "本部门检查结果用语（第 2 版，生成本应用时的现行版本）" in page
    # another department of the task has no words of its own: only the provincial ones
    _, scjg = _app(site, tmp_path / "scjg", "scjg")
    assert [c["word"] for c in scjg["categories"]] == list(RESULT_CATEGORIES)  # type: ignore[union-attr]
    assert scjg["vocabulary"] is None

    words = _publish_v3(site)
    page, data = _app(site, tmp_path / "v3")
    assert data == app_data(SiteRepo.open(site), TASK, DEPT)
    assert [c["word"] for c in data["categories"]][-len(words) :] == words  # type: ignore[union-attr]
    assert data["vocabulary"] == 3
    assert "</script><script>" not in page
    block = page.split('id="app-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert "&" not in block  # every & of the data is escaped in the script block


def _signer(site: Path, dept: str, inspector: str) -> Signer:
    """An enrolled phone key of ``inspector`` of ``dept``."""
    origin = SiteRepo.open(site).trust.origin
    seed = hashlib.sha256(f"{dept} phone {inspector}".encode()).digest()
    signer = inspector_signer(origin, dept, inspector, seed)
    path = site.parent / f"{inspector}.enrol.json"
    path.write_bytes(enrolment_from_signer(origin, dept, inspector, signer).dumps())
    out = kit.gk(site, "inspector", "enroll", str(path), "--dept", dept, "--at", "2024-03-02")
    assert out.exit_code == 0, out.output
    return signer


def _result(entity: str, team: tuple[str, ...], word: str) -> ResultBody:
    day = dt.date(2024, 3, 4)
    return ResultBody(
        entity=entity, items=("WJ-01",), methods=("现场检查",), categories=(word,),
        detail="现场检查发现的问题，已责令限期改正。", inspectors=team, inspected_on=day,
        completed_on=day, followup=FollowupState(measure=RECTIFY, state="未完结"),
    )  # fmt: skip


def _bundle(site: Path, dept: str, signer: Signer, result: ResultBody, name: str) -> Path:
    origin = SiteRepo.open(site).trust.origin
    path = site.parent / f"{name}.bundle.json"
    path.write_bytes(sign_bundle(origin, TASK, dept, signer, [(result, ())]).dumps())
    return path


def _import(site: Path, dept: str, bundle: Path) -> Result:
    return kit.gk(site, "results", "import", str(bundle), "--dept", dept, "--at", "2024-03-05")


def test_import_accepts_the_words_in_force_and_refuses_any_other(site: Path) -> None:
    current = SiteRepo.open(site).state().tasks.vocabularies.in_force(DEPT)
    assert current is not None
    if current.version < 3:
        _publish_v3(site)
    words = _words(site)
    record = SiteRepo.open(site).state().tasks.tasks[TASK]
    entity = min(e for e, t in record.teams.items() if t.get(DEPT) and t.get("scjg"))
    team = tuple(sorted(record.teams[entity][DEPT]))
    signer = _signer(site, DEPT, team[0])
    size = len((site / "draws" / "entries.jsonl").read_bytes().splitlines())
    retired = "从业人员未取得有效健康合格证明"  # version 2's first word, dropped by version 3
    assert retired not in words
    for word, why in (
        (retired, "也不在本部门现行的本部门检查结果用语（vocabulary.publish 第 3 版）中"),
        ("违反市场监管相关规定 ", "不是省级检查结果录入表的用语"),
        ("<b>进货查验记录不完整</b>", "不是省级检查结果录入表的用语"),
    ):
        bundle = _bundle(site, DEPT, signer, _result(entity, team, word), "refused")
        refused = _import(site, DEPT, bundle)
        assert refused.exit_code == 15, refused.output
        assert f"检查结果“{word}”" in refused.output
        assert why in refused.output
    # wsjk's word in a result of scjg, which published none: refused too
    scjg_team = tuple(sorted(record.teams[entity]["scjg"]))
    scjg = _signer(site, "scjg", scjg_team[0])
    bundle = _bundle(site, "scjg", scjg, _result(entity, scjg_team, HOSTILE), "scjg")
    refused = _import(site, "scjg", bundle)
    assert refused.exit_code == 15, refused.output
    assert "本部门也未发布本部门检查结果用语（vocabulary.publish）" in refused.output
    assert (
        len((site / "draws" / "entries.jsonl").read_bytes().splitlines()) == size + 1
    )  # scjg's key
    accepted = _import(
        site, DEPT, _bundle(site, DEPT, signer, _result(entity, team, HOSTILE), "ok")
    )
    assert accepted.exit_code == 0, accepted.output
    assert "新公示 1 条" in accepted.output
    verified = kit.gk_verify(site)
    assert verified.exit_code == 0, verified.output
