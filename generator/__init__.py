"""gitops-gen: environments/ → rendered/ Kubernetes YAML, validated and proven by policy.

The public surface is small on purpose; every other module is internal.
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
