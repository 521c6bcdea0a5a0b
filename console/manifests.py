"""`ai-gateway-console manifests rbac|rules`: YAML to `kubectl apply`, made from the settings.

Why generated instead of shipped as files: the namespace, the Deployment's name and the
metric names differ between installations (profiles, `[metrics]` overrides), and a Role
or rule file that names the wrong ones fails silently — the console then shows
"forbidden" or empty panels. Generated from the same settings and the same PromQL
builders the console uses, the manifests always match what this console will ask for.

`rbac`: two least-privilege Roles and their RoleBindings in the gateway's namespace —
`read-only` (everything the panels, logs and events need) and `operator` (adds exactly the
three actions: restart and scale the gateway's Deployment, delete a pod). Writes to the
Deployment are limited to its name with `resourceNames`. The console asks the API
(SelfSubjectAccessReview) before offering an action; Kubernetes allows that review to
every authenticated user through the default ClusterRole `system:basic-user`, so no rule
is needed for it.

`rules`: one `monitoring.coreos.com/v1` PrometheusRule with the deployment guide's three
alerts (its exact expressions for the seed profile), per-model variants of the error and
latency alerts, and the recording rules whose series the console reads for the 5m window
(see `console.sources.recording_rules.recording_rules`).

PyYAML comes with the `kubernetes` client (a runtime dependency); no Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from console.config.profiles import Profile, profile_named
from console.config.settings import Settings, TargetSettings
from console.sources.promql import errors_selector, quote, suffixed
from console.sources.recording_rules import RULES_WINDOW, recording_rules

KINDS = ("rbac", "rules")
VARIANTS = ("read-only", "operator", "both")
APP_LABELS = {"app.kubernetes.io/name": "ai-gateway-console",
              "app.kubernetes.io/managed-by": "ai-gateway-console"}

GATEWAY_CONFIG_MAP = "ai-gateway-config"
"""The gateway's ConfigMap in the deployment guide, the only one the console reads."""

ERROR_RATIO_THRESHOLD = 0.05
LATENCY_THRESHOLD_S = 2.0
RUNBOOK_BASE = "README.md"
"""Where each rule's runbook_url points by default: the README's section on that alert
("The alerts `manifests rules` ships"); `--runbook-base URL` makes it an address your
Alertmanager and Grafana can open."""


# --------------------------------------------------------------------------------------------
# RBAC


@dataclass(frozen=True, slots=True)
class RbacRule:
    """One PolicyRule; `names` narrows it to named objects (resourceNames)."""

    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    names: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"apiGroups": [self.group], "resources": list(self.resources)}
        if self.names:
            rule["resourceNames"] = list(self.names)
        rule["verbs"] = list(self.verbs)
        return rule


def read_only_rules() -> tuple[RbacRule, ...]:
    """What the panels need: watches of pods, events, the Deployment and the HPA (the
    console lists and watches them, never a bare get), logs, and pod CPU/memory.

    The gateway's ConfigMap is read by name only (the drill-down's hints quote its limits).
    No ReplicaSets (only the operator's rollback lists them), no Secrets.
    """
    watch = ("get", "list", "watch")
    return (
        RbacRule("", ("pods", "events"), watch),
        RbacRule("", ("pods/log",), ("get",)),
        RbacRule("", ("configmaps",), ("get",), (GATEWAY_CONFIG_MAP,)),
        RbacRule("apps", ("deployments",), watch),
        RbacRule("autoscaling", ("horizontalpodautoscalers",), watch),
        RbacRule("metrics.k8s.io", ("pods",), ("get", "list")),
    )


def operator_rules(deployment: str, hpa: str = "ai-gateway-hpa") -> tuple[RbacRule, ...]:
    """The read-only rules plus the actions, each write limited to the object it is for:
    restart, scale and roll back patch the gateway's Deployment (its template, its scale);
    the rollback lists the ReplicaSets for its revisions; `H` patches the HPA's bounds; `E`
    updates the gateway's ConfigMap; `ctrl+d` deletes a pod."""
    return (
        *read_only_rules(),
        RbacRule("apps", ("deployments", "deployments/scale"), ("patch",), (deployment,)),
        RbacRule("apps", ("replicasets",), ("list",)),
        RbacRule("autoscaling", ("horizontalpodautoscalers",), ("patch",), (hpa,)),
        RbacRule("", ("configmaps",), ("update",), (GATEWAY_CONFIG_MAP,)),
        RbacRule("", ("pods",), ("delete",)),
    )


def proxy_rules(target: TargetSettings, operator: bool
                ) -> tuple[tuple[RbacRule, ...], dict[str, tuple[RbacRule, ...]]]:
    """What reading Prometheus/Alertmanager through the API server's service proxy needs:
    (cluster-wide rules, rules per namespace). Discovery lists Services in every
    namespace; a pinned Service is read by name in its own namespace. The proxy's verb
    is the HTTP method's: queries are GETs; silences are POST (create) and expiring one
    DELETE (delete), so only the operator variant gets those, and only on Alertmanager."""
    wide: dict[str, set[str]] = {}
    spaced: dict[str, list[RbacRule]] = {}
    looked_for = target.prometheus is None
    for kind, url, pin in (("prometheus", target.prometheus, target.prometheus_service),
                           ("alertmanager", target.alertmanager, target.alertmanager_service)):
        if url is not None or (pin is None and not looked_for):
            continue
        verbs = ("get", "create", "delete") if operator and kind == "alertmanager" else ("get",)
        if pin is None:
            wide.setdefault("services", set()).add("list")
            wide.setdefault("services/proxy", set()).update(verbs)
            continue
        # The proxy's object name is the whole id, NAME:PORT, as the console sends it.
        ids = (f"{pin.name}:{pin.port}",) if pin.port and not pin.port.isdigit() else ()
        spaced.setdefault(pin.namespace, []).extend((
            RbacRule("", ("services",), ("get",), (pin.name,)),
            RbacRule("", ("services/proxy",), verbs, ids)))
    order = ("get", "list", "create", "delete")
    cluster = tuple(RbacRule("", (res,), tuple(v for v in order if v in verbs))
                    for res, verbs in wide.items())
    return cluster, {ns: tuple(rules) for ns, rules in spaced.items()}


def _pair(name: str, namespace: str | None, rules: Sequence[RbacRule],
          group: str) -> list[dict[str, Any]]:
    """A Role and its RoleBinding (a ClusterRole and ClusterRoleBinding without namespace)."""
    kind = "Role" if namespace else "ClusterRole"
    meta: dict[str, Any] = {"name": name, "labels": dict(APP_LABELS)}
    if namespace:
        meta["namespace"] = namespace
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
         "rules": [r.as_dict() for r in rules]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": f"{kind}Binding",
         "metadata": dict(meta, labels=dict(APP_LABELS)),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                       "name": group}]},
    ]


def rbac_documents(settings: Settings, variant: str = "both",
                   readers: str = "ai-gateway-oncall-readers",
                   operators: str = "ai-gateway-oncall-operators") -> list[dict[str, Any]]:
    """Role + RoleBinding per variant, in the target namespace, bound to a group each;
    and, when a Service is read through the API server, the rules that needs."""
    target = settings.target
    wanted = [("read-only", read_only_rules(), readers),
              ("operator", operator_rules(target.deployment, target.hpa), operators)]
    docs: list[dict[str, Any]] = []
    for name, rules, group in wanted:
        if variant not in (name, "both"):
            continue
        role = f"ai-gateway-console-{name}"
        docs += _pair(role, target.namespace, rules, group)
        cluster, spaced = proxy_rules(target, operator=name == "operator")
        if cluster:
            docs += _pair(f"{role}-services", None, cluster, group)
        for namespace, ns_rules in spaced.items():
            docs += _pair(f"{role}-services", namespace, ns_rules, group)
    return docs


def rbac_yaml(settings: Settings, variant: str = "both",
              readers: str = "ai-gateway-oncall-readers",
              operators: str = "ai-gateway-oncall-operators") -> str:
    target = settings.target
    header = [
        f"# RBAC for ai-gateway-console in namespace {target.namespace} "
        f"(Deployment {target.deployment}, HPA {target.hpa}).",
        "# read-only: the panels, logs and events. operator: adds restart, scale and",
        "# rollback of the Deployment (patch, limited to its name; the rollback lists the",
        "# ReplicaSets for the revisions), the HPA's bounds (patch, by name), an update of",
        f"# the ConfigMap {GATEWAY_CONFIG_MAP} (by name: name yours if the gateway mounts",
        "# another) and deleting pods.",
        "# The console asks before each action with a SelfSubjectAccessReview; every",
        "# authenticated user may create one through the default ClusterRole",
        "# system:basic-user, so no rule for it is needed here.",
        "# Bind your own groups (or kind: User / ServiceAccount) in the subjects.",
    ]
    if any(proxy_rules(target, operator=True)):
        header += [
            "# Prometheus/Alertmanager are read through the API server's service proxy:",
            "# `services` list finds them (cluster-wide; pin one with --prometheus-service",
            "# to narrow it to get in its namespace), `services/proxy` get reads them; the",
            "# operator variant adds create/delete on it because silences are written",
            "# through the proxy (POST and DELETE on Alertmanager's API).",
        ]
    return _documents(header, rbac_documents(settings, variant, readers, operators))


# --------------------------------------------------------------------------------------------
# Prometheus rules


def _profile(settings: Settings) -> Profile:
    return profile_named(settings.profile).with_overrides(settings.metrics_overrides)


def _seconds(profile: Profile, seconds: float) -> str:
    """A threshold in seconds, in the unit of the profile's duration histogram."""
    return f"{seconds / profile.duration_unit_s:g}"


def alert_rules(profile: Profile, runbook_base: str = RUNBOOK_BASE) -> list[dict[str, Any]]:
    """The guide's three alerts, then the per-model variants (grouped by provider, model).

    For `seed` these are the guide's thresholds and `for`; HighLatency sums the buckets by
    (le, model) before the quantile (the guide's per-series quantile fires once per pod and
    status code, or not at all when the slow requests are spread over them). Other
    profiles get the same shape over their own metric names. Every rule links its runbook.
    """
    window = RULES_WINDOW
    pct = f"{ERROR_RATIO_THRESHOLD:.0%}"
    latency = _seconds(profile, LATENCY_THRESHOLD_S)
    by = f"by ({profile.provider_label}, {profile.model_label})"
    by_le = f"by ({profile.provider_label}, {profile.model_label}, le)"
    who = f"{{{{ $labels.{profile.provider_label} }}}}/{{{{ $labels.{profile.model_label} }}}}"
    bucket = suffixed(profile.duration, "_bucket")
    errors = errors_selector(profile)
    rules: list[dict[str, Any]] = []
    if errors:
        rules.append(_alert(
            "HighErrorRate",
            f"sum(rate({errors}[{window}])) / sum(rate({profile.requests}[{window}]))"
            f" > {ERROR_RATIO_THRESHOLD:g}",
            "2m", "warning", f"AI gateway error ratio above {pct}",
            f"{{{{ $value | humanizePercentage }}}} of all requests failed over the last {window}.",
        ))
    rules.append(_alert(
        "HighLatency",
        f"histogram_quantile(0.95, sum by (le, {profile.model_label}) "
        f"(rate({bucket}[{window}]))) > {latency}",
        "5m", "warning", f"AI gateway P95 latency above {LATENCY_THRESHOLD_S:g} s",
        f"P95 request latency of {{{{ $labels.{profile.model_label} }}}} is {{{{ $value }}}} "
        f"over the last {window}.",
    ))
    rules.append(_alert(
        "UpstreamDown",
        f"up{{job={quote(profile.up_job)}}} == 0",
        "1m", "critical", "An AI gateway scrape target is down",
        "Prometheus cannot scrape {{ $labels.instance }} of job {{ $labels.job }}.",
    ))
    if errors:
        rules.append(_alert(
            "HighErrorRatePerModel",
            f"sum {by} (rate({errors}[{window}])) / sum {by} (rate({profile.requests}[{window}]))"
            f" > {ERROR_RATIO_THRESHOLD:g}",
            "2m", "warning", f"Error ratio of {who} above {pct}",
            f"{{{{ $value | humanizePercentage }}}} of the requests to {who} failed over the "
            f"last {window}.",
        ))
    rules.append(_alert(
        "HighLatencyPerModel",
        f"histogram_quantile(0.95, sum {by_le} (rate({bucket}[{window}]))) > {latency}",
        "5m", "warning", f"P95 latency of {who} above {LATENCY_THRESHOLD_S:g} s",
        f"P95 request latency of {who} is {{{{ $value }}}} over the last {window}.",
    ))
    for rule in rules:  # the README heading of each alert is its name: anchor = lower case
        rule["annotations"]["runbook_url"] = f"{runbook_base}#{rule['alert'].lower()}"
    return rules


def _alert(name: str, expr: str, for_: str, severity: str, summary: str,
           description: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def rule_groups(profile: Profile, runbook_base: str = RUNBOOK_BASE) -> list[dict[str, Any]]:
    """The `groups` of a Prometheus rule file (also a PrometheusRule's `spec.groups`)."""
    return [
        {"name": "ai-gateway.rules", "rules": alert_rules(profile, runbook_base)},
        {
            "name": "ai-gateway-console.recording",
            "rules": [{"record": r.record, "expr": r.expr} for r in recording_rules(profile)],
        },
    ]


def prometheus_rule(settings: Settings, labels: Mapping[str, str] | None = None,
                    name: str = "ai-gateway-console", runbook_base: str = RUNBOOK_BASE,
                    ) -> dict[str, Any]:
    """The PrometheusRule object, in the gateway's namespace."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": name,
            "namespace": settings.target.namespace,
            "labels": {**APP_LABELS, **(labels or {})},
        },
        "spec": {"groups": rule_groups(_profile(settings), runbook_base)},
    }


def rules_yaml(settings: Settings, labels: Mapping[str, str] | None = None,
               runbook_base: str = RUNBOOK_BASE) -> str:
    header = [
        f"# Alerts and recording rules for the AI gateway (profile {settings.profile}).",
        "# The console reads the recorded series for the 5m window when they exist",
        "# (`ai-gateway-console doctor` says whether it does).",
        "# Your Prometheus' ruleSelector may require a label: add it with --label KEY=VALUE",
        "# (e.g. release=kube-prometheus-stack).",
        "# Each alert's runbook_url is its section of the console's README; --runbook-base URL",
        "# points it at your copy.",
    ]
    return _documents(header, [prometheus_rule(settings, labels, runbook_base=runbook_base)])


# --------------------------------------------------------------------------------------------
# Output


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain strings (`verbs: [get, list, watch]`), which read
    better on one line in a Role."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and all(isinstance(item, str) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(doc: Mapping[str, Any]) -> str:
    return yaml.dump(dict(doc), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=200, allow_unicode=True)


def _documents(header: Sequence[str], docs: Sequence[Mapping[str, Any]]) -> str:
    body = "".join("---\n" + to_yaml(doc) for doc in docs)
    return "\n".join(header) + "\n" + body


def parse_labels(items: Sequence[str] | None) -> dict[str, str]:
    """`KEY=VALUE` items of --label; ValueError names the bad one."""
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--label {item!r} is not KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def render(kind: str, settings: Settings, *, variant: str = "both",
           readers: str = "ai-gateway-oncall-readers",
           operators: str = "ai-gateway-oncall-operators",
           labels: Mapping[str, str] | None = None, runbook_base: str = RUNBOOK_BASE) -> str:
    """The YAML text of `manifests KIND`."""
    if kind == "rbac":
        return rbac_yaml(settings, variant, readers, operators)
    if kind == "rules":
        return rules_yaml(settings, labels, runbook_base)
    raise ValueError(f"unknown manifest {kind!r} (choose from {', '.join(KINDS)})")
