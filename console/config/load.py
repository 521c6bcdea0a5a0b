"""Build the Settings: flags > environment > config file > defaults, every value checked.

Whatever the input — a config file that is not UTF-8, `window = nan`, a table where a
string goes, a typo in a key, a URL with no host — the only exception that leaves
`load_settings` is ConfigError, whose message is one line naming the flag, variable or
key to fix. The CLI prints it and exits 2; a Hypothesis test holds us to that.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from console.config import values
from console.config.endpoint import TIMEOUT_RANGE, build_endpoint
from console.config.layers import Found, Layers
from console.config.limits import ReadLimits
from console.config.profiles import DEFAULT_PRICES_PER_MTOK, PROFILES, profile_named
from console.config.schema import check_config
from console.config.targets import build_targets, scenario
from console.config.types import (
    ConfigError,
    Settings,
    TargetSettings,
    default_config_path,
)

MAX_CONFIG_FILE = 1024 * 1024
"""A config file larger than this is the wrong file; reading stops there (think /dev/zero)."""
WINDOW_RANGE = values.Bounds(at_least=1.0, at_most=365 * 86400.0)
REFRESH_RANGE = values.Bounds(at_least=0.1, at_most=3600.0)
MIN_RECORD_SIZE = 64 * 1024
"""Smallest --record-max-size: below it, rotation would churn."""
MIN_BODY_SIZE = 64 * 1024
"""Smallest --max-body-size: below it, an ordinary answer of a small gateway is refused."""
DEADLINE_RANGE = values.Bounds(at_least=0.1, at_most=3600.0)


def load_settings(flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Merge argparse's values (None where a flag was not given) with env and config file."""
    env = os.environ if env is None else env
    given = Layers(flags, env, {}, "").pick("config")
    path = (Path(os.path.expanduser(values.nonempty(*given))) if given
            else default_config_path(env))
    cfg, found = read_config(path, explicit=bool(given))
    layers = Layers(flags, env, cfg, str(path))
    return _merge(layers, config_path=str(path) if found else None)


def read_config(path: Path, explicit: bool) -> tuple[dict[str, Any], bool]:
    """The checked top-level table of the config file, and whether there was one."""
    try:
        if not path.exists():
            if explicit:
                raise ConfigError(f"config file {path} does not exist")
            return {}, False
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_FILE:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_FILE // 1024}KB")
    try:
        cfg = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        check_config(cfg)
    except ConfigError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    return cfg, True


def _merge(layers: Layers, config_path: str | None) -> Settings:
    flags = layers.flags
    demo_found = layers.pick("demo")
    demo = scenario(*demo_found) if demo_found else None
    profile = _profile(layers, demo is not None)
    overrides = {str(k): str(v) for k, v in layers.cfg.get("metrics", {}).items()}
    try:
        profile_named(profile).with_overrides(overrides)
    except ValueError as exc:
        raise ConfigError(layers.in_file(str(exc))) from None
    window_s = values.duration(*_or(layers.pick("window"), "5m", "--window"), WINDOW_RANGE)
    refresh_s = values.duration(*_or(layers.pick("refresh"), "2s", "--refresh"),
                                REFRESH_RANGE)
    read_only = values.boolean(*_or(layers.pick("read_only"), False, "--read-only"))
    timeout = layers.pick("timeout")
    # An endpoint's own `timeout` outranks the top-level one, flags and environment both.
    default_timeout = (values.duration(*timeout, TIMEOUT_RANGE) if timeout
                       else min(10.0, max(2.0, refresh_s * 2)))
    limits = read_limits(layers)
    defaults = _default_target(layers, read_only, default_timeout, limits)
    targets = build_targets(layers, defaults, demo, default_timeout)
    # No URL: Prometheus is looked for in the cluster, which needs a kubeconfig to ask.
    lost = [] if demo is not None else [
        t.name for t in targets if t.prometheus is None and not _has_kubeconfig(t, layers.env)]
    if demo is None and lost and not (
            flags.get("allow_no_prometheus") or flags.get("print_config")):
        raise ConfigError(
            "no Prometheus configured and no kubeconfig to find one in the cluster: give "
            "--prometheus-url (or PROMETHEUS_URL), a kubeconfig, or run the embedded demo "
            "with --demo"
            if len(targets) == 1 else
            f"target {values.shown(lost[0])} has no Prometheus: give it a "
            "[targets.prometheus] url, a shared one with --prometheus-url, or a kubeconfig"
        )
    record = layers.pick("record")
    seed = flags.get("seed")
    return Settings(
        targets=targets,
        demo=demo,
        profile=profile,
        metrics_overrides=overrides,
        window_s=window_s,
        refresh_s=refresh_s,
        read_only=read_only,
        config_path=config_path,
        prices=_prices(layers.cfg),
        seed=int(seed) if seed is not None else None,
        low_bandwidth=values.boolean(*_or(layers.pick("low_bandwidth"), False,
                                          "--low-bandwidth")),
        record=values.nonempty(*record) if record else None,
        record_max_bytes=values.size(*_or(layers.pick("record_max_size"), "20MB",
                                          "--record-max-size"), at_least=MIN_RECORD_SIZE),
        limits=limits,
    )


def _has_kubeconfig(target: TargetSettings, env: Mapping[str, str]) -> bool:
    """A kubeconfig file exists for the target, or it runs in a pod (its service account)."""
    from console.sources.kubeconfig import kubeconfig_path

    path = kubeconfig_path(target.kubeconfig, env)
    # os.path.expanduser leaves "~nosuchuser" as it is; Path.expanduser raises.
    return path is None or any(os.path.isfile(os.path.expanduser(p))
                               for p in path.split(os.pathsep) if p)


def _or(found: Found | None, default: Any, name: str) -> Found:
    return found if found is not None else (default, name)


def _profile(layers: Layers, demo: bool) -> str:
    """The profile named, else `auto` (detected from Prometheus when the console starts);
    the demo simulates the seed gateway."""
    found = layers.pick("profile")
    if found is None:
        return "seed" if demo else "auto"
    if found[0] not in PROFILES and found[0] != "auto":
        raise ConfigError(f"{found[1]}: unknown profile {values.shown(found[0])} "
                          f"(choose from auto, {', '.join(PROFILES)})")
    return str(found[0])


def _prices(cfg: Mapping[str, Any]) -> dict[str, float]:
    """The default price table with the config's `[prices]` (checked by the schema) on top."""
    prices = dict(DEFAULT_PRICES_PER_MTOK)
    for model, price in cfg.get("prices", {}).items():
        prices[str(model)] = float(price)
    return prices


def read_limits(layers: Layers) -> ReadLimits:
    """The read limits (flag > environment > config file > default), one set for all."""
    deadline = layers.pick("deadline")
    series = layers.pick("max_series")
    return ReadLimits(
        max_body_bytes=values.size(*_or(layers.pick("max_body_size"), "8MB",
                                        "--max-body-size"), at_least=MIN_BODY_SIZE),
        deadline_s=None if deadline is None else values.duration(*deadline, DEADLINE_RANGE),
        max_series=values.count(*series, at_least=1) if series else ReadLimits.max_series,
        exec_timeout_s=values.duration(*_or(layers.pick("exec_timeout"), "10s",
                                            "--exec-timeout"), DEADLINE_RANGE),
    )


def _default_target(layers: Layers, read_only: bool, timeout: float,
                    limits: ReadLimits) -> TargetSettings:
    """The top-level target settings, which every target starts from."""
    cfg = layers.cfg

    def name(key: str, default: str, *, label: bool = False) -> str:
        found = layers.pick(key)
        return values.kube_name(*found, label=label) if found else default

    kubeconfig = layers.pick("kubeconfig", ("KUBECONFIG",))
    cluster_label = layers.config("cluster_label")
    prom_pin, am_pin = (layers.pick(f"{api}_service") for api in ("prometheus", "alertmanager"))
    return TargetSettings(
        name="default",
        kubeconfig=values.nonempty(*kubeconfig) if kubeconfig else None,
        namespace=name("namespace", "ai-services", label=True),
        deployment=name("deployment", "ai-gateway"),
        hpa=name("hpa", "ai-gateway-hpa"),
        prometheus=build_endpoint("prometheus", layers, cfg.get("prometheus", {}),
                                  "[prometheus]", timeout, limits,
                                  top_url=layers.config("prometheus_url")),
        alertmanager=build_endpoint("alertmanager", layers, cfg.get("alertmanager", {}),
                                    "[alertmanager]", timeout, limits,
                                    top_url=layers.config("alertmanager_url")),
        read_only=read_only,
        cluster_label=(values.label_name(*cluster_label) if cluster_label else "cluster"),
        limits=limits,
        prometheus_service=values.service_ref(*prom_pin) if prom_pin else None,
        alertmanager_service=values.service_ref(*am_pin) if am_pin else None,
        request_timeout_s=timeout,
    )
