"""Simulated instants written the way the Kubernetes and Alertmanager APIs write them."""

from __future__ import annotations

from datetime import UTC, datetime

from console.text.durations import utc_stamp

rfc3339 = utc_stamp
"""Seconds since the epoch as RFC 3339 UTC with a `Z`, second precision."""


def rfc3339_ms(t: float) -> str:
    """Millisecond precision, as the gateway's own log lines carry."""
    stamp = datetime.fromtimestamp(t, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
