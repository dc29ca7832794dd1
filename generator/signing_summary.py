"""The Chinese summary a department reads before it signs a request (``docs/signing.md`` §2).

Computed from the entry body alone (a department need not hold the lead's content), so the
summary in a request can be recomputed and compared by every signer: a request whose summary
says something other than its body is refused.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from generator.content.text import unsafe_char
from ledger import canonical
from ledger.draw import drand
from ledger.tasks import parse_ts

_CHINA = dt.timezone(dt.timedelta(hours=8))
_TITLES = {
    "draw.announce": "抽取公告",
    "task.confirm": "名单确认下发",
    "draw.reveal": "揭示抽取秘密",
    "log.init": "新建账本",
    "key.add": "登记部门密钥",
    "key.revoke": "撤销部门密钥",
    "root.update": "更换根密钥",
    "logkey.rotate": "更换日志密钥",
    "plan.publish": "发布年度抽查工作计划",
    "checklist.publish": "发布抽查事项清单",
    "vocabulary.publish": "发布本部门检查结果用语",
    "library.publish": "发布检查对象名录库",
    "task.invite": "联合抽查邀约",
    "task.reply": "应约",
    "draw.beacon": "记录 drand 随机数",
    "draw.result": "抽取结果",
    "draw.replace": "替补抽中主体",
    "result.publish": "公示检查结果",
    "result.correct": "更正检查结果",
    "followup.record": "记录后续处置",
    "followup.close": "后续处置完结",
    "case.open": "立案",
    "case.progress": "查处进展",
    "case.close": "结案",
    "notice.copy": "抄告",
    "notice.ack": "签收抄告",
    "inspector.enrol": "登记检查人员密钥",
    "inspector.revoke": "撤销检查人员密钥",
}
#: Longest value shown on one line of the generic summary (characters); the request's ``body``
#: holds the whole value.
_MAX_SHOWN = 600
_REASONS = {
    "rotated": "rotated（更换密钥）",
    "compromised": "compromised（私钥泄露或丢失）",
    "left": "left（人员调离）",
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
        f"抽中检查对象 {body['drawn']['count']} 户（含替补；名单 SHA-256 {body['drawn']['ids_sha256']}，"
        "签署时与本部门账本副本中的抽取名单核对）",
    ]
    lines += [
        f"部门 {f['dept']} 的结果录入表：XLSX SHA-256 {f['xlsx_sha256']}，CSV SHA-256 {f['csv_sha256']}"
        for f in body["forms"]
    ]
    return lines


def _keys(label: str, vkeys: list[str]) -> list[str]:
    """One line per key: its full public key (a holder compares it with its own ``.pub``)."""
    return [f"{label}：{v}" for v in vkeys]


def _key_entry(body: Mapping[str, Any]) -> list[str]:
    """The lines of a key-management body (``docs/signing.md`` §9), after the title line."""
    type_ = body["type"]
    lines = [f"条目时间：{_china(body['ts'])}"]
    if type_ == "log.init":
        lines.append(
            f"账本来源：{body['origin']}；根密钥 {len(body['roots'])} 把，门限 {body['threshold']}"
        )
        lines += _keys("根密钥", body["roots"]) + _keys("日志密钥", body["log_keys"])
        lines.append("须由以上每一把根密钥签署")
    elif type_ == "key.add":
        key = body["key"]
        lines.append(f"部门：{key['dept']}；可签署：{'、'.join(key['scopes'])}")
        lines += _keys("新密钥", [key["vkey"]])
        lines.append("须由门限数量的现任根密钥和新密钥本身签署")
    elif type_ == "key.revoke":
        lines.append(f"撤销密钥：{body['key']}；原因：{_REASONS[body['reason']]}")
        if "compromised_from_index" in body:
            lines.append(
                f"该密钥在第 {body['compromised_from_index']} 条及以后签署的条目将被标记为可疑（不删除）"
            )
        lines.append(
            "本条之前该密钥签署的条目仍然有效，本条及以后该密钥的签名一律无效；"
            "须由门限数量的现任根密钥或该密钥本身签署"
        )
    elif type_ == "root.update":
        lines.append(f"新的根密钥 {len(body['roots'])} 把，门限 {body['threshold']}")
        lines += _keys("新根密钥", body["roots"])
        lines.append("须由门限数量的现任根密钥和每一把新根密钥签署")
    else:
        lines += _keys("新日志密钥", body["log_keys"])
        lines.append("须由门限数量的现任根密钥签署；之后的检查点由新日志密钥签署")
    return lines


def _fields(body: Mapping[str, Any]) -> list[str]:
    """One line per field of any other department entry: ``字段 name：value`` in key order, a
    value that is not text as canonical JSON, cut at :data:`_MAX_SHOWN` characters."""
    lines = []
    for name in sorted(body):
        if name in ("type", "id", "ts", "dept"):
            continue
        value = body[name]
        text = value if isinstance(value, str) else canonical.dumps(value).decode("utf-8")
        if len(text) > _MAX_SHOWN:
            text = f"{text[:_MAX_SHOWN]}…（共 {len(text)} 字符，全文见申请文件的 body）"
        lines.append(f"字段 {name}：{text}")
    return lines


def summarise(body: Mapping[str, Any]) -> str:
    """The summary of ``body`` (one line per fact, ending without a newline); every line shown
    with :func:`shown`, so no text of the body can hide, move or fake a line.

    Precondition: ``body`` parses as its type's payload (the request checks this first).
    """
    return "\n".join(map(shown, _lines(body)))


def _lines(body: Mapping[str, Any]) -> list[str]:
    type_ = body["type"]
    if "dept" not in body:  # a key-management entry (signed by root holders)
        title = f"签署申请：{_TITLES[type_]}（{type_}，条目编号 {body['id']}）"
        return [title, *_key_entry(body)]
    head = [
        f"签署申请：{_TITLES.get(type_, type_)}（{type_}，条目编号 {body['id']}）",
        f"条目时间：{_china(body['ts'])}；提出部门：{body['dept']}",
    ]
    if type_ == "draw.announce":
        return head + _announce(body)
    if type_ == "task.confirm":
        return head + _confirm(body)
    if type_ == "draw.reveal":
        return [*head, f"任务：{body['task_id']}", f"揭示的抽取秘密：{body['secret']}"]
    if type_ == "vocabulary.publish":
        return [
            *head,
            f"本部门检查结果用语第 {body['version']} 版，共 {len(body['findings'])} 个：",
            *(
                f"  {f['word']}（{'发现问题' if f['problem'] else '未发现问题'}）"
                for f in body["findings"]
            ),
        ]
    if type_ == "inspector.revoke":
        return head + _inspector_revoke(body)
    return head + _fields(body)


def _inspector_revoke(body: Mapping[str, Any]) -> list[str]:
    """The lines of ``inspector.revoke`` (docs/mobile.md §3): the key, the reason and what a
    declared compromise flags."""
    lines = [f"撤销检查人员密钥：{body['key']}；原因：{_REASONS[body['reason']]}"]
    if "compromised_from_index" in body:
        lines.append(
            f"该密钥在第 {body['compromised_from_index']} 条及以后签名的检查结果将被标记为可疑"
            "（不删除）"
        )
    lines.append("本条之前导入的结果仍然有效，本条及以后用该密钥签名的结果包不能导入")
    return lines


def shown(text: str) -> str:
    r"""``text`` as a summary shows it (``docs/signing.md`` §13.3): a backslash as ``\\``, and
    every character that could hide, move or fake a line of the summary — the characters
    :func:`generator.content.text.unsafe_char` refuses, line feed and tab included — as
    ``\u{XXXX}`` (its code point in at least four uppercase hexadecimal digits). Everything
    else, Chinese text above all, is shown as it is."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif unsafe_char(ch) is not None:
            out.append(f"\\u{{{ord(ch):04X}}}")
        else:
            out.append(ch)
    return "".join(out)


def _result_lines(result: Mapping[str, Any]) -> list[str]:
    """The indented lines of a ``result`` object (``docs/workflow.md`` §2)."""
    followup = result["followup"]
    state = shown(followup["state"])
    if "closed_on" in followup:
        state += f"，{followup['closed_on']}"
    lines = [
        f"  检查事项：{'、'.join(map(shown, result['items'])) or '（无）'}；"
        f"检查方式：{'、'.join(map(shown, result['methods']))}",
        f"  检查人员：{'、'.join(map(shown, result['inspectors']))}；"
        f"检查日期：{result['inspected_on']}；完成日期：{result['completed_on']}",
        f"  检查结果：{'、'.join(map(shown, result['categories']))}",
        f"  情况说明：{shown(result['detail'])}",
        f"  后续处置：{shown(followup['measure'])}（{state}）",
    ]
    if "note" in followup:
        lines.append(f"  处置说明：{shown(followup['note'])}")
    return lines


def _batch_entry(number: int, body: Mapping[str, Any]) -> list[str]:
    """The lines of one entry of a batch: its title, what it corrects, the result."""
    type_ = body["type"]
    lines = [
        f"第 {number} 条：{_TITLES[type_]} 主体 {shown(body['result']['entity'])}"
        f"（{type_}，条目编号 {shown(body['id'])}）"
    ]
    if type_ == "result.correct":
        refers = body["refers"]
        lines.append(
            f"  更正账本第 {refers['index']} 条（叶哈希 {refers['leaf_hash']}）；"
            f"更正原因：{shown(body['reason'])}"
        )
    lines += _result_lines(body["result"])
    inspection = body.get("inspection")
    if inspection is not None:
        keys = "、".join(shown(s["key"]) for s in inspection["sigs"])
        lines.append(
            f"  检查人员手机签名：{keys}；附件 {len(inspection['attachments'])} 个"
            "（检查人员的签名原样保留，部门另行签署）"
        )
    return lines


def summarise_batch(entries: Sequence[Mapping[str, Any]]) -> str:
    """The summary of a batch request's ``entries`` (``docs/signing.md`` §13.3), one fact per
    line, ending without a newline.

    Precondition: ``entries`` is not empty, every body parses as its type's payload, and all
    are ``result.publish`` / ``result.correct`` of one department, one task and one ``ts``
    (the batch reader checks this first).
    """
    first = entries[0]
    counts = Counter(body["type"] for body in entries)
    order = ("result.publish", "result.correct")
    kinds = "，".join(f"{_TITLES[t]} {counts[t]} 条" for t in order if counts[t])
    lines = [
        f"批量签署申请：检查结果 {len(entries)} 条（{kinds}），由部门 {shown(first['dept'])} "
        "一次签署，每条条目各有一个本部门签名",
        f"条目时间：{_china(first['ts'])}；提出部门：{shown(first['dept'])}",
        f"任务：{shown(first['task_id'])}",
        f"主体：{'、'.join(shown(body['result']['entity']) for body in entries)}",
    ]
    for number, body in enumerate(entries, start=1):
        lines += _batch_entry(number, body)
    return "\n".join(lines)
