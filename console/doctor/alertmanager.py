"""The doctor's Alertmanager check: reachable with the configured credentials, or not
configured (alerts then come from Prometheus and silencing is off). No Textual here."""

from __future__ import annotations

from collections.abc import Mapping

from console.config.settings import HttpEndpoint, TargetSettings
from console.doctor.checks import Check
from console.sources.base import SourceError
from console.sources.http_client import PLACEHOLDER, ApiClient, RoutedTransport, ServiceNotFound


async def alertmanager_checks(target: TargetSettings,
                              proxy: RoutedTransport | None = None) -> list[Check]:
    """`proxy`: the service proxy, when Alertmanager is found in the cluster."""
    endpoint = target.alertmanager
    routed = proxy if endpoint is None and target.has_alertmanager else None
    if routed is not None:
        endpoint = HttpEndpoint(PLACEHOLDER["alertmanager"], limits=target.limits)
    if endpoint is None:
        return [Check("alertmanager", "skip",
                      "not configured: alerts come from Prometheus; silencing needs "
                      "--alertmanager-url")]
    api = ApiClient(endpoint, "Alertmanager", routed)
    try:
        status = await api.get_json("/api/v2/status")
    except ServiceNotFound as exc:
        return [Check("alertmanager", "skip", f"{exc}: alerts come from Prometheus; "
                      "silencing needs --alertmanager-service or --alertmanager-url")]
    except SourceError as exc:
        return [Check("alertmanager", "fail", str(exc),
                      "check --alertmanager-url (the Alertmanager API, e.g. "
                      "http://alertmanager:9093) and its credentials")]
    finally:
        await api.aclose()
    version = ""
    if isinstance(status, Mapping) and isinstance(status.get("versionInfo"), Mapping):
        version = str(status["versionInfo"].get("version") or "")
    return [Check("alertmanager", "pass", f"reachable at {api.url}"
                  + (f" (Alertmanager {version})" if version else ""))]
