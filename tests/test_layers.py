"""The import rules of the Architecture page, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xentara_sync"

#: Modules that run no I/O of their own: no event loop, no socket, no thread.
SANS_IO = [
    "protocol/*.py",
    "exceptions.py",
    "core/*.py",
    "toolkit/conditions.py",
    "toolkit/recording.py",
    "snapshot/twin.py",
    "snapshot/plans.py",
    "snapshot/walk.py",
]
IO_MODULES = {"asyncio", "trio", "websockets", "threading", "_thread", "socket", "selectors"}
#: What a sans-I/O module may still use: the CBOR codec keeps one cbor2 decoder per
#: thread (threading.local); it starts no thread.
ALLOWED = {"protocol/cbor.py": {"threading"}}
#: The one module of the core that knows websockets: it turns the exceptions of
#: opening a WebSocket (the flavours all open theirs with websockets) into ours.
ALLOWED["core/websocket.py"] = {"websockets"}


def modules(pattern: str) -> list[Path]:
    found = sorted(PACKAGE.glob(pattern))
    assert found, pattern
    return found


def imported(path: Path) -> set[str]:
    """Top-level names of the modules *path* imports (relative ones as '.name')."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names if not name.startswith(".")}


@pytest.mark.parametrize(
    "path",
    [p for pattern in SANS_IO for p in modules(pattern)],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_sans_io_layers_import_no_io(path: Path) -> None:
    allowed = ALLOWED.get(path.relative_to(PACKAGE).as_posix(), set())
    assert roots(imported(path)) & IO_MODULES <= allowed


@pytest.mark.parametrize("path", modules("protocol/*.py"), ids=lambda p: p.name)
def test_the_protocol_depends_only_on_exceptions(path: Path) -> None:
    relative = {name for name in imported(path) if name.startswith("..")}
    assert relative <= {"..exceptions"}


def test_the_asyncio_flavour_imports_no_trio_and_the_trio_flavour_no_asyncio() -> None:
    for path in modules("aio/*.py") + modules("sync/*.py"):
        assert "trio" not in roots(imported(path)), path
        assert "..trio" not in imported(path), path
    for path in modules("trio/*.py"):
        assert "asyncio" not in roots(imported(path)), path


def test_only_the_fast_path_touches_websockets_internals() -> None:
    internal = {"websockets.frames", "websockets.protocol"}
    users = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if imported(path) & internal
    ]
    assert users == ["aio/fastpath.py"]


def defined_names(tree: ast.AST) -> set[str]:
    """Names a module defines: functions, classes, attributes set on self, slots."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return names


def private_reaches(path: Path) -> list[str]:
    """``x._name`` where ``_name`` is not defined in the same file: another
    module's private attribute."""
    tree = ast.parse(path.read_text())
    own = defined_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        if node.attr in own:
            continue
        found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_the_blocking_facade_reaches_into_no_private_attribute() -> None:
    reaches = [r for path in modules("sync/*.py") for r in private_reaches(path)]
    assert reaches == []


# ---------------------------------------------------------------- the import graph

#: The floors of the Architecture page, lowest first. A module may import from its
#: own floor and the floors below, never from one above. A unit is a top-level
#: module or a first-level package (``xentara_sync`` itself is the blocking facade).
FLOORS: list[tuple[str, set[str]]] = [
    ("support", {"_version", "exceptions", "errorcodes", "secret", "logs", "threads"}),
    ("protocol", {"protocol"}),
    ("toolkit and simulator", {"toolkit", "simulator"}),
    ("snapshot", {"snapshot"}),
    ("core", {"core"}),
    ("flavours", {"aio", "trio"}),
    ("blocking facade", {"sync", ""}),
    (
        "tools and entry points",
        {"tools", "tui", "bench", "flat", "testing", "pytest_plugin", "testrecorder", "__main__"},
    ),
]
FLOOR = {unit: level for level, (_, units) in enumerate(FLOORS) for unit in units}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The modules of the package that module *name* imports: every import
    statement, those under ``if TYPE_CHECKING:`` and inside functions too. A name
    imported from a package counts as the package, unless it is a module of it."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "xentara_sync")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").split(".")[0] == "xentara_sync":
                module = node.module or ""
            else:
                continue
            for alias in node.names:
                found.add(
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                )
    found.discard(name)
    assert found <= MODULES.keys(), found - MODULES.keys()
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def unit(name: str) -> str:
    return name.split(".")[1] if "." in name else ""


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of *graph*, or [] if it has none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_every_unit_of_the_package_has_a_floor() -> None:
    assert {unit(name) for name in MODULES} <= FLOOR.keys()


def test_no_module_imports_in_a_circle() -> None:
    assert cycle(GRAPH) == []


def test_no_package_imports_in_a_circle() -> None:
    units: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        units.setdefault(unit(name), set()).update(
            unit(t) for t in targets if unit(t) != unit(name)
        )
    assert cycle(units) == []


def test_no_import_goes_up_the_floors() -> None:
    upward = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if FLOOR[unit(target)] > FLOOR[unit(name)]
    ]
    assert upward == []


def test_at_most_twelve_modules_at_the_top_level() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 12


def test_a_module_holds_at_most_700_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 700
    }
    assert long == {}
