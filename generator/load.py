"""Load stage: ``environments/<env>.yaml`` (+ its defaults) → one plain mapping with source marks.

Reads YAML with PyYAML's C composer, whose nodes carry line/column marks (40x faster here than
ruamel.yaml's round-trip loader, which matters for the pre-commit hook), rejects duplicate keys while
walking the nodes, and returns plain dicts/lists plus a side index ``yaml_path → Location`` so models stay
plain and every later error can still name ``file:line:col``. Validates against the JSON Schema
shipped as ``generator/env.schema.json``. Must not render or write anything.

Layering (docs/environments.md): a file ``extends`` another in ``environments/`` (default
``_defaults``), chains of any depth up to ``MAX_CHAIN``; ``generator.layering`` merges the chain,
base first (mappings key by key, named lists by ``name``, other lists and scalars replaced).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from generator import stamps, yamlread
from generator.defaults import SCHEMA_FILE, apply_defaults
from generator.envguard import check_values, fast_validity, strict_validator
from generator.errors import EnvFileError, GeneratorError, PolicyLoadError
from generator.layering import merge_layers
from generator.location import Location, YamlPath
from generator.usercache import private_dir

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "DEFAULTS_NAME",
    "LoadedEnv",
    "env_schema",
    "list_environments",
    "load_environment",
    "load_merged",
]

DEFAULTS_NAME = "_defaults"


@dataclass(frozen=True, slots=True)
class LoadedEnv:
    """A merged, schema-valid environment mapping and where each of its values came from."""

    name: str
    """Environment name: the file name without ``.yaml``."""
    file: str
    """Path of the environment file, as shown in messages."""
    data: Mapping[str, Any]
    """Merged plain data (dicts, lists, scalars)."""
    marks: Mapping[YamlPath, Location] = field(default_factory=dict)
    """YAML path → where it was written (the key for mapping entries)."""
    chain: tuple[str, ...] = ()
    """The files merged, base first (``_defaults.yaml``, a tier, …, the environment's own)."""

    def mark(self, yaml_path: YamlPath) -> Location | None:
        """Location of ``yaml_path`` or of its nearest written ancestor."""
        for end in range(len(yaml_path), -1, -1):
            hit = self.marks.get(tuple(yaml_path[:end]))
            if hit is not None:
                return hit
        return None

    def error(self, message: str, yaml_path: YamlPath, hint: str | None = None) -> EnvFileError:
        """An ``EnvFileError`` located at ``yaml_path`` (file:line:col from the marks)."""
        mark = self.mark(yaml_path)
        return EnvFileError(
            message,
            path=mark.file if mark else self.file,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            yaml_path=yaml_path,
            hint=hint,
        )


@cache
def env_schema() -> Mapping[str, Any]:
    """The environment-file JSON Schema shipped with the package (``gitops-gen schema``)."""
    text = resources.files("generator").joinpath("env.schema.json").read_text(encoding="utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    return schema


def list_environments(env_dir: Path) -> list[str]:
    """Names of the environments in ``env_dir``: every ``*.yaml`` not starting with ``_``, sorted."""
    return sorted(p.stem for p in env_dir.glob("*.yaml") if not p.name.startswith("_"))


#: Largest environment file read: the biggest real one is a few KiB.
MAX_ENV_BYTES = 1024 * 1024
#: ``extends:`` names a file in ``environments/``: a plain file stem, never a path.
_PLAIN_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_ENV_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_EXTENDS_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")


def _read_yaml(path: Path, shown: str) -> tuple[Any, dict[YamlPath, Location]]:
    text = yamlread.read_text(path, shown, EnvFileError, max_bytes=MAX_ENV_BYTES)
    node = yamlread.compose(text, shown, EnvFileError)
    marks: dict[YamlPath, Location] = {(): Location(shown, 1, 1)}
    if node is None:
        return None, marks
    try:
        return _plain(node, (), shown, marks, yaml.constructor.SafeConstructor()), marks
    except yaml.YAMLError as e:
        raise yamlread.problem_error(e, text, shown, EnvFileError, hint="use plain YAML values") from e


def _plain(
    node: yaml.Node,
    path: YamlPath,
    shown: str,
    marks: dict[YamlPath, Location],
    constructor: yaml.constructor.SafeConstructor,
) -> Any:
    """Node tree → plain Python values, recording each entry's mark and rejecting duplicate keys."""
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTION_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise EnvFileError(
                    "only plain keys are supported (no complex or << merge keys)",
                    path=shown,
                    line=mark.line + 1,
                    column=mark.column + 1,
                    yaml_path=path,
                    hint="use extends: for shared values",
                )
            key = str(yamlread.construct_scalar(constructor, key_node))
            if key in out:
                first = marks[(*path, key)]
                raise EnvFileError(
                    f"duplicate key {key!r} (first at line {first.line})",
                    path=shown,
                    line=mark.line + 1,
                    column=mark.column + 1,
                    yaml_path=(*path, key),
                    hint="each key may appear once per mapping; remove or merge the duplicate",
                )
            marks[(*path, key)] = Location(shown, mark.line + 1, mark.column + 1)
            out[key] = _plain(value_node, (*path, key), shown, marks, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            marks[(*path, i)] = Location(shown, item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_plain(item, (*path, i), shown, marks, constructor))
        return items
    return yamlread.construct_scalar(constructor, node)


#: Keys removed from the schema, with what replaces them (CHANGELOG has the migration).
REMOVED_KEYS = {
    "ingressHostname": "removed: DNS records now target the name ExternalDNS publishes for the Kong "
    "proxy Service (kong-<env>-<cluster>.<dns.zone>); delete this key (CHANGELOG, Changed)",
}


def _did_you_mean(word: str, options: list[str]) -> str:
    if word in REMOVED_KEYS:
        return REMOVED_KEYS[word]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(options))}"


def _yaml_type(value: object) -> str:
    """What a YAML author calls the type of ``value`` ("a string", not Python's "a str")."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}
    if value is None:
        return "null"
    return names.get(type(value), "a mapping" if isinstance(value, Mapping) else f"a {type(value).__name__}")


def _schema_errors(loaded: LoadedEnv, errors: Iterable[jsonschema.ValidationError]) -> list[EnvFileError]:
    """Every independent schema error, in file order: each top-level error's best match.

    A file with an unknown key, a bad type and a bad pattern gets all three in one run. Alternatives
    of one ``oneOf``/``anyOf`` stay one error (``best_match`` picks the likeliest).
    """
    from jsonschema.exceptions import best_match  # 40 ms: only commands that check a schema load it

    out: list[EnvFileError] = []
    for error in errors:
        best = best_match([error])
        if best is not None:
            out.extend(_schema_error(loaded, best))
    unique = {(e.line, e.column, str(e)): e for e in out}
    return [unique[k] for k in sorted(unique, key=lambda k: (k[0] or 0, k[1] or 0, k[2]))]


def _schema_error(loaded: LoadedEnv, error: jsonschema.ValidationError) -> list[EnvFileError]:
    path: YamlPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = list(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        return [
            loaded.error(f"unknown key {key!r}", (*path, key), hint=_did_you_mean(key, allowed))
            for key in extra
        ]
    if error.validator == "required":
        return [loaded.error(error.message.replace("property", "key"), path, hint="add the missing key")]
    desc = schema.get("description")
    value = json.dumps(error.instance, default=str)
    if len(value) > 72:
        value = value[:69] + "..."
    if error.validator == "pattern":
        shown = str(schema.get("pattern")).replace("\\Z", "$")  # as published (see envguard)
        message = f"{value} is not valid here (must match {shown})"
    elif error.validator == "type":
        message = f"{value} is {_yaml_type(error.instance)}, expected {schema.get('type')}"
    else:
        message = error.message
    return [loaded.error(message, path, hint=desc or "see `gitops-gen schema` for what is allowed here")]


def load_environment(env_dir: Path, name: str, *, shown_root: Path | None = None) -> LoadedEnv:
    """Read, merge and schema-check one environment.

    Args:
        env_dir: the ``environments/`` directory.
        name: environment name (file stem).
        shown_root: paths in messages are relative to this (the project root).

    Raises:
        EnvFileError: unreadable file, YAML error, duplicate key, schema violation.
    """
    loaded = load_merged(env_dir, name, shown_root=shown_root)
    data, marks = loaded.data, dict(loaded.marks)
    check_values(data, loaded.error)  # what the files wrote; then the defaults computed from it
    if isinstance(data, dict):
        apply_defaults(data, marks, env_schema(), env=name, mark=lambda line: Location(SCHEMA_FILE, line, 1))
    loaded = dataclasses.replace(loaded, marks=marks)
    errors = [] if _fast_validity()(data) else _schema_errors(loaded, _validator().iter_errors(data))
    written = [e for e in errors if e.path != SCHEMA_FILE]
    if errors:  # a default computed from a bad value (${key}) is bad too: report the value only
        raise GeneratorError.collect(written or errors)
    return loaded


def load_merged(env_dir: Path, name: str, *, shown_root: Path | None = None) -> LoadedEnv:
    """One environment's ``extends`` chain read and merged, before values, defaults and schema checks.

    For a reader of one declared value (``validate`` takes ``eks.version``): the schema check of a
    200-service environment costs 0.1 s, and the renderer is the place that rejects a bad file.
    Anything that renders or checks an environment calls ``load_environment``.

    Raises:
        EnvFileError: unreadable file, YAML error, duplicate key, a broken ``extends`` chain.
    """
    root = shown_root or env_dir.parent

    def shown(p: Path) -> str:
        try:
            return str(p.relative_to(root))
        except ValueError:
            return str(p)

    path = env_dir / f"{name}.yaml"
    if not _ENV_NAME.fullmatch(name):
        raise EnvFileError(
            f"environment name {name[:80]!r} is not a DNS-1123 label",
            path=shown(path),
            hint="name the file <name>.yaml with lower-case letters, digits and '-' (at most 63): "
            "it names rendered/<name>/ and the Argo CD applications",
        )
    layers, chain = _read_chain(env_dir, name, root, shown)

    def removal_error(
        message: str, at: YamlPath, at_marks: Mapping[YamlPath, Any], hint: str
    ) -> EnvFileError:
        probe = LoadedEnv(name=name, file=shown(path), data={}, marks=at_marks)
        return probe.error(message, at, hint=hint)

    data, marks = merge_layers(layers, env_schema(), removal_error)
    return LoadedEnv(name=name, file=shown(path), data=data, marks=marks, chain=chain)


@cache
def _validator() -> Any:
    return strict_validator(env_schema())


@cache
def _fast_validity() -> Callable[[Any], bool]:
    """Most files are valid: jsonschema-rs says so in a tenth of the time (``fast_validity``)."""
    return fast_validity(env_schema())


def _check_inside(path: Path, root: Path, shown: str) -> None:
    """An environment file (or its defaults) must resolve inside the project: no symlink out of it."""
    try:
        resolved = path.resolve(strict=False)
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise EnvFileError(f"cannot resolve the path: {e}", path=shown) from e
    if not resolved.is_relative_to(root.resolve()):
        raise EnvFileError(
            f"resolves to {resolved}, outside the repository",
            path=shown,
            hint="environment files must live in the repository (no symlinks out of it)",
        )


#: Longest ``extends`` chain followed (base, tier, environment need 3): beyond it, a mistake.
MAX_CHAIN = 8


def _chain_text(chain: list[tuple[str, Location | None]], last: str) -> str:
    """``environments/eu-prod.yaml:2 → environments/_production.yaml:3 → <last>``."""
    steps = [f"{m.file}:{m.line}" if m else f for f, m in chain]
    return " → ".join([*steps, last])


def _extends_error(
    problem: str, mark: Location, chain: list[tuple[str, Location | None]], last: str
) -> EnvFileError:
    return EnvFileError(
        f"{problem} (chain: {_chain_text(chain, last)})",
        path=mark.file,
        line=mark.line,
        column=mark.column,
        yaml_path=("extends",),
        hint="extends names a file in environments/ without .yaml (e.g. _production, _defaults), "
        "or 'none'; each file of a chain extends a different one",
    )


def _read_chain(
    env_dir: Path, name: str, root: Path, shown: Callable[[Path], str]
) -> tuple[list[tuple[Any, dict[YamlPath, Location]]], tuple[str, ...]]:
    """The files of ``name``'s ``extends`` chain, base first, each read and checked; and their paths.

    A file without ``extends`` extends ``_defaults`` (when it exists; ``_defaults`` itself extends
    nothing unless it says so); ``extends: none`` ends the chain. Every file must be a regular file
    in ``environments/`` resolving inside the project (no symlink out of it).
    """
    layers: list[tuple[Any, dict[YamlPath, Location]]] = []
    chain: list[tuple[str, Location | None]] = []
    stem: str | None = name
    while stem is not None:
        path = env_dir / f"{stem}.yaml"
        _check_inside(path, root, shown(path))
        data, marks = _read_yaml(path, shown(path))
        if not isinstance(data, dict):
            raise EnvFileError(
                "an environment file must be a mapping", path=shown(path), line=1, hint="see README"
            )
        explicit = "extends" in data
        parent = data.pop("extends", DEFAULTS_NAME if stem != DEFAULTS_NAME else "none")
        mark = marks.get(("extends",))
        chain.append((shown(path), mark))
        layers.append((data, marks))
        stem = None
        if parent == "none" or not isinstance(parent, str):
            if explicit and not isinstance(parent, str) and mark is not None:
                raise _extends_error(f"extends {parent!r} is not a file name", mark, chain, "?")
            break
        parent_path = env_dir / f"{parent}.yaml"
        if explicit and mark is not None:
            if not _EXTENDS_NAME.fullmatch(parent) or ".." in parent:
                raise _extends_error(
                    f"extends {parent[:80]!r} is not a file name in environments/", mark, chain, parent[:80]
                )
            if any(f == shown(parent_path) for f, _ in chain):
                raise _extends_error(f"extends {parent!r} makes a cycle", mark, chain, shown(parent_path))
            if len(chain) >= MAX_CHAIN:
                raise _extends_error(
                    f"extends chain is longer than {MAX_CHAIN} files", mark, chain, shown(parent_path)
                )
            if not (parent_path.exists() or parent_path.is_symlink()):
                raise _extends_error(
                    f"extends names {parent!r} but {shown(parent_path)} does not exist",
                    mark,
                    chain,
                    f"{shown(parent_path)} (missing)",
                )
        elif not (parent_path.exists() or parent_path.is_symlink()):
            break  # no _defaults file: nothing is inherited
        stem = parent
    layers.reverse()
    return layers, tuple(f for f, _ in reversed(chain))


def load_policy_sources(policies_dir: Path, *, shown_root: Path) -> tuple[Mapping[str, Any], ...]:
    """Every ``policies/*/policy.yaml`` (Kyverno ClusterPolicies rendered into each cluster), by name.

    Raises:
        EnvFileError: a policy file that is not YAML or not a single ClusterPolicy.
    """
    out: list[Mapping[str, Any]] = []
    # parsed once, by text and tool (what the parse depends on); private: policies are deployed
    cache, salt = private_dir("policies"), stamps.tool_digest()
    for path in sorted(policies_dir.glob("*/policy.yaml")):
        shown = str(path.relative_to(shown_root)) if path.is_relative_to(shown_root) else str(path)
        text = yamlread.read_text(path, shown, PolicyLoadError)

        def load_policy(text: str = text, shown: str = shown) -> list[Any]:
            loaded = yamlread.load_documents(text, file=shown, error=PolicyLoadError, checked=True)
            return [data for _index, _line, _chunk, data in loaded]

        docs = yamlread.cached_data(cache, text, load_policy, salt=salt)
        if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "ClusterPolicy":
            raise EnvFileError(
                "a policy.yaml must hold exactly one Kyverno ClusterPolicy",
                path=shown,
                line=1,
                hint="one ClusterPolicy per policies/<name>/policy.yaml",
            )
        out.append(docs[0])
    return tuple(out)
