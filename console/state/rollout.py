"""The Deployment's motion in words, one wording for the pods border, text, Markdown and
JSON exports, so the screen and a pasted snapshot never disagree about a rollout."""

from __future__ import annotations

from console.model import DeploymentState


def rollout_state(dep: DeploymentState) -> tuple[str, str] | None:
    """(mark, words) of what the Deployment is doing, None when it is settled. The mark is
    the screen's: ✗ stalled, ⟳ moving, ▲ short of available replicas. A scale is never
    called a rollout (DeploymentState.motion)."""
    if dep.stalled:
        return "✗", "rollout stalled (ProgressDeadlineExceeded)"
    motion = dep.motion
    if motion == "pending":
        return "⟳", f"generation {dep.generation} not yet seen by the controller"
    if motion == "rollout":
        return "⟳", f"rolling out: {dep.updated_replicas}/{dep.replicas} updated"
    if motion == "scaling":
        return "⟳", f"scaling {dep.status_replicas}→{dep.replicas}"
    if dep.available_replicas < dep.replicas:
        # A scale up once its pods exist, or pods failing after a finished rollout: the
        # Deployment's status cannot tell the two apart, so neither is claimed.
        return "▲", f"{dep.available_replicas} of {dep.replicas} replicas available"
    return None
