"""The rules of the house, checked on the source: the import graph has no circle, the
policy modules touch neither pip nor the run state nor the outside world, what touches the
machine (hardware probes, subprocesses, file reads and writes) lives in private modules only,
and the start-up code imports nothing beyond ``os`` and ``sys``."""

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
    "wheelnext_pip.variants.microarch",
    "wheelnext_pip.variants.plugins",
    "wheelnext_pip.variants.ordering",
    "wheelnext_pip.variants.properties",
    "wheelnext_pip.variants.providers",
    "wheelnext_pip.variants.judgment",
    "wheelnext_pip.variants.markers",
    "wheelnext_pip.variants.lock",
    "wheelnext_pip.variants.abi_dependency",
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
    "selectors",
    "signal",
    "platform",
    "sysconfig",
)
#: The modules of the variants feature that may touch the machine, one concern each (the way
#: packaging keeps ``_manylinux`` and truststore one module per platform): the built-in
#: providers, the detection cache, the properties file the user names, the provider plugins'
#: environment with the client of their runner, and the runner itself.
VARIANTS_IO_MODULES = {
    "wheelnext_pip.variants._provider_base",
    "wheelnext_pip.variants._provider_nvidia",
    "wheelnext_pip.variants._provider_x86_64",
    "wheelnext_pip.variants._provider_aarch64",
    "wheelnext_pip.variants._provider_tpu",
    "wheelnext_pip.variants._provider_cpu_plugins",
    "wheelnext_pip.variants._detection_cache",
    "wheelnext_pip.variants._properties_file",
    "wheelnext_pip.variants._plugin_env",
    "wheelnext_pip.variants._plugin_runner",
}
#: The one public module of the variants feature that may import the provider modules: it
#: dispatches to them and reads nothing itself.
DISPATCHER = "wheelnext_pip.variants.detect"
#: Imports that mean I/O: processes, hardware, the file system beyond paths, the network.
IO_IMPORTS = (
    "subprocess",
    "pynvml",
    "ctypes",
    "selectors",
    "signal",
    "tempfile",
    "shutil",
    "socket",
    "platform",
    "sysconfig",
    "urllib.request",
    "http",
)
#: Calls that read or change the file system or other processes, by method name
#: (``Path.read_text`` …) and as ``os`` functions.
IO_METHODS = frozenset(
    {
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "iterdir",
        "mkdir",
        "rmdir",
        "unlink",
        "touch",
        "glob",
        "rglob",
        "symlink_to",
    }
)
IO_OS_FUNCTIONS = frozenset(
    {
        "open",
        "fdopen",
        "read",
        "write",
        "replace",
        "rename",
        "remove",
        "unlink",
        "makedirs",
        "mkdir",
        "rmdir",
        "listdir",
        "scandir",
        "walk",
        "stat",
        "lstat",
        "symlink",
        "readlink",
        "kill",
        "killpg",
        "system",
        "popen",
        "getpid",
        "urandom",
    }
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


def _io_uses(module: str) -> list[str]:
    """Where ``module``'s own code does I/O: an import of :data:`IO_IMPORTS`, a call of
    ``open``, of a file-system method or of an ``os`` I/O function (line numbers given)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = [
        f"import {name}"
        for name in _imports(module)
        if any(name == root or name.startswith(root + ".") for root in IO_IMPORTS)
    ]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id == "open":
            found.append(f"open() line {node.lineno}")
        elif isinstance(function, ast.Attribute):
            owner = function.value
            if isinstance(owner, ast.Name) and owner.id == "os":
                if function.attr in IO_OS_FUNCTIONS:
                    found.append(f"os.{function.attr}() line {node.lineno}")
            elif function.attr in IO_METHODS:
                found.append(f".{function.attr}() line {node.lineno}")
    return found


VARIANTS_MODULES = sorted(name for name in MODULES if name.startswith("wheelnext_pip.variants."))


def test_the_io_finder_finds_io() -> None:
    """The checks below would pass vacuously if this one did not."""
    for module in VARIANTS_IO_MODULES:
        assert _io_uses(module), module


@pytest.mark.parametrize("module", [*POLICY_MODULES, DISPATCHER])
def test_public_modules_do_no_io(module: str) -> None:
    """The policy modules and the detection dispatcher decide; they read and write nothing
    (no subprocess, no hardware probe, no file opened, read or written)."""
    assert _io_uses(module) == []


def test_only_the_private_modules_touch_the_machine() -> None:
    """In the variants feature, a module that does I/O is one of the private I/O modules, and
    every public module is a policy module or the dispatcher."""
    doing_io = {module for module in VARIANTS_MODULES if _io_uses(module)}
    assert doing_io <= VARIANTS_IO_MODULES
    public = {m for m in VARIANTS_MODULES if not m.rpartition(".")[2].startswith("_")}
    assert public <= {*POLICY_MODULES, DISPATCHER, "wheelnext_pip.variants.errors"}
    assert all(m.rpartition(".")[2].startswith("_") for m in VARIANTS_IO_MODULES)


@pytest.mark.parametrize("module", sorted({*VARIANTS_MODULES, "wheelnext_pip.variants"}))
def test_only_the_dispatcher_imports_the_provider_modules(module: str) -> None:
    """The hardware is reached through ``detect`` (and the private modules among themselves),
    never from a public policy module."""
    if module == DISPATCHER or module.rpartition(".")[2].startswith("_"):
        return
    reached = {name for name in _imports(module) if name in VARIANTS_IO_MODULES}
    assert reached == set()


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


def test_each_feature_patch_module_is_named_after_its_feature() -> None:
    # Read from the catalog's source: importing it would import the run state.
    tree = ast.parse((PACKAGE / "_pip" / "catalog.py").read_text(encoding="utf-8"))
    table = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "FEATURE_MODULES"
    )
    named = ast.literal_eval(table)
    assert named, "no feature modules found in catalog.py"
    for feature, (module, _) in named.items():
        assert module == f"wheelnext_pip._pip.{feature.replace('-', '_')}", feature
        assert module in MODULES, module
