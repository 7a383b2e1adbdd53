"""Writers into VICIdial's tables, reference data, rejects and exports."""

from __future__ import annotations

__all__: list[str] = []
