"""Pod CPU and memory from metrics.k8s.io, polled: the one cluster read a watch cannot keep.

metrics-server refreshes every 15 s, so asking more often only costs requests; an API
that does not serve it (no metrics-server) or forbids it is asked again after minutes,
not at every refresh. Usage that cannot be read is unknown, never 0. Blocking: runs in
the source's fetch thread. No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from console.sources.base import SourceError
from console.sources.kube_mapping import pod_usage
from console.sources.kube_session import KubeSession
from console.sources.kube_watch import CallFailed

RESOURCE = "pods.metrics.k8s.io"
ABSENT_RETRY_S = 300.0
"""Not served or forbidden: that changes when someone installs or grants it, rarely."""

Usage = tuple[float | None, float | None]
"""(CPU millicores, memory bytes) of one pod; None where unknown."""


class PodMetrics:
    """The last usage per pod name, and why it is missing when it is."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._usage: dict[str, Usage] = {}
        self._next_at = 0.0
        self._note: str | None = None

    def get(self, pod: str) -> Usage | None:
        return self._usage.get(pod)

    def poll(self, session: KubeSession, selector: str) -> str | None:
        """Read the usage at most once per interval; a note when it is missing.

        A connection failure means the API itself is unreachable and fails the
        fetch (SourceError); a slow aggregated API only makes usage unknown.
        """
        now = time.monotonic()
        if now < self._next_at:
            return self._note
        self._next_at = now + self.interval_s
        try:
            resp = session.call(
                "list", RESOURCE, session.apis["custom"].list_namespaced_custom_object,
                group="metrics.k8s.io", version="v1beta1", namespace=session.target.namespace,
                plural="pods", label_selector=selector,
            )
            data = session.read_json(resp, "list", RESOURCE)
        except CallFailed as failure:
            return self._failed(failure, now)
        except ValueError:
            self._usage, self._note = {}, "unexpected answer from metrics.k8s.io"
            return self._note
        items = data.get("items") if isinstance(data, Mapping) else None
        self._usage = {
            str(item.get("metadata", {}).get("name")): pod_usage(item)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        }
        self._note = None
        return None

    def _failed(self, failure: CallFailed, now: float) -> str:
        if failure.fatal and not failure.timeout:
            raise SourceError(failure.message) from None
        self._usage = {}
        if failure.status == 404:
            self._next_at = now + ABSENT_RETRY_S
            self._note = "metrics.k8s.io is not served (no metrics-server): pod CPU/memory unknown"
        elif failure.status == 403:
            self._next_at = now + ABSENT_RETRY_S
            self._note = failure.message
        else:
            self._next_at = now + max(60.0, self.interval_s)
            self._note = f"pod CPU/memory unknown: {failure.message}"
        return self._note
