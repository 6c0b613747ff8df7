"""The HTTP transport of webhooks, guarded against SSRF.

The host is resolved here, every address it resolves to must be public (not private,
loopback, link-local, multicast, reserved, shared/CGNAT or a cloud metadata address), and the
connection goes to the vetted address itself, so a DNS answer that changes between the check
and the connect (rebinding) cannot reach inside. TLS still verifies the certificate for the
host name. Redirects are never followed: a 3xx is a failed attempt.

``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` (tests only) lets deliveries reach 127.0.0.1 over HTTP.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from ..api.exceptions import WebhookAddressRefused

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "168.63.129.16")
)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and ip not in METADATA_ADDRESSES


def resolve(url: str) -> Target:
    """The vetted target of ``url``; ``WebhookAddressRefused`` naming the field ``url``."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise WebhookAddressRefused(_("Webhook addresses must use HTTPS."), field="url")
    if not parts.hostname or parts.username or parts.password:
        raise WebhookAddressRefused(_("Give a host name without user or password."), field="url")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookAddressRefused(_("The host name does not resolve."), field="url") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise WebhookAddressRefused(_("The host name does not resolve."), field="url")
    if not allow_private and not all(address_is_public(a) for a in addresses):
        raise WebhookAddressRefused(
            _(
                "Webhook addresses must be public: private, loopback, link-local and metadata addresses are refused."
            ),
            field="url",
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the vetted address, verifies the certificate for the host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body`` to ``url`` (vetted); the response status. Raises ``WebhookAddressRefused``
    or ``OSError``/``http.client.HTTPException`` on network failure."""
    target = resolve(url)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # a bounded read: the body is not used
        return response.status
    finally:
        connection.close()
