"""Typed entry bodies: field kinds, strict parsing and canonical encoding (docs/workflow.md).

A payload class is a frozen dataclass whose fields are declared with :func:`spec` (a
:class:`Kind` per field, optionally *optional*: the key may be absent) and decorated with
:func:`payload`. Then

* ``parse(cls, body)`` accepts exactly the declared keys with exactly the declared JSON types
  (a boolean is not an integer, a list is not a string, a word outside a closed vocabulary is
  rejected), and returns the frozen instance; anything else raises :class:`BodyError` naming
  the field's path (``result.followup.measure``);
* ``encode(instance)`` gives back the JSON value, so that for every accepted body
  ``canonical.dumps(encode(parse(cls, body))) == canonical.dumps(body)``, byte for byte;
* :func:`field_rows` describes every field (path, type, required) for the documentation, which
  a test compares with docs/workflow.md.

A class may also define ``check(self) -> None``: the rules that tie its fields together
(unique names, one field naming an element of another …). ``parse`` calls it on the instance it
built, after every field parsed, and it raises :class:`BodyError` with the path of the field at
fault, relative to the class.

Only the standard library is used: this runs in the published ``gongkai-verify.pyz``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

__all__ = [
    "BodyError",
    "Bool",
    "Const",
    "Date",
    "Hex",
    "Int",
    "Kind",
    "ListOf",
    "MapOf",
    "Nullable",
    "Object",
    "OneOf",
    "Text",
    "Timestamp",
    "encode",
    "field_rows",
    "parse",
    "payload",
    "spec",
]

_TS_RE: Final = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"
)
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class BodyError(Exception):
    """A body does not match its payload class.

    ``path`` lists the keys (and ``[i]`` list positions) from the body down to the bad value,
    innermost first while the error propagates (see :attr:`where`).
    """

    def __init__(self, reason: str, path: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = path if path is not None else []

    @property
    def where(self) -> str:
        """The dotted path of the bad field, e.g. ``result.categories[0]``."""
        out = ""
        for part in reversed(self.path):
            out += part if part.startswith("[") or not out else "." + part
        return out or "body"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "对象"
    return type(value).__name__


class Kind:
    """How one JSON value is checked, converted and written back.

    ``doc`` is the English description used in docs/workflow.md.
    """

    __slots__ = ("doc",)

    def __init__(self, doc: str) -> None:
        self.doc = doc

    def parse(self, value: Any) -> Any:
        """The Python value for ``value``. Raises BodyError (with an empty path)."""
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        """The JSON value of a parsed ``value`` (the identity for strings and integers)."""
        return value

    def children(self) -> Iterator[tuple[str, Kind, bool]]:
        """Nested ``(path suffix, kind, required)`` rows for the documentation."""
        return iter(())


class Text(Kind):
    """A JSON string; optionally non-empty and/or matching ``pattern`` (full match)."""

    __slots__ = ("nonempty", "pattern")

    def __init__(
        self, doc: str = "string", *, nonempty: bool = False, pattern: str | None = None
    ) -> None:
        super().__init__(doc)
        self.nonempty = nonempty
        self.pattern = re.compile(pattern) if pattern is not None else None

    def parse(self, value: Any) -> Any:
        if type(value) is not str:
            raise BodyError(f"应为字符串，实为{_json_type(value)}")
        if self.nonempty and not value:
            raise BodyError("不能为空字符串")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise BodyError(f"格式错误（应为 {self.doc}）：{value!r}")
        return value


class Hex(Text):
    """Lowercase hexadecimal text of exactly ``digits`` digits (or any even number if None)."""

    __slots__ = ()

    def __init__(self, digits: int | None = 64) -> None:
        if digits is None:
            super().__init__("lowercase hex, even length", pattern="(?:[0-9a-f]{2})+")
        else:
            super().__init__(f"{digits} lowercase hex", pattern=f"[0-9a-f]{{{digits}}}")


class Timestamp(Text):
    """A UTC time ``YYYY-MM-DDTHH:MM:SSZ`` (kept as text, like ``ts``)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("UTC time YYYY-MM-DDTHH:MM:SSZ")

    def parse(self, value: Any) -> Any:
        if type(value) is not str:
            raise BodyError(f"应为字符串，实为{_json_type(value)}")
        if not _TS_RE.fullmatch(value):
            raise BodyError(f"应为 UTC 时间 YYYY-MM-DDTHH:MM:SSZ：{value!r}")
        try:
            dt.date.fromisoformat(value[:10])  # the pattern leaves only the day of month open
        except ValueError:
            raise BodyError(f"不是有效的时间：{value!r}") from None
        return value


class Date(Kind):
    """A calendar date ``YYYY-MM-DD`` (China), parsed to :class:`datetime.date`."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("date YYYY-MM-DD")

    def parse(self, value: Any) -> Any:
        if type(value) is not str:
            raise BodyError(f"应为日期字符串，实为{_json_type(value)}")
        if not _DATE_RE.fullmatch(value):
            raise BodyError(f"应为日期 YYYY-MM-DD：{value!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise BodyError(f"不是有效的日期：{value!r}") from None

    def encode(self, value: Any) -> Any:
        return value.isoformat()


class Int(Kind):
    """A JSON integer (never a boolean) in ``[lo, hi]`` (either bound may be None)."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: int | None = None, hi: int | None = None) -> None:
        if lo is not None and hi is not None:
            doc = f"integer {lo}..{hi}"
        elif lo is not None:
            doc = f"integer ≥ {lo}"
        else:
            doc = "integer"
        super().__init__(doc)
        self.lo, self.hi = lo, hi

    def parse(self, value: Any) -> Any:
        if type(value) is not int:
            raise BodyError(f"应为整数，实为{_json_type(value)}")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise BodyError(f"应为 {self.doc}，实为 {value}")
        return value


class Bool(Kind):
    """A JSON boolean (``true`` / ``false``; never an integer)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("boolean")

    def parse(self, value: Any) -> Any:
        if type(value) is not bool:
            raise BodyError(f"应为布尔值 true 或 false，实为{_json_type(value)}")
        return value


class Const(Kind):
    """Exactly one string value."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        super().__init__(f'"{value}"')
        self.value = value

    def parse(self, value: Any) -> Any:
        if value != self.value or type(value) is not str:
            raise BodyError(f"应为 {self.value!r}，实为 {value!r}")
        return value


class OneOf(Kind):
    """One word of a closed vocabulary (``name`` is how the documentation refers to it)."""

    __slots__ = ("values", "words")

    def __init__(self, values: tuple[str, ...], name: str | None = None) -> None:
        super().__init__(
            f"one of {name}" if name else "one of " + " \\| ".join(f'"{v}"' for v in values)
        )
        self.values = values
        self.words = frozenset(values)

    def parse(self, value: Any) -> Any:
        if type(value) is not str:
            raise BodyError(f"应为字符串，实为{_json_type(value)}")
        if value not in self.words:
            raise BodyError(f"{value!r} 不在规定的选项中（{'、'.join(self.values)}）")
        return value


class ListOf(Kind):
    """A JSON array of ``item`` values, parsed to a tuple; optionally non-empty, unique."""

    __slots__ = ("item", "nonempty", "unique")

    def __init__(self, item: Kind, *, nonempty: bool = False, unique: bool = False) -> None:
        notes = ", ".join(w for w, on in (("non-empty", nonempty), ("unique", unique)) if on)
        super().__init__(f"list of {item.doc}" + (f" ({notes})" if notes else ""))
        self.item, self.nonempty, self.unique = item, nonempty, unique

    def parse(self, value: Any) -> Any:
        if type(value) is not list:
            raise BodyError(f"应为数组，实为{_json_type(value)}")
        if self.nonempty and not value:
            raise BodyError("不能为空数组")
        parse = self.item.parse
        out = []
        for i, v in enumerate(value):
            try:
                out.append(parse(v))
            except BodyError as exc:
                exc.path.append(f"[{i}]")
                raise
        if self.unique and len(set(out)) != len(out):
            raise BodyError("有重复的元素")
        return tuple(out)

    def encode(self, value: Any) -> Any:
        enc = self.item.encode
        return [enc(v) for v in value]

    def children(self) -> Iterator[tuple[str, Kind, bool]]:
        for path, kind, required in self.item.children():
            yield "[]" + path, kind, required


class MapOf(Kind):
    """A JSON object with arbitrary non-empty keys and ``value`` values (a dict)."""

    __slots__ = ("value",)

    def __init__(self, value: Kind, *, key_doc: str = "key") -> None:
        super().__init__(f"object {{{key_doc}: {value.doc}}}")
        self.value = value

    def parse(self, value: Any) -> Any:
        if type(value) is not dict:
            raise BodyError(f"应为对象，实为{_json_type(value)}")
        out = {}
        for k, v in value.items():
            if not k:
                raise BodyError("键不能为空字符串")
            try:
                out[k] = self.value.parse(v)
            except BodyError as exc:
                exc.path.append(k)
                raise
        return out

    def encode(self, value: Any) -> Any:
        return {k: self.value.encode(v) for k, v in value.items()}


class Nullable(Kind):
    """``null`` (None) or a value of ``kind``."""

    __slots__ = ("kind",)

    def __init__(self, kind: Kind) -> None:
        super().__init__(f"{kind.doc} or null")
        self.kind = kind

    def parse(self, value: Any) -> Any:
        return None if value is None else self.kind.parse(value)

    def encode(self, value: Any) -> Any:
        return None if value is None else self.kind.encode(value)

    def children(self) -> Iterator[tuple[str, Kind, bool]]:
        return self.kind.children()


class Object(Kind):
    """A nested object described by a payload class."""

    __slots__ = ("cls",)

    def __init__(self, cls: type[Any], doc: str = "object") -> None:
        super().__init__(doc)
        self.cls = cls

    def parse(self, value: Any) -> Any:
        return _parse(self.cls, value)

    def encode(self, value: Any) -> Any:
        return encode(value)

    def children(self) -> Iterator[tuple[str, Kind, bool]]:
        for name, kind, optional in self.cls._schema_fields:
            yield "." + name, kind, not optional
            for path, sub, required in kind.children():
                yield "." + name + path, sub, required


_SPEC = "gongkai.kind"
_OPTIONAL = "gongkai.optional"


def spec(kind: Kind, *, optional: bool = False, init: bool = True) -> Any:
    """Declare a payload field: its JSON ``kind``; ``optional`` fields may be absent (None).

    An optional field cannot also be :class:`Nullable` (absent and null would both be None).
    ``init=False`` leaves the field out of the constructor (the class sets it itself, as the
    entry classes do with ``type``); parsing still reads and checks it.
    """
    if optional:
        if isinstance(kind, Nullable):
            raise TypeError("可省略的字段不能同时可为 null")
        return dataclasses.field(default=None, metadata={_SPEC: kind, _OPTIONAL: True})
    return dataclasses.field(init=init, metadata={_SPEC: kind, _OPTIONAL: False})


_C = TypeVar("_C")


def payload(cls: type[_C]) -> type[_C]:
    """Compile the field table of a frozen dataclass declared with :func:`spec` fields.

    Raises:
        TypeError: if the class is not a frozen dataclass or a field has no :func:`spec`.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} 应为 frozen dataclass")
    rows = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if _SPEC not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} 没有用 spec() 声明")
        rows.append((f.name, f.metadata[_SPEC], bool(f.metadata[_OPTIONAL])))
    target: Any = cls
    target._schema_fields = tuple(rows)
    target._schema_allowed = frozenset(r[0] for r in rows)
    target._schema_required = frozenset(r[0] for r in rows if not r[2])
    target._schema_check = getattr(cls, "check", None)
    return cls


_P = TypeVar("_P")


def _parse(cls: type[_P], value: Any) -> _P:
    if type(value) is not dict:
        raise BodyError(f"应为对象，实为{_json_type(value)}")
    info: Any = cls
    keys = value.keys()
    if keys != info._schema_allowed:
        missing = sorted(info._schema_required - keys)
        if missing:
            raise BodyError("缺少必填字段", [missing[0]])
        extra = sorted(keys - info._schema_allowed)
        if extra:
            raise BodyError("是未定义的字段", [extra[0]])
    kwargs = {}
    for name, kind, optional in info._schema_fields:
        if optional and name not in value:
            continue
        try:
            kwargs[name] = kind.parse(value[name])
        except BodyError as exc:
            exc.path.append(name)
            raise
    # The values are checked: fill the frozen instance directly (its __init__ would set each
    # field through object.__setattr__, several times slower for no gain).
    obj = object.__new__(cls)
    obj.__dict__.update(kwargs)
    if info._schema_check is not None:
        info._schema_check(obj)
    return obj


def parse(cls: type[_P], body: Mapping[str, Any]) -> _P:
    """Parse ``body`` strictly into ``cls`` (a :func:`payload` class), and run the ``check`` of
    every class parsed that has one.

    Raises:
        BodyError: naming the path of the first field that is missing, undeclared or wrong.
    """
    return _parse(cls, body)


def encode(value: Any) -> dict[str, Any]:
    """The JSON object of a parsed payload (optional fields that are None are left out)."""
    out: dict[str, Any] = {}
    for name, kind, optional in type(value)._schema_fields:
        v = getattr(value, name)
        if optional and v is None:
            continue
        out[name] = kind.encode(v)
    return out


def field_rows(
    cls: type[Any], skip: Callable[[str], bool] = lambda _: False
) -> list[tuple[str, str, bool]]:
    """``(path, type description, required)`` of every field of ``cls``, nested ones included.

    ``skip(name)`` leaves out top-level fields (e.g. the common ``type``, ``id``, ``ts``).
    """
    rows: list[tuple[str, str, bool]] = []
    for name, kind, optional in cls._schema_fields:
        if skip(name):
            continue
        rows.append((name, kind.doc, not optional))
        for path, sub, required in kind.children():
            rows.append((name + path, sub.doc, required))
    return rows
