"""The network policy: Whirlpool fetches public addresses only, unless told otherwise.

A feed is written by someone else: its links, and the redirects of the pages they lead to, can point
at this machine (``127.0.0.1``, ``[::1]``), the local network (``10.x``, ``192.168.x``), the cloud
metadata service (``169.254.169.254``) or any other host that is not on the public internet. Fetched,
such a page would be stored and made searchable (server-side request forgery). So every request,
redirects included, is checked against the address its host resolves to, and a refused one is one
line: ``refused http://10.0.0.5/x: resolves to 10.0.0.5, a private address
(collect.allow_private_networks is off)``.

``collect.allow_private_networks`` says what is allowed beyond public addresses: ``false`` (the
default) nothing, ``true`` everything (intranet sources, the demo), or a list of networks
(``["10.20.0.0/16", "127.0.0.1/32"]``). Only http and https are fetched, whatever the setting.

:class:`NetworkPolicyMiddleware` enforces it in the crawl (a Scrapy downloader middleware sees every
request, and each redirect again). It resolves a host with the crawl's own resolver, whose cache the
connection then uses; and it checks the address a response actually came from, so a name that
resolves differently the second time (DNS rebinding) is refused before its page is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Allowed = bool | Sequence[IPNetwork]

FETCHED_SCHEMES = ("http", "https")
SETTING = "collect.allow_private_networks"
SCRAPY_SETTING = "WHIRLPOOL_ALLOW_PRIVATE_NETWORKS"  # the collect setting as the crawl receives it


class RefusedByNetworkPolicy(IgnoreRequest):
    """A request the network policy refuses; its message is the one-line reason."""


def address_kind(ip: IPAddress) -> str | None:
    """What makes ``ip`` not public ("loopback", "private", ...), or None for a public address.
    An IPv4 address written as IPv6 (``::ffff:10.0.0.5``) is judged as the IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("site-local", getattr(ip, "is_site_local", False)),
        ("private", ip.is_private),
    ):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def _allowed_by_list(ip: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(candidate in network for candidate in candidates for network in networks)


def address_refusal(ip: IPAddress | str, allowed: Allowed = False) -> str | None:
    """Why fetching from ``ip`` is refused (``resolves to 10.0.0.5, a private address (...)``), or None."""
    ip = ipaddress.ip_address(ip)
    kind = address_kind(ip)
    if kind is None or allowed is True:
        return None
    if allowed and _allowed_by_list(ip, allowed):
        return None
    why = f"not in {SETTING}" if allowed else f"{SETTING} is off"
    return f"resolves to {_written(ip)}, {_a(kind)} address ({why})"


def scheme_refusal(url: str) -> str | None:
    """Why a link is not fetched for its scheme (``javascript:``, ``file:``, ``data:``...), or None."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme in FETCHED_SCHEMES:
        return None
    named = f"{_a(scheme + ':')} link" if scheme else "a link without a scheme"
    return f"refused {_short(url)}: {named}; only http and https are fetched"


def url_refusal(url: str, ip: IPAddress | str, allowed: Allowed = False) -> str | None:
    """The one-line reason a request for ``url`` answered by (or resolved to) ``ip`` is refused."""
    reason = address_refusal(ip, allowed)
    return f"refused {_short(url)}: {reason}" if reason else None


def literal_address(host: str) -> IPAddress | None:
    """The address when the host is written as one (``10.0.0.5``, ``[::1]``), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _a(word: str) -> str:
    vowel_sound = word[0] in "aeiou" or word.startswith(("ftp", "sftp", "ssh", "smb", "nntp"))
    return f"{'an' if vowel_sound else 'a'} {word}"


def _written(ip: IPAddress) -> str:
    mapped = getattr(ip, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(ip)


def _short(url: str, limit: int = 120) -> str:
    url = url.strip()
    return url if len(url) <= limit else url[: limit - 1] + "…"


def parse_allowed(value: Any) -> Allowed:
    """The setting as the crawl receives it (True, False or a list of network strings)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    return [ipaddress.ip_network(network, strict=False) for network in value]


class NetworkPolicyMiddleware:
    """Downloader middleware: refuses requests to non-public addresses and non-http(s) schemes.

    Placed before robots.txt, so a refused host is not asked for its robots.txt either."""

    def __init__(self, allowed: Allowed) -> None:
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler) -> NetworkPolicyMiddleware:
        return cls(parse_allowed(crawler.settings.get(SCRAPY_SETTING, False)))

    async def process_request(self, request, spider=None):
        refused = scheme_refusal(request.url)
        if refused:
            raise RefusedByNetworkPolicy(refused)
        if self.allowed is True:
            return None
        host = urlsplit(request.url).hostname or ""
        ip = literal_address(host) or await self._resolve(host)
        if ip is not None:
            refused = url_refusal(request.url, ip, self.allowed)
            if refused:
                raise RefusedByNetworkPolicy(refused)
        return None  # unresolvable: the download fails as usual ("cannot resolve host")

    async def _resolve(self, host: str) -> IPAddress | None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor

        try:
            # The crawl's resolver (scrapy.resolver.CachingThreadedResolver): the connection that
            # follows reads the same cached answer.
            answer = await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[attr-defined]
            return ipaddress.ip_address(answer)
        except Exception:
            return None

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            target = urljoin(request.url, location.decode("latin-1"))
            refused = scheme_refusal(target)
            if refused:  # Scrapy does not follow it either; say why instead of "HTTP 302"
                raise RefusedByNetworkPolicy(refused.replace("refused ", "refused a redirect to ", 1))
        ip = getattr(response, "ip_address", None)
        # Through a proxy the peer is the proxy, often on the local network: the target was checked.
        if ip is not None and self.allowed is not True and not request.meta.get("proxy"):
            refused = url_refusal(response.url, ip, self.allowed)
            if refused:
                raise RefusedByNetworkPolicy(refused)
        return response
