"""Which addresses a webhook may reach: the special-purpose ranges, written down as data.

Every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries is refused, with the
RFC that reserves it, plus a few that the registries leave to other documents (multicast, the
deprecated IPv4-compatible and IPv4-translated forms, site-local, a cloud platform address).
Python's ``is_global`` is only a last net under this table: it counted some of these ranges
as global (the issue that started this module).

An IPv6 address that carries an IPv4 address (IPv4-mapped and -compatible, IPv4-translated,
NAT64, 6to4, Teredo) is judged by the IPv4 address inside it first, so that
``::ffff:10.0.0.1`` or ``2002:0a00:0001::`` is refused as the private address it stands for;
the IPv6 range itself is refused too, whatever it carries.

Sources: https://www.iana.org/assignments/iana-ipv4-special-registry/ and
https://www.iana.org/assignments/iana-ipv6-special-registry/ (both as of 2025).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SpecialRange:
    network: IPNetwork
    name: str
    rfc: str

    def __str__(self) -> str:
        return f"{self.network} {self.name} ({self.rfc})"


def _ranges(*rows: tuple[str, str, str]) -> tuple[SpecialRange, ...]:
    return tuple(SpecialRange(ipaddress.ip_network(net), name, rfc) for net, name, rfc in rows)


# fmt: off
IPV4_SPECIAL = _ranges(
    # The IANA IPv4 Special-Purpose Address Registry, every row.
    ("0.0.0.0/8", "This network", "RFC 791 §3.2"),
    ("0.0.0.0/32", "This host on this network", "RFC 1122 §3.2.1.3"),
    ("10.0.0.0/8", "Private-Use", "RFC 1918"),
    ("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    ("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3"),
    ("169.254.0.0/16", "Link Local", "RFC 3927"),
    ("172.16.0.0/12", "Private-Use", "RFC 1918"),
    ("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 §2.1"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    ("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    ("192.52.193.0/24", "AMT", "RFC 7450"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
    ("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),
    ("192.168.0.0/16", "Private-Use", "RFC 1918"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
    ("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
    ("240.0.0.0/4", "Reserved", "RFC 1112 §4"),
    ("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 §7"),
    # Not special-purpose rows, but never a partner's receiver.
    ("224.0.0.0/4", "Multicast", "RFC 5771"),
    ("168.63.129.16/32", "Azure platform (wire server, metadata)", "Microsoft Azure documentation"),
)

IPV6_SPECIAL = _ranges(
    # The IANA IPv6 Special-Purpose Address Registry, every row.
    ("::1/128", "Loopback Address", "RFC 4291"),
    ("::/128", "Unspecified Address", "RFC 4291"),
    ("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"),
    ("64:ff9b::/96", "IPv4-IPv6 Translation (NAT64 well-known prefix)", "RFC 6052"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translation (local-use NAT64)", "RFC 8215"),
    ("100::/64", "Discard-Only Address Block", "RFC 6666"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
    ("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
    ("2001::/32", "TEREDO", "RFC 4380, RFC 8190"),
    ("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
    ("2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752"),
    ("2001:3::/32", "AMT", "RFC 7450"),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535"),
    ("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343"),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"),
    ("2001:db8::/32", "Documentation", "RFC 3849"),
    ("2002::/16", "6to4", "RFC 3056"),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
    ("3fff::/20", "Documentation", "RFC 9637"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"),
    ("fe80::/10", "Link-Local Unicast", "RFC 4291"),
    # Forms the registry leaves to other documents.
    ("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291 §2.5.5.1"),
    ("::ffff:0:0:0/96", "IPv4-translated Address", "RFC 2765 §2.1"),
    ("fec0::/10", "Site-Local (deprecated)", "RFC 3879"),
    ("ff00::/8", "Multicast", "RFC 4291 §2.7"),
)
# fmt: on

# Anything outside 2000::/3 is not global unicast (IANA IPv6 Address Space registry).
IPV6_GLOBAL_UNICAST = SpecialRange(ipaddress.IPv6Network("2000::/3"), "Global Unicast", "RFC 4291 §2.4")
NOT_GLOBAL = "not globally reachable (Python ipaddress)"


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _sixtofour(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)  # 2002:VVVV:VVVV::/48, bits 16–48


def _teredo_client(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(~int(ip) & 0xFFFFFFFF)  # the client's address, bits inverted


def _teredo_server(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address((int(ip) >> 64) & 0xFFFFFFFF)


# Where each embedding form keeps its IPv4 address(es).
EMBEDDED_IPV4: dict[
    ipaddress.IPv6Network, tuple[Callable[[ipaddress.IPv6Address], ipaddress.IPv4Address], ...]
] = {
    ipaddress.IPv6Network("::ffff:0:0/96"): (_low32,),
    ipaddress.IPv6Network("::/96"): (_low32,),
    ipaddress.IPv6Network("::ffff:0:0:0/96"): (_low32,),
    ipaddress.IPv6Network("64:ff9b::/96"): (_low32,),
    ipaddress.IPv6Network("64:ff9b:1::/48"): (_low32,),  # RFC 6052 /96 layout, the usual one
    ipaddress.IPv6Network("2002::/16"): (_sixtofour,),
    ipaddress.IPv6Network("2001::/32"): (_teredo_client, _teredo_server),
}


@dataclass(frozen=True)
class Refusal:
    """Why ``address`` is refused: the ``range`` it falls in; when that is an IPv4 range found
    inside an IPv6 form, ``embedded`` is the IPv4 address and ``carrier`` the IPv6 form."""

    address: str
    range: SpecialRange | None
    embedded: ipaddress.IPv4Address | None = None
    carrier: SpecialRange | None = None
    outside: bool = False  # refused for lying outside ``range`` (IPv6 global unicast)

    @property
    def reason(self) -> str:
        if self.range is None:
            return NOT_GLOBAL
        return f"outside {self.range}" if self.outside else f"in {self.range}"

    def __str__(self) -> str:
        if self.embedded is not None:
            return f"{self.address} carries {self.embedded} ({self.carrier}), {self.reason}"
        return f"{self.address} is {self.reason}"


def _most_specific(ip: IPAddress, table: tuple[SpecialRange, ...]) -> SpecialRange | None:
    matches = [r for r in table if ip in r.network]
    return max(matches, key=lambda r: r.network.prefixlen) if matches else None


def refusal(address: str | IPAddress) -> Refusal | None:
    """Why a webhook may not reach ``address``, or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    text = str(address)
    if isinstance(ip, ipaddress.IPv4Address):
        found = _most_specific(ip, IPV4_SPECIAL)
        if found:
            return Refusal(text, found)
        return None if ip.is_global else Refusal(text, None)
    found = _most_specific(ip, IPV6_SPECIAL)
    if found is not None:
        for extract in EMBEDDED_IPV4.get(found.network, ()):
            inner = refusal(extract(ip))
            if inner is not None:
                return Refusal(
                    text, inner.range, embedded=ipaddress.IPv4Address(inner.address), carrier=found
                )
        return Refusal(text, found)
    if ip not in IPV6_GLOBAL_UNICAST.network:
        return Refusal(text, IPV6_GLOBAL_UNICAST, outside=True)
    return None if ip.is_global else Refusal(text, None)
