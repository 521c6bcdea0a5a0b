"""A small Kubernetes API emulator over real HTTP on loopback, for the official client.

Why our own emulator and not a kmock subclass
---------------------------------------------
`kmock` 0.8 serves the official client well for plain CRUD, but everything the
console's Kubernetes source depends on is where it falls short: it ignores
label and field selectors (so "only the pods the Deployment selects" could not
be proven), never ends a watch on `timeoutSeconds`, sends no bookmarks and has
no 410 Gone for a compacted resourceVersion (so list-then-watch, expiry and
re-list could not be tested), answers SelfSubjectAccessReview without a status
(and 409 on the second one), serves pod logs as the Pod's JSON, answers the
scale subresource with the whole Deployment, and still applies a write whose
answer was a fault (so "a failed PATCH changed nothing" could not be asserted).
Fixing that in a subclass would mean overriding its private request routing
and storage, pinned to one 0.x release, on top of aiohttp, which is only a
transitive dependency of kmock and not one of ours. The standard library's
`ThreadingHTTPServer` needs no dependency, and about a thousand lines give exactly the
parts of the API the source uses, with the real JSON shapes, so the official
client runs unpatched against it:

- list with `labelSelector` and `fieldSelector`, answering the current
  `resourceVersion`; single GET; a namespaced path for every resource below;
- watch with `resourceVersion`, `allowWatchBookmarks`, `timeoutSeconds`,
  ADDED/MODIFIED/DELETED that follow the selectors (an object that stops
  matching is DELETED for that watch), BOOKMARK every `bookmark_interval_s`,
  and an ERROR event with a 410 Status for a resourceVersion older than the
  last `compact()`, as the real API server does;
- PATCH with strategic-merge (as a JSON merge patch: enough for maps),
  merge-patch and JSON-patch bodies; the `scale` subresource (GET/PATCH/PUT
  answering `autoscaling/v1` Scale); DELETE of pods (immediate or graceful);
- pod logs as `text/plain` with `tailLines`, `previous`, `container`,
  `limitBytes` and the API's 400 answers;
- SelfSubjectAccessReview with allow/deny rules and `status.reason`;
- `metrics.k8s.io/v1beta1` pods, switchable off (404 as when not served);
- faults per method/path: a status code, a stall, a dropped connection, for
  N requests or until cleared; watches that end every N seconds; dropping
  every open watch, including one whose request has arrived but whose stream
  has not begun; refusing connections while "down" (`go_down`/`come_back`);
- PUT of ConfigMaps with optimistic concurrency: 409 on a stale resourceVersion
  (kube_updates.py);
- bearer-token authentication (401 otherwise) and a request log, so tests can
  assert "exactly one PATCH" and "nothing was sent";
- for real clusters (issue 15): Services, listed across namespaces with selectors, and
  the service proxy forwarding to real backends (kube_proxy.py); short-lived tokens
  that a test exec plugin mints and that answer 401 once stale (kube_auth.py); HTTPS
  with its own CA and, optionally, client certificates (kube_tls.py).

Faults are checked before a request is handled, so a write answered with a
fault changes nothing, as with a real API server that refused it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.stack.kube_auth import Authenticator, TokenIssuer
from tests.stack.kube_proxy import ServiceProxy
from tests.stack.kube_tls import TlsMaterial, TlsServerMixin, make_tls, peer_user, server_context
from tests.stack.kube_updates import update

Obj = dict[str, Any]

# (group, version, plural) -> (kind, namespaced)
RESOURCES: dict[tuple[str, str, str], tuple[str, bool]] = {
    ("", "v1", "namespaces"): ("Namespace", False),
    ("", "v1", "pods"): ("Pod", True),
    ("", "v1", "events"): ("Event", True),
    ("", "v1", "configmaps"): ("ConfigMap", True),
    ("", "v1", "services"): ("Service", True),
    ("apps", "v1", "deployments"): ("Deployment", True),
    ("apps", "v1", "replicasets"): ("ReplicaSet", True),
    ("autoscaling", "v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", True),
}
KIND_TO_RESOURCE = {kind: key for key, (kind, _) in RESOURCES.items()}

DEFAULT_ALLOW_REASON = (
    'RBAC: allowed by RoleBinding "oncall-edit/ai-services" of ClusterRole "edit" '
    'to User "oncall@example.com"'
)


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_body(code: int, reason: str, message: str, details: Obj | None = None) -> Obj:
    """A metav1.Status, the body of every API error."""
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


# ----------------------------------------------------------------- selectors


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        terms.append(current.strip())
    return terms


_SET_TERM = re.compile(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$")


def _label_term(term: str, labels: dict[str, str]) -> bool:
    m = _SET_TERM.match(term)
    if m:
        values = {v.strip() for v in m.group(3).split(",") if v.strip()}
        inside = labels.get(m.group(1)) in values
        return inside if m.group(2) == "in" else not inside
    if "!=" in term:
        key, value = (s.strip() for s in term.split("!=", 1))
        return labels.get(key) != value
    if "=" in term:
        key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
        return labels.get(key) == value
    if term.startswith("!"):
        return term[1:].strip() not in labels
    return term in labels


def label_matcher(selector: str) -> Callable[[dict[str, str]], bool]:
    """The API's label selector syntax: =, ==, !=, in, notin, key, !key."""
    terms = _split_terms(selector)
    return lambda labels: all(_label_term(t, labels) for t in terms)


def _dotted(obj: Obj, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _field_term(term: str, obj: Obj) -> bool:
    if "!=" in term:
        path, value = term.split("!=", 1)
        return _dotted(obj, path.strip()) != value.strip()
    path, value = term.replace("==", "=").split("=", 1)
    return _dotted(obj, path.strip()) == value.strip()


def field_matcher(selector: str) -> Callable[[Obj], bool]:
    """Field selectors: a.b=c, a.b==c, a.b!=c, joined by commas."""
    terms = [t for t in _split_terms(selector) if "=" in t]
    return lambda obj: all(_field_term(t, obj) for t in terms)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch; strategic merge behaves the same on maps."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Obj, ops: list[Obj]) -> Obj:
    """The add/replace/remove operations of RFC 6902, enough for tests."""
    result = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                else:
                    parent.insert(int(last), op["value"])
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        else:
            raise ValueError(f"unsupported JSON patch op {op['op']!r}")
    return result


# ----------------------------------------------------------- test-side types


@dataclass
class Fault:
    """One injected failure: which requests it hits and what they get instead."""

    method: str | None = None
    """GET, PATCH, DELETE, POST, PUT, or None for any."""
    path: str = ""
    """A regular expression searched in the request path (without the query)."""
    watch: bool | None = None
    """True: only watch requests; False: only non-watch requests; None: both."""
    status: int | None = None
    """Answer with this code and a Status body."""
    message: str = ""
    stall_s: float = 0.0
    """Wait this long before answering (or dropping, or handling normally)."""
    drop: bool = False
    """Close the connection without any answer."""
    times: int | None = None
    """How many requests it applies to; None until removed."""
    hits: int = 0

    def matches(self, method: str, path: str, watch: bool) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.watch is not None and self.watch != watch:
            return False
        return re.search(self.path, path) is not None


@dataclass(frozen=True)
class RecordedRequest:
    """What the emulator received, for assertions about what was sent."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str | None
    authorization: str | None
    at: float

    @property
    def watch(self) -> bool:
        return self.query.get("watch") in ("true", "1")


@dataclass
class RbacRule:
    """One SelfSubjectAccessReview answer; '*' matches anything."""

    verb: str
    resource: str
    subresource: str = ""
    allowed: bool = True
    reason: str = ""
    group: str = "*"

    def matches(self, attrs: Obj) -> bool:
        return (
            self.verb in ("*", attrs.get("verb", ""))
            and self.resource in ("*", attrs.get("resource", ""))
            and self.subresource in ("*", attrs.get("subresource", "") or "")
            and self.group in ("*", attrs.get("group", "") or "")
        )


@dataclass
class _Change:
    rv: int
    key: tuple[str, str, str]
    type: str
    obj: Obj
    old: Obj | None


@dataclass
class _LogStore:
    current: list[str] = field(default_factory=list)
    previous: list[str] | None = None


# ------------------------------------------------------------------ emulator


class KubeEmulator:
    """The API server stand-in: objects, watches, faults and a request log."""

    def __init__(self, token: str = "emulator-token", *, bookmark_interval_s: float = 5.0) -> None:
        self.token = token
        self.bookmark_interval_s = bookmark_interval_s
        self.watch_end_after_s: float | None = None
        self.metrics_enabled = True
        self.graceful_delete = False
        self.rbac_rules: list[RbacRule] = []
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._objects: dict[tuple[str, str, str], dict[tuple[str, str], Obj]] = {
            key: {} for key in RESOURCES
        }
        self._usage: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        self._logs: dict[tuple[str, str, str], _LogStore] = {}
        self._history: list[_Change] = []
        self._rv = 1000
        self._compacted_rv = 0
        self._cond = threading.Condition()
        self._drop_generation = 0
        self._stopping = threading.Event()
        self._down = False
        self._connections: set[socket.socket] = set()
        self._open_watches = 0
        self._conn_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        # Issue 15: who may connect, the service proxy's backends, TLS (see start()).
        self.auth = Authenticator()
        self.proxy = ServiceProxy()
        self.tls: TlsMaterial | None = None
        self.client_cert: str | None = None
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None

    # ---------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, *, tls: bool | TlsMaterial = False,
              client_cert: str | None = None) -> KubeEmulator:
        """Listen on loopback; with `tls`, HTTPS with a CA of its own (or the material
        given), and with `client_cert` "optional" or "required", client certificates."""
        if tls is True:
            self._tls_dir = tempfile.TemporaryDirectory(prefix="agc-kube-tls-")
            tls = make_tls(Path(self._tls_dir.name))
        self.tls = tls or None
        self.client_cert = client_cert if self.tls else None
        self._stopping.clear()
        self._serve(self.port)
        return self

    def use_short_lived_tokens(self, ttl_s: float, *, static_too: bool = False) -> TokenIssuer:
        """From now on valid tokens are the issuer's (minted by exec_plugins.short_lived)
        and go stale `ttl_s` after minting; the static token only with `static_too`."""
        issuer = TokenIssuer(ttl_s)
        self.auth.issuer = issuer
        self.auth.static_token_allowed = static_too
        return issuer

    def _serve(self, port: int) -> None:
        handler = type("BoundHandler", (_Handler,), {"emulator": self})
        server_class: type[_QuietServer] = _QuietServer
        if self.tls is not None:
            server_class = type("TlsServer", (TlsServerMixin, _QuietServer), {
                "ssl_context": server_context(self.tls, self.client_cert)})
        server = server_class(("127.0.0.1", port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"kube-emulator-{self.port}", daemon=True,
        )
        self._thread.start()

    def _close_server(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._cond:
            self._drop_generation += 1
            self._cond.notify_all()
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def stop(self) -> None:
        self._stopping.set()
        self._close_server()

    def go_down(self) -> None:
        """Stop listening and cut every connection: the API server is unreachable."""
        self._down = True
        self._close_server()

    def come_back(self) -> None:
        """Listen again on the same port, with the same objects and history."""
        self._down = False
        self._serve(self.port)

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write_kubeconfig(self, path: Path, context: str = "emulator", *,
                         user: Obj | None = None) -> Path:
        """A kubeconfig with one context pointing here: the bearer token, or `user` as
        given (an exec plugin, say); over TLS the CA inline and, when client certificates
        are asked for, the client's certificate and key inline, as kubeconfigs carry them."""
        cluster: Obj = {"server": self.url}
        if self.tls is not None:
            cluster["certificate-authority-data"] = self.tls.ca.cert_data
        if user is None and self.tls is not None and self.client_cert:
            user = {"client-certificate-data": self.tls.client.cert_data,
                    "client-key-data": self.tls.client.key_data}
        elif user is None:
            user = {"token": self.token}
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "emulator", "cluster": cluster}],
                    "users": [{"name": "oncall", "user": user}],
                    "contexts": [
                        {
                            "name": context,
                            "context": {
                                "cluster": "emulator",
                                "user": "oncall",
                                "namespace": "ai-services",
                            },
                        }
                    ],
                    "current-context": context,
                }
            )
        )
        return path

    # ------------------------------------------------------- object store

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    @property
    def resource_version(self) -> int:
        with self._cond:
            return self._rv

    def _record_change(self, key: tuple[str, str, str], type_: str, obj: Obj,
                       old: Obj | None) -> None:
        self._history.append(_Change(self._rv, key, type_, copy.deepcopy(obj), old))
        self._cond.notify_all()

    def put(self, obj: Obj) -> Obj:
        """Create or replace an object as a controller would; watches see it."""
        key = KIND_TO_RESOURCE[obj["kind"]]
        with self._cond:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            ns = meta.get("namespace", "") if RESOURCES[key][1] else ""
            store = self._objects[key]
            old = store.get((ns, meta["name"]))
            seed = f"{key}/{ns}/{meta['name']}"
            meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, seed)))
            meta.setdefault("creationTimestamp", now_rfc3339())
            if obj["kind"] == "Deployment":
                meta.setdefault("generation", 1)
            meta["resourceVersion"] = str(self._next_rv())
            store[(ns, meta["name"])] = obj
            self._record_change(key, "MODIFIED" if old else "ADDED", obj, old)
            return copy.deepcopy(obj)

    def get(self, kind: str, name: str, namespace: str = "ai-services") -> Obj | None:
        key = KIND_TO_RESOURCE[kind]
        ns = namespace if RESOURCES[key][1] else ""
        with self._cond:
            obj = self._objects[key].get((ns, name))
            return copy.deepcopy(obj) if obj else None

    def patch(self, kind: str, name: str, patch: Obj, namespace: str = "ai-services") -> Obj:
        """Merge-patch an object from the test side; watches see MODIFIED."""
        key = KIND_TO_RESOURCE[kind]
        with self._cond:
            return self._apply_patch(key, namespace, name, lambda o: merge_patch(o, patch))

    def _apply_patch(self, key: tuple[str, str, str], ns: str, name: str,
                     change: Callable[[Obj], Obj]) -> Obj:
        store = self._objects[key]
        old = store[(ns, name)]
        new = change(old)
        new["metadata"]["uid"] = old["metadata"]["uid"]
        new["metadata"]["name"] = name
        if key[2] == "deployments" and new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        new["metadata"]["resourceVersion"] = str(self._next_rv())
        store[(ns, name)] = new
        self._record_change(key, "MODIFIED", new, old)
        return copy.deepcopy(new)

    def delete(self, kind: str, name: str, namespace: str = "ai-services") -> None:
        key = KIND_TO_RESOURCE[kind]
        ns = namespace if RESOURCES[key][1] else ""
        with self._cond:
            old = self._objects[key].pop((ns, name))
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._next_rv())
            self._record_change(key, "DELETED", gone, old)

    def compact(self) -> None:
        """Forget history: a watch from any resourceVersion seen so far now gets 410 Gone."""
        with self._cond:
            self._compacted_rv = self._next_rv()

    def drop_watches(self) -> None:
        """Cut every open watch mid-stream (no final chunk), as a broken proxy would.

        "Open" counts from the moment the request arrived (see `_Handler._handle`): a
        watch still being stalled, routed or answered with headers is cut as soon as
        its stream begins, as a connection cut under it would be.
        """
        with self._cond:
            self._drop_generation += 1
            self._cond.notify_all()

    @property
    def open_watches(self) -> int:
        """Watch streams being served right now."""
        with self._cond:
            return self._open_watches

    def set_usage(self, pod: str, usage: dict[str, dict[str, str]],
                  namespace: str = "ai-services") -> None:
        """Per-container usage served by metrics.k8s.io: {"gateway": {"cpu": "120m", ...}}."""
        with self._cond:
            self._usage[(namespace, pod)] = usage

    def set_log(self, pod: str, lines: list[str], *, previous: list[str] | None = None,
                container: str = "gateway", namespace: str = "ai-services") -> None:
        with self._cond:
            self._logs[(namespace, pod, container)] = _LogStore(list(lines), previous)

    # ------------------------------------------------------ faults, rbac, log

    def fail(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._cond:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._cond:
            self.faults.clear()

    def _match_fault(self, method: str, path: str, watch: bool) -> Fault | None:
        with self._cond:
            for fault in self.faults:
                if fault.matches(method, path, watch):
                    fault.hits += 1
                    return fault
        return None

    def deny(self, verb: str, resource: str, subresource: str = "", reason: str = "") -> None:
        self.rbac_rules.insert(0, RbacRule(verb, resource, subresource, False, reason))

    def requests_where(
        self, method: str | None = None, path: str = "", watch: bool | None = None
    ) -> list[RecordedRequest]:
        with self._cond:
            recorded = list(self.requests)
        return [
            r for r in recorded
            if (method is None or r.method == method)
            and re.search(path, r.path)
            and (watch is None or r.watch == watch)
        ]

    def clear_requests(self) -> None:
        with self._cond:
            self.requests.clear()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    # ------------------------------------------------------ request handling

    def _list(self, key: tuple[str, str, str], ns: str, query: dict[str, str]) -> Obj:
        kind = RESOURCES[key][0]
        match = self._matcher(query)
        with self._cond:
            items = [
                copy.deepcopy(o) for (ons, _), o in sorted(self._objects[key].items())
                if (not ns or ons == ns) and match(o)
            ]
            rv = self._rv
        group, version, _ = key
        return {
            "kind": f"{kind}List",
            "apiVersion": f"{group}/{version}" if group else version,
            "metadata": {"resourceVersion": str(rv)},
            "items": items,
        }

    @staticmethod
    def _matcher(query: dict[str, str]) -> Callable[[Obj], bool]:
        labels = label_matcher(query.get("labelSelector", ""))
        fields = field_matcher(query.get("fieldSelector", ""))
        return lambda o: labels(o.get("metadata", {}).get("labels") or {}) and fields(o)

    def _watch_events(
        self, key: tuple[str, str, str], ns: str, query: dict[str, str], drop_gen: int
    ) -> Iterator[Obj | None]:
        """Yields watch events; None means "drop the connection now".

        drop_gen is the drop generation when the request arrived: a `drop_watches()`
        (or `go_down`, `stop`) since then cuts this watch even if it came before
        the stream began.
        """
        match = self._matcher(query)
        timeout = float(query.get("timeoutSeconds", "0") or 0) or 3600.0
        if self.watch_end_after_s is not None:
            timeout = min(timeout, self.watch_end_after_s)
        deadline = time.monotonic() + timeout
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        group, version, _ = key
        api_version = f"{group}/{version}" if group else version
        kind = RESOURCES[key][0]
        with self._cond:
            requested = query.get("resourceVersion", "")
            if requested in ("", "0"):
                start = self._rv
                initial = [
                    copy.deepcopy(o) for (ons, _), o in sorted(self._objects[key].items())
                    if (not ns or ons == ns) and match(o)
                ]
            else:
                start = int(requested)
                initial = []
                if start < self._compacted_rv:
                    yield {
                        "type": "ERROR",
                        "object": status_body(
                            410, "Expired",
                            f"too old resource version: {start} ({self._compacted_rv})",
                        ),
                    }
                    return
            pos = next((i for i, c in enumerate(self._history) if c.rv > start),
                       len(self._history))
        for obj in initial:
            yield {"type": "ADDED", "object": obj}
        last_bookmark = time.monotonic()
        while True:
            with self._cond:
                while (
                    pos >= len(self._history)
                    and self._drop_generation == drop_gen
                    and not self._stopping.is_set()
                ):
                    now = time.monotonic()
                    wake = deadline
                    if bookmarks:
                        wake = min(wake, last_bookmark + self.bookmark_interval_s)
                    if now >= wake:
                        break
                    self._cond.wait(wake - now)
                if self._drop_generation != drop_gen or self._stopping.is_set():
                    yield None
                    return
                changes = self._history[pos:]
                pos = len(self._history)
                rv_now = self._rv
            for change in changes:
                if change.key != key:
                    continue
                meta = change.obj.get("metadata", {})
                if ns and meta.get("namespace") != ns:
                    continue
                now_matches = match(change.obj)
                was_matching = change.old is not None and match(change.old)
                if change.type == "DELETED":
                    type_ = "DELETED" if was_matching else None
                elif now_matches and was_matching:
                    type_ = "MODIFIED"
                elif now_matches:
                    type_ = "ADDED"
                elif was_matching:
                    type_ = "DELETED"
                else:
                    type_ = None
                if type_:
                    yield {"type": type_, "object": change.obj}
            now = time.monotonic()
            if now >= deadline:
                return
            if bookmarks and now >= last_bookmark + self.bookmark_interval_s:
                last_bookmark = now
                yield {
                    "type": "BOOKMARK",
                    "object": {
                        "kind": kind,
                        "apiVersion": api_version,
                        "metadata": {"resourceVersion": str(rv_now)},
                    },
                }

    def _scale_of(self, dep: Obj) -> Obj:
        meta = dep["metadata"]
        selector = dep["spec"]["selector"].get("matchLabels", {})
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
                "creationTimestamp": meta["creationTimestamp"],
            },
            "spec": {"replicas": dep["spec"].get("replicas", 1)},
            "status": {
                "replicas": dep.get("status", {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
            },
        }

    def _pod_metrics(self, ns: str, query: dict[str, str]) -> Obj:
        match = self._matcher(query)
        items = []
        with self._cond:
            for (pns, name), pod in sorted(self._objects[("", "v1", "pods")].items()):
                usage = self._usage.get((pns, name))
                if usage is None or (ns and pns != ns) or not match(pod):
                    continue
                items.append({
                    "metadata": {
                        "name": name,
                        "namespace": pns,
                        "labels": pod["metadata"].get("labels", {}),
                        "creationTimestamp": now_rfc3339(),
                    },
                    "timestamp": now_rfc3339(),
                    "window": "15s",
                    "containers": [
                        {"name": c, "usage": u} for c, u in usage.items()
                    ],
                })
        return {
            "kind": "PodMetricsList",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": items,
        }

    def _access_review(self, body: Obj) -> Obj:
        attrs = (body.get("spec") or {}).get("resourceAttributes") or {}
        rule = next((r for r in self.rbac_rules if r.matches(attrs)), None)
        allowed = True if rule is None else rule.allowed
        reason = DEFAULT_ALLOW_REASON if rule is None else rule.reason
        status: Obj = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": body.get("spec") or {},
            "status": status,
        }


class _QuietServer(ThreadingHTTPServer):
    """Connections cut on purpose (drops, go_down) are not errors worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


_PATH = re.compile(
    r"^/(?:api/(?P<cv>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?(?:/(?P<plural>[^/]+))?(?:/(?P<name>[^/]+))?"
    r"(?:/(?P<sub>[^/]+))?/?$"
)


class _Handler(BaseHTTPRequestHandler):
    """One HTTP request against the emulator; HTTP/1.1 keep-alive like the real API."""

    emulator: KubeEmulator
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this

    def log_message(self, format: str, *args: Any) -> None:  # quiet in test output
        return

    def setup(self) -> None:
        super().setup()
        with self.emulator._conn_lock:
            self.emulator._connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.emulator._conn_lock:
            self.emulator._connections.discard(self.connection)

    # -- plumbing

    def _send_json(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, message: str, details: Obj | None = None) -> None:
        self._send_json(code, status_body(code, REASONS.get(code, "Unknown"), message, details))

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        emu = self.emulator
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        with emu._cond:
            emu.requests.append(RecordedRequest(
                method, path, query, body, content_type,
                self.headers.get("Authorization"), time.time(),
            ))
            # Taken now, before the fault check, not when the watch's stream begins:
            # a watch that passed the check before a test's `fail()` and then
            # `drop_watches()` is still cut, so every request is caught by one or
            # the other. Taken later, such a watch escaped both and stayed healthy
            # (test_watch_being_opened_when_the_connection_breaks).
            drop_gen = emu._drop_generation
        watch = query.get("watch") in ("true", "1")
        fault = emu._match_fault(method, path, watch)
        if fault is not None:
            if fault.stall_s:
                emu._stopping.wait(fault.stall_s)
            if fault.drop:
                self._drop()
                return
            if fault.status is not None:
                self._error(fault.status, fault.message or f"injected fault {fault.status}")
                return
        peer = getattr(self.connection, "getpeercert", None)
        identity = emu.auth.identify(self.headers.get("Authorization"),
                                     peer_user(peer()) if peer else None, emu.token)
        if identity is None:
            self._error(401, "Unauthorized")
            return
        try:
            if emu.proxy.handle(self, method, path, split.query, raw, identity):
                return  # Services' RBAC and the service proxy: kube_proxy.py
            self._route(method, path, query, body, content_type, watch, drop_gen)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, method: str, path: str, query: dict[str, str], body: Any,
               content_type: str | None, watch: bool, drop_gen: int) -> None:
        emu = self.emulator
        if path in ("/version", "/version/"):
            self._send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-emulated",
                                  "platform": "linux/amd64"})
            return
        m = _PATH.match(path)
        if m is None:
            self._error(404, "the server could not find the requested resource")
            return
        group = m.group("group") or ""
        version = m.group("cv") or m.group("version") or ""
        ns, plural, name, sub = m.group("ns"), m.group("plural"), m.group("name"), m.group("sub")
        if ns is not None and plural is None:
            ns, plural, name = None, "namespaces", ns  # /api/v1/namespaces/NAME itself
        if group == "metrics.k8s.io" and plural == "pods" and method == "GET":
            if not emu.metrics_enabled:
                self._error(404, "the server could not find the requested resource")
                return
            self._send_json(200, emu._pod_metrics(ns or "", query))
            return
        if group == "authorization.k8s.io" and plural == "selfsubjectaccessreviews":
            if method != "POST":
                self._error(405, "method not allowed")
                return
            self._send_json(201, emu._access_review(body or {}))
            return
        key = (group, version, plural or "")
        if key not in RESOURCES:
            self._error(404, "the server could not find the requested resource")
            return
        namespaced = RESOURCES[key][1]
        ns_key = (ns or "") if namespaced else ""
        if name is None:
            if method != "GET":
                self._error(405, "method not allowed")
                return
            if watch:
                self._stream_watch(key, ns or "", query, drop_gen)
            else:
                self._send_json(200, emu._list(key, ns or "", query))
            return
        with emu._cond:
            obj = emu._objects[key].get((ns_key, name))
        if obj is None:
            qualified = f"{plural}.{group}" if group else plural
            self._error(404, f'{qualified} "{name}" not found', {"name": name, "kind": plural})
            return
        if sub == "log" and plural == "pods" and method == "GET":
            self._pod_log(obj, query)
            return
        if sub == "scale" and plural == "deployments":
            self._scale(method, key, ns_key, name, body, content_type)
            return
        if sub:
            self._error(404, "the server could not find the requested resource")
            return
        if method == "GET":
            self._send_json(200, copy.deepcopy(obj))
        elif method == "PATCH":
            self._patch(key, ns_key, name, body, content_type)
        elif method == "DELETE" and plural == "pods":
            self._delete_pod(key, ns_key, name)
        elif method == "PUT" and plural == "configmaps":
            self._send_json(*update(emu, key, ns_key, name, body))  # kube_updates.py
        else:
            self._error(405, "method not allowed")

    def _patch(self, key: tuple[str, str, str], ns: str, name: str, body: Any,
               content_type: str | None) -> None:
        emu = self.emulator
        ctype = (content_type or "").split(";")[0].strip()
        if ctype in ("application/strategic-merge-patch+json", "application/merge-patch+json"):
            if not isinstance(body, dict):
                self._error(400, "patch body must be a JSON object")
                return
            change: Callable[[Obj], Obj] = lambda o: merge_patch(o, body)  # noqa: E731
        elif ctype == "application/json-patch+json":
            if not isinstance(body, list):
                self._error(400, "json patch body must be a list")
                return
            change = lambda o: json_patch(o, body)  # noqa: E731
        else:
            self._error(415, f"the body of the request was in an unknown format - accepted "
                             f"media types include: application/json-patch+json, "
                             f"application/merge-patch+json, "
                             f"application/strategic-merge-patch+json ({ctype})")
            return
        with emu._cond:
            new = emu._apply_patch(key, ns, name, change)
        self._send_json(200, new)

    def _scale(self, method: str, key: tuple[str, str, str], ns: str, name: str, body: Any,
               content_type: str | None) -> None:
        emu = self.emulator
        if method == "GET":
            with emu._cond:
                dep = copy.deepcopy(emu._objects[key][(ns, name)])
            self._send_json(200, emu._scale_of(dep))
            return
        if method not in ("PATCH", "PUT") or not isinstance(body, dict):
            self._error(405, "method not allowed")
            return
        replicas = (body.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            self._error(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                             f"Invalid value: {replicas!r}: must be greater than or equal to 0")
            return
        with emu._cond:
            dep = emu._apply_patch(key, ns, name,
                                   lambda o: merge_patch(o, {"spec": {"replicas": replicas}}))
        self._send_json(200, emu._scale_of(dep))

    def _delete_pod(self, key: tuple[str, str, str], ns: str, name: str) -> None:
        emu = self.emulator
        with emu._cond:
            if emu.graceful_delete:
                pod = emu._apply_patch(key, ns, name, lambda o: merge_patch(o, {
                    "metadata": {"deletionTimestamp": now_rfc3339(),
                                 "deletionGracePeriodSeconds": 30}}))
            else:
                pod = copy.deepcopy(emu._objects[key][(ns, name)])
                emu.delete("Pod", name, ns)
        self._send_json(200, pod)

    def _pod_log(self, pod: Obj, query: dict[str, str]) -> None:
        """As the API server's LogLocation/validateContainer (kubernetes
        pkg/registry/core/pod/strategy.go): no container named is fine for a pod with one
        container only; otherwise 400 naming every container (init containers first, as
        podutil.VisitContainers lists them), and any of them, init ones included, is valid."""
        emu = self.emulator
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        spec = pod["spec"]
        containers = [c["name"] for c in spec.get("containers") or []]
        every = [c["name"] for key in ("initContainers", "containers", "ephemeralContainers")
                 for c in spec.get(key) or []]
        container = query.get("container") or ""
        if not container:
            if len(containers) != 1:
                choose = f", choose one of: [{' '.join(every)}]" if containers else ""
                self._error(400, f"a container name must be specified for pod {name}{choose}")
                return
            container = containers[0]
        if container not in every:
            self._error(400, f"container {container} is not valid for pod {name}")
            return
        with emu._cond:
            store = emu._logs.get((ns, name, container), _LogStore())
        previous = query.get("previous") in ("true", "1")
        lines = store.previous if previous else store.current
        if lines is None:
            self._error(400, f'previous terminated container "{container}" in pod '
                             f'"{name}" not found')
            return
        if "tailLines" in query:
            tail = int(query["tailLines"])
            lines = lines[-tail:] if tail > 0 else []
        text = "".join(line + "\n" for line in lines)
        if "limitBytes" in query:
            text = text.encode()[: int(query["limitBytes"])].decode(errors="ignore")
        self._send_text(200, text)

    def _stream_watch(self, key: tuple[str, str, str], ns: str, query: dict[str, str],
                      drop_gen: int) -> None:
        emu = self.emulator
        self._start_chunked("application/json")
        with emu._cond:
            emu._open_watches += 1
        try:
            for event in emu._watch_events(key, ns, query, drop_gen):
                if event is None:
                    self._drop()
                    return
                self._chunk(json.dumps(event).encode() + b"\n")
            self._end_chunked()
        except OSError:
            self.close_connection = True
        finally:
            with emu._cond:
                emu._open_watches -= 1
