"""The code stays in reviewable pieces: no import cycles, functions ≤ 100 lines, modules ≤ 800 lines.

The limits are the project's code standard (one concept a module). They are measured with
:mod:`ast` on the source of ``generator/`` and ``ledger/``:

* a module's size is its number of lines;
* a function's size runs from its ``def`` line to its last line (methods and nested functions
  are measured too, each on its own);
* an import cycle is a strongly connected set of modules of one package linked by imports.
  ``generator/`` is checked with every import, including those inside functions (a deferred
  import does not remove a cycle, it only hides it); ``ledger/`` with its module-level imports.

Neither package has an offender left. :data:`KNOWN` lists the exceptions allowed; it may only
shrink: a new offender fails, and so does an entry that no longer offends (remove it from the
list when the code is fixed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100

#: The offenders left when the limits were first enforced (issue #13). Entries are
#: ``"module <path>"``, ``"function <path>::<name>"`` and ``"cycle <module> <module> …"``.
KNOWN: dict[str, frozenset[str]] = {
    "generator": frozenset(),
    "ledger": frozenset(),
}
#: Both packages are checked with deferred (function-level) imports too.
NESTED_IMPORTS = {"generator": True, "ledger": True}


@dataclass(frozen=True)
class Module:
    """One source file of a package: its dotted name, path and parsed tree."""

    name: str
    path: Path
    source: str
    tree: ast.Module

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def modules(package: str) -> list[Module]:
    """Every ``.py`` file under ``package/`` (a directory at the repository root)."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        source = path.read_text(encoding="utf-8")
        found.append(Module(".".join(parts), path, source, ast.parse(source, str(path))))
    return found


def _import_statements(tree: ast.Module, *, nested: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when the module (``nested``: or any of its functions) runs;
    ``if TYPE_CHECKING:`` blocks are for the type checker only and are skipped."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            todo.extend(node.orelse)
        elif nested:
            todo.extend(ast.iter_child_nodes(node))


def imported(module: Module, known: set[str], *, nested: bool) -> set[str]:
    """The modules of ``known`` that ``module`` imports (``from p import m`` counts ``p.m``)."""
    targets: set[str] = set()
    for node in _import_statements(module.tree, nested=nested):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = module.name.split(".")
                if module.path.name != "__init__.py":
                    package.pop()
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([node.module] if node.module else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        targets.update(name for name in names if name in known and name != module.name)
    return targets


def cycles(mods: list[Module], *, nested: bool) -> list[list[str]]:
    """The import cycles among ``mods``: strongly connected sets of two or more modules."""
    known = {m.name for m in mods}
    graph = {m.name: sorted(imported(m, known, nested=nested)) for m in mods}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return found


def offenders(package: str, *, nested_imports: bool) -> set[str]:
    """Every breach of the limits in ``package``, in the notation of :data:`KNOWN`."""
    mods = modules(package)
    found: set[str] = set()
    for mod in mods:
        if len(mod.source.splitlines()) > MAX_MODULE_LINES:
            found.add(f"module {mod.rel}")
        for node in ast.walk(mod.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = node.end_lineno or node.lineno
                if end - node.lineno + 1 > MAX_FUNCTION_LINES:
                    found.add(f"function {mod.rel}::{node.name}")
    for component in cycles(mods, nested=nested_imports):
        found.add("cycle " + " ".join(component))
    return found


@pytest.mark.parametrize("package", sorted(KNOWN))
def test_no_new_offender(package: str) -> None:
    found = offenders(package, nested_imports=NESTED_IMPORTS[package])
    assert sorted(found - KNOWN[package]) == []


@pytest.mark.parametrize("package", sorted(KNOWN))
def test_known_exceptions_only_shrink(package: str) -> None:
    fixed = KNOWN[package] - offenders(package, nested_imports=NESTED_IMPORTS[package])
    assert sorted(fixed) == [], "fixed: remove these entries from KNOWN"


#: The command line of ``python -m ledger`` (argparse and its Chinese text): a thin layer over
#: the library that no library module imports, so none depends on a command line.
LEDGER_CLI = {"ledger.__main__", "ledger.cli_text"}


def test_ledger_library_does_not_import_its_command_line() -> None:
    """Only ``ledger/__main__.py`` uses the CLI text; nothing imports ``ledger.__main__``.

    Deferred imports count (a ``main_entry`` in a library module importing ``__main__`` inside
    a function is still a cycle between the library and its command line).
    """
    mods = modules("ledger")
    known = {m.name for m in mods}
    found = {
        f"{m.name} -> {target}"
        for m in mods
        if m.name != "ledger.__main__"
        for target in imported(m, known, nested=True) & LEDGER_CLI
    }
    assert sorted(found) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\n" * (MAX_MODULE_LINES + 1), {"module pkg/a.py"}),
        ("x = 1\n" * MAX_MODULE_LINES, set()),
        ("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES, {"function pkg/a.py::f"}),
        ("def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1), set()),
        ("def f():\n    from pkg import b\n", {"cycle pkg.a pkg.b"}),
    ],
)
def test_the_measure_itself(
    source: str, expected: set[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker finds each kind of breach (and not one line too early)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text(source)
    (pkg / "b.py").write_text("from pkg import a\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert offenders("pkg", nested_imports=True) == expected
