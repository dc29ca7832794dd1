"""The Chinese summary a department reads before it signs a request (``docs/signing.md`` §2).

Computed from the entry body alone (a department need not hold the lead's content), so the
summary in a request can be recomputed and compared by every signer: a request whose summary
says something other than its body is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ledger.draw import drand
from ledger.tasks import parse_ts

_CHINA = dt.timezone(dt.timedelta(hours=8))
_TITLES = {
    "draw.announce": "抽取公告",
    "task.confirm": "名单确认下发",
    "draw.reveal": "揭示抽取秘密",
}


def _china(ts: str) -> str:
    return f"{parse_ts(ts).astimezone(_CHINA):%Y-%m-%d %H:%M:%S}（北京时间）"


def _announce(body: Mapping[str, Any]) -> list[str]:
    pools = body["pools"]
    rules = body["rules"]
    rnd = body["randomness"]
    round_time = dt.datetime.fromtimestamp(drand.round_time(rnd["drand"]["round"]), dt.UTC)
    ratios = "，".join(f"{s['stratum']} 类 {s['ratio']}" for s in rules["strata"])
    lines = [
        f"任务：{body['task_id']}（{body['title']}）",
        f"牵头部门：{rules['lead']}；参与部门：{'、'.join(d['dept'] for d in rules['departments'])}",
        f"名录库快照：检查对象 {pools['entities']['count']} 户，执法检查人员 "
        f"{pools['inspectors']['count']} 名，回避关系 {pools['conflicts']['count']} 条",
        f"抽取比例：{ratios}；最少户数：{rules['min_count']}",
        f"随机数：drand quicknet 第 {rnd['drand']['round']} 轮"
        f"（{round_time.astimezone(_CHINA):%Y-%m-%d %H:%M:%S}（北京时间））",
    ]
    if "reveal_deadline" in body:
        lines.append(f"揭示截止：{_china(body['reveal_deadline'])}")
    lines += [f"部门 {c['dept']} 的承诺：{c['commitment']}" for c in rnd["commitments"]]
    return lines


def _confirm(body: Mapping[str, Any]) -> list[str]:
    lines = [
        f"任务：{body['task_id']}",
        f"参与部门：{'、'.join(body['departments'])}",
        f"抽中检查对象 {len(body['drawn'])} 户：{'、'.join(body['drawn'])}",
    ]
    lines += [
        f"部门 {f['dept']} 的结果录入表：XLSX SHA-256 {f['xlsx_sha256']}，CSV SHA-256 {f['csv_sha256']}"
        for f in body["forms"]
    ]
    return lines


def summarise(body: Mapping[str, Any]) -> str:
    """The summary of ``body`` (one line per fact, ending without a newline).

    Precondition: ``body`` parses as its type's payload (the request checks this first).
    """
    type_ = body["type"]
    head = [
        f"签署申请：{_TITLES.get(type_, type_)}（{type_}，条目编号 {body['id']}）",
        f"条目时间：{_china(body['ts'])}；提出部门：{body['dept']}",
    ]
    if type_ == "draw.announce":
        return "\n".join(head + _announce(body))
    if type_ == "task.confirm":
        return "\n".join(head + _confirm(body))
    return "\n".join(head)
