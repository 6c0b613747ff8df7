"""The address guard of webhooks: every special-purpose range of the IANA registries is refused
and named; IPv6 forms are judged by the IPv4 address they carry; only allowed ports; the same
check again at delivery time, connecting only to the address that passed it."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from partners.exceptions import WebhookAddressRefused
from partners.models import WebhookEndpoint
from partners.services import webhook_deliver, webhook_endpoint_create, webhook_event_publish
from partners.webhooks.addresses import IPV4_SPECIAL, IPV6_SPECIAL, refusal
from tests.api.factories import api_partner

pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


@pytest.fixture
def acme():
    return api_partner("acme-travel")


def resolving_to(monkeypatch, *addresses: str) -> None:
    """Patch the network: every host name resolves to ``addresses``."""

    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def create(partner, url="https://hooks.example.com/finance"):
    return webhook_endpoint_create(partner=partner, actor=None, url=url, events=["key.expiring"])


# (address, the range that must refuse it). Embedded forms name the IPv4 range they carry.
REFUSED = [
    # IPv4 Special-Purpose Address Registry
    ("0.1.2.3", "0.0.0.0/8"),
    ("0.0.0.0", "0.0.0.0/32"),
    ("10.1.2.3", "10.0.0.0/8"),
    ("100.100.100.200", "100.64.0.0/10"),  # Alibaba Cloud metadata
    ("127.0.0.1", "127.0.0.0/8"),
    ("127.255.255.254", "127.0.0.0/8"),
    ("169.254.169.254", "169.254.0.0/16"),  # AWS/GCP/Azure metadata
    ("172.16.0.1", "172.16.0.0/12"),
    ("172.31.255.255", "172.16.0.0/12"),
    ("192.0.0.100", "192.0.0.0/24"),
    ("192.0.0.5", "192.0.0.0/29"),
    ("192.0.0.8", "192.0.0.8/32"),
    ("192.0.0.9", "192.0.0.9/32"),
    ("192.0.0.10", "192.0.0.10/32"),
    ("192.0.0.170", "192.0.0.170/32"),
    ("192.0.0.171", "192.0.0.171/32"),
    ("192.0.2.1", "192.0.2.0/24"),
    ("192.31.196.1", "192.31.196.0/24"),
    ("192.52.193.1", "192.52.193.0/24"),
    ("192.88.99.1", "192.88.99.0/24"),
    ("192.88.99.2", "192.88.99.2/32"),
    ("192.168.0.10", "192.168.0.0/16"),
    ("192.175.48.1", "192.175.48.0/24"),
    ("198.18.0.1", "198.18.0.0/15"),
    ("198.19.255.1", "198.18.0.0/15"),
    ("198.51.100.7", "198.51.100.0/24"),
    ("203.0.113.9", "203.0.113.0/24"),
    ("240.0.0.1", "240.0.0.0/4"),
    ("255.255.255.255", "255.255.255.255/32"),
    ("224.0.0.251", "224.0.0.0/4"),
    ("168.63.129.16", "168.63.129.16/32"),
    # IPv6 Special-Purpose Address Registry
    ("::1", "::1/128"),
    ("::", "::/128"),
    ("::ffff:5db8:d822", "::ffff:0:0/96"),  # IPv4-mapped, even of a public address
    ("64:ff9b::5db8:d822", "64:ff9b::/96"),
    ("64:ff9b:1::5db8:d822", "64:ff9b:1::/48"),
    ("100::1", "100::/64"),
    ("100:0:0:1::1", "100:0:0:1::/64"),
    ("2001:1::1", "2001:1::1/128"),
    ("2001:1::2", "2001:1::2/128"),
    ("2001:1::3", "2001:1::3/128"),
    ("2001:1::4", "2001::/23"),
    ("2001:2::1", "2001:2::/48"),
    ("2001:3::1", "2001:3::/32"),
    ("2001:4:112::1", "2001:4:112::/48"),
    ("2001:10::1", "2001:10::/28"),
    ("2001:20::1", "2001:20::/28"),
    ("2001:30::1", "2001:30::/28"),
    ("2001:db8::1", "2001:db8::/32"),
    ("2002:5db8:d822::1", "2002::/16"),  # 6to4, even of a public address
    ("2001:0:4136:e378:8000:63bf:a247:2dcb", "2001::/32"),  # Teredo, client 93.184.216.34
    ("2620:4f:8000::1", "2620:4f:8000::/48"),
    ("3fff::1", "3fff::/20"),
    ("5f00::1", "5f00::/16"),
    ("fd00:ec2::254", "fc00::/7"),  # AWS metadata over IPv6
    ("fe80::1", "fe80::/10"),
    ("fec0::1", "fec0::/10"),
    ("ff02::1", "ff00::/8"),
    ("4000::1", "2000::/3"),  # outside global unicast
    # IPv6 forms judged by the IPv4 address inside them
    ("::ffff:127.0.0.1", "127.0.0.0/8"),  # IPv4-mapped
    ("::ffff:10.0.0.1", "10.0.0.0/8"),
    ("::ffff:169.254.169.254", "169.254.0.0/16"),
    ("::10.0.0.1", "10.0.0.0/8"),  # IPv4-compatible
    ("::127.0.0.1", "127.0.0.0/8"),
    ("::ffff:0:a9fe:a9fe", "169.254.0.0/16"),  # IPv4-translated (::ffff:0:0:0/96)
    ("64:ff9b::a9fe:a9fe", "169.254.0.0/16"),  # NAT64 well-known prefix
    ("64:ff9b::7f00:1", "127.0.0.0/8"),
    ("64:ff9b:1::c0a8:1", "192.168.0.0/16"),  # NAT64 local-use
    ("2002:a9fe:a9fe::", "169.254.0.0/16"),  # 6to4: IPv4 in bits 16–48
    ("2002:c0a8:0001:1::1", "192.168.0.0/16"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.0/8"),  # Teredo client 10.0.0.1, XOR'd
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.0/8"),  # Teredo client 127.0.0.1
    ("2001:0:a9fe:a9fe:8000:63bf:a247:2dcb", "169.254.0.0/16"),  # Teredo server address
]


@pytest.mark.parametrize(("address", "network"), REFUSED)
def test_a_host_resolving_into_a_special_purpose_range_is_refused_naming_it(
    acme, monkeypatch, address, network
):
    resolving_to(monkeypatch, address)

    with pytest.raises(WebhookAddressRefused) as error:
        create(acme)

    found = error.value.refusal
    assert str(found.range.network) == network
    assert error.value.field == "url"
    assert "must be public" in error.value.message
    assert str(found.range) in error.value.message  # the range, its name and its RFC
    assert found.range.rfc in error.value.message
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://[::ffff:127.0.0.1]/hook", "127.0.0.0/8"),
        ("https://[::ffff:a9fe:a9fe]/hook", "169.254.0.0/16"),
        ("https://[64:ff9b::10.0.0.1]/hook", "10.0.0.0/8"),
        ("https://[2002:a00:1::1]/hook", "10.0.0.0/8"),
        ("https://[::1]/hook", "::1/128"),
        ("https://0x7f000001/hook", "127.0.0.0/8"),  # what the resolver makes of odd IPv4 forms
        ("https://2130706433/hook", "127.0.0.0/8"),
    ],
)
def test_address_literals_in_the_url_are_judged_the_same_way(acme, url, network):
    with pytest.raises(WebhookAddressRefused) as error:
        create(acme, url)

    assert str(error.value.refusal.range.network) == network


def test_the_ipv6_forms_that_python_calls_global_are_refused():
    # The hole of the issue: Python 3.11 counts these as global, the guard does not.
    for address in ("64:ff9b::a9fe:a9fe", "2002:a00:1::", "::ffff:0:a00:1"):
        assert refusal(address) is not None, address


def test_every_row_of_the_tables_refuses_its_own_addresses():
    for row in (*IPV4_SPECIAL, *IPV6_SPECIAL):
        for ip in (row.network.network_address, row.network.broadcast_address):
            found = refusal(ip)
            assert found is not None, ip
            named = (found.carrier if found.embedded is not None else found.range).network
            assert named.subnet_of(row.network) or row.network.subnet_of(named), (ip, named)
        assert row.rfc.startswith(("RFC", "Microsoft")), row


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "1.1.1.1", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_accepted(acme, monkeypatch, address):
    resolving_to(monkeypatch, address)

    created = create(acme)

    assert created.endpoint.url == "https://hooks.example.com/finance"
    assert refusal(address) is None


def test_one_special_address_among_the_answers_refuses_the_host(acme, monkeypatch):
    resolving_to(monkeypatch, PUBLIC_V4, PUBLIC_V6, "64:ff9b::a00:5")

    with pytest.raises(WebhookAddressRefused) as error:
        create(acme)

    assert str(error.value.refusal.range.network) == "10.0.0.0/8"


def test_only_port_443_is_allowed_by_default(acme, monkeypatch):
    resolving_to(monkeypatch, PUBLIC_V4)

    for url in (
        "https://hooks.example.com:8443/",
        "https://hooks.example.com:22/",
        "https://hooks.example.com:80/",
    ):
        with pytest.raises(WebhookAddressRefused, match="is not allowed for webhooks; allowed: 443") as error:
            create(acme, url)
        assert error.value.field == "url"
    with pytest.raises(WebhookAddressRefused, match="from 1 to 65535"):
        create(acme, "https://hooks.example.com:99999/")

    assert create(acme, "https://hooks.example.com:443/a").endpoint.url == "https://hooks.example.com:443/a"
    assert WebhookEndpoint.objects.count() == 1


def test_other_ports_only_by_the_setting(acme, monkeypatch, settings):
    resolving_to(monkeypatch, PUBLIC_V4)
    settings.WEBHOOK_ALLOWED_PORTS = [443, 8443]

    assert create(acme, "https://hooks.example.com:8443/").endpoint.url == "https://hooks.example.com:8443/"
    with pytest.raises(WebhookAddressRefused, match="allowed: 443, 8443"):
        create(acme, "https://hooks.example.com:9443/")


def test_the_test_setting_opens_loopback_and_nothing_else(acme, monkeypatch, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_ALLOWED_PORTS = [443, 8080]

    assert create(acme, "http://127.0.0.1:8080/hook").endpoint
    for address, network in [
        ("10.0.0.1", "10.0.0.0/8"),
        ("169.254.169.254", "169.254.0.0/16"),
        ("::ffff:127.0.0.1", "127.0.0.0/8"),  # a loopback address carried by an IPv6 form
    ]:
        resolving_to(monkeypatch, address)
        with pytest.raises(WebhookAddressRefused) as error:
            create(acme, "http://hooks.example.com:8080/")
        assert str(error.value.refusal.range.network) == network


def test_the_loopback_test_setting_is_off_outside_tests():
    from portal.settings import WEBHOOK_ALLOW_LOOPBACK, WEBHOOK_ALLOWED_PORTS

    assert WEBHOOK_ALLOW_LOOPBACK is False
    assert WEBHOOK_ALLOWED_PORTS == [443]


@pytest.mark.parametrize(
    ("rebound", "network"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.0.0/16"),
        ("::ffff:10.0.0.1", "10.0.0.0/8"),
        ("2002:7f00:1::", "127.0.0.0/8"),
        ("fd00:ec2::254", "fc00::/7"),
    ],
)
def test_the_guard_runs_again_at_delivery_and_never_connects_to_a_refused_address(
    acme, monkeypatch, rebound, network
):
    resolving_to(monkeypatch, PUBLIC_V4)
    create(acme)
    resolving_to(monkeypatch, PUBLIC_V4, rebound)  # the name now also points inside
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})

    assert webhook_deliver(delivery_id=delivery.pk) == "pending"

    delivery.refresh_from_db()
    assert network in delivery.last_error
    assert connects == []


def test_a_port_closed_after_registration_is_refused_at_delivery(acme, monkeypatch, settings):
    resolving_to(monkeypatch, PUBLIC_V4)
    settings.WEBHOOK_ALLOWED_PORTS = [443, 8443]
    create(acme, "https://hooks.example.com:8443/")
    settings.WEBHOOK_ALLOWED_PORTS = [443]
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})

    webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert "Port 8443 is not allowed" in delivery.last_error
    assert connects == []


def test_the_connection_goes_to_an_address_that_passed_the_check(acme, monkeypatch):
    resolving_to(monkeypatch, PUBLIC_V6, PUBLIC_V4)
    create(acme)
    connects = []

    def refuse(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(socket, "create_connection", refuse)
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})

    webhook_deliver(delivery_id=delivery.pk)

    assert sorted(connects) == sorted([(PUBLIC_V4, 443), (PUBLIC_V6, 443)])
    assert all(refusal(address) is None for address, _ in connects)
    assert ipaddress.ip_address(connects[0][0])  # an address, never the host name again


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://[::1/hook", "not a valid web address"),
        ("https://[::ffff:1.2.3.4:5]/", "not a valid web address"),
        ("https://a\x00b.example.com/", "does not resolve"),
        ("https://user:pw@hooks.example.com/", "without user or password"),
    ],
)
def test_a_malformed_address_is_refused_on_its_field_not_a_crash(acme, url, message):
    with pytest.raises(WebhookAddressRefused, match=message) as error:
        create(acme, url)

    assert error.value.field == "url"


def test_a_name_that_resolves_too_slowly_is_refused_at_registration(acme, monkeypatch, settings):
    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS = 0.3

    def slow_dns(host, port, *args, **kwargs):
        time.sleep(1)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, port))]

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)

    with pytest.raises(WebhookAddressRefused, match="did not resolve in time") as error:
        create(acme)

    assert error.value.field == "url"
