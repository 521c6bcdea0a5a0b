"""widgets/textual_patches: Textual's private methods replaced only where they still are
what the patches were written for, only on request, and undone on request.

A Textual release that renames or reshapes one of the private names would
otherwise turn a patch into a crash mid-frame or a silent return to the slow
path; these tests turn it into a red test that names the attribute. Whether the
patches draw what Textual would is tests/tui/test_partial_updates.py's job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version
from textual._compositor import ChopsUpdate, Compositor
from textual._styles_cache import StylesCache

from widgets import textual_patches
from widgets.columns import Column
from widgets.keyed_table import KeyedTable
from widgets.textual_patches import contract, partial_renders, partial_writes, version
from widgets.textual_patches.row_styles import RowStylesCache

ROOT = Path(__file__).resolve().parents[2]
SWITCH = textual_patches.ENV_SWITCH


@pytest.fixture
def pristine() -> Iterator[tuple[object, object, object]]:
    """Textual's own methods in place (and returned), as the suite had it afterwards."""
    before = textual_patches.installed()
    textual_patches.uninstall()
    yield Compositor._get_renders, Compositor._render_chops, ChopsUpdate.render_segments
    textual_patches.uninstall()
    if before.any:
        textual_patches.install(environ={})


def _table_cache() -> object:
    return KeyedTable([Column("a", "A", 3)])._styles_cache


# ------------------------------------------------------------- the installed Textual


def test_the_installed_textual_has_every_name_and_signature_the_patches_rely_on() -> None:
    problems = contract.missing()
    assert not problems, "Textual changed under widgets/textual_patches:\n" + "\n".join(problems)


def test_what_the_patches_mirror_is_the_source_they_were_read_against() -> None:
    changed = contract.changed_sources()
    assert not changed, ("re-read widgets/textual_patches against this Textual, then update "
                         "contract.READ_AGAINST:\n" + "\n".join(changed))


def test_the_installed_textual_is_the_pinned_one_and_the_pin_is_the_patches_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "textual"]
    assert [str(p.specifier) for p in pins] == [str(Requirement(version.REQUIREMENT).specifier)]
    assert version.tested_textual(), f"textual {version.textual_version()} is installed"


@pytest.mark.parametrize(("found", "tested"), [
    ("8.2.7", True), ("8.2.8", True), ("8.2.9", True), ("8.2.8.post1", True),
    ("8.2.8.dev0", True), ("8.2.10rc1", True), ("8.2.7rc1", False), ("8.2.6", False),
    ("8.2", False), ("8.0.0", False), ("8.3", False), ("8.3.0", False), ("8.3.0rc1", False),
    ("8.3.0.dev0", False), ("9.0.0", False), ("10.2.8", False), ("not a version", False)])
def test_the_tested_range_reads_versions_as_the_pin_does(found: str, tested: bool) -> None:
    """version.py compares by hand (start-up time); pip's specifier is the reference."""
    assert version.tested_textual(found) is tested
    try:
        parsed = Version(found)
    except InvalidVersion:
        return
    pin = Requirement(version.REQUIREMENT).specifier
    assert pin.contains(parsed, prereleases=True) is tested


# ------------------------------------------------------------- the check can fail


def test_a_missing_name_is_named() -> None:
    gone = contract.Expected("partial_renders", "textual._compositor", "Compositor._gone")
    assert contract.problem(gone) == ("textual._compositor.Compositor._gone is missing; the "
                                      "partial_renders patch replaces or reads it")
    no_class = contract.Expected("partial_writes", "textual._compositor", "Chops.render", "self")
    assert "Chops is missing" in (contract.problem(no_class) or "")
    no_module = contract.Expected("row_styles", "textual._no_such_module", "X.y")
    assert "cannot import" in (contract.problem(no_module) or "")
    on_instances = contract.Expected("row_styles", "textual.widget", "Widget._gone",
                                     instance=lambda: KeyedTable([]))
    assert "Widget._gone is missing" in (contract.problem(on_instances) or "")


def test_a_changed_signature_is_named_with_both_parameter_lists() -> None:
    reshaped = contract.Expected("partial_renders", "textual._compositor",
                                 "Compositor._render_chops", "self, crop")
    assert contract.problem(reshaped) == (
        "textual._compositor.Compositor._render_chops(self, crop, is_rendered_line): the "
        "partial_renders patch was written for (self, crop)")


def test_parameters_are_spelled_by_name_kind_and_plain_default() -> None:
    def f(a: int, b: object = None, *rest: int, c: float = 1.5, d: object = object(),
          **kw: int) -> None: ...

    def g(a: int, *, b: bool = False) -> None: ...

    assert contract.parameters_of(f) == "a, b=None, *rest, c=1.5, d=…, **kw"
    assert contract.parameters_of(g) == "a, *, b=False"


# ------------------------------------------------------------- install and uninstall


def test_install_is_idempotent_and_uninstall_gives_textual_its_methods_back(
        pristine: tuple[object, object, object]) -> None:
    get_renders, render_chops, render_segments = pristine
    assert not textual_patches.installed().any
    assert type(_table_cache()) is StylesCache

    first = textual_patches.install(environ={})
    assert first == textual_patches.Patches(True, True, True)
    assert Compositor._get_renders is partial_renders._get_renders
    assert Compositor._render_chops is partial_renders._render_chops
    assert ChopsUpdate.render_segments is partial_writes.render_segments
    assert type(_table_cache()) is RowStylesCache
    assert textual_patches.cropped_writes()

    assert textual_patches.install(environ={}) == first  # a second install wraps nothing
    late = textual_patches.install(environ={SWITCH: "0"})  # says so; undoes nothing
    assert late == textual_patches.Patches(True, True, True, skipped=(f"{SWITCH}=0",))
    assert partial_renders.textual_methods() == (get_renders, render_chops)
    assert Compositor._get_renders is partial_renders._get_renders

    textual_patches.uninstall()
    assert (Compositor._get_renders, Compositor._render_chops,
            ChopsUpdate.render_segments) == pristine
    assert not textual_patches.installed().any and not textual_patches.cropped_writes()
    assert partial_renders.textual_methods() is None
    assert type(_table_cache()) is StylesCache
    textual_patches.uninstall()  # twice is harmless too
    assert ChopsUpdate.render_segments is render_segments


@pytest.mark.parametrize("value", ["0", "off", "false", " No "])
def test_the_switch_leaves_textual_as_it_is(pristine: tuple[object, object, object],
                                            value: str) -> None:
    patches = textual_patches.install(environ={SWITCH: value})
    assert patches == textual_patches.Patches(skipped=(f"{SWITCH}={value}",))
    assert (Compositor._get_renders, Compositor._render_chops,
            ChopsUpdate.render_segments) == pristine
    assert type(_table_cache()) is StylesCache


@pytest.mark.parametrize("value", ["1", "", "yes"])
def test_any_other_value_of_the_switch_installs(pristine: tuple[object, object, object],
                                                value: str) -> None:
    assert textual_patches.install(environ={SWITCH: value}) == textual_patches.Patches(
        True, True, True)


def test_a_patch_whose_names_changed_stays_out_and_the_others_go_in(
        pristine: tuple[object, object, object], monkeypatch: pytest.MonkeyPatch) -> None:
    def reshaped(self: Compositor, crop: object) -> list[object]:
        return []

    monkeypatch.setattr(Compositor, "_render_chops", reshaped)  # as a new Textual might
    patches = textual_patches.install(environ={})
    assert (patches.partial_renders, patches.partial_writes, patches.row_styles) == (
        False, True, True)
    assert patches.skipped == ("textual._compositor.Compositor._render_chops(self, crop): the "
                               "partial_renders patch was written for "
                               "(self, crop, is_rendered_line)",)
    in_place: object = Compositor._render_chops
    assert in_place is reshaped and Compositor._get_renders is pristine[0]


def test_on_another_textual_nothing_is_installed(pristine: tuple[object, object, object],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(version, "textual_version", lambda: "8.3.0")
    patches = textual_patches.install(environ={})
    assert patches == textual_patches.Patches(
        skipped=("textual 8.3.0 is not textual>=8.2.7,<8.3",))
    assert ChopsUpdate.render_segments is pristine[2]


# ------------------------------------------------------------- who installs them


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def test_importing_the_widgets_and_the_app_patches_nothing() -> None:
    out = _run("import json, console.cli, console.app, widgets.keyed_table\n"
               "from textual._compositor import Compositor, ChopsUpdate\n"
               "from widgets import textual_patches\n"
               "from widgets.columns import Column\n"
               "t = widgets.keyed_table.KeyedTable([Column('a', 'A', 3)])\n"
               "print(json.dumps([textual_patches.installed().any,\n"
               "    Compositor._get_renders.__module__, Compositor._render_chops.__module__,\n"
               "    ChopsUpdate.render_segments.__module__, type(t._styles_cache).__name__]))")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [False, "textual._compositor", "textual._compositor",
                                      "textual._compositor", "StylesCache"]


def test_the_cli_imports_no_textual_for_the_patches() -> None:
    out = _run("import sys, console.cli; print('textual' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("switch", "on"), [(None, True), ("0", False)])
def test_the_console_started_from_the_command_line_has_them_unless_switched_off(
        tmp_path: Path, switch: str | None, on: bool) -> None:
    """The real CLI and App on a headless driver that reports from inside the process."""
    probe = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    env.update({"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
                "TEXTUAL_DRIVER": "tests.stack.patch_probe:PatchProbe",
                "AGC_PATCH_PROBE": str(probe)})
    if switch is not None:
        env[SWITCH] = switch
    out = _run("import sys; from console.cli import main; sys.exit(main(['--demo']))", env)
    assert out.returncode == 0, out.stderr
    assert json.loads(probe.read_text()) == {
        "partial_renders": on, "partial_writes": on, "row_styles": on,
        "compositor_is_ours": on, "writer_is_ours": on}
