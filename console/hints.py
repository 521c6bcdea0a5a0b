"""Triage hints for a model's errors, loaded from the editable data file `hints.toml`.

The runbook of the gateway (what a 401, 429, 503 or 400 means and which
kubectl commands fix it) belongs to the team that runs it, not to this code:
the text lives in `console/hints.toml`, and this module only loads it and fills
its placeholders. Filling is a plain lookup in a flat table of strings — never
`str.format`, whose attribute and index syntax would let a template reach into
objects — and live values from the gateway's ConfigMap are quoted only when
they are known, so a hint never states a guess as a fact.

No Textual here: the model drill-down renders what `hints_for` returns.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from console.analysis.finding import Finding
from console.model import ModelFigures, PodState
from console.text.format import fmt_seconds
from console.text.safe_text import clean_line
from console.text.scrub import mask_urls

HINTS_FILE = "hints.toml"

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.\-/]*)(?:\|([^{}]*))?\}")
_CREDENTIAL_WORDS = ("apikey", "accesskey", "privatekey", "password", "passwd", "secret",
                     "credential", "token")
_CREDENTIAL_KEY_WORDS = frozenset({"key", "auth", "authorization", "bearer", "cookie", "pwd",
                                   "creds", "session", "signature", "dsn"})
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


class HintsError(ValueError):
    """The hints file is missing or malformed; str(error) is one line saying where."""


@dataclass(frozen=True, slots=True)
class HintTemplate:
    """One error class's hint as written in the file, placeholders unfilled."""

    codes: tuple[str, ...]
    types: tuple[str, ...]
    title: str
    cause: str
    live: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    """Shown only while the analyzers find one of these causes (console/analysis)."""


@dataclass(frozen=True, slots=True)
class HintBook:
    """The whole file: the names of the gateway's objects and the hints."""

    context: Mapping[str, str]
    hints: tuple[HintTemplate, ...]

    @property
    def config_map(self) -> str:
        return self.context.get("config_map", "ai-gateway-config")

    @property
    def config_key(self) -> str:
        return self.context.get("config_key", "config.yaml")


@dataclass(frozen=True, slots=True)
class Hint:
    """A filled hint for one error class the model returns now."""

    code: str
    rate: float | None
    """Errors per second of this class (None when only a type matched)."""
    title: str
    cause: str
    live: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    note: str | None = None
    """Why live values are missing, when they are (e.g. the ConfigMap is forbidden)."""


# ------------------------------------------------------------------------------ loading


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise HintsError(f"{where}: expected a list of strings")


def parse_hints(text: str, source: str = HINTS_FILE) -> HintBook:
    """A HintBook from the TOML text; HintsError names the file and the fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HintsError(f"{source}: {exc}") from None
    context = data.get("context", {})
    if not isinstance(context, Mapping):
        raise HintsError(f"{source}: [context] must be a table")
    entries = data.get("hint", [])
    if not isinstance(entries, list):
        raise HintsError(f"{source}: [[hint]] must be an array of tables")
    hints = []
    for i, entry in enumerate(entries, 1):
        where = f"{source}: hint {i}"
        if not isinstance(entry, Mapping):
            raise HintsError(f"{where}: not a table")
        title, cause = entry.get("title"), entry.get("cause", "")
        if not isinstance(title, str) or not isinstance(cause, str):
            raise HintsError(f"{where}: title and cause must be strings")
        hints.append(HintTemplate(
            codes=_strings(entry.get("codes"), f"{where} codes"),
            types=_strings(entry.get("types"), f"{where} types"),
            title=title,
            cause=" ".join(cause.split()),
            live=_strings(entry.get("live"), f"{where} live"),
            steps=_strings(entry.get("steps"), f"{where} steps"),
            findings=_strings(entry.get("findings"), f"{where} findings"),
        ))
    return HintBook({str(k): str(v) for k, v in context.items()}, tuple(hints))


def load_hints(path: Path | None = None) -> HintBook:
    """The packaged hints.toml (or `path`); HintsError if it cannot be read or parsed."""
    try:
        if path is not None:
            text = path.read_text(encoding="utf-8")
            source = str(path)
        else:
            text = resources.files("console").joinpath(HINTS_FILE).read_text(encoding="utf-8")
            source = HINTS_FILE
    except (OSError, UnicodeDecodeError) as exc:
        raise HintsError(f"cannot read {path or HINTS_FILE}: {type(exc).__name__}") from None
    return parse_hints(text, source)


# ------------------------------------------------------------------------ live values


def parse_config(data: Mapping[str, str], key: str) -> Mapping[str, Any]:
    """The gateway's config file (YAML) from a ConfigMap's data; ValueError says what is wrong."""
    import yaml  # a dependency of the kubernetes client; imported only when needed

    if key not in data:
        raise ValueError(f"the ConfigMap has no key {key}")
    try:
        tree = yaml.safe_load(data[key])
    except yaml.YAMLError:
        raise ValueError(f"{key} in the ConfigMap is not valid YAML") from None
    if not isinstance(tree, Mapping):
        raise ValueError(f"{key} in the ConfigMap is not a mapping")
    return tree


def is_credential_key(key: str) -> bool:
    """A config key that names a credential: `api_key`, `apiKey`, `client-secret`,
    `password`, `auth.token`..., matched on its words so `keepalive` is not one."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    singular = {w[:-1] for w in words if w.endswith("s")}
    return bool(_CREDENTIAL_KEY_WORDS & (set(words) | singular)) or any(
        w in "".join(words) for w in _CREDENTIAL_WORDS)


def _shown(value: Any, secret: bool) -> str:
    """A config value as a hint may quote it: a credential's value (at any depth below a
    credential key, in lists too) only as an unresolved `${REF}`, and every URL with its
    password and query values masked (`?api_key=***`)."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}: {_shown(v, secret or is_credential_key(str(k)))}"
                          for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return ", ".join(_shown(v, secret) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if secret:
        return text if _REFERENCE.match(text) else "(set, not shown)"
    return mask_urls(text)


def flatten(tree: Mapping[str, Any], prefix: str, secret: bool = False) -> dict[str, str]:
    """{"prefix.a.b": "value"} for every leaf; lists joined with ", "; credentials masked
    by key name at any depth (see `_shown`)."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}"
        hidden = secret or is_credential_key(str(key))
        if isinstance(value, Mapping):
            out.update(flatten(value, name, hidden))
        else:
            out[name] = _shown(value, hidden)
    return out


def _mib(value: float) -> str:
    return f"{value / 2**20:.0f}Mi"


def _usage(pods: Sequence[PodState], kind: str) -> str | None:
    """The gateway pod closest to its limit, e.g. "highest 480m of 500m limit (96 %) on X"."""
    worst: tuple[float, str] | None = None
    for pod in pods:
        used = pod.cpu_millicores if kind == "cpu" else pod.memory_bytes
        limits = [c.cpu_limit_m if kind == "cpu" else c.memory_limit_bytes
                  for c in pod.containers]
        if used is None or not limits or any(limit is None for limit in limits):
            continue
        limit = math.fsum(v for v in limits if v is not None)
        if limit <= 0:
            continue
        shown = (f"{used:.0f}m of {limit:.0f}m" if kind == "cpu"
                 else f"{_mib(used)} of {_mib(limit)}")
        text = f"highest {shown} limit ({used / limit * 100:.0f} %) on {pod.name}"
        if worst is None or used / limit > worst[0]:
            worst = (used / limit, text)
    return None if worst is None else worst[1]


def hint_values(
    book: HintBook,
    *,
    namespace: str,
    deployment: str,
    model: ModelFigures,
    config: Mapping[str, Any] | None = None,
    pods: Sequence[PodState] | None = None,
) -> dict[str, str]:
    """The flat table of placeholder values; what cannot be known is simply absent."""
    values = dict(book.context)
    values.update(namespace=namespace, deployment=deployment, provider=model.provider,
                  model=model.model)
    values["config_key_jsonpath"] = book.config_key.replace(".", "\\.")
    if model.request_rate is not None and math.isfinite(model.request_rate):
        values["model_rpm"] = f"{model.request_rate * 60:.0f}"
    for name, figure in (("model_p99", model.p99_latency_s), ("model_p95", model.p95_latency_s),
                         ("model_ttft", model.ttft_p95_s)):
        if figure is not None and math.isfinite(figure):
            values[name] = fmt_seconds(figure)
    if config is not None:
        values.update(flatten(config, "cfg"))
        providers = config.get("providers")
        own = providers.get(model.provider) if isinstance(providers, Mapping) else None
        if isinstance(own, Mapping):
            values.update(flatten(own, "provider_cfg"))
            listed = own.get("models")
            if isinstance(listed, list):
                names = {str(m) for m in listed}
                values["model_listed"] = "is listed" if model.model in names else "is NOT listed"
    if pods is not None:
        ready = sum(1 for p in pods if p.ready)
        values["pods_ready"] = f"{ready}/{len(pods)} ready"
        for kind in ("cpu", "memory"):
            text = _usage(pods, kind)
            if text is not None:
                values[f"pods_{kind}"] = text
    # ConfigMap values are parsed YAML, whose "\e" and "\x9b" escapes make controls anew.
    return {k: clean_line(v) for k, v in values.items()}


# --------------------------------------------------------------------------- filling


def fill(template: str, values: Mapping[str, str], *, keep_unknown: bool = True) -> str | None:
    """The template with every placeholder replaced.

    An unknown placeholder takes its `|fallback` if it has one; otherwise it is
    kept as written (keep_unknown, so a typo in the file shows) or the whole
    line is refused (None), which is how live lines with unknown values drop out.
    """
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        whole = match.group(0)
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        name, fallback = match.group(1), match.group(2)
        if name in values:
            return values[name]
        if fallback is not None:
            return fallback
        unknown = True
        return whole

    text = _PLACEHOLDER.sub(replace, template)
    if unknown and not keep_unknown:
        return None
    return text


def _matching(
    book: HintBook, model: ModelFigures, kinds: Collection[str] = ()
) -> Iterable[tuple[HintTemplate, str, float | None]]:
    """(template, code or type, rate) for each error class of the model, biggest first.

    A hint for a cause found now (`kinds`) comes first and stands in for the general
    hints of the codes it names; one for a cause not found is never shown."""
    if model.errors_by_code:
        rates, names_of = model.errors_by_code, _codes
    else:
        # No code label (another profile): fall back on error types that name one class only.
        rates, names_of = model.errors_by_type, _types
    found = HintBook(book.context, tuple(h for h in book.hints if set(h.findings) & set(kinds)))
    covered: set[str] = set()
    for hint in found.hints:
        if not hint.codes and not hint.types:
            yield hint, hint.findings[0], None
    for hint, name, rate in _first_hints(found, rates, names_of):
        covered.update(names_of(hint))
        yield hint, name, rate
    general = HintBook(book.context, tuple(
        h for h in book.hints if not h.findings and not set(names_of(h)) & covered))
    yield from _first_hints(general, rates, names_of)


def _codes(hint: HintTemplate) -> Collection[str]:
    return hint.codes


def _types(hint: HintTemplate) -> Collection[str]:
    return hint.types


def _first_hints(
    book: HintBook, rates: Mapping[str, float],
    names_of: Callable[[HintTemplate], Collection[str]],
) -> Iterable[tuple[HintTemplate, str, float | None]]:
    """Each hint once, for the biggest of the error classes (by rate) that it names."""
    seen: set[int] = set()
    for name, rate in sorted(rates.items(), key=lambda kv: (-kv[1], kv[0])):
        if rate <= 0:
            continue
        for i, hint in enumerate(book.hints):
            if name in names_of(hint) and i not in seen:
                seen.add(i)
                yield hint, name, rate


def render_hint(
    template: HintTemplate, code: str, rate: float | None, values: Mapping[str, str],
    note: str | None = None,
) -> Hint:
    live = tuple(
        line for line in (fill(t, values, keep_unknown=False) for t in template.live)
        if line is not None
    )
    return Hint(
        code=code,
        rate=rate,
        title=fill(template.title, values) or template.title,
        cause=fill(template.cause, values) or template.cause,
        live=live,
        steps=tuple(fill(s, values) or s for s in template.steps),
        note=note if len(live) < len(template.live) else None,
    )


def hints_for(
    book: HintBook, model: ModelFigures, values: Mapping[str, str], note: str | None = None,
    findings: Sequence[Finding] = (),
) -> tuple[Hint, ...]:
    """The filled hint of every error class the model returns now, biggest rate first,
    after the hints of the likely causes (`findings`) that concern this model.

    `note` says why live values are missing (ConfigMap unreadable); it is kept
    on a hint only when that hint actually lost a live line.
    """
    own = [f for f in findings if f.concerns(model.provider, model.model)]
    filled = dict(values)
    if own:
        filled.update(finding_values(own[0]))
    return tuple(
        render_hint(t, code, rate, filled, note)
        for t, code, rate in _matching(book, model, {f.kind for f in own})
    )


def finding_values(finding: Finding) -> dict[str, str]:
    """The placeholders a likely cause fills: its words, its quote, what it concerns."""
    values = {"finding_cause": finding.cause, "finding_evidence": "; ".join(finding.evidence)}
    if finding.quote:
        values["finding_quote"] = finding.quote
    if finding.about:
        first = finding.about[0]
        if finding.kind == "hpa-pinned":
            values["hpa"] = first
        elif finding.kind == "provider-outage":
            values["provider"] = first
        elif "/" in first and finding.kind in ("latency", "model-errors"):
            values["provider"], values["model"] = first.split("/", 1)
        else:
            values["finding_pod"] = first
    return {k: clean_line(v) for k, v in values.items()}


def finding_hint(book: HintBook, finding: Finding, *, namespace: str, deployment: str
                 ) -> Hint | None:
    """The hint of a likely cause that concerns no one model (a crash, a pinned HPA)."""
    template = next((h for h in book.hints if finding.kind in h.findings), None)
    if template is None:
        return None
    values = dict(book.context)
    values.update(namespace=namespace, deployment=deployment)
    values = {k: clean_line(v) for k, v in values.items()}
    values.update(finding_values(finding))
    return render_hint(template, finding.kind, None, values)
