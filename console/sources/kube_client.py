"""The official `kubernetes` client for one target, built so that nothing it reads is unbounded.

Built with the client's own kubeconfig loading (KUBECONFIG's files merged as kubectl
merges them, contexts, auth providers, tokens, certificates), with two subclasses where
the client has no setting for a limit:

- its `KubeConfigLoader` runs an exec credential plugin through `ExecRunner` (a deadline,
  no terminal, stderr captured) instead of the unbounded `ExecProvider`; the loader's own
  token refresh calls the same method, so a refresh is bounded too;
- its REST client reads an error answer (non-2xx) at most `ERROR_BODY_BYTES` far: the
  generated client reads such a body whole before raising, and a proxy's endless 502
  would grow the console without limit. Successful answers are read by the source
  itself, as a stream, under the body cap (`kube_watch.read_body`).

The kubernetes package is imported only here and only when a target connects, so the
demo and `--help` never pay its ~0.3 s. No Textual here.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.config.settings import TargetSettings
from console.sources.base import SourceError
from console.sources.exec_credential import ExecPluginError, ExecRunner
from console.sources.kubeconfig import IN_CLUSTER, check_context, kubeconfig_path
from console.text.safe_text import one_line as clean_one_line
from console.text.scrub import Scrubber

ERROR_BODY_BYTES = 64 * 1024
REFRESH_AHEAD_S = 60.0
"""A plugin's token is renewed this long before it expires, or at a fifth of its life left
when it lives less than five minutes. The client's own rule (five minutes ahead) would run
a plugin whose tokens live 15 s before every single request."""


def refresh_at(issued: float, expires: float) -> float:
    """When a token issued at `issued` and valid until `expires` (epoch s) is renewed."""
    return expires - min(REFRESH_AHEAD_S, max(0.0, expires - issued) / 5)


def one_line(text: str, limit: int = 200) -> str:
    """The API's words as one clean, capped line (console/text/safe_text.py)."""
    return clean_one_line(str(text), limit)


class _RenewingLoader:
    """The exec plugin's token renewed at `refresh_at`, not five minutes ahead, and once
    per refused token after a 401; mixed in front of the client's kubeconfig loader."""

    renew_lock: threading.Lock
    _user: Any

    _load_authentication: Callable[[], None]
    """The client loader's own (annotated only: a definition here would shadow it)."""

    def _base_set_config(self, configuration: Any) -> None:
        super()._set_config(configuration)  # type: ignore[misc]

    def _set_config(self, configuration: Any) -> None:
        self._base_set_config(configuration)
        if "exec" in self._user and "token" in self.__dict__:
            configuration.refresh_api_key_hook = self._renew_if_due

    def _renew_if_due(self, configuration: Any) -> None:
        """The client calls this before every request (its refresh hook)."""
        with self.renew_lock:
            if time.time() >= getattr(self, "renew_at", float("inf")):
                self._renew(configuration)

    def _renew(self, configuration: Any) -> None:
        self._load_authentication()
        self._set_config(configuration)

    def renew_after_401(self, configuration: Any, refused: str | None) -> bool:
        """Run the plugin again after a 401, once for the token that was refused (threads
        refused with it wait here and reuse the new one); False with no plugin to ask."""
        if "exec" not in self._user:
            return False
        with self.renew_lock:
            if refused is None or configuration.api_key.get("BearerToken") == refused:
                self._renew(configuration)
        return True


@functools.cache
def _client_classes() -> tuple[type, type]:
    """(kubeconfig loader, API client) subclasses; made once, when the client is first used."""
    import kubernetes.client
    import kubernetes.client.rest
    import kubernetes.config.dateutil
    import kubernetes.config.kube_config

    from console.sources.bounded_read import read_body

    # The client's modules as untyped values: their classes are only partly annotated.
    client: Any = kubernetes.client
    rest: Any = kubernetes.client.rest
    kube_config: Any = kubernetes.config.kube_config
    parse_rfc3339: Any = kubernetes.config.dateutil.parse_rfc3339
    file_or_data: Any = kube_config.FileOrData
    loader_base: Any = kube_config.KubeConfigLoader

    class BoundedExecLoader(_RenewingLoader, loader_base):  # type: ignore[misc]
        """Runs `users[].user.exec` through the console's ExecRunner."""

        exec_runner: ExecRunner

        def _load_from_exec_plugin(self) -> bool | None:
            if "exec" not in self._user:
                return None
            base_path = self._get_base_path(self._cluster.path)
            credential = self.exec_runner.run(
                dict(self._user["exec"].value), cwd=base_path or None,
                cluster=dict(self._cluster.value))
            if credential.token:
                self.token = f"Bearer {credential.token}"
            else:
                status = {"cert": credential.client_certificate_data,
                          "key": credential.client_key_data}
                for attr, key in (("cert_file", "cert"), ("key_file", "key")):
                    setattr(self, attr, file_or_data(
                        status, None, data_key_name=key, file_base_path=base_path,
                        base64_file_content=False, temp_file_path=self._temp_file_path,
                    ).as_file())
            if credential.expiration:
                self.expiry = parse_rfc3339(credential.expiration)
                self.renew_at = refresh_at(time.time(), self.expiry.timestamp())
            return True


    class BoundedRest(rest.RESTClientObject):  # type: ignore[misc]
        """Reads an error answer only far enough for its message."""

        def request(self, *args: Any, **kwargs: Any) -> Any:
            answer = super().request(*args, **kwargs)
            if not 200 <= answer.status <= 299:
                try:
                    answer.data = read_body(answer.response, ERROR_BODY_BYTES, truncate=True)
                finally:
                    answer.response.close()
                    answer.response.release_conn()
            return answer

    class BoundedApiClient(client.ApiClient):  # type: ignore[misc]
        def __init__(self, configuration: Any) -> None:
            super().__init__(configuration)
            self.rest_client = BoundedRest(configuration)

    if not hasattr(loader_base, "_load_from_exec_plugin"):  # pragma: no cover
        raise SourceError("this version of the kubernetes client runs exec plugins in a way "
                          "the console cannot bound; install kubernetes 29 to 37")
    return BoundedExecLoader, BoundedApiClient


@dataclass
class Connection:
    """A connected client: what the source calls, and what its messages must never show."""

    api_client: Any
    configuration: Any
    context_name: str
    loader: Any = None
    """The kubeconfig loader (None in a pod): it renews an exec plugin's token."""

    def renew_after_401(self, refused: str | None) -> bool:
        """Ask the exec plugin for a new token after a 401; False when there is none to ask.
        Blocking (the plugin runs): call it in a thread. ExecPluginError if it fails."""
        if self.loader is None:
            return False
        return bool(self.loader.renew_after_401(self.configuration, refused))

    def bearer(self) -> str | None:
        """The `Bearer …` header value, renewed first when due (may run the plugin)."""
        value = self.configuration.get_api_key_with_prefix("BearerToken")
        return str(value) if value else None

    def apis(self) -> dict[str, Any]:
        from kubernetes import client

        api = self.api_client
        return {
            "core": client.CoreV1Api(api),
            "apps": client.AppsV1Api(api),
            "autoscaling": client.AutoscalingV2Api(api),
            "custom": client.CustomObjectsApi(api),
            "authorization": client.AuthorizationV1Api(api),
        }

    def scrubber(self) -> Scrubber:
        return configuration_scrubber(self.configuration)


def connect(target: TargetSettings, runner: ExecRunner) -> Connection:
    """Load the kubeconfig (or the in-cluster config); SourceError if it is unusable.

    May run an exec plugin, so it can take up to the runner's deadline: never call it
    holding a lock that closing the source or the UI waits for.
    """
    import kubernetes.client
    import kubernetes.config
    import kubernetes.config.kube_config

    kube_config: Any = kubernetes.config  # its loaders are untyped
    merger: Any = kubernetes.config.kube_config.KubeConfigMerger
    loader_class, api_class = _client_classes()
    configuration: Any = kubernetes.client.Configuration()
    path = kubeconfig_path(target.kubeconfig)
    loader: Any = None
    try:
        if path is None:
            kube_config.load_incluster_config(client_configuration=configuration)
            context = IN_CLUSTER
        else:
            context = check_context(path, target.context)
            merged = merger(path)
            loader = loader_class(config_dict=merged.config, active_context=target.context,
                                  config_base_path=None)
            loader.exec_runner = runner
            loader.renew_lock = threading.Lock()
            loader.load_and_set(configuration)
    except (SourceError, ExecPluginError) as exc:
        raise SourceError(str(exc)) from None
    except Exception as exc:
        scrub = configuration_scrubber(configuration)
        raise SourceError(scrub(f"cannot load kubeconfig: {one_line(str(exc), 160)}")) from None
    # Never retry inside urllib3: a retried DELETE could delete twice,
    # and a retried read hides how slow the API really is.
    configuration.retries = False
    api = api_class(configuration)
    api.user_agent = "ai-gateway-console"
    return Connection(api, configuration, context, loader)


def configuration_scrubber(configuration: Any) -> Scrubber:
    """Every credential the client holds: bearer tokens (exec plugins' too), passwords,
    and the `user:password` of a basic-auth header, in all their forms."""
    secrets: list[str] = []
    pairs: list[tuple[str, str]] = []
    value: Any
    for value in (getattr(configuration, "api_key", None) or {}).values():
        if not isinstance(value, str) or not value:
            continue
        secrets.append(value)
        scheme, _, token = value.partition(" ")
        if token:
            secrets.append(token)
        if scheme.lower() == "basic":
            try:
                user, sep, password = base64.b64decode(token).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                sep = ""
            if sep:
                pairs.append((user, password))
    configured = getattr(configuration, "password", None)
    if isinstance(configured, str) and configured:
        secrets.append(configured)
        pairs.append((str(getattr(configuration, "username", "") or ""), configured))
    return Scrubber((s for s in secrets if len(s) >= 4), pairs)
