"""Which target the overview shows, and switching it: `:`, `c` and the fleet view's `enter`.

Every target of the fleet has its sources, polled all the time (so the fleet view
is current); the overview shows one, and the action runner is bound to that one.
Opening another fleet member is instant (its latest readings are already in the
state). Replacing the target shown (`:ns`, `:deploy`, `:ctx` outside the fleet)
builds new sources, starts polling them and closes the old ones in the
background, after any write already sent through them has come back. Either way
an action not yet confirmed is cancelled first (console/actions/flow.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from textual.app import App

from console.actions.flow import ActionFlow
from console.actions.runner import ActionRunner, where
from console.config.settings import Settings, TargetSettings
from console.feeds import Feed
from console.screens.command import CommandScreen, ContextsScreen, parse_command
from console.screens.overview import OverviewScreen
from console.sources.base import SourceSet
from console.state.console_state import ConsoleState

SourceFactory = Callable[[TargetSettings], SourceSet]


class SwitchHost(Protocol):
    """The console whose overview is switched."""

    @property
    def state(self) -> ConsoleState: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def feed(self) -> Feed: ...

    @property
    def actions(self) -> ActionFlow: ...

    @property
    def overview(self) -> OverviewScreen: ...

    def open_target(self, name: str) -> None:
        """Show this fleet member's overview (closing the fleet view if it is up)."""
        ...


class TargetSwitcher:
    """The fleet's sources, the runner of the target shown, and every way to switch."""

    def __init__(self, app: App[Any], host: SwitchHost, fleet: dict[str, SourceSet],
                 runner: ActionRunner, make_sources: SourceFactory | None) -> None:
        self.app = app
        self.host = host
        self.sources = fleet
        """Every target's sources by name; the feed polls them all."""
        self.runner = runner
        """Bound to the target shown: a switch makes a new one."""
        self.make_sources = make_sources
        """Builds the sources of a new target; None where switching makes no sense (replay)."""
        for name, sources in fleet.items():
            host.state.watch(name, id(sources))

    @property
    def current(self) -> SourceSet:
        return self.sources[self.host.state.current]

    def show(self, name: str) -> None:
        """Make `name` the overview's target: its runner, its readings; trends start afresh.

        Its workers keep running as they did (every fleet member is polled), so the
        overview shows its latest data at once; the tables are cleared first because
        the same row keys of another cluster are other rows.
        """
        host, state = self.host, self.host.state
        target = next(t for t in state.targets if t.name == name)
        host.actions.cancel(f"the console switched to {where(target)}")
        old = self.runner
        self.runner = ActionRunner(target, self.sources[name], old.audit,
                                   read_only=host.settings.read_only, user=old.user,
                                   read_only_reason=old.read_only_reason,
                                   in_flight=old.in_flight)
        state.switch(name)
        host.overview.clear_tables()
        host.overview.render_all()
        host.feed.load_history()
        host.feed.refresh_now()

    async def replace(self, new: TargetSettings) -> None:
        """Replace the overview's target by `new` (another namespace, Deployment or context).

        The old target's workers are cancelled by group, its sources closed in the
        background (a Kubernetes source stops its watch threads), new ones built and
        started. Sources that cannot be built leave the console on the old target.
        """
        if self.make_sources is None:
            self.app.notify("switching is not available here", severity="warning")
            return
        self.host.actions.cancel(f"the console switched to {where(new)}")
        try:
            sources = self.make_sources(new)
        except Exception as exc:  # a bad kubeconfig path, say: keep the console going
            self.app.notify(f"cannot open {new.name}: {exc}", severity="error")
            return
        old = self.current
        self.host.feed.stop_target(old.target)
        del self.sources[old.target]
        self.sources[new.name] = sources
        self.host.state.replace_target(old.target, new, id(sources))
        self.host.feed.start_target(sources)
        self.show(new.name)
        self.app.run_worker(self._close_quietly(old), group="close")

    async def _close_quietly(self, sources: SourceSet) -> None:
        await self.host.actions.wait_sent(sources)  # a confirmed write through them first
        with contextlib.suppress(Exception):
            await sources.aclose()

    async def close_all(self) -> None:
        for sources in list(self.sources.values()):
            with contextlib.suppress(Exception):  # closing on the way out must not raise
                await sources.aclose()

    # ------------------------------------------------------- `:` and `c`
    def ask_command(self) -> None:
        """`:` opens the command line: `ctx NAME`, `ns NAME`, `deploy NAME`."""
        self.app.run_worker(self._ask_command(), group="command", exclusive=True)

    async def _ask_command(self) -> None:
        from console.sources.kubeconfig import kubeconfig_path, read_contexts

        state = self.host.state
        ts = self.runner.target
        contexts = ([t.name for t in state.targets] if self.host.settings.demo
                    else list(read_contexts(kubeconfig_path(ts.kubeconfig)).names))
        for t in state.targets:
            if t.name not in contexts:
                contexts.append(t.name)
        cluster = self.current.cluster
        text = await self.app.push_screen_wait(CommandScreen(contexts, cluster.namespaces,
                                                             cluster.deployments))
        if text:
            await self.run_command(text)

    async def run_command(self, text: str) -> None:
        """Run one command line; a mistake is a notification, never a crash."""
        try:
            verb, arg = parse_command(text)
        except ValueError as exc:
            self.app.notify(str(exc), title="command", severity="warning")
            return
        ts = self.runner.target
        if verb == "ctx":
            member = next((t for t in self.host.state.targets if arg in (t.name, t.context)),
                          None)
            if member is not None:
                self.host.open_target(member.name)
                return
            self.host.open_target(self.current.target)
            new = replace(ts, name=arg, context=arg,
                          cluster=arg if ts.cluster is not None else None)
            if ts.cluster is None and not self.host.settings.demo:
                self.app.notify(f"metrics still come from {ts.name}'s Prometheus: configure "
                                f"a target for {arg} to get its own", severity="warning",
                                timeout=8)
            await self.replace(new)
        elif verb == "ns":
            await self.replace(replace(ts, namespace=arg))
        else:
            hpa = f"{arg}-hpa" if ts.hpa == f"{ts.deployment}-hpa" else ts.hpa
            await self.replace(replace(ts, deployment=arg, hpa=hpa))

    def ask_context(self) -> None:
        """`c`: the kubeconfig's contexts (and the fleet's targets); `enter` switches."""
        self.app.run_worker(self._ask_context(), group="command", exclusive=True)

    async def _ask_context(self) -> None:
        from console.sources.kubeconfig import kubeconfig_path, read_contexts

        targets = self.host.state.targets
        ts = self.runner.target
        found = (None if self.host.settings.demo
                 else read_contexts(kubeconfig_path(ts.kubeconfig)))
        names = list(found.names) if found else []
        for t in targets:
            if (t.context or t.name) not in names:
                names.append(t.context or t.name)
        current = ts.context or (found.current if found else None)
        chosen = await self.app.push_screen_wait(ContextsScreen(
            names, current, {t.context or t.name: t.name for t in targets},
            found.namespaces if found else {}))
        if chosen:
            await self.run_command(f"ctx {chosen}")
