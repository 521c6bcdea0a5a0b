"""The gateway's Deployment, ReplicaSets, pods and HPA, advanced second by second.

The controllers follow Kubernetes' own rules closely enough that what the
console shows during a restart, a scale or a crash loop reads like a real
cluster: a rolling update with maxSurge 25 % / maxUnavailable 25 % (one new pod
at a time for 3 replicas), ReplicaSet-style pod names, kubelet back-off that
doubles from 10 s to 5 min, graceful termination, and a Progressing condition
that times out after `progressDeadlineSeconds`. One pod and its picture are demo/pods.py.
"""

from __future__ import annotations

import math
import random
import uuid

from console.demo.autoscaler import Autoscaler, PodUsage
from console.demo.events import EventLog
from console.demo.logs import termination_message
from console.demo.pods import (
    BACKOFF_MAX_S,
    CONTAINER,
    CONTAINER_START_S,
    CPU_LIMIT_M,
    CRASH_AFTER_S,
    GRACE_S,
    IMAGE,
    MIB,
    PORT,
    READY_AFTER_S,
    Pod,
    ReplicaSet,
    pod_state,
)
from console.demo.timefmt import rfc3339
from console.model import ClusterReading, Condition, DeploymentState, HpaState, ScrapeTarget

NODES = ("node-1", "node-2", "node-3")
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes)."""
PROGRESS_DEADLINE_S = 600
MAX_REPLICAS_ACCEPTED = 100


class Cluster:
    """One namespace holding the gateway Deployment and its HPA."""

    def __init__(
        self, rng: random.Random, namespace: str, deployment: str, hpa_name: str
    ) -> None:
        self._rng = rng
        self.namespace = namespace
        self.deployment = deployment
        self.events = EventLog()
        self.autoscaler = Autoscaler(hpa_name)
        self.replicas = 3
        self.generation = 1
        self.observed_generation = 1
        self.uid = self._uid()
        self.restarted_at: str | None = None
        self._rolled_out = True
        """The last template change completed: a scale keeps Progressing as it was, as the
        deployment controller does (only a new ReplicaSet is a rollout)."""
        self.replica_sets: list[ReplicaSet] = []
        self.current: ReplicaSet | None = None
        self._template_broken = False
        self.pods: list[Pod] = []
        self._next_ip = 0
        self._progress_at = 0
        self._new_available = 0

    # -------------------------------------------------------------- naming
    def _uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _suffix(self, length: int) -> str:
        return "".join(self._rng.choice(NAME_ALPHABET) for _ in range(length))

    def _new_replica_set(self, broken: bool, t: float = 0.0) -> ReplicaSet:
        rs = ReplicaSet(f"{self.deployment}-{self._suffix(self._rng.choice((9, 10)))}",
                        self._max_revision() + 1, broken, created_at=t)
        self.replica_sets.append(rs)
        return rs

    def _ip(self) -> str:
        # One flat pod range, as in the README's snapshot example (10.244.0.17); wraps long
        # before it could collide.
        self._next_ip = self._next_ip % 240 + 1
        return f"10.244.0.{self._next_ip + 10}"

    # ----------------------------------------------------------- bootstrap
    def bootstrap(self, t: int) -> None:
        """The state before the simulated past begins: revision 4 rolled out hours ago."""
        self._next_ip = self._rng.randrange(0, 60)
        for _ in range(3):
            self._new_replica_set(broken=False)
        rs = self._new_replica_set(broken=False)
        rs.spec_replicas = self.replicas
        self.current = rs
        self.generation = self.observed_generation = 7
        age = self._rng.uniform(3 * 3600, 30 * 3600)
        for i, old in enumerate(self.replica_sets):  # a revision a day before the last one
            old.created_at = t - age - 30 - (len(self.replica_sets) - 1 - i) * 86400
        for i in range(self.replicas):
            pod = self._create_pod(t - age - i * 9, rs, quiet=True)
            start = int(pod.created_at) + CONTAINER_START_S
            pod.started_at = start
            pod.ip = self._ip()
            pod.ready_at = start + READY_AFTER_S
        self._progress_at = t
        self._new_available = self.replicas

    def _create_pod(self, t: float, rs: ReplicaSet, quiet: bool = False) -> Pod:
        load = {n: 0 for n in NODES}
        for p in self.pods:
            if p.live:
                load[p.node] += 1
        node = min(NODES, key=lambda n: (load[n], n))
        pod = Pod(
            name=f"{rs.name}-{self._suffix(5)}",
            uid=self._uid(),
            rs=rs,
            node=node,
            created_at=t,
            usage_bias=math.exp(self._rng.gauss(0.0, 0.06)),
            memory_offset=self._rng.uniform(0.0, 10.0) * MIB,
        )
        self.pods.append(pod)
        if not quiet:
            at = int(t)
            self.events.normal(at, "SuccessfulCreate", f"Created pod: {pod.name}", "ReplicaSet",
                               rs.name)
            self.events.normal(at, "Scheduled",
                               f"Successfully assigned {self.namespace}/{pod.name} to {node}",
                               "Pod", pod.name)
        return pod

    # -------------------------------------------------------------- actions
    def restart(self, t: int) -> str:
        """What `kubectl rollout restart` does: a new template annotation, hence a new revision."""
        self.restarted_at = rfc3339(t)
        self._change_template(t, self._template_broken)
        return self.restarted_at

    def break_template(self, t: int) -> None:
        """A config change that removes the API key the gateway needs: a revision that crashes."""
        self._template_broken = True
        self._change_template(t, True)

    def _change_template(self, t: int, broken: bool) -> None:
        self.generation += 1
        self.current = self._new_replica_set(broken, t)
        self._rolled_out = False
        self._progress_at = t
        self._new_available = 0

    def rollback(self, t: int, revision: int) -> str:
        """As the deployment controller does on `rollout undo`: the old ReplicaSet becomes the
        new one again, renumbered to the next revision, and the rolling update follows."""
        rs = next((r for r in self.replica_sets if r.revision == revision), None)
        if rs is None:
            raise LookupError(f"unable to find the specified revision {revision}")
        if rs is self.current:
            return f"skipped rollback: the template already matches revision {revision}"
        rs.revision = self._max_revision() + 1
        self._template_broken = rs.broken
        self.generation += 1
        self.current = rs
        self._progress_at = t
        self._new_available = 0
        return f"rolled back deployment/{self.deployment} to revision {revision}"

    def scale(self, t: int, replicas: int) -> None:
        if replicas != self.replicas:
            self.replicas = replicas
            self.generation += 1
            self._progress_at = t

    def find_pod(self, name: str) -> Pod | None:
        for pod in self.pods:
            if pod.name == name:
                return pod
        return None

    def delete_pod(self, t: int, pod: Pod) -> None:
        if pod.live:
            pod.deleting_at = t
            if pod.started_at is not None:
                self.events.normal(t, "Killing", f"Stopping container {CONTAINER}", "Pod",
                                   pod.name)

    # ------------------------------------------------------------- the tick
    def tick(self, t: int, origin: int) -> None:
        """One second of the deployment controller, the ReplicaSet controller and the kubelets."""
        self._deployment_controller(t)
        for rs in self.replica_sets:
            self._replica_set_controller(t, rs)
        for pod in list(self.pods):
            self._kubelet(t, pod)
        if (t - origin) % 60 == 0:
            self.events.prune(t)
            self.replica_sets = [
                rs for rs in self.replica_sets
                if rs is self.current or rs.spec_replicas > 0
                or any(p.rs is rs for p in self.pods) or rs.revision > self._max_revision() - 10
            ]

    def _max_revision(self) -> int:
        return max((rs.revision for rs in self.replica_sets), default=0)

    def autoscale(self, t: int) -> None:
        usage = [
            PodUsage(p.cpu_m, p.memory_bytes)
            for p in self.pods
            if p.ready(t) and p.cpu_m is not None and p.memory_bytes is not None
        ]
        desired = self.autoscaler.sync(t, self.replicas, usage, self.events)
        if desired != self.replicas:
            self.scale(t, desired)

    def _available(self, rs: ReplicaSet, t: int) -> int:
        return sum(1 for p in self.pods if p.rs is rs and p.ready(t))

    def _set_rs_replicas(self, t: int, rs: ReplicaSet, replicas: int) -> None:
        if replicas == rs.spec_replicas:
            return
        verb = "up" if replicas > rs.spec_replicas else "down"
        self.events.normal(
            t, "ScalingReplicaSet",
            f"Scaled {verb} replica set {rs.name} from {rs.spec_replicas} to {replicas}",
            "Deployment", self.deployment,
        )
        rs.spec_replicas = replicas
        self._progress_at = t

    def _deployment_controller(self, t: int) -> None:
        new = self.current
        assert new is not None, "bootstrap() creates the first revision"
        self.observed_generation = self.generation
        olds = [rs for rs in self.replica_sets if rs is not new and rs.spec_replicas > 0]
        replicas = self.replicas
        if not olds:
            self._set_rs_replicas(t, new, replicas)
        else:
            self._rolling_update(t, new, olds, replicas)
        available = self._available(new, t)
        if available > self._new_available:
            self._progress_at = t
        self._new_available = available

    def _rolling_update(
        self, t: int, new: ReplicaSet, olds: list[ReplicaSet], replicas: int
    ) -> None:
        """The deployment controller's reconcileNewReplicaSet + reconcileOldReplicaSets."""
        surge = math.ceil(replicas * 0.25)
        unavailable = math.floor(replicas * 0.25)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        everything = [*olds, new]
        total = sum(rs.spec_replicas for rs in everything)
        if new.spec_replicas < replicas:
            room = replicas + surge - total
            if room > 0:
                self._set_rs_replicas(
                    t, new, new.spec_replicas + min(room, replicas - new.spec_replicas)
                )
        elif new.spec_replicas > replicas:
            self._set_rs_replicas(t, new, replicas)

        total = sum(rs.spec_replicas for rs in everything)
        min_available = replicas - unavailable
        new_unavailable = new.spec_replicas - self._available(new, t)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        # Unhealthy old pods go first: they serve nothing and would block the rollout.
        for rs in olds:
            if budget <= 0:
                break
            unhealthy = rs.spec_replicas - self._available(rs, t)
            if unhealthy > 0:
                cut = min(budget, unhealthy)
                self._set_rs_replicas(t, rs, rs.spec_replicas - cut)
                budget -= cut
        available = sum(self._available(rs, t) for rs in everything)
        excess = available - min_available
        for rs in olds:
            if excess <= 0:
                break
            cut = min(rs.spec_replicas, excess)
            if cut > 0:
                self._set_rs_replicas(t, rs, rs.spec_replicas - cut)
                excess -= cut

    def _replica_set_controller(self, t: int, rs: ReplicaSet) -> None:
        live = [p for p in self.pods if p.rs is rs and p.live]
        missing = rs.spec_replicas - len(live)
        for _ in range(missing):
            self._create_pod(t, rs)
        if missing < 0:
            # The controller's ranking: unscheduled, not ready, crashing and young pods go first.
            live.sort(key=lambda p: (p.ready(t), p.started_at is not None, -p.restarts,
                                     -p.created_at))
            for pod in live[:-missing]:
                self.events.normal(t, "SuccessfulDelete", f"Deleted pod: {pod.name}",
                                   "ReplicaSet", rs.name)
                self.delete_pod(t, pod)

    def _kubelet(self, t: int, pod: Pod) -> None:
        if pod.deleting_at is not None:
            grace = GRACE_S if pod.started_at is not None else 1
            if t >= pod.deleting_at + grace:
                self.pods.remove(pod)
            return
        if pod.started_at is None:
            if pod.waiting_to_start:
                if t >= pod.created_at + CONTAINER_START_S:
                    self._start(t, pod)
            elif pod.next_start_at is not None and t >= pod.next_start_at:
                pod.restarts += 1
                self._start(t, pod)
            return
        if pod.crash_at is not None and t >= pod.crash_at:
            pod.started_at = None
            pod.ready_at = None
            pod.crash_at = None
            pod.last_termination = "Error"
            pod.last_crash_at = t
            pod.next_start_at = t + pod.backoff_s
            pod.backoff_s = min(pod.backoff_s * 2, BACKOFF_MAX_S)
            pod.cpu_m = pod.memory_bytes = None
            self.events.warning(
                t, "BackOff",
                f"Back-off restarting failed container {CONTAINER} in pod "
                f"{pod.name}_{self.namespace}({pod.uid})",
                "Pod", pod.name,
            )

    def _start(self, t: int, pod: Pod) -> None:
        if pod.ip is None:
            pod.ip = self._ip()
        pod.started_at = t
        self.events.normal(t, "Pulled",
                           f'Container image "{IMAGE}" already present on machine', "Pod",
                           pod.name)
        self.events.normal(t, "Created", f"Created container {CONTAINER}", "Pod", pod.name)
        self.events.normal(t, "Started", f"Started container {CONTAINER}", "Pod", pod.name)
        if pod.rs.broken:
            pod.crash_at = t + CRASH_AFTER_S
            pod.ready_at = None
            self.events.warning(
                t, "Unhealthy",
                f'Readiness probe failed: Get "http://{pod.ip}:{PORT}/ready": dial tcp '
                f"{pod.ip}:{PORT}: connect: connection refused",
                "Pod", pod.name,
            )
        else:
            pod.ready_at = t + READY_AFTER_S

    # ---------------------------------------------------------------- usage
    def update_usage(self, t: int, total_rate: float) -> None:
        """CPU and memory follow the traffic each ready pod serves, as metrics-server sees them."""
        ready = [p for p in self.pods if p.ready(t)]
        per_pod = total_rate / len(ready) if ready else 0.0
        for pod in self.pods:
            if pod.ready(t):
                noise = math.exp(self._rng.gauss(0.0, 0.04))
                pod.cpu_m = min(CPU_LIMIT_M, (30.0 + 2.6 * per_pod) * pod.usage_bias * noise)
                pod.memory_bytes = 60.0 * MIB + 1.4 * MIB * per_pod + pod.memory_offset
            elif pod.started_at is not None and pod.live:
                pod.cpu_m = 12.0 * pod.usage_bias
                pod.memory_bytes = 45.0 * MIB + pod.memory_offset
            else:
                pod.cpu_m = pod.memory_bytes = None

    def ready_count(self, t: int) -> int:
        return sum(1 for p in self.pods if p.ready(t))

    # ------------------------------------------------------------- readings
    def target_pods(self) -> tuple[tuple[ScrapeTarget, Pod], ...]:
        """One scrape target per pod with an address that is not shutting down.

        A crash-looping gateway dies before its metrics listener opens, so its
        target is down even in the instant its container runs.
        """
        return tuple(
            (ScrapeTarget(f"{p.ip}:{PORT}", p.started_at is not None and not p.rs.broken), p)
            for p in self.pods
            if p.live and p.ip is not None
        )

    def targets(self) -> tuple[ScrapeTarget, ...]:
        return tuple(target for target, _ in self.target_pods())

    def deployment_state(self, t: int, now: float) -> DeploymentState:
        live = [p for p in self.pods if p.live]
        ready = sum(1 for p in live if p.ready(now))
        updated = sum(1 for p in live if p.rs is self.current)
        replicas = self.replicas
        unavailable = math.floor(replicas * 0.25)
        current_name = self.current.name if self.current else self.deployment
        available_cond = (
            Condition("Available", "True", "MinimumReplicasAvailable",
                      "Deployment has minimum availability.")
            if ready >= replicas - unavailable
            else Condition("Available", "False", "MinimumReplicasUnavailable",
                           "Deployment does not have minimum availability.")
        )
        complete = updated == replicas and len(live) == replicas and ready == replicas
        self._rolled_out = self._rolled_out or complete
        if complete or (self._rolled_out and updated == len(live)):
            progressing = Condition("Progressing", "True", "NewReplicaSetAvailable",
                                    f'ReplicaSet "{current_name}" has successfully progressed.')
        elif t - self._progress_at > PROGRESS_DEADLINE_S:
            progressing = Condition("Progressing", "False", "ProgressDeadlineExceeded",
                                    f'ReplicaSet "{current_name}" has timed out progressing.')
        else:
            progressing = Condition("Progressing", "True", "ReplicaSetUpdated",
                                    f'ReplicaSet "{current_name}" is progressing.')
        return DeploymentState(
            namespace=self.namespace,
            name=self.deployment,
            replicas=replicas,
            ready_replicas=ready,
            updated_replicas=updated,
            available_replicas=ready,
            status_replicas=len(live),
            restarted_at=self.restarted_at,
            uid=self.uid,
            generation=self.generation,
            observed_generation=self.observed_generation,
            conditions=(available_cond, progressing),
        )

    def hpa_state(self) -> HpaState:
        return self.autoscaler.state(sum(1 for p in self.pods if p.live))

    def reading(self, t: int, now: float, events: int = 50) -> ClusterReading:
        pods = sorted(self.pods, key=lambda p: (p.created_at, p.name))
        return ClusterReading(
            deployment=self.deployment_state(t, now),
            pods=tuple(pod_state(p, now, termination_message(p)) for p in pods),
            hpa=self.hpa_state(),
            events=self.events.recent(events),
        )

