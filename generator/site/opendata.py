"""Open data: CSV (UTF-8 with BOM, for Excel) and JSON per dataset, a JSON Schema for each, and a
Frictionless ``datapackage.json`` catalog.

A dataset is declared once (:class:`Dataset`): its fields carry an English ``name`` (the JSON
key), a Chinese ``title`` (the CSV header, so the file reads well in Excel) and a type. The CSV
Table Schema in ``datapackage.json`` therefore names fields by their Chinese titles, and the
JSON Schema by their English names. List values are joined with ``、`` in CSV and are arrays in
JSON. Only public fields are exported: no 回避 data, no inspector assignments, no addresses.
CSV text cells are neutralised against formula injection (docs/site.md §3.1); integers stay
numbers, booleans are 是/否 (declared as the Table Schema's trueValues/falseValues).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.content.cells import neutralise

Value = str | int | bool | None | list[str]

_BOM = b"\xef\xbb\xbf"
#: How a boolean is written in CSV (declared as trueValues/falseValues in the Table Schema).
_TRUE, _FALSE = "是", "否"
#: ``json.dumps(…, ensure_ascii=False)`` without making an encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array", "items": {"type": "string"}},
}


@dataclass(frozen=True)
class DataField:
    """One column: JSON key, CSV header, type (string/date/integer/boolean/list), meaning."""

    name: str
    title: str
    type: str
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Dataset:
    """A published dataset: metadata, fields and a row producer (called lazily)."""

    name: str
    title: str
    description: str
    fields: tuple[DataField, ...]
    rows: Callable[[], Iterable[dict[str, Value]]]

    def to_csv(self) -> bytes:
        """CSV with a UTF-8 BOM and CRLF line ends (RFC 4180).

        The rows are encoded as they come (100,000 businesses: no list of records or of lines
        is held)."""
        buf = io.BytesIO()
        buf.write(_BOM)
        text = io.TextIOWrapper(buf, encoding="utf-8", newline="")
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow([f.title for f in self.fields])
        names = [f.name for f in self.fields]
        w.writerows([_cell(row[n]) for n in names] for row in self.rows())
        text.flush()
        data = buf.getvalue()
        text.detach()
        return data

    def to_json(self) -> bytes:
        """``{"dataset": name, "records": [...]}``, UTF-8, one record per line (encoded as the
        rows come, like :meth:`to_csv`)."""
        buf = io.BytesIO()
        buf.write(self._json_head())
        encode = _ENCODER.encode
        sep = b""
        for row in self.rows():
            buf.write(sep)
            buf.write(encode(row).encode("utf-8"))
            sep = b",\n"
        buf.write(b"\n]}\n")
        return buf.getvalue()

    def csv_line(self, row: dict[str, Value]) -> str:
        """The CSV line of one record (with its CRLF)."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow([_cell(row[f.name]) for f in self.fields])
        return buf.getvalue()

    def json_line(self, row: dict[str, Value]) -> str:
        """The JSON text of one record (without the separator)."""
        return _ENCODER.encode(row)

    def csv_from_lines(self, lines: Sequence[str]) -> bytes:
        """:meth:`to_csv` from the records' :meth:`csv_line` texts."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow([f.title for f in self.fields])
        return _BOM + (buf.getvalue() + "".join(lines)).encode("utf-8")

    def json_from_lines(self, lines: Sequence[str]) -> bytes:
        """:meth:`to_json` from the records' :meth:`json_line` texts."""
        return self._json_head() + (",\n".join(lines) + "\n]}\n").encode("utf-8")

    def _json_head(self) -> bytes:
        return f'{{"dataset": {json.dumps(self.name, ensure_ascii=False)}, "records": [\n'.encode()

    def json_schema(self, schema_id: str) -> bytes:
        """A JSON Schema (2020-12) describing :meth:`to_json`."""
        props: dict[str, Any] = {}
        for f in self.fields:
            spec: dict[str, Any] = dict(_JSON_TYPES[f.type])
            if f.nullable:
                spec = {"anyOf": [spec, {"type": "null"}]}
            props[f.name] = {"title": f.title, "description": f.description, **spec}
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_id,
            "title": self.title,
            "description": self.description,
            "type": "object",
            "required": ["dataset", "records"],
            "properties": {
                "dataset": {"const": self.name},
                "records": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [f.name for f in self.fields],
                        "additionalProperties": False,
                        "properties": props,
                    },
                },
            },
        }
        return _dump(schema)

    def table_schema(self) -> dict[str, Any]:
        """The Frictionless Table Schema of the CSV."""
        types = {"list": "string", "date": "date", "integer": "integer", "boolean": "boolean"}
        fields: list[dict[str, Any]] = []
        for f in self.fields:
            spec: dict[str, Any] = {
                "name": f.title,
                "type": types.get(f.type, "string"),
                "description": f"{f.description}（JSON 字段 {f.name}）",
            }
            if f.type == "boolean":  # the CSV writes 是/否 (see _cell)
                spec |= {"trueValues": [_TRUE], "falseValues": [_FALSE]}
            fields.append(spec)
        return {"fields": fields}


def _cell(value: Value) -> str | int:
    """A CSV cell: numbers stay numbers; text is neutralised against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return neutralise("、".join(value))
    return neutralise(value)


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def datapackage(
    name: str, title: str, base_url: str, datasets: Sequence[Dataset], modified: str | None
) -> bytes:
    """The ``data/datapackage.json`` catalog (Frictionless Data Package, DCAT-like keys)."""
    resources: list[dict[str, Any]] = []
    for ds in datasets:
        resources.append(
            {
                "name": f"{ds.name}-csv",
                "path": f"{ds.name}.csv",
                "title": ds.title,
                "description": ds.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": ds.table_schema(),
            }
        )
        resources.append(
            {
                "name": f"{ds.name}-json",
                "path": f"{ds.name}.json",
                "title": ds.title,
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
                "describedBy": f"schemas/{ds.name}.schema.json",
                "conformsTo": "https://json-schema.org/draft/2020-12/schema",
            }
        )
    pkg: dict[str, Any] = {
        "profile": "data-package",
        "name": name,
        "title": title,
        "homepage": base_url,
        "language": "zh-CN",
        "licenses": [{"name": "CC-BY-4.0", "title": "署名 4.0 国际"}],
        "resources": resources,
    }
    if modified:
        pkg["modified"] = modified
    return _dump(pkg)
