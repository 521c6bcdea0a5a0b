"""The one typed settings object, merged from flags > environment > config file > defaults.

This is the face of config/ the rest of the console imports: the types (types.py),
`build_settings` (the merge, load.py) and `describe` (the printout, printout.py). The
modules of config/ import types.py directly, never this one, so that nothing this
module imports imports it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.config.types import (
    ENV_PREFIX,
    SCENARIOS,
    WINDOWS,
    ConfigError,
    HttpEndpoint,
    Secret,
    Settings,
    TargetSettings,
    default_config_path,
    state_dir,
)

__all__ = [
    "ENV_PREFIX",
    "SCENARIOS",
    "WINDOWS",
    "ConfigError",
    "HttpEndpoint",
    "Secret",
    "Settings",
    "TargetSettings",
    "build_settings",
    "default_config_path",
    "describe",
    "state_dir",
]


def build_settings(flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Merge the parsed flags with the environment and the config file.

    `flags` holds argparse's values, None where a flag was not given, so that the lower
    layers can fill it in. The only exception it raises is ConfigError. Imported when
    called, as before the split: importing the types alone stays cheap.
    """
    from console.config.load import load_settings

    return load_settings(flags, env)


def describe(settings: Settings) -> str:
    """The effective settings as a config file `--config` reads back."""
    from console.config.printout import describe_settings

    return describe_settings(settings)
