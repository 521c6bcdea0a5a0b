"""The path of every action key: bound when pressed, one at a time, one audit line each.

A key binds its request to the target and sources the console shows at that moment
(`ActionRunner.bind`); the permission check, the prompt, the dialog and the write all
use that binding, and the dialog says where it goes. While one action is in hand — its
check in flight, its prompt or dialog open, its write on its way — a second action key
is refused with a toast (`r r` is one dialog, so `y y` is one write); an open modal
takes no App keys anyway. Switching target (`:ctx`, `:ns`, `:deploy`, `c`, the fleet's
`enter`) cancels an action not yet confirmed: the check is abandoned, the prompt or
dialog withdrawn, nothing sent. A write already on its way is left to finish; it was
confirmed for the cluster it goes to.

Every action key that names its object ends in exactly one audit line: `ok`,
`failed`, `refused` (read-only, RBAC, another action in hand, the target
changed), or `cancelled` (at the prompt, at the dialog, by a switch, by
quitting). A cancel counts as an attempt: someone pressed a key that could
have restarted production, and the audit log is where that question is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from textual.app import App

from console.actions import configmap_edit, hpa_bounds, rollback
from console.actions.runner import (
    ActionRequest,
    ActionRunner,
    BoundAction,
    error_of,
    parse_replicas,
    parse_silence_duration,
    silence_comment,
    where,
)
from console.clock import Clock
from console.config.settings import Settings
from console.hints import load_hints
from console.model import HpaState, SourceName
from console.screens.confirm import ConfirmScreen
from console.screens.dialog import DialogScreen
from console.screens.matcher_editor import MatcherEditor, SilenceEdit
from console.screens.prompt import PromptScreen
from console.screens.revisions import RevisionScreen
from console.screens.type_ahead import TypeAhead
from console.sources.base import ActionError, ConfigConflict, SourceSet
from console.sources.matchers import for_alert
from console.state.console_state import ConsoleState
from console.text.durations import format_duration

if TYPE_CHECKING:
    from textual.worker import Worker

Phase = Literal["checking", "asking", "sending"]
Dialog = DialogScreen[Any]
"""Any step of an action that asks (screens/dialog.py): a switch withdraws it."""
PHASES: dict[Phase, str] = {
    "checking": "its permission check is in flight",
    "asking": "its dialog is open",
    "sending": "it is being sent",
}
ACTION_KEYS = {"restart": "r", "scale": "s", "delete-pod": "ctrl+d", "silence": "S",
               "expire-silence": "S", "rollback": "u", "hpa-bounds": "H", "edit-config": "E"}
"""The key of each action: pressed again while its dialog is on its way, it is refused."""
SEND_WAIT_S = 60.0
"""How long closing a switched-away target waits for a write through it to come back."""


class Pending:
    """The action in hand: its binding, how far it got, and what to stop on a switch."""

    def __init__(self, action: BoundAction, runner: ActionRunner) -> None:
        self.action = action
        self.runner = runner
        self.phase: Phase = "checking"
        self.worker: Worker[None] | None = None
        self.screen: Dialog | None = None
        self.recorded = False
        self.shown = False
        """A dialog of it came on screen: keys typed ahead were for it, not for nothing."""
        self.done = asyncio.Event()
        self.follows = False
        self.follow_up: ActionRequest | None = None
        """Offered once this one is done: the restart after a ConfigMap edit."""


class ActionHost(Protocol):
    """The console an action is for: the runner of the target shown (it changes on a
    switch), what the overview shows, and a refresh once something was written."""

    @property
    def runner(self) -> ActionRunner: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def state(self) -> ConsoleState: ...

    clock: Clock

    def refresh_now(self, *names: SourceName) -> None: ...


class ActionFlow:
    """Owns the one action in hand; the overview's action keys call `start`.

    `app` shows the prompts and dialogs and runs the action's worker; `host` is the
    console the action is for (the App too, seen through ActionHost).
    """

    def __init__(self, app: App[Any], host: ActionHost) -> None:
        self.app = app
        self.host = host
        self.pending: Pending | None = None
        self.type_ahead = TypeAhead(app)
        """Keys typed while a dialog is on its way: the App hands them here."""

    # ------------------------------------------------------------- entries
    def start(self, request: ActionRequest, *, follows: bool = False) -> None:
        """An action key: refuse it (audited) or begin its check, prompt and dialog.

        `follows`: offered right after another action (the restart after an edit): its
        dialog is confirmed with `r`, so that a `y y` meant for the first cannot answer it."""
        app, runner = self.app, self.host.runner
        action = runner.bind(request)
        busy = self.pending
        if busy is not None:
            reason = (f"{busy.action.kind} of {busy.action.object} is already in progress "
                      f"({PHASES[busy.phase]})")
            runner.record(action, f"refused: {reason}")
            app.notify(f"{request.kind} ignored: {reason}", title="one action at a time",
                       severity="warning")
            return
        if runner.read_only and request.destructive:
            runner.record(action, f"refused: {runner.read_only_reason}")
            app.notify(runner.read_only_reason, title="not allowed", severity="warning")
            return
        pending = self.pending = Pending(action, runner)
        pending.follows = follows
        self.type_ahead.hold(ACTION_KEYS.get(request.kind))
        pending.worker = app.run_worker(self._run(pending), group="actions",
                                        exit_on_error=False)

    def cancel(self, reason: str) -> None:
        """The console is switching target: drop the action in hand unless it is being sent."""
        pending = self.pending
        if pending is None or pending.phase == "sending":
            return
        self.pending = None
        self._close(pending, f"cancelled: {reason} before it was confirmed; nothing was sent")
        if pending.screen is not None:
            pending.screen.withdraw()
        if pending.worker is not None:
            pending.worker.cancel()
        self.app.notify(f"{pending.action.kind} of {pending.action.object} cancelled: "
                        f"{reason}; nothing was sent", severity="warning")

    async def wait_sent(self, sources: SourceSet, timeout_s: float = SEND_WAIT_S) -> None:
        """Until no write through `sources` is on its way (bounded): closing them waits."""
        pending = self.pending
        if pending is not None and pending.phase == "sending" and pending.action.sources is sources:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.done.wait(), timeout_s)

    # ---------------------------------------------------------------- steps
    async def _run(self, pending: Pending) -> None:
        try:
            await self._steps(pending)
        except asyncio.CancelledError:
            if pending.phase == "sending":
                self._close(pending, "interrupted: the console quit while it was being sent; "
                                     "it may or may not have been applied")
            else:
                self._close(pending, "cancelled: the console quit before it was confirmed; "
                                     "nothing was sent")
            raise
        except Exception as exc:  # a bug here must cost an action, never the console
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            self._close(pending, f"failed: {text}")
            self.app.notify(text, title=f"{pending.action.kind} failed", severity="error")
        finally:
            pending.done.set()
            if self.pending is pending:
                self.pending = None
                # Keys typed after the last dialog are the screen's; for a dialog that
                # never came (refused, cancelled) nobody's.
                (self.type_ahead.release if pending.shown else self.type_ahead.drop)()
            if pending.follow_up is not None and self.pending is None:
                self.start(pending.follow_up, follows=True)

    async def _steps(self, pending: Pending) -> None:
        app = self.app
        action = pending.action
        permission = await pending.runner.check(action)
        reason = permission.reason if not permission.allowed else self._refusal(action)
        if reason is not None:
            self._close(pending, f"refused: {reason}")
            app.notify(reason, title=f"cannot {action.kind}", severity="error")
            return
        completed = await self._complete(pending)
        if completed is None:
            self._close(pending, "cancelled at the prompt: nothing was sent")
            app.notify(f"{action.kind} cancelled: nothing was sent")
            return
        pending.action = action = completed
        if not await self._confirm(pending):
            self._close(pending, "cancelled: nothing was sent")
            app.notify(f"{action.kind} cancelled: nothing was sent")
            return
        pending.phase = "sending"
        try:
            # The console's runner now: it refuses (and records) if the target changed.
            message = await self.host.runner.run(action)
        except ActionError as exc:
            pending.recorded = True  # run() wrote the line
            app.notify(str(exc), title=f"{action.kind} failed", severity="error", timeout=10)
            if isinstance(exc, ConfigConflict) and action.request.config is not None:
                screen = configmap_edit.theirs_screen(action.request.config, exc)
                if screen is not None:
                    app.push_screen(screen)
            return
        pending.recorded = True
        app.notify(message, title="done")
        if action.kind == "edit-config":
            pending.follow_up = ActionRequest("restart")  # the gateway reads it at start
        self.host.refresh_now("kubernetes" if action.request.rbac else "alertmanager")

    def _close(self, pending: Pending, result: str) -> None:
        """The action's one audit line, if nobody wrote it yet."""
        if not pending.recorded:
            pending.recorded = True
            pending.runner.record(pending.action, result)

    @contextlib.contextmanager
    def _showing(self, pending: Pending, screen: Dialog) -> Iterator[None]:
        pending.phase = "asking"
        pending.screen = screen
        pending.shown = True
        try:
            yield
        finally:
            pending.screen = None

    async def _prompt(self, pending: Pending, screen: PromptScreen) -> str | None:
        with self._showing(pending, screen):
            return await self.app.push_screen_wait(screen)

    async def _edit(self, pending: Pending, screen: MatcherEditor) -> SilenceEdit | None:
        with self._showing(pending, screen):
            return await self.app.push_screen_wait(screen)

    async def _pick(self, pending: Pending, screen: RevisionScreen) -> int | None:
        screen.type_ahead = self.type_ahead
        with self._showing(pending, screen):
            return await self.app.push_screen_wait(screen)

    async def _complete(self, pending: Pending) -> BoundAction | None:
        """Scale, silence, HPA bounds and rollback ask first; None when escaped."""
        action = pending.action
        request = action.request
        if request.kind == "edit-config":
            pending.phase = "asking"
            self.type_ahead.drop()  # the editor takes the terminal: keys typed are its own
            edited = await configmap_edit.complete(self.app, action, load_hints().config_map)
            self.type_ahead.hold()  # what follows the editor is for the confirmation
            return edited
        if request.kind == "rollback":
            return await rollback.choose(action, lambda s: self._pick(pending, s),
                                         self.host.clock())
        if request.kind == "hpa-bounds":
            hpa = self._hpa()
            value = await self._prompt(pending, PromptScreen(
                f"HPA {action.target.hpa}: new MIN MAX?", hpa_bounds.prefill(hpa),
                lambda text: error_of(hpa_bounds.parse_bounds, text), hpa_bounds.hint(hpa),
                self.type_ahead))
            return None if value is None else action.with_request(
                replace(request, bounds=hpa_bounds.parse_bounds(value)))
        if request.kind == "scale":
            value = await self._prompt(pending, self._replica_prompt(action))
            return None if value is None else action.with_request(
                replace(request, replicas=parse_replicas(value)))
        if request.kind == "silence" and request.alert is not None:
            return await self._silence(pending)
        return action

    def _refusal(self, action: BoundAction) -> str | None:
        """Why an allowed action cannot be offered at all: a label too long to match."""
        if action.kind != "silence" or action.request.alert is None:
            return None
        try:
            for_alert(action.request.alert)
        except ValueError as exc:
            return str(exc)
        return None

    async def _silence(self, pending: Pending) -> BoundAction | None:
        """The duration (a comment may follow it), then the matchers and comment, editable."""
        action = pending.action
        request = action.request
        assert request.alert is not None
        value = await self._prompt(pending, PromptScreen(
            f"Silence {request.alert.name} for how long?", "1h",
            lambda text: error_of(parse_silence_duration, text),
            "Next: the matchers it will use, editable. A comment may follow the duration: "
            "1h deploy window.", self.type_ahead))
        if value is None:
            return None
        duration = parse_silence_duration(value)
        default = silence_comment("", pending.runner.user)
        edit = await self._edit(pending, MatcherEditor(
            f"Silence {request.alert.name} for {format_duration(duration)}: what it matches",
            for_alert(request.alert), silence_comment(value, pending.runner.user), default,
            self.type_ahead))
        if edit is None:
            return None
        return action.with_request(replace(
            request, duration_s=duration, comment=edit.comment,
            silence_matchers=edit.matchers,
            detail=("matchers sent (a regex matches the whole value):",
                    *(f"  {m.text}" for m in edit.matchers))))

    def _hpa(self) -> HpaState | None:
        cluster = self.host.state.latest.cluster
        return cluster.hpa if cluster else None

    def _replica_prompt(self, action: BoundAction) -> PromptScreen:
        cluster = self.host.state.latest.cluster
        dep = cluster.deployment if cluster else None
        hpa = cluster.hpa if cluster else None
        hint = (f"The HPA {hpa.name} (min {hpa.min_replicas}, max {hpa.max_replicas}) owns the "
                "replica count and will override a manual scale." if hpa else None)
        return PromptScreen(f"Scale {action.target.deployment} to how many replicas?",
                            str(dep.replicas if dep else 3),
                            lambda text: error_of(parse_replicas, text), hint, self.type_ahead)

    async def _confirm(self, pending: Pending) -> bool:
        action = pending.action
        request, ts = action.request, action.target
        warning = None
        hpa = self._hpa()
        if request.kind == "scale" and hpa is not None:
            warning = (f"HPA {hpa.name} owns the replica count "
                       f"({hpa.min_replicas}..{hpa.max_replicas}); it will scale back.")
        if request.kind == "hpa-bounds" and request.bounds is not None:
            warning = hpa_bounds.warning(hpa, request.bounds)
        demo = self.host.settings.demo is not None
        place = (f"the Alertmanager of {ts.name}" if request.rbac is None
                 else where(ts, demo=demo))
        screen = ConfirmScreen(request.title(ts), action.object, request.command(ts), warning,
                               where=place, detail=request.detail,
                               confirm_key="r" if pending.follows else "y",
                               type_ahead=self.type_ahead)
        with self._showing(pending, screen):
            confirmed = await self.app.push_screen_wait(screen)
        return confirmed is True

