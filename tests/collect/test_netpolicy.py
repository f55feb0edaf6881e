"""The network policy's rules (crawlers.netpolicy), and the setting that tunes them."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from scrapy.http import Request, Response

from crawlers.netpolicy import (
    NetworkPolicyMiddleware,
    RefusedByNetworkPolicy,
    address_refusal,
    parse_allowed,
    scheme_refusal,
)
from whirlpool.settings import CollectSettings, load_settings
from whirlpool.yamlconfig import ConfigError

OFF = "(collect.allow_private_networks is off)"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback"),
        ("127.0.0.2", "a loopback"),
        ("::1", "a loopback"),
        ("10.0.0.5", "a private"),
        ("172.16.0.1", "a private"),
        ("192.168.1.1", "a private"),
        ("fc00::1", "a private"),
        ("169.254.169.254", "a link-local"),
        ("fe80::1", "a link-local"),
        ("224.0.0.1", "a multicast"),
        ("ff02::1", "a multicast"),
        ("0.0.0.0", "an unspecified"),
        ("::", "an unspecified"),
        ("240.0.0.1", "a reserved"),
        ("100.64.0.1", "a non-public"),
        ("::ffff:10.0.0.5", "a private"),  # IPv4 written as IPv6 is judged as the IPv4 address
        ("::ffff:127.0.0.1", "a loopback"),
    ],
)
def test_non_public_addresses_are_refused_by_default_with_their_kind(address, kind):
    assert address_refusal(address) == f"resolves to {address}, {kind} address {OFF}"


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_are_fetched(address):
    assert address_refusal(address) is None


def test_a_list_allows_its_networks_only():
    allowed = parse_allowed(["10.20.0.0/16", "127.0.0.1/32"])
    assert address_refusal("10.20.3.4", allowed) is None
    assert address_refusal("127.0.0.1", allowed) is None
    assert address_refusal("::ffff:127.0.0.1", allowed) is None
    assert address_refusal("10.21.0.1", allowed) == (
        "resolves to 10.21.0.1, a private address (not in collect.allow_private_networks)"
    )
    assert address_refusal("10.21.0.1", True) is None


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "ftp://h/x"]
)
def test_links_other_than_http_and_https_are_refused_by_scheme(link):
    scheme = link.split(":", 1)[0]
    article = "an" if scheme == "ftp" else "a"
    assert (
        scheme_refusal(link) == f"refused {link}: {article} {scheme}: link; only http and https are fetched"
    )
    assert scheme_refusal("https://example.org/a") is None


def test_the_setting_reads_false_true_a_list_and_a_list_from_the_environment(tmp_path):
    assert CollectSettings().allow_private_networks is False
    assert CollectSettings(allow_private_networks=True).allow_private_networks is True
    from_env = load_settings(
        tmp_path, environ={"WHIRLPOOL__COLLECT__ALLOW_PRIVATE_NETWORKS": "10.0.0.0/8, ::1"}
    )
    assert from_env.collect.allow_private_networks == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    ]


def test_a_malformed_network_is_a_config_error_naming_the_field(tmp_path):
    (tmp_path / "settings.yaml").write_text("collect:\n  allow_private_networks: [10.0.0.0/33]\n")
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path, environ={})
    assert str(error.value) == (
        f"{tmp_path / 'settings.yaml'}:2: field 'collect.allow_private_networks': Value error, "
        "'10.0.0.0/33' is not a network (write one as 10.20.0.0/16)"
    )


def test_a_response_from_a_private_address_is_refused_even_when_its_name_resolved_public():
    """DNS rebinding: the name resolved public when checked, the connection went elsewhere."""
    middleware = NetworkPolicyMiddleware(parse_allowed(False))
    request = Request("http://news.example/a")
    response = Response("http://news.example/a", request=request, ip_address=ipaddress.ip_address("10.1.2.3"))
    with pytest.raises(RefusedByNetworkPolicy, match=r"refused http://news.example/a: resolves to 10.1.2.3"):
        middleware.process_response(request, response)
    public = Response("http://news.example/a", request=request, ip_address=ipaddress.ip_address("8.8.8.8"))
    assert middleware.process_response(request, public) is public
    proxied = Request("http://news.example/a", meta={"proxy": "http://10.0.0.8:3128"})
    via_proxy = Response(
        "http://news.example/a", request=proxied, ip_address=ipaddress.ip_address("10.0.0.8")
    )
    assert middleware.process_response(proxied, via_proxy) is via_proxy  # the peer is the proxy


def test_allowing_everything_lets_a_private_address_through():
    request = Request("http://10.1.2.3/intranet")
    assert asyncio.run(NetworkPolicyMiddleware(True).process_request(request)) is None
    with pytest.raises(RefusedByNetworkPolicy):
        asyncio.run(NetworkPolicyMiddleware(False).process_request(request))
