"""Actions with their guards: read-only, RBAC, bound to one target, one at a time, audited.

The App binds a request to the runner's target and sources (`bind()`) when
its key is pressed; the binding is what the confirmation shows and what the
write uses. `check()` asks before the action is offered (so a denied one is
shown with its reason instead of vanishing); `run()` re-checks, refuses an
action bound to a target the console no longer shows, refuses a second copy
of one still in flight, and records every attempt — done, failed, refused or
cancelled — as one audit line (`record()`).
"""

from __future__ import annotations

import itertools
import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace

from console.actions.audit import AuditLog, local_user
from console.config.settings import TargetSettings
from console.model import Alert
from console.sources.base import ActionError, Permission, SourceSet
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.matchers import Matcher, for_alert
from console.text.durations import DurationTooLong, format_duration, parse_duration
from console.text.safe_text import clean_line

READ_ONLY_REASON = "read-only mode: actions are disabled (started with --read-only)"
MAX_REPLICAS = 1000
MAX_SILENCE_S = 14 * 86400.0
MAX_COMMENT = 200
_EPOCHS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One thing the user asked for, complete enough to confirm, run and audit."""

    kind: str  # restart scale delete-pod silence expire-silence rollback hpa-bounds edit-config
    replicas: int | None = None
    pod: str | None = None
    alert: Alert | None = None
    duration_s: float | None = None
    silence_id: str | None = None
    revision: int | None = None
    bounds: tuple[int, int] | None = None
    """The HPA's new (minReplicas, maxReplicas)."""
    detail: tuple[str, ...] = ()
    """Lines the confirmation shows under the command: the rollback's or edit's diff."""
    config: ConfigMapVersion | None = None
    """The ConfigMap as read for `E`: its update carries this resourceVersion."""
    new_data: tuple[tuple[str, str], ...] | None = None
    comment: str | None = None
    """The silence's comment as typed after its duration or in the matcher editor (or the
    default naming the user): the dialog's amtool command shows it, Alertmanager stores it."""
    silence_matchers: tuple[Matcher, ...] | None = None
    """The silence's matchers as the editor left them; None until it has."""

    @property
    def rbac(self) -> tuple[str, str, str, str] | None:
        """(verb, resource, subresource, name) the Kubernetes API must allow, if any; the
        ConfigMap by its name (a Role may grant its update by name alone)."""
        config = self.config.name if self.config is not None else ""
        return {
            "restart": ("patch", "deployments", "", ""),
            "scale": ("patch", "deployments", "scale", ""),
            "delete-pod": ("delete", "pods", "", self.pod or ""),
            "rollback": ("patch", "deployments", "", ""),
            "hpa-bounds": ("patch", "horizontalpodautoscalers", "", ""),
            "edit-config": ("update", "configmaps", "", config),
        }.get(self.kind)

    @property
    def destructive(self) -> bool:
        return self.kind in ("restart", "scale", "delete-pod", "silence", "expire-silence",
                             "rollback", "hpa-bounds", "edit-config")

    @property
    def matchers(self) -> tuple[Matcher, ...]:
        """The silence's matchers: exactly what the dialog lists and what is sent — the
        edited ones, else one exact matcher per label (ValueError for one too long)."""
        if self.silence_matchers is not None:
            return self.silence_matchers
        return for_alert(self.alert) if self.alert is not None else ()

    def target(self, ts: TargetSettings) -> str:
        if self.kind in ("restart", "scale", "rollback"):
            return f"deployment/{ts.deployment}"
        if self.kind == "hpa-bounds":
            return f"hpa/{ts.hpa}"
        if self.kind == "edit-config":
            return f"configmap/{self.config.name if self.config else '(the gateway config)'}"
        if self.kind == "delete-pod":
            return f"pod/{self.pod or '(none selected)'}"
        if self.kind == "silence":
            return f"alert/{self.alert.name if self.alert else '(none selected)'}"
        return f"silence/{self.silence_id or '(none selected)'}"

    def title(self, ts: TargetSettings) -> str:
        if self.kind == "restart":
            return f"Restart deployment {ts.deployment}?"
        if self.kind == "scale":
            return f"Scale deployment {ts.deployment} to {self.replicas} replicas?"
        if self.kind == "delete-pod":
            return f"Delete pod {self.pod}?"
        if self.kind == "rollback":
            return f"Roll back deployment {ts.deployment} to revision {self.revision}?"
        if self.kind == "hpa-bounds" and self.bounds is not None:
            return f"Set HPA {ts.hpa} to min {self.bounds[0]}, max {self.bounds[1]}?"
        if self.kind == "edit-config" and self.config is not None:
            return (f"Update ConfigMap {self.config.name} "
                    f"(resourceVersion {self.config.resource_version})?")
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
        elif self.kind == "rollback":
            argv = ["kubectl", *ctx, *ns, "rollout", "undo", f"deployment/{ts.deployment}",
                    f"--to-revision={self.revision}"]
        elif self.kind == "hpa-bounds" and self.bounds is not None:
            patch = f'{{"spec":{{"minReplicas":{self.bounds[0]},"maxReplicas":{self.bounds[1]}}}}}'
            argv = ["kubectl", *ctx, *ns, "patch", f"hpa/{ts.hpa}", "--type=merge", "-p", patch]
        elif self.kind == "edit-config":
            argv = ["kubectl", *ctx, *ns, "edit", self.target(ts)]
        elif self.kind == "silence" and self.alert is not None:
            argv = ["amtool", "silence", "add",
                    f"--duration={format_duration(self.duration_s or 3600)}",
                    f"--comment={self.comment or 'via ai-gateway-console'}",
                    *(m.amtool() for m in self.matchers)]
        else:
            argv = ["amtool", "silence", "expire", str(self.silence_id)]
        return shlex.join(argv)


def where(ts: TargetSettings, *, demo: bool = False) -> str:
    """Which cluster, in words: the dialog's "where" line and the refusals' messages."""
    if demo:
        place = f"the simulated cluster {ts.name}"
    elif ts.context:
        place = f"context {ts.context}"
    else:
        place = "the kubeconfig's current context"
    if not demo and ts.name not in (ts.context, "default"):
        place += f" (target {ts.name})"
    return f"{place}, namespace {ts.namespace}"


@dataclass(frozen=True, slots=True)
class BoundAction:
    """A request bound to the target and sources it was asked on: the dialog's and the write's.

    `epoch` names the runner that bound it: a target switched away and back again
    gets a new runner, so an action bound before the switch is never taken as current.
    """

    request: ActionRequest
    target: TargetSettings
    sources: SourceSet
    epoch: int

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def object(self) -> str:
        return self.request.target(self.target)

    def with_request(self, request: ActionRequest) -> BoundAction:
        """The same binding with the prompt's answer (replicas, duration) filled in."""
        return replace(self, request=request)


def parse_replicas(text: str) -> int:
    """A replica count as typed: ASCII digits only, 0..1000; ValueError says what is wrong.

    `str.isdigit()` accepts `²` and `٣`; `int()` then raises or reads them as digits
    the dialog would not show as typed, so only 0-9 count.
    """
    value = text.strip()
    if not value or not value.isascii() or not value.isdigit():
        raise ValueError("a whole number of replicas, 0 or more")
    digits = value.lstrip("0") or "0"
    # Length first: int() of more than 4,300 digits raises a message about Python itself.
    if len(digits) > len(str(MAX_REPLICAS)) or int(digits) > MAX_REPLICAS:
        raise ValueError(f"more than {MAX_REPLICAS} replicas is surely a typo")
    return int(digits)


def silence_comment(text: str, user: str) -> str:
    """What follows the duration in `1h deploy window`, cleaned and capped; without
    one, the default that names who silenced it."""
    parts = text.strip().split(None, 1)
    typed = clean_line(parts[1])[:MAX_COMMENT] if len(parts) > 1 else ""
    return typed or f"silenced by {user} via ai-gateway-console"


def parse_silence_duration(text: str) -> float:
    """A silence's length as typed (`1h`, `90m`, then maybe a comment), ASCII only,
    at most 14 days."""
    value = (text.strip().split(None, 1) or [""])[0]
    if not value.isascii():
        raise ValueError("a duration like 30m, 1h or 2d (digits 0-9)")
    try:
        seconds = parse_duration(value)
    except DurationTooLong:
        seconds = math.inf
    if not seconds <= MAX_SILENCE_S:
        raise ValueError("at most 14d")
    if seconds < 1:
        raise ValueError("at least 1s")
    return seconds


def error_of(parse: Callable[[str], object], text: str) -> str | None:
    """A prompt's validator from a parser: its ValueError's message, or None when fine."""
    try:
        parse(text)
    except (ValueError, OverflowError) as exc:
        return str(exc) or "not a valid value"
    return None


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
        in_flight: set[tuple[str, str | None, str, str]] | None = None,
    ) -> None:
        self.target = target
        self.sources = sources
        self.audit = audit
        self.read_only = read_only or target.read_only
        # Why actions are refused, in the user's terms: --read-only, or a replay.
        self.read_only_reason = read_only_reason
        self.user = user or local_user()
        self.epoch = next(_EPOCHS)
        # (kind, context, namespace, object): shared by the runners of one App, so a
        # switch of target does not forget a write still on its way.
        self.in_flight = set() if in_flight is None else in_flight

    def bind(self, request: ActionRequest) -> BoundAction:
        return BoundAction(request, self.target, self.sources, self.epoch)

    def is_current(self, action: BoundAction) -> bool:
        """Is `action` bound to this runner's target and sources (nothing switched since)?"""
        return (action.epoch == self.epoch and action.sources is self.sources
                and action.target == self.target)

    async def check(self, action: BoundAction) -> Permission:
        """May this action be offered? Read-only first, then the bound cluster's own answer."""
        request = action.request
        if self.read_only and request.destructive:
            return Permission(False, self.read_only_reason)
        if request.kind in ("silence", "expire-silence") and not action.sources.alerts.can_silence:
            return Permission(False, "silencing needs an Alertmanager (--alertmanager-url)")
        rbac = request.rbac
        if rbac is None:
            return Permission(True)
        try:
            return await action.sources.cluster.permission(*rbac)
        except Exception as exc:
            return Permission(False, f"cannot check permission: {exc}")

    def _key(self, action: BoundAction) -> tuple[str, str | None, str, str]:
        return (action.kind, action.target.context, action.target.namespace, action.object)

    def busy(self, action: BoundAction) -> bool:
        return self._key(action) in self.in_flight

    async def run(self, action: BoundAction) -> str:
        """Send it once; returns what to tell the user, raises ActionError with the reason.

        Every outcome is one audit line, including the refusals before anything is sent.
        """
        if not self.is_current(action):
            reason = (f"not sent: the dialog named {where(action.target)}, but the console "
                      f"now shows {where(self.target)}")
            self.record(action, f"refused: {reason}")
            raise ActionError(reason)
        key = self._key(action)
        if key in self.in_flight:
            reason = f"{action.kind} of {action.object} is already in progress"
            self.record(action, f"refused: {reason}")
            raise ActionError(reason)
        self.in_flight.add(key)
        try:
            permission = await self.check(action)
            if not permission.allowed:
                self.record(action, f"refused: {permission.reason}")
                raise ActionError(permission.reason)
            try:
                message = await self._perform(action)
            except ActionError as exc:
                self.record(action, f"failed: {exc}")
                raise
            except Exception as exc:
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                self.record(action, f"failed: {text}")
                raise ActionError(text) from exc
            self.record(action, f"ok: {message}")
            return message
        finally:
            self.in_flight.discard(key)

    async def _perform(self, action: BoundAction) -> str:
        """The one write, through the bound sources, with the bound object."""
        cluster, alerts = action.sources.cluster, action.sources.alerts
        request, ts = action.request, action.target
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
        if request.kind == "rollback":
            if request.revision is None:
                raise ActionError("no revision chosen")
            return await cluster.rollback(request.revision)
        if request.kind == "hpa-bounds":
            if request.bounds is None:
                raise ActionError("no bounds given")
            await cluster.set_hpa_bounds(*request.bounds)
            return f"set hpa/{ts.hpa} to min {request.bounds[0]}, max {request.bounds[1]}"
        if request.kind == "edit-config":
            if request.config is None or request.new_data is None:
                raise ActionError("nothing edited")
            return await cluster.replace_config_map(request.config, dict(request.new_data))
        if request.kind == "silence":
            if request.alert is None:
                raise ActionError("no alert selected")
            sid = await alerts.silence(
                request.alert,
                request.duration_s or 3600.0,
                self.user,
                request.comment or f"silenced by {self.user} via ai-gateway-console",
                request.silence_matchers,
            )
            return f"silenced {request.alert.name} (silence {sid})"
        if request.kind == "expire-silence":
            if not request.silence_id:
                raise ActionError("no silence to expire")
            await alerts.expire(request.silence_id)
            return f"expired silence {request.silence_id}"
        raise ActionError(f"unknown action {request.kind!r}")

    def record(self, action: BoundAction, result: str) -> None:
        """One audit line for `action`, naming the cluster it was bound to."""
        self.audit.write(
            user=self.user,
            context=action.target.context,
            namespace=action.target.namespace,
            action=action.kind,
            target=action.object,
            result=result,
        )
