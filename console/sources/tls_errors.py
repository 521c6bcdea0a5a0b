"""TLS failures in words an on-call engineer can act on, for both HTTP stacks (the
kubernetes client's urllib3 and httpx): the same alert reads the same from either."""

from __future__ import annotations

_REFUSED_CERTIFICATE = {"CERTIFICATE_REQUIRED": "certificate required",
                        "BAD_CERTIFICATE": "bad certificate",
                        "UNKNOWN_CA": "its CA is not trusted there",
                        "CERTIFICATE_EXPIRED": "certificate expired",
                        "CERTIFICATE_REVOKED": "certificate revoked"}
"""The TLS alerts a server sends about the client's certificate (OpenSSL's reason names)."""


_ENDED = ("EOF", "RESET", "DID_NOT_COMPLETE")
"""A session ended without an alert read: the server closed it first (the alert raced the
close and lost, which Python's own TLS servers show about one time in two)."""


def refused_certificate(text: str) -> str | None:
    """The words of the alert a server sent about the client's certificate, if it did."""
    upper = text.upper().replace(" ", "_")
    return next((why for alert, why in _REFUSED_CERTIFICATE.items()
                 if f"ALERT_{alert}" in upper), None)


def tls_failure(api: str, where: str, text: str, *, ended: bool = False) -> str:
    """One line for a TLS failure, from the error's text: a server that refuses the client's
    certificate ends the session with an alert, which reads as a dropped connection unless
    named; when only the end of the session arrived (`ended`, or its words in `text`), the
    likely cause is asked, not claimed."""
    upper = text.upper().replace(" ", "_")
    if "CERTIFICATE_VERIFY" in upper:
        return f"{api} unreachable at {where} (certificate verify failed)"
    why = refused_certificate(text)
    if why is not None:
        return (f"{api} at {where} refused this client's TLS certificate ({why}): "
                "check the client certificate the kubeconfig user gives")
    if ended or any(word in upper for word in _ENDED):
        return (f"{api} at {where} ended the TLS session before answering "
                "(does it require a client certificate?)")
    return f"{api} unreachable at {where} (TLS error)"
