"""`snapshot` and `doctor` over every target of a fleet, or the one `--target` names.

On the demo (each target its own simulator): JSON is a list of the README's documents,
one per target in order, each naming its target; one target keeps the single document
scripts already parse; an unknown target is one line and exit 2.
"""

from __future__ import annotations

import json

import pytest

from console.cli import main
from tests.unit.test_export import TOP_KEYS

FLEET = ["--demo", "--context", "eu-west-1", "--context", "us-east-1", "--seed", "7"]


def test_snapshot_json_of_a_fleet_is_a_list_of_documents(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", *FLEET, "--format", "json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["target"] for d in docs] == ["eu-west-1", "us-east-1"]
    for doc in docs:
        assert list(doc) == ["target", *TOP_KEYS]
        assert all(s["ok"] for s in doc["sources"].values())
        assert doc["models"]


def test_snapshot_of_one_target_keeps_the_single_document(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", *FLEET, "--format", "json", "--target", "us-east-1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == TOP_KEYS


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_snapshot_text_has_a_section_per_target(fmt: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", *FLEET, "--format", fmt]) == 0
    out = capsys.readouterr().out
    heads = [ln for ln in out.splitlines()
             if ln.startswith(("== target", "# Target"))]
    assert [h.split()[2] for h in heads] == ["eu-west-1", "us-east-1"]


@pytest.mark.parametrize("command", ["snapshot", "doctor"])
def test_an_unknown_target_is_one_line_and_exit_2(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, *FLEET, "--target", "ap-south-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err]
    assert "ap-south-1" in err and "eu-west-1, us-east-1" in err


def test_doctor_reports_every_target(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", *FLEET])
    heads = [ln for ln in capsys.readouterr().out.splitlines()
             if ln.startswith("ai-gateway-console doctor: target")]
    assert [h.split()[3].rstrip(",") for h in heads] == ["eu-west-1", "us-east-1"]
