"""Render stage: (environment, cluster plans, templates, policies) → sorted ``Manifest``s. Pure.

Reads no files, clock, env vars or cwd: templates arrive compiled (``templating.load_templates``),
policies and source leaves arrive as data. Every template output is parsed back (yaml-rs through
``yamlread.load_all_generated``, PyYAML's C loader for what it leaves) so each document is a real
object, checked for apiVersion/kind/metadata.name, keyed by identity (duplicates are a
``RenderError``) and sorted by an explicit kind rank.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import jinja2

from generator import yamlread
from generator.documents import Document, DocumentSource
from generator.errors import (
    EnvFileError,
    GeneratorError,
    ManifestLoadError,
    RenderError,
    TemplateError,
    format_yaml_path,
)
from generator.location import Location, YamlPath
from generator.manifest import HUB_CLUSTER, SINCE_ANNOTATION, Identity, Manifest
from generator.model import Environment, ExtraMetadata, Service
from generator.plan import ClusterPlan
from generator.sourcemap import KIND_ORIGINS, SourceMap
from generator.templating import TemplateSet
from generator.units import Noted, Tracked, Unit, template_unit

__all__ = ["KIND_RANK", "hold", "render_environment", "sort_key", "standard_labels"]


#: Apply order (cf. lightkube's RANK_ORDER): CRDs, namespaces, identities/config, RBAC, workloads, CRs.
KIND_RANK: Mapping[str, int] = {
    "CustomResourceDefinition": 0,
    "Namespace": 1,
    "ServiceAccount": 2,
    "ConfigMap": 2,
    "Secret": 2,
    "StorageClass": 2,
    "PersistentVolumeClaim": 3,
    "ClusterRole": 4,
    "ClusterRoleBinding": 4,
    "Role": 4,
    "RoleBinding": 4,
    "Service": 5,
    "Deployment": 6,
    "Rollout": 6,
    "StatefulSet": 6,
    "HorizontalPodAutoscaler": 7,
    "PodDisruptionBudget": 7,
    "NetworkPolicy": 7,
}
CR_RANK = 8

Leaves = tuple[tuple[tuple[str | int, ...], Any, Location], ...]


def sort_key(m: Manifest) -> tuple[str, str, int, str, str, str, str]:
    """Deterministic order: env, cluster, kind rank, then kind, namespace, name, apiVersion."""
    rank = KIND_RANK.get(m.kind, CR_RANK)
    return (m.env, m.cluster, rank, m.kind, m.namespace, m.name, m.api_version)


def standard_labels(env: Environment, name: str, team: str | None = None) -> dict[str, str]:
    """Labels every rendered resource carries (the required-labels policy checks them)."""
    return {
        "app.kubernetes.io/managed-by": "gitops-gen",
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "docproc",
        "docproc.io/cost-centre": env.owner.cost_centre,
        "docproc.io/environment": env.name,
        "docproc.io/team": team or env.owner.team,
        "docproc.io/tier": env.tier,
    }


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(filename):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _render_text(template: jinja2.Template, rel: str, ctx: Mapping[str, Any], what: str) -> str:
    try:
        return template.render(ctx)
    except (jinja2.TemplateError, TypeError) as e:
        raise TemplateError(
            f"{type(e).__name__} while rendering {what}: {e}",
            path=f"templates/{rel}",
            line=getattr(e, "lineno", None) or _template_line(sys.exc_info()[2], rel),
            hint="a template refers to a value the environment does not have, or has a Jinja error",
        ) from e


def _parse_pyyaml(text: str, rel: str, what: str) -> list[Any]:
    """PyYAML's reading of template output the fast parser leaves to it, and its located errors."""
    try:
        return [d for *_, d in yamlread.load_documents(text, file="<output>", error=TemplateError)]
    except TemplateError as e:
        raise TemplateError(
            f"template output for {what} is not valid YAML: {e.message}"
            + (f" (output line {e.line})" if e.line else ""),
            path=f"templates/{rel}",
            hint="check indentation in the template; insert values with the q filter",
        ) from e


def hold(value: Any, strings: dict[str, str], *, sort: bool) -> Any:
    """``value`` rebuilt with each distinct string held once (``strings``: those seen so far).

    ``sort``: each mapping's keys in the order the canonical dump writes them (``generator.dump``),
    so the object is the one its file holds (``generator.reread``).
    """
    t = type(value)
    if t is str:
        return strings.setdefault(value, value)
    if t is dict:
        share = strings.setdefault
        items = sorted(value.items()) if sort else value.items()
        return {share(k, k) if type(k) is str else k: hold(v, strings, sort=sort) for k, v in items}
    if t is list:
        return [hold(v, strings, sort=sort) for v in value]
    return value


def _parse(text: str, rel: str, what: str) -> list[Mapping[str, Any]]:
    docs = yamlread.load_all_generated(text)
    if docs is None:
        docs = _parse_pyyaml(text, rel, what)
    for d in docs:
        meta = d.get("metadata") if isinstance(d, Mapping) else None
        if (
            not isinstance(d, Mapping)
            or not d.get("apiVersion")
            or not d.get("kind")
            or not isinstance(meta, Mapping)
            or not meta.get("name")
        ):
            raise RenderError(
                f"template output for {what} is not an object with apiVersion, kind and metadata.name",
                path=f"templates/{rel}",
                hint="every YAML document a template emits must be a complete object",
            )
    return docs


def _manifests(
    env: Environment,
    plan: ClusterPlan | str,
    docs: list[Mapping[str, Any]],
    *,
    rel: str,
    what: str,
    sources: SourceMap,
    seen: dict[Identity, tuple[str, YamlPath]],
    service: Service | None = None,
    strings: dict[str, str] | None = None,
) -> list[Manifest]:
    """Wrap parsed documents as Manifests; ``seen`` catches a second object with one identity.

    The team's labels and annotations (the environment's, and ``service``'s over them) join each
    object's own and its pod template's. ``strings``: bodies as their files hold them (``hold``).
    """
    out = []
    cluster = plan if isinstance(plan, str) else plan.name
    for parsed in docs:
        layers = (env.extra, service.extra) if service else (env.extra,)
        body = _with_extra(parsed, layers, sources, f"the platform (templates/{rel})")
        if strings is not None:
            body = hold(body, strings, sort=True)
        origin = sources if sources.origin else SourceMap(sources.leaves, _origin(env, body))
        m = Manifest(env.name, cluster, _component(rel), body, origin)
        if m.identity in seen:
            raise _duplicate(m, what, rel, seen[m.identity], origin)
        seen[m.identity] = (rel, origin.origin)
        out.append(m)
    return out


def _with_extra(
    body: Mapping[str, Any], layers: tuple[ExtraMetadata, ...], sources: SourceMap, origin: str
) -> Mapping[str, Any]:
    """``body`` with the team's labels/annotations added to its metadata (and its pod template's).

    ``layers``: the environment's, then the service's (a key in both takes the service's value). A
    key the template already set keeps the template's value: the same value is fine, another one
    is refused at the line that wrote it (selectors, policies and controllers rely on the template's).
    """
    if not any(x.labels or x.annotations for x in layers):
        return body
    out = dict(body)
    out["metadata"] = _merged_metadata(body, body["metadata"], layers, sources, origin)
    spec = body.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    if (
        isinstance(spec, Mapping)
        and isinstance(template, Mapping)
        and isinstance(template.get("metadata"), Mapping)
    ):
        pod = {**template, "metadata": _merged_metadata(body, template["metadata"], layers, sources, origin)}
        out["spec"] = {**spec, "template": pod}
    return out


def _merged_metadata(
    body: Mapping[str, Any],
    meta: Mapping[str, Any],
    layers: tuple[ExtraMetadata, ...],
    sources: SourceMap,
    origin: str,
) -> dict[str, Any]:
    out = dict(meta)
    for field_name in ("labels", "annotations"):
        added = {k: v for x in layers for k, v in getattr(x, field_name).items()}
        if not added:
            continue
        own = dict(meta.get(field_name) or {})
        for key, value in added.items():
            if key in own and own[key] != value:
                path = next(
                    (*x.at, field_name, key) for x in reversed(layers) if key in getattr(x, field_name)
                )
                written = sources.at(path)
                where = written[1] if written else None
                raise EnvFileError(
                    f"{field_name[:-1]} {key}: {value!r} would replace {own[key]!r}, which {origin} sets "
                    f"on {body['kind']} {body['metadata']['name']}",
                    path=where.file if where else None,
                    line=where.line if where else None,
                    column=where.column if where else None,
                    yaml_path=path,
                    hint="the platform's selectors and policies rely on its value: use another key",
                )
            own[key] = value
        out[field_name] = own
    return out


def _duplicate(
    m: Manifest, what: str, rel: str, first: tuple[str, YamlPath], origin: SourceMap
) -> GeneratorError:
    """Two objects with one identity: located at the environment name behind the second, if any.

    A service (or queue) named so that one of its objects has the identity of another's, or of a
    platform object, is the user's to rename: the error names that file:line. Only two objects of
    one template with no environment entry behind them are a template bug (``RenderError``).
    """
    first_rel, first_origin = first
    earlier = origin.at((*first_origin, "name")) if first_origin else None
    by = f"{format_yaml_path(first_origin)} ({earlier[0]!r})" if earlier else f"templates/{first_rel}"
    message = f"{what} renders {m.kind} {m.namespace}/{m.name}, which {by} renders too"
    named = origin.at((*origin.origin, "name")) if origin.origin else None
    if named is None or origin.origin == first_origin:
        return RenderError(message, path=f"templates/{rel}", hint="give the objects distinct names")
    where = named[1]
    return EnvFileError(
        f"{message}: the two would overwrite each other in the cluster",
        path=where.file,
        line=where.line,
        column=where.column,
        yaml_path=(*origin.origin, "name"),
        hint=f"rename {named[0]!r}",
    )


def _origin(env: Environment, body: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The env section a cluster-level object was rendered from (``()`` when it has none)."""
    kind = str(body.get("kind", ""))
    origin = KIND_ORIGINS.get(kind, ())
    name = str(body.get("metadata", {}).get("name", ""))
    if origin == ("karpenter", "nodePools"):
        names = [p.name for p in env.karpenter.node_pools]
    elif origin == ("rabbitmq", "queues"):
        names = [q.name for q in env.rabbitmq.queues]
        name = name.removesuffix("-dead")
    elif kind == "Application":
        ends = [o.name for o in env.argocd.operators if name.endswith(f"-{o.name}")]
        operator = max(ends, key=len) if ends else None
        return ("argocd", "operators", operator) if operator else origin
    else:
        return origin
    return (*origin, names.index(name)) if name in names else origin


def _component(rel: str) -> str:
    return rel.split("/", 1)[0]


def render_environment(
    env: Environment,
    plans: Sequence[ClusterPlan],
    templates: TemplateSet,
    *,
    policies: Sequence[Mapping[str, Any]] = (),
    leaves: Leaves = (),
    only: Collection[str] | None = None,
    extras: Mapping[str, Sequence[Document]] | None = None,
    compact: bool = False,
    skip: Collection[Unit] = (),
    noted: Noted | None = None,
) -> tuple[Manifest, ...]:
    """Every manifest of every cluster of ``env`` (of the clusters named in ``only``), sorted.

    ``only`` (cluster names, ``HUB_CLUSTER`` for the hub) lets one environment render on two
    cores; the union of the parts is the whole render.
    ``extras``: each cluster's extra manifests (``generator.extras``), re-emitted in its ``apps``
    component like the generated objects (same dumper, same checks), never replacing one.
    ``compact``: each body as its file holds it (keys sorted, ``hold``), each distinct string held
    once (a body repeats keys, labels and names thousands of times): about half the memory for
    some CPU, for a caller that keeps an environment's manifests (the gate, ``generator.reread``).
    ``skip``: units (``generator.units``) not to render: the caller reuses their files.
    ``noted``: filled with what each rendered unit read of the services (``units.Tracked``) and the
    files of each template unit.

    Raises:
        TemplateError: a template failed (names template:line, env, cluster, service).
        RenderError: output that is not an object, or two objects with one identity in a cluster.
        ManifestLoadError: an extra manifest has the identity of a rendered object (or another extra).
    """
    out: list[Manifest] = []
    strings: dict[str, str] | None = {} if compact else None
    env_map = SourceMap(leaves)
    # extra manifests are checked against the namespaces rendered beside them: render it all
    units = _Units(env, () if extras else skip, noted, env_map, strings)
    hub_seen: dict[Identity, tuple[str, YamlPath]] = {}
    for rel, template in templates.hub.items() if only is None or HUB_CLUSTER in only else ():
        what = f"env {env.name}, Argo CD hub {env.argocd.hub}"
        ctx = {"env": env, "plans": plans, "labels": _labels_fn(env)}
        out.extend(units.template(HUB_CLUSTER, rel, template, ctx=ctx, what=what, seen=hub_seen))
    for plan in plans:
        if only is not None and plan.name not in only:
            continue
        seen: dict[Identity, tuple[str, YamlPath]] = {}
        base = {"env": env, "plan": plan, "plans": plans, "labels": _labels_fn(env)}
        for rel, template in templates.cluster.items():
            what = f"env {env.name}, cluster {plan.name}"
            out.extend(units.template(plan, rel, template, ctx=base, what=what, seen=seen))
        for service in env.services:
            if not service.exists_in(plan.version):
                continue  # new in a later release than this cluster runs (services[].since)
            unit = (plan.name, service.name)
            if unit in units.skip:
                continue
            origin = SourceMap(leaves, ("services", service.index))
            tracked = Tracked(env) if noted is not None else None
            ctx = {**base, "service": service, **({"env": tracked} if tracked is not None else {})}
            for rel, template in templates.service.items():
                what = f"env {env.name}, cluster {plan.name}, service {service.name}"
                text = _render_text(template, rel, ctx, what)
                docs = _parse(text, rel, what)
                if service.since is not None:
                    docs = [_annotated(d, SINCE_ANNOTATION, service.since) for d in docs]
                out.extend(
                    _manifests(
                        env,
                        plan,
                        docs,
                        rel=rel,
                        what=what,
                        sources=origin,
                        seen=seen,
                        service=service,
                        strings=strings,
                    )
                )
            if tracked is not None and noted is not None:
                noted.reads[unit] = tracked.reads()
        rendered_policies = [_policy(env, p) for p in policies]
        out.extend(
            _manifests(
                env,
                plan,
                rendered_policies,
                rel="platform/policies",
                what="policies",
                sources=env_map,
                seen=seen,
                strings=strings,
            )
        )
        if (extras or {}).get(plan.name):
            namespaces = sorted({m.name for m in out if m.cluster == plan.name and m.kind == "Namespace"})
            docs_extra = (extras or {})[plan.name]
            out.extend(
                _extra_manifests(
                    env,
                    plan.name,
                    docs_extra,
                    namespaces=namespaces,
                    env_map=env_map,
                    seen=seen,
                    strings=strings,
                )
            )
    return tuple(sorted(out, key=sort_key))


#: The Argo CD component (and ``rendered/`` directory) extra manifests join: the one the apps
#: Application syncs, so they deploy with the services.
EXTRA_COMPONENT = "apps"


def _extra_manifests(
    env: Environment,
    cluster: str,
    docs: Sequence[Document],
    *,
    namespaces: Sequence[str],
    env_map: SourceMap,
    seen: dict[Identity, tuple[str, YamlPath]],
    strings: dict[str, str] | None = None,
) -> list[Manifest]:
    """A cluster's extra manifests as Manifests (with the environment's extra labels/annotations).

    Each must be a namespaced object in one of ``namespaces`` (the platform's own, which its
    policies cover): elsewhere, or cluster-scoped, no policy would see it. An object with the
    identity of a rendered one (or of another extra) would replace it in the cluster. Both are
    refused at the extra file's line, never written.
    """
    out = []
    for doc in docs:
        namespace = (doc.body.get("metadata") or {}).get("namespace")
        if namespace not in namespaces:
            raise ManifestLoadError(
                f"{doc.kind} {doc.name} is "
                + (f"in namespace {namespace!r}" if namespace else "not in a namespace (metadata.namespace)")
                + f": extra manifests add objects to the platform's namespaces ({', '.join(namespaces)}), "
                "where its policies apply",
                path=doc.file,
                line=doc.line,
                hint="set metadata.namespace to one of them; cluster-wide objects belong in the templates",
            )
        body = _with_extra(doc.body, (env.extra,), env_map, doc.file)  # its own values win
        if strings is not None:
            body = hold(body, strings, sort=True)
        m = Manifest(env.name, cluster, EXTRA_COMPONENT, body, DocumentSource(doc))
        if m.identity in seen:
            first, _ = seen[m.identity]
            shown = first if first in {d.file for d in docs} else f"templates/{first}"
            raise ManifestLoadError(
                f"{m.kind} {m.namespace or '(cluster-scoped)'}/{m.name} is also rendered from {shown}: "
                "an extra manifest adds objects, it never replaces one",
                path=doc.file,
                line=doc.line,
                hint="rename it, or change the generated object through the environment file",
            )
        seen[m.identity] = (doc.file, ())
        out.append(m)
    return out


def _annotated(body: Mapping[str, Any], key: str, value: str) -> Mapping[str, Any]:
    meta = dict(body.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), key: value}
    return {**body, "metadata": meta}


@dataclass(frozen=True, slots=True)
class _Units:
    """How one environment's hub and cluster templates render as units (``generator.units``)."""

    env: Environment
    skip: Collection[Unit]
    noted: Noted | None
    sources: SourceMap
    strings: dict[str, str] | None

    def template(
        self,
        plan: ClusterPlan | str,
        rel: str,
        template: jinja2.Template,
        *,
        ctx: Mapping[str, Any],
        what: str,
        seen: dict[Identity, tuple[str, YamlPath]],
    ) -> list[Manifest]:
        """The manifests of ``template`` on ``plan`` (none when skipped); what it read and made noted."""
        unit = template_unit(plan if isinstance(plan, str) else plan.name, rel)
        if unit in self.skip:
            return []
        tracked = Tracked(self.env) if self.noted is not None else None
        if tracked is not None:
            ctx = {**ctx, "env": tracked}
        docs = _parse(_render_text(template, rel, ctx, what), rel, what)
        made = _manifests(
            self.env, plan, docs, rel=rel, what=what, sources=self.sources, seen=seen, strings=self.strings
        )
        if self.noted is not None and tracked is not None:
            self.noted.reads[unit] = tracked.reads()
            self.noted.files[unit] = [m.path for m in made]
        return made


def _labels_fn(env: Environment) -> Any:
    def labels(name: str, service: Service | None = None) -> dict[str, str]:
        return standard_labels(env, name, service.team if service else None)

    return labels


def _policy(env: Environment, policy: Mapping[str, Any]) -> Mapping[str, Any]:
    """A policy source as rendered: unchanged but for the standard labels."""
    meta = dict(policy.get("metadata") or {})
    meta["labels"] = {**standard_labels(env, str(meta.get("name", "policy"))), **(meta.get("labels") or {})}
    return {**policy, "metadata": meta}
