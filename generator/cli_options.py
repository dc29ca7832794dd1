"""Checked types of the ``gongkai`` options: every value is range-checked before a command runs.

Each type fails through click (``选项 '--at' 收到无效的值：…``, exit code 2) with a Chinese message
that names the value's problem; click adds the option's name. Nothing here touches a site: checks
that need the ledger (a ``--at`` not earlier than the last entry, a round at least 24 hours after
the announcement) are made by the library when it appends.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, Final

import click

from generator.content.text import unsafe_text_message

__all__ = [
    "AT_DATE",
    "AT_TIME",
    "MAX_OPTION_TEXT",
    "MAX_WORKERS",
    "OPTIONAL_TEXT",
    "PORT",
    "ROUND",
    "TEXT",
    "WORKERS",
    "AtTime",
    "BoundedInt",
    "Text",
    "staff_time",
]

#: Longest free-text option accepted (characters); the content's own limit for a text field.
MAX_OPTION_TEXT: Final = 500
#: Largest ``--workers``: the machine's CPU cores (a process per core is the useful maximum).
MAX_WORKERS: Final = max(1, os.cpu_count() or 1)
#: Largest drand round accepted on the command line (the ledger stores rounds as 64-bit).
MAX_ROUND: Final = 2**63 - 1


class Text(click.ParamType[str]):
    """A free-text value: no control, invisible or direction-changing characters, bounded length.

    See :mod:`generator.content.text` for the refused characters.
    """

    name = "text"
    metavar = "文本"  # the placeholder in help pages (generator.cli_text.chinese_metavar)

    def __init__(self, max_len: int = MAX_OPTION_TEXT, *, allow_empty: bool = False) -> None:
        self.max_len, self.allow_empty = max_len, allow_empty

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Return ``value`` stripped; fail if it is empty, too long or has a refused character."""
        text = str(value)
        unsafe = unsafe_text_message(text)
        if unsafe is not None:
            self.fail(unsafe, param, ctx)
        text = text.strip()
        if not text and not self.allow_empty:
            self.fail("不能为空", param, ctx)
        if len(text) > self.max_len:
            self.fail(f"过长（{len(text)} 字符，上限 {self.max_len}）", param, ctx)
        return text


class BoundedInt(click.ParamType[int]):
    """A decimal integer in ``[lo, hi]``; the message names the bounds in Chinese."""

    name = "integer"
    metavar = "整数"

    def __init__(self, lo: int, hi: int, hint: str = "") -> None:
        self.lo, self.hi, self.hint = lo, hi, hint

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Return the integer; fail if it is not a decimal integer or out of range."""
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not text.lstrip("+-").isascii() or not text.lstrip("+-").isdigit() or len(text) > 40:
                self.fail(f"“{_shown(text)}”不是整数", param, ctx)
            number = int(text)
        if not self.lo <= number <= self.hi:
            shown = (
                str(number)
                if len(str(number)) <= 25
                else f"{str(number)[:20]}…（{len(str(number))} 位）"
            )
            self.fail(f"{shown} 超出范围：应在 {self.lo} 到 {self.hi} 之间{self.hint}", param, ctx)
        return number


class AtTime(click.ParamType[str]):
    """``--at``: a date or a date-time with its zone, returned as the ledger's UTC timestamp.

    The bounds are those of :func:`generator.workflow.site.parse_at`: a signing time may not lie
    in the future (``future=False``); a reporting date may.
    """

    name = "text"
    metavar = "时间"

    def __init__(self, *, future: bool) -> None:
        self.future = future

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Return ``YYYY-MM-DDTHH:MM:SSZ``; fail with the reason if the time is unusable."""
        from generator.errors import WorkflowError
        from generator.workflow.site import parse_at

        text = str(value)
        unsafe = unsafe_text_message(text)
        if unsafe is not None:
            self.fail(unsafe, param, ctx)
        try:
            return parse_at(staff_time(text), allow_future=self.future)
        except WorkflowError as exc:
            self.fail(str(exc), param, ctx)


_STAFF_TIME: Final = re.compile(
    r"(?P<y>[0-9]{4})\s*(?:年|[-/.])\s*(?P<m>[0-9]{1,2})\s*(?:月|[-/.])\s*(?P<d>[0-9]{1,2})\s*日?"
    r"(?:(?:\s*T\s*|\s+|(?<=日))(?P<H>[0-9]{1,2})\s*(?::|时|点)\s*(?P<M>[0-9]{1,2})"
    r"(?:\s*(?::|分)\s*(?P<S>[0-9]{1,2})\s*秒?|\s*分)?)?"
    r"\s*(?P<z>Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def staff_time(text: str) -> str:
    """A time as staff write it, in the ISO 8601 form of ``parse_at``; other text unchanged.

    Accepts ``2024-03-10``, ``2024/3/10``, ``2024.3.10``, ``2024年3月10日`` (full-width digits
    too), optionally followed by a time ``10:30``, ``10:30:15``, ``10时30分`` (after ``T``, a
    space or ``日``) and a zone (``Z``, ``+08:00``, ``+0800``). A date alone stays a date
    (``parse_at`` reads it as 09:00 China time); a time without a zone is China time (+08:00).
    Never raises: text it does not recognise is returned for ``parse_at`` to refuse.
    """
    plain = unicodedata.normalize("NFKC", text).strip()
    m = _STAFF_TIME.fullmatch(plain)
    if m is None:
        return text
    date = f"{m['y']}-{int(m['m']):02d}-{int(m['d']):02d}"
    if m["H"] is None:
        return date if m["z"] is None else text
    zone = m["z"] or "+08:00"
    if zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return f"{date}T{int(m['H']):02d}:{int(m['M']):02d}:{int(m['S'] or 0):02d}{zone}"


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


TEXT: Final = Text()
OPTIONAL_TEXT: Final = Text(allow_empty=True)
AT_TIME: Final = AtTime(future=False)
AT_DATE: Final = AtTime(future=True)
ROUND: Final = BoundedInt(1, MAX_ROUND)
WORKERS: Final = BoundedInt(0, MAX_WORKERS, f"（0 = 全部核心；本机 CPU 核心数为 {MAX_WORKERS}）")
PORT: Final = BoundedInt(1, 65535)
