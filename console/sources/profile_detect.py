"""`--profile auto`: which gateway this Prometheus watches, from the metric names present.

One cheap query, `group by (__name__) ({__name__=~"<each profile's request counter>"})`,
asked once when the console, `snapshot` or `doctor` starts: each profile's request counter
is a name only that product exports (console/config/profiles.py cites where). The user's
explicit profile always wins (this runs only for `auto`); nothing found, or no answer, keeps
the default profile and says so, never a guess. No Textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from console.config.profiles import PROFILES
from console.config.types import HttpEndpoint, Settings
from console.sources.base import SourceError
from console.sources.http_client import ApiClient
from console.sources.prometheus_answers import parse_vector

AUTO = "auto"
DEFAULT_PROFILE = "seed"
"""What `profile_named("auto")` reads too (console/config/profiles.py)."""


def request_metric(profile: str) -> str:
    """The bare name of a profile's request counter (its selector, if any, left out)."""
    return PROFILES[profile].requests.partition("{")[0].strip()


def detection_query() -> str:
    names = "|".join(request_metric(name) for name in PROFILES)
    return f'group by (__name__) ({{__name__=~"{names}"}})'


@dataclass(frozen=True, slots=True)
class Detection:
    profile: str
    note: str
    """What the title and `doctor` say: `auto: litellm_... found`."""
    found: bool


def choose(names: set[str]) -> Detection:
    """The profile whose request counter is present; the first in PROFILES if several."""
    # The seed gateway last: a real product's names are the better evidence.
    hits = sorted((name for name in PROFILES if request_metric(name) in names),
                  key=lambda name: name == DEFAULT_PROFILE)
    if not hits:
        return Detection(DEFAULT_PROFILE, f"auto: no known gateway metric found, using "
                         f"{DEFAULT_PROFILE} (give --profile)", False)
    also = f"; also {', '.join(hits[1:])} (give --profile to choose)" if hits[1:] else ""
    return Detection(hits[0], f"auto: {request_metric(hits[0])} found{also}", True)


async def detect(endpoint: HttpEndpoint) -> Detection:
    api = ApiClient(endpoint, "Prometheus")
    try:
        answer = await api.get_json("/api/v1/query", {"query": detection_query()})
        names = {labels.get("__name__", "") for labels, _ in parse_vector(answer)}
    except SourceError as exc:
        return Detection(DEFAULT_PROFILE, f"auto: cannot ask Prometheus ({exc}), using "
                         f"{DEFAULT_PROFILE}", False)
    finally:
        await api.aclose()
    return choose(names)


def resolve_profile(settings: Settings) -> Settings:
    """The settings with `auto` replaced by the detected profile (and the note kept)."""
    if settings.profile != AUTO:
        return settings
    endpoint = settings.target.prometheus
    if endpoint is None:
        found = Detection(DEFAULT_PROFILE, f"auto: no Prometheus, using {DEFAULT_PROFILE}",
                          False)
    else:
        found = asyncio.run(detect(endpoint))
    return replace(settings, profile=found.profile, profile_note=found.note)
