"""Credentials out of every text the console shows or writes, in every form a server echoes.

A proxy or a misconfigured server that answers with the request's headers in its error
body hands back the credential in whatever form it travelled: the bearer token raw, a
basic-auth password as base64 of `user:password` (`Basic b25j…`), either one
percent-encoded in a redirect's Location or a JSON-escaped message, sometimes inside a
longer base64 blob. A plain `str.replace` of the raw secret catches only the first, so a
`Scrubber` knows each secret's forms up front and replaces any of them with `***`.

It is applied where a message is made (the HTTP and Kubernetes clients) and once more,
as a last resort, where text leaves the process (`snapshot`, `doctor`, recordings).
No Textual here.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Collection, Iterable
from typing import TextIO
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MASK = "***"
MIN_SECRET = 3
"""Shorter strings are not scrubbed: masking every "ab" in every message would garble
them, and a credential that short offers no protection to keep."""
MIN_BASE64_CORE = 6

SECRET_HEADER_WORDS = ("auth", "token", "secret", "key", "cookie", "password", "passwd",
                       "session", "credential", "signature")
"""A header whose name holds one of these carries a credential (Authorization, X-Api-Key,
X-Auth-Token, Cookie, Proxy-Authorization…); headers the user marks are added to them."""

_URL = re.compile(r"(https?://[^\s'\"<>()\[\]{}]*?)([.,;:!?]*(?:[\s'\"<>()\[\]{}]|$))",
                  re.IGNORECASE)
"""A URL, and the punctuation or space that ends it (kept: "at http://h:9090: refused")."""


def is_secret_header(name: str, marked: Collection[str] = ()) -> bool:
    """True when the header's value must never be shown (by its name, or marked secret)."""
    lower = name.strip().lower()
    return lower in {m.lower() for m in marked} or any(w in lower for w in SECRET_HEADER_WORDS)


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that `data` alone determines, at each of the three alignments
    it can have inside a longer encoded text, in the standard and URL-safe alphabets."""
    out: set[str] = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + data).decode("ascii")
        core = encoded[(pad * 8 + 5) // 6: (8 * (pad + len(data))) // 6]
        if pad == 0:
            out.add(encoded)
            out.add(encoded.rstrip("="))
        if len(core) >= MIN_BASE64_CORE:
            out.add(core)
    out |= {form.replace("+", "-").replace("/", "_") for form in out}
    return out


def secret_forms(secret: str) -> set[str]:
    """The raw secret and the encodings it comes back in (percent, JSON, base64)."""
    if len(secret) < MIN_SECRET:
        return set()
    raw = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
           json.dumps(secret)[1:-1]}
    encoded = _base64_cores(secret.encode("utf-8"))
    forms = raw | encoded | {quote(form, safe="") for form in encoded}
    return {f for f in forms if len(f) >= MIN_SECRET}


def basic_forms(username: str, password: str) -> set[str]:
    """The forms of a basic-auth pair: the password alone and base64 of `user:password`."""
    if len(password) < MIN_SECRET:
        return set()
    pair = _base64_cores(f"{username}:{password}".encode())
    return secret_forms(password) | pair | {quote(form, safe="") for form in pair}


class Scrubber:
    """Replaces every known form of every given secret with `***` (case-insensitively,
    so `%2f` and `%2F` are both caught)."""

    def __init__(self, secrets: Iterable[str] = (),
                 basic: Iterable[tuple[str, str]] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            forms |= secret_forms(secret)
        for username, password in basic:
            forms |= basic_forms(username, password)
        self._use(frozenset(forms))

    def _use(self, forms: frozenset[str]) -> None:
        self.forms = forms
        # Longest first, so a whole base64 form wins over the core inside it.
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)),
                       re.IGNORECASE)
            if forms else None
        )

    def __call__(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(MASK, text)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def merged(self, other: Scrubber) -> Scrubber:
        """One scrubber for the secrets of both (e.g. every endpoint of the settings)."""
        joined = Scrubber()
        joined._use(self.forms | other.forms)
        return joined


def mask_url(text: str) -> str:
    """A URL as `--print-config` shows it: the password and every query value masked.

    The user name and the query's parameter names stay, so the printout still says which
    account and which parameters are in use; anything that is not a URL is returned as is.
    """
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{user}@{host}"
    query = "&".join(
        f"{item.partition('=')[0]}={MASK}" if "=" in item else MASK
        for item in parts.query.split("&") if item
    )
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def mask_urls(text: str) -> str:
    """Every URL inside the text masked as `mask_url` masks one (a hint quoting a config
    value that holds `https://u:p@host/?api_key=...`)."""
    return _URL.sub(lambda m: mask_url(m.group(1)) + m.group(2), text)


def without_urls(text: str) -> str:
    """The text with every http(s) URL replaced by `<url>` (what a recording keeps of a
    status line: the reason, not where the source lives or what its URL carried)."""
    return _URL.sub(lambda m: "<url>" + m.group(2), text)


def header_credentials(value: str) -> tuple[list[str], list[tuple[str, str]]]:
    """A credential header's value, its token without the scheme, and a Basic pair."""
    secrets, pairs = [value], []
    scheme, _, token = value.strip().partition(" ")
    if token:
        secrets.append(token.strip())
        if scheme.lower() == "basic":
            try:
                user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                sep = ""
            if sep:
                pairs.append((user, password))
    return secrets, pairs


class ScrubbedOutput(io.StringIO):
    """Collects a report (`doctor`'s) to print it scrubbed; says whether the real stream is a
    terminal, so colour is chosen as if the report went straight there."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def isatty(self) -> bool:
        return self._stream.isatty()

    def emit(self, scrub: Scrubber) -> None:
        self._stream.write(scrub(self.getvalue()))
        self._stream.flush()
