"""The package layout by job: no import circle between rris_bench's folders and top-level modules, shared helpers
that depend on no job, light ``__init__`` files (no torch) that say in one line what their folder is for."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

ROOT = Path(__file__).resolve().parents[1]
# where each part of the installed package lives in the checkout (setup.cfg package_dir)
SOURCES = {"rris_bench": ROOT / "rris_bench", "rris_bench.generators": ROOT / "generators",
           "rris_bench.baselines": ROOT / "baselines"}
ENTRY_MODULES = {"cli", "demo"}  # top-level modules that compose the jobs; everything else at the top is shared


def _modules() -> Dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found: Dict[str, Path] = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[0] in ("generators", "baselines") and package == "rris_bench":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package] + parts)] = path
    return found


MODULES = _modules()


def _unit(module: str) -> Optional[str]:
    """The layout unit a module belongs to: its folder under rris_bench (``metrics``, ``run``, ...) or, at the
    top, the module itself (``masks``, ``files``, ...); None outside rris_bench."""
    parts = module.split(".")
    if parts[0] != "rris_bench":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path) -> Set[str]:
    """The rris_bench modules ``module`` imports anywhere in its file (also inside functions: a lazy import is
    still a dependency)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    out: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in MODULES else base)
    return {m for m in out if m.split(".")[0] == "rris_bench"}


def _graph() -> Dict[str, Set[str]]:
    graph: Dict[str, Set[str]] = {}
    for module, path in MODULES.items():
        unit = _unit(module)
        graph.setdefault(unit, set())
        for target in _imports(module, path):
            other = _unit(target)
            if other and other != unit and other != "__init__":
                graph[unit].add(other)
    return graph


def _cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One import circle of ``graph`` as a list of units (first == last), or None when it has none."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_the_jobs():
    graph = _graph()
    assert {"datasets", "build", "metrics", "run", "report", "commands", "generators", "baselines"} <= set(graph)
    assert "metrics" in graph["run"] and "datasets" in graph["metrics"] and "generators" in graph["build"]


def test_no_import_circle_between_folders():
    cycle = _cycle(_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_shared_helpers_depend_on_no_job():
    graph = _graph()
    folders = {name for name in graph if (SOURCES["rris_bench"] / name).is_dir() or name in ("generators", "baselines")}
    shared = set(graph) - folders - ENTRY_MODULES - {"__init__"}
    assert {"files", "errors", "masks", "cache", "checks", "rle"} <= shared
    offending = {name: sorted(graph[name] & (folders | ENTRY_MODULES)) for name in shared
                 if graph[name] & (folders | ENTRY_MODULES)}
    assert not offending, f"shared helpers importing a job folder: {offending}"


PACKAGES = sorted(m for m, p in MODULES.items() if p.name == "__init__.py" and _unit(m) != "baselines")


@pytest.mark.parametrize("package", PACKAGES)
def test_each_folder_says_what_it_is_in_one_line(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text()))
    assert doc, f"{package}: no docstring"
    first = doc.splitlines()[0]
    assert first.endswith(".") and len(first) <= 114, f"{package}: the first line is not one sentence: {first!r}"


def test_package_and_folder_inits_import_no_torch():
    code = ("import sys\n" + "".join(f"import {p}\n" for p in PACKAGES)
            + "loaded = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
            + "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
