"""The corrective action life cycle as a state machine, and the nonconformance rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from qcstation.domain.corrective import (
    CapaError,
    CapaStatus,
    CorrectiveAction,
    RootCauseCategory,
    check_transition,
    sort_key,
)
from qcstation.domain.defects import Disposition
from qcstation.domain.nonconformance import DispositionError, check_disposition

ORDER = list(CapaStatus)


class CapaLifeCycle(RuleBasedStateMachine):
    """Any sequence of edits and moves: the status only ever goes one step forward (or back
    from verification to work), verification needs the analysis, closing needs evidence,
    and a closed action never moves again."""

    def __init__(self) -> None:
        super().__init__()
        self.action = CorrectiveAction(1, "t", "p")
        self.closed_once = False

    @rule(
        category=st.none() | st.sampled_from(RootCauseCategory),
        cause=st.sampled_from(["", " ", "burnout too short"]),
        fix=st.sampled_from(["", "12 h cycle"]),
        owner=st.sampled_from(["", "ines"]),
        due=st.none() | st.just(date(2026, 12, 1)),
        evidence=st.sampled_from(["", "  ", "no pores on 50 castings"]),
    )
    def edit(self, category, cause, fix, owner, due, evidence) -> None:  # type: ignore[no-untyped-def]
        self.action = replace(
            self.action,
            root_cause_category=category,
            root_cause=cause,
            corrective=fix,
            owner=owner,
            due=due,
            effectiveness_evidence=evidence,
        )

    @rule(to=st.sampled_from(CapaStatus))
    def move(self, to: CapaStatus) -> None:
        a, before = self.action, self.action.status
        try:
            check_transition(a, to)
        except CapaError:
            allowed = (
                ORDER.index(to) == ORDER.index(before) + 1
                or (before, to) == (CapaStatus.AWAITING_VERIFICATION, CapaStatus.IN_PROGRESS)
            ) and before is not CapaStatus.CLOSED
            analysed = bool(
                a.root_cause_category
                and a.root_cause.strip()
                and a.corrective.strip()
                and a.owner
                and a.due
            )
            assert (
                not allowed
                or (to is CapaStatus.AWAITING_VERIFICATION and not analysed)
                or (to is CapaStatus.CLOSED and not a.effectiveness_evidence.strip())
            )
            return
        assert before is not CapaStatus.CLOSED
        if to is CapaStatus.AWAITING_VERIFICATION:
            assert a.root_cause.strip() and a.corrective.strip() and a.owner and a.due
        if to is CapaStatus.CLOSED:
            assert a.effectiveness_evidence.strip()
            self.closed_once = True
        self.action = replace(a, status=to)

    @invariant()
    def closed_stays_closed(self) -> None:
        assert not self.closed_once or self.action.status is CapaStatus.CLOSED


TestCapaLifeCycle = CapaLifeCycle.TestCase


def test_overdue_means_a_due_date_passed_while_not_closed() -> None:
    today = date(2026, 11, 25)
    a = CorrectiveAction(1, "t", "p", due=today + timedelta(days=1))
    assert not a.overdue(today)
    late = replace(a, preventive_due=today - timedelta(days=1))
    assert late.overdue(today)
    assert not replace(late, status=CapaStatus.CLOSED).overdue(today)
    no_due = CorrectiveAction(2, "t", "p")
    closed = replace(late, id=3, status=CapaStatus.CLOSED)
    ranked = sorted([closed, no_due, a, late], key=lambda x: sort_key(x, today))
    assert [x.id for x in ranked] == [1, 1, 2, 3] and ranked[0] is late


@pytest.mark.parametrize(
    ("disposition", "reason", "supervisor", "problem"),
    [
        (Disposition.REWORK, "", False, None),
        (Disposition.SCRAP, "", False, None),
        (Disposition.RETURN_TO_SUPPLIER, "", False, None),
        (Disposition.USE_AS_IS, "cosmetic, inside the shank", True, None),
        (Disposition.USE_AS_IS, "cosmetic", False, "supervisor's approval"),
        (Disposition.USE_AS_IS, " ok ", True, "reason"),
        (Disposition.PENDING, "x", True, "choose a disposition"),
    ],
)
def test_disposition_rules(
    disposition: Disposition, reason: str, supervisor: bool, problem: str | None
) -> None:
    if problem is None:
        check_disposition(disposition, reason, supervisor)
    else:
        with pytest.raises(DispositionError, match=problem):
            check_disposition(disposition, reason, supervisor)
