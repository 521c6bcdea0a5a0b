"""One kubeconfig resolver for the source, the doctor and `c`, checked against kubectl itself.

kubectl is the reference: the contexts a `KUBECONFIG` list offers, the current context and
each context's namespace must be what `kubectl config` says for the same files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from console.clock import FixedClock
from console.config.settings import TargetSettings
from console.sources.base import SourceError
from console.sources.kubeconfig import (
    IN_CLUSTER,
    Contexts,
    check_context,
    kubeconfig_path,
    read_contexts,
)
from console.sources.kubernetes import KubernetesSource
from tests.stack.prometheus_stack import running_under_ci


def write_kubeconfig(path: Path, current: str | None,
                     contexts: dict[str, str | None]) -> Path:
    """A kubeconfig with one cluster and user per file and the given contexts (name: ns)."""
    cluster, user = f"cluster-{path.stem}", f"user-{path.stem}"
    data: dict[str, object] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": user, "user": {"token": f"tok-{path.stem}-0123"}}],
        "contexts": [{"name": name, "context": {"cluster": cluster, "user": user,
                                                 **({"namespace": ns} if ns else {})}}
                     for name, ns in contexts.items()],
    }
    if current:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def kubectl(kubeconfig: str, *args: str) -> str:
    """`kubectl config ...` on exactly these files (no other config of this machine)."""
    exe = shutil.which("kubectl")
    if exe is None:
        if running_under_ci():
            pytest.fail("CI needs kubectl, the reference client")
        pytest.skip("kubectl is not installed")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(Path(kubeconfig).parent),
           "KUBECONFIG": kubeconfig}
    proc = subprocess.run([exe, "config", *args], env=env, capture_output=True, text=True,
                          timeout=30, check=True)
    return proc.stdout.strip()


def test_the_order_is_kubectls(tmp_path: Path) -> None:
    home = tmp_path / "home"
    default = home / ".kube" / "config"
    env = {"HOME": str(home)}
    assert kubeconfig_path("/flag", {**env, "KUBECONFIG": "/env"}) == "/flag"
    assert kubeconfig_path(None, {**env, "KUBECONFIG": "/a:/b"}) == "/a:/b"
    assert kubeconfig_path(None, {**env, "KUBECONFIG": ""}) == str(default)  # empty is unset
    assert kubeconfig_path(None, env) == str(default)  # named even before it exists
    pod = {**env, "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    assert kubeconfig_path(None, pod) is None  # the pod's service account
    default.parent.mkdir(parents=True)
    write_kubeconfig(default, "a", {"a": None})
    assert kubeconfig_path(None, pod) == str(default)  # a kubeconfig beats the pod's account


def test_source_doctor_and_contexts_list_agree_in_a_pod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a pod without ~/.kube/config the source uses the service account; the contexts
    list must not offer the contexts of some other file meanwhile."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    source = KubernetesSource(TargetSettings("pod"), FixedClock(0.0))
    assert source.kubeconfig_path() is None
    assert source.check_context() == IN_CLUSTER
    assert read_contexts(kubeconfig_path(None)) == Contexts((), None, {})

    listed = write_kubeconfig(tmp_path / "listed.yaml", "listed", {"listed": "ns-l"})
    monkeypatch.setenv("KUBECONFIG", str(listed))
    source = KubernetesSource(TargetSettings("env"), FixedClock(0.0))
    assert source.kubeconfig_path() == kubeconfig_path(None) == str(listed)
    assert source.check_context() == "listed"
    assert read_contexts(kubeconfig_path(None)).names == ("listed",)


@pytest.mark.parametrize("order", ["a:b", "b:a"])
def test_a_kubeconfig_list_merges_as_kubectl_merges_it(tmp_path: Path, order: str) -> None:
    files = {
        "a": write_kubeconfig(tmp_path / "a.yaml", "alpha",
                              {"alpha": "team-a", "shared": None}),
        "b": write_kubeconfig(tmp_path / "b.yaml", "beta",
                              {"beta": None, "shared": "from-b", "gamma": "team-g"}),
    }
    path = os.pathsep.join(str(files[name]) for name in order.split(":"))
    found = read_contexts(path)
    assert sorted(found.names) == sorted(kubectl(path, "get-contexts", "-o", "name").split())
    assert found.current == kubectl(path, "current-context")
    for name in found.names:
        namespace = kubectl(path, "view", "--minify", "--context", name,
                            "-o", "jsonpath={.contexts[0].context.namespace}")
        assert found.namespaces.get(name, "") == namespace, name
    assert check_context(path, None) == found.current
    assert check_context(path, "gamma") == "gamma"


def test_a_missing_file_in_the_list_is_skipped_as_kubectl_skips_it(tmp_path: Path) -> None:
    b = write_kubeconfig(tmp_path / "b.yaml", "beta", {"beta": None})
    path = f"{tmp_path / 'missing.yaml'}{os.pathsep}{b}"
    assert check_context(path, None) == kubectl(path, "current-context") == "beta"
    assert read_contexts(path).names == ("beta",)


def refusal(path: str, context: str | None) -> str:
    """The one line check_context raises for this kubeconfig and context."""
    with pytest.raises(SourceError) as caught:
        check_context(path, context)
    return str(caught.value)


def test_an_unusable_kubeconfig_is_named_in_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert refusal(missing, None) == f"kubeconfig {missing} not found"
    good = str(write_kubeconfig(tmp_path / "good.yaml", "one", {"one": None}))
    assert refusal(good, "two") == f"context two not found in kubeconfig {good}"
    none = str(write_kubeconfig(tmp_path / "none.yaml", None, {"one": None}))
    assert refusal(none, None) == f"kubeconfig {none} has no current-context (give --context)"
    stray = str(write_kubeconfig(tmp_path / "stray.yaml", "gone", {"one": None}))
    assert refusal(stray, None) == f"current-context gone not found in kubeconfig {stray}"
    broken = tmp_path / "broken.yaml"
    broken.write_text("contexts: [unclosed\n", encoding="utf-8")
    assert refusal(str(broken), None) == f"cannot read kubeconfig {broken}: ParserError"
    listed = tmp_path / "list.yaml"
    listed.write_text("- just\n- a list\n", encoding="utf-8")
    assert refusal(str(listed), None) == f"kubeconfig {listed} is not a kubeconfig file"
    # The contexts list never fails: what cannot be read offers nothing.
    for path in (missing, str(broken), str(listed), None):
        assert read_contexts(path) == Contexts((), None, {})
