"""Reads of the VICIdial user, its group and the list/campaign map, for permission checks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sinks import tables

__all__ = ["load_group", "load_list_campaigns_pairs", "load_user"]


def load_user(conn: sa.Connection, user: str) -> dict[str, Any] | None:
    """The `vicidial_users` row of `user` (case-insensitive as VICIdial's collation), or None."""
    t = tables.vicidial_users
    row = conn.execute(sa.select(t).where(sa.func.lower(t.c.user) == user.lower()).limit(1)).mappings().first()
    return dict(row) if row else None


def load_group(conn: sa.Connection, user_group: str) -> dict[str, Any] | None:
    """The `vicidial_user_groups` row of a group, or None when it does not exist."""
    t = tables.vicidial_user_groups
    row = conn.execute(sa.select(t).where(t.c.user_group == user_group).limit(1)).mappings().first()
    return dict(row) if row else None


def load_list_campaigns_pairs(conn: sa.Connection) -> list[tuple[int, str]]:
    """Every (`list_id`, `campaign_id`) of `vicidial_lists`."""
    t = tables.vicidial_lists
    return [(int(a), str(b or "")) for a, b in conn.execute(sa.select(t.c.list_id, t.c.campaign_id))]
