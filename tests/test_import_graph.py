"""The package's modules import each other in one direction: no cycle, lazy imports included.

A cycle hides in a lazy import (``from penguins.x import y`` inside a function) as easily as at
the top of a module, and works until the day the import order changes; so the graph is read from
every import statement of every module, wherever it stands. A package's ``__init__`` re-exporting
its submodules is not a cycle (Python runs ``__init__`` first), so a submodule's implicit import
of its own package does not count; an explicit one does.
"""

from __future__ import annotations

import ast
import json
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from conftest import run_python

PACKAGE = Path(__file__).resolve().parents[1] / "penguins"


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imported_modules(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` (module ``name``) imports anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, up level - 1 packages
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import penguins.a.b` names a module or a parent
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, without a module's own parent packages."""
    modules = module_names()
    graph = {}
    for name, path in modules.items():
        parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = imported_modules(path, name, set(modules)) - parents
    return graph


def test_the_import_graph_has_no_cycle():
    try:
        order = list(TopologicalSorter(import_graph()).static_order())
    except CycleError as error:
        raise AssertionError(f"an import cycle: {' -> '.join(error.args[1])}") from None
    assert "penguins.spec" in order and "penguins.engine.program" in order


def test_the_graph_reads_lazy_and_relative_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from penguins.engine import fit_batch\n    from penguins import store\n")
    assert imported_modules(module, "penguins.m", set(module_names())) == {"penguins.engine", "penguins.store"}


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(name for name in module_names() if not name.endswith("__main__"))  # runs the CLI
    done = run_python(
        "import importlib, json\n"
        f"failed = {{}}\nfor name in {names!r}:\n"
        "    try:\n        importlib.import_module(name)\n"
        "    except Exception as error:\n        failed[name] = repr(error)\n"
        "print(json.dumps(failed))"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {}
