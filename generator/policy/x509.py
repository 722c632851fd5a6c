"""A minimal X.509 (DER/PEM) reader for Kyverno's ``x509_decode`` JMESPath function.

Reads only what policies compare: version, serial number, validity, subject/issuer common names
and the public key (RSA modulus ``N`` and exponent ``E``), named as Go's ``x509.Certificate``
marshals them, which is what upstream's function returns. Pure; raises ``ValueError`` on input
that is not a certificate.
"""

from __future__ import annotations

import base64
import re
from typing import Any

__all__ = ["decode_certificate"]

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
_RSA_OID = bytes.fromhex("2a864886f70d010101")
_CN_OID = bytes.fromhex("550403")


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("DER length exceeds the data")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = _tlv(data, pos)
        out.append((tag, s, e))
        pos = e
    return out


def _common_name(data: bytes, start: int, end: int) -> str:
    for _tag, s, e in _children(data, start, end):  # SET of AttributeTypeAndValue
        for _t2, s2, e2 in _children(data, s, e):
            parts = _children(data, s2, e2)
            if len(parts) == 2 and data[parts[0][1] : parts[0][2]] == _CN_OID:
                return data[parts[1][1] : parts[1][2]].decode("utf-8", errors="replace")
    return ""


def _time(data: bytes, start: int, end: int) -> str:
    text = data[start:end].decode("ascii", errors="replace").rstrip("Z")
    if len(text) == 12:  # UTCTime YYMMDDHHMMSS
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"


def decode_certificate(text: str) -> dict[str, Any]:
    """PEM (or base64 DER) certificate → a mapping shaped like Go's marshalled ``x509.Certificate``."""
    m = _PEM.search(text)
    der = base64.b64decode("".join((m.group(1) if m else text).split()))
    _tag, cs, ce = _tlv(der, 0)
    tbs_tag, ts, te = _children(der, cs, ce)[0]
    if tbs_tag != 0x30:
        raise ValueError("not an X.509 certificate")
    fields = _children(der, ts, te)
    version = 1
    if fields and fields[0][0] == 0xA0:
        _vt, vs, ve = _children(der, fields[0][1], fields[0][2])[0]
        version = int.from_bytes(der[vs:ve], "big") + 1
        fields = fields[1:]
    serial, _sig, issuer, validity, subject, spki = fields[:6]
    not_before, not_after = _children(der, validity[1], validity[2])[:2]
    algorithm, key_bits = _children(der, spki[1], spki[2])[:2]
    oid = _children(der, algorithm[1], algorithm[2])[0]
    public_key: dict[str, Any] = {}
    algo_name = 0
    if der[oid[1] : oid[2]] == _RSA_OID:
        algo_name = 1
        seq = _tlv(der, key_bits[1] + 1)
        n, e = _children(der, seq[1], seq[2])[:2]
        modulus = int.from_bytes(der[n[1] : n[2]], "big")
        public_key = {"N": modulus, "E": int.from_bytes(der[e[1] : e[2]], "big")}
    return {
        "Version": version,
        "SerialNumber": int.from_bytes(der[serial[1] : serial[2]], "big", signed=True),
        "Issuer": {"CommonName": _common_name(der, issuer[1], issuer[2])},
        "Subject": {"CommonName": _common_name(der, subject[1], subject[2])},
        "NotBefore": _time(der, not_before[1], not_before[2]),
        "NotAfter": _time(der, not_after[1], not_after[2]),
        "PublicKeyAlgorithm": algo_name,
        "PublicKey": public_key,
    }
