"""Acceptance sampling by attributes: ISO 2859-1 / ANSI/ASQ Z1.4 single sampling plans.

* :mod:`.tables` -- Table I and the master tables II-A/B/C as printed (its docstring gives
  the sources and every decision about a cell), input parsing and table look-ups.
* :mod:`.plans` -- :func:`plan`: lot size + AQL + level + severity -> :class:`SamplingPlan`,
  arrows followed, 100 % inspection where n reaches the lot size.
* :mod:`.switching` -- clause 9 as a state machine: :class:`SwitchingState`,
  :func:`next_state`, :func:`record_lot`; resubmitted lots (:func:`resubmission_mode`, not
  counted) and the responsible authority's :func:`reinstate_normal` / :func:`start_tightened`.

Every public name is importable from here, as when this was one module.
"""

from qcstation.domain.sampling.plans import (
    MasterPlan,
    SamplingPlan,
    master_plan,
    plan,
    tighter_acceptance_number,
)
from qcstation.domain.sampling.switching import (
    REDUCED_SWITCHING_SCORE,
    RESUBMISSION_MODE,
    SwitchingState,
    next_state,
    record_lot,
    reinstate_normal,
    resubmission_mode,
    resume_inspection,
    start_tightened,
    updated_switching_score,
)
from qcstation.domain.sampling.tables import (
    AQL_LABELS,
    AQL_SERIES,
    CODE_LETTERS,
    Arrow,
    Cell,
    InspectionLevel,
    InspectionMode,
    SamplingError,
    aql_label,
    code_letter,
    parse_aql,
    parse_level,
    parse_mode,
    table_cell,
    table_letters,
    table_sample_size,
)

__all__ = [
    "AQL_LABELS",
    "AQL_SERIES",
    "CODE_LETTERS",
    "REDUCED_SWITCHING_SCORE",
    "RESUBMISSION_MODE",
    "Arrow",
    "Cell",
    "InspectionLevel",
    "InspectionMode",
    "MasterPlan",
    "SamplingError",
    "SamplingPlan",
    "SwitchingState",
    "aql_label",
    "code_letter",
    "master_plan",
    "next_state",
    "parse_aql",
    "parse_level",
    "parse_mode",
    "plan",
    "record_lot",
    "reinstate_normal",
    "resubmission_mode",
    "resume_inspection",
    "start_tightened",
    "table_cell",
    "table_letters",
    "table_sample_size",
    "tighter_acceptance_number",
    "updated_switching_score",
]
