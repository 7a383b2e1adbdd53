"""Writers into VICIdial's tables, reference data, rejects and exports.

Public modules: `tables` (the schema), `database` (engines), `reference` and `demo` (the
embedded database's rows), `lookups`, `candidates`, `users` (set-based reads for the rules),
`vicidial`, `children`, `ledger` (bulk writers and the exactly-once ledger), `rejects`
(results and rejects files), `exports`, `warehouse` (report exports and feeds), `lists`,
`resets`, `deletes`, `dnc`, `scrub`, `lists_create` (list operations), `errors`.
"""

from __future__ import annotations

__all__ = [
    "candidates",
    "children",
    "database",
    "deletes",
    "demo",
    "dnc",
    "errors",
    "exports",
    "ledger",
    "lists",
    "lists_create",
    "lookups",
    "reference",
    "rejects",
    "resets",
    "scrub",
    "tables",
    "users",
    "vicidial",
    "warehouse",
]
