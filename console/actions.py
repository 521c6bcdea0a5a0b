"""Actions with their guards: read-only, RBAC, one at a time, and an audit line.

The App asks `check()` before it offers an action (so a denied one is shown
with its reason instead of vanishing), shows the confirmation with `kubectl()`,
and calls `run()` once the user says yes. `run()` re-checks, refuses a second
copy of an action still in flight, and records every attempt.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from console.audit import AuditLog, local_user
from console.durations import format_duration
from console.model import Alert
from console.settings import TargetSettings
from console.sources.base import ActionError, Permission, SourceSet

READ_ONLY_REASON = "read-only mode: actions are disabled (started with --read-only)"


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One thing the user asked for, complete enough to confirm, run and audit."""

    kind: str  # restart | scale | delete-pod | silence | expire-silence
    replicas: int | None = None
    pod: str | None = None
    alert: Alert | None = None
    duration_s: float | None = None
    silence_id: str | None = None

    @property
    def rbac(self) -> tuple[str, str, str] | None:
        """(verb, resource, subresource) the Kubernetes API must allow, if any."""
        return {
            "restart": ("patch", "deployments", ""),
            "scale": ("patch", "deployments", "scale"),
            "delete-pod": ("delete", "pods", ""),
        }.get(self.kind)

    @property
    def destructive(self) -> bool:
        return self.kind in ("restart", "scale", "delete-pod", "silence", "expire-silence")

    def target(self, ts: TargetSettings) -> str:
        if self.kind in ("restart", "scale"):
            return f"deployment/{ts.deployment}"
        if self.kind == "delete-pod":
            return f"pod/{self.pod}"
        if self.kind == "silence" and self.alert is not None:
            return f"alert/{self.alert.name}"
        return f"silence/{self.silence_id}"

    def title(self, ts: TargetSettings) -> str:
        if self.kind == "restart":
            return f"Restart deployment {ts.deployment}?"
        if self.kind == "scale":
            return f"Scale deployment {ts.deployment} to {self.replicas} replicas?"
        if self.kind == "delete-pod":
            return f"Delete pod {self.pod}?"
        if self.kind == "silence" and self.alert is not None:
            return f"Silence {self.alert.name} for {format_duration(self.duration_s or 3600)}?"
        return f"Expire silence {self.silence_id}?"

    def command(self, ts: TargetSettings) -> str:
        """The equivalent command line, so the user knows exactly what will happen."""
        ns = ["-n", ts.namespace]
        ctx = ["--context", ts.context] if ts.context else []
        if self.kind == "restart":
            argv = ["kubectl", *ctx, *ns, "rollout", "restart", f"deployment/{ts.deployment}"]
        elif self.kind == "scale":
            argv = ["kubectl", *ctx, *ns, "scale", f"deployment/{ts.deployment}",
                    f"--replicas={self.replicas}"]
        elif self.kind == "delete-pod":
            argv = ["kubectl", *ctx, *ns, "delete", "pod", str(self.pod)]
        elif self.kind == "silence" and self.alert is not None:
            matchers = [f"{k}={v}" for k, v in sorted(self.alert.labels.items())]
            argv = ["amtool", "silence", "add",
                    f"--duration={format_duration(self.duration_s or 3600)}",
                    "--comment=via ai-gateway-console", *matchers]
        else:
            argv = ["amtool", "silence", "expire", str(self.silence_id)]
        return shlex.join(argv)


class ActionRunner:
    """Runs actions for one target with every guard the console promises."""

    def __init__(
        self,
        target: TargetSettings,
        sources: SourceSet,
        audit: AuditLog,
        *,
        read_only: bool = False,
        user: str | None = None,
        read_only_reason: str = READ_ONLY_REASON,
    ) -> None:
        self.target = target
        self.sources = sources
        self.audit = audit
        self.read_only = read_only or target.read_only
        # Why actions are refused, in the user's terms: --read-only, or a replay.
        self.read_only_reason = read_only_reason
        self.user = user or local_user()
        self._in_flight: set[tuple[str, str]] = set()

    async def check(self, request: ActionRequest) -> Permission:
        """May this action be offered? Read-only first, then the API's own answer."""
        if self.read_only and request.destructive:
            return Permission(False, self.read_only_reason)
        if request.kind in ("silence", "expire-silence") and not self.sources.alerts.can_silence:
            return Permission(False, "silencing needs an Alertmanager (--alertmanager-url)")
        rbac = request.rbac
        if rbac is None:
            return Permission(True)
        try:
            return await self.sources.cluster.permission(*rbac)
        except Exception as exc:
            return Permission(False, f"cannot check permission: {exc}")

    def busy(self, request: ActionRequest) -> bool:
        return (request.kind, request.target(self.target)) in self._in_flight

    async def run(self, request: ActionRequest) -> str:
        """Do it once; returns what to tell the user, raises ActionError with the reason."""
        key = (request.kind, request.target(self.target))
        if key in self._in_flight:
            raise ActionError(f"{request.kind} of {key[1]} is already in progress")
        self._in_flight.add(key)
        try:
            permission = await self.check(request)
            if not permission.allowed:
                self._record(request, f"refused: {permission.reason}")
                raise ActionError(permission.reason)
            try:
                message = await self._perform(request)
            except ActionError as exc:
                self._record(request, f"failed: {exc}")
                raise
            except Exception as exc:
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                self._record(request, f"failed: {text}")
                raise ActionError(text) from exc
            self._record(request, f"ok: {message}")
            return message
        finally:
            self._in_flight.discard(key)

    async def _perform(self, request: ActionRequest) -> str:
        cluster, alerts = self.sources.cluster, self.sources.alerts
        ts = self.target
        if request.kind == "restart":
            stamp = await cluster.restart()
            return f"restarted deployment/{ts.deployment} (restartedAt {stamp})"
        if request.kind == "scale":
            if request.replicas is None or request.replicas < 0:
                raise ActionError("scale needs a replica count of 0 or more")
            await cluster.scale(request.replicas)
            return f"scaled deployment/{ts.deployment} to {request.replicas}"
        if request.kind == "delete-pod":
            if not request.pod:
                raise ActionError("no pod selected")
            await cluster.delete_pod(request.pod)
            return f"deleted pod/{request.pod}"
        if request.kind == "silence":
            if request.alert is None:
                raise ActionError("no alert selected")
            sid = await alerts.silence(
                request.alert,
                request.duration_s or 3600.0,
                self.user,
                f"silenced by {self.user} via ai-gateway-console",
            )
            return f"silenced {request.alert.name} (silence {sid})"
        if request.kind == "expire-silence":
            if not request.silence_id:
                raise ActionError("no silence to expire")
            await alerts.expire(request.silence_id)
            return f"expired silence {request.silence_id}"
        raise ActionError(f"unknown action {request.kind!r}")

    def _record(self, request: ActionRequest, result: str) -> None:
        self.audit.write(
            user=self.user,
            context=self.target.context,
            namespace=self.target.namespace,
            action=request.kind,
            target=request.target(self.target),
            result=result,
        )
