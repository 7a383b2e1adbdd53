"""add_lead's user checks (ingest.md 4.1–4.3, steps G6–A4) as pure functions of the user's rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules.addlead import Actor

__all__ = ["authenticated", "judge_actor"]


def authenticated(user_row: Mapping[str, Any] | None) -> bool:
    """Step G6 without the password (file loads act for a named user): exists, level > 6, active.

    >>> authenticated({"user_level": 7, "active": "Y"}), authenticated({"user_level": 6, "active": "Y"})
    (True, False)
    """
    if user_row is None:
        return False
    return int(user_row.get("user_level") or 0) > 6 and user_row.get("active") == "Y"


def judge_actor(
    user_row: Mapping[str, Any],
    *,
    group_row: Mapping[str, Any] | None,
    lists_by_campaign: Iterable[tuple[int, str]],
    function: str = "add_lead",
) -> Actor:
    """The verdict of steps G7, A2, A3 and the allowed-list set of A4 for an authenticated user.

    `lists_by_campaign` is every (`list_id`, `campaign_id`) of `vicidial_lists`.

    >>> row = {"user": "6666", "user_level": 9, "active": "Y", "vdc_agent_api_access": "1",
    ...        "modify_leads": "1", "api_allowed_functions": " ALL_FUNCTIONS ", "api_list_restrict": "0"}
    >>> judge_actor(row, group_row=None, lists_by_campaign=[]).failure is None
    True
    >>> judge_actor({**row, "modify_leads": "5"}, group_row=None, lists_by_campaign=[]).failure
    'NO_ADD_PERMISSION'
    """
    user = str(user_row.get("user") or "")
    group = str(user_row.get("user_group") or "")
    allowed: frozenset[int] | None = None
    if str(user_row.get("api_list_restrict") or "0") == "1":
        if group_row is None:
            return Actor(user=user, user_group=group, failure="USER_GROUP_MISSING")
        campaigns_text = str(group_row.get("allowed_campaigns") or "")
        pairs = list(lists_by_campaign)
        if "-ALL" in campaigns_text.upper():
            allowed = frozenset(int(lid) for lid, _ in pairs)
        else:
            campaigns = {c for c in campaigns_text.replace(" -", " ").split() if c}
            allowed = frozenset(int(lid) for lid, camp in pairs if camp in campaigns)
    functions = str(user_row.get("api_allowed_functions") or "")
    if f" {function} " not in functions and "ALL_FUNCTIONS" not in functions:
        return Actor(user=user, user_group=group, failure="NO_FUNCTION_PERMISSION", allowed_lists=allowed)
    permitted = (
        str(user_row.get("vdc_agent_api_access")) == "1"
        and str(user_row.get("modify_leads")) in ("1", "2", "3", "4")
        and int(user_row.get("user_level") or 0) > 7
        and user_row.get("active") == "Y"
    )
    if not permitted:
        return Actor(user=user, user_group=group, failure="NO_ADD_PERMISSION", allowed_lists=allowed)
    return Actor(user=user, user_group=group, allowed_lists=allowed)
