"""gitops-gen: environments/ → rendered/ Kubernetes YAML, validated and proven by policy.

The public surface is small on purpose; every other module is internal. The Python API is
``generator.api`` (``load``, ``render``, ``validate``, ``check``): ``generator.load``,
``generator.render`` and ``generator.gate.check`` are the stage modules of the same names.
"""

from generator.errors import (
    EnvFileError,
    GeneratorError,
    ManifestLoadError,
    PolicyLoadError,
    RenderError,
    SchemaLoadError,
    TemplateError,
    UsageError,
    WriteError,
)
from generator.findings import Finding

__all__ = [
    "EnvFileError",
    "Finding",
    "GeneratorError",
    "ManifestLoadError",
    "PolicyLoadError",
    "RenderError",
    "SchemaLoadError",
    "TemplateError",
    "UsageError",
    "WriteError",
]
