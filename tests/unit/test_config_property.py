"""Property tests: no input to the flag and config parser raises anything but ConfigError.

Hypothesis draws argv lists from the real flag names of every parser (with values
meant to hit the edges: negative and huge durations, odd URLs, files that are not
UTF-8, not PEM or endless), plus junk; config files built from the schema's own keys
with values of every TOML type (NaN and inf included), written with tomli-w; and random
environment values. Whatever it draws:
- parse + build_settings return Settings or raise ConfigError, nothing else;
- main() returns 2 with exactly one line on stderr and no traceback, or prints a config
  that --config reads back into the same printout.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import certifi
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli import build_parser, main, parse
from console.config.schema import ENDPOINT_KEYS, METRIC_ROLES, TARGET_KEYS, TOP_KEYS
from console.config.settings import ConfigError, Settings, build_settings, describe

HELP_AND_VERSION = {"-h", "--help", "--version"}
PARSERS = (build_parser()[0], *build_parser()[1].values())
FLAGS = sorted({name for p in PARSERS for name in p._option_string_actions} - HELP_AND_VERSION)
"""Every option of every parser; --help and --version (which exit 0 by design) apart."""
OWN_FLAGS = {name: sorted(set(p._option_string_actions) - HELP_AND_VERSION) for name, p in zip(
    ("", "snapshot", "doctor", "manifests", "replay"), PARSERS, strict=True)}
COMMANDS = [[], ["snapshot"], ["doctor"], ["manifests"], ["manifests", "rbac"],
            ["manifests", "rules"], ["replay"], ["frobnicate"], ["--"]]
ENV_NAMES = ["AI_GATEWAY_CONSOLE_" + name for name in (
    "DEMO", "PROMETHEUS_URL", "ALERTMANAGER_URL", "KUBECONFIG", "CONTEXT", "NAMESPACE",
    "DEPLOYMENT", "HPA", "PROFILE", "WINDOW", "REFRESH", "READ_ONLY", "TIMEOUT", "CONFIG",
    "LOW_BANDWIDTH", "RECORD", "RECORD_MAX_SIZE", "INSECURE_SKIP_TLS_VERIFY",
    "PROMETHEUS_TOKEN", "PROMETHEUS_TOKEN_FILE", "PROMETHEUS_USERNAME", "PROMETHEUS_PASSWORD",
    "PROMETHEUS_PASSWORD_FILE", "PROMETHEUS_CA_FILE", "ALERTMANAGER_TOKEN",
    "ALERTMANAGER_CA_FILE")] + ["PROMETHEUS_URL", "KUBECONFIG", "XDG_CONFIG_HOME", "HOME"]

FILES = {"good.token": b"tok-123\n", "latin1.token": b"t\xf6k\n", "spaced.token": b"a b\n",
         "empty": b"", "notpem.crt": b"nope\n", "bad.toml": b"window = \xff\n",
         "ok.toml": b'window = "1m"\n[prometheus]\nurl = "http://127.0.0.1:9"\n',
         "typo.toml": b'windw = "1m"\n', "nan.toml": b"refresh = nan\n"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("property-files")
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    return folder


# Paths are written relative to the files folder, which each example makes current.
paths = st.sampled_from([*FILES, "missing", "/dev/null", "/dev/zero", "/", certifi.where()])
junk = st.text(st.characters(exclude_characters="\x00", exclude_categories=()), max_size=12)
durations = st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,2})?(ms|s|m|h|d|x)?", fullmatch=True) | (
    st.sampled_from(["1" * 400 + "s", "nan", "inf", "0", "1e400", "5m5", "-", "1h30m"]))
urls = st.sampled_from(["http://[::1", "http://", "http://a b", "http://p:99999", "http://p:0",
                        "ftp://p", "p:9090", "http://é.example", "http://p/\x1b[2J", ""])
headers = st.sampled_from(["novalue", ": v", "X-Ö: 1", "X: é", "X Y: z"])
names = st.sampled_from(["Bad_NS", "a,b,,c", "-x", "a" * 300])
sizes = st.sampled_from(["1e400MB", "0", "-1MB", "2TB", "10KB", "MB"])
words = st.sampled_from(["maybe", "3", "99", "-1", "", "earthquake", "nginx"])
values = st.one_of(durations, urls, headers, paths, junk, names, sizes, words)
GOOD: tuple[tuple[str, st.SearchStrategy[str], st.SearchStrategy[str]], ...] = (
    ("url", st.sampled_from(["http://127.0.0.1:9", "https://p:443/x/", "http://u:pw@p",
                             "http://[::1]:9090"]), urls),
    ("header", st.sampled_from(["X-Org: t1", "Authorization: Bearer x", "X-Empty:"]), headers),
    ("ca-file", st.just(certifi.where()), paths), ("ca_file", st.just(certifi.where()), paths),
    ("profile", st.sampled_from(["seed", "kong", "litellm"]), words),
    ("file", st.just("good.token"), paths),
    ("config", st.sampled_from(["ok.toml", "/dev/null"]), paths),
    ("record-max", st.sampled_from(["20MB", "512KiB", "1048576"]), sizes),
    ("record_max", st.sampled_from(["20MB", "512KiB", "1048576"]), sizes),
    ("label", st.sampled_from(["cluster", "k8s_cluster"]), names),
    ("record", st.just("rec.jsonl.gz"), paths), ("kubeconfig", st.just("kubeconfig"), paths),
    ("output", st.just("out.txt"), paths),
    ("window", st.sampled_from(["1m", "5m", "1h30m", "90s"]), durations),
    ("refresh", st.sampled_from(["2s", "250ms", "1m"]), durations),
    ("timeout", st.sampled_from(["1s", "10s", "1500ms"]), durations),
    ("seed", st.sampled_from(["7", "-3", "12345678901234567890"]), junk),
    ("clusters", st.sampled_from(["1", "3", "8"]), st.sampled_from(["0", "9", "x", "-2"])),
    ("demo", st.sampled_from(["steady", "crashloop", "hpa-maxed"]), words),
    ("username", st.just("ops"), st.just("a:b")),
    ("", st.sampled_from(["ai-services", "gw", "prod", "a,b", "edge-hpa"]), names),
)


# The strategy builders are cached: drawing the same strategy again is what Hypothesis
# expects, and building and validating them anew on every draw took most of the time.
@functools.cache
def value_for(name: str, *, tame: bool = False) -> st.SearchStrategy[str]:
    """A value for this flag or key: mostly a good one, else one at an edge, or any value.

    `tame`: good ones only, so that enough examples get through to the round trip; else
    the edges (the values that raised tracebacks once) are drawn as often as good ones.
    """
    good, bad = next((good, bad) for part, good, bad in GOOD if part in name)
    return good if tame else st.one_of(good, bad, values)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """Mostly the command's own flags with values meant for them; some other flags, junk."""
    tame = draw(st.booleans())
    command = draw(st.sampled_from(COMMANDS[:6] if tame else COMMANDS))
    parser = OWN_FLAGS.get(command[0] if command else "", OWN_FLAGS[""])
    argv = list(command)
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(3, 29) if tame else st.integers(0, 29))
        if kind == 0:
            argv.append(draw(junk))
        elif kind == 1:
            argv.append(draw(values))
        else:
            flag = draw(st.sampled_from(FLAGS if kind == 2 else parser))
            argv.append(flag)
            if tame or draw(st.integers(0, 9)):
                argv.append(draw(value_for(flag, tame=tame)))
    return argv


# In the environment: no NUL, and only the surrogates that undecodable bytes become.
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
env_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=SURROGATES)
                   | st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), max_size=12)
envs = st.sampled_from(ENV_NAMES).flatmap(lambda name: st.dictionaries(
    st.just(name), st.one_of(value_for(name.lower(), tame=True), value_for(name.lower()),
                             env_text),
    max_size=1)) | st.dictionaries(st.sampled_from(ENV_NAMES), env_text, max_size=3)


@functools.cache
def toml_values(depth: int = 1) -> st.SearchStrategy[Any]:
    """Any TOML value: every type, NaN and inf, nested arrays and tables."""
    scalars = st.one_of(st.booleans(), st.integers(-10**20, 10**20), st.floats(),
                        st.text(max_size=10), durations, urls, st.dates(), st.datetimes())
    if depth == 0:
        return scalars
    inner = toml_values(depth - 1)
    return st.one_of(scalars, st.lists(inner, max_size=3),
                     st.dictionaries(st.text(max_size=6) | st.sampled_from(
                         [*ENDPOINT_KEYS, *METRIC_ROLES]), inner, max_size=3))


BOOLEANS = ("read_only", "low_bandwidth", "insecure_skip_tls_verify")
metric_names = st.sampled_from(["my_requests_total", "", "llm", "0.001", "true", "x y"])


@functools.cache
def key_value(key: str, tame: bool) -> st.SearchStrategy[Any]:
    """A value for this config key: mostly of its own type (good or at an edge), else any."""
    own: st.SearchStrategy[Any]
    if key in BOOLEANS:
        own = st.booleans()
    elif key == "headers":
        own = st.dictionaries(
            st.sampled_from(["X-Org", "Authorization", *([] if tame else ["X-Ö", "X Y"])]),
            st.sampled_from(["t1", "x", *([] if tame else ["é", "\x1b[2J"])]), max_size=2,
        ) | st.lists(value_for("header", tame=tame), max_size=2)
    elif key == "prices":
        own = st.dictionaries(st.sampled_from(["gpt-4.1", "mine"]), st.floats(0, 100) if tame
                              else st.floats(-1, 100) | st.just(math.nan), max_size=2)
    elif key == "metrics":
        own = st.dictionaries(st.sampled_from(METRIC_ROLES), metric_names, max_size=3)
    elif key == "context":
        own = value_for("context", tame=tame)
        if not tame:  # an array is right at the top level only
            own |= st.lists(value_for("context"), min_size=1, max_size=3)
    elif key in ("window", "refresh", "timeout"):
        own = value_for(key, tame=tame) | (st.sampled_from([90, 2.5, 300.25]) if tame else
                                            st.floats(-1, 1e6) | st.just(math.inf))
    else:
        own = value_for(key, tame=tame)
    return own if tame else st.one_of(own, own, toml_values(1))


def tables(keys: Mapping[str, Any], tame: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A table of mostly known keys (now and then a typo or junk), each with a drawn value."""
    known = st.sampled_from(sorted(keys))
    names = known if tame else st.one_of(*[known] * 9, st.text(min_size=1, max_size=8))
    return st.lists(names, max_size=6, unique=True).flatmap(
        lambda drawn: st.fixed_dictionaries({name: key_value(name, tame) for name in drawn}))


FLAT_TOP = {k: v for k, v in TOP_KEYS.items()
            if k not in ("prometheus", "alertmanager", "targets")}
FLAT_TARGET = {k: v for k, v in TARGET_KEYS.items() if k not in ("prometheus", "alertmanager")}


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    tame = draw(st.booleans())
    cfg = draw(tables(FLAT_TOP, tame))
    for api in ("prometheus", "alertmanager"):
        if draw(st.booleans()):
            cfg[api] = draw(tables(ENDPOINT_KEYS, tame))
    if draw(st.booleans()):
        targets = draw(st.lists(tables(FLAT_TARGET, tame), max_size=3))
        for index, target in enumerate(targets):
            if tame:
                target["name"] = f"target-{index}"
            if draw(st.booleans()):
                target["prometheus"] = draw(tables(ENDPOINT_KEYS, tame))
        cfg["targets"] = targets
    return cfg


@contextlib.contextmanager
def in_folder(folder: Path, env: dict[str, str]) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            yield out, err
    finally:
        os.chdir(cwd)


def load(flags: dict[str, Any], env: dict[str, str]) -> Settings | None:
    """build_settings, where ConfigError is an answer (None) and anything else a failure."""
    try:
        return build_settings(flags, env)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return None


PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(argv=argvs(), env=envs)
def test_parse_and_build_raise_only_config_error(argv: list[str], env: dict[str, str],
                                                 files: Path) -> None:
    with in_folder(files, {"HOME": str(files)}) as (out, _):
        try:
            command, ns = parse(argv)
        except ConfigError:
            return
        except SystemExit as stop:  # --help or --version spelt short (--he, --vers)
            assert stop.code == 0 and out.getvalue().startswith(("usage:", "ai-gateway-console"))
            return
        if command != "replay":
            load(vars(ns), {"HOME": str(files), **env})


@PROPERTY
@given(argv=argvs(), env=envs)
def test_main_is_one_line_and_exit_2_or_a_config_that_reads_back(
        argv: list[str], env: dict[str, str], files: Path) -> None:
    # --print-config last: whatever else the argv says, nothing starts or connects.
    with in_folder(files, {"HOME": str(files), **env}) as (out, err):
        try:
            code = main([*argv, "--print-config"])
        except SystemExit as stop:
            assert stop.code == 0 and out.getvalue().startswith(("usage:", "ai-gateway-console"))
            return
    if code == 2:
        assert out.getvalue() == ""
        lines = err.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ai-gateway-console: error: "), lines
        assert "Traceback" not in err.getvalue()
        return
    assert code == 0, (code, err.getvalue())
    assert_reads_back(out.getvalue(), files)


def assert_reads_back(printed: str, folder: Path) -> None:
    """--config accepts the printout, and printing what it gives prints the same settings."""
    tomllib.loads(printed)
    config = folder / "printed.toml"
    config.write_text(printed)
    with in_folder(folder, {}):  # relative paths in it are relative to where it was printed
        again = build_settings({"config": str(config), "allow_no_prometheus": True},
                               {"HOME": str(folder)})

    def settings_lines(text: str) -> list[str]:  # comments name the file and left-out secrets
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert settings_lines(describe(again)) == settings_lines(printed)


@PROPERTY
@given(cfg=configs(), env=envs)
def test_any_config_file_gives_settings_or_one_config_error(
        cfg: dict[str, Any], env: dict[str, str], files: Path) -> None:
    config = files / "drawn.toml"
    config.write_text(tomli_w.dumps(cfg))
    with in_folder(files, {"HOME": str(files)}):
        s = load({"config": str(config), "allow_no_prometheus": True}, {"HOME": str(files)})
        if s is not None:
            assert_reads_back(describe(s), files)
        load({"config": str(config)}, {"HOME": str(files), **env})
