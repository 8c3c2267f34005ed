"""The rules of the house, checked on the source: the import graph has no circle, the
policy modules touch neither pip nor the run state nor the outside world, and the start-up
code imports nothing beyond ``os`` and ``sys``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "wheelnext_pip"

#: Modules that decide (the PEP rules); everything they need arrives as arguments.
POLICY_MODULES = (
    "wheelnext_pip.extras",
    "wheelnext_pip.index_groups",
    "wheelnext_pip.symlinks",
    "wheelnext_pip.build_isolation",
    "wheelnext_pip.variants.filenames",
    "wheelnext_pip.variants.metadata",
    "wheelnext_pip.variants.ordering",
    "wheelnext_pip.variants.properties",
    "wheelnext_pip.variants.providers",
    "wheelnext_pip.variants.judgment",
    "wheelnext_pip.variants.markers",
    "wheelnext_pip.variants.lock",
)
#: What a policy module may not reach, directly or through what it imports.
NOT_FOR_POLICY = (
    "pip",
    "wheelnext_pip._pip",
    "wheelnext_pip._state",
    "wheelnext_pip._activate",
    "wheelnext_pip._bootstrap",
    "wheelnext_pip._imphook",
    "wheelnext_pip._doctor",
    "subprocess",
    "socket",
    "shutil",
    "tempfile",
    "ctypes",
    "urllib.request",
    "http",
    "pynvml",
)
#: Imports the start-up module may make at interpreter start; activation comes later.
STARTUP_IMPORTS = {"os", "sys"}
STARTUP_LATE_IMPORTS = {"wheelnext_pip._activate"}


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


MODULES = _module_files()


def _imports(module: str, *, top_level_only: bool = False) -> Iterator[str]:
    """Every module named by an import statement of ``module`` (functions included)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            for alias in node.names:
                submodule = f"{name}.{alias.name}"
                yield submodule if submodule in MODULES else name


def _internal_graph() -> dict[str, set[str]]:
    return {
        module: {name for name in _imports(module) if name in MODULES and name != module}
        for module in MODULES
    }


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [{"a", "b", "c"}]


def test_no_import_circle() -> None:
    assert _circles(_internal_graph()) == []


def _reach(module: str) -> set[str]:
    """Everything ``module`` imports, following our own modules transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in _imports(todo.pop()):
            if name not in seen:
                seen.add(name)
                if name in MODULES:
                    todo.append(name)
    return seen


@pytest.mark.parametrize("module", POLICY_MODULES)
def test_policy_modules_reach_neither_pip_nor_run_state_nor_io(module: str) -> None:
    reached = _reach(module)
    bad = sorted(
        name
        for name in reached
        if any(name == root or name.startswith(root + ".") for root in NOT_FOR_POLICY)
    )
    assert bad == []


@pytest.mark.parametrize("module", POLICY_MODULES)
def test_policy_modules_open_no_files(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
    ]
    assert calls == []


def test_startup_module_imports_only_os_and_sys() -> None:
    assert set(_imports("wheelnext_pip._bootstrap", top_level_only=True)) <= STARTUP_IMPORTS
    late = set(_imports("wheelnext_pip._bootstrap")) - STARTUP_IMPORTS
    assert late <= STARTUP_LATE_IMPORTS


def test_startup_files_import_only_os_and_sys() -> None:
    shim = ast.parse((REPO / "sitecustomize" / "sitecustomize.py").read_text(encoding="utf-8"))
    top = {
        alias.name
        for node in shim.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert top <= STARTUP_IMPORTS
    pth = (REPO / "sitecustomize" / "wheelnext_pip.pth").read_text(encoding="utf-8")
    assert pth.startswith("import os;")
    assert pth.count("import ") == 2  # os, then the bootstrap itself once switched on
