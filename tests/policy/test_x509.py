"""x509_decode: a hand-built DER certificate decodes to Go's field names."""

import base64

import pytest

from generator.policy.variables import VariableError, query
from generator.policy.x509 import decode_certificate


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    length = (
        bytes([n])
        if n < 128
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + content


def integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def name(cn: str) -> bytes:
    return tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, bytes.fromhex("550403")) + tlv(0x0C, cn.encode()))))


def certificate(modulus: int) -> str:
    rsa = tlv(0x06, bytes.fromhex("2a864886f70d010101")) + tlv(0x05, b"")
    key = tlv(0x30, integer(modulus) + integer(65537))
    spki = tlv(0x30, tlv(0x30, rsa) + tlv(0x03, b"\x00" + key))
    validity = tlv(0x30, tlv(0x17, b"240101000000Z") + tlv(0x17, b"340101000000Z"))
    tbs = tlv(
        0x30,
        tlv(0xA0, integer(2)) + integer(42) + tlv(0x30, rsa) + name("ca") + validity + name("leaf") + spki,
    )
    der = tlv(0x30, tbs + tlv(0x30, rsa) + tlv(0x03, b"\x00"))
    body = base64.b64encode(der).decode()
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def test_decode_fields():
    cert = decode_certificate(certificate(2**200 + 7))
    assert cert["Version"] == 3
    assert cert["SerialNumber"] == 42
    assert cert["Subject"] == {"CommonName": "leaf"}
    assert cert["Issuer"] == {"CommonName": "ca"}
    assert cert["NotBefore"] == "2024-01-01T00:00:00Z"
    assert cert["PublicKey"] == {"N": 2**200 + 7, "E": 65537}


def test_jmespath_function_and_errors():
    assert query("x509_decode(c).PublicKey.E", {"c": certificate(99991)}) == 65537
    with pytest.raises(VariableError):
        query("x509_decode('not a cert')", {})
