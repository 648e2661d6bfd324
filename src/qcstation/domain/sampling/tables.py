"""ISO 2859-1 / ANSI/ASQ Z1.4 tables I and II-A/B/C, their parsing, and input checks.

What is here
------------
* Table I (sample size code letters) and the single sampling master tables II-A (normal),
  II-B (tightened) and II-C (reduced), written out below as text that mirrors the printed
  tables line by line, so a reviewer can lay the standard beside this file and compare.
* Parsing of levels, modes and AQLs with errors that list the valid values, and the
  look-ups by code letter. The plans (:mod:`.plans`) and the switching rules
  (:mod:`.switching`) build on these; the notes below on arrows, Table II-C and the
  switching score apply to them too.

Sources and decisions (read before changing a cell)
---------------------------------------------------
The tables were transcribed and then checked against independent public sources:

1. MIL-STD-105E (public domain; ANSI/ASQ Z1.4-2003 states its tables are unchanged from it)
   -- a text copy of Table II-A gives the numeric cells of every row; an ASCII rendering of
   II-A and II-B for AQL 0.65...15 (NIBS "AC-TABLE") gives the arrows there.
2. The resolved plans (n, Ac, Re for every code letter x AQL, arrows already followed) of the
   R package AQLSchemes (J. Lawson, "MIL-STD-105E ANSI/ASQ Z1.4").  Tables II-A and II-B
   below reproduce all 832 of its normal and tightened plans exactly.
3. The "AQL Inspector's Rule" manual (ANSI and ISO versions), for the cells where an arrow
   runs off the table (see below) and for one reduced-inspection example.
4. Table I as given by AQLSchemes, by vendor charts citing ISO 2859-1 / Z1.4 and by a copy of
   GOST R ISO 2859-1 -- all agree.

Every master table has a diagonal structure: along a diagonal of constant n x AQL (code letter
index + AQL column index = const) every cell carries the same entry.  Normal inspection reads,
going down a column from the first plan: 0/1, up-arrow, down-arrow, 1/2, 2/3, 3/4, 5/6, 7/8,
10/11, 14/15, 21/22, then up-arrows; rows A-E continue with 30/31 and 44/45 for the
"nonconformities per 100 items" AQLs.  The tables below follow that structure everywhere
except at the printed exceptions noted here.

* Code letter K, n = 125, AQL 2.5 gives Ac 7 Re 8 (normal) and Ac 5 Re 6 (tightened): the
  check against transcriptions that shift Table II-A by a row.
* Arrows off the edge of the table.  Table II-A/II-C code letter A at AQL 10 prints an up
  arrow with no plan above it.  Both the AQL Inspector's Rule manual ("for normal and reduced
  inspection use code letter C") and AQLSchemes take the first plan *below* instead, and so
  does :func:`master_plan`: when an arrow leads off the table, the plan is looked for in the
  other direction.  Code letter R at AQL 0.015 is written as an up arrow in all three tables:
  there is no row below it (a down arrow, as the diagonal would suggest, could not be
  followed) and every source resolves it upwards (normal: P, n = 800, 0/1; reduced: P, n = 315,
  0/1).  Whether the printed glyph there is an up arrow or a down arrow could not be confirmed;
  the resulting plan is the same either way.
* Table II-B (tightened) prints a down arrow, not 0/1, for code letter A at AQL 10 (-> D,
  n = 8, 1/2), and has an extra row S (n = 3150) holding only 1/2 under AQL 0.025, reached
  from code letters Q and R.
* Table II-C (reduced) is the ANSI/ASQ Z1.4-2003 (= MIL-STD-105E) table, whose rejection
  numbers are not always Ac + 1 (0/2, 1/3, 1/4, 2/5, 3/6, 5/8, 7/10, 10/13, 14/17, 21/24).
  Under such a plan a lot with Ac < d < Re is accepted but normal inspection is reinstated
  (Z1.4 clause 10.1.4); :func:`record_lot` applies that.  NOTE: ISO 2859-1:1999 is *not*
  identical here -- its foreword says the reduced plans "have been changed to eliminate the
  gap between the acceptance and rejection numbers" (e.g. ISO: code letter G, AQL 1.0 reduced
  -> J, n = 32, 1/2, where Z1.4 gives H, n = 20, 0/2).  The ISO 1999 Table 2-C could not be
  transcribed from an available source, so it is not provided.
* Table II-C rows A and B for the loosest AQLs do not follow the diagonal: they follow the
  rule that ties every reduced plan to the normal plan with the same sample size.  The
  cells, the rule and how each was settled are in the comment above ``_TABLE_II_C``.

What the tables are, in one sentence (the lot page and the README say the same): the plans
are ANSI/ASQ Z1.4's (= MIL-STD-105E) Tables I and II-A/B/C; the rule for moving from normal
to reduced inspection is ISO 2859-1:1999's switching score.

The switching score (clause 9.3.3.2) is the ISO 2859-1:1999 rule; ANSI/ASQ Z1.4-2003 instead
keeps the (optional) limit numbers of its Table VIII.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias


class SamplingError(ValueError):
    """A lot size, AQL, level, severity or lot result that the standard cannot take."""


class InspectionLevel(str, Enum):
    """General inspection levels I, II (the default), III and special levels S-1 ... S-4."""

    I = "I"  # noqa: E741 -- the level's name in the standard
    II = "II"
    III = "III"
    S1 = "S-1"
    S2 = "S-2"
    S3 = "S-3"
    S4 = "S-4"


class InspectionMode(str, Enum):
    """Severity of inspection (clause 9): which master table is used."""

    NORMAL = "normal"
    TIGHTENED = "tightened"
    REDUCED = "reduced"


class Arrow(str, Enum):
    """An arrow in a master table: use the first sampling plan below / above it."""

    DOWN = "v"
    UP = "^"


Cell: TypeAlias = tuple[int, int] | Arrow | None
"""A printed master-table cell: (Ac, Re), an arrow, or None for a blank cell (row S only)."""

AQL_LABELS: tuple[str, ...] = (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
    "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65",
    "100", "150", "250", "400", "650", "1000",
)  # fmt: skip
"""The AQL column headings exactly as printed (percent nonconforming / per 100 items)."""

AQL_SERIES: tuple[float, ...] = tuple(float(label) for label in AQL_LABELS)
"""The standard's preferred AQL series, tightest first."""

CODE_LETTERS: tuple[str, ...] = tuple("ABCDEFGHJKLMNPQR")
"""Sample size code letters of Table I (I and O are not used)."""

# ---------------------------------------------------------------------------------------
# Table I -- Sample size code letters.  Columns as printed: special levels, general levels.
# ---------------------------------------------------------------------------------------
_TABLE_I = """
lot or batch size     S-1 S-2 S-3 S-4   I  II III
2 to 8                  A   A   A   A   A   A   B
9 to 15                 A   A   A   A   A   B   C
16 to 25                A   A   B   B   B   C   D
26 to 50                A   B   B   C   C   D   E
51 to 90                B   B   C   C   C   E   F
91 to 150               B   B   C   D   D   F   G
151 to 280              B   C   D   E   E   G   H
281 to 500              B   C   D   E   F   H   J
501 to 1200             C   C   E   F   G   J   K
1201 to 3200            C   D   E   G   H   K   L
3201 to 10000           C   D   F   G   J   L   M
10001 to 35000          C   D   F   H   K   M   N
35001 to 150000         D   E   G   J   L   N   P
150001 to 500000        D   E   G   J   M   P   Q
500001 and over         D   E   H   K   N   Q   R
"""

# ---------------------------------------------------------------------------------------
# Master tables.  One line per code letter, as printed: code letter, sample size n, then one
# cell per AQL column: "Ac/Re", "v" (use first plan below), "^" (use first plan above) or
# "." (blank).
# ---------------------------------------------------------------------------------------

# Table II-A -- Single sampling plans for normal inspection (master table).
_TABLE_II_A = """
       n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A      2      v     v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31
B      3      v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45
C      5      v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^
D      8      v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^     ^
E     13      v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31 44/45     ^     ^     ^
F     20      v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^
G     32      v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^
H     50      v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^
J     80      v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^
K    125      v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
L    200      v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
M    315      v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
N    500      v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
P    800      v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
Q   1250    0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
R   2000      ^     ^   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
"""  # noqa: E501

# Table II-B -- Single sampling plans for tightened inspection (master table).
_TABLE_II_B = """
       n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A      2      v     v     v     v     v     v     v     v     v     v     v     v     v     v     v     v     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28
B      3      v     v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42
C      5      v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ^
D      8      v     v     v     v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ^     ^
E     13      v     v     v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19 27/28 41/42     ^     ^     ^
F     20      v     v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^
G     32      v     v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^
H     50      v     v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^
J     80      v     v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^
K    125      v     v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
L    200      v     v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
M    315      v     v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
N    500      v     v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
P    800      v     v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
Q   1250      v   0/1     v     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
R   2000    0/1     ^     v   1/2   2/3   3/4   5/6   8/9 12/13 18/19     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
S   3150      .     .   1/2     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .     .
"""  # noqa: E501

# Table II-C -- Single sampling plans for reduced inspection (master table), as in
# ANSI/ASQ Z1.4-2003 / MIL-STD-105E (see the module docstring for ISO 2859-1:1999).
#
# Rows A and B at the loosest AQLs, and the AQL 1000 column (tested in
# tests/domain/test_sampling.py, test_reduced_*):
#
# An earlier version filled every row by the diagonal (constant n x AQL).  Two independent
# published implementations (the R package AQLSchemes, "MIL-STD-105E ANSI/ASQ Z1.4", and a
# second one cited in issue 15, not named there) disagreed with it in 31 resolved plans:
# row A at AQL 25 ... 1000 (9), row B at AQL 40 ... 1000 (8) and rows C ... R at AQL 1000
# (14).  Each was settled from the rules the printed table keeps everywhere else, not by majority:
#
# Rule 1 -- a reduced plan accepts on the same number as the normal plan with the same
#   sample size at the same AQL, and never rejects on a smaller number:  Ac(reduced) =
#   Ac(normal), Re(reduced) >= Re(normal).  Reduced inspection only cuts the sample and widens
#   the gap to Re; it is never stricter than normal inspection on the same sample.  This holds
#   in all 92 numeric cells of rows C ... R that have a normal plan of the same sample size
#   (tested), and the diagonal broke it in exactly the 17 numeric cells below: rows A and B
#   have n = 2, the normal sample of code letter A, whose plans at AQL 25 ... 1000 are
#   1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31.  Row A at AQL 25 read 0/2, i.e. a lot with
#   one nonconformity in two pieces sent the stream back to normal, though normal inspection
#   accepts it outright; row A at AQL 100 read 2/5, rejecting 5 nonconformities that the
#   normal plan 5/6 on the same 2 pieces accepts.
# Rule 2 -- Re is the table's own rejection number for the cell (the diagonal's), unless that
#   is below the normal plan's Re, in which case it is the normal plan's Re (Rule 1).  A
#   reduced plan may have Re > Ac + 1 (Z1.4 10.1.4: accept, but reinstate normal).
# Rule 3 -- an arrow means the first plan in its direction, with that plan's sample size.
#
#   cell      was     now    why
#   A   25    0/2     1/2    Ac 1 = normal A (n 2); Re 2 kept (= normal Re)
#   A   40    1/3     2/3    Ac 2 = normal; Re 3 kept (= normal Re)
#   A   65    1/4     3/4    Ac 3 = normal; Re 4 kept (= normal Re)
#   A  100    2/5     5/6    Ac 5 = normal; Re 5 < normal Re 6 -> 6
#   A  150    3/6     7/8    Ac 7; Re 6 < 8 -> 8
#   A  250    5/8   10/11    Ac 10; Re 8 < 11 -> 11
#   A  400   7/10   14/15    Ac 14; Re 10 < 15 -> 15
#   A  650  10/13   21/22    Ac 21; Re 13 < 22 -> 22
#   A 1000  14/17   30/31    Ac 30; Re 17 < 31 -> 31
#   B   40    1/4     2/4    Ac 2 = normal A (n 2); Re 4 kept (>= normal Re 3): a gap plan
#   B   65    2/5     3/5    Ac 3; Re 5 kept (>= 4): a gap plan
#   B  100    3/6     5/6    Ac 5; Re 6 kept (= 6)
#   B  150    5/8     7/8    Ac 7; Re 8 kept (= 8)
#   B  250   7/10   10/11    Ac 10; Re 10 < 11 -> 11
#   B  400  10/13   14/15    Ac 14; Re 13 < 15 -> 15
#   B  650  14/17   21/22    Ac 21; Re 17 < 22 -> 22
#   B 1000  21/24   30/31    Ac 30; Re 24 < 31 -> 31
#   C ... R 1000 (14 cells)  printed ^, unchanged: the first plan above is now B's 30/31
#             with n = 2 (was 21/24 with n = 2) -- Rule 3.
#   B 25 (1/3) and A/B at AQL 15 and tighter already obeyed Rule 1 and are unchanged.
#
# All 31 now agree with both implementations.  The printed ANSI/ASQ Z1.4 page itself could not
# be consulted; if it is, compare these 17 printed cells first.  The same rules cross-check
# the other tables (tested): Table II-B never accepts or rejects on a larger number than
# Table II-A on the same sample size (121 cells), and every resolved plan of II-A and II-B
# equals AQLSchemes' (832 plans).
_TABLE_II_C = """
       n  0.010 0.015 0.025 0.040 0.065  0.10  0.15  0.25  0.40  0.65   1.0   1.5   2.5   4.0   6.5    10    15    25    40    65   100   150   250   400   650  1000
A      2      v     v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   1/2   2/3   3/4   5/6   7/8 10/11 14/15 21/22 30/31
B      2      v     v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   2/4   3/5   5/6   7/8 10/11 14/15 21/22 30/31
C      2      v     v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13 14/17 21/24     ^
D      3      v     v     v     v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13 14/17 21/24     ^     ^
E      5      v     v     v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13 14/17 21/24     ^     ^     ^
F      8      v     v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^
G     13      v     v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^
H     20      v     v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^
J     32      v     v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^
K     50      v     v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
L     80      v     v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
M    125      v     v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
N    200      v     v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
P    315      v   0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
Q    500    0/1     ^     v   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
R    800      ^     ^   0/2   1/3   1/4   2/5   3/6   5/8  7/10 10/13     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^     ^
"""  # noqa: E501


# --------------------------------------------------------------------------------------
# Parsing the printed tables (done once, at import; a malformed line fails loudly).
# --------------------------------------------------------------------------------------
_LEVEL_COLUMNS: tuple[InspectionLevel, ...] = (
    InspectionLevel.S1,
    InspectionLevel.S2,
    InspectionLevel.S3,
    InspectionLevel.S4,
    InspectionLevel.I,
    InspectionLevel.II,
    InspectionLevel.III,
)


@dataclass(frozen=True)
class _LotRange:
    low: int
    high: int | None  # None: "and over"
    letters: Mapping[InspectionLevel, str]


def _parse_table_i(text: str) -> tuple[_LotRange, ...]:
    lines = [line for line in text.strip().splitlines()[1:] if line.strip()]
    ranges: list[_LotRange] = []
    for line in lines:
        words = line.split()
        letters = words[-len(_LEVEL_COLUMNS) :]
        if words[1] == "to":
            low, high = int(words[0]), int(words[2])
        elif words[1:3] == ["and", "over"]:
            low, high = int(words[0]), None
        else:  # pragma: no cover - guards the literal above
            raise AssertionError(f"bad Table I line: {line!r}")
        ranges.append(_LotRange(low, high, dict(zip(_LEVEL_COLUMNS, letters, strict=True))))
    return tuple(ranges)


def _parse_cell(token: str) -> Cell:
    if token == ".":
        return None
    if token in (Arrow.DOWN.value, Arrow.UP.value):
        return Arrow(token)
    ac, re_ = token.split("/")
    return (int(ac), int(re_))


@dataclass(frozen=True)
class _MasterTable:
    letters: tuple[str, ...]  # rows, top to bottom
    sample_sizes: Mapping[str, int]
    cells: Mapping[str, tuple[Cell, ...]]


def _parse_master(text: str) -> _MasterTable:
    header, *rows = text.strip().splitlines()
    if tuple(header.split()[1:]) != AQL_LABELS:  # pragma: no cover - guards the literal
        raise AssertionError("master table header does not match the AQL series")
    letters: list[str] = []
    sizes: dict[str, int] = {}
    cells: dict[str, tuple[Cell, ...]] = {}
    for row in rows:
        letter, n, *tokens = row.split()
        if len(tokens) != len(AQL_LABELS):  # pragma: no cover - guards the literal
            raise AssertionError(f"row {letter}: {len(tokens)} cells")
        letters.append(letter)
        sizes[letter] = int(n)
        cells[letter] = tuple(_parse_cell(token) for token in tokens)
    return _MasterTable(tuple(letters), sizes, cells)


_LOT_RANGES = _parse_table_i(_TABLE_I)
_MASTER: Mapping[InspectionMode, _MasterTable] = {
    InspectionMode.NORMAL: _parse_master(_TABLE_II_A),
    InspectionMode.TIGHTENED: _parse_master(_TABLE_II_B),
    InspectionMode.REDUCED: _parse_master(_TABLE_II_C),
}


# --------------------------------------------------------------------------------------
# Input parsing
# --------------------------------------------------------------------------------------
def _valid_levels() -> str:
    return ", ".join(level.value for level in InspectionLevel)


def _valid_modes() -> str:
    return ", ".join(mode.value for mode in InspectionMode)


def parse_level(value: InspectionLevel | str) -> InspectionLevel:
    """An inspection level from the enum or its printed name ("II", "S-3"; "s3" also works)."""
    if isinstance(value, InspectionLevel):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if len(text) == 2 and text[0] == "S" and text[1].isdigit():
            text = f"S-{text[1]}"
        for level in InspectionLevel:
            if level.value == text:
                return level
    raise SamplingError(f"unknown inspection level {value!r}; valid levels: {_valid_levels()}")


def parse_mode(value: InspectionMode | str) -> InspectionMode:
    """A severity of inspection from the enum or its name ("normal", "Tightened", ...)."""
    if isinstance(value, InspectionMode):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        for mode in InspectionMode:
            if mode.value == text:
                return mode
    raise SamplingError(f"unknown inspection mode {value!r}; valid modes: {_valid_modes()}")


def parse_aql(value: float | str) -> float:
    """The AQL as the standard's value (e.g. 1.0) from a number or a string ("1.0", "0.65")."""
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is not None and math.isfinite(number):
        for aql in AQL_SERIES:
            if math.isclose(number, aql, rel_tol=1e-9):
                return aql
    raise SamplingError(
        f"AQL {value!r} is not in the ISO 2859-1 series; valid AQLs: {', '.join(AQL_LABELS)}"
    )


def aql_label(aql: float | str) -> str:
    """The AQL as printed in the column heading ("0.010", "1.0", "10")."""
    return AQL_LABELS[AQL_SERIES.index(parse_aql(aql))]


def _check_lot_size(lot_size: int) -> int:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise SamplingError(f"lot size must be a whole number of items, got {lot_size!r}")
    if lot_size < 2:
        raise SamplingError(
            f"lot size {lot_size} is below Table I's smallest range; valid lot sizes: 2 and over"
        )
    return lot_size


# --------------------------------------------------------------------------------------
# Table look-ups
# --------------------------------------------------------------------------------------
def code_letter(lot_size: int, level: InspectionLevel | str = InspectionLevel.II) -> str:
    """Table I: the sample size code letter for a lot size and inspection level."""
    size = _check_lot_size(lot_size)
    lvl = parse_level(level)
    for lot_range in _LOT_RANGES:
        if size >= lot_range.low and (lot_range.high is None or size <= lot_range.high):
            return lot_range.letters[lvl]
    raise AssertionError("Table I covers every lot size from 2")  # pragma: no cover


def table_letters(mode: InspectionMode | str) -> tuple[str, ...]:
    """The rows of a master table, top to bottom (tightened has the extra row S)."""
    return _MASTER[parse_mode(mode)].letters


def table_sample_size(letter: str, mode: InspectionMode | str) -> int:
    """The sample size printed beside a code letter in a master table."""
    table = _MASTER[parse_mode(mode)]
    if letter not in table.sample_sizes:
        raise SamplingError(
            f"unknown code letter {letter!r}; valid letters: {', '.join(table.letters)}"
        )
    return table.sample_sizes[letter]


def table_cell(letter: str, aql: float | str, mode: InspectionMode | str) -> Cell:
    """The master-table cell as printed: (Ac, Re), an :class:`Arrow`, or None (blank)."""
    table = _MASTER[parse_mode(mode)]
    table_sample_size(letter, mode)  # validates the letter
    return table.cells[letter][AQL_SERIES.index(parse_aql(aql))]


def _check_count(nonconforming: int) -> int:
    if isinstance(nonconforming, bool) or not isinstance(nonconforming, int):
        raise SamplingError(
            f"count of nonconforming items must be a whole number, got {nonconforming!r}"
        )
    if nonconforming < 0:
        raise SamplingError(f"count of nonconforming items must be 0 or more, got {nonconforming}")
    return nonconforming
