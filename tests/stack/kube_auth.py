"""Who may talk to the Kubernetes API emulator: short-lived bearer tokens and client certificates.

On EKS, GKE or behind OIDC the kubeconfig's token comes from an exec plugin and lives
minutes; the API server answers a stale one with 401 and a `Status` whose reason is
`Unauthorized`. `TokenIssuer` makes such tokens without shared state between the plugin
process and the emulator: a token is `agc-sl.<expiry ms>.<nonce>.<HMAC>` under a secret
both know, so the emulator checks the signature and the expiry, and the plugin (a
separate process that imports this stdlib-only module) mints them. `revoke_before()`
makes tokens stale before their stated expiry, as a rotated signing key or a revoked
session does, so a client that trusts `expirationTimestamp` alone can be caught.

`Authenticator` is the emulator's decision for one request, in the API server's order:
a verified client certificate names the user (CN) and groups (O); otherwise the bearer
token must be the static token (unless switched off) or a valid issued one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

PREFIX = "agc-sl"
EXEC_API_V1 = "client.authentication.k8s.io/v1"
EXEC_API_V1BETA1 = "client.authentication.k8s.io/v1beta1"


def rfc3339(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TokenIssuer:
    """Signs tokens that expire `ttl_s` after minting; verifies them for the emulator."""

    ttl_s: float
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    _not_before_ms: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]

    def mint(self, now: float | None = None) -> tuple[str, float]:
        """(token, expiry as epoch seconds). The expiry is whole seconds, as the RFC 3339
        `expirationTimestamp` a plugin prints can only say whole seconds."""
        issued = time.time() if now is None else now
        expiry = float(int(issued + self.ttl_s))
        body = f"{PREFIX}.{int(expiry * 1000)}.{int(issued * 1000)}.{secrets.token_hex(4)}"
        return f"{body}.{self._sign(body)}", expiry

    def check(self, token: str, now: float | None = None) -> str | None:
        """None when valid; otherwise why not (for test messages, never sent to clients)."""
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != PREFIX:
            return "not an issued token"
        body, signature = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(self._sign(body), signature):
            return "bad signature"
        try:
            expiry_ms, issued_ms = int(parts[1]), int(parts[2])
        except ValueError:
            return "malformed"
        with self._lock:
            if issued_ms < self._not_before_ms:
                return "revoked"
        now_ms = (time.time() if now is None else now) * 1000
        return "expired" if now_ms >= expiry_ms else None

    def revoke_before(self, epoch_s: float | None = None) -> None:
        """Every token minted before `epoch_s` (default: now) is refused from now on."""
        with self._lock:
            self._not_before_ms = int((time.time() if epoch_s is None else epoch_s) * 1000)

    def exec_credential(self, api_version: str = EXEC_API_V1) -> str:
        """The JSON an exec credential plugin prints: token and expirationTimestamp."""
        token, expiry = self.mint()
        return json.dumps({
            "kind": "ExecCredential",
            "apiVersion": api_version,
            "spec": {"interactive": False},
            "status": {"token": token, "expirationTimestamp": rfc3339(expiry)},
        })


@dataclass(frozen=True)
class Identity:
    """Who a request was authenticated as, and how."""

    user: str
    groups: tuple[str, ...]
    method: str
    """"x509", "token" (the static one) or "issued" (a TokenIssuer's)."""


@dataclass
class Authenticator:
    """The emulator's authentication: static token, issued tokens, client certificates.

    The static token is passed in per request (the emulator's `token`, which tests may
    change mid-test to stand for a rotated credential)."""

    static_token_allowed: bool = True
    issuer: TokenIssuer | None = None
    token_user: str = "oncall@example.com"
    refused: list[str] = field(default_factory=list)
    """Why each refused request was refused, in order (for assertions)."""

    def identify(self, authorization: str | None, peer: tuple[str, tuple[str, ...]] | None,
                 static_token: str) -> Identity | None:
        if peer is not None:
            return Identity(peer[0], peer[1], "x509")
        if not authorization or not authorization.startswith("Bearer "):
            self.refused.append("no credentials")
            return None
        token = authorization[len("Bearer "):]
        if self.static_token_allowed and hmac.compare_digest(token.encode(), static_token.encode()):
            return Identity(self.token_user, ("system:authenticated",), "token")
        if self.issuer is not None:
            why = self.issuer.check(token)
            if why is None:
                return Identity(self.token_user, ("system:authenticated",), "issued")
            self.refused.append(why)
            return None
        self.refused.append("unknown token")
        return None
