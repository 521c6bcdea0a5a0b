"""The doctor reaches the sources through their public calls only.

It must see what the console sees, so it reuses the sources; reaching into their private
members would let a refactor of a source silently change what the doctor checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

DOCTOR = Path(__file__).parents[2] / "console" / "doctor"


def private_uses(source: str) -> list[str]:
    """`obj._name` where obj is not `self` or `cls`: a reach into someone else's insides."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


def test_the_checker_sees_a_private_call() -> None:
    assert private_uses("path = source._kubeconfig_path()\nself._ok = 1\n") == [
        "source._kubeconfig_path (line 1)"]


def test_the_doctor_uses_public_calls_only() -> None:
    modules = sorted(DOCTOR.glob("*.py"))
    assert len(modules) >= 5  # the package, not a stray file
    found = {m.name: private_uses(m.read_text(encoding="utf-8")) for m in modules}
    assert {name: uses for name, uses in found.items() if uses} == {}
