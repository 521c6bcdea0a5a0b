"""The import contract and the size limits, read from the code itself.

The layout (README, Development) only helps while it holds: a data module that
imports Textual can no longer run in `snapshot` or a script, a widget that
reaches into console/ cannot be reused or tested alone, an import cycle makes
the start-up order matter, a 900-line class has no room for the next screen.
So these read every module's imports with `ast` (those under `if
TYPE_CHECKING:` included, since a cycle there is still a cycle for the reader
and for mypy) and fail naming the module and the path that breaks a rule.

Where a check could pass by seeing nothing, a twin shows it sees: it finds
what it looks for where that is allowed (the CLI's deferred Textual import,
the patches' private names).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("console", "widgets")

DATA_LAYER = ("console.model", "console.sources", "console.config", "console.text",
              "console.state", "console.record", "console.export", "console.demo",
              "console.doctor", "console.manifests", "console.hints", "console.views")
"""Modules (and packages, with everything under them) that must run without Textual: the
console's data, its sources, its exports and what each panel shows (Rich is allowed)."""

PATCHES = "widgets.textual_patches"
"""The one place allowed to import or touch Textual's and Rich's private code."""

MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_APP_LINES = 500, 80, 300

OUTSIDE_DOCUMENT = re.compile(r"\bDESIG[N]\b")
"""The design document kept outside the repository, by name (bracketed, so that this file
does not cite it)."""


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """What a relative import in this module is relative to."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))


@cache
def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            found[name] = Module(name, path, ast.parse(path.read_text(), str(path)))
    return found


def _import_nodes(tree: ast.AST, deferred: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs on import (under `if`, `try` and TYPE_CHECKING included),
    and with `deferred` also those inside functions, which run when they are called."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not deferred and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef
                                           | ast.Lambda):
            continue
        else:
            yield from _import_nodes(node, deferred)


@dataclass(frozen=True)
class Imported:
    name: str
    """The module imported, or for `from m import n` the submodule m.n when there is one."""
    names: tuple[str, ...]
    """For `from m import a, b`: a, b."""
    line: int


def imports_of(module: Module, deferred: bool = False) -> list[Imported]:
    project = modules()
    out: list[Imported] = []
    for node in _import_nodes(module.tree, deferred):
        if isinstance(node, ast.Import):
            out += [Imported(alias.name, (), node.lineno) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            package = module.package.split(".")
            package = package[:len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = tuple(alias.name for alias in node.names)
        submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in project]
        out += [Imported(s, (), node.lineno) for s in submodules]
        if len(submodules) < len(names):
            out.append(Imported(base, names, node.lineno))
    return out


@cache
def graph(deferred: bool) -> dict[str, set[str]]:
    """Each project module's imports (project modules and outside ones by full name)."""
    return {name: {i.name for i in imports_of(m, deferred)} - {name}
            for name, m in modules().items()}


def _in(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _parents(name: str) -> list[str]:
    """Packages Python imports first to import `name` (their __init__ runs too)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def path_to_textual(start: str) -> list[str] | None:
    """The chain of imports by which `start` reaches Textual, if it does (breadth first,
    deferred imports and the packages each import runs included)."""
    edges, project = graph(deferred=True), modules()
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for target in sorted(edges.get(current, set()) | set(_parents(current))):
            if target in came_from:
                continue
            came_from[target] = current
            if _in(target, "textual"):
                chain = [target]
                while (step := came_from[chain[-1]]) is not None:
                    chain.append(step)
                return chain[::-1]
            if target in project:
                queue.append(target)
    return None


def data_layer() -> list[str]:
    return [name for name in modules() if any(_in(name, d) for d in DATA_LAYER)]


# ----------------------------------------------------------------- (a) the data layer


def test_the_data_layer_is_all_there() -> None:
    """A renamed room must be renamed here too, or the checks below would skip it."""
    layer = data_layer()
    for room in DATA_LAYER:
        assert any(_in(name, room) for name in layer), f"{room}: no such module any more"
    assert len(layer) > 40, layer


def test_the_data_layer_never_imports_textual() -> None:
    chains = [" → ".join(chain) for name in data_layer()
              if (chain := path_to_textual(name)) is not None]
    assert not chains, "the data layer reaches Textual:\n" + "\n".join(chains)


def test_the_check_finds_a_path_to_textual_through_other_modules() -> None:
    """The check can fail: the CLI reaches Textual only through the modules it starts."""
    chain = path_to_textual("console.cli")
    assert chain is not None and chain[0] == "console.cli", chain
    assert len(chain) >= 3 and chain[-1].startswith("textual"), chain
    assert path_to_textual("widgets.columns") is None


def test_the_data_layer_imports_without_textual_at_run_time() -> None:
    code = ("import importlib, json, sys\n"
            f"for name in {data_layer()!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules\n"
            "    if m == 'textual' or m.startswith(('textual.', 'console.app', "
            "'console.screens')))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


# ----------------------------------------------------------------- (b) widgets


def test_widgets_import_nothing_of_the_console_but_its_model() -> None:
    wrong = [f"{m.where}:{i.line}: {i.name}" for name, m in modules().items()
             if _in(name, "widgets") for i in imports_of(m, deferred=True)
             if _in(i.name, "console") and i.name != "console.model"]
    assert not wrong, "widgets/ only render what they are given:\n" + "\n".join(wrong)


# ----------------------------------------------------------------- (c) cycles


def cycles() -> list[frozenset[str]]:
    """The import cycles among project modules (Tarjan's strongly connected components of
    the imports each module runs on import, TYPE_CHECKING ones included)."""
    edges = {name: targets & modules().keys() for name, targets in graph(False).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while (top := stack.pop()) != node:
                component.add(top)
            if component:
                found.append(frozenset({node, *component}))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return found


def _shown(found: list[frozenset[str]]) -> str:
    return "\n".join(" ⇄ ".join(sorted(c)) for c in found)


def test_no_import_cycle() -> None:
    found = cycles()
    assert not found, "import cycles:\n" + _shown(found)


# ----------------------------------------------------------------- (d) sizes


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        named = base.value if isinstance(base, ast.Subscript) else base
        if isinstance(named, ast.Name):
            names.add(named.id)
        elif isinstance(named, ast.Attribute):
            names.add(named.attr)
    return names


def app_classes() -> set[str]:
    """Classes deriving from Textual's App, directly or through project classes (the
    console's App derives from a notifications mixin that derives from App)."""
    classes = [node for m in modules().values() for node in ast.walk(m.tree)
               if isinstance(node, ast.ClassDef)]
    apps = {"App"}
    while grown := {c.name for c in classes if _base_names(c) & apps} - apps:
        apps |= grown
    return apps - {"App"}


def _functions(tree: ast.AST, owner: str = "") -> Iterator[tuple[str, ast.AST]]:
    """Every function with its dotted name (`Class.method`, `outer.inner`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{owner}.{node.name}" if owner else node.name
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, name)
        else:
            yield from _functions(node, owner)


def _length(node: ast.AST) -> int:
    first: int = getattr(node, "lineno", 0)
    last: int = getattr(node, "end_lineno", None) or first
    return last - first + 1


def oversized() -> set[str]:
    """Every file, function and App class over its limit, as `path[:line]: what`."""
    found: set[str] = set()
    apps = app_classes()
    for m in modules().values():
        lines = m.path.read_text().count("\n")
        if lines > MAX_FILE_LINES:
            found.add(f"{m.where}: {lines} lines")
        for name, node in _functions(m.tree):
            if _length(node) > MAX_FUNCTION_LINES:
                line = getattr(node, "lineno", 0)
                found.add(f"{m.where}:{line}: {name} is {_length(node)} lines")
        for node in ast.walk(m.tree):
            if isinstance(node, ast.ClassDef) and node.name in apps and (
                    _length(node) > MAX_APP_LINES):
                found.add(f"{m.where}: class {node.name} is {_length(node)} lines")
    return found


def test_the_size_check_knows_the_app_classes() -> None:
    assert {"GatewayConsole", "PlainNotifications"} <= app_classes()


def test_files_functions_and_the_app_are_within_their_limits() -> None:
    found = oversized()
    assert not found, "over the limits:\n" + "\n".join(sorted(found))


# ----------------------------------------------------------------- (e) private internals


def _private_import(i: Imported) -> bool:
    if not (_in(i.name, "textual") or _in(i.name, "rich")):
        return False
    return (any(part.startswith("_") for part in i.name.split("."))
            or any(n.startswith("_") for n in i.names))


@cache
def _textual_private_names() -> frozenset[str]:
    """Private attributes of Textual's App, Screen and widgets (classes and instances)."""
    from textual.app import App
    from textual.screen import ModalScreen, Screen
    from textual.scroll_view import ScrollView
    from textual.widget import Widget
    from textual.widgets import Footer, Input, Label, Static

    names = {n for c in (App, ModalScreen, ScrollView, Footer, Input, Label, Static)
             for k in c.__mro__ for n in vars(k)}
    for made in (App[None](), Screen[None](), Widget()):
        names |= set(vars(made))
    return frozenset(n for n in names if n[:1] == "_" and n[:2] != "__")


def _private_uses(m: Module) -> Iterator[str]:
    """`x._name` where _name is private to Textual, in a module that imports Textual; on
    anything but a module this file imports (`os._exit` is not Textual's)."""
    imported = imports_of(m, deferred=True)
    if not any(_in(i.name, "textual") for i in imported):
        return
    modules_here = {alias.asname or alias.name.split(".")[0]
                    for node in ast.walk(m.tree) if isinstance(node, ast.Import)
                    for alias in node.names}
    private = _textual_private_names()
    for node in ast.walk(m.tree):
        if (isinstance(node, ast.Attribute) and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in modules_here)):
            yield f"{m.where}:{node.lineno}: .{node.attr}"


def test_private_textual_and_rich_code_is_used_only_in_the_patches() -> None:
    wrong = [f"{m.where}:{i.line}: {i.name} {' '.join(i.names)}".rstrip()
             for name, m in modules().items() if not _in(name, PATCHES)
             for i in imports_of(m, deferred=True) if _private_import(i)]
    wrong += [use for name, m in modules().items() if not _in(name, PATCHES)
              for use in _private_uses(m)]
    assert not wrong, (f"private Textual/Rich code outside {PATCHES}:\n"
                       + "\n".join(sorted(set(wrong))))


def test_the_private_checks_see_the_patches_own_uses() -> None:
    """The checks can fail: inside the fence they find what the patches do."""
    inside = [m for name, m in modules().items() if _in(name, PATCHES)]
    assert any(_private_import(i) for m in inside for i in imports_of(m, deferred=True))
    assert any(".\u005fstyles_cache" in use for m in inside for use in _private_uses(m))


# ----------------------------------------------------------------- (f) citations


def citing() -> set[str]:
    found = set()
    for folder in (*PACKAGES, "tests"):
        for path in (ROOT / folder).rglob("*"):
            code = path.suffix in {".py", ".tcss", ".toml", ".yaml", ".sh"} or path.name == "run"
            if code and path.is_file() and OUTSIDE_DOCUMENT.search(path.read_text("utf-8")):
                found.add(str(path.relative_to(ROOT)))
    return found


def test_no_code_cites_a_document_outside_the_repository() -> None:
    found = citing()
    assert not found, ("they cite the design document, which is not in the repository (the "
                       "README holds the contract):\n" + "\n".join(sorted(found)))
