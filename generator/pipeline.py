"""The pipeline: load + validate environment → plan clusters → render → write → check.

The only module ``generator.commands`` calls for rendering and checking, and the only one allowed
to import ``generator.write``.
"""

from __future__ import annotations

__all__: list[str] = []
