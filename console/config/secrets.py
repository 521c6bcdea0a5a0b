"""The scrubbers of what the settings hold: every credential of an endpoint, of all targets.

Built here, beside the settings, so that the text layer's `Scrubber` knows nothing of
the settings (text/ is below config/, never beside it). A `Scrubber` knows each secret's
forms up front (raw, base64 `user:password`, percent-encoded...); these only collect the
secrets: tokens, passwords, the URL's password and the values of credential headers.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from console.config.types import HttpEndpoint, Settings
from console.text.scrub import Scrubber, header_credentials, is_secret_header


def endpoint_scrubber(endpoint: HttpEndpoint) -> Scrubber:
    """Every credential of one endpoint: token, password, the URL's password, the values of
    its credential headers, and the basic-auth pairs they make."""
    parts = urlsplit(endpoint.url)
    secrets: list[str] = list(endpoint.secret_values())
    pairs: list[tuple[str, str]] = []
    if endpoint.username and endpoint.password is not None:
        pairs.append((endpoint.username, endpoint.password.reveal()))
    if parts.password:
        secrets.append(parts.password)
        pairs.append((unquote(parts.username or ""), unquote(parts.password)))
    for name, value in endpoint.headers.items():
        if is_secret_header(name, endpoint.secret_headers):
            more, more_pairs = header_credentials(value)
            secrets += more
            pairs += more_pairs
    return Scrubber(secrets, pairs)


def settings_scrubber(settings: Settings) -> Scrubber:
    """Every endpoint credential of every target: the last filter where text leaves."""
    scrubber = Scrubber()
    for target in settings.targets:
        for endpoint in (target.prometheus, target.alertmanager):
            if endpoint is not None:
                scrubber = scrubber.merged(endpoint_scrubber(endpoint))
    return scrubber
