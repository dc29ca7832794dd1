"""The proof page's entity names: read from the snapshot, only the lines of the named entities
parsed (generator/site/drawproof.py ``_names``), with the names a full parse gives."""

from __future__ import annotations

import json

from generator.site.drawproof import _names


def test_names_of_the_wanted_ids_equal_a_full_parse() -> None:
    records = [
        {"id": "91610630B00000000A", "name": "甲公司", "stratum": "A"},
        {"id": "91610630B000000197", "name": "乙公司", "stratum": "B"},
        {"alias": "x", "id": "C", "name": "键排在 id 之前"},  # not starting with the id
        {"id": 'Q"1', "name": "转义的 id"},  # escaped in the line
        {"id": "无", "name": "非 ASCII 的 id"},
    ]
    lines = [
        json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        for r in records
    ]
    full = {str(r["id"]): str(r["name"]) for r in records}
    for wanted in [set(full), {"91610630B000000197", "C", 'Q"1'}, {"无"}, set()]:
        got = _names(b"\n".join(lines) + b"\n", wanted)
        assert {i: got.get(i, "") for i in wanted} == {i: full[i] for i in wanted}
    assert "91610630B00000000A" not in _names(b"\n".join(lines), {"C"})  # skipped unparsed
