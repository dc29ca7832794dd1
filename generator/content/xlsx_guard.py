"""Bounds on an untrusted XLSX workbook, checked before openpyxl parses it (docs/content.md §8.3).

openpyxl keeps the whole shared-string table in memory and decompresses each part it reads, so
a small file can hold a 30-million-character cell or expand to gigabytes. :func:`check_workbook`
refuses such a file cheaply: it checks the file size and the declared unpacked sizes of the ZIP
members (Python's :mod:`zipfile` never returns more bytes than declared), then streams the
shared strings and every worksheet through expat, counting the characters of each text node
without keeping them, and stops at the first one longer than :data:`MAX_XLSX_TEXT`. The same pass
refuses a formula cell saved without its computed value (a ``<c>`` with an ``<f>`` and no ``<v>``,
as scripts write them; Excel, WPS and LibreOffice always save the value): openpyxl would read it
as an empty cell, and a required cell would be reported “不能为空” although the staff member sees a
value in it.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

from generator.content.errors import Location, Problems
from generator.content.source import MAX_FILE_BYTES
from ledger.errors import os_reason

#: Longest text of one cell: Excel's own limit (32,767 characters). Shorter limits per column
#: are checked after reading, with the cell's location.
MAX_XLSX_TEXT = 32_767
#: Largest unpacked size of one part of the workbook.
MAX_XLSX_PART = 256 * 1024 * 1024
#: Largest unpacked size of the shared-string table (held in memory whole by openpyxl).
MAX_XLSX_STRINGS = 64 * 1024 * 1024
#: Largest unpacked size of the whole workbook.
MAX_XLSX_UNPACKED = 512 * 1024 * 1024

_CHUNK = 1 << 20


class _TooLong(Exception):
    pass


class _Uncomputed(Exception):
    """A formula cell without a usable saved value: ``args`` are (part name, cell reference,
    True if the saved value is an error such as ``#REF!``)."""


def _local(tag: str) -> str:
    """An element's name without its namespace prefix (expat runs without namespace processing)."""
    return tag.rpartition(":")[2]


def _scan(archive: zipfile.ZipFile, name: str, *, worksheet: bool = False) -> None:
    """Stream one XML part; raise :class:`_TooLong` at the first overlong text node and, in a
    worksheet, :class:`_Uncomputed` at the first formula cell without a usable saved value."""
    count = 0
    cell = kind = ""  # the <c> element being read (reference, type), "" outside one
    formula = in_value = False
    value: int | None = None  # characters of the cell's <v>, None without one

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count, cell, kind, formula, in_value, value
        count = 0
        if not worksheet:
            return
        local = _local(tag)
        if local == "c":
            cell, kind, formula, value = attrs.get("r", "?"), attrs.get("t", "n"), False, None
        elif local == "f":
            formula = True
        elif local == "v":
            in_value, value = True, 0

    def end(tag: str) -> None:
        nonlocal count, cell, in_value
        count = 0
        local = _local(tag) if worksheet else ""
        if local == "v":
            in_value = False
        elif local == "c":
            if formula and (kind == "e" or value is None or (value == 0 and kind != "str")):
                raise _Uncomputed(name, cell, kind == "e")
            cell = ""

    def text(data: str) -> None:
        nonlocal count, value
        count += len(data)
        if in_value and value is not None:
            value += len(data)
        if count > MAX_XLSX_TEXT:
            raise _TooLong(name)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _row_of(ref: str) -> int:
    """The row number of a cell reference such as ``B12`` (0 if it has none)."""
    digits = ref.lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZ").replace("$", "")
    return int(digits) if digits.isdigit() and len(digits) <= 7 else 0


def unreadable(exc: BaseException) -> str:
    """The one message for a workbook that cannot be read (this guard's or openpyxl's failure):
    Chinese, naming the exception's type for a bug report but not its English text."""
    return (
        f"无法读取 XLSX 工作簿：文件损坏或不是 XLSX 格式（{type(exc).__name__}）；"
        "请用 Excel 或 WPS 打开后另存为 .xlsx"
    )


def check_workbook(path: Path, shown: str, problems: Problems) -> bool:
    """Check ``path`` against the XLSX bounds; False (with one located error) if refused.

    Raises nothing: a damaged file is recorded as an error too.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.error(Location(shown), f"无法读取文件：{os_reason(exc)}")
        return False
    if size > MAX_FILE_BYTES:
        problems.error(Location(shown), f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES}）")
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            big = next((i for i in infos if i.file_size > MAX_XLSX_PART), None)
            strings = next((i for i in infos if i.filename.endswith("sharedStrings.xml")), None)
            if total > MAX_XLSX_UNPACKED or big is not None:
                problems.error(
                    Location(shown),
                    f"工作簿解压后过大（{total} 字节；上限：整个工作簿 {MAX_XLSX_UNPACKED} 字节，"
                    f"单个部件 {MAX_XLSX_PART} 字节）",
                )
                return False
            if strings is not None and strings.file_size > MAX_XLSX_STRINGS:
                problems.error(
                    Location(shown),
                    f"工作簿的共享字符串表过大（{strings.file_size} 字节，上限 {MAX_XLSX_STRINGS}）",
                )
                return False
            for info in infos:
                name = info.filename
                if name.endswith("sharedStrings.xml"):
                    _scan(archive, name)
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _scan(archive, name, worksheet=True)
    except _Uncomputed as exc:
        part, ref = exc.args[0], exc.args[1][:16]  # a hostile file's reference may be long
        problems.error(
            Location(shown, _row_of(ref), f"单元格 {ref}（{part.rpartition('/')[2]}）"),
            "该单元格的公式计算出错（如 #REF!、#VALUE!），请改正公式或改为数值后再导入；未读取"
            if exc.args[2]
            else "该单元格是公式，但文件中没有保存公式的计算结果（常见于程序生成的表格），读取时会被"
            "当作空白：请用 Excel 或 WPS 打开后保存，或把公式改为数值后再导入；未读取",
        )
        return False
    except _TooLong as exc:
        problems.error(
            Location(shown),
            f"工作簿中有超长单元格（超过 {MAX_XLSX_TEXT} 字符，位于 {exc}）；未读取",
        )
        return False
    except (
        zipfile.BadZipFile,
        zlib.error,
        expat.ExpatError,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        problems.error(Location(shown), unreadable(exc))
        return False
    return True
