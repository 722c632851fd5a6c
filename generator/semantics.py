"""Model stage, checks a JSON Schema cannot express, each located at the offending value.

Called by ``model.build_environment`` on schema-valid, defaulted data (``data[key]`` only). Each
check returns its errors (built by ``error_at``, so they name file:line): the model raises them all
together. Reads and writes nothing.

- requests ≤ limits: a container whose memory request exceeds its limit (or CPU request its CPU
  limit, where one is set) is rejected by the API server; quantities compare as Kubernetes does.
- replicas ``min`` ≤ ``max`` (in ``model``, beside the other per-service checks).
- ports: a service has one container port (unique by construction), which must lie outside the
  range the Istio sidecar takes in the same pod (15000-15090).
- queues both ways: every queue a service consumes or publishes is declared (in ``model``), and
  every declared queue is consumed by some service (else messages pile up unread) unless it is
  marked ``consumedOutside`` (read by something the platform does not render).
- names that collide once rendered: a service ``x`` and a service ``x-canary`` (its canary
  Service); a queue ``x`` with dead-lettering and a queue ``x-dead``. Any other pair of objects
  with one identity (a service named like a platform object) is caught, located at the service's
  name, by ``render`` as it keys manifests by identity.
- container environment: no service variable (``env`` or ``secrets``) shadows one the workload
  template sets (``PLATFORM_ENV``: the broker, its credentials, the queues).
- secrets: every store a service's secret names is declared (``secretStores``), and no variable is
  both a value (``env``) and a secret.
- extraManifests directories stay inside the repository (no absolute path, no ``..``); the
  pipeline checks the files themselves (``generator.extras``).
- a team's labels and annotations stay off the keys the platform owns (``RESERVED_DOMAINS``,
  ``RESERVED_LABELS``); ``render`` also refuses one a template sets to another value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.errors import EnvFileError, ErrorAt
from generator.location import YamlPath
from generator.quantity import parse_quantity

__all__ = ["ISTIO_PORTS", "RESERVED_DOMAINS", "RESERVED_LABELS", "reserved_key", "semantic_errors"]


#: Ports the Istio sidecar takes inside every meshed pod: Envoy admin 15000, outbound 15001, debug
#: 15004, inbound 15006, HBONE 15008/15009, merged metrics 15020, health 15021, DNS 15053, Envoy
#: metrics 15090 (istio.io, "Ports used by Istio"). The whole range is refused: Istio may add more.
ISTIO_PORTS = range(15000, 15091)


def _requests_within_limits(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    out = []
    for i, s in enumerate(data["services"]):
        res = s["resources"]
        for request, limit, what in (("memory", "memoryLimit", "memory"), ("cpu", "cpuLimit", "CPU")):
            if limit not in res:
                continue
            req_q, lim_q = parse_quantity(str(res[request])), parse_quantity(str(res[limit]))
            if req_q is not None and lim_q is not None and req_q > lim_q:
                out.append(
                    error_at(
                        f"service {s['name']!r} requests {res[request]} {what} but is limited to "
                        f"{res[limit]}: the API server rejects such a pod",
                        ("services", i, "resources", limit),
                        f"raise resources.{limit} to at least {res[request]}, or lower resources.{request}",
                    )
                )
    return out


def _ports(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    return [
        error_at(
            f"service {s['name']!r} listens on port {s['port']}, which the Istio sidecar uses in every pod",
            ("services", i, "port"),
            f"pick a port outside {ISTIO_PORTS.start}-{ISTIO_PORTS.stop - 1} (e.g. 8080)",
        )
        for i, s in enumerate(data["services"])
        if s["type"] == "http" and s["port"] in ISTIO_PORTS
    ]


def _unused_queues(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    consumed = {q for s in data["services"] for q in s["consumes"]}
    return [
        error_at(
            f"queue {q['name']!r} is declared but no service consumes it: its messages would pile up",
            ("rabbitmq", "queues", i, "name"),
            f"add it to a service's consumes; set consumedOutside: true if something the platform does "
            f"not render reads it; or drop it with - {{name: {q['name']}, $remove: true}}",
        )
        for i, q in enumerate(data["rabbitmq"]["queues"])
        if q["name"] not in consumed and not q["consumedOutside"]
    ]


def _collisions(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    out = []
    services = {s["name"]: i for i, s in enumerate(data["services"])}
    for name, i in services.items():
        base = name.removesuffix("-canary")
        if base != name and base in services and data["services"][services[base]]["type"] == "http":
            out.append(
                error_at(
                    f"service {name!r} would be rendered with the same name as the canary Service of "
                    f"http service {base!r}",
                    ("services", i, "name"),
                    "rename one of the two services",
                )
            )
    queues = {q["name"]: (i, q) for i, q in enumerate(data["rabbitmq"]["queues"])}
    for name, (i, _) in queues.items():
        base = name.removesuffix("-dead")
        if base != name and base in queues and queues[base][1]["deadLetter"]:
            out.append(
                error_at(
                    f"queue {name!r} would be rendered with the same name as the dead-letter queue "
                    f"of {base!r}",
                    ("rabbitmq", "queues", i, "name"),
                    "rename the queue, or set deadLetter: false on the other one",
                )
            )
    return out


#: Longest Kubernetes object name (a DNS-1123 label) a rendered name may have.
MAX_NAME = 63

#: Label and annotation domains that Kubernetes, the platform and its controllers own: a team's key
#: there could change what a selector, a policy, a controller or the mesh does (``pod-security.
#: kubernetes.io/enforce``, ``sidecar.istio.io/inject``, ``argocd.argoproj.io/sync-wave``…).
RESERVED_DOMAINS = (
    "kubernetes.io",
    "k8s.io",
    "docproc.io",
    "istio.io",
    "argoproj.io",
    "karpenter.sh",
    "konghq.com",
    "kyverno.io",
    "checkov.io",
    "rabbitmq.com",
    "amazonaws.com",
)
#: Unprefixed label keys others read: Istio's telemetry (``app``, ``version``) and injection switch.
RESERVED_LABELS = frozenset({"app", "version", "istio-injection"})


def reserved_key(key: str, *, label: bool) -> str | None:
    """Who owns ``key`` (a domain or a reader), or ``None`` when a team may set it."""
    prefix, _, _name = key.rpartition("/")
    for domain in RESERVED_DOMAINS:
        if prefix == domain or prefix.endswith(f".{domain}"):
            return f"the {domain} domain"
    if label and not prefix and key in RESERVED_LABELS:
        return "Istio (telemetry and sidecar injection read it)"
    return None


def _extra_metadata(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    owners: list[tuple[YamlPath, Mapping[str, Any]]] = [((), data)]
    owners += [(("services", i), s) for i, s in enumerate(data["services"])]
    out = []
    for at, owner in owners:
        for field_name in ("labels", "annotations"):
            for key in owner[field_name]:
                who = reserved_key(key, label=field_name == "labels")
                if who is not None:
                    out.append(
                        error_at(
                            f"{field_name[:-1]} {key!r} is reserved for {who}: the platform's selectors, "
                            "policies and controllers rely on it",
                            (*at, field_name, key),
                            f"use a key under your own domain, e.g. example.com/{key.rpartition('/')[2]}",
                        )
                    )
    return out


#: Container environment variables the workload template sets itself (the platform's wiring: where
#: the service runs, the broker and its credentials, the queues): a service's own would collide.
PLATFORM_ENV = frozenset(
    {
        "DOCPROC_ENVIRONMENT",
        "DOCPROC_CLUSTER",
        "DOCPROC_BACKUP_BUCKET",
        "AMQP_HOST",
        "AMQP_PORT",
        "AMQP_USERNAME",
        "AMQP_PASSWORD",
        "CONSUME_QUEUES",
        "PUBLISH_ROUTING_KEYS",
    }
)


def _env_names(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    return [
        error_at(
            f"service {s['name']!r} sets {var}, which the platform sets in every container that needs it",
            ("services", i, section, var),
            "pick another name: the platform's value (broker, credentials, queues) must not be shadowed",
        )
        for i, s in enumerate(data["services"])
        for section in ("env", "secrets")
        for var in s[section]
        if var in PLATFORM_ENV
    ]


def _secrets(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    stores = [s["name"] for s in data["secretStores"]]
    out = []
    for i, s in enumerate(data["services"]):
        for var, ref in s["secrets"].items():
            if var in s["env"]:
                out.append(
                    error_at(
                        f"service {s['name']!r} sets {var} both as a value (env) and from a secret store",
                        ("services", i, "secrets", var),
                        f"keep one: drop env.{var} or secrets.{var}",
                    )
                )
            if len(f"{s['name']}-{ref['store']}") > MAX_NAME:
                out.append(
                    error_at(
                        f"the ExternalSecret of service {s['name']!r} for store {ref['store']!r} would be "
                        f"named {s['name']}-{ref['store']}, longer than {MAX_NAME} characters",
                        ("services", i, "secrets", var, "store"),
                        "give the store (or the service) a shorter name",
                    )
                )
            if ref["store"] not in stores:
                out.append(
                    error_at(
                        f"secret store {ref['store']!r} is not declared",
                        ("services", i, "secrets", var, "store"),
                        f"declare it under secretStores (known: {', '.join(stores) or 'none'})",
                    )
                )
    return out


def _extra_manifest_dirs(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    places: list[tuple[YamlPath, Any]] = [(("extraManifests",), data.get("extraManifests"))]
    places += [
        (("topology", "clusters", name, "extraManifests"), c.get("extraManifests"))
        for name, c in data["topology"]["clusters"].items()
    ]
    return [
        error_at(
            f"extraManifests {value!r} leaves the repository: it must be a directory inside it",
            at,
            "give a path relative to the repository root without '..', e.g. extra/<env>",
        )
        for at, value in places
        if isinstance(value, str) and (value.startswith("/") or ".." in value.split("/"))
    ]


def semantic_errors(data: Mapping[str, Any], error_at: ErrorAt) -> list[EnvFileError]:
    """Every error of the checks above, in a stable order (by check, then file order)."""
    return [
        *_requests_within_limits(data, error_at),
        *_ports(data, error_at),
        *_unused_queues(data, error_at),
        *_collisions(data, error_at),
        *_extra_metadata(data, error_at),
        *_secrets(data, error_at),
        *_env_names(data, error_at),
        *_extra_manifest_dirs(data, error_at),
    ]
