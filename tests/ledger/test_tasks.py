"""The task state machine replayed from entries (docs/workflow.md §3, docs/ledger.md §14.4): every refusal."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from ledger import canonical
from ledger.entries import Entry, make_entry, parse_entry
from ledger.errors import VerificationError
from ledger.note import Signer
from ledger.tasks import TaskLedger, TaskState, china_date, parse_ts, round_time
from ledger.vocabulary import FOLLOWUP_MEASURES

ORIGIN = "test.example/gongkai/ledger"
KEY = Signer.from_seed("test.example/k", bytes(32))
R = 5358915  # drand quicknet round of 2024-02-25T16:55:09Z
ANNOUNCE_TS = "2024-02-22T02:00:00Z"


def entry(type_: str, ident: str, ts: str, **body: Any) -> Entry:
    return parse_entry(make_entry(ORIGIN, {"type": type_, "id": ident, "ts": ts, **body}, [KEY]))


def plan() -> Entry:
    document = {"sha256": "ab" * 32, "size": 2, "media": "application/json"}
    return entry(
        "plan.publish",
        "plan.publish/2024",
        "2024-01-10T01:00:00Z",
        dept="scjg",
        plan_id="2024",
        year=2024,
        title="2024 年度计划",
        tasks=[
            {
                "task_id": "T-JOINT",
                "kind": "joint",
                "lead": "scjg",
                "departments": ["scjg", "wsjk", "xfjy"],
            },
            {"task_id": "T-SINGLE", "kind": "single", "lead": "whly", "departments": ["whly"]},
        ],
        document=document,
    )


def invite(**over: Any) -> Entry:
    body = {
        "dept": "scjg",
        "task_id": "T-JOINT",
        "partners": ["wsjk", "xfjy"],
        "items": {"scjg": ["SJ-01"], "wsjk": ["WJ-01"], "xfjy": ["XF-01"]},
        "opens": "2024-01-15",
        "closes": "2024-02-20",
    }
    body.update(over)
    return entry("task.invite", "task.invite/T-JOINT", "2024-01-15T01:00:00Z", **body)


def reply(
    dept: str, decision: str = "accept", ts: str = "2024-01-20T01:00:00Z", **over: Any
) -> Entry:
    return entry(
        "task.reply",
        f"task.reply/T-JOINT/{dept}",
        ts,
        dept=dept,
        task_id="T-JOINT",
        decision=decision,
        **over,
    )


CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"


def announce(
    task: str = "T-JOINT",
    depts: tuple[str, ...] = ("scjg", "wsjk", "xfjy"),
    ts: str = ANNOUNCE_TS,
    round_: int = R,
    **over: Any,
) -> Entry:
    pool = {"sha256": "00" * 32, "count": 0}
    body: dict[str, Any] = {
        "dept": depts[0],
        "schema": "draw-v1/announce",
        "algorithm": "draw-v1",
        "task_id": task,
        "title": "测试抽取",
        "announced_at": ts,
        "pools": {"entities": pool, "inspectors": pool, "conflicts": pool},
        "rules": {
            "strata": [{"stratum": "A", "ratio": "0.1"}],
            "as_of": "2024-02-22",
            "exclude_inspected_within_days": None,
            "min_count": None,
            "lead": depts[0],
            "departments": [{"dept": d, "per_entity": 2, "required_tags": []} for d in depts],
        },
        "randomness": {
            "drand": {"chain_hash": CHAIN, "round": round_},
            "commitments": [{"dept": d, "commitment": "11" * 32} for d in depts],
        },
        "reveal_deadline": "2024-02-24T00:00:00Z",
    }
    body.update(over)
    return entry("draw.announce", f"draw.announce/{task}", ts, **body)


def reveal(dept: str, ts: str = "2024-02-23T00:00:00Z", task: str = "T-JOINT") -> Entry:
    return entry(
        "draw.reveal", f"draw.reveal/{task}/{dept}", ts, dept=dept, task_id=task, secret="22" * 32
    )


def beacon(
    ts: str = "2024-02-25T17:00:00Z", round_: int = R, task: str = "T-JOINT", dept: str = "scjg"
) -> Entry:
    return entry(
        "draw.beacon",
        f"draw.beacon/{task}",
        ts,
        dept=dept,
        task_id=task,
        chain_hash=CHAIN,
        round=round_,
        signature="00" * 48,
    )


BLOBS: dict[str, bytes] = {}


def draw_result(task: str = "T-JOINT", dept: str = "scjg") -> Entry:
    result = {
        "task_id": task,
        "strata": [{"stratum": "A", "drawn": [{"id": "E1"}, {"id": "E2"}]}],
        "assignments": [
            {
                "entity": "E1",
                "team": [{"dept": "scjg", "inspector": "I1"}, {"dept": "wsjk", "inspector": "I9"}],
            },
            {
                "entity": "E2",
                "team": [{"dept": "scjg", "inspector": "I2"}, {"dept": "wsjk", "inspector": "I9"}],
            },
        ],
    }
    data = canonical.dumps(result)
    digest = hashlib.sha256(data).hexdigest()
    BLOBS[digest] = data
    ref = {"sha256": digest, "size": len(data), "media": "application/json"}
    return entry(
        "draw.result",
        f"draw.result/{task}",
        "2024-02-25T18:00:00Z",
        dept=dept,
        task_id=task,
        result=ref,
        result_sha256=digest,
    )


def drawn_ref(ids: list[str]) -> dict[str, Any]:
    """``task.confirm.drawn`` for ``ids``, computed here from docs/workflow.md §3 rule 6."""
    data = b"".join(i.encode() + b"\n" for i in sorted(ids))
    return {"count": len(ids), "ids_sha256": hashlib.sha256(data).hexdigest()}


def confirm(task: str = "T-JOINT", **over: Any) -> Entry:
    body: dict[str, Any] = {
        "dept": "scjg",
        "task_id": task,
        "departments": ["scjg", "wsjk"],
        "drawn": drawn_ref(["E1", "E2"]),
        "forms": [],
    }
    body.update(over)
    return entry("task.confirm", f"task.confirm/{task}", "2024-02-26T01:00:00Z", **body)


def result_object(entity: str = "E1", inspectors: tuple[str, ...] = ("I1",), **over: Any) -> Any:
    body: dict[str, Any] = {
        "entity": entity,
        "items": ["SJ-01"],
        "methods": ["现场检查"],
        "categories": ["未发现问题"],
        "detail": "",
        "inspectors": list(inspectors),
        "inspected_on": "2024-04-01",
        "completed_on": "2024-04-02",
        "followup": {"measure": FOLLOWUP_MEASURES[0], "state": "已完结"},
    }
    body.update(over)
    return body


def result(
    entity: str = "E1",
    dept: str = "scjg",
    inspectors: tuple[str, ...] = ("I1",),
    ident: str = "r1",
    ts: str = "2024-04-20T01:00:00Z",
    **over: Any,
) -> Entry:
    body = result_object(entity, inspectors, **over)
    return entry("result.publish", ident, ts, dept=dept, task_id="T-JOINT", result=body)


def replace_entry(removed: str, ts: str, **over: Any) -> Entry:
    body: dict[str, Any] = {
        "dept": "scjg",
        "schema": "draw-v1/replace",
        "task_id": "T-JOINT",
        "result_sha256": "33" * 32,
        "stratum": "A",
        "removed": removed,
        "replacement": {"id": "E3", "ticket": "0.1"},
        "reason": "已注销",
    }
    body.update(over)
    return entry("draw.replace", "rp", ts, **body)


def followup_entry(kind: str, ident: str, ts: str, dept: str = "scjg") -> Entry:
    extra = {"measure": "其他"} if kind == "record" else {"closed_on": ts[:10]}
    return entry(
        f"followup.{kind}", ident, ts, dept=dept, task_id="T-JOINT", entity="E1", note="", **extra
    )


def checklist(dept: str) -> Entry:
    """Version 1 of ``dept``'s 抽查事项清单 (one item)."""
    item = {
        "item_id": f"{dept.upper()}-01",
        "name": "检查",
        "item_class": "重点检查事项",
        "ratio_cap": None,
        "min_ratio": None,
        "legal_basis": ["《条例》"],
        "frequency": None,
    }
    document = {"sha256": "cd" * 32, "size": 2, "media": "application/json"}
    return entry(
        "checklist.publish",
        f"checklist.publish/{dept}/v1",
        "2024-01-05T01:00:00Z",
        dept=dept,
        version=1,
        items=[item],
        document=document,
    )


#: The departments of :func:`plan` with a published checklist (docs/workflow.md §8.2).
CHECKLIST_DEPTS = ("scjg", "wsjk", "xfjy", "whly")


def run(entries: list[Entry]) -> TaskLedger:
    """Apply ``entries`` (index 0, 1, …) to a ledger where the departments of
    :data:`CHECKLIST_DEPTS` have published their checklists."""
    ledger = TaskLedger(blob_reader=BLOBS.__getitem__)
    ledger.checklists = {d: [checklist(d)] for d in CHECKLIST_DEPTS}
    for i, e in enumerate(entries):
        ledger.apply(e, i)
    return ledger


def happy() -> list[Entry]:
    return [plan(), invite(), reply("wsjk"), reply("xfjy", "decline", reason="人手不足"), announce(depts=("scjg", "wsjk")),
            reveal("scjg"), reveal("wsjk"), beacon(), draw_result(), confirm(), result()]  # fmt: skip


def test_happy_path_states() -> None:
    ledger = run(happy())
    task = ledger.tasks["T-JOINT"]
    assert task.state is TaskState.CONFIRMED
    assert task.participants == ("scjg", "wsjk")
    assert task.drawn == {"E1", "E2"}
    assert ledger.tasks["T-SINGLE"].state is TaskState.PLANNED


def test_round_time_matches_real_quicknet_round() -> None:
    assert round_time(R) == dt.datetime(2024, 2, 25, 16, 55, 9, tzinfo=dt.UTC)
    assert china_date("2024-02-25T16:55:09Z") == dt.date(2024, 2, 26)


REFUSALS: dict[str, tuple[Callable[[], list[Entry]], str]] = {
    "invite for unknown task": (
        lambda: [plan(), invite(task_id="NOPE")],
        "不在任何已发布的年度计划中",
    ),
    "invite before plan": (lambda: [invite()], "不在任何已发布的年度计划中"),
    "invite single task": (
        lambda: [plan(), invite(task_id="T-SINGLE", dept="whly", partners=["wsjk"])],
        "单部门任务不发出邀约",
    ),
    "invite by partner": (lambda: [plan(), invite(dept="wsjk")], "须由牵头部门"),
    "invite wrong partners": (lambda: [plan(), invite(partners=["wsjk"])], "配合部门与计划不符"),
    "window under a month": (lambda: [plan(), invite(closes="2024-02-10")], "1至3个月"),
    "window over 3 months": (lambda: [plan(), invite(closes="2024-04-16")], "1至3个月"),
    "second invite": (lambda: [plan(), invite(), invite()], "已邀约"),
    "reply by non-partner": (lambda: [plan(), invite(), reply("sw")], "不是受邀的配合部门"),
    "second reply": (lambda: [plan(), invite(), reply("wsjk"), reply("wsjk")], "已经应约"),
    "decline without reason": (lambda: [plan(), invite(), reply("wsjk", "decline")], "说明理由"),
    "reply after expiry": (
        lambda: [plan(), invite(), reply("wsjk", ts="2024-02-21T01:00:00Z")],
        "截止",
    ),
    "reply before invite": (lambda: [plan(), reply("wsjk")], "不在邀约中"),
    "announce while inviting": (
        lambda: [plan(), invite(), reply("wsjk"), announce(ts="2024-02-10T01:00:00Z", round_=R)],
        "邀约尚未结束",
    ),
    "announce with decliner": (
        lambda: [plan(), invite(), reply("wsjk"), reply("xfjy", "decline", reason="x"), announce()],
        "已应约的配合部门",
    ),
    "announce after expiry without silent partner": (
        lambda: [plan(), invite(), reply("wsjk"), announce(depts=("scjg", "wsjk", "xfjy"))],
        "已应约的配合部门",
    ),
    "announce too close to round": (
        lambda: [
            plan(),
            invite(),
            reply("wsjk"),
            reply("xfjy"),
            announce(ts="2024-02-25T00:00:00Z"),
        ],
        "不足 24 小时",
    ),
    "announce twice": (
        lambda: [plan(), announce("T-SINGLE", ("whly",)), announce("T-SINGLE", ("whly",))],
        "只能公告一次",
    ),
    "announce by partner": (
        lambda: [plan(), invite(), reply("wsjk"), reply("xfjy"), announce(dept="wsjk")],
        "须由牵头部门",
    ),
    "reveal deadline after round": (
        lambda: [plan(), announce("T-SINGLE", ("whly",), reveal_deadline="2024-02-25T16:00:00Z")],
        "至少 1 小时",
    ),
    "reveal before announce": (lambda: [plan(), reveal("whly", task="T-SINGLE")], "公告之后"),
    "reveal after deadline": (
        lambda: [
            plan(),
            announce("T-SINGLE", ("whly",)),
            reveal("whly", ts="2024-02-24T00:00:01Z", task="T-SINGLE"),
        ],
        "晚于截止时间",
    ),
    "reveal by outsider": (
        lambda: [plan(), announce("T-SINGLE", ("whly",)), reveal("scjg", task="T-SINGLE")],
        "不是参与部门",
    ),
    "beacon before round time": (
        lambda: [
            plan(),
            announce("T-SINGLE", ("whly",)),
            beacon("2024-02-25T16:00:00Z", task="T-SINGLE", dept="whly"),
        ],
        "早于 drand 轮次时间",
    ),
    "beacon wrong round": (
        lambda: [
            plan(),
            announce("T-SINGLE", ("whly",)),
            beacon(round_=R + 1, task="T-SINGLE", dept="whly"),
        ],
        "轮次与公告不符",
    ),
    "result before beacon": (
        lambda: [plan(), announce("T-SINGLE", ("whly",)), draw_result("T-SINGLE", "whly")],
        "随机数之后",
    ),
    "second beacon": (
        lambda: [
            plan(),
            announce("T-SINGLE", ("whly",)),
            beacon(task="T-SINGLE", dept="whly"),
            beacon(task="T-SINGLE", dept="whly"),
        ],
        "只能记录一次",
    ),
    "confirm before draw": (lambda: [*happy()[:7], confirm()], "抽取之后"),
    "result before confirm": (lambda: [*happy()[:9], result()], "名单确认下发之后"),
    "result for undrawn entity": (lambda: [*happy()[:10], result(entity="E9")], "不在抽取名单中"),
    "result by non-participant": (
        lambda: [*happy()[:10], result(dept="xfjy")],
        "不是该任务的检查部门",
    ),
    "inspector not on team": (
        lambda: [*happy()[:10], result(inspectors=("I2",))],
        "检查组中本部门的成员",
    ),
    "inspector of other dept": (
        lambda: [*happy()[:10], result(inspectors=("I9",))],
        "检查组中本部门的成员",
    ),
    "inspection before draw": (
        lambda: [*happy()[:10], result(inspected_on="2024-02-01")],
        "抽取 ≤ 检查",
    ),
    "completed before inspected": (
        lambda: [*happy()[:10], result(completed_on="2024-03-31")],
        "抽取 ≤ 检查",
    ),
    "entered before completed": (
        lambda: [*happy()[:10], result(ts="2024-04-01T01:00:00Z")],
        "抽取 ≤ 检查",
    ),
    "duplicate result": (lambda: [*happy(), result(ident="r2")], "更正"),
    "correction of unknown entry": (
        lambda: [
            *happy(),
            entry(
                "result.correct",
                "c1",
                "2024-04-21T01:00:00Z",
                dept="scjg",
                task_id="T-JOINT",
                refers={"index": 3, "leaf_hash": "00" * 32},
                result=result_object(),
                reason="更正",
            ),
        ],
        "不存在或哈希不符",
    ),
    "followup without result": (
        lambda: [*happy(), followup_entry("record", "f1", "2024-04-21T01:00:00Z", dept="wsjk")],
        "已公示的结果",
    ),
    "close without open followup": (
        lambda: [*happy(), followup_entry("close", "f1", "2024-04-21T01:00:00Z")],
        "没有未完结",
    ),
    "replace undrawn": (
        lambda: [*happy()[:9], replace_entry("E9", "2024-02-25T19:00:00Z")],
        "不在抽取名单中",
    ),
    "replace after confirm": (
        lambda: [*happy()[:10], replace_entry("E1", "2024-02-26T19:00:00Z")],
        "名单确认之前",
    ),
    "replace by partner": (
        lambda: [*happy()[:9], replace_entry("E1", "2024-02-25T19:00:00Z", dept="wsjk")],
        "须由牵头部门",
    ),
    "beacon by partner": (
        lambda: [*happy()[:7], beacon(dept="wsjk")],
        "须由牵头部门",
    ),
    "announced_at is not ts": (
        lambda: [plan(), announce("T-SINGLE", ("whly",), announced_at="2024-02-21T00:00:00Z")],
        "announced_at 应等于条目时间 ts",
    ),
    "confirm leaving a department out": (
        lambda: [*happy()[:9], confirm(departments=["scjg"])],
        "departments 应为参与抽取的部门",
    ),
    "confirm of another list": (
        lambda: [*happy()[:9], confirm(drawn=drawn_ref(["E1"]))],
        "drawn 应为当前的抽取名单",
    ),
    "confirm of another list of the same size": (
        lambda: [*happy()[:9], confirm(drawn=drawn_ref(["E1", "E3"]))],
        "drawn 应为当前的抽取名单",
    ),
    "round past the year 9999": (  # a hostile ledger: was a ValueError (a traceback)
        lambda: [plan(), announce("T-SINGLE", ("whly",), round_=2**53 - 1)],
        "晚于 9999 年",
    ),
    "body of the wrong shape": (
        lambda: [plan(), invite(opens=20240115)],
        "字段 opens 应为日期字符串，实为整数",
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refusals(name: str) -> None:
    build, message = REFUSALS[name]
    with pytest.raises(VerificationError, match=message):
        run(build())


def test_correction_and_followup_flow() -> None:
    entries = happy()
    original = entries[-1]

    def correction(ident: str, ts: str) -> Entry:
        return entry(
            "result.correct", ident, ts, dept="scjg", task_id="T-JOINT",
            refers={"index": len(entries) - 1, "leaf_hash": original.leaf_hash.hex()},
            result=result_object(detail="更正后的说明"), reason="更正",
        )  # fmt: skip

    fix = correction("c1", "2024-04-22T01:00:00Z")
    opened = followup_entry("record", "f1", "2024-04-23T01:00:00Z")
    closed = followup_entry("close", "f2", "2024-05-23T01:00:00Z")
    ledger = run([*entries, fix, opened, closed])
    assert ledger.tasks["T-JOINT"].followups[("scjg", "E1")] == "closed"
    # A second correction must refer to the latest version, not the original.
    stale = correction("c2", "2024-04-24T01:00:00Z")
    with pytest.raises(VerificationError, match="最新结果"):
        run([*entries, fix, stale])


def test_a_form_saying_open_may_be_closed_directly() -> None:
    """A result whose form says 未完结 is an open follow-up: ``followup.close`` needs no
    ``followup.record`` first (what ``gongkai status`` lists as open can be closed)."""
    entries = happy()[:-1]
    form = {"measure": "其他", "state": "未完结"}
    close = followup_entry("close", "f1", "2024-05-23T01:00:00Z")
    ledger = run([*entries, result(followup=form), close])
    assert ledger.tasks["T-JOINT"].followups[("scjg", "E1")] == "closed"
    with pytest.raises(VerificationError, match="没有未完结"):
        run([*entries, result(followup={**form, "state": "已完结"}), close])


def test_replacement_moves_the_team() -> None:
    rep = replace_entry("E1", "2024-02-25T19:00:00Z")
    ledger = run([*happy()[:9], rep])
    task = ledger.tasks["T-JOINT"]
    assert task.drawn == {"E2", "E3"}
    assert task.teams["E3"]["scjg"] == {"I1"}


def _key_add(dept: str) -> Entry:
    spec = {
        "vkey": f"test.example/gongkai/dept/{dept}/1+00000000+AA",
        "role": "dept",
        "dept": dept,
        "scopes": ["notice.ack"],
    }
    return entry("key.add", f"key.add/{dept}", "2024-01-02T01:00:00Z", key=spec)


def _notice(to: str) -> Entry:
    return entry(
        "notice.copy", f"notice.copy/T-JOINT/scjg/E1/{to}", "2024-04-21T01:00:00Z",
        dept="scjg", task_id="T-JOINT", entity="E1", to=to, subject="疏散通道堆放杂物",
    )  # fmt: skip


def test_a_notice_is_addressed_to_a_department_with_a_registered_key() -> None:
    """Only a department with a key in the ledger can sign for a 抄告 (docs/workflow.md §7)."""
    ledger = run([_key_add("wsjk"), *happy(), _notice("wsjk")])
    assert len(ledger.cases.notices) == 1
    with pytest.raises(VerificationError, match="收件部门 'xfjy' 不是本账本中登记了密钥的部门"):
        run([_key_add("wsjk"), *happy(), _notice("xfjy")])


def test_a_department_without_a_checklist_is_held() -> None:
    """docs/workflow.md §8.2: a plan task or a draw using such a department's items."""
    ledger = TaskLedger(blob_reader=BLOBS.__getitem__)
    ledger.checklists = {d: [checklist(d)] for d in ("scjg", "wsjk", "xfjy")}  # not whly
    with pytest.raises(VerificationError, match="任务 T-SINGLE：部门 whly 尚未发布抽查事项清单"):
        ledger.apply(plan(), 0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T08:00:00Z",
        "2024-02-29T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_parse_ts_reads_the_entry_form_as_strptime_does(text: str) -> None:
    expected = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert parse_ts(text) == expected
    assert parse_ts(text).tzinfo is dt.UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28T24:00:00Z",  # a later fromisoformat may take this for the next midnight
        "2026-02-30T08:00:00Z",
        "2026-11-28T08:00:60Z",
        "2026-11-28T08:00:00+00:00",
        "2026-11-28 08:00:00Z",
        "20261128T080000Z",
        "2026-11-28T08:00:00.5Z",
    ],
)
def test_parse_ts_refuses_every_other_form(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ts(text)
