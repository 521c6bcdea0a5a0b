"""The targets: --context (repeatable) > [[targets]] of the config > the config's context.

A target without its own Prometheus reads the shared one; when several targets share
it, each selects its series by `cluster_label` = its `cluster` (default: its context,
else its name), so a global store (Thanos, Mimir, VictoriaMetrics) serves the whole
fleet with the queries of one cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from console.config import values
from console.config.endpoint import build_endpoint
from console.config.layers import Found, Layers
from console.config.types import ENV_PREFIX, SCENARIOS, ConfigError, TargetSettings

DEMO_CLUSTERS = ("eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2",
                 "sa-east-1", "ap-northeast-1", "ca-central-1")
"""Names of the demo fleet's clusters (`--demo --demo-clusters N`)."""
DEMO_FLEET_SCENARIOS = ("steady", "latency-spike", "crashloop", "hpa-maxed", "provider-outage")
"""Scenarios of the demo fleet's clusters after the first (which runs --demo's own)."""


def contexts(found: Found | None) -> list[str]:
    """Context names given once (a string), several times (a list) or as `a,b,c`."""
    if found is None:
        return []
    value, what = found
    out: list[str] = []
    for item in [value] if isinstance(value, str) else list(value):
        for name in values.text(item, what).split(","):
            if name.strip() and name.strip() not in out:
                out.append(name.strip())
    return out


def build_targets(layers: Layers, defaults: TargetSettings, demo: str | None,
                  timeout: float) -> tuple[TargetSettings, ...]:
    """Every target; `defaults` holds the top-level settings each target starts from."""
    chosen_contexts = contexts(layers.flag("context") or layers.environ(ENV_PREFIX + "CONTEXT"))
    configured = [_target_table(t, i, defaults, layers, timeout)
                  for i, t in enumerate(layers.cfg.get("targets", []))]
    names = [t.name for t in configured]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"[[targets]]: the name {values.shown(dup)} is used twice")
    demo_clusters = layers.flag("demo_clusters")
    if demo_clusters is not None:
        return _demo_fleet(int(demo_clusters[0]), defaults, demo)
    if chosen_contexts:
        by_context = {t.context or t.name: t for t in configured} | {t.name: t for t in configured}
        chosen = [by_context.get(c) or replace(defaults, name=c, context=c)
                  for c in chosen_contexts]
    elif configured:
        chosen = configured
    else:
        from_file = contexts(layers.config("context"))
        if len(from_file) <= 1:
            context = from_file[0] if from_file else None
            return (replace(defaults, name=context or ("demo" if demo else "default"),
                            context=context),)
        chosen = [replace(defaults, name=c, context=c) for c in from_file]
    if len(chosen) > 1 and demo is None:
        # Several targets on one shared store: each selects its own series by label.
        # Without a shared store, each target finds its own Prometheus in its cluster.
        chosen = [t if t.cluster is not None or t.prometheus is not defaults.prometheus
                  or defaults.prometheus is None
                  else replace(t, cluster=t.context or t.name) for t in chosen]
    return tuple(chosen)


def _demo_fleet(count: int, defaults: TargetSettings, demo: str | None
                ) -> tuple[TargetSettings, ...]:
    if demo is None:
        raise ConfigError("--demo-clusters needs --demo")
    if not 1 <= count <= len(DEMO_CLUSTERS):
        raise ConfigError(f"--demo-clusters: between 1 and {len(DEMO_CLUSTERS)}")
    return tuple(
        replace(defaults, name=name, context=name, read_only=defaults.read_only or i == 1,
                demo=None if i == 0 else DEMO_FLEET_SCENARIOS[(i - 1) % len(DEMO_FLEET_SCENARIOS)])
        for i, name in enumerate(DEMO_CLUSTERS[:count])
    )


def _target_table(table: Mapping[str, Any], index: int, defaults: TargetSettings,
                  layers: Layers, timeout: float) -> TargetSettings:
    """One [[targets]] table; its keys are this target's own, the rest come from the defaults."""
    name = table.get("name") or table.get("context")
    if not name or not isinstance(name, str):
        raise ConfigError(layers.in_file(f"[[targets]] #{index + 1}: give it a name "
                                         "(or a context)"))
    where = f"[[targets]] {values.shown(name)}"
    own = layers.without_flags_and_env()

    def get(key: str) -> Found | None:
        return own.config(key, table, where)

    changes: dict[str, Any] = {"name": values.nonempty(name, layers.in_file(f"{where} name"))}
    for key in ("context", "kubeconfig", "cluster"):
        if (found := get(key)) is not None:
            changes[key] = values.nonempty(*found)
    for key in ("namespace", "deployment", "hpa"):
        if (found := get(key)) is not None:
            changes[key] = values.kube_name(*found, label=key == "namespace")
    for key in ("prometheus_service", "alertmanager_service"):
        if (found := get(key)) is not None:
            changes[key] = values.service_ref(*found)
    if (found := get("cluster_label")) is not None:
        changes["cluster_label"] = values.label_name(*found)
    if (found := get("read_only")) is not None:
        changes["read_only"] = defaults.read_only or values.boolean(*found)
    if (found := get("demo")) is not None:
        changes["demo"] = scenario(*found)
    for api in ("prometheus", "alertmanager"):
        if api in table:
            section = table[api]
            api_where = f"{where} [{api}]"
            if not section.get("url"):
                raise ConfigError(layers.in_file(f"{api_where} needs a url"))
            # The target's own endpoint: flags and environment do not override it.
            changes[api] = build_endpoint(api, own, section, api_where, timeout,
                                          defaults.limits)
    return replace(defaults, **changes)


def scenario(value: Any, what: str) -> str:
    if value not in SCENARIOS:
        raise ConfigError(f"{what}: unknown demo scenario {values.shown(value)} "
                          f"(choose from {', '.join(SCENARIOS)})")
    return str(value)
