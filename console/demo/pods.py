"""One simulated pod of the gateway: its lifecycle state, and its picture as the API shows it.

The numbers are the deployment guide's (container port 8080, requests 250m/256Mi, limits
500m/512Mi) and the kubelet's (back-off from 10 s doubling to 5 min, graceful
termination); `pod_state` reports a pod with the phase, reason and container state a
real kubelet would (`ContainerCreating`, `CrashLoopBackOff`, `Terminating`), so the
console reads the demo as it reads a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.demo.sidecar import Agent, sidecar_state
from console.model import ContainerState, PodState

CONTAINER = "gateway"
IMAGE = "apijson/gateway:latest"
PORT = 8080

CPU_LIMIT_M = 500.0
MIB = 1024.0 * 1024.0
CPU_REQUEST_M = 250.0
MEMORY_REQUEST_BYTES = 256 * MIB
MEMORY_LIMIT_BYTES = 512 * MIB
"""The guide's container resources: requests 250m/256Mi, limits 500m/512Mi."""
EXIT_CODE_ERROR = 1
CONTAINER_START_S = 2
"""Scheduled to running: the image is already on the node."""
READY_AFTER_S = 5
"""readinessProbe initialDelaySeconds: the first probe after it passes."""
CRASH_AFTER_S = 1
"""A broken revision exits as soon as it has read its configuration."""
GRACE_S = 4
"""Time a pod takes to drain in-flight requests after SIGTERM."""
BACKOFF_START_S = 10
BACKOFF_MAX_S = 300


@dataclass(slots=True)
class ReplicaSet:
    name: str
    revision: int
    broken: bool
    spec_replicas: int = 0
    created_at: float = 0.0


@dataclass(slots=True)
class Pod:
    """Mutable simulation state of one pod; `PodState` is its public, frozen picture."""

    name: str
    uid: str
    rs: ReplicaSet
    node: str
    created_at: float
    ip: str | None = None
    started_at: int | None = None
    ready_at: int | None = None
    crash_at: int | None = None
    next_start_at: int | None = None
    backoff_s: int = BACKOFF_START_S
    restarts: int = 0
    last_termination: str | None = None
    last_crash_at: int | None = None
    deleting_at: int | None = None
    cpu_m: float | None = None
    memory_bytes: float | None = None
    usage_bias: float = 1.0
    memory_offset: float = 0.0

    @property
    def live(self) -> bool:
        return self.deleting_at is None

    def ready(self, t: float) -> bool:
        return (
            self.deleting_at is None
            and self.started_at is not None
            and self.ready_at is not None
            and self.ready_at <= t
        )

    @property
    def waiting_to_start(self) -> bool:
        """Never started yet: the container is still being created."""
        return self.started_at is None and self.restarts == 0 and self.last_termination is None


def pod_state(pod: Pod, now: float, termination_message: tuple[str, ...] = ()) -> PodState:
    """The pod as the API shows it: phase, the reason a human reads, its two containers
    (the gateway and its telemetry sidecar, console/demo/sidecar.py).

    `termination_message` is what the kubelet keeps of the last exit (the guide's
    pods use terminationMessagePolicy FallbackToLogsOnError: the log's tail)."""
    if pod.deleting_at is not None:
        phase = "Running" if pod.started_at is not None else "Pending"
        reason: str | None = "Terminating"
    elif pod.waiting_to_start:
        phase, reason = "Pending", "ContainerCreating"
    elif pod.started_at is None:
        phase, reason = "Running", "CrashLoopBackOff"
    else:
        phase, reason = "Running", None
    return PodState(
        name=pod.name,
        phase=phase,
        ready=pod.ready(now),
        restarts=pod.restarts,
        age_s=max(0.0, now - pod.created_at),
        node=pod.node,
        reason=reason,
        uid=pod.uid,
        cpu_millicores=None if pod.cpu_m is None else round(pod.cpu_m, 1),
        memory_bytes=None if pod.memory_bytes is None else float(round(pod.memory_bytes)),
        last_termination_reason=pod.last_termination,
        containers=(container_state(pod, reason, pod.ready(now), termination_message),
                    sidecar_state(agent(pod), now)),
        owner=pod.rs.name,
    )


def agent(pod: Pod) -> Agent:
    """The pod's telemetry sidecar: started with the pod's first start, never restarted
    by the gateway's crashes (the kubelet restarts each container on its own)."""
    started = None if pod.waiting_to_start else pod.created_at + CONTAINER_START_S
    return Agent(started, pod.deleting_at, pod.rs.broken, PORT)


def container_state(pod: Pod, pod_reason: str | None, ready: bool,
                    termination_message: tuple[str, ...] = ()) -> ContainerState:
    """The gateway container as the kubelet reports it, with the guide's resources."""
    if pod.started_at is not None:
        state, reason = "running", None
    else:
        state = "waiting"
        reason = pod_reason if pod_reason != "Terminating" else None
    return ContainerState(
        name=CONTAINER,
        image=IMAGE,
        state=state,
        reason=reason,
        ready=ready,
        restarts=pod.restarts,
        last_termination_reason=pod.last_termination,
        last_exit_code=EXIT_CODE_ERROR if pod.last_termination else None,
        last_termination_message=termination_message if pod.last_termination else (),
        cpu_request_m=CPU_REQUEST_M,
        cpu_limit_m=CPU_LIMIT_M,
        memory_request_bytes=MEMORY_REQUEST_BYTES,
        memory_limit_bytes=MEMORY_LIMIT_BYTES,
    )

