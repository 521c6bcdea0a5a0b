"""The ranking of Prometheus and Alertmanager Services, on the Services the installs create
(tests/stack/kube_services.py, built from the charts' templates and the operator's code)."""

from __future__ import annotations

import pytest

from console.config.types import ConfigError, ServiceRef
from console.config.values import service_ref
from console.sources.discovery import choose, pick_port, pinned, rank
from tests.stack import kube_services as ks


def chosen(services: list[ks.Obj], kind: str = "prometheus", home: str = "ai-services",
           near: str | None = None) -> str:
    found = choose(kind, rank(services, kind, home, near), "every namespace")
    return str(found.chosen.ref) if found.chosen else found.how


def test_a_release_service_beats_the_operator_kubecost_and_the_agent() -> None:
    services = ks.every_install()
    assert chosen(services) == "monitoring/kube-prometheus-stack-prometheus:http-web"
    assert chosen(services, "alertmanager", near="monitoring") == (
        "monitoring/kube-prometheus-stack-alertmanager:http-web")
    ranked = rank(services, "prometheus", "ai-services")
    by_name = {(c.namespace, c.name): c for c in ranked}
    agent = by_name[("edge", "prometheus-agent-operated")]
    assert not agent.usable and "agent" in agent.why
    kubecost = by_name[("kubecost", "kubecost-prometheus-server")]
    assert "Kubecost" in kubecost.why
    assert kubecost.score < by_name[("team-a", "prometheus-operated")].score


def test_kubecost_alone_is_still_found_when_it_is_all_there_is() -> None:
    # Lens's first provider matches it; here it is the last resort, not the first pick.
    assert chosen([ks.kubecost_prometheus()]) == "kubecost/kubecost-prometheus-server:http"
    assert chosen([ks.kubecost_prometheus(), ks.operator_prometheus("obs")]) == (
        "obs/prometheus-operated:web")


def test_the_port_is_read_from_the_service_never_assumed() -> None:
    kps_operated = ks.operator_prometheus("monitoring", "http-web")
    assert pick_port(kps_operated, "prometheus") == "http-web"
    assert pick_port(ks.prometheus_chart_server(), "prometheus") == "http"
    assert pick_port(ks.operator_alertmanager(), "alertmanager") == "web"  # not the mesh
    assert chosen([ks.prometheus_chart_server(namespace="prometheus")]) == (
        "prometheus/prometheus-server:http")


def test_ties_prefer_the_gateways_namespace_and_nothing_found_says_where() -> None:
    services = [ks.operator_prometheus("zz"), ks.operator_prometheus("ai-services")]
    assert chosen(services) == "ai-services/prometheus-operated:web"
    assert chosen([ks.operator_prometheus_agent()]) == (
        "no prometheus Service found in every namespace")


def test_a_pin_is_checked_against_its_service() -> None:
    svc = ks.operator_prometheus("monitoring", "http-web")
    assert str(pinned("prometheus", ServiceRef("monitoring", "prometheus-operated", "9090"),
                      svc).chosen.ref) == "monitoring/prometheus-operated:http-web"  # type: ignore[union-attr]
    assert pinned("prometheus", ServiceRef("monitoring", "x", "web"), None).how == (
        "pinned Service monitoring/x:web not found")
    assert pinned("prometheus", ServiceRef("monitoring", "prometheus-operated", "nope"),
                  svc).chosen is None


@pytest.mark.parametrize(("text", "expected"), [
    ("monitoring/prometheus-operated:web", ServiceRef("monitoring", "prometheus-operated", "web")),
    ("m/p:9090", ServiceRef("m", "p", "9090")),
    ("m/p", ServiceRef("m", "p", None)),
])
def test_service_refs_parse(text: str, expected: ServiceRef) -> None:
    assert service_ref(text, "--prometheus-service") == expected


@pytest.mark.parametrize("text", ["prometheus-operated:web", "m/", "/p:web", "m/p:",
                                  "m/p:70000", "m/P:web", "m/p:Web_1", "m/p:\x1b[31m"])
def test_bad_service_refs_are_one_line_naming_the_flag(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        service_ref(text, "--prometheus-service")
    message = str(caught.value)
    assert message.startswith("--prometheus-service") and "\n" not in message
    assert "\x1b" not in message


def test_hostile_names_from_the_api_are_no_candidates() -> None:
    """A name or port that would change the proxy path (or reach the terminal) is skipped."""
    evil = [ks.operator_prometheus("monitoring")]
    evil[0]["metadata"]["name"] = "prometheus/../../secrets"
    bad_port = ks.kps_prometheus()
    bad_port["spec"]["ports"][0]["name"] = "web?x=\x1b[2J"
    bad_port["metadata"]["labels"]["release"] = "r\x1b]0;owned\x07" + "x" * 500
    found = rank([*evil, bad_port], "prometheus")
    assert [(c.name, c.port) for c in found] == [("kube-prometheus-stack-prometheus", None)]
    assert not found[0].usable and "\x1b" not in found[0].why and len(found[0].why) < 300
