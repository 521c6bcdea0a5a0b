"""Alerts from Prometheus' rules, with their Alertmanager state; silences.

Prometheus is the truth about which alerts are pending or firing (Alertmanager
never sees pending ones); Alertmanager, when configured, adds what it did with
them: silenced, inhibited, and the silence ids that an "expire" needs. All
alerts Prometheus reports are shown: the rules a Prometheus evaluates are the
ones its users chose, and filtering here would hide an alert someone relies on.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from console.config.settings import HttpEndpoint
from console.model import Alert, AlertsReading
from console.sources.base import ActionError, SourceError
from console.sources.http_client import ApiClient, ServiceNotFound
from console.sources.matchers import RAW_LIMIT, Matcher, for_alert
from console.sources.silences import SilenceInfo, parse_silences
from console.text.durations import utc_stamp
from console.text.safe_text import LINE_LIMIT, NOTE_LIMIT, clean_line, clean_map

_FRACTION = re.compile(r"\.\d+")

RULES_CHECK_S = 300.0
"""How long a server seen evaluating alerting rules is believed to still do so."""


def rfc3339(value: Any) -> str | None:
    """`2026-11-26T10:34:52.659915258Z` (or any offset) as `2026-11-26T10:34:52Z`; Go's zero
    time and unparsable values are None."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub("", value, count=1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return utc_stamp(parsed)


def _str_map(value: Any, limit: int = LINE_LIMIT) -> dict[str, str]:
    """Labels or annotations, cleaned (console/text/safe_text.py): whoever writes a rule or posts
    an alert chooses them, and the silence dialog shows them."""
    return clean_map(value, limit) if isinstance(value, Mapping) else {}


def _raw_labels(value: Any, shown: Mapping[str, str]) -> dict[str, str]:
    """The label values cleaning changed, as sent (cut past RAW_LIMIT, so that an over-long
    one is known to be), under their shown names: a silence matches these."""
    if not isinstance(value, Mapping):
        return {}
    raw: dict[str, str] = {}
    for key, item in value.items():
        name, text = clean_line(str(key)), str(item)
        if shown.get(name) != text:
            raw[name] = text[:RAW_LIMIT + 1]
    return raw


def _http_url(value: Any) -> str | None:
    """A link the detail may show: http(s) only, one clean line, capped."""
    text = clean_line(str(value or ""))[:LINE_LIMIT]
    return text if text.startswith(("http://", "https://")) else None


def _summary(annotations: Mapping[str, str]) -> str | None:
    for key in ("summary", "description", "message"):
        if annotations.get(key):
            return annotations[key]
    return None


def parse_prometheus_alerts(payload: Any) -> list[dict[str, Any]]:
    """Pending and firing alerts of /api/v1/alerts as plain dicts; SourceError if malformed."""
    if not isinstance(payload, Mapping) or payload.get("status") != "success":
        error = payload.get("error") if isinstance(payload, Mapping) else None
        raise SourceError(f"Prometheus alerts: {error or 'malformed answer'}")
    data = payload.get("data")
    alerts = data.get("alerts") if isinstance(data, Mapping) else None
    if not isinstance(alerts, list):
        raise SourceError("Prometheus alerts: malformed answer (no alert list)")
    out = []
    for item in alerts:
        if not isinstance(item, Mapping) or item.get("state") not in ("firing", "pending"):
            continue
        labels = _str_map(item.get("labels"))
        out.append(
            {
                "labels": labels,
                "raw_labels": _raw_labels(item.get("labels"), labels),
                "annotations": _str_map(item.get("annotations"), NOTE_LIMIT),
                "state": str(item["state"]),
                "since": rfc3339(item.get("activeAt")),
            }
        )
    return out


def parse_alertmanager_alerts(payload: Any) -> list[dict[str, Any]]:
    """Alerts of Alertmanager's /api/v2/alerts with their status; SourceError if malformed."""
    if not isinstance(payload, list):
        raise SourceError("Alertmanager alerts: malformed answer (not a list)")
    out = []
    for item in payload:
        if not isinstance(item, Mapping):
            continue
        status = item.get("status")
        if not isinstance(status, Mapping):
            status = {}
        silenced_by = status.get("silencedBy") or []
        inhibited_by = status.get("inhibitedBy") or []
        labels = _str_map(item.get("labels"))
        out.append(
            {
                "labels": labels,
                "raw_labels": _raw_labels(item.get("labels"), labels),
                "fingerprint": clean_line(str(item.get("fingerprint") or "")),
                "state": clean_line(str(status.get("state") or "")),
                "silenced_by": tuple(clean_line(str(s)) for s in silenced_by if s),
                "inhibited": bool(inhibited_by),
                "annotations": _str_map(item.get("annotations"), NOTE_LIMIT),
                "since": rfc3339(item.get("startsAt")),
                "source_url": _http_url(item.get("generatorURL")),
            }
        )
    return out


def parse_silence_ends(payload: Any) -> dict[str, str]:
    """Active silences of /api/v2/silences: id -> end time (RFC 3339), for "silenced until"."""
    ends: dict[str, str] = {}
    for item in payload if isinstance(payload, list) else ():
        if not isinstance(item, Mapping):
            continue
        status = item.get("status")
        if isinstance(status, Mapping) and status.get("state") != "active":
            continue
        end = rfc3339(item.get("endsAt"))
        if end is not None and item.get("id"):
            ends[clean_line(str(item["id"]))] = end
    return ends


def _until(silence_ids: tuple[str, ...], ends: Mapping[str, str]) -> str | None:
    """The alert stays silenced until its last silence ends."""
    known = [ends[s] for s in silence_ids if s in ends]
    return max(known) if known else None


def from_alertmanager(alertmanager: list[dict[str, Any]], ends: Mapping[str, str]
                      ) -> tuple[Alert, ...]:
    """The alerts Alertmanager holds, when Prometheus cannot be read: Prometheus sent them
    and Alertmanager keeps them until they time out. Pending alerts never reach it."""
    alerts = []
    for am in alertmanager:
        labels: dict[str, str] = am["labels"]
        silenced_by: tuple[str, ...] = am["silenced_by"]
        alerts.append(Alert(
            name=labels.get("alertname", "(unnamed)"),
            state="suppressed" if am["state"] == "suppressed" else "firing",
            severity=labels.get("severity"),
            since=am["since"],
            summary=_summary(am["annotations"]),
            labels=labels,
            raw_labels=am["raw_labels"],
            silenced=bool(silenced_by),
            fingerprint=am["fingerprint"],
            inhibited=am["inhibited"],
            silence_ids=silenced_by,
            silenced_until=_until(silenced_by, ends),
        ))
    alerts.sort(key=lambda a: (a.name, sorted(a.labels.items())))
    return tuple(alerts)


def merge(prometheus: list[dict[str, Any]], alertmanager: list[dict[str, Any]] | None,
          ends: Mapping[str, str] | None = None) -> tuple[Alert, ...]:
    """One Alert per Prometheus alert, with the state Alertmanager holds for the same labels.

    Alertmanager's copy may carry Prometheus' external labels on top, so an
    exact label match is tried first and a superset match second.
    """
    exact: dict[frozenset[tuple[str, str]], dict[str, Any]] = {}
    for am in alertmanager or ():
        exact.setdefault(frozenset(am["labels"].items()), am)
    alerts = []
    matched: set[int] = set()
    for prom in prometheus:
        labels: dict[str, str] = prom["labels"]
        items = frozenset(labels.items())
        match = exact.get(items)
        if match is None and alertmanager:
            match = next((a for key, a in exact.items() if items <= key), None)
        if match is not None:
            matched.add(id(match))
        state = prom["state"]
        if match is not None and match["state"] == "suppressed":
            state = "suppressed"
        alerts.append(
            Alert(
                name=labels.get("alertname", "(unnamed)"),
                state=state,
                severity=labels.get("severity"),
                since=prom["since"],
                summary=_summary(prom["annotations"]),
                labels=labels,
                raw_labels=prom["raw_labels"],
                silenced=bool(match and match["silenced_by"]),
                fingerprint=match["fingerprint"] if match else "",
                inhibited=bool(match and match["inhibited"]),
                silence_ids=match["silenced_by"] if match else (),
                silenced_until=_until(match["silenced_by"], ends or {}) if match else None,
                annotations=prom["annotations"],
                source_url=match["source_url"] if match else None,
            )
        )
    # What Alertmanager holds that this Prometheus does not report fires all the same: its
    # rules run elsewhere (another Prometheus, vmalert; VictoriaMetrics evaluates none).
    alerts.extend(from_alertmanager(
        [am for am in alertmanager or () if id(am) not in matched], ends or {}))
    alerts.sort(key=lambda a: (a.name, sorted(a.labels.items())))
    return tuple(alerts)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlertmanagerSource:
    """AlertSource: Prometheus' /api/v1/alerts merged with Alertmanager's /api/v2/alerts
    (and /api/v2/silences for the end of each silence)."""

    def __init__(
        self,
        prometheus: HttpEndpoint,
        alertmanager: HttpEndpoint | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        alertmanager_transport: httpx.AsyncBaseTransport | None = None,
        cluster: tuple[str, str] | None = None,
    ) -> None:
        self._cluster = cluster
        """(label, value) of this target on a store shared by a fleet: other clusters'
        alerts are left out; alerts without the label cannot be placed and are kept."""
        self._prometheus = ApiClient(prometheus, "Prometheus", transport)
        self._alertmanager = (
            ApiClient(alertmanager, "Alertmanager", alertmanager_transport or transport)
            if alertmanager else None
        )
        self._absent = False
        """The cluster was searched and has no Alertmanager: as if none were configured."""
        self._rules_seen_at = -RULES_CHECK_S

    @property
    def can_silence(self) -> bool:
        return self._alertmanager is not None and not self._absent

    async def fetch(self) -> AlertsReading:
        """Prometheus' list with Alertmanager's state; Alertmanager's list alone when
        Prometheus cannot be read (named in the reading's note); SourceError when
        neither can, so the panel says unknown and never "none firing"."""
        am_api = None if self._absent else self._alertmanager
        if am_api is None:
            alerts = merge(parse_prometheus_alerts(
                await self._prometheus.get_json("/api/v1/alerts")), None)
            if not alerts:
                await self._require_alert_rules()
            return AlertsReading(alerts=self._placed(alerts))
        answers: tuple[Any | BaseException, ...] = await asyncio.gather(
            self._prometheus.get_json("/api/v1/alerts"),
            am_api.get_json("/api/v2/alerts", {
                "active": "true", "silenced": "true", "inhibited": "true",
                "unprocessed": "true"}),
            am_api.get_json("/api/v2/silences"),
            return_exceptions=True)
        prom_answer, am_answer, silences = answers
        if isinstance(am_answer, ServiceNotFound):  # no Alertmanager Service: Prometheus' list
            self._absent = True
            return await self.fetch()
        if isinstance(am_answer, BaseException):
            raise prom_answer if isinstance(prom_answer, BaseException) else am_answer
        am = parse_alertmanager_alerts(am_answer)
        # Without the silences the alerts are still right; only their end times are missing.
        ends = {} if isinstance(silences, BaseException) else parse_silence_ends(silences)
        if isinstance(prom_answer, BaseException):
            if not isinstance(prom_answer, SourceError):
                raise prom_answer
            return AlertsReading(
                alerts=self._placed(from_alertmanager(am, ends)),
                note="from Alertmanager: Prometheus ✗, pending unknown")
        alerts = merge(parse_prometheus_alerts(prom_answer), am, ends)
        return AlertsReading(alerts=self._placed(alerts))

    async def _require_alert_rules(self) -> None:
        """An empty list from a server that evaluates no alerting rule (VictoriaMetrics
        single-node answers `{"alerts": []}` always) says nothing: SourceError, so the
        panel reads unknown, never "none firing". A server seen with rules is believed
        for RULES_CHECK_S before it is asked again."""
        now = time.monotonic()
        if now - self._rules_seen_at < RULES_CHECK_S:
            return
        answer = await self._prometheus.get_json("/api/v1/rules", {"type": "alert"})
        data = answer.get("data") if isinstance(answer, Mapping) else None
        groups = data.get("groups") if isinstance(data, Mapping) else None
        if not isinstance(groups, list):
            raise SourceError("unexpected answer to /api/v1/rules")
        if not any(isinstance(g, Mapping) and g.get("rules") for g in groups):
            raise SourceError("no alerting rules are evaluated there (/api/v1/rules has "
                              "none) and no Alertmanager is configured: firing unknown")
        self._rules_seen_at = now

    def _placed(self, alerts: tuple[Alert, ...]) -> tuple[Alert, ...]:
        """This target's alerts of a store shared by a fleet."""
        if self._cluster is None:
            return alerts
        label, value = self._cluster
        return tuple(a for a in alerts if a.labels.get(label, value) == value)

    def _require_alertmanager(self) -> ApiClient:
        if self._alertmanager is None or self._absent:
            raise ActionError("silences need an Alertmanager, and none is configured")
        return self._alertmanager

    async def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                      matchers: tuple[Matcher, ...] | None = None) -> str:
        """Silence with `matchers` (as the editor left them), or exactly this alert: one
        matcher per label, on its value as sent (console/sources/matchers.py)."""
        api = self._require_alertmanager()
        if duration_s <= 0:
            raise ActionError("a silence must last longer than zero")
        try:
            chosen = for_alert(alert) if matchers is None else matchers
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        if not chosen:
            raise ActionError("a silence needs at least one matcher")
        now = datetime.now(UTC)
        body = {
            "matchers": [m.body() for m in chosen],
            "startsAt": _iso(now),
            "endsAt": _iso(now + timedelta(seconds=duration_s)),
            "createdBy": author,
            "comment": comment,
        }
        try:
            response = await api.request("POST", "/api/v2/silences", json=body)
            answer = api.decode(response)
        except SourceError as exc:
            raise ActionError(f"silence not created: {exc}") from None
        silence_id = answer.get("silenceID") if isinstance(answer, Mapping) else None
        if not isinstance(silence_id, str) or not silence_id:
            raise ActionError("silence not created: Alertmanager returned no silence id")
        return clean_line(silence_id)  # it is shown ("silence … created") and audited

    async def expire(self, silence_id: str) -> None:
        api = self._require_alertmanager()
        try:
            await api.request("DELETE", f"/api/v2/silence/{quote(silence_id, safe='')}")
        except SourceError as exc:
            raise ActionError(f"silence {silence_id} not expired: {exc}") from None

    async def silences(self) -> tuple[SilenceInfo, ...]:
        """`GET /api/v2/silences`: one read, when the silences list is opened."""
        return parse_silences(await self._require_alertmanager().get_json("/api/v2/silences"))

    async def aclose(self) -> None:
        await self._prometheus.aclose()
        if self._alertmanager is not None:
            await self._alertmanager.aclose()
