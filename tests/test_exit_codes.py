"""Every exit code an error class or the CLI can give is documented in README's table (退出码).

The error families are ``ledger.errors`` (each :class:`LedgerError` subclass carries its code),
``generator.errors`` (workflow refusals and usage errors) and the codes of
``generator.cli_errors`` (content, I/O, internal, listen). A new class or code without a README
row fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator import cli_errors, errors
from ledger import errors as ledger_errors

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _documented() -> set[int]:
    table = README.split("### 退出码", 1)[1]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}


def _subclasses(root: type) -> list[type]:
    out, todo = [], [root]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def test_every_exit_code_is_documented() -> None:
    codes = {cls.exit_code for cls in _subclasses(ledger_errors.LedgerError)}
    codes |= {cls.exit_code for cls in _subclasses(errors.WorkflowError)}
    codes |= {
        value
        for name, value in vars(cli_errors).items()
        if name.endswith("_EXIT") and isinstance(value, int)
    }
    assert codes <= _documented(), sorted(codes - _documented())
    assert {0, *codes} == _documented(), "README documents a code nothing gives"
