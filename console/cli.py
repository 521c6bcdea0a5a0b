"""The command line: the live console, `snapshot`, and the shared options.

Bad usage never shows a traceback: argparse's own errors and every bad value are one
ConfigError, printed as one line on stderr with exit code 2 (the README's Configuration).
Textual is imported only when the live console starts, so `snapshot` stays a
light, scriptable command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from console import __version__
from console.clock import Clock, system_clock
from console.config.settings import SCENARIOS, ConfigError, Settings, build_settings, describe
from console.config.values import shown
from widgets.textual_patches import install as install_textual_patches

PROG = "ai-gateway-console"
SUBCOMMANDS = ("snapshot", "replay", "doctor", "manifests")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports errors in one line and exits 2 without usage noise."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def _add_sources(p: argparse.ArgumentParser, *, fleet: bool = False) -> None:
    g = p.add_argument_group("sources")
    g.add_argument("--demo", nargs="?", const="steady", default=None, metavar="SCENARIO",
                   help=f"run on the embedded simulator ({', '.join(SCENARIOS)}; default steady)")
    g.add_argument("--prometheus-url", help="Prometheus-compatible API (Thanos, Mimir, VM too)")
    g.add_argument("--alertmanager-url", help="Alertmanager API, for silenced state and silences")
    g.add_argument("--prometheus-service", metavar="NS/NAME:PORT",
                   help="read this Prometheus Service through the API server (default, "
                        "with no URL: the best one found in the cluster)")
    g.add_argument("--alertmanager-service", metavar="NS/NAME:PORT",
                   help="the same for Alertmanager")
    g.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    g.add_argument("--context", action="append",
                   help="kubeconfig context (default: the current one)" + (
                       "; repeat it, or give a,b,c, for several clusters on one shared "
                       "Prometheus" if fleet else ""))
    if fleet:
        g.add_argument("--demo-clusters", type=int, metavar="N",
                       help="with --demo: a fleet of N simulated clusters (the fleet view)")
    _add_names(g)


def _add_names(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--namespace", help="namespace of the gateway (default ai-services)")
    g.add_argument("--deployment", help="the gateway's Deployment (default ai-gateway)")
    g.add_argument("--hpa", help="the gateway's HPA (default ai-gateway-hpa)")
    g.add_argument("--profile", help="metric names: auto (the default: detected from the "
                   "metric names), seed, litellm, envoy-ai-gateway, kong")


def _add_connection(p: argparse.ArgumentParser) -> None:
    a = p.add_argument_group("connection (tokens come from files or the environment only)")
    a.add_argument("--prometheus-token-file", help="file holding a bearer token for Prometheus")
    a.add_argument("--alertmanager-token-file", help="file holding a bearer token for Alertmanager")
    a.add_argument("--prometheus-username", help="basic-auth user (password: env or file)")
    a.add_argument("--prometheus-password-file", help="file holding the basic-auth password")
    a.add_argument("--prometheus-ca-file", help="CA bundle to verify Prometheus' TLS certificate")
    a.add_argument("--alertmanager-ca-file", help="CA bundle for Alertmanager")
    a.add_argument("--prometheus-header", action="append", metavar="'NAME: VALUE'",
                   help="extra header, e.g. 'X-Scope-OrgID: tenant' (repeatable)")
    a.add_argument("--alertmanager-header", action="append", metavar="'NAME: VALUE'")
    a.add_argument("--insecure-skip-tls-verify", action="store_const", const=True, default=None,
                   help="do not verify TLS certificates (unsafe; warned at start)")
    a.add_argument("--timeout", help="HTTP timeout per request (default: 2 x refresh, 2s..10s)")
    a.add_argument("--deadline", help="longest one request may take, its whole answer included "
                                      "(default: --timeout)")
    a.add_argument("--max-body-size", metavar="SIZE",
                   help="largest answer read from a source (default 8MB)")
    a.add_argument("--max-series", metavar="N",
                   help="models read per refresh; beyond it the busiest (default 2000)")
    a.add_argument("--exec-timeout", help="longest a kubeconfig exec plugin may take "
                                          "(default 10s)")


def _add_view(g: argparse._ArgumentGroup, *, live: bool, read_only: bool) -> None:
    g.add_argument("--window", help="rate window: 1m, 5m, 15m, 1h (default 5m)")
    if live:
        g.add_argument("--refresh", help="refresh interval (default 2s)")
    if read_only:
        g.add_argument("--read-only", action="store_const", const=True, default=None,
                       help="disable every action" if live else "a denied action is no failure")
    if live:
        g.add_argument("--low-bandwidth", action="store_const", const=True, default=None,
                       help="for slow SSH links: no trend columns, cluster panels every 3rd "
                            "refresh, no animations")
        g.add_argument("--record", metavar="FILE",
                       help="append every refresh to FILE (.gz: compressed) for `replay`")
        g.add_argument("--record-max-size", metavar="SIZE",
                       help="rotate the recording to FILE.1 past this size (default 20MB)")


def _add_config(p: argparse.ArgumentParser) -> None:
    c = p.add_argument_group("configuration")
    c.add_argument("--config", help="TOML config file (default: XDG config path)")
    c.add_argument("--print-config", action="store_true",
                   help="print the effective settings as a config file (secrets left out) "
                        "and exit")
    c.add_argument("--seed", type=int, help=argparse.SUPPRESS)


SUBCOMMAND_HELP = {
    "snapshot": "print one snapshot (text, json, markdown) and exit",
    "doctor": "preflight: reachability, metrics found, RBAC",
    "manifests": "YAML to kubectl apply: rbac (Roles) or rules (a PrometheusRule)",
    "replay": "review a session recorded with --record",
}


def build_parser() -> tuple[OneLineParser, dict[str, OneLineParser]]:
    epilog = "subcommands (each has --help):\n" + "\n".join(
        f"  {name:<10} {text}" for name, text in SUBCOMMAND_HELP.items())
    main = OneLineParser(prog=PROG, description="The on-call console for an AI API gateway.",
                         epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_sources(main, fleet=True)
    _add_connection(main)
    _add_view(main.add_argument_group("view"), live=True, read_only=True)
    _add_config(main)
    snap = OneLineParser(prog=f"{PROG} snapshot",
                         description="Print one snapshot after the first complete refresh.")
    _add_sources(snap)
    _add_connection(snap)
    out = snap.add_argument_group("output")
    _add_view(out, live=False, read_only=False)
    out.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    out.add_argument("--output", help="write to FILE instead of standard output")
    out.add_argument("--target", metavar="NAME",
                     help="only this target of the fleet (default: every target)")
    _add_config(snap)
    return main, {"snapshot": snap, "doctor": _doctor_parser(), "manifests": _manifests_parser(),
                  "replay": _replay_parser()}


def _doctor_parser() -> OneLineParser:
    """`doctor`: preflight checks; --read-only matters (a denied action is then no failure)."""
    doctor = OneLineParser(prog=f"{PROG} doctor", description="Check reachability, metrics "
                           "and RBAC; exit 1 when a check fails.")
    _add_sources(doctor)
    _add_connection(doctor)
    checks = doctor.add_argument_group("checks")
    _add_view(checks, live=False, read_only=True)
    checks.add_argument("--target", metavar="NAME",
                        help="only this target of the fleet (default: every target)")
    _add_config(doctor)
    return doctor


def _manifests_parser() -> OneLineParser:
    """`manifests rbac|rules`: YAML from the names and the profile; no source is contacted."""
    man = OneLineParser(prog=f"{PROG} manifests",
                        description="Print YAML to kubectl apply: a least-privilege Role and "
                        "RoleBinding (rbac) or a PrometheusRule (rules).")
    man.add_argument("kind", nargs="?", choices=("rbac", "rules"), metavar="rbac|rules",
                     help="rbac: Roles and RoleBindings; rules: a PrometheusRule")
    _add_names(man.add_argument_group("the gateway"))
    where = man.add_argument_group("rbac: Services read through the API server (with no "
                                   "Prometheus URL in the config or environment)")
    for api in ("prometheus", "alertmanager"):
        where.add_argument(f"--{api}-service", metavar="NS/NAME:PORT",
                           help=f"the {api} Service, to grant it alone")
    man.add_argument("--variant", choices=("read-only", "operator", "both"), default="both",
                     help="rbac: which Role (default both)")
    man.add_argument("--readers", default="ai-gateway-oncall-readers",
                     help="rbac: group bound to the read-only Role")
    man.add_argument("--operators", default="ai-gateway-oncall-operators",
                     help="rbac: group bound to the operator Role")
    man.add_argument("--label", action="append", metavar="KEY=VALUE",
                     help="rules: extra label, e.g. release=kube-prometheus-stack (repeatable)")
    man.add_argument("--runbook-base", default="README.md", metavar="URL",
                     help="rules: the README the runbook_url annotations link to "
                          "(default README.md; give its address so Alertmanager can open it)")
    _add_config(man)
    man.set_defaults(allow_no_prometheus=True)  # YAML needs no Prometheus
    return man


def _replay_parser() -> OneLineParser:
    """`replay FILE...`: its own options only; it needs no Prometheus, only the recording."""

    def speed(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value <= 1000:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0 and at most 1000")
        return value

    p = OneLineParser(prog=f"{PROG} replay",
                      description="Review a session recorded with --record: pause, step, seek.")
    p.add_argument("file", nargs="+", metavar="FILE",
                   help="the recording; give FILE.1 FILE to replay across a rotation")
    p.add_argument("--speed", type=speed, default=1.0, help="playback speed (default 1)")
    p.add_argument("--paused", action="store_true", help="start paused on the first frame")
    return p


_NEGATIVE = re.compile(r"-[0-9.]")


def _join_negative_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`--refresh -1s` -> `--refresh=-1s`, so the value's own check says what is wrong.

    argparse reads `-1s` as an unknown option and says "expected one argument"; joined,
    the value reaches parse_duration, which says it is negative.
    """
    takes_value = {name for name, action in parser._option_string_actions.items()
                   if action.nargs is None and name.startswith("--")}
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in takes_value and _NEGATIVE.match(arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def parse(argv: Sequence[str]) -> tuple[str | None, argparse.Namespace]:
    main, subs = build_parser()
    args = list(argv)
    if args and args[0] in subs:
        sub = subs[args[0]]
        return args[0], sub.parse_args(_join_negative_values(sub, args[1:]))
    if args and not args[0].startswith("-"):
        raise ConfigError(f"unknown command {shown(args[0])} (commands: {', '.join(SUBCOMMANDS)})")
    return None, main.parse_args(_join_negative_values(main, args))


def one_line(message: str) -> str:
    """The message as one terminal-safe line: control characters escaped, length capped."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return flat if len(flat) <= 500 else flat[:500] + "…"


def _fail(message: object) -> int:
    print(f"{PROG}: error: {one_line(str(message))}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """The entry point: the command's exit code; 2 and one line on stderr for bad usage."""
    try:
        code = _run(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has gone (`| head -1`): stop quietly, as Unix tools do (their 141 is
        # 128 + SIGPIPE). Python flushes stdout once more at exit: send that to /dev/null.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        return 130
    return code


def _run(argv: list[str]) -> int:
    try:
        command, ns = parse(argv)
        flags: dict[str, Any] = vars(ns)
        if command == "replay":
            return run_replay(flags["file"], flags["speed"], flags["paused"])
        settings = build_settings(flags)
        if command == "manifests" and not flags.get("print_config"):
            from console.manifests import parse_labels

            if flags["kind"] is None:
                raise ConfigError("manifests: say which: rbac (Roles and RoleBindings) or "
                                  "rules (a PrometheusRule)")
            try:
                labels = parse_labels(flags.get("label"))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            if settings.profile == "auto":  # manifests asks no Prometheus: the default, said
                settings = replace(settings, profile="seed")
                if flags["kind"] == "rules":
                    print(f"{PROG}: warning: no --profile given: rules for the seed gateway "
                          "(give --profile litellm, kong or envoy-ai-gateway)", file=sys.stderr)
    except ConfigError as exc:
        return _fail(exc)
    if flags.get("print_config"):
        print(describe(settings))
        return 0
    if settings.target.prometheus and settings.target.prometheus.insecure_skip_tls_verify:
        print(f"{PROG}: warning: TLS certificates are not verified", file=sys.stderr)
    from console.sources.profile_detect import resolve_profile

    settings = resolve_profile(settings)  # `auto`: one query, before any source is built
    if command == "snapshot":
        return run_snapshot(settings, flags["format"], flags.get("output"),
                            target_name=flags.get("target"))
    if command == "doctor":
        from console.config.secrets import settings_scrubber
        from console.doctor.run import run_doctor
        from console.text.scrub import ScrubbedOutput

        report = ScrubbedOutput(sys.stdout)
        try:
            return run_doctor(settings, out=report, target_name=flags.get("target"))
        finally:
            report.emit(settings_scrubber(settings))
    if command == "manifests":
        from console.manifests import render

        print(render(flags["kind"], settings, variant=flags["variant"], readers=flags["readers"],
                     operators=flags["operators"], labels=labels,
                     runbook_base=flags["runbook_base"]), end="")
        return 0
    return run_console(settings)


def run_snapshot(settings: Settings, fmt: str, output: str | None, clock: Clock = system_clock,
                 target_name: str | None = None) -> int:
    """Print one snapshot per target (console/export/fleet_snapshot.py); exit 1 when a
    configured source failed (partial output still)."""
    from console.actions.files import write_private
    from console.config.secrets import settings_scrubber
    from console.export.fleet_snapshot import chosen_targets, collect_all, failure_lines, render_all

    try:
        targets = chosen_targets(settings, target_name)
    except ConfigError as exc:
        return _fail(exc)
    scrub = settings_scrubber(settings)
    # A backstop for a source stuck in a thread; each has its own deadline, which it
    # must reach first so that its own line (naming what hung) is the one printed.
    request_s = max((t.prometheus.deadline_s for t in targets if t.prometheus), default=5.0)
    backstop_s = max(5.0, request_s * 2, settings.limits.exec_timeout_s + 2.0)
    snapshots = asyncio.run(collect_all(settings, targets, clock, backstop_s))
    text = scrub(render_all(snapshots, targets, fmt, clock()))
    if output:
        try:
            write_private(Path(output), text + ("" if text.endswith("\n") else "\n"))
        except OSError as exc:
            return _fail(f"cannot write {output}: {exc.strerror}")
    else:
        print(text.rstrip("\n"))
    failed = failure_lines(snapshots, targets, PROG)
    for line in failed:
        print(scrub(line), file=sys.stderr)
    return 1 if failed else 0


def run_console(settings: Settings) -> int:
    from console.app import GatewayConsole
    from console.record.frames import RecordError

    install_textual_patches()  # before any widget: a refresh repaints only what changed
    try:
        app = GatewayConsole.from_settings(settings)
    except RecordError as exc:
        return _fail(exc)
    app.run()
    return app.return_code or 0


def run_replay(files: Sequence[str], speed: float, paused: bool) -> int:
    """Open the console on a recording; a missing or corrupt file is one line and exit 2."""
    from console.record.frames import RecordError
    from console.record.reading import load_recording

    try:
        recording = load_recording([Path(f).expanduser() for f in files])
    except RecordError as exc:
        return _fail(exc)
    from console.replay_app import open_replay

    install_textual_patches()  # before any widget: a refresh repaints only what changed
    app = open_replay(recording, speed=speed, playing=not paused)
    app.run()
    return app.return_code or 0
