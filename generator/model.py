"""Model stage: a schema-valid environment mapping → frozen, typed ``Environment``.

Checks what a JSON Schema cannot say (unique service names, weights adding up to 100, queues that
exist, the clusters a topology needs, digests where required) and reports each through the
``error_at`` callback so the message names file:line. Imports no other ``generator`` module but
``errors``, ``helm_values`` (placeholders) and ``release.state``: the rest of the code receives
only these frozen dataclasses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from generator.errors import EnvFileError, ErrorAt, GeneratorError
from generator.helm_values import PLACEHOLDERS, expand, placeholders_in
from generator.location import YamlPath
from generator.release.state import ReleaseState, read_release_state
from generator.semantics import semantic_errors

__all__ = [
    "S3",
    "ArgoCd",
    "Aws",
    "Cluster",
    "Dns",
    "Efs",
    "EfsMount",
    "Eks",
    "Environment",
    "ExtraMetadata",
    "Images",
    "Karpenter",
    "Kong",
    "NodePoolSpec",
    "OperatorChart",
    "Owner",
    "QueueSpec",
    "RabbitMq",
    "SecretRef",
    "SecretStore",
    "Service",
    "Storage",
    "Topology",
    "build_environment",
]

DUAL_CLUSTERS = ("even", "odd")


@dataclass(frozen=True, slots=True)
class Cluster:
    """One EKS cluster of an environment."""

    name: str
    """``even``/``odd`` in a dual topology, the configured name in a single one."""
    server: str
    """API server URL Argo CD deploys to."""
    eks_cluster_name: str
    """EKS cluster name (schema default ``docproc-<env>-<cluster>``): Argo CD's awsAuthConfig, Karpenter."""
    vpc_id: str | None
    """VPC id, where the environment states it (``${vpcId}`` in operator values); ``None``: not stated."""
    ca_data: str | None
    """Base64 PEM of the API server's CA, where stated (the hub's cluster Secret trusts it)."""
    extra_manifests: str | None = None
    """Directory (relative to the project root) of this cluster's extra manifests, where stated."""


@dataclass(frozen=True, slots=True)
class Topology:
    kind: Literal["single", "dual"]
    """single: one cluster; dual: even and odd, alternating releases by sprint parity."""
    clusters: tuple[Cluster, ...]
    """Sorted by name."""
    weights: Mapping[str, int]
    """Route 53 weight per cluster name (100 for the single cluster)."""


@dataclass(frozen=True, slots=True)
class ExtraMetadata:
    """A team's own labels and annotations (``labels``/``annotations`` of the environment or a service).

    Added to what the templates render, never over it: ``semantics`` refuses the platform's label
    domains, and ``render`` refuses a key a template already set to another value.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    """Label key → value (Kubernetes syntax, checked by the schema)."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotation key → value."""
    at: YamlPath = ()
    """Where in the environment they are written (``()`` or ``("services", i)``), for errors."""


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where an environment variable's value is kept (``services[].secrets.<VAR>``)."""

    store: str
    """A store of ``secretStores``."""
    key: str
    """The secret's key (name or path) in the store."""
    property: str | None = None
    """A property of a JSON secret, where one is named."""


@dataclass(frozen=True, slots=True)
class SecretStore:
    """An External Secrets Operator store the services may read from (``secretStores``)."""

    name: str
    kind: str
    """``ClusterSecretStore`` or ``SecretStore`` (then in the services' namespace)."""


@dataclass(frozen=True, slots=True)
class Service:
    """A microservice of the document processor."""

    index: int
    """Position in ``services:`` (for source marks)."""
    name: str
    type: Literal["http", "worker"]
    image: str
    """Repository inside the environment's registry."""
    digests: Mapping[str, str]
    """Release version → ``sha256:…`` digest."""
    port: int
    """Container port (http services)."""
    public: bool
    """Exposed to the internet through Kong."""
    paths: tuple[str, ...]
    min_replicas: int
    max_replicas: int
    cpu: str
    """CPU request (Kubernetes quantity)."""
    memory: str
    """Memory request."""
    memory_limit: str
    """Memory limit (at least the request; the schema defaults it to the request)."""
    consumes: tuple[str, ...]
    publishes: tuple[str, ...]
    calls: tuple[str, ...]
    documents: bool
    """Mounts the shared EFS volume of documents."""
    env: Mapping[str, str]
    team: str
    called_by: tuple[str, ...] = ()
    """Services whose ``calls`` name this one (derived, sorted): who may reach it."""
    since: str | None = None
    """First release version that has this service (``None``: every version has it)."""
    cpu_limit: str | None = None
    """CPU limit, where one is stated (``None``: none; limits cause CFS throttling)."""
    extra: ExtraMetadata = field(default_factory=ExtraMetadata)
    """The service's own labels and annotations (on its objects, over the environment's)."""
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    """Environment variable → where its value is kept (rendered as ExternalSecret + secretKeyRef)."""

    def secrets_by_store(self) -> list[tuple[str, list[tuple[str, SecretRef]]]]:
        """``secrets`` grouped by store, both sorted: one ExternalSecret (and Secret) per store."""
        stores = sorted({ref.store for ref in self.secrets.values()})
        return [
            (s, [(var, ref) for var, ref in sorted(self.secrets.items()) if ref.store == s]) for s in stores
        ]

    @property
    def is_http(self) -> bool:
        return self.type == "http"

    def exists_in(self, version: str) -> bool:
        """Whether release ``version`` has this service (versions compare numerically, see ``since``)."""
        return self.since is None or version_key(version) >= version_key(self.since)


def version_key(version: str) -> tuple[int, ...]:
    """``"2026.43.0"`` → ``(2026, 43, 0)``: release versions order by their numbers, not as text.

    Non-numeric parts sort as -1: only reached for a version the loader did not compare (no ``since``).
    """
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    dead_letter: bool
    delivery_limit: int


@dataclass(frozen=True, slots=True)
class NodePoolSpec:
    name: str
    instance_categories: tuple[str, ...]
    capacity_types: tuple[str, ...]
    cpu_limit: int
    memory_limit: str
    consolidate_after: str
    disruption_budget: str


@dataclass(frozen=True, slots=True)
class EfsMount:
    """Where one cluster mounts its documents file system (``storage.efs.clusters.<cluster>``)."""

    file_system_id: str | None
    """``fs-…`` once ACK has created the file system; ``None`` while bootstrapping (the gate fails)."""
    subnet_ids: tuple[str, ...]
    """One MountTarget per subnet (one per availability zone of the nodes)."""
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OperatorChart:
    """An operator installed from a pinned Helm chart (sync wave 0)."""

    name: str
    """Key under ``argocd.operators``; also the Helm release name."""
    namespace: str
    repo_url: str
    chart: str
    version: str
    values: Mapping[str, Any] = field(default_factory=dict)
    """Helm values as written, ``${placeholder}`` strings unexpanded (see ``Environment.operator_values``)."""


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns and pays for the environment (``owner``)."""

    team: str
    """Team label on every resource (``docproc.io/team``); a service may name its own."""
    cost_centre: str
    """Cost-centre label on every resource (``docproc.io/cost-centre``)."""


@dataclass(frozen=True, slots=True)
class Aws:
    """The AWS account the environment lives in (``aws``)."""

    account_id: str
    """12-digit account id (IRSA role ARNs, the hub's deployer role)."""
    region: str
    """Region of every cluster and bucket."""
    kms_key_arn: str
    """KMS key encrypting EFS, S3 and EBS volumes."""


@dataclass(frozen=True, slots=True)
class Eks:
    """The EKS clusters' Kubernetes (``eks``)."""

    version: str
    """Kubernetes minor version (``"1.33"``): selects the schemas rendered objects are validated against."""


@dataclass(frozen=True, slots=True)
class Dns:
    """Route 53 records through ExternalDNS (``dns``)."""

    zone: str
    """Hosted zone the records live in (ExternalDNS ``domainFilters``)."""
    hostname: str
    """Public hostname of the API."""
    beta_hostname: str | None
    """dual: hostname that reaches only the release cluster (``None`` in a single topology)."""
    routing: str
    """single: ``latency`` or ``failover`` routing of the record."""
    health_check_id: str | None
    """Route 53 health check of failover routing (``None``: none)."""


@dataclass(frozen=True, slots=True)
class Images:
    """Where images come from (``images``)."""

    registries: tuple[str, ...]
    """Registries every rendered image must come from (policy restrict-images, the gate)."""
    registry: str
    """Registry the services' images are pulled from (one of ``registries``)."""
    require_digest: bool
    """Pin every image by digest (production)."""


@dataclass(frozen=True, slots=True)
class ArgoCd:
    """The Argo CD hub that deploys the environment (``argocd``)."""

    repo_url: str
    """Git repository holding ``rendered/`` (``argocd.repoURL``)."""
    target_revision: str
    """Branch or tag Argo CD syncs."""
    namespace: str
    """Namespace of Argo CD on the hub."""
    hub: str
    """Name of the hub (``argocd.hub.name``): environments sharing one must not render the same object."""
    hub_role_arn: str
    """IAM role the hub assumes to reach the workload clusters (cluster Secret ``awsAuthConfig``)."""
    operators: tuple[OperatorChart, ...]
    """Operator charts (sync wave 0), sorted by name."""


@dataclass(frozen=True, slots=True)
class Karpenter:
    """Node provisioning (``karpenter``)."""

    ami_alias: str
    """Pinned AMI alias of the EC2NodeClass (never ``@latest``)."""
    node_pools: tuple[NodePoolSpec, ...]
    """One Karpenter NodePool each, in file order."""


@dataclass(frozen=True, slots=True)
class RabbitMq:
    """The message broker and its topology (``rabbitmq``)."""

    replicas: int
    """RabbitmqCluster replicas (1, 3 or 5: quorum queues need an odd number)."""
    storage: str
    """Persistent volume size of each replica (Kubernetes quantity)."""
    image: str
    """Full image reference of the RabbitMQ server (in the environment's registry)."""
    queues: tuple[QueueSpec, ...]
    """Quorum queues, in file order (each with its dead-letter queue where asked)."""


@dataclass(frozen=True, slots=True)
class Efs:
    """The shared documents file system (``storage.efs``)."""

    performance_mode: str
    """``generalPurpose`` or ``maxIO``."""
    throughput_mode: str
    """``bursting``, ``elastic`` or ``provisioned``."""
    size: str
    """Capacity requested by the documents PersistentVolumeClaim (EFS itself is elastic)."""
    mounts: Mapping[str, EfsMount]
    """Per cluster name: file system id and mount target subnets (missing: nothing is mounted)."""


@dataclass(frozen=True, slots=True)
class S3:
    """The backup bucket (``storage.s3``)."""

    bucket: str
    """Bucket name (global in S3: one per environment)."""
    owner_cluster: str
    """Cluster whose platform application owns the (shared) bucket; the only one in a single topology."""
    glacier_after_days: int
    """Objects move to Glacier after this many days."""
    expire_after_days: int | None
    """Objects expire after this many days (``None``: never)."""


@dataclass(frozen=True, slots=True)
class Storage:
    """Document and backup storage (``storage``)."""

    efs: Efs
    s3: S3


@dataclass(frozen=True, slots=True)
class Kong:
    """The API gateway in front of the mesh (``kong``)."""

    oidc_issuer: str
    """OIDC issuer whose JWTs the public routes accept."""
    rate_limit_per_minute: int
    """Requests per minute and consumer on the public routes."""
    edition: str
    """``oss`` or ``enterprise``: which Kong plugins exist."""
    rate_limit_store_image: str
    """Full image reference of the Redis holding Kong's rate-limit counters (in the environment's
    registry): one store for every Kong replica, so a client's limit is one limit."""


@dataclass(frozen=True, slots=True)
class Environment:
    """Everything the planner and the templates need, typed, frozen and grouped as the file is."""

    name: str
    """Environment name: the file name without ``.yaml`` (``rendered/<name>/``)."""
    tier: str
    """production / staging / development: production-only policies select label docproc.io/tier."""
    owner: Owner
    aws: Aws
    eks: Eks
    topology: Topology
    sprint: int
    """Current sprint; in a dual topology its release goes to the cluster of its parity."""
    version: str
    """The sprint's release version (single: the only version)."""
    previous_version: str
    """dual: the version the other cluster runs (single: ``version``)."""
    dns: Dns
    images: Images
    argocd: ArgoCd
    karpenter: Karpenter
    rabbitmq: RabbitMq
    storage: Storage
    kong: Kong
    services: tuple[Service, ...]
    """The microservices, in file order."""
    release: ReleaseState | None = None
    """dual: the explicit release state (phase, versions per cluster, approval); single: ``None``."""
    extra: ExtraMetadata = field(default_factory=ExtraMetadata)
    """The environment's own labels and annotations, on every object it renders."""
    secret_stores: tuple[SecretStore, ...] = ()
    """Secret stores the services' secrets read from (created outside or through extraManifests)."""
    extra_manifests: str | None = None
    """Directory (relative to the project root) of manifests every cluster gets, where stated."""

    def secret_store(self, name: str) -> SecretStore:
        """The store called ``name`` (references are validated to exist)."""
        return next(s for s in self.secret_stores if s.name == name)

    def cluster_versions(self) -> dict[str, str]:
        """Cluster name → the version it runs."""
        if self.release is None:
            return {c.name: self.version for c in self.topology.clusters}
        return dict(self.release.versions)

    def service(self, name: str) -> Service:
        """The service called ``name`` (names are validated to exist and be unique)."""
        return next(s for s in self.services if s.name == name)

    def proxy_hostname(self, cluster: str) -> str:
        """DNS name of ``cluster``'s Kong proxy load balancer, published by ExternalDNS from its Service.

        The Route 53 records of the environment's hostnames point at it, never at a hand-copied
        ELB host name: the load balancer is created by the AWS Load Balancer Controller at run time.
        """
        return f"kong-{self.name}-{cluster}.{self.dns.zone}"

    def placeholder_values(self, operator: str, cluster: Cluster) -> dict[str, str]:
        """What each ``${placeholder}`` of ``operator``'s values means on ``cluster``."""
        return {
            "env": self.name,
            "cluster": cluster.name,
            "clusterName": cluster.eks_cluster_name,
            "region": self.aws.region,
            "accountId": self.aws.account_id,
            "kmsKeyArn": self.aws.kms_key_arn,
            "dnsZone": self.dns.zone,
            "vpcId": cluster.vpc_id or "",
            "operator": operator,
            "roleArn": f"arn:aws:iam::{self.aws.account_id}:role/{cluster.eks_cluster_name}-{operator}",
            "proxyHostname": self.proxy_hostname(cluster.name),
        }

    def operator_values(self, operator: OperatorChart, cluster: Cluster) -> Any:
        """``operator``'s Helm values for ``cluster``, placeholders expanded."""
        return expand(operator.values, self.placeholder_values(operator.name, cluster))


def _check_unique(items: list[Mapping[str, Any]], section: YamlPath, error_at: ErrorAt) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        name = item["name"]
        if name in seen:
            raise error_at(
                f"duplicate name {name!r} (first at {'.'.join(map(str, section))}[{seen[name]}])",
                (*section, i, "name"),
                "names must be unique; rename or remove one",
            )
        seen[name] = i


def _cluster(env: str, name: str, raw: Mapping[str, Any]) -> Cluster:
    return Cluster(
        name,
        raw["server"],
        eks_cluster_name=raw["eksClusterName"],
        vpc_id=raw.get("vpcId"),
        ca_data=raw.get("caData"),
        extra_manifests=raw.get("extraManifests"),
    )


def _topology(env: str, data: Mapping[str, Any], error_at: ErrorAt) -> Topology:
    topo = data["topology"]
    names = sorted(topo["clusters"])
    clusters = tuple(_cluster(env, n, topo["clusters"][n]) for n in names)
    weights_raw: Mapping[str, int] | None = topo.get("weights")
    if topo["type"] == "single":
        if len(names) != 1:
            raise error_at(
                f"a single topology has exactly one cluster, found {len(names)}",
                ("topology", "clusters"),
                "remove clusters or set type: dual",
            )
        if weights_raw:
            raise error_at("weights are only for dual topologies", ("topology", "weights"), "remove weights")
        return Topology("single", clusters, {names[0]: 100})
    if names != list(DUAL_CLUSTERS):
        raise error_at(
            f"a dual topology has clusters 'even' and 'odd', found {names}",
            ("topology", "clusters"),
            "name the two clusters even and odd",
        )
    if weights_raw is None or sorted(weights_raw) != list(DUAL_CLUSTERS):
        raise error_at(
            "a dual topology needs a weight for each of even and odd",
            ("topology", "weights"),
            "e.g. weights: {even: 90, odd: 10}",
        )
    total = sum(weights_raw.values())
    if total != 100:
        raise error_at(
            f"weights add up to {total}, not 100",
            ("topology", "weights"),
            "Route 53 weights between the clusters must add up to 100",
        )
    return Topology("dual", clusters, {n: weights_raw[n] for n in DUAL_CLUSTERS})


def _env_value(value: object) -> str:
    """Container env values are strings; booleans are written as Kubernetes tools write them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _service(i: int, s: Mapping[str, Any], team: str) -> Service:
    res = s["resources"]
    reps = s["replicas"]
    return Service(
        index=i,
        name=s["name"],
        type=s["type"],
        image=s["image"],
        digests=dict(s["digests"]),
        port=s["port"],
        public=s["public"],
        paths=tuple(s["paths"]),
        min_replicas=reps["min"],
        max_replicas=reps["max"],
        cpu=res["cpu"],
        memory=res["memory"],
        memory_limit=res["memoryLimit"],
        consumes=tuple(s["consumes"]),
        publishes=tuple(s["publishes"]),
        calls=tuple(s["calls"]),
        documents=s["documents"],
        env={k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in sorted(s["env"].items())},
        team=s["team"],
        since=s.get("since"),
        cpu_limit=res.get("cpuLimit"),
        extra=ExtraMetadata(dict(s["labels"]), dict(s["annotations"]), ("services", i)),
        secrets={
            v: SecretRef(r["store"], r["key"], r.get("property")) for v, r in sorted(s["secrets"].items())
        },
    )


def _check_services(data: Mapping[str, Any], services: tuple[Service, ...], error_at: ErrorAt) -> None:
    """Every service's references and settings; all bad ones reported at once."""
    found: list[GeneratorError] = []
    queues = frozenset(q["name"] for q in data["rabbitmq"]["queues"])
    names = frozenset(x.name for x in services)  # once: per service, they made loading quadratic
    for s in services:
        try:
            _check_service(s, queues, names, error_at)
        except EnvFileError as e:
            found.extend(e.all)
    if found:
        raise GeneratorError.collect(found)


def _check_service(s: Service, queues: frozenset[str], names: frozenset[str], error_at: ErrorAt) -> None:
    found: list[GeneratorError] = []
    for field_name, refs, known, what in (
        ("consumes", s.consumes, queues, "queue"),
        ("publishes", s.publishes, queues, "queue"),
        ("calls", s.calls, names, "service"),
    ):
        found += [
            error_at(
                f"unknown {what} {ref!r}",
                ("services", s.index, field_name, j),
                f"known {what}s: {', '.join(sorted(known)) or '(none)'}",
            )
            for j, ref in enumerate(refs)
            if ref not in known
        ]
    if s.min_replicas > s.max_replicas:
        found.append(
            error_at(
                f"replicas.min ({s.min_replicas}) is above replicas.max ({s.max_replicas})",
                ("services", s.index, "replicas"),
                "set min <= max",
            )
        )
    if s.public and not s.is_http:
        found.append(error_at("only http services can be public", ("services", s.index, "public"), None))
    if s.public and not s.paths:
        found.append(
            error_at(
                "a public service needs at least one path", ("services", s.index), "add paths: [/v1/...]"
            )
        )
    if found:
        raise GeneratorError.collect(found)


def _check_images(
    data: Mapping[str, Any], services: tuple[Service, ...], versions: list[str], error_at: ErrorAt
) -> None:
    images = data["images"]
    if images["registry"] not in images["registries"]:
        raise error_at(
            f"registry {images['registry']!r} is not in the allowed registries",
            ("images", "registry"),
            "add it to images.registries or pick an allowed one",
        )
    if not images["requireDigest"]:
        return
    for s in services:
        for v in versions:
            if s.exists_in(v) and v not in s.digests:
                raise error_at(
                    f"images.requireDigest is set but service {s.name!r} has no digest for version {v!r}",
                    ("services", s.index, "digests") if s.digests else ("services", s.index),
                    f"add digests: {{{v!r}: sha256:<64 hex>}} from the registry",
                )
    store = data["kong"]["rateLimitStoreImage"]
    if "@sha256:" not in store:
        raise error_at(
            "images.requireDigest is set but Kong's rate-limit store image has no digest",
            ("kong", "rateLimitStoreImage") if store else ("kong",),
            "set kong.rateLimitStoreImage: docker-hub/library/redis:<tag>@sha256:<64 hex> from the registry",
        )


def _check_since(services: tuple[Service, ...], versions: list[str], error_at: ErrorAt) -> None:
    """Services new in a release (``since``) are consistent with what each cluster's version has.

    A version without a service must not need it: no digest for it, no call to it, and no publishing
    to a queue only such services consume (the old version would fill a queue nobody there reads).
    """
    if not any(s.since for s in services):
        return
    found: list[GeneratorError] = []
    for v in versions:
        if not VERSION_RE.match(v):
            found.append(
                error_at(
                    f"version {v!r} is not dotted numbers, so it cannot be ordered against services[].since",
                    ("release",),
                    'use versions like "2026.43.0", or remove since',
                )
            )
    if found:
        raise GeneratorError.collect(found)
    by_name = {s.name: s for s in services}
    for s in services:
        at = ("services", s.index)
        if s.since is not None:
            found += [
                error_at(
                    f"service {s.name!r} is since {s.since} but has a digest for older version {v!r}",
                    (*at, "digests", v),
                    "remove that digest (the version never had the service), or correct since",
                )
                for v in s.digests
                if not s.exists_in(v)
            ]
        for v in versions:
            if not s.exists_in(v):
                continue
            for j, callee in enumerate(s.calls):
                if callee in by_name and not by_name[callee].exists_in(v):
                    found.append(
                        error_at(
                            f"service {s.name!r} calls {callee!r} in version {v}, which does not have "
                            f"{callee!r} (since {by_name[callee].since})",
                            (*at, "calls", j),
                            f"give {s.name!r} since: {by_name[callee].since!r} too, or drop the call",
                        )
                    )
            for j, queue in enumerate(s.publishes):
                consumers = [c for c in services if queue in c.consumes]
                if consumers and not any(c.exists_in(v) for c in consumers):
                    found.append(
                        error_at(
                            f"service {s.name!r} publishes to queue {queue!r} in version {v}, where no "
                            f"service consumes it (its consumers are since "
                            f"{', '.join(sorted({str(c.since) for c in consumers}))})",
                            (*at, "publishes", j),
                            "declare the publishing on a service new in that release (with since), "
                            "so the old version never publishes to the new queue",
                        )
                    )
    if found:
        raise GeneratorError.collect(found)


VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")

#: Placeholders whose value a cluster states only optionally: (env-file key, Cluster field).
_OPTIONAL_CLUSTER_VALUES = {"vpcId": "vpc_id"}


def _operators(data: Mapping[str, Any], topology: Topology, error_at: ErrorAt) -> tuple[OperatorChart, ...]:
    """The operators, sorted by name; every placeholder known and, per cluster, given a value."""
    out = []
    for name, o in sorted(data["argocd"]["operators"].items()):
        values = o["values"]
        for path, placeholder in placeholders_in(values, ("argocd", "operators", name, "values")):
            if placeholder not in PLACEHOLDERS:
                raise error_at(
                    f"unknown placeholder ${{{placeholder}}} in the values of operator {name!r}",
                    path,
                    f"known placeholders: {', '.join('${' + p + '}' for p in PLACEHOLDERS)}",
                )
            attr = _OPTIONAL_CLUSTER_VALUES.get(placeholder)
            missing = [c.name for c in topology.clusters if attr and not getattr(c, attr)]
            if missing:
                raise error_at(
                    f"operator {name!r} uses ${{{placeholder}}} but cluster {missing[0]!r} states no "
                    f"{placeholder}",
                    path,
                    f"set topology.clusters.{missing[0]}.{placeholder} in the environment file",
                )
        out.append(OperatorChart(name, o["namespace"], o["repoURL"], o["chart"], o["version"], values))
    return tuple(out)


_T = TypeVar("_T")


def _dual_needs(data: Mapping[str, Any], topology: Topology, error_at: ErrorAt) -> None:
    if topology.kind == "dual" and "betaHostname" not in data["dns"]:
        raise error_at("a dual topology needs dns.betaHostname", ("dns",), "e.g. beta.api.example.com")


def build_environment(name: str, data: Mapping[str, Any], error_at: ErrorAt) -> Environment:
    """Typed environment from schema-valid data; semantic errors via ``error_at``.

    The checks are independent, so every one runs and all their errors are raised together
    (``GeneratorError.others``): a user fixes a file in one pass, not one error per run.

    Raises:
        EnvFileError: built by ``error_at``, the first inconsistency carrying the others.
    """
    found: list[GeneratorError] = []

    def attempt(check: Callable[..., _T], *args: Any) -> _T | None:
        try:
            return check(*args)
        except EnvFileError as e:
            found.extend(e.all)
            return None

    attempt(_check_unique, data["services"], ("services",), error_at)
    attempt(_check_unique, data["karpenter"]["nodePools"], ("karpenter", "nodePools"), error_at)
    attempt(_check_unique, data["rabbitmq"]["queues"], ("rabbitmq", "queues"), error_at)
    attempt(_check_unique, data["secretStores"], ("secretStores",), error_at)
    topology = attempt(_topology, name, data, error_at)
    operators: tuple[OperatorChart, ...] = ()
    if topology is not None:
        attempt(_dual_needs, data, topology, error_at)
        operators = attempt(_operators, data, topology, error_at) or ()
    release = data["release"]
    before = len(found)
    state = attempt(read_release_state, data, error_at)
    if state is None and len(found) == before and "version" not in release:
        found.append(error_at("release.version is missing", ("release",), "the image tag the cluster runs"))
    if len(found) > before:  # without a release no version is known: stop here, with all found so far
        raise GeneratorError.collect(found)
    version = state.version if state else release["version"]
    previous = state.previous_version if state else version
    team = data["owner"]["team"]
    services = tuple(_service(i, s, team) for i, s in enumerate(data["services"]))
    attempt(_check_services, data, services, error_at)
    callers: dict[str, list[str]] = {}
    for s in services:
        for callee in s.calls:
            callers.setdefault(callee, []).append(s.name)
    services = tuple(replace(s, called_by=tuple(sorted(callers.get(s.name, ())))) for s in services)
    attempt(_check_since, services, sorted({version, previous}), error_at)
    found.extend(semantic_errors(data, error_at))
    attempt(_check_images, data, services, sorted({version, previous}), error_at)
    if found:
        raise GeneratorError.collect(found)
    assert topology is not None  # _topology either returned or added to found
    dns = data["dns"]
    storage = data["storage"]
    efs = storage["efs"]
    tier = data["tier"]
    if tier == "production" and not data["images"]["requireDigest"]:
        raise error_at(
            "tier production requires images.requireDigest: true",
            ("images", "requireDigest") if "requireDigest" in data["images"] else ("tier",),
            "production pins every image by digest (policy restrict-images selects docproc.io/tier)",
        )
    owner = storage["s3"]["ownerCluster"]
    if owner not in {c.name for c in topology.clusters}:
        raise error_at(
            f"storage.s3.ownerCluster {owner!r} is not a cluster of this environment",
            ("storage", "s3", "ownerCluster"),
            f"one of: {', '.join(c.name for c in topology.clusters)}",
        )
    for cluster_name in efs["clusters"]:
        if cluster_name not in {c.name for c in topology.clusters}:
            raise error_at(
                f"storage.efs.clusters names {cluster_name!r}, which is not a cluster of this environment",
                ("storage", "efs", "clusters", cluster_name),
                f"one of: {', '.join(c.name for c in topology.clusters)}",
            )
    return Environment(
        name=name,
        tier=tier,
        owner=Owner(team=team, cost_centre=data["owner"]["costCentre"]),
        aws=Aws(
            account_id=data["aws"]["accountId"],
            region=data["aws"]["region"],
            kms_key_arn=data["aws"]["kmsKeyArn"],
        ),
        eks=Eks(version=data["eks"]["version"]),
        topology=topology,
        sprint=release["sprint"],
        version=version,
        previous_version=previous,
        dns=Dns(
            zone=dns["zone"],
            hostname=dns["hostname"],
            beta_hostname=dns.get("betaHostname"),
            routing=dns["routing"],
            health_check_id=dns.get("healthCheckId"),
        ),
        images=Images(
            registries=tuple(data["images"]["registries"]),
            registry=data["images"]["registry"],
            require_digest=data["images"]["requireDigest"],
        ),
        argocd=ArgoCd(
            repo_url=data["argocd"]["repoURL"],
            target_revision=data["argocd"]["targetRevision"],
            namespace=data["argocd"]["namespace"],
            hub=data["argocd"]["hub"]["name"],
            hub_role_arn=data["argocd"]["hub"]["roleArn"],
            operators=operators,
        ),
        karpenter=Karpenter(
            ami_alias=data["karpenter"]["amiAlias"],
            node_pools=tuple(
                NodePoolSpec(
                    name=p["name"],
                    instance_categories=tuple(p["instanceCategories"]),
                    capacity_types=tuple(p["capacityTypes"]),
                    cpu_limit=p["cpuLimit"],
                    memory_limit=p["memoryLimit"],
                    consolidate_after=p["consolidateAfter"],
                    disruption_budget=p["disruptionBudget"],
                )
                for p in data["karpenter"]["nodePools"]
            ),
        ),
        rabbitmq=RabbitMq(
            replicas=data["rabbitmq"]["replicas"],
            storage=data["rabbitmq"]["storage"],
            image=f"{data['images']['registry']}/" + data["rabbitmq"]["image"],
            queues=tuple(
                QueueSpec(q["name"], q["deadLetter"], q["deliveryLimit"]) for q in data["rabbitmq"]["queues"]
            ),
        ),
        storage=Storage(
            efs=Efs(
                performance_mode=efs["performanceMode"],
                throughput_mode=efs["throughputMode"],
                size=efs["size"],
                mounts={
                    c: EfsMount(m.get("fileSystemId"), tuple(m["subnetIds"]), tuple(m["securityGroupIds"]))
                    for c, m in sorted(efs["clusters"].items())
                },
            ),
            s3=S3(
                bucket=storage["s3"]["bucket"],
                owner_cluster=owner,
                glacier_after_days=storage["s3"]["glacierAfterDays"],
                expire_after_days=storage["s3"].get("expireAfterDays"),
            ),
        ),
        kong=Kong(
            oidc_issuer=data["kong"]["oidcIssuer"],
            rate_limit_per_minute=data["kong"]["rateLimitPerMinute"],
            edition=data["kong"]["edition"],
            rate_limit_store_image=f"{data['images']['registry']}/{data['kong']['rateLimitStoreImage']}",
        ),
        services=services,
        release=state,
        extra=ExtraMetadata(dict(data["labels"]), dict(data["annotations"])),
        secret_stores=tuple(SecretStore(s["name"], s["kind"]) for s in data["secretStores"]),
        extra_manifests=data.get("extraManifests"),
    )
