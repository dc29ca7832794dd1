"""Snapshot files: sorted canonical JSON lines (docs/draw-v1.md §2).

A snapshot file is the concatenation of ``CJ(record) + "\\n"`` for its records, sorted by id as
UTF-8 bytes (the 回避/conflict file by ``(entity, inspector)``), with no duplicates. Its commitment
in the announcement is ``{"sha256": H(file bytes), "count": number of records}``.

Record schemas (keys beyond those listed are published extras for entities and inspectors and
are ignored by the algorithm; conflict records have exactly two keys):

* entity: ``{"id": str, "name": str, "stratum": str, "last_inspected": "YYYY-MM-DD" | null,
  "tags": [str, ...]}``
* inspector: ``{"id": str, "dept": str, "tags": [str, ...], "active": bool}``
* conflict (回避): ``{"entity": str, "inspector": str}``

``id``, ``stratum``, ``dept``, every tag and both conflict fields are identifiers (non-empty, NFC,
no control characters, see :func:`ledger.draw.primitives.check_identifier`). ``tags`` lists are
sorted by UTF-8 bytes without duplicates, so that each record has exactly one spelling.

Python compares ``str`` by code point, and UTF-8 preserves code-point order, so sorting ``str``
ids is sorting their UTF-8 bytes.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ledger.canonical import MAX_SAFE_INTEGER, check_depth, has_supplementary
from ledger.canonical import loads as _canonical_loads
from ledger.draw.announce import CONFLICTS, ENTITIES, INSPECTORS
from ledger.draw.primitives import CJ, H_hex, check_identifier
from ledger.errors import MalformedError

__all__ = [
    "CONFLICTS",
    "ENTITIES",
    "INSPECTORS",
    "EntityTable",
    "build_snapshot",
    "check_c_values",
    "entities_c",
    "parse_entity_table",
    "parse_snapshot",
    "snapshot_ref",
    "split_point",
]

_KINDS = (ENTITIES, INSPECTORS, CONFLICTS)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _reject_float(literal: str) -> NoReturn:
    raise MalformedError(f"快照：不允许非整数的数值 {literal[:40]!r}")


def _reject_constant(literal: str) -> NoReturn:
    raise MalformedError(f"快照：{literal} 不是 JSON")


def _parse_int(literal: str) -> int:
    if len(literal) > 17:
        raise MalformedError("快照：整数超出范围")
    value = int(literal)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise MalformedError("快照：整数超出范围")
    return value


_DECODER = json.JSONDecoder(
    parse_float=_reject_float, parse_int=_parse_int, parse_constant=_reject_constant
)
# With ``indent=None`` the stdlib uses its C encoder for ``encode``.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def _sort_key(kind: str, record: Mapping[str, Any]) -> tuple[str, ...]:
    if kind == CONFLICTS:
        return (record["entity"], record["inspector"])
    return (record["id"],)


def _check_tags(value: object, what: str, *, canonical: bool) -> list[str]:
    if not isinstance(value, list):
        raise MalformedError(f"{what}：tags 应为列表")
    label = f"{what} 的标签" if what[-1:].isascii() else f"{what}的标签"
    for tag in value:
        check_identifier(tag, label)
    if canonical:
        for a, b in itertools.pairwise(value):
            if not a < b:
                raise MalformedError(f"{what}：tags 应已排序且不重复")
        return value
    tags = sorted(value)
    if len(set(tags)) != len(tags):
        raise MalformedError(f"{what}：标签重复")
    return tags


_date_cache: dict[str, None] = {}


def _check_date(value: object, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise MalformedError(f"{what}：last_inspected 应为 YYYY-MM-DD 或 null")
    if value in _date_cache:
        return
    try:
        _dt.date.fromisoformat(value)
    except ValueError as exc:
        raise MalformedError(f"{what}：无效的日期 {value!r}") from exc
    if len(_date_cache) < 100_000:
        _date_cache[value] = None


def _check_record(kind: str, record: object, *, canonical: bool) -> dict[str, Any]:
    """Validate one record (and, if not ``canonical``, normalise its tag order)."""
    if not isinstance(record, dict):
        raise MalformedError(f"{kind} 快照：记录不是对象")
    try:
        if kind == ENTITIES:
            rid = check_identifier(record["id"], "主体 id")
            if not isinstance(record["name"], str):
                raise MalformedError(f"主体 {rid}：name 应为字符串")
            check_identifier(record["stratum"], f"主体 {rid} 的 stratum")
            _check_date(record["last_inspected"], f"主体 {rid}")
            tags = _check_tags(record["tags"], f"主体 {rid}", canonical=canonical)
        elif kind == INSPECTORS:
            rid = check_identifier(record["id"], "检查人员 id")
            check_identifier(record["dept"], f"检查人员 {rid} 的 dept")
            if not isinstance(record["active"], bool):
                raise MalformedError(f"检查人员 {rid}：active 应为 true 或 false")
            tags = _check_tags(record["tags"], f"检查人员 {rid}", canonical=canonical)
        else:
            if len(record) != 2:
                raise MalformedError("回避记录应恰好包含 entity 和 inspector 两个字段")
            check_identifier(record["entity"], "回避记录的 entity")
            check_identifier(record["inspector"], "回避记录的 inspector")
            return record
    except KeyError as exc:
        raise MalformedError(f"{kind} 快照：记录缺少字段 {exc.args[0]!r}") from exc
    if not canonical and tags is not record["tags"]:
        record = {**record, "tags": tags}
    return record


def build_snapshot(kind: str, records: Iterable[Mapping[str, Any]]) -> bytes:
    """Build the canonical snapshot file for ``records`` (docs/draw-v1.md §2).

    Records may come in any order; tags in any order. The output is sorted and canonical.

    Args:
        kind: ``"entities"``, ``"inspectors"`` or ``"conflicts"``.
        records: the records (mappings following the schema of ``kind``).

    Returns:
        The file bytes: ``CJ(record) + b"\\n"`` per record, sorted.

    Raises:
        MalformedError: for an unknown kind, a record that breaks the schema, a float, or a
            duplicate id (duplicate pair for conflicts).
    """
    if kind not in _KINDS:
        raise MalformedError(f"快照：未知的种类 {kind!r}")
    checked = [_check_record(kind, dict(r), canonical=False) for r in records]
    checked.sort(key=lambda r: _sort_key(kind, r))
    for a, b in itertools.pairwise(checked):
        if _sort_key(kind, a) == _sort_key(kind, b):
            raise MalformedError(f"{kind} 快照：记录 {_sort_key(kind, a)!r} 重复")
    return b"".join(CJ(r) + b"\n" for r in checked)


def snapshot_ref(data: bytes) -> dict[str, Any]:
    """Return the announcement's commitment to a snapshot file.

    Args:
        data: the file bytes (assumed already valid; see :func:`parse_snapshot`).

    Returns:
        ``{"sha256": H(data) hex, "count": number of lines}``.
    """
    return {"sha256": H_hex(data), "count": data.count(b"\n")}


def parse_snapshot(kind: str, data: bytes) -> list[dict[str, Any]]:
    """Parse and fully validate a snapshot file (docs/draw-v1.md §2).

    Checks, in order: UTF-8; every line ends with ``\\n``; every line is canonical JSON
    (RFC 8785 profile, integers only); every record follows the schema of ``kind``; records are
    strictly increasing by their sort key (so no duplicates).

    The whole file is parsed with one pass of the C JSON parser (lines joined into one array)
    and checked for canonicality by re-encoding the array with the C encoder: a JSON array of
    canonical objects is itself canonical, so ``encode(parsed) == text`` holds iff every line is
    canonical. Files holding supplementary characters (where UTF-16 key order can differ) are checked
    line by line with :func:`ledger.canonical.loads` instead.

    Args:
        kind: ``"entities"``, ``"inspectors"`` or ``"conflicts"``.
        data: the file bytes.

    Returns:
        The records, in file order, as parsed dicts.

    Raises:
        MalformedError: if any check fails. No other exception escapes.
    """
    if kind not in _KINDS:
        raise MalformedError(f"快照：未知的种类 {kind!r}")
    if not isinstance(data, bytes):
        raise MalformedError("快照：应为 bytes")
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise MalformedError(f"{kind} 快照：文件应以换行符结尾")
    if b"\r" in data or b"\n\n" in data or data.startswith(b"\n"):
        raise MalformedError(f"{kind} 快照：含有空行或回车符")
    records = _parse_lines(kind, data)
    if kind == ENTITIES:
        _check_entities_fast(records)
    else:
        for record in records:
            _check_record(kind, record, canonical=True)
    _check_order(kind, records)
    return records


def _check_order(kind: str, records: list[dict[str, Any]]) -> None:
    """Require strictly increasing sort keys (sorted, no duplicates)."""
    if kind == CONFLICTS:
        keys: list[Any] = [(r["entity"], r["inspector"]) for r in records]
    else:
        keys = [r["id"] for r in records]
    _check_increasing(kind, keys)


def _check_increasing(kind: str, keys: list[Any]) -> None:
    """Require ``keys`` strictly increasing; the message names the first offending line."""
    if all(map(operator.lt, keys, itertools.islice(keys, 1, None))):
        return
    for i in range(1, len(keys)):
        if not keys[i - 1] < keys[i]:
            raise MalformedError(f"{kind} 快照：第 {i + 1} 行顺序错误或重复")


_CHUNK_BYTES = 1 << 22


def _parse_lines(kind: str, data: bytes) -> list[Any]:
    """Parse the lines of ``data``, checking that each one is canonical JSON.

    Fast path, in chunks of about 4 MiB (bounded extra memory): the lines of a chunk are joined
    with ``,`` into one JSON array, parsed with the C parser (object keys are shared) and
    re-encoded with the C encoder; the chunk is canonical iff the re-encoding equals the joined
    text, the array has one element per line, and every element is an object. Each line is
    then exactly one element: the ``N − 1`` element boundaries ``},{`` of the array can only sit
    at the ``N − 1`` joins, because no line contains ``},{`` (checked first; a file whose
    strings contain ``},{``, or supplementary characters, where UTF-16 key order can differ
    from code point order, is checked line by line with :func:`ledger.canonical.loads` instead).
    """
    if b"},{" in data or has_supplementary(data):  # C sort_keys may be wrong there
        return _parse_lines_slow(kind, data)
    records: list[Any] = []
    pos = 0
    size = len(data)
    line_no = 1
    while pos < size:
        end = data.find(b"\n", min(pos + _CHUNK_BYTES, size - 1)) + 1
        chunk = data[pos:end]
        count = chunk.count(b"\n")
        joined = b"[" + chunk[:-1].replace(b"\n", b",") + b"]"
        try:
            check_depth(joined)  # the C parser recurses once per level: bound it first
        except MalformedError:
            return _parse_lines_slow(kind, data)  # names the line
        try:
            text = joined.decode("utf-8")
            value, stop = _DECODER.raw_decode(text)
        except UnicodeDecodeError as exc:
            raise MalformedError(f"{kind} 快照：第 {line_no} 行之后有无效的 UTF-8") from exc
        except (ValueError, RecursionError):
            return _parse_lines_slow(kind, data)  # precise message
        if (
            stop != len(text)
            or not isinstance(value, list)
            or len(value) != count
            or any(type(v) is not dict for v in value)
            or _ENCODER.encode(value) != text
        ):
            return _parse_lines_slow(kind, data)
        records.extend(value)
        pos = end
        line_no += count
    return records


def _parse_lines_slow(kind: str, data: bytes) -> list[Any]:
    """Line-by-line strict parse with :func:`ledger.canonical.loads` (precise errors)."""
    out: list[Any] = []
    for i, line in enumerate(data[:-1].split(b"\n")):
        try:
            value = _canonical_loads(line)
        except MalformedError as exc:
            raise MalformedError(f"{kind} 快照：第 {i + 1} 行：{exc}") from exc
        if type(value) is not dict:
            raise MalformedError(f"{kind} 快照：第 {i + 1} 行不是对象")
        out.append(value)
    return out


def _check_entities_fast(records: list[Any]) -> None:
    """Schema check of an entity file, column by column.

    Types are checked per column with C-level ``map``/``set``; dates once per distinct value;
    the identifier rules (NFC, no control characters) once on the joined identifiers when they
    are all ASCII (trivially NFC), otherwise record by record.
    """
    # Records are dicts: _parse_lines guarantees it on both of its paths.
    try:
        ids = [r["id"] for r in records]
        strata = [r["stratum"] for r in records]
        names = [r["name"] for r in records]
        lasts = {r["last_inspected"] for r in records}
        tag_lists = [r["tags"] for r in records]
    except KeyError as exc:
        raise MalformedError(f"entities 快照：记录缺少字段 {exc.args[0]!r}") from exc
    except TypeError as exc:  # an unhashable last_inspected
        raise MalformedError("entities 快照：last_inspected 应为 YYYY-MM-DD 或 null") from exc
    if (
        set(map(type, ids)) - {str}
        or set(map(type, strata)) - {str}
        or set(map(type, names)) - {str}
        or set(map(type, tag_lists)) - {list}
    ):
        for record in records:
            _check_record(ENTITIES, record, canonical=True)
    try:
        tag_spellings = {tuple(t) for t in tag_lists if t}
    except TypeError as exc:
        raise MalformedError("entities 快照：标签应为字符串") from exc
    _check_entity_columns(ids, strata, lasts, tag_spellings)


def _check_entity_columns(
    ids: list[str],
    strata: list[str],
    lasts: Iterable[str | None],
    tag_spellings: Iterable[tuple[str, ...]],
) -> None:
    """The value checks of an entity file whose column types are right (both parse paths).

    Dates once per distinct value, tags once per distinct tag list, and the identifier rules
    (NFC, no control characters) once on the joined ids and strata when they are printable
    ASCII (trivially NFC, no control character), otherwise entity by entity.

    Raises:
        MalformedError: on an invalid date or tag, unsorted or repeated tags, an empty id or
            stratum, or an id or stratum that is not an identifier.
    """
    for value in set(lasts):
        _check_date(value, "entities 快照")
    for tags in tag_spellings:
        for tag in tags:
            check_identifier(tag, "主体标签")
        if len(tags) > 1:
            _check_tags(list(tags), "主体", canonical=True)
    if "" in ids or "" in strata:
        raise MalformedError("entities 快照：id 或 stratum 为空")
    joined = " ".join(ids) + " " + " ".join(set(strata))
    if not (joined.isascii() and joined.isprintable()):
        for entity_id, stratum in zip(ids, strata, strict=True):
            check_identifier(entity_id, "主体 id")
            check_identifier(stratum, f"主体 {entity_id} 的 stratum")


@dataclass(frozen=True)
class EntityTable:
    """The columns of an entity snapshot that the draw uses (docs/draw-v1.md §8).

    Attributes:
        ids: entity ids, in file order (strictly increasing).
        strata: each entity's stratum.
        last_inspected: each entity's ``YYYY-MM-DD`` date, or ``""`` for ``null`` (so that the
            column holds only ``str`` and ``""`` sorts before every date).
    """

    ids: list[str]
    strata: list[str]
    last_inspected: list[str]

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> EntityTable:
        """Build the table from parsed entity records (already validated).

        Args:
            records: entity records as returned by :func:`parse_snapshot`.

        Returns:
            The table, in record order.

        Raises:
            MalformedError: if a record lacks ``id``, ``stratum`` or ``last_inspected``.
        """
        ids: list[str] = []
        strata: list[str] = []
        lasts: list[str] = []
        try:
            for record in records:
                ids.append(record["id"])
                strata.append(record["stratum"])
                lasts.append(record["last_inspected"] or "")
        except KeyError as exc:
            raise MalformedError(f"entities 快照：记录缺少字段 {exc.args[0]!r}") from exc
        return cls(ids, strata, lasts)


try:  # the optional C accelerator (pyproject.toml builds it where a compiler is available)
    import ledger.draw._entities as entities_c
except ImportError:  # pragma: no cover - exercised where it is not built, and by the zipapp
    entities_c = None  # type: ignore[assignment]


def parse_entity_table(data: bytes) -> EntityTable:
    """Parse and fully validate an entity snapshot into the columns the draw needs.

    Accepts exactly the files :func:`parse_snapshot` accepts (and raises on exactly the same
    ones), with the same checks. Fast path: the C accelerator (:mod:`ledger.draw._entities`)
    reads files whose every line has its common shape; any other file, and every file where the
    accelerator is not built, goes through :func:`parse_snapshot`, which gives the precise error.

    Args:
        data: the entity snapshot file.

    Returns:
        The table.

    Raises:
        MalformedError: if any check of :func:`parse_snapshot` fails. No other exception
            escapes.
    """
    if not isinstance(data, bytes):
        raise MalformedError("快照：应为 bytes")
    if data.endswith(b"\n"):
        table = c_span_table(data, 0, len(data))
        if table is not None:
            return table
    return EntityTable.from_records(parse_snapshot(ENTITIES, data))


#: Entity files at least this large are read in two halves by two threads
#: (:func:`ledger.draw.sampling.sample_snapshot`).
SPLIT_BYTES = 16 << 20


def split_point(data: bytes) -> int | None:
    """Where to split an entity file between two threads of the C accelerator.

    Args:
        data: an entity snapshot file (not yet validated).

    Returns:
        The offset of a line start near the middle of ``data`` when the accelerator is built
        and the file has at least :data:`SPLIT_BYTES` bytes and ends with ``\\n``; otherwise
        ``None``.
    """
    if entities_c is None or not isinstance(data, bytes) or len(data) < SPLIT_BYTES:
        return None
    size = len(data)
    if not data.endswith(b"\n"):
        return None
    mid = data.find(b"\n", size // 2) + 1
    return mid if 0 < mid < size else None


def check_c_values(strata: Iterable[str], tags: Iterable[bytes]) -> None:
    """The checks :mod:`ledger.draw._entities` leaves to the caller: the identifier rules (no
    control character from U+007F to U+009F, NFC) for its distinct strata and tags.

    Raises:
        MalformedError: if one of them is not an identifier.
    """
    for stratum in set(strata):
        check_identifier(stratum, "主体的 stratum")
    for tag in tags:
        check_identifier(tag.decode("utf-8"), "主体标签")


def c_span_table(data: bytes, start: int, stop: int) -> EntityTable | None:
    """The C accelerator's reading of ``data[start:stop]``, fully checked.

    Preconditions: ``start < stop`` are line starts (or the end) of ``data``.

    Returns:
        The span's table, or ``None`` when the accelerator is not built, declines a line, or a
        check fails (the caller then uses :func:`parse_snapshot`). Never raises MalformedError.
    """
    columns = None if entities_c is None else entities_c.columns(data, start, stop)
    if columns is None:
        return None
    ids, strata, lasts, tags = columns
    try:
        check_c_values(strata, tags)
    except MalformedError:
        return None
    return EntityTable(ids, strata, lasts)
