"""Plans: a master-table plan with its arrows followed, and the plan for a lot (Table I + II)."""

from __future__ import annotations

from dataclasses import dataclass

from qcstation.domain.sampling.tables import (
    _MASTER,
    AQL_LABELS,
    AQL_SERIES,
    Arrow,
    InspectionLevel,
    InspectionMode,
    SamplingError,
    _check_count,
    _check_lot_size,
    _MasterTable,
    code_letter,
    parse_aql,
    parse_level,
    parse_mode,
    table_sample_size,
)


@dataclass(frozen=True)
class MasterPlan:
    """A plan read from a master table after following its arrows (no lot size involved)."""

    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int


def master_plan(letter: str, aql: float | str, mode: InspectionMode | str) -> MasterPlan:
    """Code letter + AQL -> the plan of the master table, arrows followed.

    An arrow means "use the first sampling plan below (above) the arrow"; that plan's sample
    size is used together with its Ac and Re.  Where an arrow would lead off the table (code
    letter A at AQL 10, normal and reduced) the first plan in the other direction is used,
    as explained in the module docstring.
    """
    mode_ = parse_mode(mode)
    table = _MASTER[mode_]
    column = AQL_SERIES.index(parse_aql(aql))
    table_sample_size(letter, mode_)  # validates the letter
    start = table.letters.index(letter)
    cell = table.cells[letter][column]
    if cell is None:
        raise SamplingError(f"code letter {letter} has no plan at AQL {AQL_LABELS[column]}")
    row = start
    if isinstance(cell, Arrow):
        step = 1 if cell is Arrow.DOWN else -1
        found = _first_plan(table, column, start, step)
        if found is None:  # the arrow leads off the table: look the other way
            found = _first_plan(table, column, start, -step)
        if found is None:  # pragma: no cover - every cell resolves (tested)
            raise AssertionError(f"no plan for {letter} at AQL {AQL_LABELS[column]}")
        row = found
    plan_letter = table.letters[row]
    resolved = table.cells[plan_letter][column]
    assert isinstance(resolved, tuple)
    return MasterPlan(
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=table.sample_sizes[plan_letter],
        accept=resolved[0],
        reject=resolved[1],
    )


def _first_plan(table: _MasterTable, column: int, start: int, step: int) -> int | None:
    row = start + step
    while 0 <= row < len(table.letters):
        cell = table.cells[table.letters[row]][column]
        if isinstance(cell, tuple):
            return row
        if cell is None:  # a blank cell ends the search (row S)
            return None
        row += step
    return None


# --------------------------------------------------------------------------------------
# The plan for a lot
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamplingPlan:
    """A single sampling plan for one lot.

    ``code_letter`` is Table I's letter; ``plan_letter`` the row finally used after following
    arrows (its sample size, Ac and Re are the plan).  When the table's sample size is the lot
    size or more, ``hundred_percent`` is set and ``sample_size`` is the lot size: every item is
    inspected, with the same Ac and Re.
    """

    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int
    hundred_percent: bool
    level: InspectionLevel
    mode: InspectionMode
    aql: float
    lot_size: int

    def accepts(self, nonconforming: int) -> bool:
        """Whether a lot with this many nonconforming items (or nonconformities) is accepted.

        The lot is not accepted when the count reaches Re.  On a Z1.4 reduced plan with a gap
        (Ac < count < Re) the lot is accepted, but normal inspection is reinstated
        (:func:`record_lot` does that).
        """
        return _check_count(nonconforming) < self.reject


def plan(
    lot_size: int,
    aql: float | str,
    level: InspectionLevel | str = InspectionLevel.II,
    mode: InspectionMode | str = InspectionMode.NORMAL,
) -> SamplingPlan:
    """The single sampling plan for a lot: Table I, then Table II-A/B/C with arrows followed.

    >>> p = plan(2000, 2.5)             # code letter K, normal inspection
    >>> (p.code_letter, p.sample_size, p.accept, p.reject)
    ('K', 125, 7, 8)
    >>> plan(500, "1.0", "II", "normal").sample_size
    50
    """
    size = _check_lot_size(lot_size)
    aql_ = parse_aql(aql)
    level_ = parse_level(level)
    mode_ = parse_mode(mode)
    letter = code_letter(size, level_)
    master = master_plan(letter, aql_, mode_)
    hundred_percent = master.sample_size >= size
    return SamplingPlan(
        code_letter=letter,
        plan_letter=master.plan_letter,
        sample_size=size if hundred_percent else master.sample_size,
        accept=master.accept,
        reject=master.reject,
        hundred_percent=hundred_percent,
        level=level_,
        mode=mode_,
        aql=aql_,
        lot_size=size,
    )


def tighter_acceptance_number(sampling_plan: SamplingPlan) -> int | None:
    """Ac for the same sample size at the next tighter AQL (for the switching score).

    This is the cell to the left of the plan in its own row (``plan_letter``) of the plan's
    master table; None when that cell is not a plan or there is no tighter AQL.  For every
    plan with Ac >= 2 the cell exists (tested).
    """
    table = _MASTER[sampling_plan.mode]
    column = AQL_SERIES.index(sampling_plan.aql)
    if column == 0:
        return None
    cell = table.cells[sampling_plan.plan_letter][column - 1]
    return cell[0] if isinstance(cell, tuple) else None
