"""One target's connection to the Kubernetes API: connect once, count, bound and word every call.

The source (kubernetes.py) decides what to read and when; this is how each request goes:
connected on first use (the kubeconfig and perhaps an exec plugin, see kube_client.py),
counted per operation, read under the body cap and the deadline, and its failure told in
one line with every credential scrubbed (kube_errors.py). The SelfSubjectAccessReview and
the one-request write live here too, since they are calls like any other and the source
only asks "may I?" and "do it once". Blocking: callers run it in a thread. No Textual here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from console.config.settings import TargetSettings
from console.sources.base import ActionError, Permission, SourceError
from console.sources.bounded_read import read_json
from console.sources.exec_credential import ExecPluginError, ExecRunner
from console.sources.kube_client import Connection, connect, one_line
from console.sources.kube_errors import Where, classify, host_of
from console.sources.kube_watch import CallFailed, RequestCounter
from console.text.scrub import Scrubber

API_GROUPS = {
    "deployments": "apps",
    "replicasets": "apps",
    "horizontalpodautoscalers": "autoscaling",
    "pods": "",
    "events": "",
    "configmaps": "",
    "secrets": "",
}


WRITE_VERBS = frozenset({"create", "patch", "delete", "update"})
ASKING = frozenset({"selfsubjectaccessreviews"})
"""Created, but only to ask a question: sending it again changes nothing."""


class KubeReadError(SourceError, ActionError):
    """A read the user asked for with a key (logs, events, RBAC check) failed.

    Both a SourceError and an ActionError, so either kind of handler catches it.
    """


class KubeSession:
    """The API client of one target, connected lazily and closed once."""

    CONNECT_RETRY_S = 30.0
    """After a failed connect (an exec plugin that hung or failed), its line is repeated for
    this long instead of running the plugin again at every refresh."""

    def __init__(self, target: TargetSettings, counter: RequestCounter,
                 request_timeout: tuple[float, float], deadline_s: float,
                 on_connect: Callable[[], None]) -> None:
        self.target = target
        self.counter = counter
        self.request_timeout = request_timeout
        self.max_bytes = target.limits.max_body_bytes
        self.deadline_s = deadline_s
        self._on_connect = on_connect
        self._lock = threading.Lock()
        """Guards the connection's fields; never held while connecting (an exec plugin may
        take its whole deadline), so closing the source never waits for a plugin."""
        self._connect_lock = threading.Lock()
        self._connect_failure: tuple[str, float] | None = None
        self._exec = ExecRunner(target.limits.exec_timeout_s)
        self._scrubber = Scrubber()
        self._api_client: Any = None
        self._connection: Connection | None = None
        self.apis: dict[str, Any] = {}
        self._configuration: Any = None
        self._context_name = target.context or "(current context)"
        self._closed = False

    # ------------------------------------------------------------ connecting

    def ensure(self) -> None:
        """Connect once (kubeconfig, exec plugin); SourceError if that is impossible.

        One thread connects at a time; the others wait on `_connect_lock`, not on `_lock`,
        and a failure is remembered so that they, and the next refreshes, get its line.
        """
        with self._lock:
            if self._closed:
                raise SourceError("Kubernetes source is closed")
            if self._api_client is not None:
                return
        with self._connect_lock:
            with self._lock:
                if self._api_client is not None:
                    return
                failed = self._connect_failure
            if failed is not None and time.monotonic() - failed[1] < self.CONNECT_RETRY_S:
                raise SourceError(failed[0])
            try:
                connection = connect(self.target, self._exec)
            except SourceError as exc:
                self._connect_failure = (str(exc), time.monotonic())
                raise
            self._install(connection)

    @property
    def connection(self) -> Connection | None:
        """The connected client (None until `ensure` succeeded)."""
        return self._connection

    def ensure_for(self, error: type[Exception]) -> None:
        """`ensure`, its failure raised as `error` (what the caller's handler catches)."""
        try:
            self.ensure()
        except SourceError as exc:
            raise error(str(exc)) from None

    def _install(self, connection: Connection) -> None:
        with self._lock:
            if self._closed:
                with contextlib.suppress(Exception):
                    connection.api_client.close()
                raise SourceError("Kubernetes source is closed")
            self._configuration = connection.configuration
            self._context_name = connection.context_name
            self._scrubber = connection.scrubber()
            self.apis = connection.apis()
            self._api_client = connection.api_client
            self._connection = connection
            self._connect_failure = None
            self._on_connect()

    def shut(self) -> Any:
        """Closed from now on (a connect under way is dropped); the client to close, if any.

        A running exec plugin is killed first: killing waits for nothing, and the thread
        that runs it then ends at once.
        """
        self._exec.cancel()
        with self._lock:
            self._closed = True
            api = self._api_client
            self._api_client = None
        return api

    def cancel_exec(self) -> None:
        self._exec.cancel()

    # ------------------------------------------------------------- one call

    def describe(
        self, exc: BaseException, verb: str, resource: str, name: str | None = None
    ) -> CallFailed:
        """The one line an on-call engineer reads, from whatever the client raised."""
        where = Where(host_of(self._configuration), self.target.namespace,
                      self._context_name, self.request_timeout[1])
        failure = classify(exc, verb, resource, name, where)
        # Built again each time: the plugin may have renewed the token since connecting.
        connection = self._connection
        scrub = connection.scrubber() if connection is not None else self._scrubber
        failure.message = scrub(one_line(failure.message))
        failure.args = (failure.message,)
        return failure

    def read_json(self, resp: Any, verb: str, resource: str, name: str | None = None) -> Any:
        """The JSON of a raw answer, read under the body cap and the deadline; CallFailed
        when it is too large or too slow, ValueError when it is not JSON."""
        try:
            return read_json(resp, self.max_bytes, self.deadline_s)
        except ValueError:
            raise
        except Exception as exc:
            raise self.describe(exc, verb, resource, name) from None

    def call(self, verb: str, resource: str, fn: Any, **kwargs: Any) -> Any:
        """One request: counted, raw JSON, errors turned into CallFailed."""
        return self.call_named(verb, resource, fn, kwargs.get("name"), **kwargs)

    def call_named(
        self, verb: str, resource: str, fn: Any, object_name: str | None, **kwargs: Any
    ) -> Any:
        """One request; a read refused with 401 is sent once more after the exec plugin
        gave a new token (it expired early, or was revoked). A write is not repeated: the
        token is renewed, and the next attempt, made by the user, carries it."""
        for attempt in (1, 2):
            self.counter.add(f"{verb} {resource}")
            refused = self._bearer_now()
            try:
                return fn(_preload_content=False, _request_timeout=self.request_timeout,
                          **kwargs)
            except Exception as exc:
                failure = self.describe(exc, verb, resource, object_name)
                if (failure.status != 401 or isinstance(exc, ExecPluginError)
                        or attempt == 2 or not self._renew(refused)
                        or (verb in WRITE_VERBS and resource not in ASKING)):
                    raise failure from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _bearer_now(self) -> str | None:
        configuration = self._configuration
        api_key = getattr(configuration, "api_key", None) or {}
        token = api_key.get("BearerToken")
        return token if isinstance(token, str) else None

    def _renew(self, refused: str | None) -> bool:
        """Ask the exec plugin again after a 401; False when there is none, or it failed
        (the 401's own line is then what the user reads)."""
        connection = self._connection
        if connection is None:
            return False
        try:
            renewed = connection.renew_after_401(refused)
        except ExecPluginError:
            return False
        return renewed

    def write(self, verb: str, resource: str, fn: Any, object_name: str, what: str,
              **kwargs: Any) -> Any:
        """Exactly one write request; ActionError with the reason, never a retry."""
        self.ensure_for(ActionError)
        try:
            resp = self.call_named(verb, resource, fn, object_name, **kwargs)
            return self.read_json(resp, verb, resource, object_name)
        except CallFailed as failure:
            if failure.timeout and not failure.message.startswith("Kubernetes API unreachable"):
                raise ActionError(
                    f"no answer within {self.request_timeout[1]:g} s: the {what} may or may "
                    "not have been applied; check before trying again"
                ) from None
            raise ActionError(failure.message) from None
        except ValueError:
            return None  # sent and accepted (2xx); an odd body does not undo it

    # ------------------------------------------------------- access review

    def review(self, verb: str, resource: str, subresource: str, name: str = "") -> Permission:
        """One SelfSubjectAccessReview in the target namespace; KubeReadError when the
        review itself cannot be made ("could not ask" is not "denied")."""
        self.ensure_for(KubeReadError)
        t = self.target
        attrs: dict[str, str] = {
            "namespace": t.namespace,
            "verb": verb,
            "group": API_GROUPS.get(resource, ""),
            "resource": resource,
        }
        if subresource:
            attrs["subresource"] = subresource
        # Name-scoped RBAC (resourceNames) is answered right only with the name.
        if name:
            attrs["name"] = name
        elif resource == "deployments":
            attrs["name"] = t.deployment
        elif resource == "horizontalpodautoscalers":
            attrs["name"] = t.hpa
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        try:
            resp = self.call(
                "create", "selfsubjectaccessreviews",
                self.apis["authorization"].create_self_subject_access_review, body=body,
            )
            data = self.read_json(resp, "create", "selfsubjectaccessreviews")
        except CallFailed as failure:
            raise KubeReadError(failure.message) from None
        except ValueError:
            raise KubeReadError("unexpected answer to a SelfSubjectAccessReview") from None
        return _permission(data, verb, resource, subresource, t.namespace)


def _permission(data: Any, verb: str, resource: str, subresource: str,
                namespace: str) -> Permission:
    """The review's answer; a "no" without a reason still says what was denied where."""
    status = data.get("status") if isinstance(data, Mapping) else None
    if not isinstance(status, Mapping):
        raise KubeReadError("the SelfSubjectAccessReview came back without a status")
    reason = one_line(str(status.get("reason") or status.get("evaluationError") or ""))
    what = f"{resource}/{subresource}" if subresource else resource
    if status.get("allowed") is True:
        return Permission(True, reason)
    return Permission(False, reason or f"RBAC denies {verb} {what} in {namespace}")
