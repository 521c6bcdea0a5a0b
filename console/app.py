"""The console's App: the shell around the overview, live or replayed.

It starts the overview (console/screens/overview.py) and a feed: the live poll
workers (console/feeds/live.py) or a recording (console/feeds/replay.py). Every
poll a worker posts goes through the one reducer (console/state/console_state.py)
and the overview redraws what it changed. The App also watches the terminal
(too small, gone away), quits, shows the help and the fleet view, and hands the
console-wide keys to whoever owns them: the path of every action is
console/actions/flow.py, switching targets console/targets.py.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.events import Event, Key, Resize
from textual.screen import Screen

from console.actions.audit import AuditLog
from console.actions.flow import ActionFlow
from console.actions.runner import ActionRunner
from console.clock import Clock, system_clock
from console.config.settings import Settings, TargetSettings
from console.feeds import Feed
from console.feeds.live import LiveFeed
from console.messages import AlertsPolled, ClusterPolled, HistoryLoaded, MetricsPolled, Polled
from console.model import Snapshot, SourceName
from console.plain_notify import PlainNotifications
from console.record.recorder import Recorder, recorder_for
from console.screens.fleet import FleetScreen
from console.screens.help import HelpScreen, help_rows
from console.screens.overview import OverviewScreen
from console.screens.palette import console_commands
from console.sources.base import SourceSet
from console.state.console_state import ConsoleState
from console.state.polling import Latest
from console.state.trends import TREND_POINTS, trend_step_s
from console.targets import SourceFactory, TargetSwitcher

if TYPE_CHECKING:
    from console.sources.store import StoreRegistry


class GatewayConsole(PlainNotifications):
    CSS_PATH = "app.tcss"
    TITLE = "ai-gateway-console"
    # The keys that mean the same on every screen, the fleet view's too. The overview
    # lists them again among its own, for the order of its footer.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        # As in k9s: ctrl+c quits from every screen, dialogs and inputs included (priority:
        # before Textual's copy-text binding of the screen and the Input), the way `q` does.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("w", "cycle_window", "Window"),
        Binding("p", "pause", "Pause"),
        Binding("f", "fleet", "Fleet"),
        Binding("colon", "command", "Command", key_display=":", show=False),
        Binding("c", "contexts", "Contexts", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        sources: SourceSet,
        runner: ActionRunner,
        clock: Clock = system_clock,
        export_dir: Path | None = None,
        *,
        fleet: Mapping[str, SourceSet] | None = None,
        source_factory: SourceFactory | None = None,
        feed: Feed | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.clock = clock
        self.export_dir = export_dir
        # Actions on the simulated cluster are audited as demo ones (README "Actions").
        runner.audit.demo = runner.audit.demo or settings.demo is not None
        # The fleet: every target's sources, polled by workers of their own; the overview
        # shows `sources`, the current one. One target alone is a fleet of one.
        targets = ([runner.target if t.name == sources.target else t for t in settings.targets]
                   if fleet else [runner.target])
        self.state = ConsoleState(sources.target, window_s=settings.window_s, targets=targets,
                                  trend_step_s=trend_step_s(settings.refresh_s))
        self.actions = ActionFlow(self, self)
        """The one action in hand: bound to its target, audited (console/actions/flow.py)."""
        self.switcher = TargetSwitcher(self, self, {**(fleet or {}), sources.target: sources},
                                       runner, source_factory)
        self.feed: Feed = feed or LiveFeed(self, self.state, settings, clock,
                                           self.switcher.sources)
        self.fleet_screen: FleetScreen | None = None
        self.stores: StoreRegistry | None = None
        self.recorder: Recorder | None = None
        """Under --record FILE, every poll applied is appended there (record/recorder.py)."""
        self._overview: OverviewScreen | None = None

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = system_clock, *,
                      audit: AuditLog | None = None, user: str | None = None,
                      export_dir: Path | None = None) -> GatewayConsole:
        """The console of every target of `settings`; the first one's overview is current.

        Targets on one shared store share one reader of it (console/sources/store.py).
        """
        from console.sources import build_source_set
        from console.sources.store import StoreRegistry

        stores = StoreRegistry()

        def make(target: TargetSettings) -> SourceSet:
            return build_source_set(settings, target, clock, stores)

        target = settings.target
        fleet = {t.name: make(t) for t in settings.targets}
        sources = fleet[target.name]
        runner = ActionRunner(target, sources, audit or AuditLog(None, clock),
                              read_only=settings.read_only, user=user)
        app = cls(settings, sources, runner, clock, export_dir,
                  fleet=fleet if settings.fleet else None, source_factory=make)
        app.stores = stores
        if settings.record:
            app.recorder = recorder_for(settings, clock, TREND_POINTS)
        return app

    # ------------------------------------------------ what the screens read
    @property
    def overview(self) -> OverviewScreen:
        assert self._overview is not None, "the overview exists once the App runs"
        return self._overview

    @property
    def sources(self) -> SourceSet:
        """The sources of the target the overview shows."""
        return self.switcher.current

    @property
    def runner(self) -> ActionRunner:
        """The action runner, bound to the target the overview shows."""
        return self.switcher.runner

    # Shorthands into the state and the switcher, for scripts and tests that drive the
    # console from outside (the integration tests read these while they inject faults).
    @property
    def current_target(self) -> TargetSettings:
        return self.runner.target

    @property
    def targets(self) -> list[TargetSettings]:
        return self.state.targets

    @property
    def fleet_sources(self) -> dict[str, SourceSet]:
        return self.switcher.sources

    @property
    def latest(self) -> Latest:
        return self.state.latest

    @property
    def fleet_latest(self) -> dict[str, Latest]:
        return self.state.latest_of

    @property
    def polls(self) -> dict[SourceName, int]:
        return self.state.polls

    @property
    def is_fleet(self) -> bool:
        return self.state.is_fleet

    @property
    def recording(self) -> bool:
        """--record is writing (a failed recording stops, and its REC goes with it)."""
        return self.recorder is not None and self.recorder.failed is None

    def snapshot(self) -> Snapshot:
        return self.state.snapshot(self.settings, self.clock)

    # ---------------------------------------------------------------- start
    def get_default_screen(self) -> Screen[None]:
        self._overview = self.feed.screen(self)
        return self._overview

    def on_mount(self) -> None:
        if self.settings.low_bandwidth:
            self.animation_level = "none"
        if not self.is_headless:
            self.set_interval(1.0, self._watch_terminal)

    def start_feed(self) -> None:
        """The overview has mounted its panels: polls may arrive now."""
        self.feed.start()
        if self.is_fleet:
            self.action_fleet()

    def on_resize(self, event: Resize) -> None:
        # The event's size: App.size still holds the old one while this runs. Before the
        # overview has mounted it measures itself.
        if self._overview is not None and self._overview.ready:
            self._overview.check_size(event.size)
            self._overview.set_narrow(event.size.width)

    def _watch_terminal(self) -> None:
        """Exit when the terminal has gone away (SSH dropped) instead of spinning.

        With the pty's other side closed, stdin reads return EOF forever and
        Textual's input thread spins at 100 % CPU without exiting. A hung-up tty
        reports POLLHUP, so a cheap poll once a second is enough to notice.
        """
        import select

        fds = {f.fileno() for f in (sys.__stdin__, sys.__stdout__)
               if f is not None and not f.closed}
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)
        if any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
               for _, ev in poller.poll(0)):
            # Nobody can see a goodbye; if restoring the dead terminal hangs, still go.
            timer = threading.Timer(3.0, os._exit, (129,))
            timer.daemon = True
            timer.start()
            self.exit(return_code=129)

    async def on_event(self, event: Event) -> None:
        # A key typed while an action's dialog is on its way waits for that dialog
        # (screens/type_ahead.py) instead of acting on the screen behind it.
        if (isinstance(event, Key) and not event.is_forwarded
                and self.actions.type_ahead.take(event)):
            return
        await super().on_event(event)

    # ------------------------------------------------------------- the feed
    # A worker may post its result just before it is cancelled on quit; the App handles
    # it after its panels are removed, and drawing it then would crash the exit with
    # NoMatches. Results arriving while the App shuts down are dropped.
    def on_metrics_polled(self, event: MetricsPolled) -> None:
        self._polled(event)

    def on_cluster_polled(self, event: ClusterPolled) -> None:
        self._polled(event)

    def on_alerts_polled(self, event: AlertsPolled) -> None:
        self._polled(event)

    def _polled(self, event: Polled) -> None:
        """Any poll of any target: the reducer files it, the overview redraws what changed."""
        if not self.is_running:
            return
        now, result = self.clock(), event.result
        change = self.state.apply(event.target, event.source, result, now, event.origin)
        if change.source is not None and self.recorder is not None:
            self._recorded(self.recorder.record_poll(change.source, now, self.state.window_s,
                                                     result.status, result.reading))
            self._recorded(self.recorder.record_actions(now, self.state.window_s,
                                                        self.runner.audit.session))
        self.overview.show(change)
        self.feed.shown(change)
        if change.fleet and self.fleet_screen is not None and self.fleet_screen.is_attached:
            self.fleet_screen.refresh_data()

    def on_history_loaded(self, event: HistoryLoaded) -> None:
        now = self.clock()
        if self.state.apply_history(event.history, event.window_s, now, event.origin):
            if self.recorder is not None:
                self._recorded(self.recorder.record_history(now, event.window_s,
                                                            event.history))
            self.overview.render_models()

    def _recorded(self, error: str | None) -> None:
        # A full or vanished disk stops the recording, never the console; said once.
        if error:
            self.notify(error, title="recording stopped", severity="error", timeout=15)
            self.overview.render_title()

    def refresh_now(self, *names: SourceName) -> None:
        """Poll these sources at once (after an action) instead of at the next tick."""
        self.feed.refresh_now(*names)

    # ------------------------------------------------- console-wide keys
    def action_help(self) -> None:
        # The keys of the screen it is opened from: the help cannot drift from the keymap.
        self.push_screen(HelpScreen(help_rows(self, self.screen),
                                    self.runner.read_only_reason if self.runner.read_only
                                    else None))
        self.feed.help_shown()

    def action_pause(self) -> None:
        self.feed.toggle_pause()
        self.overview.render_title()

    def action_cycle_window(self) -> None:
        if self.feed.cycle_window():
            self.overview.render_title()

    async def action_quit(self) -> None:
        self.exit(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `f` only means something with several targets: otherwise not even in the footer.
        if action == "fleet":
            return self.is_fleet
        return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette offers the console's actions, not Textual's Theme or Screenshot."""
        return console_commands(self, screen)

    def action_fleet(self) -> None:
        """The fleet view: one row per target; `enter` opens one's overview."""
        if not self.is_fleet:
            return
        if self.fleet_screen is not None and self.fleet_screen in self.screen_stack:
            return
        self.fleet_screen = FleetScreen(self.state, self.settings, self.open_target)
        self.push_screen(self.fleet_screen)

    def open_target(self, name: str) -> None:
        """Show this fleet member's overview (from the fleet view's `enter` or `:ctx`)."""
        if self.fleet_screen is not None and self.fleet_screen in self.screen_stack:
            self.fleet_screen.dismiss()
        if name != self.state.current:
            self.switcher.show(name)

    def action_command(self) -> None:
        self.switcher.ask_command()

    def action_contexts(self) -> None:
        self.switcher.ask_context()

    async def run_command(self, text: str) -> None:
        """One `:` command line, as if typed (console/targets.py)."""
        await self.switcher.run_command(text)

    async def on_unmount(self) -> None:
        if self.recorder is not None:
            self.recorder.record_actions(self.clock(), self.state.window_s,
                                         self.runner.audit.session)
            self.recorder.close()
        await self.switcher.close_all()

