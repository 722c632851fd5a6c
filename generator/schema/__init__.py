"""Schema validation (issue 3): manifests against Kubernetes JSON Schemas and CRDs, CEL included.

Public surface: ``Options``, ``Engine`` (one document at a time), ``validate_paths`` /
``validate_files`` (many files, on every core when large) and their ``Result``.
"""

from generator.schema.engine import Engine, Options
from generator.schema.run import Result, validate_files, validate_paths

__all__ = ["Engine", "Options", "Result", "validate_files", "validate_paths"]
