"""VICIdial's DST range codes, the lead's standard clock and the server offset (spec 8.4)."""

from __future__ import annotations

from datetime import datetime

import pytest

from rules.dst import (
    DST_CODES,
    dst_in_effect,
    lead_local_standard,
    php_float_text,
    php_number,
    server_offset,
)

T = datetime

# (code, lead local standard time, DST?, id). Switch days of 2024 unless said otherwise:
# 2nd Sun Mar = 10, 1st Sun Nov = 3, 1st Sun Apr = 7, last Sun Oct = 27, last Sun Mar = 31,
# 1st Sun Oct = 6, Sun on/after Mar 14 = 17, Sun on/after Oct 22 = 27, Sun on/after Feb 22 = 25.
SWITCHES = [
    # SSM-FSN (USA/Canada), 02:00 both ways
    ("SSM-FSN", T(2024, 3, 10, 1, 59, 59), False, "ssm-fsn-start-before"),
    ("SSM-FSN", T(2024, 3, 10, 2, 0, 0), True, "ssm-fsn-start-at"),
    ("SSM-FSN", T(2024, 3, 9, 23, 59, 59), False, "ssm-fsn-day-before-start"),
    ("SSM-FSN", T(2024, 3, 3, 12), False, "ssm-fsn-first-sunday-march"),
    ("SSM-FSN", T(2024, 3, 13, 0), True, "ssm-fsn-after-start"),
    ("SSM-FSN", T(2024, 11, 3, 1, 59, 59), True, "ssm-fsn-end-before"),
    ("SSM-FSN", T(2024, 11, 3, 2, 0, 0), False, "ssm-fsn-end-at"),
    ("SSM-FSN", T(2024, 11, 2, 23), True, "ssm-fsn-day-before-end"),
    ("SSM-FSN", T(2024, 11, 4, 0), False, "ssm-fsn-day-after-end"),
    ("SSM-FSN", T(2024, 2, 28, 12), False, "ssm-fsn-feb"),
    ("SSM-FSN", T(2024, 7, 1, 12), True, "ssm-fsn-jul"),
    ("SSM-FSN", T(2024, 12, 1, 12), False, "ssm-fsn-dec"),
    # quirk: every day from March 14 on is DST; a 2nd Sunday on March 14 is DST from 00:00
    ("SSM-FSN", T(2021, 3, 13, 23, 59, 59), False, "ssm-fsn-mar14-sunday-eve"),
    ("SSM-FSN", T(2021, 3, 14, 0, 0, 0), True, "ssm-fsn-mar14-sunday-midnight"),
    # FSA-LSO (Mexico), 02:00
    ("FSA-LSO", T(2024, 4, 7, 1, 59, 59), False, "fsa-lso-start-before"),
    ("FSA-LSO", T(2024, 4, 7, 2), True, "fsa-lso-start-at"),
    ("FSA-LSO", T(2024, 4, 6, 12), False, "fsa-lso-day-before-start"),
    ("FSA-LSO", T(2024, 10, 27, 1, 59, 59), True, "fsa-lso-end-before"),
    ("FSA-LSO", T(2024, 10, 27, 2), False, "fsa-lso-end-at"),
    ("FSA-LSO", T(2024, 10, 24, 12), True, "fsa-lso-oct-before-25"),
    ("FSA-LSO", T(2024, 10, 28, 0), False, "fsa-lso-day-after-end"),
    ("FSA-LSO", T(2024, 3, 31, 12), False, "fsa-lso-mar"),
    ("FSA-LSO", T(2024, 11, 1, 12), False, "fsa-lso-nov"),
    # LSM-LSO (Europe), 01:00 local standard time
    ("LSM-LSO", T(2024, 3, 31, 0, 59, 59), False, "lsm-lso-start-before"),
    ("LSM-LSO", T(2024, 3, 31, 1), True, "lsm-lso-start-at"),
    ("LSM-LSO", T(2024, 3, 30, 23), False, "lsm-lso-day-before-start"),
    ("LSM-LSO", T(2024, 10, 27, 0, 59, 59), True, "lsm-lso-end-before"),
    ("LSM-LSO", T(2024, 10, 27, 1), False, "lsm-lso-end-at"),
    ("LSM-LSO", T(2024, 10, 31, 12), False, "lsm-lso-after-end"),
    ("LSM-LSO", T(2024, 6, 1), True, "lsm-lso-jun"),
    ("LSM-LSO", T(2024, 11, 1), False, "lsm-lso-nov"),
    # LSO-LSM (Australia, southern), 01:00
    ("LSO-LSM", T(2024, 10, 27, 0, 59, 59), False, "lso-lsm-start-before"),
    ("LSO-LSM", T(2024, 10, 27, 1), True, "lso-lsm-start-at"),
    ("LSO-LSM", T(2024, 3, 31, 0, 59, 59), True, "lso-lsm-end-before"),
    ("LSO-LSM", T(2024, 3, 31, 1), False, "lso-lsm-end-at"),
    ("LSO-LSM", T(2024, 1, 15), True, "lso-lsm-jan"),
    ("LSO-LSM", T(2024, 7, 15), False, "lso-lsm-jul"),
    # FSO-LSM (Tasmania), 01:00
    ("FSO-LSM", T(2024, 10, 6, 0, 59, 59), False, "fso-lsm-start-before"),
    ("FSO-LSM", T(2024, 10, 6, 1), True, "fso-lsm-start-at"),
    ("FSO-LSM", T(2024, 10, 5, 12), False, "fso-lsm-day-before-start"),
    ("FSO-LSM", T(2024, 10, 20, 0), True, "fso-lsm-mid-oct"),
    ("FSO-LSM", T(2024, 3, 31, 0, 59, 59), True, "fso-lsm-end-before"),
    ("FSO-LSM", T(2024, 3, 31, 1), False, "fso-lsm-end-at"),
    ("FSO-LSM", T(2024, 9, 30), False, "fso-lsm-sep"),
    # FSO-FSA (Australia 2008+): start 01:00, end 02:00
    ("FSO-FSA", T(2024, 10, 6, 0, 59, 59), False, "fso-fsa-start-before"),
    ("FSO-FSA", T(2024, 10, 6, 1), True, "fso-fsa-start-at"),
    ("FSO-FSA", T(2024, 4, 7, 1, 59, 59), True, "fso-fsa-end-before"),
    ("FSO-FSA", T(2024, 4, 7, 2), False, "fso-fsa-end-at"),
    ("FSO-FSA", T(2024, 4, 6, 23), True, "fso-fsa-day-before-end"),
    ("FSO-FSA", T(2024, 3, 31, 12), True, "fso-fsa-mar"),
    ("FSO-FSA", T(2024, 5, 1), False, "fso-fsa-may"),
    # FSO-TSM (New Zealand, old): start 1st Sun Oct 01:00, end Sun on/after Mar 14 01:00
    ("FSO-TSM", T(2024, 10, 6, 0, 59, 59), False, "fso-tsm-start-before"),
    ("FSO-TSM", T(2024, 10, 6, 1), True, "fso-tsm-start-at"),
    ("FSO-TSM", T(2024, 3, 17, 0, 59, 59), True, "fso-tsm-end-before"),
    ("FSO-TSM", T(2024, 3, 17, 1), False, "fso-tsm-end-at"),
    ("FSO-TSM", T(2024, 3, 16, 12), True, "fso-tsm-day-before-end"),
    ("FSO-TSM", T(2021, 3, 14, 0, 59, 59), True, "fso-tsm-mar14-sunday-before"),
    ("FSO-TSM", T(2021, 3, 14, 1), False, "fso-tsm-mar14-sunday-ends-on-2nd-sunday"),
    ("FSO-TSM", T(2024, 3, 20, 12), False, "fso-tsm-after-end"),
    # LSS-FSA (New Zealand 2007+): September never DST, starts October 1 00:00, ends 02:00
    ("LSS-FSA", T(2024, 9, 29, 12), False, "lss-fsa-last-sunday-sep-unreachable"),
    ("LSS-FSA", T(2024, 9, 30, 23, 59, 59), False, "lss-fsa-sep-30-eve"),
    ("LSS-FSA", T(2024, 10, 1, 0, 0, 0), True, "lss-fsa-oct-1-midnight"),
    ("LSS-FSA", T(2024, 4, 7, 1, 59, 59), True, "lss-fsa-end-before"),
    ("LSS-FSA", T(2024, 4, 7, 2), False, "lss-fsa-end-at"),
    ("LSS-FSA", T(2024, 3, 1), True, "lss-fsa-mar"),
    ("LSS-FSA", T(2024, 5, 1), False, "lss-fsa-may"),
    # TSO-LSF (Brazil): start Sun on/after Oct 22 01:00 (the 3rd Sunday, Oct 20, is not used)
    ("TSO-LSF", T(2024, 10, 20, 12), False, "tso-lsf-third-sunday-unused"),
    ("TSO-LSF", T(2024, 10, 27, 0, 59, 59), False, "tso-lsf-start-before"),
    ("TSO-LSF", T(2024, 10, 27, 1), True, "tso-lsf-start-at"),
    ("TSO-LSF", T(2024, 2, 25, 0, 59, 59), True, "tso-lsf-end-before"),
    ("TSO-LSF", T(2024, 2, 25, 1), False, "tso-lsf-end-at"),
    ("TSO-LSF", T(2024, 2, 21, 12), True, "tso-lsf-feb-21"),
    ("TSO-LSF", T(2024, 1, 10), True, "tso-lsf-jan"),
    ("TSO-LSF", T(2024, 3, 1), False, "tso-lsf-mar"),
    # leap year with a Sunday February 29 (2032): DST ends on the 22nd, a week early
    ("TSO-LSF", T(2032, 2, 22, 0, 59, 59), True, "tso-lsf-leap-end-before"),
    ("TSO-LSF", T(2032, 2, 22, 1), False, "tso-lsf-leap-ends-feb-22"),
    ("TSO-LSF", T(2032, 2, 28, 12), False, "tso-lsf-leap-feb-28"),
]

# A month can hold two Sundays past the rule's first day; VICIdial's "Sunday before the switch
# second" test then also fires on the later one (see dst_in_effect's NOTE).
SECOND_SUNDAY = [
    ("FSO-TSM", T(2024, 3, 24, 0, 30), True, "fso-tsm-next-sunday-00-30"),
    ("FSO-TSM", T(2024, 3, 24, 1), False, "fso-tsm-next-sunday-01-00"),
    ("TSO-LSF", T(2032, 2, 29, 0, 30), True, "tso-lsf-leap-feb-29-00-30"),
    ("TSO-LSF", T(2032, 2, 29, 1), False, "tso-lsf-leap-feb-29-01-00"),
    ("TSO-LSF", T(2021, 10, 31, 0, 30), False, "tso-lsf-next-sunday-oct-00-30"),
    ("TSO-LSF", T(2021, 10, 31, 1), True, "tso-lsf-next-sunday-oct-01-00"),
]

NEVER = ["", "N", "Y", "ssm-fsn", "SSM-FSN ", "FDA-FDO", "SSO-SSM", "LTA-LTS"]


@pytest.mark.parametrize(("code", "local", "expected"), [c[:3] for c in SWITCHES],
                         ids=[c[3] for c in SWITCHES])
def test_switch_days(code: str, local: datetime, *, expected: bool) -> None:
    assert dst_in_effect(code, local) is expected


@pytest.mark.parametrize(("code", "local", "expected"), [c[:3] for c in SECOND_SUNDAY],
                         ids=[c[3] for c in SECOND_SUNDAY])
def test_later_qualifying_sunday_reverts_before_one(
    code: str, local: datetime, *, expected: bool
) -> None:
    assert dst_in_effect(code, local) is expected


@pytest.mark.parametrize("code", NEVER, ids=[repr(c) for c in NEVER])
@pytest.mark.parametrize("month", [1, 4, 7, 10], ids=["jan", "apr", "jul", "oct"])
def test_other_codes_never_dst(code: str, month: int) -> None:
    assert dst_in_effect(code, T(2024, month, 15, 12)) is False


def test_every_listed_code_is_known() -> None:
    assert set(DST_CODES) == {
        "SSM-FSN", "FSA-LSO", "LSM-LSO", "LSO-LSM", "FSO-LSM", "FSO-FSA", "FSO-TSM", "LSS-FSA",
        "TSO-LSF",
    }


@pytest.mark.parametrize(
    ("code", "dst_months"),
    [
        ("SSM-FSN", set(range(4, 11))),
        ("FSA-LSO", set(range(5, 10))),
        ("LSM-LSO", set(range(4, 10))),
        ("LSO-LSM", {1, 2, 11, 12}),
        ("FSO-LSM", {1, 2, 11, 12}),
        ("FSO-FSA", {1, 2, 3, 11, 12}),
        ("FSO-TSM", {1, 2, 11, 12}),
        ("LSS-FSA", {1, 2, 3, 10, 11, 12}),
        ("TSO-LSF", {1, 11, 12}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_whole_months(code: str, dst_months: set[int]) -> None:
    # The 15th at noon avoids every switch day except in transition months, which are
    # checked above; here only the months fully inside or outside DST are compared.
    transition = {"SSM-FSN": {3, 11}, "FSA-LSO": {4, 10}, "LSM-LSO": {3, 10}, "LSO-LSM": {3, 10},
                  "FSO-LSM": {3, 10}, "FSO-FSA": {4, 10}, "FSO-TSM": {3, 10}, "LSS-FSA": {4},
                  "TSO-LSF": {2, 10}}[code]
    for month in set(range(1, 13)) - transition:
        for day in (1, 15, 28):
            assert dst_in_effect(code, T(2024, month, day, 12)) is (month in dst_months), month


LOCAL = [
    (T(2024, 1, 1, 12, 34, 56), -5.0, -5.0, T(2024, 1, 1, 12, 34, 56), "same-zone"),
    (T(2024, 1, 1, 12, 34, 56), -8.0, -5.0, T(2024, 1, 1, 9, 34, 56), "three-hours-west"),
    # half-hour zones lose their half hour: 12:34 + 1.5 h → 13:34, not 14:04
    (T(2024, 1, 1, 12, 34, 56), -3.5, -5.0, T(2024, 1, 1, 13, 34, 56), "half-hour-east"),
    (T(2024, 1, 1, 10, 15), 5.5, 0.0, T(2024, 1, 1, 15, 15), "india-from-utc"),
    (T(2024, 1, 1, 10, 15), -3.5, 0.0, T(2024, 1, 1, 6, 15), "newfoundland-from-utc"),
    # the *sum* hour + difference is truncated toward zero, not floored, not per part
    (T(2024, 1, 1, 4, 10), -3.5, 0.0, T(2024, 1, 1, 0, 10), "sum-0.5-truncates-to-0"),
    (T(2024, 1, 1, 3, 10), -3.5, 0.0, T(2024, 1, 1, 0, 10), "sum-minus-0.5-truncates-to-0"),
    (T(2024, 1, 1, 2, 10), -3.5, 0.0, T(2023, 12, 31, 23, 10), "sum-minus-1.5-to-minus-1"),
    (T(2024, 12, 31, 22, 30), 10.0, 0.0, T(2025, 1, 1, 8, 30), "rollover-forward-new-year"),
    (T(2024, 3, 1, 2, 0), -5.0, 0.0, T(2024, 2, 29, 21, 0), "rollover-back-leap-day"),
    (T(2024, 1, 1, 12, 0), 5.5, 5.3, T(2024, 1, 1, 12, 0), "server-5.3-bug"),
    (T(2024, 6, 1, 12, 0, 0, 999), -5.0, -4.0, T(2024, 6, 1, 11, 0), "microseconds-dropped"),
]


@pytest.mark.parametrize(("now", "lead", "server", "expected"), [c[:4] for c in LOCAL],
                         ids=[c[4] for c in LOCAL])
def test_lead_local_standard(now: datetime, lead: float, server: float, expected: datetime) -> None:
    assert lead_local_standard(now, lead, server) == expected


SERVER = [
    ("-5.00", False, "-0500", -5.0, "row-standard"),
    ("-5.00", True, "-0400", -4.0, "row-plus-one-in-dst"),
    ("+1.00", False, "+0100", 1.0, "row-with-plus"),
    ("5.50", False, "+0530", 5.5, "row-half-hour"),
    ("", True, "-0400", 1.0, "row-empty-local-gmt-counts-0"),
    (None, False, "+0530", 5.3, "no-row-0530-bug"),
    (None, True, "-0400", -4.0, "no-row-dst-not-added-again"),
    (None, False, "-0930", -9.3, "no-row-minus-0930"),
    (None, False, "+0000", 0.0, "no-row-utc"),
]


@pytest.mark.parametrize(("local_gmt", "is_dst", "hhmm", "expected"), [c[:4] for c in SERVER],
                         ids=[c[4] for c in SERVER])
def test_server_offset(local_gmt: str | None, hhmm: str, expected: float, *, is_dst: bool) -> None:
    got = server_offset(local_gmt, server_is_dst=is_dst, server_utc_offset_hhmm=hhmm)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-5.00", -5.0), ("5.50", 5.5), ("-5", -5.0), (" -3.5", -3.5), ("0530", 530.0),
     ("", 0.0), ("abc", 0.0), ("7x", 7.0), (None, 0.0)],
    ids=["decimal", "half", "integer", "leading-space", "leading-zero", "empty", "text",
         "leading-number", "none"],
)
def test_php_number(text: str | None, expected: float) -> None:
    assert php_number(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-4.0, "-4"), (2.0, "2"), (-2.5, "-2.5"), (6.75, "6.75"), (0.0, "0"), (11.0, "11")],
    ids=["minus-4", "2", "minus-2.5", "6.75", "zero", "11"],
)
def test_php_float_text(value: float, expected: str) -> None:
    assert php_float_text(value) == expected
