"""Who the client is: the socket's peer, or what trusted proxies say in X-Forwarded-For.

A header anyone can write must not pick whose failed sign-ins a request counts
against, so X-Forwarded-For is read only when the direct peer is one of the
configured trusted proxies (GATEWAY_TRUSTED_PROXIES). Each proxy appends the
address it received the request from, so the list is read from the right:
the first address that is not itself a trusted proxy is the client. Whatever
stands left of it was written by that client and proves nothing.
"""
from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidProxyList(ValueError):
    """GATEWAY_TRUSTED_PROXIES holds something that is not an address or a CIDR block."""


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """Comma- or space-separated addresses and CIDR blocks, e.g. `10.0.0.0/8, 192.168.1.5, fd00::/8`."""
        networks = []
        for item in text.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise InvalidProxyList(f"{item!r} is neither an IP address nor a CIDR block "
                                       "(e.g. 10.0.0.0/8)") from None
        return cls(tuple(networks))

    def trusts(self, address: IpAddress) -> bool:
        address = _unmapped(address)
        return any(address in network for network in self.networks)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: TrustedProxies) -> str | None:
    """The client's address. `forwarded_for` holds each X-Forwarded-For header's value, in order."""
    nearest = _ip(peer)
    if nearest is None:
        return peer
    if not proxies.trusts(nearest):
        return str(_unmapped(nearest))
    for hop in reversed(list(_hops(forwarded_for))):
        address = _ip(hop)
        if address is None:
            # A trusted proxy never writes this: the rest of the list is the client's own say-so.
            break
        nearest = address
        if not proxies.trusts(address):
            break
    return str(_unmapped(nearest))


def _hops(headers: Iterable[str]) -> Iterable[str]:
    for header in headers:
        yield from (hop.strip() for hop in header.split(","))


def _ip(text: str | None) -> IpAddress | None:
    """An address as proxies write it: bare, `[v6]` or `[v6]:port`, or `v4:port`."""
    if not text:
        return None
    return _parsed_ip(text)


# Every request asks, mostly for the same few peers (a provider's posts, a load balancer's addresses).
@functools.lru_cache(maxsize=1024)
def _parsed_ip(text: str) -> IpAddress | None:
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _unmapped(address: IpAddress) -> IpAddress:
    """An IPv4 client seen through an IPv6 socket (::ffff:203.0.113.7) is that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
