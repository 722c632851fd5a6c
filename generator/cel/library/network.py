"""Kubernetes CEL URL, IP and CIDR libraries.

From k8s.io/apiserver/pkg/cel/library/{urls,ip,cidr}.go:

* ``url(s)`` (Go ``url.ParseRequestURI``: an absolute URL or an absolute path), ``isURL(s)``,
  ``getScheme()``, ``getHost()`` (with port; IPv6 in brackets), ``getHostname()`` (no port, no
  brackets), ``getPort()`` (``''`` when absent), ``getEscapedPath()``, ``getQuery()``
  (``map(string, list(string))``).
* ``ip(s)``, ``isIP(s)``, ``ip.isCanonical(s)``, ``family()``, ``isUnspecified()``,
  ``isLoopback()``, ``isLinkLocalMulticast()``, ``isLinkLocalUnicast()``, ``isGlobalUnicast()``.
  Kubernetes rejects IPv4-mapped IPv6 addresses and zones.
* ``cidr(s)``, ``isCIDR(s)``, ``containsIP(ip|string)``, ``containsCIDR(cidr|string)``,
  ``ip()`` (the address part), ``masked()``, ``prefixLength()``.
* ``string(url|ip|cidr)`` gives the text back (``generator.cel.library.strings``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from generator.cel.library.opaque import kind_of, tag, type_name, untag

__all__ = ["FUNCTIONS"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _str_arg(function: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"no such overload: {function}({type_name(value)})")
    return value


# --- URLs -------------------------------------------------------------------------------------


def _parse_url(text: str) -> Any:
    if not text or any(ord(ch) < 0x20 or ch == "\x7f" for ch in text):
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    parts = urlsplit(text)
    if " " in parts.netloc or " " in parts.scheme:
        raise ValueError(f"URL parse error during conversion from string: invalid host in {text!r}")
    if not parts.scheme and not text.startswith("/"):
        raise ValueError(
            f"URL parse error during conversion from string: {text!r} is not an absolute URI or path"
        )
    return parts


def url(text: Any) -> dict[str, str]:
    """``url('https://example.com/a')``."""
    s = _str_arg("url", text)
    _parse_url(s)
    return tag("url", s)


def is_url(text: Any) -> bool:
    """Whether ``url()`` accepts the string."""
    try:
        _parse_url(_str_arg("isURL", text))
    except ValueError:
        return False
    return True


def _url_parts(value: Any, function: str) -> Any:
    return urlsplit(untag("url", value, function))


def get_scheme(value: Any) -> str:
    return str(_url_parts(value, "getScheme").scheme)


def get_host(value: Any) -> str:
    netloc: str = _url_parts(value, "getHost").netloc
    return netloc.rsplit("@", 1)[-1]


def get_hostname(value: Any) -> str:
    host = get_host(value)
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if ":" in host else host


def get_port(value: Any) -> str:
    host = get_host(value)
    tail = host[host.index("]") + 1 :] if host.startswith("[") else host
    return tail.rsplit(":", 1)[1] if ":" in tail else ""


def get_escaped_path(value: Any) -> str:
    return quote(_url_parts(value, "getEscapedPath").path, safe="/:@!$&'()*+,;=-._~%")


def get_query(value: Any) -> dict[str, list[str]]:
    return parse_qs(_url_parts(value, "getQuery").query, keep_blank_values=True)


# --- IPs and CIDRs ----------------------------------------------------------------------------


def _parse_ip(text: str) -> IPAddress:
    if "%" in text:
        raise ValueError(f"IP address with zone value is not allowed: {text!r}")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError as e:
        raise ValueError(f"IP address parse error during conversion from string: {e}") from e
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError(f"IPv4-mapped IPv6 address is not allowed: {text!r}")
    return addr


def _parse_cidr(text: str) -> tuple[IPAddress, IPNetwork]:
    if "/" not in text:
        raise ValueError(f"network address parse error during conversion from string: {text!r}")
    address, _, _prefix = text.partition("/")
    addr = _parse_ip(address)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as e:
        raise ValueError(f"network address parse error during conversion from string: {e}") from e
    return addr, net


def _ip_of(value: Any, function: str) -> IPAddress:
    if isinstance(value, str):
        return _parse_ip(value)
    return ipaddress.ip_address(untag("ip", value, function))


def _cidr_of(value: Any, function: str) -> tuple[IPAddress, IPNetwork]:
    if isinstance(value, str):
        return _parse_cidr(value)
    return _parse_cidr(untag("cidr", value, function))


def ip(value: Any) -> dict[str, str]:
    """``ip('10.0.0.1')``, or ``cidr('10.0.0.0/8').ip()`` (the address part)."""
    if kind_of(value) == "cidr":
        addr, _ = _cidr_of(value, "ip")
        return tag("ip", str(addr))
    return tag("ip", str(_parse_ip(_str_arg("ip", value))))


def is_ip(text: Any) -> bool:
    try:
        _parse_ip(_str_arg("isIP", text))
    except ValueError:
        return False
    return True


def ip_is_canonical(text: Any) -> bool:
    """``ip.isCanonical('2001:db8::1')``: the string is the address's canonical spelling."""
    canonical = str(_parse_ip(_str_arg("ip.isCanonical", text)))
    return canonical == str(text)


def family(value: Any) -> int:
    return _ip_of(value, "family").version


def is_unspecified(value: Any) -> bool:
    return bool(_ip_of(value, "isUnspecified").is_unspecified)


def is_loopback(value: Any) -> bool:
    return bool(_ip_of(value, "isLoopback").is_loopback)


def is_link_local_multicast(value: Any) -> bool:
    addr = _ip_of(value, "isLinkLocalMulticast")
    if addr.version == 4:
        return addr in ipaddress.ip_network("224.0.0.0/24")
    return addr in ipaddress.ip_network("ff02::/16")


def is_link_local_unicast(value: Any) -> bool:
    addr = _ip_of(value, "isLinkLocalUnicast")
    if addr.version == 4:
        return addr in ipaddress.ip_network("169.254.0.0/16")
    return addr in ipaddress.ip_network("fe80::/10")


def is_global_unicast(value: Any) -> bool:
    """Go's ``IsGlobalUnicast``: not unspecified, loopback, link-local, multicast or broadcast."""
    addr = _ip_of(value, "isGlobalUnicast")
    if addr.version == 4 and addr == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not (
        addr.is_unspecified
        or addr.is_loopback
        or addr.is_multicast
        or is_link_local_unicast(tag("ip", str(addr)))
    )


def cidr(value: Any) -> dict[str, str]:
    """``cidr('10.0.0.0/8')``."""
    addr, net = _parse_cidr(_str_arg("cidr", value))
    return tag("cidr", f"{addr}/{net.prefixlen}")


def is_cidr(text: Any) -> bool:
    try:
        _parse_cidr(_str_arg("isCIDR", text))
    except ValueError:
        return False
    return True


def contains_ip(value: Any, other: Any) -> bool:
    _, net = _cidr_of(value, "containsIP")
    return _ip_of(other, "containsIP") in net


def contains_cidr(value: Any, other: Any) -> bool:
    _, net = _cidr_of(value, "containsCIDR")
    _, sub = _cidr_of(other, "containsCIDR")
    return sub.version == net.version and sub.subnet_of(net)  # type: ignore[arg-type]


def masked(value: Any) -> dict[str, str]:
    _, net = _cidr_of(value, "masked")
    return tag("cidr", str(net))


def prefix_length(value: Any) -> int:
    _, net = _cidr_of(value, "prefixLength")
    return net.prefixlen


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "url": url,
    "isURL": is_url,
    "getScheme": get_scheme,
    "getHost": get_host,
    "getHostname": get_hostname,
    "getPort": get_port,
    "getEscapedPath": get_escaped_path,
    "getQuery": get_query,
    "ip": ip,
    "isIP": is_ip,
    "ip.isCanonical": ip_is_canonical,
    "family": family,
    "isUnspecified": is_unspecified,
    "isLoopback": is_loopback,
    "isLinkLocalMulticast": is_link_local_multicast,
    "isLinkLocalUnicast": is_link_local_unicast,
    "isGlobalUnicast": is_global_unicast,
    "cidr": cidr,
    "isCIDR": is_cidr,
    "containsIP": contains_ip,
    "containsCIDR": contains_cidr,
    "masked": masked,
    "prefixLength": prefix_length,
}
