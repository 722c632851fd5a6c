"""Bench section: the Kyverno engine over the fleet (issue 4).

Evaluates the platform's policies (``policies/*/policy.yaml``; a representative built-in set of
pattern/deny rules when that folder is absent) on every fleet document, best of 3, and prints rule
evaluations per second and the added time as a multiple of the fleet's parse time. The pattern/deny
rules are also timed alone: the issue's target (≤ 0.3x the parse time) is stated for them.
Documents are parsed before timing starts: only evaluation is measured.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml

from generator import yamlread
from generator.bench import Fleet
from generator.documents import Document, load_paths
from generator.errors import GeneratorError
from generator.policy import Policy, evaluate, load_policies
from generator.policy.load import policies_from_documents

__all__ = ["run"]

_BUILTIN = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bench-builtin}
spec:
  rules:
  - name: require-labels
    match: {any: [{resources: {kinds: [Deployment, StatefulSet, Service, ConfigMap]}}]}
    validate:
      pattern: {metadata: {labels: {app.kubernetes.io/name: "?*", app.kubernetes.io/part-of: "?*"}}}
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
  - name: resources
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {containers: [{resources: {limits: {memory: "?*"}, requests: {cpu: "?*"}}}]}}
  - name: no-host-network
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {=(hostNetwork): false, =(hostPID): false}}
  - name: replicas
    match: {any: [{resources: {kinds: [Deployment]}}]}
    validate:
      deny:
        conditions:
          any: [{key: "{{ request.object.spec.replicas || `1` }}", operator: LessThan, value: 1}]
  - name: service-type
    match: {any: [{resources: {kinds: [Service]}}]}
    validate:
      deny:
        conditions:
          any: [{key: "{{ request.object.spec.type || 'ClusterIP' }}", operator: Equals, value: NodePort}]
  - name: namespace-label
    match: {any: [{resources: {kinds: [Namespace]}}]}
    validate:
      pattern: {metadata: {labels: {"*": "?*"}}}
"""


def _platform_policies() -> list[Policy]:
    found = sorted(Path("policies").glob("*/policy.yaml"))
    if found:
        return load_policies(found)
    return policies_from_documents(
        [Document("<builtin>", 0, 1, yamlread.load(_BUILTIN, "<builtin>", GeneratorError))]
    )


def _pattern_deny_only(policies: Sequence[Policy]) -> list[Policy]:
    out = []
    for p in policies:
        rules = tuple(r for r in p.rules if r.kind in ("pattern", "anyPattern", "deny"))
        if rules:
            out.append(replace(p, rules=rules))
    return out


def _time(
    policies: Sequence[Policy], docs: Sequence[Document], files: Sequence[Path]
) -> tuple[float, int, int, float, float, float]:
    """Best-of-3 evaluation and parse times, wall and CPU, with results and candidate rule evaluations.

    Parsing is timed in the same rounds, alternating with evaluation, so that load from other
    processes on the machine weighs on both figures alike. CPU time (``time.process_time``) is
    reported beside wall time: on a shared machine it moves less with the other processes' load.

    Returns:
        ``(eval wall, results, candidates, parse wall, eval CPU, parse CPU)``, seconds.
    """
    best = best_parse = best_cpu = best_parse_cpu = float("inf")
    results = 0
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        for f in files:
            # the floor: PyYAML's C loader by definition, not our reader
            for _doc in yaml.load_all(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
                pass
        best_parse = min(best_parse, time.perf_counter() - start)
        best_parse_cpu = min(best_parse_cpu, time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        results = sum(1 for _ in evaluate(policies, docs))
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    candidates = sum(
        1 for d in docs for p in policies for r in p.rules if d.kind in r.kinds or "*" in r.kinds
    )
    return best, results, candidates, best_parse, best_cpu, best_parse_cpu


def run(fleet: Fleet) -> list[str]:
    """Lines of figures: rule evaluations/s and the added time as a multiple of the parse time."""
    policies = _platform_policies()
    docs = load_paths(fleet.files)
    lines = []
    pattern_deny = _pattern_deny_only(policies)
    total = sum(len(p.rules) for p in policies)
    sets = [("all rules", policies)]
    if sum(len(p.rules) for p in pattern_deny) != total:
        sets.append(("pattern/deny rules only", pattern_deny))
    else:
        sets = [("all rules, all pattern/deny", policies)]
    for label, subset in sets:
        rules = sum(len(p.rules) for p in subset)
        if not rules:
            continue
        seconds, results, candidates, parse, cpu, parse_cpu = _time(subset, docs, fleet.files)
        ratio = seconds / fleet.parse_seconds if fleet.parse_seconds else float("nan")
        lines.append(
            f"policy ({label}): {len(subset)} policies, {rules} rules (autogen included), "
            f"{len(docs)} documents: "
            f"{seconds:.3f} s best of 3; {candidates / seconds:,.0f} rule evaluations/s "
            f"({results} rule results, {len(docs) / seconds:,.0f} documents/s); "
            f"added time {ratio:.2f}x the fleet parse time ({seconds / parse:.2f}x a parse timed alongside; "
            f"CPU time {cpu:.3f} s, {cpu / parse_cpu:.2f}x the parse CPU time alongside)"
        )
    return lines
