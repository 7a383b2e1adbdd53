"""The names add_lead knows: lead fields, option parameters, and the `vicidial_list` widths."""

from __future__ import annotations

__all__ = ["LEAD_FIELDS", "OPTION_FIELDS", "WIDTHS"]

LEAD_FIELDS: tuple[str, ...] = (
    "phone_number", "phone_code", "list_id", "vendor_lead_code", "source_id", "title",
    "first_name", "middle_initial", "last_name", "address1", "address2", "address3", "city",
    "state", "province", "postal_code", "country_code", "gender", "date_of_birth", "alt_phone",
    "email", "security_phrase", "comments", "rank", "owner", "entry_list_id", "multi_alt_phones",
)
"""add_lead's lead parameters (ingest.md 3.2), in the order of its documentation."""

OPTION_FIELDS: tuple[str, ...] = (
    "source", "dnc_check", "campaign_dnc_check", "campaign_id", "duplicate_check",
    "list_exists_check", "usacan_prefix_check", "usacan_areacode_check", "nanpa_ac_prefix_check",
    "tz_method", "lookup_state", "custom_fields", "add_to_hopper", "remove_from_hopper",
    "hopper_priority", "hopper_local_call_time_check", "callback", "callback_status",
    "callback_datetime", "callback_type", "callback_user", "callback_comments",
)
"""add_lead's option parameters (ingest.md 3.3); each may be a per-row column."""

WIDTHS: dict[str, int] = {
    "status": 6, "user": 20, "vendor_lead_code": 20, "source_id": 50, "phone_code": 10,
    "phone_number": 18, "title": 4, "first_name": 30, "middle_initial": 1, "last_name": 30,
    "address1": 100, "address2": 100, "address3": 100, "city": 50, "state": 2, "province": 50,
    "postal_code": 10, "country_code": 3, "alt_phone": 12, "email": 70, "security_phrase": 100,
    "comments": 255, "owner": 20,
}
"""VARCHAR widths of `vicidial_list` (schema.md 1): non-strict MySQL truncates to them."""
