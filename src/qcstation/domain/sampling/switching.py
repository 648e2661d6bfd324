"""The switching rules of clause 9 as a pure state machine."""

from __future__ import annotations

from dataclasses import dataclass, replace

from qcstation.domain.sampling.plans import SamplingPlan, tighter_acceptance_number
from qcstation.domain.sampling.tables import (
    InspectionMode,
    SamplingError,
    _check_count,
    parse_mode,
)

# --------------------------------------------------------------------------------------
# Switching rules (clause 9)
# --------------------------------------------------------------------------------------
REDUCED_SWITCHING_SCORE = 30
"""Normal -> reduced needs a switching score of at least this (ISO 2859-1:1999, 9.3.3)."""


@dataclass(frozen=True)
class SwitchingState:
    """Where a stream of lots stands in the switching scheme.

    * ``consecutive_accepted`` -- lots accepted in a row in the current severity (5 on
      tightened return the stream to normal).
    * ``recent_results`` -- the last (at most 5) lots on normal inspection, oldest first,
      True for accepted (for the "2 of 5 or fewer consecutive lots" rule).
    * ``switching_score`` -- ISO 2859-1:1999, 9.3.3.2; counts only on normal inspection.
    * ``rejected_while_tightened`` -- lots not accepted since tightened inspection began.
    * ``discontinued`` -- 5 lots not accepted on tightened: acceptance inspection stops.
    """

    mode: InspectionMode = InspectionMode.NORMAL
    consecutive_accepted: int = 0
    recent_results: tuple[bool, ...] = ()
    switching_score: int = 0
    rejected_while_tightened: int = 0
    discontinued: bool = False


def updated_switching_score(
    score: int,
    *,
    accepted: bool,
    acceptance_number: int,
    accepted_one_step_tighter: bool | None = None,
) -> int:
    """The switching score after one more lot on normal inspection (ISO 2859-1:1999 9.3.3.2).

    * Ac >= 2: add 3 if the lot would also have been accepted had the AQL been one step
      tighter (``accepted_one_step_tighter``, required), otherwise reset to 0.
    * Ac 0 or 1: add 2 if the lot is accepted, otherwise reset to 0.
    """
    if acceptance_number < 0:
        raise SamplingError(f"acceptance number must be 0 or more, got {acceptance_number}")
    if acceptance_number >= 2:
        if accepted_one_step_tighter is None:
            raise SamplingError(
                "with acceptance number 2 or more the switching score needs "
                "accepted_one_step_tighter"
            )
        if accepted_one_step_tighter and not accepted:
            raise SamplingError("a lot accepted at a tighter AQL cannot be rejected at this one")
        return score + 3 if accepted_one_step_tighter else 0
    return score + 2 if accepted else 0


def next_state(
    state: SwitchingState,
    accepted: bool,
    *,
    acceptance_number: int | None = None,
    accepted_one_step_tighter: bool | None = None,
    production_steady: bool = True,
    authority_approves_reduced: bool = True,
    reinstate_normal: bool = False,
) -> SwitchingState:
    """The switching state after the original inspection of one more lot (clause 9).

    * Normal -> tightened: when 2 of 5 or fewer consecutive lots are not accepted.
    * Tightened -> normal: when 5 consecutive lots are accepted.
    * Normal -> reduced: when the switching score (updated with this lot) is at least 30,
      production is at a steady rate and the responsible authority approves.  The score
      starts at 0 at the start of normal inspection; for the lot's plan with Ac >= 2 add 3
      if the lot would have been accepted with the AQL one step tighter, else reset to 0;
      with Ac 0 or 1 add 2 if the lot is accepted, else reset to 0.  On normal inspection
      ``acceptance_number`` is therefore required, and ``accepted_one_step_tighter`` too
      when it is 2 or more.
    * Reduced -> normal: when a lot is not accepted, production is irregular or delayed
      (``production_steady=False``), or ``reinstate_normal`` (other conditions, or a Z1.4
      reduced lot with Ac < count < Re).
    * Discontinue: when the cumulative number of lots not accepted since tightened
      inspection began reaches 5.  A discontinued state accepts no more lots; see
      :func:`resume_inspection`.

    Whenever the severity changes every counter starts again from zero.
    """
    if state.discontinued:
        raise SamplingError(
            "acceptance inspection is discontinued (5 lots not accepted on tightened "
            "inspection); resume_inspection() once the supplier has corrected the quality"
        )
    if state.mode is InspectionMode.NORMAL:
        if acceptance_number is None:
            raise SamplingError(
                "on normal inspection the switching score needs the plan's acceptance_number"
            )
        score = updated_switching_score(
            state.switching_score,
            accepted=accepted,
            acceptance_number=acceptance_number,
            accepted_one_step_tighter=accepted_one_step_tighter,
        )
        recent = (*state.recent_results, accepted)[-5:]
        if not accepted and recent.count(False) >= 2:
            return SwitchingState(mode=InspectionMode.TIGHTENED)
        if score >= REDUCED_SWITCHING_SCORE and production_steady and authority_approves_reduced:
            return SwitchingState(mode=InspectionMode.REDUCED)
        return replace(
            state,
            consecutive_accepted=state.consecutive_accepted + 1 if accepted else 0,
            recent_results=recent,
            switching_score=score,
        )
    if state.mode is InspectionMode.TIGHTENED:
        if accepted:
            if state.consecutive_accepted + 1 >= 5:
                return SwitchingState(mode=InspectionMode.NORMAL)
            return replace(state, consecutive_accepted=state.consecutive_accepted + 1)
        rejected = state.rejected_while_tightened + 1
        return replace(
            state,
            consecutive_accepted=0,
            rejected_while_tightened=rejected,
            discontinued=rejected >= 5,
        )
    # reduced
    if not accepted or not production_steady or reinstate_normal:
        return SwitchingState(mode=InspectionMode.NORMAL)
    return replace(state, consecutive_accepted=state.consecutive_accepted + 1)


def record_lot(
    state: SwitchingState,
    sampling_plan: SamplingPlan,
    nonconforming: int,
    *,
    production_steady: bool = True,
    authority_approves_reduced: bool = True,
    resubmitted: bool = False,
) -> SwitchingState:
    """Record one lot inspected under ``sampling_plan`` with ``nonconforming`` found.

    Works out acceptance, the switching-score inputs (the plan's Ac and, for Ac >= 2, whether
    the count is within Ac of the same sample size one AQL step tighter) and the Z1.4 reduced
    "gap" rule, then applies :func:`next_state`.  The plan must be for the state's severity.
    The count may exceed the sample size for AQLs in nonconformities per 100 items.

    A ``resubmitted`` lot (one inspected again after it was not accepted, clause 7.6) is
    not an original lot: the switching rules count original inspections only, so the state
    is returned unchanged, whatever the lot's plan severity (see :func:`resubmission_mode`).
    """
    count = _check_count(nonconforming)
    if resubmitted:
        if state.discontinued:
            raise SamplingError(
                "acceptance inspection is discontinued; a resubmitted lot waits too until "
                "inspection is resumed"
            )
        return state
    if sampling_plan.mode is not state.mode:
        raise SamplingError(
            f"the lot was planned for {sampling_plan.mode.value} inspection but the stream "
            f"is on {state.mode.value} inspection"
        )
    accepted = count < sampling_plan.reject
    gap = (
        state.mode is InspectionMode.REDUCED and sampling_plan.accept < count < sampling_plan.reject
    )
    tighter_ok: bool | None = None
    if state.mode is InspectionMode.NORMAL and sampling_plan.accept >= 2:
        tighter = tighter_acceptance_number(sampling_plan)
        if tighter is None:  # pragma: no cover - every Ac >= 2 plan has one (tested)
            raise AssertionError("no tighter plan in the same row")
        tighter_ok = count <= tighter
    return next_state(
        state,
        accepted,
        acceptance_number=sampling_plan.accept,
        accepted_one_step_tighter=tighter_ok,
        production_steady=production_steady,
        authority_approves_reduced=authority_approves_reduced,
        reinstate_normal=gap,
    )


def resume_inspection(state: SwitchingState) -> SwitchingState:
    """After discontinuation and corrective action, inspection resumes on tightened (9.4)."""
    if not state.discontinued:
        raise SamplingError("inspection is not discontinued; nothing to resume")
    return SwitchingState(mode=InspectionMode.TIGHTENED)


RESUBMISSION_MODE = InspectionMode.TIGHTENED
"""How a resubmitted lot is inspected unless the responsible authority decides otherwise."""


def resubmission_mode(requested: InspectionMode | str | None = None) -> InspectionMode:
    """The severity a resubmitted lot is inspected on (ISO 2859-1 7.6, Z1.4 6.4).

    The responsible authority decides between normal and tightened inspection; without a
    decision it is tightened.  Reduced inspection is not for a lot that was once rejected.
    """
    if requested is None:
        return RESUBMISSION_MODE
    mode = parse_mode(requested)
    if mode is InspectionMode.REDUCED:
        raise SamplingError(
            "a resubmitted lot is inspected on normal or tightened inspection, not reduced"
        )
    return mode


def reinstate_normal(state: SwitchingState) -> SwitchingState:
    """The responsible authority returns a stream to normal inspection.

    * From discontinued: refused. Clause 9.4 resumes a discontinued stream on tightened
      inspection (:func:`resume_inspection`); a supervisor may not skip that.
    * From reduced: clause 9.3.4 d), "other conditions warrant that normal inspection be
      reinstated".
    * From tightened: only on the standard's condition (clause 9.3.2: 5 consecutive lots
      accepted on original inspection).  :func:`next_state` applies it as soon as it is met,
      so tightened inspection cannot be cut short: the error says how many lots remain.
    """
    if state.discontinued:
        raise SamplingError(
            "acceptance inspection is discontinued: it resumes on tightened inspection once "
            "the supplier has corrected the cause (clause 9.4), not on normal"
        )
    if state.mode is InspectionMode.REDUCED:
        return SwitchingState(mode=InspectionMode.NORMAL)
    if state.mode is InspectionMode.TIGHTENED:
        if state.consecutive_accepted >= 5:
            return SwitchingState(mode=InspectionMode.NORMAL)
        remaining = 5 - state.consecutive_accepted
        raise SamplingError(
            "tightened inspection returns to normal only after 5 consecutive lots are "
            f"accepted on original inspection (clause 9.3.2): {state.consecutive_accepted} "
            f"so far, {remaining} more needed"
        )
    raise SamplingError("the stream is on normal inspection already")


def start_tightened(state: SwitchingState) -> SwitchingState:
    """The responsible authority puts a stream on tightened inspection (clause 9.1: normal
    at the start "unless otherwise designated by the responsible authority").

    Counting for the return to normal and for discontinuation starts afresh.  A discontinued
    stream resumes through :func:`resume_inspection` (also on tightened inspection).
    """
    if state.discontinued:
        raise SamplingError(
            "acceptance inspection is discontinued: resume it (on tightened inspection) "
            "once the supplier has corrected the cause"
        )
    if state.mode is InspectionMode.TIGHTENED:
        raise SamplingError("the stream is on tightened inspection already")
    return SwitchingState(mode=InspectionMode.TIGHTENED)
