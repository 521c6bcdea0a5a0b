"""Where a setting comes from: flag > environment > config file, and how to name each.

A value is looked up with its origin, so that an error says `--window`,
`AI_GATEWAY_CONSOLE_WINDOW` or `config file c.toml: window` — the place the user has
to go and fix — rather than one name for all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.config.types import ENV_PREFIX

Found = tuple[Any, str]
"""A value and the name of where it was found."""


@dataclass(frozen=True)
class Layers:
    flags: Mapping[str, Any]
    """argparse's values, None (or an empty list) where a flag was not given."""
    env: Mapping[str, str]
    cfg: Mapping[str, Any]
    """The config file's top-level table, already checked by config_schema."""
    cfg_path: str

    def flag(self, key: str) -> Found | None:
        value = self.flags.get(key)
        if value is None or value in ([], ()):
            return None
        return value, "--" + key.replace("_", "-")

    def environ(self, *names: str) -> Found | None:
        """The first of these variables that is set and not empty (empty means unset)."""
        for name in names:
            if self.env.get(name):
                return self.env[name], name
        return None

    def config(self, key: str, table: Mapping[str, Any] | None = None,
               where: str = "") -> Found | None:
        """`key` of the top level, or of `table` (named `where` in errors, e.g. `[prometheus]`)."""
        source = self.cfg if table is None else table
        if key not in source:
            return None
        return source[key], self.in_file(f"{where} {key}".strip())

    def in_file(self, what: str) -> str:
        return f"config file {self.cfg_path}: {what}"

    def pick(self, key: str, env_names: tuple[str, ...] = ()) -> Found | None:
        """A top-level setting: --key, AI_GATEWAY_CONSOLE_KEY (and `env_names`), then `key`."""
        return (self.flag(key) or self.environ(ENV_PREFIX + key.upper(), *env_names)
                or self.config(key))

    def without_flags_and_env(self) -> Layers:
        """For a [[targets]] table: its own keys are not overridden by flags or environment."""
        return Layers({}, {}, self.cfg, self.cfg_path)
