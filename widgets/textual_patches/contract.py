"""What the replacements take for granted about Textual's (and Rich's) private code.

A replacement of a private method is only right while the method it replaces
has the same name, the same parameters and the same collaborators. A Textual
that renamed one of them would turn a patch into an AttributeError mid-frame or,
worse, into a method nobody calls (a silent return to the slow path). So each
name a patch replaces or reads is listed here with the parameters the patch
was written for; `install()` installs a patch only when all of its names check
out, and tests/unit/test_textual_patches.py fails naming each one that does not.

Names and parameters can stay while a method's body changes under a mirror of
it, so the test also compares the source of each mirrored method with the one
the patch was read against (`READ_AGAINST`); install() does not, as reading
sources at every start would cost more than the patches save.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Expected:
    """One private name a patch relies on, as the Textual it was written against has it."""

    patch: str
    """The replacement relying on it: partial_renders, partial_writes or row_styles."""
    module: str
    path: str
    """Dotted from the module: `Compositor._render_chops`."""
    parameters: str | None = None
    """The signature's parameters as `parameters_of` spells them, for a callable."""
    instance: Callable[[], object] | None = None
    """For an attribute that only instances have: makes an instance to look on."""


def _widget() -> object:
    from textual.widget import Widget

    return Widget()


def _console() -> object:
    from rich.console import Console

    return Console(file=io.StringIO())


def _chops_update() -> object:
    from textual._compositor import ChopsUpdate

    return ChopsUpdate([], [], [])


_RENDER = ("self, styles, size, base_background, background, render_content_line, filters, "
           "border_title, border_subtitle, content_size=None, padding=None, crop=None, "
           "opacity=1.0, ansi_theme=…, native_ansi=False")
_RENDER_LINE = ("self, styles, y, size, content_size, padding, base_background, background, "
                "render_content_line, border_title, border_subtitle, opacity, ansi_theme, "
                "native_ansi")

EXPECTED: tuple[Expected, ...] = (
    Expected("partial_renders", "textual._compositor", "Compositor._get_renders",
             "self, crop=None"),
    Expected("partial_renders", "textual._compositor", "Compositor._render_chops",
             "self, crop, is_rendered_line"),
    Expected("partial_renders", "textual._compositor", "Compositor.render_partial_update",
             "self"),
    Expected("partial_renders", "textual._compositor", "Compositor.visible_widgets"),
    Expected("partial_renders", "textual._compositor", "Compositor.cuts"),
    Expected("partial_writes", "textual._compositor", "ChopsUpdate.render_segments",
             "self, console"),
    Expected("partial_writes", "textual._compositor", "ChopsUpdate.__init__",
             "self, chops, spans, chop_ends"),
    Expected("partial_writes", "textual._compositor", "ChopsUpdate.chops",
             instance=_chops_update),
    Expected("partial_writes", "textual._compositor", "ChopsUpdate.chop_ends",
             instance=_chops_update),
    Expected("partial_writes", "textual._compositor", "ChopsUpdate.spans",
             instance=_chops_update),
    Expected("partial_writes", "textual.strip", "Strip.render_style",
             "style, text, color_system"),
    Expected("partial_writes", "rich.console", "Console._color_system", instance=_console),
    Expected("row_styles", "textual._styles_cache", "StylesCache.__init__", "self"),
    Expected("row_styles", "textual._styles_cache", "StylesCache.render", _RENDER),
    Expected("row_styles", "textual._styles_cache", "StylesCache.render_line", _RENDER_LINE),
    Expected("row_styles", "textual._ansi_theme", "DEFAULT_TERMINAL_THEME"),
    Expected("row_styles", "textual.widget", "Widget._styles_cache", instance=_widget),
)


def parameters_of(function: Callable[..., object]) -> str:
    """A signature's parameters by name and kind; defaults shown when they are plain values.

    Annotations are left out: Textual writes them as strings, and a reworded
    annotation is not a change the patches care about.
    """
    shown: list[str] = []
    starred = False
    for parameter in inspect.signature(function).parameters.values():
        name = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            name, starred = "*" + name, True
        elif parameter.kind is parameter.VAR_KEYWORD:
            name = "**" + name
        elif parameter.kind is parameter.KEYWORD_ONLY and not starred:
            shown.append("*")
            starred = True
        default = parameter.default
        if default is not parameter.empty:
            plain = default is None or isinstance(default, bool | int | float | str)
            name += "=" + (repr(default) if plain else "…")
        shown.append(name)
    return ", ".join(shown)


def problem(expected: Expected) -> str | None:
    """Why `expected` does not hold in the installed Textual, or None when it does."""
    where = f"{expected.module}.{expected.path}"
    try:
        owner: object = importlib.import_module(expected.module)
    except ImportError as exc:
        return f"{where}: cannot import it ({exc}); the {expected.patch} patch needs it"
    *parents, name = expected.path.split(".")
    for part in parents:
        owner = getattr(owner, part, _MISSING)
        if owner is _MISSING:
            return f"{where}: {part} is missing; the {expected.patch} patch needs it"
    if expected.instance is not None:
        owner = expected.instance()
    found = inspect.getattr_static(owner, name, _MISSING)
    if found is _MISSING:
        return f"{where} is missing; the {expected.patch} patch replaces or reads it"
    if expected.parameters is None:
        return None
    if isinstance(found, staticmethod | classmethod):
        found = getattr(owner, name)
    if not callable(found):
        return f"{where} is no longer callable; the {expected.patch} patch replaces it"
    actual = parameters_of(found)
    if actual != expected.parameters:
        return (f"{where}({actual}): the {expected.patch} patch was written for "
                f"({expected.parameters})")
    return None


_MISSING = object()


def missing(patch: str | None = None) -> list[str]:
    """Every way the installed Textual differs from what `patch` (or any patch) expects."""
    return [p for e in EXPECTED if patch in (None, e.patch) and (p := problem(e)) is not None]


READ_AGAINST: dict[tuple[str, str], str] = {
    ("textual._compositor", "Compositor._get_renders"): "8ac93299aa5d3bef",
    ("textual._compositor", "Compositor._render_chops"): "ca8c3359d7afd017",
    ("textual._compositor", "Compositor.render_partial_update"): "888dccc892d8ecc2",
    ("textual._compositor", "ChopsUpdate.render_segments"): "4c1cdb567e0b8354",
    ("textual._styles_cache", "StylesCache.render"): "0945715ef8aede9b",
    ("textual._styles_cache", "StylesCache.render_line"): "928d7496e850dbf6",
}
"""The first 16 hex digits of the SHA-256 of each mirrored method's source (decorators
included) in Textual 8.2.7 and 8.2.8, which have the same source for all six."""


def source_of(module: str, path: str) -> str | None:
    """A method's source as its module's file has it, whether or not it is patched now."""
    text = inspect.getsource(importlib.import_module(module))
    class_name, method = path.split(".")
    lines = text.splitlines(keepends=True)
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                        item.name == method):
                    first = item.decorator_list[0].lineno if item.decorator_list else item.lineno
                    return "".join(lines[first - 1:item.end_lineno])
    return None


def changed_sources() -> list[str]:
    """Each mirrored method whose source is not the one its patch was read against."""
    changed = []
    for (module, path), digest in READ_AGAINST.items():
        source = source_of(module, path)
        found = None if source is None else hashlib.sha256(source.encode()).hexdigest()[:16]
        if found != digest:
            changed.append(f"{module}.{path}: source {found or 'not found'}, read against "
                           f"{digest}")
    return changed
