"""Cluster check ``secrets``: credentials that would be committed to git in ``rendered/``.

Argo CD syncs what is in git, so a credential in ``rendered/`` is a credential in the repository's
history for good. This scans every string of every manifest of a cluster (generated or foreign)
the way a secret scanner such as gitleaks would, and reports each hit at its field, with the
environment line behind it (``Finding.source``):

- ``Secret`` objects carrying ``data``/``stringData`` (credentials belong in an external store;
  the platform reads them through the CSI driver or ExternalSecrets);
- PEM private keys, anywhere;
- cloud access keys (AWS ``AKIA…``/``ASIA…`` key ids, GitHub and Slack tokens, Google API keys);
- credentials inside URLs (``scheme://user:password@host``), in any field: env values, the
  Argo CD ``repoURL``, a cluster ``server``, an OIDC issuer;
- bearer and basic ``Authorization`` values;
- container ``env`` values that are literal where the name says credential (``DB_PASS``, ``PWD``,
  ``*_TOKEN``, ``*_KEY``…) or whose text is random enough to be one (Shannon entropy).

Never prints the secret: messages name the kind of secret and mask the value. Pure; no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding
from generator.location import YamlPath
from generator.manifest import Manifest

__all__ = ["CHECK", "check_secrets", "scan_text"]

CHECK = "secrets"

#: (what, pattern) tested against every string value.
_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("credentials in a URL", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@[^/\s@]")),
    ("a bearer token", re.compile(r"(?i:\bbearer\s+[A-Za-z0-9._~+/-]{12,}=*)")),
    ("basic-auth credentials", re.compile(r"(?i:\bbasic\s+[A-Za-z0-9+/]{12,}=*)")),
)
#: Any of ``_VALUE_PATTERNS``: one pass over a manifest's strings joined by newlines finds every string
#: a pattern matches alone (each pattern starts and ends at a word boundary or a lookaround a newline
#: satisfies), and a hit across two strings only costs the exact scan (``_manifest_findings``).
_ANY_VALUE = re.compile("|".join(f"(?:{p.pattern})" for _, p in _VALUE_PATTERNS))
#: Text every match of ``_VALUE_PATTERNS`` contains, lower-cased (in order: key, AWS, GitHub, Slack,
#: Google, URL, bearer, basic); a manifest without any skips even ``_ANY_VALUE``.
_LITERALS = (
    "private key",
    *("akia", "asia", "abia", "acca"),
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "xox",
    "aiza",
    "bearer",
    "basic",
)
#: Env var names that say "credential": a literal value under one is a secret in git.
_CREDENTIAL_NAME = re.compile(
    r"(?i)(?:^|_)(?:PASS|PASSWD|PASSWORD|PWD|SECRET|TOKEN|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|"
    r"CREDENTIALS?|AUTH|KEY)(?:$|_)"
)
#: Values under credential names that are placeholders, not secrets.
_HARMLESS = frozenset({"", "true", "false", "none", "null", "changeme", "-"})
#: A literal env value at least this long and this random (bits per character) is reported.
MIN_ENTROPY_LENGTH = 20
MIN_ENTROPY = 4.0


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(text: str) -> bool:
    """Long, mixed-class, high-entropy text without spaces: a key or token, not a word or URL."""
    if len(text) < MIN_ENTROPY_LENGTH or " " in text or "://" in text:
        return False
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return classes >= 2 and _entropy(text) >= MIN_ENTROPY


def scan_text(text: str) -> str | None:
    """What kind of secret ``text`` holds (by its content alone), or ``None``."""
    for what, pattern in _VALUE_PATTERNS:
        if pattern.search(text):
            return what
    return None


def _mask(text: str) -> str:
    return f"{text[:4]}…({len(text)} characters)" if len(text) > 8 else "…"


def _strings(body: Any) -> Iterator[tuple[YamlPath, str]]:
    """Every string value with its path (iteratively: no recursion limit)."""
    stack: list[tuple[YamlPath, Any]] = [((), body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))


def _env_entries(body: Any) -> Iterator[tuple[YamlPath, str, str]]:
    """``(path of value, name, value)`` of every literal container env entry, at any depth."""
    stack: list[tuple[YamlPath, Any]] = [((), body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            env = value.get("env")
            if isinstance(env, list) and isinstance(value.get("name"), str):
                for i, entry in enumerate(env):
                    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                        yield (*path, "env", i, "value"), str(entry.get("name", "")), entry["value"]
            stack.extend(((*path, k), v) for k, v in value.items() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value) if isinstance(v, dict | list))


#: Argo CD declarative Secrets (cluster, repository) hold configuration; only these keys of them
#: (or of their ``config`` JSON) are credentials.
_ARGOCD_SECRET_TYPE = "argocd.argoproj.io/secret-type"
_ARGOCD_CREDENTIAL_KEYS = frozenset(
    {"password", "bearerToken", "sshPrivateKey", "keyData", "githubAppPrivateKey"}
)


def _argocd_credentials(value: Any) -> bool:
    """True when an Argo CD Secret value (or its parsed ``config`` JSON) carries a credential."""
    if isinstance(value, str):
        if scan_text(value) is not None:
            return True
        try:
            value = json.loads(value)
        except ValueError:
            return False
    if isinstance(value, dict):
        return any(
            (k in _ARGOCD_CREDENTIAL_KEYS and bool(v)) or _argocd_credentials(v) for k, v in value.items()
        )
    return False


def _secret_data(m: Manifest) -> Iterator[Finding]:
    labels = (m.body.get("metadata") or {}).get("labels") or {}
    argocd = isinstance(labels, dict) and _ARGOCD_SECRET_TYPE in labels
    for field in ("data", "stringData"):
        data = m.body.get(field)
        if isinstance(data, dict):
            for key in sorted(data):
                if argocd and key not in _ARGOCD_CREDENTIAL_KEYS and not _argocd_credentials(data[key]):
                    continue  # Argo CD configuration (name, server, IRSA config): no credential
                yield finding(
                    m,
                    (field, key),
                    CHECK,
                    f"Secret {field}.{key} would be committed to git: keep credentials in the secret "
                    "store (ExternalSecret / CSI driver), never in rendered/",
                )


def _may_hold_secret(body: Any) -> bool:
    """Whether the exact scan could report anything in ``body`` (false alarms only cost time).

    One walk without paths: every string against ``_ANY_VALUE`` at once, and every literal env entry
    against the rules of ``_manifest_findings``; most manifests end here.
    """
    strings: list[str] = []
    stack: list[Any] = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            env = value.get("env")
            if isinstance(env, list) and isinstance(value.get("name"), str):
                for entry in env:
                    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                        name, literal = str(entry.get("name", "")), entry["value"]
                        if literal.strip().lower() not in _HARMLESS and (
                            _CREDENTIAL_NAME.search(name) or _looks_random(literal)
                        ):
                            return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    text = "\n".join(strings)
    low = text.lower()
    if not any(literal in low for literal in _LITERALS) and not ("://" in low and "@" in low):
        return False
    return _ANY_VALUE.search(text) is not None


def _manifest_findings(m: Manifest) -> Iterator[Finding]:
    if m.kind != "Secret" and not _may_hold_secret(m.body):
        return
    if m.kind == "Secret":
        yield from _secret_data(m)
    reported: set[YamlPath] = set()
    for path, text in _strings(m.body):
        if m.kind == "Secret" and path[:1] in (("data",), ("stringData",)):
            continue
        what = scan_text(text)
        if what is not None:
            reported.add(path)
            yield finding(
                m, path, CHECK, f"{what} would be committed to git ({_mask(text)}); use a secret store"
            )
    for path, name, value in _env_entries(m.body):
        if path in reported or value.strip().lower() in _HARMLESS:
            continue
        if _CREDENTIAL_NAME.search(name):
            reason = f"env {name} holds a literal credential"
        elif _looks_random(value):
            reason = f"env {name} holds a high-entropy value that looks like a key or token"
        else:
            continue
        yield finding(
            m,
            path,
            CHECK,
            f"{reason} ({_mask(value)}); reference a Secret (valueFrom.secretKeyRef) kept out of git",
        )


def check_secrets(view: ClusterView) -> Iterator[Finding]:
    """Every credential in the manifests of ``view`` (see the module docstring)."""
    for m in view.manifests:
        yield from _manifest_findings(m)
