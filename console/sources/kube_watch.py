"""List once, then watch: one kind of object kept current in memory by a thread.

Re-listing the Deployment, its pods, the HPA and the events every two seconds
costs four full reads per refresh per console; a watch costs one long request
per kind every few minutes and delivers changes within milliseconds. This is
the informer pattern of client-go, reduced to what the console needs:

- `relist()` lists the objects and remembers the list's resourceVersion;
- a daemon thread watches from that resourceVersion (with bookmarks and a
  server-side `timeoutSeconds`), applying ADDED/MODIFIED/DELETED to the cache;
- a watch that ends normally is re-opened from the last resourceVersion; a
  410 Gone (the version was compacted away) leads to a fresh list; a broken
  stream is re-opened from where it was, with backoff if it keeps breaking;
- while the watch cannot be re-established the informer is *unhealthy*, and
  the source's fetch re-lists itself so that a failure is reported honestly
  instead of serving a silently stale cache.

Everything here is blocking and runs in the informer's thread or in the
thread the source's `asyncio.to_thread` gives it; nothing imports Textual.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from console.config.limits import ReadLimits, TooLarge
from console.sources.bounded_read import iter_lines, read_json

Obj = Mapping[str, Any]


class CallFailed(Exception):
    """A request to the API failed: a one-line, credential-free message and its nature."""

    def __init__(
        self, message: str, *, status: int | None = None, transport: bool = False,
        timeout: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.transport = transport
        """The API could not be reached or did not answer: every request would fail."""
        self.timeout = timeout

    @property
    def fatal(self) -> bool:
        """Not about one resource but about the API or the credentials as a whole."""
        return self.transport or self.status == 401


Describe = Callable[[BaseException, str, str], CallFailed]
"""Turns an exception from the client into a CallFailed, given (verb, resource)."""


class RequestCounter:
    """How many requests went to the API, in total and per operation ("watch pods")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._by_op: Counter[str] = Counter()

    def add(self, op: str) -> None:
        with self._lock:
            self._total += 1
            self._by_op[op] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    def by_op(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_op)


def interrupt(resp: Any) -> None:
    """Unblock a thread reading this response (urllib3 >= 2.3 has shutdown())."""
    shutdown = getattr(resp, "shutdown", None)
    with contextlib.suppress(Exception):
        if shutdown is not None:
            shutdown()
        else:
            resp.close()


def _name(obj: Obj) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


def _rv(obj: Obj) -> str | None:
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("resourceVersion"), str):
        return str(meta["resourceVersion"])
    return None


class Informer:
    """The cache of one kind in one namespace, filled by list and kept by watch."""

    def __init__(
        self,
        resource: str,
        list_fn: Callable[..., Any],
        *,
        namespace: str,
        counter: RequestCounter,
        describe: Describe,
        request_timeout: tuple[float, float],
        watch_timeout_s: int,
        selector: Mapping[str, str] | None = None,
        backoff_max_s: float = 30.0,
        read_margin_s: float = 15.0,
        limits: ReadLimits | None = None,
    ) -> None:
        self.resource = resource
        limits = limits or ReadLimits()
        self._max_bytes = limits.max_body_bytes
        self._deadline_s = limits.deadline_s or request_timeout[1]
        self._list_fn = list_fn
        self._namespace = namespace
        self._counter = counter
        self._describe = describe
        self._request_timeout = request_timeout
        self._watch_timeout_s = int(watch_timeout_s)
        self._backoff_max_s = backoff_max_s
        self._read_margin_s = read_margin_s
        self._selector: dict[str, str] = dict(selector or {})
        self._lock = threading.Lock()
        self._list_lock = threading.Lock()
        self._items: dict[str, Obj] = {}
        self._rv: str | None = None
        self._failure: CallFailed | None = None
        self._epoch = 0
        self._listed = False
        self._stream: Any = None
        self._connecting_since: float | None = None
        self._quick_breaks = 0
        self._fresh_list = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.lists = 0
        self.watches = 0
        self.events_applied = 0

    # ------------------------------------------------------------- reading

    @property
    def healthy(self) -> bool:
        """Listed, and the watch is not failing: the cache can be trusted.

        A watch whose answer has not even begun after the read timeout counts as
        failing: an API server answers a watch at once, so a stalled one would
        otherwise leave a silently stale cache until the long watch read timeout.
        """
        with self._lock:
            since = self._connecting_since
            stalled = since is not None and (
                time.monotonic() - since > self._request_timeout[1]
            )
            return self._rv is not None and self._failure is None and not stalled

    @property
    def listed(self) -> bool:
        """At least one list succeeded (for the current selector)."""
        with self._lock:
            return self._listed

    @property
    def failure(self) -> CallFailed | None:
        with self._lock:
            return self._failure

    @property
    def selector(self) -> dict[str, str]:
        with self._lock:
            return dict(self._selector)

    @property
    def resource_version(self) -> str | None:
        with self._lock:
            return self._rv

    def items(self) -> list[Obj]:
        with self._lock:
            return list(self._items.values())

    def get(self, name: str) -> Obj | None:
        with self._lock:
            return self._items.get(name)

    # ------------------------------------------------------------- control

    def set_selector(self, selector: Mapping[str, str]) -> None:
        """Watch other objects from now on (the Deployment's selector changed)."""
        with self._lock:
            if dict(selector) == self._selector:
                return
            self._selector = dict(selector)
            self._items = {}
            self._rv = None
            self._listed = False
            self._epoch += 1
            stream = self._stream
        if stream is not None:
            interrupt(stream)
        self._wake.set()

    def relist(self, *, force: bool = False) -> None:
        """List now and replace the cache; raises CallFailed. A no-op while healthy."""
        with self._list_lock:
            if not force and self.healthy:
                return
            with self._lock:
                selector = dict(self._selector)
            self._counter.add(f"list {self.resource}")
            self.lists += 1
            try:
                resp = self._list_fn(
                    namespace=self._namespace,
                    _preload_content=False,
                    _request_timeout=self._request_timeout,
                    **selector,
                )
                data = read_json(resp, self._max_bytes, self._deadline_s)
            except Exception as exc:
                failure = self._describe(exc, "list", self.resource)
                with self._lock:
                    self._failure = failure
                raise failure from None
            items = data.get("items") if isinstance(data, Mapping) else None
            meta = data.get("metadata") if isinstance(data, Mapping) else None
            rv = meta.get("resourceVersion") if isinstance(meta, Mapping) else None
            if not isinstance(items, list) or not isinstance(rv, str):
                failure = CallFailed(f"unexpected answer to list {self.resource}")
                with self._lock:
                    self._failure = failure
                raise failure
            with self._lock:
                if selector != self._selector:
                    return  # the selector changed meanwhile; that change lists again
                self._items = {_name(o): o for o in items if isinstance(o, Mapping)}
                self._rv = rv
                self._failure = None
                self._quick_breaks = 0
                self._fresh_list = True
                self._listed = True
                self._epoch += 1
                stream = self._stream
        if stream is not None:
            interrupt(stream)  # the thread re-watches from the new resourceVersion
        self._wake.set()

    def start(self) -> None:
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(
                target=self._run, name=f"watch-{self.resource}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            interrupt(stream)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------- the thread

    def _next_delay(self, delay: float) -> float:
        return min(self._backoff_max_s, max(0.5, delay * 2))

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            if delay > 0:
                self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._lock:
                if self._fresh_list:
                    # A good list (often the source's own, after an outage) proves the API
                    # answers again: watch from it at once, without the old backoff.
                    self._fresh_list = False
                    delay = 0.0
            try:
                delay = self._step(delay)
            except Exception as exc:  # a bug must not silently end the watch
                with self._lock:
                    self._failure = CallFailed(
                        f"watch {self.resource} failed: {type(exc).__name__}"
                    )
                delay = self._next_delay(delay)

    def _step(self, delay: float) -> float:
        """One list or one watch; returns how long to wait before the next."""
        with self._lock:
            rv, epoch, selector = self._rv, self._epoch, dict(self._selector)
        if rv is None:
            try:
                self.relist()
            except CallFailed:
                return self._next_delay(delay)
            return 0.0
        resp, wait = self._open_watch(rv, epoch, selector, delay)
        if resp is None:
            return wait
        started = time.monotonic()
        applied = self.events_applied
        outcome = self._consume(resp, epoch)
        progressed = self.events_applied != applied
        self._end_watch(resp, epoch, outcome, progressed)
        return self._wait_after(outcome, time.monotonic() - started, progressed, delay, epoch)

    def _open_watch(self, rv: str, epoch: int, selector: Mapping[str, str],
                    delay: float) -> tuple[Any, float]:
        """Open the watch from `rv`: (its stream, 0) or (None, how long to wait first)."""
        self._counter.add(f"watch {self.resource}")
        self.watches += 1
        with self._lock:
            self._connecting_since = time.monotonic()
        try:
            resp = self._list_fn(
                namespace=self._namespace,
                watch=True,
                resource_version=rv,
                allow_watch_bookmarks=True,
                timeout_seconds=self._watch_timeout_s,
                _preload_content=False,
                # The server ends the watch after timeout_seconds; a read that
                # stays silent well past that means the connection is dead.
                _request_timeout=(
                    self._request_timeout[0], self._watch_timeout_s + self._read_margin_s
                ),
                **selector,
            )
        except Exception as exc:
            return None, self._watch_refused(exc, epoch, delay)
        with self._lock:
            self._connecting_since = None
            stale = epoch != self._epoch or self._stop.is_set()
            if not stale:
                self._stream = resp
                if self._quick_breaks < 2:
                    self._failure = None  # connected again: the cache is being kept
        if stale:
            interrupt(resp)
            return None, 0.0
        return resp, 0.0

    def _watch_refused(self, exc: Exception, epoch: int, delay: float) -> float:
        """The watch request itself failed: list afresh after a 410, else back off."""
        failure = self._describe(exc, "watch", self.resource)
        with self._lock:
            self._connecting_since = None
            if epoch != self._epoch:
                return 0.0
            if failure.status == 410:
                self._rv = None
                return 0.0
            self._failure = failure
        return self._next_delay(delay)

    def _end_watch(self, resp: Any, epoch: int, outcome: str, progressed: bool) -> None:
        """Book what one watch's end means for the cache, and give its connection back."""
        with self._lock:
            self._stream = None
            if outcome == "expired" and epoch == self._epoch:
                self._rv = None
            # A watch that breaks before delivering a single event (not even a
            # bookmark), again and again, keeps nothing current: a proxy that
            # resets, truncates or garbles every answer. Connecting is not enough
            # to trust the cache then; the source's fetch re-lists and says why.
            if progressed or outcome != "broken":
                self._quick_breaks = 0
            else:
                self._quick_breaks += 1
                if self._quick_breaks >= 2 and epoch == self._epoch:
                    self._failure = CallFailed(
                        f"watch {self.resource} keeps breaking before any event",
                        transport=True,
                    )
        with contextlib.suppress(Exception):
            if outcome == "ended":
                resp.release_conn()
            else:
                resp.close()
                resp.release_conn()

    def _wait_after(self, outcome: str, lasted: float, progressed: bool, delay: float,
                    epoch: int) -> float:
        """How long to wait before re-opening a watch that ended after `lasted` seconds."""
        if outcome == "broken":
            # Re-open at once after a first break, or after a watch that delivered events
            # (it was working: a proxy cutting streams every few seconds is no reason to
            # wait longer and longer); back off if it keeps breaking without progress.
            wait = (0.1 if lasted > 5.0 or delay < 0.1 or progressed
                    else self._next_delay(delay))
        elif outcome == "ended" and lasted < 0.5:
            wait = self._next_delay(delay)  # a server that ends every watch at once
        else:
            return 0.0
        if wait > 1.0:
            # Backing off means nothing keeps the cache current meanwhile (the backoff may
            # be left over from an earlier outage: up to backoff_max_s of silently stale
            # data). Say so: the source's next fetch re-lists, which also wakes this thread.
            with self._lock:
                if epoch == self._epoch and self._failure is None:
                    self._failure = CallFailed(
                        f"watch {self.resource} keeps breaking; re-opening in {wait:g} s",
                        transport=True,
                    )
        return wait

    def _consume(self, resp: Any, epoch: int) -> str:
        """Apply the events of one watch: "ended", "expired", "broken", "reset" or "stopped"."""
        try:
            for line in iter_lines(resp, self._max_bytes):
                if self._stop.is_set():
                    return "stopped"
                event = json.loads(line)
                if not isinstance(event, Mapping):
                    return "broken"
                kind, obj = event.get("type"), event.get("object")
                if not isinstance(obj, Mapping):
                    return "broken"
                with self._lock:
                    if epoch != self._epoch:
                        return "reset"
                    if kind == "ERROR":
                        return "expired" if obj.get("code") == 410 else "broken"
                    rv = _rv(obj)
                    if kind in ("ADDED", "MODIFIED"):
                        self._items[_name(obj)] = obj
                    elif kind == "DELETED":
                        self._items.pop(_name(obj), None)
                    elif kind != "BOOKMARK":
                        continue
                    if rv is not None:
                        self._rv = rv
                    self.events_applied += 1
                    if self._quick_breaks:  # delivering again: trusted again
                        self._quick_breaks = 0
                        self._failure = None
        except TooLarge as exc:
            with self._lock:
                # Say why: the next fetch re-lists, and the list is read under the cap too.
                self._failure = CallFailed(f"watch {self.resource}: one event {exc}")
                return "reset" if epoch != self._epoch else "broken"
        except Exception:
            if self._stop.is_set():
                return "stopped"
            with self._lock:
                return "reset" if epoch != self._epoch else "broken"
        if self._stop.is_set():
            return "stopped"
        with self._lock:
            return "reset" if epoch != self._epoch else "ended"
