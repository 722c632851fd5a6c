"""Every bad-input class of an environment file: one located message, exit 2, rendered/ untouched."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_ENVS, CliResult, cluster_versions, shipped_data, tree_bytes


def _edit(path: Path, old: str, new: str) -> None:
    """Replace the first match of the regular expression ``old`` (values are read, never assumed)."""
    text = path.read_text()
    assert re.search(old, text), f"{old!r} not in {path}"
    path.write_text(re.sub(old, new, text, count=1))


#: A version a shipped prod cluster runs today, whatever the release: its digest is required.
DEPLOYED = sorted(cluster_versions(shipped_data("prod")).values())[0]


CASES = [
    pytest.param(
        "_defaults.yaml",
        r'interruptionQueue: "\$\{clusterName\}"',
        'interruptionQueue: "${clustername}"',
        r"environments/_defaults\.yaml:\d+:\d+: argocd\.operators\.karpenter\.values\.settings\."
        r"interruptionQueue: unknown placeholder \$\{clustername\}",
        "${clusterName}",
        id="unknown-operator-placeholder",
    ),
    pytest.param(
        "dev.yaml",
        r"      vpcId: vpc-[0-9a-f]+\n",
        "",
        r"environments/_defaults\.yaml:\d+:\d+: argocd\.operators\.aws-load-balancer-controller\.values"
        r"\.vpcId: operator 'aws-load-balancer-controller' uses \$\{vpcId\} but cluster 'main' states no vpcId",
        "topology.clusters.main.vpcId",
        id="placeholder-without-cluster-value",
    ),
    pytest.param(
        "_production.yaml",
        r"(  rateLimitStoreImage: [^@\n]+)@sha256:[0-9a-f]+",
        r"\g<1>",
        r"environments/_production\.yaml:\d+:\d+: kong\.rateLimitStoreImage: images\.requireDigest is set but "
        r"Kong's rate-limit store image has no digest",
        "@sha256:<64 hex>",
        id="rate-limit-store-without-digest",
    ),
    pytest.param(
        "dev.yaml",
        "  routing: latency\n",
        "  routng: latency\n",
        r"environments/dev\.yaml:\d+:3: dns\.routng: unknown key 'routng'",
        "did you mean 'routing'?",
        id="unknown-key",
    ),
    pytest.param(
        "dev.yaml",
        r"(      server: [^\n]+\n)",
        r"\g<1>      ingressHostname: k8s-kong-dev-0a1b2c3d4e.elb.eu-west-1.amazonaws.com\n",
        r"environments/dev\.yaml:\d+:\d+: topology\.clusters\.main\.ingressHostname: unknown key "
        r"'ingressHostname'",
        "delete this key",
        id="removed-ingress-hostname",
    ),
    pytest.param(
        "dev.yaml",
        r"  sprint: \d+\n",
        "  sprint: forty-two\n",
        r"environments/dev\.yaml:\d+:\d+: release\.sprint: \"forty-two\" is a string, expected integer",
        "Current sprint",
        id="wrong-type",
    ),
    pytest.param(
        "dev.yaml",
        "  routing: latency\n",
        "  routing: latency\n  zone: again.example.com\n",
        r"environments/dev\.yaml:\d+:3: dns\.zone: duplicate key 'zone' \(first at line \d+\)",
        "each key may appear once",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "prod.yaml",
        "  - name: query-api\n",
        "  - name: ingest-api\n",
        r"environments/prod\.yaml:\d+:\d+: services\[3\]\.name: duplicate name 'ingest-api' \(first at services\[0\]\)",
        "names must be unique",
        id="duplicate-service",
    ),
    pytest.param(
        "prod.yaml",
        "  - name: query-api\n",
        "  - name: Query_API\n",
        r"environments/prod\.yaml:\d+:\d+: services\[\d+\]\.name: \"Query_API\" is not valid here",
        "DNS-1035",
        id="not-dns-1035",
    ),
    pytest.param(
        "prod.yaml",
        r"(  weights:\n    even: )\d+(\n    odd: )\d+\n",
        r"\g<1>60\g<2>60\n",
        r"environments/prod\.yaml:\d+:\d+: topology\.weights: weights add up to 120, not 100",
        "must add up to 100",
        id="weights-sum",
    ),
    pytest.param(
        "prod.yaml",
        "  - name: ocr-worker\n",
        "  - name: ocr-worker\n    publishes: [clasify]\n",
        r"environments/prod\.yaml:\d+:\d+: services\[1\]\.publishes\[0\]: unknown queue 'clasify'",
        "known queues: classify, ocr",
        id="unknown-queue",
    ),
    pytest.param(
        "prod.yaml",
        f'      "{re.escape(DEPLOYED)}": sha256:',
        '      "0.0.0-never-deployed": sha256:',
        rf"environments/prod\.yaml:\d+:\d+: services\[0\]\.digests: .*no digest for version '{re.escape(DEPLOYED)}'",
        "add digests",
        id="missing-digest",
    ),
    pytest.param(
        "dev.yaml",
        "release:\n",
        "release: [\n",
        r"environments/dev\.yaml:\d+:\d+: invalid YAML",
        "fix the YAML syntax",
        id="yaml-syntax",
    ),
    pytest.param(
        "dev.yaml",
        "    main:\n",
        "    main:\n      extra: 1\n",
        r"environments/dev\.yaml:\d+:\d+: topology\.clusters\.main\.extra: unknown key 'extra'",
        "allowed keys",
        id="unknown-nested-key",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "where", "hint"), CASES)
def test_bad_environment_is_one_located_message_and_exit_2(
    project: Path, cli: Callable[..., CliResult], file: str, old: str, new: str, where: str, hint: str
) -> None:
    assert cli("render", "--root", str(project), "-q").code == 0
    before = tree_bytes(project / "rendered")
    _edit(project / "environments" / file, old, new)

    result = cli("render", "--root", str(project))

    assert result.code == 2
    assert "Traceback" not in result.err
    first, *others = result.err.split("\nerror: ")
    assert re.search(where, first), result.err
    assert hint in first
    # one located message per error; only consequences of the same edit may follow it
    assert all(re.match(r"environments/\S+\.yaml:\d+:\d+: ", o) for o in others), result.err
    assert tree_bytes(project / "rendered") == before


def test_line_and_column_point_at_the_key(project: Path, cli: Callable[..., CliResult]) -> None:
    env = project / "environments" / "dev.yaml"
    _edit(env, "  routing: latency\n", "  routng: latency\n")
    line = env.read_text().splitlines().index("  routng: latency") + 1
    result = cli("render", "--root", str(project))
    assert f"environments/dev.yaml:{line}:3: dns.routng" in result.err


def test_unknown_environment_is_usage_error(project: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("render", "--root", str(project), "--env", "qa")
    assert result.code == 2
    assert "unknown environment 'qa'" in result.err
    assert ", ".join(SHIPPED_ENVS) in result.err


def test_defaults_value_errors_point_at_defaults_file(project: Path, cli: Callable[..., CliResult]) -> None:
    _edit(project / "environments" / "_defaults.yaml", "  storage: 20Gi\n", "  storage: lots\n")
    result = cli("render", "--root", str(project), "--env", "staging")
    assert result.code == 2
    assert re.search(r"environments/_defaults\.yaml:\d+:\d+: rabbitmq\.storage", result.err), result.err


def test_bad_flag_is_exit_2(cli: Callable[..., CliResult]) -> None:
    result = cli("render", "--bogus")
    assert result.code == 2
    assert "unrecognized arguments" in result.err


def test_errors_survive_pickling_from_worker_processes() -> None:
    import pickle

    from generator.errors import EnvFileError

    err = EnvFileError("bad", path="environments/x.yaml", line=3, column=5, yaml_path=("a", 0), hint="fix it")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is EnvFileError
    assert str(back) == str(err)
