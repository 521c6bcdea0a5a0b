"""Whatever the `kubernetes` client raised, as the one line an on-call engineer reads.

Built from the request's verb, resource and the API's status code, never from the
exception's own text (which can carry a request's headers); the source scrubs every
credential out of it as a last resort. No Textual here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from console.config.limits import TooLarge, TooSlow, format_size
from console.sources.exec_credential import ExecPluginError
from console.sources.kube_client import one_line
from console.sources.kube_watch import CallFailed
from console.sources.tls_errors import tls_failure

KINDS = {
    "deployments": "Deployment",
    "deployments/scale": "Deployment",
    "pods": "Pod",
    "pods/log": "Pod",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "events": "Event",
    "pods.metrics.k8s.io": "PodMetrics",
}


@dataclass(frozen=True, slots=True)
class Where:
    """What a message names: the API's address, the namespace, the context, the timeout."""

    host: str
    namespace: str
    context: str
    read_timeout_s: float


def host_of(configuration: Any) -> str:
    """`https://host:port` of the API server (no path, no credentials)."""
    host = str(getattr(configuration, "host", "") or "")
    parts = urlsplit(host)
    if not parts.hostname:
        return "(unknown host)"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    hostname = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{hostname}:{port}"


def status_message(body: Any) -> str:
    """The `message` of a metav1.Status body, or nothing."""
    try:
        data = json.loads(body) if isinstance(body, (str, bytes)) else None
    except ValueError:
        return ""
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return one_line(data["message"], 160)
    return ""


def classify(exc: BaseException, verb: str, resource: str, name: str | None,
             where: Where) -> CallFailed:
    from kubernetes.client.exceptions import ApiException

    host = where.host
    if isinstance(exc, CallFailed):
        return exc
    if isinstance(exc, ExecPluginError):
        return CallFailed(str(exc), status=401)  # no credential: every request would fail
    if isinstance(exc, TooLarge):
        return CallFailed(f"Kubernetes API at {host}: answer to {verb} {resource} over "
                          f"{format_size(exc.limit)}, stopped reading")
    if isinstance(exc, TooSlow):
        return CallFailed(f"Kubernetes API at {host}: answer to {verb} {resource} not "
                          f"complete within {exc.seconds:g} s", transport=True, timeout=True)
    if isinstance(exc, ApiException) and exc.status:
        return _status(int(exc.status), status_message(exc.body), verb, resource, name, where)
    if isinstance(exc, ApiException):
        # status 0: the client wraps TLS errors this way.
        reason = str(exc.reason or "")
        if "SSL" in reason or "certificate" in reason.lower():
            return CallFailed(tls_failure("Kubernetes API", host, reason), transport=True)
        return CallFailed(f"cannot {verb} {resource}: {one_line(reason, 120)}")
    failure = _transport(exc, verb, resource, where)
    if failure is not None:
        return failure
    if isinstance(exc, ValueError):
        # A 200 whose body is not JSON (a proxy's HTML page, a truncated answer):
        # "JSONDecodeError" alone would not tell the on-call who garbled what.
        return CallFailed(
            f"malformed JSON from the Kubernetes API at {host} ({verb} {resource})"
        )
    return CallFailed(f"{verb} {resource} failed: {type(exc).__name__}")


def _status(status: int, detail: str, verb: str, resource: str, name: str | None,
            where: Where) -> CallFailed:
    ns = where.namespace
    if status == 401:
        return CallFailed(f"credentials expired or invalid for context {where.context}",
                          status=401)
    if status == 403:
        return CallFailed(f"forbidden: cannot {verb} {resource} in namespace {ns}",
                          status=403)
    if status == 404:
        kind = KINDS.get(resource, resource)
        if name:
            text = f"{kind} {name} not found in namespace {ns}"
        else:
            text = f"the Kubernetes API does not serve {resource} (404)"
        return CallFailed(text, status=404)
    if status == 410:
        return CallFailed(f"resource version expired for {verb} {resource} (410 Gone)",
                          status=410)
    if status == 429:
        return CallFailed(
            f"Kubernetes API is throttling requests (429) on {verb} {resource}",
            status=429,
        )
    what = "error" if status >= 500 else "refused"
    text = f"Kubernetes API {what} {status} on {verb} {resource}"
    return CallFailed(f"{text}: {detail}" if detail else text, status=status)


def _transport(exc: BaseException, verb: str, resource: str, where: Where
               ) -> CallFailed | None:
    import urllib3.exceptions as ue

    host = where.host
    cause: BaseException = exc
    if isinstance(exc, ue.MaxRetryError) and exc.reason is not None:
        cause = exc.reason
    if isinstance(cause, ue.NameResolutionError):
        return CallFailed(f"Kubernetes API unreachable at {host} (name not resolved)",
                          transport=True)
    if isinstance(cause, ue.NewConnectionError):
        text = str(cause).lower()
        why = "connection refused" if "refused" in text else "cannot connect"
        if "unreachable" in text:
            why = "network unreachable"
        return CallFailed(f"Kubernetes API unreachable at {host} ({why})", transport=True)
    if isinstance(cause, ue.ConnectTimeoutError):
        return CallFailed(f"Kubernetes API unreachable at {host} (connection timed out)",
                          transport=True, timeout=True)
    if isinstance(cause, (ue.ReadTimeoutError, TimeoutError)):
        return CallFailed(
            f"Kubernetes API at {host} did not answer within "
            f"{where.read_timeout_s:g} s ({verb} {resource})",
            transport=True, timeout=True,
        )
    if isinstance(cause, ue.SSLError):
        return CallFailed(tls_failure("Kubernetes API", host, str(cause)), transport=True)
    if isinstance(cause, (ue.ProtocolError, ConnectionError, OSError, ue.HTTPError)):
        return CallFailed(
            f"connection to the Kubernetes API at {host} dropped ({verb} {resource})",
            transport=True,
        )
    return None

