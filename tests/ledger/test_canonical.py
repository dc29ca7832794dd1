"""Tests for ledger.canonical: the RFC 8785 JCS profile of docs/ledger.md §10.1."""

from __future__ import annotations

import enum
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import MAX_SAFE_INTEGER, dumps, loads
from ledger.errors import MalformedError

ENTRY = (
    '{"body":{"departments":["市场监管局","生态环境局"],"index":12,'
    '"task_id":"2026-市场监管-0012","type":"draw.result"},'
    '"sigs":[{"key":"shsamr+1a2b3c4d","sig":"AAAA"}],"v":1}'
).encode()


# --- accepted texts and exact serializations --------------------------------------------------

VALID = [
    b"null",
    b"true",
    b"false",
    b"0",
    b"-1",
    b"9007199254740991",
    b"-9007199254740991",
    b'""',
    b"[]",
    b"{}",
    b'{"a":[1,{"b":null}],"c":"d"}',
    b'"\\"\\\\\\b\\f\\n\\r\\t"',
    b'"\\u0000\\u001f\\u000b"',
    '"中文 raw"'.encode(),
    '"\u2028\u2029\x7f"'.encode(),
    '"😀"'.encode(),
    b'"/"',
    ENTRY,
]


@pytest.mark.parametrize("text", VALID)
def test_valid_texts_round_trip(text: bytes) -> None:
    assert dumps(loads(text)) == text


def test_serialization_examples() -> None:
    assert dumps({"b": 1, "a": [True, False, None]}) == b'{"a":[true,false,null],"b":1}'
    assert dumps("中") == '"中"'.encode()
    assert dumps("\u2028\x7f") == '"\u2028\x7f"'.encode()  # raw, as JCS (not JavaScript) says
    assert dumps("\x01\x1f\n") == b'"\\u0001\\u001f\\n"'  # lowercase hex, short escapes
    assert dumps("\x0b") == b'"\\u000b"'
    assert dumps(("a", 1)) == b'["a",1]'
    assert dumps(-MAX_SAFE_INTEGER) == b"-9007199254740991"


def test_keys_sorted_by_utf16_code_units() -> None:
    # U+FF21 (one code unit 0xFF21) sorts AFTER U+1F600 (surrogates 0xD83D 0xDE00) in UTF-16,
    # although its code point is smaller: RFC 8785 §3.2.3.
    value = {"\uff21": 1, "\U0001f600": 2, "a": 3, "\u00e9": 4, "": 5}
    text = dumps(value)
    assert text == '{"":5,"a":3,"é":4,"😀":2,"Ａ":1}'.encode()
    assert loads(text) == value
    # Code-point order is not canonical.
    with pytest.raises(MalformedError):
        loads('{"":5,"a":3,"é":4,"Ａ":1,"😀":2}'.encode())


def test_rfc8785_style_structures() -> None:
    # Our own cases in the spirit of the JCS "structures"/"unicode"/"weird" inputs.
    value = {
        "1": {"f": {"f": "hi", "F": 5}, "\n": 56},
        "10": {},
        "": "empty",
        "a": {},
        "111": [{"e": "yes", "E": "no"}],
        "A": {},
    }
    assert dumps(value) == (
        b'{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],'
        b'"A":{},"a":{}}'
    )
    weird = {"\u20ac": "Euro", "\r": "CR", "\u00f6": "Latin", "<": "<", "\U0001f600": "smiley"}
    assert dumps(weird) == '{"\\r":"CR","<":"<","ö":"Latin","€":"Euro","😀":"smiley"}'.encode()
    # JCS does not normalize: A + COMBINING RING stays two code points (not U+00C5).
    assert dumps({"u": "A\u030a"}) == b'{"u":"A\xcc\x8a"}'


# --- rejected texts (docs/ledger.md §10.1) ----------------------------------------------------

INVALID = {
    "duplicate key": b'{"a":1,"a":1}',
    "duplicate key nested": b'{"a":{"b":1,"b":2}}',
    "float": b"1.0",
    "float zero": b"0.0",
    "exponent": b"1e2",
    "negative exponent": b"-1E-2",
    "NaN": b"NaN",
    "Infinity": b"Infinity",
    "-Infinity": b"[-Infinity]",
    "int above 2^53-1": b"9007199254740992",
    "int below -(2^53-1)": b"-9007199254740992",
    "huge int": b"1" * 5000,
    "negative zero": b"-0",
    "leading zero": b"01",
    "plus sign": b"+1",
    "lone high surrogate escape": b'"\\ud800"',
    "lone low surrogate escape": b'"\\udc00"',
    "escaped surrogate pair": b'"\\ud83d\\ude00"',
    "raw surrogate bytes (invalid UTF-8)": b'"\xed\xa0\x80"',
    "invalid UTF-8": b'"\xff"',
    "overlong UTF-8": b'"\xc0\xaf"',
    "truncated UTF-8": b'"\xe4\xb8"',
    "BOM": b"\xef\xbb\xbf{}",
    "CRLF": b"{}\r\n",
    "LF": b"{}\n",
    "leading space": b" {}",
    "space after colon": b'{"a": 1}',
    "space after comma": b"[1, 2]",
    "tab": b"[1,\t2]",
    "unsorted keys": b'{"b":1,"a":2}',
    "escaped CJK": b'"\\u4e2d"',
    "escaped ASCII": b'"\\u0041"',
    "escaped slash": b'"\\/"',
    "uppercase hex escape": b'"\\u001F"',
    "escaped DEL": b'"\\u007f"',
    "long escape for newline": b'"\\u000a"',
    "raw control char": b'"\x01"',
    "raw newline in string": b'"\n"',
    "trailing data": b"{}{}",
    "trailing garbage": b"1 x",
    "empty": b"",
    "single quote": b"'a'",
    "trailing comma": b"[1,]",
    "unterminated": b'{"a":1',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "comment": b"/*x*/1",
}


@pytest.mark.parametrize("text", INVALID.values(), ids=list(INVALID))
def test_invalid_texts_rejected(text: bytes) -> None:
    with pytest.raises(MalformedError):
        loads(text)


def test_loads_accepts_only_bytes() -> None:
    with pytest.raises(MalformedError):
        loads("{}")  # type: ignore[arg-type]
    assert loads(bytearray(b"{}")) == {}
    assert loads(memoryview(b"[1]")) == [1]


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        float("nan"),
        2**53,
        -(2**53),
        {1: "a"},
        {"a": {None: 1}},
        b"bytes",
        {1, 2},
        object(),
        "\ud800",
        {"\udc00": 1},
    ],
    ids=lambda v: "object" if type(v) is object else repr(v),  # same ids in every process
)
def test_dumps_rejects(value: Any) -> None:
    with pytest.raises(MalformedError):
        dumps(value)


def test_dumps_rejects_deep_nesting() -> None:
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(MalformedError):
        dumps(value)


def test_bool_is_not_an_int() -> None:
    assert dumps([True, 1, False, 0]) == b"[true,1,false,0]"
    assert loads(b"[true,1]") == [True, 1]
    assert type(loads(b"1")) is int


# --- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_serialize_parse_identity(value: Any) -> None:
    text = dumps(value)
    assert loads(text) == value
    assert dumps(loads(text)) == text
    # Agrees with the standard library on meaning.
    assert json.loads(text) == value


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_and_slow_paths_agree(value: Any) -> None:
    from ledger import canonical

    text = dumps(value)
    assert canonical._loads_slow(text.decode()) == loads(text)


def _only_malformed(data: bytes) -> None:
    _same_with_and_without_msgspec(data)
    try:
        value = loads(data)
    except MalformedError:
        return
    assert dumps(value) == data  # accepted inputs must be canonical


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_random_bytes(data: bytes) -> None:
    _only_malformed(data)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789-.eE\\u tfnrl aé中😀\x00\x7f', max_size=40))
def test_fuzz_json_like_text(text: str) -> None:
    _only_malformed(text.encode("utf-8", "surrogatepass"))


def _mutated(value: Any, data: st.DataObject) -> bytes:
    """``dumps(value)`` with one byte replaced, inserted or deleted (drawn from ``data``)."""
    text = bytearray(dumps(value))
    pos = data.draw(st.integers(min_value=0, max_value=len(text)), label="pos")
    byte = data.draw(st.integers(min_value=0, max_value=255), label="byte")
    action = data.draw(st.sampled_from(["replace", "insert", "delete"]), label="action")
    if action == "insert":
        text.insert(pos, byte)
    elif pos < len(text):
        if action == "replace":
            text[pos] = byte
        else:
            del text[pos]
    return bytes(text)


@settings(max_examples=300, deadline=None)
@given(json_values, st.data())
def test_fuzz_single_byte_mutations_of_valid_lines(value: Any, data: st.DataObject) -> None:
    _only_malformed(_mutated(value, data))


def test_every_single_byte_mutation_of_an_entry() -> None:
    # Exhaustive over positions, a handful of replacement bytes each.
    for pos in range(len(ENTRY)):
        for byte in (0x00, 0x20, 0x22, 0x2C, 0x30, 0x5C, 0x7B, 0x80, 0xFF, ENTRY[pos] ^ 1):
            mutated = bytearray(ENTRY)
            mutated[pos] = byte
            _only_malformed(bytes(mutated))
        _only_malformed(ENTRY[:pos] + ENTRY[pos + 1 :])


def test_subclasses_serialize_like_their_base_types() -> None:
    import collections
    import enum

    class Level(enum.IntEnum):
        HIGH = 5

    value = {"z": Level.HIGH, "o": collections.OrderedDict(b=1, a=2), "t": (True,)}
    assert dumps(value) == b'{"o":{"a":2,"b":1},"t":[true],"z":5}'


def test_documented_example() -> None:
    text = dumps({"b": "\u2028\u007f\u001f\n", "a": [True, None, -5]})
    assert text == b'{"a":[true,null,-5],"b":"\xe2\x80\xa8\x7f\\u001f\\n"}'


class _Small(enum.IntEnum):
    ONE = 1


_any_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(max_size=4)
    | st.floats(allow_nan=True)
    | st.binary(max_size=2)
    | st.sampled_from([_Small.ONE, 2**53 - 1, -(2**53) + 1, 2**53])
)
_any_value = st.recursive(
    _any_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), children, max_size=4)
    ),
    max_leaves=20,
)


def _walk_accepts(value: Any) -> bool:
    from ledger import canonical

    try:
        canonical._validate_walk(value)
    except MalformedError:
        return False
    return True


def _exact_types_only(value: Any) -> bool:
    if type(value) in (dict,):
        return all(_exact_types_only(v) for v in value.values())
    if type(value) in (list, tuple):
        return all(_exact_types_only(v) for v in value)
    return type(value) in (str, type(None), bool, int)


@settings(max_examples=600, deadline=None)
@given(_any_value)
def test_the_level_check_accepts_exactly_the_plain_values_the_walk_accepts(value: Any) -> None:
    from ledger import canonical

    plain = canonical._plainly_valid(value)
    if plain:
        assert _walk_accepts(value)
    else:  # left to the walk: an error, a subclass, or too deep
        assert not (_walk_accepts(value) and _exact_types_only(value))


def test_the_level_check_leaves_deep_values_to_the_walk() -> None:
    from ledger import canonical

    value: list[Any] = [1]
    for _ in range(canonical._PLAIN_DEPTH):
        value = [value]
    assert not canonical._plainly_valid(value)
    assert dumps(value) == b"[" * (canonical._PLAIN_DEPTH + 1) + b"1" + b"]" * (
        canonical._PLAIN_DEPTH + 1
    )


def test_cyclic_values_are_rejected_without_exhausting_memory() -> None:
    wide: list[Any] = []
    wide.append(wide)
    wide.append(wide)  # each nesting level doubles: the level check must give up early
    looped: dict[str, Any] = {}
    looped["x"] = looped
    looped["y"] = looped
    for value in (wide, looped):
        with pytest.raises(MalformedError, match="嵌套"):
            dumps(value)


@pytest.mark.parametrize(
    "bad", [1.5, 2**53, {1: "x"}, _Small.ONE, None], ids=["float", "int", "key", "enum", "valid"]
)
def test_wide_values_take_the_level_check_with_the_walks_messages(bad: Any) -> None:
    from ledger import canonical

    value = {"rows": [{"id": f"e{n}", "k": n} for n in range(300)] + [{"x": bad}]}
    assert canonical._width(value) >= canonical._PLAIN_MIN_WIDTH
    try:
        canonical._validate_walk(value)
    except MalformedError as exc:
        with pytest.raises(MalformedError, match=re.escape(str(exc))):
            dumps(value)
    else:
        assert bad is None or bad is _Small.ONE
        assert dumps(value) == json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


_wide_leaf = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=5)
_wide_value = st.recursive(
    _wide_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_wide_value, min_size=1, max_size=4),
    st.dictionaries(st.text(max_size=3), _wide_value, max_size=3),
)
def test_wide_values_encode_as_the_stdlib_path_does(rows: list[Any], extra: dict[str, Any]) -> None:
    """Wide plain values are encoded by msgspec: the bytes are those of the stdlib path (keys
    with characters ≥ U+E000 included, which both hand to the UTF-16 key sort)."""
    from ledger import canonical

    value = {"rows": rows * (300 // len(rows) + 1), **extra}
    assert canonical._width(value) >= canonical._PLAIN_MIN_WIDTH
    assert canonical._WIDE_ENCODE is not None
    try:
        expected: bytes | str = dumps(value)
    except MalformedError as exc:
        expected = str(exc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(canonical, "_WIDE_ENCODE", None)
        try:
            stdlib: bytes | str = dumps(value)
        except MalformedError as exc:
            stdlib = str(exc)
    assert expected == stdlib
    if isinstance(expected, bytes):  # a valid value: the unchecked encoding is the same
        assert canonical.dumps_unchecked(value) == expected


def test_a_wide_value_with_a_lone_surrogate_is_rejected() -> None:
    value = {"rows": [{"id": f"e{n}"} for n in range(300)] + [{"x": "\ud800"}]}
    with pytest.raises(MalformedError, match="surrogate"):
        dumps(value)


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_nesting_is_bounded_before_parsing(opening: bytes) -> None:
    """Depth MAX_DEPTH parses, one more level is rejected by the iterative check; brackets
    inside strings do not count."""
    from ledger.canonical import MAX_DEPTH

    closing = b"]" if opening == b"[" else b"}"
    ok = opening * (MAX_DEPTH - 1) + b"[]" + closing * (MAX_DEPTH - 1)
    assert dumps(loads(ok)) == ok
    deep = opening * MAX_DEPTH + b"[]" + closing * MAX_DEPTH
    with pytest.raises(MalformedError, match="嵌套"):
        loads(deep)
    quoted = b'["' + b"[" * (2 * MAX_DEPTH) + b'\\"",' + b'"{{{{"]'
    assert loads(quoted) == ["[" * (2 * MAX_DEPTH) + '"', "{{{{"]


def test_deep_input_under_a_high_recursion_limit_is_rejected_without_a_crash() -> None:
    """py_ecc raises the recursion limit to 100,000 for the whole process; the C parser checks
    depth against it, so deep input must be rejected before parsing (and the limit left as it
    is). Run in a subprocess: a regression is a segmentation fault."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.setrecursionlimit(100_000)\n"
        "from ledger.canonical import loads\n"
        "from ledger.errors import MalformedError\n"
        "try:\n"
        "    loads(b'[' * 200_000 + b']' * 200_000)\n"
        "except MalformedError:\n"
        "    print('rejected', sys.getrecursionlimit())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["rejected", "100000"]


_KEY_CHARS = st.sampled_from(["a", "é", "中", "，", "（", "\ue000", "\uff21", "\uffff", "😀", "𠀀"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(_KEY_CHARS, max_size=3), st.integers(0, 9), max_size=6))
def test_code_point_order_is_accepted_exactly_when_it_is_utf16_order(value: dict[str, int]) -> None:
    """The fast path trusts code-point key order only in texts without supplementary characters
    (ledger/canonical.py): with keys mixing U+E000–U+FFFF and supplementary characters, a text in
    code-point order is accepted iff it is also in UTF-16 order (the canonical text)."""
    canonical_text = dumps(value)
    assert loads(canonical_text) == value
    by_code_point = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if by_code_point.encode() == canonical_text:
        assert loads(by_code_point.encode()) == value
    else:
        with pytest.raises(MalformedError):
            loads(by_code_point.encode())


def test_chinese_punctuation_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """U+FF0C “，” and U+FF08 “（” (UTF-8 lead byte 0xEF) are BMP characters: code-point order is
    UTF-16 order, so lines of Chinese text never need the slow path."""
    from ledger import canonical

    def slow(text: str) -> Any:
        raise AssertionError(f"slow path taken for {text!r}")

    monkeypatch.setattr(canonical, "_loads_slow", slow)
    text = '{"a":2,"detail":"未发现问题，无需后续处置（测试）","\uff21":1}'
    assert loads(text.encode())["a"] == 2
    with pytest.raises(AssertionError):  # a supplementary character still goes the slow way
        loads('{"a":"𠀀"}'.encode())


# --- the msgspec fast path of loads ------------------------------------------------------------


def _outcome(data: bytes, *, fast: bool) -> tuple[str, Any]:
    """``loads(data)`` with or without msgspec's fast path: ("ok", canonical bytes) or
    ("error", message)."""
    from ledger import canonical

    saved = canonical._FAST_DECODE
    if not fast:
        canonical._FAST_DECODE = None
    try:
        return ("ok", dumps(loads(data)))
    except MalformedError as exc:
        return ("error", str(exc))
    finally:
        canonical._FAST_DECODE = saved


def _same_with_and_without_msgspec(data: bytes) -> None:
    assert _outcome(data, fast=True) == _outcome(data, fast=False)


@pytest.mark.parametrize("text", [*VALID, *INVALID.values()])
def test_msgspec_path_gives_the_stdlib_outcome(text: bytes) -> None:
    _same_with_and_without_msgspec(text)


def test_msgspec_path_decides_entries_and_leaves_the_rest_to_the_stdlib() -> None:
    from ledger import canonical

    pytest.importorskip("msgspec")
    assert canonical._loads_msgspec(ENTRY) == json.loads(ENTRY)
    for text in (
        b"1.5",  # a float parses, and would re-encode to itself
        b"9007199254740992",  # 16 digits: the stdlib path checks the range
        b"[1234567890123456]",
        '{"😀":1,"\uff01":2}'.encode(),  # supplementary: UTF-16 key order
        b"[" * 300 + b"{}," * 300 + b"{}" + b"]" * 300,  # more brackets than MAX_DEPTH
        b" 1",
        b"-0",
        b'{"a":1,"a":1}',
    ):
        assert canonical._loads_msgspec(text) is canonical._UNDECIDED, text
    with pytest.raises(MalformedError, match="超出范围"):
        loads(b"9007199254740992")
    with pytest.raises(MalformedError, match="非整数"):
        loads(b"[1.5]")


# --- the nesting bound (check_depth), against the C parser ----------------------------------

_JSON_TEXT = st.text(alphabet='ab"\\[]{}/,:n', max_size=6)
_JSON_VALUES = st.recursive(
    st.none() | st.integers(-9, 9) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_TEXT, inner, max_size=3),
    max_leaves=12,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _deepest(text: str) -> int:
    """How deep the stdlib's JSON scanner nests reading ``text`` before it ends or fails (its
    pure-Python twin, instrumented: the C scanner follows the same grammar)."""
    import contextlib
    import json.scanner

    depth = deepest = 0
    decoder = json.JSONDecoder()

    def counted(parse: Any) -> Any:
        def nested(*args: Any) -> Any:
            nonlocal depth, deepest
            depth += 1
            deepest = max(deepest, depth)
            try:
                return parse(*args)
            finally:
                depth -= 1

        return nested

    decoder.parse_array = counted(decoder.parse_array)
    decoder.parse_object = counted(decoder.parse_object)
    with contextlib.suppress(ValueError, StopIteration):  # not (all) JSON: as deep as it got
        json.scanner.py_make_scanner(decoder)(text, 0)
    return deepest


@settings(max_examples=400, deadline=None)
@given(value=_JSON_VALUES)
def test_the_depth_check_is_exact_on_json(value: Any) -> None:
    """Brackets, quotes and backslashes in strings (escaped as JSON escapes them) never count
    (MAX_DEPTH lowered to 3, so that small texts take the whole check)."""
    import ledger.canonical as canonical
    from ledger.canonical import check_depth

    saved = canonical.MAX_DEPTH
    canonical.MAX_DEPTH = 3
    try:
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if _depth(value) > 3:
            with pytest.raises(MalformedError, match="嵌套"):
                check_depth(raw)
        else:
            check_depth(raw)
    finally:
        canonical.MAX_DEPTH = saved


@settings(max_examples=600, deadline=None)
@given(
    value=_JSON_VALUES,
    noise=st.lists(st.tuples(st.integers(0, 200), st.sampled_from('[]{}"\\:,a')), max_size=3),
    cut=st.integers(0, 3),
    other=st.text(alphabet='[]{}"\\:,an', max_size=24),
)
def test_no_text_the_depth_check_accepts_nests_the_parser_deeper(
    value: Any, noise: list[tuple[int, str]], cut: int, other: str
) -> None:
    """Invalid text too: whatever the check accepts, the JSON scanner reads without going deeper
    than MAX_DEPTH (here lowered to 3), however early the text stops being JSON."""
    import ledger.canonical as canonical
    from ledger.canonical import check_depth

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for at, char in noise:  # a valid text broken in a few places
        at %= len(text) + 1
        text = text[:at] + char + text[at + cut % 2 :]
    accepted = []
    saved = canonical.MAX_DEPTH
    canonical.MAX_DEPTH = 3
    try:
        for candidate in (text, other, other + text):
            try:
                check_depth(candidate.encode())
            except MalformedError:
                continue
            accepted.append(candidate)
    finally:
        canonical.MAX_DEPTH = saved
    assert [t for t in accepted if _deepest(t) > 3] == []
