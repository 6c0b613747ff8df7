"""The HTTP transport of webhooks: guarded against SSRF, and bounded by one deadline.

**Where it may go.** HTTPS only, to a port in ``WEBHOOK_ALLOWED_PORTS`` (443 unless a setting
says more). The host is resolved here and every address it resolves to is judged by
``addresses.refusal`` (every IANA special-purpose range, IPv6 forms judged by the IPv4 address
they carry); the connection goes to a vetted address itself, so a DNS answer that changes
between the check and the connect (rebinding) cannot reach inside. TLS still verifies the
certificate for the host name. Redirects are never followed: a 3xx is a failed attempt.

**How long it may take.** One deadline (``WEBHOOK_DELIVERY_DEADLINE_SECONDS``) covers the
whole delivery: resolving the name, connecting, the TLS handshake, sending, and reading the
status line and headers. A socket timeout alone bounds each read, so a receiver that trickles
a byte every few seconds would hold the worker as long as it likes; here a watchdog shuts the
socket down when the deadline passes, whatever the socket is blocked in. The response body is
never read.

``WEBHOOK_ALLOW_LOOPBACK`` (tests only) lets deliveries reach 127.0.0.1 and ::1 over HTTP.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from ..exceptions import WebhookAddressRefused
from .addresses import Refusal, refusal

logger = logging.getLogger(__name__)

LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class DeliveryDeadlineExceeded(TimeoutError):
    """The delivery did not finish (up to the response's headers) within its deadline."""


class Deadline:
    """A point in time that every step of one delivery shares."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; ``DeliveryDeadlineExceeded`` once there are none."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise self.exceeded()
        return left

    def left(self) -> float:
        """Seconds left, zero once there are none."""
        return max(0.0, self._end - time.monotonic())

    def exceeded(self) -> DeliveryDeadlineExceeded:
        return DeliveryDeadlineExceeded(f"no answer within the delivery deadline of {self.seconds:g} s")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # every one vetted

    @property
    def address(self) -> str:
        return self.addresses[0]


def _refusal_message(host: str, found: Refusal) -> str:
    if found.range is None:
        reason = _("%(host)s points to an address that is not globally reachable") % {"host": host}
    elif found.embedded is not None:
        reason = _(
            "%(host)s points to an IPv6 address of %(carrier)s that carries an IPv4 address in %(range)s"
        ) % {"host": host, "carrier": found.carrier, "range": found.range}
    elif found.outside:
        reason = _("%(host)s points to an address outside %(range)s") % {"host": host, "range": found.range}
    else:
        reason = _("%(host)s points to an address in %(range)s") % {"host": host, "range": found.range}
    return _("Webhook addresses must be public: %(reason)s.") % {"reason": reason}


def _allowed_by_test_setting(found: Refusal) -> bool:
    return (
        settings.WEBHOOK_ALLOW_LOOPBACK
        and found.embedded is None
        and found.range is not None
        and found.range.network in LOOPBACK_NETWORKS
    )


def _getaddrinfo(host: str, port: int, deadline: Deadline | None) -> list:
    if deadline is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # The system resolver takes no timeout: ask it in a thread and stop waiting at the deadline
    # (the thread ends by itself when the resolver gives up).
    outcome: dict = {}

    def ask() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=ask, name="webhook-resolve", daemon=True)
    thread.start()
    thread.join(deadline.remaining())
    if thread.is_alive():
        raise deadline.exceeded()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("infos", [])


def resolve(url: str, *, deadline: Deadline | None = None) -> Target:
    """The vetted target of ``url``; ``WebhookAddressRefused`` naming the field ``url``."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed or malformed IPv6 literal
        raise WebhookAddressRefused(_("This is not a valid web address."), field="url") from None
    allow_http = settings.WEBHOOK_ALLOW_LOOPBACK and parts.scheme == "http"
    if parts.scheme != "https" and not allow_http:
        raise WebhookAddressRefused(_("Webhook addresses must use HTTPS."), field="url")
    if not hostname or parts.username or parts.password:
        raise WebhookAddressRefused(_("Give a host name without user or password."), field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookAddressRefused(_("The port must be a number from 1 to 65535."), field="url") from None
    allowed_ports = sorted(settings.WEBHOOK_ALLOWED_PORTS)
    if port not in allowed_ports:
        raise WebhookAddressRefused(
            _("Port %(port)s is not allowed for webhooks; allowed: %(allowed)s.")
            % {"port": port, "allowed": ", ".join(str(p) for p in allowed_ports)},
            field="url",
        )
    try:
        infos = _getaddrinfo(hostname, port, deadline)
    except (socket.gaierror, UnicodeError, ValueError):
        raise WebhookAddressRefused(_("The host name does not resolve."), field="url") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise WebhookAddressRefused(_("The host name does not resolve."), field="url")
    for address in addresses:
        found = refusal(address)
        if found is not None and not _allowed_by_test_setting(found):
            logger.info("webhook address refused: %s (%s)", hostname, found)
            error = WebhookAddressRefused(_refusal_message(hostname, found), field="url")
            error.refusal = found
            raise error
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, hostname, port, path, tuple(addresses))


class _Watchdog:
    """Shuts the watched socket down when the deadline passes: a blocked connect, handshake,
    send or read then returns at once. It holds the file descriptor, which stays the same
    when TLS wraps the socket; ``stop`` runs before the socket is closed, so a number the
    system hands out again is never touched."""

    def __init__(self, deadline: Deadline):
        self.fired = False
        self._fd = -1
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline.left(), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._fd = sock.fileno()
            if self.fired:
                self._shutdown()

    def stop(self) -> None:
        with self._lock:
            self._timer.cancel()
            self._fd = -1

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._fd < 0:
            return
        borrowed = socket.socket(fileno=self._fd)
        try:
            borrowed.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # not connected yet, or already closed by the other side
        finally:
            borrowed.detach()  # the connection owns the descriptor and closes it


def _connect(target: Target, deadline: Deadline, watchdog: _Watchdog) -> socket.socket:
    """A TCP connection to the first vetted address that answers."""
    error: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection((address, target.port), deadline.remaining())
        except DeliveryDeadlineExceeded:
            raise
        except OSError as exc:
            error = exc
            continue
        watchdog.watch(sock)
        return sock
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address under the deadline."""

    def __init__(self, target: Target, timeout: float, deadline: Deadline, watchdog: _Watchdog):
        super().__init__(target.host, target.port, timeout=timeout)
        self._target, self._deadline, self.watchdog = target, deadline, watchdog

    def connect(self):
        self.sock = _connect(self._target, self._deadline, self.watchdog)
        self.sock.settimeout(self._deadline.remaining())


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """As above, and verifies the certificate for the host name."""

    def connect(self):
        sock = _connect(self._target, self._deadline, self.watchdog)
        sock.settimeout(self._deadline.remaining())
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._target.host)
        self.sock.settimeout(self._deadline.remaining())


def post(url: str, body: bytes, headers: dict[str, str], *, deadline_seconds: float) -> int:
    """POST ``body`` to ``url`` (vetted again now); the response's status, read within
    ``deadline_seconds`` from the start. Raises ``WebhookAddressRefused``,
    ``DeliveryDeadlineExceeded`` or another ``OSError``/``http.client.HTTPException``."""
    deadline = Deadline(deadline_seconds)
    target = resolve(url, deadline=deadline)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, deadline.left(), deadline, _Watchdog(deadline))
    watchdog = connection.watchdog
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()  # the status line and headers; the body is not read
        if watchdog.fired:
            raise deadline.exceeded()
        return response.status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if (watchdog.fired or not deadline.left()) and not isinstance(exc, DeliveryDeadlineExceeded):
            raise deadline.exceeded() from exc
        raise
    finally:
        watchdog.stop()
        connection.close()
