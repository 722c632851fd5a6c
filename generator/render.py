"""Render stage: environment plan + templates → Manifests. Pure: no writes, no clock, no env vars."""

from __future__ import annotations

__all__: list[str] = []
