"""The worked example of docs/signing.md §7 is what the implementation writes, byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator.signing import Request, Signature
from generator.signing_summary import summarise, summarise_batch
from ledger.draw.algorithms import DRAW_V1
from ledger.entries import parse_entry
from ledger.examplekeys import example_signer

DOC = Path(__file__).resolve().parents[2] / "docs" / "signing.md"
ORIGIN = "scjg.example.gov.cn/gongkai/ledger"


def _worked(
    body: dict[str, object], size: int, label: bytes, expires: str, signers: tuple[str, ...]
) -> Request:
    """A worked example's request: the ledger's root is SHA-256 of ``label`` (a placeholder)."""
    root = hashlib.sha256(label).hexdigest()
    return Request(ORIGIN, size, root, expires, body, signers, summarise(body), ())


def example() -> tuple[bytes, list[bytes], bytes]:
    """The request, the two signature files and the entry line of the worked example."""
    body = {
        "type": "task.confirm",
        "id": "task.confirm/2024-T1",
        "ts": "2024-03-05T02:00:00Z",
        "dept": "scjg",
        "task_id": "2024-T1",
        "departments": ["scjg", "wsjk"],
        "drawn": {
            "count": 2,
            "ids_sha256": hashlib.sha256(b"91620823MA00000001\n92620823MA00000002\n").hexdigest(),
        },
        "forms": [
            {"csv_sha256": hashlib.sha256(f"{d}.csv".encode()).hexdigest(), "dept": d,
             "xlsx_sha256": hashlib.sha256(f"{d}.xlsx".encode()).hexdigest()}
            for d in ("scjg", "wsjk")
        ],
    }  # fmt: skip
    request = _worked(body, 41, b"worked example", "2024-03-08T02:00:00Z", ("scjg", "wsjk"))
    data = request.dumps()
    digest = hashlib.sha256(data).hexdigest()
    sigs: list[bytes] = []
    entry_sigs: dict[str, bytes] = {}
    for dept in request.signers:
        signer = example_signer(f"scjg.example.gov.cn/gongkai/dept/{dept}/1")
        sig = signer.sign(request.message)
        sigs.append(Signature(digest, dept, signer.verifier().key_ref, sig).dumps())
        entry_sigs[signer.verifier().key_ref] = sig
    from ledger.entries import assemble_entry

    return data, sigs, assemble_entry(body, entry_sigs)


def test_the_worked_example_is_the_implementation() -> None:
    data, sigs, line = example()
    assert Request.loads(data, "example") is not None  # the request checks out
    doc = DOC.read_text(encoding="utf-8")
    for text in (data, *sigs, line + b"\n"):
        assert "```\n" + text.decode("utf-8") + "```" in doc, text.decode("utf-8")[:120]
    assert hashlib.sha256(data).hexdigest() in doc
    parse_entry(line)


def ceremony_example() -> tuple[bytes, bytes, bytes]:
    """The ``log.init`` request of §10, root 1's signature file and the entry line."""
    from generator.keynames import key_names
    from generator.ledgerops import log_init_body
    from generator.signing import prepare_initial

    names = key_names(ORIGIN)
    roots = [example_signer(names[f"root{n}"]) for n in (1, 2, 3)]
    log = example_signer(names["log"]).verifier()
    ts = "2024-01-05T01:00:00Z"
    body = log_init_body(ORIGIN, [log], [r.verifier() for r in roots], 2, ts, draw=DRAW_V1)
    request = prepare_initial(body)
    data = request.dumps()
    digest = hashlib.sha256(data).hexdigest()
    sigs = {r.verifier().key_ref: r.sign(request.message) for r in roots}
    first = roots[0].verifier().key_ref
    sig_file = Signature(digest, "root", first, sigs[first]).dumps()
    from ledger.entries import assemble_entry

    return data, sig_file, assemble_entry(body, sigs)


def _in_section(heading: str, data: bytes, sig_file: bytes, line: bytes) -> str:
    """Check that the request, its summary, the signature file and the entry line are code
    blocks of the section from ``heading`` on, with the request's SHA-256; the entry's type."""
    request = Request.loads(data, "example")
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index(heading) :]
    for text in (data, sig_file, line + b"\n", (request.summary + "\n").encode()):
        assert "```\n" + text.decode("utf-8") + "```" in section, text.decode("utf-8")[:120]
    assert hashlib.sha256(data).hexdigest() in section
    return parse_entry(line).type


def test_the_ceremony_example_is_the_implementation() -> None:
    assert _in_section("## 10.", *ceremony_example()) == "log.init"


def statement_example() -> tuple[bytes, bytes, bytes]:
    """The ``task.reply`` request of §11.2 (``gongkai task reply … --request``), wsjk's
    signature file and the entry line."""
    body = {
        "type": "task.reply",
        "id": "task.reply/2024-T1/wsjk",
        "ts": "2024-01-18T01:00:00Z",
        "dept": "wsjk",
        "task_id": "2024-T1",
        "decision": "decline",
        "reason": "本季度已安排专项执法，人员不足",
    }
    request = _worked(body, 12, b"worked example 11", "2024-01-21T01:00:00Z", ("wsjk",))
    data = request.dumps()
    signer = example_signer("scjg.example.gov.cn/gongkai/dept/wsjk/1")
    sig = signer.sign(request.message)
    ref = signer.verifier().key_ref
    sig_file = Signature(hashlib.sha256(data).hexdigest(), "wsjk", ref, sig).dumps()
    from ledger.entries import assemble_entry, make_entry

    line = assemble_entry(body, {ref: sig})
    assert line == make_entry(ORIGIN, body, [signer])  # what --key would have appended
    return data, sig_file, line


def test_the_statement_example_is_the_implementation() -> None:
    assert _in_section("## 11.", *statement_example()) == "task.reply"


def _result(entity: str, problem: bool) -> dict[str, object]:
    day = "2024-04-02"
    if problem:
        return {
            "entity": entity, "items": ["WJ-01"], "methods": ["现场检查"],
            "categories": ["违反本部门相关规定"],
            "detail": "安全管理制度落实不到位，已下达责令改正通知书。\n限期15日整改。",
            "inspectors": ["62082302001", "62082302004"], "inspected_on": day, "completed_on": day,
            "followup": {"measure": "违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责",
                         "state": "未完结"},
        }  # fmt: skip
    return {
        "entity": entity, "items": ["WJ-01"], "methods": ["现场检查"], "categories": ["未发现问题"],
        "detail": "现场检查未发现问题。", "inspectors": ["62082302001"], "inspected_on": day,
        "completed_on": day,
        "followup": {"measure": "未发现问题或相关问题已规范、已改正，无需后续处置", "state": "已完结",
                     "closed_on": day},
    }  # fmt: skip


def batch_example() -> tuple[bytes, bytes, list[bytes]]:
    """The batch request of §13.7 (``gongkai results import … --request``: one new result and
    one corrected), wsjk's batch signature file and the two entry lines."""
    from generator.signing_batch import BatchRequest, BatchSignature
    from ledger.entries import assemble_entry, make_entry

    common = {"ts": "2024-04-16T08:00:00Z", "dept": "wsjk", "task_id": "2024-T1"}
    first, second = "91620823MA00000001", "92620823MA00000002"
    entries = [
        {"type": "result.publish", "id": f"result.publish/2024-T1/wsjk/{first}", **common,
         "result": _result(first, False)},
        {"type": "result.correct", "id": f"result.correct/2024-T1/wsjk/{second}/52", **common,
         "refers": {"index": 52, "leaf_hash": hashlib.sha256(b"worked example 13, entry 52").hexdigest()},
         "reason": "重新导入检查结果录入表时更正", "result": _result(second, True)},
    ]  # fmt: skip
    root = hashlib.sha256(b"worked example 13").hexdigest()
    batch = BatchRequest(
        ORIGIN, 57, root, "2024-04-19T08:00:00Z", tuple(entries), ("wsjk",),
        summarise_batch(entries),
    )  # fmt: skip
    data = batch.dumps()
    signer = example_signer("scjg.example.gov.cn/gongkai/dept/wsjk/1")
    sigs = tuple(signer.sign(m) for m in batch.messages)
    ref = signer.verifier().key_ref
    sig_file = BatchSignature(hashlib.sha256(data).hexdigest(), "wsjk", ref, sigs).dumps()
    lines = [assemble_entry(e, {ref: sig}) for e, sig in zip(entries, sigs, strict=True)]
    assert lines == [make_entry(ORIGIN, e, [signer]) for e in entries]  # as --key would sign
    return data, sig_file, lines


def test_the_batch_example_is_the_implementation() -> None:
    from generator.signing_batch import BatchRequest

    data, sig_file, lines = batch_example()
    batch = BatchRequest.loads(data, "example")
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## 13.") :]
    texts = [
        data,
        sig_file,
        b"".join(line + b"\n" for line in lines),
        (batch.summary + "\n").encode(),
    ]
    for text in texts:
        assert "```\n" + text.decode("utf-8") + "```" in section, text.decode("utf-8")[:120]
    assert hashlib.sha256(data).hexdigest() in section
    assert [parse_entry(line).type for line in lines] == ["result.publish", "result.correct"]


if __name__ == "__main__":
    data, sigs, line = example()
    print(data.decode(), end="")
    print(hashlib.sha256(data).hexdigest())
    for s in sigs:
        print(s.decode(), end="")
    print(line.decode())
    print(Request.loads(data, "x").summary)
    for data, sig_file, line in (ceremony_example(), statement_example()):
        print(data.decode(), end="")
        print(hashlib.sha256(data).hexdigest())
        print(sig_file.decode(), end="")
        print(line.decode())
        print(Request.loads(data, "x").summary)
    data, sig_file, lines = batch_example()
    print(data.decode(), end="")
    print(hashlib.sha256(data).hexdigest())
    print(sig_file.decode(), end="")
    for line in lines:
        print(line.decode())
    from generator.signing_batch import BatchRequest

    print(BatchRequest.loads(data, "x").summary)
