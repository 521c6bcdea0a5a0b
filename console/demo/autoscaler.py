"""The HorizontalPodAutoscaler's decision, following the controller's own algorithm.

On-call engineers read the HPA's conditions to learn *why* it does not scale,
so the demo reproduces the controller's steps and words: the replica ratio
with its 10 % tolerance, the scale-down stabilisation window, the rate
policies (`behavior`), clamping to min/max, and the reasons it reports
(ScaleDownStabilized, TooManyReplicas, DesiredWithinRange, ...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from console.demo.events import EventLog
from console.model import Condition, HpaMetric, HpaState

SYNC_PERIOD_S = 15
"""The controller's default --horizontal-pod-autoscaler-sync-period."""
TOLERANCE = 0.1
SCALE_DOWN_WINDOW_S = 300
SCALE_DOWN_PERCENT_PER_MIN = 10
SCALE_UP_PODS_PER_PERIOD = 4
SCALE_UP_PERIOD_S = 15
SCALE_DOWN_PERIOD_S = 60

CPU_REQUEST_M = 250.0
MEMORY_REQUEST_BYTES = 256.0 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PodUsage:
    """What metrics-server reports for one ready pod."""

    cpu_millicores: float
    memory_bytes: float


def _condition(type_: str, status: bool, reason: str, message: str) -> Condition:
    return Condition(type_, "True" if status else "False", reason, message)


class Autoscaler:
    """autoscaling/v2 HPA as the deployment guide specifies it.

    min 3, max 10, CPU 70 %, memory 80 %, scale-down window 300 s, 10 % a minute.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.min_replicas = 3
        self.max_replicas = 10
        self.cpu_target = 70
        self.memory_target = 80
        self.desired = 3
        self.cpu_current: int | None = None
        self.memory_current: int | None = None
        self._recommendations: list[tuple[int, int]] = []
        self._scale_events: list[tuple[int, int]] = []
        self._able = _condition("AbleToScale", True, "ReadyForNewScale",
                                "recommended size matches current size")
        self._active = _condition(
            "ScalingActive", True, "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource "
            "utilization (percentage of request)",
        )
        self._limited = _condition("ScalingLimited", False, "DesiredWithinRange",
                                   "the desired count is within the acceptable range")

    def state(self, current_replicas: int) -> HpaState:
        return HpaState(
            name=self.name,
            min_replicas=self.min_replicas,
            max_replicas=self.max_replicas,
            current_replicas=current_replicas,
            desired_replicas=self.desired,
            metrics=(
                HpaMetric("cpu", _pct(self.cpu_current), float(self.cpu_target)),
                HpaMetric("memory", _pct(self.memory_current), float(self.memory_target)),
            ),
            conditions=(self._able, self._active, self._limited),
        )

    def sync(self, t: int, spec_replicas: int, usage: Sequence[PodUsage], events: EventLog) -> int:
        """One reconcile: returns the replica count to set on the Deployment."""
        if usage:
            cpu = sum(u.cpu_millicores for u in usage) / len(usage)
            mem = sum(u.memory_bytes for u in usage) / len(usage)
            self.cpu_current = round(cpu / CPU_REQUEST_M * 100)
            self.memory_current = round(mem / MEMORY_REQUEST_BYTES * 100)
        else:
            self.cpu_current = self.memory_current = None

        if spec_replicas == 0:
            self.desired = 0
            self._active = _condition(
                "ScalingActive", False, "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
            return spec_replicas

        reason: str
        if spec_replicas > self.max_replicas:
            desired = self.max_replicas
            reason = "Current number of replicas above Spec.MaxReplicas"
        elif spec_replicas < self.min_replicas:
            desired = self.min_replicas
            reason = "Current number of replicas below Spec.MinReplicas"
        elif self.cpu_current is None or self.memory_current is None:
            self._active = _condition(
                "ScalingActive", False, "FailedGetResourceMetric",
                "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                "did not receive metrics for targeted pods (pods might be unready)",
            )
            self.desired = spec_replicas
            return spec_replicas
        else:
            cpu_rec = self._recommend(spec_replicas, len(usage), self.cpu_current,
                                      self.cpu_target)
            mem_rec = self._recommend(spec_replicas, len(usage), self.memory_current,
                                      self.memory_target)
            driver = "memory" if mem_rec > cpu_rec else "cpu"
            recommendation = max(cpu_rec, mem_rec)
            self._active = _condition(
                "ScalingActive", True, "ValidMetricFound",
                f"the HPA was able to successfully calculate a replica count from {driver} "
                "resource utilization (percentage of request)",
            )
            stabilized = self._stabilize(t, spec_replicas, recommendation)
            if stabilized != recommendation:
                self._able = _condition(
                    "AbleToScale", True, "ScaleDownStabilized",
                    "recent recommendations were higher than current one, applying the highest "
                    "recent recommendation",
                )
            else:
                self._able = _condition("AbleToScale", True, "ReadyForNewScale",
                                        "recommended size matches current size")
            desired = self._limit(t, spec_replicas, stabilized)
            reason = (
                f"{driver} resource utilization (percentage of request) above target"
                if desired > spec_replicas
                else "All metrics below target"
            )

        self.desired = desired
        if desired != spec_replicas:
            self._scale_events.append((t, desired - spec_replicas))
            self._able = _condition(
                "AbleToScale", True, "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            events.normal(t, "SuccessfulRescale", f"New size: {desired}; reason: {reason}",
                          "HorizontalPodAutoscaler", self.name)
        return desired

    @staticmethod
    def _recommend(replicas: int, ready: int, current: float, target: float) -> int:
        ratio = current / target
        if abs(1.0 - ratio) <= TOLERANCE:
            return replicas
        return max(1, math.ceil(ratio * ready))

    def _stabilize(self, t: int, replicas: int, recommendation: int) -> int:
        """Scale up at once (window 0); scale down only to the highest of the last 300 s."""
        self._recommendations = [
            (at, rec) for at, rec in self._recommendations if t - at < SCALE_DOWN_WINDOW_S
        ]
        self._recommendations.append((t, recommendation))
        down = max(rec for _, rec in self._recommendations)
        result = max(replicas, recommendation)
        return min(result, down)

    def _changed_within(self, t: int, period_s: int, up: bool) -> int:
        return sum(
            abs(delta) for at, delta in self._scale_events
            if t - at < period_s and (delta > 0) == up
        )

    def _limit(self, t: int, replicas: int, desired: int) -> int:
        """The rate policies, then min/max, with the ScalingLimited reason the controller gives."""
        horizon = max(SCALE_UP_PERIOD_S, SCALE_DOWN_PERIOD_S)
        self._scale_events = [(at, d) for at, d in self._scale_events if t - at < horizon]

        up_start = (replicas - self._changed_within(t, SCALE_UP_PERIOD_S, True)
                    + self._changed_within(t, SCALE_UP_PERIOD_S, False))
        up_limit = max(up_start + SCALE_UP_PODS_PER_PERIOD, up_start * 2, replicas)
        maximum = self.max_replicas
        if maximum > up_limit:
            maximum, up_reason, up_message = (
                up_limit, "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        else:
            up_reason = "TooManyReplicas"
            up_message = "the desired replica count is more than the maximum replica count"
        if desired > maximum:
            self._limited = _condition("ScalingLimited", True, up_reason, up_message)
            return maximum

        down_start = (replicas - self._changed_within(t, SCALE_DOWN_PERIOD_S, True)
                      + self._changed_within(t, SCALE_DOWN_PERIOD_S, False))
        down_limit = min(int(down_start * (1 - SCALE_DOWN_PERCENT_PER_MIN / 100)), replicas)
        minimum = self.min_replicas
        if minimum < down_limit:
            minimum, down_reason, down_message = (
                down_limit, "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate",
            )
        else:
            down_reason = "TooFewReplicas"
            down_message = "the desired replica count is less than the minimum replica count"
        if desired < minimum:
            self._limited = _condition("ScalingLimited", True, down_reason, down_message)
            return minimum
        self._limited = _condition("ScalingLimited", False, "DesiredWithinRange",
                                   "the desired count is within the acceptable range")
        return desired


def _pct(value: int | None) -> float | None:
    return None if value is None else float(value)
