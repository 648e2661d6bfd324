"""ISO 2859-1 / ANSI/ASQ Z1.4 single sampling: tables, arrows, 100 % rule, inputs, switching.

The expected tables below are a second transcription, kept deliberately in a different form
from the one in ``qcstation.domain.sampling``: the master tables are written column by column
(one line per AQL, "dn"/"up" for the arrows), Table I level by level, and the plans after
following the arrows (n:Ac,Re per code letter and AQL) are given separately.  The normal and
tightened resolved plans were taken from the resolved tables of the R package AQLSchemes
(MIL-STD-105E / ANSI/ASQ Z1.4), an independent transcription of the printed standard; the
column-by-column cells were checked against MIL-STD-105E copies (numbers in every row, arrows
for AQL 0.65...15).  The reduced table is ANSI/ASQ Z1.4-2003 (MIL-STD-105E) Table II-C -- see
the module docstring for why ISO 2859-1:1999 differs there.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from qcstation.domain.sampling import (
    AQL_LABELS,
    AQL_SERIES,
    CODE_LETTERS,
    RESUBMISSION_MODE,
    Arrow,
    InspectionLevel,
    InspectionMode,
    SamplingError,
    SamplingPlan,
    SwitchingState,
    aql_label,
    code_letter,
    master_plan,
    next_state,
    parse_aql,
    parse_level,
    parse_mode,
    plan,
    record_lot,
    reinstate_normal,
    resubmission_mode,
    resume_inspection,
    start_tightened,
    table_cell,
    table_letters,
    table_sample_size,
    tighter_acceptance_number,
    updated_switching_score,
)

NORMAL, TIGHTENED, REDUCED = InspectionMode.NORMAL, InspectionMode.TIGHTENED, InspectionMode.REDUCED
LETTERS = "ABCDEFGHJKLMNPQR"

# ---------------------------------------------------------------------------------------
# Table I, level by level: the code letter for each of the 15 lot-size ranges, in order.
# ---------------------------------------------------------------------------------------
LOT_RANGES: list[tuple[int, int | None]] = [
    (2, 8),
    (9, 15),
    (16, 25),
    (26, 50),
    (51, 90),
    (91, 150),
    (151, 280),
    (281, 500),
    (501, 1200),
    (1201, 3200),
    (3201, 10000),
    (10001, 35000),
    (35001, 150000),
    (150001, 500000),
    (500001, None),
]
TABLE_I_BY_LEVEL = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

# Sample sizes printed beside the code letters.
NORMAL_N = dict(
    zip(LETTERS, [2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000], strict=True)
)
TIGHTENED_N = {**NORMAL_N, "S": 3150}
REDUCED_N = dict(
    zip(LETTERS, [2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800], strict=True)
)

# ---------------------------------------------------------------------------------------
# Master tables as printed, one line per AQL column, code letters across.
# "a,b" = Ac a, Re b; "dn" = use first plan below; "up" = use first plan above; "--" blank.
# ---------------------------------------------------------------------------------------
# Table II-A (normal)
II_A_BY_COLUMN = """
AQL        A     B     C     D     E     F     G     H     J     K     L     M     N     P     Q     R
0.010     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up
0.015     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    up
0.025     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2
0.040     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3
0.065     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4
0.10      dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6
0.15      dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8
0.25      dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11
0.40      dn    dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15
0.65      dn    dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22
1.0       dn    dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up
1.5       dn    dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up
2.5       dn    dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up
4.0       dn   0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up
6.5      0,1    up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up
10        up    dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up
15        dn   1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up    up
25       1,2   2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up    up    up
40       2,3   3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up    up    up    up
65       3,4   5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up    up    up    up    up
100      5,6   7,8 10,11 14,15 21,22    up    up    up    up    up    up    up    up    up    up    up
150      7,8 10,11 14,15 21,22 30,31    up    up    up    up    up    up    up    up    up    up    up
250    10,11 14,15 21,22 30,31 44,45    up    up    up    up    up    up    up    up    up    up    up
400    14,15 21,22 30,31 44,45    up    up    up    up    up    up    up    up    up    up    up    up
650    21,22 30,31 44,45    up    up    up    up    up    up    up    up    up    up    up    up    up
1000   30,31 44,45    up    up    up    up    up    up    up    up    up    up    up    up    up    up
"""

# Table II-B (tightened)
II_B_BY_COLUMN = """
AQL        A     B     C     D     E     F     G     H     J     K     L     M     N     P     Q     R     S
0.010     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    --
0.015     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    --
0.025     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2
0.040     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2    --
0.065     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3    --
0.10      dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4    --
0.15      dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6    --
0.25      dn    dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9    --
0.40      dn    dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13    --
0.65      dn    dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    --
1.0       dn    dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    --
1.5       dn    dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    --
2.5       dn    dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    --
4.0       dn    dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    --
6.5       dn   0,1    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    --
10        dn    dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    --
15        dn    dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    up    --
25        dn   1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    up    up    --
40       1,2   2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    up    up    up    --
65       2,3   3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    up    up    up    up    --
100      3,4   5,6   8,9 12,13 18,19    up    up    up    up    up    up    up    up    up    up    up    --
150      5,6   8,9 12,13 18,19 27,28    up    up    up    up    up    up    up    up    up    up    up    --
250      8,9 12,13 18,19 27,28 41,42    up    up    up    up    up    up    up    up    up    up    up    --
400    12,13 18,19 27,28 41,42    up    up    up    up    up    up    up    up    up    up    up    up    --
650    18,19 27,28 41,42    up    up    up    up    up    up    up    up    up    up    up    up    up    --
1000   27,28 41,42    up    up    up    up    up    up    up    up    up    up    up    up    up    up    --
"""

# Table II-C (reduced)
II_C_BY_COLUMN = """
AQL        A     B     C     D     E     F     G     H     J     K     L     M     N     P     Q     R
0.010     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up
0.015     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    up
0.025     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2
0.040     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3
0.065     dn    dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4
0.10      dn    dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5
0.15      dn    dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6
0.25      dn    dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8
0.40      dn    dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10
0.65      dn    dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13
1.0       dn    dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up
1.5       dn    dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up
2.5       dn    dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up
4.0       dn   0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up
6.5      0,1    up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up    up
10        up    dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up    up    up
15        dn   0,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up    up    up    up
25       1,2   1,3   1,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up    up    up    up    up
40       2,3   2,4   2,5   3,6   5,8  7,10 10,13    up    up    up    up    up    up    up    up    up
65       3,4   3,5   3,6   5,8  7,10 10,13    up    up    up    up    up    up    up    up    up    up
100      5,6   5,6   5,8  7,10 10,13    up    up    up    up    up    up    up    up    up    up    up
150      7,8   7,8  7,10 10,13 14,17    up    up    up    up    up    up    up    up    up    up    up
250    10,11 10,11 10,13 14,17 21,24    up    up    up    up    up    up    up    up    up    up    up
400    14,15 14,15 14,17 21,24    up    up    up    up    up    up    up    up    up    up    up    up
650    21,22 21,22 21,24    up    up    up    up    up    up    up    up    up    up    up    up    up
1000   30,31 30,31    up    up    up    up    up    up    up    up    up    up    up    up    up    up
"""

# ---------------------------------------------------------------------------------------
# Plans after following the arrows: per code letter, one "n:Ac,Re" per AQL column.
# ---------------------------------------------------------------------------------------
# Normal inspection (Table II-A): AQLSchemes
RESOLVED_NORMAL = """
A   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      5:1,2      3:1,2      2:1,2      2:2,3      2:3,4      2:5,6      2:7,8    2:10,11    2:14,15    2:21,22    2:30,31
B   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      5:1,2      3:1,2      3:2,3      3:3,4      3:5,6      3:7,8    3:10,11    3:14,15    3:21,22    3:30,31    3:44,45
C   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      8:1,2      5:1,2      5:2,3      5:3,4      5:5,6      5:7,8    5:10,11    5:14,15    5:21,22    5:30,31    5:44,45    3:44,45
D   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1     13:1,2      8:1,2      8:2,3      8:3,4      8:5,6      8:7,8    8:10,11    8:14,15    8:21,22    8:30,31    8:44,45    5:44,45    3:44,45
E   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1     20:1,2     13:1,2     13:2,3     13:3,4     13:5,6     13:7,8   13:10,11   13:14,15   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
F   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1     32:1,2     20:1,2     20:2,3     20:3,4     20:5,6     20:7,8   20:10,11   20:14,15   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
G   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     50:1,2     32:1,2     32:2,3     32:3,4     32:5,6     32:7,8   32:10,11   32:14,15   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
H   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     80:1,2     50:1,2     50:2,3     50:3,4     50:5,6     50:7,8   50:10,11   50:14,15   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
J   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1    125:1,2     80:1,2     80:2,3     80:3,4     80:5,6     80:7,8   80:10,11   80:14,15   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
K   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1    200:1,2    125:1,2    125:2,3    125:3,4    125:5,6    125:7,8  125:10,11  125:14,15  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
L   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1    315:1,2    200:1,2    200:2,3    200:3,4    200:5,6    200:7,8  200:10,11  200:14,15  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
M   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    500:1,2    315:1,2    315:2,3    315:3,4    315:5,6    315:7,8  315:10,11  315:14,15  315:21,22  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
N   1250:0,1    800:0,1    500:0,1    315:0,1    800:1,2    500:1,2    500:2,3    500:3,4    500:5,6    500:7,8  500:10,11  500:14,15  500:21,22  315:21,22  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
P   1250:0,1    800:0,1    500:0,1   1250:1,2    800:1,2    800:2,3    800:3,4    800:5,6    800:7,8  800:10,11  800:14,15  800:21,22  500:21,22  315:21,22  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
Q   1250:0,1    800:0,1   2000:1,2   1250:1,2   1250:2,3   1250:3,4   1250:5,6   1250:7,8 1250:10,11 1250:14,15 1250:21,22  800:21,22  500:21,22  315:21,22  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
R   1250:0,1    800:0,1   2000:1,2   2000:2,3   2000:3,4   2000:5,6   2000:7,8 2000:10,11 2000:14,15 2000:21,22 1250:21,22  800:21,22  500:21,22  315:21,22  200:21,22  125:21,22   80:21,22   50:21,22   32:21,22   20:21,22   13:21,22   13:30,31   13:44,45    8:44,45    5:44,45    3:44,45
"""

# Tightened inspection (Table II-B, with row S): AQLSchemes
RESOLVED_TIGHTENED = """
A   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      8:1,2      5:1,2      3:1,2      2:1,2      2:2,3      2:3,4      2:5,6      2:8,9    2:12,13    2:18,19    2:27,28
B   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      8:1,2      5:1,2      3:1,2      3:2,3      3:3,4      3:5,6      3:8,9    3:12,13    3:18,19    3:27,28    3:41,42
C   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1     13:1,2      8:1,2      5:1,2      5:2,3      5:3,4      5:5,6      5:8,9    5:12,13    5:18,19    5:27,28    5:41,42    3:41,42
D   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1     20:1,2     13:1,2      8:1,2      8:2,3      8:3,4      8:5,6      8:8,9    8:12,13    8:18,19    8:27,28    8:41,42    5:41,42    3:41,42
E   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1     32:1,2     20:1,2     13:1,2     13:2,3     13:3,4     13:5,6     13:8,9   13:12,13   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
F   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     50:1,2     32:1,2     20:1,2     20:2,3     20:3,4     20:5,6     20:8,9   20:12,13   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
G   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     80:1,2     50:1,2     32:1,2     32:2,3     32:3,4     32:5,6     32:8,9   32:12,13   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
H   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1    125:1,2     80:1,2     50:1,2     50:2,3     50:3,4     50:5,6     50:8,9   50:12,13   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
J   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1     80:0,1    200:1,2    125:1,2     80:1,2     80:2,3     80:3,4     80:5,6     80:8,9   80:12,13   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
K   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    125:0,1    315:1,2    200:1,2    125:1,2    125:2,3    125:3,4    125:5,6    125:8,9  125:12,13  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
L   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    200:0,1    500:1,2    315:1,2    200:1,2    200:2,3    200:3,4    200:5,6    200:8,9  200:12,13  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
M   2000:0,1   1250:0,1    800:0,1    500:0,1    315:0,1    800:1,2    500:1,2    315:1,2    315:2,3    315:3,4    315:5,6    315:8,9  315:12,13  315:18,19  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
N   2000:0,1   1250:0,1    800:0,1    500:0,1   1250:1,2    800:1,2    500:1,2    500:2,3    500:3,4    500:5,6    500:8,9  500:12,13  500:18,19  315:18,19  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
P   2000:0,1   1250:0,1    800:0,1   2000:1,2   1250:1,2    800:1,2    800:2,3    800:3,4    800:5,6    800:8,9  800:12,13  800:18,19  500:18,19  315:18,19  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
Q   2000:0,1   1250:0,1   3150:1,2   2000:1,2   1250:1,2   1250:2,3   1250:3,4   1250:5,6   1250:8,9 1250:12,13 1250:18,19  800:18,19  500:18,19  315:18,19  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
R   2000:0,1   1250:0,1   3150:1,2   2000:1,2   2000:2,3   2000:3,4   2000:5,6   2000:8,9 2000:12,13 2000:18,19 1250:18,19  800:18,19  500:18,19  315:18,19  200:18,19  125:18,19   80:18,19   50:18,19   32:18,19   20:18,19   13:18,19   13:27,28   13:41,42    8:41,42    5:41,42    3:41,42
"""

# Reduced inspection (Table II-C, Z1.4-2003): derived by hand from the cells above; rows A
# and B at the loosest AQLs and the AQL 1000 column as settled in tables.py (= AQLSchemes)
RESOLVED_REDUCED = """
A     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      2:0,1      2:0,1      2:0,2      2:0,2      2:1,2      2:2,3      2:3,4      2:5,6      2:7,8    2:10,11    2:14,15    2:21,22    2:30,31
B     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      2:0,1      2:0,1      2:0,2      2:0,2      2:1,3      2:2,4      2:3,5      2:5,6      2:7,8    2:10,11    2:14,15    2:21,22    2:30,31
C     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      2:0,1      3:0,2      2:0,2      2:1,3      2:1,4      2:2,5      2:3,6      2:5,8     2:7,10    2:10,13    2:14,17    2:21,24    2:30,31
D     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      2:0,1      5:0,2      3:0,2      3:1,3      3:1,4      3:2,5      3:3,6      3:5,8     3:7,10    3:10,13    3:14,17    3:21,24    2:21,24    2:30,31
E     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1      3:0,1      8:0,2      5:0,2      5:1,3      5:1,4      5:2,5      5:3,6      5:5,8     5:7,10    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
F     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1      5:0,1     13:0,2      8:0,2      8:1,3      8:1,4      8:2,5      8:3,6      8:5,8     8:7,10    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
G     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1      8:0,1     20:0,2     13:0,2     13:1,3     13:1,4     13:2,5     13:3,6     13:5,8    13:7,10   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
H     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     13:0,1     32:0,2     20:0,2     20:1,3     20:1,4     20:2,5     20:3,6     20:5,8    20:7,10   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
J     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     20:0,1     50:0,2     32:0,2     32:1,3     32:1,4     32:2,5     32:3,6     32:5,8    32:7,10   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
K     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1     32:0,1     80:0,2     50:0,2     50:1,3     50:1,4     50:2,5     50:3,6     50:5,8    50:7,10   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
L     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1     50:0,1    125:0,2     80:0,2     80:1,3     80:1,4     80:2,5     80:3,6     80:5,8    80:7,10   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
M     500:0,1    315:0,1    200:0,1    125:0,1     80:0,1    200:0,2    125:0,2    125:1,3    125:1,4    125:2,5    125:3,6    125:5,8   125:7,10  125:10,13   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
N     500:0,1    315:0,1    200:0,1    125:0,1    315:0,2    200:0,2    200:1,3    200:1,4    200:2,5    200:3,6    200:5,8   200:7,10  200:10,13  125:10,13   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
P     500:0,1    315:0,1    200:0,1    500:0,2    315:0,2    315:1,3    315:1,4    315:2,5    315:3,6    315:5,8   315:7,10  315:10,13  200:10,13  125:10,13   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
Q     500:0,1    315:0,1    800:0,2    500:0,2    500:1,3    500:1,4    500:2,5    500:3,6    500:5,8   500:7,10  500:10,13  315:10,13  200:10,13  125:10,13   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
R     500:0,1    315:0,1    800:0,2    800:1,3    800:1,4    800:2,5    800:3,6    800:5,8   800:7,10  800:10,13  500:10,13  315:10,13  200:10,13  125:10,13   80:10,13   50:10,13   32:10,13   20:10,13   13:10,13    8:10,13    5:10,13    5:14,17    5:21,24    3:21,24    2:21,24    2:30,31
"""


def _cell(token: str) -> tuple[int, int] | Arrow | None:
    if token == "dn":
        return Arrow.DOWN
    if token == "up":
        return Arrow.UP
    if token == "--":
        return None
    ac, re_ = token.split(",")
    return (int(ac), int(re_))


def _by_column(text: str, letters: str) -> dict[tuple[str, str], tuple[int, int] | Arrow | None]:
    header, *lines = text.strip().splitlines()
    assert header.split() == ["AQL", *letters]
    assert [line.split()[0] for line in lines] == list(AQL_LABELS)
    cells: dict[tuple[str, str], tuple[int, int] | Arrow | None] = {}
    for line in lines:
        label, *tokens = line.split()
        for letter, token in zip(letters, tokens, strict=True):
            cells[(letter, label)] = _cell(token)
    return cells


def _resolved(text: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    plans: dict[tuple[str, str], tuple[int, int, int]] = {}
    lines = text.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(LETTERS)
    for line in lines:
        letter, *tokens = line.split()
        for label, token in zip(AQL_LABELS, tokens, strict=True):
            n, numbers = token.split(":")
            ac, re_ = numbers.split(",")
            plans[(letter, label)] = (int(n), int(ac), int(re_))
    return plans


EXPECTED_CELLS = {
    NORMAL: _by_column(II_A_BY_COLUMN, LETTERS),
    TIGHTENED: _by_column(II_B_BY_COLUMN, LETTERS + "S"),
    REDUCED: _by_column(II_C_BY_COLUMN, LETTERS),
}
EXPECTED_N = {NORMAL: NORMAL_N, TIGHTENED: TIGHTENED_N, REDUCED: REDUCED_N}
EXPECTED_PLANS = {
    NORMAL: _resolved(RESOLVED_NORMAL),
    TIGHTENED: _resolved(RESOLVED_TIGHTENED),
    REDUCED: _resolved(RESOLVED_REDUCED),
}
ALL_CELLS = [
    (mode, letter, label) for mode, cells in EXPECTED_CELLS.items() for letter, label in cells
]
ALL_PLANS = [
    (mode, letter, label) for mode, plans in EXPECTED_PLANS.items() for letter, label in plans
]

# A lot size and level that give each code letter (Table I, level II; R needs level III).
LOT_FOR_LETTER: dict[str, tuple[int, str]] = {
    **{letter: (low, "II") for letter, (low, _) in zip(LETTERS, LOT_RANGES, strict=False)},
    "R": (500001, "III"),
}


# ======================================================================================
# Table I
# ======================================================================================
def test_table_i_transcription_is_complete() -> None:
    assert all(len(column) == len(LOT_RANGES) for column in TABLE_I_BY_LEVEL.values())
    assert set(TABLE_I_BY_LEVEL) == {level.value for level in InspectionLevel}


@pytest.mark.parametrize("level", list(TABLE_I_BY_LEVEL))
@pytest.mark.parametrize("index", range(len(LOT_RANGES)))
def test_table_i_every_range_and_level(level: str, index: int) -> None:
    low, high = LOT_RANGES[index]
    expected = TABLE_I_BY_LEVEL[level][index]
    lots = [low, high, (low + high) // 2] if high is not None else [low, 10**6, 10**9]
    for lot in lots:
        assert code_letter(lot, level) == expected, (lot, level)
        assert plan(lot, 1.0, level).code_letter == expected


def test_table_i_default_level_is_ii() -> None:
    assert code_letter(1000) == "J"
    assert plan(1000, 1.0).level is InspectionLevel.II


# ======================================================================================
# Tables II-A, II-B, II-C cell by cell
# ======================================================================================
@pytest.mark.parametrize(("mode", "letter", "label"), ALL_CELLS)
def test_master_table_cell_as_printed(mode: InspectionMode, letter: str, label: str) -> None:
    assert table_cell(letter, label, mode) == EXPECTED_CELLS[mode][(letter, label)]


@pytest.mark.parametrize("mode", list(InspectionMode))
def test_master_table_rows_and_sample_sizes(mode: InspectionMode) -> None:
    expected = EXPECTED_N[mode]
    assert table_letters(mode) == tuple(expected)
    for letter, n in expected.items():
        assert table_sample_size(letter, mode) == n


@pytest.mark.parametrize(("mode", "letter", "label"), ALL_PLANS)
def test_master_plan_after_arrows(mode: InspectionMode, letter: str, label: str) -> None:
    found = master_plan(letter, label, mode)
    assert (found.sample_size, found.accept, found.reject) == EXPECTED_PLANS[mode][(letter, label)]
    assert found.code_letter == letter
    # the plan is a numeric cell of the table, with that row's sample size
    assert table_cell(found.plan_letter, label, mode) == (found.accept, found.reject)
    assert EXPECTED_N[mode][found.plan_letter] == found.sample_size
    cell = EXPECTED_CELLS[mode][(letter, label)]
    rows = table_letters(mode)
    if isinstance(cell, tuple):
        assert found.plan_letter == letter
    elif (mode, letter, label) not in ARROWS_OFF_THE_TABLE:
        moved = rows.index(found.plan_letter) - rows.index(letter)
        assert moved > 0 if cell is Arrow.DOWN else moved < 0


# Up arrows with no plan above: the first plan below is used (AQL Inspector's Rule manual:
# "when using an AQL of 10 and code letter A ... for normal and reduced inspection use code
# letter C"; AQLSchemes agrees).
ARROWS_OFF_THE_TABLE = {(NORMAL, "A", "10"), (REDUCED, "A", "10")}


def test_arrows_off_the_table_are_exactly_the_known_ones() -> None:
    found = set()
    for mode, letter, label in ALL_PLANS:
        cell = EXPECTED_CELLS[mode][(letter, label)]
        if not isinstance(cell, Arrow):
            continue
        rows = table_letters(mode)
        moved = rows.index(master_plan(letter, label, mode).plan_letter) - rows.index(letter)
        if (moved > 0) != (cell is Arrow.DOWN):
            found.add((mode, letter, label))
    assert found == ARROWS_OFF_THE_TABLE


def test_well_known_anchors() -> None:
    # the check against a Table II-A shifted by a row
    assert table_cell("K", 2.5, NORMAL) == (7, 8)
    assert table_sample_size("K", NORMAL) == 125
    assert plan(2000, 2.5) == SamplingPlan(
        code_letter="K",
        plan_letter="K",
        sample_size=125,
        accept=7,
        reject=8,
        hundred_percent=False,
        level=InspectionLevel.II,
        mode=NORMAL,
        aql=2.5,
        lot_size=2000,
    )
    assert table_sample_size("A", NORMAL) == 2
    assert table_sample_size("R", NORMAL) == 2000
    tightened = plan(2000, 2.5, mode="tightened")
    assert (tightened.sample_size, tightened.accept, tightened.reject) == (125, 5, 6)
    reduced = plan(2000, 2.5, mode="reduced")
    assert (reduced.code_letter, reduced.sample_size) == ("K", 50)
    assert (reduced.accept, reduced.reject) == (3, 6)  # a Z1.4 reduced plan with a gap
    big = plan(600000, 0.65, "III")
    assert (big.code_letter, big.sample_size, big.accept, big.reject) == ("R", 2000, 21, 22)


# The 31 reduced plans settled in tables.py (comment above _TABLE_II_C): letter, AQL ->
# (n, Ac, Re) before and after.  Both published implementations give the "after" plans.
REDUCED_SETTLED = {
    ("A", "25"): ((2, 0, 2), (2, 1, 2)),
    ("A", "40"): ((2, 1, 3), (2, 2, 3)),
    ("A", "65"): ((2, 1, 4), (2, 3, 4)),
    ("A", "100"): ((2, 2, 5), (2, 5, 6)),
    ("A", "150"): ((2, 3, 6), (2, 7, 8)),
    ("A", "250"): ((2, 5, 8), (2, 10, 11)),
    ("A", "400"): ((2, 7, 10), (2, 14, 15)),
    ("A", "650"): ((2, 10, 13), (2, 21, 22)),
    ("A", "1000"): ((2, 14, 17), (2, 30, 31)),
    ("B", "40"): ((2, 1, 4), (2, 2, 4)),
    ("B", "65"): ((2, 2, 5), (2, 3, 5)),
    ("B", "100"): ((2, 3, 6), (2, 5, 6)),
    ("B", "150"): ((2, 5, 8), (2, 7, 8)),
    ("B", "250"): ((2, 7, 10), (2, 10, 11)),
    ("B", "400"): ((2, 10, 13), (2, 14, 15)),
    ("B", "650"): ((2, 14, 17), (2, 21, 22)),
    ("B", "1000"): ((2, 21, 24), (2, 30, 31)),
    **{(letter, "1000"): ((2, 21, 24), (2, 30, 31)) for letter in LETTERS[2:]},
}


def test_reduced_settled_cells_are_the_31() -> None:
    assert len(REDUCED_SETTLED) == 31


@pytest.mark.parametrize(("letter", "label"), sorted(REDUCED_SETTLED))
def test_reduced_settled_cell(letter: str, label: str) -> None:
    before, after = REDUCED_SETTLED[(letter, label)]
    found = master_plan(letter, label, REDUCED)
    assert (found.sample_size, found.accept, found.reject) == after != before
    if label == "1000" and letter not in "AB":
        # printed as an up arrow: the first plan above, with its own sample size
        assert table_cell(letter, label, REDUCED) is Arrow.UP
        assert found.plan_letter == "B"
    else:
        assert table_cell(letter, label, REDUCED) == after[1:]
        assert found.plan_letter == letter


def _numeric_by_sample_size(mode: InspectionMode) -> dict[tuple[int, str], list[tuple[int, int]]]:
    out: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for letter in table_letters(mode):
        for label in AQL_LABELS:
            cell = table_cell(letter, label, mode)
            if isinstance(cell, tuple):
                out.setdefault((table_sample_size(letter, mode), label), []).append(cell)
    return out


def test_normal_table_has_one_plan_per_sample_size_and_aql() -> None:
    assert all(len(cells) == 1 for cells in _numeric_by_sample_size(NORMAL).values())


def test_reduced_plans_accept_like_normal_on_the_same_sample() -> None:
    # Rule 1 of tables.py: Ac(reduced) = Ac(normal), Re(reduced) >= Re(normal) for the same
    # sample size and AQL -- every numeric cell that has such a normal plan.
    normal = _numeric_by_sample_size(NORMAL)
    checked = 0
    for key, cells in _numeric_by_sample_size(REDUCED).items():
        if key not in normal:
            continue
        ((ac, re_),) = normal[key]
        for cell in cells:
            assert cell[0] == ac and cell[1] >= re_, (key, cell)
            checked += 1
    assert checked == 109


def test_tightened_plans_are_never_looser_than_normal_on_the_same_sample() -> None:
    # The same cross-check for Table II-B: on the same sample size and AQL it never accepts
    # or rejects on a larger number than Table II-A.
    normal = _numeric_by_sample_size(NORMAL)
    checked = 0
    for key, cells in _numeric_by_sample_size(TIGHTENED).items():
        if key not in normal:
            continue
        ((ac, re_),) = normal[key]
        for cell in cells:
            assert cell[0] <= ac and cell[1] <= re_, (key, cell)
            checked += 1
    assert checked == 121


def test_reduced_gap_plans_in_rows_a_and_b() -> None:
    # Re may exceed Ac + 1 on reduced inspection: B at AQL 40 and 65
    assert master_plan("B", "40", REDUCED).reject - master_plan("B", "40", REDUCED).accept == 2
    assert (master_plan("B", "65", REDUCED).accept, master_plan("B", "65", REDUCED).reject) == (
        3,
        5,
    )


def test_tightened_row_s_holds_only_one_plan() -> None:
    assert table_sample_size("S", TIGHTENED) == 3150
    assert [label for label in AQL_LABELS if table_cell("S", label, TIGHTENED) is not None] == [
        "0.025"
    ]
    assert table_cell("S", "0.025", TIGHTENED) == (1, 2)
    with pytest.raises(SamplingError, match="no plan"):
        master_plan("S", "0.010", TIGHTENED)


# ======================================================================================
# Arrows, worked by hand from the tables
# ======================================================================================
@pytest.mark.parametrize(
    ("lot", "aql", "level", "mode", "letters", "n", "ac", "re"),
    [
        # lot 50, level II -> D (n=8); D and E at 0.65 are down arrows; F: n=20, 0/1
        (50, 0.65, "II", NORMAL, ("D", "F"), 20, 0, 1),
        # lot 20, level I -> B; B and C at 1.5 point down; D: n=8, 0/1
        (20, 1.5, "I", NORMAL, ("B", "D"), 8, 0, 1),
        # no arrow: lot 1000 -> J, n=80, 3/4
        (1000, 1.5, "II", NORMAL, ("J", "J"), 80, 3, 4),
        # lot 150 -> F; F at 1.0 points up; E: n=13, 0/1
        (150, 1.0, "II", NORMAL, ("F", "E"), 13, 0, 1),
        # lot 500 -> H; H at 0.65 points down; J: n=80, 1/2
        (500, 0.65, "II", NORMAL, ("H", "J"), 80, 1, 2),
        # lot 1000 -> J; J at 25 points up; H: n=50, 21/22
        (1000, 25, "II", NORMAL, ("J", "H"), 50, 21, 22),
        # lot 5000 -> L; up arrows at 100 from L to F; E: n=13, 21/22
        (5000, 100, "II", NORMAL, ("L", "E"), 13, 21, 22),
        # lot 2 (A) at 0.010: down arrows all the way to Q; n=1250 >= lot -> 100 %
        (2, 0.010, "II", NORMAL, ("A", "Q"), 2, 0, 1),
        # tightened: lot 2000 -> K; K at 0.40 points down; L: n=200, 1/2
        (2000, 0.40, "II", TIGHTENED, ("K", "L"), 200, 1, 2),
        # tightened Q and R at 0.025 point down to the extra row S: n=3150, 1/2
        (600000, 0.025, "II", TIGHTENED, ("Q", "S"), 3150, 1, 2),
        (600000, 0.025, "III", TIGHTENED, ("R", "S"), 3150, 1, 2),
        # reduced: lot 125, level III -> G; G at 1.0 points down; H: n=20, 0/2 (Z1.4)
        (125, 1.0, "III", REDUCED, ("G", "H"), 20, 0, 2),
    ],
)
def test_arrow_following(
    lot: int,
    aql: float,
    level: str,
    mode: InspectionMode,
    letters: tuple[str, str],
    n: int,
    ac: int,
    re: int,
) -> None:
    result = plan(lot, aql, level, mode)
    assert (result.code_letter, result.plan_letter) == letters
    assert (result.sample_size, result.accept, result.reject) == (n, ac, re)


@pytest.mark.parametrize(
    ("mode", "letter", "aql", "plan_letter", "n", "ac", "re"),
    [
        (NORMAL, "A", 10, "C", 5, 1, 2),  # printed up arrow, nothing above
        (REDUCED, "A", 10, "C", 2, 0, 2),  # printed up arrow, nothing above
        (TIGHTENED, "A", 10, "D", 8, 1, 2),  # printed down arrow
        (NORMAL, "R", 0.015, "P", 800, 0, 1),  # no row below R
        (REDUCED, "R", 0.015, "P", 315, 0, 1),
        (TIGHTENED, "R", 0.015, "Q", 1250, 0, 1),
        (NORMAL, "R", 0.010, "Q", 1250, 0, 1),
        (TIGHTENED, "R", 0.010, "R", 2000, 0, 1),
    ],
)
def test_edge_of_table_cells(
    mode: InspectionMode, letter: str, aql: float, plan_letter: str, n: int, ac: int, re: int
) -> None:
    found = master_plan(letter, aql, mode)
    assert (found.plan_letter, found.sample_size, found.accept, found.reject) == (
        plan_letter,
        n,
        ac,
        re,
    )


@pytest.mark.parametrize("mode", list(InspectionMode))
def test_larger_code_letters_never_give_smaller_samples_or_acceptance_numbers(
    mode: InspectionMode,
) -> None:
    for label in AQL_LABELS:
        plans = [master_plan(letter, label, mode) for letter in CODE_LETTERS]
        sizes = [p.sample_size for p in plans]
        accepts = [p.accept for p in plans]
        assert sizes == sorted(sizes), label
        assert accepts == sorted(accepts), label


@pytest.mark.parametrize("mode", list(InspectionMode))
def test_looser_aqls_never_give_smaller_acceptance_numbers(mode: InspectionMode) -> None:
    for letter in CODE_LETTERS:
        accepts = [master_plan(letter, label, mode).accept for label in AQL_LABELS]
        assert accepts == sorted(accepts), letter


# ======================================================================================
# 100 % inspection
# ======================================================================================
@pytest.mark.parametrize(
    ("lot", "aql", "level", "mode", "table_n", "ac", "re"),
    [
        (2, 6.5, "II", NORMAL, 2, 0, 1),  # n == lot
        (5, 10, "II", NORMAL, 5, 1, 2),  # A -> C, n == lot
        (8, 0.010, "II", NORMAL, 1250, 0, 1),  # A -> Q
        (1201, 0.010, "II", NORMAL, 1250, 0, 1),  # K -> Q
        (1250, 0.010, "II", NORMAL, 1250, 0, 1),  # n == lot
        (3, 4.0, "S-1", REDUCED, 2, 0, 1),  # reduced A at 4.0 -> B, n=2 < 3: sampled
        (9, 0.65, "II", TIGHTENED, 32, 0, 1),  # B -> G on tightened
    ],
)
def test_hundred_percent_when_sample_reaches_lot(
    lot: int, aql: float, level: str, mode: InspectionMode, table_n: int, ac: int, re: int
) -> None:
    result = plan(lot, aql, level, mode)
    assert table_sample_size(result.plan_letter, mode) == table_n
    assert result.hundred_percent is (table_n >= lot)
    assert result.sample_size == min(table_n, lot)
    assert (result.accept, result.reject) == (ac, re)


def test_no_hundred_percent_just_above_the_sample_size() -> None:
    result = plan(1251, 0.010)
    assert (result.hundred_percent, result.sample_size) == (False, 1250)
    inside = plan(1250, 0.010)
    assert (inside.hundred_percent, inside.sample_size) == (True, 1250)


@settings(max_examples=300, deadline=None)
@given(
    lot=st.integers(min_value=2, max_value=10**7),
    aql=st.sampled_from(AQL_SERIES),
    level=st.sampled_from(list(InspectionLevel)),
    mode=st.sampled_from(list(InspectionMode)),
)
def test_plan_properties(
    lot: int, aql: float, level: InspectionLevel, mode: InspectionMode
) -> None:
    result = plan(lot, aql, level, mode)
    table_n = table_sample_size(result.plan_letter, mode)
    assert result.code_letter == code_letter(lot, level)
    assert result.code_letter in CODE_LETTERS
    assert result.hundred_percent is (table_n >= lot)
    assert result.sample_size == min(table_n, lot)
    assert 0 <= result.accept < result.reject
    assert table_cell(result.plan_letter, aql, mode) == (result.accept, result.reject)
    assert (result.lot_size, result.aql, result.level, result.mode) == (lot, aql, level, mode)


# ======================================================================================
# Inputs
# ======================================================================================
def test_strings_are_accepted() -> None:
    assert plan(500, "1.0", "II", "normal") == plan(500, 1.0, InspectionLevel.II, NORMAL)
    assert plan(500, "1", "ii", "NORMAL") == plan(500, 1.0)
    assert plan(500, "0.65", "S-3", "Reduced").mode is REDUCED


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I", InspectionLevel.I),
        ("ii", InspectionLevel.II),
        (" III ", InspectionLevel.III),
        ("S-1", InspectionLevel.S1),
        ("s-2", InspectionLevel.S2),
        ("S3", InspectionLevel.S3),
        ("s4", InspectionLevel.S4),
        (InspectionLevel.II, InspectionLevel.II),
    ],
)
def test_parse_level(text: str, level: InspectionLevel) -> None:
    assert parse_level(text) is level


def test_level_values_are_the_printed_names() -> None:
    assert [level.value for level in InspectionLevel] == [
        "I",
        "II",
        "III",
        "S-1",
        "S-2",
        "S-3",
        "S-4",
    ]
    assert [mode.value for mode in InspectionMode] == ["normal", "tightened", "reduced"]


@pytest.mark.parametrize(
    ("text", "mode"),
    [("normal", NORMAL), ("Tightened", TIGHTENED), (" REDUCED ", REDUCED), (REDUCED, REDUCED)],
)
def test_parse_mode(text: str, mode: InspectionMode) -> None:
    assert parse_mode(text) is mode


@pytest.mark.parametrize(
    ("value", "expected", "label"),
    [
        ("0.01", 0.010, "0.010"),
        ("0.010", 0.010, "0.010"),
        (0.015, 0.015, "0.015"),
        ("1", 1.0, "1.0"),
        (1, 1.0, "1.0"),
        (" 6.5 ", 6.5, "6.5"),
        (10, 10.0, "10"),
        ("1000", 1000.0, "1000"),
    ],
)
def test_parse_aql(value: float | str, expected: float, label: str) -> None:
    assert parse_aql(value) == expected
    assert aql_label(value) == label


def test_aql_series_is_the_standards() -> None:
    assert AQL_SERIES == (
        0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5,
        4.0, 6.5, 10, 15, 25, 40, 65, 100, 150, 250, 400, 650, 1000,
    )  # fmt: skip
    assert len(AQL_LABELS) == len(AQL_SERIES) == 26


@pytest.mark.parametrize(
    "aql", [3.0, 0, -1, 0.02, 2000, "abc", "", "1,0", math.nan, math.inf, True, None]
)
def test_bad_aql(aql: object) -> None:
    with pytest.raises(SamplingError, match=r"valid AQLs: 0\.010, 0\.015, .*, 650, 1000"):
        plan(100, aql)  # type: ignore[arg-type]


@pytest.mark.parametrize("lot", [1, 0, -5])
def test_lot_too_small(lot: int) -> None:
    with pytest.raises(SamplingError, match="valid lot sizes: 2 and over"):
        plan(lot, 1.0)


@pytest.mark.parametrize("lot", [2.5, "100", True, None])
def test_lot_not_a_whole_number(lot: object) -> None:
    with pytest.raises(SamplingError, match="whole number"):
        plan(lot, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["IV", "S-5", "S", "", "G2", None, 2])
def test_bad_level(level: object) -> None:
    with pytest.raises(SamplingError, match="valid levels: I, II, III, S-1, S-2, S-3, S-4"):
        plan(100, 1.0, level)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["strict", "", "normal inspection", None, 1])
def test_bad_mode(mode: object) -> None:
    with pytest.raises(SamplingError, match="valid modes: normal, tightened, reduced"):
        plan(100, 1.0, "II", mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("letter", "mode"), [("I", NORMAL), ("O", NORMAL), ("S", REDUCED), ("a", NORMAL)]
)
def test_bad_code_letter(letter: str, mode: InspectionMode) -> None:
    with pytest.raises(SamplingError, match="valid letters: A, B, C"):
        table_cell(letter, 1.0, mode)
    with pytest.raises(SamplingError, match="valid letters"):
        master_plan(letter, 1.0, mode)


def test_sampling_error_is_a_value_error() -> None:
    assert issubclass(SamplingError, ValueError)


def test_accepts_uses_the_rejection_number() -> None:
    normal = plan(2000, 2.5)  # 7/8
    assert normal.accepts(7) and not normal.accepts(8)
    reduced = plan(2000, 2.5, mode=REDUCED)  # 3/6: 4 and 5 still accept the lot
    assert reduced.accepts(5) and not reduced.accepts(6)
    with pytest.raises(SamplingError):
        normal.accepts(-1)


# ======================================================================================
# Switching rules -- examples
# ======================================================================================
def _lots(state: SwitchingState, results: str, **kwargs: object) -> SwitchingState:
    """Apply lots written as 'A' (accepted) / 'R' (not accepted), Ac 1 plans."""
    for result in results:
        state = next_state(state, result == "A", acceptance_number=1, **kwargs)  # type: ignore[arg-type]
    return state


def test_start_is_normal_with_zero_score() -> None:
    state = SwitchingState()
    assert (state.mode, state.switching_score, state.discontinued) == (NORMAL, 0, False)


def test_two_rejections_in_five_lots_tighten() -> None:
    assert _lots(SwitchingState(), "ARAAR").mode is TIGHTENED
    assert _lots(SwitchingState(), "RR").mode is TIGHTENED
    assert _lots(SwitchingState(), "RAAAR").mode is TIGHTENED


def test_two_rejections_six_lots_apart_do_not_tighten() -> None:
    state = _lots(SwitchingState(), "RAAAAR")
    assert state.mode is NORMAL
    assert state.recent_results == (True, True, True, True, False)


def test_tightened_returns_to_normal_after_five_accepted() -> None:
    state = _lots(SwitchingState(), "RR")
    state = _lots(state, "AAAA")
    assert (state.mode, state.consecutive_accepted) == (TIGHTENED, 4)
    state = _lots(state, "A")
    assert state == SwitchingState(mode=NORMAL)


def test_a_rejection_on_tightened_restarts_the_count() -> None:
    state = _lots(SwitchingState(), "RR" + "AAAAR" + "AAAA")
    assert (state.mode, state.consecutive_accepted, state.rejected_while_tightened) == (
        TIGHTENED,
        4,
        1,
    )


def test_five_rejections_on_tightened_discontinue() -> None:
    state = _lots(SwitchingState(), "RR" + "RARARAAR")
    assert state.rejected_while_tightened == 4 and not state.discontinued
    state = _lots(state, "R")
    assert state.discontinued and state.mode is TIGHTENED
    with pytest.raises(SamplingError, match="discontinued"):
        _lots(state, "A")
    resumed = resume_inspection(state)
    assert resumed == SwitchingState(mode=TIGHTENED)
    with pytest.raises(SamplingError, match="not discontinued"):
        resume_inspection(resumed)


def test_switching_score_with_acceptance_number_0_or_1() -> None:
    state = _lots(SwitchingState(), "A" * 14)
    assert (state.mode, state.switching_score) == (NORMAL, 28)
    assert _lots(state, "A").mode is REDUCED


def test_switching_score_with_acceptance_number_2_or_more() -> None:
    state = SwitchingState()
    for _ in range(9):
        state = next_state(state, True, acceptance_number=5, accepted_one_step_tighter=True)
    assert (state.mode, state.switching_score) == (NORMAL, 27)
    # accepted, but not within the tighter plan: back to 0, and no tightening either
    dropped = next_state(state, True, acceptance_number=5, accepted_one_step_tighter=False)
    assert (dropped.mode, dropped.switching_score) == (NORMAL, 0)
    assert next_state(state, True, acceptance_number=5, accepted_one_step_tighter=True).mode is (
        REDUCED
    )


def test_a_rejection_resets_the_switching_score() -> None:
    state = _lots(SwitchingState(), "AAAAAR")
    assert (state.mode, state.switching_score) == (NORMAL, 0)


def test_reduced_needs_steady_production_and_approval() -> None:
    state = _lots(SwitchingState(), "A" * 15, authority_approves_reduced=False)
    assert (state.mode, state.switching_score) == (NORMAL, 30)
    state = _lots(state, "A", production_steady=False)
    assert (state.mode, state.switching_score) == (NORMAL, 32)
    assert _lots(state, "A").mode is REDUCED


def test_reduced_returns_to_normal() -> None:
    reduced = SwitchingState(mode=REDUCED)
    assert _lots(reduced, "AAA").mode is REDUCED
    assert _lots(reduced, "R") == SwitchingState(mode=NORMAL)
    assert _lots(reduced, "A", production_steady=False) == SwitchingState(mode=NORMAL)
    assert next_state(reduced, True, reinstate_normal=True) == SwitchingState(mode=NORMAL)


def test_score_inputs_are_required_and_consistent() -> None:
    with pytest.raises(SamplingError, match="acceptance_number"):
        next_state(SwitchingState(), True)
    with pytest.raises(SamplingError, match="accepted_one_step_tighter"):
        next_state(SwitchingState(), True, acceptance_number=2)
    with pytest.raises(SamplingError, match="tighter"):
        updated_switching_score(
            0, accepted=False, acceptance_number=3, accepted_one_step_tighter=True
        )
    with pytest.raises(SamplingError):
        updated_switching_score(0, accepted=True, acceptance_number=-1)
    assert updated_switching_score(7, accepted=True, acceptance_number=0) == 9
    assert updated_switching_score(7, accepted=False, acceptance_number=1) == 0
    assert (
        updated_switching_score(
            7, accepted=True, acceptance_number=2, accepted_one_step_tighter=True
        )
        == 10
    )


# ======================================================================================
# Switching rules -- record_lot with real plans
# ======================================================================================
def test_tighter_acceptance_number_for_every_plan_with_ac_2_or_more() -> None:
    checked = 0
    for letter, (lot, level) in LOT_FOR_LETTER.items():
        for index, label in enumerate(AQL_LABELS):
            result = plan(lot, label, level)
            assert result.code_letter == letter
            if result.accept < 2:
                continue
            left = EXPECTED_CELLS[NORMAL][(result.plan_letter, AQL_LABELS[index - 1])]
            assert isinstance(left, tuple)
            assert tighter_acceptance_number(result) == left[0] < result.accept
            checked += 1
    assert checked > 100


def test_record_lot_scores_against_the_tighter_plan() -> None:
    k = plan(2000, 2.5)  # K: 125, 7/8; one step tighter (1.5): 5/6
    assert tighter_acceptance_number(k) == 5
    state = record_lot(SwitchingState(), k, 5)
    assert state.switching_score == 3
    state = record_lot(state, k, 6)  # accepted, but not at AQL 1.5
    assert (state.mode, state.switching_score, state.recent_results) == (NORMAL, 0, (True, True))
    state = record_lot(state, k, 8)
    assert state.recent_results[-1] is False
    for _ in range(10):
        state = record_lot(state, k, 0)
    assert state.mode is REDUCED


def test_record_lot_with_small_acceptance_numbers() -> None:
    h = plan(500, 1.0)  # H: 50, 1/2
    state = record_lot(SwitchingState(), h, 1)
    assert state.switching_score == 2
    state = record_lot(state, h, 2)
    assert (state.switching_score, state.recent_results) == (0, (True, False))


def test_record_lot_reduced_gap_reinstates_normal() -> None:
    reduced_plan = plan(2000, 2.5, mode=REDUCED)  # K: 50, Ac 3, Re 6
    reduced = SwitchingState(mode=REDUCED)
    assert record_lot(reduced, reduced_plan, 3).mode is REDUCED
    assert record_lot(reduced, reduced_plan, 4) == SwitchingState(mode=NORMAL)
    assert record_lot(reduced, reduced_plan, 6) == SwitchingState(mode=NORMAL)
    assert record_lot(reduced, reduced_plan, 0, production_steady=False).mode is NORMAL


def test_record_lot_counts_above_the_sample_size_for_nonconformities() -> None:
    per_hundred = plan(2000, 100)  # K at 100 -> E: 13, 21/22 (nonconformities per 100 items)
    assert (per_hundred.plan_letter, per_hundred.sample_size) == ("E", 13)
    assert record_lot(SwitchingState(), per_hundred, 20).recent_results == (True,)


def test_record_lot_rejects_bad_input() -> None:
    with pytest.raises(SamplingError, match="tightened"):
        record_lot(SwitchingState(), plan(2000, 2.5, mode=TIGHTENED), 0)
    with pytest.raises(SamplingError, match="0 or more"):
        record_lot(SwitchingState(), plan(2000, 2.5), -1)
    with pytest.raises(SamplingError, match="whole number"):
        record_lot(SwitchingState(), plan(2000, 2.5), 1.5)  # type: ignore[arg-type]


def test_a_resubmitted_lot_does_not_count_in_switching() -> None:
    normal = _lots(SwitchingState(), "AR")  # one rejection: a second would tighten
    resubmitted = plan(2000, 2.5, mode=TIGHTENED)  # inspected on tightened, stream on normal
    for count in (0, 5, 6, 40):  # accepted or rejected, the state stays as it was
        assert record_lot(normal, resubmitted, count, resubmitted=True) == normal
    reduced = SwitchingState(mode=REDUCED, consecutive_accepted=3)
    assert record_lot(reduced, resubmitted, 9, resubmitted=True) == reduced
    # the same lot as an original one would have tightened the stream
    assert record_lot(normal, plan(2000, 2.5), 8).mode is TIGHTENED
    stopped = _lots(SwitchingState(), "RR" + "RRRRR")
    with pytest.raises(SamplingError, match="discontinued"):
        record_lot(stopped, resubmitted, 0, resubmitted=True)
    with pytest.raises(SamplingError, match="0 or more"):
        record_lot(normal, resubmitted, -1, resubmitted=True)


def test_resubmission_mode_is_tightened_unless_the_authority_says_normal() -> None:
    assert resubmission_mode() is TIGHTENED is RESUBMISSION_MODE
    assert resubmission_mode("normal") is NORMAL
    assert resubmission_mode(TIGHTENED) is TIGHTENED
    with pytest.raises(SamplingError, match="not reduced"):
        resubmission_mode("reduced")
    with pytest.raises(SamplingError, match="valid modes"):
        resubmission_mode("lenient")


def test_reinstate_normal() -> None:
    stopped = _lots(SwitchingState(), "RR" + "RRRRR")
    assert stopped.discontinued
    with pytest.raises(SamplingError, match=r"resumes on tightened .*clause 9\.4"):
        reinstate_normal(stopped)  # a supervisor may not skip the resumption on tightened
    assert reinstate_normal(SwitchingState(mode=REDUCED, consecutive_accepted=7)) == (
        SwitchingState()
    )
    tightened = _lots(SwitchingState(), "RR" + "AAAA")
    with pytest.raises(SamplingError, match="4 so far, 1 more needed"):
        reinstate_normal(tightened)
    assert reinstate_normal(SwitchingState(mode=TIGHTENED, consecutive_accepted=5)) == (
        SwitchingState()
    )
    with pytest.raises(SamplingError, match="normal inspection already"):
        reinstate_normal(SwitchingState())
    # afterwards the rules run from a fresh normal state: one rejection does not tighten
    reduced = SwitchingState(mode=REDUCED, consecutive_accepted=7)
    assert _lots(reinstate_normal(reduced), "R").mode is NORMAL


def test_start_tightened() -> None:
    scored = _lots(SwitchingState(), "AAAA")
    started = start_tightened(scored)
    assert started == SwitchingState(mode=TIGHTENED)
    assert start_tightened(SwitchingState(mode=REDUCED)) == started
    with pytest.raises(SamplingError, match="tightened inspection already"):
        start_tightened(started)
    with pytest.raises(SamplingError, match="resume"):
        start_tightened(_lots(SwitchingState(), "RR" + "RRRRR"))
    # respected afterwards: five accepted lots return it to normal, five rejected stop it
    assert _lots(started, "AAAAA") == SwitchingState()
    assert _lots(started, "RRRRR").discontinued


# ======================================================================================
# Switching rules -- stateful test against a model kept here
# ======================================================================================
class SwitchingModel:
    """The clause 9 rules written plainly over full lot histories."""

    def __init__(self) -> None:
        self.mode = "normal"
        self.history: list[bool] = []  # lots since the current severity began
        self.score = 0
        self.stopped = False

    def _enter(self, mode: str) -> None:
        self.mode, self.history, self.score = mode, [], 0

    def lot(
        self,
        accepted: bool,
        ac: int,
        tighter_ok: bool,
        steady: bool,
        approve: bool,
        reinstate: bool,
    ) -> None:
        self.history.append(accepted)
        if self.mode == "normal":
            if ac >= 2:
                self.score = self.score + 3 if tighter_ok else 0
            else:
                self.score = self.score + 2 if accepted else 0
            if not accepted and self.history[-5:].count(False) >= 2:
                self._enter("tightened")
            elif self.score >= 30 and steady and approve:
                self._enter("reduced")
        elif self.mode == "tightened":
            if self.history[-5:] == [True] * 5:
                self._enter("normal")
            elif self.history.count(False) >= 5:
                self.stopped = True
        elif not accepted or not steady or reinstate:
            self._enter("normal")

    def run_of_accepted(self) -> int:
        run = 0
        for result in reversed(self.history):
            if not result:
                break
            run += 1
        return run


class SwitchingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = SwitchingState()
        self.model = SwitchingModel()

    def _apply(
        self,
        accepted: bool,
        ac: int,
        tighter_ok: bool,
        steady: bool,
        approve: bool,
        reinstate: bool,
        new: SwitchingState,
    ) -> None:
        self.model.lot(accepted, ac, tighter_ok, steady, approve, reinstate)
        self.state = new
        assert self.state.mode.value == self.model.mode
        assert self.state.discontinued is self.model.stopped
        assert self.state.consecutive_accepted == self.model.run_of_accepted()
        if self.model.mode == "normal":
            assert self.state.switching_score == self.model.score
            assert self.state.recent_results == tuple(self.model.history[-5:])
        if self.model.mode == "tightened":
            assert self.state.rejected_while_tightened == self.model.history.count(False)

    @precondition(lambda self: not self.model.stopped)
    @rule(
        accepted=st.booleans(),
        ac=st.sampled_from([0, 1, 2, 3, 5, 21]),
        tighter=st.booleans(),
        steady=st.booleans(),
        approve=st.booleans(),
        reinstate=st.booleans(),
    )
    def lot(
        self, accepted: bool, ac: int, tighter: bool, steady: bool, approve: bool, reinstate: bool
    ) -> None:
        tighter_ok = tighter and accepted
        new = next_state(
            self.state,
            accepted,
            acceptance_number=ac,
            accepted_one_step_tighter=tighter_ok,
            production_steady=steady,
            authority_approves_reduced=approve,
            reinstate_normal=reinstate,
        )
        self._apply(accepted, ac, tighter_ok, steady, approve, reinstate, new)

    @precondition(lambda self: not self.model.stopped)
    @rule(ac=st.sampled_from([0, 1, 7]))
    def good_lot(self, ac: int) -> None:
        new = next_state(self.state, True, acceptance_number=ac, accepted_one_step_tighter=True)
        self._apply(True, ac, True, True, True, False, new)

    @precondition(lambda self: not self.model.stopped)
    @rule(
        lot=st.integers(min_value=2, max_value=600000),
        aql=st.sampled_from(AQL_SERIES),
        level=st.sampled_from(list(InspectionLevel)),
        count=st.integers(min_value=0, max_value=25),
        steady=st.booleans(),
    )
    def real_lot(
        self, lot: int, aql: float, level: InspectionLevel, count: int, steady: bool
    ) -> None:
        lot_plan = plan(lot, aql, level, self.state.mode)
        accepted = count < lot_plan.reject
        reinstate = self.state.mode is REDUCED and lot_plan.accept < count < lot_plan.reject
        tighter_ok = False
        if self.state.mode is NORMAL and lot_plan.accept >= 2:
            index = AQL_LABELS.index(aql_label(aql))
            left = EXPECTED_CELLS[NORMAL][(lot_plan.plan_letter, AQL_LABELS[index - 1])]
            assert isinstance(left, tuple)
            tighter_ok = count <= left[0]
        new = record_lot(self.state, lot_plan, count, production_steady=steady)
        self._apply(accepted, lot_plan.accept, tighter_ok, steady, True, reinstate, new)

    @precondition(lambda self: self.model.stopped)
    @rule()
    def stopped_then_resumed(self) -> None:
        with pytest.raises(SamplingError, match="discontinued"):
            next_state(self.state, True, acceptance_number=0)
        self.state = resume_inspection(self.state)
        self.model = SwitchingModel()
        self.model.mode = "tightened"

    @invariant()
    def counters_are_sane(self) -> None:
        assert len(self.state.recent_results) <= 5
        if self.state.mode is not NORMAL:
            assert self.state.switching_score == 0
            assert self.state.recent_results == ()
        if self.state.mode is not TIGHTENED:
            assert self.state.rejected_while_tightened == 0
        if self.state.discontinued:
            assert self.state.mode is TIGHTENED
            assert self.state.rejected_while_tightened == 5


TestSwitchingRules = SwitchingMachine.TestCase
TestSwitchingRules.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
