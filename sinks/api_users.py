"""The API user's rights for list and campaign functions (lists.md 1.2, 1.3, 2.1, 2.8, 2.9, 4.1).

leadpipe runs list jobs on behalf of a VICIdial user and refuses what the non-agent API would
refuse that user, with the API's own lines. There is no password: whoever can reach the database
is trusted; the user's rights only keep bulk jobs within what the user may do through the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sinks import tables

__all__ = ["ApiUser", "load_api_user"]

_LIST_FLAGS = {"vdc_agent_api_access": "1", "modify_lists": "1", "active": "Y"}
_CAMPAIGN_FLAGS = {"vdc_agent_api_access": "1", "modify_campaigns": "1", "active": "Y"}


@dataclass(frozen=True)
class ApiUser:
    """A `vicidial_users` row (or its absence) and its group's allowed campaigns."""

    user: str
    row: dict[str, Any] | None
    allowed_campaigns: frozenset[str] | None
    group_exists: bool

    def _flags(self, flags: dict[str, str]) -> bool:
        if self.row is None:
            return False
        level = int(self.row.get("user_level") or 0)
        return level >= 8 and all(str(self.row.get(k) or "") == v for k, v in flags.items())

    def function_error(self, function: str) -> str | None:
        """The allowed-functions error line (exports.md 1.4), or None when `function` is allowed."""
        allowed = str((self.row or {}).get("api_allowed_functions") or "")
        if self.row is not None and (f" {function} " in allowed or "ALL_FUNCTIONS" in allowed):
            return None
        return f"ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |{self.user}|{function}|"

    def update_list_error(self) -> str | None:
        """The error line when the user may not use `update_list` at all (2.1 steps 1-2)."""
        return self.function_error("update_list") or (
            None
            if self._flags(_LIST_FLAGS)
            else f"ERROR: update_list USER DOES NOT HAVE PERMISSION TO UPDATE LISTS: |{self.user}|0"
        )

    def may_delete_lists(self) -> bool:
        """`delete_list` rights (2.8): update rights plus `delete_lists='1'`."""
        return self._flags({**_LIST_FLAGS, "delete_lists": "1"})

    def may_delete_leads(self) -> bool:
        """`delete_leads` rights (2.9): `delete_list` rights plus `modify_leads` 1-4."""
        return self.may_delete_lists() and str((self.row or {}).get("modify_leads")) in {
            "1",
            "2",
            "3",
            "4",
        }

    def update_campaign_error(self) -> str | None:
        """The error line when the user may not use `update_campaign` (4.1 steps 1-2)."""
        return self.function_error("update_campaign") or (
            None
            if self._flags(_CAMPAIGN_FLAGS)
            else f"ERROR: update_campaign USER DOES NOT HAVE PERMISSION TO UPDATE CAMPAIGNS: |{self.user}|0"
        )

    @property
    def list_restrict(self) -> bool:
        """True when `api_list_restrict` limits the user to lists of allowed campaigns (1.3)."""
        return self.row is not None and str(self.row.get("api_list_restrict") or "0") not in (
            "",
            "0",
        )

    def campaign_allowed(self, campaign_id: str | None) -> bool:
        """True when the allowed-campaign restriction (1.2) lets the user see `campaign_id`."""
        if self.allowed_campaigns is None:
            return True
        return (campaign_id or "").upper() in self.allowed_campaigns

    def list_gate(self, list_id: int, campaign: str | None, *, exists: bool) -> str | None:
        """The error line of `update_list` steps 3-5 for one list, or None when it may go on."""
        if not 2 <= len(str(list_id)) <= 14:
            return f"ERROR: update_list YOU MUST USE ALL REQUIRED FIELDS: |{self.user}|{list_id}||"
        if self.list_restrict and not (exists and self.campaign_allowed(campaign)):
            return f"ERROR: update_list NOT AN ALLOWED LIST ID - {list_id}"
        if not (exists and self.campaign_allowed(campaign)):
            return f"ERROR: update_list LIST DOES NOT EXIST: |{self.user}|{list_id}"
        return None

    def group_error(self) -> str | None:
        """The `user_group DOES NOT EXIST` error when `api_list_restrict` needs a missing group."""
        if self.list_restrict and not self.group_exists:
            group = (self.row or {}).get("user_group") or ""
            return f"ERROR: user_group DOES NOT EXIST: |{self.user}|{group}|"
        return None


def _allowed(value: str | None) -> frozenset[str] | None:
    """Parse `allowed_campaigns` (1.2): None means every campaign.

    >>> sorted(_allowed(" TESTCAMP OTHER -"))
    ['', 'OTHER', 'TESTCAMP']
    >>> _allowed(" -ALL-CAMPAIGNS- - -") is None
    True
    """
    text = value or ""
    if "-ALL" in text.upper():
        return None
    text = re.sub(r" -$", "", text)
    return frozenset(token.upper() for token in text.split(" "))


def load_api_user(conn: sa.Connection, user: str) -> ApiUser:
    """Read `user`'s row and user group (case-insensitively, as VICIdial's collation does)."""
    users, groups = tables.vicidial_users, tables.vicidial_user_groups
    row = (
        conn.execute(sa.select(users).where(sa.func.lower(users.c.user) == user.lower()).limit(1))
        .mappings()
        .first()
    )
    data = dict(row) if row is not None else None
    group = str((data or {}).get("user_group") or "")
    allowed_text = conn.execute(
        sa.select(groups.c.allowed_campaigns).where(
            sa.func.lower(groups.c.user_group) == group.lower()
        )
    ).first()
    allowed = _allowed(allowed_text[0] if allowed_text else None)
    return ApiUser(user, data, allowed, group_exists=allowed_text is not None)
