"""The 检查对象名录库 in the ledger (docs/workflow.md §9): ``gongkai library publish``, the
refusal to draw from an unpublished library, and the verifier re-deriving every announced entity
snapshot from the library version in force — so a business left out of a pool is found.

The forged ledgers replace ``generator.workflow.drawing.announced_pool`` with what a dishonest
operator would use (dropping a business, renaming one) and require ``gongkai verify`` to refuse
them, naming the business, while the honest ledger passes.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fresh_site import Site
from test_visits import C, _announce, announced_site

import generator.workflow.drawing as drawing
from ledger import canonical
from ledger.draw.library import (
    InspectorRecord,
    LibraryRecord,
    expected_inspectors,
    expected_snapshot,
    library_document,
    parse_library,
)
from ledger.draw.libraryaudit import LibraryAudit
from ledger.draw.snapshot import ENTITIES, build_snapshot
from ledger.errors import VerificationError
from ledger.verify import verify_directory


@pytest.fixture(scope="module")
def announced(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The plan published (library version 1 by scjg) and A announced."""
    return announced_site(tmp_path_factory.mktemp("library-announced"))


def _copy(s: Site, tmp: Path) -> Site:
    shutil.copytree(s.root.parent, tmp, dirs_exist_ok=True)
    return Site(tmp)


def _refused(s: Site) -> str:
    result = s.run("verify", str(s.root / "draws"), "--no-update-pin", ok=False)
    assert result.exit_code == 4, result.output
    return result.output


def _entities_csv(s: Site) -> Path:
    return s.content / "entities.csv"


def test_the_honest_snapshot_is_rederived_from_the_library(announced: Site, tmp_path: Path) -> None:
    s = _copy(announced, tmp_path)
    report = verify_directory(s.root / "draws", update_pin=False)
    assert report.libraries_checked == 1
    assert not any("library.publish" in w for w in report.warnings)
    result = s.run("verify", str(s.root / "draws"), "--no-update-pin", "--json")
    assert json.loads(result.output)["checked"]["libraries"] == 1
    assert (
        "按账本记录的名录库重算检查对象快照 1 个、执法检查人员快照 1 个"
        in s.run("verify", str(s.root / "draws"), "--no-update-pin").output
    )


def test_a_business_left_out_of_the_snapshot_is_found(
    announced: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(announced, tmp_path)
    honest = drawing.announced_pool
    dropped: list[str] = []

    def without_one(repo: Any, task: Any, rules: Any) -> list[Any]:
        pool = honest(repo, task, rules)
        dropped.append(pool[0][0].id)
        return pool[1:]

    monkeypatch.setattr(drawing, "announced_pool", without_one)
    _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915)
    message = _refused(s)
    assert f"draw.announce/{C}" in message
    assert f"主体 {dropped[0]}" in message
    assert "在检查对象名录库第 1 版中且符合任务的条件，却不在检查对象快照中" in message


def test_a_renamed_business_in_the_snapshot_is_found(
    announced: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(announced, tmp_path)
    honest = drawing.announced_pool

    def renamed(repo: Any, task: Any, rules: Any) -> list[Any]:
        pool = honest(repo, task, rules)
        first, last = pool[0]
        return [(dataclasses.replace(first, name="<b>另一家</b>"), last), *pool[1:]]

    monkeypatch.setattr(drawing, "announced_pool", renamed)
    _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915)
    message = _refused(s)
    assert "的 name 为 '<b>另一家</b>'，按检查对象名录库第 1 版及账本记录应为" in message


def _publish(s: Site, kind: str, dept: str, ok: bool = True) -> Any:
    at = "2024-02-22T10:02:00+08:00"
    return s.site("library", "publish", kind, "--dept", dept, "--at", at, dept=dept, ok=ok)


def test_a_changed_library_must_be_published_before_the_draw(
    announced: Site, tmp_path: Path
) -> None:
    s = _copy(announced, tmp_path)
    lines = _entities_csv(s).read_text("utf-8").splitlines(keepends=True)
    _entities_csv(s).write_text("".join(lines[:-1]), "utf-8")  # one business removed
    before = (s.root / "draws" / "entries.jsonl").read_bytes()
    refused = _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915, ok=False)
    assert "content/ 中的检查对象名录库与账本最新发布的检查对象名录库（第 1 版）不同" in refused
    assert "gongkai library publish entities --dept scjg" in refused
    assert (s.root / "draws" / "entries.jsonl").read_bytes() == before
    other = _publish(s, "entities", "wsjk", ok=False)
    assert other.exit_code == 11
    assert "检查对象名录库由部门“scjg”发布（第 1 版）" in other.output
    assert "已发布检查对象名录库第 2 版" in _publish(s, "entities", "scjg").output
    again = _publish(s, "entities", "scjg", ok=False)
    assert "自第 2 版发布以来没有变化" in again.output
    _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915)
    report = verify_directory(s.root / "draws", update_pin=False)
    assert (report.libraries_checked, report.inspector_libraries_checked) == (2, 2)


def test_an_inspector_left_out_of_the_snapshot_is_found(
    announced: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _copy(announced, tmp_path)
    honest = drawing.build_snapshot
    dropped: list[str] = []

    def without_one(kind: str, records: list[dict[str, Any]]) -> bytes:
        if kind == "inspectors":
            dropped.append(records[0]["id"])
            records = records[1:]
        return honest(kind, records)

    monkeypatch.setattr(drawing, "build_snapshot", without_one)
    _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915)
    message = _refused(s)
    assert f"执法检查人员 {dropped[0]}" in message
    assert "在执法检查人员名录库第 1 版中且符合任务的条件，却不在执法检查人员快照中" in message


def test_a_changed_inspector_library_must_be_published(announced: Site, tmp_path: Path) -> None:
    s = _copy(announced, tmp_path)
    path = s.content / "inspectors.csv"
    header, first, *rest = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text(header + first.replace("在岗", "调出") + "".join(rest), "utf-8")
    refused = _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915, ok=False)
    assert "执法检查人员名录库（第 1 版）不同" in refused
    assert "gongkai library publish inspectors --dept scjg" in refused
    published = _publish(s, "inspectors", "scjg").output
    assert "已发布执法检查人员名录库第 2 版" in published
    _announce(s, C, "2024-02-22T10:05:00+08:00", 5358915)
    assert verify_directory(s.root / "draws", update_pin=False).inspector_libraries_checked == 2


# -- the library document and the audit, without a site ------------------------------------------


def _record(id_: str, **changes: Any) -> LibraryRecord:
    base = LibraryRecord(
        id=id_,
        name=f"名称{id_}",
        entity_type="企业",
        division="620823",
        industries=("餐饮",),
        status="存续",
        risk="B",
        last_inspected=None,
    )
    return dataclasses.replace(base, **changes)


def test_the_document_round_trips_and_hostile_documents_are_refused() -> None:
    records = [_record("2"), _record("1", industries=("住宿", "餐饮"), last_inspected="2023-05-01")]
    data = library_document("entities", records)
    assert list(parse_library(data)) == ["1", "2"]
    document = canonical.loads(data)
    bad: list[Any] = [
        b"not json",
        canonical.dumps([]),
        canonical.dumps({"library": "inspectors", "records": []}),
        canonical.dumps({**document, "records": document["records"][::-1]}),  # order
        canonical.dumps({**document, "records": [document["records"][0]] * 2}),  # duplicate
        canonical.dumps({**document, "records": [{**document["records"][0], "risk": "E"}]}),
        canonical.dumps({**document, "records": [{**document["records"][0], "extra": 1}]}),
        canonical.dumps(
            {**document, "records": [{**document["records"][0], "last_inspected": "2023-5-1"}]}
        ),
        canonical.dumps(
            {**document, "records": [{**document["records"][0], "industries": ["餐饮", "住宿"]}]}
        ),
        canonical.dumps({**document, "records": [{**document["records"][0], "name": 7}]}),
        # values a record-by-record check could not even compare (once a TypeError)
        canonical.dumps({**document, "records": [{**document["records"][0], "risk": []}]}),
        canonical.dumps(
            {**document, "records": [{**document["records"][0], "industries": [{"a": 1}]}]}
        ),
        canonical.dumps(
            {**document, "records": [{**document["records"][0], "industries": ["a", 1]}]}
        ),
        canonical.dumps({**document, "records": [document["records"][0], {"id": []}]}),
        data.replace(b'{"library"', b'{ "library"'),  # not canonical
    ]
    for blob in bad:
        with pytest.raises(VerificationError):
            parse_library(blob)
    with pytest.raises(ValueError):
        library_document("entities", [_record("1"), _record("1")])
    with pytest.raises(VerificationError):
        parse_library(data, "inspectors")  # the kind is part of the document


def test_the_column_checks_read_a_library_as_the_record_checks_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 检查对象名录库 is read column by column; a valid one gives the very records the
    record-by-record reading gives, and each kind of flaw (in the 80th of 120 records) falls
    back to the record-by-record reading, which names the record and the field."""
    import ledger.draw.library as library

    good = [
        _record(f"{i:03d}", industries=(("住宿", "餐饮") if i % 3 else ()), risk="ABCD"[i % 4],
                last_inspected=None if i % 2 else f"2023-0{1 + i % 9}-1{i % 10}")
        for i in range(120)
    ]  # fmt: skip
    data = library_document("entities", good)
    fast = parse_library(data)
    assert list(fast.values()) == good
    with monkeypatch.context() as m:
        m.setattr(library, "_entity_records", lambda raws: None)
        assert parse_library(data) == fast
    document = canonical.loads(data)
    flaws = {
        "name": ("", "名录库第 80 条记录.name"),
        "division": ("x" * 501, "名录库第 80 条记录.division"),
        "risk": ("E", "名录库第 80 条记录.risk"),
        "last_inspected": ("2023-02-30", "名录库第 80 条记录.last_inspected"),
        "industries": (["餐饮", "住宿"], "名录库第 80 条记录.industries"),
        "id": ("078", "名录库第 80 条记录的 id 未按码位严格递增"),
    }
    for field_name, (value, message) in flaws.items():
        rows = [dict(r) for r in document["records"]]
        rows[79][field_name] = value
        flawed = canonical.dumps({**document, "records": rows})
        with pytest.raises(VerificationError, match=re.escape(message)):
            parse_library(flawed)


def test_the_expected_snapshot_applies_filter_status_exclusions_and_visits() -> None:
    import datetime as dt

    library = parse_library(
        library_document(
            "entities",
            [
                _record("a"),
                _record("b", status="注销"),  # never drawn
                _record("c", division="620802"),  # outside the county
                _record("d", industries=("住宿",)),  # another industry
                _record("e", last_inspected="2023-01-01"),
                _record("f"),  # excluded by its 抽查频次
            ],
        )
    )
    pool = {"industries": ("餐饮",), "divisions": ("620823",), "entity_types": ()}
    visits = {"e": dt.date(2024, 3, 1), "a": dt.date(2022, 1, 1)}
    rows = expected_snapshot(library, pool, {"f"}, visits)
    assert [(r["id"], r["last_inspected"]) for r in rows] == [
        ("a", "2022-01-01"),
        ("e", "2024-03-01"),
    ]
    city = {"industries": (), "divisions": ("620800",), "entity_types": ("企业",)}
    assert [r["id"] for r in expected_snapshot(library, city, (), {})] == ["a", "c", "d", "e", "f"]
    audit = LibraryAudit()
    audit.announce("T", pool, rows, {"f"}, visits)
    assert audit.unchecked == [("T", "entities")]  # no version recorded yet: reported
    audit.publish("entities", 1, 6, library_document("entities", library.values()))
    audit.announce("T", pool, rows, {"f"}, visits)
    assert audit.checked == 1
    with pytest.raises(VerificationError, match="主体 f（名称f）在检查对象名录库第 1 版中"):
        audit.announce("T", pool, rows, set(), visits)
    # The snapshot file itself (as the audit passes it): compared as bytes, parsed on a mismatch.
    audit.announce("T", pool, build_snapshot(ENTITIES, rows), {"f"}, visits)
    assert audit.checked == 2
    with pytest.raises(VerificationError, match="主体 f（名称f）在检查对象名录库第 1 版中"):
        audit.announce("T", pool, build_snapshot(ENTITIES, rows), set(), visits)
    renamed = [{**r, "name": "别名"} if r["id"] == "e" else r for r in rows]
    with pytest.raises(VerificationError, match="主体 e 的 name 为 '别名'"):
        audit.announce("T", pool, build_snapshot(ENTITIES, renamed), {"f"}, visits)
    assert audit.checked == 2
    with pytest.raises(VerificationError, match="与条目的 count 5 不符"):
        audit.publish("entities", 2, 5, library_document("entities", library.values()))


def test_the_worked_example_of_docs_workflow_9() -> None:
    import datetime as dt
    import hashlib

    records = [
        LibraryRecord(
            "92620823MA00000002", "崇信县锦屏镇老马面馆", "个体工商户", "620823", ("餐饮",),
            "存续", "B", "2023-06-12",
        ),
        LibraryRecord(
            "91620823MA00000001", "崇信县龙泉酒店有限公司", "企业", "620823", ("住宿", "餐饮"),
            "在业", "A", None,
        ),
        LibraryRecord(
            "91620823MA00000003", "崇信县已注销饭店有限公司", "企业", "620823", ("餐饮",),
            "注销", "C", None,
        ),
    ]  # fmt: skip
    data = library_document("entities", records)
    docs = (Path(__file__).parents[2] / "docs" / "workflow.md").read_text("utf-8")
    section = docs[docs.index("## 9. 两库记入账本") :]
    assert f"（{len(data)} 字节，SHA-256\n`{hashlib.sha256(data).hexdigest()}`）" in section
    assert "\n" + data.decode() + "\n" in section
    pool = {
        "industries": ("餐饮",),
        "divisions": ("620823",),
        "entity_types": ("企业", "个体工商户"),
    }
    visits = {"92620823MA00000002": dt.date(2024, 4, 8)}
    rows = expected_snapshot(parse_library(data), pool, (), visits)
    assert "\n".join(canonical.dumps(r).decode() for r in rows) in section


def test_the_expected_inspector_snapshot_keeps_the_on_duty_of_the_departments() -> None:
    records = [
        InspectorRecord("Z2", "王五", "wsjk", ("公共卫生",), "在岗"),
        InspectorRecord("A1", "张三", "scjg", ("食品安全", "餐饮"), "在岗"),
        InspectorRecord("B7", "李四", "scjg", (), "调出"),
        InspectorRecord("C3", "赵六", "xfjy", ("消防",), "在岗"),
    ]
    data = library_document("inspectors", records)
    library = parse_library(data, "inspectors")
    assert list(library) == ["A1", "B7", "C3", "Z2"]
    assert expected_inspectors(library, ["scjg", "wsjk"]) == [
        {"active": True, "dept": "scjg", "id": "A1", "tags": ["食品安全", "餐饮"]},
        {"active": True, "dept": "wsjk", "id": "Z2", "tags": ["公共卫生"]},
    ]
    with pytest.raises(ValueError):
        library_document("inspectors", [_record("1")])


def test_the_audit_keeps_what_each_library_version_changed() -> None:
    """The audit parses each library blob once and keeps, per version, the count and the
    records removed, added and changed in id order (the first NAMED of each, and how many): the
    site's change lines come from that, not from a second parse (docs/site.md §8.1)."""
    from generator.workflow.changes import library_changes
    from ledger.draw.libraryaudit import NAMED

    old = [_record(f"{i:04d}") for i in range(2 * NAMED + 50)]
    gone = {f"{i:04d}" for i in range(0, 2 * (NAMED + 1), 2)}  # NAMED + 1 businesses removed
    new = [r for r in old if r.id not in gone]
    new[0] = dataclasses.replace(new[0], name="改名")
    new.append(_record("9999"))
    audit = LibraryAudit()
    audit.publish("entities", 1, len(old), library_document("entities", old))
    audit.publish("entities", 2, len(new), library_document("entities", new))
    first, second = audit.versions["entities"]
    assert (first.version, first.count, first.first) == (1, len(old), True)
    assert library_changes(first, "户") == (f"第一版，共 {len(old)} 户",)
    assert (second.version, second.count, second.first) == (2, len(new), False)
    assert second.removed.total == NAMED + 1
    assert [r.id for r in second.removed.first] == sorted(gone)[:NAMED]
    assert [r.id for r in second.added.first] == ["9999"]
    assert second.added.total == 1
    assert second.changed.first == (new[0],)
    assert second.changed.total == 1
    lines = library_changes(second, "户")
    assert lines[0].startswith(f"移出 {NAMED + 1} 户：名称0000（0000）、名称0002（0002）")
    assert lines[0].endswith(f" 等，共 {NAMED + 1} 户")
    assert "0200" not in lines[0]
    assert lines[1:] == (
        "新增 1 户：名称9999（9999）",
        f"信息变更 1 户：改名（{new[0].id}）",
        f"共 {len(new)} 户",
    )
