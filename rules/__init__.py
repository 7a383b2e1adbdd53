"""add_lead's validation stage as polars rules over whole batches."""

from __future__ import annotations

from rules._frame import REJECT, REJECT_CODES, RejectCode, flag, pending, with_reject_column

__all__ = ["REJECT", "REJECT_CODES", "RejectCode", "flag", "pending", "with_reject_column"]
