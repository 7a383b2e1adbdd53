"""JSON Lines: one object per line; the keys seen in the first block are the columns."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from ingest._csvparse import Parsed
from ingest._records import SOURCE_ROW, UNDECODABLE, bad_frame, clip, rows_frame, too_long


class JsonParser:
    """JSON Lines: one object per line; the keys of the first block are the columns."""

    def __init__(self, max_field: int) -> None:
        self.names: tuple[str, ...] | None = None
        self.max_field = max_field

    @staticmethod
    def _text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def parse(
        self,
        lines: pl.Series,
        bad: pl.Series | None,
        *,
        first_line: int,
        first_record: int,
        last: bool,
    ) -> Parsed:
        del last
        texts = lines.to_list()
        undec = bad.to_list() if bad is not None else [False] * len(texts)
        objects: list[tuple[int, int, dict[str, Any] | None, str]] = []
        record = first_record - 1
        for i, line in enumerate(texts):
            if not line.strip():
                continue
            record += 1
            why = ""
            obj: Any = None
            if undec[i]:
                why = UNDECODABLE
            else:
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    why = f"invalid JSON: {exc}"
                else:
                    if not isinstance(obj, dict):
                        why = f"not a JSON object: {type(obj).__name__}"
            objects.append((record, first_line + i, obj if not why else None, why))
        if self.names is None:
            seen: dict[str, None] = {}
            for _r, _l, obj, _w in objects:
                for key in obj or {}:
                    seen.setdefault(str(key), None)
            seen.pop(SOURCE_ROW, None)
            self.names = tuple(seen)
        names = self.names
        rows: list[list[str]] = []
        src: list[int] = []
        bad_rows: tuple[list[int], list[int], list[str], list[str]] = ([], [], [], [])
        for rec, line_no, obj, why in objects:
            if obj is not None:
                extra = [k for k in obj if k not in names]
                if extra:
                    why = f"unexpected key `{extra[0]}` (the columns come from the first records)"
                else:
                    values = [self._text(obj.get(n)) for n in names]
                    why = too_long(values, names, self.max_field)
                    if not why:
                        rows.append(values)
                        src.append(rec)
                        continue
            for target, value in zip(
                bad_rows, (rec, line_no, why, clip(texts[line_no - first_line])), strict=True
            ):
                target.append(value)  # type: ignore[attr-defined]
        return Parsed(
            rows_frame(names, rows, src),
            bad_frame(*bad_rows),
            record - first_record + 1,
            len(texts),
        )
