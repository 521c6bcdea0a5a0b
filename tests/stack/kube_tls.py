"""A private certificate authority for the Kubernetes API emulator, made with `cryptography`.

Real kubeconfigs carry the cluster's CA and, for certificate users, a client certificate
and key inline (`certificate-authority-data`, `client-certificate-data`,
`client-key-data`, base64 of PEM). To test the console's TLS handling against what
`kubectl` and the official client accept, the emulator needs the same: a CA of its own,
a server certificate for 127.0.0.1 and localhost signed by it, and client certificates
whose subject names a user (CN) and groups (O), as the API server's x509 authenticator
reads them. Keys are EC P-256: generated in milliseconds, accepted by Go and OpenSSL.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Pem:
    """A certificate and its private key, PEM-encoded, written to files for ssl."""

    cert: bytes
    key: bytes
    cert_path: Path
    key_path: Path

    @property
    def cert_data(self) -> str:
        """base64 of the PEM, as kubeconfig's *-data fields hold it."""
        return base64.b64encode(self.cert).decode()

    @property
    def key_data(self) -> str:
        return base64.b64encode(self.key).decode()


@dataclass(frozen=True)
class TlsMaterial:
    """One CA and what it signed: the server's certificate and a client's."""

    ca: Pem
    server: Pem
    client: Pem

    @property
    def ca_path(self) -> Path:
        return self.ca.cert_path

    def client_for(self, folder: Path, user: str, groups: tuple[str, ...] = ()) -> Pem:
        """Another client certificate from the same CA (another user, other groups)."""
        ca_key = serialization.load_pem_private_key(self.ca.key, password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert)
        return _client(folder, f"client-{user}", ca_cert, ca_key, user, groups)


def _name(common: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(folder: Path, stem: str, cert: x509.Certificate,
           key: ec.EllipticCurvePrivateKey) -> Pem:
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key_pem)
    key_path.chmod(0o600)
    return Pem(cert_pem, key_pem, cert_path, key_path)


def _builder(subject: x509.Name, issuer: x509.Name,
             key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR))


Leaf = tuple[x509.CertificateBuilder, ec.EllipticCurvePrivateKey]


def _leaf(subject: x509.Name, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
          usage: x509.ObjectIdentifier) -> Leaf:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (_builder(subject, ca_cert.subject, key)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                            False, False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   ca_key.public_key()), critical=False))
    return builder, key


def _client(folder: Path, stem: str, ca_cert: x509.Certificate,
            ca_key: ec.EllipticCurvePrivateKey, user: str, groups: tuple[str, ...]) -> Pem:
    builder, key = _leaf(_name(user, groups), ca_cert, ca_key, ExtendedKeyUsageOID.CLIENT_AUTH)
    return _write(folder, stem, builder.sign(ca_key, hashes.SHA256()), key)


def make_tls(folder: Path, user: str = "oncall@example.com",
             groups: tuple[str, ...] = ("oncall",)) -> TlsMaterial:
    """A fresh CA in `folder`, a server certificate for 127.0.0.1/localhost and a client's."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("agc-emulator-ca")
    ca_cert = (_builder(ca_name, ca_name, ca_key)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                            False, False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                              critical=False)
               .sign(ca_key, hashes.SHA256()))
    ca = _write(folder, "ca", ca_cert, ca_key)
    builder, server_key = _leaf(_name("kube-apiserver"), ca_cert, ca_key,
                                ExtendedKeyUsageOID.SERVER_AUTH)
    builder = builder.add_extension(x509.SubjectAlternativeName([
        x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
        critical=False)
    server = _write(folder, "server", builder.sign(ca_key, hashes.SHA256()), server_key)
    client = _client(folder, "client", ca_cert, ca_key, user, groups)
    return TlsMaterial(ca, server, client)


def server_context(material: TlsMaterial, client_cert: str | None = None) -> ssl.SSLContext:
    """The server side: `client_cert` None (no client certificates asked for), "optional"
    (verified when sent, as the API server does) or "required" (mTLS: none, no handshake)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(material.server.cert_path, material.server.key_path)
    if client_cert is not None:
        if client_cert not in ("optional", "required"):
            raise ValueError(f"client_cert must be optional or required, not {client_cert!r}")
        ctx.load_verify_locations(cafile=str(material.ca_path))
        ctx.verify_mode = ssl.CERT_REQUIRED if client_cert == "required" else ssl.CERT_OPTIONAL
    return ctx


def peer_user(cert: dict[str, object] | None) -> tuple[str, tuple[str, ...]] | None:
    """(user, groups) from a verified client certificate, as `getpeercert()` returns it."""
    if not cert:
        return None
    subject = cert.get("subject")
    if not isinstance(subject, tuple):
        return None
    fields = [pair for rdn in subject for pair in rdn]
    names = [v for k, v in fields if k == "commonName"]
    groups = tuple(v for k, v in fields if k == "organizationName")
    return (names[0], groups) if names else None


class TlsServerMixin:
    """For a socketserver: TLS per connection, in the connection's own thread.

    Wrapping the listening socket would run every handshake in the accept loop, where one
    client that connects and says nothing stalls every other; here a handshake that fails
    or stalls (bounded by HANDSHAKE_TIMEOUT_S) costs only its own thread.
    """

    ssl_context: ssl.SSLContext
    HANDSHAKE_TIMEOUT_S = 10.0

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self.HANDSHAKE_TIMEOUT_S)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)  # type: ignore[misc]
        finally:
            with contextlib.suppress(OSError):
                tls.close()
