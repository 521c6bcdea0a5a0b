"""The doctor's account of the Services it looked at: every candidate with its score and
why, and the one chosen, for Prometheus and Alertmanager found through the API server.

Lens picks the first Prometheus it finds and says nothing; an engineer whose figures look
wrong must be able to see that Kubecost's Prometheus, or an agent, was a candidate and
why it lost, and pin another with `--prometheus-service`. No Textual here.
"""

from __future__ import annotations

from console.doctor.checks import Check, Status
from console.sources.base import SourceError
from console.sources.discovery import Candidate, Discovery
from console.sources.service_proxy import ServiceProxy

MAX_LISTED = 12
"""Candidates listed per kind; a cluster with more says how many were left out."""


def _line(kind: str, candidate: Candidate, chosen: Candidate | None) -> Check:
    mark = " ← chosen" if candidate == chosen else ""
    port = candidate.port or "no port"
    detail = (f"{candidate.namespace}/{candidate.name}:{port} score {candidate.score}: "
              f"{candidate.why}{mark}")
    return Check(f"{kind} candidate", "pass" if candidate.usable else "skip", detail)


def discovery_lines(found: Discovery, pin_flag: str) -> list[Check]:
    kind = found.kind
    if found.chosen is None:
        status: Status = "fail" if kind == "prometheus" else "warn"
        head = Check(f"{kind} service", status, found.how,
                     f"give {pin_flag} NS/NAME:PORT, or --{kind}-url")
    else:
        head = Check(f"{kind} service", "pass",
                     f"{found.chosen.ref} ({found.how}) through the API server's service proxy")
    lines = [head]
    if found.how != "pinned":
        lines += [_line(kind, c, found.chosen) for c in found.candidates[:MAX_LISTED]]
        if len(found.candidates) > MAX_LISTED:
            lines.append(Check(f"{kind} candidate", "skip",
                               f"{len(found.candidates) - MAX_LISTED} more not listed"))
    return lines


async def discovery_checks(proxy: ServiceProxy, kinds: tuple[str, ...]) -> list[Check]:
    """One line per kind (what was chosen, or why none), then its candidates."""
    try:
        found = await proxy.discoveries()
    except SourceError as exc:
        return [Check("service discovery", "fail", str(exc),
                      "check the kubeconfig, or give --prometheus-url")]
    out: list[Check] = []
    for kind in kinds:
        if kind in found:
            out += discovery_lines(found[kind], f"--{kind}-service")
    return out
