"""Write stage: the only code that touches rendered/."""

from __future__ import annotations

__all__: list[str] = []
