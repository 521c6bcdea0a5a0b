"""One HTTP client per endpoint (Prometheus, Alertmanager): bounded, and every failure one
credential-free line.

Bounded because the other end may be anything: a proxy gone wrong that answers forever,
a 50 MB answer, a server that trickles a byte a second. httpx's timeouts are per phase
and its read timeout never fires while bytes keep coming, so every request runs under
one deadline for connect, headers and the whole body, and the body is read as a stream
and abandoned past the body cap (`console/config/limits.py`). Memory stays at the cap, not at
whatever the server sends.

Credential-free because a server may echo what it was sent: every message goes through
the endpoint's `Scrubber` (the token, the password, base64 of `user:password`, their
percent-encoded forms, the values of credential headers). Redirects are followed only
within the configured origin: httpx would strip Authorization on a cross-origin hop but
forward every other header, X-Api-Key and the like included, so a hop elsewhere is
refused with a line naming the origin it pointed to.

httpx (async) rather than prometheus-api-client: see console/sources/prometheus.py.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

try:  # httpx's own reading of HTTP(S)_PROXY/NO_PROXY, kept when a transport is passed
    from httpx._utils import get_environment_proxies
except ImportError:  # pragma: no cover - a later httpx moved it: go without proxies

    def get_environment_proxies() -> dict[str, str | None]:
        return {}


from console.config.limits import format_size
from console.config.secrets import endpoint_scrubber
from console.config.settings import HttpEndpoint
from console.sources.base import SourceError
from console.sources.tls_errors import refused_certificate, tls_failure

MAX_REDIRECTS = 5
ERROR_BODY_BYTES = 64 * 1024
"""An error answer is read this far at most: its message is a line, not megabytes."""
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class AnswerTooLarge(SourceError):
    """An answer went past the body cap; reading stopped there."""


def display_url(url: str) -> str:
    """The endpoint as it may be shown: no user:password, no query string."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in: what "the same server" means."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


def _ssl_context(endpoint: HttpEndpoint) -> ssl.SSLContext | bool:
    # httpx 0.28 deprecates verify=<path>; a context built here takes a CA file or folder.
    verify = endpoint.verify
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


PLACEHOLDER = {"prometheus": "http://prometheus.service-proxy.invalid",
               "alertmanager": "http://alertmanager.service-proxy.invalid"}
"""The URL of a source read through a `RoutedTransport`: only it knows where that goes."""


class ServiceNotFound(SourceError):
    """A routed transport found no Service to send to: for Alertmanager, "not configured"."""


class RoutedTransport(httpx.AsyncBaseTransport):
    """A transport that must find where its requests go before they are sent (the API
    server's service proxy, console/sources/service_proxy.py). `prepare` is awaited
    before each request's deadline starts, since it may run an exec plugin under that
    plugin's own deadline and must fail with the plugin's name, not as a timeout."""

    users = 0
    """ApiClients using it: each closes it once, and only the last close closes it."""

    async def prepare(self, base_url: httpx.URL) -> str:
        """Where this base URL goes, as it may be shown; SourceError if nowhere."""
        raise NotImplementedError

    def retain(self) -> None:
        self.users += 1

    def release(self) -> bool:
        """One user fewer; True when that was the last (the owner then closes it)."""
        self.users -= 1
        return self.users <= 0


class _Progress:
    """How far one request got, for the line that says where it timed out."""

    reading = False


class ApiClient:
    """An `httpx.AsyncClient` for one endpoint, whose errors are `SourceError` one-liners.

    Shared by the Prometheus and Alertmanager sources and by `doctor`. Credentials live
    only in the client's headers/auth; every message is scrubbed of them in case a
    server echoes a header back.
    """

    def __init__(
        self,
        endpoint: HttpEndpoint,
        api: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.api = api
        self.requests_sent = 0
        self._routed = transport if isinstance(transport, RoutedTransport) else None
        if self._routed is not None:
            self._routed.retain()
        parts = urlsplit(endpoint.url)
        auth: httpx.BasicAuth | None = None
        if endpoint.username is not None:
            password = endpoint.password.reveal() if endpoint.password else ""
            auth = httpx.BasicAuth(endpoint.username, password)
        elif parts.username is not None:
            # user:password@ in the URL: move it to basic auth so it never reaches a message.
            auth = httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
        self.scrub = endpoint_scrubber(endpoint)
        self.url = display_url(endpoint.url)
        base = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
        verify = _ssl_context(endpoint)
        mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
        if transport is None:
            # Connect-only retries (a refused connect sent nothing, so repeating is safe).
            # A custom transport disables httpx's proxy environment, so mount it back.
            transport = httpx.AsyncHTTPTransport(verify=verify, retries=1)
            for pattern, proxy in get_environment_proxies().items():
                mounts[pattern] = (
                    None if proxy is None
                    else httpx.AsyncHTTPTransport(proxy=proxy, verify=verify, retries=1)
                )
        self._client = httpx.AsyncClient(
            base_url=base,
            headers=endpoint.auth_headers(),
            auth=auth,
            timeout=httpx.Timeout(endpoint.timeout_s),
            transport=transport,
            mounts=mounts,
            follow_redirects=False,  # followed below, within the origin only
        )

    @property
    def uses_token(self) -> bool:
        return self.endpoint.bearer_token is not None

    def _fail(self, message: str) -> SourceError:
        return SourceError(self.scrub(" ".join(message.split()))[:300])

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request and read its whole (capped) answer under the deadline; any
        transport failure, HTTP error status, oversized or endless answer is a SourceError."""
        self.requests_sent += 1
        if self._routed is not None:
            self.url = await self._routed.prepare(self._client.base_url)
        progress = _Progress()
        deadline = self.endpoint.deadline_s
        try:
            async with asyncio.timeout(deadline):
                response = await self._exchange(method, path, params, json, progress)
        except TimeoutError:
            doing = ("reading the answer of" if progress.reading else "waiting for")
            raise self._fail(f"timed out after {deadline:g}s {doing} {self.api} at {self.url}"
                             ) from None
        except httpx.TimeoutException:
            raise self._fail(
                f"timed out after {self.endpoint.timeout_s:g}s waiting for {self.api} "
                f"at {self.url}"
            ) from None
        except httpx.ConnectError as exc:
            raise self._fail(self._connect_message(exc)) from None
        except httpx.RemoteProtocolError:
            raise self._fail(
                f"{self.api} at {self.url} closed the connection without a valid answer"
            ) from None
        except (httpx.ReadError, httpx.WriteError) as exc:
            tls = next((c for c in _causes(exc) if isinstance(c, ssl.SSLError)), None)
            if tls is not None and not progress.reading:  # the session ended before an answer
                raise self._fail(tls_failure(self.api, self.url, str(tls), ended=True)
                                 ) from None
            # A reset mid-answer (proxy or server crash): "failed (ReadError)" named no fault.
            raise self._fail(
                f"{self.api} at {self.url} dropped the connection mid-answer"
            ) from None
        except httpx.HTTPError as exc:
            raise self._fail(
                f"{self.api} request to {self.url} failed ({type(exc).__name__})"
            ) from None
        except ssl.SSLError as exc:  # an alert read by anyio's TLS stream comes unwrapped
            raise self._fail(tls_failure(self.api, self.url, str(exc),
                                         ended=not progress.reading)) from None
        if response.status_code >= 400:
            raise self._fail(self._status_message(response))
        return response

    async def _exchange(self, method: str, path: str, params: Mapping[str, str] | None,
                        json: Any, progress: _Progress) -> httpx.Response:
        request = self._client.build_request(method, path, params=params, json=json)
        home = origin(request.url)
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._client.send(request, stream=True)
            try:
                if response.next_request is not None:
                    request = response.next_request
                    if origin(request.url) != home:
                        raise self._fail(self._elsewhere(request.url))
                    continue
                progress.reading = True
                body = await self._body(response)
            finally:
                await response.aclose()
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in _BODY_HEADERS]
            return httpx.Response(response.status_code, headers=headers, content=body,
                                  request=request)
        raise self._fail(f"{self.api} at {self.url} redirected more than {MAX_REDIRECTS} times")

    def _elsewhere(self, url: httpx.URL) -> str:
        scheme, host, port = origin(url)
        where = f"{scheme}://{host}:{port}"[:120]
        return (f"{self.api} at {self.url} redirected to another origin ({where}): not "
                "followed, so no credential or header goes there")

    async def _body(self, response: httpx.Response) -> bytes:
        """The decoded body, read as it streams; past the cap, reading stops and it fails
        (an error answer is only read far enough for its message)."""
        limit = self.endpoint.limits.max_body_bytes
        error = response.status_code >= 400
        keep = min(limit, ERROR_BODY_BYTES) if error else limit
        declared = response.headers.get("content-length", "")
        if not error and declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > keep:
                if error:
                    return bytes(body[:keep])
                # The exception's traceback keeps this frame alive until a garbage
                # collection that large buffers do not trigger: let it keep nothing big.
                body.clear()
                raise self._too_large(limit)
        return bytes(body)

    def _too_large(self, limit: int) -> AnswerTooLarge:
        return AnswerTooLarge(str(self._fail(
            f"{self.api} at {self.url}: answer over {format_size(limit)}, stopped reading")))

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = await self.request("GET", path, params=params)
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._fail(f"malformed JSON from {self.api} at {self.url}") from None

    def _connect_message(self, exc: httpx.ConnectError) -> str:
        causes = list(_causes(exc))
        text = " ".join(str(c) for c in causes).lower()
        if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in text:
            return f"connection refused at {self.url}"
        if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes) or (
            "certificate verify failed" in text
        ):
            return (
                f"TLS certificate of {self.url} is not trusted "
                "(give the CA file, or skip verification if you must)"
            )
        tls = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
        if tls is not None:
            if refused_certificate(str(tls)) is not None:
                return tls_failure(self.api, self.url, str(tls))
            return f"TLS handshake with {self.url} failed"
        if any(isinstance(c, socket.gaierror) for c in causes) or (
            "name or service not known" in text or "name resolution" in text
        ):
            return f"cannot resolve the host of {self.url}"
        if "unreachable" in text:
            return f"network unreachable for {self.url}"
        return f"cannot connect to {self.api} at {self.url}"

    def _status_message(self, response: httpx.Response) -> str:
        code = response.status_code
        where = f"HTTP {code} from {self.api} at {self.url}"
        if code in (401, 403):
            if self.uses_token:
                hint = "check the bearer token"
            elif self.endpoint.username or urlsplit(self.endpoint.url).username:
                hint = "check the username and password"
            else:
                hint = "credentials needed (bearer token or username/password)"
            word = "unauthorized" if code == 401 else "forbidden"
            return f"{word}: {hint} ({where})"
        detail = _error_detail(response)
        return f"{where}: {detail}" if detail else where

    async def aclose(self) -> None:
        await self._client.aclose()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from, including exception-group members
    (anyio reports a refused connect as "All connection attempts failed" from the real one)."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(c for c in (current.__cause__, current.__context__) if c is not None)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)


def _error_detail(response: httpx.Response) -> str:
    """The server's own short explanation, if it gave one that is fit to show."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if not text or "<" in text[:1] or len(text) > 200:
            return ""
        return text.splitlines()[0]
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping):
        error = body.get("error") or body.get("message")
        kind = body.get("errorType")
        if isinstance(error, str):
            return f"{kind}: {error}" if isinstance(kind, str) and kind else error
    return ""
