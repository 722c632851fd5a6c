"""The one error tree of gitops-gen: every error a user can cause.

Raised by any stage; caught only by ``generator.cli.run``, which prints ``str(error)`` and exits 2.
Findings about rendered manifests (schema, policy, cross-resource) are *not* errors: they are
``generator.findings.Finding`` records.

    GeneratorError (Exception)
    ├── EnvFileError (ValueError)        environments/*.yaml: syntax, schema, semantics
    ├── TemplateError (ValueError)       templates/*: syntax or undefined variable while rendering
    ├── RenderError (ValueError)         rendered output that cannot be produced (duplicate identity…)
    ├── WriteError (OSError)             rendered/ cannot be written, or a path escapes it
    ├── ManifestLoadError (ValueError)   manifests given to validate/policy: unreadable, not K8s
    ├── SchemaLoadError (ValueError)     CRD files or Kubernetes schemas unusable
    ├── PolicyLoadError (ValueError)     malformed Kyverno policy, values, userinfo or Test file
    └── UsageError (ValueError)          conflicting or missing command-line options
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from generator.location import Location
from generator.location import YamlPath as _Path

__all__ = [
    "EnvFileError",
    "ErrorAt",
    "GeneratorError",
    "ManifestLoadError",
    "PolicyLoadError",
    "RenderError",
    "SchemaLoadError",
    "TemplateError",
    "UsageError",
    "WriteError",
    "format_yaml_path",
]

YamlPath = Sequence[str | int]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_/@:-][A-Za-z0-9_/@:.-]*")


def format_yaml_path(yaml_path: YamlPath) -> str:
    """Render ``("services", 0, "name")`` as ``services[0].name`` for messages."""
    out = ""
    for part in yaml_path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            out += f"[{json.dumps(part)}]"  # a key holding a newline or dot stays one readable token
        else:
            out += f".{part}" if out else str(part)
    return out


class GeneratorError(Exception):
    """Base of every user-facing error.

    The message follows one shape: where (``file:line:col`` and YAML path), what is wrong,
    the offending value where useful, then what to do (``hint``). ``others`` holds further errors
    found in the same run (a loader that can go on reports every error of a file at once);
    ``rule`` names the error class in machine-readable output (``--output json|sarif|…``).
    """

    rule: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        yaml_path: YamlPath = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.yaml_path = tuple(yaml_path)
        self.hint = hint
        self.others: tuple[GeneratorError, ...] = ()

    @classmethod
    def collect(cls, errors: Sequence[GeneratorError]) -> GeneratorError:
        """One error to raise for several: the first, carrying the rest as ``others``."""
        first = errors[0]
        first.others = (*first.others, *errors[1:])
        return first

    @property
    def all(self) -> tuple[GeneratorError, ...]:
        """This error and every other one found in the same run, in order."""
        return (self, *self.others)

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable whatever a subclass's constructor takes (errors cross ``--jobs`` workers).

        Rebuilt from ``args`` and the instance's attributes, not by calling ``__init__`` again:
        ``CelError`` and others take different keyword-only arguments.
        """
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    @property
    def location(self) -> Location | None:
        """Where the error is (file, 1-based line and column as far as known); ``None`` for no file."""
        if self.path is None:
            return None
        return Location(self.path, self.line, self.column if self.line is not None else None)

    def __str__(self) -> str:
        head = str(self.location or "")
        if self.yaml_path:
            head = f"{head}: {format_yaml_path(self.yaml_path)}" if head else format_yaml_path(self.yaml_path)
        lines = [f"{head}: {self.message}" if head else self.message]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        text = "\n".join(lines)
        for other in self.others:
            text += f"\nerror: {other}"
        return text


def _rebuild(cls: type[GeneratorError], args: tuple[Any, ...], state: dict[str, Any]) -> GeneratorError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class EnvFileError(GeneratorError, ValueError):
    """An environment file (or ``_defaults.yaml``) is unreadable, invalid or inconsistent."""

    rule = "env-file"


#: How the model and release steps report an environment-file error: ``error_at(message, yaml_path,
#: hint)`` builds the ``EnvFileError`` located (file:line) at ``yaml_path`` by the loader's marks.
ErrorAt = Callable[[str, _Path, str | None], EnvFileError]


class TemplateError(GeneratorError, ValueError):
    """A Jinja template failed to parse or render; names template:line and what was rendered."""

    rule = "template"


class RenderError(GeneratorError, ValueError):
    """The rendered output is inconsistent (duplicate identity, template output not a K8s object)."""

    rule = "render"


class WriteError(GeneratorError, OSError):
    """``rendered/`` cannot be written, or a manifest path would escape it."""

    rule = "write"


class ManifestLoadError(GeneratorError, ValueError):
    """A manifest file given on the command line is unreadable or not a Kubernetes object."""

    rule = "manifest-load"


class SchemaLoadError(GeneratorError, ValueError):
    """CRD files or the Kubernetes JSON Schemas cannot be loaded."""

    rule = "schema-load"


class PolicyLoadError(GeneratorError, ValueError):
    """A Kyverno policy, values, userinfo or Test file is malformed."""

    rule = "policy-load"


class UsageError(GeneratorError, ValueError):
    """Command-line options conflict or are missing."""

    rule = "usage"
