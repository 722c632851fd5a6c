"""Kubernetes URL, IP and CIDR libraries; timestamp accessors with a time zone."""

from __future__ import annotations

import pytest

from generator.cel import CelEvaluationError, evaluate


def ev(expr: str) -> object:
    return evaluate(expr, {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("url('https://example.com:80/').getHost()", "example.com:80"),
        ("url('https://example.com/').getHost()", "example.com"),
        ("url('https://[::1]:80/').getHost()", "[::1]:80"),
        ("url('https://[::1]:80/').getHostname()", "::1"),
        ("url('https://example.com:80/').getHostname()", "example.com"),
        ("url('https://example.com:80/').getPort()", "80"),
        ("url('https://example.com/').getPort()", ""),
        ("url('https://example.com/path').getScheme()", "https"),
        ("url('/absolute-path').getScheme()", ""),
        ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
        ("url('https://example.com/?k=a&k=b&x=1').getQuery()", {"k": ["a", "b"], "x": ["1"]}),
        ("isURL('https://example.com')", True),
        ("isURL('/absolute-path')", True),
        ("isURL('relative/path')", False),
        ("isURL('')", False),
        ("string(url('https://example.com'))", "https://example.com"),
    ],
)
def test_urls(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isIP('127.0.0.1')", True),
        ("isIP('::1')", True),
        ("isIP('127.0.0.256')", False),
        ("isIP('::ffff:127.0.0.1')", False),
        ("isIP('fe80::1%eth0')", False),
        ("ip('127.0.0.1').family()", 4),
        ("ip('::1').family()", 6),
        ("ip('::1') == ip('0:0::1')", True),
        ("string(ip('2001:db8:0::1'))", "2001:db8::1"),
        ("ip.isCanonical('127.0.0.1')", True),
        ("ip.isCanonical('2001:db8::1')", True),
        ("ip.isCanonical('2001:DB8::1')", False),
        ("ip('0.0.0.0').isUnspecified()", True),
        ("ip('127.0.0.1').isLoopback()", True),
        ("ip('224.0.0.1').isLinkLocalMulticast()", True),
        ("ip('fe80::1').isLinkLocalUnicast()", True),
        ("ip('192.168.0.1').isGlobalUnicast()", True),
        ("ip('255.255.255.255').isGlobalUnicast()", False),
        ("isCIDR('10.0.0.0/8')", True),
        ("isCIDR('10.0.0.0')", False),
        ("cidr('192.168.0.0/16').containsIP(ip('192.168.1.1'))", True),
        ("cidr('192.168.0.0/16').containsIP('192.169.1.1')", False),
        ("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.1.0/24'))", True),
        ("cidr('192.168.0.0/16').containsCIDR('10.0.0.0/24')", False),
        ("cidr('::1/128').containsCIDR('10.0.0.0/24')", False),
        ("cidr('192.168.1.5/16').ip() == ip('192.168.1.5')", True),
        ("cidr('192.168.1.5/16').masked() == cidr('192.168.0.0/16')", True),
        ("string(cidr('192.168.1.5/16').masked())", "192.168.0.0/16"),
        ("cidr('192.168.0.0/16').prefixLength()", 16),
    ],
)
def test_ip_cidr(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize("expr", ["ip('1.2.3')", "cidr('10.0.0.0/33')", "url('relative')", "ip(1)"])
def test_network_errors(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        ev(expr)


TS = "timestamp('2024-03-10T01:30:45.250Z')"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (f"{TS}.getHours()", 1),
        (f"{TS}.getHours('America/New_York')", 20),
        (f"{TS}.getDate('America/New_York')", 9),
        (f"{TS}.getDayOfWeek()", 0),
        (f"{TS}.getDayOfWeek('America/New_York')", 6),
        (f"{TS}.getMinutes('+05:30')", 0),
        (f"{TS}.getHours('+05:30')", 7),
        (f"{TS}.getMonth('UTC')", 2),
        (f"{TS}.getDayOfYear('UTC')", 69),
        (f"{TS}.getDayOfMonth('UTC')", 9),
        (f"{TS}.getFullYear('-01:00')", 2024),
        (f"{TS}.getMilliseconds('UTC')", 250),
        (f"{TS}.getSeconds('UTC')", 45),
        ("duration('1h30m').getMinutes()", 90),
        ("timestamp('2024-01-01T00:00:00Z') + duration('36h') > timestamp('2024-01-02T00:00:00Z')", True),
    ],
)
def test_time(expr: str, expected: object) -> None:
    assert ev(expr) == expected


def test_unknown_time_zone() -> None:
    with pytest.raises(CelEvaluationError, match="unknown time zone"):
        ev(f"{TS}.getHours('Mars/Olympus')")
