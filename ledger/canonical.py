"""Canonical JSON: the only definition of ledger entry bytes.

This is a strict profile of RFC 8785 (JSON Canonicalization Scheme, JCS), as fixed by
``docs/ledger.md`` §10.1:

* values are ``null``, ``true``, ``false``, strings, arrays, objects and **integers** with
  |x| ≤ 2^53−1 (RFC 8785 §3.2.2.3 serializes numbers as IEEE-754 doubles; restricting them to the
  exactly representable integers means the decimal form is unique and no float printing is
  needed);
* object keys are unique and sorted by their UTF-16 code units (RFC 8785 §3.2.3);
* no insignificant whitespace (RFC 8785 §3.2.1);
* strings escape only ``"`` and ``\\``, the short forms ``\\b \\f \\n \\r \\t`` and the other
  characters below U+0020 as lowercase ``\\u00xx``; everything else, U+007F and U+2028 included,
  is written as raw UTF-8 (RFC 8785 §3.2.2.2);
* the text is UTF-8 without a BOM and without a trailing newline.

A byte string is a valid entry iff ``dumps(loads(data)) == data``; :func:`loads` enforces exactly
that, so every accepted line has one and only one spelling.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any, Final, NoReturn

from ledger.errors import MalformedError

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "check_depth",
    "dumps",
    "dumps_unchecked",
    "has_supplementary",
    "loads",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer magnitude allowed (I-JSON, RFC 7493 §2.2; RFC 8785 §3.2.2.3)."""

# UTF-8 lead bytes of the supplementary characters U+10000..U+10FFFF (4-byte sequences). UTF-16
# code-unit order (RFC 8785 §3.2.3) differs from code-point order only where one string has a
# supplementary character (a surrogate pair, D800–DFFF) and the other a character of
# U+E000..U+FFFF at the first position where they differ; in a text of BMP characters only,
# every UTF-16 sequence is the code-point sequence, so the two orders agree for all its keys.
# Texts holding none of these bytes can be sorted by Python's code-point order in the C
# encoder; the others take the slow path. (Chinese text is full of U+FF0C “，” and U+FF08 “（”,
# which are BMP: they stay on the fast path.)
_HIGH_LEAD_RE = re.compile(b"[\xf0-\xf4]")


def has_supplementary(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a supplementary character (a 4-byte sequence): only then
    can code-point key order differ from the UTF-16 order canonical JSON requires (above)."""
    return _HIGH_LEAD_RE.search(data) is not None


def _fast_encoder() -> Callable[[object], str]:
    """Return the C-accelerated canonical encoder for values produced by the JSON parser.

    ``sort_keys`` sorts by code point (correct when no string holds a supplementary character),
    ``ensure_ascii=False`` leaves non-ASCII raw as JCS requires, and no whitespace is emitted.
    """
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - CPython always has _json
        return json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        ).encode
    # Arguments: markers, default, encoder, indent, key_separator, item_separator, sort_keys,
    # skipkeys, allow_nan. No circular check: parsed values are trees.
    encoder = c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, False)

    def encode(value: object) -> str:
        return "".join(encoder(value, 0))

    return encode


_FAST_ENCODE = _fast_encoder()

try:  # msgspec (optional: the stdlib zipapp verifier runs without it)
    import msgspec as _msgspec

    #: Encoder for wide values that :func:`_plainly_valid` accepted: about 7 times faster than
    #: the stdlib's on a draw's result record, with the same bytes (``order="sorted"`` sorts
    #: keys by code point like ``sort_keys``; strings are escaped exactly as RFC 8785 does, see
    #: tests/ledger/test_canonical.py; lone surrogates raise ``UnicodeEncodeError``).
    _WIDE_ENCODE: Callable[[object], bytes] | None = _msgspec.json.Encoder(order="sorted").encode

    def _reject_float_literal(literal: str) -> NoReturn:
        raise ValueError(literal)

    #: Decoder of :func:`loads`'s fast path (floats rejected; see :func:`_loads_msgspec`).
    _FAST_DECODE: Callable[[bytes], Any] | None = _msgspec.json.Decoder(
        float_hook=_reject_float_literal
    ).decode
    _MSGSPEC_ERRORS: tuple[type[Exception], ...] = (_msgspec.MsgspecError, ValueError)
except ImportError:  # pragma: no cover - the zipapp
    _WIDE_ENCODE = None
    _FAST_DECODE = None
    _MSGSPEC_ERRORS = ()

# Maps every decimal digit to "0", "{" to "[" and every byte 0xF0..0xFF (the lead bytes of
# supplementary characters, and bytes never found in UTF-8) to 0xF0, leaving the others: after
# one C pass over a line, _loads_msgspec sees whether it holds a run of 16 digits, a
# supplementary character, or more brackets than MAX_DEPTH.
_SCREEN: Final = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x5B if b == 0x7B else 0xF0 if b >= 0xF0 else b
    for b in range(256)
)
_DIGIT_RUN: Final = b"0" * 16


def _parse_int(literal: str) -> int:
    # Bound the literal before int(): 2^53−1 has 16 digits (RFC 7493 §2.2 I-JSON range).
    if len(literal) > 17:
        raise MalformedError(f"规范 JSON：整数超出范围：{literal[:40]}...")
    value = int(literal)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise MalformedError(f"规范 JSON：整数超出范围：{literal}")
    return value


def dumps(value: object) -> bytes:
    """Serialize ``value`` to canonical JSON bytes (RFC 8785 JCS profile, docs/ledger.md §10.1).

    Args:
        value: ``None``, ``bool``, ``int`` (|x| ≤ 2^53−1), ``str``, ``list``/``tuple`` or ``dict``
            with ``str`` keys, nested arbitrarily.

    Returns:
        The canonical UTF-8 encoding, without a trailing newline.

    Raises:
        MalformedError: if the value holds another type (a float in particular), an integer out
            of range, a non-``str`` key, a lone surrogate, or is nested too deeply.
    """
    try:
        wide = _validate(value)
    except RecursionError as exc:
        raise MalformedError("规范 JSON：值的嵌套层数过深") from exc
    return _encode_checked(value, wide=wide)


def dumps_unchecked(value: object) -> bytes:
    """Serialize a value whose types are valid by construction, without checking them.

    The same bytes as :func:`dumps` for every value :func:`dumps` accepts; only the value check
    (a walk over every node, the larger part of the time on a draw's result record) is skipped.

    Precondition (not checked): every node is an exact ``str``, ``None``, ``bool``, ``int`` with
    |x| ≤ 2^53−1, ``list``, ``tuple`` or ``dict`` with ``str`` keys, and there is no cycle — a
    record a program built itself from values it had checked, such as the result record of
    :func:`ledger.draw.result.run_draw` (see :func:`ledger.draw.result.result_bytes`). A value from
    outside (parsed from a file, passed in by a caller) goes through :func:`dumps`: for it, a
    float, an out-of-range integer or a non-``str`` key would be written instead of rejected.

    Returns:
        The canonical UTF-8 encoding, without a trailing newline.

    Raises:
        MalformedError: if a string holds a lone surrogate.
    """
    if _WIDE_ENCODE is None:  # pragma: no cover - the zipapp: the checked path
        return dumps(value)
    return _encode_checked(value, wide=True)


def _encode_checked(value: object, *, wide: bool) -> bytes:
    """Encode a checked value: with msgspec's encoder if ``wide`` (and msgspec is there), else
    with the stdlib's C encoder; then redo the key order where UTF-16 order differs.

    Raises:
        MalformedError: a lone surrogate; a value nested too deeply.
    """
    try:
        if wide and _WIDE_ENCODE is not None:
            data = _WIDE_ENCODE(value)
        else:
            # Strict UTF-8 rejects lone surrogates (RFC 8785 §3.2.2.2 requires valid Unicode).
            data = _FAST_ENCODE(value).encode("utf-8")
        if has_supplementary(data):
            # Some string holds a supplementary character: redo with explicit UTF-16 key order.
            parts: list[str] = []
            _encode(value, parts.append)
            data = "".join(parts).encode("utf-8")
        return data
    except UnicodeEncodeError as exc:
        raise MalformedError("规范 JSON：字符串含有孤立的代理码元（lone surrogate）") from exc
    except RecursionError as exc:
        raise MalformedError("规范 JSON：值的嵌套层数过深") from exc


def _validate(value: object) -> bool:
    """Reject what the C encoder would accept but JCS-with-integers forbids (see
    :func:`_validate_walk`, which decides whenever :func:`_plainly_valid` cannot).

    The level-by-level check pays a fixed cost per level, so it is tried only for values with
    at least :data:`_PLAIN_MIN_WIDTH` nodes in their first two levels (a draw's result record,
    not an ordinary ledger entry, which the walk checks faster).

    Returns:
        ``True`` iff the level check accepted the value (wide, exact built-in types only).

    Raises:
        MalformedError: as :func:`_validate_walk`.
    """
    if _width(value) >= _PLAIN_MIN_WIDTH and _plainly_valid(value):
        return True
    _validate_walk(value)
    return False


def _width(value: object) -> int:
    """Number of nodes in the first two levels of ``value`` below the root (a cheap size hint)."""
    kind = type(value)
    if kind is dict:
        children: Any = value.values()  # type: ignore[attr-defined]
    elif kind is list or kind is tuple:
        children = value
    else:
        return 0
    return len(children) + sum(len(child) for child in children if type(child) in _CONTAINERS)


_PLAIN_TYPES = frozenset({str, type(None), bool, int, dict, list, tuple})
_CONTAINERS = frozenset({dict, list, tuple})
_PLAIN_MIN_WIDTH = 256
_PLAIN_DEPTH = 64
_PLAIN_NODES = 4_000_000


def _plainly_valid(value: object) -> bool:
    """Tell, level by level with C-speed passes, whether ``value`` is certainly valid.

    ``True`` only if every node is of an exact built-in type (``str``, ``None``, ``bool``,
    ``int`` within range, ``list``, ``tuple``, ``dict`` with ``str`` keys) and the nesting is at
    most :data:`_PLAIN_DEPTH` deep with at most :data:`_PLAIN_NODES` nodes in all (a cycle
    repeats its nodes at every level: this bounds the time and memory spent on it). ``False``
    means "not decided here": subclasses, errors, cyclic, huge or deep values are left to
    :func:`_validate_walk`, so messages stay those of the walk.
    """
    level: list[Any] = [value]
    nodes = 1
    for _depth in range(_PLAIN_DEPTH):
        types = list(map(type, level))
        present = set(types)
        if not present <= _PLAIN_TYPES:
            return False
        following: list[Any] = []
        if int in present:
            ints = list(itertools.compress(level, map(operator.is_, types, itertools.repeat(int))))
            if min(ints) < -MAX_SAFE_INTEGER or max(ints) > MAX_SAFE_INTEGER:
                return False
        if dict in present:
            dicts = list(
                itertools.compress(level, map(operator.is_, types, itertools.repeat(dict)))
            )
            if not set(map(type, itertools.chain.from_iterable(dicts))) <= {str}:
                return False
            following.extend(itertools.chain.from_iterable(map(dict.values, dicts)))
        for sequence_type in (list, tuple):
            if sequence_type in present:
                following.extend(
                    itertools.chain.from_iterable(
                        itertools.compress(
                            level, map(operator.is_, types, itertools.repeat(sequence_type))
                        )
                    )
                )
        if not following:
            return True
        nodes += len(following)
        if nodes > _PLAIN_NODES:
            return False
        level = following
    return False


def _validate_walk(value: object) -> None:
    """Reject what the C encoder would accept but JCS-with-integers forbids.

    The C encoder prints floats, turns int/None/bool keys into strings and calls ``default`` for
    unknown types; none of that is canonical here. Subclasses (``IntEnum``, ``OrderedDict``)
    are serialized like their base types, by both encoders.
    """
    if value is None or value is True or value is False or isinstance(value, str):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MalformedError(f"规范 JSON：对象的键不是字符串：{key!r}")
            _validate_walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _validate_walk(item)
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise MalformedError(f"规范 JSON：整数超出范围：{value}")
    else:
        raise MalformedError(f"规范 JSON：不支持的类型 {type(value).__name__}")


def _encode(value: object, out: Callable[[str], None]) -> None:
    """Append the canonical text of ``value`` to ``out`` (see :func:`dumps`)."""
    # bool before int: bool is an int subclass, and True must not serialize as 1.
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(encode_basestring(value))
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise MalformedError(f"规范 JSON：整数超出范围：{value}")
        out(int.__repr__(value))
    elif isinstance(value, dict):
        _encode_object(value, out)
    elif isinstance(value, list | tuple):
        out("[")
        for i, item in enumerate(value):
            if i:
                out(",")
            _encode(item, out)
        out("]")
    else:
        raise MalformedError(f"规范 JSON：不支持的类型 {type(value).__name__}")


def _encode_object(value: dict[Any, Any], out: Callable[[str], None]) -> None:
    """Append an object with keys in UTF-16 code-unit order (RFC 8785 §3.2.3)."""
    for key in value:
        if not isinstance(key, str):
            raise MalformedError(f"规范 JSON：对象的键不是字符串：{key!r}")
    out("{")
    for i, key in enumerate(sorted(value, key=_utf16_sort_key)):
        if i:
            out(",")
        out(encode_basestring(key))
        out(":")
        _encode(value[key], out)
    out("}")


def _utf16_sort_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like UTF-16 code-unit sequences. "surrogatepass"
    # keeps sorting total; a lone surrogate is rejected later by the strict UTF-8 encode.
    return key.encode("utf-16-be", "surrogatepass")


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Parse one canonical JSON text and check that it is in canonical form.

    Accepts exactly the outputs of :func:`dumps`: rejects invalid UTF-8, a BOM, whitespace
    (CR/LF included), duplicate or unsorted keys, floats, exponents, ``NaN``/``Infinity``, ``-0``,
    integers beyond ±(2^53−1), escapes that JCS would not emit (``\\u4e2d``, ``\\/``), lone
    surrogates and trailing data.

    Args:
        data: the candidate bytes (for an entry: one line of ``entries.jsonl`` without ``\\n``).

    Returns:
        The parsed value (``dict``, ``list``, ``str``, ``int``, ``bool`` or ``None``).

    Raises:
        MalformedError: for any input that is not canonical JSON. No other exception escapes,
            whatever the input bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedError(f"规范 JSON：应为 bytes，实际为 {type(data).__name__}")
    raw = bytes(data)
    if _FAST_DECODE is not None:
        value = _loads_msgspec(raw)
        if value is not _UNDECIDED:
            return value
    if raw.startswith(b"\xef\xbb\xbf"):
        raise MalformedError("规范 JSON：以字节顺序标记（BOM）开头")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedError(f"规范 JSON：第 {exc.start} 字节处不是有效的 UTF-8") from exc
    check_depth(raw)
    try:
        value, end = _FAST_DECODER.raw_decode(text)
        # Fast path: the C parser and the C encoder agree byte for byte. A duplicate key cannot
        # pass: the re-encoded object would have fewer members than the text.
        if end == len(text) and not has_supplementary(raw) and _FAST_ENCODE(value) == text:
            return value
    except (ValueError, RecursionError) as exc:
        # json.JSONDecodeError is a ValueError.
        raise MalformedError(f"规范 JSON：无法解析：{exc}") from exc
    return _loads_slow(text)


_UNDECIDED: Final = object()


def _loads_msgspec(raw: bytes) -> Any:
    """:func:`loads` with msgspec's C parser and encoder, for the texts it can decide alone.

    Returns the value only if ``raw`` is certainly canonical: it holds at most :data:`MAX_DEPTH`
    brackets, no supplementary character (code-point key order is then the UTF-16 order) and
    no run of 16 digits (every integer then has at most 15, within ±(2^53−1)); it parses with
    floats refused; and the value's canonical encoding is ``raw`` itself (which also rules out
    whitespace, duplicate or unsorted keys, ``-0``, non-canonical escapes, a BOM, invalid UTF-8
    and trailing data). Such a text is accepted by the stdlib path with the same value.

    Returns:
        The value, or :data:`_UNDECIDED`: anything else (an error included) is left to the
        stdlib path, which gives the message.
    """
    screened = raw.translate(_SCREEN)
    if (
        b"\xf0" in screened
        or _DIGIT_RUN in screened
        or screened.count(b"[") > MAX_DEPTH
        or _FAST_DECODE is None
        or _WIDE_ENCODE is None
    ):
        return _UNDECIDED
    try:
        value = _FAST_DECODE(raw)
        if _WIDE_ENCODE(value) == raw:
            return value
    except _MSGSPEC_ERRORS:
        pass
    return _UNDECIDED


#: Deepest nesting of arrays and objects :func:`loads` accepts. The C parser recurses once per
#: level; bounding the depth before parsing keeps it far below both the C stack and the
#: interpreter's recursion limit, whatever a library sets that limit to (py_ecc raises it to
#: 100,000 for the whole process, see :mod:`ledger.draw.drand`).
MAX_DEPTH = 512

#: A string once everything but quotes and brackets is gone (see :func:`check_depth`).
_QUOTED_RE = re.compile(rb'"[^"]*"')
#: Every byte but ``"`` and the four brackets.
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')
_DEPTH_STEP = [0] * 256
_DEPTH_STEP[ord("[")] = _DEPTH_STEP[ord("{")] = 1
_DEPTH_STEP[ord("]")] = _DEPTH_STEP[ord("}")] = -1


def check_depth(raw: bytes) -> None:
    """Reject JSON text whose arrays and objects nest more than :data:`MAX_DEPTH` deep.

    Iterative (no recursion, no recursion limit touched): with at most :data:`MAX_DEPTH`
    brackets in all the text is certainly shallow enough. Otherwise the escapes that can hide a
    quote go first, in the order a parser reads them (escaped backslashes, then escaped quotes:
    in a run of backslashes inside a string, escapes pair up from its first one), then every
    byte but quotes and brackets (all ASCII, never part of a multi-byte UTF-8 character), and
    what lies between two quotes (a string) with them; the running depth of the brackets left
    is measured. In valid JSON this is exactly the nesting depth (the quotes left are exactly
    the strings' delimiters, no backslash or quote occurring outside strings). The C parser
    recurses into a bracket only at the end of a valid prefix of the text, where all of this
    holds, so however invalid the rest, no text accepted here makes it nest deeper than
    :data:`MAX_DEPTH` (tests/ledger/test_canonical.py checks both against a parser).

    Args:
        raw: the candidate JSON text as UTF-8 bytes.

    Raises:
        MalformedError: if the nesting is deeper than :data:`MAX_DEPTH`.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    marks = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_MARKS)
    # Strings without brackets are adjacent quotes: removed pairwise from the left, they leave
    # no quote iff every string is such (the pairs then are the strings); otherwise each string
    # goes with its contents.
    brackets = marks.replace(b'""', b"")
    if b'"' in brackets:
        brackets = _QUOTED_RE.sub(b"", marks).replace(b'"', b"")
    if max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise MalformedError(f"规范 JSON：值的嵌套层数超过 {MAX_DEPTH}")


def _loads_slow(text: str) -> Any:
    """Validate ``text`` with every check named explicitly, for precise error messages."""
    try:
        value = _STRICT_DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedError(f"规范 JSON：无法解析：{exc}") from exc
    canonical = dumps(value)
    if canonical != text.encode("utf-8"):
        raise MalformedError("规范 JSON：不是规范形式（RFC 8785 §3.2）")
    return value


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # RFC 8785 §3.1 requires I-JSON input (RFC 7493 §2.3: member names MUST be unique).
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedError(f"规范 JSON：键 {key!r} 重复")
            seen.add(key)
    return result


def _reject_float(literal: str) -> NoReturn:
    raise MalformedError(f"规范 JSON：不允许非整数的数值 {literal[:40]!r}")


def _reject_constant(literal: str) -> NoReturn:
    raise MalformedError(f"规范 JSON：{literal} 不是 JSON")


# Decoders are built once: json.loads() with keyword arguments builds a new one on every call.
_FAST_DECODER = json.JSONDecoder(
    parse_float=_reject_float, parse_int=_parse_int, parse_constant=_reject_constant
)
_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_reject_duplicate_keys,
    parse_float=_reject_float,
    parse_int=_parse_int,
    parse_constant=_reject_constant,
)
